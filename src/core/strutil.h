/*
 * strutil.h - strict parsing and small string helpers shared by every module.
 *
 * Nothing here allocates unless the name says so (str_dup_n); callers own
 * the buffers they pass in.
 */
#ifndef PROFILED_STRUTIL_H
#define PROFILED_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a whole string as a base-10 integer within [min, max].  No sign
 * other than a leading '-', no spaces, no trailing bytes.  0 on success. */
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* True for a GUID 8-4-4-4-12 hex (either case). */
bool str_is_guid(const char *s);
/* An accountId as DocuSign takes it: a GUID (lower-cased in place) or the
 * account's number, a positive integer.  True when ref is one of them. */
bool str_account_ref(char *ref);

/* Lower-cases ASCII letters in place. */
void str_lower(char *s);

/* Copies at most dstlen-1 bytes and always NUL-terminates; returns 0 if the
 * whole source fit, -1 if truncated. */
int str_copy(char *dst, size_t dstlen, const char *src);

/* malloc'd copy of n bytes + NUL; NULL on allocation failure or s == NULL. */
char *str_dup_n(const char *s, size_t n);
/* dst = parts[0] sep parts[1] sep ... (n parts), NUL-terminated: 0, or -1
 * when it does not fit in cap bytes (dst then holds a truncated string).
 * The cache keys of the hot path are built with it, without printf. */
int str_join(char *dst, size_t cap, char sep, const char *const *parts, size_t n);
char *str_dup(const char *s);

/* Case-insensitive ASCII prefix test. */
bool str_starts_with_ci(const char *s, const char *prefix);

/* Writes the current UTC time as DocuSign does:
 * "2024-01-02T03:04:05.1230000Z" (7 fractional digits).  buf >= 32. */
void time_now_iso(char *buf, size_t len);
void time_iso_from_unix(int64_t t, char *buf, size_t len);
/* A date as DocuSign's eSignature API writes it: in "YYYY-MM-DDTHH:MM:SS",
 * optional fraction (any number of digits), then "Z", "+HH:MM", "-HH:MM"
 * or nothing (read as UTC); out gets the same instant in UTC at
 * millisecond precision, "YYYY-MM-DDTHH:MM:SS.fff0000Z" (cap >= 29).
 * Returns 0, or -1 (out set to "") when in is not such a date. */
int time_iso_ms(const char *in, char *out, size_t cap);

/* Value of an ASCII hex digit, or -1. */
int str_hexval(int c);

/* A fast 64-bit hash of n bytes, eight at a time, for in-memory hash tables.
 * Keyed by a random per-process seed (str_hash64_seed): the same bytes give
 * the same value within one process only, so which client-chosen keys share
 * a slot cannot be predicted from outside.  Not a MAC or a cryptographic
 * hash; values are not stable across processes or versions: never store or
 * send them. */
uint64_t str_hash64(const void *p, size_t n);

/* The per-process key of str_hash64 (random, drawn at start). */
uint64_t str_hash64_seed(void);

/* Monotonic clock in nanoseconds. */
uint64_t time_mono_ns(void);

/* A new random lower-case GUID (libsodium randombytes), buf >= 37. */
void guid_new(char *buf, size_t len);

/* Whether the len bytes at a and b are equal, in time that depends on len
 * only (secrets, tokens: as sodium_memcmp, but eight bytes a step). */
bool mem_equal_ct(const void *a, const void *b, size_t len);

/* Decodes the well-formed UTF-8 sequence at s[0..n) as jansson accepts it
 * (RFC 3629: no overlong forms, surrogates or values above U+10FFFF):
 * its length (1 for ASCII, up to 4) with its code point in *cp when cp is
 * not NULL, or 0 when invalid, cut short or n is 0. */
size_t str_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Writes code point c (at most U+10FFFF) as UTF-8 into out; its length. */
size_t str_utf8_encode(uint32_t c, char out[4]);

#endif
