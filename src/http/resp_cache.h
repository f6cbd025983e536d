/*
 * resp_cache.h - per-thread cache of ready GET answers (rendered profiles,
 * profile images): the bytes, their Content-Type and fixed headers, so a
 * hit costs no store read, no rendering and no copy of the body.
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
 * Why not cache the libmicrohttpd response object itself: every answer
 * carries per-request headers (X-DocuSign-TraceToken, HSTS on HTTPS), and
 * headers can only be added to a response before it is queued; a shared,
 * already-queued response must never be changed (another connection of
 * this thread may be sending it).  So each hit gets its own small
 * MHD_Response (rc_response) that points at the shared bytes without
 * copying them; the bytes are reference-counted and freed when the entry
 * is replaced and the last response using them is done.
 *
 * A hit whose answer carries no per-request header but the trace token (no
 * HSTS, rate-limit or Connection header: the common case) need not even
 * build a response: rc_response_reuse hands out the entry's own response,
 * with its headers added once and only the trace token replaced, and
 * libmicrohttpd queues it as it queues any persistent response.  Its
 * headers are changed only while no request is sending it (shared_busy:
 * set until the request that queued it is completed, when libmicrohttpd
 * has long since written its headers), and only by the entry's thread
 * (a connection is served by one worker thread from start to end), so a
 * queued response is never changed; a second hit while it is being sent
 * (a slow client) gets a fresh response from rc_response.  This saves the
 * allocation and release of a response and three headers per hit (about
 * 3,000 of the ~27,000 instructions of a cached GET).
 *
 * Memory: an entry holds one reference to its rc_body; each response from
 * rc_response holds another, dropped by libmicrohttpd when it frees the
 * response.  Each worker thread's table is freed when the thread exits.
 * Bounded: RC_SLOTS entries of at most RC_ENTRY_MAX bytes per thread, and
 * rc_set_budget's bytes of bodies (RC_BYTES_MAX unless set; 0 turns the
 * cache off: no table is made, every rc_get misses, rc_put keeps nothing).
 * The table is RC_WAYS-way set-associative (a put replaces the set's least
 * recently used entry), so a working set smaller than the table stays
 * whole: a direct-mapped table lost about a tenth of 1,000 users' answers
 * to collisions.
 */
#ifndef PROFILED_RESP_CACHE_H
#define PROFILED_RESP_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#define RC_SLOTS      4096
#define RC_WAYS       8                    /* entries per set; RC_SLOTS / RC_WAYS sets */
#define RC_ENTRY_MAX  (256 * 1024)
#define RC_BYTES_MAX  (24 * 1024 * 1024)   /* body bytes per thread, by default */
#define RC_KEY_MAX    256
#define RC_ETAG_MAX   64

typedef struct {
    int64_t v_caller, v_target, generation;
} rc_tags;

typedef struct {
    const char *name, *value;
} rc_header;

#define RC_HEADERS_MAX    4
#define RC_HDR_VALUE_MAX  128

/* Body bytes each thread's table may hold from now on (serve
 * --response-cache-mb); 0 = off.  Call before the worker threads start. */
void rc_set_budget(size_t bytes);

/* A cached answer: reference-counted bytes plus Content-Type and headers. */
typedef struct rc_body rc_body;

/* A hit (borrowed, valid until this thread's next rc_put) and, when the
 * entry has one, its ETag (borrowed). NULL on a miss. */
const rc_body *rc_get(const char *key, const rc_tags *tags, const char **etag);

/* Stores a 200 answer: body (copied), Content-Type (copied, may be NULL)
 * and the n (<= RC_HEADERS_MAX) extra headers (names static, values copied);
 * etag (may be NULL) is remembered for If-None-Match checks (send it in
 * the headers too).  Returns the new entry (borrowed) or NULL when it was
 * not cached. */
const rc_body *rc_put(const char *key, const rc_tags *tags, const unsigned char *body,
                      size_t len, const char *ctype, const char *etag,
                      const rc_header *headers, size_t n);

/* A new libmicrohttpd response sending b's bytes (not copied: it holds a
 * reference on them) with b's Content-Type and headers; the caller adds
 * its per-request headers, queues it and destroys it.  NULL when out of
 * memory. */
struct MHD_Response *rc_response(const rc_body *b);

/* The entry's reusable response (see above) with header `name` set to
 * value, and dflt added when it was made unless b's headers have that name
 * already; NULL when a request is sending it now or out of memory (then
 * use rc_response).  Call only on the thread that got b from rc_get/rc_put.
 * Queue it, do not destroy it, and call rc_response_reuse_done(b) once that
 * request is completed (libmicrohttpd's completion callback, from any
 * thread): until then b stays allocated even if its entry is replaced. */
struct MHD_Response *rc_response_reuse(const rc_body *b, const rc_header *dflt,
                                       const char *name, const char *value);
void rc_response_reuse_done(const rc_body *b);

/* Hit/miss counters of this thread (for tests and debugging). */
void rc_stats(uint64_t *hits, uint64_t *misses);

#endif
