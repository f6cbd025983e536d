/*
 * metrics.c - see metrics.h.  Label values are the static route patterns
 * and API names of the router, a fixed method set and the statuses
 * profiled answers: a client cannot add a series.
 */
#include "http/metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "core/netaddr.h"
#include "http/writeq.h"

unsigned metrics_route_index(const pd_router *rt, const pd_route *route)
{
    unsigned base = 0;

    for (size_t a = 0; route != NULL && a < rt->n_apis; a++) {
        const pd_api *api = rt->apis[a];
        if (route >= api->routes && route < api->routes + api->n_routes) {
            unsigned i = base + (unsigned)(route - api->routes);
            return i < MET_ROUTES_MAX ? i : MET_ROUTES_MAX;
        }
        base += (unsigned)api->n_routes;
    }
    return MET_ROUTES_MAX;
}

void metrics_request_done(pd_server *srv, const pd_request *r, uint64_t dur_ns)
{
    met_request(metrics_route_index(srv->router, r->route), r->method,
                r->resp.set ? r->resp.status : 0, dur_ns);
}

/* ---- the text ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

__attribute__((format(printf, 2, 3)))
static void out(buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, nc);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

/* api and route labels of route index i */
static void route_labels(const pd_router *rt, unsigned i, const char **api, const char **route)
{
    unsigned base = 0;

    *api = "-";
    *route = "unmatched";
    for (size_t a = 0; i < MET_ROUTES_MAX && a < rt->n_apis; a++) {
        if (i < base + rt->apis[a]->n_routes) {
            *api = rt->apis[a]->name;
            *route = rt->apis[a]->routes[i - base].name;
            return;
        }
        base += (unsigned)rt->apis[a]->n_routes;
    }
}

static void counter(buf *b, const char *name, const char *help, const char *labels, uint64_t v)
{
    out(b, "# HELP %s %s\n# TYPE %s counter\n%s%s %" PRIu64 "\n", name, help, name, name, labels, v);
}

static void requests(buf *b, const pd_router *rt)
{
    static uint64_t n[MET_ROUTES_MAX + 1][MET_METHODS][MET_STATUSES];   /* under g_scrape */
    const char *api, *route;

    met_requests(n);
    out(b, "# HELP profiled_http_requests_total Requests answered, by API, route pattern, method and status.\n"
           "# TYPE profiled_http_requests_total counter\n");
    for (unsigned r = 0; r <= MET_ROUTES_MAX; r++) {
        route_labels(rt, r, &api, &route);
        for (unsigned m = 0; m < MET_METHODS; m++)
            for (unsigned s = 0; s < MET_STATUSES; s++) {
                if (n[r][m][s] == 0)
                    continue;
                int code = met_status_code(s);
                char st[8];
                if (code)
                    snprintf(st, sizeof(st), "%d", code);
                else
                    snprintf(st, sizeof(st), "other");
                out(b, "profiled_http_requests_total{api=\"%s\",route=\"%s\",method=\"%s\",status=\"%s\"} %"
                    PRIu64 "\n", api, route, met_method_name(m), st, n[r][m][s]);
            }
    }
}

static void latency(buf *b, const pd_router *rt)
{
    static uint64_t h[MET_ROUTES_MAX + 1][MET_BUCKETS], cnt[MET_ROUTES_MAX + 1], sum[MET_ROUTES_MAX + 1];
    const char *api, *route;

    met_latency(h, cnt, sum);
    out(b, "# HELP profiled_http_request_duration_seconds Time from a request's headers to the end of its "
           "answer, by API and route pattern.\n"
           "# TYPE profiled_http_request_duration_seconds histogram\n");
    for (unsigned r = 0; r <= MET_ROUTES_MAX; r++) {
        uint64_t acc = 0;
        if (cnt[r] == 0)
            continue;
        route_labels(rt, r, &api, &route);
        for (unsigned k = 0; k < MET_BUCKETS; k++) {
            acc += h[r][k];
            if (k + 1 < MET_BUCKETS)
                out(b, "profiled_http_request_duration_seconds_bucket{api=\"%s\",route=\"%s\",le=\"%g\"} %"
                    PRIu64 "\n", api, route, met_bucket_le(k), acc);
            else
                out(b, "profiled_http_request_duration_seconds_bucket{api=\"%s\",route=\"%s\",le=\"+Inf\"} %"
                    PRIu64 "\n", api, route, acc);
        }
        out(b, "profiled_http_request_duration_seconds_sum{api=\"%s\",route=\"%s\"} %.9f\n", api, route,
            (double)sum[r] / 1e9);
        out(b, "profiled_http_request_duration_seconds_count{api=\"%s\",route=\"%s\"} %" PRIu64 "\n",
            api, route, cnt[r]);
    }
}

static void caches(buf *b)
{
    static const struct { const char *name; met_counter hit, miss; } c[] = {
        { "response", MET_RESP_CACHE_HIT, MET_RESP_CACHE_MISS },
        { "token", MET_TOKEN_CACHE_HIT, MET_TOKEN_CACHE_MISS },
        { "lookup", MET_LOOKUP_CACHE_HIT, MET_LOOKUP_CACHE_MISS },
        { "versions", MET_VERSIONS_MEMO_HIT, MET_VERSIONS_MEMO_MISS },
    };
    out(b, "# HELP profiled_cache_lookups_total Lookups in the per-thread caches (ready responses, verified "
           "tokens, account and membership lookups, cache tags read from the database), by result; the hit ratio is hit / (hit + miss).\n"
           "# TYPE profiled_cache_lookups_total counter\n");
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        out(b, "profiled_cache_lookups_total{cache=\"%s\",result=\"hit\"} %" PRIu64 "\n", c[i].name,
            met_sum(c[i].hit));
        out(b, "profiled_cache_lookups_total{cache=\"%s\",result=\"miss\"} %" PRIu64 "\n", c[i].name,
            met_sum(c[i].miss));
    }
}

static pthread_mutex_t g_scrape = PTHREAD_MUTEX_INITIALIZER;   /* the static arrays above */

void h_metrics(pd_server *srv, pd_request *req)
{
    char peer[64];
    buf b = { .p = malloc(16384), .cap = 16384 };
    const token_keyring *kr = server_keys(srv);
    int64_t now = (int64_t)time(NULL);

    req_client_addr(req, "", peer, sizeof(peer));          /* the socket's peer, never a header */
    if (srv->cfg->metrics_allow[0] == '\0' || !netaddr_in_ranges(peer, srv->cfg->metrics_allow)) {
        free(b.p);
        resp_error(req, PD_ERR_NOT_FOUND, NULL);
        return;
    }
    if (b.p == NULL) {
        resp_error(req, PD_ERR_INTERNAL, NULL);
        return;
    }
    pthread_mutex_lock(&g_scrape);
    requests(&b, srv->router);
    latency(&b, srv->router);
    pthread_mutex_unlock(&g_scrape);
    out(&b, "# HELP profiled_ratelimit_refusals_total Calls refused by a rate limit, by window.\n"
           "# TYPE profiled_ratelimit_refusals_total counter\n"
           "profiled_ratelimit_refusals_total{window=\"hourly\"} %" PRIu64 "\n"
           "profiled_ratelimit_refusals_total{window=\"burst\"} %" PRIu64 "\n",
        met_sum(MET_RATELIMIT_HOURLY), met_sum(MET_RATELIMIT_BURST));
    caches(&b);
    counter(&b, "profiled_db_errors_total", "Database operations that failed.", "", met_sum(MET_DB_ERRORS));
    counter(&b, "profiled_write_queue_batches_total", "Batches the write queue ran, each in one "
            "transaction where the database allows (requests / batches = the mean batch).", "",
            met_sum(MET_WRITEQ_BATCHES));
    counter(&b, "profiled_write_queue_requests_total", "Requests the write queue ran (PUT profile "
            "on a SQLite file).", "", met_sum(MET_WRITEQ_REQUESTS));
    counter(&b, "profiled_write_queue_rolled_back_total", "Requests of the write queue that had "
            "succeeded but were answered as store failures: their batch's transaction was rolled "
            "back.", "", met_sum(MET_WRITEQ_UNWRITTEN));
    out(&b, "# HELP profiled_write_queue_parked Requests waiting in the write queue or running "
           "there now (their connections suspended).\n"
           "# TYPE profiled_write_queue_parked gauge\n"
           "profiled_write_queue_parked %u\n", srv->wq != NULL ? writeq_parked(srv->wq) : 0u);
    out(&b, "# HELP profiled_open_connections Connections open now, by listener.\n"
           "# TYPE profiled_open_connections gauge\n");
    if (srv->guard)
        out(&b, "profiled_open_connections{listener=\"http\"} %u\n", conn_guard_count(srv->guard));
    if (srv->tls_guard)
        out(&b, "profiled_open_connections{listener=\"https\"} %u\n", conn_guard_count(srv->tls_guard));
    out(&b, "# HELP profiled_requests_in_flight Requests between their headers and their completion.\n"
           "# TYPE profiled_requests_in_flight gauge\nprofiled_requests_in_flight %d\n",
        atomic_load(&srv->inflight));
    out(&b, "# HELP profiled_signing_keys Signing keys in the ring (every one verifies).\n"
           "# TYPE profiled_signing_keys gauge\nprofiled_signing_keys %zu\n", kr->n);
    out(&b, "# HELP profiled_signing_key_age_seconds Age of the newest signing key (the one that signs).\n"
           "# TYPE profiled_signing_key_age_seconds gauge\nprofiled_signing_key_age_seconds %" PRId64 "\n",
        kr->n ? now - kr->keys[0].created : 0);
    out(&b, "# HELP profiled_signing_keys_stale 1 when the last reload of the signing keys failed.\n"
           "# TYPE profiled_signing_keys_stale gauge\nprofiled_signing_keys_stale %d\n",
        atomic_load(&srv->keys_stale) ? 1 : 0);
    if (b.failed) {
        free(b.p);
        resp_error(req, PD_ERR_INTERNAL, NULL);
        return;
    }
    resp_take(req, 200, "text/plain; version=0.0.4; charset=utf-8", (unsigned char *)b.p, b.len);
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}
