/*
 * thread_table.h - one zero-initialised heap block per thread, owned by a
 * pthread key whose destructor frees it when the thread exits (the
 * per-thread caches use this).  The caller creates the key once
 * (pthread_once) with its own destructor.
 */
#ifndef PROFILED_THREAD_TABLE_H
#define PROFILED_THREAD_TABLE_H

#include <pthread.h>
#include <stdlib.h>

/* This thread's block for key, allocated (calloc(1, size)) on first use;
 * NULL when out of memory. */
static inline void *thread_table_get(pthread_key_t key, size_t size)
{
    void *t = pthread_getspecific(key);

    if (t == NULL) {
        t = calloc(1, size);
        if (t != NULL && pthread_setspecific(key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

#endif
