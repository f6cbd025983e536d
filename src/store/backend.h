/*
 * backend.h - helpers every storage backend shares (sqlite.c, pg_*.c), so a
 * rule the backends must agree on is written once.  Not for callers of the
 * store: they use store.h.
 *
 * Memory: nothing is allocated; strings are borrowed for the call.
 */
#ifndef PROFILED_STORE_BACKEND_H
#define PROFILED_STORE_BACKEND_H

#include <stdint.h>

/* How get_account reads its ref: 1 when ref is an external account number
 * (digits, no leading zero, fits int64, > 0; the number in *num), 0 when it
 * is to be looked up as a GUID, -1 for digits that cannot be an account
 * number (a leading zero, or too large). */
int store_account_ref_kind(const char *ref, int64_t *num);

#endif
