/*
 * test_pg_bulk.c - unit tests of the PostgreSQL bulk import ops
 * (store/pg_bulk.c): queued users and memberships are written in batches
 * with the ordinary upserts' results (groups replaced, dates kept, password
 * hash kept, lower-casing), other ops see everything queued before them, a
 * failing batch is replayed so the failure names the record of the first
 * failing row, a rollback keeps nothing, and bulk mode is off outside a
 * write transaction.
 *
 * Same convention as test_pg.c: PROFILED_TEST_PG_URL is the URL of a
 * server's maintenance database; unset, skipped (a failure only with
 * PROFILED_REQUIRE_PG=1).
 *
 * Memory: out-structs are cleared by the test that filled them; the
 * fixture owns the store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "pg_testdb.h"
#include "store/store.h"

#define ACC "1a2b3c4d-0000-4000-8000-00000000000a"
#define MOD "2024-01-01T00:00:00.0000000Z"
#define N 2500


typedef struct {
    char url[512];
    pd_store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char name[64], err[256];
    assert_non_null(f);
    new_database("ub", name, sizeof name, f->url, sizeof f->url);
    f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(f->s);
    assert_int_equal(f->s->ops->migrate(f->s, NULL, NULL), PD_OK);
    pd_account a = { (char *)ACC, 1001, (char *)"Acc", NULL };
    assert_int_equal(f->s->ops->upsert_account(f->s, &a), PD_OK);
    pd_group g = { (char *)"g1", (char *)"G1", (char *)"CustomGroup" };
    assert_int_equal(f->s->ops->upsert_group(f->s, ACC, &g), PD_OK);
    g.id = (char *)"g2";
    assert_int_equal(f->s->ops->upsert_group(f->s, ACC, &g), PD_OK);
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

static void user_id(char *buf, size_t len, int i)
{
    snprintf(buf, len, "AAAAAAAA-0000-4000-8000-%012d", i);
}

static pd_err put(pd_store *s, int i, const char *email, const char *hash)
{
    char id[40], mail[64], doc[64];
    user_id(id, sizeof id, i);
    snprintf(mail, sizeof mail, "%s", email);
    snprintf(doc, sizeof doc, "{\"n\":%d}", i);
    pd_user u = { .id = id, .email = mail, .status = (char *)"Active", .created = (char *)MOD,
                  .modified = (char *)MOD, .password_hash = (char *)hash, .profile_json = doc };
    return s->ops->upsert_user(s, &u);
}

static pd_err member(pd_store *s, int i, const char *group, const char *added)
{
    char id[40];
    char *gids[] = { (char *)group };
    user_id(id, sizeof id, i);
    pd_membership m = { .account_id = (char *)ACC, .user_id = id, .is_admin = i % 2 == 0,
                        .group_ids = gids, .n_group_ids = group != NULL ? 1 : 0,
                        .added = (char *)added };
    return s->ops->upsert_membership(s, &m);
}

static void mark(pd_store *s, const char *what, int i)
{
    char rec[48];
    snprintf(rec, sizeof rec, "%s[%d]", what, i);
    s->ops->bulk_mark(s, rec);
}

/* N users and memberships through the queue, twice (the second time as
 * updates): the data is what the ordinary upserts write. */
static void test_batches_write_what_upserts_write(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char mail[64];
    assert_non_null(s->ops->bulk_start);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(s->ops->begin(s), PD_OK);
        s->ops->bulk_start(s);
        for (int i = 0; i < N; i++) {
            mark(s, "users", i);
            snprintf(mail, sizeof mail, "U%d@Example.TEST", i);
            assert_int_equal(put(s, i, mail, round == 0 ? "$argon2id$first" : NULL), PD_OK);
        }
        /* another op sees what is queued */
        int64_t n = 0;
        assert_int_equal(s->ops->count_users(s, &n), PD_OK);
        assert_int_equal(n, N);
        for (int i = 0; i < N; i++) {
            mark(s, "memberships", i);
            assert_int_equal(member(s, i, round == 0 ? "g1" : "g2",
                                    round == 0 && i % 3 == 0 ? "2020-01-01T00:00:00.0000000Z" : NULL),
                             PD_OK);
        }
        assert_int_equal(s->ops->bulk_flush(s), PD_OK);
        assert_int_equal(s->ops->commit(s), PD_OK);
    }
    char id[40];
    pd_user u;
    pd_membership m;
    for (int i = 0; i < N; i += 499) {
        user_id(id, sizeof id, i);
        assert_int_equal(s->ops->get_user(s, id, &u), PD_OK);
        snprintf(mail, sizeof mail, "u%d@example.test", i);
        assert_string_equal(u.email, mail);                        /* lower-cased */
        assert_string_equal(u.password_hash, "$argon2id$first");  /* kept when none given */
        assert_true(u.version >= 3);                               /* written twice, bumped */
        pd_user_clear(&u);
        assert_int_equal(s->ops->get_membership(s, ACC, id, &m), PD_OK);
        assert_int_equal(m.is_admin, i % 2 == 0);
        assert_int_equal(m.n_groups, 1);
        assert_string_equal(m.groups[0].id, "g2");                 /* the set is replaced */
        assert_non_null(m.added);
        if (i % 3 == 0)
            assert_string_equal(m.added, "2020-01-01T00:00:00.0000000Z");  /* kept */
        pd_membership_clear(&m);
    }
    int64_t n = 0;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, N);
}

/* A row failing deep in a batch: the op that writes the batch fails with
 * the ordinary op's message, bulk_failed names that row's record, and the
 * rollback keeps nothing. */
static void test_failure_names_the_record(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char mail[64];
    assert_int_equal(s->ops->begin(s), PD_OK);
    s->ops->bulk_start(s);
    pd_err e = PD_OK;
    for (int i = 0; i < 1500 && e == PD_OK; i++) {
        mark(s, "users", i);
        snprintf(mail, sizeof mail, "%d@x.test", i == 1234 ? 7 : i);     /* 1234 takes 7's email */
        e = put(s, i, mail, NULL);
    }
    if (e == PD_OK)
        e = s->ops->bulk_flush(s);
    assert_int_equal(e, PD_ERR_STORE);
    assert_string_equal(s->ops->bulk_failed(s), "users[1234]");
    assert_non_null(strstr(pd_store_last_error(s), "upsert_user: UNIQUE constraint failed: users.email"));
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_string_equal(s->ops->bulk_failed(s), "");               /* bulk mode ended */
    int64_t n = -1;
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);

    /* a membership of an unknown group */
    assert_int_equal(s->ops->begin(s), PD_OK);
    s->ops->bulk_start(s);
    for (int i = 0; i < 10; i++) {
        snprintf(mail, sizeof mail, "%d@x.test", i);
        assert_int_equal(put(s, i, mail, NULL), PD_OK);
    }
    for (int i = 0; i < 10; i++) {
        mark(s, "memberships", i);
        assert_int_equal(member(s, i, i == 6 ? "nope" : "g1", NULL), PD_OK);
    }
    assert_int_equal(s->ops->bulk_flush(s), PD_ERR_STORE);
    assert_string_equal(s->ops->bulk_failed(s), "memberships[6]");
    assert_non_null(strstr(pd_store_last_error(s), "FOREIGN KEY constraint failed"));
    assert_int_equal(s->ops->rollback(s), PD_OK);
}

/* Outside a write transaction bulk mode stays off: every op is immediate. */
static void test_off_outside_a_transaction(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    s->ops->bulk_start(s);
    assert_int_equal(put(s, 1, "solo@x.test", NULL), PD_OK);
    assert_string_equal(s->ops->bulk_failed(s), "");
    char id[40];
    pd_user u;
    user_id(id, sizeof id, 1);
    /* another handle sees it at once: it was not queued */
    char err[256];
    pd_store *other = pd_store_open_existing(f->url, err, sizeof err);
    assert_non_null(other);
    assert_int_equal(other->ops->get_user(other, id, &u), PD_OK);
    pd_user_clear(&u);
    pd_store_close(other);
    assert_int_equal(s->ops->bulk_flush(s), PD_OK);
}

int main(void)
{
    int rc;
    if (!pgt_url_or_skip("test_pg_bulk", &rc))
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batches_write_what_upserts_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_names_the_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_outside_a_transaction, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_pg_bulk", tests, NULL, NULL);
}
