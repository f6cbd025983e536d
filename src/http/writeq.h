/*
 * writeq.h - the write queue: requests whose route does its database work on
 * the write lane (ROUTE_LANE, e.g. PUT profile) are run, in arrival order,
 * by one thread that holds the lane across a batch of them.
 *
 * Why: with two or more worker threads every writing request waited for the
 * lane in turn, and each wait put a worker to sleep and woke it again (1.5
 * context switches and 2.9 futex calls per PUT at 64 connections on 2
 * cores: 100 us of server CPU per PUT against 60 us with one worker).  Now
 * a worker that meets such a request suspends its connection
 * (libmicrohttpd's suspend/resume), queues it and goes on serving its other
 * connections; the queue's thread takes everything queued, enters the lane
 * once, runs each request's handler with the lane's connection as the
 * thread's own (server_store_use: the handler's own enter of the lane is
 * then that connection's no-op), and resumes each connection, whose worker then sends the
 * answer.  A batch shares one lane entry, one wake-up of each thread and,
 * where the backend offers it (store.h, group_begin), one write
 * transaction and its COMMIT: the connections are resumed after it.
 *
 * A batch runs in the order of its requests' wq_key (the row each one's
 * write will lock; arrival order among equal keys).  With PostgreSQL a
 * group holds the row locks of its writes until its COMMIT, and another
 * node's group may be taking the same rows: taken in one order, two groups
 * wait for each other but never deadlock.
 *
 * The queue is used when the database has a lane (SQLite files) or group
 * commit (PostgreSQL, whose batches run on the queue thread's own
 * connection: pd_store_queues_writes); otherwise (SQLite in memory), and
 * once the queue has stopped, the handler runs on the worker as before.
 *
 * Memory and threads: the queue owns its thread and nothing else; a parked
 * request stays owned by its connection (it cannot complete while
 * suspended), and the queue's thread touches it only between taking it and
 * resuming its connection.  server_stop stops the queue (which first runs
 * what is queued, or answers it unrun once the grace has run out:
 * writeq_abandon) while the workers still run, then the daemons, then
 * frees it.
 */
#ifndef PROFILED_HTTP_WRITEQ_H
#define PROFILED_HTTP_WRITEQ_H

#include <stdbool.h>

#include "http/http.h"

typedef struct writeq writeq;
struct pd_server;

/* Runs a parked request's route on the queue's thread (server.c). */
typedef void (*writeq_run_fn)(struct pd_server *srv, pd_request *r);

/* Replaces the answer of a request whose write was not committed after
 * all (its group's transaction was rolled back) with the store's error. */
typedef void (*writeq_undo_fn)(pd_request *r);

/* Answers a parked request the queue will not run (writeq_abandon). */
typedef void (*writeq_unrun_fn)(pd_request *r);

/* Starts the queue's thread for srv (whose store handles it uses through
 * server_store); NULL when it cannot (then nothing parks). */
writeq *writeq_start(struct pd_server *srv, writeq_run_fn run, writeq_undo_fn undo,
                     writeq_unrun_fn unrun);
/* Suspends r's connection and queues r; true: the access handler returns
 * without an answer and is called again once r's route ran.  False (the
 * queue stopped): run the route on this thread. */
bool writeq_park(writeq *q, pd_request *r);
/* Requests parked and not yet resumed. */
unsigned writeq_parked(const writeq *q);
/* Runs what is still queued, then stops and joins the thread; requests
 * that come after run on their worker (writeq_park says false).  Call it
 * before libmicrohttpd stops: a daemon must not stop with a connection
 * still suspended.  NULL, or a second call, is a no-op. */
void writeq_stop(writeq *q);
/* From now on the requests still parked and not yet begun are answered
 * with unrun instead of run (a stop whose grace ran out: each could wait
 * out the database's busy timeout in turn); the one running finishes.
 * NULL is a no-op. */
void writeq_abandon(writeq *q);
/* Stops (as above) and frees; once no worker can call writeq_park. */
void writeq_free(writeq *q);

#endif
