/*
 * test_b64.c - unit tests for src/core/b64.c: RFC 4648 vectors, strict decoding
 * (alphabet, padding, canonical trailing bits), whitespace handling and
 * random round trips.
 *
 * Memory: every encoder result is freed by the test that obtained it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/b64.h"

typedef struct {
    const char *raw;
    const char *std;
    const char *url;
} vector;

static const vector RFC4648[] = {
    { "",       "",         ""         },
    { "f",      "Zg==",     "Zg"       },
    { "fo",     "Zm8=",     "Zm8"      },
    { "foo",    "Zm9v",     "Zm9v"     },
    { "foob",   "Zm9vYg==", "Zm9vYg"   },
    { "fooba",  "Zm9vYmE=", "Zm9vYmE"  },
    { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};
#define N_VECTORS (sizeof RFC4648 / sizeof RFC4648[0])

/* Decodes s (NUL-terminated) with the chosen decoder into a fresh buffer. */
static long dec(int url, const char *s, unsigned char *out, size_t cap)
{
    size_t len = strlen(s);

    assert_true(b64_decoded_max(len) <= cap);
    return url ? b64url_decode(s, len, out) : b64_decode(s, len, out);
}

static void test_vectors_encode(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_VECTORS; i++) {
        size_t n = 999, m = 999;
        const unsigned char *raw = (const unsigned char *)RFC4648[i].raw;
        char *s = b64_encode(raw, strlen(RFC4648[i].raw), &n);
        char *u = b64url_encode(raw, strlen(RFC4648[i].raw), &m);

        assert_non_null(s);
        assert_non_null(u);
        assert_string_equal(s, RFC4648[i].std);
        assert_int_equal(n, strlen(RFC4648[i].std));
        assert_string_equal(u, RFC4648[i].url);
        assert_int_equal(m, strlen(RFC4648[i].url));
        free(s);
        free(u);
    }
}

static void test_vectors_decode(void **state)
{
    unsigned char out[16];
    size_t i;

    (void)state;
    for (i = 0; i < N_VECTORS; i++) {
        size_t rl = strlen(RFC4648[i].raw);

        memset(out, 0xAA, sizeof out);
        assert_int_equal(dec(0, RFC4648[i].std, out, sizeof out), (long)rl);
        assert_memory_equal(out, RFC4648[i].raw, rl);
        memset(out, 0xAA, sizeof out);
        assert_int_equal(dec(1, RFC4648[i].url, out, sizeof out), (long)rl);
        assert_memory_equal(out, RFC4648[i].raw, rl);
    }
}

static void test_alphabets_differ(void **state)
{
    static const unsigned char raw[] = { 0xFB, 0xFF, 0xBF };
    unsigned char out[8];
    char *s, *u;

    (void)state;
    s = b64_encode(raw, sizeof raw, NULL);          /* NULL out_len allowed */
    u = b64url_encode(raw, sizeof raw, NULL);
    assert_string_equal(s, "+/+/");
    assert_string_equal(u, "-_-_");
    assert_int_equal(dec(0, "+/+/", out, sizeof out), 3);
    assert_memory_equal(out, raw, 3);
    assert_int_equal(dec(1, "-_-_", out, sizeof out), 3);
    assert_memory_equal(out, raw, 3);
    assert_int_equal(dec(0, "-_-_", out, sizeof out), -1);
    assert_int_equal(dec(1, "+/+/", out, sizeof out), -1);
    free(s);
    free(u);
}

static void test_whitespace_std(void **state)
{
    unsigned char out[32];

    (void)state;
    assert_int_equal(dec(0, "Zm9v\r\nYmFy\r\n", out, sizeof out), 6);
    assert_memory_equal(out, "foobar", 6);
    assert_int_equal(dec(0, " Z m 9 v\tY g = = \n", out, sizeof out), 4);
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(dec(0, "Zg=\n=", out, sizeof out), 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(dec(0, "\r\n\t \v\f", out, sizeof out), 0);
    /* base64url never skips whitespace */
    assert_int_equal(dec(1, "Zm9v\nYmFy", out, sizeof out), -1);
    assert_int_equal(dec(1, "Zm9v ", out, sizeof out), -1);
}

static void test_bad_characters(void **state)
{
    static const char *bad_both[] = {
        "Zm9v!", "Zm9v.mFy", "Zm9*", "Zm9vYmF\x80", "\xffZm9", "Zm\"9v",
    };
    unsigned char out[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad_both / sizeof bad_both[0]; i++) {
        assert_int_equal(dec(0, bad_both[i], out, sizeof out), -1);
        assert_int_equal(dec(1, bad_both[i], out, sizeof out), -1);
    }
    /* an embedded NUL is not whitespace */
    assert_int_equal(b64_decode("Zm\0v", 4, out), -1);
    assert_int_equal(b64url_decode("Zm\0v", 4, out), -1);
    /* '=' is never valid in base64url */
    assert_int_equal(dec(1, "Zg==", out, sizeof out), -1);
    assert_int_equal(dec(1, "Zm8=", out, sizeof out), -1);
    assert_int_equal(dec(1, "=", out, sizeof out), -1);
}

static void test_bad_padding(void **state)
{
    static const char *bad[] = {
        "Zg",        /* missing padding */
        "Zg=",       /* short padding */
        "Zm8",       /* missing padding */
        "Zg===",     /* too much */
        "Z===",      /* lone symbol */
        "Z",
        "====",
        "=",
        "Zm9v=",
        "Zm9v====",
        "Zg==Zg==",  /* data after padding */
        "Zg=a",
        "=Zg=",
        "Zh==",      /* non-zero unused bits */
        "Zm9=",      /* non-zero unused bits */
        "Zm9vZ",
    };
    unsigned char out[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long r = dec(0, bad[i], out, sizeof out);
        if (r != -1)
            fail_msg("accepted bad base64 \"%s\" (%ld)", bad[i], r);
    }
}

static void test_url_strict(void **state)
{
    static const char *bad[] = { "Z", "Zm9vY", "Zh", "Zm9", "Zm9vYmF" "=" };
    unsigned char out[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dec(1, bad[i], out, sizeof out), -1);
    assert_int_equal(dec(1, "", out, sizeof out), 0);
    assert_int_equal(b64url_decode(NULL, 0, NULL), 0);
    assert_int_equal(b64_decode(NULL, 0, NULL), 0);
}

static void test_decoded_max(void **state)
{
    (void)state;
    assert_int_equal(b64_decoded_max(0), 0);
    assert_int_equal(b64_decoded_max(1), 3);
    assert_int_equal(b64_decoded_max(2), 3);
    assert_int_equal(b64_decoded_max(4), 3);
    assert_int_equal(b64_decoded_max(6), 6);
    assert_int_equal(b64_decoded_max(8), 6);
    assert_int_equal(b64_decoded_max(10), 9);
}

/* xorshift32: deterministic pseudo-random bytes for the round trips. */
static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Inserts CR LF after every 76 characters (MIME style). */
static char *wrap76(const char *s, size_t n, size_t *out_n)
{
    char *w = malloc(n + (n / 76 + 1) * 2 + 1);
    size_t i, o = 0;

    assert_non_null(w);
    for (i = 0; i < n; i++) {
        if (i > 0 && i % 76 == 0) {
            w[o++] = '\r';
            w[o++] = '\n';
        }
        w[o++] = s[i];
    }
    w[o++] = '\r';
    w[o++] = '\n';
    w[o] = '\0';
    *out_n = o;
    return w;
}

static void test_round_trip_random(void **state)
{
    uint32_t seed = 0x9E3779B9u;
    unsigned char raw[700], out[1000];
    size_t len;

    (void)state;
    for (len = 0; len <= sizeof raw; len += 1 + len / 8) {
        size_t i, n = 0, m = 0, wn = 0;
        char *s, *u, *w;

        for (i = 0; i < len; i++)
            raw[i] = (unsigned char)rng_next(&seed);
        s = b64_encode(raw, len, &n);
        u = b64url_encode(raw, len, &m);
        assert_non_null(s);
        assert_non_null(u);
        assert_int_equal(n % 4, 0);
        assert_int_equal(n, (len + 2) / 3 * 4);
        assert_null(memchr(u, '=', m));
        assert_true(b64_decoded_max(n) <= sizeof out);

        memset(out, 0, sizeof out);
        assert_int_equal(b64_decode(s, n, out), (long)len);
        assert_memory_equal(out, raw, len);
        memset(out, 0, sizeof out);
        assert_int_equal(b64url_decode(u, m, out), (long)len);
        assert_memory_equal(out, raw, len);

        w = wrap76(s, n, &wn);
        assert_true(b64_decoded_max(wn) <= sizeof out);
        memset(out, 0, sizeof out);
        assert_int_equal(b64_decode(w, wn, out), (long)len);
        assert_memory_equal(out, raw, len);

        free(s);
        free(u);
        free(w);
    }
}

/* Decoding never writes more than b64_decoded_max(len) bytes. */
static void test_no_overrun(void **state)
{
    unsigned char out[16];
    size_t max = b64_decoded_max(4);

    (void)state;
    memset(out, 0x5A, sizeof out);
    assert_int_equal(b64_decode("Zm9v", 4, out), 3);
    for (size_t i = max; i < sizeof out; i++)
        assert_int_equal(out[i], 0x5A);
    memset(out, 0x5A, sizeof out);
    assert_int_equal(b64url_decode("Zm8", 3, out), 2);
    for (size_t i = 2; i < sizeof out; i++)
        assert_int_equal(out[i], 0x5A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_encode),
        cmocka_unit_test(test_vectors_decode),
        cmocka_unit_test(test_alphabets_differ),
        cmocka_unit_test(test_whitespace_std),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_bad_padding),
        cmocka_unit_test(test_url_strict),
        cmocka_unit_test(test_decoded_max),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_no_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
