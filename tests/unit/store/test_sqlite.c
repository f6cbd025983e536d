/*
 * test_sqlite.c - unit tests of store/store.c + store/sqlite.c +
 * store/sqlite_migrations.c (the SQLite storage backend).
 *
 * Each test gets a fresh file database in its own temporary directory (the
 * fixture); the ":memory:" tests open the per-process shared database.
 * Expected failures make the store log JSON lines (component "store") on stderr.
 *
 * Memory: every out-struct is released with its pd_*_clear(); the fixture
 * owns the store and the directory and removes both in teardown.
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
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store/sqlite_migrations.h"
#include "store/store.h"

#define ORG   "0f0e0d0c-0000-4000-8000-000000000001"
#define ACC   "1a2b3c4d-0000-4000-8000-00000000000a"
#define ACC_U "1A2B3C4D-0000-4000-8000-00000000000A"
#define ACC2  "1a2b3c4d-0000-4000-8000-00000000000b"
#define USR   "aaaaaaaa-0000-4000-8000-000000000001"
#define USR_U "AAAAAAAA-0000-4000-8000-000000000001"
#define USR2  "aaaaaaaa-0000-4000-8000-000000000002"
#define USR3  "aaaaaaaa-0000-4000-8000-000000000003"

typedef struct {
    char dir[64];
    char path[128];
    char url[160];
    pd_store *s;
} fixture;

/* ---- helpers ---------------------------------------------------------- */

static void rm_db_files(const char *dir, const char *name)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal", "-changes" };
    char p[256];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s/%s%s", dir, name, suffix[i]);
        unlink(p);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pd_store_test_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    char err[256] = "";
    f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(f->s);
    assert_string_equal(err, "");
    int from = -1, to = -1;
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_OK);
    assert_int_equal(from, 0);
    assert_int_equal(to, pd_sqlite_schema_latest());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pd_store_close(f->s);
    rm_db_files(f->dir, "t.db");
    rmdir(f->dir);
    free(f);
    return 0;
}

static void add_org(pd_store *s, const char *id, const char *name)
{
    pd_org o = { .id = (char *)id, .name = (char *)name };
    assert_int_equal(s->ops->upsert_org(s, &o), PD_OK);
}

static void add_account(pd_store *s, const char *id, int64_t ext, const char *name, const char *org)
{
    pd_account a = { .id = (char *)id, .external_id = ext, .name = (char *)name,
                     .organization_id = (char *)org };
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
}

static pd_err put_user(pd_store *s, const char *id, const char *email, const char *pw,
                       const char *created)
{
    pd_user u = { .id = (char *)id, .email = (char *)email, .status = (char *)"Active",
                  .created = (char *)created, .modified = (char *)"2024-01-01T00:00:00.0000000Z",
                  .password_hash = (char *)pw, .profile_json = (char *)"{\"title\":\"x\"}" };
    return s->ops->upsert_user(s, &u);
}

static void add_user(pd_store *s, const char *id, const char *email)
{
    assert_int_equal(put_user(s, id, email, "$argon2id$hash", "2023-05-06T07:08:09.0000000Z"),
                     PD_OK);
}

static void add_group(pd_store *s, const char *acc, const char *id, const char *name,
                      const char *type)
{
    pd_group g = { .id = (char *)id, .name = (char *)name, .type = (char *)type };
    assert_int_equal(s->ops->upsert_group(s, acc, &g), PD_OK);
}

static void add_profile(pd_store *s, const char *acc, const char *id, const char *name)
{
    pd_perm_profile p = { .id = (char *)id, .name = (char *)name };
    assert_int_equal(s->ops->upsert_perm_profile(s, acc, &p), PD_OK);
}

static pd_err put_membership(pd_store *s, const char *acc, const char *usr, bool admin,
                             const char *ppid, const char **gids, size_t n)
{
    pd_membership m = { .account_id = (char *)acc, .user_id = (char *)usr, .is_admin = admin,
                        .permission_profile_id = (char *)ppid, .group_ids = (char **)gids,
                        .n_group_ids = n };
    return s->ops->upsert_membership(s, &m);
}

/* An account with profile "7", groups 10/20/30 and user USR. */
static void seed_account(pd_store *s)
{
    add_org(s, ORG, "Org");
    add_account(s, ACC, 12345, "Acme", ORG);
    add_profile(s, ACC, "7", "Account Administrator");
    add_group(s, ACC, "30", "Sales", "CustomGroup");
    add_group(s, ACC, "10", "Administrators", "AdminGroup");
    add_group(s, ACC, "20", "Everyone", "EveryoneGroup");
    add_user(s, USR, "Alice@Example.COM");
}

/* ---- URL parsing and opening ----------------------------------------- */

static void test_open_bad_urls(void **state)
{
    (void)state;
    char err[256];
    assert_null(pd_store_open("mysql://db/x", err, sizeof err));
    assert_string_equal(err, "unsupported database URL scheme 'mysql' (expected sqlite:PATH or postgresql://...)");
    /* PostgreSQL URLs go to libpq (store/pg.c, tests in test_pg.c); a
     * postgres scheme without "//" is refused here */
    assert_null(pd_store_open("postgresql:db", err, sizeof err));
    assert_non_null(strstr(err, "no '://' after 'postgresql'"));
    /* a password in a URL is never shown */
    char shown[128];
    assert_string_equal(pd_store_url_redacted("postgresql://u:s3cret@h:5/db", shown, sizeof shown),
                        "postgresql://u:***@h:5/db");
    assert_string_equal(pd_store_url_redacted("postgres://u@h/db?x=1", shown, sizeof shown),
                        "postgres://u@h/db?x=1");
    assert_string_equal(pd_store_url_redacted("sqlite:/tmp/a:b@c.db", shown, sizeof shown),
                        "sqlite:/tmp/a:b@c.db");
    assert_null(pd_store_open("SQLITE:/tmp/x.db", err, sizeof err));
    assert_non_null(strstr(err, "unsupported database URL scheme 'SQLITE'"));
    assert_null(pd_store_open(":memory:", err, sizeof err));
    assert_non_null(strstr(err, "unsupported database URL scheme ''"));
    assert_null(pd_store_open("just-a-path.db", err, sizeof err));
    assert_non_null(strstr(err, "no scheme"));
    assert_null(pd_store_open("sqlite:", err, sizeof err));
    assert_non_null(strstr(err, "empty path"));
    assert_null(pd_store_open("", err, sizeof err));
    assert_non_null(strstr(err, "empty database URL"));
    assert_null(pd_store_open(NULL, err, sizeof err));
    assert_null(pd_store_open("sqlite:/nonexistent-dir-pd/a/b.db", err, sizeof err));
    assert_non_null(strstr(err, "cannot open database '/nonexistent-dir-pd/a/b.db'"));
    /* a long scheme is echoed truncated, a tiny buffer is not overrun */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_null(pd_store_open("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij:x", small, sizeof small));
    assert_int_equal(small[7], '\0');
    assert_null(pd_store_open("mysql:x", NULL, 0));
    /* pd_store_close / last_error tolerate NULL */
    pd_store_close(NULL);
    assert_string_equal(pd_store_last_error(NULL), "");
}

static void test_migrate_idempotent(void **state)
{
    fixture *f = *state;
    int from = -1, to = -1;
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_OK);
    assert_int_equal(from, pd_sqlite_schema_latest());
    assert_int_equal(to, pd_sqlite_schema_latest());
    assert_int_equal(f->s->ops->migrate(f->s, NULL, NULL), PD_OK);
    assert_string_equal(f->s->ops->name, "sqlite");
    size_t n = 0;
    const pd_sqlite_migration *m = pd_sqlite_migrations(&n);
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(m[i].version, (int)i + 1);
        assert_non_null(m[i].description);
    }
    /* migrate inside a transaction is refused */
    assert_int_equal(f->s->ops->begin(f->s), PD_OK);
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(f->s), "inside a transaction"));
    assert_int_equal(f->s->ops->rollback(f->s), PD_OK);
}

static void test_migrate_newer_db(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (99, 'x')", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    int from = -1, to = -1;
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(f->s), "version 99 is newer"));
    assert_int_equal(from, -1);
}

/* each_account_of_user callback: appends "external_id," to a buffer */
static int collect_accounts(void *cls, const void *row)
{
    char *out = cls;
    const pd_account *a = row;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%lld,", (long long)a->external_id);
    return 0;
}

/* Column col of each row of a query, as "text|text|" ("" when no row);
 * EXPLAIN QUERY PLAN has its detail in column 3. */
static void query_text(sqlite3 *db, const char *sql, int col, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, col);
        n += (size_t)snprintf(out + n, outlen - n, "%s|", t ? t : "");
        assert_true(n < outlen);
    }
    sqlite3_finalize(st);
}

/* get_user and get_user_by_email read the user's default account (the
 * lowest account number among their memberships) with the row, also inside
 * a write transaction; no membership: NULL. */
static void test_user_default_account(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    add_account(s, ACC2, 777, "Beta", ORG);
    add_user(s, USR2, "bob@example.com");
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR_U, &u), PD_OK);
    assert_null(u.default_account_id);
    pd_user_clear(&u);

    assert_int_equal(put_membership(s, ACC, USR, true, "7", NULL, 0), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.default_account_id, ACC);
    pd_user_clear(&u);
    /* a second account with a lower number becomes the default */
    assert_int_equal(put_membership(s, ACC2, USR, false, NULL, NULL, 0), PD_OK);
    assert_int_equal(put_membership(s, ACC2, USR2, false, NULL, NULL, 0), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.default_account_id, ACC2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user_by_email(s, "ALICE@example.com", &u), PD_OK);
    assert_string_equal(u.id, USR);
    assert_string_equal(u.default_account_id, ACC2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_OK);
    assert_string_equal(u.default_account_id, ACC2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    /* it is the first of each_account_of_user */
    char got[256] = "";
    assert_int_equal(s->ops->each_account_of_user(s, USR, collect_accounts, got), PD_OK);
    assert_string_equal(got, "777,12345,");
}

/* get_member_user: the membership (groups, permission profile name) and
 * the user row together; not a member, or no such user: NOT_FOUND with
 * both outs empty; the same inside a write transaction. */
static void test_get_member_user(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    add_user(s, USR2, "bob@example.com");
    const char *gids[] = { "20", "10" };
    assert_int_equal(put_membership(s, ACC, USR, true, "7", gids, 2), PD_OK);
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            assert_int_equal(s->ops->begin(s), PD_OK);
        pd_membership m;
        pd_user u;
        assert_int_equal(s->ops->get_member_user(s, ACC_U, USR_U, &m, &u), PD_OK);
        assert_string_equal(m.account_id, ACC);
        assert_string_equal(m.user_id, USR);
        assert_true(m.is_admin);
        assert_string_equal(m.permission_profile_name, "Account Administrator");
        assert_int_equal(m.n_groups, 2);
        assert_string_equal(m.groups[0].id, "10");
        assert_string_equal(m.groups[1].name, "Everyone");
        assert_string_equal(u.id, USR);
        assert_string_equal(u.email, "alice@example.com");
        assert_string_equal(u.profile_json, "{\"title\":\"x\"}");
        assert_string_equal(u.default_account_id, ACC);
        pd_membership_clear(&m);
        pd_user_clear(&u);
        /* USR2 exists but is in no account; the third user does not exist */
        assert_int_equal(s->ops->get_member_user(s, ACC, USR2, &m, &u), PD_ERR_NOT_FOUND);
        assert_null(m.account_id);
        assert_null(u.id);
        assert_int_equal(s->ops->get_member_user(s, ACC, "aaaaaaaa-0000-4000-8000-000000000003",
                                                 &m, &u), PD_ERR_NOT_FOUND);
        assert_null(m.account_id);
        assert_null(u.id);
        if (in_tx)
            assert_int_equal(s->ops->rollback(s), PD_OK);
    }
}

/* Migration 8 (covering index memberships_by_user_cover instead of
 * memberships_by_user) on a version-7 database that holds data: the data
 * stays, the membership and accounts reads use the new index. */
static void test_migrate_7_to_8(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    add_account(s, ACC2, 777, "Beta", ORG);
    add_profile(s, ACC2, "9", "DS Sender");
    add_user(s, USR2, "bob@example.com");
    const char *gids[] = { "20", "10" };
    assert_int_equal(put_membership(s, ACC, USR, true, "7", gids, 2), PD_OK);
    assert_int_equal(put_membership(s, ACC2, USR, false, "9", NULL, 0), PD_OK);
    assert_int_equal(put_membership(s, ACC2, USR2, false, NULL, NULL, 0), PD_OK);
    pd_store_close(s);
    f->s = NULL;

    /* back to schema 7: the index of migration 1, version 8 unrecorded */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "DROP INDEX memberships_by_user_cover;"
        "CREATE INDEX memberships_by_user ON memberships(user_id);"
        "DELETE FROM schema_migrations WHERE version = 8;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    char err[256] = "";
    s = f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(s);
    int from = -1, to = -1;
    assert_int_equal(s->ops->migrate(s, &from, &to), PD_OK);
    assert_int_equal(from, 7);
    assert_int_equal(to, 8);
    assert_int_equal(pd_sqlite_schema_latest(), 8);

    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC_U, USR_U, &m), PD_OK);
    assert_true(m.is_admin);
    assert_string_equal(m.permission_profile_id, "7");
    assert_string_equal(m.permission_profile_name, "Account Administrator");
    assert_non_null(m.added);
    assert_int_equal(m.n_groups, 2);
    assert_string_equal(m.groups[0].id, "10");
    assert_string_equal(m.groups[1].id, "20");
    pd_membership_clear(&m);
    assert_int_equal(s->ops->get_membership(s, ACC2, USR, &m), PD_OK);
    assert_false(m.is_admin);
    assert_string_equal(m.permission_profile_name, "DS Sender");
    pd_membership_clear(&m);
    assert_int_equal(s->ops->get_membership(s, ACC2, USR2, &m), PD_OK);
    assert_null(m.permission_profile_id);
    pd_membership_clear(&m);
    assert_int_equal(s->ops->get_membership(s, ACC, USR2, &m), PD_ERR_NOT_FOUND);

    char got[256] = "";
    assert_int_equal(s->ops->each_account_of_user(s, USR_U, collect_accounts, got), PD_OK);
    assert_string_equal(got, "777,12345,");
    got[0] = '\0';
    assert_int_equal(s->ops->each_account_of_user(s, USR2, collect_accounts, got), PD_OK);
    assert_string_equal(got, "777,");
    pd_org_membership *om = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->get_org_memberships(s, ORG, USR, &om, &n), PD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(om[0].membership.account_id, ACC2);
    assert_string_equal(om[1].membership.account_id, ACC);
    assert_true(om[1].membership.is_admin);
    pd_org_memberships_free(om, n);

    /* the schema: the covering index replaced the old one, and the reads of
     * a user's memberships use it without touching the table */
    char txt[1024];
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    query_text(db, "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'memberships'"
                   " AND sql IS NOT NULL ORDER BY name", 0, txt, sizeof txt);
    assert_string_equal(txt, "memberships_by_profile|memberships_by_user_cover|");
    query_text(db, "EXPLAIN QUERY PLAN SELECT m.is_admin, m.permission_profile_id, m.added"
                   " FROM memberships m INDEXED BY memberships_by_user_cover"
                   " WHERE m.account_id = 'a' AND m.user_id = 'u'", 3, txt, sizeof txt);
    assert_non_null(strstr(txt, "COVERING INDEX memberships_by_user_cover (user_id=? AND account_id=?)"));
    query_text(db, "EXPLAIN QUERY PLAN SELECT a.id FROM memberships m JOIN accounts a ON a.id = m.account_id"
                   " WHERE m.user_id = 'u' ORDER BY a.external_id", 3, txt, sizeof txt);
    assert_non_null(strstr(txt, "COVERING INDEX memberships_by_user_cover (user_id=?)"));
    query_text(db, "SELECT count(*) FROM memberships", 0, txt, sizeof txt);
    assert_string_equal(txt, "3|");
    sqlite3_close(db);
}

static void test_file_settings(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                        " AND name IN ('organizations','accounts','permission_profiles',"
                                        "'groups','users','user_images','memberships','membership_groups',"
                                        "'signing_keys','schema_migrations')", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 10);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_file_prefix_is_literal(void **state)
{
    fixture *f = *state;
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    char err[256];
    pd_store *s = pd_store_open("sqlite:file:lit.db?mode=ro", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, NULL, NULL), PD_OK);   /* writable: not read as a URI */
    pd_store_close(s);
    struct stat sb;
    assert_int_equal(stat("file:lit.db?mode=ro", &sb), 0);
    rm_db_files(".", "file:lit.db?mode=ro");
    assert_int_equal(chdir(cwd), 0);
}

/* ---- accounts --------------------------------------------------------- */

static void test_account_lookup(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    add_org(s, ORG, "Org");
    add_account(s, ACC_U, 12345, "Acme", ORG);      /* stored lower-cased */
    add_account(s, ACC2, 9223372036854775807LL, "Max", NULL);
    pd_account a;

    assert_int_equal(s->ops->get_account(s, ACC, &a), PD_OK);
    assert_string_equal(a.id, ACC);
    assert_int_equal(a.external_id, 12345);
    assert_string_equal(a.name, "Acme");
    assert_string_equal(a.organization_id, ORG);
    pd_account_clear(&a);
    assert_null(a.id);

    assert_int_equal(s->ops->get_account(s, ACC_U, &a), PD_OK);
    assert_string_equal(a.id, ACC);
    pd_account_clear(&a);

    assert_int_equal(s->ops->get_account(s, "12345", &a), PD_OK);
    assert_string_equal(a.id, ACC);
    pd_account_clear(&a);

    assert_int_equal(s->ops->get_account(s, "9223372036854775807", &a), PD_OK);
    assert_string_equal(a.id, ACC2);
    assert_null(a.organization_id);
    pd_account_clear(&a);

    static const char *const missing[] = {
        "12346", "0", "012345", "9223372036854775808", "99999999999999999999999",
        "", "-12345", "+12345", " 12345", "12345 ", "12a45", "1a2b3c4d-0000-4000-8000-00000000000c",
        "' OR 1=1 --",
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        memset(&a, 0x5a, sizeof a);
        assert_int_equal(s->ops->get_account(s, missing[i], &a), PD_ERR_NOT_FOUND);
        assert_null(a.id);                          /* out is zeroed */
        assert_null(a.name);
    }
    assert_int_equal(s->ops->get_account(s, NULL, &a), PD_ERR_STORE);
}

static void test_account_upsert_updates(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    add_org(s, ORG, "Org");
    add_account(s, ACC, 12345, "Acme", ORG);
    add_account(s, ACC, 54321, "Acme Renamed", NULL);
    pd_account a;
    assert_int_equal(s->ops->get_account(s, "54321", &a), PD_OK);
    assert_string_equal(a.name, "Acme Renamed");
    assert_null(a.organization_id);
    pd_account_clear(&a);
    assert_int_equal(s->ops->get_account(s, "12345", &a), PD_ERR_NOT_FOUND);
    /* another account with the same external number is refused */
    pd_account dup = { .id = (char *)ACC2, .external_id = 54321, .name = (char *)"Dup" };
    assert_int_equal(s->ops->upsert_account(s, &dup), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "UNIQUE"));
    /* external ids must be positive */
    dup.external_id = 0;
    assert_int_equal(s->ops->upsert_account(s, &dup), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "CHECK"));
}

/* ---- users ------------------------------------------------------------ */

static void test_user_roundtrip(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_user in = { .id = (char *)USR_U, .email = (char *)"Alice@Example.COM",
                   .status = (char *)"Active", .created = (char *)"2023-05-06T07:08:09.0000000Z",
                   .modified = (char *)"2023-05-06T07:08:10.0000000Z",
                   .last_login = (char *)"2024-02-02T00:00:00.0000000Z",
                   .password_hash = (char *)"$argon2id$v=19$abc",
                   .profile_json = (char *)"{\"companyName\":\"Acme \\u00e9\"}",
                   .version = 77 };
    assert_int_equal(s->ops->upsert_user(s, &in), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.id, USR);
    assert_string_equal(u.email, "alice@example.com");
    assert_string_equal(u.status, "Active");
    assert_string_equal(u.created, "2023-05-06T07:08:09.0000000Z");
    assert_string_equal(u.modified, "2023-05-06T07:08:10.0000000Z");
    assert_string_equal(u.last_login, "2024-02-02T00:00:00.0000000Z");
    assert_string_equal(u.password_hash, "$argon2id$v=19$abc");
    assert_string_equal(u.profile_json, "{\"companyName\":\"Acme \\u00e9\"}");
    assert_int_equal(u.version, 1);
    assert_false(u.has_image);
    assert_null(u.image_etag);
    pd_user_clear(&u);
    assert_null(u.id);

    assert_int_equal(s->ops->get_user(s, USR_U, &u), PD_OK);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user_by_email(s, "ALICE@example.com", &u), PD_OK);
    assert_string_equal(u.id, USR);
    pd_user_clear(&u);

    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_ERR_NOT_FOUND);
    assert_null(u.id);
    assert_int_equal(s->ops->get_user_by_email(s, "bob@example.com", &u), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user_by_email(s, "", &u), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user(s, NULL, &u), PD_ERR_STORE);

    /* a second user with the same email (any case) is refused */
    assert_int_equal(put_user(s, USR2, "alice@EXAMPLE.com", NULL, "2024-01-01T00:00:00Z"),
                     PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "users.email"));
    /* required columns */
    pd_user bad = { .id = (char *)USR3, .email = (char *)"c@x.com" };
    assert_int_equal(s->ops->upsert_user(s, &bad), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "NOT NULL"));

    int64_t n = -1;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);
}

static void test_upsert_user_keeps_password(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    assert_int_equal(put_user(s, USR, "a@x.com", "hash-1", "2020-01-01T00:00:00.0000000Z"), PD_OK);
    /* NULL password keeps the old one; created of an existing user is kept */
    assert_int_equal(put_user(s, USR, "new@x.com", NULL, "2099-01-01T00:00:00.0000000Z"), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.password_hash, "hash-1");
    assert_string_equal(u.created, "2020-01-01T00:00:00.0000000Z");
    assert_string_equal(u.email, "new@x.com");
    assert_int_equal(u.version, 2);
    pd_user_clear(&u);
    assert_int_equal(put_user(s, USR, "new@x.com", "hash-2", "2099-01-01T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.password_hash, "hash-2");
    assert_int_equal(u.version, 3);
    pd_user_clear(&u);
    /* a new user without password has none */
    assert_int_equal(put_user(s, USR2, "b@x.com", NULL, "2021-01-01T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_OK);
    assert_null(u.password_hash);
    assert_null(u.last_login);
    pd_user_clear(&u);
}

static void test_update_profile(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    add_user(s, USR, "a@x.com");
    assert_int_equal(s->ops->update_profile(s, USR_U, "{\"title\":\"CEO\"}",
                                            "2024-06-01T10:00:00.0000000Z"), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"title\":\"CEO\"}");
    assert_string_equal(u.modified, "2024-06-01T10:00:00.0000000Z");
    assert_string_equal(u.created, "2023-05-06T07:08:09.0000000Z");
    assert_int_equal(u.version, 2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->update_profile(s, USR, "{}", "2024-06-02T10:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_int_equal(u.version, 3);
    pd_user_clear(&u);
    assert_int_equal(s->ops->update_profile(s, USR2, "{}", "2024-06-01T10:00:00.0000000Z"),
                     PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->update_profile(s, USR, NULL, "x"), PD_ERR_STORE);
}

/* update_profile_if writes only over the version and document it is given,
 * so a PUT that read the document before another write retries instead of
 * overwriting it. */
static void test_update_profile_if(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_user u;
    add_user(s, USR, "a@x.com");
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    int64_t v = u.version;
    char *doc = strdup(u.profile_json);
    assert_non_null(doc);
    pd_user_clear(&u);
    /* the version and document read: written, version bumped (id as given) */
    assert_int_equal(s->ops->update_profile_if(s, USR_U, v, doc, "{\"title\":\"A\"}",
                                               "2024-06-01T10:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"title\":\"A\"}");
    assert_string_equal(u.modified, "2024-06-01T10:00:00.0000000Z");
    assert_int_equal(u.version, v + 1);
    pd_user_clear(&u);
    /* a stale version or document (another write came between): nothing changes */
    assert_int_equal(s->ops->update_profile_if(s, USR, v, doc, "{\"title\":\"B\"}",
                                               "2024-06-02T10:00:00.0000000Z"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 1, doc, "{\"title\":\"B\"}",
                                               "2024-06-02T10:00:00.0000000Z"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 2, "{\"title\":\"A\"}",
                                               "{\"title\":\"B\"}", "m"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"title\":\"A\"}");
    assert_string_equal(u.modified, "2024-06-01T10:00:00.0000000Z");
    assert_int_equal(u.version, v + 1);
    pd_user_clear(&u);
    /* any other write to the user moves the version too */
    assert_int_equal(s->ops->update_profile(s, USR, "{\"title\":\"C\"}", "m"), PD_OK);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 1, "{\"title\":\"C\"}", "{}", "m2"),
                     PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 2, "{\"title\":\"C\"}", "{}", "m2"),
                     PD_OK);
    /* no such user; bad arguments; not inside the caller's transaction */
    assert_int_equal(s->ops->update_profile_if(s, USR2, 1, "{}", "{}", "m"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 3, "{}", NULL, "m"), PD_ERR_STORE);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 3, NULL, "{}", "m"), PD_ERR_STORE);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile_if(s, USR, v + 3, "{}", "{\"in\":1}", "m"), PD_ERR_STORE);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{}");
    assert_int_equal(u.version, v + 3);
    pd_user_clear(&u);
    free(doc);
}

/* The group transaction (group_begin .. group_end, http/writeq.c's group
 * commit): the writes inside it become visible to other connections only
 * at its COMMIT; a caller's begin .. rollback inside it undoes only its
 * own part (a savepoint), and a rollback with none open does nothing;
 * group_end(false) keeps nothing; a statement that rolls the whole
 * transaction back (a trigger's RAISE(ROLLBACK)) ends the group: group_open
 * says so and group_end reports that nothing was committed. */
static const char *title_of(pd_store *s, const char *id, char *buf, size_t len)
{
    pd_user u;
    assert_int_equal(s->ops->get_user(s, id, &u), PD_OK);
    snprintf(buf, len, "%s", u.profile_json);
    pd_user_clear(&u);
    return buf;
}

static pd_err write_if(pd_store *s, const char *id, const char *doc)
{
    pd_user u;
    assert_int_equal(s->ops->get_user(s, id, &u), PD_OK);
    pd_err e = s->ops->update_profile_if(s, id, u.version, u.profile_json, doc, "m");
    pd_user_clear(&u);
    return e;
}

static void test_group_transaction(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char err[256] = "", b[256], first[256];
    add_user(s, USR, "a@x.com");
    add_user(s, USR2, "b@x.com");
    pd_store *other = pd_store_open_existing(f->url, err, sizeof err);
    assert_non_null(other);
    title_of(other, USR, first, sizeof first);

    /* two writes, one COMMIT; nothing seen outside before it */
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->group_begin(s), PD_ERR_STORE);     /* not twice */
    assert_int_equal(write_if(s, USR, "{\"title\":\"g1\"}"), PD_OK);
    assert_int_equal(write_if(s, USR2, "{\"title\":\"g2\"}"), PD_OK);
    assert_string_equal(title_of(s, USR, b, sizeof b), "{\"title\":\"g1\"}");   /* its own view */
    assert_string_equal(title_of(other, USR, b, sizeof b), first);
    /* a caller's transaction inside: a savepoint; its rollback undoes it alone */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"title\":\"undone\"}", "m"), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->rollback(s), PD_OK);               /* none open: nothing */
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR2, "{\"title\":\"kept\"}", "m"), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);                 /* released into the group */
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->group_end(s, true), PD_OK);
    assert_false(s->ops->group_open(s));
    assert_string_equal(title_of(other, USR, b, sizeof b), "{\"title\":\"g1\"}");
    assert_string_equal(title_of(other, USR2, b, sizeof b), "{\"title\":\"kept\"}");

    /* group_end(false): nothing kept */
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(write_if(s, USR, "{\"title\":\"dropped\"}"), PD_OK);
    assert_int_equal(s->ops->group_end(s, false), PD_ERR_STORE);
    assert_string_equal(title_of(other, USR, b, sizeof b), "{\"title\":\"g1\"}");
    assert_int_equal(s->ops->group_end(s, true), PD_ERR_STORE);  /* no group begun */

    /* a statement that rolls everything back ends the group */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER poison BEFORE UPDATE ON users "
                                  "WHEN NEW.profile_json LIKE '%poison%' "
                                  "BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    pd_store_close(s);                      /* a new handle sees the new schema at once */
    f->s = s = pd_store_open_existing(f->url, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(write_if(s, USR, "{\"title\":\"lost\"}"), PD_OK);
    assert_int_not_equal(write_if(s, USR2, "{\"title\":\"poison\"}"), PD_OK);
    assert_false(s->ops->group_open(s));
    /* until its end nothing more is written: a retry would commit on its
     * own while the group's requests are answered as not written */
    assert_int_equal(write_if(s, USR, "{\"title\":\"retried\"}"), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "group's transaction was rolled back"));
    assert_int_equal(s->ops->begin(s), PD_ERR_STORE);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"title\":\"retried\"}", "m"), PD_ERR_STORE);
    assert_string_equal(title_of(other, USR, b, sizeof b), "{\"title\":\"g1\"}");
    assert_int_equal(s->ops->group_end(s, true), PD_ERR_STORE);
    assert_string_equal(title_of(other, USR, b, sizeof b), "{\"title\":\"g1\"}");
    /* and the handle writes on as usual */
    assert_int_equal(write_if(s, USR, "{\"title\":\"after\"}"), PD_OK);
    assert_string_equal(title_of(other, USR, b, sizeof b), "{\"title\":\"after\"}");
    pd_store_close(other);
}

/* ---- images ----------------------------------------------------------- */

static void test_image_roundtrip(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    add_user(s, USR, "a@x.com");
    static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0x00, 0x0d, 0x0a, 0x00, 0xff, 0x00 };
    pd_image img;
    assert_int_equal(s->ops->get_image(s, USR, &img), PD_ERR_NOT_FOUND);
    assert_null(img.bytes);
    assert_int_equal(s->ops->delete_image(s, USR, "2024-01-01T00:00:00.0000000Z"), PD_ERR_NOT_FOUND);

    assert_int_equal(s->ops->put_image(s, USR_U, png, sizeof png, "image/png", "\"e1\"",
                                       "2024-03-03T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_image(s, USR, &img), PD_OK);
    assert_int_equal(img.len, sizeof png);
    assert_memory_equal(img.bytes, png, sizeof png);
    assert_string_equal(img.content_type, "image/png");
    assert_string_equal(img.etag, "\"e1\"");
    pd_image_clear(&img);
    assert_null(img.bytes);
    assert_int_equal(img.len, 0);

    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_true(u.has_image);
    assert_string_equal(u.image_etag, "\"e1\"");
    assert_string_equal(u.modified, "2024-03-03T00:00:00.0000000Z");
    assert_int_equal(u.version, 2);
    pd_user_clear(&u);

    /* replace with a large binary image (every byte value, many zeros) */
    size_t big_len = 199 * 1024;
    unsigned char *big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (unsigned char)((i * 7919u) >> 3);
    assert_int_equal(s->ops->put_image(s, USR, big, big_len, "image/gif", "\"e2\"",
                                       "2024-03-04T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_image(s, USR, &img), PD_OK);
    assert_int_equal(img.len, big_len);
    assert_memory_equal(img.bytes, big, big_len);
    assert_string_equal(img.content_type, "image/gif");
    assert_string_equal(img.etag, "\"e2\"");
    pd_image_clear(&img);
    free(big);

    assert_int_equal(s->ops->delete_image(s, USR, "2024-03-05T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(s->ops->get_image(s, USR, &img), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->delete_image(s, USR, "2024-03-06T00:00:00.0000000Z"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_false(u.has_image);
    assert_null(u.image_etag);
    assert_string_equal(u.modified, "2024-03-05T00:00:00.0000000Z");
    assert_int_equal(u.version, 4);
    pd_user_clear(&u);

    /* unknown user: nothing written */
    assert_int_equal(s->ops->put_image(s, USR2, png, sizeof png, "image/png", "\"e3\"", "x"),
                     PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_image(s, USR2, &img), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->delete_image(s, USR2, "x"), PD_ERR_NOT_FOUND);
    /* an empty image is stored as a zero-length blob */
    assert_int_equal(s->ops->put_image(s, USR, NULL, 0, "image/png", "\"e4\"", "y"), PD_OK);
    assert_int_equal(s->ops->get_image(s, USR, &img), PD_OK);
    assert_int_equal(img.len, 0);
    assert_non_null(img.bytes);
    pd_image_clear(&img);
    assert_int_equal(s->ops->put_image(s, USR, NULL, 5, "image/png", "\"e4\"", "y"), PD_ERR_STORE);
}

/* ---- memberships ------------------------------------------------------ */

static void test_membership(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    const char *gids[] = { "30", "10", "20", "10" };     /* unordered, one duplicate */
    assert_int_equal(put_membership(s, ACC_U, USR_U, true, "7", gids, 4), PD_OK);

    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC, USR, &m), PD_OK);
    assert_string_equal(m.account_id, ACC);
    assert_string_equal(m.user_id, USR);
    assert_true(m.is_admin);
    assert_string_equal(m.permission_profile_id, "7");
    assert_string_equal(m.permission_profile_name, "Account Administrator");
    assert_int_equal(m.n_groups, 3);
    assert_string_equal(m.groups[0].id, "10");
    assert_string_equal(m.groups[0].name, "Administrators");
    assert_string_equal(m.groups[0].type, "AdminGroup");
    assert_string_equal(m.groups[1].id, "20");
    assert_string_equal(m.groups[1].type, "EveryoneGroup");
    assert_string_equal(m.groups[2].id, "30");
    assert_string_equal(m.groups[2].name, "Sales");
    pd_membership_clear(&m);
    assert_null(m.groups);
    assert_int_equal(m.n_groups, 0);

    /* upsert replaces the group set, the flag and the profile */
    const char *one[] = { "20" };
    assert_int_equal(put_membership(s, ACC, USR, false, NULL, one, 1), PD_OK);
    assert_int_equal(s->ops->get_membership(s, ACC_U, USR_U, &m), PD_OK);
    assert_false(m.is_admin);
    assert_null(m.permission_profile_id);
    assert_null(m.permission_profile_name);
    assert_int_equal(m.n_groups, 1);
    assert_string_equal(m.groups[0].id, "20");
    pd_membership_clear(&m);

    assert_int_equal(put_membership(s, ACC, USR, false, NULL, NULL, 0), PD_OK);
    assert_int_equal(s->ops->get_membership(s, ACC, USR, &m), PD_OK);
    assert_int_equal(m.n_groups, 0);
    assert_null(m.groups);
    pd_membership_clear(&m);

    assert_int_equal(s->ops->get_membership(s, ACC2, USR, &m), PD_ERR_NOT_FOUND);
    assert_null(m.account_id);
    assert_int_equal(s->ops->get_membership(s, ACC, USR2, &m), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_membership(s, NULL, USR, &m), PD_ERR_STORE);
    const char *withnull[] = { "10", NULL };
    assert_int_equal(put_membership(s, ACC, USR, false, NULL, withnull, 2), PD_ERR_STORE);
}

static void test_fk_violations(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    pd_membership m;

    /* membership for a missing account */
    assert_int_equal(put_membership(s, ACC2, USR, false, NULL, NULL, 0), PD_ERR_STORE);
    const char *msg = pd_store_last_error(s);
    assert_non_null(strstr(msg, "upsert_membership"));
    assert_non_null(strstr(msg, "FOREIGN KEY constraint failed"));
    assert_non_null(strstr(msg, "does not exist"));
    assert_int_equal(s->ops->get_membership(s, ACC2, USR, &m), PD_ERR_NOT_FOUND);

    /* missing user */
    assert_int_equal(put_membership(s, ACC, USR2, false, NULL, NULL, 0), PD_ERR_STORE);
    /* unknown permission profile of this account */
    assert_int_equal(put_membership(s, ACC, USR, false, "8", NULL, 0), PD_ERR_STORE);
    /* unknown group: the whole membership write is undone */
    const char *gids[] = { "10", "99" };
    assert_int_equal(put_membership(s, ACC, USR, true, "7", gids, 2), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "FOREIGN KEY"));
    assert_int_equal(s->ops->get_membership(s, ACC, USR, &m), PD_ERR_NOT_FOUND);

    /* parents for other entities */
    pd_perm_profile p = { .id = (char *)"1", .name = (char *)"P" };
    assert_int_equal(s->ops->upsert_perm_profile(s, ACC2, &p), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "account does not exist"));
    pd_group g = { .id = (char *)"1", .name = (char *)"G", .type = (char *)"CustomGroup" };
    assert_int_equal(s->ops->upsert_group(s, ACC2, &g), PD_ERR_STORE);
    pd_account a = { .id = (char *)ACC2, .external_id = 2, .name = (char *)"B",
                     .organization_id = (char *)"ffffffff-0000-4000-8000-000000000000" };
    assert_int_equal(s->ops->upsert_account(s, &a), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "organization does not exist"));
}

/* A store failure is logged through the one logger: a JSON line with
 * component "store" and the operation, never a plain-text line. */
static void test_failure_logged_as_json(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/profiled-test-storelog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    close(fd);

    seed_account(f->s);
    assert_int_equal(put_membership(f->s, ACC2, USR, false, NULL, NULL, 0), PD_ERR_STORE);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, in) != NULL) {
        n++;
        assert_true(line[0] == '{');
        assert_non_null(strstr(line, "\"level\":\"error\""));
        assert_non_null(strstr(line, "\"component\":\"store\""));
        assert_non_null(strstr(line, "upsert_membership"));
    }
    fclose(in);
    unlink(path);
    assert_true(n >= 1);
}

/* ---- transactions ----------------------------------------------------- */

static void test_rollback_discards(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    add_user(s, USR, "a@x.com");
    assert_int_equal(s->ops->rollback(s), PD_OK);        /* nothing open: no-op */

    assert_int_equal(s->ops->begin(s), PD_OK);
    add_user(s, USR2, "b@x.com");
    assert_int_equal(s->ops->update_profile(s, USR, "{\"rolled\":1}", "2030-01-01T00:00:00Z"), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_OK);   /* visible inside */
    pd_user_clear(&u);
    assert_int_equal(s->ops->rollback(s), PD_OK);

    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"title\":\"x\"}");
    assert_int_equal(u.version, 1);
    pd_user_clear(&u);
    int64_t n = 0;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);

    assert_int_equal(s->ops->begin(s), PD_OK);
    add_user(s, USR2, "b@x.com");
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(s->ops->commit(s), PD_ERR_STORE);       /* no transaction */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_ERR_STORE);        /* no nesting */
    assert_int_equal(s->ops->rollback(s), PD_OK);
}

/* A failed multi-statement write inside the caller's transaction undoes only
 * itself (savepoint); the caller's earlier writes survive. */
static void test_failure_inside_caller_tx(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    assert_int_equal(s->ops->begin(s), PD_OK);
    add_user(s, USR2, "b@x.com");
    const char *gids[] = { "10", "nope" };
    assert_int_equal(put_membership(s, ACC, USR2, false, NULL, gids, 2), PD_ERR_STORE);
    assert_int_equal(s->ops->commit(s), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_OK);
    pd_user_clear(&u);
    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC, USR2, &m), PD_ERR_NOT_FOUND);
}

/* ---- iteration -------------------------------------------------------- */

typedef struct {
    char seen[16][160];
    size_t n;
    size_t stop_after;          /* 0: never */
    pd_store *s;                /* for re-entrant calls */
    pd_err nested;
} collect;

static int add_seen(collect *c, const char *line)
{
    if (c->n < 16)
        snprintf(c->seen[c->n], sizeof c->seen[0], "%s", line);
    c->n++;
    return c->stop_after != 0 && c->n >= c->stop_after;
}

static int on_org(void *ctx, const void *row)
{
    const pd_org *o = row;
    char b[160];
    snprintf(b, sizeof b, "%s|%s", o->id, o->name);
    return add_seen(ctx, b);
}

static int on_account(void *ctx, const void *row)
{
    const pd_account *a = row;
    char b[160];
    snprintf(b, sizeof b, "%s|%lld|%s|%s", a->id, (long long)a->external_id, a->name,
             a->organization_id ? a->organization_id : "-");
    return add_seen(ctx, b);
}

static int on_profile(void *ctx, const void *row)
{
    const pd_perm_profile *p = row;
    char b[160];
    snprintf(b, sizeof b, "%s|%s", p->id, p->name);
    return add_seen(ctx, b);
}

static int on_group(void *ctx, const void *row)
{
    const pd_group *g = row;
    char b[160];
    snprintf(b, sizeof b, "%s|%s|%s", g->id, g->name, g->type);
    return add_seen(ctx, b);
}

static int on_user(void *ctx, const void *row)
{
    const pd_user *u = row;
    char b[160];
    snprintf(b, sizeof b, "%s|%s|%d|%s|%lld", u->id, u->email, u->has_image,
             u->password_hash ? u->password_hash : "-", (long long)u->version);
    return add_seen(ctx, b);
}

static int on_membership(void *ctx, const void *row)
{
    const pd_membership *m = row;
    char b[160];
    int k = snprintf(b, sizeof b, "%s|%s|%d|%s|", m->account_id, m->user_id, m->is_admin,
                     m->permission_profile_id ? m->permission_profile_id : "-");
    for (size_t i = 0; i < m->n_group_ids && k > 0 && (size_t)k < sizeof b; i++)
        k += snprintf(b + k, sizeof b - (size_t)k, "%s,", m->group_ids[i]);
    return add_seen(ctx, b);
}

static void test_each(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    seed_account(s);
    add_account(s, ACC2, 2, "Beta", NULL);
    add_profile(s, ACC2, "1", "DocuSign Sender");
    add_user(s, USR3, "c@x.com");
    assert_int_equal(put_user(s, USR2, "b@x.com", NULL, "2024-01-01T00:00:00Z"), PD_OK);
    static const unsigned char px[] = { 1, 0, 2 };
    assert_int_equal(s->ops->put_image(s, USR2, px, sizeof px, "image/png", "\"e\"", "z"), PD_OK);
    const char *g1[] = { "30", "10" };
    assert_int_equal(put_membership(s, ACC, USR3, false, NULL, g1, 2), PD_OK);
    assert_int_equal(put_membership(s, ACC, USR, true, "7", NULL, 0), PD_OK);
    assert_int_equal(put_membership(s, ACC2, USR, false, "1", NULL, 0), PD_OK);

    collect c = {0};
    assert_int_equal(s->ops->each_org(s, on_org, &c), PD_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.seen[0], ORG "|Org");

    memset(&c, 0, sizeof c);
    assert_int_equal(s->ops->each_account(s, on_account, &c), PD_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.seen[0], ACC "|12345|Acme|" ORG);
    assert_string_equal(c.seen[1], ACC2 "|2|Beta|-");

    memset(&c, 0, sizeof c);
    assert_int_equal(s->ops->each_perm_profile(s, ACC_U, on_profile, &c), PD_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.seen[0], "7|Account Administrator");

    memset(&c, 0, sizeof c);
    assert_int_equal(s->ops->each_group(s, ACC, on_group, &c), PD_OK);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.seen[0], "10|Administrators|AdminGroup");
    assert_string_equal(c.seen[2], "30|Sales|CustomGroup");
    memset(&c, 0, sizeof c);
    assert_int_equal(s->ops->each_group(s, ACC2, on_group, &c), PD_OK);
    assert_int_equal(c.n, 0);

    memset(&c, 0, sizeof c);
    assert_int_equal(s->ops->each_user(s, on_user, &c), PD_OK);
    assert_int_equal(c.n, 3);
    /* versions: each membership write bumps its user's version */
    assert_string_equal(c.seen[0], USR "|alice@example.com|0|$argon2id$hash|3");
    assert_string_equal(c.seen[1], USR2 "|b@x.com|1|-|2");
    assert_string_equal(c.seen[2], USR3 "|c@x.com|0|$argon2id$hash|2");

    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(s->ops->each_user(s, on_user, &c), PD_OK);
    assert_int_equal(c.n, 2);

    memset(&c, 0, sizeof c);
    assert_int_equal(s->ops->each_membership(s, on_membership, &c), PD_OK);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.seen[0], ACC "|" USR "|1|7|");
    assert_string_equal(c.seen[1], ACC "|" USR3 "|0|-|10,30,");
    assert_string_equal(c.seen[2], ACC2 "|" USR "|0|1|");

    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(s->ops->each_membership(s, on_membership, &c), PD_OK);
    assert_int_equal(c.n, 2);

    assert_int_equal(s->ops->each_user(s, NULL, NULL), PD_ERR_STORE);
    assert_int_equal(s->ops->each_group(s, NULL, on_group, &c), PD_ERR_STORE);
}

static int on_user_nested(void *ctx, const void *row)
{
    collect *c = ctx;
    const pd_user *u = row;
    pd_user again;
    /* a different statement: fine */
    if (c->s->ops->get_user(c->s, u->id, &again) != PD_OK)
        return 1;
    pd_user_clear(&again);
    /* the same statement: refused, the outer iteration continues */
    c->nested = c->s->ops->each_user(c->s, on_user, c);
    c->n++;
    return 0;
}

static void test_each_reentrant(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    add_user(s, USR, "a@x.com");
    add_user(s, USR2, "b@x.com");
    collect c = { .s = s };
    assert_int_equal(s->ops->each_user(s, on_user_nested, &c), PD_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.nested, PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "re-entrantly"));
}

/* ---- signing keys ----------------------------------------------------- */

typedef struct {
    char kid[4][32];
    unsigned char first[32];
    int64_t created[4];
    size_t n;
} keys_seen;

static int on_key(void *ctx, const void *row)
{
    keys_seen *k = ctx;
    const pd_signing_key *r = row;
    if (k->n == 0)
        memcpy(k->first, r->secret, sizeof k->first);
    if (k->n < 4) {
        snprintf(k->kid[k->n], sizeof k->kid[0], "%s", r->kid);
        k->created[k->n] = r->created;
    }
    k->n++;
    return 0;
}

static void test_signing_keys(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    keys_seen k = {0};
    assert_int_equal(s->ops->get_signing_keys(s, on_key, &k), PD_OK);
    assert_int_equal(k.n, 0);
    unsigned char a[32], b[32];
    for (int i = 0; i < 32; i++) {
        a[i] = (unsigned char)i;            /* a[0] == 0 */
        b[i] = (unsigned char)(255 - i);
    }
    assert_int_equal(s->ops->add_signing_key(s, "k-old", a, 32, 100), PD_OK);
    assert_int_equal(s->ops->add_signing_key(s, "k-new", b, 32, 200), PD_OK);
    assert_int_equal(s->ops->add_signing_key(s, "k-new", a, 32, 300), PD_ERR_STORE);
    assert_int_equal(s->ops->add_signing_key(s, "k-short", a, 31, 300), PD_ERR_STORE);
    assert_int_equal(s->ops->add_signing_key(s, NULL, a, 32, 300), PD_ERR_STORE);
    assert_int_equal(s->ops->get_signing_keys(s, on_key, &k), PD_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.kid[0], "k-new");
    assert_int_equal(k.created[0], 200);
    assert_memory_equal(k.first, b, 32);
    assert_string_equal(k.kid[1], "k-old");
    assert_int_equal(k.created[1], 100);
}

/* wipe_tenant: only inside a transaction; deletes the whole tenant (a
 * rollback brings it back whole), keeps the signing keys. */
static void test_wipe_tenant(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    const char *gids[] = { "10" };
    unsigned char key[32] = {1};
    keys_seen k = {0};
    int64_t n = -1;
    pd_account a;

    seed_account(s);
    assert_int_equal(put_membership(s, ACC, USR, true, "7", gids, 1), PD_OK);
    assert_int_equal(s->ops->add_signing_key(s, "k1", key, 32, 100), PD_OK);
    assert_int_equal(s->ops->wipe_tenant(s), PD_ERR_STORE);      /* not outside a transaction */
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);

    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->wipe_tenant(s), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);                                        /* rolled back whole */

    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->wipe_tenant(s), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->get_account(s, ACC, &a), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_signing_keys(s, on_key, &k), PD_OK);
    assert_int_equal(k.n, 1);                                      /* keys stay */
    seed_account(s);                                               /* ids can come back */
    assert_int_equal(put_membership(s, ACC, USR, false, "7", gids, 1), PD_OK);
}

/* ---- persistence and sharing ------------------------------------------ */

static void test_file_reopen(void **state)
{
    fixture *f = *state;
    seed_account(f->s);
    static const unsigned char px[] = { 0, 1, 0 };
    assert_int_equal(f->s->ops->put_image(f->s, USR, px, 3, "image/bmp", "\"p\"", "t"), PD_OK);
    pd_store_close(f->s);
    char err[256];
    f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(f->s);
    int from = -1, to = -1;
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_OK);
    assert_int_equal(from, pd_sqlite_schema_latest());
    assert_int_equal(to, pd_sqlite_schema_latest());
    pd_account a;
    assert_int_equal(f->s->ops->get_account(f->s, "12345", &a), PD_OK);
    assert_string_equal(a.name, "Acme");
    pd_account_clear(&a);
    pd_image img;
    assert_int_equal(f->s->ops->get_image(f->s, USR, &img), PD_OK);
    assert_int_equal(img.len, 3);
    assert_memory_equal(img.bytes, px, 3);
    pd_image_clear(&img);
}

static void test_memory_shared(void **state)
{
    (void)state;
    char err[256];
    pd_store *a = pd_store_open("sqlite::memory:", err, sizeof err);
    assert_non_null(a);
    pd_store *b = pd_store_open("sqlite::memory:", err, sizeof err);
    assert_non_null(b);
    int from = -1, to = -1;
    assert_int_equal(a->ops->migrate(a, &from, &to), PD_OK);
    assert_int_equal(from, 0);
    assert_int_equal(b->ops->migrate(b, &from, &to), PD_OK);
    assert_int_equal(from, pd_sqlite_schema_latest()); /* b sees a's schema */
    add_user(a, USR, "a@x.com");
    pd_user u;
    assert_int_equal(b->ops->get_user(b, USR, &u), PD_OK);
    assert_string_equal(u.email, "a@x.com");
    pd_user_clear(&u);
    assert_int_equal(b->ops->update_profile(b, USR, "{\"b\":1}", "m"), PD_OK);
    assert_int_equal(a->ops->get_user(a, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"b\":1}");
    pd_user_clear(&u);
    /* a write rolled back on a never reaches b */
    assert_int_equal(a->ops->begin(a), PD_OK);
    add_user(a, USR2, "b@x.com");
    assert_int_equal(a->ops->rollback(a), PD_OK);
    assert_int_equal(b->ops->get_user(b, USR2, &u), PD_ERR_NOT_FOUND);
    pd_store_close(a);
    pd_store_close(b);
    /* the last handle closed: the in-memory database is gone */
    pd_store *c = pd_store_open("sqlite::memory:", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->ops->migrate(c, &from, &to), PD_OK);
    assert_int_equal(from, 0);
    pd_store_close(c);
}

/* Several threads, one handle each, writing and reading concurrently. */
typedef struct {
    const char *url;
    int idx;
    int failures;
} worker_arg;

#define WORKERS 4
#define ROUNDS 60

static void *worker(void *p)
{
    worker_arg *w = p;
    char err[256];
    pd_store *s = pd_store_open(w->url, err, sizeof err);
    if (s == NULL) {
        w->failures = 1000;
        return NULL;
    }
    char id[64], email[64], json[64];
    for (int r = 0; r < ROUNDS; r++) {
        snprintf(id, sizeof id, "bbbbbbbb-0000-4000-8000-%04d%08d", w->idx, r);
        snprintf(email, sizeof email, "w%d-%d@x.com", w->idx, r);
        snprintf(json, sizeof json, "{\"r\":%d}", r);
        if (put_user(s, id, email, NULL, "2024-01-01T00:00:00Z") != PD_OK)
            w->failures++;
        if (s->ops->update_profile(s, id, json, "m") != PD_OK)
            w->failures++;
        static const unsigned char px[] = { 0, 1, 2, 3 };
        if (s->ops->put_image(s, id, px, sizeof px, "image/png", "\"x\"", "m2") != PD_OK)
            w->failures++;
        pd_user u;
        if (s->ops->get_user(s, id, &u) != PD_OK || u.version != 3 || !u.has_image)
            w->failures++;
        pd_user_clear(&u);
        int64_t n;
        if (s->ops->count_users(s, &n) != PD_OK)
            w->failures++;
    }
    pd_store_close(s);
    return NULL;
}

static void run_workers(const char *url)
{
    pthread_t t[WORKERS];
    worker_arg w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (worker_arg){ .url = url, .idx = i };
        assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
}

static void test_threads_memory(void **state)
{
    (void)state;
    char err[256];
    pd_store *keep = pd_store_open("sqlite::memory:", err, sizeof err);
    assert_non_null(keep);
    assert_int_equal(keep->ops->migrate(keep, NULL, NULL), PD_OK);
    run_workers("sqlite::memory:");
    int64_t n = 0;
    assert_int_equal(keep->ops->count_users(keep, &n), PD_OK);
    assert_int_equal(n, WORKERS * ROUNDS);
    pd_store_close(keep);
}

static void test_threads_file(void **state)
{
    fixture *f = *state;
    run_workers(f->url);
    int64_t n = 0;
    assert_int_equal(f->s->ops->count_users(f->s, &n), PD_OK);
    assert_int_equal(n, WORKERS * ROUNDS);
}

/* ---- clear functions -------------------------------------------------- */

static void test_clear_zeroed(void **state)
{
    (void)state;
    pd_org o = {0};
    pd_account a = {0};
    pd_membership m = {0};
    pd_user u = {0};
    pd_image i = {0};
    pd_org_clear(&o);
    pd_account_clear(&a);
    pd_membership_clear(&m);
    pd_user_clear(&u);
    pd_image_clear(&i);
    pd_org_clear(NULL);
    pd_account_clear(NULL);
    pd_membership_clear(NULL);
    pd_user_clear(NULL);
    pd_image_clear(NULL);
    /* heap members, including input group ids, are freed (ASan checks) */
    m.account_id = strdup("a");
    m.group_ids = calloc(2, sizeof *m.group_ids);
    assert_non_null(m.group_ids);
    m.group_ids[0] = strdup("1");
    m.group_ids[1] = strdup("2");
    m.n_group_ids = 2;
    m.groups = calloc(1, sizeof *m.groups);
    assert_non_null(m.groups);
    m.groups[0].id = strdup("g");
    m.n_groups = 1;
    pd_membership_clear(&m);
    assert_null(m.group_ids);
    assert_int_equal(m.n_group_ids, 0);
    o.id = strdup("x");
    pd_org_clear(&o);
    assert_null(o.id);
    u.password_hash = strdup("secret-hash");
    pd_user_clear(&u);
    assert_null(u.password_hash);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_bad_urls),
        T(test_migrate_idempotent),
        T(test_migrate_newer_db),
        T(test_migrate_7_to_8),
        T(test_user_default_account),
        T(test_get_member_user),
        T(test_file_settings),
        T(test_file_prefix_is_literal),
        T(test_account_lookup),
        T(test_account_upsert_updates),
        T(test_user_roundtrip),
        T(test_upsert_user_keeps_password),
        T(test_update_profile),
        T(test_update_profile_if),
        T(test_group_transaction),
        T(test_image_roundtrip),
        T(test_membership),
        T(test_fk_violations),
        T(test_failure_logged_as_json),
        T(test_rollback_discards),
        T(test_failure_inside_caller_tx),
        T(test_each),
        T(test_each_reentrant),
        T(test_signing_keys),
        T(test_wipe_tenant),
        T(test_file_reopen),
        cmocka_unit_test(test_memory_shared),
        cmocka_unit_test(test_threads_memory),
        T(test_threads_file),
        cmocka_unit_test(test_clear_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
