/*
 * test_metrics.c - unit tests for src/core/metrics.c: counters summed over
 * threads, requests bucketed by method (unknown ones as "other"), status
 * (unknown ones as "other") and route (out of range = unmatched), latency
 * buckets at their bounds.
 *
 * Memory: shards live for the process (as in the server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "core/metrics.h"

static uint64_t req[MET_ROUTES_MAX + 1][MET_METHODS][MET_STATUSES];
static uint64_t hist[MET_ROUTES_MAX + 1][MET_BUCKETS], cnt[MET_ROUTES_MAX + 1], sum[MET_ROUTES_MAX + 1];

static unsigned status_slot(int code)
{
    for (unsigned s = 0; s < MET_STATUSES; s++)
        if (met_status_code(s) == code)
            return s;
    return MET_STATUSES - 1;
}

static void *count_in_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        met_inc(MET_DB_ERRORS);
    met_request(3, "GET", 200, 1000);
    return NULL;
}

static void counters_sum_over_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    uint64_t before = met_sum(MET_DB_ERRORS);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, count_in_thread, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    met_inc(MET_DB_ERRORS);
    assert_int_equal(met_sum(MET_DB_ERRORS) - before, 4001);
    met_requests(req);
    assert_int_equal(req[3][0][status_slot(200)], 4);     /* threads that ended still count */
}

static void requests_by_method_status_route(void **state)
{
    (void)state;
    met_requests(req);
    uint64_t other_m = req[5][MET_METHODS - 1][status_slot(404)];
    uint64_t other_s = req[5][0][MET_STATUSES - 1];
    uint64_t unmatched = req[MET_ROUTES_MAX][1][status_slot(429)];
    met_request(5, "BREW", 404, 10);
    met_request(5, "GET", 299, 10);
    met_request(MET_ROUTES_MAX + 40, "HEAD", 429, 10);
    met_requests(req);
    assert_int_equal(req[5][MET_METHODS - 1][status_slot(404)] - other_m, 1);
    assert_string_equal(met_method_name(MET_METHODS - 1), "other");
    assert_int_equal(req[5][0][MET_STATUSES - 1] - other_s, 1);
    assert_int_equal(met_status_code(MET_STATUSES - 1), 0);
    assert_int_equal(req[MET_ROUTES_MAX][1][status_slot(429)] - unmatched, 1);
}

static void latency_buckets(void **state)
{
    (void)state;
    met_latency(hist, cnt, sum);
    uint64_t b0 = hist[7][0], b1 = hist[7][1], binf = hist[7][MET_BUCKETS - 1], c0 = cnt[7], s0 = sum[7];
    met_request(7, "PUT", 200, 500000);          /* exactly 0.5 ms: the first bucket (le) */
    met_request(7, "PUT", 200, 500001);          /* just over: the second */
    met_request(7, "PUT", 200, 5000000000ull);   /* 5 s: +Inf */
    met_latency(hist, cnt, sum);
    assert_int_equal(hist[7][0] - b0, 1);
    assert_int_equal(hist[7][1] - b1, 1);
    assert_int_equal(hist[7][MET_BUCKETS - 1] - binf, 1);
    assert_int_equal(cnt[7] - c0, 3);
    assert_int_equal(sum[7] - s0, 500000 + 500001 + 5000000000ull);
    assert_true(met_bucket_le(0) == 0.0005);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_sum_over_threads),
        cmocka_unit_test(requests_by_method_status_route),
        cmocka_unit_test(latency_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
