/*
 * multipart.c - bounded multipart/form-data parser (RFC 7578 over the
 * RFC 2046 multipart framing) for a body held entirely in memory.
 *
 * Memory: nothing is allocated.  Every pointer stored in multipart_result
 * points into the caller's body buffer, which must outlive the result.
 * Strings passed in (content_type, boundary) are borrowed.
 *
 * Behaviour worth knowing:
 *   - multipart_boundary accepts only the media type multipart/form-data
 *     (case-insensitive) and a boundary parameter given as a token or a
 *     quoted-string (quoted-pairs undone); the boundary must be 1..70
 *     RFC 2046 bchars and must not end with a space.  A repeated boundary
 *     parameter is rejected.
 *   - Delimiter lines are "--boundary" at the start of the body or right
 *     after a LF, followed by optional spaces/tabs and CRLF or LF; the close
 *     delimiter is "--boundary--" (anything after it is epilogue).  A
 *     "--boundary" followed by other bytes is data, not a delimiter.  The
 *     CRLF (or LF) before a delimiter belongs to the delimiter, not to the
 *     data; a part whose blank line is directly followed by the delimiter
 *     has empty data.
 *   - At least one part is required.  Each part needs a Content-Disposition
 *     of type form-data with a name parameter (RFC 7578 §4.2).  Header
 *     names are case-insensitive; obsolete line folding, control bytes in
 *     header lines and duplicate Content-Disposition / Content-Type /
 *     name / filename are rejected; other headers are ignored.
 *   - name and filename point at the raw parameter text: for a
 *     quoted-string, the bytes between the quotes with any backslash
 *     escapes left in place (the body is const, so they cannot be undone
 *     without a copy).  Escapes are honoured when finding the closing
 *     quote.  filename* (RFC 5987) is ignored.
 *   - content_type is the whole trimmed Content-Type value (parameters
 *     included).
 *   - The header block of one part (its header lines with their line
 *     endings, not the blank line) may be at most
 *     LIM_MULTIPART_HEADER_BYTES; at most LIM_MULTIPART_PARTS parts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* memmem */
#endif
#include "codec/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DASH_BOUNDARY_MAX (LIM_BOUNDARY_MAX + 2)

typedef struct {
    const unsigned char *body;
    size_t len;
    char dash[DASH_BOUNDARY_MAX];   /* "--" + boundary, not NUL-terminated */
    size_t dash_len;
} mp_ctx;

/* A located delimiter line. */
typedef struct {
    size_t start;   /* index of the first '-' */
    size_t next;    /* index just past the delimiter line */
    int close;      /* 1 for "--boundary--" */
} mp_delim;

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

static int is_ows(int c)
{
    return c == ' ' || c == '\t';
}

/* RFC 7230 tchar. */
static int is_tchar(int c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 bchars (space included; it may not be the last one). */
static int is_bchar(int c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

static int boundary_valid(const char *b, size_t n)
{
    size_t i;

    if (n == 0 || n > LIM_BOUNDARY_MAX || b[n - 1] == ' ')
        return 0;
    for (i = 0; i < n; i++)
        if (!is_bchar((unsigned char)b[i]))
            return 0;
    return 1;
}

/* Case-insensitive equality of the span (s, n) and the C string lit. */
static int span_ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* ---------------------------------------------------------------------- */
/* Content-Type header: the boundary parameter                            */
/* ---------------------------------------------------------------------- */

/*
 * Reads a parameter value at *pp: a quoted-string (unescaped into out when
 * out != NULL, at most cap bytes) or a run of non-separator bytes.  Stores
 * the value length in *n.  Returns 0 or -1.
 */
static int ct_param_value(const char **pp, char *out, size_t cap, size_t *n)
{
    const char *p = *pp;
    size_t k = 0;

    if (*p == '"') {
        for (p++; *p != '"'; p++) {
            if (*p == '\0')
                return -1;
            if (*p == '\\' && *++p == '\0')
                return -1;
            if (out != NULL) {
                if (k >= cap)
                    return -1;
                out[k] = *p;
            }
            k++;
        }
        p++;
    } else {
        for (; *p != '\0' && *p != ';' && !is_ows((unsigned char)*p); p++) {
            if (*p == '"')
                return -1;
            if (out != NULL) {
                if (k >= cap)
                    return -1;
                out[k] = *p;
            }
            k++;
        }
        if (k == 0)
            return -1;
    }
    *pp = p;
    *n = k;
    return 0;
}

int multipart_boundary(const char *content_type, char out[LIM_BOUNDARY_MAX + 1])
{
    static const char mt[] = "multipart/form-data";
    const char *p = content_type;
    char tmp[LIM_BOUNDARY_MAX + 1];
    size_t n = 0;
    int found = 0;

    if (p == NULL || out == NULL)
        return -1;
    while (is_ows((unsigned char)*p))
        p++;
    if (strncasecmp(p, mt, sizeof mt - 1) != 0)
        return -1;
    p += sizeof mt - 1;
    for (;;) {
        const char *name;
        size_t name_len, vlen;
        int is_b;

        while (is_ows((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (*p++ != ';')
            return -1;
        while (is_ows((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;                        /* trailing ';' tolerated */
        for (name = p; is_tchar((unsigned char)*p); p++)
            ;
        name_len = (size_t)(p - name);
        if (name_len == 0 || *p++ != '=')
            return -1;
        is_b = span_ieq(name, name_len, "boundary");
        if (is_b && found)
            return -1;
        if (ct_param_value(&p, is_b ? tmp : NULL, LIM_BOUNDARY_MAX, &vlen) != 0)
            return -1;
        if (is_b) {
            found = 1;
            n = vlen;
        }
    }
    if (!found || !boundary_valid(tmp, n))
        return -1;
    memcpy(out, tmp, n);
    out[n] = '\0';
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Delimiter search                                                       */
/* ---------------------------------------------------------------------- */

/*
 * Finds the first delimiter line starting at an index >= from that is at
 * the start of the body or right after a LF.  Returns 0 and fills *d, or
 * -1 when there is none.
 */
static int find_delim(const mp_ctx *c, size_t from, mp_delim *d)
{
    while (from < c->len) {
        const unsigned char *hit = memmem(c->body + from, c->len - from,
                                          c->dash, c->dash_len);
        size_t s, q;

        if (hit == NULL)
            return -1;
        s = (size_t)(hit - c->body);
        from = s + 1;
        if (s != 0 && c->body[s - 1] != '\n')
            continue;
        q = s + c->dash_len;
        if (c->len - q >= 2 && c->body[q] == '-' && c->body[q + 1] == '-') {
            d->start = s;
            d->next = q + 2;
            d->close = 1;
            return 0;
        }
        while (q < c->len && is_ows(c->body[q]))
            q++;
        if (q < c->len && c->body[q] == '\n')
            q += 1;
        else if (c->len - q >= 2 && c->body[q] == '\r' && c->body[q + 1] == '\n')
            q += 2;
        else
            continue;                    /* "--boundary" + other bytes: data */
        d->start = s;
        d->next = q;
        d->close = 0;
        return 0;
    }
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Part headers                                                           */
/* ---------------------------------------------------------------------- */

/*
 * Reads one Content-Disposition parameter value at v[*i] (quoted-string
 * kept raw, or a token-ish run).  Sets *vs and *vn to the raw span.
 */
static int cd_param_value(const char *v, size_t n, size_t *i, const char **vs,
                          size_t *vn)
{
    size_t k = *i;

    if (k < n && v[k] == '"') {
        size_t s = ++k;
        for (; k < n && v[k] != '"'; k++)
            if (v[k] == '\\' && ++k == n)
                return -1;
        if (k >= n)
            return -1;                    /* no closing quote */
        *vs = v + s;
        *vn = k - s;
        *i = k + 1;
        return 0;
    }
    {
        size_t s = k;
        for (; k < n && v[k] != ';' && !is_ows((unsigned char)v[k]); k++)
            if (v[k] == '"')
                return -1;
        if (k == s)
            return -1;
        *vs = v + s;
        *vn = k - s;
        *i = k;
        return 0;
    }
}

/* Parses a Content-Disposition value into part->name / part->filename. */
static int parse_disposition(const char *v, size_t n, multipart_part *part,
                             char *err, size_t errlen)
{
    size_t i = 0, s;
    int have_name = 0, have_file = 0;

    for (s = i; i < n && is_tchar((unsigned char)v[i]); i++)
        ;
    if (!span_ieq(v + s, i - s, "form-data")) {
        set_err(err, errlen, "part disposition is not form-data");
        return -1;
    }
    for (;;) {
        const char *pn, *vs;
        size_t pn_len, vn;

        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        if (i >= n)
            break;
        if (v[i++] != ';')
            goto bad;
        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        if (i >= n)
            break;                        /* trailing ';' tolerated */
        for (pn = v + i; i < n && is_tchar((unsigned char)v[i]); i++)
            ;
        pn_len = (size_t)(v + i - pn);
        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        if (pn_len == 0 || i >= n || v[i++] != '=')
            goto bad;
        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        if (cd_param_value(v, n, &i, &vs, &vn) != 0)
            goto bad;
        if (span_ieq(pn, pn_len, "name")) {
            if (have_name++)
                goto bad;
            part->name = vs;
            part->name_len = vn;
        } else if (span_ieq(pn, pn_len, "filename")) {
            if (have_file++)
                goto bad;
            part->filename = vs;
            part->filename_len = vn;
        }
    }
    if (!have_name) {
        set_err(err, errlen, "part disposition has no name");
        return -1;
    }
    return 0;
bad:
    set_err(err, errlen, "malformed Content-Disposition");
    return -1;
}

/*
 * One header line ln[0..n), without its line ending (n > 0).  Handles
 * Content-Disposition and Content-Type; *seen_cd tracks the former.
 */
static int parse_header_line(const char *ln, size_t n, multipart_part *part,
                             int *seen_cd, char *err, size_t errlen)
{
    size_t i, colon, vs, ve;

    if (is_ows((unsigned char)ln[0])) {
        set_err(err, errlen, "folded part header");
        return -1;
    }
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)ln[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7F) {
            set_err(err, errlen, "control byte in part header");
            return -1;
        }
    }
    for (colon = 0; colon < n && is_tchar((unsigned char)ln[colon]); colon++)
        ;
    if (colon == 0 || colon >= n || ln[colon] != ':') {
        set_err(err, errlen, "malformed part header");
        return -1;
    }
    for (vs = colon + 1; vs < n && is_ows((unsigned char)ln[vs]); vs++)
        ;
    for (ve = n; ve > vs && is_ows((unsigned char)ln[ve - 1]); ve--)
        ;
    if (span_ieq(ln, colon, "Content-Disposition")) {
        if ((*seen_cd)++) {
            set_err(err, errlen, "duplicate Content-Disposition");
            return -1;
        }
        return parse_disposition(ln + vs, ve - vs, part, err, errlen);
    }
    if (span_ieq(ln, colon, "Content-Type")) {
        if (part->content_type != NULL || ve == vs) {
            set_err(err, errlen, "bad or duplicate part Content-Type");
            return -1;
        }
        part->content_type = ln + vs;
        part->content_type_len = ve - vs;
    }
    return 0;
}

/*
 * Parses the header block starting at pos; on success *data_start is the
 * index just past the blank line.
 */
static int parse_part_headers(const mp_ctx *c, size_t pos, multipart_part *part,
                              size_t *data_start, char *err, size_t errlen)
{
    size_t avail = c->len - pos;
    size_t wend = pos + (avail < LIM_MULTIPART_HEADER_BYTES + 2
                         ? avail : LIM_MULTIPART_HEADER_BYTES + 2);
    size_t ls = pos;
    int seen_cd = 0;

    for (;;) {
        const unsigned char *nl = memchr(c->body + ls, '\n', wend - ls);
        size_t le, ce;

        if (nl == NULL) {
            set_err(err, errlen, wend < c->len ? "part header too large"
                                                : "truncated part header");
            return -1;
        }
        le = (size_t)(nl - c->body);
        ce = (le > ls && c->body[le - 1] == '\r') ? le - 1 : le;
        if (ce == ls) {                   /* blank line */
            *data_start = le + 1;
            break;
        }
        if (le + 1 - pos > LIM_MULTIPART_HEADER_BYTES) {
            set_err(err, errlen, "part header too large");
            return -1;
        }
        if (parse_header_line((const char *)c->body + ls, ce - ls, part,
                              &seen_cd, err, errlen) != 0)
            return -1;
        ls = le + 1;
    }
    if (!seen_cd) {
        set_err(err, errlen, "part has no Content-Disposition");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Body                                                                   */
/* ---------------------------------------------------------------------- */

/* End of a part's data given its start and the next delimiter. */
static size_t data_end(const mp_ctx *c, size_t ds, size_t delim_start)
{
    size_t e;

    if (delim_start <= ds)
        return ds;                        /* LF of the blank line reused */
    e = delim_start - 1;                  /* the LF before "--boundary" */
    if (e > ds && c->body[e - 1] == '\r')
        e--;
    return e;
}

static int init_ctx(mp_ctx *c, const unsigned char *body, size_t len,
                    const char *boundary)
{
    size_t blen;

    if (boundary == NULL || (body == NULL && len != 0))
        return -1;
    blen = strnlen(boundary, LIM_BOUNDARY_MAX + 1);
    if (!boundary_valid(boundary, blen))
        return -1;
    c->body = body;
    c->len = len;
    c->dash[0] = '-';
    c->dash[1] = '-';
    memcpy(c->dash + 2, boundary, blen);
    c->dash_len = blen + 2;
    return 0;
}

int multipart_parse(const unsigned char *body, size_t len, const char *boundary,
                    multipart_result *out, char *err, size_t errlen)
{
    mp_ctx c;
    mp_delim d;
    int rc = -1;

    if (out == NULL) {
        set_err(err, errlen, "no result buffer");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (init_ctx(&c, body, len, boundary) != 0) {
        set_err(err, errlen, "invalid boundary");
        goto out;
    }
    if (find_delim(&c, 0, &d) != 0) {
        set_err(err, errlen, "missing boundary line");
        goto out;
    }
    if (d.close) {
        set_err(err, errlen, "multipart body has no parts");
        goto out;
    }
    for (;;) {
        multipart_part *part;
        size_t ds;

        if (out->n_parts == LIM_MULTIPART_PARTS) {
            set_err(err, errlen, "too many parts");
            goto out;
        }
        part = &out->parts[out->n_parts];
        if (parse_part_headers(&c, d.next, part, &ds, err, errlen) != 0)
            goto out;
        if (find_delim(&c, ds, &d) != 0) {
            set_err(err, errlen, "missing closing delimiter");
            goto out;
        }
        part->data = c.body + ds;
        part->data_len = data_end(&c, ds, d.start) - ds;
        out->n_parts++;
        if (d.close)
            break;
    }
    rc = 0;
out:
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

const multipart_part *multipart_pick_file(const multipart_result *r)
{
    size_t i;

    if (r == NULL || r->n_parts == 0)
        return NULL;
    for (i = 0; i < r->n_parts && i < LIM_MULTIPART_PARTS; i++) {
        const multipart_part *p = &r->parts[i];
        if (p->filename != NULL ||
            (p->content_type != NULL && p->content_type_len >= 6 &&
             strncasecmp(p->content_type, "image/", 6) == 0))
            return &r->parts[i];
    }
    return &r->parts[0];
}
