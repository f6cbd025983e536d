/*
 * fuzz_legacy.c - libFuzzer driver for the X-DocuSign-Authentication header
 * parser (src/auth/legacy.c, XML through src/core/xmlsafe.c, and JSON).
 *
 * The input is the header value.  An accepted header must give
 * NUL-terminated members that fit their buffers, a non-empty username,
 * password and integrator key, and no member longer than the whole input.
 *
 * Memory: the value copy is freed in the call; the credentials are wiped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FITS(f) (memchr((f), '\0', sizeof(f)) != NULL && strlen(f) <= size)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    legacy_creds c;
    char *value;

    if (size > 16384)
        return 0;
    value = malloc(size + 1);
    if (value == NULL)
        abort();
    memcpy(value, data, size);
    value[size] = '\0';
    memset(&c, 0x5a, sizeof(c));
    if (legacy_parse(value, &c) == 0) {
        if (!FITS(c.username) || !FITS(c.password) || !FITS(c.integrator_key) || !FITS(c.on_behalf_of) ||
            c.username[0] == '\0' || c.password[0] == '\0' || c.integrator_key[0] == '\0')
            abort();
    }
    legacy_creds_wipe(&c);
    free(value);
    return 0;
}
