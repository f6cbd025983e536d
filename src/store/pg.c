/*
 * pg.c - the PostgreSQL backend of the storage interface (store/store.h):
 * connection, open, reconnect, errors, the statement runner and the
 * transaction helpers every pg_*.c file uses (store/pg_internal.h), the
 * core ops (close, migrate, begin/commit/rollback, begin_read, last_error,
 * check) and the assembly of the ops table from the domain files.
 *
 * Connection: one libpq connection per pd_store (the server opens one
 * pd_store per worker thread).  The URL is handed to libpq as given
 * ("postgresql://..." or "postgres://..."); before it come defaults it may
 * override: connect_timeout, TCP keepalives, tcp_user_timeout, and
 * statement_timeout, so a call never waits forever on a dead or stuck
 * server.  A call that finds the connection lost fails with PD_ERR_STORE
 * ("the database is unreachable: ...") and marks the handle; the next call
 * reconnects (PQreset) and prepares its statements again.  A transaction
 * the caller had open is gone with the connection: further calls fail
 * until the caller ends it with commit (which fails) or rollback.
 *
 * Memory: see store/pg_internal.h.  PGresults never outlive the helper
 * that obtained them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/changes.h"
#include "store/pg_internal.h"
#include "store/unreachable.h"

#define PG_MAX_PARAMS 16
#define I64_TEXT_MAX 24

static atomic_int g_next_slot;

/* ---- errors ---------------------------------------------------------- */

pd_err pg_fail(pg_store *q, const char *op, const char *msg)
{
    /* the server is down or the connection went: the API answers 503 */
    if (strncmp(msg, "the database is unreachable", 27) == 0
        || strncmp(msg, "the database connection was lost", 32) == 0)
        pd_db_note_unreachable();
    snprintf(q->last_err, sizeof q->last_err, "%s: %s", op, msg);
    /* libpq messages end with a newline; the log line must not */
    size_t n = strlen(q->last_err);
    while (n > 0 && (q->last_err[n - 1] == '\n' || q->last_err[n - 1] == '\r'))
        q->last_err[--n] = '\0';
    log_msg(LOG_ERROR, "store", "%s", q->last_err);
    return PD_ERR_STORE;
}

pd_err pg_bad_arg(pg_store *q, const char *op)
{
    return pg_fail(q, op, "invalid argument");
}

pd_err pg_oom(pg_store *q, const char *op)
{
    return pg_fail(q, op, "out of memory");
}

/* The column named in a "Key (col)=(...)" detail, into buf (no values). */
static const char *detail_column(const char *detail, char *buf, size_t len)
{
    const char *p = detail != NULL ? strstr(detail, "Key (") : NULL;
    if (p == NULL)
        return NULL;
    p += 5;
    const char *e = strstr(p, ")=");
    if (e == NULL || (size_t)(e - p) >= len)
        return NULL;
    memcpy(buf, p, (size_t)(e - p));
    buf[e - p] = '\0';
    return buf;
}

/* What the connection has open, and nothing of an earlier transaction
 * (savepoints, its write and notification) carried over. */
static void tx_set(pg_store *q, pg_tx_state tx)
{
    q->tx = tx;
    q->savepoints = 0;
    q->wrote = false;
    q->notified = false;
}

/* Marks the handle broken: the next call reconnects; an open transaction
 * is gone (the caller's is marked lost). */
static void mark_broken(pg_store *q)
{
    q->broken = true;
    if (q->tx != PG_TX_NONE)
        q->tx_lost = true;
    tx_set(q, PG_TX_NONE);
}

/* Records the failure of a statement (res may be NULL). */
static pd_err result_fail(pg_store *q, const PGresult *res, const char *op, const char *fk_hint)
{
    char msg[PG_LAST_ERR_MAX];
    char col[64];
    met_inc(MET_DB_ERRORS);
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *table = res != NULL ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL;
    const char *text = res != NULL ? PQresultErrorMessage(res) : "";
    if (text == NULL || text[0] == '\0')
        text = q->conn != NULL ? PQerrorMessage(q->conn) : "no connection";
    if (q->conn == NULL || PQstatus(q->conn) == CONNECTION_BAD
        || (state != NULL && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0
                              || strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0))) {
        mark_broken(q);
        snprintf(msg, sizeof msg, "the database is unreachable: %s", text);
        return pg_fail(q, op, msg);
    }
    if (state == NULL)
        state = "";
    if (strcmp(state, "23505") == 0) {
        const char *c = detail_column(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL), col, sizeof col);
        snprintf(msg, sizeof msg, "UNIQUE constraint failed: %s%s%s", table != NULL ? table : "?",
                 c != NULL ? "." : "", c != NULL ? c : "");
    } else if (strcmp(state, "23503") == 0) {
        snprintf(msg, sizeof msg, "FOREIGN KEY constraint failed%s%s%s",
                 fk_hint != NULL ? " (" : "", fk_hint != NULL ? fk_hint : "",
                 fk_hint != NULL ? ")" : "");
    } else if (strcmp(state, "23514") == 0) {
        const char *c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        snprintf(msg, sizeof msg, "CHECK constraint failed: %s", c != NULL ? c : "?");
    } else if (strcmp(state, "23502") == 0) {
        const char *c = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
        snprintf(msg, sizeof msg, "NOT NULL constraint failed: %s.%s", table != NULL ? table : "?",
                 c != NULL ? c : "?");
    } else if (strcmp(state, "57014") == 0) {
        snprintf(msg, sizeof msg, "statement cancelled (statement_timeout %s ms): %s",
                 LIM_PG_STATEMENT_TIMEOUT_MS_STR, text);
    } else {
        snprintf(msg, sizeof msg, "%s", text);
    }
    return pg_fail(q, op, msg);
}

/* ---- connection ------------------------------------------------------ */

pd_err pg_ready(pg_store *q, const char *op)
{
    if (q->tx_lost)
        return pg_fail(q, op, "the database connection was lost inside a transaction;"
                              " it was rolled back (end it with rollback)");
    if (q->conn != NULL && !q->broken && PQstatus(q->conn) == CONNECTION_OK)
        return PD_OK;
    if (q->conn == NULL)
        return pg_fail(q, op, "the database is unreachable: no connection");
    PQreset(q->conn);
    memset(q->prepared, 0, sizeof q->prepared);
    tx_set(q, PG_TX_NONE);
    if (PQstatus(q->conn) != CONNECTION_OK) {
        char msg[PG_LAST_ERR_MAX];
        q->broken = true;
        met_inc(MET_DB_ERRORS);
        snprintf(msg, sizeof msg, "the database is unreachable: %s", PQerrorMessage(q->conn));
        return pg_fail(q, op, msg);
    }
    q->broken = false;
    log_msg(LOG_INFO, "store", "reconnected to PostgreSQL");
    return PD_OK;
}

/* ---- statements ------------------------------------------------------ */

static int stmt_slot(pg_stmt *st)
{
    int s = atomic_load(&st->slot);
    if (s != 0)
        return s;
    int n = atomic_fetch_add(&g_next_slot, 1) + 1;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&st->slot, &expected, n))
        n = expected;
    return n;
}

static Oid param_type(const pg_param *p)
{
    switch (p->kind) {
    case PGP_I64:
    case PGP_I64_NULL:
        return 20;      /* int8 */
    case PGP_BYTES:
        return 17;      /* bytea */
    default:
        return 25;      /* text */
    }
}

/* Runs st with ps; returns the result (the caller clears it) or NULL with
 * the failure recorded. */
static PGresult *run(pg_store *q, pg_stmt *st, pg_params ps, const char *op, const char *fk_hint)
{
    static const unsigned char empty[1];
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
    Oid types[PG_MAX_PARAMS];
    char ints[PG_MAX_PARAMS][I64_TEXT_MAX];
    char name[16];

    if (ps.n > PG_MAX_PARAMS) {
        pg_bad_arg(q, op);
        return NULL;
    }
    if (pg_ready(q, op) != PD_OK)
        return NULL;
    int slot = stmt_slot(st);
    if (slot <= 0 || slot >= PG_MAX_STMTS) {
        pg_fail(q, op, "too many statements (raise PG_MAX_STMTS)");
        return NULL;
    }
    for (size_t i = 0; i < ps.n; i++) {
        const pg_param *p = &ps.v[i];
        types[i] = param_type(p);
        formats[i] = 0;
        lengths[i] = 0;
        switch (p->kind) {
        case PGP_TEXT:
            values[i] = p->s;
            break;
        case PGP_I64:
            snprintf(ints[i], sizeof ints[i], "%lld", (long long)p->i);
            values[i] = ints[i];
            break;
        case PGP_I64_NULL:
            values[i] = NULL;
            break;
        case PGP_BYTES:
            if (p->len > (size_t)INT32_MAX) {
                pg_bad_arg(q, op);
                return NULL;
            }
            values[i] = (const char *)(p->p != NULL ? p->p : empty);
            lengths[i] = (int)p->len;
            formats[i] = 1;
            break;
        }
    }
    snprintf(name, sizeof name, "pd%d", slot);
    if (!q->prepared[slot]) {
        PGresult *pr = PQprepare(q->conn, name, st->sql, (int)ps.n, ps.n > 0 ? types : NULL);
        if (PQresultStatus(pr) != PGRES_COMMAND_OK) {
            result_fail(q, pr, op, NULL);
            PQclear(pr);
            return NULL;
        }
        PQclear(pr);
        q->prepared[slot] = 1;
    }
    PGresult *res = PQexecPrepared(q->conn, name, (int)ps.n, ps.n > 0 ? values : NULL,
                                   ps.n > 0 ? lengths : NULL, ps.n > 0 ? formats : NULL,
                                   st->binary ? 1 : 0);
    ExecStatusType rs = PQresultStatus(res);
    if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
        result_fail(q, res, op, fk_hint);
        PQclear(res);
        return NULL;
    }
    return res;
}

pd_err pg_exec(pg_store *q, pg_stmt *st, pg_params ps, const char *op, const char *fk_hint,
               int64_t *changes)
{
    PGresult *res = run(q, st, ps, op, fk_hint);
    if (res == NULL)
        return PD_ERR_STORE;
    if (changes != NULL) {
        const char *t = PQcmdTuples(res);
        *changes = t != NULL && t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(res);
    return PD_OK;
}

pd_err pg_exec_keyed(pg_store *q, pg_stmt *st, pg_params ps, const char *op)
{
    int64_t changes = 0;
    pd_err e = pg_exec(q, st, ps, op, NULL, &changes);
    if (e == PD_OK && changes == 0)
        e = PD_ERR_NOT_FOUND;
    return e;
}

pd_err pg_fetch(pg_store *q, pg_stmt *st, pg_params ps, pg_row_conv conv, void *out,
                pg_no_row none, const char *op)
{
    PGresult *res = run(q, st, ps, op, NULL);
    if (res == NULL)
        return PD_ERR_STORE;
    pd_err e = PD_OK;
    if (PQntuples(res) == 0) {
        if (none == PG_NONE_FAILS)
            e = pg_fail(q, op, "the statement returned no row");
        else
            e = none == PG_NONE_OK ? PD_OK : PD_ERR_NOT_FOUND;
    } else {
        pg_row r = { res, 0 };
        if (!conv(&r, out))
            e = pg_oom(q, op);
    }
    PQclear(res);
    return e;
}

pd_err pg_fetch_one(pg_store *q, pg_stmt *st, pg_params ps, pg_row_conv conv, void *out,
                    const char *op)
{
    return pg_fetch(q, st, ps, conv, out, PG_NONE_NOT_FOUND, op);
}

pd_err pg_rows(pg_store *q, pg_stmt *st, pg_params ps, pg_row_fn fn, void *ctx,
               const char *op, int *n_rows)
{
    PGresult *res = run(q, st, ps, op, NULL);
    if (res == NULL)
        return PD_ERR_STORE;
    pd_err e = PD_OK;
    int n = PQntuples(res);
    if (n_rows != NULL)
        *n_rows = n;
    for (int i = 0; i < n; i++) {
        pg_row r = { res, i };
        int rc = fn(&r, ctx);
        if (rc != 0) {
            if (rc < 0)
                e = pg_oom(q, op);
            break;
        }
    }
    PQclear(res);
    return e;
}

typedef struct {
    pg_emit_fn emit;
    pd_iter_fn fn;
    void *ctx;
} emit_ctx;

static int emit_row(const pg_row *r, void *ctx)
{
    emit_ctx *x = ctx;
    return x->emit(r, x->fn, x->ctx) != 0;
}

pd_err pg_iterate(pg_store *q, pg_stmt *st, pg_params ps, pg_emit_fn emit, pd_iter_fn fn,
                  void *ctx, const char *op)
{
    if (fn == NULL)
        return pg_bad_arg(q, op);
    emit_ctx x = { emit, fn, ctx };
    return pg_rows(q, st, ps, emit_row, &x, op, NULL);
}

pd_err pg_exec_sql(pg_store *q, const char *sql, const char *op)
{
    pd_err e = pg_ready(q, op);
    if (e != PD_OK)
        return e;
    PGresult *res = PQexec(q->conn, sql);
    ExecStatusType rs = PQresultStatus(res);
    if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
        e = result_fail(q, res, op, NULL);
    PQclear(res);
    return e;
}

/* ---- columns --------------------------------------------------------- */

bool pg_col_null(const pg_row *r, int col)
{
    return PQgetisnull(r->res, r->row, col) != 0;
}

const char *pg_col_text(const pg_row *r, int col)
{
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    return PQgetvalue(r->res, r->row, col);
}

static uint64_t be_read(const unsigned char *p, int len)
{
    uint64_t v = 0;
    for (int i = 0; i < len; i++)
        v = (v << 8) | p[i];
    return v;
}

int64_t pg_col_i64(const pg_row *r, int col)
{
    if (PQgetisnull(r->res, r->row, col))
        return 0;
    const char *v = PQgetvalue(r->res, r->row, col);
    if (PQfformat(r->res, col) == 1) {
        int len = PQgetlength(r->res, r->row, col);
        uint64_t u = be_read((const unsigned char *)v, len > 8 ? 8 : len);
        if (len == 8)
            return (int64_t)u;
        if (len == 4)
            return (int64_t)(int32_t)(uint32_t)u;
        if (len == 2)
            return (int64_t)(int16_t)(uint16_t)u;
        return (int64_t)u;      /* boolean: 1 byte */
    }
    if (v[0] == 't')
        return 1;
    if (v[0] == 'f')
        return 0;
    return strtoll(v, NULL, 10);
}

bool pg_col_bool(const pg_row *r, int col)
{
    return pg_col_i64(r, col) != 0;
}

const unsigned char *pg_col_bytes(const pg_row *r, int col, size_t *len)
{
    static const unsigned char empty[1];
    *len = 0;
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    /* bytea in text format would be hex-escaped: bytea columns come from
     * .binary statements */
    if (PQfformat(r->res, col) != 1)
        return NULL;
    int n = PQgetlength(r->res, r->row, col);
    *len = n > 0 ? (size_t)n : 0;
    return n > 0 ? (const unsigned char *)PQgetvalue(r->res, r->row, col) : empty;
}

bool pg_dup(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

/* ---- transactions ---------------------------------------------------- */

/* COMMIT of a failed transaction answers "ROLLBACK": that is a failure. */
static pd_err commit_now(pg_store *q, const char *op)
{
    pd_err e = pg_ready(q, op);
    if (e != PD_OK)
        return e;
    PGresult *res = PQexec(q->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        e = result_fail(q, res, op, NULL);
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        e = pg_fail(q, op, "the transaction had failed and was rolled back");
    PQclear(res);
    bool wrote = q->wrote;
    if (!q->broken) {
        tx_set(q, PG_TX_NONE);
    }
    if (e == PD_OK && wrote)
        pg_committed(q);
    return e;
}

static void rollback_quiet(pg_store *q, const char *sql, const char *op)
{
    char saved[PG_LAST_ERR_MAX];
    memcpy(saved, q->last_err, sizeof saved);
    if (q->conn != NULL && !q->broken) {
        PGresult *res = PQexec(q->conn, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            result_fail(q, res, op, NULL);
        PQclear(res);
    }
    memcpy(q->last_err, saved, sizeof saved);
}

pd_err pg_tx_enter_write(pg_store *q, const char *op, pg_tx_kind *k)
{
    *k = PG_TXK_NONE;
    bool own = q->tx == PG_TX_NONE;
    pd_err e = pg_exec_sql(q, own ? "BEGIN" : "SAVEPOINT pd_op", op);
    if (e != PD_OK)
        return e;
    if (own) {
        tx_set(q, PG_TX_WRITE);
        *k = PG_TXK_OWN;
    } else {
        q->savepoints++;
        *k = PG_TXK_SAVEPOINT;
    }
    return PD_OK;
}

pd_err pg_tx_enter_read(pg_store *q, const char *op, pg_tx_kind *k)
{
    *k = PG_TXK_NONE;
    if (q->tx != PG_TX_NONE)
        return pg_ready(q, op);
    pd_err e = pg_exec_sql(q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", op);
    if (e == PD_OK) {
        q->tx = PG_TX_READ;
        *k = PG_TXK_OWN;
    }
    return e;
}

pd_err pg_tx_leave(pg_store *q, const char *op, pg_tx_kind k, pd_err e)
{
    if (k == PG_TXK_NONE)
        return e;
    if (q->broken) {            /* the transaction went with the connection */
        if (k == PG_TXK_OWN)
            q->tx_lost = false; /* it was ours; a savepoint's belongs to the caller */
        return e != PD_OK ? e : PD_ERR_STORE;
    }
    if (k == PG_TXK_OWN) {
        if (e == PD_OK)
            e = commit_now(q, op);
        else
            rollback_quiet(q, "ROLLBACK", op);
        tx_set(q, PG_TX_NONE);
        q->tx_lost = false;     /* ours, over either way */
        return e;
    }
    if (e == PD_OK) {
        e = pg_exec_sql(q, "RELEASE SAVEPOINT pd_op", op);
    } else {
        rollback_quiet(q, "ROLLBACK TO SAVEPOINT pd_op", op);
        rollback_quiet(q, "RELEASE SAVEPOINT pd_op", op);
        q->notified = false;    /* the savepoint may have held the notification */
    }
    if (q->savepoints > 0)
        q->savepoints--;
    return e;
}

/* ---- change notification --------------------------------------------- */

pd_err pg_wrote(pg_store *q)
{
    static pg_stmt notify = PG_STMT("SELECT pg_notify('" PG_CHANGES_CHANNEL "', '')");
    if (q->tx != PG_TX_NONE && q->notified)
        return PD_OK;           /* one notification per transaction is enough */
    pd_err e = pg_exec(q, &notify, PG_NO_PARAMS, "notify", NULL, NULL);
    if (e != PD_OK)
        return e;
    if (q->tx == PG_TX_NONE) {
        pg_committed(q);        /* autocommitted: delivered already */
    } else {
        q->wrote = true;
        q->notified = true;
    }
    return PD_OK;
}

pd_err pg_wrote_ok(pg_store *q, pd_err e)
{
    return e == PD_OK ? pg_wrote(q) : e;
}

void pg_committed(pg_store *q)
{
    /* a write committed by this node invalidates this node's caches at
     * once, without waiting for its own notification (store/changes.h) */
    (void)q;
    pd_changes_bump();
}

/* ---- core ops -------------------------------------------------------- */

static void pg_close(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->conn != NULL)
        PQfinish(q->conn);
    free(q->conninfo);
    explicit_bzero(q, sizeof *q);
    free(q);
}

static const char *pg_last_error(pd_store *s)
{
    return PG(s)->last_err;
}

static pd_err pg_check(pd_store *s)
{
    static pg_stmt ping = PG_STMT("SELECT 1");
    pg_store *q = PG(s);
    return pg_exec(q, &ping, PG_NO_PARAMS, "check", NULL, NULL);
}

static pd_err pg_migrate(pd_store *s, int *from, int *to)
{
    pg_store *q = PG(s);
    if (q->tx != PG_TX_NONE)
        return pg_fail(q, "migrate", "cannot migrate inside a transaction");
    return pg_migrate_schema(q, from, to);
}

/* ---- group commit (store.h) ------------------------------------------
 * group_begin opens one write transaction; a caller's begin / commit /
 * rollback inside it are SAVEPOINT pd_req / RELEASE / ROLLBACK TO + RELEASE,
 * so one request's failure undoes its own writes only.  An outermost
 * commit's RELEASE is not sent on its own: it goes with the next SAVEPOINT in one
 * round trip, or the group's COMMIT releases it (a RELEASE of a healthy
 * savepoint cannot fail but with the connection, and then the group's
 * COMMIT fails and no request of it is acknowledged).  The group is open
 * while the connection is up and the transaction neither ended nor failed
 * (a failed statement no savepoint took back aborts it in PostgreSQL). */

/* The group's transaction went with the connection. */
static bool group_gone(const pg_store *q)
{
    return q->broken || q->conn == NULL || q->tx != PG_TX_WRITE;
}

static bool group_open(pg_store *q)
{
    return q->group && !group_gone(q) && PQtransactionStatus(q->conn) == PQTRANS_INTRANS;
}

static pd_err pg_group_begin(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->group || q->tx != PG_TX_NONE)
        return pg_fail(q, "group_begin", "called inside a transaction");
    pd_err e = pg_exec_sql(q, "BEGIN", "group_begin");
    if (e == PD_OK) {
        tx_set(q, PG_TX_WRITE);
        q->group = true;
        q->group_saves = 0;
        q->group_release = false;
    }
    return e;
}

static pd_err pg_group_end(pd_store *s, bool commit)
{
    pg_store *q = PG(s);
    pd_err e = PD_ERR_STORE;                /* failed already: nothing committed */
    if (!q->group)
        return pg_fail(q, "group_end", "no group begun");
    bool open = group_open(q);
    q->group = false;
    q->group_saves = 0;
    q->group_release = false;               /* COMMIT releases it; ROLLBACK drops it */
    if (open && commit) {
        e = commit_now(q, "group_end");     /* "ROLLBACK" for a failed one: an error */
    } else if (q->tx != PG_TX_NONE) {
        rollback_quiet(q, "ROLLBACK", "group_end");
    }
    tx_set(q, PG_TX_NONE);
    /* the group's own transaction is over either way, also when it (or this
     * COMMIT or ROLLBACK) went with the connection */
    q->tx_lost = false;
    return e;
}

static bool pg_group_open(pd_store *s)
{
    return group_open(PG(s));
}

/* Ends the innermost request savepoint of a group by undoing it (ROLLBACK
 * TO + RELEASE); nothing to undo when the group went with the connection. */
static pd_err group_undo(pg_store *q, const char *op)
{
    q->group_saves--;
    if (group_gone(q))
        return PD_OK;
    pd_err e = pg_exec_sql(q, "ROLLBACK TO SAVEPOINT pd_req; RELEASE SAVEPOINT pd_req", op);
    q->notified = false;                    /* the savepoint may have held the notification */
    return e;
}

/* A caller's begin inside a group: PD_OK with a savepoint, or the group is
 * no longer open (nothing may be written until group_end). */
static pd_err group_save(pg_store *q, const char *op)
{
    if (!group_open(q))
        return pg_fail(q, op, "the group's transaction failed; nothing of it was committed");
    pd_err e = pg_exec_sql(q, q->group_release ? "RELEASE SAVEPOINT pd_req; SAVEPOINT pd_req"
                                               : "SAVEPOINT pd_req", op);
    if (e == PD_OK) {
        q->group_release = false;
        q->group_saves++;
    }
    return e;
}

static pd_err pg_begin(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->group)
        return group_save(q, "begin");
    if (q->tx != PG_TX_NONE)
        return pg_fail(q, "begin", "cannot start a transaction within a transaction");
    pd_err e = pg_exec_sql(q, "BEGIN", "begin");
    if (e == PD_OK) {
        tx_set(q, PG_TX_WRITE);
    }
    return e;
}

static pd_err pg_begin_read(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->tx != PG_TX_NONE)
        return pg_fail(q, "begin_read", "cannot start a transaction within a transaction");
    pd_err e = pg_exec_sql(q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin_read");
    if (e == PD_OK)
        q->tx = PG_TX_READ;
    return e;
}

static pd_err pg_commit(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->group) {                         /* the group's own end is group_end */
        if (q->group_saves == 0)
            return pg_fail(q, "commit", "no transaction is open");
        if (!group_open(q)) {
            /* a statement failed inside this request's savepoint: as a
             * COMMIT of a failed transaction does, undo it (the group goes
             * on without it), and say so; or the group itself is gone */
            bool gone = group_gone(q);
            group_undo(q, "commit");
            return pg_fail(q, "commit", gone ? "the group's transaction failed;"
                                               " nothing of it was committed"
                                             : "the transaction had failed and was rolled back");
        }
        if (--q->group_saves > 0)           /* a nested one: its outer one may undo */
            return pg_exec_sql(q, "RELEASE SAVEPOINT pd_req", "commit");
        q->group_release = true;            /* sent with the next SAVEPOINT (above) */
        return PD_OK;
    }
    if (q->tx_lost) {
        q->tx_lost = false;
        return pg_fail(q, "commit", "the database connection was lost inside the transaction;"
                                    " nothing of it was committed");
    }
    if (q->tx == PG_TX_NONE)
        return pg_fail(q, "commit", "no transaction is open");
    pd_err e = commit_now(q, "commit");
    q->tx_lost = false;         /* a COMMIT lost with the connection ends it too */
    return e;
}

static pd_err pg_rollback(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->group) {                         /* the group's own end is group_end */
        return q->group_saves == 0 ? PD_OK : group_undo(q, "rollback");
    }
    q->tx_lost = false;
    if (q->tx == PG_TX_NONE)
        return PD_OK;
    pd_err e = pg_exec_sql(q, "ROLLBACK", "rollback");
    q->tx_lost = false;         /* even if the connection went meanwhile: it is over */
    tx_set(q, PG_TX_NONE);
    return e;
}

void pg_core_ops(pd_store_ops *ops)
{
    ops->name = "postgresql";
    ops->close = pg_close;
    ops->last_error = pg_last_error;
    ops->check = pg_check;
    ops->migrate = pg_migrate;
    ops->begin = pg_begin;
    ops->begin_read = pg_begin_read;
    ops->commit = pg_commit;
    ops->rollback = pg_rollback;
    ops->group_begin = pg_group_begin;
    ops->group_end = pg_group_end;
    ops->group_open = pg_group_open;
}

/* ---- open ------------------------------------------------------------ */

static pd_store_ops g_ops;
static pthread_once_t g_ops_once = PTHREAD_ONCE_INIT;

static void ops_init(void)
{
    pg_core_ops(&g_ops);
    pg_users_ops(&g_ops);
    pg_admin_ops(&g_ops);
    pg_oauth_ops(&g_ops);
}

static void notice_quiet(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;      /* NOTICEs ("relation already exists, skipping") are not errors */
}

pd_store *pd_store_pg_open(const char *conninfo, bool create, char *errbuf, size_t errlen)
{
    char dummy[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = dummy;
        errlen = sizeof dummy;
    }
    errbuf[0] = '\0';
    pthread_once(&g_ops_once, ops_init);
    if (conninfo == NULL || conninfo[0] == '\0') {
        snprintf(errbuf, errlen, "empty PostgreSQL URL");
        return NULL;
    }
    pg_store *q = calloc(1, sizeof *q);
    if (q == NULL || (q->conninfo = strdup(conninfo)) == NULL) {
        free(q);
        snprintf(errbuf, errlen, "cannot open the database: out of memory");
        return NULL;
    }
    /* defaults first: the URL's own settings override them */
    static const char *const keys[] = {
        "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "application_name", "client_encoding",
        "options", "dbname", NULL,
    };
    const char *vals[] = {
        LIM_PG_CONNECT_TIMEOUT_S_STR, "1", LIM_PG_KEEPALIVE_IDLE_S_STR,
        LIM_PG_KEEPALIVE_INTERVAL_S_STR, LIM_PG_KEEPALIVE_COUNT_STR,
        LIM_PG_TCP_USER_TIMEOUT_MS_STR, "profiled", "UTF8",
        "-c statement_timeout=" LIM_PG_STATEMENT_TIMEOUT_MS_STR " -c TimeZone=UTC",
        q->conninfo, NULL,
    };
    q->conn = PQconnectdbParams(keys, vals, 1);
    if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK) {
        pd_db_note_unreachable();            /* a worker's first connection */
        snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s",
                 q->conn != NULL ? PQerrorMessage(q->conn) : "out of memory");
        size_t n = strlen(errbuf);
        while (n > 0 && errbuf[n - 1] == '\n')
            errbuf[--n] = '\0';
        goto fail;
    }
    PQsetNoticeReceiver(q->conn, notice_quiet, NULL);
    q->base.ops = &g_ops;
    q->base.impl = q;
    if (!create) {
        bool present = false;
        if (pg_schema_present(q, &present) != PD_OK) {
            snprintf(errbuf, errlen, "cannot read the database: %s", q->last_err);
            goto fail;
        }
        if (!present) {
            snprintf(errbuf, errlen, "the profiled schema does not exist in database '%s' "
                     "(profiled never creates one implicitly: import or migrate into it first, "
                     "or start serve with --create)", PQdb(q->conn));
            goto fail;
        }
    }
    return &q->base;
fail:
    if (q->conn != NULL)
        PQfinish(q->conn);
    free(q->conninfo);
    free(q);
    return NULL;
}
