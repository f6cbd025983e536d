/*
 * test_ratelimit.c - unit tests for src/auth/ratelimit.c and the store's
 * rate_sync: exact counts and remaining values, refusals that are not
 * counted, hourly and burst resets at their window boundaries, anonymous
 * limits, keys (accounts never collide with addresses; IPv6 per /64,
 * IPv4-mapped as IPv4), a full table failing closed, and two tables ("two
 * nodes") sharing counts through one SQLite file.
 *
 * Time is passed in (now), so windows are exact.  Memory: each test frees
 * its tables and stores; the database file lives in a mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth/ratelimit.h"
#include "core/limits.h"
#include "store/store.h"

#define HOUR0 1796418000       /* a full hour (multiple of 3600) */

static const rl_limits LIM = { .hourly = 10, .burst = 4, .anon_hourly = 3, .anon_burst = 2,
                               .burst_s = 30, .sync_ms = 1000 };

static rl_verdict take(rl_table *t, const char *key, bool anon, int64_t now)
{
    rl_verdict v;
    rl_take(t, key, anon, now, &v);
    return v;
}

static void counts_exactly_and_refusals_are_not_counted(void **state)
{
    (void)state;
    rl_table *t = rl_new(&LIM);
    assert_non_null(t);
    for (int i = 1; i <= 4; i++) {
        rl_verdict v = take(t, "account:a", false, HOUR0 + 5);
        assert_int_equal(v.outcome, RL_OK);
        assert_int_equal(v.limit, 10);
        assert_int_equal(v.remaining, 10 - i);
        assert_int_equal(v.burst_limit, 4);
        assert_int_equal(v.burst_remaining, 4 - i);
        assert_int_equal(v.reset, HOUR0 + 3600);
    }
    rl_verdict v = take(t, "account:a", false, HOUR0 + 29);
    assert_int_equal(v.outcome, RL_BURST);
    assert_int_equal(v.remaining, 6);          /* the refusal is not counted */
    assert_int_equal(v.burst_remaining, 0);
    assert_int_equal(v.retry_after, 1);        /* the burst window ends at +30 */
    /* another key is untouched */
    assert_int_equal(take(t, "account:b", false, HOUR0 + 29).burst_remaining, 3);
    rl_free(t);
}

static void burst_resets_on_its_boundary_hour_on_the_hour(void **state)
{
    (void)state;
    rl_table *t = rl_new(&LIM);
    int64_t now = HOUR0;
    int ok = 0;
    /* 4 per 30 s until the hourly 10 are used: 4 + 4 + 2 */
    for (int w = 0; w < 3; w++)
        for (int i = 0; i < 5; i++)
            ok += take(t, "account:a", false, now + w * 30 + i).outcome == RL_OK;
    assert_int_equal(ok, 10);
    rl_verdict v = take(t, "account:a", false, now + 95);
    assert_int_equal(v.outcome, RL_HOURLY);
    assert_int_equal(v.remaining, 0);
    assert_int_equal(v.retry_after, 3600 - 95);
    v = take(t, "account:a", false, now + 3599);
    assert_int_equal(v.outcome, RL_HOURLY);
    v = take(t, "account:a", false, now + 3600);      /* the next hour */
    assert_int_equal(v.outcome, RL_OK);
    assert_int_equal(v.remaining, 9);
    assert_int_equal(v.reset, now + 7200);
    rl_free(t);
}

static void anonymous_keys_get_their_own_limits(void **state)
{
    (void)state;
    rl_table *t = rl_new(&LIM);
    assert_int_equal(take(t, "addr:10.0.0.1", true, HOUR0).limit, 3);
    assert_int_equal(take(t, "addr:10.0.0.1", true, HOUR0).burst_remaining, 0);
    assert_int_equal(take(t, "addr:10.0.0.1", true, HOUR0).outcome, RL_BURST);
    assert_int_equal(take(t, "addr:10.0.0.1", true, HOUR0 + 30).outcome, RL_OK);
    rl_verdict v = take(t, "addr:10.0.0.1", true, HOUR0 + 60);
    assert_int_equal(v.outcome, RL_HOURLY);
    assert_int_equal(v.limit, 3);
    rl_free(t);
}

static void off_counts_nothing(void **state)
{
    (void)state;
    rl_limits off = { .burst_s = 30 };
    rl_table *t = rl_new(&off);
    assert_false(rl_enabled(t));
    for (int i = 0; i < 1000; i++)
        assert_int_equal(take(t, "account:a", false, HOUR0).outcome, RL_OK);
    rl_verdict v = take(t, "account:a", false, HOUR0);
    assert_int_equal(v.limit, 0);
    assert_int_equal(v.burst_limit, 0);
    rl_free(t);
    /* hourly only: no burst refusals */
    rl_limits hour_only = { .hourly = 5, .anon_hourly = 5, .burst_s = 30 };
    t = rl_new(&hour_only);
    for (int i = 0; i < 5; i++)
        assert_int_equal(take(t, "account:a", false, HOUR0).outcome, RL_OK);
    assert_int_equal(take(t, "account:a", false, HOUR0).outcome, RL_HOURLY);
    rl_free(t);
}

static void keys_do_not_collide(void **state)
{
    (void)state;
    char k[LIM_RL_KEY_MAX + 1];
    assert_int_equal(rl_key(k, sizeof(k), "account", "aaaaaaaa-1111-4222-8333-00000000000a"), 0);
    assert_string_equal(k, "account:aaaaaaaa-1111-4222-8333-00000000000a");
    assert_int_equal(rl_key_addr(k, sizeof(k), "192.0.2.7"), 0);
    assert_string_equal(k, "addr:192.0.2.7");
    assert_int_equal(rl_key_addr(k, sizeof(k), "::ffff:192.0.2.7"), 0);
    assert_string_equal(k, "addr:192.0.2.7");               /* mapped = the IPv4 address */
    assert_int_equal(rl_key_addr(k, sizeof(k), "2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 0);
    assert_string_equal(k, "addr:2001:db8:1:2::/64");       /* one key per /64 */
    assert_int_equal(rl_key_addr(k, sizeof(k), "2001:db8:1:2::1"), 0);
    assert_string_equal(k, "addr:2001:db8:1:2::/64");
    assert_int_equal(rl_key_addr(k, sizeof(k), "-"), 0);
    assert_string_equal(k, "addr:-");
    /* text that is not an address cannot make its own key */
    assert_int_equal(rl_key_addr(k, sizeof(k), "account:x"), 0);
    assert_string_equal(k, "addr:-");
    char big[200];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(rl_key(k, sizeof(k), "user", big), -1);
}

static void a_full_table_fails_closed_for_new_anonymous_keys(void **state)
{
    (void)state;
    rl_table *t = rl_new(&LIM);
    char k[64];
    for (int i = 0; i < LIM_RL_ANON_KEYS; i++) {
        snprintf(k, sizeof(k), "addr:10.%d.%d.1", i / 256, i % 256);
        assert_int_equal(take(t, k, true, HOUR0).outcome, RL_OK);
    }
    assert_int_equal(take(t, "addr:192.0.2.1", true, HOUR0).outcome, RL_BURST);
    /* authenticated keys still have room */
    assert_int_equal(take(t, "account:a", false, HOUR0).outcome, RL_OK);
    rl_free(t);
}

typedef struct {
    char dir[64], url[128];
} db_fixture;

static pd_store *open_db(db_fixture *f)
{
    char err[256];
    pd_store *s = pd_store_open(f->url, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, NULL, NULL), PD_OK);
    return s;
}

static void two_nodes_share_counts_through_the_store(void **state)
{
    (void)state;
    db_fixture f;
    snprintf(f.dir, sizeof(f.dir), "/tmp/pd-rl-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.url, sizeof(f.url), "sqlite:%s/db", f.dir);
    pd_store *sa = open_db(&f), *sb = open_db(&f);
    rl_table *a = rl_new(&LIM), *b = rl_new(&LIM);
    int64_t now = HOUR0 + 100;

    for (int i = 0; i < 3; i++)
        assert_int_equal(take(a, "account:x", false, now).outcome, RL_OK);
    assert_int_equal(rl_sync(a, sa, now), PD_OK);
    /* b knows nothing until it syncs: it then sees a's three */
    assert_int_equal(take(b, "account:x", false, now).remaining, 9);
    assert_int_equal(rl_sync(b, sb, now), PD_OK);
    rl_verdict v = take(b, "account:x", false, now);
    assert_int_equal(v.outcome, RL_BURST);       /* 3 (a) + 1 (b) = the burst limit of 4 */
    assert_int_equal(v.remaining, 6);
    assert_int_equal(v.burst_remaining, 0);
    /* until its next sync, a has not seen b's call: it admits one more (the
     * documented lag), then learns of b's call and refuses */
    assert_int_equal(take(a, "account:x", false, now).outcome, RL_OK);
    assert_int_equal(rl_sync(a, sa, now), PD_OK);
    assert_int_equal(take(a, "account:x", false, now).outcome, RL_BURST);
    /* the next burst window: the hour still counts every node's calls */
    v = take(a, "account:x", false, now + 30);
    assert_int_equal(v.outcome, RL_OK);
    assert_int_equal(v.remaining, 10 - 6);
    assert_int_equal(rl_sync(a, sa, now + 30), PD_OK);
    /* b, idle for a burst window, is refreshed by the sync after its next call */
    assert_int_equal(take(b, "account:x", false, now + 31).outcome, RL_OK);
    assert_int_equal(rl_sync(b, sb, now + 31), PD_OK);
    v = take(b, "account:x", false, now + 32);
    assert_int_equal(v.remaining, 10 - 8);       /* a: 3 + 1 + 1, b: 1 + 1, this one */
    pd_store_close(sb);
    rl_free(a);
    rl_free(b);
    pd_store_close(sa);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
    assert_int_equal(system(cmd), 0);
}

static void store_rate_sync_adds_reads_and_purges(void **state)
{
    (void)state;
    db_fixture f;
    snprintf(f.dir, sizeof(f.dir), "/tmp/pd-rl-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.url, sizeof(f.url), "sqlite:%s/db", f.dir);
    pd_store *s = open_db(&f);
    pd_rate_row rows[2] = {
        { .key = "account:x", .span = 3600, .window = HOUR0, .delta = 5 },
        { .key = "account:x", .span = 30, .window = HOUR0, .delta = 2 },   /* same start, other span */
    };
    assert_int_equal(s->ops->rate_sync(s, rows, 2, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
    assert_int_equal(rows[1].total, 2);
    rows[0].delta = 0;
    rows[1].delta = 3;
    assert_int_equal(s->ops->rate_sync(s, rows, 2, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
    assert_int_equal(rows[1].total, 5);
    /* purge: windows that ended before the time given go */
    assert_int_equal(s->ops->rate_sync(s, NULL, 0, HOUR0 + 31), PD_OK);
    rows[0].delta = rows[1].delta = 0;
    assert_int_equal(s->ops->rate_sync(s, rows, 2, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
    assert_int_equal(rows[1].total, 0);
    /* bad rows are refused */
    pd_rate_row bad = { .key = "k", .span = 30, .window = 0, .delta = -1 };
    assert_int_equal(s->ops->rate_sync(s, &bad, 1, 0), PD_ERR_STORE);
    pd_store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_exactly_and_refusals_are_not_counted),
        cmocka_unit_test(burst_resets_on_its_boundary_hour_on_the_hour),
        cmocka_unit_test(anonymous_keys_get_their_own_limits),
        cmocka_unit_test(off_counts_nothing),
        cmocka_unit_test(keys_do_not_collide),
        cmocka_unit_test(a_full_table_fails_closed_for_new_anonymous_keys),
        cmocka_unit_test(two_nodes_share_counts_through_the_store),
        cmocka_unit_test(store_rate_sync_adds_reads_and_purges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
