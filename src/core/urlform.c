/*
 * urlform.c - strict application/x-www-form-urlencoded parsing (urlform.h),
 * shared by the OAuth endpoints and the profile pages.
 *
 * Memory: url_form_parse decodes into one malloc'd buffer (form->buf) of
 * at most len + 2 * fields + 2 bytes; every name and value points into it,
 * so url_form_free releases everything (wiped first: passwords pass
 * through forms).  url_form_add rebuilds that one buffer with the new pair.
 */
#include "core/urlform.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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

static url_form_result check_dup(const url_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            return FORM_DUPLICATE;
    return FORM_OK;
}

url_form_result url_form_parse(const char *body, size_t len, size_t max, url_form *out)
{
    size_t pos = 0, o = 0;

    memset(out, 0, sizeof(*out));
    out->max = max == 0 || max > LIM_FORM_FIELDS_MAX ? LIM_FORM_FIELDS_MAX : max;
    if (len == 0)
        return FORM_OK;
    /* decoded text is never longer than the input; +2 NULs per field */
    out->buf_cap = len + 2 * LIM_FORM_FIELDS_MAX + 2;
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
        if (out->n == out->max)
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
 * the old one (forms hold at most LIM_FORM_FIELDS_MAX small pairs). */
url_form_result url_form_add(url_form *f, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value), used = 0;
    char *nb;

    if (nl == 0)
        return FORM_MALFORMED;
    if (f->max == 0 || f->max > LIM_FORM_FIELDS_MAX)
        f->max = LIM_FORM_FIELDS_MAX;
    if (f->n == f->max)
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

const char *url_form_get(const url_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            return f->f[i].value;
    return NULL;
}

void url_form_free(url_form *f)
{
    if (f == NULL)
        return;
    if (f->buf != NULL)
        sodium_memzero(f->buf, f->buf_cap);     /* passwords pass through forms */
    free(f->buf);
    memset(f, 0, sizeof(*f));
}

