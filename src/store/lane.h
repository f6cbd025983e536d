/*
 * lane.h - the write lane: one connection per database through which this
 * process's writing requests do all their database work, one request at a
 * time.
 *
 * Why: SQLite keeps a page cache per connection, and in WAL mode a
 * connection that begins a transaction after another connection wrote
 * throws its whole cache away and reads every page again.  With each worker
 * thread writing on its own connection, every PUT emptied the other
 * worker's cache (12 page reads per PUT at 1,000 users, 2.3x the CPU of one
 * worker).  On the lane, the reads a write depends on (cache tags,
 * membership, the stored document) and the write itself run on one
 * connection whose cache only its own writes change; and writes of the
 * same user queue instead of losing optimistic races.
 *
 * A backend opts in by handing pd_lane_get an opener (store/sqlite.c does;
 * PostgreSQL has no per-connection cache to lose and does not).  Callers
 * use pd_store_lane_enter / pd_store_lane_leave (store.h), never this file.
 *
 * Memory: lanes live on a process list keyed by the database file's device
 * and inode, counted by the handles that registered (pd_lane_get /
 * pd_lane_put); the last put closes the lane's connection and frees it.
 * The lane's connection is opened by the first pd_lane_enter and owned by
 * the lane; the caller borrows it between enter and leave.
 */
#ifndef PROFILED_STORE_LANE_H
#define PROFILED_STORE_LANE_H

#include <sys/types.h>

#include "store/store.h"

typedef struct pd_lane pd_lane;

/* Opens the lane's own connection to path (not registered with a lane). */
typedef pd_store *(*pd_lane_open_fn)(const char *path);

/* The lane of the database file (dev, ino) at path, created on first use;
 * NULL when out of memory (the handle then writes on its own). */
pd_lane *pd_lane_get(dev_t dev, ino_t ino, const char *path, pd_lane_open_fn open);
void pd_lane_put(pd_lane *l);

/* Waits for the lane and returns its connection, opened now if it is not
 * yet; NULL (and the lane not held) when it cannot be opened: the caller
 * then uses its own handle.  Call pd_lane_leave with what it returned. */
pd_store *pd_lane_enter(pd_lane *l);
/* Ends any transaction the caller left open on the lane's connection
 * (rolled back) and lets the next caller in. */
void pd_lane_leave(pd_lane *l);

#endif
