/*
 * resp_cache.h - per-thread cache of rendered GET profile responses.
 *
 * An entry is keyed by everything the bytes depend on in the request
 * (path prefix, format, accountId as given, caller, target) and tagged with
 * what they depend on in the data: the caller's and the target's user
 * versions and the tenant generation (store get_versions).  Every write
 * that can change a rendering bumps one of these (profile, image and
 * membership writes bump the user's version; imports bump the generation),
 * so a hit is always what a fresh rendering would produce, on any node.
 * The tags must be read BEFORE the data that is rendered, so an entry can
 * only be tagged older than its bytes (a later miss), never newer.
 *
 * Memory: entries own copies of the bytes; each worker thread's table is
 * freed when the thread exits.  Bounded: RC_SLOTS entries of at most
 * RC_ENTRY_MAX bytes per thread.
 */
#ifndef PROFILED_RESP_CACHE_H
#define PROFILED_RESP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define RC_SLOTS      4096
#define RC_ENTRY_MAX  (16 * 1024)
#define RC_KEY_MAX    256

typedef struct {
    int64_t v_caller, v_target, generation;
} rc_tags;

/* On a hit returns a malloc'd copy of the body (caller frees), its length
 * and content type (static string); NULL on a miss. */
unsigned char *rc_get(const char *key, const rc_tags *tags, size_t *len, const char **ctype);
void rc_put(const char *key, const rc_tags *tags, const unsigned char *body, size_t len,
            const char *ctype);

/* Hit/miss counters of this thread (for tests and debugging). */
void rc_stats(uint64_t *hits, uint64_t *misses);

#endif
