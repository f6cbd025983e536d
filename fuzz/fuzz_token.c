/*
 * fuzz_token.c - libFuzzer driver for access-token verification
 * (src/auth/token.c, src/auth/token_cache.c).
 *
 * Verifies the input as a token against a fixed two-key ring, directly and
 * through the per-thread memo; both must agree, and an accepted token must
 * carry NUL-terminated claims.  Every few inputs, a token minted from the
 * input's bytes as claims must verify and give those claims back.
 *
 * Memory: the ring is built once; minted tokens are freed in the call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "auth/token_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW ((int64_t)1700000000)

static token_keyring ring;

static void ring_init(void)
{
    unsigned char a[TOKEN_KEY_BYTES], b[TOKEN_KEY_BYTES];
    if (ring.n > 0)
        return;
    memset(a, 0x11, sizeof(a));
    memset(b, 0x22, sizeof(b));
    if (token_keyring_add(&ring, "k-new", a, 2) != 0 || token_keyring_add(&ring, "k-old", b, 1) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    token_claims c1, c2;
    pd_err e1, e2;

    ring_init();
    e1 = token_verify(&ring, (const char *)data, size, NOW, &c1);
    e2 = token_verify_cached(&ring, (const char *)data, size, NOW, &c2);
    if (e1 != e2)
        abort();
    if (e1 == PD_OK && (memchr(c1.sub, '\0', sizeof(c1.sub)) == NULL ||
                        memchr(c1.scope, '\0', sizeof(c1.scope)) == NULL ||
                        memcmp(&c1, &c2, sizeof(c1)) != 0))
        abort();

    if (size > 8 && data[0] == 'M') {          /* round trip: mint from the input, verify */
        token_claims m, back;
        memset(&m, 0, sizeof(m));
        size_t n = size - 1 < sizeof(m.sub) - 1 ? size - 1 : sizeof(m.sub) - 1;
        memcpy(m.sub, data + 1, n);
        m.sub[strnlen(m.sub, n)] = '\0';
        memcpy(m.scope, "signature", 10);
        m.iat = NOW;
        m.exp = NOW + 60;
        char *tok = token_mint(&ring, &m);
        if (tok != NULL) {
            if (token_verify(&ring, tok, strlen(tok), NOW, &back) != PD_OK || strcmp(back.sub, m.sub) != 0)
                abort();
            free(tok);
        }
    }
    return 0;
}
