/*
 * lookup_cache.h - per-thread memo of account and membership lookups for
 * the eSignature prelude, validated by the same tags as the response cache
 * (resp_cache.h): an account is reused while the tenant generation is
 * unchanged (only imports change accounts, groups and permission profiles,
 * and every import bumps it); a membership while the generation and that
 * user's version are unchanged (membership writes bump the user's version).
 * A write known to change no membership may put the entry again under the
 * version it produced (esign/prelude.c: a caller's PUT of their own profile).
 *
 * The tables are LC_WAYS-way set-associative (the least recently used entry
 * of a set is replaced), so the thousand accounts and admin memberships of a
 * large tenant do not evict each other the way a direct-mapped table would.
 * The prelude puts only what is read again: accounts and the caller's own
 * membership, not the membership of every user an admin reads (those are
 * read again only after a write, which changes the key's version anyway).
 *
 * Memory: entries hold deep copies; lc_get_* fill caller-owned structs with
 * fresh deep copies (release with pd_account_clear / pd_membership_clear).
 * Each thread's table is freed when the thread exits.  Bounded: LC_SLOTS
 * accounts and LC_SLOTS memberships per thread.
 */
#ifndef PROFILED_LOOKUP_CACHE_H
#define PROFILED_LOOKUP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define LC_SLOTS 4096
#define LC_WAYS  8          /* entries per set; LC_SLOTS / LC_WAYS sets */

/* Account by the accountId given in the path. */
bool lc_get_account(const char *ref, int64_t generation, pd_account *out);
void lc_put_account(const char *ref, int64_t generation, const pd_account *a);

/* Membership of user_id in account_id; user_version is that user's version. */
bool lc_get_membership(const char *account_id, const char *user_id, int64_t generation,
                       int64_t user_version, pd_membership *out);
void lc_put_membership(const char *account_id, const char *user_id, int64_t generation,
                       int64_t user_version, const pd_membership *m);

/* Drops every entry of this thread: after a write it put entries for was
 * rolled back after all (http/writeq.c), those versions may come again
 * with other memberships. */
void lc_forget(void);

#endif
