/*
 * metrics.h - counters for GET /metrics (http/metrics.c renders them), cheap
 * on the hot path: each thread writes only its own shard (plain relaxed
 * stores, no shared cache line, no lock); a scrape sums the shards of every
 * thread that ever counted.  Labels are small fixed sets (route index,
 * method, status), never text from a request, so a client cannot grow the
 * output (random paths all count as the one "unmatched" route).
 *
 * Memory: a thread's shard is allocated on its first count and kept for
 * the life of the process (threads are a fixed pool; a shard is ~100 KiB).
 */
#ifndef PROFILED_METRICS_H
#define PROFILED_METRICS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    MET_RESP_CACHE_HIT, MET_RESP_CACHE_MISS,       /* http/resp_cache.c */
    MET_TOKEN_CACHE_HIT, MET_TOKEN_CACHE_MISS,     /* auth/token_cache.c */
    MET_LOOKUP_CACHE_HIT, MET_LOOKUP_CACHE_MISS,   /* store/lookup_cache.c */
    MET_DB_ERRORS,                                 /* store failures (store/sqlite.c) */
    MET_RATELIMIT_HOURLY, MET_RATELIMIT_BURST,     /* refusals (http/rate.c) */
    MET_VERSIONS_MEMO_HIT, MET_VERSIONS_MEMO_MISS, /* store/versions.c */
    MET_WRITEQ_BATCHES, MET_WRITEQ_REQUESTS,       /* http/writeq.c: batches run, requests in them */
    MET_WRITEQ_UNWRITTEN,                          /* ... answered as failures: their group rolled back */
    MET_COUNT_
} met_counter;

#define MET_ROUTES_MAX   63             /* routes of every API; index MET_ROUTES_MAX = unmatched */
#define MET_METHODS      8              /* GET HEAD POST PUT DELETE OPTIONS PATCH other */
#define MET_STATUSES     24             /* the statuses profiled answers, + other */
#define MET_BUCKETS      12             /* latency histogram upper bounds (met_bucket_le) */

void met_inc(met_counter c);
/* One finished request: route index (MET_ROUTES_MAX when none), method
 * text, status, duration in nanoseconds. */
void met_request(unsigned route, const char *method, int status, uint64_t dur_ns);

/* ---- reading (a scrape) ---- */
uint64_t met_sum(met_counter c);
const char *met_method_name(unsigned m);
int met_status_code(unsigned s);        /* 0 for "other" */
double met_bucket_le(unsigned b);       /* seconds; the last is +Inf */
/* Sums over all threads, filled into caller arrays. */
void met_requests(uint64_t out[MET_ROUTES_MAX + 1][MET_METHODS][MET_STATUSES]);
void met_latency(uint64_t buckets[MET_ROUTES_MAX + 1][MET_BUCKETS], uint64_t count[MET_ROUTES_MAX + 1],
                 uint64_t sum_ns[MET_ROUTES_MAX + 1]);

#endif
