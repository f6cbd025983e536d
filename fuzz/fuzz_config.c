/*
 * fuzz_config.c - libFuzzer driver for configuration files
 * (src/core/config.c): the input is read as a `key = value` file, then the
 * whole configuration is checked; the problem list must stay a bounded
 * NUL-terminated string.
 *
 * Memory: the configuration is freed in the call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pd_config c;
    pd_errbuf eb;
    FILE *f;

    if (size == 0)
        return 0;
    f = fmemopen((void *)data, size, "r");
    if (f == NULL)
        return 0;
    config_defaults(&c);
    pd_errbuf_init(&eb);
    config_load_stream(&c, f, "fuzz.conf", &eb);
    fclose(f);
    config_check(&c, &eb);
    if (eb.len >= sizeof(eb.text) || strlen(eb.text) != eb.len)
        abort();
    config_free(&c);
    return 0;
}
