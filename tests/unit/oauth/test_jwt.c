/*
 * test_jwt.c - unit tests for src/oauth/jwt.c: the RS256-only
 * JWT-bearer assertion verifier (parse with the algorithm pinned, GnuTLS
 * signature verification against a list of PEM keys, claim checks) and
 * oauth_pubkey_check.
 *
 * RSA keys are generated at start with GnuTLS (2048 bits, plus a 1024-bit
 * and an EC key for the refusals); nothing is committed.  Assertions are
 * built by hand (b64url_encode + gnutls_privkey_sign_data) so each
 * rejection below is of an otherwise correct assertion.
 *
 * Memory: keys are process-wide statics released in the group teardown;
 * every built assertion is malloc'd and freed by the test that made it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "core/b64.h"
#include "oauth/oauth.h"

#define NOW ((int64_t)1700000000)
#define AUD "127.0.0.1:8443"

typedef struct {
    gnutls_privkey_t priv;
    char *pub_pem;
} keypair;

static keypair K1, K2, WEAK, EC;

static int make_key(keypair *kp, gnutls_pk_algorithm_t alg, unsigned bits)
{
    gnutls_x509_privkey_t x;
    gnutls_pubkey_t pub;
    gnutls_datum_t out = { NULL, 0 };

    if (gnutls_x509_privkey_init(&x) < 0 || gnutls_x509_privkey_generate(x, alg, bits, 0) < 0)
        return -1;
    if (gnutls_privkey_init(&kp->priv) < 0 ||
        gnutls_privkey_import_x509(kp->priv, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0)
        return -1;
    if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_privkey(pub, kp->priv, 0, 0) < 0 ||
        gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &out) < 0)
        return -1;
    kp->pub_pem = calloc(1, out.size + 1);
    memcpy(kp->pub_pem, out.data, out.size);
    gnutls_free(out.data);
    gnutls_pubkey_deinit(pub);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0 || gnutls_global_init() < 0)
        return -1;
    if (make_key(&K1, GNUTLS_PK_RSA, 2048) || make_key(&K2, GNUTLS_PK_RSA, 2048) ||
        make_key(&WEAK, GNUTLS_PK_RSA, 1024) ||
        make_key(&EC, GNUTLS_PK_EC, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1)))
        return -1;
    return 0;
}

static void free_key(keypair *kp)
{
    gnutls_privkey_deinit(kp->priv);
    free(kp->pub_pem);
}

static int teardown(void **state)
{
    (void)state;
    free_key(&K1);
    free_key(&K2);
    free_key(&WEAK);
    free_key(&EC);
    gnutls_global_deinit();
    return 0;
}

static char *b64s(const char *s)
{
    return b64url_encode((const unsigned char *)s, strlen(s), NULL);
}

/* header.payload signed with kp (RS256) or with an explicit signature text
 * (sig_override, may be "" for none). */
static char *build(const char *header, const char *payload, keypair *kp, const char *sig_override)
{
    char *h = b64s(header), *p = b64s(payload), *sig = NULL, *out;
    size_t n = strlen(h) + strlen(p) + 2;
    char *input = malloc(n);

    snprintf(input, n, "%s.%s", h, p);
    if (sig_override != NULL) {
        sig = strdup(sig_override);
    } else {
        gnutls_datum_t d = { (unsigned char *)input, (unsigned)strlen(input) }, s = { NULL, 0 };
        assert_true(gnutls_privkey_sign_data(kp->priv, GNUTLS_DIG_SHA256, 0, &d, &s) >= 0);
        sig = b64url_encode(s.data, s.size, NULL);
        gnutls_free(s.data);
    }
    n = strlen(input) + strlen(sig) + 2;
    out = malloc(n);
    snprintf(out, n, "%s.%s", input, sig);
    free(h);
    free(p);
    free(sig);
    free(input);
    return out;
}

static const char HDR[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";

static char *payload(char *buf, size_t cap, const char *extra)
{
    snprintf(buf, cap,
             "{\"iss\":\"client-1\",\"sub\":\"00000000-0000-4000-8000-00000000a001\",\"aud\":\"" AUD "\","
             "\"iat\":%lld,\"exp\":%lld,\"scope\":\"signature impersonation\"%s}",
             (long long)NOW, (long long)NOW + 3600, extra ? extra : "");
    return buf;
}

static oauth_jwt_result full_check(const char *jwt, const char *const *pems, size_t n, oauth_assertion *a)
{
    static const char *const auds[] = { "localhost:8443", AUD };
    oauth_jwt_result r = oauth_jwt_parse(jwt, strlen(jwt), a);
    if (r != JWT_OK)
        return r;
    r = oauth_jwt_verify(jwt, strlen(jwt), pems, n);
    if (r != JWT_OK)
        return r;
    return oauth_jwt_check_claims(a, auds, 2, NOW);
}

static void test_valid(void **state)
{
    char pl[512];
    oauth_assertion a;
    char *jwt = build(HDR, payload(pl, sizeof(pl), NULL), &K1, NULL);
    const char *keys[] = { K1.pub_pem };

    (void)state;
    assert_int_equal(full_check(jwt, keys, 1, &a), JWT_OK);
    assert_string_equal(a.iss, "client-1");
    assert_string_equal(a.sub, "00000000-0000-4000-8000-00000000a001");
    assert_string_equal(a.aud, AUD);
    assert_string_equal(a.scope, "signature impersonation");
    assert_int_equal(a.iat, NOW);
    assert_int_equal(a.exp, NOW + 3600);
    free(jwt);
}

static void test_second_key_and_no_sub(void **state)
{
    char pl[512];
    oauth_assertion a;
    snprintf(pl, sizeof(pl), "{\"iss\":\"c\",\"aud\":[\"" AUD "\"],\"iat\":%lld,\"exp\":%lld}",
             (long long)NOW, (long long)NOW + 60);
    char *jwt = build(HDR, pl, &K2, NULL);
    const char *keys[] = { K1.pub_pem, K2.pub_pem };

    (void)state;
    assert_int_equal(full_check(jwt, keys, 2, &a), JWT_OK);
    assert_string_equal(a.sub, "");
    assert_string_equal(a.scope, "");
    const char *only_k1[] = { K1.pub_pem };
    assert_int_equal(oauth_jwt_verify(jwt, strlen(jwt), only_k1, 1), JWT_BAD_SIGNATURE);
    free(jwt);
}

static void test_alg_none_and_others_refused_before_crypto(void **state)
{
    static const char *const headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"None\"}", "{\"alg\":\"HS256\"}",
        "{\"alg\":\"RS512\"}", "{\"alg\":\"PS256\"}", "{\"alg\":\"rs256\"}", "{\"alg\":\"RS256 \"}",
        "{\"typ\":\"JWT\"}", "{\"alg\":256}", "{\"alg\":null}",
        "{\"alg\":[\"RS256\"]}", "{\"alg\":\"RS256\",\"crit\":[\"exp\"]}",
    };
    char pl[512];
    oauth_assertion a;

    (void)state;
    payload(pl, sizeof(pl), NULL);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        char *jwt = build(headers[i], pl, &K1, NULL);      /* even a valid RS256 signature */
        assert_int_equal(oauth_jwt_parse(jwt, strlen(jwt), &a), JWT_BAD_ALG);
        free(jwt);
    }
    /* an alg with an escaped NUL does not even decode */
    char *nul = build("{\"alg\":\"RS256\\u0000\"}", pl, &K1, NULL);
    assert_int_equal(oauth_jwt_parse(nul, strlen(nul), &a), JWT_MALFORMED);
    free(nul);
    char *none = build("{\"alg\":\"none\"}", pl, NULL, "");
    assert_int_equal(oauth_jwt_parse(none, strlen(none), &a), JWT_BAD_ALG);
    free(none);
}

static void test_hs256_with_public_key_as_secret(void **state)
{
    char pl[512], *h = b64s("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), *p;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    oauth_assertion a;
    const char *keys[] = { K1.pub_pem };

    (void)state;
    p = b64s(payload(pl, sizeof(pl), NULL));
    char input[2048];
    snprintf(input, sizeof(input), "%s.%s", h, p);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)K1.pub_pem, strlen(K1.pub_pem));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)input, strlen(input));
    crypto_auth_hmacsha256_final(&st, mac);
    char *sig = b64url_encode(mac, sizeof(mac), NULL);
    char jwt[4096];
    snprintf(jwt, sizeof(jwt), "%s.%s", input, sig);
    assert_int_equal(oauth_jwt_parse(jwt, strlen(jwt), &a), JWT_BAD_ALG);
    /* and the RSA verifier rejects the HMAC bytes should anyone skip step 1 */
    assert_int_equal(oauth_jwt_verify(jwt, strlen(jwt), keys, 1), JWT_BAD_SIGNATURE);
    free(h);
    free(p);
    free(sig);
}

static void test_tampered_and_wrong_key(void **state)
{
    char pl[512], pl2[512];
    const char *k1[] = { K1.pub_pem };
    const char *k2[] = { K2.pub_pem };
    char *jwt = build(HDR, payload(pl, sizeof(pl), NULL), &K1, NULL);
    char *other = build(HDR, payload(pl2, sizeof(pl2), ",\"x\":1"), &K1, NULL);

    (void)state;
    assert_int_equal(oauth_jwt_verify(jwt, strlen(jwt), k2, 1), JWT_BAD_SIGNATURE);
    /* payload of `other` with the signature of `jwt` */
    char *d1 = strchr(jwt, '.'), *s1 = strrchr(jwt, '.');
    char *d2 = strchr(other, '.'), *s2 = strrchr(other, '.');
    char mixed[4096];
    snprintf(mixed, sizeof(mixed), "%.*s%.*s%s", (int)(d1 - jwt), jwt, (int)(s2 - d2), d2, s1);
    assert_int_equal(oauth_jwt_verify(mixed, strlen(mixed), k1, 1), JWT_BAD_SIGNATURE);
    /* one flipped signature character */
    char flipped[4096];
    snprintf(flipped, sizeof(flipped), "%s", jwt);
    char *last = flipped + strlen(flipped) - 5;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(oauth_jwt_verify(flipped, strlen(flipped), k1, 1), JWT_BAD_SIGNATURE);
    /* empty signature part */
    char nosig[4096];
    snprintf(nosig, sizeof(nosig), "%.*s.", (int)(s1 - jwt), jwt);
    oauth_assertion a;
    assert_int_equal(oauth_jwt_parse(nosig, strlen(nosig), &a), JWT_BAD_SIGNATURE);
    assert_int_equal(oauth_jwt_verify(nosig, strlen(nosig), k1, 1), JWT_BAD_SIGNATURE);
    free(jwt);
    free(other);
}

static void test_unusable_keys(void **state)
{
    char pl[512];
    char *jwt = build(HDR, payload(pl, sizeof(pl), NULL), &K1, NULL);
    const char *bad[] = { WEAK.pub_pem, EC.pub_pem, "garbage", "" };
    const char *mixed[] = { "garbage", WEAK.pub_pem, K1.pub_pem };

    (void)state;
    assert_int_equal(oauth_jwt_verify(jwt, strlen(jwt), bad, 4), JWT_NO_KEYS);
    assert_int_equal(oauth_jwt_verify(jwt, strlen(jwt), NULL, 0), JWT_NO_KEYS);
    assert_int_equal(oauth_jwt_verify(jwt, strlen(jwt), mixed, 3), JWT_OK);
    free(jwt);
    /* a 1024-bit key cannot be used even when it made the signature */
    char *weak = build(HDR, pl, &WEAK, NULL);
    const char *wk[] = { WEAK.pub_pem };
    assert_int_equal(oauth_jwt_verify(weak, strlen(weak), wk, 1), JWT_NO_KEYS);
    free(weak);
}

static void test_malformed(void **state)
{
    oauth_assertion a;
    char pl[512], big[LIM_OAUTH_ASSERTION_MAX + 2];
    static const char *const payloads[] = {
        "[1,2]", "\"str\"", "{\"iss\":\"c\",\"iss\":\"d\",\"aud\":\"" AUD "\",\"iat\":1,\"exp\":2}",
        "{\"aud\":\"" AUD "\",\"iat\":1,\"exp\":2}",                       /* no iss */
        "{\"iss\":\"\",\"aud\":\"" AUD "\",\"iat\":1,\"exp\":2}",          /* empty iss */
        "{\"iss\":\"c\",\"aud\":\"" AUD "\",\"iat\":\"1\",\"exp\":2}",     /* iat string */
        "{\"iss\":\"c\",\"aud\":\"" AUD "\",\"iat\":1,\"exp\":2.5}",       /* exp real */
        "{\"iss\":\"c\",\"aud\":\"" AUD "\",\"iat\":1,\"exp\":-2}",        /* negative */
        "{\"iss\":\"c\",\"aud\":\"" AUD "\",\"iat\":1}",                   /* no exp */
        "{\"iss\":\"c\",\"iat\":1,\"exp\":2}",                             /* no aud */
        "{\"iss\":\"c\",\"aud\":[\"a\",\"b\"],\"iat\":1,\"exp\":2}",       /* two audiences */
        "{\"iss\":\"c\",\"aud\":\"" AUD "\",\"iat\":1,\"exp\":2,\"sub\":7}",
        "{\"iss\":\"c\\u0000d\",\"aud\":\"" AUD "\",\"iat\":1,\"exp\":2}",
        "not json",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        char *jwt = build(HDR, payloads[i], &K1, NULL);
        assert_int_equal(oauth_jwt_parse(jwt, strlen(jwt), &a), JWT_MALFORMED);
        assert_string_equal(a.iss, "");                 /* nothing left behind */
        free(jwt);
    }
    static const char *const shapes[] = { "", "a", "a.b", "a.b.c.d", ".b.c", "a..c", "!!.b.c" };
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        assert_int_equal(oauth_jwt_parse(shapes[i], strlen(shapes[i]), &a), JWT_MALFORMED);
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[10] = '.';
    big[20] = '.';
    assert_int_equal(oauth_jwt_parse(big, strlen(big), &a), JWT_MALFORMED);
    /* an embedded NUL in the text */
    char *jwt = build(HDR, payload(pl, sizeof(pl), NULL), &K1, NULL);
    size_t n = strlen(jwt);
    jwt[5] = '\0';
    assert_int_equal(oauth_jwt_parse(jwt, n, &a), JWT_MALFORMED);
    free(jwt);
}

static void test_claims(void **state)
{
    static const char *const auds[] = { AUD, "auth.example.com" };
    oauth_assertion a;

    (void)state;
    memset(&a, 0, sizeof(a));
    snprintf(a.aud, sizeof(a.aud), "%s", AUD);
    a.iat = NOW;
    a.exp = NOW + 3600;
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_OK);
    snprintf(a.aud, sizeof(a.aud), "AUTH.example.COM");
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_OK);
    snprintf(a.aud, sizeof(a.aud), "https://auth.example.com");
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_BAD_AUDIENCE);
    snprintf(a.aud, sizeof(a.aud), "127.0.0.1:8444");
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_BAD_AUDIENCE);
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 0, NOW), JWT_BAD_AUDIENCE);
    snprintf(a.aud, sizeof(a.aud), "%s", AUD);
    a.exp = NOW;                                         /* exp must be in the future */
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_EXPIRED);
    a.exp = NOW + 3601;
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_TOO_LONG);
    a.iat = NOW + 2;                                     /* within the leeway, one hour long */
    a.exp = NOW + 3602;
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_OK);
    a.iat = NOW + LIM_TOKEN_LEEWAY_S + 1;
    a.exp = a.iat + 10;
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_NOT_YET_VALID);
    a.iat = NOW;
    a.exp = NOW + 10;
    a.nbf = NOW + LIM_TOKEN_LEEWAY_S + 1;
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_NOT_YET_VALID);
    a.nbf = 0;
    a.iat = NOW + 20;                                    /* exp before iat */
    a.exp = NOW + 10;
    assert_int_equal(oauth_jwt_check_claims(&a, auds, 2, NOW), JWT_TOO_LONG);
}

static void test_pubkey_check(void **state)
{
    char why[160];

    (void)state;
    assert_int_equal(oauth_pubkey_check(K1.pub_pem, why, sizeof(why)), 0);
    assert_int_equal(oauth_pubkey_check(WEAK.pub_pem, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "1024 bits"));
    assert_int_equal(oauth_pubkey_check(EC.pub_pem, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not a PEM RSA public key"));
    assert_int_equal(oauth_pubkey_check("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                                        why, sizeof(why)), -1);
    assert_int_equal(oauth_pubkey_check(NULL, why, sizeof(why)), -1);
    assert_string_equal(oauth_jwt_result_text(JWT_BAD_SIGNATURE), "no_valid_keys_or_signatures");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_second_key_and_no_sub),
        cmocka_unit_test(test_alg_none_and_others_refused_before_crypto),
        cmocka_unit_test(test_hs256_with_public_key_as_secret),
        cmocka_unit_test(test_tampered_and_wrong_key),
        cmocka_unit_test(test_unusable_keys),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_pubkey_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
