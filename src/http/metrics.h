/*
 * metrics.h - GET /metrics in Prometheus text format (version 0.0.4):
 * requests by API, route pattern, method and status; latency histograms by
 * route; rate-limit refusals; cache hits and misses (ready responses,
 * verified tokens, lookups); database errors; open connections per
 * listener; requests in flight; signing-key age.  Counting is core/metrics.c
 * (per thread); a scrape sums.  Only peers in metrics-allow (the socket's
 * address) may scrape; others, and everyone when it is empty, get 404.
 *
 * Memory: the answer is built in a malloc'd buffer handed to the response.
 */
#ifndef PROFILED_HTTP_METRICS_H
#define PROFILED_HTTP_METRICS_H

#include "http/http.h"
#include "http/server.h"

/* The route's index for core/metrics.c: its place among the routes of all
 * the router's APIs, in order; MET_ROUTES_MAX when none (or beyond). */
unsigned metrics_route_index(const pd_router *rt, const pd_route *route);
/* Counts a finished request (completion callback). */
void metrics_request_done(pd_server *srv, const pd_request *r, uint64_t dur_ns);
/* GET /metrics (health.c lists the route). */
void h_metrics(pd_server *srv, pd_request *req);

#endif
