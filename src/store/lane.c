/*
 * lane.c - see lane.h.
 *
 * Lock order: g_mu (the list) is never held while waiting for a lane; a
 * lane is held before the writer mutex of the backend (the lane's
 * connection begins its transactions while held), and nothing that holds
 * the writer mutex waits for a lane, so the two cannot deadlock.
 */
#include "store/lane.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/log.h"

struct pd_lane {
    pd_lane *next;
    dev_t dev;
    ino_t ino;
    char *path;                 /* owned */
    unsigned refs;              /* registered handles; under g_mu */
    pd_lane_open_fn open;
    /* Who holds the lane.  A thread that finds it free takes it, even when
     * others wait (no context switch per request: a strict queue cost a
     * third of the throughput), but only LIM_LANE_STREAK times in a row
     * while anyone waits; then the lane is handed to a waiter (with a
     * plain mutex one worker kept it for tens of milliseconds while the
     * other's clients waited: PUT p99 40 ms). */
    pthread_mutex_t mu;         /* guards the fields below; held only to take or pass the lane */
    pthread_cond_t turn;        /* signalled when the lane is free or handed over */
    bool held;
    bool handed;                /* held on behalf of a waiter, which takes it on waking */
    unsigned waiting;           /* threads waiting for the lane */
    unsigned streak;            /* takes in a row while someone waited */
    pd_store *conn;             /* the holder's: opened by the first enter, owned */
    bool failed;                /* the holder's: the open failed once (logged); not retried */
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
    pthread_cond_init(&l->turn, NULL);
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
    pthread_cond_destroy(&l->turn);
    pthread_mutex_destroy(&l->mu);
    free(l->path);
    free(l);
}

/* Takes the lane for the calling thread; under mu.  Counts a take ahead
 * of waiting threads, whoever takes it (so two threads taking turns cannot
 * starve a third). */
static void take(pd_lane *l)
{
    l->held = true;
    l->streak = l->waiting > 0 ? l->streak + 1 : 0;
}

/* Lets the next holder in. */
static void pass_on(pd_lane *l)
{
    pthread_mutex_lock(&l->mu);
    if (l->waiting > 0 && l->streak >= LIM_LANE_STREAK) {
        l->handed = true;               /* stays held: only a waiter may take it */
    } else {
        l->held = false;
    }
    if (l->waiting > 0)
        pthread_cond_signal(&l->turn);
    pthread_mutex_unlock(&l->mu);
}

pd_store *pd_lane_enter(pd_lane *l)
{
    if (l == NULL)
        return NULL;
    pthread_mutex_lock(&l->mu);
    bool handed = false;
    if (l->held) {
        /* a lane handed over goes to a thread that was already waiting
         * when it was (one woken by that signal), not to one that came
         * after */
        bool waited = false;
        l->waiting++;
        while (l->held && !(handed = l->handed && waited)) {
            pthread_cond_wait(&l->turn, &l->mu);
            waited = true;
        }
        l->waiting--;
    }
    if (handed) {                       /* held stays true: this thread's now */
        l->handed = false;
        l->streak = 0;
    } else {
        take(l);
    }
    pthread_mutex_unlock(&l->mu);
    if (l->conn == NULL && !l->failed) {
        l->conn = l->open(l->path);
        if (l->conn == NULL) {
            l->failed = true;
            log_msg(LOG_WARN, "store", "write lane: cannot open a connection to %s; writing "
                    "requests use their own connections", l->path);
        }
    }
    if (l->conn == NULL) {
        pass_on(l);
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
    pass_on(l);
}
