/*
 * health.c - GET /healthz for load balancers: 200 when this node can
 * reach its database, 503 otherwise, while shutting down, or "degraded"
 * while its signing keys could not be reloaded (it might still accept a
 * retired key or refuse a new one).  It is the
 * root API (prefix ""), which a router tries last.
 */
#include "http/http.h"
#include "http/metrics.h"
#include "http/server.h"

static void h_health(pd_server *srv, pd_request *req)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    static const char bad[] = "{\"status\":\"unavailable\"}";
    static const char stale[] = "{\"status\":\"degraded\",\"reason\":\"signing keys could not be reloaded\"}";
    pd_store *s = server_store(srv);
    pd_user probe = {0};
    pd_err e = s ? s->ops->get_user(s, "00000000-0000-0000-0000-000000000000", &probe) : PD_ERR_STORE;

    pd_user_clear(&probe);
    if (e == PD_OK || e == PD_ERR_NOT_FOUND)
        e = s->ops->check != NULL ? s->ops->check(s) : PD_OK;   /* still the file it opened */
    if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
        resp_copy(req, 503, "application/json", bad, sizeof(bad) - 1);
        return;
    }
    if (atomic_load(&srv->keys_stale)) {
        resp_copy(req, 503, "application/json", stale, sizeof(stale) - 1);
        return;
    }
    resp_copy(req, 200, "application/json", ok, sizeof(ok) - 1);
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static const pd_route routes[] = {
    { "GET", "healthz", "/healthz", h_health, LIM_BODY_DEFAULT, 0 },
    { "GET", "metrics", "/metrics", h_metrics, LIM_BODY_DEFAULT, 0 },
};
static const pd_prefix prefixes[] = { { "", 0 } };

const pd_api health_api = {
    "health", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL, NULL,
};
