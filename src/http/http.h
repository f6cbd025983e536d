/*
 * http.h - request and response objects shared by the server, the router
 * and the handlers.
 *
 * Lifetime: a pd_request is taken (allocated, or reused from the worker's
 * spares) when libmicrohttpd reports a request's target and released in
 * the completion callback (http/server.c); everything it owns (body,
 * response body, header values, a reused cached response) is released
 * there, in one place.  Handlers fill req->resp and never free it.
 */
#ifndef PROFILED_HTTP_H
#define PROFILED_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <microhttpd.h>

#include "core/error.h"
#include "core/limits.h"
#include "auth/ratelimit.h"
#include "auth/token.h"

#define HTTP_MAX_PARAMS    4
#define HTTP_MAX_HEADERS   10
#define HTTP_HDR_VALUE_MAX 2048  /* OAuth redirects carry redirect_uri + code + state in Location */

typedef struct pd_server pd_server;
typedef struct pd_request pd_request;
typedef void (*pd_handler)(pd_server *srv, pd_request *req);

typedef struct {
    const char *method;        /* "GET", "PUT", ... */
    const char *pattern;       /* segments after the API's prefix; "*" captures */
    const char *name;          /* for logs: "/accounts/{accountId}/users/{userId}/profile" */
    pd_handler fn;
    size_t body_limit;         /* bytes accepted in the request body */
    unsigned flags;            /* ROUTE_* */
} pd_route;

/* The handler does its database work on the write lane (store/lane.h):
 * where the database has one, it runs on the write queue's thread
 * (http/writeq.h), not on the connection's worker. */
#define ROUTE_LANE 1u

/* A path prefix an API is reachable under, and the API version it selects. */
typedef struct {
    const char *prefix;        /* e.g. "/restapi/v2.1"; "" for the root */
    int minor;                 /* 0 for v2, 1 for v2.1 */
} pd_prefix;

/* One API surface as the router sees it: its prefixes and its routes.  Each
 * surface defines its own (esign/routes.c, oauth/routes.c, ...); http/ knows
 * none of them. */
typedef struct {
    const char *name;
    const pd_prefix *prefixes;
    size_t n_prefixes;
    const pd_route *routes;
    size_t n_routes;
    /* How this API answers an error the server finds before a handler runs
     * (malformed request, unknown method, body too large): its own error
     * shape.  NULL: resp_error (eSignature's shape). */
    void (*error)(pd_request *r, pd_err e, const char *msg);
    /* Optional: asked once the headers are in and a route of this API
     * matched, before any body is read.  PD_OK admits the request; an error
     * is answered (by `error`) and the body dropped unread, so a refused
     * caller cannot make the server hold a large body.  NULL: admit all. */
    pd_err (*admit)(const pd_request *r);
    /* Optional: for a ROUTE_LANE route, run on the connection's worker
     * before the request is queued for the write queue (http/writeq.h):
     * the part of the handler that needs no write lane and must not run
     * while the queue holds it (authentication: a legacy credential check
     * hashes a password and records the attempt through the worker's own
     * connection).  False: it answered, and the request is not queued.
     * NULL: everything runs on the queue. */
    bool (*before_queue)(pd_server *srv, pd_request *r);
} pd_api;

/* The APIs a server serves, tried in order (the root API, prefix "", last). */
typedef struct {
    const pd_api *const *apis;
    size_t n_apis;
} pd_router;

typedef struct {
    int status;
    const char *content_type;          /* static string */
    unsigned char *body;               /* malloc'd, owned; NULL for empty */
    size_t len;
    struct {
        const char *name;              /* static string */
        char *value;                   /* slot i of hdr_buf (HTTP_HDR_VALUE_MAX bytes) */
    } headers[HTTP_MAX_HEADERS];
    size_t n_headers;
    char *hdr_buf;                     /* HTTP_MAX_HEADERS slots of HTTP_HDR_VALUE_MAX bytes,
                                          malloc'd at the first resp_header (most answers,
                                          cache hits among them, have none), owned; so a
                                          request is not 20 KiB to zero */
    bool set;                          /* a handler produced a response */
    const char *err_code;              /* static: the error code answered (resp_error,
                                          an API's error shape), NULL otherwise; for
                                          the audit log */
    const struct rc_body *cached;      /* an answer from the response cache (borrowed,
                                          http/resp_cache.h): sent instead of the
                                          members above, with the per-request headers */
    const struct rc_body *reused;      /* the cached answer whose own response was
                                          queued (rc_response_reuse): released at
                                          completion (server.c), then NULL */
} pd_response;

struct pd_request {
    struct MHD_Connection *conn;
    const char *method;                /* MHD's, valid for the request */
    const pd_route *route;
    const pd_api *api;                 /* the API whose prefix and route matched (or NULL) */
    char prefix[24];                   /* the eSignature prefix used, e.g. "/restapi/v2.1" */
    int api_minor;                     /* 0 for v2, 1 for v2.1 */
    char pathbuf[LIM_HTTP_URL_MAX + 1];/* copy of the path, split in place */
    const char *params[HTTP_MAX_PARAMS];
    size_t n_params;

    unsigned char *body;               /* request body, NUL-terminated, owned */
    size_t body_len, body_cap, body_limit, discarded;
    pd_err early;                      /* answer this error without dispatching */
    size_t raw_target_len;             /* the target as sent, before unescaping (screen.c) */
    char early_msg[160];               /* what exactly is wrong, for `early` ("" = the default message) */
    bool started;                      /* the access handler has seen this request */
    bool close_after;                  /* end the connection after the answer (screen.c) */
    char allow[64];                    /* for 405 */

    bool want_xml;
    bool tls;                          /* arrived on the HTTPS listener */
    char trace[40];                    /* X-DocuSign-TraceToken: a fresh GUID per request,
                                          also in the request's log line */
    token_claims caller;               /* valid when authenticated */
    bool authenticated;
    struct {                           /* rate limits (http/rate.c): counted once a request */
        bool counted;
        rl_verdict v;                  /* also gives the X-RateLimit-* headers */
        char msg[128];                 /* the answer's message when refused */
    } rate;
    uint64_t t0_ns;
    pd_response resp;
    const char *url;                   /* the path as libmicrohttpd gave it (valid until
                                          the request is freed) */
    int hook_mark;                     /* set by a before-hook (http/hooks.h) that acted on
                                          the request, for its after-hook; 0 = none */
    bool parked;                       /* its route runs on the write queue (http/writeq.h);
                                          the connection is suspended until it ran */
    pd_request *wq_next;               /* the write queue's list (writeq.c's) */
    char wq_key[LIM_ID_MAX + 1];       /* the row its write will lock, set by its API's
                                          before_queue ("" if none): a batch runs in
                                          this order (writeq.h) */
    bool audit_hold;                   /* its change is committed later (group commit):
                                          req_audit keeps the line in audit_held */
    struct {
        const char *event;             /* static; NULL: nothing held */
        char account[LIM_ID_MAX + 1];
        char target[LIM_ID_MAX + 1];
    } audit_held;
};

/* ---- request accessors (request.c) ---- */
const char *req_header(const pd_request *r, const char *name);   /* NULL when absent */
const char *req_query(const pd_request *r, const char *name);
/* The token of an "Authorization: Bearer <token>" header (scheme matched
 * without regard to case, spaces and tabs around the token skipped: they
 * are optional whitespace, RFC 9110 §5.6.3) in *tok, *len bytes long (not
 * NUL-terminated there): 0, or -1 when there is no Authorization header,
 * -2 when it is not a Bearer one. */
int req_bearer_token(const pd_request *r, const char **tok, size_t *len);
/* The client's address as text ("-" when unknown).  When the socket peer
 * is one of `trusted` (comma-separated addresses or CIDR ranges, e.g.
 * "10.0.0.0/8, ::1" - the load balancers), the right-most address of
 * X-Forwarded-For that is not itself trusted is used instead.  cap >= 46. */
void req_client_addr(const pd_request *r, const char *trusted, char *out, size_t cap);
/* Media type of Content-Type without parameters, lower-cased into buf; "" when absent. */
const char *req_media_type(const pd_request *r, char *buf, size_t len);

/* ---- responses (response.c) ---- */
/* Takes ownership of body (malloc'd). */
void resp_take(pd_request *r, int status, const char *ctype, unsigned char *body, size_t len);
/* Copies len bytes. */
void resp_copy(pd_request *r, int status, const char *ctype, const void *body, size_t len);
/* A server-rendered HTML page (body malloc'd, taken) with the page security
 * headers: the given Content-Security-Policy, X-Frame-Options: DENY,
 * nosniff, no-referrer, no-store.  A NULL body answers 500.  The one place
 * the OAuth pages and the browser pages answer HTML. */
void resp_html(pd_request *r, int status, char *body, size_t len, const char *csp);
void resp_empty(pd_request *r, int status);
/* Answers with a response-cache entry (borrowed; valid until the handler
 * returns: the server makes its own response holding a reference on the
 * bytes when it queues it). */
void resp_prebuilt(pd_request *r, int status, const struct rc_body *b);
void resp_header(pd_request *r, const char *name, const char *value);
/* Encodes obj as JSON, or as DocuSign XML with the given root when the
 * client asked for XML.  Does not take the reference. */
void resp_object(pd_request *r, int status, const char *xml_root, const json_t *obj);
/* Error in DocuSign's shape; msg NULL means the default message. */
void resp_error(pd_request *r, pd_err e, const char *msg);

/* ---- router (http/router.c) ---- */
typedef enum { ROUTE_OK, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD } route_result;
/* Matches r->method and path against the APIs of rt, in order; fills
 * r->route, prefix, api_minor, params (pointing into r->pathbuf) or r->allow
 * on ROUTE_BAD_METHOD.  A path that one API knows under another method
 * answers ROUTE_BAD_METHOD without trying the APIs after it. */
route_result router_match(const pd_router *rt, pd_request *r, const char *path);
/* Largest body_limit among the routes (for sizing the daemon). */
size_t router_max_body(const pd_router *rt);

/* ---- GET /healthz (health.c): the root API, reachable under "" ---- */
extern const pd_api health_api;

#endif
