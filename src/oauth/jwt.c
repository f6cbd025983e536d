/*
 * jwt.c - JWT-bearer assertions (RFC 7523) as DocuSign's SDKs send
 * them: RS256 only, verified with GnuTLS against the integration's
 * registered RSA public keys (oauth.h).
 *
 * The algorithm is pinned: the header's alg must be exactly "RS256" before
 * any key is touched, so "none", "HS256" signed with the public key as an
 * HMAC secret, and every other algorithm fail without cryptography.
 *
 * Memory: decoded parts live in stack buffers bounded by
 * LIM_OAUTH_ASSERTION_MAX; GnuTLS key objects are created and destroyed
 * per call; nothing is returned that needs freeing.
 */
#include "oauth/oauth.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/b64.h"
#include "core/strutil.h"

typedef struct {
    const char *h, *p, *s;     /* the three parts */
    size_t hl, pl, sl;
} jws_parts;

static int split_jws(const char *jwt, size_t len, jws_parts *o)
{
    const char *d1, *d2;

    if (jwt == NULL || len == 0 || len > LIM_OAUTH_ASSERTION_MAX || memchr(jwt, '\0', len) != NULL)
        return -1;
    d1 = memchr(jwt, '.', len);
    if (d1 == NULL)
        return -1;
    d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt));
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL)
        return -1;
    o->h = jwt;
    o->hl = (size_t)(d1 - jwt);
    o->p = d1 + 1;
    o->pl = (size_t)(d2 - d1 - 1);
    o->s = d2 + 1;
    o->sl = len - (size_t)(d2 + 1 - jwt);
    return o->hl > 0 && o->pl > 0 ? 0 : -1;
}

static json_t *decode_json(const char *p, size_t len)
{
    unsigned char buf[LIM_OAUTH_ASSERTION_MAX];
    long n;
    json_t *j;

    if (b64_decoded_max(len) > sizeof(buf))
        return NULL;
    n = b64url_decode(p, len, buf);
    if (n <= 0)
        return NULL;
    j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int str_claim(json_t *o, const char *name, char *dst, size_t cap, bool required)
{
    json_t *v = json_object_get(o, name);

    dst[0] = '\0';
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int int_claim(json_t *o, const char *name, int64_t *dst, bool required)
{
    json_t *v = json_object_get(o, name);

    *dst = 0;
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *dst = json_integer_value(v);
    return 0;
}

oauth_jwt_result oauth_jwt_parse(const char *jwt, size_t len, oauth_assertion *out)
{
    jws_parts parts;
    json_t *hdr = NULL, *pl = NULL, *v;
    oauth_jwt_result r = JWT_MALFORMED;

    memset(out, 0, sizeof(*out));
    if (split_jws(jwt, len, &parts) != 0)
        return JWT_MALFORMED;
    hdr = decode_json(parts.h, parts.hl);
    if (hdr == NULL)
        goto out;
    v = json_object_get(hdr, "alg");
    if (!json_is_string(v) || strcmp(json_string_value(v), "RS256") != 0 ||
        json_string_length(v) != 5 || json_object_get(hdr, "crit") != NULL) {
        r = JWT_BAD_ALG;
        goto out;
    }
    if (parts.sl == 0) {                     /* RS256 always has a signature */
        r = JWT_BAD_SIGNATURE;
        goto out;
    }
    pl = decode_json(parts.p, parts.pl);
    if (pl == NULL)
        goto out;
    if (str_claim(pl, "iss", out->iss, sizeof(out->iss), true) != 0 || out->iss[0] == '\0' ||
        str_claim(pl, "sub", out->sub, sizeof(out->sub), false) != 0 ||
        str_claim(pl, "scope", out->scope, sizeof(out->scope), false) != 0 ||
        int_claim(pl, "iat", &out->iat, true) != 0 ||
        int_claim(pl, "exp", &out->exp, true) != 0 ||
        int_claim(pl, "nbf", &out->nbf, false) != 0)
        goto out;
    v = json_object_get(pl, "aud");
    if (json_is_array(v) && json_array_size(v) == 1)
        v = json_array_get(v, 0);
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= sizeof(out->aud))
        goto out;
    memcpy(out->aud, json_string_value(v), json_string_length(v) + 1);
    r = JWT_OK;
out:
    json_decref(hdr);
    json_decref(pl);
    if (r != JWT_OK)
        memset(out, 0, sizeof(*out));
    return r;
}

/* Imports a PEM SubjectPublicKeyInfo; NULL unless RSA >= the minimum size.
 * *bits_out (optional) gets the RSA size, 0 when not RSA at all. */
static gnutls_pubkey_t load_rsa(const char *pem, unsigned *bits_out)
{
    gnutls_pubkey_t k = NULL;
    gnutls_datum_t d;
    unsigned bits = 0;
    size_t n = pem ? strlen(pem) : 0;
    int alg = GNUTLS_PK_UNKNOWN;

    if (bits_out)
        *bits_out = 0;
    if (n == 0 || n > LIM_OAUTH_PEM_MAX)
        return NULL;
    if (gnutls_pubkey_init(&k) < 0)
        return NULL;
    d.data = (unsigned char *)(uintptr_t)pem;
    d.size = (unsigned)n;
    if (gnutls_pubkey_import(k, &d, GNUTLS_X509_FMT_PEM) >= 0)
        alg = gnutls_pubkey_get_pk_algorithm(k, &bits);
    if (alg == GNUTLS_PK_RSA && bits_out)
        *bits_out = bits;
    if (alg != GNUTLS_PK_RSA || bits < LIM_OAUTH_RSA_BITS_MIN) {
        gnutls_pubkey_deinit(k);
        return NULL;
    }
    return k;
}

oauth_jwt_result oauth_jwt_verify(const char *jwt, size_t len, const char *const *pems, size_t n)
{
    jws_parts parts;
    unsigned char sig[LIM_OAUTH_ASSERTION_MAX];
    long sl;
    size_t usable = 0;
    oauth_jwt_result r = JWT_BAD_SIGNATURE;

    if (split_jws(jwt, len, &parts) != 0)
        return JWT_MALFORMED;
    if (parts.sl == 0 || b64_decoded_max(parts.sl) > sizeof(sig))
        return JWT_BAD_SIGNATURE;
    sl = b64url_decode(parts.s, parts.sl, sig);
    if (sl <= 0)
        return JWT_BAD_SIGNATURE;
    gnutls_datum_t data = { (unsigned char *)(uintptr_t)jwt, (unsigned)(parts.hl + 1 + parts.pl) };
    gnutls_datum_t sd = { sig, (unsigned)sl };
    for (size_t i = 0; i < n && r != JWT_OK; i++) {
        gnutls_pubkey_t k = load_rsa(pems[i], NULL);
        if (k == NULL)
            continue;
        usable++;
        if (gnutls_pubkey_verify_data2(k, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sd) >= 0)
            r = JWT_OK;
        gnutls_pubkey_deinit(k);
    }
    if (r != JWT_OK && usable == 0)
        r = JWT_NO_KEYS;
    return r;
}

oauth_jwt_result oauth_jwt_check_claims(const oauth_assertion *a, const char *const *auds,
                                        size_t n_auds, int64_t now)
{
    bool aud_ok = false;

    for (size_t i = 0; i < n_auds && !aud_ok; i++)
        aud_ok = auds[i] != NULL && auds[i][0] != '\0' && strcasecmp(a->aud, auds[i]) == 0;
    if (!aud_ok)
        return JWT_BAD_AUDIENCE;
    if (a->exp <= now)
        return JWT_EXPIRED;
    if (a->iat > now + LIM_TOKEN_LEEWAY_S || a->nbf > now + LIM_TOKEN_LEEWAY_S)
        return JWT_NOT_YET_VALID;
    if (a->exp < a->iat || a->exp - a->iat > LIM_OAUTH_ASSERTION_LIFETIME_S)
        return JWT_TOO_LONG;
    return JWT_OK;
}

const char *oauth_jwt_result_text(oauth_jwt_result r)
{
    switch (r) {
    case JWT_OK:            return "ok";
    case JWT_MALFORMED:     return "the assertion is not a well-formed JWT";
    case JWT_BAD_ALG:       return "the assertion must be signed with RS256";
    case JWT_BAD_SIGNATURE: return "no_valid_keys_or_signatures";
    case JWT_NO_KEYS:       return "no_valid_keys_or_signatures";
    case JWT_BAD_AUDIENCE:  return "the assertion's aud is not this OAuth host";
    case JWT_EXPIRED:       return "the assertion has expired";
    case JWT_TOO_LONG:      return "the assertion's exp is more than one hour after its iat";
    case JWT_NOT_YET_VALID: return "the assertion's iat or nbf is in the future";
    }
    return "invalid assertion";
}

int oauth_pubkey_check(const char *pem, char *err, size_t errlen)
{
    unsigned bits = 0;
    gnutls_pubkey_t k;

    if (pem == NULL || strlen(pem) > LIM_OAUTH_PEM_MAX) {
        snprintf(err, errlen, "public key longer than %d bytes", LIM_OAUTH_PEM_MAX);
        return -1;
    }
    k = load_rsa(pem, &bits);
    if (k == NULL) {
        if (bits > 0 && bits < LIM_OAUTH_RSA_BITS_MIN)
            snprintf(err, errlen, "RSA key of %u bits: at least %d required", bits, LIM_OAUTH_RSA_BITS_MIN);
        else
            snprintf(err, errlen, "not a PEM RSA public key (-----BEGIN PUBLIC KEY-----)");
        return -1;
    }
    gnutls_pubkey_deinit(k);
    return 0;
}
