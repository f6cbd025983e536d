/*
 * test_profile_write.c - the one read-merge-write (model/profile_write.c)
 * on a real SQLite file: a write moves the version by one and says which it
 * replaced; the document is the merge (the same bytes as profile_merge of
 * what was stored); a missing user is NOT_FOUND with nothing written;
 * writes of different members from two threads at once, each through its
 * own handle (as the SOAP and page surfaces call it), all land; and a write
 * from outside the process between two writes (which the memo cannot know)
 * is merged, not overwritten; a write after this process's own reads
 * nothing first (the memo's tree, written on condition), and falls back to
 * reading when someone else changed the row, even without its version.
 *
 * Memory: each test owns its handles and temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "model/profile.h"
#include "model/profile_memo.h"
#include "model/profile_write.h"
#include "store/store.h"
#include "../sqlite_testdb.h"

#define USR "aaaaaaaa-0000-4000-8000-000000000001"
#define NOBODY "aaaaaaaa-0000-4000-8000-0000000000ff"
#define N_WRITES 40

typedef struct {
    sqt_db db;
    pd_store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->s = sqt_make(&f->db, "t");
    pd_user u = { .id = (char *)USR, .email = (char *)"a@example.com", .status = (char *)"Active",
                  .created = (char *)"2024-01-01T00:00:00.0000000Z",
                  .modified = (char *)"2024-01-01T00:00:00.0000000Z",
                  .profile_json = (char *)"{\"title\":\"Start\",\"userDetails\":{\"jobTitle\":\"J\"}}" };
    assert_int_equal(f->s->ops->upsert_user(f->s, &u), PD_OK);
    profile_memo_clear();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pd_store_close(f->s);
    sqt_remove(&f->db);
    profile_memo_clear();
    free(f);
    return 0;
}

static json_t *stored_doc(pd_store *s, int64_t *version)
{
    pd_user u = {0};
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    json_t *d = json_loads(u.profile_json, 0, NULL);
    assert_non_null(d);
    if (version != NULL)
        *version = u.version;
    pd_user_clear(&u);
    return d;
}

static const char *member(const json_t *doc, const char *obj, const char *key)
{
    const json_t *o = obj != NULL ? json_object_get(doc, obj) : doc;
    return json_string_value(json_object_get(o, key));
}

static void write_ok(pd_store *s, const char *patch_text, int64_t expect_read)
{
    json_t *patch = json_loads(patch_text, 0, NULL);
    profile_write_out w;
    assert_non_null(patch);
    assert_int_equal(profile_write(s, USR, patch, &w), PD_OK);
    assert_int_equal(w.read_version, expect_read);
    json_decref(patch);
}

/* The stored document has this version, title, address.city and
 * userDetails.jobTitle. */
static void expect_doc(pd_store *s, int64_t version, const char *title, const char *city,
                       const char *job)
{
    int64_t v;
    json_t *d = stored_doc(s, &v);
    assert_int_equal(v, version);
    assert_string_equal(member(d, NULL, "title"), title);
    assert_string_equal(member(d, "address", "city"), city);
    assert_string_equal(member(d, "userDetails", "jobTitle"), job);
    json_decref(d);
}

static void test_write_merges_and_moves_the_version(void **state)
{
    fixture *f = *state;
    int64_t v0, v;
    json_t *before = stored_doc(f->s, &v0);
    json_t *patch = json_loads("{\"title\":\"Lead\",\"address\":{\"city\":\"Oslo\"}}", 0, NULL);
    json_t *expect = profile_merge(before, patch);

    write_ok(f->s, "{\"title\":\"Lead\",\"address\":{\"city\":\"Oslo\"}}", v0);
    json_t *after = stored_doc(f->s, &v);
    assert_int_equal(v, v0 + 1);
    char *a = json_dumps(after, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *b = json_dumps(expect, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(a, b);
    /* the next write starts from the memo's tree (in place): same rules */
    write_ok(f->s, "{\"title\":\"Lead 2\"}", v0 + 1);
    expect_doc(f->s, v0 + 2, "Lead 2", "Oslo", "J");
    free(a);
    free(b);
    json_decref(before);
    json_decref(patch);
    json_decref(expect);
    json_decref(after);
}

static void test_missing_user_is_not_found(void **state)
{
    fixture *f = *state;
    int64_t v0, v;
    json_decref(stored_doc(f->s, &v0));
    json_t *patch = json_loads("{\"title\":\"X\"}", 0, NULL);
    profile_write_out w;
    assert_int_equal(profile_write(f->s, NOBODY, patch, &w), PD_ERR_NOT_FOUND);
    json_decref(stored_doc(f->s, &v));
    assert_int_equal(v, v0);
    json_decref(patch);
}

typedef struct {
    const char *url;
    const char *obj;         /* the member each thread owns: obj.key */
    const char *key;
    int ok;
} writer_arg;

static void *writer(void *arg)
{
    writer_arg *a = arg;
    char err[256] = "", text[128];
    pd_store *s = pd_store_open_existing(a->url, err, sizeof err);
    if (s == NULL)
        return NULL;
    for (int i = 1; i <= N_WRITES; i++) {
        snprintf(text, sizeof text, "{\"%s\":{\"%s\":\"%s-%d\"}}", a->obj, a->key, a->key, i);
        json_t *patch = json_loads(text, 0, NULL);
        profile_write_out w;
        if (patch != NULL && profile_write(s, USR, patch, &w) == PD_OK)
            a->ok++;
        json_decref(patch);
    }
    pd_store_close(s);
    return NULL;
}

static void test_concurrent_writers_lose_nothing(void **state)
{
    fixture *f = *state;
    writer_arg args[] = {
        { f->db.url, "address", "city", 0 },
        { f->db.url, "address", "postalCode", 0 },
        { f->db.url, "userDetails", "jobTitle", 0 },
        { f->db.url, "userDetails", "title", 0 },
    };
    enum { N = sizeof args / sizeof args[0] };
    pthread_t t[N];
    int64_t v0, v;
    json_decref(stored_doc(f->s, &v0));
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    json_t *d = stored_doc(f->s, &v);
    char want[64];
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].ok, N_WRITES);
        snprintf(want, sizeof want, "%s-%d", args[i].key, N_WRITES);
        assert_string_equal(member(d, args[i].obj, args[i].key), want);
    }
    assert_int_equal(v, v0 + N * N_WRITES);
    json_decref(d);
}

static void test_outside_write_is_merged_not_overwritten(void **state)
{
    fixture *f = *state;
    int64_t v0;
    json_decref(stored_doc(f->s, &v0));
    write_ok(f->s, "{\"title\":\"One\"}", v0);      /* the memo now holds this tree */
    /* another process writes the document (and bumps the version) */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "UPDATE users SET profile_json = json_set(profile_json, "
                                  "'$.companyName', 'Outside'), version = version + 1", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(raw);
    write_ok(f->s, "{\"title\":\"Two\"}", v0 + 2);
    json_t *d = stored_doc(f->s, NULL);
    assert_string_equal(member(d, NULL, "title"), "Two");
    assert_string_equal(member(d, NULL, "companyName"), "Outside");
    json_decref(d);
}

/* ---- the write without a read ------------------------------------------ */

/* A handle on the same connection whose get_user is counted (and no lane:
 * the writes run on it). */
static const pd_store_ops *g_real_ops;
static int g_get_user_calls;

static pd_err counting_get_user(pd_store *s, const char *id, pd_user *out)
{
    g_get_user_calls++;
    pd_store real = { .ops = g_real_ops, .impl = s->impl };
    return g_real_ops->get_user(&real, id, out);
}

static void test_next_write_reads_nothing(void **state)
{
    fixture *f = *state;
    pd_store_ops ops = *f->s->ops;
    ops.get_user = counting_get_user;
    ops.lane = NULL;
    g_real_ops = f->s->ops;
    pd_store counted = { .ops = &ops, .impl = f->s->impl };
    int64_t v0, v;
    json_decref(stored_doc(f->s, &v0));

    g_get_user_calls = 0;
    write_ok(&counted, "{\"title\":\"One\"}", v0);
    assert_int_equal(g_get_user_calls, 1);          /* nothing in the memo yet */
    /* the memo holds what this process wrote: merged and written on the
     * condition that version and text are still those, no read before */
    g_get_user_calls = 0;
    write_ok(&counted, "{\"address\":{\"city\":\"Oslo\"}}", v0 + 1);
    write_ok(&counted, "{\"title\":\"Three\"}", v0 + 2);
    assert_int_equal(g_get_user_calls, 0);
    expect_doc(f->s, v0 + 3, "Three", "Oslo", "J");

    /* another process changes the text but not the version (an edit made
     * outside profiled): the condition fails, the row is read and merged */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "UPDATE users SET profile_json = json_set(profile_json, "
                                  "'$.companyName', 'Outside')", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    g_get_user_calls = 0;
    write_ok(&counted, "{\"title\":\"Four\"}", v0 + 3);
    assert_int_equal(g_get_user_calls, 1);
    json_t *d = stored_doc(f->s, &v);
    assert_int_equal(v, v0 + 4);
    assert_string_equal(member(d, NULL, "title"), "Four");
    assert_string_equal(member(d, NULL, "companyName"), "Outside");
    assert_string_equal(member(d, "address", "city"), "Oslo");
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_merges_and_moves_the_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_user_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_lose_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outside_write_is_merged_not_overwritten, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_next_write_reads_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
