/*
 * json_compact.c - see json_compact.h.  A growing buffer; every append
 * checks for room first.
 */
#include "core/json_compact.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len, cap;
    bool fail;
} jbuf;

static bool room(jbuf *b, size_t n)
{
    if (b->fail)
        return false;
    if (b->cap - b->len > n)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2) {
            b->fail = true;
            return false;
        }
        cap *= 2;
    }
    char *np = realloc(b->p, cap);
    if (np == NULL) {
        b->fail = true;
        return false;
    }
    b->p = np;
    b->cap = cap;
    return true;
}

static void add(jbuf *b, const char *s, size_t n)
{
    if (room(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

static void add_c(jbuf *b, char c)
{
    if (room(b, 1))
        b->p[b->len++] = c;
}

static void add_str(jbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;

    add_c(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        add(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':  add(b, "\\\"", 2); break;
        case '\\': add(b, "\\\\", 2); break;
        case '\b': add(b, "\\b", 2); break;
        case '\f': add(b, "\\f", 2); break;
        case '\n': add(b, "\\n", 2); break;
        case '\r': add(b, "\\r", 2); break;
        case '\t': add(b, "\\t", 2); break;
        default: {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            add(b, u, sizeof(u));
        }
        }
    }
    add(b, s + run, n - run);
    add_c(b, '"');
}

static void encode(jbuf *b, const json_t *v, int depth)
{
    char num[32];
    int n;

    if (depth > JSON_COMPACT_DEPTH) {
        b->fail = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        bool first = true;
        add_c(b, '{');
        json_object_foreach((json_t *)v, k, m) {
            if (!first)
                add_c(b, ',');
            first = false;
            add_str(b, k, strlen(k));
            add_c(b, ':');
            encode(b, m, depth + 1);
        }
        add_c(b, '}');
        break;
    }
    case JSON_ARRAY:
        add_c(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                add_c(b, ',');
            encode(b, json_array_get(v, i), depth + 1);
        }
        add_c(b, ']');
        break;
    case JSON_STRING:
        add_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (n > 0 && (size_t)n < sizeof(num))
            add(b, num, (size_t)n);
        else
            b->fail = true;
        break;
    case JSON_TRUE:
        add(b, "true", 4);
        break;
    case JSON_FALSE:
        add(b, "false", 5);
        break;
    case JSON_NULL:
        add(b, "null", 4);
        break;
    default:                    /* JSON_REAL: json_dumps' own formatting */
        b->fail = true;
        break;
    }
}

char *json_compact_encode(const json_t *v, size_t *len)
{
    jbuf b = { NULL, 0, 0, false };

    if (v == NULL)
        return NULL;
    encode(&b, v, 0);
    if (!room(&b, 0) || b.fail) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    if (len != NULL)
        *len = b.len;
    return b.p;
}
