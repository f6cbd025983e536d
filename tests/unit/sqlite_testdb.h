/*
 * sqlite_testdb.h - the throwaway SQLite database file the unit tests of
 * more than one folder make (store/test_lane.c, model/test_profile_write.c,
 * the bulk-load tests of store/ and cli/; store/test_changes.c removes its
 * files with it):
 * a new directory under /tmp, a database in it migrated to the latest
 * schema, and its removal with the WAL, shared-memory, rollback-journal
 * and change-signal files beside it.
 *
 * Header only, with static functions: every test_*.c is built as one
 * translation unit (Makefile).  Include after cmocka.h and store/store.h.
 */
#ifndef PROFILED_TEST_SQLITE_TESTDB_H
#define PROFILED_TEST_SQLITE_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    char dir[64], path[128], url[160];
} sqt_db;

/* Makes t's directory and t->path (file name name.db) and returns a handle
 * to it, migrated; the caller closes it. */
static inline pd_store *sqt_make(sqt_db *t, const char *name)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/pd_unit_db_XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/%s.db", t->dir, name);
    snprintf(t->url, sizeof t->url, "sqlite:%s", t->path);
    char err[256] = "";
    pd_store *s = pd_store_open(t->url, err, sizeof err);
    assert_non_null(s);
    int from = -1, to = -1;
    assert_int_equal(s->ops->migrate(s, &from, &to), PD_OK);
    return s;
}

/* Another handle to t's database; the caller closes it. */
static inline pd_store *sqt_open(const sqt_db *t)
{
    char err[256] = "";
    pd_store *s = pd_store_open_existing(t->url, err, sizeof err);
    assert_non_null(s);
    return s;
}

/* Removes the database file path, the files beside it and the directory
 * dir (every handle closed first). */
static inline void sqt_remove_files(const char *path, const char *dir)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal", "-changes" };
    char f[200];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

/* The same for t. */
static inline void sqt_remove(sqt_db *t)
{
    sqt_remove_files(t->path, t->dir);
}

/* A cmocka fixture: one migrated database (file name t.db) and a handle to
 * it, made by sqt_setup and removed by sqt_teardown. */
typedef struct {
    sqt_db db;
    pd_store *s;
} sqt_fixture;

static inline int sqt_setup(void **state)
{
    sqt_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->s = sqt_make(&f->db, "t");
    *state = f;
    return 0;
}

static inline int sqt_teardown(void **state)
{
    sqt_fixture *f = *state;
    pd_store_close(f->s);
    sqt_remove(&f->db);
    free(f);
    return 0;
}

#endif
