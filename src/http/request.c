/*
 * request.c - read-only accessors over a pd_request (headers, query
 * arguments, media type).  Returned strings belong to libmicrohttpd and stay
 * valid until the request completes.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "core/netaddr.h"
#include "core/strutil.h"

const char *req_header(const pd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_query(const pd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int req_bearer_token(const pd_request *r, const char **tok, size_t *len)
{
    const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    size_t n;

    *tok = NULL;
    *len = 0;
    if (h == NULL)
        return -1;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return -2;
    h += 7;
    while (*h == ' ' || *h == '\t')
        h++;
    n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    *tok = h;
    *len = n;
    return 0;
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

void req_client_addr(const pd_request *r, const char *trusted, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const char *xff;

    str_copy(out, cap, "-");
    if (ci == NULL || ci->client_addr == NULL || cap < INET6_ADDRSTRLEN)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
    if (!netaddr_in_ranges(out, trusted) || (xff = req_header(r, "X-Forwarded-For")) == NULL)
        return;
    /* walk X-Forwarded-For from the right: the first untrusted hop is the client */
    for (size_t end = strlen(xff); end > 0;) {
        size_t start = end;
        char hop[INET6_ADDRSTRLEN];
        while (start > 0 && xff[start - 1] != ',')
            start--;
        const char *p = xff + start;
        size_t n = end - start;
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ')
            n--;
        end = start > 0 ? start - 1 : 0;
        if (n == 0 || n >= sizeof(hop))
            return;                             /* malformed: keep the peer */
        memcpy(hop, p, n);
        hop[n] = '\0';
        unsigned char tmp[16];
        if (inet_pton(AF_INET, hop, tmp) != 1 && inet_pton(AF_INET6, hop, tmp) != 1)
            return;
        str_copy(out, cap, hop);
        if (!netaddr_in_ranges(hop, trusted))
            return;
    }
}
