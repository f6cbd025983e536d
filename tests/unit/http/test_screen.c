/*
 * test_screen.c - unit tests for src/http/screen.c on request targets:
 * length counted with the query, the parameter limit, %00 in any case, the
 * query cut in place when refused, and the absolute-form to origin-form step.
 * (The header checks need a libmicrohttpd connection:
 * tests/integration/http-strict.test.mjs drives them over raw sockets.)
 *
 * Memory: every pd_request is on the stack; targets are stack buffers
 * because screen_target may cut them in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/limits.h"
#include "http/screen.h"

static pd_err screen(char *target)
{
    pd_request r;
    size_t len = strlen(target);
    memset(&r, 0, sizeof(r));
    screen_target(&r, target);
    assert_int_equal(r.raw_target_len, len);           /* as sent, before any cut */
    return r.early;
}

static void test_length_counts_the_query(void **state)
{
    char t[LIM_HTTP_URL_MAX + 64];
    (void)state;
    memset(t, 'a', sizeof(t));
    memcpy(t, "/healthz?x=", 11);
    t[LIM_HTTP_URL_MAX] = '\0';
    assert_int_equal(screen(t), PD_OK);
    memset(t, 'a', sizeof(t));
    memcpy(t, "/healthz?x=", 11);
    t[LIM_HTTP_URL_MAX + 1] = '\0';
    assert_int_equal(screen(t), PD_ERR_URI_TOO_LONG);
    assert_string_equal(t, "/healthz?");            /* the query is cut in place */
}

static void test_parameter_limit(void **state)
{
    char t[2048];
    size_t n = 0;
    (void)state;
    n += (size_t)snprintf(t + n, sizeof(t) - n, "/p?");
    for (int i = 0; i < LIM_HTTP_QUERY_PARAMS_MAX; i++)
        n += (size_t)snprintf(t + n, sizeof(t) - n, "%sa=1", i ? "&" : "");
    assert_int_equal(screen(t), PD_OK);
    snprintf(t + n, sizeof(t) - n, "&b=2");
    assert_int_equal(screen(t), PD_ERR_URI_TOO_LONG);
    assert_string_equal(t, "/p?");
    char empty[] = "/p?";
    assert_int_equal(screen(empty), PD_OK);
}

static void test_pct00(void **state)
{
    (void)state;
    char a[] = "/v2.1/accounts/1/users/2/profile%00/image";
    char b[] = "/healthz?x=a%00";
    char c[] = "/healthz?x=%2500";                        /* "%00" as text: fine */
    char d[] = "/healthz?x=%0";
    char e[] = "/a%20b";
    assert_int_equal(screen(a), PD_ERR_BAD_REQUEST);
    assert_int_equal(screen(b), PD_ERR_BAD_REQUEST);
    assert_int_equal(screen(c), PD_OK);
    assert_int_equal(screen(d), PD_OK);
    assert_int_equal(screen(e), PD_OK);
}

static void test_pct00_names_the_place(void **state)
{
    pd_request r;
    char a[] = "/v2/organizations/x/users/profile?take=5&email=bob%00x";
    char b[] = "/p%00/q?x=1";
    (void)state;
    memset(&r, 0, sizeof(r));
    screen_target(&r, a);
    assert_string_equal(r.early_msg, "The query parameter 'email' holds an encoded NUL (%00).");
    memset(&r, 0, sizeof(r));
    screen_target(&r, b);
    assert_string_equal(r.early_msg, "The request path holds an encoded NUL (%00).");
}

static void test_origin_form(void **state)
{
    (void)state;
    assert_string_equal(screen_origin_form("/healthz"), "/healthz");
    assert_string_equal(screen_origin_form("http://h:1/v2/x?y"), "/v2/x?y");
    assert_string_equal(screen_origin_form("HTTPS://h/p"), "/p");
    assert_string_equal(screen_origin_form("http://h"), "/");
    assert_string_equal(screen_origin_form("httpx://h/p"), "httpx://h/p");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_counts_the_query),
        cmocka_unit_test(test_parameter_limit),
        cmocka_unit_test(test_pct00),
        cmocka_unit_test(test_pct00_names_the_place),
        cmocka_unit_test(test_origin_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
