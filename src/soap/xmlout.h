/*
 * xmlout.h - a growable text buffer for the XML profiled writes on the
 * SOAP surface (envelopes, faults, the WSDL): raw text, escaped text and
 * attribute values, simple elements.
 *
 * Memory: the buffer owns its bytes (malloc); xo_take hands them to the
 * caller (then free), xo_free releases them.  An allocation failure sets
 * `failed`, later writes are ignored, and xo_take returns NULL.
 */
#ifndef PROFILED_SOAP_XMLOUT_H
#define PROFILED_SOAP_XMLOUT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} xo_buf;

void xo_raw(xo_buf *b, const char *s);
void xo_rawn(xo_buf *b, const char *s, size_t n);
void xo_fmt(xo_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text with & < > " escaped; control characters other than tab, CR and LF
 * become U+FFFD (they cannot appear in XML 1.0). */
void xo_text(xo_buf *b, const char *s);
/* <name>text</name> (text escaped). */
void xo_elem(xo_buf *b, const char *name, const char *text);
char *xo_take(xo_buf *b, size_t *len);
void xo_free(xo_buf *b);

#endif
