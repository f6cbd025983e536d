/*
 * sqlite_migrations.h - the numbered schema migrations of the SQLite backend.
 *
 * Migrations are an ordered array of {version, description, sql}; the
 * database records the versions applied in schema_migrations(version,
 * applied_at).  Only store/sqlite.c uses this header.
 *
 * Memory: the migration table is static and read-only; nothing allocates.
 */
#ifndef PROFILED_MIGRATIONS_SQLITE_H
#define PROFILED_MIGRATIONS_SQLITE_H

#include <stddef.h>
#include <sqlite3.h>
#include "core/error.h"

typedef struct {
    int version;              /* 1, 2, 3 ... strictly increasing */
    const char *description;  /* one line, for logs */
    const char *sql;          /* one or more statements, trusted (static) text */
} pd_sqlite_migration;

/* The migrations this binary knows, in order, and their count. */
const pd_sqlite_migration *pd_sqlite_migrations(size_t *count);

/* The newest schema version this binary knows. */
int pd_sqlite_schema_latest(void);

/*
 * Brings the database on `db` up to pd_sqlite_schema_latest(): creates
 * schema_migrations if missing, then applies every missing migration, each
 * in its own BEGIN IMMEDIATE transaction (re-checking the version inside it,
 * so two processes migrating at once are safe).  *from / *to (either may be
 * NULL) receive the version before and after.  A database newer than the
 * binary gives PD_ERR_STORE.  On failure a message is written to err
 * (caller-owned, errlen bytes) and PD_ERR_STORE is returned; a failed
 * migration is rolled back entirely.  Must not be called inside a transaction.
 */
pd_err pd_sqlite_migrate(sqlite3 *db, int *from, int *to, char *err, size_t errlen);

#endif
