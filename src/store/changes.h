/*
 * changes.h - the change signal every node of one database shares, so the
 * per-thread caches can be validated without a database transaction per
 * request (docs/design.md "Caches").
 *
 * The stamp is a number that moves whenever any process commits a write to
 * the database this process serves (0 = unknown: trust nothing, validate
 * against the database).  A value read BEFORE a database read and stored
 * with its result says the result is still current for as long as the
 * stamp reads the same.
 *
 * Sources (pd_changes_start picks one for the process, by database URL):
 *   SQLite file  a 64-byte counter file beside the database ("PATH-changes",
 *                mode 0600, created by whoever opens the database first),
 *                memory-mapped by every process on the host: writers add 1
 *                after each COMMIT (pd_changes_file_bump, from the backend),
 *                readers load it atomically.  The file is re-checked at most
 *                every LIM_CHANGES_CHECK_MS (deleted, replaced or truncated:
 *                the stamp is 0 until a usable file is attached again; a
 *                truncation under the mapping is caught by a SIGBUS handler
 *                and never crashes).  Each problem is logged once.
 *   local        ":memory:" databases: only this process can write them.
 *   listen       PostgreSQL (store/pg_listen.c): a notification or this
 *                process's own commit bumps the local counter; while the
 *                LISTEN connection is down the stamp is 0.
 *   none         (nothing started: the CLI, the unit tests) the stamp is 0.
 *
 * Threads: every function may be called from any thread.  No allocation on
 * the stamp and bump paths.
 */
#ifndef PROFILED_STORE_CHANGES_H
#define PROFILED_STORE_CHANGES_H

#include <stdbool.h>
#include <stdint.h>

/* The current stamp; 0 = unknown. */
uint64_t pd_changes_stamp(void);
/* This process committed a write to its database (any backend). */
void pd_changes_bump(void);

/* ---- the process's source ---- */
/* Picks the source for the database at url ("sqlite:PATH", "sqlite::memory:",
 * "postgresql://..."); false (logged) when it cannot, and the stamp stays 0
 * (every request validates against the database, as without a signal). */
bool pd_changes_start(const char *url);
/* Stops the source (joins the PostgreSQL listener); the stamp is 0 after. */
void pd_changes_stop(void);

/* Used by the listen source (store/pg_listen.c): up = the LISTEN connection
 * is established on socket fd (an up after a down bumps once; the socket is
 * closed only after the state went down), and one notification.  While up,
 * a stamp reader also polls fd (no wait): unread bytes there mean the
 * stamp cannot be trusted yet, and it reads 0. */
void pd_changes_listen_state(bool up, int fd);
void pd_changes_notified(void);
/* The listener brackets each read of the LISTEN socket and what it does
 * with it (bump, or go down): begin = true before, false after.  While a
 * read is open, pd_changes_stamp answers 0. */
void pd_changes_listen_read(bool begin);
/* The listener thread itself (store/pg_listen.c): started and stopped by
 * pd_changes_start / pd_changes_stop. */
bool pd_pg_listen_start(const char *url);
void pd_pg_listen_stop(void);

/* ---- the SQLite counter file (used by store/sqlite.c) ---- */
typedef struct pd_changes_file pd_changes_file;
/* The counter file of the database at db_path, shared by every handle of
 * this process on the same path (reference-counted).  Never NULL for a
 * valid path string: a file that cannot be used is retried at the next
 * bump, and the problem logged once.  NULL only when out of memory. */
pd_changes_file *pd_changes_file_get(const char *db_path);
void pd_changes_file_put(pd_changes_file *f);
/* Adds 1 to the file's counter (after a COMMIT that wrote), and to this
 * process's local counter. */
void pd_changes_file_bump(pd_changes_file *f);
/* The counter as read now (tests and diagnostics); 0 when unusable. */
uint64_t pd_changes_file_value(pd_changes_file *f);

#endif
