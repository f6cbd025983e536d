/*
 * action.c - what the HTTP request says about a SOAP message: the version
 * its Content-Type announces and the action it names (SOAPAction for 1.1,
 * the action parameter of application/soap+xml for 1.2).
 * Fills caller buffers; nothing allocated.
 */
#include "soap/soap.h"

#include <string.h>
#include <strings.h>

soap_version soap_version_of(const pd_request *req)
{
    char mt[64];

    req_media_type(req, mt, sizeof(mt));
    return strcmp(mt, "application/soap+xml") == 0 ? SOAP_12 : SOAP_11;
}

static void unquote(const char *s, size_t n, char *out, size_t cap)
{
    while (n > 0 && (*s == ' ' || *s == '"')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '"'))
        n--;
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

void soap_action(const pd_request *req, char *out, size_t cap)
{
    const char *h = req_header(req, "SOAPAction"), *ct, *p;

    if (cap > 0)
        out[0] = '\0';
    if (h != NULL) {
        unquote(h, strlen(h), out, cap);
        return;
    }
    ct = req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    for (p = ct; p != NULL && (p = strchr(p, ';')) != NULL;) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "action=", 7) == 0) {
            p += 7;
            size_t n = *p == '"' ? strcspn(p + 1, "\"") + 2 : strcspn(p, ";");
            unquote(p, n, out, cap);
            return;
        }
    }
}

