/*
 * form.c - strict application/x-www-form-urlencoded parsing, Basic
 * client credentials, scope lists, PKCE and redirect-URI checks (oauth.h).
 *
 * The form parser itself is core/urlform.c (shared with pages/); OAuth
 * forms hold at most LIM_OAUTH_FORM_FIELDS fields.
 *
 * Memory: see core/urlform.h.
 */
#include "oauth/oauth.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/b64.h"
#include "core/strutil.h"

oauth_form_result oauth_form_parse(const char *body, size_t len, oauth_form *out)
{
    return url_form_parse(body, len, LIM_OAUTH_FORM_FIELDS, out);
}

oauth_form_result oauth_form_add(oauth_form *f, const char *name, const char *value)
{
    if (f->max == 0)
        f->max = LIM_OAUTH_FORM_FIELDS;
    return url_form_add(f, name, value);
}

const char *oauth_form_get(const oauth_form *f, const char *name)
{
    return url_form_get(f, name);
}

void oauth_form_free(oauth_form *f)
{
    url_form_free(f);
}

int oauth_basic_parse(const char *header, char *id, size_t idcap, char *secret, size_t seccap)
{
    unsigned char dec[512];
    const char *p;
    size_t n;
    long dl;
    int rc = -1;

    if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    p = header + 6;
    while (*p == ' ')
        p++;
    n = strlen(p);
    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (n == 0 || b64_decoded_max(n) >= sizeof(dec))
        return -1;
    dl = b64_decode(p, n, dec);
    if (dl <= 0)
        return -1;
    unsigned char *colon = memchr(dec, ':', (size_t)dl);
    if (colon == NULL || colon == dec)
        goto out;
    size_t il = (size_t)(colon - dec), sl = (size_t)dl - il - 1;
    if (il >= idcap || sl >= seccap || memchr(dec, '\0', (size_t)dl) != NULL)
        goto out;
    memcpy(id, dec, il);
    id[il] = '\0';
    memcpy(secret, colon + 1, sl);
    secret[sl] = '\0';
    rc = 0;
out:
    sodium_memzero(dec, sizeof(dec));
    return rc;
}

/* scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
static bool scope_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

bool oauth_scope_list_valid(const char *scopes)
{
    size_t tokens = 0;
    const char *p = scopes;

    if (scopes == NULL)
        return false;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (!scope_char((unsigned char)*p))
            return false;
        tokens++;
        while (*p && *p != ' ') {
            if (!scope_char((unsigned char)*p))
                return false;
            p++;
        }
    }
    return tokens > 0;
}

/* True when the token p[0..n) is in the list. */
static bool has_token(const char *list, const char *p, size_t n)
{
    const char *q = list;

    while (q && *q) {
        while (*q == ' ')
            q++;
        const char *e = strchr(q, ' ');
        size_t l = e ? (size_t)(e - q) : strlen(q);
        if (l == n && l > 0 && memcmp(q, p, n) == 0)
            return true;
        q = e;
    }
    return false;
}

bool oauth_scope_subset(const char *want, const char *have)
{
    const char *p = want;

    if (want == NULL || have == NULL)
        return false;
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (!has_token(have, p, l))
            return false;
        p += l;
    }
    return true;
}

int oauth_scope_normalise(const char *in, char *out, size_t cap)
{
    const char *p = in;
    size_t o = 0;

    if (cap == 0 || !oauth_scope_list_valid(in))
        return -1;
    out[0] = '\0';
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (!has_token(out, p, l)) {
            if (o + (o ? 1 : 0) + l + 1 > cap)
                return -1;
            if (o)
                out[o++] = ' ';
            memcpy(out + o, p, l);
            o += l;
            out[o] = '\0';
        }
        p += l;
    }
    return 0;
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool oauth_pkce_challenge_valid(const char *challenge)
{
    size_t n = challenge ? strlen(challenge) : 0;

    if (n != 43)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)challenge[i]) && challenge[i] != '-' && challenge[i] != '_')
            return false;
    return true;
}

bool oauth_pkce_s256_ok(const char *verifier, const char *challenge)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    size_t n = verifier ? strlen(verifier) : 0;
    char *enc;
    bool ok;

    if (n < 43 || n > 128 || !oauth_pkce_challenge_valid(challenge))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!unreserved((unsigned char)verifier[i]))
            return false;
    crypto_hash_sha256(h, (const unsigned char *)verifier, n);
    enc = b64url_encode(h, sizeof(h), NULL);
    if (enc == NULL)
        return false;
    ok = strlen(enc) == 43 && sodium_memcmp(enc, challenge, 43) == 0;
    free(enc);
    return ok;
}

bool oauth_client_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > LIM_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
            return false;
    return true;
}

/* host[:port] of an authority: letters, digits, '.', '-', or [v6]. */
static bool authority_ok(const char *a, size_t n, bool *loopback)
{
    size_t hl = n;
    const char *colon;

    *loopback = false;
    if (n == 0 || memchr(a, '@', n) != NULL)
        return false;
    if (a[0] == '[') {
        const char *rb = memchr(a, ']', n);
        if (rb == NULL)
            return false;
        hl = (size_t)(rb - a) + 1;
        for (size_t i = 1; i + 1 < hl; i++)
            if (!isxdigit((unsigned char)a[i]) && a[i] != ':' && a[i] != '.')
                return false;
        *loopback = hl == 5 && memcmp(a, "[::1]", 5) == 0;
        colon = hl < n ? a + hl : NULL;
        if (colon != NULL && *colon != ':')
            return false;
    } else {
        colon = memchr(a, ':', n);
        if (colon != NULL)
            hl = (size_t)(colon - a);
        if (hl == 0)
            return false;
        for (size_t i = 0; i < hl; i++)
            if (!isalnum((unsigned char)a[i]) && a[i] != '.' && a[i] != '-')
                return false;
        *loopback = (hl == 9 && strncasecmp(a, "localhost", 9) == 0) ||
                    (hl == 9 && memcmp(a, "127.0.0.1", 9) == 0);
    }
    if (colon != NULL) {
        size_t pl = n - (size_t)(colon - a) - 1;
        long port = 0;
        if (pl == 0 || pl > 5)
            return false;
        for (size_t i = 1; i <= pl; i++) {
            if (!isdigit((unsigned char)colon[i]))
                return false;
            port = port * 10 + (colon[i] - '0');
        }
        if (port == 0 || port > 65535)
            return false;
    }
    return true;
}

bool oauth_redirect_uri_valid(const char *uri, char *origin, size_t origin_cap)
{
    size_t n = uri ? strlen(uri) : 0, skip;
    bool https, loopback;

    if (n == 0 || n > LIM_OAUTH_REDIRECT_URI_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7f || uri[i] == '#' ||
            uri[i] == '"' || uri[i] == '<' || uri[i] == '>' || uri[i] == '\\' ||
            uri[i] == ';' || uri[i] == ',' || uri[i] == '\'')
            return false;
    if (strncmp(uri, "https://", 8) == 0) {
        https = true;
        skip = 8;
    } else if (strncmp(uri, "http://", 7) == 0) {
        https = false;
        skip = 7;
    } else {
        return false;
    }
    const char *auth = uri + skip;
    size_t al = strcspn(auth, "/?");
    if (!authority_ok(auth, al, &loopback))
        return false;
    if (!https && !loopback)
        return false;
    if (origin != NULL) {
        if (skip + al + 1 > origin_cap)
            return false;
        memcpy(origin, uri, skip + al);
        origin[skip + al] = '\0';
    }
    return true;
}
