/*
 * xml.c - DocuSign "Generic XML" encoding of JSON documents and the
 * decoding of XML request bodies back into JSON (see codec/xml.h).
 *
 * Encoding (xml_from_json): a growable buffer (xbuf) receives the document;
 * members are written sorted by name (byte order), two spaces of indent per
 * level as in the seed's sample.  JSON names that are not valid XML names
 * are written with the .NET XmlConvert.EncodeName convention ("_xHHHH_",
 * "_xHHHHHHHH_" above U+FFFF; a '_' followed by 'x' is written "_x005F_");
 * xml_to_json decodes the same convention.  Members with an empty name
 * cannot be represented and are skipped.  A carriage return in text is
 * written "&#xD;" so that it survives end-of-line normalisation; the other
 * C0 control characters except tab and newline (which XML 1.0 cannot carry),
 * U+FFFE/U+FFFF and invalid UTF-8 are replaced by U+FFFD.  DEL and the C1
 * range are legal XML and kept.  JSON null becomes <name i:nil="true" />.
 *
 * Decoding (xml_to_json): the prolog is scanned first and any DOCTYPE (or
 * other markup declaration) is refused before libxml2 sees the body; the
 * body is then parsed as UTF-8 with XML_PARSE_NONET | XML_PARSE_NOBLANKS and
 * nothing that loads or expands entities; a DTD that still shows up is
 * refused; depth is limited to LIM_XML_DEPTH and the node count to
 * LIM_XML_NODES.  Elements carrying i:nil="true" are omitted.  An element
 * becomes an array when all its children are named like the items of its
 * list (xml_item_name; "string" for names without a mapping), or when it is
 * empty and its name is a known list; a known list whose children have other
 * names (the v2.1 userSettings object) becomes an object.  Other elements
 * with children become objects (a repeated name is an error); leaves become
 * strings, except that an empty element with a known object name (address,
 * userDetails, ...Metadata, nameValue, ...) becomes {}.
 *
 * Memory: xml_from_json returns a malloc'd string the caller frees;
 * xml_to_json returns a new json_t reference and a malloc'd *root_out, both
 * owned by the caller.  Everything else is freed before returning.
 */
#include "codec/xml.h"

#include "core/strutil.h"
#include "core/limits.h"
#include "core/xmlsafe.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define NS_REST "http://www.docusign.com/restapi"
#define NS_XSI  "http://www.w3.org/2001/XMLSchema-instance"

/* ------------------------------------------------------------------ */
/* growable output buffer                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len;
    size_t cap;
    bool failed;            /* allocation failure: everything after is dropped */
} xbuf;

static bool xb_reserve(xbuf *b, size_t extra)
{
    size_t need, cap;
    char *np;

    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len - 1)
        goto fail;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    np = realloc(b->p, cap);
    if (np == NULL)
        goto fail;
    b->p = np;
    b->cap = cap;
    return true;
fail:
    b->failed = true;
    return false;
}

static void xb_put(xbuf *b, const char *s, size_t n)
{
    if (n == 0 || !xb_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void xb_puts(xbuf *b, const char *s)
{
    xb_put(b, s, strlen(s));
}

static void xb_indent(xbuf *b, int depth)
{
    static const char spaces[] = "                                ";
    size_t n = (size_t)depth * 2;

    while (n > 0) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        xb_put(b, spaces, k);
        n -= k;
    }
}

/* ------------------------------------------------------------------ */
/* UTF-8 and XML names                                                 */
/* ------------------------------------------------------------------ */

/* XML 1.0 (5th ed.) NameStartChar, without ':' (namespaces). */
static bool is_name_start(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) ||
           (c >= 0xF8 && c <= 0x2FF) || (c >= 0x370 && c <= 0x37D) ||
           (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
           (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
           (c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
           (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}

static bool is_name_char(uint32_t c)
{
    return is_name_start(c) || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
           c == 0xB7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/* Writes name as an XML element name (EncodeName convention, see top);
 * runs of characters that need no escape are copied in one piece. */
static void put_name(xbuf *b, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), i = 0, run = 0, k;
    uint32_t c;
    char hex[16];
    int w;

    while (i < n) {
        k = str_utf8_decode(s + i, n - i, &c);
        if (k == 0) {
            k = 1;                      /* not from jansson; be safe */
            c = 0xFFFD;
        } else if ((i == 0 ? is_name_start(c) : is_name_char(c)) &&
                   !(c == '_' && i + 1 < n && s[i + 1] == 'x')) {
            i += k;
            continue;
        }
        xb_put(b, name + run, i - run);
        w = snprintf(hex, sizeof(hex), c > 0xFFFF ? "_x%08X_" : "_x%04X_", (unsigned)c);
        if (w > 0 && (size_t)w < sizeof(hex))
            xb_put(b, hex, (size_t)w);
        i += k;
        run = i;
    }
    xb_put(b, name + run, n - run);
}

/* Parses "_x" + ndig hex digits + "_" at s; returns the code point or -1. */
static long parse_escape(const unsigned char *s, size_t n, size_t ndig)
{
    uint32_t c = 0;
    size_t i;
    int h;

    if (n < ndig + 3 || s[0] != '_' || s[1] != 'x' || s[ndig + 2] != '_')
        return -1;
    for (i = 0; i < ndig; i++) {
        h = str_hexval(s[2 + i]);
        if (h < 0)
            return -1;
        c = (c << 4) | (uint32_t)h;
    }
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    return (long)c;
}

/* Decodes an element's local name; malloc'd, NULL on allocation failure. */
static char *decode_name(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), i = 0, o = 0;
    char *out = malloc(n + 1);      /* decoding never lengthens */
    long c;

    if (out == NULL)
        return NULL;
    while (i < n) {
        if (s[i] == '_' && (c = parse_escape(s + i, n - i, 4)) >= 0) {
            o += str_utf8_encode((uint32_t)c, out + o);
            i += 7;
        } else if (s[i] == '_' && (c = parse_escape(s + i, n - i, 8)) >= 0) {
            o += str_utf8_encode((uint32_t)c, out + o);
            i += 11;
        } else {
            out[o++] = (char)s[i++];
        }
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------------ */
/* text escaping                                                       */
/* ------------------------------------------------------------------ */

static void put_text(xbuf *b, const char *str, size_t n)
{
    static const char repl[] = "\xEF\xBF\xBD";  /* U+FFFD */
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0, k;
    uint32_t c;
    const char *rep;

    while (i < n) {
        unsigned char ch = s[i];
        rep = NULL;
        k = 1;
        if (ch < 0x80) {
            switch (ch) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\r': rep = "&#xD;"; break;
            case '\t': case '\n': break;
            default:
                if (ch < 0x20)
                    rep = repl;     /* not representable in XML 1.0 */
                break;
            }
        } else {
            k = str_utf8_decode(s + i, n - i, &c);
            if (k == 0) {
                k = 1;
                rep = repl;
            } else if (c == 0xFFFE || c == 0xFFFF) {
                rep = repl;
            }
        }
        if (rep == NULL) {
            i += k;
            continue;
        }
        xb_put(b, str + run, i - run);
        xb_puts(b, rep);
        i += k;
        run = i;
    }
    xb_put(b, str + run, n - run);
}

/* ------------------------------------------------------------------ */
/* encoding                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *array;
    const char *item;
} item_map;

static const item_map ITEM_NAMES[] = {
    { "authenticationMethods", "authenticationMethod" },
    { "groupList",             "group" },
    { "customSettings",        "nameValue" },
    { "userSettings",          "nameValue" },
    { "users",                 "userInfo" },
    { "accounts",              "account" },
};

const char *xml_item_name(const char *array_name)
{
    size_t i;

    if (array_name != NULL)
        for (i = 0; i < sizeof(ITEM_NAMES) / sizeof(ITEM_NAMES[0]); i++)
            if (strcmp(ITEM_NAMES[i].array, array_name) == 0)
                return ITEM_NAMES[i].item;
    return "string";
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit(xbuf *b, const char *name, const json_t *v, int depth, const char *attrs);

static void open_tag(xbuf *b, const char *name, const char *attrs, bool empty)
{
    xb_put(b, "<", 1);
    put_name(b, name);
    if (attrs != NULL)
        xb_puts(b, attrs);
    xb_puts(b, empty ? " />" : ">");
}

static void close_tag(xbuf *b, const char *name)
{
    xb_put(b, "</", 2);
    put_name(b, name);
    xb_put(b, ">", 1);
}

static int emit_object(xbuf *b, const char *name, const json_t *obj, int depth, const char *attrs)
{
    const char *stack_keys[64];
    const char **keys = stack_keys;
    size_t n = 0, cap = json_object_size(obj), i;
    const char *k;
    json_t *v;
    int rc = -1;

    if (cap > sizeof(stack_keys) / sizeof(stack_keys[0])) {
        keys = malloc(cap * sizeof(*keys));
        if (keys == NULL)
            return -1;
    }
    json_object_foreach((json_t *)obj, k, v) {
        if (k[0] != '\0' && n < cap)
            keys[n++] = k;
    }
    if (n == 0) {
        open_tag(b, name, attrs, true);
        rc = 0;
        goto out;
    }
    qsort(keys, n, sizeof(*keys), cmp_key);
    open_tag(b, name, attrs, false);
    for (i = 0; i < n; i++) {
        xb_put(b, "\n", 1);
        if (emit(b, keys[i], json_object_get(obj, keys[i]), depth + 1, NULL) != 0)
            goto out;
    }
    xb_put(b, "\n", 1);
    xb_indent(b, depth);
    close_tag(b, name);
    rc = 0;
out:
    if (keys != stack_keys)
        free(keys);
    return rc;
}

static int emit_array(xbuf *b, const char *name, const json_t *arr, int depth, const char *attrs)
{
    const char *item = xml_item_name(name);
    size_t i, n = json_array_size(arr);

    if (n == 0) {
        open_tag(b, name, attrs, true);
        return 0;
    }
    open_tag(b, name, attrs, false);
    for (i = 0; i < n; i++) {
        xb_put(b, "\n", 1);
        if (emit(b, item, json_array_get(arr, i), depth + 1, NULL) != 0)
            return -1;
    }
    xb_put(b, "\n", 1);
    xb_indent(b, depth);
    close_tag(b, name);
    return 0;
}

static void emit_scalar(xbuf *b, const char *name, const json_t *v, const char *attrs)
{
    char num[64];
    int w;

    if (json_is_null(v)) {
        xb_put(b, "<", 1);
        put_name(b, name);
        if (attrs != NULL)
            xb_puts(b, attrs);
        xb_puts(b, " i:nil=\"true\" />");
        return;
    }
    open_tag(b, name, attrs, false);
    if (json_is_string(v)) {
        put_text(b, json_string_value(v), json_string_length(v));
    } else if (json_is_true(v)) {
        xb_puts(b, "true");
    } else if (json_is_false(v)) {
        xb_puts(b, "false");
    } else if (json_is_integer(v)) {
        w = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (w > 0 && (size_t)w < sizeof(num))
            xb_put(b, num, (size_t)w);
    } else if (json_is_real(v)) {
        w = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        if (w > 0 && (size_t)w < sizeof(num))
            xb_put(b, num, (size_t)w);
    }
    close_tag(b, name);
}

/* Writes one element (indent, no trailing newline); -1 when nested deeper
 * than LIM_XML_DEPTH or on allocation failure. */
static int emit(xbuf *b, const char *name, const json_t *v, int depth, const char *attrs)
{
    if (depth > LIM_XML_DEPTH || v == NULL)
        return -1;
    xb_indent(b, depth);
    if (json_is_object(v))
        return emit_object(b, name, v, depth, attrs);
    if (json_is_array(v))
        return emit_array(b, name, v, depth, attrs);
    emit_scalar(b, name, v, attrs);
    return b->failed ? -1 : 0;
}

/* NULL on allocation failure or nesting deeper than LIM_XML_DEPTH. */
char *xml_from_json(const char *root, const json_t *obj, size_t *len)
{
    static const char attrs[] = " xmlns:i=\"" NS_XSI "\" xmlns=\"" NS_REST "\"";
    xbuf b = { NULL, 0, 0, false };

    if (root == NULL || root[0] == '\0' || obj == NULL)
        return NULL;
    if (emit(&b, root, obj, 0, attrs) != 0 || b.failed || b.p == NULL) {
        free(b.p);
        return NULL;
    }
    if (len != NULL)
        *len = b.len;
    return b.p;
}

/* ------------------------------------------------------------------ */
/* decoding                                                            */
/* ------------------------------------------------------------------ */

/* Names whose element always holds an array. */
static bool is_array_name(const char *name)
{
    size_t i;

    if (strcmp(name, "options") == 0)
        return true;
    for (i = 0; i < sizeof(ITEM_NAMES) / sizeof(ITEM_NAMES[0]); i++)
        if (strcmp(ITEM_NAMES[i].array, name) == 0)
            return true;
    return false;
}

/* Names whose empty element <x /> stands for an empty object, not "". */
static bool is_object_name(const char *name)
{
    static const char *const names[] = {
        "address", "homeAddress", "workAddress", "userDetails", "usageHistory",
        "accountManagementGranular", "forgottenPasswordInfo", "errorDetails",
        "authenticationMethod", "group", "nameValue", "userInfo", "account",
    };
    static const char suffix[] = "Metadata";
    size_t i, n = strlen(name), s = sizeof(suffix) - 1;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return n > s && strcmp(name + n - s, suffix) == 0;
}

typedef struct {
    size_t nodes;
    char *err;
    size_t errlen;
} dctx;

static void derr(dctx *c, const char *msg, const char *name)
{
    if (c->err == NULL || c->errlen == 0)
        return;
    if (name != NULL)
        snprintf(c->err, c->errlen, "%s <%.64s>", msg, name);
    else
        snprintf(c->err, c->errlen, "%s", msg);
}

static bool is_nil(const xmlNode *n)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"nil", (const xmlChar *)NS_XSI);
    bool nil = v != NULL && strcmp((const char *)v, "true") == 0;

    xmlFree(v);
    return nil;
}

static bool all_blank(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

/* how convert() treats an element */
enum { CV_MEMBER, CV_ROOT, CV_SETTING };  /* CV_SETTING: a leaf is always a string */

static json_t *convert(dctx *c, const xmlNode *el, const char *name, int depth, int mode);

/* Counts element children (excluding nil ones), tells whether all of them
 * are named like the items of a list called `name` (xml_item_name, or
 * "string" for names without a mapping), and collects the text content into
 * *text.  Returns -1 on error (too many nodes, mixed content, DTD nodes). */
static int scan_children(dctx *c, const xmlNode *el, const char *name, size_t *n_el,
                         bool *all_items, xbuf *text)
{
    const char *item = is_array_name(name) ? xml_item_name(name) : "string";
    const xmlNode *ch;

    *n_el = 0;
    *all_items = true;
    for (ch = el->children; ch != NULL; ch = ch->next) {
        if (++c->nodes > LIM_XML_NODES) {
            derr(c, "too many XML nodes", NULL);
            return -1;
        }
        switch (ch->type) {
        case XML_ELEMENT_NODE:
            if (is_nil(ch))
                break;
            (*n_el)++;
            if (strcmp((const char *)ch->name, item) != 0)
                *all_items = false;
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (ch->content != NULL)
                xb_puts(text, (const char *)ch->content);
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        default:
            derr(c, "unsupported XML node in", name);
            return -1;
        }
    }
    if (text->failed) {
        derr(c, "out of memory", NULL);
        return -1;
    }
    if (*n_el > 0 && text->p != NULL && !all_blank(text->p)) {
        derr(c, "mixed text and elements in", name);
        return -1;
    }
    return 0;
}

static json_t *convert_children(dctx *c, const xmlNode *el, const char *name, int depth, bool array,
                                int child_mode)
{
    json_t *out = array ? json_array() : json_object();
    const xmlNode *ch;
    json_t *v;
    char *cname;

    if (out == NULL)
        goto oom;
    for (ch = el->children; ch != NULL; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE || is_nil(ch))
            continue;
        cname = decode_name((const char *)ch->name);
        if (cname == NULL)
            goto oom;
        v = convert(c, ch, cname, depth + 1, child_mode);
        if (v == NULL) {
            free(cname);
            goto fail;
        }
        if (!array && json_object_get(out, cname) != NULL) {
            derr(c, "duplicate element", cname);
            json_decref(v);
            free(cname);
            goto fail;
        }
        if ((array ? json_array_append_new(out, v) : json_object_set_new(out, cname, v)) != 0) {
            free(cname);
            goto oom;
        }
        free(cname);
    }
    return out;
oom:
    derr(c, "out of memory", NULL);
fail:
    json_decref(out);
    return NULL;
}

static json_t *convert(dctx *c, const xmlNode *el, const char *name, int depth, int mode)
{
    xbuf text = { NULL, 0, 0, false };
    size_t n_el;
    bool all_items, blank;
    json_t *out = NULL;

    if (depth > LIM_XML_DEPTH) {
        derr(c, "XML nested too deeply at", name);
        return NULL;
    }
    if (scan_children(c, el, name, &n_el, &all_items, &text) != 0)
        goto out;
    blank = text.p == NULL || all_blank(text.p);
    if (mode == CV_ROOT) {
        if (n_el == 0 && !blank)
            derr(c, "root element must hold elements, not text:", name);
        else
            out = convert_children(c, el, name, depth, false, CV_MEMBER);
    } else if ((n_el > 0 && all_items) || (n_el == 0 && mode != CV_SETTING && is_array_name(name))) {
        if (n_el == 0 && !blank)
            derr(c, "list element holds text:", name);
        else
            out = convert_children(c, el, name, depth, true, CV_MEMBER);
    } else if (n_el > 0) {
        /* a known list holding other names is a {name: value} map (the
         * v2.1 userSettings object): its empty members are "" */
        out = convert_children(c, el, name, depth, false,
                               is_array_name(name) ? CV_SETTING : CV_MEMBER);
    } else if (blank && mode != CV_SETTING && is_object_name(name)) {
        out = json_object();
    } else {
        out = json_stringn(text.p != NULL ? text.p : "", text.len);
        if (out == NULL)
            derr(c, "invalid text in", name);
    }
out:
    free(text.p);
    return out;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

json_t *xml_to_json(const char *body, size_t len, char **root_out, char *err, size_t errlen)
{
    dctx c = { 0, err, errlen };
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    xmlNodePtr root;
    xmlErrorPtr xe;
    json_t *out = NULL;
    char *rname = NULL;
    char msg[160];
    size_t ml;

    if (root_out != NULL)
        *root_out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (body == NULL || len == 0) {
        derr(&c, "empty XML body", NULL);
        goto out;
    }
    if (len > (size_t)0x7FFFFFFF) {            /* libxml2 takes an int */
        derr(&c, "XML body too large", NULL);
        goto out;
    }
    if (xmlsafe_prolog_has_dtd(body, len)) {
        derr(&c, "XML DOCTYPE and entity declarations are not allowed", NULL);
        goto out;
    }
    pthread_once(&xml_once, xml_init);
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        derr(&c, "out of memory", NULL);
        goto out;
    }
    doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, "UTF-8",
                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_IGNORE_ENC |
                            XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || !ctxt->wellFormed) {
        xe = xmlCtxtGetLastError(ctxt);
        if (xe != NULL && xe->message != NULL) {
            snprintf(msg, sizeof(msg), "malformed XML (line %d): %s", xe->line, xe->message);
            ml = strlen(msg);
            while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
                msg[--ml] = '\0';
            derr(&c, msg, NULL);
        } else {
            derr(&c, "malformed XML", NULL);
        }
        goto out;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        derr(&c, "XML DOCTYPE and entity declarations are not allowed", NULL);
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if (root == NULL) {
        derr(&c, "XML has no root element", NULL);
        goto out;
    }
    rname = decode_name((const char *)root->name);
    if (rname == NULL) {
        derr(&c, "out of memory", NULL);
        goto out;
    }
    out = convert(&c, root, rname, 1, CV_ROOT);
    if (out != NULL && root_out != NULL) {
        *root_out = rname;
        rname = NULL;
    }
out:
    free(rname);
    if (doc != NULL)
        xmlFreeDoc(doc);
    if (ctxt != NULL)
        xmlFreeParserCtxt(ctxt);
    return out;
}
