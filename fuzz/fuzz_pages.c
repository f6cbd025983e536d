/*
 * fuzz_pages.c - libFuzzer driver for the browser pages' pure parts
 * (src/pages/share.c, src/pages/card.c): share-link tokens and the card's
 * HTML from any stored document.
 *
 * Invariants (abort() when broken): a token the fuzzer makes up never
 * verifies against a key it does not know; a token made for (id, user,
 * expires) verifies for exactly that; the card rendered from any JSON
 * document holds no <script and, without a picture URL, no <img (every
 * value is escaped).
 *
 * Memory: the ring, the document and the HTML are freed in the call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pages/pages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char user[] = "00000000-0000-4000-8000-00000000a001";
    token_keyring kr;
    unsigned char secret[TOKEN_KEY_BYTES];
    char *s, id[SHARE_ID_HEX + 1], tok[SHARE_TOKEN_MAX + 1];
    int64_t exp = 0;

    memset(&kr, 0, sizeof(kr));
    memset(secret, 0x5a, sizeof(secret));
    if (token_keyring_add(&kr, "k", secret, 1) != 0)
        abort();
    s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';

    if (share_token_check(&kr, s, user, 0, id, &exp) == SHARE_OK)
        abort();                               /* a forgery without the key */
    if (size >= 8) {
        char lid[SHARE_ID_HEX + 1];
        static const char hex[] = "0123456789abcdef";
        int64_t e = 1;
        for (size_t i = 0; i < SHARE_ID_HEX; i++)
            lid[i] = hex[data[i % size] & 15];
        lid[SHARE_ID_HEX] = '\0';
        memcpy(&e, data, sizeof(e));
        e = (e & ((INT64_C(1) << 40) - 1)) | 1;
        if (share_token_make(secret, lid, user, e, tok, sizeof(tok)) != 0 ||
            share_token_check(&kr, tok, user, 0, id, &exp) != SHARE_OK || exp != e ||
            strcmp(id, lid) != 0)
            abort();
    }

    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(doc)) {
        for (int preview = 0; preview < 2; preview++) {
            html_buf b = { .max = PAGES_BUF_MAX };
            card_view v = { doc, NULL, preview != 0 };
            card_html(&b, &v);
            if (!b.failed && (strstr(b.p, "<script") != NULL || strstr(b.p, "<img") != NULL))
                abort();
            free(b.p);
        }
    }
    json_decref(doc);
    free(s);
    token_keyring_clear(&kr);
    return 0;
}
