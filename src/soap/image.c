/*
 * image.c - GetUserProfileImage and SetUserProfileImage (seed 003 WSDL,
 * facts §7): the caller's own image only (auth/policy.c: images are self
 * only), the same stored bytes REST serves.  ImageData is base64; the
 * format is decided from the bytes (model/image.c), never from MimeType;
 * the image must be smaller than LIM_BODY_IMAGE_RAW.  put_image bumps the
 * user's version, so REST's response cache serves the new bytes at once.
 *
 * Memory: the decoded image and the base64 text are freed before return.
 */
#include "soap/soap.h"
#include "http/audit.h"

#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "core/b64.h"
#include "core/strutil.h"
#include "core/xmlsafe.h"
#include "model/image.h"
#include "store/versions.h"

/* The caller still Active, and the policy's word on its own image. */
static pd_err own(soap_ctx *c, policy_action act)
{
    policy_facts f = { .caller_is_member = true, .target_is_self = true };
    int64_t va, vb, gen;

    if (pd_store_versions(c->store, c->caller, c->caller, &va, &vb, &gen) != PD_OK)
        return PD_ERR_STORE;
    if (va < 0)
        return PD_ERR_INVALID_TOKEN;
    return policy_check(act, &f);
}

void soap_get_user_profile_image(soap_ctx *c, xo_buf *out)
{
    pd_image img = {0};
    char *b64 = NULL;
    size_t n = 0;
    pd_err e = own(c, ACT_IMAGE_READ);

    if (e == PD_OK)
        e = c->store->ops->get_image(c->store, c->caller, &img);
    if (e == PD_ERR_NOT_FOUND)
        e = PD_ERR_NO_IMAGE;
    if (e == PD_OK && (b64 = b64_encode(img.bytes, img.len, &n)) == NULL)
        e = PD_ERR_INTERNAL;
    if (e != PD_OK) {
        soap_result_error(out, soap_code_of(e), pd_err_describe(e)->message);
        goto done;
    }
    xo_raw(out, "<UserProfileImage><Image>");
    xo_elem(out, "MimeType", img.content_type);
    xo_raw(out, "<ImageData>");
    xo_rawn(out, b64, n);
    xo_raw(out, "</ImageData></Image></UserProfileImage><Success>true</Success>");
done:
    free(b64);
    pd_image_clear(&img);
}

void soap_set_user_profile_image(soap_ctx *c, xo_buf *out)
{
    const xmlNode *upi = soap_child(c->msg->op, "UserProfileImage");
    const xmlNode *im = upi ? soap_child(upi, "Image") : NULL;
    const xmlNode *data = im ? soap_child(im, "ImageData") : NULL;
    unsigned char *bytes = NULL;
    char etag[IMAGE_ETAG_MAX], now[40], *joined = NULL;
    const char *text;
    long len = -1;
    unsigned w, h;
    image_kind kind;
    pd_err e = own(c, ACT_IMAGE_WRITE);

    if (e != PD_OK) {
        soap_result_error(out, soap_code_of(e), pd_err_describe(e)->message);
        goto done;
    }
    if (data == NULL) {
        soap_result_error(out, "Invalid_Request", "SetUserProfileImage needs UserProfileImage/Image/ImageData.");
        goto done;
    }
    /* the base64 text may come in several text nodes: join them (bounded by the body limit) */
    joined = malloc(LIM_BODY_SOAP + 1);
    text = joined ? xmlsafe_text(data, joined, LIM_BODY_SOAP + 1) : NULL;
    if (text != NULL && (bytes = malloc(b64_decoded_max(strlen(text)) + 1)) != NULL)
        len = b64_decode(text, strlen(text), bytes);
    if (text == NULL || (bytes == NULL && joined != NULL)) {
        soap_result_error(out, "Unspecified_Error", pd_err_describe(PD_ERR_INTERNAL)->message);
        goto done;
    }
    if (len <= 0) {
        soap_result_error(out, "Invalid_File_Or_Too_Large", "ImageData is empty or not base64.");
        goto done;
    }
    if ((size_t)len >= LIM_BODY_IMAGE_RAW) {
        soap_result_error(out, "Invalid_File_Or_Too_Large", pd_err_describe(PD_ERR_IMAGE_TOO_LARGE)->message);
        goto done;
    }
    kind = image_sniff(bytes, (size_t)len);
    if (kind == IMG_UNKNOWN || image_dimensions(bytes, (size_t)len, &w, &h) != 0) {
        soap_result_error(out, "Invalid_File_Or_Too_Large", pd_err_describe(PD_ERR_IMAGE_INVALID)->message);
        goto done;
    }
    image_etag(bytes, (size_t)len, etag);
    time_now_iso(now, sizeof(now));
    if (c->store->ops->put_image(c->store, c->caller, bytes, (size_t)len, image_mime(kind), etag, now) != PD_OK) {
        soap_result_error(out, "Unspecified_Error", pd_err_describe(PD_ERR_STORE)->message);
        goto done;
    }
    xo_elem(out, "UserId", c->caller);
    xo_raw(out, "<Success>true</Success>");
    req_audit(c->srv, c->req, "image.update", NULL, c->caller);
done:
    free(joined);
    free(bytes);
}
