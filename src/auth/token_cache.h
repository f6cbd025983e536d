/*
 * token_cache.h - per-thread memo of verified access tokens.
 *
 * Clients reuse one token for up to an hour; verifying it again (HMAC, two
 * JSON decodes) on every request is wasted work.  A hit requires the exact
 * same token text and is re-checked against the expiry, so a cached token
 * stops working the second it expires.  Entries hold copies; each thread's
 * table is freed when the thread exits.  Bounded: TC_SLOTS per thread, in
 * sets of TC_WAYS (the least recently used way of a full set is replaced),
 * so a thousand clients' tokens stay verified (one-way slots lost about a
 * third of them to collisions).
 */
#ifndef PROFILED_TOKEN_CACHE_H
#define PROFILED_TOKEN_CACHE_H

#include "auth/token.h"

#define TC_SLOTS 4096
#define TC_WAYS  8

/* token_verify() through the cache. Same contract. */
pd_err token_verify_cached(const token_keyring *kr, const char *tok, size_t len,
                           int64_t now, token_claims *out);

#endif
