/*
 * unreachable.h - "the database could not be reached" as a per-thread mark,
 * so the HTTP layer can answer 503 in the API's own error shape whatever
 * error value the handler made of the failure (docs/deploy.md).
 *
 * A backend calls pd_db_note_unreachable() when a call fails because the
 * database server cannot be reached or the connection was lost (PostgreSQL:
 * store/pg.c; SQLite files are always "reachable").  http/server.c clears
 * the mark before a handler runs and reads it after.  Thread-local: one
 * worker thread answers one request at a time and owns its connection.
 */
#ifndef PROFILED_STORE_UNREACHABLE_H
#define PROFILED_STORE_UNREACHABLE_H

#include <stdbool.h>

void pd_db_note_unreachable(void);
/* Whether the mark was set since the last call; clears it. */
bool pd_db_take_unreachable(void);

#endif
