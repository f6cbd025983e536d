/*
 * image.c - GET, PUT and DELETE .../profile/image (self only, facts §2).
 *
 * Upload: a raw body (any image type, application/octet-stream or no Content-Type)
 * or multipart/form-data (the file part).  The format is decided from the
 * bytes (model/image.c), never from the header; the image must be smaller than
 * LIM_BODY_IMAGE_RAW bytes.  Download: the exact bytes with their type, a
 * strong ETag (BLAKE2b of the bytes), If-None-Match -> 304, nosniff, and
 * ?encoding=base64 for clients that cannot take binary (the Node SDK).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "esign/prelude.h"
#include "http/audit.h"
#include "esign/handlers.h"
#include "model/image.h"
#include "codec/multipart.h"
#include "http/resp_cache.h"
#include "core/strutil.h"

/* True when an If-None-Match value lists etag (or is "*"). */
static bool etag_matches(const char *inm, const char *etag)
{
    size_t el = strlen(etag);
    const char *p = inm;

    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, el) == 0 && (p[el] == '\0' || p[el] == ',' || p[el] == ' '))
            return true;
        p = strchr(p, ',');
    }
    return false;
}

/* The headers of every image answer (200 and 304), in one place for both
 * the response cache and the uncached path. */
#define IMAGE_HEADERS 3
static void image_header_list(const char *etag, rc_header out[IMAGE_HEADERS])
{
    out[0] = (rc_header){ MHD_HTTP_HEADER_ETAG, etag };
    out[1] = (rc_header){ "X-Content-Type-Options", "nosniff" };
    out[2] = (rc_header){ MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-cache" };
}

static void image_headers(pd_request *req, const char *etag)
{
    rc_header h[IMAGE_HEADERS];

    image_header_list(etag, h);
    for (size_t i = 0; i < IMAGE_HEADERS; i++)
        resp_header(req, h[i].name, h[i].value);
}

void h_image_get(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    pd_image img = {0};
    const char *enc, *inm = NULL, *etag = NULL;
    char key[RC_KEY_MAX];
    bool cacheable;
    const rc_body *hit = NULL;
    pd_err e;

    if (esign_check(srv, req, &ctx) != PD_OK)
        goto out;
    /* raw downloads of one's own image come from the response cache
     * (tags read before the data: see resp_cache.h) */
    enc = req_query(req, "encoding");
    cacheable = (enc == NULL || enc[0] == '\0') && strcmp(req->caller.sub, ctx.user_id) == 0 &&
                str_join(key, sizeof(key), '|', (const char *const[]){ "image", ctx.acc_ref, ctx.user_id }, 3) == 0 &&
                ctx.tags.v_target >= 0;
    if (cacheable && (hit = rc_get(key, &ctx.tags, &etag)) != NULL && etag != NULL) {
        inm = req_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (inm != NULL && etag_matches(inm, etag)) {
            resp_empty(req, 304);
            image_headers(req, etag);
        } else {
            resp_prebuilt(req, 200, hit);
        }
        goto out;
    }
    if (esign_load(req, ACT_IMAGE_READ, &ctx) != PD_OK)
        goto out;
    if (enc != NULL && enc[0] != '\0' && strcasecmp(enc, "base64") != 0) {
        resp_error(req, PD_ERR_INVALID_PARAMETER, "encoding: only 'base64' is supported.");
        goto out;
    }
    e = ctx.store->ops->get_image(ctx.store, ctx.user_id, &img);
    if (e != PD_OK) {
        resp_error(req, e == PD_ERR_NOT_FOUND ? PD_ERR_NO_IMAGE : PD_ERR_STORE, NULL);
        goto out;
    }
    inm = req_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm != NULL && etag_matches(inm, img.etag)) {
        resp_empty(req, 304);
        image_headers(req, img.etag);
        goto out;
    }
    if (enc != NULL && enc[0] != '\0') {
        size_t n;
        char *text = b64_encode(img.bytes, img.len, &n);
        if (text == NULL) {
            resp_error(req, PD_ERR_INTERNAL, NULL);
            goto out;
        }
        resp_take(req, 200, "text/plain; charset=us-ascii", (unsigned char *)text, n);
        resp_header(req, "X-Image-Content-Type", img.content_type);
    } else {
        rc_header h[IMAGE_HEADERS];
        image_header_list(img.etag, h);
        hit = cacheable ? rc_put(key, &ctx.tags, img.bytes, img.len, img.content_type, img.etag,
                                 h, IMAGE_HEADERS) : NULL;
        if (hit != NULL) {
            resp_prebuilt(req, 200, hit);
            goto out;
        }
        resp_take(req, 200, NULL, img.bytes, img.len);
        img.bytes = NULL;                       /* moved into the response */
        resp_header(req, MHD_HTTP_HEADER_CONTENT_TYPE, img.content_type);
    }
    image_headers(req, img.etag);
out:
    pd_image_clear(&img);
    esign_ctx_clear(&ctx);
}

/* Finds the image bytes in the request; on failure sets the response. */
static int upload_bytes(pd_request *req, const unsigned char **data, size_t *len)
{
    char media[64], boundary[LIM_BOUNDARY_MAX + 1], err[128];
    multipart_result mr;
    const multipart_part *part;

    req_media_type(req, media, sizeof(media));
    if (strcmp(media, "multipart/form-data") == 0) {
        if (multipart_boundary(req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE), boundary) != 0) {
            resp_error(req, PD_ERR_INVALID_BODY, "multipart/form-data without a valid boundary.");
            return -1;
        }
        if (multipart_parse(req->body, req->body_len, boundary, &mr, err, sizeof(err)) != 0) {
            resp_error(req, PD_ERR_INVALID_BODY, err);
            return -1;
        }
        part = multipart_pick_file(&mr);
        if (part == NULL) {
            resp_error(req, PD_ERR_IMAGE_INVALID, "The multipart body holds no file part.");
            return -1;
        }
        *data = part->data;
        *len = part->data_len;
        return 0;
    }
    if (media[0] == '\0' || strncmp(media, "image/", 6) == 0 ||
        strcmp(media, "application/octet-stream") == 0) {
        *data = req->body;
        *len = req->body_len;
        return 0;
    }
    resp_error(req, PD_ERR_INVALID_CONTENT_TYPE,
               "Upload the image as image/*, application/octet-stream or multipart/form-data.");
    return -1;
}

void h_image_put(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    const unsigned char *data = NULL;
    char etag[IMAGE_ETAG_MAX], now[40];
    size_t len = 0;
    image_kind kind;

    if (esign_prelude(srv, req, ACT_IMAGE_WRITE, &ctx) != PD_OK)
        goto out;
    if (upload_bytes(req, &data, &len) != 0)
        goto out;
    if (len >= LIM_BODY_IMAGE_RAW) {
        resp_error(req, PD_ERR_IMAGE_TOO_LARGE, NULL);
        goto out;
    }
    if (len == 0) {
        resp_error(req, PD_ERR_IMAGE_INVALID, "The image is empty.");
        goto out;
    }
    kind = image_sniff(data, len);
    unsigned w, h;
    if (kind == IMG_UNKNOWN || image_dimensions(data, len, &w, &h) != 0) {
        resp_error(req, PD_ERR_IMAGE_INVALID, NULL);
        goto out;
    }
    image_etag(data, len, etag);
    time_now_iso(now, sizeof(now));
    if (ctx.store->ops->put_image(ctx.store, ctx.user_id, data, len, image_mime(kind), etag, now) != PD_OK) {
        resp_error(req, PD_ERR_STORE, NULL);
        goto out;
    }
    resp_empty(req, 200);
    resp_header(req, MHD_HTTP_HEADER_ETAG, etag);
    req_audit(srv, req, "image.update", ctx.account.id, ctx.user_id);
out:
    esign_ctx_clear(&ctx);
}

void h_image_delete(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    char now[40];
    pd_err e;

    if (esign_prelude(srv, req, ACT_IMAGE_WRITE, &ctx) != PD_OK)
        goto out;
    time_now_iso(now, sizeof(now));
    e = ctx.store->ops->delete_image(ctx.store, ctx.user_id, now);
    if (e != PD_OK) {
        resp_error(req, e == PD_ERR_NOT_FOUND ? PD_ERR_NO_IMAGE : PD_ERR_STORE, NULL);
        goto out;
    }
    resp_empty(req, 200);
    req_audit(srv, req, "image.delete", ctx.account.id, ctx.user_id);
out:
    esign_ctx_clear(&ctx);
}
