/*
 * test_json_fastload.c - unit tests for src/core/json_fastload.c, always
 * against json_loadb(text, len, JSON_REJECT_DUPLICATES) on the same text:
 * where the fast loader builds a tree it is the same tree (json_equal, and
 * the same bytes from json_dumps with the members in order), and where
 * json_loadb refuses the text the fast loader declines it.  Hand-written
 * texts cover each construct and each thing declined on purpose (reals,
 * long integers, surrogates, U+0000, repeated names, depth, a scalar top
 * level); then 60,000 texts made by mutating valid records byte by byte.
 *
 * Memory: every tree and text is released by the test that made it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json_fastload.h"

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/* The fast loader agrees with json_loadb on text; returns whether it built
 * a tree (false: it declined). */
static bool agrees(const char *text, size_t len)
{
    json_error_t je;
    json_t *fast = json_fastload(text, len);
    json_t *ref = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

    if (fast == NULL) {
        json_decref(ref);
        return false;
    }
    if (ref == NULL)
        fail_msg("built a tree from text jansson refuses (%s): %.*s", je.text, (int)len, text);
    assert_true(json_equal(fast, ref));
    char *a = dump(fast), *b = dump(ref);
    assert_non_null(a);
    assert_non_null(b);
    if (strcmp(a, b) != 0)
        fail_msg("trees differ:\n fast %s\n json %s", a, b);
    free(a);
    free(b);
    json_decref(fast);
    json_decref(ref);
    return true;
}

static bool agrees_s(const char *text)
{
    return agrees(text, strlen(text));
}

static const char *RECORD =
    "{\"userId\":\"8f1c2a34-5b6d-4e7f-8091-a2b3c4d5e6f7\",\"email\":\"Ann.Lee@Example.COM\","
    "\"userStatus\":\"Active\",\"passwordHash\":\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\","
    "\"profile\":{\"userDetails\":{\"firstName\":\"Ann\",\"lastName\":\"Lee\",\"title\":\"CFO\"},"
    "\"address\":{\"address1\":\"1 Main St\",\"city\":\"Seattle\",\"postalCode\":\"98101\"},"
    "\"usageHistory\":{\"sentCount\":12,\"signedCount\":-3,\"lastSentDateTime\":\"2026-01-02T03:04:05.0000000Z\"},"
    "\"authenticationMethods\":[{\"authenticationType\":\"Password\",\"totalCount\":0},{}],"
    "\"displayProfile\":true,\"displayUsageHistory\":false,\"companyName\":null,\"tags\":[[],[1,[2,[3]]]]},"
    "\"profileImage\":{\"data\":\"iVBORw0KGgo=\",\"contentType\":\"image/png\"}}";

static void test_builds_what_jansson_builds(void **state)
{
    (void)state;
    assert_true(agrees_s(RECORD));
    assert_true(agrees_s("{}"));
    assert_true(agrees_s("[]"));
    assert_true(agrees_s(" \t\r\n{ \"a\" : [ 1 , -0 , 0 , 999999999999999999 , -999999999999999999 ] } \n"));
    assert_true(agrees_s("[true,false,null,\"\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"));
    assert_true(agrees_s("{\"\":1,\"a\\u0041\":2,\"\\u00e9\\u4e2d\\u20AC\\u0001\":\"\\u007f\"}"));
    assert_true(agrees_s("[\"caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"]"));
    assert_true(agrees_s("{\"caf\xc3\xa9\":{\"k\\n\":[\"v\\u00e9\",{\"k\\n\":1}]}}"));
    /* the code points at each UTF-8 length's edges, escaped and raw */
    assert_true(agrees_s("[\"\\u007f\\u0080\\u07ff\\u0800\\ud7ff\\ue000\\uffff\"]"));
    assert_true(agrees_s("[\"\x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 "
                         "\xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"]"));
    /* member order is the text's, not sorted */
    assert_true(agrees_s("{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}"));
    /* 64 levels are built */
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    assert_true(agrees(deep, 128));
}

static void test_declines_what_it_leaves_to_jansson(void **state)
{
    (void)state;
    const char *declined[] = {
        "[1.5]", "[1e3]", "[1E3]", "[-0.0]",            /* reals */
        "[1234567890123456789]",                        /* 19 digits */
        "[\"\\ud83d\\ude00\"]", "[\"\\udc00\"]",           /* surrogates */
        "[\"\\u0000\"]", "{\"a\\u0000b\":1}",              /* U+0000 */
        "{\"a\":1,\"a\":2}", "{\"a\":{},\"b\":1,\"a\":[]}",  /* repeated names */
        "{\"a\":1,\"\\u0061\":2}", "{\"\\u00e9\":1,\"\xc3\xa9\":2}",    /* ... once decoded */
        "\"top\"", "42", "true", "null",                  /* scalar top levels */
        "", "   ", "{", "[", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "[,1]",
        "[01]", "[-]", "[+1]", "[.5]", "[1 2]", "{\"a\" 1}", "{a:1}", "['a']",
        "[tru]", "[truex]", "[nul]", "[falsey]", "[\"a]", "[\"\\x\"]", "[\"\\u12\"]",
        "[\"\\u12g4\"]", "[\"a\x01\"]", "[\"tab\there\"]", "{} {}", "{}x", "[]]",
        "[\"\xc3\"]", "[\"\xc0\xaf\"]", "[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]", "[\"\xff\"]", "[\"\x80\"]", "\xef\xbb\xbf{}",
        "[\"", "{\"", "[{\"", "[\"\\", "[\"\\u00",         /* the text ends in a string (fuzz) */
    };
    for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
        if (agrees_s(declined[i]))
            fail_msg("built a tree from %s", declined[i]);
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    assert_false(agrees(deep, 130));                    /* 65 levels: jansson's */
    /* a NUL byte inside the text */
    assert_false(agrees("[\"a\0b\"]", 7));
    assert_false(agrees("[1]\0", 4));
}

/* xorshift: the same sequence on every run */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* json_load_text: the fast tree when there is one, else json_loadb's tree
 * or error; flags other than JSON_REJECT_DUPLICATES go to json_loadb. */
static void test_load_text(void **state)
{
    json_error_t je;
    json_t *v;

    (void)state;
    v = json_load_text("{\"a\":[1,2]}", 11, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(v, "a"), 1)), 2);
    json_decref(v);
    v = json_load_text("[1.5]", 5, 0, &je);              /* declined, built by jansson */
    assert_non_null(v);
    assert_true(json_is_real(json_array_get(v, 0)));
    json_decref(v);
    v = json_load_text("{\"a\":1,\"a\":2}", 13, 0, &je); /* jansson: the last one wins */
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 2);
    json_decref(v);
    memset(&je, 0, sizeof(je));
    v = json_load_text("{\"a\":1,\"a\":2}", 13, JSON_REJECT_DUPLICATES, &je);
    assert_null(v);
    assert_non_null(strstr(je.text, "duplicate"));
    memset(&je, 0, sizeof(je));
    v = json_load_text("[1,]", 4, 0, &je);
    assert_null(v);
    assert_true(je.text[0] != '\0');
    assert_int_equal(je.column, 4);
    v = json_load_text("42", 2, JSON_DECODE_ANY, &je);    /* not the fast loader's flags */
    assert_non_null(v);
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);
    assert_null(json_fastload(NULL, 0));
}

static void test_mutated_records(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]:,\"\\/ \n\t0123456789-+.eEtrufalsn\x01\x7f\xc3\xa9\xe2\x80\xed\xf0\x9f";
    size_t base = strlen(RECORD);
    char *buf = malloc(base + 16);
    unsigned built = 0, declined = 0;

    assert_non_null(buf);
    for (int round = 0; round < 60000; round++) {
        size_t len = base;
        memcpy(buf, RECORD, base);
        int edits = 1 + (int)(next_rand() % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(next_rand() % len);
            char c = alphabet[next_rand() % (sizeof(alphabet) - 1)];
            switch (next_rand() % 3) {
            case 0:                                     /* replace */
                buf[at] = c;
                break;
            case 1:                                     /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            default:                                    /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            }
        }
        if (agrees(buf, len))
            built++;
        else
            declined++;
    }
    free(buf);
    /* both sides were exercised */
    assert_true(built > 1000);
    assert_true(declined > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_what_jansson_builds),
        cmocka_unit_test(test_declines_what_it_leaves_to_jansson),
        cmocka_unit_test(test_load_text),
        cmocka_unit_test(test_mutated_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
