/*
 * import_twin.h - a second decoder for the import command.
 *
 * Decoding, validating and encoding a user record costs more CPU than
 * writing it, so with one decoding thread the import of users runs at the
 * speed of that thread while the writer (import_pipe.h) waits.  The twin
 * is a thread that, together with the main thread, works through a ring
 * of jobs (batches of records) that the main thread fills in file order:
 *
 *   main:  fill job k, import_twin_post(k); hand on the results of the
 *          oldest jobs that have run (import_twin_ran, import_twin_wait);
 *          when the ring is full, import_twin_help() (run a posted job
 *          itself), then import_twin_wait(oldest).
 *   twin:  takes posted jobs oldest first and runs fn on each.
 *
 * A job is run exactly once, by one of the two threads; its result (fn's
 * answer) is read with import_twin_wait().  The twin has its own jansson
 * arena (import_arena_join): what a job makes must not point into the
 * trees it decoded, which the twin resets as it goes.
 *
 * Memory: the twin owns its thread, its arena and the slot states; the
 * jobs (void *) belong to the caller.
 */
#ifndef PROFILED_IMPORT_TWIN_H
#define PROFILED_IMPORT_TWIN_H

#include <stdbool.h>
#include <stddef.h>

#define IMPORT_TWIN_SLOTS 8

typedef struct import_twin import_twin;
typedef int (*import_twin_fn)(void *job);

/* jobs: IMPORT_TWIN_SLOTS caller-owned job pointers.  After
 * import_arena_start() on the calling thread.  NULL when the thread or
 * its arena cannot be had: decode on one thread. */
import_twin *import_twin_start(import_twin_fn fn, void *const jobs[IMPORT_TWIN_SLOTS]);

/* Job k is filled: either thread may run it now. */
void import_twin_post(import_twin *t, size_t k);

/* Runs the oldest posted job that nobody has taken, on this thread: true
 * when there was one. */
bool import_twin_help(import_twin *t);

/* Whether posted job k has run (import_twin_wait will not wait). */
bool import_twin_ran(import_twin *t, size_t k);

/* Waits until posted job k has run; its fn's result.  The slot is then
 * free for the caller to fill again. */
int import_twin_wait(import_twin *t, size_t k);

/* Waits for a running job, stops the thread (its arena released) and
 * frees the twin; NULL is fine.  Before import_arena_stop(). */
void import_twin_stop(import_twin *t);

#endif
