/*
 * token.h - profiled access tokens: compact JWS (JWT) signed with HS256,
 * algorithm pinned.
 *
 * A token carries the user (sub), the integration it was issued to (cid),
 * the scopes (scope, space separated), iat and exp.  Any node that holds the
 * signing keys validates a token without touching the database.  Keys live
 * in a keyring (several keys, each with a kid): the newest signs, all of
 * them verify, so a rotated-out key keeps working until its tokens expire.
 *
 * Memory: a token_keyring's key array is heap memory owned by the ring
 * (token_keyring_load / token_keyring_add allocate it, token_keyring_clear
 * wipes and frees it); the struct itself is its creator's.
 * token_mint returns malloc'd text; token_claims is filled in place (fixed
 * buffers, nothing to free).
 */
#ifndef PROFILED_TOKEN_H
#define PROFILED_TOKEN_H

#include <stdint.h>
#include <stddef.h>
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"

#define TOKEN_ISSUER   "profiled"
#define TOKEN_AUDIENCE "profiled"
#define TOKEN_SCOPE_MAX 256
#define TOKEN_KEY_BYTES 32

typedef struct {
    char kid[40];
    unsigned char secret[TOKEN_KEY_BYTES];
    int64_t created;
} token_key;

typedef struct {
    token_key *keys;                  /* newest first: keys[0] signs; every key verifies */
    size_t n, cap;
    uint64_t gen;                     /* differs between any two rings filled in this
                                         process: the verified-token memo keys on it,
                                         never on the ring's address (which the ring
                                         that replaces a freed one may reuse) */
} token_keyring;

typedef struct {
    char sub[LIM_ID_MAX + 1];          /* user id ("" for an application token) */
    char cid[LIM_ID_MAX + 1];          /* integration key / client id         */
    char scope[TOKEN_SCOPE_MAX];       /* space separated                     */
    int64_t iat, exp;
} token_claims;

/* Loads every key from the store (newest first, no cap: every key not
 * retired keeps verifying); creates one when there is none.  kr is
 * overwritten (not cleared first).  PD_OK, PD_ERR_STORE or PD_ERR_INTERNAL
 * (out of memory; the ring is then empty). */
pd_err token_keyring_load(pd_store *s, token_keyring *kr);
/* Adds one key in newest-first order and gives the ring a new gen.  0, or
 * -1 when kid is too long or memory runs out (the ring is unchanged). */
int token_keyring_add(token_keyring *kr, const char *kid, const unsigned char secret[TOKEN_KEY_BYTES],
                      int64_t created);
/* Wipes the secrets, frees the key array and zeroes the ring; safe on a
 * zeroed ring. */
void token_keyring_clear(token_keyring *kr);
/* Adds a new key to the store (it becomes the signing key). */
pd_err token_key_rotate(pd_store *s);

/* Signs claims with keys[0].  Returns malloc'd token or NULL. */
char *token_mint(const token_keyring *kr, const token_claims *c);

/* Verifies signature (constant-time), header alg == "HS256" exactly, known
 * kid, iss/aud, exp > now, iat <= now + leeway, size <= LIM_TOKEN_MAX.
 * PD_OK and *out filled, or PD_ERR_INVALID_TOKEN. */
pd_err token_verify(const token_keyring *kr, const char *tok, size_t len,
                    int64_t now, token_claims *out);

/* True when the space-separated list `scopes` contains `want`. */
int token_has_scope(const char *scopes, const char *want);

#endif
