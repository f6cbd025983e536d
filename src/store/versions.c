/*
 * versions.c - see versions.h.
 */
#include "store/versions.h"

#include <pthread.h>
#include <stdbool.h>
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

/* A caller's own tag: the version of user a when Active, else -1. */
typedef struct {
    uint64_t stamp;             /* 0: empty */
    int64_t born_ms;
    const pd_store *s;
    int64_t va, gen;
    char a[LIM_ID_MAX + 1];
} vm_caller;

typedef struct {
    vm_entry e[LIM_VERSIONS_MEMO_SLOTS];
    vm_caller c[LIM_VERSIONS_CALLERS];
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

static vm_table *table(void)
{
    pthread_once(&vm_once, vm_init);
    return thread_table_get(vm_key, sizeof(vm_table));
}

/* A table index from a hash: FNV-1a's low bits mix poorly (bit 0 is the
 * parity of the bytes' bit 0), so the index comes from the top bits of the
 * hash times an odd constant. */
static size_t spread(uint64_t h, size_t n)
{
    return (size_t)(((h * 0x9e3779b97f4a7c15ULL) >> 32) % n);
}

/* The pair entry of (a, b): its own if held (valid or not), else the
 * set's empty one, else one filled under another stamp (of no use any
 * more), else the oldest. */
static vm_entry *slot(vm_table *t, uint64_t ha, const char *a, size_t la, const char *b, size_t lb,
                      uint64_t stamp)
{
    uint64_t h = ha * 31u ^ str_hash64(b, lb);
    vm_entry *set = &t->e[spread(h, LIM_VERSIONS_MEMO_SLOTS / LIM_VERSIONS_MEMO_WAYS) *
                          LIM_VERSIONS_MEMO_WAYS];
    vm_entry *v = &set[0];

    for (int i = 0; i < LIM_VERSIONS_MEMO_WAYS; i++)
        if (set[i].stamp != 0 && memcmp(set[i].a, a, la + 1) == 0 && memcmp(set[i].b, b, lb + 1) == 0)
            return &set[i];
    for (int i = 0; i < LIM_VERSIONS_MEMO_WAYS; i++) {
        if (set[i].stamp != stamp)      /* empty (0) or of another stamp (never 0) */
            return &set[i];
        if (set[i].born_ms < v->born_ms)
            v = &set[i];
    }
    return v;
}

/* The caller entry of a: its own if held (valid or not), else the set's
 * empty or oldest one. */
static vm_caller *caller_slot(vm_table *t, uint64_t ha, const char *a, size_t la)
{
    vm_caller *set = &t->c[spread(ha, LIM_VERSIONS_CALLERS / LIM_VERSIONS_CALLER_WAYS) *
                           LIM_VERSIONS_CALLER_WAYS];
    vm_caller *v = &set[0];

    for (int i = 0; i < LIM_VERSIONS_CALLER_WAYS; i++)
        if (set[i].stamp != 0 && memcmp(set[i].a, a, la + 1) == 0)
            return &set[i];
    for (int i = 0; i < LIM_VERSIONS_CALLER_WAYS; i++) {
        if (set[i].stamp == 0)
            return &set[i];
        if (set[i].born_ms < v->born_ms)
            v = &set[i];
    }
    return v;
}

static bool caller_valid(const vm_caller *c, const pd_store *s, const char *a, size_t la,
                         uint64_t stamp, int64_t now)
{
    return c->stamp == stamp && c->s == s && now - c->born_ms < LIM_VERSIONS_MEMO_MAX_AGE_MS &&
           memcmp(c->a, a, la + 1) == 0;
}

/* pd_store_versions; in_read (may be NULL): begin a read batch before
 * reading the database, and say whether one was begun. */
static pd_err versions(pd_store *s, const char *user_a, const char *user_b,
                       int64_t *va, int64_t *vb, int64_t *generation, bool *in_read)
{
    if (s == NULL || user_a == NULL || user_b == NULL)
        return s != NULL ? s->ops->get_versions(s, user_a, user_b, va, vb, generation) : PD_ERR_STORE;
    /* read BEFORE the database: a write committed after this moves it */
    uint64_t stamp = pd_changes_stamp();
    size_t la = strlen(user_a), lb = strlen(user_b);
    vm_table *t = NULL;
    vm_entry *e = NULL;
    vm_caller *c = NULL;
    int64_t now = 0;

    if (stamp != 0 && la <= LIM_ID_MAX && lb <= LIM_ID_MAX && (t = table()) != NULL) {
        uint64_t ha = str_hash64(user_a, la);
        e = slot(t, ha, user_a, la, user_b, lb, stamp);
        c = caller_slot(t, ha, user_a, la);
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
    pd_err err = PD_ERR_STORE;
    bool done = false;
    /* after the stamp: a deferred BEGIN takes its snapshot at the first read */
    if (in_read != NULL)
        *in_read = pd_store_begin_read_batch(s);
    if (c != NULL && strcmp(user_a, user_b) != 0 && caller_valid(c, s, user_a, la, stamp, now)) {
        /* the caller's tag is known under this stamp (nothing was written
         * since it was read): read the target's row only.  Asked as the pair
         * (target, target), the op reads that one row. */
        int64_t unused;
        err = s->ops->get_versions(s, user_b, user_b, &unused, vb, generation);
        done = err == PD_OK && *generation == c->gen;
        if (done)
            *va = c->va;
    }
    if (!done) {
        err = s->ops->get_versions(s, user_a, user_b, va, vb, generation);
        if (c != NULL && err == PD_OK) {
            c->stamp = stamp;
            c->born_ms = now;
            c->s = s;
            c->va = *va;
            c->gen = *generation;
            memcpy(c->a, user_a, la + 1);
        }
    }
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

pd_err pd_store_versions(pd_store *s, const char *user_a, const char *user_b,
                         int64_t *va, int64_t *vb, int64_t *generation)
{
    return versions(s, user_a, user_b, va, vb, generation, NULL);
}

pd_err pd_store_versions_reading(pd_store *s, const char *user_a, const char *user_b,
                                 int64_t *va, int64_t *vb, int64_t *generation, bool *in_read)
{
    *in_read = false;
    return versions(s, user_a, user_b, va, vb, generation, in_read);
}

void pd_store_versions_forget(void)
{
    pthread_once(&vm_once, vm_init);
    vm_table *t = pthread_getspecific(vm_key);
    if (t != NULL)
        memset(t, 0, sizeof *t);
}
