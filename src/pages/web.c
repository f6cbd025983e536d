/*
 * web.c - the shared part of the browser-page handlers (web.h).
 *
 * The pages run over TLS only, as the OAuth pages do: the HTTPS listener,
 * or a public-url starting with https:// (TLS ended at a proxy in front of
 * the plain listener).  Plain HTTP gets a 400 page and no cookie.
 *
 * Memory: see web.h.
 */
#include "pages/web.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/seclog.h"
#include "core/strutil.h"

int pages_begin(pages_ctx *c, pd_server *srv, pd_request *req)
{
    memset(c, 0, sizeof(*c));
    c->srv = srv;
    c->req = req;
    c->now = (int64_t)time(NULL);
    req_client_addr(req, srv->cfg->trusted_proxies, c->ip, sizeof(c->ip));
    if (!server_request_https(srv, req)) {
        pages_message(req, 400, "HTTPS required", "These pages are only served over HTTPS.");
        return -1;
    }
    c->s = server_store(srv);
    if (c->s == NULL) {
        pages_message(req, 500, "Something went wrong", "The server could not reach its database. Try again later.");
        return -1;
    }
    return 0;
}

void pages_end(pages_ctx *c)
{
    url_form_free(&c->form);
    pd_user_clear(&c->user);
}

int pages_session(pages_ctx *c)
{
    const char *h = req_header(c->req, MHD_HTTP_HEADER_COOKIE);
    pd_err e;

    if (h == NULL || web_cookie_get(h, PAGES_COOKIE_SID, c->sid, sizeof(c->sid)) != 0 ||
        strlen(c->sid) != WEB_RANDOM_CHARS) {
        c->sid[0] = '\0';
        return -1;
    }
    e = web_session_user(c->s, c->sid, c->now, &c->user);
    if (e == PD_OK) {
        c->signed_in = true;
        return 0;
    }
    if (e == PD_ERR_STORE) {
        pages_message(c->req, 500, "Something went wrong", "The server could not reach its database. Try again later.");
        return -2;
    }
    c->sid[0] = '\0';
    return -1;
}

void pages_csrf(const pages_ctx *c, char *out, size_t cap)
{
    web_csrf_make(server_keys(c->srv)->keys[0].secret, "pages", c->sid, out, cap);
}

bool pages_csrf_ok(const pages_ctx *c, const char *presented)
{
    return c->sid[0] != '\0' && web_csrf_check(server_keys(c->srv), "pages", c->sid, presented);
}

int pages_form(pages_ctx *c)
{
    char mt[64];

    req_media_type(c->req, mt, sizeof(mt));
    if (strcmp(mt, "application/x-www-form-urlencoded") != 0 ||
        url_form_parse((const char *)c->req->body, c->req->body_len, LIM_FORM_FIELDS_MAX, &c->form) != FORM_OK) {
        pages_message(c->req, 400, "Bad request", "The form could not be read.");
        return -1;
    }
    if (!pages_csrf_ok(c, url_form_get(&c->form, "csrf_token"))) {
        seclog(LOG_WARN, "pages_form_refused", c->signed_in ? c->user.id : NULL, NULL, c->ip, "csrf");
        pages_message(c->req, 403, "Form expired",
                      "The form expired or did not come from this site. Reload the page and try again.");
        return -1;
    }
    return 0;
}

void pages_html(pd_request *req, int status, char *body, size_t len)
{
    resp_html(req, status, body, len, PAGES_CSP);
}

void pages_message(pd_request *req, int status, const char *title, const char *message)
{
    size_t len = 0;
    char *page = pages_page_message(title, message, &len);

    req->resp.n_headers = 0;
    pages_html(req, status, page, len);
}

void pages_redirect(pd_request *req, const char *location, const char *set_cookie)
{
    resp_empty(req, 303);
    resp_header(req, MHD_HTTP_HEADER_LOCATION, location);
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    resp_header(req, "Referrer-Policy", "no-referrer");
    if (set_cookie != NULL)
        resp_header(req, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
}

void pages_early_error(pd_request *req, pd_err e, const char *msg)
{
    const pd_err_info *in = pd_err_describe(e);

    pages_message(req, in->status, e == PD_ERR_BODY_TOO_LARGE ? "Too large" : "Bad request",
                  msg != NULL && msg[0] != '\0' ? msg : in->message);
}

int pages_require_session(pages_ctx *c)
{
    int rc = pages_session(c);

    if (rc == -1)
        pages_message(c->req, 403, "Signed out", "Your session ended. Sign in again at /profile.");
    return rc == 0 ? 0 : -1;
}

int pages_post_begin(pages_ctx *c, pd_server *srv, pd_request *req)
{
    if (pages_begin(c, srv, req) != 0 || pages_require_session(c) != 0 || pages_form(c) != 0)
        return -1;
    return 0;
}
