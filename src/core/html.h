/*
 * html.h - a growing, bounded text buffer with HTML escaping: the one
 * escaper of every server-rendered page (oauth/pages.c, pages/).
 *
 * Memory: the buffer's text (p) is malloc'd and owned by the caller once
 * built (free it, or hand it to a response); after a failure (allocation,
 * or more than max bytes) `failed` is set, nothing more is appended, and
 * the caller frees p.
 */
#ifndef PROFILED_CORE_HTML_H
#define PROFILED_CORE_HTML_H

#include <stdbool.h>
#include <stddef.h>

#define HTML_BUF_DEFAULT_MAX (64 * 1024)

typedef struct {
    char *p;
    size_t len, cap;
    size_t max;          /* total bytes allowed; 0 = HTML_BUF_DEFAULT_MAX */
    bool failed;
} html_buf;

/* Appends s as is (markup the caller wrote). */
void html_add(html_buf *b, const char *s);
/* Appends s with & < > " ' and control characters escaped; NULL is "". */
void html_add_escaped(html_buf *b, const char *s);
/* Appends a decimal integer. */
void html_add_int(html_buf *b, long long v);

#endif
