/*
 * test_unreachable.c - the per-thread "database unreachable" mark
 * (store/unreachable.h): taken once, cleared by taking, and per thread (a
 * mark set by one worker never turns another worker's answer into a 503).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/unreachable.h"

static void test_take_clears(void **state)
{
    (void)state;
    assert_false(pd_db_take_unreachable());
    pd_db_note_unreachable();
    pd_db_note_unreachable();
    assert_true(pd_db_take_unreachable());
    assert_false(pd_db_take_unreachable());
}

static void *mark_here(void *arg)
{
    bool *seen_before = arg;
    *seen_before = pd_db_take_unreachable();
    pd_db_note_unreachable();
    return NULL;
}

static void test_per_thread(void **state)
{
    (void)state;
    bool other_saw = true;
    pthread_t t;

    pd_db_note_unreachable();                       /* this thread's mark */
    assert_int_equal(pthread_create(&t, NULL, mark_here, &other_saw), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_false(other_saw);                        /* not seen by the other thread */
    assert_true(pd_db_take_unreachable());          /* ours is still there */
    assert_false(pd_db_take_unreachable());         /* and theirs never reached us */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_clears),
        cmocka_unit_test(test_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
