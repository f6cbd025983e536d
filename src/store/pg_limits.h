/*
 * pg_limits.h - private to the PostgreSQL backend: the sign-in throttle and
 * rate-limit counter ops (store/pg_limits.c), filled into the ops table by
 * pg_oauth_ops (store/pg_oauth.c), which owns that part of the table.
 */
#ifndef PROFILED_STORE_PG_LIMITS_H
#define PROFILED_STORE_PG_LIMITS_H

#include "store/store.h"

/* get/put_throttle, throttle_attempt, throttle_refund, rate_sync */
void pg_limits_ops(pd_store_ops *ops);

#endif
