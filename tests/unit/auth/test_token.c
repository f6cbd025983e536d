/*
 * test_token.c - unit tests for src/auth/token.c: HS256 JWT mint/verify with the
 * algorithm pinned, claim checks (iss, aud, exp, iat leeway), structural and
 * encoding attacks, key rotation, keyring loading from a fake store, and
 * token_has_scope.
 *
 * Tokens are crafted by hand with b64url_encode and libsodium's
 * crypto_auth_hmacsha256 so that every rejection below is a rejection of a
 * correctly signed token unless the case is about the signature itself.
 *
 * Memory: every crafted or minted token is malloc'd and freed by the test
 * that made it; keyrings are plain structs on the stack or static.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>

#include "core/b64.h"
#include "core/limits.h"
#include "store/store.h"
#include "auth/token.h"
#include "auth/token_cache.h"
#include "core/metrics.h"

#define NOW ((int64_t)1700000000)

static token_keyring RING;                  /* keys[0] "k-new", keys[1] "k-old" */
static token_key RING_KEYS[2];              /* RING's key array (hand-built ring) */
static unsigned char FOREIGN[TOKEN_KEY_BYTES];

static void fill_key(token_key *k, const char *kid, unsigned char byte, int64_t created)
{
    memset(k, 0, sizeof(*k));
    assert_int_equal(snprintf(k->kid, sizeof(k->kid), "%s", kid), (int)strlen(kid));
    memset(k->secret, byte, sizeof(k->secret));
    k->secret[0] = (unsigned char)(byte ^ 0x5a);
    k->created = created;
}

static int group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    memset(&RING, 0, sizeof(RING));
    RING.keys = RING_KEYS;
    RING.cap = 2;
    RING.gen = 1;
    fill_key(&RING.keys[0], "k-new", 0x11, NOW - 10);
    fill_key(&RING.keys[1], "k-old", 0x22, NOW - 1000);
    RING.n = 2;
    memset(FOREIGN, 0x33, sizeof(FOREIGN));
    return 0;
}

/* ---- crafting helpers ---- */

/* Replaces "$IAT" and "$EXP" in tmpl with NOW + offsets; malloc'd. */
static char *subst(const char *tmpl, int64_t iat_off, int64_t exp_off)
{
    size_t cap = strlen(tmpl) + 64, o = 0;
    char *out = malloc(cap);
    const char *p = tmpl;

    assert_non_null(out);
    while (*p) {
        int64_t v;
        if (strncmp(p, "$IAT", 4) == 0)
            v = NOW + iat_off;
        else if (strncmp(p, "$EXP", 4) == 0)
            v = NOW + exp_off;
        else {
            assert_true(o + 1 < cap);
            out[o++] = *p++;
            continue;
        }
        int n = snprintf(out + o, cap - o, "%lld", (long long)v);
        assert_true(n > 0 && (size_t)n < cap - o);
        o += (size_t)n;
        p += 4;
    }
    out[o] = '\0';
    return out;
}

static char *b64u(const void *p, size_t len)
{
    char *s = b64url_encode(p, len, NULL);
    assert_non_null(s);
    return s;
}

/* "b64(hdr).b64(pl).b64(HMAC(secret))", or with an empty signature when
 * secret is NULL.  malloc'd. */
static char *craft(const char *hdr, const char *pl, const unsigned char *secret)
{
    char *h = b64u(hdr, strlen(hdr)), *p = b64u(pl, strlen(pl));
    size_t cap = strlen(h) + strlen(p) + 2 + 64;
    char *out = malloc(cap);
    int n;

    assert_non_null(out);
    n = snprintf(out, cap, "%s.%s.", h, p);
    assert_true(n > 0 && (size_t)n < cap);
    if (secret != NULL) {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256(mac, (const unsigned char *)out, (size_t)n - 1, secret);
        char *s = b64u(mac, sizeof(mac));
        assert_true((size_t)n + strlen(s) < cap);
        memcpy(out + n, s, strlen(s) + 1);
        free(s);
    }
    free(h);
    free(p);
    return out;
}

static pd_err verify_str(const token_keyring *kr, const char *tok, token_claims *out)
{
    return token_verify(kr, tok, strlen(tok), NOW, out);
}

static token_claims std_claims(void)
{
    token_claims c;
    memset(&c, 0, sizeof(c));
    snprintf(c.sub, sizeof(c.sub), "%s", "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11");
    snprintf(c.cid, sizeof(c.cid), "%s", "client-1");
    snprintf(c.scope, sizeof(c.scope), "%s", "signature impersonation");
    c.iat = NOW - 5;
    c.exp = NOW + 3600;
    return c;
}

/* Index of the n-th '.' (n = 1 or 2) in tok. */
static size_t dot_at(const char *tok, int n)
{
    const char *p = tok;
    for (int i = 0; i < n; i++) {
        p = strchr(i ? p + 1 : p, '.');
        assert_non_null(p);
    }
    return (size_t)(p - tok);
}

/* ---- round trip ---- */

static void test_round_trip(void **state)
{
    (void)state;
    static const struct { const char *name; const char *sub; const char *cid; const char *scope; int64_t iat, exp; } rows[] = {
        { "user token",        "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11", "client-1", "signature impersonation", NOW - 5, NOW + 3600 },
        { "application token", "",                                     "client-2", "user_read",               NOW,     NOW + 1 },
        { "empty scope",       "u",                                     "",         "",                        NOW - 100, NOW + 100 },
        { "iat in leeway",     "u",                                     "c",        "signature",               NOW + LIM_TOKEN_LEEWAY_S, NOW + 7200 },
        { "64-char sub",       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "c", "signature", NOW, NOW + 60 },
        { "unicode/escapes",   "us\"er\\1", "cl\xc3\xa9nt", "a b\tc", NOW, NOW + 60 },
        { "large exp",         "u",                                     "c",        "signature",               NOW, (int64_t)1 << 40 },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        token_claims c, out;
        memset(&c, 0, sizeof(c));
        assert_int_equal(snprintf(c.sub, sizeof(c.sub), "%s", rows[i].sub), (int)strlen(rows[i].sub));
        snprintf(c.cid, sizeof(c.cid), "%s", rows[i].cid);
        snprintf(c.scope, sizeof(c.scope), "%s", rows[i].scope);
        c.iat = rows[i].iat;
        c.exp = rows[i].exp;

        char *tok = token_mint(&RING, &c);
        if (tok == NULL) {
            print_error("%s: token_mint returned NULL\n", rows[i].name);
            failures++;
            continue;
        }
        memset(&out, 0x7f, sizeof(out));
        pd_err e = verify_str(&RING, tok, &out);
        if (e != PD_OK || strcmp(out.sub, c.sub) != 0 || strcmp(out.cid, c.cid) != 0 ||
            strcmp(out.scope, c.scope) != 0 || out.iat != c.iat || out.exp != c.exp) {
            print_error("%s: verify=%d sub='%s' cid='%s' scope='%s' iat=%lld exp=%lld\n",
                        rows[i].name, e, out.sub, out.cid, out.scope, (long long)out.iat, (long long)out.exp);
            failures++;
        }
        /* The minted text is base64url in three parts, no padding, no NUL. */
        assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), strlen(tok));
        free(tok);
    }
    assert_int_equal(failures, 0);
}

/* The minted header pins HS256 with the signing kid; the payload carries
 * iss/aud and no sub for an application token. */
static void test_mint_shape(void **state)
{
    (void)state;
    token_claims c = std_claims();
    c.sub[0] = '\0';
    char *tok = token_mint(&RING, &c);
    assert_non_null(tok);

    size_t d1 = dot_at(tok, 1), d2 = dot_at(tok, 2);
    unsigned char buf[LIM_TOKEN_MAX];
    long n = b64url_decode(tok, d1, buf);
    assert_true(n > 0);
    json_t *h = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(h);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "k-new");
    json_decref(h);

    n = b64url_decode(tok + d1 + 1, d2 - d1 - 1, buf);
    assert_true(n > 0);
    json_t *p = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "iss")), TOKEN_ISSUER);
    assert_string_equal(json_string_value(json_object_get(p, "aud")), TOKEN_AUDIENCE);
    assert_null(json_object_get(p, "sub"));
    assert_int_equal(json_integer_value(json_object_get(p, "exp")), NOW + 3600);
    json_decref(p);

    /* 32-byte HMAC -> 43 base64url symbols */
    assert_int_equal(strlen(tok + d2 + 1), 43);
    free(tok);
}

/* ---- crafted tokens, correctly signed unless the row says otherwise ---- */

enum { K_NEW, K_OLD, K_FOREIGN, K_NONE };

typedef struct {
    const char *name;
    const char *hdr;
    const char *pl;
    int key;
    int64_t iat_off, exp_off;
    pd_err want;
    const char *want_sub;       /* checked when want == PD_OK */
} craft_row;

#define H_NEW "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k-new\"}"
#define H_OLD "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k-old\"}"
#define PL_STD "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"sub\":\"user-1\",\"cid\":\"c1\",\"scope\":\"signature\",\"iat\":$IAT,\"exp\":$EXP}"
#define PL_WITH(extra) "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"cid\":\"c1\",\"iat\":$IAT,\"exp\":$EXP," extra "}"
#define BAD PD_ERR_INVALID_TOKEN

static const craft_row CRAFT[] = {
    /* baselines: prove the crafting is right, so the rejections mean something */
    { "baseline k-new",           H_NEW, PL_STD, K_NEW, -5, 3600, PD_OK, "user-1" },
    { "baseline k-old",           H_OLD, PL_STD, K_OLD, -5, 3600, PD_OK, "user-1" },
    { "header with spaces, extra fields", "{ \"typ\" : \"JWT\" , \"kid\":\"k-new\", \"alg\" : \"HS256\", \"x\":[1,{}] }",
                                  PL_STD, K_NEW, -5, 3600, PD_OK, "user-1" },
    { "no sub (application)",     H_NEW, PL_WITH("\"scope\":\"x\""), K_NEW, -5, 3600, PD_OK, "" },
    { "64-char sub",              H_NEW, PL_WITH("\"sub\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""), K_NEW, 0, 10, PD_OK,
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
    /* time */
    { "exp == now",               H_NEW, PL_STD, K_NEW, -3600, 0, BAD, NULL },
    { "exp == now + 1",           H_NEW, PL_STD, K_NEW, -3600, 1, PD_OK, "user-1" },
    { "exp < now",                H_NEW, PL_STD, K_NEW, -3600, -1, BAD, NULL },
    { "long expired",             H_NEW, PL_STD, K_NEW, -90000, -86400, BAD, NULL },
    { "iat == now + leeway",      H_NEW, PL_STD, K_NEW, LIM_TOKEN_LEEWAY_S, 3600, PD_OK, "user-1" },
    { "iat == now + leeway + 1",  H_NEW, PL_STD, K_NEW, LIM_TOKEN_LEEWAY_S + 1, 3600, BAD, NULL },
    { "iat far future",           H_NEW, PL_STD, K_NEW, 86400, 90000, BAD, NULL },
    { "exp < iat",                H_NEW, PL_STD, K_NEW, 30, 10, BAD, NULL },
    { "exp missing",              H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT}", K_NEW, 0, 0, BAD, NULL },
    { "iat missing",              H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"sub\":\"u\",\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "exp as string",            H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"iat\":$IAT,\"exp\":\"$EXP\"}", K_NEW, 0, 3600, BAD, NULL },
    { "exp as real",              H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"iat\":$IAT,\"exp\":$EXP.0}", K_NEW, 0, 3600, BAD, NULL },
    { "exp null",                 H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"iat\":$IAT,\"exp\":null}", K_NEW, 0, 3600, BAD, NULL },
    /* pinned algorithm */
    { "alg none, empty sig",      "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NONE, 0, 3600, BAD, NULL },
    { "alg none, no kid, empty sig", "{\"alg\":\"none\"}", PL_STD, K_NONE, 0, 3600, BAD, NULL },
    { "alg none, HMAC sig",       "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg RS256 (HMAC'd with the secret)", "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg HS512",                "{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg HS384",                "{\"alg\":\"HS384\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg hs256 (case)",         "{\"alg\":\"hs256\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg 'HS256 '",             "{\"alg\":\"HS256 \",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg 'HS256\\u0000'",       "{\"alg\":\"HS256\\u0000x\",\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg missing",              "{\"typ\":\"JWT\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg number",               "{\"alg\":256,\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "alg array",                "{\"alg\":[\"HS256\"],\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "header duplicate alg",     "{\"alg\":\"none\",\"alg\":\"HS256\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "header duplicate kid",     "{\"alg\":\"HS256\",\"kid\":\"k-old\",\"kid\":\"k-new\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "header empty object",      "{}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "header is an array",       "[\"HS256\"]", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "header not JSON",          "HS256", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    /* keys */
    { "unknown kid",              "{\"alg\":\"HS256\",\"kid\":\"k-gone\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "kid missing",              "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "kid empty",                "{\"alg\":\"HS256\",\"kid\":\"\"}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "kid number",               "{\"alg\":\"HS256\",\"kid\":1}", PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "kid k-old, signed by k-new", H_OLD, PL_STD, K_NEW, 0, 3600, BAD, NULL },
    { "kid k-new, signed by k-old", H_NEW, PL_STD, K_OLD, 0, 3600, BAD, NULL },
    { "foreign secret",           H_NEW, PL_STD, K_FOREIGN, 0, 3600, BAD, NULL },
    { "valid header, empty sig",  H_NEW, PL_STD, K_NONE, 0, 3600, BAD, NULL },
    /* iss / aud */
    { "wrong iss",                H_NEW, "{\"iss\":\"evil\",\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "iss prefix",               H_NEW, "{\"iss\":\"profiledX\",\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "iss case",                 H_NEW, "{\"iss\":\"Profiled\",\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "iss missing",              H_NEW, "{\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "iss number",               H_NEW, "{\"iss\":1,\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "wrong aud",                H_NEW, "{\"iss\":\"profiled\",\"aud\":\"account-d.docusign.com\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "aud empty",                H_NEW, "{\"iss\":\"profiled\",\"aud\":\"\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "aud missing",              H_NEW, "{\"iss\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    /* payload shape */
    { "duplicate sub",            H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"sub\":\"user-1\",\"iat\":$IAT,\"exp\":$EXP,\"sub\":\"admin\"}", K_NEW, 0, 3600, BAD, NULL },
    { "duplicate exp",            H_NEW, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"sub\":\"u\",\"iat\":$IAT,\"exp\":1,\"exp\":$EXP}", K_NEW, 0, 3600, BAD, NULL },
    { "duplicate scope",          H_NEW, PL_WITH("\"scope\":\"x\",\"scope\":\"signature\""), K_NEW, 0, 3600, BAD, NULL },
    { "payload is an array",      H_NEW, "[\"profiled\"]", K_NEW, 0, 3600, BAD, NULL },
    { "payload is a string",      H_NEW, "\"x\"", K_NEW, 0, 3600, BAD, NULL },
    { "payload trailing garbage", H_NEW, PL_STD " x", K_NEW, 0, 3600, BAD, NULL },
    { "payload truncated JSON",   H_NEW, "{\"iss\":\"profiled\",\"aud\":", K_NEW, 0, 3600, BAD, NULL },
    { "65-char sub",              H_NEW, PL_WITH("\"sub\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""), K_NEW, 0, 10, BAD, NULL },
    { "sub number",               H_NEW, PL_WITH("\"sub\":42"), K_NEW, 0, 3600, BAD, NULL },
    { "sub null",                 H_NEW, PL_WITH("\"sub\":null"), K_NEW, 0, 3600, BAD, NULL },
    { "scope array",              H_NEW, PL_WITH("\"scope\":[\"signature\"]"), K_NEW, 0, 3600, BAD, NULL },
};

static const unsigned char *row_secret(int key)
{
    switch (key) {
    case K_NEW: return RING.keys[0].secret;
    case K_OLD: return RING.keys[1].secret;
    case K_FOREIGN: return FOREIGN;
    default: return NULL;
    }
}

static void test_crafted(void **state)
{
    (void)state;
    int failures = 0;

    for (size_t i = 0; i < sizeof(CRAFT) / sizeof(CRAFT[0]); i++) {
        const craft_row *r = &CRAFT[i];
        char *pl = subst(r->pl, r->iat_off, r->exp_off);
        char *tok = craft(r->hdr, pl, row_secret(r->key));
        token_claims out;

        memset(&out, 'Z', sizeof(out));
        pd_err e = verify_str(&RING, tok, &out);
        if (e != r->want) {
            print_error("%s: verify returned %d, want %d\n", r->name, e, r->want);
            failures++;
        } else if (e == PD_OK && strcmp(out.sub, r->want_sub) != 0) {
            print_error("%s: sub '%s', want '%s'\n", r->name, out.sub, r->want_sub);
            failures++;
        } else if (e != PD_OK && (out.sub[0] || out.cid[0] || out.scope[0] || out.exp || out.iat)) {
            print_error("%s: claims not cleared on failure\n", r->name);
            failures++;
        }
        free(tok);
        free(pl);
    }
    assert_int_equal(failures, 0);
}

/* ---- mutations of a good minted token ---- */

static char *mint_std(void)
{
    token_claims c = std_claims();
    char *tok = token_mint(&RING, &c);
    assert_non_null(tok);
    return tok;
}

static void expect_bad_n(const char *what, const char *tok, size_t len, int *failures)
{
    token_claims out;
    pd_err e = token_verify(&RING, tok, len, NOW, &out);
    if (e != PD_ERR_INVALID_TOKEN) {
        print_error("%s: verify returned %d, want INVALID_TOKEN\n", what, e);
        (*failures)++;
    }
}

static void expect_bad(const char *what, const char *tok, int *failures)
{
    expect_bad_n(what, tok, strlen(tok), failures);
}

static void test_tampered_payload(void **state)
{
    (void)state;
    char *tok = mint_std();
    size_t d1 = dot_at(tok, 1), d2 = dot_at(tok, 2);
    unsigned char buf[LIM_TOKEN_MAX];
    int failures = 0;

    /* decode the payload, change sub, re-encode, keep header and signature */
    long n = b64url_decode(tok + d1 + 1, d2 - d1 - 1, buf);
    assert_true(n > 0);
    json_t *pl = json_loadb((const char *)buf, (size_t)n, 0, NULL);
    assert_non_null(pl);
    static const char *subs[] = { "admin", "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a12", "" };
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        json_object_set_new(pl, "sub", json_string(subs[i]));
        char *js = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS);
        char *p64 = b64u(js, strlen(js));
        size_t cap = strlen(tok) + strlen(p64) + 8;
        char *forged = malloc(cap);
        assert_non_null(forged);
        snprintf(forged, cap, "%.*s.%s%s", (int)d1, tok, p64, tok + d2);
        expect_bad(subs[i], forged, &failures);
        free(forged);
        free(p64);
        free(js);
    }
    /* scope escalation and exp extension */
    json_object_set_new(pl, "sub", json_string("0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11"));
    json_object_set_new(pl, "exp", json_integer(NOW + 999999));
    {
        char *js = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS);
        char *p64 = b64u(js, strlen(js));
        size_t cap = strlen(tok) + strlen(p64) + 8;
        char *forged = malloc(cap);
        assert_non_null(forged);
        snprintf(forged, cap, "%.*s.%s%s", (int)d1, tok, p64, tok + d2);
        expect_bad("exp extended", forged, &failures);
        free(forged);
        free(p64);
        free(js);
    }
    json_decref(pl);

    /* header swapped for one naming the other key, signature kept */
    {
        char *h64 = b64u(H_OLD, strlen(H_OLD));
        size_t cap = strlen(tok) + strlen(h64) + 8;
        char *forged = malloc(cap);
        assert_non_null(forged);
        snprintf(forged, cap, "%s%s", h64, tok + d1);
        expect_bad("header kid swapped", forged, &failures);
        free(forged);
        free(h64);
    }
    /* header and payload swapped */
    {
        size_t cap = strlen(tok) + 8;
        char *forged = malloc(cap);
        assert_non_null(forged);
        snprintf(forged, cap, "%.*s.%.*s%s", (int)(d2 - d1 - 1), tok + d1 + 1, (int)d1, tok, tok + d2);
        expect_bad("parts swapped", forged, &failures);
        free(forged);
    }
    free(tok);
    assert_int_equal(failures, 0);
}

static void test_signature_mutations(void **state)
{
    (void)state;
    char *tok = mint_std();
    size_t d2 = dot_at(tok, 2), tl = strlen(tok);
    unsigned char sig[64];
    char what[64];
    int failures = 0;

    assert_int_equal(b64url_decode(tok + d2 + 1, tl - d2 - 1, sig), 32);
    /* untouched: verifies */
    {
        token_claims out;
        assert_int_equal(verify_str(&RING, tok, &out), PD_OK);
    }
    /* every byte, one bit flipped */
    for (size_t i = 0; i < 32; i++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            unsigned char s2[32];
            memcpy(s2, sig, 32);
            s2[i] ^= (unsigned char)(1u << bit);
            char *s64 = b64u(s2, 32);
            char *forged = malloc(tl + 1);
            assert_non_null(forged);
            memcpy(forged, tok, d2 + 1);
            memcpy(forged + d2 + 1, s64, strlen(s64) + 1);
            snprintf(what, sizeof(what), "sig byte %zu bit %u", i, bit);
            expect_bad(what, forged, &failures);
            free(forged);
            free(s64);
        }
    }
    /* truncated signature: 1..43 symbols removed */
    for (size_t cut = 1; cut <= tl - d2 - 1; cut++) {
        snprintf(what, sizeof(what), "sig truncated by %zu", cut);
        expect_bad_n(what, tok, tl - cut, &failures);
    }
    /* extended signature */
    static const char *tails[] = { "A", "AA", "AAA", "AAAA", "AAAAAAAA", "=", "==", ".", " ", "\n" };
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        size_t cap = tl + 16;
        char *forged = malloc(cap);
        assert_non_null(forged);
        snprintf(forged, cap, "%s%s", tok, tails[i]);
        snprintf(what, sizeof(what), "sig + '%s'", tails[i]);
        expect_bad(what, forged, &failures);
        free(forged);
    }
    /* non-canonical last symbol: same 32 bytes, unused low bits set */
    {
        char *forged = strdup(tok);
        assert_non_null(forged);
        char *last = forged + tl - 1;
        const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *pos = strchr(alpha, *last);
        assert_non_null(pos);
        assert_int_equal((pos - alpha) & 3, 0);
        *last = alpha[(pos - alpha) | 1];
        expect_bad("non-canonical sig", forged, &failures);
        free(forged);
    }
    free(tok);
    assert_int_equal(failures, 0);
}

/* Characters outside base64url in each part, and structural damage. */
static void test_structure(void **state)
{
    (void)state;
    char *tok = mint_std();
    size_t d1 = dot_at(tok, 1), d2 = dot_at(tok, 2), tl = strlen(tok);
    static const char badc[] = { '+', '/', '=', ' ', '*', '\t', '\n', '\0', '%', '\\', (char)0xC3 };
    char what[80];
    int failures = 0;

    /* one symbol replaced in the header, the payload and the signature */
    const size_t where[] = { 1, d1 + 2, d2 + 2, tl - 1 };
    for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
        for (size_t c = 0; c < sizeof(badc); c++) {
            char *forged = malloc(tl + 1);
            assert_non_null(forged);
            memcpy(forged, tok, tl + 1);
            forged[where[w]] = badc[c];
            snprintf(what, sizeof(what), "byte 0x%02x at %zu", (unsigned char)badc[c], where[w]);
            expect_bad_n(what, forged, tl, &failures);
            free(forged);
        }
    }
    /* std-alphabet signature ("-" -> "+", "_" -> "/") where present */
    {
        char *forged = strdup(tok);
        int changed = 0;
        assert_non_null(forged);
        for (size_t i = d2 + 1; i < tl; i++) {
            if (forged[i] == '-') { forged[i] = '+'; changed = 1; }
            if (forged[i] == '_') { forged[i] = '/'; changed = 1; }
        }
        if (changed)
            expect_bad("std alphabet sig", forged, &failures);
        free(forged);
    }
    /* part counts and empty parts */
    {
        size_t cap = 2 * tl + 16;
        char *b = malloc(cap);
        assert_non_null(b);
        snprintf(b, cap, "%s.", tok);                         expect_bad("4 parts (trailing dot)", b, &failures);
        snprintf(b, cap, "%s.%s", tok, tok + d2 + 1);         expect_bad("4 parts", b, &failures);
        snprintf(b, cap, ".%s", tok);                         expect_bad("leading dot", b, &failures);
        snprintf(b, cap, "%.*s", (int)d2, tok);               expect_bad("2 parts", b, &failures);
        snprintf(b, cap, "%.*s", (int)d1, tok);               expect_bad("1 part", b, &failures);
        snprintf(b, cap, "%.*s%s", (int)d1, tok, tok + d2);   expect_bad("payload removed", b, &failures);
        snprintf(b, cap, "%s", tok + d1);                     expect_bad("header removed", b, &failures);
        snprintf(b, cap, " %s", tok);                         expect_bad("leading space", b, &failures);
        snprintf(b, cap, "%s\r\n", tok);                      expect_bad("trailing CRLF", b, &failures);
        snprintf(b, cap, "Bearer %s", tok);                   expect_bad("scheme included", b, &failures);
        free(b);
    }
    static const char *junk[] = { "", ".", "..", "...", "....", "abc", "a.b", "a.b.c", "a.b.c.d",
                                  "e30.e30.", "e30.e30.e30", "eyJhbGciOiJub25lIn0.e30." };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        expect_bad(junk[i], junk[i], &failures);
    /* len == 0 with a non-empty buffer */
    expect_bad_n("len 0", tok, 0, &failures);
    /* the verifier reads exactly len bytes: trailing bytes beyond len are ignored */
    {
        size_t cap = tl + 16;
        char *b = malloc(cap);
        assert_non_null(b);
        snprintf(b, cap, "%s.junk", tok);
        token_claims out;
        assert_int_equal(token_verify(&RING, b, tl, NOW, &out), PD_OK);
        free(b);
    }
    free(tok);
    assert_int_equal(failures, 0);
}

/* A correctly signed token of exactly LIM_TOKEN_MAX bytes verifies; one byte
 * more is refused; a huge buffer is refused without reading it all. */
static void test_size_limit(void **state)
{
    (void)state;
    char *hits[2] = { NULL, NULL };       /* [0]: len == MAX, [1]: len == MAX + 1 */
    char *pad = malloc(LIM_TOKEN_MAX);
    assert_non_null(pad);

    for (int sp = 0; sp < 3 && (hits[0] == NULL || hits[1] == NULL); sp++) {
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "{%*s\"alg\":\"HS256\",\"kid\":\"k-new\"}", sp, "");
        for (size_t p = 2800; p < 3200 && (hits[0] == NULL || hits[1] == NULL); p++) {
            memset(pad, 'x', p);
            pad[p] = '\0';
            size_t plcap = p + 256;
            char *tmpl = malloc(plcap);
            assert_non_null(tmpl);
            snprintf(tmpl, plcap, "{\"iss\":\"profiled\",\"aud\":\"profiled\",\"sub\":\"big\",\"iat\":$IAT,\"exp\":$EXP,\"pad\":\"%s\"}", pad);
            char *pl = subst(tmpl, 0, 3600);
            char *tok = craft(hdr, pl, RING.keys[0].secret);
            size_t tl = strlen(tok);
            if (tl == LIM_TOKEN_MAX && hits[0] == NULL)
                hits[0] = tok;
            else if (tl == LIM_TOKEN_MAX + 1 && hits[1] == NULL)
                hits[1] = tok;
            else
                free(tok);
            free(pl);
            free(tmpl);
        }
    }
    free(pad);
    assert_non_null(hits[0]);
    assert_non_null(hits[1]);

    token_claims out;
    assert_int_equal(verify_str(&RING, hits[0], &out), PD_OK);
    assert_string_equal(out.sub, "big");
    assert_int_equal(verify_str(&RING, hits[1], &out), PD_ERR_INVALID_TOKEN);
    free(hits[0]);
    free(hits[1]);

    size_t huge = 1u << 20;
    char *h = malloc(huge + 1);
    assert_non_null(h);
    memset(h, 'A', huge);
    h[100] = '.';
    h[200] = '.';
    h[huge] = '\0';
    assert_int_equal(token_verify(&RING, h, huge, NOW, &out), PD_ERR_INVALID_TOKEN);
    free(h);
}

/* ---- key rotation ---- */

static void test_key_rotation(void **state)
{
    (void)state;
    token_keyring old_only, both, new_only, empty;
    token_key old_only_k[1], new_only_k[1];
    token_claims c = std_claims(), out;

    memset(&old_only, 0, sizeof(old_only));
    memset(&empty, 0, sizeof(empty));
    old_only.keys = old_only_k;
    old_only.keys[0] = RING.keys[1];
    old_only.n = 1;
    both = RING;                                  /* {k-new, k-old} */
    memset(&new_only, 0, sizeof(new_only));
    new_only.keys = new_only_k;
    new_only.keys[0] = RING.keys[0];
    new_only.n = 1;

    char *t_old = token_mint(&old_only, &c);
    char *t_new = token_mint(&both, &c);
    assert_non_null(t_old);
    assert_non_null(t_new);

    /* the newest key signs */
    assert_int_equal(verify_str(&new_only, t_new, &out), PD_OK);
    /* a token from before the rotation still verifies while its key is in the ring */
    assert_int_equal(verify_str(&both, t_old, &out), PD_OK);
    assert_string_equal(out.sub, c.sub);
    assert_int_equal(verify_str(&old_only, t_old, &out), PD_OK);
    /* ... and not once the key is removed */
    assert_int_equal(verify_str(&new_only, t_old, &out), PD_ERR_INVALID_TOKEN);
    assert_int_equal(verify_str(&old_only, t_new, &out), PD_ERR_INVALID_TOKEN);
    /* the old key's position in the ring does not matter (deeper than the
     * 8 keys an earlier ring kept: every key not retired verifies) */
    {
        enum { DEEP = 40 };
        token_keyring deep;
        token_key deep_k[DEEP];
        memset(&deep, 0, sizeof(deep));
        deep.keys = deep_k;
        for (size_t i = 0; i < DEEP - 1; i++) {
            char kid[16];
            snprintf(kid, sizeof(kid), "filler-%zu", i);
            fill_key(&deep.keys[i], kid, (unsigned char)(0x40 + i), NOW - (int64_t)i);
        }
        deep.keys[DEEP - 1] = RING.keys[1];
        deep.n = DEEP;
        assert_int_equal(verify_str(&deep, t_old, &out), PD_OK);
    }
    /* same kid, new secret (key replaced under the same name): refused */
    {
        token_key same_kid_k[1] = { old_only.keys[0] };
        token_keyring same_kid = old_only;
        same_kid.keys = same_kid_k;
        same_kid.keys[0].secret[5] ^= 1;
        assert_int_equal(verify_str(&same_kid, t_old, &out), PD_ERR_INVALID_TOKEN);
    }
    /* empty ring: nothing mints, nothing verifies */
    assert_null(token_mint(&empty, &c));
    assert_int_equal(verify_str(&empty, t_new, &out), PD_ERR_INVALID_TOKEN);
    free(t_old);
    free(t_new);
}

/* ---- keyring loading through a fake store ---- */

#define FAKE_KEYS_MAX 64

typedef struct {
    pd_signing_key keys[FAKE_KEYS_MAX];
    char kids[FAKE_KEYS_MAX][64];
    size_t n;
    int fail_get;
    int added;
} fake_keys;

static fake_keys FK;

static pd_err fake_get(pd_store *s, pd_iter_fn fn, void *ctx)
{
    (void)s;
    if (FK.fail_get)
        return PD_ERR_STORE;
    for (size_t i = 0; i < FK.n; i++)
        if (fn(ctx, &FK.keys[i]) != 0)
            break;
    return PD_OK;
}

static pd_err fake_add(pd_store *s, const char *kid, const unsigned char *secret, size_t len, int64_t created)
{
    (void)s;
    if (FK.n >= FAKE_KEYS_MAX || len != 32)
        return PD_ERR_STORE;
    snprintf(FK.kids[FK.n], sizeof(FK.kids[FK.n]), "%s", kid);
    FK.keys[FK.n].kid = FK.kids[FK.n];
    memcpy(FK.keys[FK.n].secret, secret, 32);
    FK.keys[FK.n].created = created;
    FK.n++;
    FK.added++;
    return PD_OK;
}

static const pd_store_ops FAKE_OPS = {
    .name = "fake",
    .get_signing_keys = fake_get,
    .add_signing_key = fake_add,
};

static void fake_reset(void)
{
    memset(&FK, 0, sizeof(FK));
}

static void fake_push(const char *kid, int64_t created)
{
    snprintf(FK.kids[FK.n], sizeof(FK.kids[FK.n]), "%s", kid);
    FK.keys[FK.n].kid = FK.kids[FK.n];
    memset(FK.keys[FK.n].secret, (int)(created & 0xff), 32);
    FK.keys[FK.n].created = created;
    FK.n++;
}

static void test_keyring_load(void **state)
{
    (void)state;
    pd_store st = { &FAKE_OPS, NULL };
    token_keyring kr;

    /* any order in, newest first out */
    fake_reset();
    fake_push("b", 200);
    fake_push("d", 400);
    fake_push("a", 100);
    fake_push("c", 300);
    memset(&kr, 0x55, sizeof(kr));
    assert_int_equal(token_keyring_load(&st, &kr), PD_OK);
    assert_int_equal(kr.n, 4);
    assert_string_equal(kr.keys[0].kid, "d");
    assert_string_equal(kr.keys[1].kid, "c");
    assert_string_equal(kr.keys[2].kid, "b");
    assert_string_equal(kr.keys[3].kid, "a");
    assert_int_equal(kr.keys[0].secret[0], 400 & 0xff);
    assert_int_equal(FK.added, 0);
    token_keyring_clear(&kr);
    assert_null(kr.keys);
    assert_int_equal(kr.n, 0);

    /* an over-long kid is skipped, the others load */
    fake_reset();
    fake_push("0123456789012345678901234567890123456789", 500);   /* 40 chars: no room for NUL */
    fake_push("short", 100);
    assert_int_equal(token_keyring_load(&st, &kr), PD_OK);
    assert_int_equal(kr.n, 1);
    assert_string_equal(kr.keys[0].kid, "short");
    token_keyring_clear(&kr);

    /* empty store: one key is created and loaded */
    fake_reset();
    assert_int_equal(token_keyring_load(&st, &kr), PD_OK);
    assert_int_equal(FK.added, 1);
    assert_int_equal(kr.n, 1);
    assert_string_equal(kr.keys[0].kid, FK.kids[0]);
    assert_memory_equal(kr.keys[0].secret, FK.keys[0].secret, 32);
    {
        static const unsigned char zero[32];
        assert_memory_not_equal(kr.keys[0].secret, zero, 32);
    }
    token_keyring_clear(&kr);

    /* store failure is reported */
    fake_reset();
    FK.fail_get = 1;
    assert_int_equal(token_keyring_load(&st, &kr), PD_ERR_STORE);

    /* token_key_rotate adds a random key with a fresh kid */
    fake_reset();
    assert_int_equal(token_key_rotate(&st), PD_OK);
    assert_int_equal(token_key_rotate(&st), PD_OK);
    assert_int_equal(FK.n, 2);
    assert_string_not_equal(FK.kids[0], FK.kids[1]);
    assert_memory_not_equal(FK.keys[0].secret, FK.keys[1].secret, 32);
}

/* Many keys in the store, returned oldest first: the ring holds every one
 * of them (no cap: a key that was never retired keeps verifying, #12 item
 * 5), newest in keys[0] (it signs), and a token of the oldest verifies. */
static void test_keyring_load_keeps_every_key(void **state)
{
    (void)state;
    pd_store st = { &FAKE_OPS, NULL };
    token_keyring kr, again;
    enum { MANY = 20 };

    fake_reset();
    for (int i = 0; i < MANY; i++) {
        char kid[16];
        snprintf(kid, sizeof(kid), "key-%02d", i);
        fake_push(kid, 1000 + i);                         /* ascending: newest last */
    }
    assert_int_equal(token_keyring_load(&st, &kr), PD_OK);
    assert_int_equal(kr.n, MANY);
    for (size_t i = 1; i < kr.n; i++)
        assert_true(kr.keys[i - 1].created >= kr.keys[i].created);
    assert_string_equal(kr.keys[0].kid, "key-19");
    assert_string_equal(kr.keys[MANY - 1].kid, "key-00");

    /* a token signed by the oldest key verifies with the whole ring */
    token_keyring oldest = { .keys = &kr.keys[MANY - 1], .n = 1, .cap = 1, .gen = 0 };
    token_claims c = std_claims(), out;
    char *tok = token_mint(&oldest, &c);
    assert_non_null(tok);
    assert_int_equal(verify_str(&kr, tok, &out), PD_OK);
    free(tok);

    /* two loads of the same keys are two rings: different gens */
    assert_int_equal(token_keyring_load(&st, &again), PD_OK);
    assert_true(again.gen != kr.gen);
    token_keyring_clear(&again);
    token_keyring_clear(&kr);
}

/* ---- scopes ---- */

static void test_has_scope(void **state)
{
    (void)state;
    static const struct { const char *scopes, *want; int expect; } rows[] = {
        { "signature impersonation", "signature",      1 },
        { "signature impersonation", "impersonation",  1 },
        { "signature impersonation", "sign",           0 },
        { "signature impersonation", "signatures",     0 },
        { "signature impersonation", "impersonation2", 0 },
        { "signature impersonation", "ignature",       0 },
        { "signature impersonation", "signature impersonation", 0 },
        { "signature impersonation", "",               0 },
        { "",                        "",               0 },
        { "",                        "signature",      0 },
        { "signature",               "signature",      1 },
        { "Signature",               "signature",      0 },
        { "  signature  ",           "signature",      1 },
        { "a  signature",            "signature",      1 },
        { "signature_x",             "signature",      0 },
        { "xsignature",              "signature",      0 },
        { "user_read user_write",    "user_write",     1 },
        { "user_read user_write",    "user_read",      1 },
        { "user_read user_write",    "user",           0 },
        { "impersonation2",          "impersonation",  0 },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = token_has_scope(rows[i].scopes, rows[i].want);
        if (got != rows[i].expect) {
            print_error("token_has_scope(\"%s\", \"%s\") = %d, want %d\n",
                        rows[i].scopes, rows[i].want, got, rows[i].expect);
            failures++;
        }
    }
    assert_int_equal(token_has_scope(NULL, "signature"), 0);
    assert_int_equal(failures, 0);
}

/* An empty wanted scope never matches, even when the list has a trailing
 * or lone space (auth/token.c: the scan reaches '\0' after the spaces and
 * compares a 0-length segment with the 0-length want). */
static void test_has_scope_empty_want(void **state)
{
    (void)state;
    static const char *lists[] = { "signature impersonation ", " ", "  ", "a ", "a  b", "" };
    int failures = 0;

    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        if (token_has_scope(lists[i], "") != 0) {
            print_error("token_has_scope(\"%s\", \"\") = 1, want 0\n", lists[i]);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The memo keeps a thousand clients' tokens (a set-associative table, not
 * one slot per hash): the second pass over them verifies nothing again,
 * and a hit still answers the claims of that very token. */
static void test_cache_holds_many_tokens(void **state)
{
    (void)state;
    enum { N = 1000 };
    char *toks[N];
    token_claims c, out;
    uint64_t miss0, hit0;

    for (int i = 0; i < N; i++) {
        memset(&c, 0, sizeof(c));
        snprintf(c.sub, sizeof(c.sub), "user-%d", i);
        snprintf(c.scope, sizeof(c.scope), "signature");
        c.iat = NOW;
        c.exp = NOW + 3600;
        toks[i] = token_mint(&RING, &c);
        assert_non_null(toks[i]);
        assert_int_equal(token_verify_cached(&RING, toks[i], strlen(toks[i]), NOW, &out), PD_OK);
    }
    miss0 = met_sum(MET_TOKEN_CACHE_MISS);
    hit0 = met_sum(MET_TOKEN_CACHE_HIT);
    for (int i = 0; i < N; i++) {
        char want[32];
        assert_int_equal(token_verify_cached(&RING, toks[i], strlen(toks[i]), NOW, &out), PD_OK);
        snprintf(want, sizeof(want), "user-%d", i);
        assert_string_equal(out.sub, want);
    }
    /* a set rarely holds more than its ways: at most 2 % verified again */
    print_message("token cache: %llu misses, %llu hits of %d\n", (unsigned long long)(met_sum(MET_TOKEN_CACHE_MISS) - miss0), (unsigned long long)(met_sum(MET_TOKEN_CACHE_HIT) - hit0), N);
    assert_true(met_sum(MET_TOKEN_CACHE_MISS) - miss0 <= N / 50);
    assert_true(met_sum(MET_TOKEN_CACHE_HIT) - hit0 >= N - N / 50);
    /* a cached token still expires, and a changed one is not a hit */
    assert_int_equal(token_verify_cached(&RING, toks[0], strlen(toks[0]), NOW + 3600, &out),
                     PD_ERR_INVALID_TOKEN);
    toks[1][strlen(toks[1]) - 2] ^= 1;
    assert_int_not_equal(token_verify_cached(&RING, toks[1], strlen(toks[1]), NOW, &out), PD_OK);
    for (int i = 0; i < N; i++)
        free(toks[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_mint_shape),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_signature_mutations),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_key_rotation),
        cmocka_unit_test(test_keyring_load),
        cmocka_unit_test(test_keyring_load_keeps_every_key),
        cmocka_unit_test(test_has_scope),
        cmocka_unit_test(test_has_scope_empty_want),
        cmocka_unit_test(test_cache_holds_many_tokens),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
