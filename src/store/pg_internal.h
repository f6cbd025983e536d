/*
 * pg_internal.h - private to the PostgreSQL backend (store/pg*.c): the
 * handle and the helpers every pg_*.c file uses.  Nothing outside src/store/
 * includes it; the rest of the program sees only store/store.h.
 *
 * The files of the backend, by domain:
 *   pg.c            connection, open, reconnect, transactions, errors, the
 *                   statement runner below, the ops table (pg_ops_init)
 *   pg_migrations.c the numbered schema (same numbers as SQLite's)
 *   pg_users.c      accounts, users, memberships, images, import/export,
 *                   cache versions, tenant wipe
 *   pg_admin.c      organizations and the Admin API lookups
 *   pg_oauth.c      signing keys, integrations, consents, grants, share links
 *                   (helper `pgauth`); pg_limits.c throttles and rate limits
 * Each domain file exports one `void pg_DOMAIN_ops(pd_store_ops *ops)` that
 * fills its slots of the table; pg.c calls them all once.
 *
 * Statements: a file declares each of its statements once as a static
 * `pg_stmt` (SQL text with $1.. placeholders).  pg_exec/pg_fetch/pg_rows
 * prepare it on the handle's connection the first time it is run there
 * (named "pd<slot>", the slot drawn once per process) and again after a
 * reconnect.  Parameters are bound, never spliced into SQL: text and
 * integers in text format, byte strings in binary format (bytea).  The
 * parameter types given to PQprepare follow the kinds of the first call's
 * parameters (text, int8, bytea), so one call site per statement, or call
 * sites that agree on kinds.
 *
 * Results: a statement with .binary set returns every column in binary
 * format (used for bytea columns); pg_col_* read either format.  Rows handed
 * to a pg_row_fn / pg_row_conv are borrowed from the PGresult and valid only
 * during the call.  pg_rows fetches the whole result before the first
 * callback, so a callback may call the store again (the export does);
 * iterations over tables that can be large page by key instead (pg_users.c).
 *
 * Errors: every failure is recorded in q->last_err as "op: message" and
 * logged (component "store"); all are PD_ERR_STORE except "no row"
 * (PD_ERR_NOT_FOUND where the op says so).  Unique, foreign-key, check and
 * not-null violations read like SQLite's ("UNIQUE constraint failed:
 * users.email", "FOREIGN KEY constraint failed (hint)", ...).  A lost
 * connection says "the database is unreachable: ..." and marks the handle:
 * its next call reconnects (pg_ready).
 *
 * Transactions: q->tx says what is open on the connection.  An operation
 * made of several statements brackets them with pg_tx_enter_write /
 * pg_tx_enter_read and pg_tx_leave, which mirror tx_enter_write /
 * tx_enter_read / tx_leave of store/sqlite.c: its own transaction when none
 * is open, a savepoint inside the caller's write transaction.  Every write
 * path calls pg_wrote() once it has written, inside its transaction.
 *
 * Memory: the pg_store (which embeds the pd_store handed out) is owned by
 * the caller of pd_store_pg_open() and freed by the close op.  Strings
 * passed to the helpers are borrowed for the call.
 */
#ifndef PROFILED_STORE_PG_INTERNAL_H
#define PROFILED_STORE_PG_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "store/store.h"

#define PG_LAST_ERR_MAX 512
/* statements per process (all pg_*.c files together) */
#define PG_MAX_STMTS 256
/* the channel every write notifies (delivered at commit) */
#define PG_CHANGES_CHANNEL "profiled_changes"

/* What is open on the connection. */
typedef enum {
    PG_TX_NONE = 0,     /* autocommit */
    PG_TX_WRITE,        /* begin op or an operation's own write transaction */
    PG_TX_READ,         /* begin_read or an operation's own read snapshot */
} pg_tx_state;

typedef struct pg_store {
    pd_store base;                  /* handed out; base.impl points back here */
    PGconn *conn;                   /* NULL only when a reconnect failed */
    char *conninfo;                 /* the URL as given (owned) */
    char last_err[PG_LAST_ERR_MAX];
    pg_tx_state tx;
    bool broken;                    /* the connection failed: reconnect on the next call */
    bool tx_lost;                   /* ... while a caller's transaction was open: refuse
                                       until that caller ends it (commit or rollback) */
    bool wrote;                     /* pg_wrote ran in the open transaction */
    bool notified;                  /* ... and its notification still stands (a savepoint
                                       rolled back may have taken it away) */
    unsigned savepoints;            /* nesting depth inside the open transaction */
    bool group;                     /* inside group_begin .. group_end (group commit) */
    unsigned group_saves;           /* callers' transactions open as savepoints of it */
    bool group_release;             /* a request's RELEASE SAVEPOINT pd_req not sent yet: it
                                       goes with the next SAVEPOINT, or COMMIT releases it */
    unsigned char prepared[PG_MAX_STMTS]; /* slot prepared on this connection */
} pg_store;

static inline pg_store *PG(pd_store *s)
{
    return (pg_store *)s->impl;
}

/* One statement; declare as `static pg_stmt X = PG_STMT("SELECT ...");`. */
typedef struct {
    const char *sql;
    bool binary;                    /* results in binary format (bytea columns) */
    atomic_int slot;                /* 1.. once drawn, 0 before */
} pg_stmt;

#define PG_STMT(sql_) { .sql = (sql_), .binary = false }
#define PG_STMT_BIN(sql_) { .sql = (sql_), .binary = true }

/* One parameter: text (NULL binds SQL NULL), int64, nullable int64, bytes. */
typedef struct {
    enum { PGP_TEXT, PGP_I64, PGP_I64_NULL, PGP_BYTES } kind;
    const char *s;
    int64_t i;
    const unsigned char *p;
    size_t len;
} pg_param;

typedef struct {
    const pg_param *v;
    size_t n;
} pg_params;

#define PGT(x) { .kind = PGP_TEXT, .s = (x) }
#define PGI(x) { .kind = PGP_I64, .i = (x) }
/* an int8 parameter that is SQL NULL when `null` is true */
#define PGIN(x, null) { .kind = (null) ? PGP_I64_NULL : PGP_I64, .i = (x) }
#define PGB(x, l) { .kind = PGP_BYTES, .p = (x), .len = (l) }
#define PG_PARAMS(...) ((pg_params){ (const pg_param[]){ __VA_ARGS__ }, \
                                     sizeof ((const pg_param[]){ __VA_ARGS__ }) / sizeof (pg_param) })
#define PG_NO_PARAMS ((pg_params){ NULL, 0 })

/* SQL: lower-cases ASCII letters only, whatever the database's locale (as
 * SQLite's lower()); GUIDs and emails go through it on write and lookup.
 * Text columns are COLLATE "C" (pg_migrations.c), so order and equality are
 * byte-wise as in SQLite. */
#define PG_LOWER(x) "lower((" x ") COLLATE \"C\")"

/* SQL: the groups of membership row m as a JSON text [[id, name, type], ...]
 * ordered by group id, NULL when none (read by pg_membership_from). */
#define PG_MEMBERSHIP_GROUPS_JSON \
    "(SELECT json_agg(json_build_array(g.id, g.name, g.type) ORDER BY mg.group_id)" \
    "   FROM membership_groups mg JOIN groups g" \
    "     ON g.account_id = mg.account_id AND g.id = mg.group_id" \
    "  WHERE mg.account_id = m.account_id AND mg.user_id = m.user_id)"

/* One row of a result, borrowed. */
typedef struct {
    const PGresult *res;
    int row;
} pg_row;

/* Column readers: NULL / 0 / false for SQL NULL. */
const char *pg_col_text(const pg_row *r, int col);
bool pg_col_null(const pg_row *r, int col);
int64_t pg_col_i64(const pg_row *r, int col);
bool pg_col_bool(const pg_row *r, int col);        /* integer != 0, or boolean true */
const unsigned char *pg_col_bytes(const pg_row *r, int col, size_t *len); /* bytea */
/* A heap copy of a text column into *dst (NULL stays NULL); false when out of memory. */
bool pg_dup(char **dst, const char *src);

/* A membership from columns c0.. of r: account_id, user_id, is_admin,
 * permission_profile_id, permission profile name, added, then the groups
 * (PG_MEMBERSHIP_GROUPS_JSON).  Owned copies; false when out of memory or
 * the groups are malformed (the caller clears m).  pg_users.c. */
bool pg_membership_from(const pg_row *r, int c0, pd_membership *m);
/* A user row of USER_COLS' shape (id, email, status, created, modified,
 * last_login, password_hash, profile_json, version, image etag; a query
 * that must not return the hash selects NULL in its place), pg_users.c:
 * pg_user_borrow points u's strings into the row (valid while the row is);
 * pg_user_conv (a pg_fetch converter) copies it into a pd_user, cleared on
 * failure.  pg_int64_conv: column 0 into an int64_t. */
void pg_user_borrow(const pg_row *r, pd_user *u);
bool pg_user_conv(const pg_row *r, void *out);
bool pg_int64_conv(const pg_row *r, void *out);

/* ---- errors ---- */
pd_err pg_fail(pg_store *q, const char *op, const char *msg);       /* records, logs */
pd_err pg_bad_arg(pg_store *q, const char *op);
pd_err pg_oom(pg_store *q, const char *op);

/* ---- statements ---- */
/* Makes sure the connection is usable (reconnects a broken one, which
 * forgets what was prepared); PD_ERR_STORE when the database is
 * unreachable or a transaction was lost with the connection. */
pd_err pg_ready(pg_store *q, const char *op);
/* Runs st with ps to completion.  *changes (optional): rows affected.
 * fk_hint explains a foreign-key violation in last_error. */
pd_err pg_exec(pg_store *q, pg_stmt *st, pg_params ps, const char *op, const char *fk_hint,
               int64_t *changes);
/* pg_exec that is PD_ERR_NOT_FOUND when no row was affected. */
pd_err pg_exec_keyed(pg_store *q, pg_stmt *st, pg_params ps, const char *op);

/* Converts a row into *out; false when out of memory (out then cleared). */
typedef bool (*pg_row_conv)(const pg_row *r, void *out);
typedef enum { PG_NONE_NOT_FOUND, PG_NONE_OK, PG_NONE_FAILS } pg_no_row;
/* Runs st and converts its first row; no row: see none. */
pd_err pg_fetch(pg_store *q, pg_stmt *st, pg_params ps, pg_row_conv conv, void *out,
                pg_no_row none, const char *op);
/* pg_fetch with PG_NONE_NOT_FOUND. */
pd_err pg_fetch_one(pg_store *q, pg_stmt *st, pg_params ps, pg_row_conv conv, void *out,
                    const char *op);
/* Called with each row: 0 goes on, > 0 stops (PD_OK), < 0 stops out of memory. */
typedef int (*pg_row_fn)(const pg_row *r, void *ctx);
/* Runs st and hands each row to fn; *n_rows (optional) gets the row count. */
pd_err pg_rows(pg_store *q, pg_stmt *st, pg_params ps, pg_row_fn fn, void *ctx,
               const char *op, int *n_rows);
/* Hands each row of st to emit, which builds a borrowed record and calls
 * fn(ctx, record); stops early, with PD_OK, when that returns non-zero. */
typedef int (*pg_emit_fn)(const pg_row *r, pd_iter_fn fn, void *ctx);
pd_err pg_iterate(pg_store *q, pg_stmt *st, pg_params ps, pg_emit_fn emit, pd_iter_fn fn,
                  void *ctx, const char *op);
/* Runs plain SQL without parameters (BEGIN, SAVEPOINT ...), for pg.c and the
 * migrations; never data. */
pd_err pg_exec_sql(pg_store *q, const char *sql, const char *op);

/* ---- transactions inside one operation ---- */
typedef enum { PG_TXK_NONE, PG_TXK_OWN, PG_TXK_SAVEPOINT } pg_tx_kind;
/* Own write transaction (BEGIN) when none is open, else a savepoint inside
 * the caller's write transaction.  Inside a read transaction: refused. */
pd_err pg_tx_enter_write(pg_store *q, const char *op, pg_tx_kind *k);
/* Own read snapshot (REPEATABLE READ, READ ONLY) when none is open; inside
 * an open transaction: nothing (its snapshot or locks hold). */
pd_err pg_tx_enter_read(pg_store *q, const char *op, pg_tx_kind *k);
/* Ends what pg_tx_enter_* began: commits / releases when e == PD_OK, else
 * rolls back; returns the final result. */
pd_err pg_tx_leave(pg_store *q, const char *op, pg_tx_kind k, pd_err e);

/* ---- change notification (the caches of every node) ---- */
/* Every write path calls this once it has written, inside its transaction
 * (or right after its one autocommitted statement): it runs
 * SELECT pg_notify('profiled_changes', ''), which PostgreSQL delivers to
 * every listening node at commit, and marks the handle so that
 * pg_committed() runs after the COMMIT succeeds (at once when no
 * transaction is open).  A notification rolled back with its transaction
 * is never delivered. */
pd_err pg_wrote(pg_store *q);
/* e unchanged when it is a failure; else pg_wrote(q): the tail of every
 * write op ("return pg_wrote_ok(q, pg_exec(...))"). */
pd_err pg_wrote_ok(pg_store *q, pd_err e);
/* Runs in this process after a transaction that wrote has committed. */
void pg_committed(pg_store *q);

/* ---- the ops table, by domain (each file fills its slots) ---- */
void pg_core_ops(pd_store_ops *ops);    /* pg.c: close, migrate, tx, last_error, check */
void pg_users_ops(pd_store_ops *ops);   /* pg_users.c */
void pg_admin_ops(pd_store_ops *ops);   /* pg_admin.c */
void pg_oauth_ops(pd_store_ops *ops);   /* pg_oauth.c (helper `pgauth`): get/add/delete
                                           signing keys, integrations, consents, grants,
                                           throttles, throttle_attempt/refund, rate_sync,
                                           share links */

/* ---- migrations (pg_migrations.c) ---- */
/* Brings the schema to the latest version under a session advisory lock
 * (several nodes starting at once apply each migration once). */
pd_err pg_migrate_schema(pg_store *q, int *from, int *to);
int pg_schema_latest(void);
/* Whether the database holds our schema (schema_migrations exists). */
pd_err pg_schema_present(pg_store *q, bool *present);

#endif
