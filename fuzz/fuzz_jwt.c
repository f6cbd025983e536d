/*
 * fuzz_jwt.c - libFuzzer driver for JWT-bearer assertions
 * (src/oauth/jwt.c): parse, then the claim checks on what parsed, then the
 * RS256 verification against a key that cannot have signed the input (it
 * must never succeed).
 *
 * Memory: the assertion is on the stack; nothing is kept between calls.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth/oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A 2048-bit RSA public key made for this driver (`openssl genrsa 2048`);
 * its private half was thrown away. */
static const char PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAt8WlSoKPEP5aCS2xqO8L\n"
    "9ruzoWh0ocCdhFAmrBnx9aBIza3dBphOa/lCgrMa5z45YGeAPzsjO26gji8m8Iit\n"
    "BRQ1RtUWTMP7dFTwjX6i1YKtjj8myVUWF6bTZhHwZp/ODYzb0MoFAYLDyjCT7I8u\n"
    "r8SUDKK6fIGotvruSRx8nB3ly3VFvMaxxjnd2zd2IgaRS7Fuy+ztHTCRHYkZ7Zbi\n"
    "oXYj/emZHvZ3ZTSBc5ccUaVxzNNr99QhmIB76594mEqTOIUES5G2SVhFUJlkfHvc\n"
    "wjNGtuxjygHwSFURYphqiZzxsYorDLfZup2MY2bifT/rdMfXS6S4GYz+Ucyz1t3W\n"
    "rwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oauth_assertion a;
    const char *auds[] = { "127.0.0.1:8443" };
    const char *pems[] = { PEM };

    if (oauth_jwt_parse((const char *)data, size, &a) == JWT_OK) {
        if (memchr(a.iss, '\0', sizeof(a.iss)) == NULL || memchr(a.aud, '\0', sizeof(a.aud)) == NULL)
            abort();
        (void)oauth_jwt_check_claims(&a, auds, 1, 1700000000);
        if (oauth_jwt_verify((const char *)data, size, pems, 1) == JWT_OK)
            abort();                           /* nobody holds this key's private half */
    }
    (void)oauth_jwt_result_text(JWT_OK);
    return 0;
}
