/*
 * websession.c - browser sessions for every HTML surface (websession.h):
 * random values, hashing, cookies, CSRF tokens, stored sign-in sessions.
 * Moved down from oauth/session.c so oauth/ and pages/ share one copy.
 *
 * Memory: callers own every buffer; derived keys are wiped after use.
 */
#include "auth/websession.h"

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

void web_random(char *out, size_t cap)
{
    unsigned char r[32];

    randombytes_buf(r, sizeof(r));
    if (b64url32(r, out, cap) != 0 && cap > 0)
        out[0] = '\0';
    sodium_memzero(r, sizeof(r));
}

void web_hash(const char *value, size_t len, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)value, len, NULL, 0);
}

static bool cookie_octet(unsigned char c)
{
    /* RFC 6265: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int web_cookie_get(const char *header, const char *name, char *out, size_t cap)
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

int web_cookie_header(char *out, size_t cap, const char *name, const char *value, const char *path,
                      int64_t max_age, const char *same_site)
{
    int n = snprintf(out, cap, "%s=%s; Path=%s; Max-Age=%lld; Secure; HttpOnly; SameSite=%s",
                     name, value, path, (long long)max_age, same_site);
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

void web_csrf_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *purpose,
                     const char *binding, char *out, size_t cap)
{
    unsigned char mac[32];

    csrf_raw(secret, purpose, binding, mac);
    if (b64url32(mac, out, cap) != 0 && cap > 0)
        out[0] = '\0';
}

bool web_csrf_check(const token_keyring *kr, const char *purpose, const char *binding,
                      const char *presented)
{
    unsigned char got[32 + 4], mac[32];
    bool ok = false;

    if (presented == NULL || binding == NULL || binding[0] == '\0' ||
        strlen(presented) != WEB_RANDOM_CHARS ||
        b64url_decode(presented, WEB_RANDOM_CHARS, got) != 32)
        return false;
    for (size_t i = 0; i < kr->n; i++) {
        csrf_raw(kr->keys[i].secret, purpose, binding, mac);
        if (sodium_memcmp(mac, got, 32) == 0)
            ok = true;                         /* keep looping: same work either way */
    }
    sodium_memzero(mac, sizeof(mac));
    return ok;
}

pd_err web_session_new(pd_store *s, const char *user_id, int64_t now, int64_t ttl_s,
                       char *sid, size_t cap)
{
    char family[40];
    pd_grant g;

    memset(&g, 0, sizeof(g));
    web_random(sid, cap);
    if (sid[0] == '\0')
        return PD_ERR_INTERNAL;
    guid_new(family, sizeof(family));
    web_hash(sid, strlen(sid), g.hash);
    g.kind = PD_GRANT_SESSION;
    g.family = family;
    g.user_id = (char *)user_id;
    g.expires = now + ttl_s;
    return s->ops->put_grant(s, &g) == PD_OK ? PD_OK : PD_ERR_STORE;
}

pd_err web_session_user(pd_store *s, const char *sid, int64_t now, pd_user *u)
{
    unsigned char h[32];
    pd_grant g = {0};
    pd_err e;

    if (sid == NULL || strlen(sid) != WEB_RANDOM_CHARS)
        return PD_ERR_NOT_FOUND;
    web_hash(sid, strlen(sid), h);
    e = s->ops->get_grant(s, h, &g);
    if (e != PD_OK)
        return e;
    e = PD_ERR_NOT_FOUND;
    if (g.kind == PD_GRANT_SESSION && !g.revoked && g.expires > now) {
        pd_err ue = s->ops->get_user(s, g.user_id, u);
        if (ue == PD_OK && u->status != NULL && strcmp(u->status, "Active") == 0)
            e = PD_OK;
        else {
            pd_user_clear(u);
            e = ue == PD_ERR_STORE ? PD_ERR_STORE : PD_ERR_NOT_FOUND;
        }
    }
    pd_grant_clear(&g);
    return e;
}

pd_err web_session_end(pd_store *s, const char *sid)
{
    unsigned char h[32];
    pd_err e;

    if (sid == NULL || strlen(sid) != WEB_RANDOM_CHARS)
        return PD_OK;
    web_hash(sid, strlen(sid), h);
    e = s->ops->delete_grant(s, h);
    return e == PD_ERR_NOT_FOUND ? PD_OK : e;
}
