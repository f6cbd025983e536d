/*
 * form.c - strict application/x-www-form-urlencoded parsing, Basic
 * client credentials, scope lists, PKCE and redirect-URI checks (oauth.h).
 *
 * Memory: oauth_form_parse decodes into one malloc'd buffer (form->buf) of
 * at most len + 1 + fields bytes; every name and value points into it, so
 * oauth_form_free releases everything.  oauth_form_add appends copies to a
 * second allocation chain (each pair is one malloc kept in a small list).
 */
#include "oauth/oauth.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/b64.h"
#include "core/strutil.h"

/* Decodes src[0..n) into dst (NUL-terminated); returns decoded length or -1
 * (bad escape) / -2 (control character). */
static long decode(const char *src, size_t n, char *dst)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = str_hexval(src[i + 1]);
            lo = str_hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f)
            return -2;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return (long)o;
}

static oauth_form_result check_dup(const oauth_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            return FORM_DUPLICATE;
    return FORM_OK;
}

oauth_form_result oauth_form_parse(const char *body, size_t len, oauth_form *out)
{
    size_t pos = 0, o = 0;

    memset(out, 0, sizeof(*out));
    if (len == 0)
        return FORM_OK;
    /* decoded text is never longer than the input; +2 NULs per field */
    out->buf_cap = len + 2 * LIM_OAUTH_FORM_FIELDS + 2;
    out->buf = malloc(out->buf_cap);
    if (out->buf == NULL) {
        out->buf_cap = 0;
        return FORM_NOMEM;
    }
    while (pos < len) {
        const char *pair = body + pos;
        const char *amp = memchr(pair, '&', len - pos);
        size_t plen = amp ? (size_t)(amp - pair) : len - pos;
        const char *eq;
        long nl, vl;

        pos += plen + (amp ? 1 : 0);
        if (plen == 0) {
            if (amp == NULL && pos == len && out->n > 0)
                break;                           /* one trailing '&' is tolerated */
            return FORM_MALFORMED;
        }
        if (out->n == LIM_OAUTH_FORM_FIELDS)
            return FORM_TOO_MANY;
        eq = memchr(pair, '=', plen);
        if (eq == NULL || eq == pair)
            return FORM_MALFORMED;
        char *name = out->buf + o;
        nl = decode(pair, (size_t)(eq - pair), name);
        if (nl < 0)
            return nl == -1 ? FORM_MALFORMED : FORM_CONTROL;
        o += (size_t)nl + 1;
        char *value = out->buf + o;
        vl = decode(eq + 1, plen - (size_t)(eq - pair) - 1, value);
        if (vl < 0)
            return vl == -1 ? FORM_MALFORMED : FORM_CONTROL;
        o += (size_t)vl + 1;
        if (nl == 0)
            return FORM_MALFORMED;
        if (check_dup(out, name) != FORM_OK)
            return FORM_DUPLICATE;
        out->f[out->n].name = name;
        out->f[out->n].value = value;
        out->f[out->n].value_len = (size_t)vl;
        out->n++;
    }
    return FORM_OK;
}

/* Keeps one owner: every pair is copied into a new buffer that replaces
 * the old one (forms hold at most LIM_OAUTH_FORM_FIELDS small pairs). */
oauth_form_result oauth_form_add(oauth_form *f, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value), used = 0;
    char *nb;

    if (nl == 0)
        return FORM_MALFORMED;
    if (f->n == LIM_OAUTH_FORM_FIELDS)
        return FORM_TOO_MANY;
    for (size_t i = 0; i < nl; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return FORM_CONTROL;
    for (size_t i = 0; i < vl; i++)
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            return FORM_CONTROL;
    if (check_dup(f, name) != FORM_OK)
        return FORM_DUPLICATE;
    /* rebuild one buffer holding every pair (forms are tiny) */
    for (size_t i = 0; i < f->n; i++)
        used += strlen(f->f[i].name) + 1 + f->f[i].value_len + 1;
    nb = malloc(used + nl + 1 + vl + 1);
    if (nb == NULL)
        return FORM_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < f->n; i++) {
        size_t a = strlen(f->f[i].name) + 1, b = f->f[i].value_len + 1;
        memcpy(nb + o, f->f[i].name, a);
        f->f[i].name = nb + o;
        o += a;
        memcpy(nb + o, f->f[i].value, b);
        f->f[i].value = nb + o;
        o += b;
    }
    memcpy(nb + o, name, nl + 1);
    f->f[f->n].name = nb + o;
    o += nl + 1;
    memcpy(nb + o, value, vl + 1);
    f->f[f->n].value = nb + o;
    f->f[f->n].value_len = vl;
    f->n++;
    if (f->buf != NULL)
        sodium_memzero(f->buf, f->buf_cap);
    free(f->buf);
    f->buf = nb;
    f->buf_cap = used + nl + 1 + vl + 1;
    return FORM_OK;
}

const char *oauth_form_get(const oauth_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            return f->f[i].value;
    return NULL;
}

void oauth_form_free(oauth_form *f)
{
    if (f == NULL)
        return;
    if (f->buf != NULL)
        sodium_memzero(f->buf, f->buf_cap);     /* passwords pass through forms */
    free(f->buf);
    memset(f, 0, sizeof(*f));
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
