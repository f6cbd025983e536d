/*
 * resp_cache.c - see resp_cache.h.  A direct-mapped table per thread
 * (pthread key with a destructor), FNV-1a hash of the key; a colliding put
 * replaces the slot.  No locks: a table is only ever touched by its thread.
 */
#include "resp_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "thread_table.h"

typedef struct {
    uint64_t hash;
    char key[RC_KEY_MAX];
    rc_tags tags;
    unsigned char *body;
    size_t len;
    const char *ctype;
} rc_entry;

typedef struct {
    rc_entry slots[RC_SLOTS];
    uint64_t hits, misses;
} rc_table;

static pthread_key_t rc_key;
static pthread_once_t rc_once = PTHREAD_ONCE_INIT;

static void table_free(void *p)
{
    rc_table *t = p;

    for (size_t i = 0; t && i < RC_SLOTS; i++)
        free(t->slots[i].body);
    free(t);
}

static void key_init(void)
{
    pthread_key_create(&rc_key, table_free);
}

static rc_table *table(void)
{
    pthread_once(&rc_once, key_init);
    return thread_table_get(rc_key, sizeof(rc_table));
}

static uint64_t fnv1a(const char *s)
{
    return str_hash64(s, strlen(s));
}

static int same_tags(const rc_tags *a, const rc_tags *b)
{
    return a->v_caller == b->v_caller && a->v_target == b->v_target &&
           a->generation == b->generation;
}

unsigned char *rc_get(const char *key, const rc_tags *tags, size_t *len, const char **ctype)
{
    rc_table *t = table();
    uint64_t h = fnv1a(key);
    rc_entry *e;
    unsigned char *copy;

    if (t == NULL)
        return NULL;
    e = &t->slots[h % RC_SLOTS];
    if (e->body == NULL || e->hash != h || strcmp(e->key, key) != 0 || !same_tags(&e->tags, tags)) {
        t->misses++;
        return NULL;
    }
    copy = malloc(e->len ? e->len : 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, e->body, e->len);
    *len = e->len;
    *ctype = e->ctype;
    t->hits++;
    return copy;
}

void rc_put(const char *key, const rc_tags *tags, const unsigned char *body, size_t len,
            const char *ctype)
{
    rc_table *t = table();
    uint64_t h = fnv1a(key);
    rc_entry *e;
    unsigned char *copy;

    if (t == NULL || len > RC_ENTRY_MAX || strlen(key) >= RC_KEY_MAX)
        return;
    copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, body, len);
    e = &t->slots[h % RC_SLOTS];
    free(e->body);
    e->hash = h;
    memcpy(e->key, key, strlen(key) + 1);
    e->tags = *tags;
    e->body = copy;
    e->len = len;
    e->ctype = ctype;
}

void rc_stats(uint64_t *hits, uint64_t *misses)
{
    rc_table *t = table();

    *hits = t ? t->hits : 0;
    *misses = t ? t->misses : 0;
}
