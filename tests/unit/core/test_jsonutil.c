/*
 * test_jsonutil.c - unit tests for src/core/jsonutil.c: the nesting pre-scan
 * (exactly at the limit and one over, arrays and objects mixed, brackets
 * inside strings, escaped quotes and backslashes), duplicate keys, malformed
 * input with line/column in the message, the len argument, and a small
 * error buffer.
 *
 * Memory: decoded values are released with json_decref by each test;
 * generated inputs are malloc'd and freed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jsonutil.h"
#include "core/limits.h"

/* depth levels of nesting built from open/close: e.g. "[[[1]]]" or
 * {"a":{"a":{"a":1}}}; malloc'd. */
static char *nested(int depth, int objects)
{
    size_t cap = (size_t)depth * 8 + 16, o = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (int i = 0; i < depth; i++) {
        if (objects && (i % 2 == 0 || objects == 2)) {
            memcpy(s + o, "{\"a\":", 5);
            o += 5;
        } else {
            s[o++] = '[';
        }
    }
    s[o++] = '1';
    for (int i = depth - 1; i >= 0; i--)
        s[o++] = (objects && (i % 2 == 0 || objects == 2)) ? '}' : ']';
    s[o] = '\0';
    assert_true(o < cap);
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    char err[256];
    int failures = 0;

    /* objects: 0 arrays only, 1 mixed, 2 objects only */
    for (int objects = 0; objects <= 2; objects++) {
        for (int max = 1; max <= LIM_JSON_DEPTH + 1; max++) {
            char *at = nested(max, objects), *over = nested(max + 1, objects);
            err[0] = '\0';
            json_t *j = json_decode_bounded(at, strlen(at), max, err, sizeof(err));
            if (j == NULL || json_depth_ok(at, strlen(at), max) != 0) {
                print_error("depth %d (max %d, objects %d) refused: %s\n", max, max, objects, err);
                failures++;
            }
            json_decref(j);
            err[0] = '\0';
            j = json_decode_bounded(over, strlen(over), max, err, sizeof(err));
            char want[64];
            snprintf(want, sizeof(want), "deeper than %d", max);
            if (j != NULL || strstr(err, want) == NULL || json_depth_ok(over, strlen(over), max) == 0) {
                print_error("depth %d (max %d, objects %d) accepted or wrong message: '%s'\n",
                            max + 1, max, objects, err);
                failures++;
            }
            json_decref(j);
            free(at);
            free(over);
        }
    }
    assert_int_equal(failures, 0);

    /* the project limit, siblings do not add up */
    char *deep = nested(LIM_JSON_DEPTH, 1);
    json_t *j = json_decode_bounded(deep, strlen(deep), LIM_JSON_DEPTH, err, sizeof(err));
    assert_non_null(j);
    json_decref(j);
    free(deep);
    const char *wide = "[[1],[2],[3],[4],[5],[6],[7],[8],[9],[10],[11],[12],[13],[14],[15],[16],[17],[18]]";
    j = json_decode_bounded(wide, strlen(wide), 2, err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 18);
    json_decref(j);
    /* a deep bomb is refused by the pre-scan, whatever else follows */
    size_t bomb = 100000;
    char *b = malloc(bomb + 1);
    assert_non_null(b);
    memset(b, '[', bomb);
    b[bomb] = '\0';
    assert_null(json_decode_bounded(b, bomb, LIM_JSON_DEPTH, err, sizeof(err)));
    assert_non_null(strstr(err, "deeper than 16"));
    free(b);
}

typedef struct {
    const char *name;
    const char *json;
    int max;
    int ok;
} scan_row;

static void test_strings_ignored(void **state)
{
    (void)state;
    static const scan_row rows[] = {
        { "brackets in a string",          "[\"[[[[[[[[[[{{{{{{{{{{\"]", 1, 1 },
        { "brackets in a key",             "{\"[[[[{{{{\":1}", 1, 1 },
        { "closing brackets in a string",  "[\"]]]]]]]]\",[[1]]]", 2, 0 },   /* string does not lower the count */
        { "closing brackets in a string ok", "[\"]]]]]]]]\",[[1]]]", 3, 1 },
        { "escaped quote keeps string open", "[\"\\\"[[[[[[[[\"]", 1, 1 },
        { "escaped quotes twice",          "[\"a\\\"b\\\"[[[[\"]", 1, 1 },
        { "escaped backslash ends escape", "[\"\\\\\",[[[1]]]]", 3, 0 },      /* "\\" then [[[ : depth 4 */
        { "escaped backslash, at limit",   "[\"\\\\\",[[[1]]]]", 4, 1 },
        { "backslash-quote-backslash",     "[\"\\\\\\\"[[[[\"]", 1, 1 },      /* \\ \" : still in string */
        { "unicode escape",                "[\"\\u005b\\u005b\\u005b\"]", 1, 1 },
        { "string then nesting",           "{\"k\":\"[{\",\"v\":[[[1]]]}", 3, 0 },
        { "string then nesting at limit",  "{\"k\":\"[{\",\"v\":[[[1]]]}", 4, 1 },
    };
    char err[256];
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const scan_row *r = &rows[i];
        json_t *j = json_decode_bounded(r->json, strlen(r->json), r->max, err, sizeof(err));
        int scan = json_depth_ok(r->json, strlen(r->json), r->max);
        if ((j != NULL) != r->ok || (scan == 0) != r->ok) {
            print_error("%s: %s with max %d: decoded=%d scan=%d err='%s'\n", r->name, r->json,
                        r->max, j != NULL, scan, j ? "" : err);
            failures++;
        }
        json_decref(j);
    }
    assert_int_equal(failures, 0);
}

static void test_values_decoded(void **state)
{
    (void)state;
    const char *in = "{\"s\":\"a\\\"b[\",\"n\":42,\"t\":true,\"a\":[1,{\"x\":null}],\"u\":\"\\u00e9\"}";
    char err[128] = "untouched";
    json_t *j = json_decode_bounded(in, strlen(in), 3, err, sizeof(err));

    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "s")), "a\"b[");
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 42);
    assert_true(json_is_true(json_object_get(j, "t")));
    assert_int_equal(json_array_size(json_object_get(j, "a")), 2);
    assert_string_equal(json_string_value(json_object_get(j, "u")), "\xc3\xa9");
    json_decref(j);

    /* len is honoured: only the first len bytes are parsed */
    const char *padded = "{\"k\":1}garbage[[[[[[[[[[[[[[[[[[[[";
    j = json_decode_bounded(padded, 7, 2, err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "k")), 1);
    json_decref(j);
    assert_null(json_decode_bounded(padded, 8, 2, err, sizeof(err)));
}

typedef struct {
    const char *name;
    const char *json;
    const char *want;     /* substring of the error */
} bad_row;

static void test_malformed(void **state)
{
    (void)state;
    static const bad_row rows[] = {
        { "duplicate key",            "{\"a\":1,\"a\":2}",            "duplicate" },
        { "duplicate nested key",     "{\"o\":{\"b\":1,\"b\":1}}",     "duplicate" },
        { "duplicate key, 3rd line",  "{\n\"a\":1,\n\"a\":2}",        "line 3" },
        { "missing value",            "{\n  \"a\": 1,\n  \"b\": }",   "line 3 column 8" },
        { "bad literal",              "{\"a\":\n\n   tru}",           "line 3 column 6" },
        { "trailing garbage",         "{} x",                         "line 1 column 4" },
        { "unterminated array",       "[1,2",                         "line 1" },
        { "trailing comma",           "[1,]",                         "line 1 column 4" },
        { "empty input",              "",                             "line 1" },
        { "bare scalar",              "42",                           "line 1" },
        { "single quotes",            "{'a':1}",                      "line 1" },
        { "unterminated string",      "[\"abc",                       "line 1" },
        { "comment",                  "{/*x*/}",                      "line 1" },
        { "NaN",                      "[NaN]",                        "line 1" },
    };
    char err[256];
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        memset(err, 0, sizeof(err));
        json_t *j = json_decode_bounded(rows[i].json, strlen(rows[i].json), LIM_JSON_DEPTH, err, sizeof(err));
        if (j != NULL || strstr(err, rows[i].want) == NULL || strstr(err, "column") == NULL) {
            print_error("%s: decoded=%d err='%s', want '%s'\n", rows[i].name, j != NULL, err, rows[i].want);
            failures++;
        }
        json_decref(j);
    }
    /* an embedded NUL inside the given length is refused */
    static const char nul[] = "{\"a\":\"x\0y\"}";
    assert_null(json_decode_bounded(nul, sizeof(nul) - 1, 4, err, sizeof(err)));
    assert_int_equal(failures, 0);
}

/* The error text is truncated to errlen and always terminated. */
static void test_small_errbuf(void **state)
{
    (void)state;
    char err[12];

    memset(err, 'Q', sizeof(err));
    assert_null(json_decode_bounded("{\"a\":}", 6, 4, err, 8));
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'Q');
    memset(err, 'Q', sizeof(err));
    assert_null(json_decode_bounded("[[[[1]]]]", 9, 2, err, 8));
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'Q');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_strings_ignored),
        cmocka_unit_test(test_values_decoded),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_small_errbuf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
