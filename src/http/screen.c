/*
 * screen.c - see screen.h.
 */
#include "http/screen.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/limits.h"

/* Where s holds "%00" (the encoding of NUL), or NULL. */
static const char *find_pct00(const char *s)
{
    for (const char *p = strchr(s, '%'); p != NULL; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0')
            return p;
    return NULL;
}

/* Names where the %00 at nul sits: the path, or the query parameter. */
static void describe_pct00(pd_request *r, const char *q, const char *nul)
{
    if (q == NULL || nul < q) {
        snprintf(r->early_msg, sizeof(r->early_msg), "The request path holds an encoded NUL (%%00).");
        return;
    }
    const char *name = nul;
    while (name > q + 1 && name[-1] != '&')
        name--;
    size_t len = strcspn(name, "=&");
    if (len > 64)
        len = 64;
    snprintf(r->early_msg, sizeof(r->early_msg), "The query parameter '%.*s' holds an encoded NUL (%%00).",
             (int)len, name);
}

void screen_target(pd_request *r, const char *uri)
{
    size_t len = strlen(uri);
    char *q = strchr(uri, '?');
    size_t params = 0;

    r->raw_target_len = len;
    if (len > LIM_HTTP_URL_MAX) {
        r->early = PD_ERR_URI_TOO_LONG;
    } else {
        if (q != NULL && q[1] != '\0')
            for (const char *p = q; p != NULL; p = strchr(p + 1, '&'))
                params++;
        const char *nul = find_pct00(uri);
        if (params > LIM_HTTP_QUERY_PARAMS_MAX) {
            r->early = PD_ERR_URI_TOO_LONG;
            snprintf(r->early_msg, sizeof(r->early_msg),
                     "The request has more than %d query parameters.", LIM_HTTP_QUERY_PARAMS_MAX);
        } else if (nul != NULL) {
            r->early = PD_ERR_BAD_REQUEST;
            describe_pct00(r, q, nul);
        }
    }
    /* refused: leave libmicrohttpd no query to parse (it would spend the
     * connection's memory on it; the answer needs none of it) */
    if (r->early != PD_OK && q != NULL)
        q[1] = '\0';
}

typedef struct {
    unsigned host, content_length;
    bool chunked, nul;
    const char *pending;              /* the byte after the previous value's end */
} header_census;

/* libmicrohttpd 0.9.75 cuts a header line at its first NUL and reports the
 * value up to there (value_size counts no further).  Its lines sit one after
 * the other in the connection's line buffer, each line end turned into NULs,
 * so the byte after a value's terminating NUL is another NUL, a CR or LF, or
 * (LF-only lines) the next header's first byte.  Anything else is the rest of
 * a value cut by a raw NUL.  The byte read is inside the buffer: every line
 * ends with at least one terminator and is followed by at least the blank
 * line that ends the headers. */
static bool cut_by_nul(const char *after, const char *next_key)
{
    return after != next_key && *after != '\0' && *after != '\r' && *after != '\n';
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                    const char *value, size_t value_size)
{
    header_census *c = cls;

    (void)kind;
    if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size))
        c->nul = true;
    if (c->pending != NULL && cut_by_nul(c->pending, key))
        c->nul = true;
    c->pending = value != NULL ? value + value_size + 1 : NULL;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        c->host++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        c->content_length++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 && value != NULL &&
             strcasestr(value, "chunked") != NULL)
        c->chunked = true;
    return MHD_YES;
}

void screen_request(pd_request *r, const char *url, const char *version)
{
    header_census c = {0, 0, false, false, NULL};
    pd_err e = PD_OK;

    /* url and version are cut out of one line: "URL VERSION".  libmicrohttpd
     * unescapes url in place (it can only shrink), so a gap longer than the
     * raw target that screen_target measured means a raw NUL cut it. */
    if (url != NULL && version != NULL && version > url &&
        (size_t)(version - url) > r->raw_target_len + 1)
        e = PD_ERR_BAD_REQUEST;
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, count_header, &c);
    if (c.pending != NULL && cut_by_nul(c.pending, NULL))
        c.nul = true;
    if (c.nul || c.host > 1 || c.content_length > 1)
        e = PD_ERR_BAD_REQUEST;
    if (c.content_length > 1 || (c.content_length == 1 && c.chunked))
        r->close_after = true;            /* the framing is in doubt: end the connection */
    if (e != PD_OK) {
        r->close_after = true;
        if (r->early == PD_OK)
            r->early = e;
    }
}

const char *screen_origin_form(const char *url)
{
    const char *p;

    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else
        return url;
    p = strchr(p, '/');
    return p != NULL ? p : "/";
}
