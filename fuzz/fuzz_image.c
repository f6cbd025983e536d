/*
 * fuzz_image.c - libFuzzer driver for src/model/image.c.
 *
 * Sniffs and measures the input (libFuzzer's buffer is exactly size bytes,
 * so ASan sees any read past len) and checks the API's invariants: a MIME
 * type exactly for known kinds, dimensions only for a recognised image and
 * never zero.
 *
 * Memory: nothing is allocated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    image_kind k = image_sniff(data, size);
    unsigned w = 0, h = 0;
    int rc = image_dimensions(data, size, &w, &h);

    if ((k == IMG_UNKNOWN) != (image_mime(k) == NULL))
        abort();
    if (rc == 0 && (k == IMG_UNKNOWN || w == 0 || h == 0))
        abort();
    if (rc != 0 && (w != 0 || h != 0))
        abort();
    return 0;
}
