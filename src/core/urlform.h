/*
 * urlform.h - strict, bounded application/x-www-form-urlencoded forms:
 * '+' is a space, %XX must be two hex digits, decoded names and values may
 * not hold C0 controls or DEL, names are unique, at most `max` fields
 * (never more than LIM_FORM_FIELDS_MAX).  Used by oauth/ (its oauth_form
 * names) and pages/.
 *
 * Memory: a url_form owns one buffer holding every decoded name and value
 * (url_form_free wipes and frees it).
 */
#ifndef PROFILED_CORE_URLFORM_H
#define PROFILED_CORE_URLFORM_H

#include <stddef.h>

#include "core/limits.h"

typedef struct {
    const char *name;          /* decoded, NUL-terminated, inside buf */
    const char *value;
    size_t value_len;
} url_field;

typedef struct {
    url_field f[LIM_FORM_FIELDS_MAX];
    size_t n;
    size_t max;                /* fields allowed (set by url_form_parse; 0 = LIM_FORM_FIELDS_MAX) */
    char *buf;                 /* owned; zeroed before it is freed */
    size_t buf_cap;
} url_form;

typedef enum {
    FORM_OK = 0,
    FORM_MALFORMED,            /* bad %-escape, empty name, missing '=' ... */
    FORM_DUPLICATE,            /* a name given twice (RFC 6749 §3.1) */
    FORM_TOO_MANY,             /* more than max fields */
    FORM_CONTROL,              /* a decoded control character or NUL */
    FORM_NOMEM
} url_form_result;

/* Parses len bytes of "a=b&c=d" into out (always safe to free afterwards);
 * an empty body gives an empty form. */
url_form_result url_form_parse(const char *body, size_t len, size_t max, url_form *out);
/* Adds one already-decoded pair; same rules. */
url_form_result url_form_add(url_form *f, const char *name, const char *value);
/* The value of name, or NULL when absent. */
const char *url_form_get(const url_form *f, const char *name);
void url_form_free(url_form *f);

#endif
