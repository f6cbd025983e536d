/*
 * audit.h - the audit log at the HTTP level (core/log.h log_audit): profile
 * and image changes, told by the handlers that made them, and every denied
 * request (401, 403, 429), told by the server when a request completes.
 * Each line says who (the caller's user id and integration), what (event,
 * account, target user, method, route pattern, status), when, from where
 * (the client address, trusted-proxies aware) and the trace token; never a
 * token, password or body.  Sign-ins come from auth/seclog.c.
 *
 * Memory: nothing allocated.
 */
#ifndef PROFILED_HTTP_AUDIT_H
#define PROFILED_HTTP_AUDIT_H

#include "http/http.h"
#include "http/server.h"

/* A change the request made: event "profile.update", "image.update",
 * "image.delete"; account and target as stored (GUIDs).  A request whose
 * write commits later (req->audit_hold: the write queue's group commit)
 * has the line held instead, and written by audit_release once the change
 * is committed; audit_drop forgets it when it was not. */
void req_audit(pd_server *srv, pd_request *req, const char *event, const char *account,
               const char *target);
void audit_release(pd_server *srv, pd_request *req);
void audit_drop(pd_request *req);
/* At completion: a denied request (401, 403, 429) gets a "request.denied"
 * line, its error code (e.g. USER_LACKS_PERMISSIONS) as the reason. */
void audit_request_done(pd_server *srv, const pd_request *r);

#endif
