/*
 * test_strutil.c - unit tests for src/core/strutil.c: strict integer parsing
 * (bounds, overflow, signs, spaces), GUID recognition, bounded copies,
 * lower-casing, duplication, prefix tests, DocuSign-style timestamps and
 * random v4 GUIDs.
 *
 * Memory: buffers are on the stack with guard bytes after them to catch
 * overruns even without ASan; str_dup results are freed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/strutil.h"

static int group_setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

typedef struct {
    const char *s;
    int64_t min, max;
    int ok;
    int64_t want;
} i64_row;

static void test_to_i64(void **state)
{
    (void)state;
    static const i64_row rows[] = {
        { "0",    INT64_MIN, INT64_MAX, 1, 0 },
        { "-0",   INT64_MIN, INT64_MAX, 1, 0 },
        { "-0",   0, 10,                1, 0 },
        { "7",    INT64_MIN, INT64_MAX, 1, 7 },
        { "-7",   INT64_MIN, INT64_MAX, 1, -7 },
        { "007",  INT64_MIN, INT64_MAX, 1, 7 },           /* base 10, not octal */
        { "010",  INT64_MIN, INT64_MAX, 1, 10 },
        { "9223372036854775807",  INT64_MIN, INT64_MAX, 1, INT64_MAX },
        { "-9223372036854775808", INT64_MIN, INT64_MAX, 1, INT64_MIN },
        { "9223372036854775808",  INT64_MIN, INT64_MAX, 0, 0 },   /* overflow */
        { "-9223372036854775809", INT64_MIN, INT64_MAX, 0, 0 },
        { "99999999999999999999999999", INT64_MIN, INT64_MAX, 0, 0 },
        { "18446744073709551615", INT64_MIN, INT64_MAX, 0, 0 },
        { "18446744073709551616", INT64_MIN, INT64_MAX, 0, 0 },
        /* bounds, inclusive */
        { "5",    5, 5,   1, 5 },
        { "4",    5, 10,  0, 0 },
        { "11",   5, 10,  0, 0 },
        { "10",   5, 10,  1, 10 },
        { "-1",   0, 10,  0, 0 },
        { "65536", 0, 65535, 0, 0 },
        /* signs and spaces */
        { "+1",   INT64_MIN, INT64_MAX, 0, 0 },
        { "+0",   INT64_MIN, INT64_MAX, 0, 0 },
        { "--1",  INT64_MIN, INT64_MAX, 0, 0 },
        { "-+1",  INT64_MIN, INT64_MAX, 0, 0 },
        { "+-1",  INT64_MIN, INT64_MAX, 0, 0 },
        { "-",    INT64_MIN, INT64_MAX, 0, 0 },
        { "+",    INT64_MIN, INT64_MAX, 0, 0 },
        { " 1",   INT64_MIN, INT64_MAX, 0, 0 },
        { "\t1",  INT64_MIN, INT64_MAX, 0, 0 },
        { "\n1",  INT64_MIN, INT64_MAX, 0, 0 },
        { "1 ",   INT64_MIN, INT64_MAX, 0, 0 },
        { "1\n",  INT64_MIN, INT64_MAX, 0, 0 },
        { "- 1",  INT64_MIN, INT64_MAX, 0, 0 },
        { "-\t1", INT64_MIN, INT64_MAX, 0, 0 },
        { "1 2",  INT64_MIN, INT64_MAX, 0, 0 },
        /* not integers */
        { "",     INT64_MIN, INT64_MAX, 0, 0 },
        { "a",    INT64_MIN, INT64_MAX, 0, 0 },
        { "1a",   INT64_MIN, INT64_MAX, 0, 0 },
        { "0x10", INT64_MIN, INT64_MAX, 0, 0 },
        { "1e3",  INT64_MIN, INT64_MAX, 0, 0 },
        { "1.0",  INT64_MIN, INT64_MAX, 0, 0 },
        { "1,000", INT64_MIN, INT64_MAX, 0, 0 },
        { "\xd9\xa3", INT64_MIN, INT64_MAX, 0, 0 },       /* Arabic-Indic digit three */
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t out = 0x1234;
        int rc = str_to_i64(rows[i].s, rows[i].min, rows[i].max, &out);
        int good = rows[i].ok ? (rc == 0 && out == rows[i].want) : (rc != 0 && out == 0x1234);
        if (!good) {
            print_error("str_to_i64(\"%s\", %lld, %lld): rc=%d out=%lld\n", rows[i].s,
                        (long long)rows[i].min, (long long)rows[i].max, rc, (long long)out);
            failures++;
        }
    }
    int64_t out = 0x1234;
    assert_int_not_equal(str_to_i64(NULL, 0, 10, &out), 0);
    assert_int_equal(out, 0x1234);
    /* an earlier ERANGE does not poison a later good parse */
    assert_int_not_equal(str_to_i64("99999999999999999999", INT64_MIN, INT64_MAX, &out), 0);
    assert_int_equal(str_to_i64("42", INT64_MIN, INT64_MAX, &out), 0);
    assert_int_equal(out, 42);
    assert_int_equal(failures, 0);
}

static void test_is_guid(void **state)
{
    (void)state;
    static const struct { const char *s; bool want; } rows[] = {
        { "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11", true },
        { "0B8E9E34-1C1A-4C44-9D4E-5A3F4C0F2A11", true },
        { "0b8E9e34-1C1a-4c44-9D4e-5a3F4c0f2A11", true },
        { "00000000-0000-0000-0000-000000000000", true },
        { "ffffffff-ffff-ffff-ffff-ffffffffffff", true },
        { "",                                     false },
        { "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a1",  false },   /* 35 */
        { "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a111", false },  /* 37 */
        { "0b8e9e341-c1a-4c44-9d4e-5a3f4c0f2a11", false },   /* dash moved */
        { "0b8e9e34-1c1a4-c44-9d4e-5a3f4c0f2a11", false },
        { "0b8e9e34-1c1a-4c449-d4e-5a3f4c0f2a11", false },
        { "0b8e9e34-1c1a-4c44-9d4e5-a3f4c0f2a11", false },
        { "0b8e9e34_1c1a_4c44_9d4e_5a3f4c0f2a11", false },
        { "0b8e9e3401c1a04c4409d4e05a3f4c0f2a11", false },   /* 36 hex, no dashes */
        { "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a1g", false },
        { "gb8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11", false },
        { "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a1 ", false },
        { " 0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a1", false },
        { "{0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a1}", false },
        { "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11\n", false },
        { "0b8e9e34--1c1a-4c44-9d4e-5a3f4c0f2a1", false },
        { "------------------------------------", false },
        { "0x8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11", false },
        { "123456",                               false },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (str_is_guid(rows[i].s) != rows[i].want) {
            print_error("str_is_guid(\"%s\") != %d\n", rows[i].s, rows[i].want);
            failures++;
        }
    }
    assert_false(str_is_guid(NULL));
    /* a GUID followed by more bytes in the same buffer is not a GUID */
    char buf[40] = "0b8e9e34-1c1a-4c44-9d4e-5a3f4c0f2a11";
    buf[36] = 'x';
    buf[37] = '\0';
    assert_false(str_is_guid(buf));
    assert_int_equal(failures, 0);
}

#define GUARD 0xA5

static void test_copy(void **state)
{
    (void)state;
    static const struct { const char *src; size_t dstlen; int rc; const char *want; } rows[] = {
        { "",       1, 0,  "" },
        { "",       8, 0,  "" },
        { "a",      1, -1, "" },
        { "a",      2, 0,  "a" },
        { "abc",    3, -1, "ab" },
        { "abc",    4, 0,  "abc" },       /* exactly fits */
        { "abcd",   4, -1, "abc" },       /* one over */
        { "abcdefghijklmnop", 5, -1, "abcd" },
        { "abcdefghijklmnop", 17, 0, "abcdefghijklmnop" },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned char mem[64];
        memset(mem, GUARD, sizeof(mem));
        char *dst = malloc(rows[i].dstlen);       /* exact size: ASan sees any overrun */
        assert_non_null(dst);
        int rc = str_copy(dst, rows[i].dstlen, rows[i].src);
        if (rc != rows[i].rc || strcmp(dst, rows[i].want) != 0) {
            print_error("str_copy(\"%s\", %zu): rc=%d dst='%s'\n", rows[i].src, rows[i].dstlen, rc, dst);
            failures++;
        }
        free(dst);
        /* same on the stack, with guard bytes behind */
        rc = str_copy((char *)mem, rows[i].dstlen, rows[i].src);
        for (size_t k = rows[i].dstlen; k < sizeof(mem); k++)
            if (mem[k] != GUARD) {
                print_error("str_copy wrote past dstlen %zu at %zu\n", rows[i].dstlen, k);
                failures++;
                break;
            }
        (void)rc;
    }
    /* dstlen 0: refuses and writes nothing */
    unsigned char g[4];
    memset(g, GUARD, sizeof(g));
    assert_int_equal(str_copy((char *)g, 0, "abc"), -1);
    for (size_t k = 0; k < sizeof(g); k++)
        assert_int_equal(g[k], GUARD);
    assert_int_equal(failures, 0);
}

static void test_small_helpers(void **state)
{
    (void)state;
    char s[] = "AbC-XYZ_09 \xc3\x89t\xc3\xa9";
    str_lower(s);
    assert_string_equal(s, "abc-xyz_09 \xc3\x89t\xc3\xa9");       /* ASCII only */
    str_lower(NULL);

    char *d = str_dup("hello");
    assert_non_null(d);
    assert_string_equal(d, "hello");
    free(d);
    assert_null(str_dup(NULL));
    d = str_dup_n("hello world", 5);
    assert_non_null(d);
    assert_string_equal(d, "hello");
    free(d);
    d = str_dup_n("a\0b", 3);                      /* n bytes exactly, then NUL */
    assert_non_null(d);
    assert_memory_equal(d, "a\0b\0", 4);
    free(d);
    d = str_dup_n("x", 0);
    assert_non_null(d);
    assert_string_equal(d, "");
    free(d);
    assert_null(str_dup_n(NULL, 3));

    assert_true(str_starts_with_ci("Bearer abc", "bearer "));
    assert_true(str_starts_with_ci("BEARER", "bearer"));
    assert_true(str_starts_with_ci("x", ""));
    assert_false(str_starts_with_ci("Bear", "bearer"));
    assert_false(str_starts_with_ci(" bearer", "bearer"));
    assert_false(str_starts_with_ci(NULL, "bearer"));
}

/* "YYYY-MM-DDTHH:MM:SS.fffffffZ" */
static int iso_shape_ok(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddZ";
    if (strlen(s) != 28)
        return 0;
    for (size_t i = 0; i < 28; i++) {
        if (shape[i] == 'd') {
            if (s[i] < '0' || s[i] > '9')
                return 0;
        } else if (s[i] != shape[i]) {
            return 0;
        }
    }
    return 1;
}

static void test_time_iso(void **state)
{
    (void)state;
    char buf[32];

    time_t before = time(NULL);
    time_now_iso(buf, sizeof(buf));
    time_t after = time(NULL);
    assert_true(iso_shape_ok(buf));
    assert_int_equal(buf[10], 'T');
    assert_int_equal(buf[27], 'Z');
    /* it is the current UTC time */
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    assert_non_null(strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm));
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);

    static const struct { int64_t t; const char *want; } rows[] = {
        { 0,          "1970-01-01T00:00:00.0000000Z" },
        { 1700000000, "2023-11-14T22:13:20.0000000Z" },
        { 951782400,  "2000-02-29T00:00:00.0000000Z" },
        { 4102444799, "2099-12-31T23:59:59.0000000Z" },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        time_iso_from_unix(rows[i].t, buf, sizeof(buf));
        assert_string_equal(buf, rows[i].want);
        assert_true(iso_shape_ok(buf));
    }

    /* a short buffer is truncated and terminated, never overrun */
    char small[12];
    memset(small, 'Q', sizeof(small));
    time_iso_from_unix(0, small, 11);
    assert_string_equal(small, "1970-01-01");
    assert_int_equal(small[11], 'Q');

    uint64_t a = time_mono_ns(), b = time_mono_ns();
    assert_true(b >= a);
    assert_true(a > 0);
}

static int cmp_guid(const void *x, const void *y)
{
    return strcmp((const char *)x, (const char *)y);
}

static void test_time_iso_ms(void **state)
{
    (void)state;
    char out[40];
    static const struct { const char *in, *want; } ok[] = {
        { "2024-01-02T03:04:05.1234567Z", "2024-01-02T03:04:05.1230000Z" },
        { "2024-01-02T03:04:05.9999999Z", "2024-01-02T03:04:05.9990000Z" },   /* cut, not rounded */
        { "2024-01-02T03:04:05Z",         "2024-01-02T03:04:05.0000000Z" },
        { "2024-01-02T03:04:05",          "2024-01-02T03:04:05.0000000Z" },   /* no zone: UTC */
        { "2024-01-02T03:04:05.5",        "2024-01-02T03:04:05.5000000Z" },
        { "2024-01-02T03:04:05.12+02:00", "2024-01-02T01:04:05.1200000Z" },
        { "2024-01-01T23:30:00-0130",     "2024-01-02T01:00:00.0000000Z" },
        { "2024-02-29T00:00:00.000Z",     "2024-02-29T00:00:00.0000000Z" },
        { "2000-02-29t12:00:00z",         "2000-02-29T12:00:00.0000000Z" },
        /* UTC input is formatted from its fields; a leap second and an
         * offset still go through timegm/gmtime_r */
        { "0001-01-01T00:00:00Z",         "0001-01-01T00:00:00.0000000Z" },
        { "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9990000Z" },
        { "2024-06-30T23:59:60Z",         "2024-07-01T00:00:00.0000000Z" },
        { "2024-12-31T23:59:60.5+00:00",  "2025-01-01T00:00:00.5000000Z" },
        { "2024-01-02T03:04:05.007Z",     "2024-01-02T03:04:05.0070000Z" },
        { "2024-01-02T03:04:05.05Z",      "2024-01-02T03:04:05.0500000Z" },
    };
    static const char *const bad[] = {
        "", "t", "2024-01-02", "2024-13-02T03:04:05Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
        "2024-01-02T24:00:00Z", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05.123ZZ",
        "2024-01-02T03:04:05+25:00", "2024-01-02X03:04:05Z", "aaaa-bb-ccTdd:ee:ffZ",
        "2024-01-02T03:04:05 junk",
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(time_iso_ms(ok[i].in, out, sizeof(out)), 0);
        assert_string_equal(out, ok[i].want);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (time_iso_ms(bad[i], out, sizeof(out)) != -1)
            fail_msg("accepted \"%s\" as %s", bad[i], out);
        assert_string_equal(out, "");
    }
    assert_int_equal(time_iso_ms(NULL, out, sizeof(out)), -1);
    assert_int_equal(time_iso_ms("2024-01-02T03:04:05Z", out, 28), -1);   /* too small */
}

static void test_guid_new(void **state)
{
    (void)state;
    enum { N = 2000 };
    static char g[N][37];

    for (size_t i = 0; i < N; i++) {
        guid_new(g[i], sizeof(g[i]));
        assert_true(str_is_guid(g[i]));
        assert_int_equal(g[i][14], '4');                              /* version 4 */
        assert_non_null(strchr("89ab", g[i][19]));                    /* RFC 4122 variant */
        for (size_t k = 0; k < 36; k++)
            assert_false(g[i][k] >= 'A' && g[i][k] <= 'F');            /* lower case */
    }
    qsort(g, N, sizeof(g[0]), cmp_guid);
    for (size_t i = 1; i < N; i++)
        assert_string_not_equal(g[i - 1], g[i]);

    /* short buffer: truncated, terminated, not overrun */
    char small[10];
    memset(small, 'Q', sizeof(small));
    guid_new(small, 9);
    assert_int_equal(strlen(small), 8);
    assert_int_equal(small[9], 'Q');
}

static void test_account_ref(void **state)
{
    char guid[] = "D0000000-0000-4000-8000-0000000000AC";
    char num[] = "1000001", zero[] = "0", neg[] = "-5", junk[] = "12ab", empty[] = "";
    (void)state;
    assert_true(str_account_ref(guid));
    assert_string_equal(guid, "d0000000-0000-4000-8000-0000000000ac");   /* lower-cased in place */
    assert_true(str_account_ref(num));
    assert_false(str_account_ref(zero));
    assert_false(str_account_ref(neg));
    assert_false(str_account_ref(junk));
    assert_false(str_account_ref(empty));
}

static void test_mem_equal_ct(void **state)
{
    (void)state;
    char a[600], b[600];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (char)('A' + i % 50);
    assert_true(mem_equal_ct(a, b, 0));
    for (size_t len = 1; len <= sizeof a; len += 37) {
        assert_true(mem_equal_ct(a, b, len));
        /* a difference anywhere, in the 8-byte steps or the tail, is seen */
        for (size_t at = 0; at < len; at += 5) {
            b[at] ^= 0x01;
            assert_false(mem_equal_ct(a, b, len));
            b[at] ^= 0x01;
        }
        b[len - 1] ^= 0x80;
        assert_false(mem_equal_ct(a, b, len));
        b[len - 1] ^= 0x80;
    }
    /* bytes past len do not count */
    b[10] = 'z';
    assert_true(mem_equal_ct(a, b, 10));
}

/* str_join: parts with the separator, the exact fit, one byte short, and
 * the empty cases; a string that does not fit is refused, never cut
 * silently into a key that could name another resource. */
static void test_join(void **state)
{
    const char *const parts[] = { "profile", "/restapi/v2.1", "j", "123", "" };
    char buf[64];

    (void)state;
    assert_int_equal(str_join(buf, sizeof(buf), '|', parts, 5), 0);
    assert_string_equal(buf, "profile|/restapi/v2.1|j|123|");
    assert_int_equal(str_join(buf, sizeof(buf), '|', parts, 1), 0);
    assert_string_equal(buf, "profile");
    assert_int_equal(str_join(buf, sizeof(buf), '|', parts, 0), 0);
    assert_string_equal(buf, "");
    /* "a|bc" is 4 bytes: fits in 5, not in 4 */
    const char *const ab[] = { "a", "bc" };
    assert_int_equal(str_join(buf, 5, '/', ab, 2), 0);
    assert_string_equal(buf, "a/bc");
    assert_int_equal(str_join(buf, 4, '/', ab, 2), -1);
    assert_true(strlen(buf) < 4);
    assert_int_equal(str_join(buf, 0, '/', ab, 2), -1);
}

/* str_hash64: the same bytes give the same value, every length 0..64 and
 * every single-bit change gives another one, and the low 12 bits (what a
 * 4,096-slot table indexes by) of keys that differ only in their last
 * characters spread over the slots. */
static void test_hash64(void **state)
{
    char a[80], b[80];
    static unsigned char seen[4096];
    unsigned used = 0;

    (void)state;
    memset(a, 'k', sizeof(a));
    memcpy(b, a, sizeof(b));
    for (size_t n = 0; n <= 64; n++) {
        assert_true(str_hash64(a, n) == str_hash64(b, n));
        if (n > 0)
            assert_true(str_hash64(a, n) != str_hash64(a, n - 1));
        for (size_t i = 0; i < n; i++)
            for (int bit = 0; bit < 8; bit++) {
                b[i] = (char)(a[i] ^ (1 << bit));
                assert_true(str_hash64(a, n) != str_hash64(b, n));
                b[i] = a[i];
            }
    }
    for (unsigned i = 0; i < 2048; i++) {
        char key[96];
        int n = snprintf(key, sizeof(key), "profile|/restapi/v2.1|j|1|0b8e9e34-1c1a-4c44-9d4e-5a3f4c%06u", i);
        unsigned slot = (unsigned)(str_hash64(key, (size_t)n) % 4096);
        if (!seen[slot]) {
            seen[slot] = 1;
            used++;
        }
    }
    /* 2,048 random keys into 4,096 slots fill ~1,610 on average */
    assert_true(used > 1500);
}

/* str_hash64 is keyed per process: another process (a fresh exec, so its
 * own start-up draws the seed) gives the same bytes another value. */
static void test_hash64_keyed(void **state)
{
    static const char key[] = "profile|/restapi/v2.1|j|1|0b8e9e34-1c1a-4c44-9d4e-5a3f4c000001";
    uint64_t mine = str_hash64(key, sizeof(key) - 1), theirs = 0;
    int fd[2];

    (void)state;
    assert_true(str_hash64_seed() != 0xcbf29ce484222325ULL);
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char arg[32];
        close(fd[0]);
        snprintf(arg, sizeof(arg), "%d", fd[1]);
        setenv("PD_HASH_CHILD_FD", arg, 1);
        execl("/proc/self/exe", "test_strutil", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], &theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
    close(fd[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(theirs != 0);
    assert_true(theirs != mine);
}

int main(void)
{
    /* the child of test_hash64_keyed: report this process's hash of the key */
    const char *child_fd = getenv("PD_HASH_CHILD_FD");
    if (child_fd != NULL) {
        static const char key[] = "profile|/restapi/v2.1|j|1|0b8e9e34-1c1a-4c44-9d4e-5a3f4c000001";
        uint64_t h = str_hash64(key, sizeof(key) - 1);
        int64_t fd = -1;
        if (str_to_i64(child_fd, 0, 1023, &fd) != 0
            || write((int)fd, &h, sizeof(h)) != (ssize_t)sizeof(h))
            return 1;
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_i64),
        cmocka_unit_test(test_is_guid),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_small_helpers),
        cmocka_unit_test(test_time_iso),
        cmocka_unit_test(test_time_iso_ms),
        cmocka_unit_test(test_guid_new),
        cmocka_unit_test(test_account_ref),
        cmocka_unit_test(test_mem_equal_ct),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_hash64),
        cmocka_unit_test(test_hash64_keyed),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
