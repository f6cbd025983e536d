/*
 * fuzz_json_fastload.c - libFuzzer driver comparing core/json_fastload.c
 * with jansson's own parser on the same bytes.
 * Invariant: when json_fastload builds a tree, json_loadb(...,
 * JSON_REJECT_DUPLICATES) builds one too, json_equal to it and dumped to
 * the same bytes with the members in order; it may decline any input.
 *
 * Memory: everything allocated per input is released before returning.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_fastload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t dump = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
    json_t *fast, *ref;
    char *a, *b;

    if (size > 64 * 1024)
        return 0;
    fast = json_fastload((const char *)data, size);
    if (fast == NULL)
        return 0;
    ref = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (ref == NULL || !json_equal(fast, ref))
        abort();
    a = json_dumps(fast, dump);
    b = json_dumps(ref, dump);
    if (a == NULL || b == NULL || strcmp(a, b) != 0)
        abort();
    free(a);
    free(b);
    json_decref(fast);
    json_decref(ref);
    return 0;
}
