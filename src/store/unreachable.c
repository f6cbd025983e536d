/*
 * unreachable.c - the per-thread "database unreachable" mark
 * (store/unreachable.h).  No memory is owned.
 */
#include "store/unreachable.h"

static _Thread_local bool t_unreachable;

void pd_db_note_unreachable(void)
{
    t_unreachable = true;
}

bool pd_db_take_unreachable(void)
{
    bool was = t_unreachable;

    t_unreachable = false;
    return was;
}
