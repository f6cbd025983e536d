/*
 * conn_guard.h - bounds on how long a connection may take to send what it
 * owes, and room for new clients when the connection table fills (#12 item
 * 1: slow clients).
 *
 * libmicrohttpd's own timeout counts inactivity, so a client that trickles
 * one byte at a time holds its connection for as long as it likes; 1,024 of
 * them fill the table and lock every other client out.  The guard gives each
 * connection a deadline for the part it is sending now:
 *   new connection (TLS handshake, request line, headers)  LIM_HTTP_FIRST_REQUEST_S
 *   the rest of the headers once the request line is in   LIM_HTTP_HEADERS_S
 *   the body once the headers are in                       LIM_HTTP_BODY_S
 *   the next request on a kept-alive connection           the idle timeout setting
 * A thread sweeps every second and shuts down the connections past their
 * deadline (libmicrohttpd then closes them).  When a new connection finds
 * the table at least 90 % full, the connection that has waited longest on
 * its client (idle between requests, or slow) is shut down to make room, so
 * the table never fills and a client that sends its request at once is
 * never the one that goes.
 * Connections busy in a handler or sending an answer have no deadline here.
 *
 * Memory and threads: a conn_guard owns one record per open connection,
 * made and freed in the libmicrohttpd connection notification (under the
 * guard's mutex, before libmicrohttpd closes the socket, so a swept fd is
 * never a reused one).  A connection's own thread moves its deadline with
 * atomics, without the mutex.
 */
#ifndef PROFILED_HTTP_CONN_GUARD_H
#define PROFILED_HTTP_CONN_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

typedef struct conn_guard conn_guard;

/* A guard for one daemon whose table holds max_connections; idle_timeout_s
 * bounds a kept-alive connection's wait for its next request.  NULL when
 * out of memory. */
conn_guard *conn_guard_new(unsigned max_connections, int idle_timeout_s);
/* Frees the guard (after its daemon stopped: no connection is left). */
void conn_guard_free(conn_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe);

/* Called by the connection's thread as its request moves on: the request
 * line is in (the headers are due), the headers are in (the body is due when
 * body_expected), the answer is queued (nothing is due until it is sent and
 * the connection waits for the next request: conn_guard_idle).  The first
 * and the last are given the time (CLOCK_MONOTONIC ns) the server read
 * anyway for the request's duration: one clock read less each. */
void conn_guard_request_line(struct MHD_Connection *c, int64_t now_ns);
void conn_guard_headers_done(struct MHD_Connection *c, bool body_expected);
void conn_guard_busy(struct MHD_Connection *c);
void conn_guard_idle(struct MHD_Connection *c, int64_t now_ns);

/* Shuts down every connection past its deadline; returns how many. */
unsigned conn_guard_sweep(conn_guard *g, int64_t now_ns);
/* Connections open now. */
unsigned conn_guard_count(conn_guard *g);

#endif
