/*
 * html.c - the bounded HTML text buffer and its escaper (html.h).
 *
 * Memory: b->p grows by doubling up to b->max; the caller owns it.
 */
#include "core/html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void html_add(html_buf *b, const char *s)
{
    size_t n = strlen(s);
    size_t max = b->max ? b->max : HTML_BUF_DEFAULT_MAX;

    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > max) {
            b->failed = true;
            return;
        }
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

void html_add_escaped(html_buf *b, const char *s)
{
    char one[2] = { 0, 0 }, num[8];

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&':  html_add(b, "&amp;"); break;
        case '<':  html_add(b, "&lt;"); break;
        case '>':  html_add(b, "&gt;"); break;
        case '"':  html_add(b, "&quot;"); break;
        case '\'': html_add(b, "&#39;"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(num, sizeof(num), "&#%u;", (unsigned)*p);
                html_add(b, num);
            } else {
                one[0] = (char)*p;
                html_add(b, one);
            }
        }
    }
}

void html_add_int(html_buf *b, long long v)
{
    char num[24];

    snprintf(num, sizeof(num), "%lld", v);
    html_add(b, num);
}
