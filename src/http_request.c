/*
 * http_request.c - read-only accessors over a pd_request (headers, query
 * arguments, media type).  Returned strings belong to libmicrohttpd and stay
 * valid until the request completes.
 */
#include "http.h"

#include <string.h>

const char *req_header(const pd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_query(const pd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_media_type(const pd_request *r, char *buf, size_t len)
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = 0;

    if (len == 0)
        return "";
    buf[0] = '\0';
    if (ct == NULL)
        return buf;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t' && n + 1 < len) {
        char c = ct[n];
        buf[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        n++;
    }
    buf[n] = '\0';
    return buf;
}
