/*
 * resp_cache.h - per-thread cache of ready GET responses (rendered
 * profiles, profile images), kept as libmicrohttpd response objects so a
 * hit costs no rendering, no copy and no allocation.
 *
 * An entry is keyed by everything the bytes depend on in the request
 * (resource, path prefix, format, accountId as given, caller, target) and
 * tagged with what they depend on in the data: the caller's and the
 * target's user versions and the tenant generation (store get_versions).
 * Every write that can change a response bumps one of these (profile,
 * image and membership writes bump the user's version; imports bump the
 * generation), so a hit is always what a fresh rendering would produce, on
 * any node.  The tags must be read BEFORE the data that is rendered, so an
 * entry can only be tagged older than its bytes (a later miss), never newer.
 *
 * Memory: an entry holds one reference to its MHD_Response (libmicrohttpd
 * copies the body once); replacing an entry drops it, and libmicrohttpd
 * keeps its own reference while a response is being sent.  Each worker
 * thread's table is freed when the thread exits.  Bounded: RC_SLOTS entries
 * of at most RC_ENTRY_MAX bytes per thread.
 */
#ifndef PROFILED_RESP_CACHE_H
#define PROFILED_RESP_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#define RC_SLOTS      4096
#define RC_ENTRY_MAX  (256 * 1024)
#define RC_BYTES_MAX  (24 * 1024 * 1024)   /* body bytes per thread */
#define RC_KEY_MAX    256
#define RC_ETAG_MAX   64

typedef struct {
    int64_t v_caller, v_target, generation;
} rc_tags;

typedef struct {
    const char *name, *value;
} rc_header;

/* A hit: the ready response (borrowed, valid until this thread's next
 * rc_put) and, when the entry has one, its ETag (borrowed). NULL on a miss. */
struct MHD_Response *rc_get(const char *key, const rc_tags *tags, const char **etag);

/* Stores a 200 response: body (copied), Content-Type and the n extra
 * headers; etag (may be NULL) is remembered for If-None-Match checks (send
 * it in the headers too).  Returns the new entry's response (borrowed) or
 * NULL when it was not cached. */
struct MHD_Response *rc_put(const char *key, const rc_tags *tags, const unsigned char *body,
                            size_t len, const char *ctype, const char *etag,
                            const rc_header *headers, size_t n);

/* Hit/miss counters of this thread (for tests and debugging). */
void rc_stats(uint64_t *hits, uint64_t *misses);

#endif
