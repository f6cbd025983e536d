/*
 * jsonutil.c - see jsonutil.h.
 */
#include "core/jsonutil.h"

#include <stdio.h>

#include "core/json_fastload.h"

int json_depth_ok(const char *buf, size_t len, int max_depth)
{
    json_scan sc = {0, 0};
    int depth = 0;

    for (size_t i = 0; i < len; i++) {
        depth += json_scan_byte(&sc, (unsigned char)buf[i]);
        if (depth > max_depth || depth < 0)
            return -1;
    }
    return 0;
}

json_t *json_decode_bounded(const char *buf, size_t len, int max_depth, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j;

    if (json_depth_ok(buf, len, max_depth) != 0) {
        snprintf(err, errlen, "JSON nested deeper than %d levels", max_depth);
        return NULL;
    }
    j = json_load_text(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        snprintf(err, errlen, "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
    return j;
}
