/*
 * response.c - building the response of a request: body ownership moves
 * into req->resp and is handed to libmicrohttpd (MHD_RESPMEM_MUST_FREE) by
 * http/server.c, or freed there if the response is never sent.
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

#include "core/json_compact.h"
#include "core/log.h"
#include "core/strutil.h"
#include "codec/xml.h"

static void resp_reset(pd_request *r)
{
    r->resp.cached = NULL;
    r->resp.err_code = NULL;
    free(r->resp.body);
    r->resp.body = NULL;
    r->resp.len = 0;
    r->resp.n_headers = 0;
}

void resp_take(pd_request *r, int status, const char *ctype, unsigned char *body, size_t len)
{
    size_t keep = r->resp.n_headers;

    resp_reset(r);
    r->resp.n_headers = keep;
    r->resp.status = status;
    r->resp.content_type = ctype;
    r->resp.body = body;
    r->resp.len = body ? len : 0;
    r->resp.set = true;
}

void resp_copy(pd_request *r, int status, const char *ctype, const void *body, size_t len)
{
    unsigned char *p = NULL;

    if (len > 0) {
        p = malloc(len);
        if (p == NULL) {
            resp_error(r, PD_ERR_INTERNAL, NULL);
            return;
        }
        memcpy(p, body, len);
    }
    resp_take(r, status, ctype, p, len);
}

void resp_empty(pd_request *r, int status)
{
    resp_take(r, status, NULL, NULL, 0);
}

void resp_prebuilt(pd_request *r, int status, const struct rc_body *b)
{
    resp_reset(r);
    r->resp.status = status;
    r->resp.cached = b;
    r->resp.set = true;
}

void resp_header(pd_request *r, const char *name, const char *value)
{
    size_t i = r->resp.n_headers;

    if (i == HTTP_MAX_HEADERS)
        return;
    if (r->resp.hdr_buf == NULL) {
        r->resp.hdr_buf = malloc((size_t)HTTP_MAX_HEADERS * HTTP_HDR_VALUE_MAX);
        if (r->resp.hdr_buf == NULL) {
            log_msg(LOG_ERROR, "http", "out of memory: header %s dropped", name);
            return;
        }
    }
    r->resp.headers[i].name = name;
    r->resp.headers[i].value = r->resp.hdr_buf + i * HTTP_HDR_VALUE_MAX;
    str_copy(r->resp.headers[i].value, HTTP_HDR_VALUE_MAX, value);
    r->resp.n_headers++;
}

void resp_object(pd_request *r, int status, const char *xml_root, const json_t *obj)
{
    char *text;
    size_t len;

    if (r->want_xml && xml_root != NULL) {
        text = xml_from_json(xml_root, obj, &len);
        if (text == NULL)
            goto fail;
        resp_take(r, status, "application/xml; charset=utf-8", (unsigned char *)text, len);
        return;
    }
    /* json_dumps' bytes; a tree the compact encoder declines (a real
     * number, deep nesting) goes to json_dumps itself */
    text = json_compact_encode(obj, &len);
    if (text == NULL) {
        text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (text == NULL)
            goto fail;
        len = strlen(text);
    }
    resp_take(r, status, "application/json; charset=utf-8", (unsigned char *)text, len);
    return;
fail:
    resp_take(r, 500, "text/plain; charset=utf-8", (unsigned char *)str_dup("internal error"), 14);
}

void resp_error(pd_request *r, pd_err e, const char *msg)
{
    const pd_err_info *info = pd_err_describe(e);
    json_t *obj = json_pack("{s:s, s:s}", "errorCode", info->code,
                            "message", msg ? msg : info->message);

    if (obj == NULL) {
        resp_take(r, 500, "text/plain; charset=utf-8", (unsigned char *)str_dup("internal error"), 14);
        return;
    }
    resp_object(r, info->status, "errorDetails", obj);
    json_decref(obj);
    r->resp.err_code = info->code;
    if (info->status == 401)
        resp_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"profiled\"");
    else if (info->status == 405 && r->allow[0])
        resp_header(r, MHD_HTTP_HEADER_ALLOW, r->allow);
}

void resp_html(pd_request *r, int status, char *body, size_t len, const char *csp)
{
    if (body == NULL) {
        resp_copy(r, 500, "text/plain; charset=utf-8", "internal error", 14);
        return;
    }
    resp_take(r, status, "text/html; charset=utf-8", (unsigned char *)body, len);
    resp_header(r, "Content-Security-Policy", csp);
    resp_header(r, "X-Frame-Options", "DENY");
    resp_header(r, "X-Content-Type-Options", "nosniff");
    resp_header(r, "Referrer-Policy", "no-referrer");
    resp_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}
