/*
 * resp_cache.c - see resp_cache.h.  A direct-mapped table per thread
 * (pthread key with a destructor), FNV-1a hash of the key; a colliding put
 * replaces the slot.  No locks: a table is only ever touched by its thread
 * (libmicrohttpd's reference counting is its own and thread-safe).
 */
#include "http/resp_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "core/thread_table.h"

typedef struct {
    uint64_t hash;
    char key[RC_KEY_MAX];
    rc_tags tags;
    struct MHD_Response *resp;     /* one reference, NULL when empty */
    size_t len;
    char etag[RC_ETAG_MAX];
} rc_entry;

typedef struct {
    rc_entry slots[RC_SLOTS];
    size_t bytes;                  /* body bytes held */
    uint64_t hits, misses;
} rc_table;

static pthread_key_t rc_key;
static pthread_once_t rc_once = PTHREAD_ONCE_INIT;

static void slot_clear(rc_table *t, rc_entry *e)
{
    if (e->resp != NULL) {
        MHD_destroy_response(e->resp);
        t->bytes -= e->len;
    }
    e->resp = NULL;
    e->len = 0;
}

static void table_free(void *p)
{
    rc_table *t = p;

    for (size_t i = 0; t && i < RC_SLOTS; i++)
        slot_clear(t, &t->slots[i]);
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

static int same_tags(const rc_tags *a, const rc_tags *b)
{
    return a->v_caller == b->v_caller && a->v_target == b->v_target &&
           a->generation == b->generation;
}

struct MHD_Response *rc_get(const char *key, const rc_tags *tags, const char **etag)
{
    rc_table *t = table();
    uint64_t h = str_hash64(key, strlen(key));
    rc_entry *e;

    if (t == NULL)
        return NULL;
    e = &t->slots[h % RC_SLOTS];
    if (e->resp == NULL || e->hash != h || strcmp(e->key, key) != 0 || !same_tags(&e->tags, tags)) {
        t->misses++;
        return NULL;
    }
    t->hits++;
    if (etag)
        *etag = e->etag[0] ? e->etag : NULL;
    return e->resp;
}

struct MHD_Response *rc_put(const char *key, const rc_tags *tags, const unsigned char *body,
                            size_t len, const char *ctype, const char *etag,
                            const rc_header *headers, size_t n)
{
    rc_table *t = table();
    uint64_t h = str_hash64(key, strlen(key));
    struct MHD_Response *mr;
    rc_entry *e;

    if (t == NULL || len > RC_ENTRY_MAX || strlen(key) >= RC_KEY_MAX ||
        (etag && strlen(etag) >= RC_ETAG_MAX))
        return NULL;
    e = &t->slots[h % RC_SLOTS];
    slot_clear(t, e);
    if (t->bytes + len > RC_BYTES_MAX)
        return NULL;                            /* full: serve uncached */
    mr = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (mr == NULL)
        return NULL;
    bool ok = ctype == NULL || MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES;
    for (size_t i = 0; ok && i < n; i++)
        ok = MHD_add_response_header(mr, headers[i].name, headers[i].value) == MHD_YES;
    if (!ok) {
        MHD_destroy_response(mr);
        return NULL;
    }
    e->hash = h;
    memcpy(e->key, key, strlen(key) + 1);
    e->tags = *tags;
    e->resp = mr;
    e->len = len;
    t->bytes += len;
    if (etag)
        memcpy(e->etag, etag, strlen(etag) + 1);
    else
        e->etag[0] = '\0';
    return mr;
}

void rc_stats(uint64_t *hits, uint64_t *misses)
{
    rc_table *t = table();

    *hits = t ? t->hits : 0;
    *misses = t ? t->misses : 0;
}
