/*
 * xmlsafe.h - reading untrusted XML with libxml2, safely, in one place
 * (SOAP envelopes, the X-DocuSign-Authentication header, REST XML bodies):
 *
 *   - any DOCTYPE or markup declaration in the prolog is refused before
 *     libxml2 sees the text, so no entity is ever declared: no external
 *     entities (XXE, file or network), no entity expansion (billion
 *     laughs, quadratic blowup);
 *   - XML_PARSE_NONET, no XML_PARSE_NOENT, no XML_PARSE_DTDLOAD, no
 *     XML_PARSE_HUGE (libxml2's own depth and text limits stay on);
 *   - the parsed tree is walked once: nesting deeper than max_depth or
 *     more than max_nodes element and text nodes is refused, and so is any
 *     entity reference or DTD node that slipped through;
 *   - the input is read as UTF-8 whatever the declaration says.
 *
 * The caller bounds len (a body limit from core/limits.h) before calling.
 *
 * Memory: xmlsafe_parse returns a document the caller frees with
 * xmlFreeDoc; on failure NULL and a reason in err (never the input text).
 */
#ifndef PROFILED_XMLSAFE_H
#define PROFILED_XMLSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <libxml/tree.h>

/* True when a DOCTYPE (or any markup declaration) precedes the root
 * element: after an optional BOM only the XML declaration, processing
 * instructions, comments and white space may come first. */
bool xmlsafe_prolog_has_dtd(const char *s, size_t n);

xmlDocPtr xmlsafe_parse(const char *body, size_t len, int max_depth, long max_nodes,
                        char *err, size_t errlen);

/* The text content of el's children (text and CDATA), or "" when none;
 * a pointer into the tree when there is exactly one text node (the usual
 * case), else the concatenation in buf (truncated to cap - 1).  Never NULL. */
const char *xmlsafe_text(const xmlNode *el, char *buf, size_t cap);

/* True when el is an element named `name` in namespace `ns` (NULL: no
 * namespace at all; "*": any namespace).  The prefix never matters. */
bool xmlsafe_is(const xmlNode *el, const char *ns, const char *name);

/* The first child element of el (or the first element after `after` when
 * after != NULL); NULL when none. */
xmlNode *xmlsafe_next_element(const xmlNode *el, const xmlNode *after);

#endif
