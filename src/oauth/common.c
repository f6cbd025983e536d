/*
 * common.c - helpers shared by the OAuth handlers (oauth/common.h).
 *
 * Memory: bodies handed to oauth_html are taken (resp_take); JSON answers
 * are encoded into a new buffer owned by the response; the dummy hash is a
 * process-wide static computed once (pthread_once); the Argon2id slot
 * counter is a process-wide atomic.
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
    char csp[512];

    if (body == NULL || oauth_page_csp(csp, sizeof(csp), form_origin) != 0) {
        free(body);
        resp_copy(req, 500, "text/plain; charset=utf-8", "internal error", 14);
        return;
    }
    resp_take(req, status, "text/html; charset=utf-8", (unsigned char *)body, len);
    resp_header(req, "Content-Security-Policy", csp);
    resp_header(req, "X-Frame-Options", "DENY");
    resp_header(req, "X-Content-Type-Options", "nosniff");
    resp_header(req, "Referrer-Policy", "no-referrer");
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

void oauth_html_error(pd_request *req, int status, const char *title, const char *message)
{
    size_t len = 0;
    char *page = oauth_page_error(title, message, &len);

    oauth_html(req, status, page, len, NULL);
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
    size_t n = 0, max = cap - 1 < LIM_OAUTH_LOG_FIELD_MAX ? cap - 1 : LIM_OAUTH_LOG_FIELD_MAX;

    if (cap == 0)
        return;
    if (in == NULL || in[0] == '\0') {
        str_copy(out, cap, "-");
        return;
    }
    for (; in[n] != '\0' && n < max; n++) {
        unsigned char c = (unsigned char)in[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
        out[n] = ok ? (char)c : '_';
    }
    out[n] = '\0';
    if (in[n] != '\0' && n >= 3)                  /* cut: say so */
        memcpy(out + n - 3, "...", 3);
}

static void security_log(log_level level, const char *event, const char *user, const char *client,
                         const char *ip, const char *reason)
{
    char f[5][LIM_OAUTH_LOG_FIELD_MAX + 1];

    oauth_log_field(f[0], sizeof(f[0]), event);
    oauth_log_field(f[1], sizeof(f[1]), user);
    oauth_log_field(f[2], sizeof(f[2]), client);
    oauth_log_field(f[3], sizeof(f[3]), ip);
    oauth_log_field(f[4], sizeof(f[4]), reason);
    log_msg(level, "security", "%s user=%s client=%s ip=%s reason=%s", f[0], f[1], f[2], f[3], f[4]);
}

void oauth_security_log(const char *event, const char *user, const char *client, const char *ip,
                        const char *reason)
{
    security_log(LOG_WARN, event, user, client, ip, reason);
}

void oauth_security_log_info(const char *event, const char *user, const char *client, const char *ip,
                             const char *reason)
{
    security_log(LOG_INFO, event, user, client, ip, reason);
}

/* ---- Argon2id slots, HTTPS -------------------------------------------- */

static atomic_int pwhash_busy;
static atomic_long ncpu_cached;

int oauth_pwhash_slots(const pd_server *srv)
{
    long threads = srv != NULL && srv->cfg != NULL ? (long)srv->cfg->threads : 0;

    if (threads <= 0) {                  /* as http/server.c: one worker per core */
        threads = atomic_load(&ncpu_cached);
        if (threads <= 0) {
            threads = sysconf(_SC_NPROCESSORS_ONLN);
            if (threads <= 0)
                threads = 1;
            atomic_store(&ncpu_cached, threads);
        }
    }
    threads /= LIM_OAUTH_PWHASH_THREADS_DIV;
    return threads < 1 ? 1 : threads > 1024 ? 1024 : (int)threads;
}

bool oauth_pwhash_acquire(const pd_server *srv)
{
    int max = oauth_pwhash_slots(srv);

    if (atomic_fetch_add(&pwhash_busy, 1) < max)
        return true;
    atomic_fetch_sub(&pwhash_busy, 1);
    return false;
}

void oauth_pwhash_release(void)
{
    atomic_fetch_sub(&pwhash_busy, 1);
}

void oauth_json_busy(pd_request *req)
{
    oauth_json_error(req, 503, "temporarily_unavailable",
                     "the server is busy verifying credentials; retry in a second");
    resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

bool oauth_require_https(const pd_server *srv, pd_request *req)
{
    const union MHD_ConnectionInfo *ci = req->conn == NULL ? NULL :
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const char *pub = srv->cfg->public_url;

    if ((ci != NULL && ci->tls_session != NULL) ||
        (pub != NULL && strncasecmp(pub, "https://", 8) == 0))
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

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy(void)
{
    char pw[OAUTH_RANDOM_CHARS + 1];

    oauth_random(pw, sizeof(pw));
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof(pw));
}

const char *oauth_dummy_hash(void)
{
    pthread_once(&dummy_once, make_dummy);
    return dummy_hash;
}

bool oauth_password_ok(const char *hash, const char *password)
{
    size_t pl = password ? strlen(password) : 0;
    bool real = hash != NULL && hash[0] != '\0' && strlen(hash) < crypto_pwhash_STRBYTES;
    const char *h = real ? hash : oauth_dummy_hash();

    if (password == NULL || pl > LIM_PASSWORD_MAX) {
        password = "";
        pl = 0;
    }
    if (h[0] == '\0')
        return false;
    return crypto_pwhash_str_verify(h, password, pl) == 0 && real && pl > 0;
}
