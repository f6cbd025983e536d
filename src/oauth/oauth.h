/*
 * oauth.h - the pure building blocks of profiled's OAuth 2.0 server
 * (docs/oauth.md), shared by the handlers (oauth/token.c, oauth/authorize.c,
 * oauth/userinfo.c), the import and the CLI:
 *
 *   oauth/form.c     application/x-www-form-urlencoded parsing (strict,
 *                    bounded), Basic client credentials, scope lists, PKCE
 *   oauth/jwt.c      JWT-bearer assertions: RS256 only, GnuTLS verification
 *   oauth/session.c  random values, hashing, cookies, CSRF tokens, throttling
 *   oauth/pages.c    the HTML sign-in, consent and error pages
 *
 * Nothing here does I/O or touches the store.
 *
 * Memory: an oauth_form owns one buffer holding every decoded name and
 * value (oauth_form_free); functions filling caller buffers say so; HTML
 * pages are returned malloc'd (caller frees).
 */
#ifndef PROFILED_OAUTH_H
#define PROFILED_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/html.h"
#include "core/urlform.h"
#include "core/limits.h"
#include "store/store.h"
#include "auth/token.h"

/* ---- forms (oauth/form.c) ---- */

/* The form type and its results are core/urlform.h's. */
typedef url_field oauth_field;
typedef url_form oauth_form;
typedef url_form_result oauth_form_result;

/* Parses len bytes of "a=b&c=d": '+' is a space, %XX must be two hex
 * digits, decoded names and values may not hold C0 controls or DEL, names
 * are unique.  An empty body gives an empty form.  out is always safe to
 * free afterwards. */
oauth_form_result oauth_form_parse(const char *body, size_t len, oauth_form *out);
/* Adds one already-decoded pair (used for query arguments libmicrohttpd
 * decoded); same rules as the parser. */
oauth_form_result oauth_form_add(oauth_form *f, const char *name, const char *value);
/* The value of name, or NULL when absent. */
const char *oauth_form_get(const oauth_form *f, const char *name);
void oauth_form_free(oauth_form *f);

/* "Basic base64(id:secret)": splits into id/secret (caller buffers).
 * 0 on success, -1 when malformed or too long. */
int oauth_basic_parse(const char *header, char *id, size_t idcap, char *secret, size_t seccap);

/* Scopes: space-separated scope-tokens (RFC 6749 §3.3). */
bool oauth_scope_list_valid(const char *scopes);            /* non-empty, tokens well-formed */
bool oauth_scope_subset(const char *want, const char *have); /* every token of want is in have */
/* Normalises "a  b a" to "a b" (order kept, duplicates dropped) into out.
 * 0 on success, -1 if invalid or too long. */
int oauth_scope_normalise(const char *in, char *out, size_t cap);

/* PKCE S256: BASE64URL(SHA-256(verifier)) == challenge, constant time;
 * the verifier must be 43-128 unreserved characters (RFC 7636 §4.1). */
bool oauth_pkce_s256_ok(const char *verifier, const char *challenge);
/* A code_challenge is 43 base64url characters (SHA-256). */
bool oauth_pkce_challenge_valid(const char *challenge);

/* A registrable redirect URI: absolute, https (or http on a loopback host:
 * 127.0.0.1, [::1], localhost), no fragment, no userinfo, at most
 * LIM_OAUTH_REDIRECT_URI_MAX bytes of printable ASCII.  On success and
 * when origin != NULL, writes "scheme://host[:port]" (for CSP). */
bool oauth_redirect_uri_valid(const char *uri, char *origin, size_t origin_cap);

/* An integration key: 1..LIM_ID_MAX of [A-Za-z0-9._-]. */
bool oauth_client_id_valid(const char *id);

/* ---- JWT-bearer assertions (oauth/jwt.c) ---- */

typedef enum {
    JWT_OK = 0,
    JWT_MALFORMED,       /* not three base64url parts of JSON objects, claims of wrong types */
    JWT_BAD_ALG,         /* header alg other than exactly "RS256", or "crit" present */
    JWT_BAD_SIGNATURE,   /* no registered key verifies it */
    JWT_NO_KEYS,         /* none of the registered keys is a usable RSA key */
    JWT_BAD_AUDIENCE,
    JWT_EXPIRED,
    JWT_TOO_LONG,        /* exp more than LIM_OAUTH_ASSERTION_LIFETIME_S after iat */
    JWT_NOT_YET_VALID    /* iat (or nbf) in the future beyond the leeway */
} oauth_jwt_result;

typedef struct {
    char iss[LIM_ID_MAX + 1];
    char sub[LIM_ID_MAX + 1];        /* "" when absent (application token) */
    char aud[256];
    char scope[TOKEN_SCOPE_MAX];     /* "" when absent */
    int64_t iat, exp, nbf;           /* nbf 0 when absent */
} oauth_assertion;

/* Step 1, no cryptography: splits the compact JWS, requires the header alg
 * to be exactly "RS256" (anything else - "none", "HS256", "RS512", ... - is
 * JWT_BAD_ALG before any signature work), decodes the claims: iss (string,
 * required), sub (string, optional), aud (string, or an array of exactly
 * one string), scope (string, optional), iat and exp (integers, required),
 * nbf (integer, optional). */
oauth_jwt_result oauth_jwt_parse(const char *jwt, size_t len, oauth_assertion *out);
/* Step 2: RSASSA-PKCS1-v1_5 SHA-256 over "header.payload" against each PEM
 * key in turn (GnuTLS, GNUTLS_SIGN_RSA_SHA256).  Keys that are not RSA or
 * shorter than LIM_OAUTH_RSA_BITS_MIN are skipped. */
oauth_jwt_result oauth_jwt_verify(const char *jwt, size_t len, const char *const *pems, size_t n);
/* Step 3: aud is one of auds (exact, ASCII case-insensitive host), exp > now,
 * iat <= now + leeway, nbf <= now + leeway, exp - iat <= lifetime limit. */
oauth_jwt_result oauth_jwt_check_claims(const oauth_assertion *a, const char *const *auds,
                                        size_t n_auds, int64_t now);
const char *oauth_jwt_result_text(oauth_jwt_result r);
/* Validates a PEM public key for registration: RSA, >= LIM_OAUTH_RSA_BITS_MIN
 * bits.  0 or -1 with a reason in err. */
int oauth_pubkey_check(const char *pem, char *err, size_t errlen);

/* ---- sessions, cookies, CSRF, throttling (oauth/session.c) ---- */

#define OAUTH_RANDOM_CHARS 43       /* 32 random bytes, base64url */

/* 32 random bytes as base64url into out (>= OAUTH_RANDOM_CHARS + 1). */
void oauth_random(char *out, size_t cap);
/* BLAKE2b-256 of a secret value (codes, refresh tokens, session ids). */
void oauth_hash(const char *value, size_t len, unsigned char out[32]);
/* The value of cookie `name` in a Cookie header into out; 0 when found
 * (and it fits and is a cookie-octet string), -1 otherwise. */
int oauth_cookie_get(const char *header, const char *name, char *out, size_t cap);
/* "name=value; Path=/oauth; Max-Age=N; Secure; HttpOnly; SameSite=Lax"
 * (max_age 0 deletes).  0 or -1 when it does not fit. */
int oauth_cookie_header(char *out, size_t cap, const char *name, const char *value, int64_t max_age);
/* CSRF token bound to `binding` (a cookie value) for `purpose`, keyed with
 * a key derived from the signing key `secret`.  out >= OAUTH_RANDOM_CHARS+1. */
void oauth_csrf_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *purpose,
                     const char *binding, char *out, size_t cap);
/* True when presented matches the token of any key in the ring (keys
 * rotate), compared in constant time. */
bool oauth_csrf_check(const token_keyring *kr, const char *purpose, const char *binding,
                      const char *presented);

/* Throttle arithmetic over a stored pd_throttle. */
bool oauth_throttle_locked(const pd_throttle *t, int64_t now);
/* Counts one failure at now (a new window starts when the old one is over);
 * locks for lock_s when failures reach max.  Returns true when this failure
 * set the lock. */
bool oauth_throttle_fail(pd_throttle *t, int64_t now, int64_t window_s, int64_t max, int64_t lock_s);

/* ---- HTML (oauth/pages.c) ---- */

/* The parameters of an authorization request, echoed into forms. */
typedef struct {
    const char *response_type, *client_id, *redirect_uri, *scope, *state;
    const char *code_challenge, *code_challenge_method;
} oauth_authz_params;

/* The page buffer is core/html.h's (the one escaper, shared with pages/);
 * these are its OAuth-side spellings.  Pages are at most 64 KiB. */
typedef html_buf oauth_buf;
void oauth_buf_add(oauth_buf *b, const char *s);
void oauth_buf_add_escaped(oauth_buf *b, const char *s);

/* The Content-Security-Policy of a page; form_origin (may be NULL) is
 * allowed as a form-action target (the consent page's redirect). */
int oauth_page_csp(char *out, size_t cap, const char *form_origin);
char *oauth_page_error(const char *title, const char *message, size_t *len);
char *oauth_page_signin(const char *app_name, const oauth_authz_params *p, const char *csrf,
                        const char *email, const char *error, size_t *len);
char *oauth_page_consent(const char *app_name, const char *user_email,
                         const oauth_authz_params *p, const char *csrf, size_t *len);

#endif
