/*
 * import.h - loading and dumping a tenant in the import format
 * (docs/import-format.md).
 *
 * Import streams: the file is read one record at a time (each record at
 * most LIM_IMPORT_RECORD_MAX bytes), never whole, inside one transaction.
 * Any bad record rolls everything back and the error names the record and
 * field ("users[2].profile.userDetails.firstName: longer than 50 characters").
 * Records are upserts, so importing the same file twice changes nothing.
 *
 * Memory: nothing returned needs freeing; the FILE * stays the caller's.
 */
#ifndef PROFILED_IMPORT_H
#define PROFILED_IMPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "core/error.h"
#include "store/store.h"

typedef struct {
    size_t organizations, accounts, permission_profiles, groups, users, memberships, images;
    size_t integrations;       /* OAuth clients (docs/oauth.md) */
    size_t org_admins, domains, identities;   /* Admin API (docs/admin.md) */
    long long bytes;           /* bytes read so far */
} import_stats;

typedef void (*import_progress_fn)(void *ctx, const import_stats *st);

pd_err import_stream(pd_store *s, FILE *in, import_stats *st, char *err, size_t errlen,
                     import_progress_fn progress, void *pctx);

/* The same, first deleting the whole tenant inside the same transaction
 * when replace is true (store wipe_tenant): readers see the old tenant or
 * the new one, never a mix; a bad file leaves the old tenant in place. */
pd_err import_stream_mode(pd_store *s, FILE *in, bool replace, import_stats *st, char *err,
                          size_t errlen, import_progress_fn progress, void *pctx);

/* import_stream for the import command, the database's only user during
 * the load: the store may lock other connections out for speed (store
 * bulk_begin "alone"; SQLite: a rollback journal instead of WAL when no
 * other connection has the database open). */
pd_err import_stream_alone(pd_store *s, FILE *in, import_stats *st, char *err, size_t errlen,
                           import_progress_fn progress, void *pctx);

/* Writes every organization, account, user (password hash, not password;
 * image as base64) and membership in the import format. */
pd_err export_stream(pd_store *s, FILE *out, char *err, size_t errlen);

#endif
