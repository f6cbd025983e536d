/*
 * reply.c - SOAP answers (soap/soap.h), each in the request's version:
 * SOAP 1.1 as text/xml with the soap: envelope of seed 003, SOAP 1.2 as
 * application/soap+xml with the soap12: envelope.  Faults: 1.1
 * faultcode/faultstring (soap:Client, soap:Server, soap:VersionMismatch,
 * soap:MustUnderstand) with HTTP 500; 1.2 Code/Value + Reason/Text
 * (Sender -> 400, Receiver, VersionMismatch, MustUnderstand -> 500).
 *
 * Memory: the answer text is built in an xo_buf and handed to the
 * response (resp_take).
 */
#include "soap/soap.h"

#include <stdio.h>
#include <string.h>

#define XSI_XSD "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" " \
                "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""

static const char *prefix(soap_version v)
{
    return v == SOAP_12 ? "soap12" : "soap";
}

static void open_envelope(xo_buf *b, soap_version v)
{
    xo_fmt(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<%s:Envelope " XSI_XSD " xmlns:%s=\"%s\"><%s:Body>",
           prefix(v), prefix(v), v == SOAP_12 ? SOAP_NS_12 : SOAP_NS_11, prefix(v));
}

static void answer(pd_request *req, soap_version v, int status, xo_buf *b)
{
    size_t len = 0;
    char *text;

    xo_fmt(b, "</%s:Body></%s:Envelope>", prefix(v), prefix(v));
    text = xo_take(b, &len);
    if (text == NULL) {
        resp_copy(req, 500, "text/plain; charset=utf-8", "out of memory", 13);
        return;
    }
    resp_take(req, status, v == SOAP_12 ? "application/soap+xml; charset=utf-8" : "text/xml; charset=utf-8",
              (unsigned char *)text, len);
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-cache");
}

void soap_reply(pd_request *req, soap_version v, xo_buf *inner)
{
    xo_buf b = {0};

    open_envelope(&b, v);
    if (inner->failed) {
        xo_free(&b);
        xo_free(inner);
        soap_fault(req, v, FAULT_SERVER, "The server ran out of memory.");
        return;
    }
    xo_rawn(&b, inner->p ? inner->p : "", inner->len);
    xo_free(inner);
    answer(req, v, 200, &b);
}

void soap_fault(pd_request *req, soap_version v, soap_fault_kind k, const char *msg)
{
    static const char *const c11[] = { "Client", "Server", "VersionMismatch", "MustUnderstand" };
    static const char *const c12[] = { "Sender", "Receiver", "VersionMismatch", "MustUnderstand" };
    xo_buf b = {0};
    const char *p = prefix(v);

    open_envelope(&b, v);
    if (v == SOAP_12) {
        xo_fmt(&b, "<%s:Fault><%s:Code><%s:Value>%s:%s</%s:Value></%s:Code><%s:Reason><%s:Text xml:lang=\"en\">",
               p, p, p, p, c12[k], p, p, p, p);
        xo_text(&b, msg);
        xo_fmt(&b, "</%s:Text></%s:Reason></%s:Fault>", p, p, p);
    } else {
        xo_fmt(&b, "<%s:Fault><faultcode>%s:%s</faultcode><faultstring>", p, p, c11[k]);
        xo_text(&b, msg);
        xo_fmt(&b, "</faultstring></%s:Fault>", p);
    }
    answer(req, v, v == SOAP_12 && k == FAULT_CLIENT ? 400 : 500, &b);
}

void soap_result_error(xo_buf *b, const char *code, const char *description)
{
    xo_raw(b, "<Success>false</Success><Error>");
    xo_elem(b, "ErrorCode", code);
    xo_elem(b, "Description", description);
    xo_raw(b, "</Error>");
}

/* The SOAP surface's pd_api.error: an error the server finds before the
 * operation runs (unknown path, method, body too large, an injected fault
 * of the control API) as a fault in the version the request announces,
 * carrying the error's HTTP status; the faultstring starts with the SOAP
 * ErrorCode (e.g. "Hourly_API_Invocation_Limit_Exceeded: ..."). */
void soap_api_error(pd_request *req, pd_err e, const char *msg)
{
    const pd_err_info *info = pd_err_describe(e);
    char text[512];

    snprintf(text, sizeof(text), "%s: %s", soap_code_of(e), msg ? msg : info->message);
    soap_fault(req, soap_version_of(req), info->status >= 500 ? FAULT_SERVER : FAULT_CLIENT, text);
    req->resp.status = info->status;
}
