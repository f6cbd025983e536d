/*
 * xmlsafe.c - safe reading of untrusted XML (core/xmlsafe.h).  The walk
 * is iterative (parent links), so a deep tree cannot exhaust the stack.
 * Memory: the document belongs to the caller; libxml2's parser context is
 * freed before return.
 */
#include "core/xmlsafe.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

bool xmlsafe_prolog_has_dtd(const char *s, size_t n)
{
    size_t i = 0;
    const char *end;

    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            i++;
            continue;
        }
        if (ch != '<' || i + 1 >= n)
            return false;               /* the parser will complain */
        if (s[i + 1] == '?') {
            end = memmem(s + i + 2, n - i - 2, "?>", 2);
            if (end == NULL)
                return false;
            i = (size_t)(end - s) + 2;
        } else if (s[i + 1] == '!') {
            if (n - i < 4 || memcmp(s + i, "<!--", 4) != 0)
                return true;            /* <!DOCTYPE, <!ENTITY, ... */
            end = memmem(s + i + 4, n - i - 4, "-->", 3);
            if (end == NULL)
                return false;
            i = (size_t)(end - s) + 3;
        } else {
            return false;               /* root element */
        }
    }
    return false;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void)
{
    xmlInitParser();
}

/* Walks the tree once: depth, node count, no entity or DTD nodes. */
static int check_tree(xmlDocPtr doc, int max_depth, long max_nodes, char *err, size_t errlen)
{
    xmlNode *n = doc->children;
    int depth = 1;
    long count = 0;

    while (n != NULL) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (++count > max_nodes) {
                set_err(err, errlen, "the XML document has too many elements");
                return -1;
            }
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        default:                        /* entity references, DTD nodes, ... */
            set_err(err, errlen, "XML DOCTYPE and entity declarations are not allowed");
            return -1;
        }
        if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
            if (++depth > max_depth) {
                set_err(err, errlen, "the XML document is nested too deeply");
                return -1;
            }
            n = n->children;
            continue;
        }
        while (n != NULL && n->next == NULL) {
            n = n->parent;
            depth--;
            if (n == NULL || n->type == XML_DOCUMENT_NODE)
                return 0;
        }
        if (n != NULL)
            n = n->next;
    }
    return 0;
}

xmlDocPtr xmlsafe_parse(const char *body, size_t len, int max_depth, long max_nodes,
                        char *err, size_t errlen)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;

    set_err(err, errlen, "");
    if (body == NULL || len == 0) {
        set_err(err, errlen, "empty XML document");
        return NULL;
    }
    if (len > (size_t)0x7FFFFFFF) {
        set_err(err, errlen, "XML document too large");
        return NULL;
    }
    if (xmlsafe_prolog_has_dtd(body, len)) {
        set_err(err, errlen, "XML DOCTYPE and entity declarations are not allowed");
        return NULL;
    }
    pthread_once(&init_once, init);
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, "UTF-8",
                            XML_PARSE_NONET | XML_PARSE_IGNORE_ENC | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (doc == NULL || !ctxt->wellFormed) {
        set_err(err, errlen, "the request is not well-formed XML");
        goto fail;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        set_err(err, errlen, "XML DOCTYPE and entity declarations are not allowed");
        goto fail;
    }
    if (xmlDocGetRootElement(doc) == NULL) {
        set_err(err, errlen, "the XML document has no root element");
        goto fail;
    }
    if (check_tree(doc, max_depth, max_nodes, err, errlen) != 0)
        goto fail;
    xmlFreeParserCtxt(ctxt);
    return doc;
fail:
    if (doc != NULL)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return NULL;
}

const char *xmlsafe_text(const xmlNode *el, char *buf, size_t cap)
{
    const xmlNode *c, *only = NULL;
    size_t o = 0;
    int n = 0;

    for (c = el->children; c != NULL; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
            only = c;
            n++;
        }
    if (n == 0)
        return "";
    if (n == 1)
        return (const char *)only->content;
    if (cap == 0)
        return "";
    for (c = el->children; c != NULL; c = c->next) {
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || c->content == NULL)
            continue;
        size_t l = strlen((const char *)c->content);
        if (o + l >= cap)
            l = cap - 1 - o;
        memcpy(buf + o, c->content, l);
        o += l;
    }
    buf[o] = '\0';
    return buf;
}

bool xmlsafe_is(const xmlNode *el, const char *ns, const char *name)
{
    if (el == NULL || el->type != XML_ELEMENT_NODE || strcmp((const char *)el->name, name) != 0)
        return false;
    if (ns != NULL && strcmp(ns, "*") == 0)
        return true;
    if (ns == NULL)
        return el->ns == NULL || el->ns->href == NULL || el->ns->href[0] == '\0';
    return el->ns != NULL && el->ns->href != NULL && strcmp((const char *)el->ns->href, ns) == 0;
}

xmlNode *xmlsafe_next_element(const xmlNode *el, const xmlNode *after)
{
    xmlNode *c = after != NULL ? after->next : el->children;

    for (; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}
