/*
 * picture.c - the signed-in user's picture on the profile page:
 *
 *   GET  /profile/image          the user's own picture
 *   POST /profile/image          multipart/form-data: csrf_token + the file;
 *                                size and format checked from the bytes
 *                                (model/image.c) as PUT .../profile/image
 *                                does, stored with the same store write
 *                                (the user's version moves: REST and SOAP
 *                                see it at once)
 *   POST /profile/image/delete   removes it
 *
 * Errors are shown on the profile page next to the picture field.
 *
 * Memory: the multipart result points into the request body; the image
 * read for GET is moved into the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/seclog.h"
#include "codec/multipart.h"
#include "core/strutil.h"
#include "model/image.h"
#include "pages/web.h"

static void picture_error(pages_ctx *c, int status, const char *msg)
{
    const char *errs[PAGES_N_FIELDS_MAX + 1] = {0};

    errs[PAGES_N_FIELDS] = msg;
    pages_show_profile(c, status, NULL, errs, "Nothing was saved: see the picture field.");
}

static const multipart_part *part_named(const multipart_result *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->n_parts; i++)
        if (r->parts[i].name != NULL && r->parts[i].name_len == n && memcmp(r->parts[i].name, name, n) == 0)
            return &r->parts[i];
    return NULL;
}

void h_pages_image_put(pd_server *srv, pd_request *req)
{
    char boundary[LIM_BOUNDARY_MAX + 1], err[128], csrf[WEB_RANDOM_CHARS + 1], etag[IMAGE_ETAG_MAX], now[40];
    multipart_result *mr = NULL;
    const multipart_part *tok, *file;
    unsigned w, h;
    image_kind kind;
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0 || pages_require_session(&c) != 0)
        goto out;
    mr = calloc(1, sizeof(*mr));
    if (mr == NULL) {
        pages_message(req, 500, "Not saved", "Out of memory.");
        goto out;
    }
    if (multipart_boundary(req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE), boundary) != 0 ||
        multipart_parse(req->body, req->body_len, boundary, mr, err, sizeof(err)) != 0) {
        pages_message(req, 400, "Bad request", "The upload form could not be read.");
        goto out;
    }
    tok = part_named(mr, "csrf_token");
    if (tok == NULL || tok->data_len != WEB_RANDOM_CHARS) {
        seclog(LOG_WARN, "pages_form_refused", c.user.id, NULL, c.ip, "csrf");
        pages_message(req, 403, "Form expired",
                      "The form expired or did not come from this site. Reload the page and try again.");
        goto out;
    }
    memcpy(csrf, tok->data, WEB_RANDOM_CHARS);
    csrf[WEB_RANDOM_CHARS] = '\0';
    if (!pages_csrf_ok(&c, csrf)) {
        seclog(LOG_WARN, "pages_form_refused", c.user.id, NULL, c.ip, "csrf");
        pages_message(req, 403, "Form expired",
                      "The form expired or did not come from this site. Reload the page and try again.");
        goto out;
    }
    file = part_named(mr, "picture");
    if (file == NULL || file->data_len == 0) {
        picture_error(&c, 400, "Choose a picture first.");
        goto out;
    }
    if (file->data_len >= LIM_BODY_IMAGE_RAW) {
        picture_error(&c, 413, "The picture must be smaller than 200 KB.");
        goto out;
    }
    kind = image_sniff(file->data, file->data_len);
    if (kind == IMG_UNKNOWN || image_dimensions(file->data, file->data_len, &w, &h) != 0) {
        picture_error(&c, 400, "Use a PNG, JPEG or GIF picture.");
        goto out;
    }
    image_etag(file->data, file->data_len, etag);
    time_now_iso(now, sizeof(now));
    if (c.s->ops->put_image(c.s, c.user.id, file->data, file->data_len, image_mime(kind), etag, now) != PD_OK) {
        pages_message(req, 500, "Not saved", "The server could not reach its database. Nothing was saved.");
        goto out;
    }
    pages_redirect(req, "/profile?done=picture", NULL);
out:
    free(mr);
    pages_end(&c);
}

void h_pages_image_delete(pd_server *srv, pd_request *req)
{
    char now[40];
    pd_err e;
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0 || pages_require_session(&c) != 0 || pages_form(&c) != 0)
        goto out;
    time_now_iso(now, sizeof(now));
    e = c.s->ops->delete_image(c.s, c.user.id, now);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
        pages_message(req, 500, "Not saved", "The server could not reach its database.");
        goto out;
    }
    pages_redirect(req, "/profile?done=nopicture", NULL);
out:
    pages_end(&c);
}

/* Answers the image bytes of user_id (404 page when there is none). */
void pages_send_image(pages_ctx *c, const char *user_id)
{
    pd_image img = {0};
    pd_err e = c->s->ops->get_image(c->s, user_id, &img);

    if (e != PD_OK) {
        pages_message(c->req, e == PD_ERR_NOT_FOUND ? 404 : 500, "No picture", "There is no picture.");
        goto out;
    }
    resp_take(c->req, 200, NULL, img.bytes, img.len);
    img.bytes = NULL;                          /* moved into the response */
    resp_header(c->req, MHD_HTTP_HEADER_CONTENT_TYPE, img.content_type);
    resp_header(c->req, MHD_HTTP_HEADER_ETAG, img.etag);
    resp_header(c->req, "X-Content-Type-Options", "nosniff");
    resp_header(c->req, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-store");
    resp_header(c->req, "Content-Security-Policy", "default-src 'none'; sandbox");
out:
    pd_image_clear(&img);
}

void h_pages_image_get(pd_server *srv, pd_request *req)
{
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0 || pages_require_session(&c) != 0)
        goto out;
    pages_send_image(&c, c.user.id);
out:
    pages_end(&c);
}
