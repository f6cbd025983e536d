/*
 * xml.h - DocuSign "Generic XML" encoding of a JSON response (facts §3).
 *
 * Root element named after the type (e.g. "userProfile", "errorDetails"),
 * default namespace http://www.docusign.com/restapi plus
 * xmlns:i="http://www.w3.org/2001/XMLSchema-instance"; children sorted by
 * name (byte order); an array becomes a wrapper element holding one element
 * per item, named by xml_item_name() (authenticationMethods ->
 * authenticationMethod, groupList -> group, customSettings/userSettings ->
 * nameValue, users -> userInfo, accounts -> account, anything else holding
 * strings -> string); empty objects become <name />; text is escaped
 * (& < > " and control characters other than tab/newline rejected by
 * replacement with U+FFFD).  JSON true/false/integers print as text.
 *
 * Memory: returns a malloc'd NUL-terminated string (caller frees) and sets
 * *len; NULL on allocation failure.
 */
#ifndef PROFILED_XML_OUT_H
#define PROFILED_XML_OUT_H

#include <jansson.h>
#include <stddef.h>

char *xml_from_json(const char *root, const json_t *obj, size_t *len);
const char *xml_item_name(const char *array_name);

/*
 * xml_to_json - decodes a DocuSign XML request body into the equivalent
 * JSON object (the inverse of xml_from_json for request bodies).  The root
 * element's name is returned in root_out (caller frees) and ignored
 * otherwise.  Elements whose name has an array mapping (see xml_item_name)
 * become arrays; leaf elements become strings; <x /> becomes {} or "" as the
 * schema needs (here: "" for leaves).  Parsed with libxml2 using
 * XML_PARSE_NONET | XML_PARSE_NOENT off, no DTD loading; any DOCTYPE is
 * rejected; depth limited to LIM_XML_DEPTH.  On failure returns NULL and
 * writes a reason into err.
 */
json_t *xml_to_json(const char *body, size_t len, char **root_out, char *err, size_t errlen);

#endif
