/*
 * json_compact.h - a compact JSON encoder for jansson trees that writes the
 * same bytes as json_dumps(v, JSON_COMPACT) (members in the object's order,
 * the same escapes: \" \\ \b \f \n \r \t, other control characters as
 * \u00XX, nothing else escaped) without jansson's per-container loop check
 * (a snprintf and a hash-table insert and delete for every object and
 * array), which made json_dumps a third of a PUT profile's instructions.
 * A tree that holds a real number, or is nested deeper than
 * JSON_COMPACT_DEPTH, is left to json_dumps: the answer is then NULL.
 *
 * Memory: returns a malloc'd NUL-terminated string (caller frees), its
 * length in *len when len is not NULL; NULL on failure or refusal.
 */
#ifndef PROFILED_JSON_COMPACT_H
#define PROFILED_JSON_COMPACT_H

#include <jansson.h>
#include <stddef.h>

#define JSON_COMPACT_DEPTH 64

char *json_compact_encode(const json_t *v, size_t *len);

#endif
