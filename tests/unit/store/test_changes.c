/*
 * test_changes.c - the change signal (store/changes.c: the SQLite counter
 * file, the local source) and the versions memo (store/versions.c).
 *
 * The memo tests change the database behind the memo's back through a
 * second raw SQLite connection (which signals nothing), so they can tell a
 * memo answer from a database read; a fake store counts get_versions calls
 * and can bump the stamp from inside the read (a write racing it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "core/limits.h"
#include "core/metrics.h"
#include "store/changes.h"
#include "store/store.h"
#include "store/versions.h"
#include "../sqlite_testdb.h"

#define USR "aaaaaaaa-0000-4000-8000-000000000001"

typedef struct {
    char dir[64], path[128], url[160], chg[160];
} paths;

static void make_paths(paths *p)
{
    snprintf(p->dir, sizeof p->dir, "/tmp/pd_changes_test_XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    snprintf(p->path, sizeof p->path, "%s/t.db", p->dir);
    snprintf(p->url, sizeof p->url, "sqlite:%s", p->path);
    snprintf(p->chg, sizeof p->chg, "%s-changes", p->path);
}

static void rm_paths(paths *p)
{
    sqt_remove_files(p->path, p->dir);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Writes the counter of the file at path as another process would. */
static void poke_counter(const char *path, uint64_t v)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_RDWR);
        _exit(fd >= 0 && pwrite(fd, &v, sizeof v, 8) == (ssize_t)sizeof v ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- the counter file --------------------------------------------------- */

static void test_file_created_0600_and_shared(void **state)
{
    (void)state;
    paths p;
    make_paths(&p);
    pd_changes_file *f = pd_changes_file_get(p.path);
    assert_non_null(f);
    struct stat st;
    assert_int_equal(stat(p.chg, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 64);
    assert_int_equal(pd_changes_file_value(f), 1);
    /* the same path in one process: one object, one counter */
    pd_changes_file *g = pd_changes_file_get(p.path);
    assert_ptr_equal(f, g);
    pd_changes_file_bump(g);
    assert_int_equal(pd_changes_file_value(f), 2);
    pd_changes_file_put(g);
    pd_changes_file_put(f);
    /* reopened: the counter persisted in the file */
    f = pd_changes_file_get(p.path);
    assert_int_equal(pd_changes_file_value(f), 2);
    pd_changes_file_put(f);
    rm_paths(&p);
}

static void test_stamp_follows_other_process(void **state)
{
    (void)state;
    paths p;
    make_paths(&p);
    assert_int_equal(pd_changes_stamp(), 0);            /* no source: unknown */
    assert_true(pd_changes_start(p.url));
    uint64_t s1 = pd_changes_stamp();
    assert_int_not_equal(s1, 0);
    assert_int_equal(pd_changes_stamp(), s1);           /* nothing written: stable */
    poke_counter(p.chg, 41);                            /* another process wrote */
    uint64_t s2 = pd_changes_stamp();
    assert_int_not_equal(s2, 0);
    assert_int_not_equal(s2, s1);
    /* this process's own write through a handle of the same file */
    pd_changes_file *f = pd_changes_file_get(p.path);
    pd_changes_file_bump(f);
    assert_int_equal(pd_changes_file_value(f), 42);
    assert_int_not_equal(pd_changes_stamp(), s2);
    pd_changes_file_put(f);
    pd_changes_stop();
    assert_int_equal(pd_changes_stamp(), 0);
    rm_paths(&p);
}

static void test_deleted_file_is_reattached(void **state)
{
    (void)state;
    paths p;
    make_paths(&p);
    assert_true(pd_changes_start(p.url));
    poke_counter(p.chg, 7);
    uint64_t s1 = pd_changes_stamp();
    assert_int_not_equal(s1, 0);
    assert_int_equal(unlink(p.chg), 0);
    sleep_ms(LIM_CHANGES_CHECK_MS + 100);
    /* the next check notices, and attaches a new file at the path */
    uint64_t s2 = pd_changes_stamp();
    struct stat st;
    assert_int_equal(stat(p.chg, &st), 0);
    /* a new file starts at 1 again: the stamp must still be new */
    assert_int_not_equal(s2, s1);
    assert_int_not_equal(s2, 0);
    poke_counter(p.chg, 7);                             /* the old value, in the new file */
    assert_int_not_equal(pd_changes_stamp(), s1);
    pd_changes_stop();
    rm_paths(&p);
}

static void test_truncated_file_never_crashes(void **state)
{
    (void)state;
    paths p;
    make_paths(&p);
    assert_true(pd_changes_start(p.url));
    assert_int_not_equal(pd_changes_stamp(), 0);
    assert_int_equal(truncate(p.chg, 0), 0);
    /* before the periodic check: the mapped page is past the end (SIGBUS),
     * caught: unknown */
    assert_int_equal(pd_changes_stamp(), 0);
    assert_int_equal(pd_changes_stamp(), 0);
    /* a writer's bump after the truncation does not crash either */
    pd_changes_file *f = pd_changes_file_get(p.path);
    pd_changes_file_bump(f);
    pd_changes_file_put(f);
    /* deleted by the operator: a fresh file is attached at the next check */
    unlink(p.chg);
    sleep_ms(LIM_CHANGES_CHECK_MS + 100);
    assert_int_not_equal(pd_changes_stamp(), 0);
    pd_changes_stop();
    rm_paths(&p);
}

static void test_foreign_or_wrong_size_file_is_unknown(void **state)
{
    (void)state;
    paths p;
    make_paths(&p);
    int fd = open(p.chg, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    char junk[64];
    memset(junk, 'x', sizeof junk);
    assert_int_equal(write(fd, junk, sizeof junk), 64);
    close(fd);
    pd_changes_start(p.url);
    assert_int_equal(pd_changes_stamp(), 0);            /* not ours: trust nothing */
    pd_changes_stop();
    assert_int_equal(truncate(p.chg, 10), 0);
    pd_changes_start(p.url);
    assert_int_equal(pd_changes_stamp(), 0);            /* wrong size */
    pd_changes_stop();
    /* an unwritable directory: no file can be made */
    rm_paths(&p);
    assert_false(pd_changes_start("sqlite:/proc/nonexistent-dir/t.db"));
    assert_int_equal(pd_changes_stamp(), 0);
    pd_changes_stop();
}

static void test_local_and_listen_sources(void **state)
{
    (void)state;
    assert_true(pd_changes_start("sqlite::memory:"));
    uint64_t s = pd_changes_stamp();
    assert_int_not_equal(s, 0);
    pd_changes_bump();
    assert_int_not_equal(pd_changes_stamp(), s);
    pd_changes_stop();
    assert_int_equal(pd_changes_stamp(), 0);
}

/* ---- the memo over a real SQLite store ----------------------------------- */

typedef struct {
    paths p;
    pd_store *s;
    sqlite3 *raw;               /* a second connection that signals nothing */
} memo_fx;

static int memo_setup(void **state)
{
    memo_fx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    make_paths(&x->p);
    char err[256] = "";
    x->s = pd_store_open(x->p.url, err, sizeof err);
    assert_non_null(x->s);
    assert_int_equal(x->s->ops->migrate(x->s, NULL, NULL), PD_OK);
    pd_user u = { .id = (char *)USR, .email = (char *)"u@x.test", .status = (char *)"Active",
                  .created = (char *)"2024-01-01T00:00:00.0000000Z",
                  .modified = (char *)"2024-01-01T00:00:00.0000000Z",
                  .profile_json = (char *)"{}" };
    assert_int_equal(x->s->ops->upsert_user(x->s, &u), PD_OK);
    assert_int_equal(sqlite3_open(x->p.path, &x->raw), SQLITE_OK);
    assert_true(pd_changes_start(x->p.url));
    pd_store_versions_forget();
    *state = x;
    return 0;
}

static int memo_teardown(void **state)
{
    memo_fx *x = *state;
    pd_changes_stop();
    pd_store_versions_forget();
    sqlite3_close(x->raw);
    pd_store_close(x->s);
    rm_paths(&x->p);
    free(x);
    return 0;
}

static int64_t version_of(memo_fx *x)
{
    int64_t va = -2, vb = -2, gen = -2;
    assert_int_equal(pd_store_versions(x->s, USR, USR, &va, &vb, &gen), PD_OK);
    assert_int_equal(va, vb);
    return va;
}

static void raw_bump_version(memo_fx *x)
{
    assert_int_equal(sqlite3_exec(x->raw, "UPDATE users SET version = version + 1", NULL, NULL, NULL),
                     SQLITE_OK);
}

static void test_memo_answers_like_the_op(void **state)
{
    memo_fx *x = *state;
    int64_t a1, b1, g1, a2, b2, g2;
    assert_int_equal(x->s->ops->get_versions(x->s, USR, "nobody", &a1, &b1, &g1), PD_OK);
    assert_int_equal(pd_store_versions(x->s, USR, "nobody", &a2, &b2, &g2), PD_OK);
    assert_int_equal(a1, a2);
    assert_int_equal(b1, b2);
    assert_int_equal(b2, -1);
    assert_int_equal(g1, g2);
    uint64_t hits = met_sum(MET_VERSIONS_MEMO_HIT);
    assert_int_equal(pd_store_versions(x->s, USR, "nobody", &a2, &b2, &g2), PD_OK);
    assert_int_equal(met_sum(MET_VERSIONS_MEMO_HIT), hits + 1);
    assert_int_equal(a1, a2);
    assert_int_equal(b2, -1);
}

static void test_memo_until_the_signal_moves(void **state)
{
    memo_fx *x = *state;
    int64_t v0 = version_of(x);
    raw_bump_version(x);                    /* a write that signals nothing */
    assert_int_equal(version_of(x), v0);    /* the memo answers: no database read */
    pd_changes_file *f = pd_changes_file_get(x->p.path);
    pd_changes_file_bump(f);                /* ... until the signal moves */
    pd_changes_file_put(f);
    assert_int_equal(version_of(x), v0 + 1);
    /* a write through the store signals by itself (commit hook) */
    assert_int_equal(x->s->ops->update_profile(x->s, USR, "{\"title\":\"t\"}", "2024-02-02T00:00:00.0000000Z"),
                     PD_OK);
    assert_int_equal(version_of(x), v0 + 2);
    /* a write by another process on the host: the counter file moves */
    raw_bump_version(x);
    poke_counter(x->p.chg, pd_changes_file_value(f = pd_changes_file_get(x->p.path)) + 1);
    pd_changes_file_put(f);
    assert_int_equal(version_of(x), v0 + 3);
}

static void test_memo_off_without_signal_and_after_max_age(void **state)
{
    memo_fx *x = *state;
    int64_t v0 = version_of(x);
    pd_changes_stop();                      /* stamp 0: every call reads */
    raw_bump_version(x);
    assert_int_equal(version_of(x), v0 + 1);
    raw_bump_version(x);
    assert_int_equal(version_of(x), v0 + 2);
    assert_true(pd_changes_start(x->p.url));
    assert_int_equal(version_of(x), v0 + 2);
    raw_bump_version(x);
    assert_int_equal(version_of(x), v0 + 2);        /* memo */
    sleep_ms(LIM_VERSIONS_MEMO_MAX_AGE_MS + 100);
    assert_int_equal(version_of(x), v0 + 3);        /* too old: read again */
}

static void test_rate_sync_does_not_signal(void **state)
{
    memo_fx *x = *state;
    pd_changes_file *f = pd_changes_file_get(x->p.path);
    uint64_t before = pd_changes_file_value(f);
    pd_rate_row r = { .key = "account:x", .span = 30, .window = 0, .delta = 1 };
    assert_int_equal(x->s->ops->rate_sync(x->s, &r, 1, 0), PD_OK);
    assert_int_equal(pd_changes_file_value(f), before);
    /* a rolled-back write does not signal; a committed one does once */
    assert_int_equal(x->s->ops->begin(x->s), PD_OK);
    assert_int_equal(x->s->ops->update_profile(x->s, USR, "{}", "2024-02-02T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(pd_changes_file_value(f), before);  /* not before COMMIT */
    assert_int_equal(x->s->ops->rollback(x->s), PD_OK);
    assert_int_equal(pd_changes_file_value(f), before);
    assert_int_equal(x->s->ops->begin(x->s), PD_OK);
    assert_int_equal(x->s->ops->update_profile(x->s, USR, "{}", "2024-02-02T00:00:00.0000000Z"), PD_OK);
    assert_int_equal(x->s->ops->commit(x->s), PD_OK);
    assert_int_equal(pd_changes_file_value(f), before + 1);
    pd_changes_file_put(f);
}

/* ---- a write racing the read --------------------------------------------- */

static int g_reads;
static bool g_race;

static pd_err fake_versions(pd_store *s, const char *a, const char *b, int64_t *va, int64_t *vb,
                            int64_t *gen)
{
    (void)s;
    (void)a;
    (void)b;
    g_reads++;
    if (g_race)
        pd_changes_bump();          /* a write commits while this read runs */
    *va = *vb = g_reads;
    *gen = 1;
    return PD_OK;
}

/* A memo test's start: an empty memo, the process-local change counter,
 * no reads counted yet; memo_end undoes it. */
static void memo_begin(void)
{
    pd_store_versions_forget();
    assert_true(pd_changes_start("sqlite::memory:"));
    g_reads = 0;
}

static void memo_end(void)
{
    pd_changes_stop();
    pd_store_versions_forget();
}

static void test_memo_stamped_before_the_read(void **state)
{
    (void)state;
    static pd_store_ops ops = { .name = "fake", .get_versions = fake_versions };
    pd_store fake = { .ops = &ops };
    int64_t va, vb, gen;

    memo_begin();
    g_race = true;
    assert_int_equal(pd_store_versions(&fake, "a", "b", &va, &vb, &gen), PD_OK);
    g_race = false;
    /* the entry carries the stamp read before the racing write: re-read */
    assert_int_equal(pd_store_versions(&fake, "a", "b", &va, &vb, &gen), PD_OK);
    assert_int_equal(g_reads, 2);
    assert_int_equal(va, 2);
    assert_int_equal(pd_store_versions(&fake, "a", "b", &va, &vb, &gen), PD_OK);
    assert_int_equal(g_reads, 2);                   /* now it holds */
    /* another pair of users is another entry; the same pair on another handle too */
    assert_int_equal(pd_store_versions(&fake, "b", "a", &va, &vb, &gen), PD_OK);
    assert_int_equal(g_reads, 3);
    pd_store fake2 = { .ops = &ops };
    assert_int_equal(pd_store_versions(&fake2, "a", "b", &va, &vb, &gen), PD_OK);
    assert_int_equal(g_reads, 4);
    memo_end();
}

/* ---- a known caller: only the target's row is read ------------------------ */

static char g_arg_a[64], g_arg_b[64];
static int64_t g_gen = 1;

static pd_err fake_versions_args(pd_store *s, const char *a, const char *b, int64_t *va, int64_t *vb,
                                 int64_t *gen)
{
    (void)s;
    g_reads++;
    snprintf(g_arg_a, sizeof g_arg_a, "%s", a);
    snprintf(g_arg_b, sizeof g_arg_b, "%s", b);
    *va = strcmp(a, "admin") == 0 ? 100 : strcmp(a, "gone") == 0 ? -1 : 200 + g_reads;
    *vb = strcmp(b, "admin") == 0 ? 100 : 300 + g_reads;
    *gen = g_gen;
    return PD_OK;
}

static void test_memo_known_caller_reads_the_target_only(void **state)
{
    (void)state;
    static pd_store_ops ops = { .name = "fake", .get_versions = fake_versions_args };
    pd_store fake = { .ops = &ops };
    int64_t va, vb, gen;

    memo_begin();
    g_gen = 1;
    assert_int_equal(pd_store_versions(&fake, "admin", "u1", &va, &vb, &gen), PD_OK);
    assert_string_equal(g_arg_a, "admin");              /* the first pair: both rows */
    assert_int_equal(va, 100);
    /* a new target of the same caller: the op is asked for the target alone */
    assert_int_equal(pd_store_versions(&fake, "admin", "u2", &va, &vb, &gen), PD_OK);
    assert_int_equal(g_reads, 2);
    assert_string_equal(g_arg_a, "u2");
    assert_string_equal(g_arg_b, "u2");
    assert_int_equal(va, 100);                          /* the caller's from the memo */
    assert_int_equal(vb, 302);
    assert_int_equal(gen, 1);
    /* a write moves the stamp: the caller's tag is read again with the pair */
    pd_changes_bump();
    assert_int_equal(pd_store_versions(&fake, "admin", "u3", &va, &vb, &gen), PD_OK);
    assert_string_equal(g_arg_a, "admin");
    assert_string_equal(g_arg_b, "u3");
    /* a generation that differs from the caller entry's (an import the stamp
     * did not show): read the pair again */
    g_gen = 2;
    assert_int_equal(pd_store_versions(&fake, "admin", "u4", &va, &vb, &gen), PD_OK);
    assert_int_equal(g_reads, 5);
    assert_string_equal(g_arg_a, "admin");
    assert_string_equal(g_arg_b, "u4");
    assert_int_equal(gen, 2);
    /* an inactive caller (-1) is remembered as such, never as a version */
    assert_int_equal(pd_store_versions(&fake, "gone", "u5", &va, &vb, &gen), PD_OK);
    assert_int_equal(va, -1);
    assert_int_equal(pd_store_versions(&fake, "gone", "u6", &va, &vb, &gen), PD_OK);
    assert_string_equal(g_arg_a, "u6");
    assert_int_equal(va, -1);
    /* another handle does not share the caller's entry */
    pd_store fake2 = { .ops = &ops };
    assert_int_equal(pd_store_versions(&fake2, "admin", "u7", &va, &vb, &gen), PD_OK);
    assert_string_equal(g_arg_a, "admin");
    /* ... and the entry is not used once older than the memo's age */
    sleep_ms(LIM_VERSIONS_MEMO_MAX_AGE_MS + 100);
    assert_int_equal(pd_store_versions(&fake2, "admin", "u8", &va, &vb, &gen), PD_OK);
    assert_string_equal(g_arg_a, "admin");
    memo_end();
}

/* A working set smaller than the memo stays whole: an admin reading 1,000
 * users (the benchmark's random-any at 1k users) reads the database on the
 * first pass only.  The direct-mapped memo this replaced (1,024 slots)
 * re-read about a third of the pairs on every pass. */
static void test_memo_holds_a_working_set(void **state)
{
    (void)state;
    static pd_store_ops ops = { .name = "fake", .get_versions = fake_versions_args };
    pd_store fake = { .ops = &ops };
    int64_t va, vb, gen;
    char user[48];

    memo_begin();
    g_gen = 1;
    for (int pass = 0; pass < 3; pass++) {
        int before = g_reads;
        for (int i = 0; i < 1000; i++) {
            snprintf(user, sizeof user, "00000000-0000-4000-8000-%012d", i);
            assert_int_equal(pd_store_versions(&fake, "admin", user, &va, &vb, &gen), PD_OK);
            assert_int_equal(va, 100);
        }
        /* the first pass reads every pair; later ones only those that
         * fall into a set already full (1,000 pairs in 1,024 sets of 4:
         * a few sets of 5 or more, each re-read whole as its oldest
         * goes; which sets depends on the hash's random per-process seed,
         * about 17 re-reads a pass on average; the old direct-mapped memo:
         * about 300) */
        if (pass == 0)
            assert_int_equal(g_reads - before, 1000);
        else
            assert_in_range(g_reads - before, 0, 100);
    }
    memo_end();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_created_0600_and_shared),
        cmocka_unit_test(test_stamp_follows_other_process),
        cmocka_unit_test(test_deleted_file_is_reattached),
        cmocka_unit_test(test_truncated_file_never_crashes),
        cmocka_unit_test(test_foreign_or_wrong_size_file_is_unknown),
        cmocka_unit_test(test_local_and_listen_sources),
        cmocka_unit_test(test_memo_holds_a_working_set),
        cmocka_unit_test_setup_teardown(test_memo_answers_like_the_op, memo_setup, memo_teardown),
        cmocka_unit_test_setup_teardown(test_memo_until_the_signal_moves, memo_setup, memo_teardown),
        cmocka_unit_test_setup_teardown(test_memo_off_without_signal_and_after_max_age, memo_setup,
                                        memo_teardown),
        cmocka_unit_test_setup_teardown(test_rate_sync_does_not_signal, memo_setup, memo_teardown),
        cmocka_unit_test(test_memo_stamped_before_the_read),
        cmocka_unit_test(test_memo_known_caller_reads_the_target_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
