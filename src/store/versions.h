/*
 * versions.h - the one way to read the cache tags (store get_versions):
 * through a per-thread memo validated by the change signal (changes.h), so
 * a cached GET costs no database read while nothing was written.
 *
 * pd_store_versions answers exactly what s->ops->get_versions would (the
 * version of user_a when it exists and is Active, else -1; the version of
 * user_b, -1 when missing; the tenant generation).  An entry is used only
 * while the stamp reads what it read BEFORE the database read that filled
 * the entry (a write racing that read moves the stamp, so the next call
 * reads again), the stamp is known (non-zero), the entry is younger than
 * LIM_VERSIONS_MEMO_MAX_AGE_MS, and the handle is the same.  No caller
 * reads the tags inside its own transaction (they come first).
 *
 * Beside the pairs, the memo keeps each user_a's own tag (its version when
 * Active, else -1, and the generation) under the same rules: a pair not
 * seen yet whose user_a is known reads only user_b's row.  An admin reading
 * many users (a million-user tenant, where the pairs never repeat) then
 * costs one row lookup per request instead of two.
 *
 * Memory: the table is per thread (LIM_VERSIONS_MEMO_SLOTS pair entries in
 * sets of LIM_VERSIONS_MEMO_WAYS; LIM_VERSIONS_CALLERS caller entries in
 * sets of LIM_VERSIONS_CALLER_WAYS), freed when the thread exits.  About
 * 0.7 MB per thread.  Strings are borrowed.
 */
#ifndef PROFILED_STORE_VERSIONS_H
#define PROFILED_STORE_VERSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

pd_err pd_store_versions(pd_store *s, const char *user_a, const char *user_b,
                         int64_t *va, int64_t *vb, int64_t *generation);

/* pd_store_versions for a read that goes on to the data when the memo
 * cannot answer: before reading the database it begins a read batch
 * (pd_store_begin_read_batch), so the tags and the data that follows are
 * read in one transaction and one snapshot instead of two.  *in_read:
 * whether a batch was begun (the caller ends it, ops->rollback). */
pd_err pd_store_versions_reading(pd_store *s, const char *user_a, const char *user_b,
                                 int64_t *va, int64_t *vb, int64_t *generation, bool *in_read);

/* Forgets this thread's entries (tests; http/writeq.c after a group
 * transaction was rolled back). */
void pd_store_versions_forget(void);

#endif
