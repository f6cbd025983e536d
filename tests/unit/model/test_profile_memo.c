/*
 * test_profile_memo.c - unit tests for src/model/profile_memo.c: a hit
 * needs the same user, version and exact text; a put replaces the slot's
 * entry (the old tree and text are released: ASan/LSan check it); the
 * returned tree is a new reference to the one put.
 *
 * Memory: each test releases what it gets and clears the memo at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/profile_memo.h"

#define UA "00000000-0000-4000-8000-00000000a001"
#define UB "00000000-0000-4000-8000-00000000b002"

static void test_hit_needs_user_version_and_text(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:s}", "title", "Engineer");
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);

    assert_null(profile_memo_get(UA, 7, text));
    profile_memo_put(UA, 7, text, doc, false);
    json_t *hit = profile_memo_get(UA, 7, text);
    assert_ptr_equal(hit, doc);
    assert_int_equal(doc->refcount, 3);         /* ours, the memo's, the hit's */
    json_decref(hit);
    assert_null(profile_memo_get(UA, 8, text));                 /* another version */
    assert_null(profile_memo_get(UB, 7, text));                 /* another user */
    assert_null(profile_memo_get(UA, 7, "{\"title\":\"Engineer!\"}")); /* another text */
    assert_null(profile_memo_get(UA, 7, "{\"title\":\"Enginee\"}"));   /* a prefix */
    assert_null(profile_memo_get(NULL, 7, text));
    assert_null(profile_memo_get(UA, 7, NULL));
    free(text);
    json_decref(doc);
    profile_memo_clear();
    assert_null(profile_memo_get(UA, 7, "{\"title\":\"Engineer\"}"));
}

static void test_put_replaces_and_releases(void **state)
{
    (void)state;
    json_t *d1 = json_pack("{s:s}", "title", "One");
    json_t *d2 = json_pack("{s:s}", "title", "Two");

    profile_memo_put(UA, 1, "{\"title\":\"One\"}", d1, false);
    assert_int_equal(d1->refcount, 2);
    profile_memo_put(UA, 2, "{\"title\":\"Two\"}", d2, false);
    assert_int_equal(d1->refcount, 1);          /* the memo let the old tree go */
    assert_null(profile_memo_get(UA, 1, "{\"title\":\"One\"}"));
    json_t *hit = profile_memo_get(UA, 2, "{\"title\":\"Two\"}");
    assert_ptr_equal(hit, d2);
    json_decref(hit);
    /* the text is copied: the caller's buffer may go */
    char *buf = strdup("{\"title\":\"Two\"}");
    assert_non_null(buf);
    profile_memo_put(UB, 5, buf, d2, false);
    buf[3] = 'X';
    free(buf);
    hit = profile_memo_get(UB, 5, "{\"title\":\"Two\"}");
    assert_ptr_equal(hit, d2);
    json_decref(hit);
    /* refused input changes nothing */
    profile_memo_put(NULL, 9, "{}", d1, false);
    profile_memo_put(UA, 9, NULL, d1, false);
    profile_memo_put(UA, 9, "{}", NULL, false);
    assert_int_equal(d1->refcount, 1);
    profile_memo_clear();
    assert_int_equal(d2->refcount, 1);
    json_decref(d1);
    json_decref(d2);
}

/* take hands the tree over only when it was put canonical and nobody else
 * holds it; the entry then leaves the memo. */
static void test_take_hands_over_only_an_unshared_canonical_tree(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:s}", "title", "Engineer");
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);

    profile_memo_put(UA, 3, text, doc, false);             /* not canonical */
    assert_null(profile_memo_take(UA, 3, text));
    profile_memo_put(UA, 3, text, doc, true);
    assert_null(profile_memo_take(UA, 3, text));    /* the test still holds doc */
    assert_null(profile_memo_take(UA, 4, text));    /* another version */
    json_decref(doc);                               /* now only the memo does */
    json_t *got = profile_memo_take(UA, 3, text);
    assert_non_null(got);
    assert_int_equal(got->refcount, 1);
    assert_string_equal(json_string_value(json_object_get(got, "title")), "Engineer");
    assert_null(profile_memo_get(UA, 3, text));     /* gone from the memo */
    assert_null(profile_memo_take(UA, 3, text));
    json_decref(got);
    free(text);
    profile_memo_clear();
}

/* profile_memo_latest: whatever the version, with the version and a copy
 * of the text; handed over when it may be (canonical, unshared), else
 * shared; nothing for another user. */
static void test_latest_answers_whatever_the_version(void **state)
{
    (void)state;
    const char *text = "{\"title\":\"T\"}";
    json_t *doc = json_loads(text, 0, NULL), *got;
    int64_t version;
    char *t;
    bool taken;

    profile_memo_clear();
    assert_null(profile_memo_latest("u1", &version, &t, &taken));
    assert_null(t);
    profile_memo_put("u1", 7, text, doc, false);
    assert_null(profile_memo_latest("u2", &version, &t, &taken));
    /* not canonical: shared, the entry stays */
    got = profile_memo_latest("u1", &version, &t, &taken);
    assert_ptr_equal(got, doc);
    assert_false(taken);
    assert_int_equal(version, 7);
    assert_string_equal(t, text);
    assert_ptr_not_equal(t, text);
    free(t);
    json_decref(got);
    /* canonical and held by nobody else: handed over, the entry leaves */
    profile_memo_put("u1", 8, text, doc, true);
    json_decref(doc);                           /* the memo's is the only reference */
    got = profile_memo_latest("u1", &version, &t, &taken);
    assert_ptr_equal(got, doc);
    assert_true(taken);
    assert_int_equal(version, 8);
    assert_string_equal(t, text);
    free(t);
    assert_null(profile_memo_latest("u1", &version, &t, &taken));
    json_decref(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_needs_user_version_and_text),
        cmocka_unit_test(test_put_replaces_and_releases),
        cmocka_unit_test(test_take_hands_over_only_an_unshared_canonical_tree),
        cmocka_unit_test(test_latest_answers_whatever_the_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
