/*
 * jsonutil.h - bounded JSON decoding: nesting depth is checked by a cheap
 * pre-scan before jansson builds anything; duplicate keys are rejected.
 *
 * Memory: returns a new reference (caller json_decref) or NULL with a
 * reason ("line 1 column 7: ...") in err.
 */
#ifndef PROFILED_JSONUTIL_H
#define PROFILED_JSONUTIL_H

#include <jansson.h>
#include <stddef.h>

/* A byte-at-a-time view of JSON text that knows whether it is inside a
 * string: the one place that tracks quotes and backslash escapes for the
 * pre-scans here and in cli/import.c.  Zero-initialise before use. */
typedef struct {
    int in_str, esc;
} json_scan;

/* Feeds one byte: returns +1 for '[' or '{' and -1 for ']' or '}' outside
 * strings, 0 for anything else (including every byte of a string). */
static inline int json_scan_byte(json_scan *s, int c)
{
    if (s->in_str) {
        if (s->esc)
            s->esc = 0;
        else if (c == '\\')
            s->esc = 1;
        else if (c == '"')
            s->in_str = 0;
        return 0;
    }
    if (c == '"')
        s->in_str = 1;
    else if (c == '[' || c == '{')
        return 1;
    else if (c == ']' || c == '}')
        return -1;
    return 0;
}

/* Returns 0 when [ and { nest at most max_depth deep outside strings. */
int json_depth_ok(const char *buf, size_t len, int max_depth);

json_t *json_decode_bounded(const char *buf, size_t len, int max_depth, char *err, size_t errlen);

#endif
