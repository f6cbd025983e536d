/*
 * test_session.c - unit tests for src/oauth/session.c (random values,
 * hashes, cookies, CSRF tokens bound to a cookie and keyed by the signing
 * key ring, throttle arithmetic) and src/oauth/pages.c (HTML escaping, the
 * Content-Security-Policy whose style hash must match the page's inline
 * stylesheet, sign-in / consent / error pages).
 *
 * Memory: pages are malloc'd by the functions under test and freed here.
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

#include "core/b64.h"
#include "oauth/oauth.h"

/* n keys "k0" (newest) .. "k{n-1}"; free with token_keyring_clear. */
static void ring_of(token_keyring *kr, size_t n)
{
    memset(kr, 0, sizeof(*kr));
    for (size_t i = 0; i < n; i++) {
        char kid[32];
        unsigned char secret[TOKEN_KEY_BYTES];
        snprintf(kid, sizeof(kid), "k%zu", i);
        memset(secret, (int)(0x40 + i), TOKEN_KEY_BYTES);
        assert_int_equal(token_keyring_add(kr, kid, secret, 1000 - (int64_t)i), 0);
    }
}

static void test_random_and_hash(void **state)
{
    char a[OAUTH_RANDOM_CHARS + 1], b[OAUTH_RANDOM_CHARS + 1], tiny[8];
    unsigned char h1[32], h2[32], h3[32];

    (void)state;
    oauth_random(a, sizeof(a));
    oauth_random(b, sizeof(b));
    assert_int_equal(strlen(a), OAUTH_RANDOM_CHARS);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), OAUTH_RANDOM_CHARS);
    assert_string_not_equal(a, b);
    oauth_random(tiny, sizeof(tiny));                 /* does not fit: empty, no overflow */
    assert_string_equal(tiny, "");
    oauth_hash("code", 4, h1);
    oauth_hash("code", 4, h2);
    oauth_hash("codf", 4, h3);
    assert_memory_equal(h1, h2, 32);
    assert_memory_not_equal(h1, h3, 32);
}

static void test_cookie_get(void **state)
{
    char v[64];

    (void)state;
    assert_int_equal(oauth_cookie_get("a=1; pd_oauth_sid=abc_DEF-123; b=2", "pd_oauth_sid", v, sizeof(v)), 0);
    assert_string_equal(v, "abc_DEF-123");
    assert_int_equal(oauth_cookie_get("pd_oauth_sid=first;pd_oauth_pre=second", "pd_oauth_pre", v, sizeof(v)), 0);
    assert_string_equal(v, "second");
    assert_int_equal(oauth_cookie_get("x_pd_oauth_sid=evil; pd_oauth_sid=good ", "pd_oauth_sid", v, sizeof(v)), 0);
    assert_string_equal(v, "good");
    assert_int_equal(oauth_cookie_get("xpd_oauth_sid=evil", "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get("pd_oauth_sidx=evil", "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get("pd_oauth_sid=", "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get("pd_oauth_sid=a\"b", "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get("pd_oauth_sid=a,b", "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get("pd_oauth_sid=abcdefgh", "pd_oauth_sid", v, 8), -1);   /* too long */
    assert_int_equal(oauth_cookie_get("pd_oauth_sid=abcdefg", "pd_oauth_sid", v, 8), 0);
    assert_int_equal(oauth_cookie_get("", "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get(NULL, "pd_oauth_sid", v, sizeof(v)), -1);
    assert_int_equal(oauth_cookie_get(";;;", "pd_oauth_sid", v, sizeof(v)), -1);
}

static void test_cookie_header(void **state)
{
    char h[128];

    (void)state;
    assert_int_equal(oauth_cookie_header(h, sizeof(h), "pd_oauth_sid", "abc", 1800), 0);
    assert_string_equal(h, "pd_oauth_sid=abc; Path=/oauth; Max-Age=1800; Secure; HttpOnly; SameSite=Lax");
    assert_int_equal(oauth_cookie_header(h, 20, "pd_oauth_sid", "abc", 1800), -1);
}

static void test_csrf(void **state)
{
    token_keyring kr, rotated, other;
    char t[OAUTH_RANDOM_CHARS + 1], t2[OAUTH_RANDOM_CHARS + 1];

    (void)state;
    ring_of(&kr, 2);
    oauth_csrf_make(kr.keys[0].secret, "login", "cookie-value-1", t, sizeof(t));
    assert_int_equal(strlen(t), OAUTH_RANDOM_CHARS);
    assert_true(oauth_csrf_check(&kr, "login", "cookie-value-1", t));
    assert_false(oauth_csrf_check(&kr, "login", "cookie-value-2", t));   /* other cookie */
    assert_false(oauth_csrf_check(&kr, "consent", "cookie-value-1", t)); /* other purpose */
    assert_false(oauth_csrf_check(&kr, "login", "", t));
    assert_false(oauth_csrf_check(&kr, "login", "cookie-value-1", NULL));
    assert_false(oauth_csrf_check(&kr, "login", "cookie-value-1", ""));
    char shorter[OAUTH_RANDOM_CHARS];
    memcpy(shorter, t, OAUTH_RANDOM_CHARS - 1);
    shorter[OAUTH_RANDOM_CHARS - 1] = '\0';
    assert_false(oauth_csrf_check(&kr, "login", "cookie-value-1", shorter));
    char flipped[OAUTH_RANDOM_CHARS + 1];
    memcpy(flipped, t, sizeof(flipped));
    flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
    assert_false(oauth_csrf_check(&kr, "login", "cookie-value-1", flipped));
    /* purpose/binding are not ambiguous: ("a","bc") != ("ab","c") */
    oauth_csrf_make(kr.keys[0].secret, "a", "bc", t2, sizeof(t2));
    assert_false(oauth_csrf_check(&kr, "ab", "c", t2));
    /* made with the older key of the ring: still accepted; after it left: refused */
    oauth_csrf_make(kr.keys[1].secret, "login", "c", t2, sizeof(t2));
    assert_true(oauth_csrf_check(&kr, "login", "c", t2));
    ring_of(&rotated, 1);
    assert_false(oauth_csrf_check(&rotated, "login", "c", t2));
    ring_of(&other, 0);
    assert_false(oauth_csrf_check(&other, "login", "cookie-value-1", t));
    token_keyring_clear(&kr);
    token_keyring_clear(&rotated);
    token_keyring_clear(&other);
}

static void test_throttle(void **state)
{
    pd_throttle t = {0};
    const int64_t now = 1700000000;

    (void)state;
    assert_false(oauth_throttle_locked(&t, now));
    for (int i = 0; i < 4; i++)
        assert_false(oauth_throttle_fail(&t, now + i, 900, 5, 900));
    assert_int_equal(t.failures, 4);
    assert_true(oauth_throttle_fail(&t, now + 4, 900, 5, 900));      /* the fifth locks */
    assert_true(oauth_throttle_locked(&t, now + 5));
    assert_true(oauth_throttle_locked(&t, now + 4 + 899));
    assert_false(oauth_throttle_locked(&t, now + 4 + 900));
    /* after the lock a new count starts */
    assert_false(oauth_throttle_fail(&t, now + 4 + 901, 900, 5, 900));
    assert_int_equal(t.failures, 1);
    /* failures spread beyond the window do not add up */
    pd_throttle s = {0};
    for (int i = 0; i < 10; i++)
        assert_false(oauth_throttle_fail(&s, now + i * 1000, 900, 5, 900));
    assert_int_equal(s.failures, 1);
    /* a clock that went backwards starts a new window rather than trusting it */
    pd_throttle b = { .failures = 4, .window_start = now + 5000, .locked_until = 0 };
    assert_false(oauth_throttle_fail(&b, now, 900, 5, 900));
    assert_int_equal(b.failures, 1);
}

static void test_escape(void **state)
{
    oauth_buf b = {0};

    (void)state;
    oauth_buf_add_escaped(&b, "<a href=\"x\">'&'</a>\x01\x7f ok");
    assert_false(b.failed);
    assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;&#1;&#127; ok");
    oauth_buf_add_escaped(&b, NULL);
    free(b.p);
    /* the size cap: a huge page fails cleanly */
    oauth_buf big = {0};
    char chunk[4097];
    memset(chunk, 'x', 4096);
    chunk[4096] = '\0';
    for (int i = 0; i < 40 && !big.failed; i++)
        oauth_buf_add(&big, chunk);
    assert_true(big.failed);
    free(big.p);
}

/* The sha256 of the text between <style> and </style>, base64. */
static void style_hash(const char *page, char *out, size_t cap)
{
    const char *s = strstr(page, "<style>"), *e = strstr(page, "</style>");
    unsigned char h[crypto_hash_sha256_BYTES];

    assert_non_null(s);
    assert_non_null(e);
    s += 7;
    crypto_hash_sha256(h, (const unsigned char *)s, (size_t)(e - s));
    char *b64 = b64_encode(h, sizeof(h), NULL);
    snprintf(out, cap, "'sha256-%s'", b64);
    free(b64);
}

static void test_pages(void **state)
{
    oauth_authz_params p = {
        .response_type = "code", .client_id = "app-1", .redirect_uri = "https://app.example/cb",
        .scope = "signature impersonation odd<scope>", .state = "\"><script>x</script>",
        .code_challenge = NULL, .code_challenge_method = NULL,
    };
    char csp[512], hash[128];
    size_t len = 0;

    (void)state;
    char *page = oauth_page_signin("My <App>", &p, "CSRF123", "a\"@b.c", "Bad & wrong", &len);
    assert_non_null(page);
    assert_int_equal(strlen(page), len);
    assert_null(strstr(page, "<script>"));
    assert_non_null(strstr(page, "value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
    assert_non_null(strstr(page, "My &lt;App&gt;"));
    assert_non_null(strstr(page, "name=\"csrf_token\" value=\"CSRF123\""));
    assert_non_null(strstr(page, "value=\"a&quot;@b.c\""));
    assert_non_null(strstr(page, "Bad &amp; wrong"));
    assert_non_null(strstr(page, "action=\"/oauth/login\""));
    assert_null(strstr(page, "code_challenge"));               /* absent params are not echoed */
    assert_int_equal(oauth_page_csp(csp, sizeof(csp), "https://app.example"), 0);
    style_hash(page, hash, sizeof(hash));
    assert_non_null(strstr(csp, hash));                         /* the inline style is allowed */
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_non_null(strstr(csp, "form-action 'self' https://app.example;"));
    assert_non_null(strstr(csp, "frame-ancestors 'none'"));
    free(page);

    page = oauth_page_consent("My <App>", "ann@x", &p, "TOK", &len);
    assert_non_null(page);
    assert_non_null(strstr(page, "<li><code>signature</code>: "));
    assert_non_null(strstr(page, "<li><code>odd&lt;scope&gt;</code></li>"));
    assert_non_null(strstr(page, "action=\"/oauth/consent\""));
    assert_non_null(strstr(page, "value=\"allow\""));
    assert_non_null(strstr(page, "value=\"deny\""));
    free(page);

    page = oauth_page_error("Oops", "<b>no</b>", &len);
    assert_non_null(strstr(page, "&lt;b&gt;no&lt;/b&gt;"));
    assert_null(strstr(page, "<form"));
    free(page);

    assert_int_equal(oauth_page_csp(csp, sizeof(csp), NULL), 0);
    assert_non_null(strstr(csp, "form-action 'self';"));
    assert_int_equal(oauth_page_csp(csp, 40, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_and_hash),
        cmocka_unit_test(test_cookie_get),
        cmocka_unit_test(test_cookie_header),
        cmocka_unit_test(test_csrf),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_pages),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
