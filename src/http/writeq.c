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

#include <microhttpd.h>

#include "core/log.h"
#include "http/server.h"

struct writeq {
    struct pd_server *srv;
    writeq_run_fn run;
    pthread_t thread;
    pthread_mutex_t mu;         /* guards head, tail, stop */
    pthread_cond_t work;        /* signalled when a request is queued or stop is set */
    pd_request *head, *tail;    /* queued, oldest first, through wq_next */
    bool stop;
    atomic_uint parked;         /* queued or running, not yet resumed */
};

/* Runs one batch: the lane is entered once around it (the handlers enter
 * it again, nested), each connection resumed once its request ran. */
static void run_batch(writeq *q, pd_request *r)
{
    pd_store *own = server_store(q->srv);
    pd_store *held = pd_store_lane_enter(own);

    while (r != NULL) {
        pd_request *next = r->wq_next;
        struct MHD_Connection *conn = r->conn;

        r->wq_next = NULL;
        q->run(q->srv, r);
        atomic_fetch_sub(&q->parked, 1);
        MHD_resume_connection(conn);        /* r is its worker's again from here */
        r = next;
    }
    pd_store_lane_leave(own, held);
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
        pd_request *batch = q->head;
        q->head = q->tail = NULL;
        pthread_mutex_unlock(&q->mu);
        run_batch(q, batch);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    log_flush();
    return NULL;
}

writeq *writeq_start(struct pd_server *srv, writeq_run_fn run)
{
    writeq *q = calloc(1, sizeof *q);

    if (q == NULL)
        return NULL;
    q->srv = srv;
    q->run = run;
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

void writeq_free(writeq *q)
{
    if (q == NULL)
        return;
    writeq_stop(q);
    pthread_cond_destroy(&q->work);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
