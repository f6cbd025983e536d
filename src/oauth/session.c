/*
 * session.c - the OAuth spellings of the browser-session helpers (random
 * values, hashing, cookies under Path=/oauth, CSRF tokens), which live in
 * auth/websession.c for every HTML surface, and the sign-in throttling
 * arithmetic (oauth.h).
 *
 * Memory: callers own every buffer.
 */
#include "oauth/oauth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/websession.h"
#include "core/strutil.h"

void oauth_random(char *out, size_t cap)
{
    web_random(out, cap);
}

void oauth_hash(const char *value, size_t len, unsigned char out[32])
{
    web_hash(value, len, out);
}

int oauth_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
    return web_cookie_get(header, name, out, cap);
}

int oauth_cookie_header(char *out, size_t cap, const char *name, const char *value, int64_t max_age)
{
    return web_cookie_header(out, cap, name, value, "/oauth", max_age, "Lax");
}

void oauth_csrf_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *purpose,
                     const char *binding, char *out, size_t cap)
{
    web_csrf_make(secret, purpose, binding, out, cap);
}

bool oauth_csrf_check(const token_keyring *kr, const char *purpose, const char *binding,
                      const char *presented)
{
    return web_csrf_check(kr, purpose, binding, presented);
}

bool oauth_throttle_locked(const pd_throttle *t, int64_t now)
{
    return t->locked_until > now;
}

bool oauth_throttle_fail(pd_throttle *t, int64_t now, int64_t window_s, int64_t max, int64_t lock_s)
{
    if (t->window_start == 0 || t->window_start + window_s <= now || t->window_start > now) {
        t->window_start = now;
        t->failures = 0;
    }
    t->failures++;
    if (t->failures >= max && !oauth_throttle_locked(t, now)) {
        t->locked_until = now + lock_s;
        t->failures = 0;                       /* a new count after the lock */
        t->window_start = now + lock_s;
        return true;
    }
    return false;
}
