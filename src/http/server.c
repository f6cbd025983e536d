/*
 * server.c - libmicrohttpd glue: daemon options and limits, the request
 * life cycle, per-thread store connections, graceful stop.
 *
 * Request life cycle (libmicrohttpd 0.9.75 calls the access handler several
 * times per request):
 *   1st call  allocate pd_request, match the route, check the URL length and
 *             a declared Content-Length against the route's limit.  A body
 *             declared too large is answered 413 at once, unread.
 *   Nth call  append upload data, enforcing the route's body limit.
 *   last call dispatch the handler and queue its response (never on the
 *             first call: that would force "Connection: close").
 *   completed log one line, free the request and everything it owns.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "core/log.h"
#include "core/strutil.h"
#include "http/conn_guard.h"
#include "http/screen.h"
#include "http/tls.h"
#include "http/audit.h"
#include "http/metrics.h"
#include "http/rate.h"
#include "http/resp_cache.h"
#include "http/writeq.h"
#include "core/thread_table.h"
#include "store/unreachable.h"


/* Wipes and frees a heap key ring (NULL is fine). */
static void ring_free(token_keyring *kr)
{
    if (kr == NULL)
        return;
    token_keyring_clear(kr);
    free(kr);
}

static void store_destroy(void *p)
{
    pd_store_close(p);
}

pd_store *server_store_use(struct pd_server *srv, pd_store *s)
{
    pd_store *was = server_store(srv);

    pthread_setspecific(srv->store_key, s);
    return was;
}

pd_store *server_store(struct pd_server *srv)
{
    pd_store *s = pthread_getspecific(srv->store_key);
    char err[256];

    if (s != NULL)
        return s;
    /* a worker never creates the database: if it is gone, that is an error */
    s = pd_store_open_existing(srv->cfg->db, err, sizeof(err));
    if (s == NULL) {
        char shown[512];
        log_msg(LOG_ERROR, "store", "cannot open %s: %s",
                pd_store_url_redacted(srv->cfg->db, shown, sizeof shown), err);
        return NULL;
    }
    pthread_setspecific(srv->store_key, s);
    return s;
}

static bool wants_xml(const pd_request *r)
{
    const char *acc = req_header(r, MHD_HTTP_HEADER_ACCEPT);

    if (acc == NULL || strstr(acc, "json") != NULL)
        return false;
    return strstr(acc, "/xml") != NULL;
}

/* A fresh trace token (a version-4-shaped GUID) for every request, cheap
 * enough for the cached path: a random 128-bit start per thread (libsodium,
 * once), then a counter in the low half, so tokens never repeat within a
 * thread and threads (and restarts) start far apart.  They identify
 * requests in logs; they are not secrets.  buf >= 37. */
static void trace_new(char *buf)
{
    static _Thread_local unsigned char seed[16];
    static _Thread_local uint64_t counter;
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    uint64_t lo;
    size_t o = 0;

    if (counter == 0)
        randombytes_buf(seed, sizeof(seed));
    counter++;
    memcpy(b, seed, sizeof(b));
    memcpy(&lo, b + 8, sizeof(lo));
    lo += counter;
    memcpy(b + 8, &lo, sizeof(lo));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf[o++] = '-';
        buf[o++] = hex[b[i] >> 4];
        buf[o++] = hex[b[i] & 15];
    }
    buf[o] = '\0';
}

/* Requests are reused: a worker keeps up to REQ_SPARES freed ones (about
 * 3.3 KiB each) for its next requests, so a request costs no large calloc
 * (glibc serves one that size from the large bins, consolidating its fast
 * bins first) and no zeroing of the 2 KiB path buffer, which the router
 * always writes before anyone reads it.  The list belongs to the thread
 * that freed the requests and is freed when that thread exits. */
#define REQ_SPARES 8

typedef struct {
    pd_request *r[REQ_SPARES];
    size_t n;
} req_spares;

static pthread_key_t spares_key;
static bool spares_ok;
static pthread_once_t spares_once = PTHREAD_ONCE_INIT;

static void spares_free(void *p)
{
    req_spares *sp = p;

    for (size_t i = 0; sp != NULL && i < sp->n; i++)
        free(sp->r[i]);
    free(sp);
}

static void spares_init(void)
{
    spares_ok = pthread_key_create(&spares_key, spares_free) == 0;
}

static req_spares *spares(void)
{
    pthread_once(&spares_once, spares_init);
    return spares_ok ? thread_table_get(spares_key, sizeof(req_spares)) : NULL;
}

/* A zeroed request (pathbuf excepted: it holds an empty string), or NULL. */
static pd_request *request_new(void)
{
    req_spares *sp = spares();
    pd_request *r;
    size_t tail = offsetof(pd_request, pathbuf) + sizeof(r->pathbuf);

    if (sp == NULL || sp->n == 0)
        return calloc(1, sizeof(pd_request));
    r = sp->r[--sp->n];
    memset(r, 0, offsetof(pd_request, pathbuf));
    r->pathbuf[0] = '\0';
    memset((char *)r + tail, 0, sizeof(*r) - tail);
    return r;
}

/* The URI log callback: libmicrohttpd calls it with the raw request target
 * before it unescapes the path or parses the query.  The pd_request starts
 * here (its pointer becomes the request's con_cls), so the raw target can be
 * screened (screen.c).  NULL when out of memory: on_access then gives up. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    pd_request *r = request_new();
    const union MHD_ConnectionInfo *ci;

    (void)cls;
    if (r == NULL)
        return NULL;
    r->conn = conn;
    r->t0_ns = time_mono_ns();
    trace_new(r->trace);
    /* NULL on a plain-HTTP daemon's connection */
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    r->tls = ci != NULL && ci->tls_session != NULL;
    screen_target(r, uri);
    conn_guard_request_line(conn, (int64_t)r->t0_ns);   /* the headers are due now */
    return r;
}

/* An error found before any handler ran, in the shape of the API the path
 * belongs to (Admin answers {"error","error_description"}). */
static void answer_error(pd_request *r, pd_err e)
{
    const char *msg = e == r->early && r->early_msg[0] != '\0' ? r->early_msg : NULL;

    if (r->api == NULL || r->api->error == NULL) {
        resp_error(r, e, msg);                /* adds Allow to a 405 itself */
        return;
    }
    r->api->error(r, e, msg);
    if (e == PD_ERR_METHOD_NOT_ALLOWED && r->allow[0] != '\0')
        resp_header(r, MHD_HTTP_HEADER_ALLOW, r->allow);
}

/* The database could not be reached while the handler ran: whatever it made
 * of that (500, a SOAP result error, ...), the client gets 503 in the API's
 * own error shape, with Retry-After (docs/deploy.md).  A handler that already
 * answered 503 (/healthz) keeps its answer. */
#define DB_UNREACHABLE_MSG "The database is unreachable; nothing was changed. Retry later."

/* Replaces whatever r's answer was with e in its API's own error shape
 * (resp_error's when the API has none), none of the old headers kept. */
static void answer_instead(pd_request *r, pd_err e, const char *msg)
{
    r->resp.n_headers = 0;
    if (r->api == NULL || r->api->error == NULL)
        resp_error(r, e, msg);
    else
        r->api->error(r, e, msg);
}

static void answer_unreachable(pd_request *r)
{
    answer_instead(r, PD_ERR_UNAVAILABLE, DB_UNREACHABLE_MSG);
    resp_header(r, "Retry-After", LIM_DB_UNREACHABLE_RETRY_S_STR);
}

/* A stop whose grace ran out answers the parked requests the write queue
 * had not begun (http/writeq.c, writeq_abandon): nothing of them ran. */
static void answer_unrun(pd_request *r)
{
    answer_instead(r, PD_ERR_UNAVAILABLE,
                   "The server is stopping; the request was not run and nothing was changed. "
                   "Retry it.");
    resp_header(r, "Retry-After", LIM_DB_UNREACHABLE_RETRY_S_STR);
}

/* The write queue's group transaction that held r's write was rolled back
 * (http/writeq.c): r's answer said it wrote; it did not. */
static void answer_unwritten(pd_request *r)
{
    log_msg(LOG_ERROR, "http", "%s %s: its write was rolled back with its group's transaction; "
            "answered as a store failure (trace %s)", r->method, r->route ? r->route->name : "-",
            r->trace);
    answer_instead(r, PD_ERR_STORE, NULL);
}

/* The first call of the access handler for r: headers are in; route it. */
static void request_start(const struct pd_server *srv, pd_request *r, const char *url,
                          const char *method, const char *version)
{
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);

    r->started = true;
    r->method = method;
    r->url = url;
    r->want_xml = wants_xml(r);
    conn_guard_headers_done(r->conn, (cl != NULL && strcmp(cl, "0") != 0) ||
                                     req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL);
    screen_request(r, url, version);
    if (strlen(url) > LIM_HTTP_URL_MAX && r->early == PD_OK)
        r->early = PD_ERR_URI_TOO_LONG;
    if (r->early != PD_OK) {
        /* refused already; routing only tells whose error shape to answer in */
        pd_err refused = r->early;
        if (strlen(url) <= LIM_HTTP_URL_MAX)
            router_match(srv->router, r, screen_origin_form(url));
        r->route = NULL;
        r->early = refused;
        return;
    }
    switch (router_match(srv->router, r, screen_origin_form(url))) {
    case ROUTE_OK:
        r->body_limit = r->route->body_limit;
        break;
    case ROUTE_NOT_FOUND:
        r->early = PD_ERR_NOT_FOUND;
        break;
    case ROUTE_BAD_METHOD:
        r->early = PD_ERR_METHOD_NOT_ALLOWED;
        break;
    }
}

static void request_free(pd_request *r)
{
    req_spares *sp = spares();

    if (r->resp.reused != NULL)
        rc_response_reuse_done(r->resp.reused);

    free(r->body);
    free(r->resp.body);
    free(r->resp.hdr_buf);
    if (sp != NULL && sp->n < REQ_SPARES)
        sp->r[sp->n++] = r;                 /* reused by this thread's next request */
    else
        free(r);
}

#define HSTS_VALUE "max-age=" LIM_HSTS_MAX_AGE_STR
#define TRACE_HEADER "X-DocuSign-TraceToken"

/* The headers every answer carries, as DocuSign's do: the request's trace
 * token, Cache-Control: no-cache unless the handler chose one (images keep
 * their validators, OAuth its no-store), and HSTS on HTTPS. */
static bool add_common_headers(const pd_request *r, struct MHD_Response *mr)
{
    if (MHD_add_response_header(mr, TRACE_HEADER, r->trace) != MHD_YES)
        return false;
    if (MHD_get_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL) == NULL &&
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES)
        return false;
    if (!rate_add_headers(r, mr))
        return false;
    return !r->tls || MHD_add_response_header(mr, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY,
                                              HSTS_VALUE) == MHD_YES;
}

static enum MHD_Result queue(pd_request *r)
{
    struct MHD_Response *mr;
    enum MHD_Result rc;

    if (!r->resp.set)
        resp_error(r, PD_ERR_INTERNAL, "handler produced no response");
    if (r->close_after)
        resp_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->resp.cached != NULL && r->resp.n_headers == 0 && !r->rate.counted && !r->tls) {
        /* nothing per request but the trace token: the entry's own
         * response, its other headers added once (resp_cache.h) */
        static const rc_header no_cache = { MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache" };
        mr = rc_response_reuse(r->resp.cached, &no_cache, TRACE_HEADER, r->trace);
        if (mr != NULL) {
            r->resp.reused = r->resp.cached;     /* released when the request is freed */
            return MHD_queue_response(r->conn, (unsigned)r->resp.status, mr);
        }
    }
    if (r->resp.cached != NULL) {
        /* a fresh response over the cached bytes: a cached one is shared
         * and must not get this request's headers (resp_cache.h) */
        mr = rc_response(r->resp.cached);
        if (mr == NULL)
            return MHD_NO;
    } else {
        mr = MHD_create_response_from_buffer(r->resp.len, r->resp.body,
                                             r->resp.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (mr == NULL)
            return MHD_NO;
        r->resp.body = NULL;                 /* now owned by libmicrohttpd */
        if (r->resp.content_type)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp.content_type);
    }
    for (size_t i = 0; i < r->resp.n_headers; i++)
        MHD_add_response_header(mr, r->resp.headers[i].name, r->resp.headers[i].value);
    if (!add_common_headers(r, mr)) {
        MHD_destroy_response(mr);
        return MHD_NO;
    }
    rc = MHD_queue_response(r->conn, (unsigned)r->resp.status, mr);
    MHD_destroy_response(mr);
    return rc;
}

static int append_body(pd_request *r, const char *data, size_t n)
{
    if (r->body_len + n > r->body_limit)
        return -1;
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + n + 1)
            cap *= 2;
        if (cap > r->body_limit + 1)
            cap = r->body_limit + 1;
        unsigned char *nb = realloc(r->body, cap);
        if (nb == NULL)
            return -1;
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return 0;
}

int server_add_hook(struct pd_server *srv, const pd_hook *h)
{
    size_t n = atomic_load(&srv->n_hooks);

    if (n >= HTTP_MAX_HOOKS)
        return -1;
    srv->hooks[n] = h;
    atomic_store(&srv->n_hooks, n + 1);       /* readers see the slot filled */
    return 0;
}

/* The before-hooks, in order, until one does not let the request go on. */
static pd_hook_verdict run_before_hooks(struct pd_server *srv, pd_request *r)
{
    size_t n = atomic_load(&srv->n_hooks);

    for (size_t i = 0; i < n; i++) {
        pd_hook_verdict v = srv->hooks[i]->before ? srv->hooks[i]->before(srv->hooks[i]->ctx, srv, r)
                                                  : HOOK_CONTINUE;
        if (v != HOOK_CONTINUE)
            return v;
    }
    return HOOK_CONTINUE;
}

/* The after-hooks: the answer is queued (or the connection is being dropped). */
static void run_after_hooks(struct pd_server *srv, const pd_request *r)
{
    for (size_t i = 0, n = atomic_load(&srv->n_hooks); i < n; i++)
        if (srv->hooks[i]->after)
            srv->hooks[i]->after(srv->hooks[i]->ctx, r, time_mono_ns() - r->t0_ns);
}

static enum MHD_Result queue_and_tell(struct pd_server *srv, pd_request *r)
{
    enum MHD_Result rc = queue(r);

    run_after_hooks(srv, r);
    return rc;
}

/* Runs a step of r's handling (its route, or its API's before_queue) with
 * what a handler may need around it, on the connection's worker or on the
 * write queue's thread (writeq.h; the state below is per thread).  Returns
 * the step's verdict, false when the database was unreachable (answered). */
static bool guarded(struct pd_server *srv, pd_request *r, bool (*step)(pd_server *, pd_request *))
{
    /* a handler may read the key ring (server_keys): count it, so a
     * replaced ring is freed only when no handler runs */
    atomic_fetch_add(&srv->ring_readers, 1);
    log_set_trace(r->trace);                /* audit lines below the HTTP layer (sign-ins) */
    (void)pd_db_take_unreachable();
    bool go_on = step(srv, r);
    if (pd_db_take_unreachable() && r->resp.status != 503) {
        answer_unreachable(r);
        go_on = false;
    }
    log_set_trace(NULL);
    atomic_fetch_sub(&srv->ring_readers, 1);
    return go_on;
}

static bool route_step(pd_server *srv, pd_request *r)
{
    r->route->fn(srv, r);
    return false;
}

/* Runs r's route (writeq_run_fn). */
static void run_route(struct pd_server *srv, pd_request *r)
{
    (void)guarded(srv, r, route_step);
}

/* r's route runs on the write queue's thread: what its API does first runs
 * here (before_queue), then the connection is suspended and r queued.
 * False: answered already, or the queue is not taking requests (r then
 * runs here). */
static bool park(struct pd_server *srv, pd_request *r)
{
    if ((r->route->flags & ROUTE_LANE) == 0 || srv->wq == NULL ||
        !pd_store_queues_writes(server_store(srv)))
        return false;
    if (r->api != NULL && r->api->before_queue != NULL && !guarded(srv, r, r->api->before_queue))
        return false;                       /* answered */
    r->parked = true;                       /* before the queue's thread can see r */
    if (!writeq_park(srv->wq, r))
        r->parked = false;
    return r->parked;
}

/* Queues r's answer.  A stopping server still answers what reached it over
 * a connection it had accepted (a load balancer's kept-alive one) and then
 * closes that connection: a request is never refused for the stop alone,
 * and the balancer sends the next one to another node. */
static enum MHD_Result answer(struct pd_server *srv, pd_request *r)
{
    if (atomic_load(&srv->stopping))
        resp_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    return queue_and_tell(srv, r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct pd_server *srv = cls;
    pd_request *r = *con_cls;

    if (r == NULL)
        return MHD_NO;                     /* on_uri ran out of memory */
    if (!r->started) {
        const char *cl;
        int64_t declared;

        request_start(srv, r, url, method, version);
        if (r->body_limit == 0)
            r->body_limit = LIM_BODY_DEFAULT;
        atomic_fetch_add(&srv->inflight, 1);
        if (r->close_after && r->early != PD_OK) {
            /* malformed framing: answer now and close, reading nothing more */
            answer_error(r, r->early);
            return queue_and_tell(srv, r);
        }
        cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (r->early == PD_OK && r->api != NULL && r->api->admit != NULL &&
            (r->early = r->api->admit(r)) != PD_OK) {
            /* refused before its body: the body is dropped, never kept */
            const char *expect = req_header(r, MHD_HTTP_HEADER_EXPECT);
            if ((expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
                (cl != NULL && (str_to_i64(cl, 0, INT64_MAX, &declared) != 0 ||
                                (uint64_t)declared > LIM_BODY_DRAIN_MAX))) {
                answer_error(r, r->early);
                return queue_and_tell(srv, r);
            }
        }
        if (r->early == PD_OK && cl != NULL &&
            (str_to_i64(cl, 0, INT64_MAX, &declared) != 0 || (uint64_t)declared > r->body_limit)) {
            const char *expect = req_header(r, MHD_HTTP_HEADER_EXPECT);
            r->early = PD_ERR_BODY_TOO_LARGE;
            /* A client that waits for "100 Continue" has sent nothing yet:
             * refuse at once.  One that is already sending would see a reset
             * if we closed now, so its body is read and dropped (up to
             * LIM_BODY_DRAIN_MAX) and the 413 comes after it. */
            if ((expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
                (uint64_t)declared > LIM_BODY_DRAIN_MAX) {
                answer_error(r, r->early);
                return queue_and_tell(srv, r);
            }
        }
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->early == PD_OK && append_body(r, upload_data, n) != 0)
            r->early = PD_ERR_BODY_TOO_LARGE;
        if (r->early != PD_OK) {
            r->discarded += n;
            if (r->discarded > LIM_BODY_DRAIN_MAX)
                return MHD_NO;                 /* give up: cut the connection */
        }
        return MHD_YES;
    }

    if (r->parked) {                       /* resumed: its route ran on the write queue */
        r->parked = false;
        return answer(srv, r);
    }
    if (r->resp.set)                       /* already queued (413 above) */
        return MHD_YES;
    conn_guard_busy(conn);                 /* the body is in: the next move is ours */
    if (r->early != PD_OK) {
        answer_error(r, r->early);
        return answer(srv, r);
    }
    log_set_trace(r->trace);                /* a hook's log lines */
    pd_hook_verdict v = run_before_hooks(srv, r);
    log_set_trace(NULL);
    if (v == HOOK_DROP) {
        run_after_hooks(srv, r);
        return MHD_NO;                     /* libmicrohttpd closes the connection */
    }
    if (v == HOOK_CONTINUE) {
        /* a route that writes through the lane runs on the write queue's
         * thread while this worker serves its other connections */
        if (park(srv, r))
            return MHD_YES;
        if (!r->resp.set)
            run_route(srv, r);
    }
    return answer(srv, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct pd_server *srv = cls;
    pd_request *r = *con_cls;
    char remote[INET6_ADDRSTRLEN] = "-";

    if (r == NULL)
        return;
    if (!r->started) {                     /* the client left before its headers were in */
        request_free(r);
        *con_cls = NULL;
        return;
    }
    uint64_t now = time_mono_ns();
    conn_guard_idle(conn, (int64_t)now);   /* answered: the next request is due within the idle timeout */
    metrics_request_done(srv, r, now - r->t0_ns);
    audit_request_done(srv, r);
    if (log_get_level() <= LOG_INFO) {
        req_client_addr(r, srv->cfg->trusted_proxies, remote, sizeof(remote));
        log_request(r->method, r->route ? r->route->name : "-",
                    r->resp.set ? r->resp.status : 0,
                    (double)(now - r->t0_ns) / 1e6,
                    r->authenticated ? (r->caller.sub[0] ? r->caller.sub : r->caller.cid) : NULL,
                    remote, r->trace);
    }
    request_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_msg(LOG_WARN, "http", "%s", msg);
}

static int bind_address(const pd_config *cfg, int64_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

    if (inet_pton(AF_INET, cfg->listen, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, cfg->listen, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        return AF_INET6;
    }
    return -1;
}

/* Starts one daemon on port (TLS when tls != NULL); fills *bound. */
static struct MHD_Daemon *start_daemon(struct pd_server *srv, int64_t port,
                                       const tls_material *tls, uint16_t *bound, conn_guard *guard)
{
    const pd_config *cfg = srv->cfg;
    struct sockaddr_storage ss;
    struct MHD_Daemon *d;
    unsigned flags, threads;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int fam;

    cfg = srv->cfg;
    fam = bind_address(cfg, port, &ss);
    if (fam < 0) {
        log_msg(LOG_ERROR, "http", "bad listen address %s", cfg->listen);
        return NULL;
    }
    threads = cfg->threads > 0 ? (unsigned)cfg->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
    flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_USE_ITC |
            MHD_ALLOW_SUSPEND_RESUME;
    if (fam == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls != NULL)
        flags |= MHD_USE_TLS;
    d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_access, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,     /* first, so it catches everything */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIM_HTTP_CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_CONNECTION, conn_guard_notify, guard,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls ? tls->cert_pem : NULL,
        MHD_OPTION_HTTPS_MEM_KEY, tls ? tls->key_pem : NULL,
        MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0",
        MHD_OPTION_END);
    if (d == NULL) {
        log_msg(LOG_ERROR, "http", "cannot listen on %s port %lld%s", cfg->listen,
                (long long)port, tls ? " (TLS)" : "");
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound = di ? di->port : (uint16_t)port;
    return d;
}

static void format_url(char *buf, size_t len, const char *scheme, const char *host, uint16_t port)
{
    if (strchr(host, ':'))
        snprintf(buf, len, "%s://[%s]:%u", scheme, host, port);
    else
        snprintf(buf, len, "%s://%s:%u", scheme, host, port);
}

/* Once a second: cut the connections whose client is past its deadline
 * (conn_guard.h), and say so in one line per sweep that cut any. */
static void *sweeper_main(void *arg)
{
    struct pd_server *srv = arg;
    const struct timespec tick = { 0, 100 * 1000 * 1000 };

    for (unsigned t = 1; !atomic_load(&srv->stopping); t++) {
        nanosleep(&tick, NULL);
        if (t % 10 != 0)
            continue;
        int64_t now = (int64_t)time_mono_ns();
        unsigned n = (srv->guard ? conn_guard_sweep(srv->guard, now) : 0) +
                     (srv->tls_guard ? conn_guard_sweep(srv->tls_guard, now) : 0);
        if (n > 0)
            log_msg(LOG_WARN, "http", "closed %u connection(s) too slow to send their request "
                    "(limits: %d s to the first request, %d s for headers, %d s for a body, "
                    "the idle timeout between requests)", n, LIM_HTTP_FIRST_REQUEST_S,
                    LIM_HTTP_HEADERS_S, LIM_HTTP_BODY_S);
    }
    return NULL;
}

struct pd_server *server_start(const pd_config *cfg, const pd_router *router)
{
    struct pd_server *srv = calloc(1, sizeof(*srv));
    tls_material tls = {0};
    pd_store *s = NULL;
    char err[512];
    int from = 0, to = 0;

    if (srv == NULL)
        return NULL;
    srv->cfg = cfg;
    srv->router = router;
    if (pthread_key_create(&srv->store_key, store_destroy) != 0)
        goto fail_nokey;

    /* one connection for start-up work: schema and keys */
    s = cfg->create || cfg->demo ? pd_store_open(cfg->db, err, sizeof(err))
                                 : pd_store_open_existing(cfg->db, err, sizeof(err));
    if (s == NULL) {
        char shown[512];
        log_msg(LOG_ERROR, "store", "cannot open %s: %s",
                pd_store_url_redacted(cfg->db, shown, sizeof shown), err);
        goto fail;
    }
    if (s->ops->migrate(s, &from, &to) != PD_OK) {
        log_msg(LOG_ERROR, "store", "migration failed: %s", pd_store_last_error(s));
        goto fail;
    }
    if (from != to)
        log_msg(LOG_INFO, "store", "schema migrated from %d to %d", from, to);
    srv->keyring = calloc(1, sizeof(token_keyring));
    if (srv->keyring == NULL || token_keyring_load(s, srv->keyring) != PD_OK) {
        log_msg(LOG_ERROR, "token", "cannot load signing keys");
        goto fail;
    }
    srv->limiter = rate_limiter_new(cfg);
    if (srv->limiter == NULL || rl_start(srv->limiter, cfg->db) != 0) {
        log_msg(LOG_ERROR, "ratelimit", "cannot start the rate-limit counters");
        goto fail;
    }
    /* keep this connection for the main thread (and, for :memory:, the data) */
    pthread_setspecific(srv->store_key, s);
    s = NULL;
    srv->wq = writeq_start(srv, run_route, answer_unwritten, answer_unrun);
    if (srv->wq == NULL)
        log_msg(LOG_WARN, "http", "cannot start the write queue: writing requests wait for "
                "the write lane on their workers");

    if (cfg->port >= 0) {
        srv->guard = conn_guard_new((unsigned)cfg->max_connections, (int)cfg->timeout_s);
        if (srv->guard == NULL)
            goto fail;
        srv->daemon = start_daemon(srv, cfg->port, NULL, &srv->port, srv->guard);
        if (srv->daemon == NULL)
            goto fail;
        format_url(srv->http_url, sizeof(srv->http_url), "http", cfg->listen, srv->port);
    }
    if (cfg->https_port >= 0) {
        if (tls_material_load(cfg->tls_cert, cfg->tls_key, cfg->data_dir, &tls, err, sizeof(err)) != 0) {
            log_msg(LOG_ERROR, "tls", "%s", err);
            goto fail;
        }
        str_copy(srv->tls_cert_path, sizeof(srv->tls_cert_path), tls.cert_path);
        srv->tls_guard = conn_guard_new((unsigned)cfg->max_connections, (int)cfg->timeout_s);
        srv->tls_daemon = srv->tls_guard == NULL ? NULL
                          : start_daemon(srv, cfg->https_port, &tls, &srv->tls_port, srv->tls_guard);
        tls_material_free(&tls);             /* libmicrohttpd keeps its own copy */
        if (srv->tls_daemon == NULL)
            goto fail;
        format_url(srv->https_url, sizeof(srv->https_url), "https", cfg->listen, srv->tls_port);
    }
    if (pthread_create(&srv->sweeper, NULL, sweeper_main, srv) != 0) {
        log_msg(LOG_ERROR, "http", "cannot start the connection sweeper");
        goto fail;
    }
    srv->sweeper_running = true;
    if (cfg->public_url[0])
        str_copy(srv->public_url, sizeof(srv->public_url), cfg->public_url);
    else
        str_copy(srv->public_url, sizeof(srv->public_url),
                 srv->https_url[0] ? srv->https_url : srv->http_url);
    return srv;
fail:
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (srv->tls_daemon)
        MHD_stop_daemon(srv->tls_daemon);
    writeq_free(srv->wq);
    conn_guard_free(srv->guard);
    conn_guard_free(srv->tls_guard);
    pd_store_close(s);
    s = pthread_getspecific(srv->store_key);
    pd_store_close(s);
    pthread_setspecific(srv->store_key, NULL);
    pthread_key_delete(srv->store_key);
fail_nokey:
    rl_free(srv->limiter);
    ring_free(srv->keyring);
    free(srv);
    return NULL;
}

const token_keyring *server_keys(const struct pd_server *srv)
{
    return atomic_load(&srv->keyring);
}

/* Frees every replaced ring when no handler runs now: a handler that read
 * one of them counted itself in ring_readers before reading, and each was
 * replaced before this moment, so a zero here means none is in use. */
static void reclaim_rings(struct pd_server *srv)
{
    retired_ring *list = srv->retired;

    if (list == NULL || atomic_load(&srv->ring_readers) != 0)
        return;
    srv->retired = NULL;
    while (list != NULL) {
        retired_ring *next = list->next;
        ring_free(list->kr);
        free(list);
        list = next;
    }
}

static int reload_failed(struct pd_server *srv, token_keyring *next, const char *why)
{
    ring_free(next);
    atomic_store(&srv->keys_stale, true);
    log_msg(LOG_ERROR, "token", "cannot reload the signing keys (%s); still verifying with the %zu "
            "key(s) loaded before, retired keys included; /healthz reports degraded", why,
            atomic_load(&srv->keyring)->n);
    return -1;
}

int server_reload_keys(struct pd_server *srv)
{
    pd_store *s = server_store(srv);
    token_keyring *cur = atomic_load(&srv->keyring), *next;
    retired_ring *node;
    bool same;

    reclaim_rings(srv);
    if (s == NULL)
        return reload_failed(srv, NULL, "no database connection");
    next = calloc(1, sizeof(*next));
    node = calloc(1, sizeof(*node));
    if (next == NULL || node == NULL) {
        free(node);
        return reload_failed(srv, next, "out of memory");
    }
    if (token_keyring_load(s, next) != PD_OK) {
        free(node);
        return reload_failed(srv, next, pd_store_last_error(s)[0] ? pd_store_last_error(s) : "store error");
    }
    atomic_store(&srv->keys_stale, false);
    same = next->n == cur->n;
    for (size_t i = 0; same && i < next->n; i++)
        same = strcmp(next->keys[i].kid, cur->keys[i].kid) == 0;
    if (same) {
        ring_free(next);
        free(node);
        return 0;
    }
    /* handlers may still be reading the old ring: retire it, free it later */
    atomic_store(&srv->keyring, next);
    node->kr = cur;
    node->next = srv->retired;
    srv->retired = node;
    log_msg(LOG_INFO, "token", "signing keys reloaded: %zu key(s), signing with %s", next->n, next->keys[0].kid);
    return 1;
}

/* Waits up to ms milliseconds, counted on the clock (on a loaded host a
 * 10 ms sleep can take much longer), for no request to be in flight;
 * false when some still are. */
static bool wait_idle(struct pd_server *srv, int ms)
{
    const struct timespec tick = { 0, 10 * 1000 * 1000 };
    const uint64_t t0 = time_mono_ns(), limit = (uint64_t)(ms > 0 ? ms : 0) * 1000000u;

    while (atomic_load(&srv->inflight) > 0) {
        if (time_mono_ns() - t0 >= limit)
            return false;
        nanosleep(&tick, NULL);
    }
    return true;
}

void server_stop(struct pd_server *srv, int grace_ms)
{
    pd_store *s;

    if (srv == NULL)
        return;
    atomic_store(&srv->stopping, true);
    if (srv->daemon)
        MHD_quiesce_daemon(srv->daemon);     /* no new connections */
    if (srv->tls_daemon)
        MHD_quiesce_daemon(srv->tls_daemon);
    bool grace_out = !wait_idle(srv, grace_ms);
    /* what is parked runs and is resumed (later requests run on their
     * workers) - unless the grace ran out: then what has not begun is
     * answered 503 unrun, so a locked database (each request waiting out
     * the busy timeout in turn) cannot hold the stop; libmicrohttpd must
     * not stop with a connection suspended, and the resumed ones get a
     * moment to send their answers */
    if (grace_out)
        writeq_abandon(srv->wq);
    writeq_stop(srv->wq);
    wait_idle(srv, LIM_STOP_FLUSH_MS);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);        /* joins workers: their stores close */
    if (srv->tls_daemon)
        MHD_stop_daemon(srv->tls_daemon);
    writeq_free(srv->wq);
    if (srv->sweeper_running)
        pthread_join(srv->sweeper, NULL);    /* it sees `stopping` within 100 ms */
    conn_guard_free(srv->guard);
    conn_guard_free(srv->tls_guard);
    s = pthread_getspecific(srv->store_key);
    pd_store_close(s);
    pthread_setspecific(srv->store_key, NULL);
    pthread_key_delete(srv->store_key);

    rl_free(srv->limiter);                   /* a last sync, then the counters go */

    /* the daemons are stopped: no handler runs, every ring can go */
    reclaim_rings(srv);
    ring_free(srv->keyring);
    free(srv);
}

bool server_request_https(const struct pd_server *srv, const pd_request *req)
{
    const union MHD_ConnectionInfo *ci = req->conn == NULL ? NULL :
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const char *pub = srv->cfg->public_url;

    return (ci != NULL && ci->tls_session != NULL) ||
           (pub != NULL && strncasecmp(pub, "https://", 8) == 0);
}
