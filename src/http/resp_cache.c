/*
 * resp_cache.c - see resp_cache.h.  A table per thread (pthread key with
 * a destructor) of RC_SETS sets of RC_WAYS entries, picked by the FNV-1a
 * hash of the key: a put replaces the entry of the same key, else an empty
 * one, else the set's least recently used.  Each set keeps its ways'
 * hashes and last uses side by side, so a lookup reads one or two cache
 * lines before it touches an entry.  No locks on the table: it is only
 * ever touched by its thread.  The bytes of an entry (rc_body) are
 * reference-counted atomically, because libmicrohttpd releases a response
 * when it is done sending, which may be after the entry was replaced.
 */
#include "http/resp_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/strutil.h"
#include "core/thread_table.h"

struct rc_body {
    atomic_uint refs;
    struct MHD_Response *shared;           /* rc_response_reuse's response: the entry's
                                              thread only; NULL until first used */
    atomic_bool shared_busy;               /* a request is sending it (until _done) */
    char ctype[RC_HDR_VALUE_MAX];          /* "" when none */
    size_t n_headers;
    struct {
        const char *name;                  /* static */
        char value[RC_HDR_VALUE_MAX];
    } headers[RC_HEADERS_MAX];
    size_t len;
    unsigned char bytes[];                 /* len bytes */
};

#define RC_SETS (RC_SLOTS / RC_WAYS)

typedef struct {
    char key[RC_KEY_MAX];
    rc_tags tags;
    rc_body *body;                 /* one reference, NULL when empty */
    char etag[RC_ETAG_MAX];
} rc_entry;

typedef struct {
    uint64_t hash[RC_WAYS];        /* of the way's key (never 0); 0 when empty */
    uint64_t last_use[RC_WAYS];    /* the table's tick when last hit or put */
    rc_entry e[RC_WAYS];
} rc_set;

typedef struct {
    rc_set sets[RC_SETS];
    size_t bytes;                  /* body bytes held */
    uint64_t tick;
    uint64_t hits, misses;
} rc_table;

static size_t rc_budget = RC_BYTES_MAX;   /* set before the workers start */
static pthread_key_t rc_key;
static pthread_once_t rc_once = PTHREAD_ONCE_INIT;

static void body_unref(rc_body *b)
{
    if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* libmicrohttpd's free callback of responses made by rc_response. */
static void body_release(void *cls)
{
    body_unref(cls);
}

static void slot_clear(rc_table *t, rc_set *set, int w)
{
    rc_entry *e = &set->e[w];

    set->hash[w] = 0;
    if (e->body != NULL) {
        t->bytes -= e->body->len;
        if (e->body->shared != NULL) {
            /* a connection still sending it keeps its own reference */
            MHD_destroy_response(e->body->shared);
            e->body->shared = NULL;
        }
        body_unref(e->body);
    }
    e->body = NULL;
}

static void table_free(void *p)
{
    rc_table *t = p;

    for (size_t i = 0; t && i < RC_SETS; i++)
        for (int w = 0; w < RC_WAYS; w++)
            slot_clear(t, &t->sets[i], w);
    free(t);
}

static void key_init(void)
{
    pthread_key_create(&rc_key, table_free);
}

/* This thread's table; NULL when the cache is off (no table is made) or
 * out of memory. */
static rc_table *table(void)
{
    if (rc_budget == 0)
        return NULL;
    pthread_once(&rc_once, key_init);
    return thread_table_get(rc_key, sizeof(rc_table));
}

static int same_tags(const rc_tags *a, const rc_tags *b)
{
    return a->v_caller == b->v_caller && a->v_target == b->v_target &&
           a->generation == b->generation;
}

/* The key's hash (never 0, which marks an empty way). */
static uint64_t key_hash(const char *key, size_t len)
{
    return str_hash64(key, len) | 1u;
}

/* The key's set: FNV-1a's low bits mix poorly (bit 0 is the parity of
 * the bytes' bit 0), so it comes from the top bits of the hash times an
 * odd constant. */
static rc_set *set_of(rc_table *t, uint64_t h)
{
    return &t->sets[((h * 0x9e3779b97f4a7c15ULL) >> 32) % RC_SETS];
}

/* The way of set holding key (whatever its tags), or -1. */
static int find_way(const rc_set *set, uint64_t h, const char *key)
{
    for (int w = 0; w < RC_WAYS; w++)
        if (set->hash[w] == h && strcmp(set->e[w].key, key) == 0)
            return w;
    return -1;
}

/* The way a put of key takes: its own, an empty one, or the least
 * recently used. */
static int victim_way(const rc_set *set, uint64_t h, const char *key)
{
    int v = find_way(set, h, key);

    for (int w = 0; v < 0 && w < RC_WAYS; w++)
        if (set->hash[w] == 0)
            v = w;
    if (v < 0) {
        v = 0;
        for (int w = 1; w < RC_WAYS; w++)
            if (set->last_use[w] < set->last_use[v])
                v = w;
    }
    return v;
}

void rc_set_budget(size_t bytes)
{
    rc_budget = bytes;
}

const rc_body *rc_get(const char *key, const rc_tags *tags, const char **etag)
{
    rc_table *t = table();
    uint64_t h;
    rc_set *set;
    rc_entry *e;
    int w;

    if (t == NULL) {
        met_inc(MET_RESP_CACHE_MISS);
        return NULL;
    }
    h = key_hash(key, strlen(key));
    set = set_of(t, h);
    w = find_way(set, h, key);
    e = w >= 0 ? &set->e[w] : NULL;
    if (e == NULL || e->body == NULL || !same_tags(&e->tags, tags)) {
        t->misses++;
        met_inc(MET_RESP_CACHE_MISS);
        return NULL;
    }
    set->last_use[w] = ++t->tick;
    t->hits++;
    met_inc(MET_RESP_CACHE_HIT);
    if (etag)
        *etag = e->etag[0] ? e->etag : NULL;
    return e->body;
}

const rc_body *rc_put(const char *key, const rc_tags *tags, const unsigned char *body,
                      size_t len, const char *ctype, const char *etag,
                      const rc_header *headers, size_t n)
{
    rc_table *t = table();
    uint64_t h;
    rc_body *b;
    rc_set *set;
    rc_entry *e;
    int w;

    if (t == NULL || len > RC_ENTRY_MAX || strlen(key) >= RC_KEY_MAX || n > RC_HEADERS_MAX ||
        (etag && strlen(etag) >= RC_ETAG_MAX))
        return NULL;
    if (ctype != NULL && strlen(ctype) >= RC_HDR_VALUE_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (headers[i].name == NULL || headers[i].value == NULL ||
            strlen(headers[i].value) >= RC_HDR_VALUE_MAX)
            return NULL;
    h = key_hash(key, strlen(key));
    set = set_of(t, h);
    w = victim_way(set, h, key);
    e = &set->e[w];
    slot_clear(t, set, w);
    if (len > rc_budget || t->bytes + len > rc_budget)
        return NULL;                            /* full: serve uncached */
    b = malloc(sizeof(*b) + len);
    if (b == NULL)
        return NULL;
    atomic_init(&b->refs, 1);
    b->shared = NULL;
    atomic_init(&b->shared_busy, false);
    str_copy(b->ctype, sizeof(b->ctype), ctype != NULL ? ctype : "");
    b->n_headers = n;
    for (size_t i = 0; i < n; i++) {
        b->headers[i].name = headers[i].name;
        str_copy(b->headers[i].value, RC_HDR_VALUE_MAX, headers[i].value);
    }
    b->len = len;
    if (len > 0)
        memcpy(b->bytes, body, len);
    set->hash[w] = h;
    set->last_use[w] = ++t->tick;
    memcpy(e->key, key, strlen(key) + 1);
    e->tags = *tags;
    e->body = b;
    t->bytes += len;
    if (etag)
        memcpy(e->etag, etag, strlen(etag) + 1);
    else
        e->etag[0] = '\0';
    return b;
}

struct MHD_Response *rc_response(const rc_body *cb)
{
    rc_body *b = (rc_body *)cb;        /* only the reference count changes */
    struct MHD_Response *mr;
    bool ok;

    atomic_fetch_add(&b->refs, 1);
    mr = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->bytes, body_release, b);
    if (mr == NULL) {
        body_unref(b);
        return NULL;
    }
    ok = b->ctype[0] == '\0' || MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, b->ctype) == MHD_YES;
    for (size_t i = 0; ok && i < b->n_headers; i++)
        ok = MHD_add_response_header(mr, b->headers[i].name, b->headers[i].value) == MHD_YES;
    if (!ok) {
        MHD_destroy_response(mr);      /* releases the reference */
        return NULL;
    }
    return mr;
}

struct MHD_Response *rc_response_reuse(const rc_body *cb, const rc_header *dflt,
                                       const char *name, const char *value)
{
    rc_body *b = (rc_body *)cb;        /* the entry's thread: see resp_cache.h */
    const char *old;

    if (atomic_exchange(&b->shared_busy, true))
        return NULL;                   /* another request of this thread is sending it */
    if (b->shared == NULL) {
        b->shared = rc_response(b);
        if (b->shared != NULL && MHD_get_response_header(b->shared, dflt->name) == NULL &&
            MHD_add_response_header(b->shared, dflt->name, dflt->value) != MHD_YES) {
            MHD_destroy_response(b->shared);
            b->shared = NULL;
        }
        if (b->shared == NULL) {
            atomic_store(&b->shared_busy, false);
            return NULL;
        }
    }
    /* nobody reads its headers now: the request that sent it last is done */
    old = MHD_get_response_header(b->shared, name);
    if ((old != NULL && MHD_del_response_header(b->shared, name, old) != MHD_YES) ||
        MHD_add_response_header(b->shared, name, value) != MHD_YES) {
        MHD_destroy_response(b->shared);    /* out of memory: made afresh next time */
        b->shared = NULL;
        atomic_store(&b->shared_busy, false);
        return NULL;
    }
    atomic_fetch_add(&b->refs, 1);          /* the request's, until rc_response_reuse_done */
    return b->shared;
}

void rc_response_reuse_done(const rc_body *cb)
{
    rc_body *b = (rc_body *)cb;

    atomic_store(&b->shared_busy, false);
    body_unref(b);
}

void rc_stats(uint64_t *hits, uint64_t *misses)
{
    rc_table *t = table();

    *hits = t ? t->hits : 0;
    *misses = t ? t->misses : 0;
}
