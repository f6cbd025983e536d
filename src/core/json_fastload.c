/*
 * json_fastload.c - see json_fastload.h.
 *
 * A recursive descent over [p, end) with the depth as an argument.  Every
 * function returns NULL to decline; the caller frees what it built so far.
 * Strings without escapes or non-ASCII bytes go to jansson as slices of the
 * input; the others are decoded into a buffer first (an escape never
 * decodes longer than it is written, so the input's length bounds it).
 */
#include "core/json_fastload.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

typedef struct {
    const unsigned char *p, *end;
    unsigned char *scratch;                 /* decoded strings; grown on demand */
    size_t scratch_cap;
} reader;

static json_t *value(reader *r, int depth);

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int hex4(const unsigned char *s, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        int d = str_hexval(s[i]);
        if (d < 0)
            return -1;
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* The string whose opening quote is at r->p: *out and *len point at its
 * bytes (the input's, or r->scratch's when it had escapes), r->p past the
 * closing quote.  -1 to decline. */
static int string(reader *r, const char **out, size_t *len)
{
    const unsigned char *s = ++r->p, *q = s;

    while (q < r->end && *q != '"' && *q != '\\' && *q >= 0x20 && *q < 0x80)
        q++;
    if (q < r->end && *q == '"') {          /* the usual case: plain ASCII */
        *out = (const char *)s;
        *len = (size_t)(q - s);
        r->p = q + 1;
        return 0;
    }
    if (q >= r->end)
        return -1;                          /* no closing quote */
    size_t need = (size_t)(r->end - s);
    if (need > r->scratch_cap) {
        unsigned char *grown = realloc(r->scratch, need);
        if (grown == NULL)
            return -1;
        r->scratch = grown;
        r->scratch_cap = need;
    }
    unsigned char *w = r->scratch;
    memcpy(w, s, (size_t)(q - s));
    w += q - s;
    while (q < r->end) {
        unsigned c = *q;
        if (c == '"') {
            *out = (const char *)r->scratch;
            *len = (size_t)(w - r->scratch);
            r->p = q + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;                      /* a raw control character */
        if (c >= 0x80) {
            size_t n = str_utf8_decode(q, (size_t)(r->end - q), NULL);
            if (n == 0)
                return -1;
            memcpy(w, q, n);
            w += n;
            q += n;
            continue;
        }
        if (c != '\\') {
            *w++ = (unsigned char)c;
            q++;
            continue;
        }
        if (r->end - q < 2)
            return -1;
        switch (q[1]) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            uint32_t u;
            if (r->end - q < 6 || hex4(q + 2, &u) != 0 || u == 0 || (u >= 0xD800 && u <= 0xDFFF))
                return -1;                  /* surrogates and NUL: jansson's to judge */
            w += str_utf8_encode(u, (char *)w);
            q += 6;
            continue;
        }
        default:
            return -1;
        }
        q += 2;
    }
    return -1;                              /* no closing quote */
}

/* An integer of at most 18 digits (it fits in json_int_t), without a
 * fraction or an exponent; anything else declines. */
static json_t *number(reader *r)
{
    const unsigned char *q = r->p;
    bool neg = false;
    int64_t v = 0;
    int digits = 0;

    if (*q == '-') {
        neg = true;
        q++;
    }
    if (q >= r->end || *q < '0' || *q > '9')
        return NULL;
    if (*q == '0' && q + 1 < r->end && q[1] >= '0' && q[1] <= '9')
        return NULL;                        /* a leading zero: malformed */
    while (q < r->end && *q >= '0' && *q <= '9') {
        if (++digits > 18)
            return NULL;
        v = v * 10 + (*q++ - '0');
    }
    if (q < r->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return NULL;                        /* a real: jansson's strtod decides */
    r->p = q;
    return json_integer(neg ? -v : v);
}

static bool word(reader *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return false;
    r->p += n;
    return true;
}

/* After an item of an array or a member of an object: 1 when close ended
 * the container, 0 after a comma (another item follows), -1 to decline. */
static int after_item(reader *r, unsigned char close)
{
    skip_ws(r);
    if (r->p >= r->end)
        return -1;
    if (*r->p == close) {
        r->p++;
        return 1;
    }
    if (*r->p != ',')
        return -1;
    r->p++;
    skip_ws(r);
    return 0;
}

static json_t *array(reader *r, int depth)
{
    json_t *a = json_array();

    if (a == NULL)
        return NULL;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        json_t *v = value(r, depth);
        if (v == NULL || json_array_append_new(a, v) != 0)
            break;
        int next = after_item(r, ']');
        if (next < 0)
            break;
        if (next > 0)
            return a;
    }
    json_decref(a);
    return NULL;
}

static json_t *object(reader *r, int depth)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        const char *key;
        char *owned = NULL;
        size_t klen, before = json_object_size(o);
        if (r->p >= r->end || *r->p != '"' || string(r, &key, &klen) != 0)
            break;
        if ((const unsigned char *)key == r->scratch) {
            /* decoded into the scratch buffer, which the value's strings reuse */
            owned = malloc(klen + 1);
            if (owned == NULL)
                break;
            memcpy(owned, key, klen);
            key = owned;
        }
        skip_ws(r);
        json_t *v = NULL;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            skip_ws(r);
            v = value(r, depth);
        }
        /* a repeated name replaces the member (size unchanged): jansson refuses it */
        bool added = v != NULL && json_object_setn_new_nocheck(o, key, klen, v) == 0 &&
                     json_object_size(o) > before;
        free(owned);
        if (!added)
            break;
        int next = after_item(r, '}');
        if (next < 0)
            break;
        if (next > 0)
            return o;
    }
    json_decref(o);
    return NULL;
}

static json_t *value(reader *r, int depth)
{
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
        return depth < JSON_FASTLOAD_DEPTH ? object(r, depth + 1) : NULL;
    case '[':
        return depth < JSON_FASTLOAD_DEPTH ? array(r, depth + 1) : NULL;
    case '"': {
        const char *s;
        size_t n;
        return string(r, &s, &n) == 0 ? json_stringn_nocheck(s, n) : NULL;
    }
    case 't':
        return word(r, "true", 4) ? json_true() : NULL;
    case 'f':
        return word(r, "false", 5) ? json_false() : NULL;
    case 'n':
        return word(r, "null", 4) ? json_null() : NULL;
    default:
        return number(r);
    }
}

json_t *json_fastload(const char *text, size_t len)
{
    if (text == NULL)
        return NULL;                        /* json_loadb answers "wrong arguments" */
    reader r = { (const unsigned char *)text, (const unsigned char *)text + len, NULL, 0 };
    json_t *v = NULL;

    skip_ws(&r);
    if (r.p < r.end && (*r.p == '{' || *r.p == '['))
        v = value(&r, 0);
    skip_ws(&r);
    if (v != NULL && r.p != r.end) {        /* something after the value */
        json_decref(v);
        v = NULL;
    }
    free(r.scratch);
    return v;
}

json_t *json_load_text(const char *text, size_t len, size_t flags, json_error_t *err)
{
    json_t *v = (flags & ~(size_t)JSON_REJECT_DUPLICATES) == 0 ? json_fastload(text, len) : NULL;

    return v != NULL ? v : json_loadb(text, len, flags, err);
}

json_t *json_load_str(const char *text, size_t flags, json_error_t *err)
{
    return json_load_text(text, text != NULL ? strlen(text) : 0, flags, err);
}
