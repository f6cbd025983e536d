/*
 * authorize.c - the browser side of the authorization-code flow
 * (docs/oauth.md):
 *
 *   GET  /oauth/auth?response_type=code&client_id=…&redirect_uri=…&scope=…
 *        &state=…[&code_challenge=…&code_challenge_method=S256]
 *        validates the client and the redirect URI first (an unknown
 *        client or an unregistered redirect URI gets an error page, never
 *        a redirect), then shows the sign-in page, or - with a session -
 *        the consent page, or redirects at once when consent exists.
 *   POST /oauth/login    email + password (+ CSRF token bound to the
 *        pre-session cookie), checked by the one password check
 *        (auth/password.c: throttled per account and per address, Argon2id
 *        in one of the bounded slots - 503 when none is free - a dummy hash
 *        for unknown accounts, lockout), then a session cookie and the
 *        consent page (or the redirect).
 *
 * Every endpoint refuses plain HTTP unless public-url is https (L5).
 *   POST /oauth/consent  allow / deny (+ CSRF token bound to the session):
 *        records the consent and redirects to redirect_uri with code and
 *        state (or error=access_denied).
 *
 * Sign-ins feed the profile (auth/password.c, record_success): users.last_login
 * moves, the SSOAuth entry of authenticationMethods is counted,
 * userDetails.loginStatus becomes password_active / password_locked.
 *
 * Memory: forms, store structs and JSON are released before return; pages
 * are handed to the response.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oauth/handlers.h"
#include "auth/password.h"
#include "auth/websession.h"
#include "core/log.h"
#include "oauth/common.h"
#include "core/strutil.h"

#define COOKIE_PRE "pd_oauth_pre"
#define COOKIE_SID "pd_oauth_sid"

typedef struct {
    pd_server *srv;
    pd_request *req;
    pd_store *s;
    oauth_form form;
    oauth_authz_params p;
    pd_integration it;
    char scope[TOKEN_SCOPE_MAX];              /* normalised requested scopes */
    char origin[LIM_OAUTH_REDIRECT_URI_MAX + 1];
    char ip[64];
    int64_t now;
} actx;

static void actx_free(actx *a)
{
    oauth_form_free(&a->form);
    pd_integration_clear(&a->it);
}

static void store_failed(actx *a)
{
    oauth_html_error(a->req, 500, "Something went wrong", "The server could not reach its database. Try again later.");
}

/* ---- redirects --------------------------------------------------------- */

static void pct_append(char *out, size_t cap, size_t *o, const char *s, bool *overflow)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (*o + (plain ? 1 : 3) + 1 > cap) {
            *overflow = true;
            return;
        }
        if (plain) {
            out[(*o)++] = (char)*p;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o] = '\0';
}

/* 302 to redirect_uri with name=value (code or error) and state. */
static void redirect_back(actx *a, const char *name, const char *value)
{
    char loc[HTTP_HDR_VALUE_MAX];
    size_t o;
    bool overflow = false;
    const char *uri = a->p.redirect_uri;

    o = (size_t)snprintf(loc, sizeof(loc), "%s%c%s=", uri, strchr(uri, '?') ? '&' : '?', name);
    if (o >= sizeof(loc)) {
        overflow = true;
    } else {
        pct_append(loc, sizeof(loc), &o, value, &overflow);
        if (!overflow && a->p.state != NULL) {
            if (o + 8 >= sizeof(loc))
                overflow = true;
            else {
                memcpy(loc + o, "&state=", 8);
                o += 7;
                pct_append(loc, sizeof(loc), &o, a->p.state, &overflow);
            }
        }
    }
    if (overflow) {
        oauth_html_error(a->req, 400, "Sign-in error", "The redirect address and state are too long.");
        return;
    }
    resp_empty(a->req, 302);
    resp_header(a->req, MHD_HTTP_HEADER_LOCATION, loc);
    resp_header(a->req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    resp_header(a->req, "Referrer-Policy", "no-referrer");
}

/* ---- request validation ------------------------------------------------ */

static bool registered(const pd_integration *it, const char *uri)
{
    for (size_t i = 0; i < it->n_redirect_uris; i++)
        if (strcmp(it->redirect_uris[i], uri) == 0)
            return true;
    return false;
}

/* Validates the authorization request in a->form.  0, or -1 with the
 * answer set (an error page until the redirect URI is trusted, a redirect
 * with error=… afterwards). */
static int validate(actx *a)
{
    oauth_authz_params *p = &a->p;
    pd_err e;

    p->response_type = oauth_form_get(&a->form, "response_type");
    p->client_id = oauth_form_get(&a->form, "client_id");
    p->redirect_uri = oauth_form_get(&a->form, "redirect_uri");
    p->scope = oauth_form_get(&a->form, "scope");
    p->state = oauth_form_get(&a->form, "state");
    p->code_challenge = oauth_form_get(&a->form, "code_challenge");
    p->code_challenge_method = oauth_form_get(&a->form, "code_challenge_method");

    if (p->client_id == NULL || !oauth_client_id_valid(p->client_id)) {
        oauth_html_error(a->req, 400, "Sign-in error", "The application is unknown (client_id).");
        return -1;
    }
    e = a->s->ops->get_integration(a->s, p->client_id, &a->it);
    if (e == PD_ERR_NOT_FOUND) {
        oauth_html_error(a->req, 400, "Sign-in error", "The application is unknown (client_id).");
        return -1;
    }
    if (e != PD_OK) {
        store_failed(a);
        return -1;
    }
    if (p->redirect_uri == NULL || !registered(&a->it, p->redirect_uri) ||
        !oauth_redirect_uri_valid(p->redirect_uri, a->origin, sizeof(a->origin))) {
        oauth_html_error(a->req, 400, "Sign-in error",
                         "The redirect_uri is not registered for this application.");
        return -1;
    }
    if (p->state != NULL && strlen(p->state) > LIM_OAUTH_STATE_MAX) {
        oauth_html_error(a->req, 400, "Sign-in error", "The state parameter is too long.");
        return -1;
    }
    /* from here on the redirect URI is trusted: errors go back to the client */
    if (p->response_type == NULL || strcmp(p->response_type, "code") != 0) {
        redirect_back(a, "error", "unsupported_response_type");
        return -1;
    }
    if (oauth_scope_normalise(p->scope ? p->scope : "signature", a->scope, sizeof(a->scope)) != 0 ||
        !oauth_scope_subset(a->scope, a->it.allowed_scopes)) {
        redirect_back(a, "error", "invalid_scope");
        return -1;
    }
    if (p->code_challenge != NULL || p->code_challenge_method != NULL) {
        if (p->code_challenge == NULL || !oauth_pkce_challenge_valid(p->code_challenge) ||
            p->code_challenge_method == NULL || strcmp(p->code_challenge_method, "S256") != 0) {
            redirect_back(a, "error", "invalid_request");
            return -1;
        }
    } else if (a->it.secret_hash == NULL) {
        redirect_back(a, "error", "invalid_request");     /* public clients must use PKCE */
        return -1;
    }
    p->scope = a->scope;
    return 0;
}

typedef struct {
    oauth_form *f;
    bool bad;
} query_ctx;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    query_ctx *q = cls;

    (void)kind;
    if (oauth_form_add(q->f, key ? key : "", value ? value : "") != FORM_OK) {
        q->bad = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Common start of every handler: store, time, address, form. */
static int begin(actx *a, pd_server *srv, pd_request *req, bool body)
{
    memset(a, 0, sizeof(*a));
    a->srv = srv;
    a->req = req;
    a->now = (int64_t)time(NULL);
    oauth_remote_addr(srv, req, a->ip, sizeof(a->ip));
    if (!oauth_require_https(srv, req))
        return -1;
    a->s = server_store(srv);
    if (a->s == NULL) {
        store_failed(a);
        return -1;
    }
    if (body) {
        char mt[64];
        req_media_type(req, mt, sizeof(mt));
        if (strcmp(mt, "application/x-www-form-urlencoded") != 0 ||
            oauth_form_parse((const char *)req->body, req->body_len, &a->form) != FORM_OK) {
            oauth_html_error(req, 400, "Sign-in error", "The form could not be read.");
            return -1;
        }
    } else {
        query_ctx q = { &a->form, false };
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_arg, &q);
        if (q.bad) {
            oauth_html_error(req, 400, "Sign-in error",
                             "The request is malformed (a parameter is repeated or invalid).");
            return -1;
        }
    }
    return validate(a);
}

/* ---- sessions ---------------------------------------------------------- */

static int cookie(const pd_request *req, const char *name, char *out, size_t cap)
{
    const char *h = req_header(req, MHD_HTTP_HEADER_COOKIE);

    if (h == NULL || oauth_cookie_get(h, name, out, cap) != 0 || strlen(out) != OAUTH_RANDOM_CHARS)
        return -1;
    return 0;
}

/* The signed-in user of the session cookie (auth/websession.c) or -1. */
static int session_user(actx *a, char *sid, size_t sidcap, pd_user *u)
{
    if (cookie(a->req, COOKIE_SID, sid, sidcap) != 0)
        return -1;
    return web_session_user(a->s, sid, a->now, u) == PD_OK ? 0 : -1;
}

static int new_session(actx *a, const char *user_id, char *sid, size_t cap)
{
    return web_session_new(a->s, user_id, a->now, LIM_OAUTH_SESSION_TTL_S, sid, cap) == PD_OK ? 0 : -1;
}

/* ---- code, consent page ------------------------------------------------ */

static void issue_code(actx *a, const char *user_id)
{
    char code[OAUTH_RANDOM_CHARS + 1], family[40];
    pd_grant g;

    memset(&g, 0, sizeof(g));
    oauth_random(code, sizeof(code));
    guid_new(family, sizeof(family));
    oauth_hash(code, strlen(code), g.hash);
    g.kind = PD_GRANT_CODE;
    g.family = family;
    g.integration_key = a->it.key;
    g.user_id = (char *)user_id;
    g.redirect_uri = (char *)a->p.redirect_uri;
    g.scopes = a->scope;
    g.code_challenge = (char *)a->p.code_challenge;
    g.expires = a->now + LIM_OAUTH_CODE_TTL_S;
    if (a->s->ops->put_grant(a->s, &g) != PD_OK) {
        store_failed(a);
        return;
    }
    redirect_back(a, "code", code);
    sodium_memzero(code, sizeof(code));
}

/* With a signed-in user: redirect when consent covers the scopes, else the
 * consent page.  set_cookie (may be NULL) is added to the answer. */
static void consent_or_code(actx *a, const pd_user *u, const char *sid, const char *set_cookie)
{
    pd_consent c = {0};
    pd_err e = a->s->ops->get_consent(a->s, a->it.key, u->id, &c);
    bool covered = e == PD_OK && oauth_scope_subset(a->scope, c.scopes);

    pd_consent_clear(&c);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
        store_failed(a);
        return;
    }
    if (covered) {
        issue_code(a, u->id);
    } else {
        char csrf[OAUTH_RANDOM_CHARS + 1];
        size_t len = 0;
        oauth_csrf_make(server_keys(a->srv)->keys[0].secret, "consent", sid, csrf, sizeof(csrf));
        char *page = oauth_page_consent(a->it.name, u->email, &a->p, csrf, &len);
        oauth_html(a->req, 200, page, len, a->origin);
    }
    if (set_cookie != NULL)
        resp_header(a->req, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
}

static void signin_page(actx *a, int status, const char *pre, const char *email, const char *error,
                        const char *set_cookie)
{
    char csrf[OAUTH_RANDOM_CHARS + 1];
    size_t len = 0;
    char *page;

    oauth_csrf_make(server_keys(a->srv)->keys[0].secret, "login", pre, csrf, sizeof(csrf));
    page = oauth_page_signin(a->it.name, &a->p, csrf, email, error, &len);
    oauth_html(a->req, status, page, len, a->origin);
    if (set_cookie != NULL)
        resp_header(a->req, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
}

void h_oauth_auth(pd_server *srv, pd_request *req)
{
    char sid[OAUTH_RANDOM_CHARS + 1], pre[OAUTH_RANDOM_CHARS + 1], set[256];
    pd_user u = {0};
    actx a;

    if (begin(&a, srv, req, false) != 0)
        goto out;
    if (session_user(&a, sid, sizeof(sid), &u) == 0) {
        consent_or_code(&a, &u, sid, NULL);
        goto out;
    }
    if (cookie(req, COOKIE_PRE, pre, sizeof(pre)) == 0) {
        signin_page(&a, 200, pre, NULL, NULL, NULL);
        goto out;
    }
    oauth_random(pre, sizeof(pre));
    if (oauth_cookie_header(set, sizeof(set), COOKIE_PRE, pre, LIM_OAUTH_SESSION_TTL_S) != 0) {
        store_failed(&a);
        goto out;
    }
    signin_page(&a, 200, pre, NULL, NULL, set);
out:
    pd_user_clear(&u);
    actx_free(&a);
}

/* ---- sign-in ------------------------------------------------------------ */

void h_oauth_login(pd_server *srv, pd_request *req)
{
    char pre[OAUTH_RANDOM_CHARS + 1], sid[OAUTH_RANDOM_CHARS + 1], set[256];
    char email[LIM_EMAIL_MAX + 1];
    const char *em, *pw;
    pd_user u = {0};
    actx a;

    if (begin(&a, srv, req, true) != 0)
        goto out;
    if (cookie(req, COOKIE_PRE, pre, sizeof(pre)) != 0 ||
        !oauth_csrf_check(server_keys(srv), "login", pre, oauth_form_get(&a.form, "csrf_token"))) {
        oauth_security_log("login_failed", NULL, a.it.key, a.ip, "csrf");
        oauth_html_error(req, 403, "Sign-in error",
                         "The sign-in form expired or did not come from this site. Start again from the application.");
        goto out;
    }
    em = oauth_form_get(&a.form, "email");
    pw = oauth_form_get(&a.form, "password");
    if (em == NULL || pw == NULL || em[0] == '\0' || str_copy(email, sizeof(email), em) != 0) {
        signin_page(&a, 400, pre, em, "Enter your email and password.", NULL);
        goto out;
    }
    str_lower(email);
    /* the one password check (auth/password.c): slots, throttling, lockout, log */
    pw_request pr = {
        .login = email, .password = pw, .client = a.it.key, .ip = a.ip,
        .slots = oauth_pwhash_slots(srv), .record_success = true, .now = a.now,
    };
    switch (pw_check(a.s, &pr, &u)) {
    case PW_OK:
        break;
    case PW_BUSY:
        signin_page(&a, 503, pre, email, "The server is busy. Try again in a moment.", NULL);
        resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        goto out;
    case PW_ADDR_BLOCKED:
        signin_page(&a, 429, pre, email, "Too many failed sign-ins from your address. Try again later.", NULL);
        goto out;
    case PW_LOCKED:
        signin_page(&a, 429, pre, email,
                    "This account is locked after too many failed sign-ins. Try again later.", NULL);
        goto out;
    case PW_BAD:
        signin_page(&a, 401, pre, email, "The email or password is incorrect.", NULL);
        goto out;
    case PW_STORE:
    default:
        store_failed(&a);
        goto out;
    }
    if (new_session(&a, u.id, sid, sizeof(sid)) != 0 ||
        oauth_cookie_header(set, sizeof(set), COOKIE_SID, sid, LIM_OAUTH_SESSION_TTL_S) != 0) {
        store_failed(&a);
        goto out;
    }
    consent_or_code(&a, &u, sid, set);
out:
    pd_user_clear(&u);
    actx_free(&a);
}

/* ---- consent ------------------------------------------------------------- */

void h_oauth_consent(pd_server *srv, pd_request *req)
{
    char sid[OAUTH_RANDOM_CHARS + 1], joined[2 * TOKEN_SCOPE_MAX], scopes[TOKEN_SCOPE_MAX];
    pd_user u = {0};
    pd_consent old = {0};
    const char *decision;
    actx a;

    if (begin(&a, srv, req, true) != 0)
        goto out;
    if (session_user(&a, sid, sizeof(sid), &u) != 0) {
        oauth_security_log("consent_failed", NULL, a.it.key, a.ip, "no_session");
        oauth_html_error(req, 403, "Sign-in error", "Your sign-in expired. Start again from the application.");
        goto out;
    }
    if (!oauth_csrf_check(server_keys(srv), "consent", sid, oauth_form_get(&a.form, "csrf_token"))) {
        oauth_security_log("consent_failed", u.id, a.it.key, a.ip, "csrf");
        oauth_html_error(req, 403, "Sign-in error",
                         "The consent form expired or did not come from this site. Start again from the application.");
        goto out;
    }
    decision = oauth_form_get(&a.form, "decision");
    if (decision == NULL || strcmp(decision, "allow") != 0) {
        redirect_back(&a, "error", "access_denied");
        goto out;
    }
    pd_err e = a.s->ops->get_consent(a.s, a.it.key, u.id, &old);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
        store_failed(&a);
        goto out;
    }
    snprintf(joined, sizeof(joined), "%s %s", e == PD_OK ? old.scopes : "", a.scope);
    if (oauth_scope_normalise(joined, scopes, sizeof(scopes)) != 0)
        str_copy(scopes, sizeof(scopes), a.scope);
    pd_consent c = { .integration_key = a.it.key, .user_id = u.id, .scopes = scopes };
    if (a.s->ops->put_consent(a.s, &c) != PD_OK) {
        store_failed(&a);
        goto out;
    }
    issue_code(&a, u.id);
out:
    pd_consent_clear(&old);
    pd_user_clear(&u);
    actx_free(&a);
}
