/*
 * session.c - random values, hashing of stored secrets, cookies, CSRF
 * tokens and sign-in throttling arithmetic (oauth.h).
 *
 * CSRF tokens are bound to a cookie value: token = base64url(BLAKE2b-256,
 * keyed with a key derived from a signing key, over purpose "\0" binding).
 * A form posted without the cookie, or with a token minted for another
 * cookie, fails; every key of the ring is tried so a key rotation between
 * page and post does not break forms.  Comparisons are constant time.
 *
 * Memory: callers own every buffer; derived keys are wiped after use.
 */
#include "oauth/oauth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/strutil.h"

static int b64url32(const unsigned char in[32], char *out, size_t cap)
{
    size_t n;
    char *enc = b64url_encode(in, 32, &n);
    int rc = -1;

    if (enc != NULL && n + 1 <= cap) {
        memcpy(out, enc, n + 1);
        rc = 0;
    }
    free(enc);
    return rc;
}

void oauth_random(char *out, size_t cap)
{
    unsigned char r[32];

    randombytes_buf(r, sizeof(r));
    if (b64url32(r, out, cap) != 0 && cap > 0)
        out[0] = '\0';
    sodium_memzero(r, sizeof(r));
}

void oauth_hash(const char *value, size_t len, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)value, len, NULL, 0);
}

static bool cookie_octet(unsigned char c)
{
    /* RFC 6265: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int oauth_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = header;

    if (header == NULL || nl == 0 || cap == 0)
        return -1;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = l - nl - 1;
            while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl == 0 || vl >= cap)
                return -1;
            for (size_t i = 0; i < vl; i++)
                if (!cookie_octet((unsigned char)v[i]))
                    return -1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return 0;
        }
        p += l;
    }
    return -1;
}

int oauth_cookie_header(char *out, size_t cap, const char *name, const char *value, int64_t max_age)
{
    int n = snprintf(out, cap, "%s=%s; Path=/oauth; Max-Age=%lld; Secure; HttpOnly; SameSite=Lax",
                     name, value, (long long)max_age);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static void csrf_raw(const unsigned char secret[TOKEN_KEY_BYTES], const char *purpose,
                     const char *binding, unsigned char mac[32])
{
    static const unsigned char label[] = "profiled oauth csrf v1";
    unsigned char key[32];
    crypto_generichash_state st;

    crypto_generichash(key, sizeof(key), label, sizeof(label) - 1, secret, TOKEN_KEY_BYTES);
    crypto_generichash_init(&st, key, sizeof(key), 32);
    crypto_generichash_update(&st, (const unsigned char *)purpose, strlen(purpose) + 1);
    crypto_generichash_update(&st, (const unsigned char *)binding, strlen(binding));
    crypto_generichash_final(&st, mac, 32);
    sodium_memzero(key, sizeof(key));
}

void oauth_csrf_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *purpose,
                     const char *binding, char *out, size_t cap)
{
    unsigned char mac[32];

    csrf_raw(secret, purpose, binding, mac);
    if (b64url32(mac, out, cap) != 0 && cap > 0)
        out[0] = '\0';
}

bool oauth_csrf_check(const token_keyring *kr, const char *purpose, const char *binding,
                      const char *presented)
{
    unsigned char got[32 + 4], mac[32];
    bool ok = false;

    if (presented == NULL || binding == NULL || binding[0] == '\0' ||
        strlen(presented) != OAUTH_RANDOM_CHARS ||
        b64url_decode(presented, OAUTH_RANDOM_CHARS, got) != 32)
        return false;
    for (size_t i = 0; i < kr->n; i++) {
        csrf_raw(kr->keys[i].secret, purpose, binding, mac);
        if (sodium_memcmp(mac, got, 32) == 0)
            ok = true;                         /* keep looping: same work either way */
    }
    sodium_memzero(mac, sizeof(mac));
    return ok;
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
