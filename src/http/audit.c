/*
 * audit.c - see audit.h.
 */
#include "http/audit.h"

#include <stdio.h>

#include "core/log.h"

static void write_line(pd_server *srv, const pd_request *r, const char *event, const char *outcome,
                       const char *account, const char *target, int status, const char *reason)
{
    char remote[64];

    req_client_addr(r, srv->cfg->trusted_proxies, remote, sizeof(remote));
    log_audit(&(log_audit_rec){
        .event = event, .outcome = outcome,
        .user = r->authenticated ? r->caller.sub : NULL,
        .client = r->authenticated ? r->caller.cid : NULL,
        .account = account, .target = target,
        .method = r->method, .route = r->route ? r->route->name : NULL, .status = status,
        .remote = remote, .reason = reason, .trace = r->trace,
    });
}

void req_audit(pd_server *srv, pd_request *req, const char *event, const char *account,
               const char *target)
{
    if (!req->audit_hold) {
        write_line(srv, req, event, "ok", account, target, 0, NULL);
        return;
    }
    req->audit_held.event = event;
    snprintf(req->audit_held.account, sizeof req->audit_held.account, "%s",
             account != NULL ? account : "");
    snprintf(req->audit_held.target, sizeof req->audit_held.target, "%s",
             target != NULL ? target : "");
}

void audit_release(pd_server *srv, pd_request *req)
{
    if (req->audit_held.event != NULL)
        write_line(srv, req, req->audit_held.event, "ok",
                   req->audit_held.account[0] != '\0' ? req->audit_held.account : NULL,
                   req->audit_held.target[0] != '\0' ? req->audit_held.target : NULL, 0, NULL);
    audit_drop(req);
}

void audit_drop(pd_request *req)
{
    req->audit_held.event = NULL;
    req->audit_hold = false;
}

void audit_request_done(pd_server *srv, const pd_request *r)
{
    int st = r->resp.set ? r->resp.status : 0;

    if (st == 401 || st == 403 || st == 429 || (st == 400 && r->rate.v.outcome != RL_OK))
        write_line(srv, r, "request.denied", "denied", NULL, NULL, st, r->resp.err_code);
}
