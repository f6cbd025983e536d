/*
 * b64.h - base64 (RFC 4648 §4) and base64url without padding (§5) codecs.
 *
 * Memory: *_encode returns malloc'd NUL-terminated text (caller frees);
 * *_decode writes into a caller buffer of at least b64_decoded_max(len).
 */
#ifndef PROFILED_B64_H
#define PROFILED_B64_H

#include <stddef.h>

size_t b64_decoded_max(size_t len);
char  *b64_encode(const unsigned char *p, size_t len, size_t *out_len);
char  *b64url_encode(const unsigned char *p, size_t len, size_t *out_len);
/* Strict: rejects characters outside the alphabet (b64_decode skips ASCII
 * whitespace), bad padding. Returns decoded length or -1. */
long   b64_decode(const char *s, size_t len, unsigned char *out);
long   b64url_decode(const char *s, size_t len, unsigned char *out);

#endif
