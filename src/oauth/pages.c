/*
 * pages.c - the HTML of the browser flow: sign-in (email and
 * password), consent (the requested scopes) and error pages (oauth.h).
 *
 * Everything echoed into a page goes through oauth_buf_add_escaped.  The
 * one stylesheet is inline and allowed by its SHA-256 hash in the
 * Content-Security-Policy (no script at all: default-src 'none').
 *
 * Memory: pages are built in a growing malloc'd buffer (core/html.h, at
 * most 64 KiB) handed to the caller.
 */
#include "oauth/oauth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"

static const char CSS[] =
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d1d1f}"
    "main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem}"
    "input[type=email],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{margin-top:1.2rem;padding:.55rem 1.2rem;margin-right:.5rem}"
    ".err{color:#b00020}li{margin:.3rem 0}";

void oauth_buf_add(oauth_buf *b, const char *s)
{
    html_add(b, s);
}

void oauth_buf_add_escaped(oauth_buf *b, const char *s)
{
    html_add_escaped(b, s);
}

int oauth_page_csp(char *out, size_t cap, const char *form_origin)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char *b64;
    int n;

    crypto_hash_sha256(h, (const unsigned char *)CSS, sizeof(CSS) - 1);
    b64 = b64_encode(h, sizeof(h), NULL);
    if (b64 == NULL)
        return -1;
    n = snprintf(out, cap,
                 "default-src 'none'; style-src 'sha256-%s'; form-action 'self'%s%s; "
                 "frame-ancestors 'none'; base-uri 'none'",
                 b64, form_origin ? " " : "", form_origin ? form_origin : "");
    free(b64);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static void head(oauth_buf *b, const char *title)
{
    oauth_buf_add(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                     "<meta name=\"referrer\" content=\"no-referrer\"><title>");
    oauth_buf_add_escaped(b, title);
    oauth_buf_add(b, "</title><style>");
    oauth_buf_add(b, CSS);
    oauth_buf_add(b, "</style></head><body><main>\n<h1>");
    oauth_buf_add_escaped(b, title);
    oauth_buf_add(b, "</h1>\n");
}

static char *finish(oauth_buf *b, size_t *len)
{
    oauth_buf_add(b, "</main></body></html>\n");
    if (b->failed) {
        free(b->p);
        return NULL;
    }
    *len = b->len;
    return b->p;
}

static void hidden(oauth_buf *b, const char *name, const char *value)
{
    if (value == NULL)
        return;
    oauth_buf_add(b, "<input type=\"hidden\" name=\"");
    oauth_buf_add(b, name);
    oauth_buf_add(b, "\" value=\"");
    oauth_buf_add_escaped(b, value);
    oauth_buf_add(b, "\">\n");
}

static void authz_hidden(oauth_buf *b, const oauth_authz_params *p, const char *csrf)
{
    hidden(b, "csrf_token", csrf);
    hidden(b, "response_type", p->response_type);
    hidden(b, "client_id", p->client_id);
    hidden(b, "redirect_uri", p->redirect_uri);
    hidden(b, "scope", p->scope);
    hidden(b, "state", p->state);
    hidden(b, "code_challenge", p->code_challenge);
    hidden(b, "code_challenge_method", p->code_challenge_method);
}

char *oauth_page_error(const char *title, const char *message, size_t *len)
{
    oauth_buf b = {0};

    head(&b, title);
    oauth_buf_add(&b, "<p class=\"err\" id=\"error\">");
    oauth_buf_add_escaped(&b, message);
    oauth_buf_add(&b, "</p>\n");
    return finish(&b, len);
}

char *oauth_page_signin(const char *app_name, const oauth_authz_params *p, const char *csrf,
                        const char *email, const char *error, size_t *len)
{
    oauth_buf b = {0};

    head(&b, "Sign in to profiled");
    oauth_buf_add(&b, "<p><strong>");
    oauth_buf_add_escaped(&b, app_name);
    oauth_buf_add(&b, "</strong> asks you to sign in.</p>\n");
    if (error != NULL) {
        oauth_buf_add(&b, "<p class=\"err\" id=\"error\" role=\"alert\">");
        oauth_buf_add_escaped(&b, error);
        oauth_buf_add(&b, "</p>\n");
    }
    oauth_buf_add(&b, "<form method=\"post\" action=\"/oauth/login\">\n");
    authz_hidden(&b, p, csrf);
    oauth_buf_add(&b, "<label for=\"email\">Email</label>"
                      "<input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"username\" "
                      "required value=\"");
    oauth_buf_add_escaped(&b, email ? email : "");
    oauth_buf_add(&b, "\">\n<label for=\"password\">Password</label>"
                      "<input type=\"password\" id=\"password\" name=\"password\" "
                      "autocomplete=\"current-password\" required>\n"
                      "<button type=\"submit\" id=\"signin\">Sign in</button>\n</form>\n");
    return finish(&b, len);
}

static const struct { const char *scope, *text; } SCOPE_TEXT[] = {
    { "signature",     "Read and change your eSignature profile" },
    { "impersonation", "Act on your behalf without you being present" },
    { "extended",      "Keep access without asking you again" },
    { "openid",        "Know who you are" },
    { "user_read",     "Read the users of organizations you administer" },
    { "user_write",    "Change the users of organizations you administer" },
    { "organization_read", "Read the organizations you administer" },
};

static void scope_items(oauth_buf *b, const char *scopes)
{
    const char *p = scopes ? scopes : "";
    char tok[128];

    oauth_buf_add(b, "<ul id=\"scopes\">\n");
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        size_t l = strcspn(p, " ");
        if (l < sizeof(tok)) {
            const char *text = NULL;
            memcpy(tok, p, l);
            tok[l] = '\0';
            for (size_t i = 0; i < sizeof(SCOPE_TEXT) / sizeof(SCOPE_TEXT[0]); i++)
                if (strcmp(SCOPE_TEXT[i].scope, tok) == 0)
                    text = SCOPE_TEXT[i].text;
            oauth_buf_add(b, "<li><code>");
            oauth_buf_add_escaped(b, tok);
            oauth_buf_add(b, "</code>");
            if (text != NULL) {
                oauth_buf_add(b, ": ");
                oauth_buf_add(b, text);
            }
            oauth_buf_add(b, "</li>\n");
        }
        p += l;
    }
    oauth_buf_add(b, "</ul>\n");
}

char *oauth_page_consent(const char *app_name, const char *user_email,
                         const oauth_authz_params *p, const char *csrf, size_t *len)
{
    oauth_buf b = {0};

    head(&b, "Allow access?");
    oauth_buf_add(&b, "<p>Signed in as <strong id=\"who\">");
    oauth_buf_add_escaped(&b, user_email);
    oauth_buf_add(&b, "</strong>.</p>\n<p><strong>");
    oauth_buf_add_escaped(&b, app_name);
    oauth_buf_add(&b, "</strong> asks for permission to:</p>\n");
    scope_items(&b, p->scope);
    oauth_buf_add(&b, "<form method=\"post\" action=\"/oauth/consent\">\n");
    authz_hidden(&b, p, csrf);
    oauth_buf_add(&b, "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>"
                      "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\n"
                      "</form>\n");
    return finish(&b, len);
}
