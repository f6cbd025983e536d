/*
 * rate.c - see rate.h.
 */
#include "http/rate.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "core/metrics.h"
#include "core/strutil.h"

rl_table *rate_limiter_new(const pd_config *cfg)
{
    rl_limits lim = {
        .hourly = cfg->rl_hourly, .burst = cfg->rl_burst,
        .anon_hourly = cfg->rl_anon_hourly, .anon_burst = cfg->rl_anon_burst,
        .burst_s = cfg->rl_burst_s, .sync_ms = cfg->rl_sync_ms,
    };
    return rl_new(&lim);
}

pd_err req_rate_limit(pd_server *srv, pd_request *req, const char *kind, const char *id)
{
    char key[LIM_RL_KEY_MAX + 1], addr[64];
    bool anon = false;
    int rc;

    if (!req->rate.counted) {
        req->rate.counted = true;
        if (kind != NULL && id != NULL) {
            rc = rl_key(key, sizeof(key), kind, id);
        } else if (req->authenticated) {
            rc = rl_key(key, sizeof(key), "user", req->caller.sub);
        } else {
            req_client_addr(req, srv->cfg->trusted_proxies, addr, sizeof(addr));
            rc = rl_key_addr(key, sizeof(key), addr);
            anon = true;
        }
        if (rc != 0)                  /* ids are validated GUIDs: cannot happen; charge the address */
            rl_key(key, sizeof(key), "addr", "-");
        rl_take(srv->limiter, key, anon, (int64_t)time(NULL), &req->rate.v);
        if (req->rate.v.outcome != RL_OK)
            met_inc(req->rate.v.outcome == RL_HOURLY ? MET_RATELIMIT_HOURLY : MET_RATELIMIT_BURST);
        if (req->rate.v.outcome == RL_HOURLY)
            snprintf(req->rate.msg, sizeof(req->rate.msg), "The maximum number of hourly API "
                     "invocations has been exceeded. The hourly limit is %" PRId64 ".", req->rate.v.limit);
        else if (req->rate.v.outcome == RL_BURST)
            snprintf(req->rate.msg, sizeof(req->rate.msg), "The maximum number of API invocations in "
                     "a %" PRId64 " second window has been exceeded. The limit is %" PRId64 ".",
                     srv->cfg->rl_burst_s, req->rate.v.burst_limit);
    }
    switch (req->rate.v.outcome) {
    case RL_HOURLY: return PD_ERR_HOURLY_LIMIT;
    case RL_BURST:  return PD_ERR_BURST_LIMIT;
    default:        return PD_OK;
    }
}

void req_rate_status(pd_server *srv, pd_request *req)
{
    char v[24];

    req->resp.status = (int)srv->cfg->rl_status;
    snprintf(v, sizeof(v), "%" PRId64, req->rate.v.retry_after > 0 ? req->rate.v.retry_after : 1);
    resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, v);
}

static bool add(struct MHD_Response *mr, const char *name, int64_t v)
{
    char text[24];

    snprintf(text, sizeof(text), "%" PRId64, v);
    return MHD_add_response_header(mr, name, text) == MHD_YES;
}

bool rate_add_headers(const pd_request *r, struct MHD_Response *mr)
{
    const rl_verdict *v = &r->rate.v;

    if (!r->rate.counted)
        return true;
    if (v->limit > 0 && !(add(mr, "X-RateLimit-Limit", v->limit) &&
                          add(mr, "X-RateLimit-Remaining", v->remaining) &&
                          add(mr, "X-RateLimit-Reset", v->reset)))
        return false;
    return v->burst_limit == 0 || (add(mr, "X-BurstLimit-Limit", v->burst_limit) &&
                                   add(mr, "X-BurstLimit-Remaining", v->burst_remaining));
}
