/*
 * backend.c - the helpers of backend.h, shared by every storage backend.
 */
#include "store/backend.h"

#include <stddef.h>

int store_account_ref_kind(const char *ref, int64_t *num)
{
    size_t n = 0;
    while (ref[n] >= '0' && ref[n] <= '9')
        n++;
    if (n == 0 || ref[n] != '\0')
        return 0;
    if (ref[0] == '0')
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = ref[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *num = v;
    return 1;
}
