/*
 * writeq.c - see writeq.h.
 *
 * Order: a worker suspends the connection before it queues the request, so
 * the queue's thread can only resume a connection that is suspended (a
 * resume that came first would cancel the suspend and leave the request
 * with no answer and no further call).
 */
#include "http/writeq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/audit.h"
#include "http/server.h"
#include "store/lookup_cache.h"
#include "store/versions.h"

struct writeq {
    struct pd_server *srv;
    writeq_run_fn run;
    writeq_undo_fn undo;
    writeq_unrun_fn unrun;
    atomic_bool abandon;        /* writeq_abandon: answer what has not begun */
    pthread_t thread;
    pthread_mutex_t mu;         /* guards head, tail, stop */
    pthread_cond_t work;        /* signalled when a request is queued or stop is set */
    pd_request *head, *tail;    /* queued, oldest first, through wq_next */
    bool stop;
    atomic_uint parked;         /* queued or running, not yet resumed */
};

/* Answers the requests of a group whose writes were not committed: each
 * that was going to say it had written now says nothing was. */
static void unwritten(writeq *q, pd_request *from, pd_request *to)
{
    for (pd_request *r = from; r != to; r = r->wq_next) {
        audit_drop(r);                      /* no change to tell of */
        if (r->resp.status >= 200 && r->resp.status < 300) {
            q->undo(r);
            met_inc(MET_WRITEQ_UNWRITTEN);
        }
    }
    /* what this thread remembered of those writes (the versions they made,
     * a caller's membership under its new version) is not so */
    lc_forget();
    pd_store_versions_forget();
}

/* Hands each request of the batch back to its connection's worker. */
static void resume_all(writeq *q, pd_request *batch)
{
    for (pd_request *r = batch, *next; r != NULL; r = next) {
        struct MHD_Connection *conn = r->conn;

        next = r->wq_next;
        r->wq_next = NULL;
        atomic_fetch_sub(&q->parked, 1);
        MHD_resume_connection(conn);        /* r is its worker's again from here */
    }
}

/* Runs one batch: the lane is entered once around it (the handlers use its
 * connection as this thread's own, server.h) and, where the backend can, the batch's writes share
 * one transaction and one COMMIT (group commit); every connection is
 * resumed after that COMMIT, so no answer goes out before its write is
 * durable.  A group whose transaction a request's statement rolled back
 * (or whose COMMIT failed) wrote nothing: the requests of it that had
 * succeeded are answered with the store's error, and the rest of the
 * batch goes on in a new group.  The audit lines of a group's changes are
 * held until its COMMIT (http/audit.h): written once it succeeded,
 * dropped when it did not. */
static void run_batch(writeq *q, pd_request *batch)
{
    if (atomic_load(&q->abandon)) {        /* neither the lane nor a BEGIN: they may wait */
        for (pd_request *r = batch; r != NULL; r = r->wq_next)
            q->unrun(r);
        resume_all(q, batch);
        return;
    }
    pd_store *own = server_store(q->srv);
    pd_store *held = pd_store_lane_enter(own);
    if (held != NULL && held != own)
        server_store_use(q->srv, held);     /* see server.h: one connection for the batch */
    bool can_group = held != NULL && held->ops->group_begin != NULL;
    bool grouped = can_group && held->ops->group_begin(held) == PD_OK;
    pd_request *group = batch;              /* first request of the open group */

    met_inc(MET_WRITEQ_BATCHES);
    for (pd_request *r = batch; r != NULL; r = r->wq_next) {
        if (atomic_load(&q->abandon)) {
            q->unrun(r);
            continue;
        }
        met_inc(MET_WRITEQ_REQUESTS);
        r->audit_hold = grouped;
        q->run(q->srv, r);
        if (grouped && !held->ops->group_open(held)) {
            unwritten(q, group, r);         /* r saw its own failure */
            audit_drop(r);
            held->ops->group_end(held, false);
            grouped = held->ops->group_begin(held) == PD_OK;
            group = r->wq_next;
        }
    }
    if (grouped && held->ops->group_end(held, true) != PD_OK)
        unwritten(q, group, NULL);
    for (pd_request *r = batch; r != NULL; r = r->wq_next)
        audit_release(q->srv, r);           /* what is still held was committed */
    if (held != NULL && held != own)
        server_store_use(q->srv, own);
    pd_store_lane_leave(own, held);
    resume_all(q, batch);
}

/* The batch in wq_key order, stable (requests with the same key keep their
 * arrival order): see writeq.h. */
static pd_request *in_key_order(pd_request *list)
{
    if (list == NULL || list->wq_next == NULL)
        return list;
    pd_request *slow = list, *fast = list->wq_next;
    while (fast != NULL && fast->wq_next != NULL) {
        slow = slow->wq_next;
        fast = fast->wq_next->wq_next;
    }
    pd_request *b = slow->wq_next;
    slow->wq_next = NULL;
    pd_request *a = in_key_order(list);
    b = in_key_order(b);
    pd_request *head = NULL, **tail = &head;
    while (a != NULL && b != NULL) {
        pd_request **from = strcmp(b->wq_key, a->wq_key) < 0 ? &b : &a;
        *tail = *from;
        tail = &(*from)->wq_next;
        *from = (*from)->wq_next;
    }
    *tail = a != NULL ? a : b;
    return head;
}

static void *writeq_main(void *arg)
{
    writeq *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->head == NULL && !q->stop)
            pthread_cond_wait(&q->work, &q->mu);
        if (q->head == NULL)
            break;                          /* stopping, and nothing left */
        /* at most LIM_WRITEQ_BATCH: the group holds the database's write
         * lock, which other processes wait for */
        pd_request *batch = q->head, *last = batch;
        for (unsigned n = 1; n < LIM_WRITEQ_BATCH && last->wq_next != NULL; n++)
            last = last->wq_next;
        q->head = last->wq_next;
        last->wq_next = NULL;
        if (q->head == NULL)
            q->tail = NULL;
        pthread_mutex_unlock(&q->mu);
        run_batch(q, in_key_order(batch));
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    log_flush();
    return NULL;
}

writeq *writeq_start(struct pd_server *srv, writeq_run_fn run, writeq_undo_fn undo,
                     writeq_unrun_fn unrun)
{
    writeq *q = calloc(1, sizeof *q);

    if (q == NULL)
        return NULL;
    q->srv = srv;
    q->run = run;
    q->undo = undo;
    q->unrun = unrun;
    atomic_init(&q->abandon, false);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->work, NULL);
    atomic_init(&q->parked, 0);
    if (pthread_create(&q->thread, NULL, writeq_main, q) != 0) {
        pthread_cond_destroy(&q->work);
        pthread_mutex_destroy(&q->mu);
        free(q);
        return NULL;
    }
    return q;
}

bool writeq_park(writeq *q, pd_request *r)
{
    if (q == NULL)
        return false;
    pthread_mutex_lock(&q->mu);
    if (q->stop) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    atomic_fetch_add(&q->parked, 1);
    MHD_suspend_connection(r->conn);        /* before it can be taken: see the top */
    r->wq_next = NULL;
    if (q->tail != NULL)
        q->tail->wq_next = r;
    else
        q->head = r;
    q->tail = r;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    return true;
}

unsigned writeq_parked(const writeq *q)
{
    return q == NULL ? 0 : atomic_load(&q->parked);
}

void writeq_stop(writeq *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    bool running = !q->stop;
    q->stop = true;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    if (running)
        pthread_join(q->thread, NULL);
}

void writeq_abandon(writeq *q)
{
    if (q != NULL)
        atomic_store(&q->abandon, true);
}

void writeq_free(writeq *q)
{
    if (q == NULL)
        return;
    writeq_stop(q);
    pthread_cond_destroy(&q->work);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
