/*
 * websession.h - browser sessions shared by every HTML surface (the OAuth
 * sign-in and consent pages in oauth/, the profile pages in pages/):
 * random values, hashing of stored secrets, cookies, CSRF tokens bound to
 * a cookie, and sign-in sessions stored as grants (PD_GRANT_SESSION, by
 * the BLAKE2b-256 hash of the cookie value only).
 *
 * CSRF tokens: base64url(BLAKE2b-256 keyed with a key derived from a
 * signing key, over purpose "\0" binding).  Every key of the ring is tried,
 * so a key rotation between page and post does not break forms.
 *
 * Memory: callers own every buffer; sessions fill a pd_user (release with
 * pd_user_clear).
 */
#ifndef PROFILED_AUTH_WEBSESSION_H
#define PROFILED_AUTH_WEBSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/token.h"
#include "store/store.h"

#define WEB_RANDOM_CHARS 43       /* 32 random bytes, base64url */

/* 32 random bytes as base64url into out (>= WEB_RANDOM_CHARS + 1). */
void web_random(char *out, size_t cap);
/* BLAKE2b-256 of a secret value (codes, refresh tokens, session ids). */
void web_hash(const char *value, size_t len, unsigned char out[32]);
/* The value of cookie `name` in a Cookie header into out; 0 when found
 * (and it fits and is a cookie-octet string), -1 otherwise. */
int web_cookie_get(const char *header, const char *name, char *out, size_t cap);
/* "name=value; Path=PATH; Max-Age=N; Secure; HttpOnly; SameSite=SS"
 * (max_age 0 deletes).  0 or -1 when it does not fit. */
int web_cookie_header(char *out, size_t cap, const char *name, const char *value, const char *path,
                      int64_t max_age, const char *same_site);
/* CSRF token bound to `binding` for `purpose` (out >= WEB_RANDOM_CHARS + 1). */
void web_csrf_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *purpose,
                   const char *binding, char *out, size_t cap);
/* True when presented matches the token of any key in the ring, compared
 * in constant time. */
bool web_csrf_check(const token_keyring *kr, const char *purpose, const char *binding,
                    const char *presented);

/* A new sign-in session for user_id until now + ttl_s: a random value in
 * sid (>= WEB_RANDOM_CHARS + 1), stored hashed.  PD_OK or PD_ERR_STORE. */
pd_err web_session_new(pd_store *s, const char *user_id, int64_t now, int64_t ttl_s,
                       char *sid, size_t cap);
/* The Active user of session value sid (not revoked, not expired): PD_OK
 * with *u filled, PD_ERR_NOT_FOUND, or PD_ERR_STORE. */
pd_err web_session_user(pd_store *s, const char *sid, int64_t now, pd_user *u);
/* Ends the session of value sid (sign-out); PD_OK also when there is none. */
pd_err web_session_end(pd_store *s, const char *sid);

#endif
