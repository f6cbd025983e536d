/*
 * test_error.c - unit tests for src/core/error.c: every pd_err has a DocuSign
 * errorCode, a message and an HTTP status; the pairs fixed by
 * docusign-facts.md §4; unknown values map to INTERNAL; pd_errbuf joins
 * with "; ", counts every problem and truncates with "..." without
 * overrunning its buffer.
 *
 * Memory: the error buffers are heap-allocated at their exact size so ASan
 * reports any write past the struct; freed by each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"

static void test_every_code_described(void **state)
{
    (void)state;
    int failures = 0;

    for (int e = 0; e < PD_ERR_COUNT_; e++) {
        const pd_err_info *d = pd_err_describe((pd_err)e);
        if (d == NULL || d->code == NULL || d->message == NULL) {
            print_error("pd_err %d: missing description\n", e);
            failures++;
            continue;
        }
        int bad = d->status < 200 || d->status > 599 || d->code[0] == '\0' ||
                  (e != PD_OK && (d->status < 400 || d->message[0] == '\0'));
        for (const char *p = d->code; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                bad = 1;
        /* each non-OK pd_err has its own entry, not the INTERNAL fallback */
        if (e != PD_ERR_INTERNAL && d == pd_err_describe(PD_ERR_INTERNAL))
            bad = 1;
        if (bad) {
            print_error("pd_err %d: status %d code '%s' message '%s'\n", e, d->status, d->code, d->message);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    assert_int_equal(pd_err_describe(PD_OK)->status, 200);
}

static void test_known_pairs(void **state)
{
    (void)state;
    static const struct { pd_err e; int status; const char *code; const char *msg; } rows[] = {
        { PD_ERR_INVALID_TOKEN, 401, "AUTHORIZATION_INVALID_TOKEN",
          "The access token provided is expired, revoked or malformed." },
        { PD_ERR_NO_TOKEN, 401, "PARTNER_AUTHENTICATION_FAILED",
          "The specified Integrator Key was not found or is disabled. An Integrator key was not specified." },
        { PD_ERR_LACKS_PERMISSIONS, 403, "USER_LACKS_PERMISSIONS",
          "This user lacks sufficient permissions to access this resource." },
        { PD_ERR_INVALID_USERID, 400, "INVALID_USERID", "Invalid UserId." },
        { PD_ERR_USER_NOT_FOUND, 400, "USER_DOES_NOT_EXIST_IN_SYSTEM", NULL },
        { PD_ERR_USER_NOT_IN_ACCOUNT, 0, "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT", NULL },
        { PD_ERR_INVALID_ACCOUNT_ID, 400, "INVALID_ACCOUNT_ID", NULL },
        { PD_ERR_INVALID_PARAMETER, 400, "INVALID_REQUEST_PARAMETER", NULL },
        { PD_ERR_INVALID_BODY, 400, "INVALID_REQUEST_BODY", NULL },
        { PD_ERR_NO_IMAGE, 404, NULL, NULL },
        { PD_ERR_NOT_FOUND, 404, NULL, NULL },
        { PD_ERR_METHOD_NOT_ALLOWED, 405, NULL, NULL },
        { PD_ERR_URI_TOO_LONG, 414, NULL, NULL },
        { PD_ERR_BODY_TOO_LARGE, 413, NULL, NULL },
        { PD_ERR_IMAGE_TOO_LARGE, 413, NULL, NULL },
        { PD_ERR_INVALID_CONTENT_TYPE, 415, NULL, NULL },
        { PD_ERR_HOURLY_LIMIT, 429, "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
          "The maximum number of hourly API invocations has been exceeded. The hourly limit is 3000." },
        { PD_ERR_BURST_LIMIT, 429, "BURST_APIINVOCATION_LIMIT_EXCEEDED", NULL },
        { PD_ERR_STORE, 500, NULL, NULL },
        { PD_ERR_INTERNAL, 500, NULL, NULL },
        { PD_ERR_UNAVAILABLE, 503, NULL, NULL },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const pd_err_info *d = pd_err_describe(rows[i].e);
        if ((rows[i].status && d->status != rows[i].status) ||
            (rows[i].code && strcmp(d->code, rows[i].code) != 0) ||
            (rows[i].msg && strcmp(d->message, rows[i].msg) != 0)) {
            print_error("pd_err %d: %d %s '%s'\n", rows[i].e, d->status, d->code, d->message);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_unknown_maps_to_internal(void **state)
{
    (void)state;
    const pd_err_info *internal = pd_err_describe(PD_ERR_INTERNAL);
    assert_ptr_equal(pd_err_describe(PD_ERR_COUNT_), internal);
    assert_ptr_equal(pd_err_describe((pd_err)(PD_ERR_COUNT_ + 1)), internal);
    assert_ptr_equal(pd_err_describe((pd_err)1000000), internal);
    assert_ptr_equal(pd_err_describe((pd_err)-1), internal);
    assert_int_equal(internal->status, 500);
}

static pd_errbuf *new_eb(void)
{
    pd_errbuf *eb = malloc(sizeof(*eb));
    assert_non_null(eb);
    memset(eb, 'Q', sizeof(*eb));
    pd_errbuf_init(eb);
    return eb;
}

static void test_errbuf_join(void **state)
{
    (void)state;
    pd_errbuf *eb = new_eb();

    assert_string_equal(eb->text, "");
    assert_int_equal(eb->len, 0);
    assert_int_equal(eb->count, 0);

    pd_errbuf_add(eb, "firstName: longer than %d characters", 50);
    assert_string_equal(eb->text, "firstName: longer than 50 characters");
    assert_int_equal(eb->count, 1);
    assert_int_equal(eb->len, strlen(eb->text));

    pd_errbuf_add(eb, "%s: %s", "title", "bad");
    assert_string_equal(eb->text, "firstName: longer than 50 characters; title: bad");
    assert_int_equal(eb->count, 2);
    assert_int_equal(eb->len, strlen(eb->text));

    pd_errbuf_add(eb, "%s", "");                /* an empty problem still counts */
    assert_int_equal(eb->count, 3);
    assert_string_equal(eb->text, "firstName: longer than 50 characters; title: bad; ");
    assert_int_equal(eb->len, strlen(eb->text));

    pd_errbuf_add(eb, "%%d stays literal: %s", "%d");
    assert_string_equal(eb->text, "firstName: longer than 50 characters; title: bad; ; %d stays literal: %d");
    assert_int_equal(eb->count, 4);

    pd_errbuf_init(eb);
    assert_string_equal(eb->text, "");
    assert_int_equal(eb->count, 0);
    assert_int_equal(eb->len, 0);
    free(eb);
}

static int ends_with_dots(const pd_errbuf *eb)
{
    size_t n = strlen(eb->text);
    return n >= 3 && strcmp(eb->text + n - 3, "...") == 0;
}

/* Many problems of every width: each one counted, the text stays inside the
 * buffer (NUL-terminated, len agrees), and what is kept is a prefix of the
 * full "; "-joined text. */
static void test_errbuf_truncation(void **state)
{
    (void)state;
    for (size_t width = 1; width <= 300; width += 7) {
        pd_errbuf *eb = new_eb();
        char *msg = malloc(width + 1);
        assert_non_null(msg);
        memset(msg, 'm', width);
        msg[width] = '\0';
        unsigned n = (unsigned)(3 * PD_ERRBUF_MAX / (width + 2) + 3);
        for (unsigned i = 0; i < n; i++)
            pd_errbuf_add(eb, "%s", msg);
        assert_int_equal(eb->count, n);
        assert_true(eb->len < PD_ERRBUF_MAX);
        assert_int_equal(eb->len, strlen(eb->text));
        assert_true(eb->len >= PD_ERRBUF_MAX - 1 - (width + 2) - 3);  /* it did fill up */
        for (size_t k = 0; k + 3 < eb->len; k++) {
            size_t phase = k % (width + 2);
            char want = phase < width ? 'm' : (phase == width ? ';' : ' ');
            if (eb->text[k] != want)
                fail_msg("width %zu: byte %zu is '%c', want '%c'", width, k, eb->text[k], want);
        }
        free(msg);
        free(eb);
    }
}

/* When problems are dropped for lack of room the text ends with "...":
 * many short problems of every width. */
static void test_errbuf_marks_truncation(void **state)
{
    (void)state;
    int failures = 0;

    for (size_t width = 1; width <= 300; width++) {
        pd_errbuf *eb = new_eb();
        char *msg = malloc(width + 1);
        assert_non_null(msg);
        memset(msg, 'm', width);
        msg[width] = '\0';
        unsigned n = (unsigned)(3 * PD_ERRBUF_MAX / (width + 2) + 3);
        for (unsigned i = 0; i < n; i++)
            pd_errbuf_add(eb, "%s", msg);
        if (!ends_with_dots(eb)) {
            if (failures < 5)
                print_error("width %zu: %u problems, len %zu, text does not end with '...'\n",
                            width, n, eb->len);
            failures++;
        }
        free(msg);
        free(eb);
    }
    if (failures)
        print_error("%d of 300 widths lose problems without the '...' mark\n", failures);
    assert_int_equal(failures, 0);
}

/* One problem larger than the whole buffer. */
static void test_errbuf_huge_message(void **state)
{
    (void)state;
    pd_errbuf *eb = new_eb();
    size_t big = 3 * PD_ERRBUF_MAX;
    char *msg = malloc(big + 1);
    assert_non_null(msg);
    memset(msg, 'x', big);
    msg[big] = '\0';

    pd_errbuf_add(eb, "%s", msg);
    assert_int_equal(eb->count, 1);
    assert_int_equal(eb->len, PD_ERRBUF_MAX - 1);
    assert_int_equal(strlen(eb->text), PD_ERRBUF_MAX - 1);
    assert_true(ends_with_dots(eb));
    assert_int_equal(eb->text[0], 'x');

    /* further problems are still counted and nothing moves */
    pd_errbuf_add(eb, "more");
    pd_errbuf_add(eb, "%s", msg);
    assert_int_equal(eb->count, 3);
    assert_int_equal(eb->len, PD_ERRBUF_MAX - 1);
    assert_true(ends_with_dots(eb));
    free(msg);
    free(eb);
}

/* The separator alone does not fit: the buffer is marked, not overrun. */
static void test_errbuf_boundaries(void **state)
{
    (void)state;
    /* first message lengths around the point where "; " + more no longer fit */
    for (size_t first = PD_ERRBUF_MAX - 8; first <= PD_ERRBUF_MAX - 5; first++) {
        for (size_t second = 0; second <= 4; second++) {
            pd_errbuf *eb = new_eb();
            char *a = malloc(first + 1), b[8];
            assert_non_null(a);
            memset(a, 'a', first);
            a[first] = '\0';
            memset(b, 'b', second);
            b[second] = '\0';
            pd_errbuf_add(eb, "%s", a);
            assert_int_equal(eb->len, first);
            pd_errbuf_add(eb, "%s", b);
            assert_int_equal(eb->count, 2);
            assert_true(eb->len < PD_ERRBUF_MAX);
            assert_int_equal(eb->len, strlen(eb->text));
            /* either the whole "; b..." is there or the text says it was cut */
            char tail[16];
            snprintf(tail, sizeof(tail), "; %s", b);
            size_t tl = strlen(tail);
            int whole = eb->len >= tl && strcmp(eb->text + eb->len - tl, tail) == 0 &&
                        eb->len == first + tl;
            if (!whole && !ends_with_dots(eb)) {
                print_error("first %zu, second %zu: len %zu, tail '%s'\n", first, second,
                            eb->len, eb->text + eb->len - 6);
                fail();
            }
            free(a);
            free(eb);
        }
    }
}

/* A message that exactly fills the buffer, then another one: the second
 * problem is lost, so the text must say so with "..." (core/error.h: "silently
 * marks truncation"). */
static void test_errbuf_dropped_after_exact_fill(void **state)
{
    (void)state;
    static const size_t fills[] = { PD_ERRBUF_MAX - 1, PD_ERRBUF_MAX - 2, PD_ERRBUF_MAX - 3,
                                    PD_ERRBUF_MAX - 4 };
    int failures = 0;

    for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
        pd_errbuf *eb = new_eb();
        char *a = malloc(fills[i] + 1);
        assert_non_null(a);
        memset(a, 'a', fills[i]);
        a[fills[i]] = '\0';
        pd_errbuf_add(eb, "%s", a);
        assert_int_equal(eb->len, fills[i]);
        assert_false(ends_with_dots(eb));
        pd_errbuf_add(eb, "second problem");
        assert_int_equal(eb->count, 2);
        assert_true(eb->len < PD_ERRBUF_MAX);
        if (strstr(eb->text, "second problem") == NULL && !ends_with_dots(eb)) {
            print_error("first message of %zu bytes, then another: second lost without '...' (len %zu)\n",
                        fills[i], eb->len);
            failures++;
        }
        free(a);
        free(eb);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_described),
        cmocka_unit_test(test_known_pairs),
        cmocka_unit_test(test_unknown_maps_to_internal),
        cmocka_unit_test(test_errbuf_join),
        cmocka_unit_test(test_errbuf_truncation),
        cmocka_unit_test(test_errbuf_marks_truncation),
        cmocka_unit_test(test_errbuf_huge_message),
        cmocka_unit_test(test_errbuf_boundaries),
        cmocka_unit_test(test_errbuf_dropped_after_exact_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
