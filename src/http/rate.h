/*
 * rate.h - DocuSign's rate limits at the HTTP level: which key a request
 * is charged to, its verdict, and the headers every answer of a
 * rate-limited surface carries (X-RateLimit-Limit, X-RateLimit-Remaining,
 * X-RateLimit-Reset, X-BurstLimit-Limit, X-BurstLimit-Remaining; plus
 * Retry-After when refused).  The counting is auth/ratelimit.c.
 *
 * Each surface (eSignature, Admin, SOAP) calls req_rate_limit() once the
 * caller is known (or known not to be), and answers a refusal in its own
 * shape with req->rate.msg, then applies req_rate_status().
 *
 * Memory: nothing allocated per request; the verdict lives in req->rate.
 */
#ifndef PROFILED_HTTP_RATE_H
#define PROFILED_HTTP_RATE_H

#include "core/config.h"
#include "http/http.h"
#include "http/server.h"

/* The server's counters from the rate-limit-* settings; NULL on failure. */
rl_table *rate_limiter_new(const pd_config *cfg);

/* Counts this request once: against "<kind>:<id>" when given (the account
 * or organization the authenticated caller belongs to), else the
 * authenticated caller ("user:<sub>"), else the client's address
 * (trusted-proxies aware) with the anonymous limits.  Later calls return
 * the first verdict.  PD_OK, PD_ERR_HOURLY_LIMIT or PD_ERR_BURST_LIMIT
 * (req->rate.msg says which limit). */
pd_err req_rate_limit(pd_server *srv, pd_request *req, const char *kind, const char *id);

/* After a surface answered a refusal: the configured status (429 or 400)
 * and Retry-After. */
void req_rate_status(pd_server *srv, pd_request *req);

/* Adds the rate-limit headers of a counted request to its answer. */
bool rate_add_headers(const pd_request *r, struct MHD_Response *mr);

#endif
