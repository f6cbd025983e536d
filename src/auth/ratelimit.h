/*
 * ratelimit.h - DocuSign's API rate limits (facts §5), counted per key and
 * shared by every node on the same database without a write per request.
 *
 * Two fixed windows per key: the hour (aligned to the hour, reset on it)
 * and the burst window (default 30 s, aligned to its multiples).  Keys say
 * who is charged: "account:<GUID>" (a member calling in an account),
 * "org:<GUID>" (an organization's administrator), "user:<GUID>" (any other
 * authenticated caller) and "addr:<address>" (unauthenticated traffic,
 * with the tighter anonymous limits; an IPv6 address counts by its /64).
 *
 * Sharing: rl_take() only counts in memory.  rl_sync() (every sync
 * interval, from the thread rl_start() runs) adds what this node counted
 * to the store (store op rate_sync) and reads back each active key's total
 * over all nodes.  A node's view of a key therefore lags the truth by what
 * the other nodes admitted since their last sync and ours: at most about
 * two sync intervals of their traffic (a key idle here for a burst window
 * is refreshed one sync after its next use).  On one node the counts are
 * exact.  When the store cannot be reached the counts stay in memory and
 * go in with the next sync that succeeds.
 *
 * Threads: rl_take() from any thread (one mutex); rl_sync() from one
 * thread at a time.  Memory: the table owns its slots; keys are copied.
 */
#ifndef PROFILED_RATELIMIT_H
#define PROFILED_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

typedef struct {
    int64_t hourly, burst;            /* authenticated keys; 0 = that limit is off */
    int64_t anon_hourly, anon_burst;  /* "addr:" keys; 0 = off */
    int64_t burst_s;                  /* burst window, seconds (DocuSign: 30) */
    int64_t sync_ms;                  /* rl_start's sync interval */
} rl_limits;

typedef enum { RL_OK = 0, RL_HOURLY, RL_BURST } rl_outcome;

/* What one call met: the outcome and the numbers for the X-RateLimit-* and
 * X-BurstLimit-* headers (a limit that is off has limit 0 and no header). */
typedef struct {
    rl_outcome outcome;
    int64_t limit, remaining, reset;     /* hourly: reset = end of the hour, Unix seconds */
    int64_t burst_limit, burst_remaining;
    int64_t retry_after;                 /* seconds until the window that refused ends */
} rl_verdict;

typedef struct rl_table rl_table;

/* NULL on allocation failure.  With every limit off, rl_take() counts nothing. */
rl_table *rl_new(const rl_limits *lim);
/* Stops the sync thread (rl_stop) and frees everything. */
void rl_free(rl_table *t);
/* True when some limit is on. */
bool rl_enabled(const rl_table *t);

/* Counts one call of key at now (Unix seconds) unless it is over a limit.
 * A refused call is not counted.  When the table is full (LIM_RL_KEYS, or
 * LIM_RL_ANON_KEYS for anonymous keys) a new key is refused as a burst
 * (fail closed). */
void rl_take(rl_table *t, const char *key, bool anonymous, int64_t now, rl_verdict *out);

/* Adds what was counted since the last sync to the store and reads back
 * the totals of the keys in use; drops counters of past hours when the
 * table is half full.  PD_OK or PD_ERR_STORE (counts kept for the next). */
pd_err rl_sync(rl_table *t, pd_store *s, int64_t now);

/* Keys: "<kind>:<id>" (kind "account", "org", "user"), and the
 * anonymous key of a textual client address.  0, or -1 when it does not fit. */
int rl_key(char *out, size_t cap, const char *kind, const char *id);
int rl_key_addr(char *out, size_t cap, const char *addr);

/* Syncs every lim.sync_ms from a thread with its own store connection
 * (opened from db_url, an existing database).  0 or -1. */
int rl_start(rl_table *t, const char *db_url);
/* Stops that thread after a last sync. */
void rl_stop(rl_table *t);

#endif
