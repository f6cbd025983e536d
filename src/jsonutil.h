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

/* Returns 0 when [ and { nest at most max_depth deep outside strings. */
int json_depth_ok(const char *buf, size_t len, int max_depth);

json_t *json_decode_bounded(const char *buf, size_t len, int max_depth, char *err, size_t errlen);

#endif
