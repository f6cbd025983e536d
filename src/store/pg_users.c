/*
 * pg_users.c - placeholder (filled in the next commits).
 */
#include "store/pg_internal.h"

void pg_users_ops(pd_store_ops *ops)
{
    (void)ops;
}
