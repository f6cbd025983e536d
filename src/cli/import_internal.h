/*
 * import_internal.h - what the files of the tenant import share (cli/:
 * import.c the stream and the driver, import_fields.c the record helpers,
 * import_users.c user records and their two decoding threads,
 * import_oauth.c integrations, import_admin.c the Admin API records).
 * Not for use outside the import.
 *
 * Memory: a reader is the driver's (import.c, import_run); its buffers
 * (rec, err) live as long as the import.  A record handler borrows the
 * record's tree and the path for the call; what it hands the store is
 * copied there or by the writer thread (import_pipe.h).
 */
#ifndef PROFILED_CLI_IMPORT_INTERNAL_H
#define PROFILED_CLI_IMPORT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/import.h"
#include "cli/import_pipe.h"
#include "cli/import_twin.h"
#include "core/limits.h"
#include "store/store.h"

typedef struct {
    FILE *in;
    import_stats *st;
    char *rec;                  /* current record's text, LIM_IMPORT_RECORD_MAX bytes */
    size_t rec_len;
    int over_limit;
    char *err;
    size_t errlen;
    bool arena;                 /* jansson allocates from cli/import_arena.c */
    char *own_rec;              /* the buffer rd->rec points to when not into the twin's batch */
    import_pipe *pipe;          /* users and memberships written on a second thread, or NULL */
    import_twin *twin;          /* user records decoded on two threads, or NULL */
    struct user_twin_ *tw;      /* ... their batches (see twin_start) */
} reader;

/* A section's record handler: 0, or -1 with the problem in rd->err. */
typedef int (*record_fn)(reader *rd, pd_store *s, json_t *rec, const char *path);

/* ---- import_fields.c ---- */

/* The problem, formatted into rd->err. */
void imp_fail(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string member name of o, or NULL. */
const char *imp_get_str(json_t *o, const char *name);
/* A string member with at most max characters into *out (NULL when absent
 * and not required): 0, or -1 with the problem (reported as path.name). */
int imp_want_str(reader *rd, json_t *o, const char *path, const char *name, int required,
                 size_t max, const char **out);
/* The same for a GUID, lower-cased into out ("" when absent). */
int imp_want_guid(reader *rd, json_t *o, const char *path, const char *name, int required,
                  char out[LIM_ID_MAX + 1]);
/* A secret given either in clear or as an Argon2id hash, never both. */
int imp_plain_or_hash(reader *rd, const char *path, const char *plain_name, const char *plain,
                      const char *hash_name, const char *hash);
/* The store's failure reported for path (import_store_fail): always -1. */
int imp_store_failed(reader *rd, pd_store *s, const char *path);
/* The record text in rd->rec decoded into *out (got: read_record's
 * answer, 0 when the text is whole): 0, or -1 with the problem. */
int imp_load_record(reader *rd, const char *path, int got, json_t **out);

/* ---- import_users.c: the users section ---- */

int imp_do_user(reader *rd, pd_store *s, json_t *rec, const char *path);
/* Two decoding threads for user records (import_twin.h), when the machine
 * and the import allow it (rd->twin stays NULL otherwise); stopped, and
 * anything not yet written dropped, by imp_twin_stop. */
void imp_twin_start(reader *rd);
void imp_twin_stop(reader *rd);
/* Points rd->rec where the next user record's text goes. */
void imp_twin_place(reader *rd);
/* The user record just read there, users[idx]: 0, or -1 with the first
 * problem in file order in rd->err (everything before it written). */
int imp_twin_user_record(reader *rd, pd_store *s, size_t idx);
/* Everything read so far to the writer, in order: 0, or -1 as above. */
int imp_twin_flush(reader *rd, pd_store *s);

/* ---- import_oauth.c, import_admin.c: the other sections ---- */

int imp_do_integration(reader *rd, pd_store *s, json_t *rec, const char *path);
int imp_do_org_admin(reader *rd, pd_store *s, json_t *rec, const char *path);
int imp_do_domain(reader *rd, pd_store *s, json_t *rec, const char *path);
int imp_do_identity(reader *rd, pd_store *s, json_t *rec, const char *path);

#endif
