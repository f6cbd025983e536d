/*
 * fuzz_b64.c - libFuzzer driver for src/core/b64.c.
 *
 * Decodes the input with both decoders (into a heap buffer of exactly
 * b64_decoded_max(size) bytes, so ASan sees any overrun) and checks that
 * an accepted base64url text re-encodes to itself (canonical decoding),
 * then round-trips the raw input through both encoders.
 *
 * Memory: every buffer is allocated and freed within one call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *data, size_t size, int url)
{
    size_t n = 0;
    char *s = url ? b64url_encode(data, size, &n) : b64_encode(data, size, &n);
    unsigned char *back;
    long r;

    if (s == NULL)
        abort();
    back = malloc(b64_decoded_max(n) + 1);
    if (back == NULL)
        abort();
    r = url ? b64url_decode(s, n, back) : b64_decode(s, n, back);
    if (r != (long)size || (size && memcmp(back, data, size) != 0))
        abort();
    free(back);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t max = b64_decoded_max(size);
    unsigned char *out = malloc(max ? max : 1);
    long r;

    if (out == NULL)
        return 0;
    r = b64_decode(text, size, max ? out : NULL);
    if (r > (long)max)
        abort();
    r = b64url_decode(text, size, max ? out : NULL);
    if (r > (long)max)
        abort();
    if (r >= 0) {                     /* canonical: re-encodes to the input */
        size_t n = 0;
        char *s = b64url_encode(out, (size_t)r, &n);
        if (s == NULL || n != size || memcmp(s, text, size) != 0)
            abort();
        free(s);
    }
    free(out);
    round_trip(data, size, 0);
    round_trip(data, size, 1);
    return 0;
}
