/*
 * conn_guard.c - see conn_guard.h.
 */
#include "http/conn_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/limits.h"

#define NS_PER_S 1000000000LL
#define NO_DEADLINE INT64_MAX

typedef struct conn_rec {
    MHD_socket fd;
    _Atomic int64_t deadline_ns;   /* NO_DEADLINE while the server owes the next move */
    _Atomic int64_t waiting_since; /* when it began waiting on its client, for shedding */
    bool cut;                      /* shut down by the guard (under the mutex) */
    struct conn_rec *prev, *next;
    struct conn_guard *guard;
} conn_rec;

struct conn_guard {
    pthread_mutex_t mu;
    conn_rec *head;                /* every open connection */
    unsigned count, max;
    int64_t idle_ns;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

conn_guard *conn_guard_new(unsigned max_connections, int idle_timeout_s)
{
    conn_guard *g = calloc(1, sizeof(*g));

    if (g == NULL)
        return NULL;
    pthread_mutex_init(&g->mu, NULL);
    g->max = max_connections;
    g->idle_ns = (int64_t)idle_timeout_s * NS_PER_S;
    return g;
}

void conn_guard_free(conn_guard *g)
{
    if (g == NULL)
        return;
    while (g->head != NULL) {             /* none left after the daemon stopped; be safe */
        conn_rec *r = g->head;
        g->head = r->next;
        free(r);
    }
    pthread_mutex_destroy(&g->mu);
    free(g);
}

/* The connection's thread writes its deadlines, the sweeper reads them:
 * each value stands alone (no other data is published through it) and a
 * value seen one sweep late only moves a cut by a sweep, so relaxed stores
 * do: a sequentially consistent one is a locked exchange, and a request
 * makes four of these. */
static void set_deadline(conn_rec *r, int64_t deadline)
{
    atomic_store_explicit(&r->deadline_ns, deadline, memory_order_relaxed);
}

static void wait_on_client(conn_rec *r, int64_t now, int64_t allowance)
{
    atomic_store_explicit(&r->waiting_since, now, memory_order_relaxed);
    set_deadline(r, now + allowance);
}

/* Under g->mu: shuts r down once (libmicrohttpd sees the end and closes it). */
static void cut(conn_rec *r)
{
    if (!r->cut) {
        r->cut = true;
        shutdown(r->fd, SHUT_RDWR);
    }
}

/* Under g->mu: the connection that has waited longest on its client (a
 * fast client, just arrived, is never the one). */
static conn_rec *longest_waiting(conn_guard *g, int64_t now)
{
    conn_rec *best = NULL;
    int64_t best_since = now;

    for (conn_rec *r = g->head; r != NULL; r = r->next) {
        int64_t since = atomic_load(&r->waiting_since);
        if (!r->cut && atomic_load(&r->deadline_ns) != NO_DEADLINE && since < best_since) {
            best = r;
            best_since = since;
        }
    }
    return best;
}

void conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
    conn_guard *g = cls;
    conn_rec *r;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        int64_t now = now_ns();
        r = calloc(1, sizeof(*r));
        *socket_context = r;
        if (r == NULL || ci == NULL) {
            free(r);
            *socket_context = NULL;
            return;                       /* unguarded; libmicrohttpd's timeout still applies */
        }
        r->fd = ci->connect_fd;
        r->guard = g;
        wait_on_client(r, now, (int64_t)LIM_HTTP_FIRST_REQUEST_S * NS_PER_S);
        pthread_mutex_lock(&g->mu);
        if ((uint64_t)g->count * 10 >= (uint64_t)g->max * 9) {
            conn_rec *victim = longest_waiting(g, now);
            if (victim != NULL)
                cut(victim);              /* room for the newcomer */
        }
        r->next = g->head;
        if (g->head != NULL)
            g->head->prev = r;
        g->head = r;
        g->count++;
        pthread_mutex_unlock(&g->mu);
        return;
    }
    r = *socket_context;
    if (r == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        g->head = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    g->count--;
    pthread_mutex_unlock(&g->mu);
    free(r);
    *socket_context = NULL;
}

static conn_rec *rec_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

void conn_guard_request_line(struct MHD_Connection *c, int64_t now)
{
    conn_rec *r = rec_of(c);
    if (r != NULL)
        wait_on_client(r, now, (int64_t)LIM_HTTP_HEADERS_S * NS_PER_S);
}

void conn_guard_headers_done(struct MHD_Connection *c, bool body_expected)
{
    conn_rec *r = rec_of(c);
    if (r == NULL)
        return;
    if (body_expected)
        wait_on_client(r, now_ns(), (int64_t)LIM_HTTP_BODY_S * NS_PER_S);
    else
        set_deadline(r, NO_DEADLINE);
}

void conn_guard_busy(struct MHD_Connection *c)
{
    conn_rec *r = rec_of(c);
    if (r != NULL)
        set_deadline(r, NO_DEADLINE);
}

void conn_guard_idle(struct MHD_Connection *c, int64_t now)
{
    conn_rec *r = rec_of(c);
    if (r != NULL)
        wait_on_client(r, now, r->guard->idle_ns);
}

unsigned conn_guard_sweep(conn_guard *g, int64_t now)
{
    unsigned n = 0;

    pthread_mutex_lock(&g->mu);
    for (conn_rec *r = g->head; r != NULL; r = r->next) {
        if (!r->cut && atomic_load(&r->deadline_ns) < now) {
            cut(r);
            n++;
        }
    }
    pthread_mutex_unlock(&g->mu);
    return n;
}

unsigned conn_guard_count(conn_guard *g)
{
    pthread_mutex_lock(&g->mu);
    unsigned n = g->count;
    pthread_mutex_unlock(&g->mu);
    return n;
}
