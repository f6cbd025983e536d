/*
 * web.h - what every handler of the browser pages shares (web.c): HTTPS
 * only, the security headers of an HTML answer, the session cookie, CSRF
 * tokens bound to it, forms, redirects.
 *
 * Memory: a pages_ctx owns its form, the signed-in user and the stored doc
 * (pages_end releases them); pages handed to answers are taken.
 */
#ifndef PROFILED_PAGES_WEB_H
#define PROFILED_PAGES_WEB_H

#include "auth/websession.h"
#include "core/urlform.h"
#include "http/server.h"
#include "pages/pages.h"

#define PAGES_COOKIE_SID "pd_session"      /* Path=/, SameSite=Strict */
#define PAGES_COOKIE_PRE "pd_pages_pre"    /* Path=/profile: binds the sign-in form's CSRF token */

typedef struct {
    pd_server *srv;
    pd_request *req;
    pd_store *s;
    int64_t now;
    char ip[64];
    char sid[WEB_RANDOM_CHARS + 1];
    bool signed_in;
    pd_user user;                          /* the signed-in user (signed_in) */
    url_form form;
} pages_ctx;

/* HTTPS check, store, time, address.  0, or -1 with the answer set. */
int pages_begin(pages_ctx *c, pd_server *srv, pd_request *req);
void pages_end(pages_ctx *c);
/* Reads the session cookie: 0 and c->user filled when signed in; -1 when
 * not (no answer set), -2 when the store failed (answer set). */
int pages_session(pages_ctx *c);
/* pages_session for a request that needs a signed-in user: 0, or -1 with
 * the answer set (403 "Signed out" when there is no session). */
int pages_require_session(pages_ctx *c);
/* The CSRF token of the session's forms (out >= WEB_RANDOM_CHARS + 1). */
void pages_csrf(const pages_ctx *c, char *out, size_t cap);
/* Parses an urlencoded body into c->form and checks its csrf_token against
 * the session.  0, or -1 with the answer set (400 / 403). */
int pages_form(pages_ctx *c);
/* What every form POST of a signed-in user does first: pages_begin,
 * pages_require_session, pages_form.  0, or -1 with the answer set; call
 * pages_end either way. */
int pages_post_begin(pages_ctx *c, pd_server *srv, pd_request *req);
bool pages_csrf_ok(const pages_ctx *c, const char *presented);

/* The profile page of the signed-in user showing doc (NULL: the stored
 * one) and errs (NULL, or PAGES_N_FIELDS + 1 entries: the form fields, then
 * the picture), with a notice line (may be NULL).  profile.c */
void pages_show_profile(pages_ctx *c, int status, const json_t *doc, const char *const *errs,
                        const char *notice);

/* Answers the picture of user_id (picture.c). */
void pages_send_image(pages_ctx *c, const char *user_id);

/* An HTML answer with CSP, X-Frame-Options, nosniff, no-referrer, no-store
 * (body taken; NULL answers 500). */
void pages_html(pd_request *req, int status, char *body, size_t len);
void pages_message(pd_request *req, int status, const char *title, const char *message);
/* 303 See Other to a path of this site, with an optional Set-Cookie. */
void pages_redirect(pd_request *req, const char *location, const char *set_cookie);
/* The API's answer to errors found before a handler runs. */
void pages_early_error(pd_request *req, pd_err e, const char *msg);

#endif
