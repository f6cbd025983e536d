/*
 * token.c - HS256 JWT mint and verify for profiled access tokens.
 * Decoded parts live in fixed stack buffers bounded by LIM_TOKEN_MAX; the
 * header and payload are decoded with jansson (duplicates rejected).
 */
#include "auth/token.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/strutil.h"

#define HS256_BYTES crypto_auth_hmacsha256_BYTES

typedef struct { token_keyring *kr; bool oom; } load_ctx;

/* One process-wide counter: every filled ring gets its own gen. */
static _Atomic uint64_t g_ring_gen;

int token_keyring_add(token_keyring *kr, const char *kid, const unsigned char secret[TOKEN_KEY_BYTES],
                      int64_t created)
{
    token_key k;

    if (str_copy(k.kid, sizeof(k.kid), kid) != 0)
        return -1;
    if (kr->n == kr->cap) {
        size_t cap = kr->cap ? kr->cap * 2 : 4;
        token_key *grown = calloc(cap, sizeof(*grown));
        if (grown == NULL)
            return -1;
        /* no realloc: the old block holds secrets and is wiped before it goes */
        if (kr->n > 0)
            memcpy(grown, kr->keys, kr->n * sizeof(*grown));
        if (kr->keys != NULL) {
            sodium_memzero(kr->keys, kr->cap * sizeof(*kr->keys));
            free(kr->keys);
        }
        kr->keys = grown;
        kr->cap = cap;
    }
    memcpy(k.secret, secret, TOKEN_KEY_BYTES);
    k.created = created;
    /* keep newest first whatever order the keys come in */
    size_t i = kr->n;
    while (i > 0 && kr->keys[i - 1].created < created) {
        kr->keys[i] = kr->keys[i - 1];
        i--;
    }
    kr->keys[i] = k;
    kr->n++;
    sodium_memzero(&k, sizeof(k));
    kr->gen = atomic_fetch_add(&g_ring_gen, 1) + 1;
    return 0;
}

void token_keyring_clear(token_keyring *kr)
{
    if (kr == NULL)
        return;
    if (kr->keys != NULL) {
        sodium_memzero(kr->keys, kr->cap * sizeof(*kr->keys));
        free(kr->keys);
    }
    memset(kr, 0, sizeof(*kr));
}

static int load_one(void *ctx, const void *row)
{
    load_ctx *lc = ctx;
    const pd_signing_key *k = row;

    if (strlen(k->kid) >= sizeof(((token_key *)0)->kid))
        return 0;                            /* skip an over-long kid */
    if (token_keyring_add(lc->kr, k->kid, k->secret, k->created) != 0) {
        lc->oom = true;
        return 1;                            /* stop: out of memory */
    }
    return 0;
}

static int newest_cb(void *ctx, const void *row)
{
    const pd_signing_key *k = row;
    int64_t *newest = ctx;

    if (k->created > *newest)
        *newest = k->created;
    return 0;
}

pd_err token_key_rotate(pd_store *s)
{
    unsigned char secret[TOKEN_KEY_BYTES];
    char kid[40];
    int64_t created = (int64_t)time(NULL), newest = 0;
    pd_err e;

    /* keys are ordered by creation time (seconds): a new key must be
     * strictly newer than every other, even when rotated within a second */
    e = s->ops->get_signing_keys(s, newest_cb, &newest);
    if (e != PD_OK)
        return e;
    if (created <= newest)
        created = newest + 1;
    randombytes_buf(secret, sizeof(secret));
    guid_new(kid, sizeof(kid));
    e = s->ops->add_signing_key(s, kid, secret, sizeof(secret), created);
    sodium_memzero(secret, sizeof(secret));
    return e;
}

pd_err token_keyring_load(pd_store *s, token_keyring *kr)
{
    load_ctx lc = { kr, false };
    pd_err e;

    memset(kr, 0, sizeof(*kr));
    e = s->ops->get_signing_keys(s, load_one, &lc);
    if (e == PD_OK && !lc.oom && kr->n == 0) {
        e = token_key_rotate(s);
        if (e == PD_OK)
            e = s->ops->get_signing_keys(s, load_one, &lc);
    }
    if (e == PD_OK && lc.oom)
        e = PD_ERR_INTERNAL;
    if (e != PD_OK)
        token_keyring_clear(kr);
    return e;
}

/* base64url(JSON) of obj into a new string. */
static char *encode_part(json_t *obj)
{
    char *js = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    char *out;

    if (js == NULL)
        return NULL;
    out = b64url_encode((const unsigned char *)js, strlen(js), NULL);
    free(js);
    return out;
}

char *token_mint(const token_keyring *kr, const token_claims *c)
{
    json_t *hdr = NULL, *pl = NULL;
    char *h64 = NULL, *p64 = NULL, *s64 = NULL, *out = NULL;
    unsigned char mac[HS256_BYTES];
    char jti[40];
    size_t hl, pl_len, sl, total;

    if (kr->n == 0)
        return NULL;
    guid_new(jti, sizeof(jti));
    hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "typ", "JWT", "kid", kr->keys[0].kid);
    pl = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
                   "iss", TOKEN_ISSUER, "aud", TOKEN_AUDIENCE, "scope", c->scope,
                   "jti", jti, "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp,
                   "cid", c->cid);
    if (hdr == NULL || pl == NULL)
        goto out;
    if (c->sub[0] != '\0' && json_object_set_new(pl, "sub", json_string(c->sub)) != 0)
        goto out;
    h64 = encode_part(hdr);
    p64 = encode_part(pl);
    if (h64 == NULL || p64 == NULL)
        goto out;
    hl = strlen(h64);
    pl_len = strlen(p64);
    total = hl + 1 + pl_len + 1 + 64;
    out = malloc(total);
    if (out == NULL)
        goto out;
    memcpy(out, h64, hl);
    out[hl] = '.';
    memcpy(out + hl + 1, p64, pl_len);
    crypto_auth_hmacsha256(mac, (const unsigned char *)out, hl + 1 + pl_len, kr->keys[0].secret);
    s64 = b64url_encode(mac, sizeof(mac), &sl);
    if (s64 == NULL || hl + 1 + pl_len + 1 + sl + 1 > total) {
        free(out);
        out = NULL;
        goto out;
    }
    out[hl + 1 + pl_len] = '.';
    memcpy(out + hl + 1 + pl_len + 1, s64, sl + 1);
out:
    json_decref(hdr);
    json_decref(pl);
    free(h64);
    free(p64);
    free(s64);
    return out;
}

/* Decodes one base64url part into a JSON object (NULL when not an object). */
static json_t *decode_part(const char *p, size_t len)
{
    unsigned char buf[LIM_TOKEN_MAX];
    long n;

    if (len == 0 || b64_decoded_max(len) > sizeof(buf))
        return NULL;
    n = b64url_decode(p, len, buf);
    if (n <= 0)
        return NULL;
    json_t *j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static const token_key *find_key(const token_keyring *kr, const char *kid)
{
    for (size_t i = 0; i < kr->n; i++)
        if (strcmp(kr->keys[i].kid, kid) == 0)
            return &kr->keys[i];
    return NULL;
}

static int claim_str(json_t *pl, const char *name, char *dst, size_t cap, int required)
{
    json_t *v = json_object_get(pl, name);

    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

pd_err token_verify(const token_keyring *kr, const char *tok, size_t len,
                    int64_t now, token_claims *out)
{
    const char *dot1, *dot2;
    json_t *hdr = NULL, *pl = NULL, *v;
    const token_key *key;
    unsigned char mac[HS256_BYTES], sig[HS256_BYTES + 4];
    pd_err rc = PD_ERR_INVALID_TOKEN;
    char buf[64];

    memset(out, 0, sizeof(*out));
    if (len == 0 || len > LIM_TOKEN_MAX || memchr(tok, '\0', len) != NULL)
        return rc;
    dot1 = memchr(tok, '.', len);
    if (dot1 == NULL)
        return rc;
    dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok));
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - tok)) != NULL)
        return rc;

    hdr = decode_part(tok, (size_t)(dot1 - tok));
    if (hdr == NULL)
        goto out;
    /* Pinned algorithm: exactly HS256, nothing else ("none", RS256 ...). */
    v = json_object_get(hdr, "alg");
    if (!json_is_string(v) || strcmp(json_string_value(v), "HS256") != 0)
        goto out;
    v = json_object_get(hdr, "kid");
    if (!json_is_string(v) || (key = find_key(kr, json_string_value(v))) == NULL)
        goto out;

    size_t slen = len - (size_t)(dot2 + 1 - tok);
    if (slen == 0 || b64_decoded_max(slen) > sizeof(sig) ||
        b64url_decode(dot2 + 1, slen, sig) != HS256_BYTES)
        goto out;
    crypto_auth_hmacsha256(mac, (const unsigned char *)tok, (size_t)(dot2 - tok), key->secret);
    if (sodium_memcmp(mac, sig, HS256_BYTES) != 0)
        goto out;

    pl = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (pl == NULL)
        goto out;
    if (claim_str(pl, "iss", buf, sizeof(buf), 1) != 0 || strcmp(buf, TOKEN_ISSUER) != 0)
        goto out;
    if (claim_str(pl, "aud", buf, sizeof(buf), 1) != 0 || strcmp(buf, TOKEN_AUDIENCE) != 0)
        goto out;
    if (claim_str(pl, "sub", out->sub, sizeof(out->sub), 0) != 0 ||
        claim_str(pl, "cid", out->cid, sizeof(out->cid), 0) != 0 ||
        claim_str(pl, "scope", out->scope, sizeof(out->scope), 0) != 0)
        goto out;
    v = json_object_get(pl, "exp");
    if (!json_is_integer(v))
        goto out;
    out->exp = json_integer_value(v);
    v = json_object_get(pl, "iat");
    if (!json_is_integer(v))
        goto out;
    out->iat = json_integer_value(v);
    if (out->exp <= now || out->iat > now + LIM_TOKEN_LEEWAY_S || out->exp < out->iat)
        goto out;
    rc = PD_OK;
out:
    json_decref(hdr);
    json_decref(pl);
    if (rc != PD_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

int token_has_scope(const char *scopes, const char *want)
{
    size_t wl = strlen(want);
    const char *p = scopes;

    if (wl == 0)
        return 0;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == wl && memcmp(p, want, wl) == 0)
            return 1;
        p = e;
    }
    return 0;
}
