/*
 * test_sqlite_bulk.c - unit tests of the SQLite bulk load (store
 * bulk_begin / bulk_end, used by cli/import.c): the schema (every index and
 * its definition, every trigger and its text) and the journal mode are what
 * they were after a commit, a rollback and a replacing load; the load is one
 * transaction; memberships inside it do not bump the user's version; a
 * second connection keeps the load in WAL; organization_users holds the
 * same pairs whether the load set the membership trigger aside (a tenant
 * without memberships) or kept it (a filled one), and the trigger works
 * again after the load.
 *
 * Memory: the fixture owns the store (sqlite_testdb.h makes and removes
 * its files); checks read through fresh raw sqlite3 handles; schema texts
 * are sqlite3_free'd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store/store.h"
#include "../sqlite_testdb.h"

#define ORG "0f0e0d0c-0000-4000-8000-000000000001"
#define ACC "1a2b3c4d-0000-4000-8000-00000000000a"
#define USR "aaaaaaaa-0000-4000-8000-000000000001"
#define USR2 "aaaaaaaa-0000-4000-8000-000000000002"

typedef sqt_fixture fixture;

/* One text column of one row from a fresh connection (sqlite3_free it). */
static char *query_text(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_non_null(out);
    return out;
}

/* Every index and trigger of the schema with its definition, one text. */
static char *schema_indexes(const char *path)
{
    return query_text(path, "SELECT group_concat(name || ':' || coalesce(sql, ''), char(10))"
                            " FROM (SELECT name, sql FROM sqlite_master"
                            " WHERE type IN ('index', 'trigger') ORDER BY name)");
}

/* organization_users as "org/user" lines in order (sqlite3_free it). */
static char *org_users(const char *path)
{
    return query_text(path, "SELECT coalesce(group_concat(p, char(10)), '') FROM"
                            " (SELECT organization_id || '/' || user_id AS p FROM organization_users"
                            " ORDER BY p)");
}

static char *journal_mode(const char *path)
{
    return query_text(path, "PRAGMA journal_mode");
}

static void seed(pd_store *s)
{
    pd_org o = { .id = (char *)ORG, .name = (char *)"Org" };
    pd_account a = { .id = (char *)ACC, .external_id = 42, .name = (char *)"Acme",
                     .organization_id = (char *)ORG };
    pd_group g = { .id = (char *)"1", .name = (char *)"Everyone", .type = (char *)"EveryoneGroup" };
    assert_int_equal(s->ops->upsert_org(s, &o), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
    assert_int_equal(s->ops->upsert_group(s, ACC, &g), PD_OK);
}

static void put_user_member(pd_store *s, const char *id, const char *email)
{
    char *gids[] = { (char *)"1" };
    pd_user u = { .id = (char *)id, .email = (char *)email, .status = (char *)"Active",
                  .created = (char *)"2024-01-01T00:00:00.0000000Z",
                  .modified = (char *)"2024-01-01T00:00:00.0000000Z",
                  .profile_json = (char *)"{}" };
    pd_membership m = { .account_id = (char *)ACC, .user_id = (char *)id, .group_ids = gids,
                        .n_group_ids = 1 };
    assert_int_equal(s->ops->upsert_user(s, &u), PD_OK);
    assert_int_equal(s->ops->upsert_membership(s, &m), PD_OK);
}

static int64_t user_version(pd_store *s, const char *id)
{
    int64_t a = 0, b = 0, gen = 0;
    assert_int_equal(s->ops->get_versions(s, id, id, &a, &b, &gen), PD_OK);
    return b;
}

/* The load commits with a rollback journal, the schema as it was, WAL
 * again, and memberships did not bump versions (a new user stays at 1). */
static void test_bulk_commit_empty(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *before = schema_indexes(f->db.path), *after, *mode;
    int64_t n = 0;

    seed(s);
    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_OK);
    put_user_member(s, USR, "a@example.test");
    put_user_member(s, USR2, "b@example.test");
    char journal[160];
    snprintf(journal, sizeof journal, "%s-journal", f->db.path);
    assert_int_equal(access(journal, F_OK), 0);                         /* alone: rollback journal */
    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_ERR_STORE);   /* one at a time */
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);
    assert_int_equal(s->ops->bulk_end(s, true), PD_ERR_STORE);            /* nothing open */

    after = schema_indexes(f->db.path);
    assert_string_equal(after, before);
    mode = journal_mode(f->db.path);
    assert_string_equal(mode, "wal");
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(user_version(s, USR), 1);
    /* outside a bulk load a membership write bumps the version, as before */
    put_user_member(s, USR, "a@example.test");
    assert_int_equal(user_version(s, USR), 3);
    sqlite3_free(before);
    sqlite3_free(after);
    sqlite3_free(mode);
}

/* A rolled-back load leaves no row, the schema and WAL. */
static void test_bulk_rollback_empty(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *before = schema_indexes(f->db.path), *after, *mode;
    int64_t n = -1;

    seed(s);
    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_OK);
    put_user_member(s, USR, "a@example.test");
    assert_int_equal(s->ops->bulk_end(s, false), PD_OK);
    after = schema_indexes(f->db.path);
    assert_string_equal(after, before);
    mode = journal_mode(f->db.path);
    assert_string_equal(mode, "wal");
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);
    sqlite3_free(before);
    sqlite3_free(after);
    sqlite3_free(mode);
}

/* A filled tenant, replaced: wiped and loaded in the one transaction. */
static void test_bulk_replace(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *before, *after;
    int64_t n = -1;
    pd_user u = {0};

    seed(s);
    put_user_member(s, USR, "a@example.test");
    before = schema_indexes(f->db.path);
    assert_int_equal(s->ops->bulk_begin(s, true, true), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);
    seed(s);
    put_user_member(s, USR2, "b@example.test");
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);
    after = schema_indexes(f->db.path);
    assert_string_equal(after, before);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_OK);
    pd_user_clear(&u);
    sqlite3_free(before);
    sqlite3_free(after);
}

/* With a second connection open the journal cannot leave WAL: the load
 * still works, in WAL, and the other connection reads the old data until
 * the commit. */
static void test_bulk_other_connection(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s, *other;
    char err[256] = "", *mode;
    int64_t n = -1;

    seed(s);
    other = pd_store_open(f->db.url, err, sizeof err);
    assert_non_null(other);
    assert_int_equal(other->ops->count_users(other, &n), PD_OK);
    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_OK);
    put_user_member(s, USR, "a@example.test");
    char journal[160];
    snprintf(journal, sizeof journal, "%s-journal", f->db.path);
    assert_int_not_equal(access(journal, F_OK), 0);
    assert_int_equal(other->ops->count_users(other, &n), PD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);
    assert_int_equal(other->ops->count_users(other, &n), PD_OK);
    assert_int_equal(n, 1);
    mode = journal_mode(f->db.path);
    assert_string_equal(mode, "wal");
    sqlite3_free(mode);
    pd_store_close(other);
}

#define USR3 "aaaaaaaa-0000-4000-8000-000000000003"

/* A load into a tenant without memberships sets the membership trigger
 * aside and fills organization_users before COMMIT: the same pairs as the
 * trigger writes, the trigger back with its text, and it fires again for
 * a membership written after the load. */
static void test_bulk_org_users_empty(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *trigger_before = query_text(f->db.path, "SELECT sql FROM sqlite_master"
                                               " WHERE name = 'organization_users_on_membership'");
    char *pairs, *trigger_after;

    seed(s);
    assert_int_equal(s->ops->bulk_begin(s, false, false), PD_OK);
    put_user_member(s, USR, "a@example.test");
    put_user_member(s, USR2, "b@example.test");
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);
    pairs = org_users(f->db.path);
    assert_string_equal(pairs, ORG "/" USR "\n" ORG "/" USR2);
    sqlite3_free(pairs);
    trigger_after = query_text(f->db.path, "SELECT sql FROM sqlite_master"
                                        " WHERE name = 'organization_users_on_membership'");
    assert_string_equal(trigger_after, trigger_before);
    sqlite3_free(trigger_after);

    put_user_member(s, USR3, "c@example.test");             /* outside a load: the trigger */
    pairs = org_users(f->db.path);
    assert_string_equal(pairs, ORG "/" USR "\n" ORG "/" USR2 "\n" ORG "/" USR3);
    sqlite3_free(pairs);
    sqlite3_free(trigger_before);
}

/* A filled tenant: the load keeps the trigger, which writes the new pair;
 * a rolled-back load into an empty one leaves no pair and the trigger. */
static void test_bulk_org_users_filled_and_rollback(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *pairs, *before = schema_indexes(f->db.path), *after;

    seed(s);
    assert_int_equal(s->ops->bulk_begin(s, false, false), PD_OK);
    put_user_member(s, USR, "a@example.test");
    assert_int_equal(s->ops->bulk_end(s, false), PD_OK);
    pairs = org_users(f->db.path);
    assert_string_equal(pairs, "");
    sqlite3_free(pairs);
    after = schema_indexes(f->db.path);
    assert_string_equal(after, before);
    sqlite3_free(after);

    put_user_member(s, USR, "a@example.test");
    assert_int_equal(s->ops->bulk_begin(s, false, false), PD_OK);
    put_user_member(s, USR2, "b@example.test");
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);
    pairs = org_users(f->db.path);
    assert_string_equal(pairs, ORG "/" USR "\n" ORG "/" USR2);
    sqlite3_free(pairs);
    after = schema_indexes(f->db.path);
    assert_string_equal(after, before);
    sqlite3_free(after);
    sqlite3_free(before);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, sqt_setup, sqt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bulk_commit_empty),
        T(test_bulk_rollback_empty),
        T(test_bulk_replace),
        T(test_bulk_other_connection),
        T(test_bulk_org_users_empty),
        T(test_bulk_org_users_filled_and_rollback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
