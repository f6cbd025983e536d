/*
 * screen.h - what a request must be before it is routed: the checks on the
 * raw request target and on the header set that libmicrohttpd 0.9.75 does
 * not make (hardening, #12 items 2, 3, 4 and 8).
 *
 *   - the whole target (path and query) at most LIM_HTTP_URL_MAX bytes and
 *     at most LIM_HTTP_QUERY_PARAMS_MAX query parameters (414 at once; the
 *     query is cut before libmicrohttpd parses it, so a flood of parameters
 *     cannot exhaust the connection's memory and leave the client waiting);
 *   - no NUL anywhere: not raw in the target or a header value, not encoded
 *     as %00 in the path or a parameter (400: a NUL would cut the text and
 *     make "token\0junk" a valid token or ".../profile%00/image" a profile);
 *   - one Host, one Content-Length (400 and close: two of them are request
 *     smuggling behind a proxy); Content-Length with Transfer-Encoding:
 *     chunked is answered, then the connection closed (RFC 9112 §6.1);
 *   - an absolute-form target (http://host/path) is served as its path.
 *
 * Memory: nothing allocated; the functions fill the pd_request they get.
 */
#ifndef PROFILED_HTTP_SCREEN_H
#define PROFILED_HTTP_SCREEN_H

#include <stddef.h>

#include "http/http.h"

/* At the raw target, before libmicrohttpd unescapes it or parses its query
 * (the URI log callback).  Records the target's length and sets r->early on
 * a target that is too long, has too many parameters or holds %00.  When it
 * refuses, it cuts the query in place (uri points into libmicrohttpd's
 * writable line buffer) so nothing more is parsed. */
void screen_target(pd_request *r, const char *uri);

/* At the first call of the access handler: url and version are the strings
 * libmicrohttpd hands over, which sit in the same line buffer as the raw
 * target, so a raw NUL shows as a gap between them.  Checks the headers.
 * Sets r->early (unless already set) and r->close_after. */
void screen_request(pd_request *r, const char *url, const char *version);

/* The path of an absolute-form target ("http://h/p" -> "/p"; "http://h" ->
 * "/"); any other target unchanged. */
const char *screen_origin_form(const char *url);

#endif
