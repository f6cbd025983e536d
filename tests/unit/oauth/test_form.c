/*
 * test_form.c - unit tests for src/oauth/form.c: strict
 * application/x-www-form-urlencoded parsing, pairs added from decoded query
 * arguments, HTTP Basic client credentials, scope lists, PKCE S256 (RFC 7636
 * appendix B vector), redirect-URI and client-id validation.
 *
 * Memory: every parsed form is released with oauth_form_free by the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "oauth/oauth.h"

static oauth_form_result parse(const char *s, oauth_form *f)
{
    return oauth_form_parse(s, strlen(s), f);
}

static void test_form_basic(void **state)
{
    oauth_form f;

    (void)state;
    assert_int_equal(parse("grant_type=authorization_code&code=abc%2Fd+e&empty=", &f), FORM_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(oauth_form_get(&f, "grant_type"), "authorization_code");
    assert_string_equal(oauth_form_get(&f, "code"), "abc/d e");
    assert_string_equal(oauth_form_get(&f, "empty"), "");
    assert_null(oauth_form_get(&f, "missing"));
    assert_null(oauth_form_get(&f, "Code"));                 /* names are case-sensitive */
    oauth_form_free(&f);
    assert_null(f.buf);
    assert_int_equal(parse("", &f), FORM_OK);
    assert_int_equal(f.n, 0);
    oauth_form_free(&f);
    assert_int_equal(parse("a=1&", &f), FORM_OK);            /* one trailing '&' */
    assert_int_equal(f.n, 1);
    oauth_form_free(&f);
    assert_int_equal(parse("n%61me=%E2%82%AC", &f), FORM_OK); /* escaped name, UTF-8 value */
    assert_string_equal(oauth_form_get(&f, "name"), "\xe2\x82\xac");
    assert_int_equal(f.f[0].value_len, 3);
    oauth_form_free(&f);
}

static void test_form_rejects(void **state)
{
    static const struct { const char *in; oauth_form_result want; } cases[] = {
        { "a=1&a=2", FORM_DUPLICATE },
        { "a=1&%61=2", FORM_DUPLICATE },
        { "a=%", FORM_MALFORMED },
        { "a=%4", FORM_MALFORMED },
        { "a=%zz", FORM_MALFORMED },
        { "a=%g0", FORM_MALFORMED },
        { "a", FORM_MALFORMED },
        { "=1", FORM_MALFORMED },
        { "%=1", FORM_MALFORMED },
        { "a=1&&b=2", FORM_MALFORMED },
        { "&a=1", FORM_MALFORMED },
        { "a=1&&", FORM_MALFORMED },
        { "a=%00", FORM_CONTROL },
        { "a=x%0Ay", FORM_CONTROL },
        { "a=%7F", FORM_CONTROL },
        { "a%09=1", FORM_CONTROL },
        { "a=\x01", FORM_CONTROL },
    };
    oauth_form f;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        oauth_form_result r = parse(cases[i].in, &f);
        if (r != cases[i].want)
            fail_msg("'%s': got %d, want %d", cases[i].in, r, cases[i].want);
        oauth_form_free(&f);
    }
    /* a raw NUL inside the given length */
    assert_int_equal(oauth_form_parse("a=1\0b", 5, &f), FORM_CONTROL);
    oauth_form_free(&f);
}

static void test_form_limits(void **state)
{
    char buf[1024];
    size_t o = 0;
    oauth_form f;

    (void)state;
    for (int i = 0; i < LIM_OAUTH_FORM_FIELDS; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%sk%d=v", i ? "&" : "", i);
    assert_int_equal(parse(buf, &f), FORM_OK);
    assert_int_equal(f.n, LIM_OAUTH_FORM_FIELDS);
    assert_string_equal(oauth_form_get(&f, "k15"), "v");
    oauth_form_free(&f);
    snprintf(buf + o, sizeof(buf) - o, "&one=more");
    assert_int_equal(parse(buf, &f), FORM_TOO_MANY);
    oauth_form_free(&f);
    /* a value not terminated by the length given is read only up to it */
    assert_int_equal(oauth_form_parse("a=123456", 4, &f), FORM_OK);
    assert_string_equal(oauth_form_get(&f, "a"), "12");
    oauth_form_free(&f);
}

static void test_form_add(void **state)
{
    oauth_form f;

    (void)state;
    memset(&f, 0, sizeof(f));
    assert_int_equal(oauth_form_add(&f, "client_id", "abc"), FORM_OK);
    assert_int_equal(oauth_form_add(&f, "state", "x y"), FORM_OK);
    assert_int_equal(oauth_form_add(&f, "client_id", "other"), FORM_DUPLICATE);
    assert_int_equal(oauth_form_add(&f, "", "v"), FORM_MALFORMED);
    assert_int_equal(oauth_form_add(&f, "n", "a\nb"), FORM_CONTROL);
    assert_string_equal(oauth_form_get(&f, "client_id"), "abc");
    assert_string_equal(oauth_form_get(&f, "state"), "x y");
    for (int i = 2; i < LIM_OAUTH_FORM_FIELDS; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(oauth_form_add(&f, k, "v"), FORM_OK);
    }
    assert_int_equal(oauth_form_add(&f, "last", "v"), FORM_TOO_MANY);
    assert_string_equal(oauth_form_get(&f, "client_id"), "abc");   /* survived the rebuilds */
    oauth_form_free(&f);
}

static void test_basic(void **state)
{
    char id[65], secret[257];

    (void)state;
    /* base64("client:s3cr:et") */
    assert_int_equal(oauth_basic_parse("Basic Y2xpZW50OnMzY3I6ZXQ=", id, sizeof(id), secret, sizeof(secret)), 0);
    assert_string_equal(id, "client");
    assert_string_equal(secret, "s3cr:et");
    assert_int_equal(oauth_basic_parse("basic   Y2xpZW50OnMzY3I6ZXQ=  ", id, sizeof(id), secret, sizeof(secret)), 0);
    assert_int_equal(oauth_basic_parse("Bearer Y2xpZW50OnMzY3I6ZXQ=", id, sizeof(id), secret, sizeof(secret)), -1);
    assert_int_equal(oauth_basic_parse("Basic !!!!", id, sizeof(id), secret, sizeof(secret)), -1);
    assert_int_equal(oauth_basic_parse("Basic ", id, sizeof(id), secret, sizeof(secret)), -1);
    assert_int_equal(oauth_basic_parse("Basic bm9jb2xvbg==", id, sizeof(id), secret, sizeof(secret)), -1); /* "nocolon" */
    assert_int_equal(oauth_basic_parse("Basic OnNlY3JldA==", id, sizeof(id), secret, sizeof(secret)), -1); /* ":secret" */
    assert_int_equal(oauth_basic_parse("Basic YWJjOg==", id, sizeof(id), secret, sizeof(secret)), 0);     /* "abc:" */
    assert_string_equal(secret, "");
    assert_int_equal(oauth_basic_parse("Basic Y2xpZW50OnMzY3I6ZXQ=", id, 4, secret, sizeof(secret)), -1); /* id too long */
    assert_int_equal(oauth_basic_parse("Basic YQBiOmM=", id, sizeof(id), secret, sizeof(secret)), -1);    /* "a\0b:c" */
    assert_int_equal(oauth_basic_parse(NULL, id, sizeof(id), secret, sizeof(secret)), -1);
}

static void test_scopes(void **state)
{
    char out[64];

    (void)state;
    assert_true(oauth_scope_list_valid("signature"));
    assert_true(oauth_scope_list_valid(" signature  impersonation "));
    assert_false(oauth_scope_list_valid(""));
    assert_false(oauth_scope_list_valid("   "));
    assert_false(oauth_scope_list_valid("sig\"nature"));
    assert_false(oauth_scope_list_valid("sig\\nature"));
    assert_false(oauth_scope_list_valid("caf\xc3\xa9"));
    assert_false(oauth_scope_list_valid(NULL));
    assert_true(oauth_scope_subset("signature", "signature impersonation"));
    assert_true(oauth_scope_subset("impersonation  signature", "signature impersonation"));
    assert_true(oauth_scope_subset("", "signature"));
    assert_false(oauth_scope_subset("signature extended", "signature impersonation"));
    assert_false(oauth_scope_subset("sign", "signature"));
    assert_false(oauth_scope_subset("signatures", "signature"));
    assert_false(oauth_scope_subset("signature", ""));
    assert_false(oauth_scope_subset(NULL, "a"));
    assert_int_equal(oauth_scope_normalise("  a b  a c b ", out, sizeof(out)), 0);
    assert_string_equal(out, "a b c");
    assert_int_equal(oauth_scope_normalise("a \"b", out, sizeof(out)), -1);
    assert_int_equal(oauth_scope_normalise("abcdef ghijkl", out, 8), -1);
    assert_int_equal(oauth_scope_normalise("abc", out, 4), 0);
    assert_string_equal(out, "abc");
}

static void test_pkce(void **state)
{
    /* RFC 7636 appendix B */
    static const char verifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static const char challenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    char longv[130];

    (void)state;
    assert_true(oauth_pkce_challenge_valid(challenge));
    assert_true(oauth_pkce_s256_ok(verifier, challenge));
    assert_false(oauth_pkce_s256_ok("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge));
    assert_false(oauth_pkce_s256_ok(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
    assert_false(oauth_pkce_s256_ok(NULL, challenge));
    assert_false(oauth_pkce_s256_ok("short", challenge));
    assert_false(oauth_pkce_s256_ok(verifier, NULL));
    assert_false(oauth_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"));  /* 42 */
    assert_false(oauth_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));  /* '+' */
    memset(longv, 'a', 129);
    longv[129] = '\0';
    assert_false(oauth_pkce_s256_ok(longv, challenge));                                        /* > 128 */
    char bad[44];
    snprintf(bad, sizeof(bad), "%s", verifier);
    bad[3] = '/';
    assert_false(oauth_pkce_s256_ok(bad, challenge));                                          /* not unreserved */
}

static void test_redirect_uris(void **state)
{
    char origin[600];

    (void)state;
    assert_true(oauth_redirect_uri_valid("https://app.example.com/cb?x=1", origin, sizeof(origin)));
    assert_string_equal(origin, "https://app.example.com");
    assert_true(oauth_redirect_uri_valid("https://app.example.com:8443/cb", origin, sizeof(origin)));
    assert_string_equal(origin, "https://app.example.com:8443");
    assert_true(oauth_redirect_uri_valid("http://127.0.0.1:9000/callback", origin, sizeof(origin)));
    assert_string_equal(origin, "http://127.0.0.1:9000");
    assert_true(oauth_redirect_uri_valid("http://localhost/cb", NULL, 0));
    assert_true(oauth_redirect_uri_valid("http://[::1]:80/cb", origin, sizeof(origin)));
    assert_string_equal(origin, "http://[::1]:80");
    assert_true(oauth_redirect_uri_valid("https://host", origin, sizeof(origin)));
    static const char *const bad[] = {
        "http://app.example.com/cb",           /* http off loopback */
        "http://127.0.0.2/cb", "http://localhost.evil.com/cb",
        "https://app.example.com/cb#frag", "https://user@app.example.com/cb",
        "https://app.example.com:99999/cb", "https://app.example.com:/cb", "https:///cb",
        "javascript:alert(1)", "/relative", "", "https://a b/", "https://app.example.com/\"",
        "https://app.example.com/a;b", "ftp://host/", "https://[::1/cb",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (oauth_redirect_uri_valid(bad[i], NULL, 0))
            fail_msg("accepted '%s'", bad[i]);
    char big[LIM_OAUTH_REDIRECT_URI_MAX + 16];
    snprintf(big, sizeof(big), "https://h/%0*d", LIM_OAUTH_REDIRECT_URI_MAX, 0);
    assert_false(oauth_redirect_uri_valid(big, NULL, 0));
    assert_false(oauth_redirect_uri_valid("https://app.example.com/cb", origin, 10)); /* origin does not fit */
}

static void test_client_ids(void **state)
{
    char big[LIM_ID_MAX + 2];

    (void)state;
    assert_true(oauth_client_id_valid("6f0c6d3e-1b1a-4c55-9c3e-0a11ce5e0001"));
    assert_true(oauth_client_id_valid("public.app_1"));
    assert_false(oauth_client_id_valid(""));
    assert_false(oauth_client_id_valid(NULL));
    assert_false(oauth_client_id_valid("a b"));
    assert_false(oauth_client_id_valid("a:b"));
    assert_false(oauth_client_id_valid("<x>"));
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_false(oauth_client_id_valid(big));
    big[LIM_ID_MAX] = '\0';
    assert_true(oauth_client_id_valid(big));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_basic),
        cmocka_unit_test(test_form_rejects),
        cmocka_unit_test(test_form_limits),
        cmocka_unit_test(test_form_add),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_pkce),
        cmocka_unit_test(test_redirect_uris),
        cmocka_unit_test(test_client_ids),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
