/*
 * pg_admin.c - placeholder (filled in the next commits).
 */
#include "store/pg_internal.h"

void pg_admin_ops(pd_store_ops *ops)
{
    (void)ops;
}
