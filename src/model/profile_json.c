/*
 * profile_json.c - the userProfile JSON response written in one walk over
 * the stored document (see profile_render_json in model/profile.h).
 *
 * profile_render() parses the stored doc into a jansson tree, copies it
 * member by member into a second tree and json_dumps() that: at a million
 * users, where nearly every read misses the response cache, that cycle was
 * most of a request's CPU.  This file produces the same bytes without a
 * tree: a bounded tokenizer (an array of tokens on the stack, no allocation)
 * reads the stored doc, and a writer walks the same member tables
 * (model/profile_schema.h) in the same order, applying the same rules
 * (copy_fields, render_defaults, render_details in profile.c).
 *
 * Only the common shape is handled here.  Anything else - a string with an
 * escape sequence, a number jansson might read differently, a repeated
 * member name, v2.1 userSettings stored as an object, more tokens or depth
 * than the bounds, text jansson would refuse, an allocation failure - makes
 * it return NULL, and the caller renders through profile_render(), which
 * stays the definition.  tests/unit/model/test_profile_json.c and
 * fuzz/fuzz_profile_json.c compare the two byte for byte.
 *
 * Memory: the returned string is malloc'd and owned by the caller.
 */
#include "model/profile.h"
#include "model/profile_schema.h"
#include "model/profile_versions.h"
#include "core/limits.h"
#include "core/strutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PJ_TOKENS_MAX 1024      /* tokens of a stored doc handled here */
#define PJ_DEPTH_MAX  32        /* nesting handled here */
#define PJ_INT_DIGITS 18        /* integer literals handled here (fit int64) */
#define PJ_DATE_MAX   64        /* stored date strings handled here */

enum { T_OBJ, T_ARR, T_STR, T_INT, T_REAL, T_TRUE, T_FALSE, T_NULL };

typedef struct {
    uint8_t type;
    uint32_t start, len;        /* strings: the bytes between the quotes */
    uint32_t size;              /* tokens in the subtree, this one included */
    uint32_t n;                 /* objects: members; arrays: items */
    int64_t ival;               /* T_INT */
} ptok;

typedef struct {
    const char *s;
    size_t pos, len;
    ptok *t;
    uint32_t nt;
    bool bad;                   /* not handled here: render the slow way */
} pparse;

/* ------------------------------------------------------------------ */
/* tokenizer                                                           */
/* ------------------------------------------------------------------ */

static void skip_ws(pparse *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static uint32_t new_tok(pparse *p, int type)
{
    if (p->nt >= PJ_TOKENS_MAX) {
        p->bad = true;
        return 0;
    }
    ptok *t = &p->t[p->nt];
    memset(t, 0, sizeof(*t));
    t->type = (uint8_t)type;
    t->size = 1;
    return p->nt++;
}

static void parse_value(pparse *p, int depth);

static void parse_string(pparse *p)
{
    size_t a = ++p->pos, i = a;
    uint32_t ti;

    while (i < p->len && p->s[i] != '"') {
        unsigned char c = (unsigned char)p->s[i];
        if (c == '\\' || c < 0x20) {       /* escapes: jansson's job */
            p->bad = true;
            return;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = str_utf8_decode((const unsigned char *)p->s + i, p->len - i, NULL);
        if (k == 0) {
            p->bad = true;
            return;
        }
        i += k;
    }
    if (i >= p->len) {
        p->bad = true;
        return;
    }
    ti = new_tok(p, T_STR);
    if (p->bad)
        return;
    p->t[ti].start = (uint32_t)a;
    p->t[ti].len = (uint32_t)(i - a);
    p->pos = i + 1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* JSON number grammar; integers of up to PJ_INT_DIGITS digits become T_INT. */
static void parse_number(pparse *p)
{
    size_t i = p->pos, d0;
    bool neg = false, real = false;
    int64_t v = 0;
    uint32_t ti;

    if (p->s[i] == '-') {
        neg = true;
        i++;
    }
    d0 = i;
    if (i >= p->len || !is_digit(p->s[i])) {
        p->bad = true;
        return;
    }
    if (p->s[i] == '0') {
        i++;
        if (i < p->len && is_digit(p->s[i])) {
            p->bad = true;
            return;
        }
    } else {
        while (i < p->len && is_digit(p->s[i]))
            i++;
    }
    if (i - d0 > PJ_INT_DIGITS) {
        p->bad = true;
        return;
    }
    for (size_t j = d0; j < i; j++)
        v = v * 10 + (p->s[j] - '0');
    if (i < p->len && p->s[i] == '.') {
        real = true;
        i++;
        if (i >= p->len || !is_digit(p->s[i])) {
            p->bad = true;
            return;
        }
        while (i < p->len && is_digit(p->s[i]))
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        real = true;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(p->s[i])) {
            p->bad = true;
            return;
        }
        while (i < p->len && is_digit(p->s[i]))
            i++;
    }
    if (real) {
        p->bad = true;                    /* overflow rules are jansson's */
        return;
    }
    ti = new_tok(p, T_INT);
    if (p->bad)
        return;
    p->t[ti].ival = neg ? -v : v;
    p->pos = i;
}

static void parse_literal(pparse *p, const char *word, int type)
{
    size_t n = strlen(word);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        p->bad = true;
        return;
    }
    new_tok(p, type);
    p->pos += n;
}

static void parse_container(pparse *p, int depth, bool obj)
{
    uint32_t ti = new_tok(p, obj ? T_OBJ : T_ARR);
    char close = obj ? '}' : ']';

    if (p->bad)
        return;
    if (depth >= PJ_DEPTH_MAX) {
        p->bad = true;
        return;
    }
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return;
    }
    for (;;) {
        skip_ws(p);
        if (obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                p->bad = true;
                return;
            }
            parse_string(p);
            if (p->bad)
                return;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                p->bad = true;
                return;
            }
            p->pos++;
            skip_ws(p);
        }
        parse_value(p, depth + 1);
        if (p->bad)
            return;
        p->t[ti].n++;
        skip_ws(p);
        if (p->pos >= p->len) {
            p->bad = true;
            return;
        }
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == close) {
            p->pos++;
            break;
        }
        p->bad = true;
        return;
    }
    p->t[ti].size = p->nt - ti;
}

static void parse_value(pparse *p, int depth)
{
    if (p->pos >= p->len) {
        p->bad = true;
        return;
    }
    switch (p->s[p->pos]) {
    case '{': parse_container(p, depth, true); break;
    case '[': parse_container(p, depth, false); break;
    case '"': parse_string(p); break;
    case 't': parse_literal(p, "true", T_TRUE); break;
    case 'f': parse_literal(p, "false", T_FALSE); break;
    case 'n': parse_literal(p, "null", T_NULL); break;
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
            parse_number(p);
        else
            p->bad = true;
    }
}

/* ------------------------------------------------------------------ */
/* reading tokens                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *s;                /* the stored doc */
    const ptok *t;
    const profile_version *pv;
    char *out;
    size_t len, cap;
    bool bad;
} wctx;

#define NONE UINT32_MAX

static bool tok_is(const wctx *w, uint32_t i, const char *s, size_t n)
{
    return w->t[i].len == n && memcmp(w->s + w->t[i].start, s, n) == 0;
}

/* The value of member name in object obj, NONE when absent (or null, which
 * the copy skips like an absent member).  A repeated name is left to
 * jansson (the last one wins there). */
static uint32_t member(wctx *w, uint32_t obj, const char *name)
{
    uint32_t i = obj + 1, found = NONE;
    size_t n = strlen(name);

    if (obj == NONE || w->t[obj].type != T_OBJ)
        return NONE;
    for (uint32_t k = 0; k < w->t[obj].n; k++) {
        if (tok_is(w, i, name, n)) {
            if (found != NONE)
                w->bad = true;
            found = i + 1;
        }
        i += 1 + w->t[i + 1].size;
    }
    if (found != NONE && w->t[found].type == T_NULL)
        return NONE;
    return found;
}

/* Rejects objects with a repeated member name (jansson keeps the last). */
static bool unique_members(wctx *w, uint32_t obj)
{
    uint32_t i = obj + 1, j;

    for (uint32_t a = 0; a < w->t[obj].n; a++) {
        j = i + 1 + w->t[i + 1].size;
        for (uint32_t b = a + 1; b < w->t[obj].n; b++) {
            if (w->t[i].len == w->t[j].len &&
                memcmp(w->s + w->t[i].start, w->s + w->t[j].start, w->t[i].len) == 0)
                return false;
            j += 1 + w->t[j + 1].size;
        }
        i += 1 + w->t[i + 1].size;
    }
    return true;
}

static bool eq_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        if (x != lit[i])
            return false;
    }
    return true;
}

/* flag_value of profile.c: 1 true, 0 false, -1 not a flag. */
static int flag_of(const wctx *w, uint32_t v)
{
    if (v == NONE)
        return -1;
    if (w->t[v].type == T_TRUE)
        return 1;
    if (w->t[v].type == T_FALSE)
        return 0;
    if (w->t[v].type == T_STR) {
        const char *s = w->s + w->t[v].start;
        if (eq_ci(s, w->t[v].len, "true"))
            return 1;
        if (eq_ci(s, w->t[v].len, "false"))
            return 0;
    }
    return -1;
}

/* count_value of profile.c: -1 when not a count. */
static int64_t count_of(const wctx *w, uint32_t v)
{
    const char *s;
    size_t n;
    int64_t x = 0;

    if (w->t[v].type == T_INT)
        return w->t[v].ival >= 0 ? w->t[v].ival : -1;
    if (w->t[v].type != T_STR)
        return -1;
    s = w->s + w->t[v].start;
    n = w->t[v].len;
    if (n == 0 || n > 15)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    return x;
}

/* The stored date as rendered, false when it is not one (left out). */
static bool date_of(wctx *w, uint32_t v, char *d, size_t cap)
{
    char in[PJ_DATE_MAX + 1];

    if (w->t[v].type != T_STR)
        return false;
    if (w->t[v].len > PJ_DATE_MAX) {
        w->bad = true;
        return false;
    }
    memcpy(in, w->s + w->t[v].start, w->t[v].len);
    in[w->t[v].len] = '\0';
    if (strlen(in) != w->t[v].len)
        return false;
    return time_iso_ms(in, d, cap) == 0;
}

/* ------------------------------------------------------------------ */
/* writing                                                             */
/* ------------------------------------------------------------------ */

static void put(wctx *w, const char *s, size_t n)
{
    if (w->bad)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap * 2;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *np = realloc(w->out, cap);
        if (np == NULL) {
            w->bad = true;
            return;
        }
        w->out = np;
        w->cap = cap;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void putc1(wctx *w, char c)
{
    put(w, &c, 1);
}

static void puts0(wctx *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A string from outside the doc, escaped as json_dumps does; text that
 * json_string() would refuse (invalid UTF-8) is left to jansson. */
static void put_qstr(wctx *w, const char *s)
{
    size_t n = strlen(s), i = 0, a = 0, k;
    char esc[8];

    putc1(w, '"');
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = str_utf8_decode((const unsigned char *)s + i, n - i, NULL);
            if (k == 0) {
                w->bad = true;
                return;
            }
            i += k;
            continue;
        }
        put(w, s + a, i - a);
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04X", c);
            e = esc;
        }
        puts0(w, e);
        a = ++i;
    }
    put(w, s + a, i - a);
    putc1(w, '"');
}

/* A string token of the doc (plain text: written as it is). */
static void put_tstr(wctx *w, uint32_t v)
{
    putc1(w, '"');
    put(w, w->s + w->t[v].start, w->t[v].len);
    putc1(w, '"');
}

/* Object writer: the separator and the name of the next member. */
typedef struct {
    wctx *w;
    bool any;
} obj;

/* name: one of this file's member names (plain ASCII, nothing to escape) */
static void key(obj *o, const char *name)
{
    size_t n = strlen(name);
    char buf[128];

    if (n + 4 > sizeof(buf)) {
        o->w->bad = true;
        return;
    }
    buf[0] = ',';
    buf[1] = '"';
    memcpy(buf + 2, name, n);
    buf[n + 2] = '"';
    buf[n + 3] = ':';
    put(o->w, o->any ? buf : buf + 1, o->any ? n + 4 : n + 3);
    o->any = true;
}

static void kv_str(obj *o, const char *name, const char *s)
{
    if (s == NULL)
        return;
    key(o, name);
    put_qstr(o->w, s);
}

static void kv_date(obj *o, const char *name, const char *s)
{
    char d[40];

    if (s != NULL && time_iso_ms(s, d, sizeof(d)) == 0)
        kv_str(o, name, d);
}

static void put_count(wctx *w, int64_t n)
{
    char buf[32];

    if (w->pv->counts_as_strings)
        snprintf(buf, sizeof(buf), "\"%lld\"", (long long)n);
    else
        snprintf(buf, sizeof(buf), "%lld", (long long)n);
    puts0(w, buf);
}

/* ------------------------------------------------------------------ */
/* copy_fields, written                                                */
/* ------------------------------------------------------------------ */

/* What copy_fields keeps of one member. */
static bool kept(wctx *w, const field *f, uint32_t v, char *date, size_t dcap)
{
    if (v == NONE)
        return false;
    switch (f->kind) {
    case F_STR:
    case F_EMAIL:
        return w->t[v].type == T_STR ||
               ((f->flags & BOOL) && (w->t[v].type == T_TRUE || w->t[v].type == T_FALSE));
    case F_AUTHTYPE:
    case F_LOGINSTATUS:
        return w->t[v].type == T_STR;
    case F_FLAG:
        return flag_of(w, v) >= 0;
    case F_COUNT:
        return count_of(w, v) >= 0;
    case F_DATE:
        return date_of(w, v, date, dcap);
    case F_OBJ:
        return w->t[v].type == T_OBJ;
    case F_OBJARRAY:
    case F_STRARRAY:
        return w->t[v].type == T_ARR;
    case F_SETTINGS:
        if (w->t[v].type == T_OBJ)
            w->bad = true;              /* settings_from_object: jansson's */
        return w->t[v].type == T_ARR;
    }
    return false;
}

static void write_fields(wctx *w, obj *o, uint32_t src, const schema *s, const char *skip);

/* Whether the array item at it is kept (copy_obj_item), and its members. */
static bool item_kept(wctx *w, uint32_t it, const field *f)
{
    char d[40];

    if (w->t[it].type != T_OBJ)
        return false;
    for (size_t j = 0; j < f->sub->n; j++)
        if ((f->sub->f[j].flags & REQ) && !kept(w, &f->sub->f[j], member(w, it, f->sub->f[j].name), d, sizeof(d)))
            return false;
    if (f->kind == F_SETTINGS) {
        uint32_t name = member(w, it, "name");
        char nm[64];
        /* the name is kept (REQ): a string */
        if (w->t[name].len < sizeof(nm)) {
            memcpy(nm, w->s + w->t[name].start, w->t[name].len);
            nm[w->t[name].len] = '\0';
            if (strlen(nm) == w->t[name].len && profile_setting_read_only(nm))
                return false;
        }
    }
    return true;
}

/* An item of an object array as copy_obj_item leaves it. */
static void write_item(wctx *w, uint32_t it, const field *f)
{
    obj o = { w, false };
    char d[40];

    putc1(w, '{');
    write_fields(w, &o, it, f->sub, NULL);
    if (f->sub == PROFILE_SCHEMA_NV &&
        !kept(w, &f->sub->f[1], member(w, it, "value"), d, sizeof(d))) {
        key(&o, "value");
        puts0(w, "\"\"");
    }
    putc1(w, '}');
}

static void write_array(wctx *w, uint32_t v, const field *f)
{
    uint32_t i = v + 1, kept_n = 0;
    bool any = false;

    putc1(w, '[');
    for (uint32_t k = 0; k < w->t[v].n && kept_n < f->max; k++) {
        bool keep = f->kind == F_STRARRAY ? w->t[i].type == T_STR : item_kept(w, i, f);
        if (keep) {
            if (any)
                putc1(w, ',');
            any = true;
            kept_n++;
            if (f->kind == F_STRARRAY)
                put_tstr(w, i);
            else
                write_item(w, i, f);
        }
        i += w->t[i].size;
    }
    putc1(w, ']');
}

/* One kept member's value. */
static void write_value(wctx *w, const field *f, uint32_t v, const char *date)
{
    obj sub = { w, false };

    switch (f->kind) {
    case F_STR:
    case F_EMAIL:
    case F_AUTHTYPE:
    case F_LOGINSTATUS:
        if (w->t[v].type == T_STR)
            put_tstr(w, v);
        else
            puts0(w, w->t[v].type == T_TRUE ? "\"true\"" : "\"false\"");
        break;
    case F_FLAG:
        puts0(w, flag_of(w, v) ? "\"true\"" : "\"false\"");
        break;
    case F_COUNT:
        put_count(w, count_of(w, v));
        break;
    case F_DATE:
        put_qstr(w, date);
        break;
    case F_OBJ:
        putc1(w, '{');
        write_fields(w, &sub, v, f->sub, NULL);
        putc1(w, '}');
        break;
    case F_OBJARRAY:
    case F_SETTINGS:
    case F_STRARRAY:
        write_array(w, v, f);
        break;
    }
}

/* copy_fields(render) of src by s into the open object o, except the member
 * named skip (written by the caller). */
static void write_fields(wctx *w, obj *o, uint32_t src, const schema *s, const char *skip)
{
    char date[40];

    if (!unique_members(w, src)) {
        w->bad = true;
        return;
    }
    for (size_t i = 0; i < s->n && !w->bad; i++) {
        const field *f = &s->f[i];
        if (!(f->flags & (KU | KI)))
            continue;
        if ((f->flags & ZIP4) && !w->pv->address_zip_plus4)
            continue;
        if (skip != NULL && strcmp(f->name, skip) == 0)
            continue;
        uint32_t v = member(w, src, f->name);
        if (!kept(w, f, v, date, sizeof(date)))
            continue;
        key(o, f->name);
        write_value(w, f, v, date);
    }
}

static const field *field_of(const schema *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->f[i].name, name) == 0)
            return &s->f[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* the derived members                                                 */
/* ------------------------------------------------------------------ */

static const char *granted(granular_rule rule, bool is_admin)
{
    return rule == GRANT_ADMIN && is_admin ? "true" : "false";
}

/* render_granular: sg is the stored accountManagementGranular (NONE when
 * it is absent or not an object). */
static void write_granular(wctx *w, uint32_t sg, const schema *gs, bool is_admin)
{
    obj o = { w, false };
    char meta[96];

    if (sg != NONE && !unique_members(w, sg))
        w->bad = true;
    putc1(w, '{');
    for (size_t i = 0; i < w->pv->n_granular; i++) {
        const char *name = w->pv->granular[i].name;
        int fl = sg != NONE ? flag_of(w, member(w, sg, name)) : -1;
        key(&o, name);
        puts0(w, fl >= 0 ? (fl ? "\"true\"" : "\"false\"")
                         : (strcmp(granted(w->pv->granular[i].rule, is_admin), "true") == 0
                            ? "\"true\"" : "\"false\""));
        if (sg == NONE)
            continue;                   /* nothing stored: no metadata */
        snprintf(meta, sizeof(meta), "%sMetadata", name);
        uint32_t mv = member(w, sg, meta);
        const field *mf = field_of(gs, meta);
        if (mv != NONE && mf != NULL && w->t[mv].type == T_OBJ) {
            key(&o, meta);
            write_value(w, mf, mv, NULL);
        }
    }
    putc1(w, '}');
}

static bool is_derived_setting(const profile_version *pv, const char *name, size_t n)
{
    for (size_t i = 0; i < pv->n_derived; i++)
        if (strlen(pv->derived[i].name) == n && memcmp(pv->derived[i].name, name, n) == 0)
            return true;
    return false;
}

static bool setting_known(const profile_version *pv, const char *name, size_t n)
{
    if (pv->setting_names == NULL)
        return true;
    for (size_t i = 0; i < pv->n_setting_names; i++)
        if (pv->setting_names[i][0] == name[0] && strncmp(pv->setting_names[i], name, n) == 0 &&
            pv->setting_names[i][n] == '\0')
            return true;
    return false;
}

/* render_settings: us is the stored userSettings array (NONE when absent). */
static void write_settings(wctx *w, uint32_t us, const field *f, uint32_t sg, const schema *gs,
                           bool is_admin)
{
    const profile_version *pv = w->pv;
    uint32_t names[PJ_TOKENS_MAX / 4];
    uint32_t n_names = 0, kept_n = 0, i;
    bool any = false;
    char d[40];

    putc1(w, pv->settings_as_object ? '{' : '[');
    for (uint32_t k = 0, it = us == NONE ? 0 : us + 1; us != NONE && k < w->t[us].n && kept_n < f->max;
         k++, it += w->t[it].size) {
        if (!item_kept(w, it, f))
            continue;
        kept_n++;
        uint32_t name = member(w, it, "name");
        const char *ns = w->s + w->t[name].start;
        size_t nl = w->t[name].len;
        if (memchr(ns, '\0', nl) != NULL || is_derived_setting(pv, ns, nl) || !setting_known(pv, ns, nl))
            continue;
        if (!pv->settings_as_object) {
            if (any)
                putc1(w, ',');
            any = true;
            write_item(w, it, f);
            continue;
        }
        /* {name: value}: a repeated name would keep its first place with
         * the last value there; left to jansson */
        for (i = 0; i < n_names; i++)
            if (tok_is(w, names[i], ns, nl))
                w->bad = true;
        if (n_names < sizeof(names) / sizeof(names[0]))
            names[n_names++] = name;
        else
            w->bad = true;
        if (any)
            putc1(w, ',');
        any = true;
        put_tstr(w, name);
        putc1(w, ':');
        uint32_t v = member(w, it, "value");
        if (kept(w, &f->sub->f[1], v, d, sizeof(d)))
            write_value(w, &f->sub->f[1], v, NULL);
        else
            puts0(w, "\"\"");
    }
    for (i = 0; i < pv->n_derived; i++) {
        const char *v = granted(pv->derived[i].rule, is_admin);
        if (any)
            putc1(w, ',');
        any = true;
        if (pv->settings_as_object) {
            put_qstr(w, pv->derived[i].name);
            putc1(w, ':');
            put_qstr(w, v);
        } else {
            puts0(w, "{\"name\":");
            put_qstr(w, pv->derived[i].name);
            puts0(w, ",\"value\":");
            put_qstr(w, v);
            putc1(w, '}');
        }
    }
    if (pv->granular_in_settings) {
        if (any)
            putc1(w, ',');
        puts0(w, "\"accountManagementGranular\":");
        write_granular(w, sg, gs, is_admin);
    }
    putc1(w, pv->settings_as_object ? '}' : ']');
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* rebuild_user_name(c, ud, NULL) for a doc without userName: the split
 * names joined, cut to LIM_USERNAME_MAX characters; "" when there are none. */
static size_t default_user_name(wctx *w, uint32_t ud, const schema *ds, char *buf, size_t cap)
{
    static const char *const split[] = { "firstName", "middleName", "lastName", "suffixName" };
    size_t len = 0, a, n;
    char d[40];

    for (size_t i = 0; i < 4; i++) {
        uint32_t v = ud != NONE ? member(w, ud, split[i]) : NONE;
        if (!kept(w, field_of(ds, split[i]), v, d, sizeof(d)) || w->t[v].type != T_STR)
            continue;
        const char *s = w->s + w->t[v].start;
        n = w->t[v].len;
        for (a = 0; a < n && is_space(s[a]); a++)
            ;
        while (n > a && is_space(s[n - 1]))
            n--;
        if (n == a || n - a > cap - len - 2)
            continue;
        if (len > 0)
            buf[len++] = ' ';
        memcpy(buf + len, s + a, n - a);
        len += n - a;
    }
    if (len == 0)
        return 0;
    while (len > 0 && is_space(buf[len - 1]))
        len--;
    len = profile_utf8_prefix(buf, len, LIM_USERNAME_MAX);
    while (len > 0 && is_space(buf[len - 1]))
        len--;
    return len;
}

/* userDetails: the stored members, then render_details' derived ones. */
static void write_details(wctx *w, const profile_view *v, uint32_t ud, const field *udf,
                          const char *user_uri, const char *image_uri)
{
    const schema *ds = udf->sub;
    const pd_user *u = v->user;
    const pd_membership *m = v->membership;
    bool is_admin = m != NULL && m->is_admin;
    const field *usf = field_of(ds, "userSettings"), *gf = field_of(ds, "accountManagementGranular");
    char d[40], name[4 * (LIM_NAME_MAX * 4 + 1) + 1 + 1];
    uint32_t un = ud != NONE ? member(w, ud, "userName") : NONE;
    uint32_t us = ud != NONE ? member(w, ud, "userSettings") : NONE;
    uint32_t sg = ud != NONE ? member(w, ud, "accountManagementGranular") : NONE;
    bool has_un = kept(w, field_of(ds, "userName"), un, d, sizeof(d));
    bool has_us = kept(w, usf, us, d, sizeof(d));
    obj o = { w, false };

    if (sg != NONE && w->t[sg].type != T_OBJ)
        sg = NONE;
    if (!has_us)
        us = NONE;
    putc1(w, '{');
    if (ud != NONE) {
        if (!unique_members(w, ud)) {
            w->bad = true;
            return;
        }
        /* write_fields, with userName dropped when empty, userSettings
         * rendered in place and accountManagementGranular moved */
        for (size_t i = 0; i < ds->n && !w->bad; i++) {
            const field *f = &ds->f[i];
            if (!(f->flags & (KU | KI)) || f == gf)
                continue;
            uint32_t fv = member(w, ud, f->name);
            if (!kept(w, f, fv, d, sizeof(d)))
                continue;
            if (f == usf) {
                key(&o, f->name);
                write_settings(w, us, usf, sg, gf->sub, is_admin);
                continue;
            }
            if (strcmp(f->name, "userName") == 0 && w->t[fv].type == T_STR && w->t[fv].len == 0)
                continue;
            key(&o, f->name);
            write_value(w, f, fv, d);
        }
    }
    if (!has_un) {
        size_t n = default_user_name(w, ud, ds, name, sizeof(name) - 1);
        if (n > 0) {
            name[n] = '\0';
            key(&o, "userName");
            put(w, "\"", 1);
            put(w, name, n);
            put(w, "\"", 1);
        }
    }
    kv_str(&o, "userId", u->id);
    kv_str(&o, "userType", "CompanyUser");
    kv_str(&o, "isAdmin", is_admin ? "true" : "false");
    kv_str(&o, "userStatus", u->status);
    kv_str(&o, "uri", user_uri);
    kv_str(&o, "email", u->email);
    kv_date(&o, "createdDateTime", u->created);
    if (m != NULL && m->permission_profile_id != NULL) {
        kv_str(&o, "permissionProfileId", m->permission_profile_id);
        kv_str(&o, "permissionProfileName", m->permission_profile_name);
    }
    if (!w->pv->granular_in_settings) {
        key(&o, "accountManagementGranular");
        write_granular(w, sg, gf->sub, is_admin);
    }
    if (!has_us) {
        key(&o, "userSettings");
        write_settings(w, NONE, usf, sg, gf->sub, is_admin);
    }
    key(&o, "groupList");
    putc1(w, '[');
    for (size_t i = 0; m != NULL && i < m->n_groups; i++) {
        obj g = { w, false };
        if (i > 0)
            putc1(w, ',');
        putc1(w, '{');
        kv_str(&g, "groupId", m->groups[i].id);
        kv_str(&g, "groupName", m->groups[i].name);
        kv_str(&g, "groupType", m->groups[i].type);
        putc1(w, '}');
    }
    putc1(w, ']');
    kv_date(&o, "lastLogin", u->last_login);
    if (w->pv->default_account_id)
        kv_str(&o, "defaultAccountId", v->default_account_id);
    if (w->pv->added_to_account && m != NULL)
        kv_date(&o, "userAddedToAccountDateTime", m->added);
    kv_str(&o, "profileImageUri", image_uri);
    kv_date(&o, "userProfileLastModifiedDate", u->modified);
    putc1(w, '}');
}

static void write_profile(wctx *w, const profile_view *v, uint32_t doc, const char *user_uri,
                          const char *image_uri)
{
    static const char *const flags[] = {
        "displayProfile", "displayOrganizationInfo", "displayPersonalInfo", "displayUsageHistory",
    };
    const schema *top = PROFILE_SCHEMA_TOP;
    const field *udf = field_of(top, "userDetails"), *uf = field_of(top, "usageHistory");
    obj o = { w, false };
    char d[40];
    uint32_t ud = member(w, doc, "userDetails"), usage = member(w, doc, "usageHistory");
    bool has_ud = kept(w, udf, ud, d, sizeof(d)), has_usage = kept(w, uf, usage, d, sizeof(d));

    putc1(w, '{');
    if (!unique_members(w, doc)) {
        w->bad = true;
        return;
    }
    for (size_t i = 0; i < top->n && !w->bad; i++) {
        const field *f = &top->f[i];
        if (!(f->flags & (KU | KI)))
            continue;
        uint32_t fv = member(w, doc, f->name);
        if (!kept(w, f, fv, d, sizeof(d)))
            continue;
        key(&o, f->name);
        if (f == udf) {
            write_details(w, v, fv, udf, user_uri, image_uri);
        } else if (f == uf) {
            obj u = { w, false };
            putc1(w, '{');
            write_fields(w, &u, fv, uf->sub, NULL);
            if (!kept(w, field_of(uf->sub, "sentCount"), member(w, fv, "sentCount"), d, sizeof(d))) {
                key(&u, "sentCount");
                put_count(w, 0);
            }
            if (!kept(w, field_of(uf->sub, "signedCount"), member(w, fv, "signedCount"), d, sizeof(d))) {
                key(&u, "signedCount");
                put_count(w, 0);
            }
            putc1(w, '}');
        } else {
            write_value(w, f, fv, d);
        }
    }
    /* render_defaults */
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (!kept(w, field_of(top, flags[i]), member(w, doc, flags[i]), d, sizeof(d)))
            kv_str(&o, flags[i], "true");
    if (!kept(w, field_of(top, "address"), member(w, doc, "address"), d, sizeof(d))) {
        key(&o, "address");
        puts0(w, "{}");
    }
    if (!kept(w, field_of(top, "authenticationMethods"), member(w, doc, "authenticationMethods"), d,
              sizeof(d))) {
        key(&o, "authenticationMethods");
        puts0(w, "[]");
    }
    if (!has_usage) {
        key(&o, "usageHistory");
        putc1(w, '{');
        puts0(w, "\"sentCount\":");
        put_count(w, 0);
        puts0(w, ",\"signedCount\":");
        put_count(w, 0);
        putc1(w, '}');
    }
    if (!has_ud) {
        key(&o, "userDetails");
        write_details(w, v, NONE, udf, user_uri, image_uri);
    }
    kv_str(&o, "profileImageUri", image_uri);
    kv_date(&o, "userProfileLastModifiedDate", v->user->modified);
    putc1(w, '}');
}

char *profile_render_json(const profile_view *v, size_t *len)
{
    ptok toks[PJ_TOKENS_MAX];
    const char *src = "{}";
    char *user_uri = NULL, *image_uri = NULL;
    pparse p;
    wctx w;

    if (v == NULL || v->user == NULL || len == NULL)
        return NULL;
    if (v->user->profile_json != NULL)
        src = v->user->profile_json;
    memset(&p, 0, sizeof(p));
    p.s = src;
    p.len = strlen(src);
    p.t = toks;
    skip_ws(&p);
    if (p.pos >= p.len || src[p.pos] != '{')
        return NULL;
    parse_value(&p, 0);
    skip_ws(&p);
    if (p.bad || p.pos != p.len)
        return NULL;

    memset(&w, 0, sizeof(w));
    w.s = src;
    w.t = toks;
    w.pv = profile_version_of(v->api);
    w.cap = p.len + 2048;
    w.out = malloc(w.cap);
    if (w.out == NULL)
        return NULL;
    if (v->account != NULL && v->account->id != NULL && v->user->id != NULL) {
        if (asprintf(&user_uri, "%s/accounts/%s/users/%s", v->base_path ? v->base_path : "",
                     v->account->id, v->user->id) < 0) {
            user_uri = NULL;
            w.bad = true;
        } else if (v->user->has_image && asprintf(&image_uri, "%s/profile/image", user_uri) < 0) {
            image_uri = NULL;
            w.bad = true;
        }
    }
    if (!w.bad)
        write_profile(&w, v, 0, user_uri, image_uri);
    free(user_uri);
    free(image_uri);
    if (w.bad) {
        free(w.out);
        return NULL;
    }
    w.out[w.len] = '\0';
    *len = w.len;
    return w.out;
}
