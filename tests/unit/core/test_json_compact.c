/*
 * test_json_compact.c - unit tests for src/core/json_compact.c: for every
 * tree here the bytes equal json_dumps(v, JSON_COMPACT) (escapes, control
 * characters, UTF-8, nesting, empty containers, integer limits, member
 * order), the length is right, and reals and over-deep trees are refused.
 *
 * Memory: every tree and string is released by the test that made it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json_compact.h"

static void same_as_jansson(json_t *v)
{
    size_t len = 0;
    char *mine = json_compact_encode(v, &len);
    char *ref = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    assert_non_null(mine);
    assert_non_null(ref);
    assert_string_equal(mine, ref);
    assert_int_equal(len, strlen(ref));
    free(mine);
    free(ref);
    json_decref(v);
}

static void test_scalars_and_strings(void **state)
{
    (void)state;
    same_as_jansson(json_string(""));
    same_as_jansson(json_string("plain text"));
    same_as_jansson(json_string("quote \" backslash \\ slash / end"));
    same_as_jansson(json_string("\b\f\n\r\t \x01\x1f\x7f"));
    same_as_jansson(json_string("caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xe4\xb8\xad"));
    same_as_jansson(json_stringn("nul\0inside", 10));
    same_as_jansson(json_integer(0));
    same_as_jansson(json_integer(-42));
    same_as_jansson(json_integer(INT64_MAX));
    same_as_jansson(json_integer(INT64_MIN));
    same_as_jansson(json_true());
    same_as_jansson(json_false());
    same_as_jansson(json_null());
}

static void test_containers(void **state)
{
    (void)state;
    same_as_jansson(json_object());
    same_as_jansson(json_array());
    same_as_jansson(json_pack("{s:s, s:{}, s:[], s:{s:I, s:I}, s:[{s:s, s:s}, {s:s}], s:b, s:n}",
                              "zeta", "last first", "address", "authenticationMethods",
                              "usageHistory", "sentCount", (json_int_t)3, "signedCount", (json_int_t)-1,
                              "userProfileSettings", "name", "a\"b", "value", "x\ny", "name", "k",
                              "flag", 1, "none"));
    /* members keep the order they were set in, whatever their names */
    json_t *o = json_object();
    const char *keys[] = { "z", "a", "m", "key with \"quote\"", "\t" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        json_object_set_new(o, keys[i], json_integer((json_int_t)i));
    json_object_set_new(o, "a", json_string("replaced in place"));
    same_as_jansson(o);
    /* a long string: the buffer grows */
    char *big = malloc(100001);
    assert_non_null(big);
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)(i % 37 == 0 ? '\n' : 'a' + i % 26);
    big[100000] = '\0';
    same_as_jansson(json_pack("[s, s]", big, big));
    free(big);
}

static void test_refusals(void **state)
{
    (void)state;
    json_t *r = json_pack("{s:f}", "x", 1.5);
    assert_null(json_compact_encode(r, NULL));          /* reals: json_dumps decides */
    json_decref(r);
    assert_null(json_compact_encode(NULL, NULL));
    json_t *deep = json_array(), *cur = deep;
    for (int i = 0; i < JSON_COMPACT_DEPTH + 1; i++) {
        json_t *a = json_array();
        json_array_append_new(cur, a);
        cur = a;
    }
    assert_null(json_compact_encode(deep, NULL));
    json_decref(deep);
    deep = json_array();
    cur = deep;
    for (int i = 0; i < JSON_COMPACT_DEPTH; i++) {
        json_t *a = json_array();
        json_array_append_new(cur, a);
        cur = a;
    }
    same_as_jansson(deep);                              /* exactly the limit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_and_strings),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
