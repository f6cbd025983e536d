/*
 * pg_limits.c - the PostgreSQL store ops for sign-in throttles
 * (login_throttle) and rate-limit counters (rate_counts): the same semantics
 * as store/sqlite.c (store.h), atomic across nodes, not only threads.
 *
 * - throttle_attempt is one INSERT ... ON CONFLICT DO UPDATE ... WHERE not
 *   locked ... RETURNING: PostgreSQL applies it to the latest committed row
 *   under that row's lock, so concurrent attempts from any number of nodes
 *   each count exactly once; a locked row is left alone and returns no row
 *   (refused), and is then read back for the caller.  throttle_refund is one
 *   UPDATE (its SET sees the row it locked).
 * - rate_sync adds every counter of one sync with ONE statement: the rows go
 *   in as a JSON array parameter, duplicates are summed, and they are
 *   upserted in key order, so two nodes syncing overlapping keys lock rows
 *   in the same order and never deadlock; RETURNING gives each total.  With
 *   the purge it is one write transaction, as in SQLite.
 *
 * No change notification (pg_wrote) here: these rows are cached nowhere, and
 * a notification per sync (every node, every second) or per sign-in attempt
 * (an attacker's password guesses) would make every node re-validate its
 * caches for nothing.  The SQLite backend's change signal also leaves out
 * rate_sync.
 *
 * Memory: rows passed in are borrowed; the JSON built for rate_sync is
 * freed before returning.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "store/pg_internal.h"
#include "store/pg_limits.h"

static pg_stmt ST_THROTTLE_GET = PG_STMT(
    "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1");
static pg_stmt ST_THROTTLE_PUT = PG_STMT(
    "INSERT INTO login_throttle(key, failures, window_start, locked_until)"
    " VALUES ($1, $2, $3, $4)"
    " ON CONFLICT(key) DO UPDATE SET failures = excluded.failures,"
    "   window_start = excluded.window_start, locked_until = excluded.locked_until");

/* $1 key, $2 now, $3 window_s, $4 max, $5 lock_s; the SET expressions see
 * the row as it was (t).  A new window starts when there is none, it is
 * over, it lies in the future, or a lock has expired (sqlite.c's
 * THR_NEW_WINDOW). */
#define THR_NEW_WINDOW "(t.window_start + $3 <= $2 OR t.window_start > $2" \
                       " OR (t.locked_until > 0 AND t.locked_until <= $2))"
#define THR_COUNT "(CASE WHEN " THR_NEW_WINDOW " THEN 1 ELSE t.failures + 1 END)"
static pg_stmt ST_THROTTLE_ATTEMPT = PG_STMT(
    "INSERT INTO login_throttle AS t(key, failures, window_start, locked_until)"
    " VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + $5 ELSE 0 END)"
    " ON CONFLICT(key) DO UPDATE SET"
    "   failures = " THR_COUNT ","
    "   window_start = CASE WHEN " THR_NEW_WINDOW " THEN $2 ELSE t.window_start END,"
    "   locked_until = CASE WHEN " THR_COUNT " >= $4 THEN $2 + $5 ELSE 0 END"
    " WHERE t.locked_until <= $2"
    " RETURNING failures, window_start, locked_until");
static pg_stmt ST_THROTTLE_REFUND = PG_STMT(
    "UPDATE login_throttle SET failures = greatest(failures - 1, 0),"
    "   locked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE locked_until END"
    " WHERE key = $1");

/* $1: [[key, span, window, delta], ...]; rows: (ordinal, total). */
static pg_stmt ST_RATE_ADD = PG_STMT(
    "WITH x AS (SELECT r.i, (r.e->>0) COLLATE \"C\" AS k, (r.e->>1)::bigint AS s,"
    "                  (r.e->>2)::bigint AS w, (r.e->>3)::bigint AS d"
    "             FROM json_array_elements($1::json) WITH ORDINALITY AS r(e, i)),"
    " up AS (INSERT INTO rate_counts(key, span, window_start, count)"
    "        SELECT k, s, w, sum(d)::bigint FROM x GROUP BY k, s, w ORDER BY k, s, w"
    "        ON CONFLICT(key, span, window_start)"
    "          DO UPDATE SET count = rate_counts.count + excluded.count"
    "        RETURNING key, span, window_start, count)"
    " SELECT x.i, up.count FROM x"
    "   JOIN up ON up.key = x.k AND up.span = x.s AND up.window_start = x.w");
static pg_stmt ST_RATE_PURGE = PG_STMT(
    "DELETE FROM rate_counts WHERE window_start + span < $1");

/* ---- throttles ------------------------------------------------------- */

static bool throttle_conv(const pg_row *r, void *out)
{
    pd_throttle *t = out;
    t->failures = pg_col_i64(r, 0);
    t->window_start = pg_col_i64(r, 1);
    t->locked_until = pg_col_i64(r, 2);
    return true;
}

static pd_err pgl_get_throttle(pd_store *s, const char *key, pd_throttle *out)
{
    static const char op[] = "get_throttle";
    pg_store *q = PG(s);
    if (key == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    /* no row: never throttled, all zero */
    return pg_fetch(q, &ST_THROTTLE_GET, PG_PARAMS(PGT(key)), throttle_conv, out, PG_NONE_OK, op);
}

static pd_err pgl_put_throttle(pd_store *s, const char *key, const pd_throttle *t)
{
    static const char op[] = "put_throttle";
    pg_store *q = PG(s);
    if (key == NULL || t == NULL)
        return pg_bad_arg(q, op);
    return pg_exec(q, &ST_THROTTLE_PUT,
                   PG_PARAMS(PGT(key), PGI(t->failures), PGI(t->window_start),
                             PGI(t->locked_until)), op, NULL, NULL);
}

static pd_err pgl_throttle_attempt(pd_store *s, const char *key, int64_t now, int64_t window_s,
                                   int64_t max, int64_t lock_s, pd_throttle *out, bool *refused)
{
    static const char op[] = "throttle_attempt";
    pg_store *q = PG(s);
    pd_throttle row = {0};

    if (key == NULL || refused == NULL || max < 1 || window_s < 1 || lock_s < 0)
        return pg_bad_arg(q, op);
    *refused = false;
    pd_err e = pg_fetch(q, &ST_THROTTLE_ATTEMPT,
                        PG_PARAMS(PGT(key), PGI(now), PGI(window_s), PGI(max), PGI(lock_s)),
                        throttle_conv, &row, PG_NONE_NOT_FOUND, op);
    if (e == PD_ERR_NOT_FOUND) {
        /* the row was locked at now: nothing counted; the row as it is */
        *refused = true;
        e = pgl_get_throttle(s, key, &row);
        if (e != PD_OK)
            *refused = false;
    }
    if (e == PD_OK && out != NULL)
        *out = row;
    return e;
}

static pd_err pgl_throttle_refund(pd_store *s, const char *key, int64_t max)
{
    static const char op[] = "throttle_refund";
    pg_store *q = PG(s);
    if (key == NULL)
        return pg_bad_arg(q, op);
    return pg_exec(q, &ST_THROTTLE_REFUND, PG_PARAMS(PGT(key), PGI(max)), op, NULL, NULL);
}

/* ---- rate limits (auth/ratelimit.c) ---------------------------------- */

typedef struct {
    pd_rate_row *rows;
    size_t n;
    size_t seen;
} rate_ctx;

/* pg_row_fn: (ordinal, total) into rows[ordinal - 1]. */
static int rate_row(const pg_row *r, void *ctx)
{
    rate_ctx *x = ctx;
    int64_t i = pg_col_i64(r, 0);
    if (i >= 1 && (uint64_t)i <= x->n) {
        x->rows[i - 1].total = pg_col_i64(r, 1);
        x->seen++;
    }
    return 0;
}

/* rows as the JSON text [[key, span, window, delta], ...]; NULL when a key
 * is not UTF-8 or out of memory. */
static char *rate_json(const pd_rate_row *rows, size_t n)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_array_append_new(a, json_pack("[sIII]", rows[i].key, (json_int_t)rows[i].span,
                                                (json_int_t)rows[i].window,
                                                (json_int_t)rows[i].delta)) == 0;
    char *text = ok ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return text;
}

static pd_err pgl_rate_sync(pd_store *s, pd_rate_row *rows, size_t n, int64_t purge_before)
{
    static const char op[] = "rate_sync";
    pg_store *q = PG(s);
    char *text = NULL;

    if (rows == NULL && n > 0)
        return pg_bad_arg(q, op);
    for (size_t i = 0; i < n; i++)
        if (rows[i].key == NULL || rows[i].span < 1 || rows[i].delta < 0)
            return pg_bad_arg(q, op);
    if (n > 0 && (text = rate_json(rows, n)) == NULL)
        return pg_fail(q, op, "a rate-limit key is not UTF-8 (or out of memory)");
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e == PD_OK && n > 0) {
        rate_ctx x = { rows, n, 0 };
        e = pg_rows(q, &ST_RATE_ADD, PG_PARAMS(PGT(text)), rate_row, &x, op, NULL);
        if (e == PD_OK && x.seen != n)
            e = pg_fail(q, op, "a counter was not returned");
    }
    if (e == PD_OK && purge_before > 0)
        e = pg_exec(q, &ST_RATE_PURGE, PG_PARAMS(PGI(purge_before)), op, NULL, NULL);
    if (k != PG_TXK_NONE)
        e = pg_tx_leave(q, op, k, e);
    free(text);
    return e;
}

void pg_limits_ops(pd_store_ops *ops)
{
    ops->get_throttle = pgl_get_throttle;
    ops->put_throttle = pgl_put_throttle;
    ops->throttle_attempt = pgl_throttle_attempt;
    ops->throttle_refund = pgl_throttle_refund;
    ops->rate_sync = pgl_rate_sync;
}
