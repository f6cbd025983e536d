/*
 * lookup_cache.c - see lookup_cache.h.  Per-thread LC_WAYS-way
 * set-associative tables: a put replaces the entry of the same key, else an
 * empty one, else the set's least recently used.  Copies are
 * all-or-nothing: on an allocation failure the lookup is simply a miss.
 */
#include "store/lookup_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/metrics.h"
#include "core/strutil.h"
#include "core/thread_table.h"

#define LC_KEY_MAX (2 * LIM_ID_MAX + 2)

#define LC_SETS (LC_SLOTS / LC_WAYS)

typedef struct {
    char key[LC_KEY_MAX];
    int64_t generation, version;
    uint64_t last_use;          /* the table's tick when last read or written */
    bool used;
} lc_head;

typedef struct {
    lc_head h;
    pd_account account;
} lc_acc;

typedef struct {
    lc_head h;
    pd_membership m;
} lc_mem;

typedef struct {
    lc_acc acc[LC_SLOTS];
    lc_mem mem[LC_SLOTS];
    uint64_t tick;
} lc_table;

static pthread_key_t lc_key;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;

static void lc_init(void);

static void lc_free(void *p)
{
    lc_table *t = p;

    for (size_t i = 0; t && i < LC_SLOTS; i++) {
        pd_account_clear(&t->acc[i].account);
        pd_membership_clear(&t->mem[i].m);
    }
    free(t);
}

void lc_forget(void)
{
    pthread_once(&lc_once, lc_init);
    lc_table *t = pthread_getspecific(lc_key);

    if (t != NULL) {
        pthread_setspecific(lc_key, NULL);
        lc_free(t);                         /* the next use starts an empty table */
    }
}

static void lc_init(void)
{
    pthread_key_create(&lc_key, lc_free);
}

static lc_table *table(void)
{
    pthread_once(&lc_once, lc_init);
    return thread_table_get(lc_key, sizeof(lc_table));
}

static bool copy_account(const pd_account *src, pd_account *dst)
{
    memset(dst, 0, sizeof(*dst));
    dst->external_id = src->external_id;
    dst->id = str_dup(src->id);
    dst->name = str_dup(src->name);
    dst->organization_id = str_dup(src->organization_id);
    if (dst->id == NULL || dst->name == NULL || (src->organization_id && dst->organization_id == NULL)) {
        pd_account_clear(dst);
        return false;
    }
    return true;
}

static bool copy_membership(const pd_membership *src, pd_membership *dst)
{
    memset(dst, 0, sizeof(*dst));
    dst->is_admin = src->is_admin;
    dst->account_id = str_dup(src->account_id);
    dst->user_id = str_dup(src->user_id);
    dst->permission_profile_id = str_dup(src->permission_profile_id);
    dst->permission_profile_name = str_dup(src->permission_profile_name);
    dst->added = str_dup(src->added);
    bool ok = dst->account_id && dst->user_id &&
              (!src->permission_profile_id || dst->permission_profile_id) &&
              (!src->permission_profile_name || dst->permission_profile_name) &&
              (!src->added || dst->added);
    if (ok && src->n_groups > 0) {
        dst->groups = calloc(src->n_groups, sizeof(*dst->groups));
        ok = dst->groups != NULL;
        for (size_t i = 0; ok && i < src->n_groups; i++) {
            dst->n_groups = i + 1;
            dst->groups[i].id = str_dup(src->groups[i].id);
            dst->groups[i].name = str_dup(src->groups[i].name);
            dst->groups[i].type = str_dup(src->groups[i].type);
            ok = (!src->groups[i].id || dst->groups[i].id) &&
                 (!src->groups[i].name || dst->groups[i].name) &&
                 (!src->groups[i].type || dst->groups[i].type);
        }
    }
    if (!ok)
        pd_membership_clear(dst);
    return ok;
}

/* Builds "a|b" into key; false when it does not fit. */
static bool make_key(char key[LC_KEY_MAX], const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;

    if (la + 1 + lb + 1 > LC_KEY_MAX)
        return false;
    memcpy(key, a, la);
    key[la] = '|';
    if (lb)
        memcpy(key + la + 1, b, lb);
    key[la + 1 + lb] = '\0';
    return true;
}

/* The first entry of key's set (LC_WAYS entries from there).  FNV-1a's
 * low bits mix poorly (bit 0 is the parity of the bytes' bit 0), so the set
 * is taken from the top bits of a multiplied hash. */
static size_t set_of(const char *key)
{
    uint64_t h = str_hash64(key, strlen(key)) * 0x9e3779b97f4a7c15ULL;
    return (size_t)((h >> 32) % LC_SETS) * LC_WAYS;
}

/* Way i of a set: the entries are `stride` bytes apart, each starting with
 * its lc_head. */
static lc_head *way(void *set, size_t stride, int i)
{
    return (lc_head *)((char *)set + (size_t)i * stride);
}

/* The way of the set holding key, or -1. */
static int find_way(void *set, size_t stride, const char *key)
{
    for (int i = 0; i < LC_WAYS; i++) {
        const lc_head *h = way(set, stride, i);
        if (h->used && strcmp(h->key, key) == 0)
            return i;
    }
    return -1;
}

/* The way a put of key takes: the key's own, an empty one, or the least
 * recently used. */
static int victim_way(void *set, size_t stride, const char *key)
{
    int v = find_way(set, stride, key);

    for (int i = 0; v < 0 && i < LC_WAYS; i++)
        if (!way(set, stride, i)->used)
            v = i;
    if (v < 0) {
        v = 0;
        for (int i = 1; i < LC_WAYS; i++)
            if (way(set, stride, i)->last_use < way(set, stride, v)->last_use)
                v = i;
    }
    return v;
}

bool lc_get_account(const char *ref, int64_t generation, pd_account *out)
{
    lc_table *t = table();
    char key[LC_KEY_MAX];

    if (t == NULL || !make_key(key, ref, NULL))
        return false;
    lc_acc *set = &t->acc[set_of(key)];
    int w = find_way(set, sizeof(*set), key);
    if (w < 0 || set[w].h.generation != generation) {
        met_inc(MET_LOOKUP_CACHE_MISS);
        return false;
    }
    met_inc(MET_LOOKUP_CACHE_HIT);
    set[w].h.last_use = ++t->tick;
    return copy_account(&set[w].account, out);
}

void lc_put_account(const char *ref, int64_t generation, const pd_account *a)
{
    lc_table *t = table();
    char key[LC_KEY_MAX];

    if (t == NULL || !make_key(key, ref, NULL))
        return;
    lc_acc *set = &t->acc[set_of(key)];
    lc_acc *e = &set[victim_way(set, sizeof(*set), key)];
    pd_account_clear(&e->account);
    e->h.used = copy_account(a, &e->account);
    memcpy(e->h.key, key, sizeof(key));
    e->h.generation = generation;
    e->h.last_use = ++t->tick;
}

bool lc_get_membership(const char *account_id, const char *user_id, int64_t generation,
                       int64_t user_version, pd_membership *out)
{
    lc_table *t = table();
    char key[LC_KEY_MAX];

    if (t == NULL || !make_key(key, account_id, user_id))
        return false;
    lc_mem *set = &t->mem[set_of(key)];
    int w = find_way(set, sizeof(*set), key);
    if (w < 0 || set[w].h.generation != generation || set[w].h.version != user_version) {
        met_inc(MET_LOOKUP_CACHE_MISS);
        return false;
    }
    met_inc(MET_LOOKUP_CACHE_HIT);
    set[w].h.last_use = ++t->tick;
    return copy_membership(&set[w].m, out);
}

void lc_put_membership(const char *account_id, const char *user_id, int64_t generation,
                       int64_t user_version, const pd_membership *m)
{
    lc_table *t = table();
    char key[LC_KEY_MAX];

    if (t == NULL || !make_key(key, account_id, user_id))
        return;
    lc_mem *set = &t->mem[set_of(key)];
    lc_mem *e = &set[victim_way(set, sizeof(*set), key)];
    pd_membership_clear(&e->m);
    e->h.used = copy_membership(m, &e->m);
    memcpy(e->h.key, key, sizeof(key));
    e->h.generation = generation;
    e->h.version = user_version;
    e->h.last_use = ++t->tick;
}
