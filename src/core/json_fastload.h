/*
 * json_fastload.h - builds, from JSON text, the very tree that
 * json_loadb(text, len, JSON_REJECT_DUPLICATES, ...) builds (the same
 * values and types, members in the same order), in a fraction of its time,
 * for the texts it is sure of; it declines the others.
 *
 * Why: jansson's parser reads one character at a time through a stream
 * callback and spends ~165 instructions per input byte; it was 47 % of the
 * instructions of an import (a ~1.8 KB user record per call).  This one
 * scans each string for its end in one loop and hands jansson's tree
 * builders slices of the input.
 *
 * What it declines (NULL, nothing allocated kept): anything malformed, and
 * anything valid it does not build itself - a real number (jansson's strtod
 * decides those), an integer of more than 18 digits, a \u escape of a
 * surrogate or of U+0000, a repeated member name, a top level that is not
 * an object or an array, nesting deeper than JSON_FASTLOAD_DEPTH.  The
 * caller then calls json_loadb, which gives the tree or the error with its
 * position: the answer never depends on which of the two read the text.
 * Strings are checked to be well-formed UTF-8 the way jansson checks them.
 *
 * Memory: the tree is the caller's (json_decref), allocated through
 * jansson's allocation functions like json_loadb's.
 */
#ifndef PROFILED_JSON_FASTLOAD_H
#define PROFILED_JSON_FASTLOAD_H

#include <jansson.h>
#include <stddef.h>

#define JSON_FASTLOAD_DEPTH 64

json_t *json_fastload(const char *text, size_t len);

/* json_fastload, else json_loadb(text, len, flags, err): the tree, or NULL
 * with json_loadb's error in err (which may be NULL).  flags must be 0 or
 * JSON_REJECT_DUPLICATES: the texts the fast loader builds are parsed alike
 * under both (it declines every repeated name). */
json_t *json_load_text(const char *text, size_t len, size_t flags, json_error_t *err);
/* The same for a NUL-terminated text (json_loads' counterpart). */
json_t *json_load_str(const char *text, size_t flags, json_error_t *err);

#endif
