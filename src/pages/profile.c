/*
 * profile.c - the self-service profile page (docs/pages.md):
 *
 *   GET  /profile                the sign-in form, or (signed in) the page
 *   POST /profile/signin         email + password (the one password check,
 *                                auth/password.c) -> session cookie
 *   POST /profile                the edit form: the same validation and
 *                                merge as PUT .../profile (model/profile.c)
 *                                in one write transaction; refused fields
 *                                are shown next to the field, nothing saved
 *   POST /profile/signout        ends the session
 *
 * Every POST carries a CSRF token bound to the session (or, for sign-in,
 * to the pre-session cookie).
 *
 * Memory: forms, users and JSON are released before return; pages are
 * handed to the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "auth/seclog.h"
#include "core/json_fastload.h"
#include "core/strutil.h"
#include "model/profile.h"
#include "model/profile_write.h"
#include "pages/web.h"

#define CSRF_LOGIN "pages-login"

static const struct { const char *code, *text; } NOTICES[] = {
    { "saved",    "Your changes are saved." },
    { "picture",  "Your new picture is saved." },
    { "nopicture","Your picture is removed." },
    { "link",     "A new share link is ready below." },
    { "revoked",  "The share link is revoked. It no longer opens your card." },
};

/* ---- the page ------------------------------------------------------------ */

typedef struct {
    pages_ctx *c;
    pages_link links[LIM_SHARE_LINKS_MAX];
    char ids[LIM_SHARE_LINKS_MAX][SHARE_ID_HEX + 1];
    char urls[LIM_SHARE_LINKS_MAX][LIM_ID_MAX + SHARE_TOKEN_MAX + 320];
    size_t n;
} links_ctx;

/* The site's base URL for share links: public-url, else the Host header. */
static void base_url(const pages_ctx *c, char *out, size_t cap)
{
    const char *pub = c->srv->cfg->public_url, *host = req_header(c->req, MHD_HTTP_HEADER_HOST);

    if (pub != NULL && pub[0] != '\0') {
        size_t l = strlen(pub);
        while (l > 0 && pub[l - 1] == '/')
            l--;
        snprintf(out, cap, "%.*s", (int)l, pub);
    } else {
        snprintf(out, cap, "https://%s", host != NULL && strlen(host) < 256 ? host : "localhost");
    }
}

static int link_row(void *cls, const void *row)
{
    links_ctx *x = cls;
    const pd_share_link *l = row;
    char tok[SHARE_TOKEN_MAX + 1], base[300];

    if (l->revoked || x->n == LIM_SHARE_LINKS_MAX || strlen(l->id) != SHARE_ID_HEX)
        return 0;
    if (share_token_make(server_keys(x->c->srv)->keys[0].secret, l->id, x->c->user.id, l->expires, tok,
                         sizeof(tok)) != 0)
        return 0;
    base_url(x->c, base, sizeof(base));
    memcpy(x->ids[x->n], l->id, SHARE_ID_HEX + 1);
    snprintf(x->urls[x->n], sizeof(x->urls[x->n]), "%s/idcard/%s?share=%s", base, x->c->user.id, tok);
    x->links[x->n] = (pages_link){ x->ids[x->n], x->urls[x->n], l->expires };
    x->n++;
    return 0;
}

void pages_show_profile(pages_ctx *c, int status, const json_t *doc, const char *const *errs,
                         const char *notice)
{
    char csrf[WEB_RANDOM_CHARS + 1];
    json_t *stored = NULL;
    links_ctx *lx = calloc(1, sizeof(*lx));
    size_t len = 0;
    char *page;

    if (lx == NULL) {
        pages_message(c->req, 500, "Something went wrong", "Out of memory.");
        return;
    }
    lx->c = c;
    if (doc == NULL) {
        stored = json_load_str(c->user.profile_json ? c->user.profile_json : "{}", 0, NULL);
        doc = stored;
    }
    if (doc == NULL || c->s->ops->each_share_link_of_user(c->s, c->user.id, c->now, link_row, lx) != PD_OK) {
        pages_message(c->req, 500, "Something went wrong", "Your profile could not be read.");
        goto out;
    }
    pages_csrf(c, csrf, sizeof(csrf));
    pages_profile_view v = {
        .user_id = c->user.id, .email = c->user.email, .doc = doc, .has_image = c->user.has_image,
        .csrf = csrf, .notice = notice, .links = lx->links, .n_links = lx->n,
    };
    if (errs != NULL)
        for (size_t i = 0; i <= PAGES_N_FIELDS; i++)
            v.field_errors[i] = errs[i];
    page = pages_page_profile(&v, &len);
    pages_html(c->req, status, page, len);
out:
    json_decref(stored);
    free(lx);
}

static void signin_page(pages_ctx *c, int status, const char *pre, const char *email, const char *error,
                        const char *set_cookie)
{
    char csrf[WEB_RANDOM_CHARS + 1], *page;
    size_t len = 0;

    web_csrf_make(server_keys(c->srv)->keys[0].secret, CSRF_LOGIN, pre, csrf, sizeof(csrf));
    page = pages_page_signin(csrf, email, error, &len);
    pages_html(c->req, status, page, len);
    if (set_cookie != NULL)
        resp_header(c->req, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
}

void h_pages_profile(pd_server *srv, pd_request *req)
{
    char pre[WEB_RANDOM_CHARS + 1], set[256];
    const char *h, *done, *notice = NULL;
    pages_ctx c;
    int rc;

    if (pages_begin(&c, srv, req) != 0)
        goto out;
    rc = pages_session(&c);
    if (rc == -2)
        goto out;
    if (rc == 0) {
        done = req_query(req, "done");
        for (size_t i = 0; done != NULL && i < sizeof(NOTICES) / sizeof(NOTICES[0]); i++)
            if (strcmp(done, NOTICES[i].code) == 0)
                notice = NOTICES[i].text;
        pages_show_profile(&c, 200, NULL, NULL, notice);
        goto out;
    }
    h = req_header(req, MHD_HTTP_HEADER_COOKIE);
    if (h != NULL && web_cookie_get(h, PAGES_COOKIE_PRE, pre, sizeof(pre)) == 0 &&
        strlen(pre) == WEB_RANDOM_CHARS) {
        signin_page(&c, 200, pre, NULL, NULL, NULL);
        goto out;
    }
    web_random(pre, sizeof(pre));
    if (web_cookie_header(set, sizeof(set), PAGES_COOKIE_PRE, pre, "/profile", LIM_PAGES_SESSION_TTL_S,
                          "Strict") != 0) {
        pages_message(req, 500, "Something went wrong", "Try again.");
        goto out;
    }
    signin_page(&c, 200, pre, NULL, NULL, set);
out:
    pages_end(&c);
}

/* ---- sign-in, sign-out ------------------------------------------------------ */

void h_pages_signin(pd_server *srv, pd_request *req)
{
    char pre[WEB_RANDOM_CHARS + 1], sid[WEB_RANDOM_CHARS + 1], set[256], email[LIM_EMAIL_MAX + 1], mt[64];
    const char *h, *em, *pw;
    pd_user u = {0};
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0)
        goto out;
    h = req_header(req, MHD_HTTP_HEADER_COOKIE);
    req_media_type(req, mt, sizeof(mt));
    if (strcmp(mt, "application/x-www-form-urlencoded") != 0 ||
        url_form_parse((const char *)req->body, req->body_len, LIM_OAUTH_FORM_FIELDS, &c.form) != FORM_OK) {
        pages_message(req, 400, "Bad request", "The form could not be read.");
        goto out;
    }
    if (h == NULL || web_cookie_get(h, PAGES_COOKIE_PRE, pre, sizeof(pre)) != 0 ||
        strlen(pre) != WEB_RANDOM_CHARS ||
        !web_csrf_check(server_keys(srv), CSRF_LOGIN, pre, url_form_get(&c.form, "csrf_token"))) {
        seclog(LOG_WARN, "login_failed", NULL, NULL, c.ip, "csrf");
        pages_message(req, 403, "Form expired",
                      "The sign-in form expired or did not come from this site. Open /profile again.");
        goto out;
    }
    em = url_form_get(&c.form, "email");
    pw = url_form_get(&c.form, "password");
    if (em == NULL || pw == NULL || em[0] == '\0' || str_copy(email, sizeof(email), em) != 0) {
        signin_page(&c, 400, pre, em, "Enter your email and password.", NULL);
        goto out;
    }
    str_lower(email);
    /* the one password check (auth/password.c): slots, throttling, lockout, log */
    pw_request pr = {
        .login = email, .password = pw, .client = NULL, .ip = c.ip,
        .slots = pw_slots(srv->cfg->threads), .record_success = true, .now = c.now,
    };
    switch (pw_check(c.s, &pr, &u)) {
    case PW_OK:
        break;
    case PW_BUSY:
        signin_page(&c, 503, pre, email, "The server is busy. Try again in a moment.", NULL);
        resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        goto out;
    case PW_ADDR_BLOCKED:
        signin_page(&c, 429, pre, email, "Too many failed sign-ins from your address. Try again later.", NULL);
        goto out;
    case PW_LOCKED:
        signin_page(&c, 429, pre, email, "This account is locked after too many failed sign-ins. Try again later.",
                    NULL);
        goto out;
    case PW_BAD:
        signin_page(&c, 401, pre, email, "The email or password is incorrect.", NULL);
        goto out;
    case PW_STORE:
    default:
        pages_message(req, 500, "Something went wrong", "The server could not reach its database.");
        goto out;
    }
    if (web_session_new(c.s, u.id, c.now, LIM_PAGES_SESSION_TTL_S, sid, sizeof(sid)) != PD_OK ||
        web_cookie_header(set, sizeof(set), PAGES_COOKIE_SID, sid, "/", LIM_PAGES_SESSION_TTL_S, "Strict") != 0) {
        pages_message(req, 500, "Something went wrong", "The server could not reach its database.");
        goto out;
    }
    pages_redirect(req, "/profile", set);
out:
    pd_user_clear(&u);
    pages_end(&c);
}

void h_pages_signout(pd_server *srv, pd_request *req)
{
    char set[256];
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0)
        goto out;
    if (pages_session(&c) != 0) {
        if (!req->resp.set)
            pages_redirect(req, "/profile", NULL);
        goto out;
    }
    if (pages_form(&c) != 0)
        goto out;
    if (web_session_end(c.s, c.sid) != PD_OK) {
        pages_message(req, 500, "Something went wrong", "The server could not reach its database.");
        goto out;
    }
    web_cookie_header(set, sizeof(set), PAGES_COOKIE_SID, "", "/", 0, "Strict");
    pages_redirect(req, "/profile", set);
out:
    pages_end(&c);
}

/* ---- the edit form ----------------------------------------------------------- */

/* Where a form field goes in the userProfile document. */
static json_t *field_patch(const char *name, const char *value)
{
    if (strcmp(name, "firstName") == 0 || strcmp(name, "lastName") == 0)
        return json_pack("{s:{s:s}}", "userDetails", name, value);
    if (strcmp(name, "title") == 0 || strcmp(name, "companyName") == 0)
        return json_pack("{s:s}", name, value);
    return json_pack("{s:{s:s}}", "address", name, value);
}

/* "path: reason; ..." -> the reasons only ("longer than 50 characters"). */
static void reasons(const char *text, char *out, size_t cap)
{
    const char *colon = strstr(text, ": ");

    str_copy(out, cap, "");
    if (str_copy(out, cap, colon != NULL ? colon + 2 : text) != 0)
        str_copy(out, cap, "This value is not accepted.");
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 32);
}

void h_pages_edit(pd_server *srv, pd_request *req)
{
    char errtext[PAGES_N_FIELDS_MAX][256];
    const char *errs[PAGES_N_FIELDS_MAX + 1] = {0};
    json_t *patch = NULL, *stored = NULL, *merged = NULL;
    bool bad = false;
    profile_write_out w;
    pd_errbuf eb;
    pages_ctx c;
    pd_err e;

    if (pages_post_begin(&c, srv, req) != 0)
        goto out;
    patch = json_object();
    if (patch == NULL)
        goto oom;
    for (size_t i = 0; i < PAGES_N_FIELDS; i++) {
        const char *v = url_form_get(&c.form, PAGES_FIELDS[i].name);
        json_t *one;
        if (v == NULL) {
            pages_message(req, 400, "Bad request", "The form is incomplete. Reload the page and try again.");
            goto out;
        }
        one = field_patch(PAGES_FIELDS[i].name, v);
        if (one == NULL)
            goto oom;
        /* each field alone first, so every error sits next to its field */
        pd_errbuf_init(&eb);
        if (profile_validate_update(one, PROFILE_API_V21, &eb) != PD_OK) {
            reasons(eb.text, errtext[i], sizeof(errtext[i]));
            errs[i] = errtext[i];
            bad = true;
        }
        json_object_update_recursive(patch, one);
        json_decref(one);
    }
    for (size_t i = 0; i < 4; i++) {
        const char *v = url_form_get(&c.form, PAGES_FLAGS[i]);
        json_object_set_new(patch, PAGES_FLAGS[i], json_string(v != NULL && strcmp(v, "true") == 0 ? "true" : "false"));
    }
    pd_errbuf_init(&eb);
    if (!bad && profile_validate_update(patch, PROFILE_API_V21, &eb) != PD_OK) {
        pages_message(req, 400, "Not saved", eb.text);
        goto out;
    }
    if (bad) {
        /* nothing is written: show the submitted values with their errors */
        stored = json_load_str(c.user.profile_json ? c.user.profile_json : "{}", 0, NULL);
        merged = stored ? profile_merge(stored, patch) : NULL;
        if (merged == NULL)
            goto oom;
        pages_show_profile(&c, 400, merged, errs, "Nothing was saved: correct the fields marked below.");
        goto out;
    }
    /* the same read-merge-write as PUT .../profile (model/profile_write.c) */
    e = profile_write(c.s, c.user.id, patch, &w);
    if (e == PD_ERR_INTERNAL)
        goto oom;
    if (e != PD_OK)
        goto store;
    pages_redirect(req, "/profile?done=saved", NULL);
    goto out;
store:
    pages_message(req, 500, "Not saved", "The server could not reach its database. Nothing was saved.");
    goto out;
oom:
    pages_message(req, 500, "Not saved", "Out of memory. Nothing was saved.");
out:
    json_decref(patch);
    json_decref(stored);
    json_decref(merged);
    pages_end(&c);
}
