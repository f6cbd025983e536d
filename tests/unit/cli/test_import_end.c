/*
 * test_import_end.c - unit tests of how an import ends (cli/import.c):
 * when the last step before COMMIT (the tenant generation's bump) fails,
 * the load is rolled back and ended - no transaction left open on the
 * connection, the foreign keys on again (a bulk load turns them off), and
 * nothing of the file written - so the same connection serves the next
 * load (the control API's tenant load runs on a server's connection).
 *
 * Memory: the fixture owns the store (sqlite_testdb.h makes and removes its
 * files).
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

#include "cli/import.h"
#include "store/store.h"
#include "../sqlite_testdb.h"

#define USR "aaaaaaaa-0000-4000-8000-000000000001"

static const char DOC[] =
    "{\"format\":\"profiled-import\",\"version\":1,\"users\":[{\"userId\":\"" USR "\","
    "\"email\":\"a@example.test\",\"userName\":\"A\",\"firstName\":\"A\",\"lastName\":\"B\"}]}";

typedef sqt_fixture fixture;

static pd_err import_text(pd_store *s, const char *text, char *err, size_t errlen)
{
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(in);
    import_stats st;
    pd_err e = import_stream(s, in, &st, err, errlen, NULL, NULL);
    fclose(in);
    return e;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_failed_bump_ends_the_load(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char err[512] = "";
    int64_t n = -1;

    raw_exec(f->db.path, "CREATE TRIGGER test_no_bump BEFORE UPDATE ON meta"
                      " BEGIN SELECT RAISE(ABORT, 'test: no bump'); END;");
    assert_int_not_equal(import_text(s, DOC, err, sizeof err), PD_OK);
    if (strstr(err, "commit failed") == NULL)
        fail_msg("import error: %s", err);
    assert_non_null(strstr(err, "test: no bump"));
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 0);

    /* the load ended: keys on (a membership without parents is refused by
     * SQLite's own check), no transaction open (a new load begins) */
    pd_membership m = { .account_id = (char *)"1a2b3c4d-0000-4000-8000-00000000000a",
                        .user_id = (char *)USR };
    assert_int_equal(s->ops->upsert_membership(s, &m), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "FOREIGN KEY constraint failed"));
    raw_exec(f->db.path, "DROP TRIGGER test_no_bump");
    assert_int_equal(import_text(s, DOC, err, sizeof err), PD_OK);
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, sqt_setup, sqt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_failed_bump_ends_the_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
