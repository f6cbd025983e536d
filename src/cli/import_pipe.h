/*
 * import_pipe.h - the writing half of the import command on a second
 * thread.
 *
 * The import's main thread decodes, validates and encodes records; the
 * store writes of users (with their image) and memberships go through here.
 * With a pipe (import_pipe_start), they are copied into batches of a few
 * hundred records and written, in file order, by one writer thread while
 * the main thread goes on with the next records; without one (NULL) they
 * are written at once.  The connection is used by one thread at a time:
 * the main thread touches the store itself (BEGIN, COMMIT, the other
 * sections, password checks) only after import_pipe_drain().
 *
 * Errors name the record as the synchronous path does ("users[7]: rejected
 * by the database: ...").  Once a write failed, nothing after it is written
 * and the next call returns -1 with that message: the first failure in file
 * order is the one reported.
 *
 * Memory: a pipe owns BATCHES batch buffers (about 1 MiB each, a record
 * bigger than that gets a buffer of its own size until its batch is done),
 * allocated and freed by the main thread only; the writer frees nothing.
 * Strings passed in are copied.
 */
#ifndef PROFILED_IMPORT_PIPE_H
#define PROFILED_IMPORT_PIPE_H

#include <stddef.h>
#include "store/store.h"

typedef struct import_pipe import_pipe;

/* The message of a store write that failed, in err: "PATH: rejected by
 * the database: WHY", where PATH is the record a batching backend says
 * failed (bulk_failed) or else path.  Always -1.  The one formatter of
 * store failures for the whole import. */
int import_store_fail(pd_store *s, const char *path, char *err, size_t errlen);

/* An image to store with its user (validated, the bytes borrowed). */
typedef struct {
    const unsigned char *bytes;
    size_t len;
    const char *mime;
    const char *etag;
} import_image;

/* NULL when the thread or its memory cannot be had: write synchronously. */
import_pipe *import_pipe_start(pd_store *s);

/* upsert_user, then put_image when img is not NULL (dated u->modified).
 * 0, or -1 with the message in err (this or an earlier record's). */
int import_pipe_user(import_pipe *p, pd_store *s, const char *path, const pd_user *u,
                     const import_image *img, char *err, size_t errlen);

/* get_account(acc_ref), then upsert_membership of m with that account's
 * id (m->account_id is ignored).  0, or -1 with the message in err. */
int import_pipe_membership(import_pipe *p, pd_store *s, const char *path, const char *acc_ref,
                           const pd_membership *m, char *err, size_t errlen);

/* Waits until everything handed over is written.  0, or -1 with the first
 * failure's message in err. */
int import_pipe_drain(import_pipe *p, char *err, size_t errlen);

/* Drains, stops the thread and frees the pipe (NULL is fine). */
void import_pipe_stop(import_pipe *p);

#endif
