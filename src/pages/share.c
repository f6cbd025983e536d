/*
 * share.c - share-link tokens of ID cards (pages.h).
 *
 * A token is "<id>.<expires>.<mac>": id 32 lower-case hex digits (the
 * row in share_links), expires Unix seconds in decimal, mac the base64url
 * HMAC-SHA256 over "id\0user\0expires" with a key derived (BLAKE2b) from a
 * signing key of the ring.  The user is not in the token: it is the path's
 * {userId}, so a token of one user opens no other card.  Every key of the
 * ring verifies (rotation keeps links working until a key is retired).
 *
 * Memory: callers own every buffer; derived keys are wiped.
 */
#include "pages/pages.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/strutil.h"

#define MAC_CHARS 43

void share_new_id(char *out, size_t cap)
{
    unsigned char r[SHARE_ID_HEX / 2];

    if (cap < SHARE_ID_HEX + 1) {
        if (cap > 0)
            out[0] = '\0';
        return;
    }
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(out, cap, r, sizeof(r));
}

static bool id_valid(const char *id, size_t n)
{
    if (n != SHARE_ID_HEX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

static int mac_raw(const unsigned char secret[TOKEN_KEY_BYTES], const char *id, const char *user_id,
                   int64_t expires, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    static const unsigned char label[] = "profiled id-card share link v1";
    unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
    char user[LIM_ID_MAX + 1], exp[24];
    crypto_auth_hmacsha256_state st;

    if (str_copy(user, sizeof(user), user_id) != 0)
        return -1;
    str_lower(user);
    snprintf(exp, sizeof(exp), "%lld", (long long)expires);
    crypto_generichash(key, sizeof(key), label, sizeof(label) - 1, secret, TOKEN_KEY_BYTES);
    crypto_auth_hmacsha256_init(&st, key, sizeof(key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id) + 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)user, strlen(user) + 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)exp, strlen(exp));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(&st, sizeof(st));
    return 0;
}

int share_token_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *id, const char *user_id,
                     int64_t expires, char *out, size_t cap)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    size_t n;
    char *enc;
    int k;

    if (id == NULL || user_id == NULL || !id_valid(id, strlen(id)) || expires <= 0 ||
        mac_raw(secret, id, user_id, expires, mac) != 0)
        return -1;
    enc = b64url_encode(mac, sizeof(mac), &n);
    if (enc == NULL)
        return -1;
    k = snprintf(out, cap, "%s.%lld.%s", id, (long long)expires, enc);
    free(enc);
    return k > 0 && (size_t)k < cap ? 0 : -1;
}

share_result share_token_check(const token_keyring *kr, const char *token, const char *user_id,
                               int64_t now, char *id, int64_t *expires)
{
    unsigned char got[32 + 4], mac[crypto_auth_hmacsha256_BYTES];
    char idbuf[SHARE_ID_HEX + 1], expbuf[24];
    const char *d1, *d2;
    int64_t exp;
    bool ok = false;

    if (token == NULL || user_id == NULL || strlen(token) > SHARE_TOKEN_MAX)
        return SHARE_MALFORMED;
    d1 = strchr(token, '.');
    d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d1 == NULL || d2 == NULL || !id_valid(token, (size_t)(d1 - token)) ||
        (size_t)(d2 - d1 - 1) == 0 || (size_t)(d2 - d1 - 1) >= sizeof(expbuf) ||
        strlen(d2 + 1) != MAC_CHARS)
        return SHARE_MALFORMED;
    memcpy(idbuf, token, SHARE_ID_HEX);
    idbuf[SHARE_ID_HEX] = '\0';
    memcpy(expbuf, d1 + 1, (size_t)(d2 - d1 - 1));
    expbuf[d2 - d1 - 1] = '\0';
    if (expbuf[0] < '1' || expbuf[0] > '9' || str_to_i64(expbuf, 1, INT64_C(1) << 40, &exp) != 0)
        return SHARE_MALFORMED;
    if (b64url_decode(d2 + 1, MAC_CHARS, got) != 32)
        return SHARE_MALFORMED;
    for (size_t i = 0; i < kr->n; i++) {
        if (mac_raw(kr->keys[i].secret, idbuf, user_id, exp, mac) != 0)
            return SHARE_MALFORMED;
        if (sodium_memcmp(mac, got, sizeof(mac)) == 0)
            ok = true;                         /* keep looping: same work either way */
    }
    sodium_memzero(mac, sizeof(mac));
    if (!ok)
        return SHARE_BAD_SIGNATURE;
    memcpy(id, idbuf, SHARE_ID_HEX + 1);
    *expires = exp;
    return exp <= now ? SHARE_EXPIRED : SHARE_OK;
}
