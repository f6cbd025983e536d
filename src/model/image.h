/*
 * image.h - profile image format detection from the bytes themselves.
 *
 * The Content-Type header a client sends is never trusted: the format is
 * decided from the magic numbers and a minimal structural check.
 */
#ifndef PROFILED_IMAGE_H
#define PROFILED_IMAGE_H

#include <stddef.h>

typedef enum { IMG_UNKNOWN = 0, IMG_GIF, IMG_PNG, IMG_JPEG, IMG_BMP } image_kind;

/*
 * GIF: "GIF87a"/"GIF89a" + at least a logical screen descriptor (13 bytes).
 * PNG: 8-byte signature followed by an IHDR chunk (length 13, type "IHDR").
 * JPEG: FF D8 FF, and an FF D9 (EOI) within the last 32 bytes: a few trailing
 *       bytes (padding, small trailers) are tolerated, a truncated file is not.
 * BMP: "BM", file-size field consistent (<= len), header size >= 12 at offset 14,
 *      total length >= 26.
 * Anything else (or too short) is IMG_UNKNOWN.  Never reads past len.
 */
image_kind image_sniff(const unsigned char *p, size_t len);

/* "image/gif", "image/png", "image/jpeg", "image/bmp"; NULL for IMG_UNKNOWN. */
const char *image_mime(image_kind k);

/* Width and height when the header carries them; 0 on success, -1 otherwise. */
int image_dimensions(const unsigned char *p, size_t len, unsigned *w, unsigned *h);

/* The strong ETag of image bytes: a quoted hex BLAKE2b-128 ("\"3f2a…\"").
 * out >= IMAGE_ETAG_MAX.  (image_etag.c) */
#define IMAGE_ETAG_MAX 35
void image_etag(const unsigned char *p, size_t len, char out[IMAGE_ETAG_MAX]);

#endif
