/*
 * pg_testdb.h - the throwaway-database fixture the PostgreSQL unit tests
 * share (test_pg.c, test_pg_oauth.c, test_pg_bulk.c, test_pg_listen.c).
 *
 * PROFILED_TEST_PG_URL is the URL of a server's maintenance database
 * (scripts/pg-tmp.sh url DIR PORT); each test makes databases of its own
 * next to it.  Unset: the program prints that it was skipped and fails only
 * when PROFILED_REQUIRE_PG=1 (scripts/run-tests.sh sets it).
 *
 * Header only, with static functions: every test_*.c is built as one
 * translation unit (Makefile).  Include after cmocka.h and libpq-fe.h.
 */
#ifndef PROFILED_TEST_PG_TESTDB_H
#define PROFILED_TEST_PG_TESTDB_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *g_admin_url;
static int g_seq;

/* Reads PROFILED_TEST_PG_URL into g_admin_url: true when set.  When it is
 * not, prints the skip line for prog and sets *rc to the exit status. */
static inline bool pgt_url_or_skip(const char *prog, int *rc)
{
    g_admin_url = getenv("PROFILED_TEST_PG_URL");
    if (g_admin_url != NULL && g_admin_url[0] != '\0')
        return true;
    const char *req = getenv("PROFILED_REQUIRE_PG");
    printf("%s: skipped (PROFILED_TEST_PG_URL is not set; scripts/pg-tmp.sh starts a server)\n", prog);
    *rc = req != NULL && strcmp(req, "1") == 0 ? 1 : 0;
    return false;
}

/* Runs sql on the maintenance database (no parameters: test-made text only). */
static inline void admin_exec(const char *sql)
{
    PGconn *c = PQconnectdb(g_admin_url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* Creates a new empty database named PREFIX_pid_seq_time; its name into
 * name and its URL (the server's, with that database) into url. */
static inline void new_database(const char *prefix, char *name, size_t nlen, char *url, size_t ulen)
{
    snprintf(name, nlen, "%s_%ld_%d_%ld", prefix, (long)getpid(), ++g_seq, (long)time(NULL));
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    admin_exec(sql);
    const char *slash = strrchr(g_admin_url, '/');
    assert_non_null(slash);
    snprintf(url, ulen, "%.*s/%s", (int)(slash - g_admin_url), g_admin_url, name);
}

#endif
