/*
 * pg_oauth.c - the OAuth half of the PostgreSQL backend's store ops
 * (store/pg_internal.h): signing keys, integrations, consents, grants,
 * sign-in throttles, rate-limit counters and ID-card share links.
 *
 * Written by helper `pgauth`; this placeholder fills no slot yet, so those
 * ops are NULL on PostgreSQL until it lands.
 */
#include "store/pg_internal.h"

void pg_oauth_ops(pd_store_ops *ops)
{
    (void)ops;
}
