/*
 * common.c - helpers shared by the OAuth handlers (oauth/common.h).
 *
 * The password check itself (Argon2id, the dummy hash, the verification
 * slots) and the security log line live in auth/password.c and
 * auth/seclog.c; the oauth_* names here are their OAuth-side spellings.
 *
 * Memory: bodies handed to oauth_html are taken (resp_take); JSON answers
 * are encoded into a new buffer owned by the response.
 */
#include "oauth/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/password.h"
#include "auth/seclog.h"
#include "core/log.h"
#include "core/strutil.h"

static void no_store(pd_request *req)
{
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    resp_header(req, MHD_HTTP_HEADER_PRAGMA, "no-cache");
}

static void json_answer(pd_request *req, int status, const json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

    if (text == NULL) {
        resp_copy(req, 500, "application/json", "{\"error\":\"server_error\"}", 24);
        return;
    }
    resp_take(req, status, "application/json; charset=utf-8", (unsigned char *)text, strlen(text));
}

void oauth_json_error(pd_request *req, int status, const char *error, const char *description)
{
    oauth_json_error_www(req, status, error, description,
                         status == 401 ? "Basic realm=\"profiled\"" : NULL);
}

void oauth_json_error_www(pd_request *req, int status, const char *error, const char *description,
                          const char *www_authenticate)
{
    json_t *o = json_pack("{s:s}", "error", error);

    if (o != NULL && description != NULL)
        json_object_set_new(o, "error_description", json_string(description));
    req->resp.n_headers = 0;
    no_store(req);
    if (www_authenticate != NULL)
        resp_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, www_authenticate);
    if (o == NULL) {
        resp_copy(req, 500, "application/json", "{\"error\":\"server_error\"}", 24);
        return;
    }
    json_answer(req, status, o);
    json_decref(o);
}

void oauth_json_ok(pd_request *req, const json_t *obj)
{
    no_store(req);
    json_answer(req, 200, obj);
}

void oauth_html(pd_request *req, int status, char *body, size_t len, const char *form_origin)
{
    char csp[512] = "";

    if (body != NULL && oauth_page_csp(csp, sizeof(csp), form_origin) != 0) {
        free(body);
        body = NULL;                          /* answered 500 below */
    }
    resp_html(req, status, body, len, csp);
}

void oauth_html_error(pd_request *req, int status, const char *title, const char *message)
{
    size_t len = 0;
    char *page = oauth_page_error(title, message, &len);

    oauth_html(req, status, page, len, NULL);
}

void oauth_api_error(pd_request *req, pd_err e, const char *msg)
{
    const pd_err_info *info = pd_err_describe(e);
    const char *page = req->route != NULL ? req->route->pattern : "";

    if (info->status != 503) {                 /* as before: eSignature's shape */
        resp_error(req, e, msg);
        return;
    }
    if (strcmp(page, "token") == 0 || strcmp(page, "userinfo") == 0 || req->route == NULL)
        oauth_json_error(req, 503, "temporarily_unavailable", msg ? msg : info->message);
    else
        oauth_html_error(req, 503, "Temporarily unavailable", msg ? msg : info->message);
    req->resp.err_code = info->code;
}

static void add_host(char hosts[OAUTH_HOSTS_MAX][OAUTH_HOST_LEN], size_t *n, const char *h, size_t hl)
{
    if (*n == OAUTH_HOSTS_MAX || hl == 0 || hl >= OAUTH_HOST_LEN)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strlen(hosts[i]) == hl && strncasecmp(hosts[i], h, hl) == 0)
            return;
    memcpy(hosts[*n], h, hl);
    hosts[*n][hl] = '\0';
    (*n)++;
}

static void add_listener(const pd_server *srv, char hosts[OAUTH_HOSTS_MAX][OAUTH_HOST_LEN],
                         size_t *n, unsigned port)
{
    char h[OAUTH_HOST_LEN];
    const char *l = srv->cfg->listen;
    int k;

    if (strcmp(l, "0.0.0.0") != 0 && strcmp(l, "::") != 0) {
        k = snprintf(h, sizeof(h), strchr(l, ':') ? "[%s]:%u" : "%s:%u", l, port);
        if (k > 0)
            add_host(hosts, n, h, (size_t)k);
    }
    k = snprintf(h, sizeof(h), "localhost:%u", port);
    if (k > 0)
        add_host(hosts, n, h, (size_t)k);
    k = snprintf(h, sizeof(h), "127.0.0.1:%u", port);
    if (k > 0)
        add_host(hosts, n, h, (size_t)k);
}

size_t oauth_hosts(const pd_server *srv, char hosts[OAUTH_HOSTS_MAX][OAUTH_HOST_LEN])
{
    size_t n = 0;
    const char *cfg = srv->cfg->oauth_hosts;

    if (cfg != NULL && cfg[0] != '\0') {
        const char *p = cfg;
        while (*p) {
            while (*p == ',' || *p == ' ')
                p++;
            size_t l = strcspn(p, ", ");
            add_host(hosts, &n, p, l);
            p += l;
        }
        return n;
    }
    /* an explicit public URL is the one name clients use: only its host */
    const char *auth = srv->cfg->public_url != NULL ? strstr(srv->cfg->public_url, "://") : NULL;
    if (auth != NULL) {
        auth += 3;
        add_host(hosts, &n, auth, strcspn(auth, "/?#"));
        return n;
    }
    if (srv->tls_daemon != NULL)
        add_listener(srv, hosts, &n, srv->tls_port);
    if (srv->daemon != NULL)
        add_listener(srv, hosts, &n, srv->port);
    return n;
}

void oauth_remote_addr(const pd_server *srv, const pd_request *req, char *out, size_t cap)
{
    req_client_addr(req, srv->cfg->trusted_proxies, out, cap);
}

void oauth_log_field(char *out, size_t cap, const char *in)
{
    seclog_field(out, cap, in);
}

void oauth_security_log(const char *event, const char *user, const char *client, const char *ip,
                        const char *reason)
{
    seclog(LOG_WARN, event, user, client, ip, reason);
}

void oauth_security_log_info(const char *event, const char *user, const char *client, const char *ip,
                             const char *reason)
{
    seclog(LOG_INFO, event, user, client, ip, reason);
}

/* ---- Argon2id slots, HTTPS -------------------------------------------- */

int oauth_pwhash_slots(const pd_server *srv)
{
    return pw_slots(srv != NULL && srv->cfg != NULL ? (long)srv->cfg->threads : 0);
}

bool oauth_pwhash_acquire(const pd_server *srv)
{
    return pw_slot_acquire(oauth_pwhash_slots(srv));
}

void oauth_pwhash_release(void)
{
    pw_slot_release();
}

void oauth_json_busy(pd_request *req)
{
    oauth_json_error(req, 503, "temporarily_unavailable",
                     "the server is busy verifying credentials; retry in a second");
    resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

bool oauth_require_https(const pd_server *srv, pd_request *req)
{
    if (server_request_https(srv, req))
        return true;
    oauth_json_error(req, 400, "invalid_request", "OAuth requires HTTPS");
    return false;
}

char *oauth_mint_access(const pd_server *srv, const char *sub, const char *cid, const char *scope,
                        int64_t now, int64_t *expires_in)
{
    token_claims c;

    memset(&c, 0, sizeof(c));
    if (str_copy(c.sub, sizeof(c.sub), sub ? sub : "") != 0 ||
        str_copy(c.cid, sizeof(c.cid), cid) != 0 ||
        str_copy(c.scope, sizeof(c.scope), scope) != 0)
        return NULL;
    c.iat = now;
    c.exp = now + LIM_OAUTH_ACCESS_TTL_S;
    *expires_in = LIM_OAUTH_ACCESS_TTL_S;
    return token_mint(server_keys(srv), &c);
}

const char *oauth_dummy_hash(void)
{
    return pw_dummy_hash();
}

bool oauth_password_ok(const char *hash, const char *password)
{
    return pw_verify(hash, password);
}
