/*
 * versions.c - see versions.h.
 */
#include "store/versions.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/metrics.h"
#include "core/strutil.h"
#include "core/thread_table.h"
#include "store/changes.h"

typedef struct {
    uint64_t stamp;             /* 0: empty */
    int64_t born_ms;
    const pd_store *s;
    int64_t va, vb, gen;
    char a[LIM_ID_MAX + 1], b[LIM_ID_MAX + 1];
} vm_entry;

typedef struct {
    vm_entry e[LIM_VERSIONS_MEMO_SLOTS];
} vm_table;

static pthread_key_t vm_key;
static pthread_once_t vm_once = PTHREAD_ONCE_INIT;

static void vm_init(void)
{
    pthread_key_create(&vm_key, free);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static vm_entry *slot(const char *a, size_t la, const char *b, size_t lb)
{
    pthread_once(&vm_once, vm_init);
    vm_table *t = thread_table_get(vm_key, sizeof(vm_table));
    if (t == NULL)
        return NULL;
    uint64_t h = str_hash64(a, la) * 31u ^ str_hash64(b, lb);
    return &t->e[h % LIM_VERSIONS_MEMO_SLOTS];
}

pd_err pd_store_versions(pd_store *s, const char *user_a, const char *user_b,
                         int64_t *va, int64_t *vb, int64_t *generation)
{
    if (s == NULL || user_a == NULL || user_b == NULL)
        return s != NULL ? s->ops->get_versions(s, user_a, user_b, va, vb, generation) : PD_ERR_STORE;
    /* read BEFORE the database: a write committed after this moves it */
    uint64_t stamp = pd_changes_stamp();
    size_t la = strlen(user_a), lb = strlen(user_b);
    vm_entry *e = NULL;
    int64_t now = 0;

    if (stamp != 0 && la <= LIM_ID_MAX && lb <= LIM_ID_MAX && (e = slot(user_a, la, user_b, lb)) != NULL) {
        now = now_ms();
        if (e->stamp == stamp && e->s == s && now - e->born_ms < LIM_VERSIONS_MEMO_MAX_AGE_MS &&
            memcmp(e->a, user_a, la + 1) == 0 && memcmp(e->b, user_b, lb + 1) == 0) {
            *va = e->va;
            *vb = e->vb;
            *generation = e->gen;
            met_inc(MET_VERSIONS_MEMO_HIT);
            return PD_OK;
        }
    }
    pd_err err = s->ops->get_versions(s, user_a, user_b, va, vb, generation);
    if (e != NULL) {
        met_inc(MET_VERSIONS_MEMO_MISS);
        if (err == PD_OK) {
            e->stamp = stamp;
            e->born_ms = now;
            e->s = s;
            e->va = *va;
            e->vb = *vb;
            e->gen = *generation;
            memcpy(e->a, user_a, la + 1);
            memcpy(e->b, user_b, lb + 1);
        } else {
            e->stamp = 0;
        }
    }
    return err;
}

void pd_store_versions_forget(void)
{
    pthread_once(&vm_once, vm_init);
    vm_table *t = pthread_getspecific(vm_key);
    if (t != NULL)
        memset(t, 0, sizeof *t);
}
