/*
 * server.h - the running server: configuration, signing keys, the HTTP
 * daemon, and per-thread store connections.
 *
 * Memory: server_start() allocates the pd_server; server_stop() frees it
 * with everything it owns.  The pd_config and the pd_router passed in are
 * borrowed and must outlive the server.
 */
#ifndef PROFILED_SERVER_H
#define PROFILED_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"
#include "auth/token.h"
#include "http/conn_guard.h"
#include "http/http.h"
#include "http/hooks.h"

/* A key ring replaced by a reload, waiting until no handler can still hold it. */
typedef struct retired_ring {
    token_keyring *kr;
    struct retired_ring *next;
} retired_ring;

struct pd_server {
    const pd_config *cfg;
    const pd_router *router;         /* the APIs served (cli/routes.c) */
    token_keyring *_Atomic keyring;  /* current key ring: read with server_keys() */
    retired_ring *retired;           /* replaced rings: freed by the main thread once it
                                        sees no handler running (ring_readers == 0)
                                        after their replacement */
    atomic_int ring_readers;         /* handlers running now (they may hold a ring) */
    atomic_bool keys_stale;          /* the last reload failed: /healthz is degraded */
    struct MHD_Daemon *daemon;       /* plain HTTP, NULL when off */
    struct MHD_Daemon *tls_daemon;   /* HTTPS, NULL when off      */
    conn_guard *guard, *tls_guard;   /* slow-client deadlines per daemon (conn_guard.h) */
    pthread_t sweeper;               /* cuts connections past their deadline, every second */
    bool sweeper_running;
    uint16_t tls_port;
    char http_url[128], https_url[128];
    char tls_cert_path[512];         /* certificate in use (for NODE_EXTRA_CA_CERTS) */
    pthread_key_t store_key;     /* per-thread pd_store *, closed at thread exit */
    atomic_int inflight;         /* requests between first call and completion */
    atomic_bool stopping;
    uint16_t port;               /* bound port */
    char public_url[256];        /* origin clients use: --public-url, else https_url, else http_url */
    rl_table *limiter;           /* rate-limit counters (http/rate.h), synced by their own thread */
    const pd_hook *hooks[HTTP_MAX_HOOKS]; /* around every routed request (hooks.h) */
    atomic_size_t n_hooks;       /* published after the slot is filled */
    struct writeq *wq;           /* runs ROUTE_LANE routes (http/writeq.h); NULL: on the workers */
};

/* Opens the database once (migrate, keys), then starts the daemon serving
 * the APIs of router.  NULL on failure (reason logged). */
struct pd_server *server_start(const pd_config *cfg, const pd_router *router);
/* The signing keys in force (never NULL while the server runs); valid for
 * the rest of the handler that asked.  A reload swaps in a new ring; the old
 * one is freed once no handler that could have read it is still running. */
const token_keyring *server_keys(const struct pd_server *srv);
/* Re-reads the signing keys from the database (main thread only): 1 when
 * they changed, 0 when not, -1 on error (logged at error; /healthz answers
 * 503 "degraded" until a reload succeeds).  Also frees replaced rings that
 * no handler can hold any more. */
int server_reload_keys(struct pd_server *srv);

/* The request reached us over TLS: on the HTTPS listener, or public-url
 * starts with https:// (TLS ended at a proxy in front of the plain
 * listener).  The OAuth and profile pages are served only then. */
bool server_request_https(const struct pd_server *srv, const pd_request *req);

/* This thread's store connection (opened on first use); NULL on failure. */
pd_store *server_store(struct pd_server *srv);
/* Makes s (borrowed) this thread's store connection and returns the one it
 * replaces (opened now if there was none), which the caller puts back
 * before the thread ends.  The write queue's thread runs its batch with the
 * write lane's connection as its own, so everything its handlers do with
 * the database is on that connection and inside the batch's transaction
 * (a second connection of the same thread would wait for the write lock
 * the batch holds: a deadlock). */
pd_store *server_store_use(struct pd_server *srv, pd_store *s);
/* Stops accepting, lets in-flight requests finish (up to grace_ms), stops. */
void server_stop(struct pd_server *srv, int grace_ms);

#endif
