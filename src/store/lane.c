/*
 * lane.c - see lane.h.
 *
 * Lock order: g_mu (the list) is never held while a lane's mu is waited
 * for; a lane's mu is taken before the writer mutex of the backend (the
 * lane's connection begins its transactions inside it), and nothing that
 * holds the writer mutex waits for a lane, so the two cannot deadlock.
 */
#include "store/lane.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct pd_lane {
    pd_lane *next;
    dev_t dev;
    ino_t ino;
    char *path;                 /* owned */
    unsigned refs;              /* registered handles; under g_mu */
    pd_lane_open_fn open;
    pthread_mutex_t mu;         /* held from pd_lane_enter to pd_lane_leave */
    pd_store *conn;             /* under mu: opened by the first enter, owned */
    bool failed;                /* under mu: the open failed once (logged); not retried */
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pd_lane *g_lanes;

pd_lane *pd_lane_get(dev_t dev, ino_t ino, const char *path, pd_lane_open_fn open)
{
    pd_lane *l;

    if (path == NULL || open == NULL)
        return NULL;
    pthread_mutex_lock(&g_mu);
    for (l = g_lanes; l != NULL; l = l->next)
        if (l->dev == dev && l->ino == ino)
            break;
    if (l != NULL) {
        l->refs++;
        pthread_mutex_unlock(&g_mu);
        return l;
    }
    l = calloc(1, sizeof *l);
    if (l == NULL || (l->path = strdup(path)) == NULL) {
        free(l);
        pthread_mutex_unlock(&g_mu);
        return NULL;
    }
    l->dev = dev;
    l->ino = ino;
    l->open = open;
    l->refs = 1;
    pthread_mutex_init(&l->mu, NULL);
    l->next = g_lanes;
    g_lanes = l;
    pthread_mutex_unlock(&g_mu);
    return l;
}

void pd_lane_put(pd_lane *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&g_mu);
    if (--l->refs > 0) {
        pthread_mutex_unlock(&g_mu);
        return;
    }
    for (pd_lane **pp = &g_lanes; *pp != NULL; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    pthread_mutex_unlock(&g_mu);
    /* no handle is left to enter it: nobody holds mu */
    pd_store_close(l->conn);
    pthread_mutex_destroy(&l->mu);
    free(l->path);
    free(l);
}

pd_store *pd_lane_enter(pd_lane *l)
{
    if (l == NULL)
        return NULL;
    pthread_mutex_lock(&l->mu);
    if (l->conn == NULL && !l->failed) {
        l->conn = l->open(l->path);
        if (l->conn == NULL) {
            l->failed = true;
            log_msg(LOG_WARN, "store", "write lane: cannot open a connection to %s; writing "
                    "requests use their own connections", l->path);
        }
    }
    if (l->conn == NULL) {
        pthread_mutex_unlock(&l->mu);
        return NULL;
    }
    return l->conn;
}

void pd_lane_leave(pd_lane *l)
{
    if (l == NULL)
        return;
    if (l->conn != NULL)
        l->conn->ops->rollback(l->conn);    /* a no-op unless a transaction was left open */
    pthread_mutex_unlock(&l->mu);
}
