/*
 * metrics.c - see metrics.h.  Shards are linked into one list under a
 * mutex taken only when a thread counts for the first time and when a
 * scrape walks the list; counts are _Atomic with relaxed order, written
 * by their thread only (load + store, no read-modify-write).
 */
#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef _Atomic uint64_t counter;

typedef struct shard {
    counter c[MET_COUNT_];
    counter req[MET_ROUTES_MAX + 1][MET_METHODS][MET_STATUSES];
    counter hist[MET_ROUTES_MAX + 1][MET_BUCKETS];
    counter hcount[MET_ROUTES_MAX + 1];
    counter hsum[MET_ROUTES_MAX + 1];
    struct shard *next;
} shard;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static shard *g_shards;
static _Thread_local shard *t_shard;

static const char *const methods[MET_METHODS] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
                                                  "PATCH", "other" };
static const int statuses[MET_STATUSES - 1] = { 200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404,
                                                405, 406, 408, 411, 413, 414, 415, 429, 431, 500, 501, 503 };
static const double bounds[MET_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5, 1.0, 0 /* +Inf */ };

static shard *mine(void)
{
    shard *s = t_shard;

    if (s != NULL)
        return s;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    pthread_mutex_lock(&g_mu);
    s->next = g_shards;
    g_shards = s;
    pthread_mutex_unlock(&g_mu);
    t_shard = s;
    return s;
}

static void bump(counter *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by, memory_order_relaxed);
}

void met_inc(met_counter c)
{
    shard *s = mine();

    if (s != NULL && (unsigned)c < MET_COUNT_)
        bump(&s->c[c], 1);
}

static unsigned method_index(const char *m)
{
    for (unsigned i = 0; m != NULL && i + 1 < MET_METHODS; i++)
        if (strcmp(methods[i], m) == 0)
            return i;
    return MET_METHODS - 1;
}

static unsigned status_index(int st)
{
    for (unsigned i = 0; i < MET_STATUSES - 1; i++)
        if (statuses[i] == st)
            return i;
    return MET_STATUSES - 1;
}

void met_request(unsigned route, const char *method, int status, uint64_t dur_ns)
{
    shard *s = mine();
    unsigned b = 0;

    if (s == NULL)
        return;
    if (route > MET_ROUTES_MAX)
        route = MET_ROUTES_MAX;
    bump(&s->req[route][method_index(method)][status_index(status)], 1);
    while (b + 1 < MET_BUCKETS && (double)dur_ns / 1e9 > bounds[b])
        b++;
    bump(&s->hist[route][b], 1);
    bump(&s->hcount[route], 1);
    bump(&s->hsum[route], dur_ns);
}

uint64_t met_sum(met_counter c)
{
    uint64_t n = 0;

    pthread_mutex_lock(&g_mu);
    for (shard *s = g_shards; s != NULL; s = s->next)
        n += atomic_load_explicit(&s->c[c], memory_order_relaxed);
    pthread_mutex_unlock(&g_mu);
    return n;
}

const char *met_method_name(unsigned m) { return m < MET_METHODS ? methods[m] : "other"; }
int met_status_code(unsigned s) { return s < MET_STATUSES - 1 ? statuses[s] : 0; }
double met_bucket_le(unsigned b) { return b < MET_BUCKETS ? bounds[b] : 0; }

void met_requests(uint64_t out[MET_ROUTES_MAX + 1][MET_METHODS][MET_STATUSES])
{
    memset(out, 0, sizeof(uint64_t) * (MET_ROUTES_MAX + 1) * MET_METHODS * MET_STATUSES);
    pthread_mutex_lock(&g_mu);
    for (shard *s = g_shards; s != NULL; s = s->next)
        for (unsigned r = 0; r <= MET_ROUTES_MAX; r++)
            for (unsigned m = 0; m < MET_METHODS; m++)
                for (unsigned k = 0; k < MET_STATUSES; k++)
                    out[r][m][k] += atomic_load_explicit(&s->req[r][m][k], memory_order_relaxed);
    pthread_mutex_unlock(&g_mu);
}

void met_latency(uint64_t buckets[MET_ROUTES_MAX + 1][MET_BUCKETS], uint64_t count[MET_ROUTES_MAX + 1],
                 uint64_t sum_ns[MET_ROUTES_MAX + 1])
{
    memset(buckets, 0, sizeof(uint64_t) * (MET_ROUTES_MAX + 1) * MET_BUCKETS);
    memset(count, 0, sizeof(uint64_t) * (MET_ROUTES_MAX + 1));
    memset(sum_ns, 0, sizeof(uint64_t) * (MET_ROUTES_MAX + 1));
    pthread_mutex_lock(&g_mu);
    for (shard *s = g_shards; s != NULL; s = s->next)
        for (unsigned r = 0; r <= MET_ROUTES_MAX; r++) {
            for (unsigned b = 0; b < MET_BUCKETS; b++)
                buckets[r][b] += atomic_load_explicit(&s->hist[r][b], memory_order_relaxed);
            count[r] += atomic_load_explicit(&s->hcount[r], memory_order_relaxed);
            sum_ns[r] += atomic_load_explicit(&s->hsum[r], memory_order_relaxed);
        }
    pthread_mutex_unlock(&g_mu);
}
