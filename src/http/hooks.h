/*
 * hooks.h - optional steps the server runs around every routed request,
 * for features above http/ that must see all traffic without http/ knowing
 * them (the test-control surface's fault rules and request journal; rate
 * limits).  A hook is a pair of optional functions and their context:
 *
 *   before  runs on the last call of the access handler, once the route
 *           matched and the body is in, just before the route's handler.
 *           It may answer instead of the handler (fill req->resp with the
 *           resp_* builders or req->api->error, return HOOK_ANSWERED), ask
 *           for the connection to be cut without an answer (HOOK_DROP), or
 *           let the request go on (HOOK_CONTINUE), possibly after sleeping
 *           (added latency holds that worker thread).  Hooks run in the
 *           order they were added; the first that does not continue wins.
 *   after   runs once the answer of a request is queued (routed, refused
 *           early, or answered by a hook) or a hook dropped its connection,
 *           while the request's headers, query and req->url are still
 *           readable (libmicrohttpd has already reset them when the
 *           completion callback runs).  dur_ns is from the request line to
 *           that moment.  A client that leaves before its answer is not seen.
 *
 * Memory: the server keeps the pd_hook pointers; hooks and their contexts
 * must outlive the server.  Hooks are added after server_start() and never
 * removed; at most HTTP_MAX_HOOKS.
 */
#ifndef PROFILED_HTTP_HOOKS_H
#define PROFILED_HTTP_HOOKS_H

#include <stdint.h>
#include "http/http.h"

#define HTTP_MAX_HOOKS 4

typedef enum { HOOK_CONTINUE = 0, HOOK_ANSWERED, HOOK_DROP } pd_hook_verdict;

typedef struct {
    const char *name;
    pd_hook_verdict (*before)(void *ctx, pd_server *srv, pd_request *req);
    void (*after)(void *ctx, const pd_request *req, uint64_t dur_ns);
    void *ctx;
} pd_hook;

/* Adds h (borrowed) to the running server srv: 0, or -1 when the table is full. */
int server_add_hook(pd_server *srv, const pd_hook *h);

#endif
