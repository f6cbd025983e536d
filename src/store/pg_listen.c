/*
 * pg_listen.c - the PostgreSQL change signal (store/changes.h): one thread
 * per process holds a dedicated connection (application_name
 * "profiled-listen") that LISTENs on channel profiled_changes.  Every write
 * transaction of every node notifies it (pg_wrote in store/pg.c; delivered
 * at commit), and each notification bumps this process's stamp.
 *
 * While the connection is down - not yet up, lost, killed with
 * pg_terminate_backend, or silent for longer than LIM_PG_LISTEN_TIMEOUT_MS
 * (a query is sent on the idle connection every LIM_PG_LISTEN_PING_MS) -
 * the stamp is 0, so every request validates against the database; once
 * LISTEN is back the stamp moves once (whatever happened meanwhile is
 * unknown).  Reconnects every LIM_PG_LISTEN_RETRY_MS.
 *
 * Memory: the thread owns its connection and the copy of the URL; both are
 * released by pd_pg_listen_stop (which joins the thread).
 */
#include "store/changes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "core/limits.h"
#include "core/log.h"
#include "store/pg_internal.h"

#define LISTEN_APP_NAME "profiled-listen"

static pthread_t g_thread;
static bool g_running;
static char *g_url;
static int g_wake[2] = { -1, -1 };          /* stop: a byte on the pipe */
static atomic_bool g_stop;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd (may be -1) to be readable, the stop pipe, or ms; true when
 * stop was asked. */
static bool wait_for(int fd, int ms, bool *readable)
{
    struct pollfd p[2] = { { .fd = g_wake[0], .events = POLLIN }, { .fd = fd, .events = POLLIN } };
    int n = poll(p, fd >= 0 ? 2 : 1, ms);
    if (readable != NULL)
        *readable = n > 0 && fd >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    return atomic_load(&g_stop);
}

/* A FATAL or PANIC message (pg_terminate_backend, a shutdown) reaches an
 * idle connection as a notice, before the socket's end does: the
 * connection is lost from then on. */
static atomic_bool g_fatal;

static void notice_quiet(void *arg, const PGresult *res)
{
    (void)arg;      /* the loss is logged once by the loop, as one JSON line */
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        atomic_store(&g_fatal, true);
}

static PGconn *connect_listen(void)
{
    static const char *const keys[] = {
        "dbname", "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "application_name", NULL,
    };
    const char *vals[] = {
        g_url, LIM_PG_CONNECT_TIMEOUT_S_STR, "1", LIM_PG_KEEPALIVE_IDLE_S_STR,
        LIM_PG_KEEPALIVE_INTERVAL_S_STR, LIM_PG_KEEPALIVE_COUNT_STR,
        LIM_PG_TCP_USER_TIMEOUT_MS_STR, LISTEN_APP_NAME, NULL,
    };
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    atomic_store(&g_fatal, false);
    PQsetNoticeReceiver(c, notice_quiet, NULL);
    PGresult *r = PQexec(c, "LISTEN " PG_CHANGES_CHANNEL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok || PQsetnonblocking(c, 1) != 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Reads what arrived; false when the connection is gone.  *ping_done when
 * the outstanding ping's answer is complete. */
static bool drain(PGconn *c, bool *ping_out)
{
    if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK || atomic_load(&g_fatal))
        return false;
    PGnotify *n;
    while ((n = PQnotifies(c)) != NULL) {
        pd_changes_notified();
        PQfreemem(n);
    }
    while (*ping_out && !PQisBusy(c)) {
        PGresult *r = PQgetResult(c);
        if (r == NULL) {
            *ping_out = false;
            break;
        }
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st != PGRES_TUPLES_OK)
            return false;
    }
    /* notifications can arrive with the ping's answer */
    while ((n = PQnotifies(c)) != NULL) {
        pd_changes_notified();
        PQfreemem(n);
    }
    return true;
}

/* Serves one connection until it fails or stop is asked; true on stop. */
static bool serve(PGconn *c)
{
    int64_t next_ping = mono_ms() + LIM_PG_LISTEN_PING_MS, ping_sent = 0;
    bool ping_out = false;

    pd_changes_listen_state(true, PQsocket(c));
    for (;;) {
        int64_t now = mono_ms();
        int64_t due = ping_out ? ping_sent + LIM_PG_LISTEN_TIMEOUT_MS : next_ping;
        int ms = due > now ? (int)(due - now) : 0;
        bool readable = false;
        if (wait_for(PQsocket(c), ms, &readable))
            return true;
        bool lost = false;
        if (readable) {
            pd_changes_listen_read(true);
            lost = !drain(c, &ping_out);
            if (lost)
                pd_changes_listen_state(false, -1);     /* before the read is closed */
            pd_changes_listen_read(false);
        }
        if (lost) {
            log_msg(LOG_WARN, "store", "the LISTEN connection was lost (%s); caches validate "
                    "against the database until it is back", PQerrorMessage(c));
            return false;
        }
        now = mono_ms();
        if (ping_out && now >= ping_sent + LIM_PG_LISTEN_TIMEOUT_MS) {
            log_msg(LOG_WARN, "store", "the LISTEN connection did not answer within %d ms; "
                    "reconnecting", LIM_PG_LISTEN_TIMEOUT_MS);
            return false;
        }
        if (!ping_out && now >= next_ping) {
            if (!PQsendQuery(c, "SELECT 1") || PQflush(c) < 0) {
                log_msg(LOG_WARN, "store", "the LISTEN connection was lost (%s)", PQerrorMessage(c));
                return false;
            }
            ping_out = true;
            ping_sent = now;
            next_ping = now + LIM_PG_LISTEN_PING_MS;
        }
    }
}

static void *listen_main(void *arg)
{
    (void)arg;
    bool logged_down = false;

    while (!atomic_load(&g_stop)) {
        PGconn *c = connect_listen();
        if (c == NULL) {
            pd_changes_listen_state(false, -1);
            if (!logged_down)
                log_msg(LOG_WARN, "store", "cannot LISTEN for changes; caches validate against "
                        "the database until it succeeds (retrying every %d ms)", LIM_PG_LISTEN_RETRY_MS);
            logged_down = true;
            if (wait_for(-1, LIM_PG_LISTEN_RETRY_MS, NULL))
                break;
            continue;
        }
        if (logged_down)
            log_msg(LOG_INFO, "store", "LISTEN for changes is back");
        logged_down = false;
        bool stop = serve(c);
        pd_changes_listen_state(false, -1);     /* before anything else: no stale trust */
        PQfinish(c);
        logged_down = true;
        if (stop || wait_for(-1, 0, NULL))
            break;
    }
    pd_changes_listen_state(false, -1);
    return NULL;
}

bool pd_pg_listen_start(const char *url)
{
    if (g_running)
        return true;
    g_url = strdup(url);
    if (g_url == NULL || pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(g_url);
        g_url = NULL;
        return false;
    }
    atomic_store(&g_stop, false);
    if (pthread_create(&g_thread, NULL, listen_main, NULL) != 0) {
        close(g_wake[0]);
        close(g_wake[1]);
        g_wake[0] = g_wake[1] = -1;
        free(g_url);
        g_url = NULL;
        return false;
    }
    g_running = true;
    return true;
}

void pd_pg_listen_stop(void)
{
    if (!g_running)
        return;
    atomic_store(&g_stop, true);
    ssize_t w = write(g_wake[1], "x", 1);
    (void)w;
    pthread_join(g_thread, NULL);
    close(g_wake[0]);
    close(g_wake[1]);
    g_wake[0] = g_wake[1] = -1;
    free(g_url);
    g_url = NULL;
    g_running = false;
}
