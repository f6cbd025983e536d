/*
 * import_twin.c - the import's second decoder thread (see import_twin.h).
 *
 * One mutex and one condition variable guard the slot states: FREE (the
 * caller's, being filled), POSTED (may be taken), TAKEN (running on one
 * thread), DONE (ran; result kept until import_twin_wait).  Posting order
 * is kept in seq[], so both threads take the oldest posted job first.
 * The struct is malloc'd by import_twin_start and freed by
 * import_twin_stop; the twin allocates nothing else but its arena.
 */
#include "cli/import_twin.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "cli/import_arena.h"

enum { FREE, POSTED, TAKEN, DONE };

struct import_twin {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool ready, ok, stop;
    import_twin_fn fn;
    void *job[IMPORT_TWIN_SLOTS];
    int state[IMPORT_TWIN_SLOTS];
    int rc[IMPORT_TWIN_SLOTS];
    uint64_t seq[IMPORT_TWIN_SLOTS];    /* when posted: the oldest is taken first */
    uint64_t posted;
};

/* The oldest POSTED slot, or -1.  Under mu. */
static int oldest_posted(const import_twin *t)
{
    int best = -1;

    for (int k = 0; k < IMPORT_TWIN_SLOTS; k++)
        if (t->state[k] == POSTED && (best < 0 || t->seq[k] < t->seq[best]))
            best = k;
    return best;
}

/* Runs job k (TAKEN by this thread), mu held on entry and exit. */
static void run_job(import_twin *t, int k)
{
    pthread_mutex_unlock(&t->mu);
    int rc = t->fn(t->job[k]);
    pthread_mutex_lock(&t->mu);
    t->rc[k] = rc;
    t->state[k] = DONE;
    pthread_cond_broadcast(&t->cv);
}

static void *twin_main(void *arg)
{
    import_twin *t = arg;
    bool ok = import_arena_join();

    pthread_mutex_lock(&t->mu);
    t->ready = true;
    t->ok = ok;
    pthread_cond_broadcast(&t->cv);
    while (ok) {
        int k = -1;
        while (!t->stop && (k = oldest_posted(t)) < 0)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->stop)
            break;
        t->state[k] = TAKEN;
        run_job(t, k);
    }
    pthread_mutex_unlock(&t->mu);
    if (ok)
        import_arena_leave();
    return NULL;
}

static void twin_free(import_twin *t)
{
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

import_twin *import_twin_start(import_twin_fn fn, void *const jobs[IMPORT_TWIN_SLOTS])
{
    import_twin *t = calloc(1, sizeof *t);

    if (t == NULL)
        return NULL;
    t->fn = fn;
    for (int k = 0; k < IMPORT_TWIN_SLOTS; k++)
        t->job[k] = jobs[k];
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->thread, NULL, twin_main, t) != 0) {
        twin_free(t);
        return NULL;
    }
    pthread_mutex_lock(&t->mu);
    while (!t->ready)
        pthread_cond_wait(&t->cv, &t->mu);
    bool ok = t->ok;
    pthread_mutex_unlock(&t->mu);
    if (!ok) {
        pthread_join(t->thread, NULL);  /* it has left: no arena */
        twin_free(t);
        return NULL;
    }
    return t;
}

void import_twin_post(import_twin *t, size_t k)
{
    pthread_mutex_lock(&t->mu);
    t->state[k] = POSTED;
    t->seq[k] = t->posted++;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

bool import_twin_help(import_twin *t)
{
    pthread_mutex_lock(&t->mu);
    int k = oldest_posted(t);
    if (k >= 0) {
        t->state[k] = TAKEN;
        run_job(t, k);
    }
    pthread_mutex_unlock(&t->mu);
    return k >= 0;
}

bool import_twin_ran(import_twin *t, size_t k)
{
    pthread_mutex_lock(&t->mu);
    bool done = t->state[k] == DONE;
    pthread_mutex_unlock(&t->mu);
    return done;
}

int import_twin_wait(import_twin *t, size_t k)
{
    pthread_mutex_lock(&t->mu);
    if (t->state[k] == POSTED) {        /* nobody took it: run it here */
        t->state[k] = TAKEN;
        run_job(t, (int)k);
    }
    while (t->state[k] == TAKEN)
        pthread_cond_wait(&t->cv, &t->mu);
    int rc = t->state[k] == DONE ? t->rc[k] : 0;
    t->state[k] = FREE;
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void import_twin_stop(import_twin *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);      /* a running job finishes first */
    twin_free(t);
}
