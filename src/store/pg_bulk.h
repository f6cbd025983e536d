/*
 * pg_bulk.h - private to the PostgreSQL backend: bulk import
 * (store/pg_bulk.c), the bulk_* ops of store.h.
 */
#ifndef PROFILED_STORE_PG_BULK_H
#define PROFILED_STORE_PG_BULK_H

#include "store/store.h"

/* Fills the bulk_* slots and wraps the ops a bulk import may call (the
 * wrapped functions are kept); call it last, once every other domain has
 * filled its slots (pg_oauth_ops does, and pg.c calls it last). */
void pg_bulk_ops(pd_store_ops *ops);

#endif
