/*
 * multipart.h - a bounded multipart/form-data parser (RFC 7578) over a body
 * that is already fully in memory.
 *
 * Memory: parts point into the caller's body buffer (no copies); the body
 * must outlive the result.  Nothing is allocated.
 */
#ifndef PROFILED_MULTIPART_H
#define PROFILED_MULTIPART_H

#include <stddef.h>
#include "core/limits.h"

typedef struct {
    const char *name;  size_t name_len;       /* form field name (from Content-Disposition) */
    const char *filename; size_t filename_len; /* NULL when none */
    const char *content_type; size_t content_type_len; /* NULL when none */
    const unsigned char *data; size_t data_len;
} multipart_part;

typedef struct {
    multipart_part parts[LIM_MULTIPART_PARTS];
    size_t n_parts;
} multipart_result;

/*
 * Extracts the boundary from a Content-Type header value
 * ("multipart/form-data; boundary=..." , quoted or not).  Writes at most
 * LIM_BOUNDARY_MAX bytes + NUL into out.  0 on success, -1 if absent/invalid.
 */
int multipart_boundary(const char *content_type, char out[LIM_BOUNDARY_MAX + 1]);

/*
 * Parses body into parts.  Returns 0 on success; -1 on malformed input
 * (missing boundary lines, no closing delimiter, a part header block larger
 * than LIM_MULTIPART_HEADER_BYTES, more than LIM_MULTIPART_PARTS parts), with
 * a short reason in err.  Accepts CRLF line endings (and bare LF for
 * tolerance).  Preamble and epilogue are ignored.
 */
int multipart_parse(const unsigned char *body, size_t len, const char *boundary,
                    multipart_result *out, char *err, size_t errlen);

/* The first part whose Content-Type starts with "image/" or that has a
 * filename, else the first part; NULL when there are none. */
const multipart_part *multipart_pick_file(const multipart_result *r);

#endif
