/*
 * test_pg_listen.c - the PostgreSQL change signal (store/pg_listen.c)
 * against a real server: PROFILED_TEST_PG_URL as for test_pg.c (skipped
 * when unset, failing only when PROFILED_REQUIRE_PG=1).
 *
 * Measures the notification latency (a NOTIFY committed by another
 * connection until this process's stamp moves) and prints it; checks that
 * a killed LISTEN connection (pg_terminate_backend, found by its
 * application_name) turns the stamp to 0 and that it comes back moved; and
 * that a write through a PostgreSQL store moves this process's stamp at
 * once (pg_committed).
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
#include "store/changes.h"
#include "store/store.h"
#include "store/versions.h"

#define USR "aaaaaaaa-0000-4000-8000-000000000001"

static const char *g_url;
static char g_db_url[512];

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Waits up to ms for the stamp to differ from `from` (and, when nonzero,
 * to be nonzero); returns the microseconds it took, or -1. */
static int64_t wait_stamp(uint64_t from, bool nonzero, int ms)
{
    int64_t t0 = now_us();
    while (now_us() - t0 < (int64_t)ms * 1000) {
        uint64_t s = pd_changes_stamp();
        if (s != from && (!nonzero || s != 0))
            return now_us() - t0;
    }
    return -1;
}

static PGresult *run(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    return r;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_notification_latency(void **state)
{
    (void)state;
    enum { N = 200 };
    int64_t lat[N];

    assert_true(pd_changes_start(g_db_url));
    assert_true(wait_stamp(0, true, 5000) >= 0);        /* LISTEN is up */
    PGconn *c = PQconnectdb(g_db_url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    for (int i = 0; i < N; i++) {
        uint64_t s = pd_changes_stamp();
        PQclear(run(c, "SELECT pg_notify('profiled_changes', '')"));   /* autocommit */
        lat[i] = wait_stamp(s, true, 2000);
        assert_true(lat[i] >= 0);
    }
    qsort(lat, N, sizeof lat[0], cmp_i64);
    printf("notification latency (commit acknowledged to stamp moved, %d samples): "
           "min %.3f ms, median %.3f ms, p99 %.3f ms, max %.3f ms\n", N, lat[0] / 1000.0,
           lat[N / 2] / 1000.0, lat[N * 99 / 100] / 1000.0, lat[N - 1] / 1000.0);
    /* a notification in a transaction rolled back is never delivered */
    uint64_t s = pd_changes_stamp();
    PQclear(run(c, "BEGIN"));
    PQclear(run(c, "SELECT pg_notify('profiled_changes', '')"));
    PQclear(run(c, "ROLLBACK"));
    assert_int_equal(wait_stamp(s, false, 300), -1);
    PQfinish(c);
    pd_changes_stop();
    assert_int_equal(pd_changes_stamp(), 0);
}

static void test_killed_listen_connection(void **state)
{
    (void)state;
    assert_true(pd_changes_start(g_db_url));
    assert_true(wait_stamp(0, true, 5000) >= 0);
    uint64_t before = pd_changes_stamp();
    PGconn *c = PQconnectdb(g_db_url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    static const char *const pid_sql = "SELECT pid FROM pg_stat_activity WHERE application_name ="
                                       " 'profiled-listen' AND datname = current_database()";
    PGresult *r = run(c, pid_sql);
    assert_int_equal(PQntuples(r), 1);
    long old_pid = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = run(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
               " WHERE application_name = 'profiled-listen' AND datname = current_database()");
    assert_int_equal(PQntuples(r), 1);
    PQclear(r);
    /* pg_terminate_backend only signals the backend: the stamp may read 0
     * for other reasons first (a ping's answer not read yet), so wait for
     * what the loss must end in: a new LISTEN connection and a stamp no
     * entry was made with */
    int64_t t0 = now_us(), down_us = -1;
    uint64_t after = 0;
    while (now_us() - t0 < 5000000) {
        uint64_t st = pd_changes_stamp();
        if (st == 0 && down_us < 0)
            down_us = now_us() - t0;
        if (st != 0 && st > before) {
            after = st;
            break;
        }
    }
    int64_t back_us = now_us() - t0;
    assert_true(down_us >= 0);
    assert_true(after > before);
    r = run(c, pid_sql);
    assert_int_equal(PQntuples(r), 1);
    assert_true(strtol(PQgetvalue(r, 0, 0), NULL, 10) != old_pid);
    PQclear(r);
    printf("LISTEN connection killed: stamp 0 after %.3f ms, LISTEN back after %.1f ms\n",
           down_us / 1000.0, back_us / 1000.0);
    /* and notifications flow again */
    PQclear(run(c, "SELECT pg_notify('profiled_changes', '')"));
    assert_true(wait_stamp(after, true, 2000) >= 0);
    PQfinish(c);
    pd_changes_stop();
}

static void test_own_write_moves_stamp_at_once(void **state)
{
    (void)state;
    char err[256] = "";
    pd_store *s = pd_store_open(g_db_url, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, NULL, NULL), PD_OK);
    pd_user u = { .id = (char *)USR, .email = (char *)"u@x.test", .status = (char *)"Active",
                  .created = (char *)"2024-01-01T00:00:00.0000000Z",
                  .modified = (char *)"2024-01-01T00:00:00.0000000Z", .profile_json = (char *)"{}" };
    assert_int_equal(s->ops->upsert_user(s, &u), PD_OK);
    assert_true(pd_changes_start(g_db_url));
    assert_true(wait_stamp(0, true, 5000) >= 0);
    pd_store_versions_forget();
    int64_t va, vb, gen;
    assert_int_equal(pd_store_versions(s, USR, USR, &va, &vb, &gen), PD_OK);
    uint64_t st = pd_changes_stamp();
    assert_int_equal(s->ops->update_profile(s, USR, "{\"title\":\"t\"}", "2024-02-02T00:00:00.0000000Z"), PD_OK);
    /* no wait for the notification: this process's commit moved it */
    assert_int_not_equal(pd_changes_stamp(), st);
    int64_t va2;
    assert_int_equal(pd_store_versions(s, USR, USR, &va2, &vb, &gen), PD_OK);
    assert_int_equal(va2, va + 1);
    pd_changes_stop();
    pd_store_versions_forget();
    pd_store_close(s);
}

int main(void)
{
    int rc;
    if (!pgt_url_or_skip("test_pg_listen", &rc))
        return rc;
    g_url = g_admin_url;
    /* a database of its own */
    char name[64], sql[128];
    snprintf(name, sizeof name, "ut_listen_%ld_%ld", (long)getpid(), (long)time(NULL));
    PGconn *c = PQconnectdb(g_url);
    if (PQstatus(c) != CONNECTION_OK) {
        printf("test_pg_listen: cannot connect: %s", PQerrorMessage(c));
        return 1;
    }
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    if (!ok)
        return 1;
    const char *slash = strrchr(g_url, '/');
    snprintf(g_db_url, sizeof g_db_url, "%.*s/%s", (int)(slash - g_url), g_url, name);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notification_latency),
        cmocka_unit_test(test_killed_listen_connection),
        cmocka_unit_test(test_own_write_moves_stamp_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
