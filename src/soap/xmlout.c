/*
 * xmlout.c - the SOAP surface's XML text buffer (soap/xmlout.h).
 */
#include "soap/xmlout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(xo_buf *b, size_t extra)
{
    size_t want;
    char *n;

    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    want = b->cap ? b->cap : 1024;
    while (want < b->len + extra + 1)
        want *= 2;
    n = realloc(b->p, want);
    if (n == NULL) {
        b->failed = true;
        return false;
    }
    b->p = n;
    b->cap = want;
    return true;
}

void xo_rawn(xo_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void xo_raw(xo_buf *b, const char *s)
{
    xo_rawn(b, s, strlen(s));
}

void xo_fmt(xo_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void xo_text(xo_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        switch (*p) {
        case '&': xo_raw(b, "&amp;"); break;
        case '<': xo_raw(b, "&lt;"); break;
        case '>': xo_raw(b, "&gt;"); break;
        case '"': xo_raw(b, "&quot;"); break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                xo_raw(b, "\xEF\xBF\xBD");
            else
                xo_rawn(b, (const char *)p, 1);
        }
    }
}

void xo_elem(xo_buf *b, const char *name, const char *text)
{
    xo_fmt(b, "<%s>", name);
    xo_text(b, text);
    xo_fmt(b, "</%s>", name);
}

char *xo_take(xo_buf *b, size_t *len)
{
    char *p;

    if (b->failed || (b->p == NULL && !reserve(b, 0))) {
        xo_free(b);
        return NULL;
    }
    p = b->p;
    *len = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}

void xo_free(xo_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
