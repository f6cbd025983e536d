/*
 * test_pg.c - unit tests of the PostgreSQL backend (store/pg*.c) against a
 * real server: PROFILED_TEST_PG_URL is a URL of a server's maintenance
 * database (e.g. postgresql://postgres@127.0.0.1:55432/postgres, from
 * scripts/pg-tmp.sh); each test creates its own database next to it.
 * Unset: the tests are skipped (a line says so), and the program fails only
 * when PROFILED_REQUIRE_PG=1 (scripts/run-tests.sh sets it).
 *
 * Memory: every out-struct is released with its pd_*_clear(); the fixture
 * owns the store and closes it in teardown (the databases are left to the
 * throwaway server).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "pg_testdb.h"
#include "store/store.h"

#define ORG   "0f0e0d0c-0000-4000-8000-000000000001"
#define ACC   "1a2b3c4d-0000-4000-8000-00000000000a"
#define ACC_U "1A2B3C4D-0000-4000-8000-00000000000A"
#define USR   "aaaaaaaa-0000-4000-8000-000000000001"
#define USR_U "AAAAAAAA-0000-4000-8000-000000000001"
#define USR2  "aaaaaaaa-0000-4000-8000-000000000002"
#define MOD   "2024-01-01T00:00:00.0000000Z"


typedef struct {
    char name[64];
    char url[512];
    pd_store *s;
} fixture;

/* ---- helpers ---------------------------------------------------------- */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    new_database("ut", f->name, sizeof f->name, f->url, sizeof f->url);
    char err[256] = "";
    f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(f->s);
    int from = -1, to = -1;
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_OK);
    assert_int_equal(from, 0);
    assert_int_equal(to, 8);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pd_store_close(f->s);
    free(f);
    return 0;
}

static void add_org(pd_store *s, const char *id, const char *name)
{
    pd_org o = { .id = (char *)id, .name = (char *)name };
    assert_int_equal(s->ops->upsert_org(s, &o), PD_OK);
}

static void add_account(pd_store *s, const char *id, int64_t ext, const char *org)
{
    pd_account a = { .id = (char *)id, .external_id = ext, .name = (char *)"Acc",
                     .organization_id = (char *)org };
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
}

static pd_err put_user(pd_store *s, const char *id, const char *email, const char *profile)
{
    pd_user u = { .id = (char *)id, .email = (char *)email, .status = (char *)"Active",
                  .created = (char *)"2023-05-06T07:08:09.0000000Z", .modified = (char *)MOD,
                  .password_hash = (char *)"$argon2id$hash", .profile_json = (char *)profile };
    return s->ops->upsert_user(s, &u);
}

/* org, account, user with a membership in two groups and a permission profile */
static void tenant(pd_store *s)
{
    add_org(s, ORG, "Org");
    add_account(s, ACC_U, 1001, ORG);
    pd_perm_profile p = { .id = (char *)"7", .name = (char *)"DS Sender" };
    assert_int_equal(s->ops->upsert_perm_profile(s, ACC, &p), PD_OK);
    pd_group g1 = { .id = (char *)"2", .name = (char *)"Everyone", .type = (char *)"EveryoneGroup" };
    pd_group g2 = { .id = (char *)"1", .name = (char *)"Admins", .type = (char *)"AdminGroup" };
    assert_int_equal(s->ops->upsert_group(s, ACC, &g1), PD_OK);
    assert_int_equal(s->ops->upsert_group(s, ACC, &g2), PD_OK);
    assert_int_equal(put_user(s, USR_U, "Ann@Example.TEST",
                              "{\"userDetails\":{\"firstName\":\"Ann\",\"userName\":\"Ann A\"}}"),
                     PD_OK);
    char *gids[] = { (char *)"2", (char *)"1" };
    pd_membership m = { .account_id = (char *)ACC, .user_id = (char *)USR, .is_admin = true,
                        .permission_profile_id = (char *)"7", .group_ids = gids, .n_group_ids = 2 };
    assert_int_equal(s->ops->upsert_membership(s, &m), PD_OK);
}

/* ---- open and migrations ----------------------------------------------- */

static void test_open_existing_needs_schema(void **state)
{
    (void)state;
    char name[64], url[512], err[512] = "";
    new_database("ut", name, sizeof name, url, sizeof url);
    assert_null(pd_store_open_existing(url, err, sizeof err));
    assert_non_null(strstr(err, "the profiled schema does not exist"));
    pd_store *s = pd_store_open(url, err, sizeof err);
    assert_non_null(s);
    int from = -1, to = -1;
    assert_int_equal(s->ops->migrate(s, &from, &to), PD_OK);
    assert_int_equal(to, 8);
    assert_int_equal(s->ops->migrate(s, &from, &to), PD_OK);
    assert_int_equal(from, 8);
    assert_int_equal(to, 8);
    assert_string_equal(s->ops->name, "postgresql");
    pd_store_close(s);
    s = pd_store_open_existing(url, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(s->ops->check(s), PD_OK);
    pd_store_close(s);
    /* the other scheme spelling */
    char url2[520];
    assert_int_equal(strncmp(url, "postgresql://", 13), 0);
    snprintf(url2, sizeof url2, "postgres://%s", url + 13);
    s = pd_store_open_existing(url2, err, sizeof err);
    assert_non_null(s);
    pd_store_close(s);
}

static void test_unreachable_server(void **state)
{
    (void)state;
    char err[512] = "";
    /* a port nothing listens on (1 is privileged and unused) */
    assert_null(pd_store_open("postgresql://postgres@127.0.0.1:1/x", err, sizeof err));
    assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
    assert_null(pd_store_open("postgresql:x", err, sizeof err));
    assert_non_null(strstr(err, "://"));
}

/* N processes migrate one empty database at once: all succeed, each
 * migration is recorded once. */
static void test_concurrent_migrations(void **state)
{
    (void)state;
    enum { N = 6 };
    char name[64], url[512];
    new_database("ut", name, sizeof name, url, sizeof url);
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            char err[256];
            pd_store *s = pd_store_open(url, err, sizeof err);
            int from, to;
            int rc = s != NULL && s->ops->migrate(s, &from, &to) == PD_OK && to == 8 ? 0 : 1;
            pd_store_close(s);
            _exit(rc);
        }
    }
    for (int i = 0; i < N; i++) {
        int st = 0;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "SELECT count(*), count(DISTINCT version), min(version), max(version)"
                            " FROM schema_migrations");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "8");
    assert_string_equal(PQgetvalue(r, 0, 1), "8");
    assert_string_equal(PQgetvalue(r, 0, 2), "1");
    assert_string_equal(PQgetvalue(r, 0, 3), "8");
    PQclear(r);
    PQfinish(c);
}

/* Runs one statement on its own connection; returns the first row's column
 * col, or "" (copied into out). */
static void pg_text(const char *url, const char *sql, int col, char *out, size_t outlen)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    assert_true(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK);
    snprintf(out, outlen, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, col) : "");
    PQclear(r);
    PQfinish(c);
}

/* Migration 8 on a version-7 database that holds data: the covering index
 * memberships_by_user_cover replaces memberships_by_user, the data stays
 * and the membership reads work. */
static void test_migrate_7_to_8(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char txt[512];
    tenant(s);
    pd_store_close(s);
    f->s = NULL;
    pg_text(f->url, "DROP INDEX memberships_by_user_cover;"
                    "CREATE INDEX memberships_by_user ON memberships(user_id);"
                    "DELETE FROM schema_migrations WHERE version = 8", 0, txt, sizeof txt);

    char err[256] = "";
    s = f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(s);
    int from = -1, to = -1;
    assert_int_equal(s->ops->migrate(s, &from, &to), PD_OK);
    assert_int_equal(from, 7);
    assert_int_equal(to, 8);

    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC_U, USR_U, &m), PD_OK);
    assert_true(m.is_admin);
    assert_string_equal(m.permission_profile_name, "DS Sender");
    assert_non_null(m.added);
    assert_int_equal(m.n_groups, 2);
    pd_membership_clear(&m);
    assert_int_equal(s->ops->get_membership(s, ACC, USR2, &m), PD_ERR_NOT_FOUND);

    pg_text(f->url, "SELECT string_agg(indexname, '|' ORDER BY indexname) FROM pg_indexes"
                    " WHERE tablename = 'memberships'", 0, txt, sizeof txt);
    assert_string_equal(txt, "memberships_by_profile|memberships_by_user_cover|memberships_pkey");
    pg_text(f->url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'memberships_by_user_cover'",
            0, txt, sizeof txt);
    assert_non_null(strstr(txt, "(user_id, account_id) INCLUDE (is_admin, permission_profile_id, added)"));
}

/* ---- users, memberships, images --------------------------------------- */

static void test_lookups(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);

    pd_account a;
    assert_int_equal(s->ops->get_account(s, ACC_U, &a), PD_OK);
    assert_string_equal(a.id, ACC);
    assert_int_equal(a.external_id, 1001);
    assert_string_equal(a.organization_id, ORG);
    pd_account_clear(&a);
    assert_int_equal(s->ops->get_account(s, "1001", &a), PD_OK);
    assert_string_equal(a.id, ACC);
    pd_account_clear(&a);
    assert_int_equal(s->ops->get_account(s, "0999", &a), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_account(s, "99999999999999999999", &a), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_account(s, "nope", &a), PD_ERR_NOT_FOUND);

    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR_U, &u), PD_OK);
    assert_string_equal(u.id, USR);
    assert_string_equal(u.email, "ann@example.test");
    assert_string_equal(u.password_hash, "$argon2id$hash");
    assert_false(u.has_image);
    assert_null(u.last_login);
    int64_t v1 = u.version;
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user_by_email(s, "ANN@example.test", &u), PD_OK);
    assert_string_equal(u.id, USR);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_ERR_NOT_FOUND);

    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC_U, USR_U, &m), PD_OK);
    assert_true(m.is_admin);
    assert_string_equal(m.permission_profile_id, "7");
    assert_string_equal(m.permission_profile_name, "DS Sender");
    assert_non_null(m.added);
    assert_int_equal(strlen(m.added), strlen(MOD));
    assert_int_equal(m.n_groups, 2);
    assert_string_equal(m.groups[0].id, "1");
    assert_string_equal(m.groups[0].type, "AdminGroup");
    assert_string_equal(m.groups[1].name, "Everyone");
    char *added = strdup(m.added);
    pd_membership_clear(&m);
    assert_int_equal(s->ops->get_membership(s, ACC, USR2, &m), PD_ERR_NOT_FOUND);

    /* re-upserting keeps the date when none is given, drops groups */
    pd_membership m2 = { .account_id = (char *)ACC, .user_id = (char *)USR };
    assert_int_equal(s->ops->upsert_membership(s, &m2), PD_OK);
    assert_int_equal(s->ops->get_membership(s, ACC, USR, &m), PD_OK);
    assert_string_equal(m.added, added);
    assert_int_equal(m.n_groups, 0);
    assert_false(m.is_admin);
    pd_membership_clear(&m);
    free(added);

    int64_t n = 0;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);

    int64_t va, vb, gen;
    assert_int_equal(s->ops->get_versions(s, USR, USR2, &va, &vb, &gen), PD_OK);
    assert_true(va > v1);             /* the membership writes bumped it */
    assert_int_equal(vb, -1);
    assert_int_equal(gen, 1);
    assert_int_equal(s->ops->bump_generation(s), PD_OK);
    assert_int_equal(s->ops->get_versions(s, USR, USR, &va, &vb, &gen), PD_OK);
    assert_int_equal(gen, 2);
}

static void test_profile_and_image(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    int64_t v = u.version;
    pd_user_clear(&u);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"x\":1}", "2025-02-02T00:00:00.0000000Z"),
                     PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR2, "{}", MOD), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"x\":1}");
    assert_string_equal(u.modified, "2025-02-02T00:00:00.0000000Z");
    assert_int_equal(u.version, v + 1);
    pd_user_clear(&u);

    /* every byte value, including NUL, survives (bytea, binary format) */
    unsigned char img[600];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (unsigned char)(i * 7);
    assert_int_equal(s->ops->put_image(s, USR, img, sizeof img, "image/png", "\"e1\"", MOD), PD_OK);
    pd_image im;
    assert_int_equal(s->ops->get_image(s, USR_U, &im), PD_OK);
    assert_int_equal(im.len, sizeof img);
    assert_memory_equal(im.bytes, img, sizeof img);
    assert_string_equal(im.content_type, "image/png");
    assert_string_equal(im.etag, "\"e1\"");
    pd_image_clear(&im);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_true(u.has_image);
    assert_string_equal(u.image_etag, "\"e1\"");
    pd_user_clear(&u);
    assert_int_equal(s->ops->put_image(s, USR2, img, 1, "image/png", "\"e\"", MOD), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->delete_image(s, USR, MOD), PD_OK);
    assert_int_equal(s->ops->delete_image(s, USR, MOD), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_image(s, USR, &im), PD_ERR_NOT_FOUND);

    assert_int_equal(s->ops->record_login(s, USR, "2025-03-03T00:00:00.0000000Z", NULL), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.last_login, "2025-03-03T00:00:00.0000000Z");
    assert_string_equal(u.profile_json, "{\"x\":1}");
    assert_string_equal(u.modified, MOD);     /* the image delete set it; login did not */
    pd_user_clear(&u);
    assert_int_equal(s->ops->record_login(s, USR2, NULL, NULL), PD_ERR_NOT_FOUND);
}

static void test_constraint_messages(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    assert_int_equal(put_user(s, USR2, "ann@example.test", "{}"), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "UNIQUE constraint failed: users.email"));
    pd_membership m = { .account_id = (char *)ACC, .user_id = (char *)USR2 };
    assert_int_equal(s->ops->upsert_membership(s, &m), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "FOREIGN KEY constraint failed (the account"));
    pd_account a = { .id = (char *)"b0000000-0000-4000-8000-000000000000", .external_id = 0,
                     .name = (char *)"x" };
    assert_int_equal(s->ops->upsert_account(s, &a), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "CHECK constraint failed"));
    pd_user u = { .id = (char *)USR2, .email = (char *)"b@x.test", .status = (char *)"Active",
                  .created = (char *)MOD, .modified = (char *)MOD };
    assert_int_equal(s->ops->upsert_user(s, &u), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "NOT NULL constraint failed: users.profile_json"));
    /* a failed write inside a transaction: the caller rolls back, the handle goes on */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(put_user(s, USR2, "ann@example.test", "{}"), PD_ERR_STORE);
    assert_int_equal(s->ops->commit(s), PD_ERR_STORE);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->wipe_tenant(s), PD_ERR_STORE);   /* only inside a transaction */
    assert_non_null(strstr(pd_store_last_error(s), "only inside a transaction"));
    pd_user got;
    assert_int_equal(s->ops->get_user(s, USR, &got), PD_OK);
    pd_user_clear(&got);
}

static void test_wipe_and_rollback(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->wipe_tenant(s), PD_OK);
    int64_t n = -1;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->wipe_tenant(s), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);
}

/* ---- iteration -------------------------------------------------------- */

typedef struct {
    pd_store *s;
    int n;
    char last[64];
    bool ordered, reentered;
} user_walk;

static int walk_user(void *ctx, const void *row)
{
    user_walk *w = ctx;
    const pd_user *u = row;
    if (w->n > 0 && strcmp(w->last, u->id) >= 0)
        w->ordered = false;
    snprintf(w->last, sizeof w->last, "%s", u->id);
    /* the store may be called from inside an iteration (the export does) */
    if (w->n % 997 == 0) {
        pd_user again;
        w->reentered = w->s->ops->get_user(w->s, u->id, &again) == PD_OK && w->reentered;
        pd_user_clear(&again);
    }
    w->n++;
    return 0;
}

static void test_each_user_pages(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    enum { N = 2345 };
    assert_int_equal(s->ops->begin(s), PD_OK);
    for (int i = 0; i < N; i++) {
        char id[40], email[40];
        snprintf(id, sizeof id, "cccccccc-0000-4000-8000-%012d", i);
        snprintf(email, sizeof email, "u%d@x.test", i);
        assert_int_equal(put_user(s, id, email, "{}"), PD_OK);
    }
    assert_int_equal(s->ops->commit(s), PD_OK);
    user_walk w = { .s = s, .ordered = true, .reentered = true };
    assert_int_equal(s->ops->begin_read(s), PD_OK);
    assert_int_equal(s->ops->each_user(s, walk_user, &w), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(w.n, N);
    assert_true(w.ordered);
    assert_true(w.reentered);
}

typedef struct {
    int n;
    size_t groups;
} ms_walk;

static int walk_membership(void *ctx, const void *row)
{
    ms_walk *w = ctx;
    const pd_membership *m = row;
    w->n++;
    w->groups += m->n_group_ids;
    if (m->n_group_ids == 2) {
        assert_string_equal(m->group_ids[0], "1");
        assert_string_equal(m->group_ids[1], "2");
    }
    return 0;
}

static int count_row(void *ctx, const void *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

/* get_user and get_user_by_email read the default account with the row
 * (the lowest account number; the FOR UPDATE forms in a write transaction
 * too); a user in no account: NULL. */
static void test_user_default_account(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    const char *acc2 = "1a2b3c4d-0000-4000-8000-00000000000b";
    add_account(s, acc2, 77, ORG);
    assert_int_equal(put_user(s, USR2, "bob@example.test", "{}"), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_OK);
    assert_null(u.default_account_id);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user(s, USR_U, &u), PD_OK);
    assert_string_equal(u.default_account_id, ACC);
    pd_user_clear(&u);
    pd_membership m = { .account_id = (char *)acc2, .user_id = (char *)USR };
    assert_int_equal(s->ops->upsert_membership(s, &m), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.default_account_id, acc2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user_by_email(s, "ann@example.test", &u), PD_OK);
    assert_string_equal(u.default_account_id, acc2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.default_account_id, acc2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_user_by_email(s, "ann@example.test", &u), PD_OK);
    assert_string_equal(u.default_account_id, acc2);
    pd_user_clear(&u);
    assert_int_equal(s->ops->rollback(s), PD_OK);
}

/* get_member_user: one statement outside a write transaction, the two
 * lookups (the user FOR UPDATE) inside one; the same answers either way. */
static void test_get_member_user(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    assert_int_equal(put_user(s, USR2, "bob@example.test", "{}"), PD_OK);
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            assert_int_equal(s->ops->begin(s), PD_OK);
        pd_membership m;
        pd_user u;
        assert_int_equal(s->ops->get_member_user(s, ACC_U, USR_U, &m, &u), PD_OK);
        assert_string_equal(m.account_id, ACC);
        assert_string_equal(m.user_id, USR);
        assert_true(m.is_admin);
        assert_string_equal(m.permission_profile_name, "DS Sender");
        assert_int_equal(m.n_groups, 2);
        assert_string_equal(m.groups[0].id, "1");
        assert_string_equal(m.groups[0].type, "AdminGroup");
        assert_string_equal(m.groups[1].name, "Everyone");
        assert_string_equal(u.id, USR);
        assert_string_equal(u.email, "ann@example.test");
        assert_non_null(strstr(u.profile_json, "Ann A"));
        assert_string_equal(u.default_account_id, ACC);
        assert_int_equal(u.version, 2);     /* the membership bumped it */
        pd_membership_clear(&m);
        pd_user_clear(&u);
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

static void test_export_iterations(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    ms_walk w = { 0 };
    assert_int_equal(s->ops->each_membership(s, walk_membership, &w), PD_OK);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.groups, 2);
    int n = 0;
    assert_int_equal(s->ops->each_org(s, count_row, &n), PD_OK);
    assert_int_equal(s->ops->each_account(s, count_row, &n), PD_OK);
    assert_int_equal(s->ops->each_perm_profile(s, ACC, count_row, &n), PD_OK);
    assert_int_equal(s->ops->each_group(s, ACC, count_row, &n), PD_OK);
    assert_int_equal(s->ops->each_account_of_user(s, USR, count_row, &n), PD_OK);
    assert_int_equal(n, 1 + 1 + 1 + 2 + 1);
}

/* ---- organizations (Admin API) ----------------------------------------- */

typedef struct {
    int n;
    char first_json[256];
} list_walk;

static int walk_list(void *ctx, const void *row)
{
    list_walk *w = ctx;
    const pd_user *u = row;
    if (w->n++ == 0)
        snprintf(w->first_json, sizeof w->first_json, "%s", u->profile_json);
    assert_null(u->password_hash);
    return 0;
}

static void test_org_users(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    pd_org_domain d = { .id = (char *)"dddddddd-0000-4000-8000-000000000001",
                        .organization_id = (char *)ORG, .domain = (char *)"Example.test",
                        .status = (char *)"active" };
    assert_int_equal(s->ops->upsert_org_domain(s, &d), PD_OK);
    pd_org_admin oa = { .organization_id = (char *)ORG, .user_id = (char *)USR };
    assert_int_equal(s->ops->upsert_org_admin(s, &oa), PD_OK);
    assert_int_equal(s->ops->check_org_admin(s, ORG, USR_U), PD_OK);
    assert_int_equal(s->ops->check_org_admin(s, ORG, USR2), PD_ERR_NOT_FOUND);

    pd_user u;
    assert_int_equal(s->ops->get_org_user_by_email(s, ORG, "ann@EXAMPLE.test", &u), PD_OK);
    assert_null(u.password_hash);
    json_t *j = json_loads(u.profile_json, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "userDetails"),
                                                          "firstName")), "Ann");
    assert_true(json_is_null(json_object_get(json_object_get(j, "userDetails"), "lastName")));
    json_decref(j);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_org_user(s, ORG, USR2, &u), PD_ERR_NOT_FOUND);

    int64_t total = -1;
    list_walk w = { 0 };
    pd_org_user_query q = { .organization_id = ORG, .take = 10 };
    assert_int_equal(s->ops->list_org_users(s, &q, &total, walk_list, &w), PD_OK);
    assert_int_equal(total, 1);
    assert_int_equal(w.n, 1);
    q.like = "ANN A";               /* the stored userName, case-insensitive */
    memset(&w, 0, sizeof w);
    assert_int_equal(s->ops->list_org_users(s, &q, &total, walk_list, &w), PD_OK);
    assert_int_equal(w.n, 1);
    q.like = NULL;
    q.domain_id = d.id;
    q.statuses = ",Active,";
    memset(&w, 0, sizeof w);
    assert_int_equal(s->ops->list_org_users(s, &q, &total, walk_list, &w), PD_OK);
    assert_int_equal(w.n, 1);
    q.statuses = ",Closed,";
    memset(&w, 0, sizeof w);
    assert_int_equal(s->ops->list_org_users(s, &q, &total, walk_list, &w), PD_OK);
    assert_int_equal(total, 0);
    assert_int_equal(w.n, 0);

    pd_org_membership *ms = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->get_org_memberships(s, ORG, USR, &ms, &n), PD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ms[0].account.external_id, 1001);
    assert_int_equal(ms[0].membership.n_groups, 2);
    pd_org_memberships_free(ms, n);
}

/* ---- concurrency: two connections update one profile ------------------- */

typedef struct {
    const char *url;
    pd_err result;
} writer_arg;

/* Read-modify-write as PUT profile does: adds "b" to what it reads. */
static void *writer_b(void *p)
{
    writer_arg *a = p;
    char err[256];
    pd_store *s = pd_store_open_existing(a->url, err, sizeof err);
    a->result = PD_ERR_STORE;
    if (s == NULL)
        return NULL;
    pd_user u;
    if (s->ops->begin(s) == PD_OK && s->ops->get_user(s, USR, &u) == PD_OK) {
        json_t *j = json_loads(u.profile_json, 0, NULL);
        json_object_set_new(j, "b", json_integer(2));
        char *txt = json_dumps(j, JSON_COMPACT);
        if (s->ops->update_profile(s, USR, txt, MOD) == PD_OK)
            a->result = s->ops->commit(s);
        free(txt);
        json_decref(j);
        pd_user_clear(&u);
    }
    if (a->result != PD_OK)
        s->ops->rollback(s);
    pd_store_close(s);
    return NULL;
}

static void test_no_lost_update(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    assert_int_equal(s->ops->update_profile(s, USR, "{}", MOD), PD_OK);
    pd_user u;
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);     /* A holds the row now */
    writer_arg wa = { f->url, PD_ERR_INTERNAL };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer_b, &wa), 0);
    struct timespec ts = { 0, 300 * 1000000L };
    nanosleep(&ts, NULL);                                    /* B reads (and waits) meanwhile */
    assert_string_equal(u.profile_json, "{}");
    assert_int_equal(s->ops->update_profile(s, USR, "{\"a\":1}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    pd_user_clear(&u);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(wa.result, PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    json_t *j = json_loads(u.profile_json, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);   /* A's field kept */
    assert_int_equal(json_integer_value(json_object_get(j, "b")), 2);
    json_decref(j);
    pd_user_clear(&u);
}

/* ---- reconnect ---------------------------------------------------------- */

static void kill_backends(const char *db)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
             " WHERE datname = '%s' AND pid <> pg_backend_pid()", db);
    admin_exec(sql);
    struct timespec ts = { 0, 100 * 1000000L };
    nanosleep(&ts, NULL);
}

static void test_reconnect(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    pd_user_clear(&u);
    kill_backends(f->name);
    /* the call that finds the connection gone fails cleanly ... */
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "the database is unreachable"));
    /* ... the next one reconnects and prepares its statements again */
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    pd_user_clear(&u);
    assert_int_equal(s->ops->check(s), PD_OK);

    /* inside a transaction: lost with the connection, never half-committed */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"lost\":1}", MOD), PD_OK);
    kill_backends(f->name);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"lost\":2}", MOD), PD_ERR_STORE);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_ERR_STORE);      /* not outside it */
    assert_int_equal(s->ops->commit(s), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "nothing of it was committed"));
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_null(strstr(u.profile_json, "lost"));
    pd_user_clear(&u);
}

/* ---- group commit ------------------------------------------------------ */

/* The user's stored document as another connection sees it (committed only). */
static void assert_committed_doc(const char *url, const char *want)
{
    char err[256];
    pd_store *o = pd_store_open_existing(url, err, sizeof err);
    assert_non_null(o);
    pd_user u;
    assert_int_equal(o->ops->get_user(o, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, want);
    pd_user_clear(&u);
    o->ops->close(o);
}

static void test_group_commit(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    tenant(s);
    assert_int_equal(s->ops->update_profile(s, USR, "{}", MOD), PD_OK);
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->group_begin(s), PD_ERR_STORE);            /* not twice */
    /* a request's transaction is a savepoint: kept ... */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":1}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    /* ... or undone alone */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":2}", MOD), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    /* a request whose statement fails (UNIQUE email) is undone alone, and
     * the group goes on */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_not_equal(put_user(s, USR2, "ann@example.test", "{}"), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_true(s->ops->group_open(s));
    /* a commit with no request open would end the group: refused */
    assert_int_equal(s->ops->commit(s), PD_ERR_STORE);
    assert_true(s->ops->group_open(s));
    pd_user u;
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);             /* inside: the group's */
    assert_string_equal(u.profile_json, "{\"g\":1}");
    pd_user_clear(&u);
    assert_committed_doc(f->url, "{}");                                  /* outside: not yet */
    assert_int_equal(s->ops->group_end(s, true), PD_OK);
    assert_false(s->ops->group_open(s));
    assert_committed_doc(f->url, "{\"g\":1}");
    int64_t n = -1;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);

    /* a statement that fails outside any savepoint of its own (a trigger's
     * RAISE EXCEPTION under update_profile) aborts the request's savepoint:
     * the group is not open until the request ends; its commit then undoes
     * the request alone, as a COMMIT of a failed transaction does */
    PGconn *c = PQconnectdb(f->url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                            " IF NEW.profile_json LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned';"
                            " END IF; RETURN NEW; END $$;"
                            " CREATE TRIGGER poison BEFORE UPDATE ON users FOR EACH ROW"
                            " EXECUTE FUNCTION poison()");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":5}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"poison\":1}", MOD), PD_ERR_STORE);
    assert_false(s->ops->group_open(s));
    assert_int_equal(s->ops->commit(s), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "had failed and was rolled back"));
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->group_end(s, true), PD_OK);
    assert_committed_doc(f->url, "{\"g\":5}");

    /* rolled back on request: nothing of it stays */
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":3}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->group_end(s, false), PD_ERR_STORE);
    assert_committed_doc(f->url, "{\"g\":5}");

    /* the connection lost inside a group: it is no longer open, nothing of
     * it is committed, a request's begin is refused until group_end */
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":4}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    kill_backends(f->name);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_ERR_STORE);      /* finds it gone */
    assert_false(s->ops->group_open(s));
    assert_int_equal(s->ops->begin(s), PD_ERR_STORE);
    assert_int_equal(s->ops->group_end(s, true), PD_ERR_STORE);
    assert_committed_doc(f->url, "{\"g\":5}");
    assert_int_equal(s->ops->group_begin(s), PD_OK);                   /* usable again */
    assert_int_equal(s->ops->group_end(s, true), PD_OK);

    /* the connection lost at the group's COMMIT itself: that COMMIT fails,
     * and the connection is usable again afterwards (it was stuck refusing
     * every call as "lost inside a transaction") */
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":6}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    kill_backends(f->name);
    assert_int_equal(s->ops->group_end(s, true), PD_ERR_STORE);
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    pd_user_clear(&u);
    assert_int_equal(s->ops->group_end(s, true), PD_OK);
    assert_committed_doc(f->url, "{\"g\":5}");

    /* a request's RELEASE goes with the next SAVEPOINT: a nested begin's
     * commit is released at once, so the outer request's rollback undoes
     * the nested writes too, and the request before it stays */
    assert_int_equal(s->ops->group_begin(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":10}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":11}", MOD), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);                         /* nested */
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":12}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":13}", MOD), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);                      /* the outer one */
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.profile_json, "{\"g\":10}");
    pd_user_clear(&u);
    /* a failing request right after a committed one (its RELEASE pending)
     * undoes itself only */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"g\":14}", MOD), PD_OK);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_not_equal(put_user(s, USR2, "ann@example.test", "{}"), PD_OK);
    assert_int_equal(s->ops->update_profile(s, USR, "{\"poison\":2}", MOD), PD_ERR_STORE);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_true(s->ops->group_open(s));
    assert_int_equal(s->ops->group_end(s, true), PD_OK);
    assert_committed_doc(f->url, "{\"g\":14}");
}

int main(void)
{
    int rc;
    if (!pgt_url_or_skip("test_pg", &rc))
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_existing_needs_schema),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_concurrent_migrations),
        cmocka_unit_test_setup_teardown(test_migrate_7_to_8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_and_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraint_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_and_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_user_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_iterations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_default_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_member_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_org_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_lost_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_pg", tests, NULL, NULL);
}
