/*
 * token.c - POST /oauth/token: the JWT-bearer grant (RFC 7523), the
 * authorization-code grant (RFC 6749 §4.1, PKCE RFC 7636) and refresh
 * tokens rotated on every use (docs/oauth.md).
 *
 * Success is exactly {access_token, token_type, expires_in, refresh_token?,
 * scope?}; failures are {error, error_description} with 400 (401 for
 * client authentication); every answer carries Cache-Control: no-store.
 * Codes and refresh tokens are stored only as BLAKE2b-256 hashes; a used
 * code or refresh token presented again revokes its whole family (and a
 * token issued into a revoked family is stored revoked).  HTTPS only
 * (unless public-url is https); client secrets are verified in a bounded
 * Argon2id slot (503 when none is free) and failed client authentications
 * block an address / integration (429) before any hashing.
 *
 * Memory: the parsed form, the integration and grants are released before
 * return; the response owns its body.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oauth/handlers.h"
#include "oauth/common.h"
#include "core/strutil.h"

#define GRANT_JWT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define DEFAULT_SCOPE "signature"

typedef struct {
    pd_server *srv;
    pd_request *req;
    pd_store *s;
    oauth_form *form;
    int64_t now;
    char ip[64];
} tctx;

static void server_error(tctx *t)
{
    oauth_json_error(t->req, 500, "server_error", "the data store failed");
}

static void deny(tctx *t, int status, const char *error, const char *desc, const char *user,
                 const char *client, const char *reason)
{
    oauth_security_log("token_denied", user, client, t->ip, reason);
    oauth_json_error(t->req, status, error, desc);
}

static void answer(tctx *t, const char *access, int64_t expires_in, const char *refresh,
                   const char *scope)
{
    json_t *o = json_pack("{s:s, s:s, s:I}", "access_token", access, "token_type", "Bearer",
                          "expires_in", (json_int_t)expires_in);

    if (o == NULL) {
        server_error(t);
        return;
    }
    if (refresh != NULL)
        json_object_set_new(o, "refresh_token", json_string(refresh));
    if (scope != NULL && scope[0] != '\0')
        json_object_set_new(o, "scope", json_string(scope));
    oauth_json_ok(t->req, o);
    json_decref(o);
}

/* PD_OK when the user exists and is Active; PD_ERR_NOT_FOUND otherwise. */
static pd_err user_active(pd_store *s, const char *user_id)
{
    pd_user u = {0};
    pd_err e;

    if (!str_is_guid(user_id))
        return PD_ERR_NOT_FOUND;
    e = s->ops->get_user(s, user_id, &u);
    if (e == PD_OK && (u.status == NULL || strcmp(u.status, "Active") != 0))
        e = PD_ERR_NOT_FOUND;
    pd_user_clear(&u);
    return e;
}

/* ---- JWT bearer ---------------------------------------------------- */

static const char *jwt_reason(oauth_jwt_result r)
{
    switch (r) {
    case JWT_BAD_ALG:       return "bad_alg";
    case JWT_MALFORMED:     return "malformed_assertion";
    case JWT_BAD_SIGNATURE: return "bad_signature";
    case JWT_NO_KEYS:       return "no_usable_key";
    case JWT_BAD_AUDIENCE:  return "bad_audience";
    case JWT_EXPIRED:       return "expired";
    case JWT_TOO_LONG:      return "lifetime_too_long";
    case JWT_NOT_YET_VALID: return "not_yet_valid";
    case JWT_OK:            break;
    }
    return "invalid";
}

/* Checks the requested scopes of a JWT grant; fills scope. 0 or answered. */
static int jwt_scopes(tctx *t, const oauth_assertion *a, const pd_integration *it, char *scope,
                      size_t cap)
{
    if (oauth_scope_normalise(a->scope[0] ? a->scope : DEFAULT_SCOPE, scope, cap) != 0) {
        deny(t, 400, "invalid_scope", "the scope claim is malformed", a->sub, a->iss, "bad_scope");
        return -1;
    }
    if (!oauth_scope_subset(scope, it->allowed_scopes)) {
        deny(t, 400, "invalid_scope", "the integration may not ask for these scopes", a->sub,
             a->iss, "scope_not_allowed");
        return -1;
    }
    if (a->sub[0] != '\0' && !token_has_scope(scope, "impersonation")) {
        deny(t, 400, "invalid_scope", "a user token from the JWT grant needs the impersonation scope",
             a->sub, a->iss, "no_impersonation");
        return -1;
    }
    return 0;
}

/* The user part of a JWT grant: the user exists, is active and consented. */
static int jwt_user(tctx *t, oauth_assertion *a, const char *scope)
{
    pd_consent c = {0};
    pd_err e;

    str_lower(a->sub);
    e = user_active(t->s, a->sub);
    if (e == PD_ERR_NOT_FOUND) {
        deny(t, 400, "invalid_grant", "user_not_found", a->sub, a->iss, "user_not_found");
        return -1;
    }
    if (e != PD_OK) {
        server_error(t);
        return -1;
    }
    e = t->s->ops->get_consent(t->s, a->iss, a->sub, &c);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
        server_error(t);
        return -1;
    }
    bool ok = e == PD_OK && oauth_scope_subset(scope, c.scopes);
    pd_consent_clear(&c);
    if (!ok) {
        deny(t, 400, "consent_required", NULL, a->sub, a->iss, "consent_required");
        return -1;
    }
    return 0;
}

static void jwt_grant(tctx *t)
{
    const char *assertion = oauth_form_get(t->form, "assertion");
    char hosts[OAUTH_HOSTS_MAX][OAUTH_HOST_LEN];
    const char *host_ptrs[OAUTH_HOSTS_MAX];
    char scope[TOKEN_SCOPE_MAX];
    pd_integration it = {0};
    oauth_assertion a;
    oauth_jwt_result r;
    int64_t expires_in;
    size_t alen, nh;
    char *tok = NULL;
    pd_err e;

    if (assertion == NULL || assertion[0] == '\0') {
        oauth_json_error(t->req, 400, "invalid_request", "assertion is required");
        return;
    }
    alen = strlen(assertion);
    r = oauth_jwt_parse(assertion, alen, &a);          /* alg pinned: no crypto yet */
    if (r != JWT_OK) {
        deny(t, 400, "invalid_grant", oauth_jwt_result_text(r), NULL, NULL, jwt_reason(r));
        return;
    }
    e = t->s->ops->get_integration(t->s, a.iss, &it);
    if (e == PD_ERR_NOT_FOUND) {
        deny(t, 400, "invalid_grant", "issuer_not_found", a.sub, a.iss, "issuer_not_found");
        return;
    }
    if (e != PD_OK) {
        server_error(t);
        return;
    }
    r = oauth_jwt_verify(assertion, alen, (const char *const *)it.public_keys, it.n_public_keys);
    if (r == JWT_OK) {
        nh = oauth_hosts(t->srv, hosts);
        for (size_t i = 0; i < nh; i++)
            host_ptrs[i] = hosts[i];
        r = oauth_jwt_check_claims(&a, host_ptrs, nh, t->now);
    }
    if (r != JWT_OK) {
        deny(t, 400, "invalid_grant", oauth_jwt_result_text(r), a.sub, a.iss, jwt_reason(r));
        goto out;
    }
    if (jwt_scopes(t, &a, &it, scope, sizeof(scope)) != 0)
        goto out;
    if (a.sub[0] != '\0' && jwt_user(t, &a, scope) != 0)
        goto out;
    tok = oauth_mint_access(t->srv, a.sub, a.iss, scope, t->now, &expires_in);
    if (tok == NULL) {
        server_error(t);
        goto out;
    }
    answer(t, tok, expires_in, NULL, scope);
out:
    free(tok);
    pd_integration_clear(&it);
}

/* ---- client authentication ------------------------------------------ */

/* Refuses (429, before any hashing) when key is blocked; 0 when it is not,
 * -1 with the answer set otherwise. */
static int client_blocked(tctx *t, const char *key, const char *client, const char *reason)
{
    pd_throttle th;
    char retry[24];

    if (t->s->ops->get_throttle(t->s, key, &th) != PD_OK) {
        server_error(t);
        return -1;
    }
    if (!oauth_throttle_locked(&th, t->now))
        return 0;
    deny(t, 429, "invalid_client", "too many failed client authentications; try again later",
         NULL, client, reason);
    snprintf(retry, sizeof(retry), "%lld", (long long)(th.locked_until - t->now));
    resp_header(t->req, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    return -1;
}

/* Counts one failed client authentication against key (atomic). */
static void client_failed(tctx *t, const char *key, int64_t max, const char *client)
{
    pd_throttle th = {0};
    bool refused = false;

    if (t->s->ops->throttle_attempt(t->s, key, t->now, LIM_OAUTH_FAIL_WINDOW_S, max,
                                    LIM_OAUTH_LOCK_S, &th, &refused) == PD_OK &&
        !refused && th.locked_until > t->now)
        oauth_security_log(client != NULL ? "client_blocked" : "address_blocked", NULL, client,
                           t->ip, "too_many_client_failures");
}

/* Authenticates the client of a code or refresh grant: HTTP Basic with the
 * integration secret, or (public client: an integration without a secret)
 * client_id in the form.  Failures are counted per address and per known
 * integration; over LIM_OAUTH_CLIENT_(IP_)FAILS_MAX within the window the
 * answer is 429 before any hashing.  At most oauth_pwhash_slots()
 * verifications run at once (503 beyond).  Fills it; 0, or -1 with the
 * answer set. */
static int client_auth(tctx *t, pd_integration *it, bool *public_client)
{
    const char *h = req_header(t->req, MHD_HTTP_HEADER_AUTHORIZATION);
    char id[LIM_ID_MAX + 1], secret[LIM_OAUTH_SECRET_MAX + 1];
    char ip_key[96], client_key[LIM_ID_MAX + 16];
    pd_err e;
    int rc = -1;
    bool ok;

    *public_client = false;
    if (h == NULL) {
        const char *cid = oauth_form_get(t->form, "client_id");
        if (cid == NULL || !oauth_client_id_valid(cid)) {
            deny(t, 401, "invalid_client", "client authentication is required", NULL, NULL, "no_client");
            return -1;
        }
        e = t->s->ops->get_integration(t->s, cid, it);
        if (e == PD_OK && it->secret_hash == NULL) {
            *public_client = true;
            return 0;
        }
        pd_integration_clear(it);
        if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
            server_error(t);
            return -1;
        }
        deny(t, 401, "invalid_client", "client authentication failed", NULL, cid, "no_secret_sent");
        return -1;
    }
    if (oauth_basic_parse(h, id, sizeof(id), secret, sizeof(secret)) != 0) {
        deny(t, 401, "invalid_client", "malformed Basic credentials", NULL, NULL, "bad_basic");
        return -1;
    }
    snprintf(ip_key, sizeof(ip_key), "client-ip:%s", t->ip);
    if (client_blocked(t, ip_key, NULL, "address_blocked") != 0)
        goto out;
    e = oauth_client_id_valid(id) ? t->s->ops->get_integration(t->s, id, it) : PD_ERR_NOT_FOUND;
    if (e != PD_OK && e != PD_ERR_NOT_FOUND) {
        server_error(t);
        goto out;
    }
    /* per integration only for known ones: unknown ids would grow the table */
    snprintf(client_key, sizeof(client_key), "client:%s", e == PD_OK ? it->key : "");
    if (e == PD_OK && client_blocked(t, client_key, it->key, "client_blocked") != 0)
        goto out;
    if (!oauth_pwhash_acquire(t->srv)) {
        oauth_json_busy(t->req);
        goto out;
    }
    /* verify even for an unknown client or one without a secret: same cost */
    ok = oauth_password_ok(e == PD_OK ? it->secret_hash : NULL, secret);
    oauth_pwhash_release();
    if (!ok) {
        deny(t, 401, "invalid_client", "client authentication failed", NULL,
             oauth_client_id_valid(id) ? id : NULL, e == PD_OK ? "bad_secret" : "unknown_client");
        client_failed(t, ip_key, LIM_OAUTH_CLIENT_IP_FAILS_MAX, NULL);
        if (e == PD_OK)
            client_failed(t, client_key, LIM_OAUTH_CLIENT_FAILS_MAX, it->key);
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(secret, sizeof(secret));
    if (rc != 0)
        pd_integration_clear(it);
    return rc;
}

/* Fetches the grant of kind `kind` for value and marks it used.  On a replay
 * the family is revoked.  0 with *g filled, or -1 with the answer set. */
static int take_grant(tctx *t, const char *value, pd_grant_kind kind, const char *client,
                      pd_grant *g)
{
    unsigned char h[32];
    const char *what = kind == PD_GRANT_CODE ? "authorization code" : "refresh token";
    char desc[96];
    pd_err e;

    snprintf(desc, sizeof(desc), "the %s is invalid, expired or already used", what);
    oauth_hash(value, strlen(value), h);
    e = t->s->ops->get_grant(t->s, h, g);
    if (e == PD_OK && g->kind != kind)
        e = PD_ERR_NOT_FOUND;
    pd_grant_clear(g);
    if (e == PD_OK)
        e = t->s->ops->use_grant(t->s, h, g);
    if (e == PD_ERR_NOT_FOUND) {
        deny(t, 400, "invalid_grant", desc, NULL, client, kind == PD_GRANT_CODE ? "unknown_code" : "unknown_refresh");
        return -1;
    }
    if (e != PD_OK) {
        server_error(t);
        return -1;
    }
    if (g->used) {
        t->s->ops->revoke_grant_family(t->s, g->family);
        deny(t, 400, "invalid_grant", desc, g->user_id, client,
             kind == PD_GRANT_CODE ? "code_replay" : "refresh_replay");
        goto fail;
    }
    if (g->revoked || g->expires <= t->now) {
        deny(t, 400, "invalid_grant", desc, g->user_id, client, g->revoked ? "revoked" : "expired");
        goto fail;
    }
    if (g->integration_key == NULL || strcmp(g->integration_key, client) != 0) {
        deny(t, 400, "invalid_grant", desc, g->user_id, client, "other_client");
        goto fail;
    }
    return 0;
fail:
    pd_grant_clear(g);
    return -1;
}

/* Issues access + a new refresh token of family for user. */
static void issue_with_refresh(tctx *t, const char *client, const char *user, const char *scope,
                               const char *family)
{
    char refresh[OAUTH_RANDOM_CHARS + 1];
    int64_t expires_in;
    char *tok;
    pd_grant g;

    if (user_active(t->s, user) != PD_OK) {
        deny(t, 400, "invalid_grant", "user_not_found", user, client, "user_inactive");
        return;
    }
    memset(&g, 0, sizeof(g));
    oauth_random(refresh, sizeof(refresh));
    oauth_hash(refresh, strlen(refresh), g.hash);
    g.kind = PD_GRANT_REFRESH;
    g.family = (char *)family;
    g.integration_key = (char *)client;
    g.user_id = (char *)user;
    g.scopes = (char *)scope;
    g.expires = t->now + LIM_OAUTH_REFRESH_TTL_S;
    if (t->s->ops->put_grant(t->s, &g) != PD_OK) {
        server_error(t);
        return;
    }
    tok = oauth_mint_access(t->srv, user, client, scope, t->now, &expires_in);
    if (tok == NULL) {
        server_error(t);
        return;
    }
    answer(t, tok, expires_in, refresh, scope);
    free(tok);
    sodium_memzero(refresh, sizeof(refresh));
}

static void code_grant(tctx *t)
{
    const char *code = oauth_form_get(t->form, "code");
    const char *redirect = oauth_form_get(t->form, "redirect_uri");
    const char *verifier = oauth_form_get(t->form, "code_verifier");
    pd_integration it = {0};
    pd_grant g = {0};
    bool public_client;

    if (client_auth(t, &it, &public_client) != 0)
        return;
    if (code == NULL || code[0] == '\0') {
        oauth_json_error(t->req, 400, "invalid_request", "code is required");
        goto out;
    }
    if (take_grant(t, code, PD_GRANT_CODE, it.key, &g) != 0)
        goto out;
    if (redirect != NULL && (g.redirect_uri == NULL || strcmp(redirect, g.redirect_uri) != 0)) {
        deny(t, 400, "invalid_grant", "redirect_uri does not match the authorization request",
             g.user_id, it.key, "redirect_mismatch");
        goto out;
    }
    if (g.code_challenge != NULL ? !oauth_pkce_s256_ok(verifier, g.code_challenge)
                                 : (verifier != NULL || public_client)) {
        deny(t, 400, "invalid_grant", "PKCE verification failed", g.user_id, it.key, "pkce");
        goto out;
    }
    issue_with_refresh(t, it.key, g.user_id, g.scopes ? g.scopes : DEFAULT_SCOPE, g.family);
    t->s->ops->purge_grants(t->s, t->now - 24 * 3600);
out:
    pd_grant_clear(&g);
    pd_integration_clear(&it);
}

static void refresh_grant(tctx *t)
{
    const char *rt = oauth_form_get(t->form, "refresh_token");
    const char *want = oauth_form_get(t->form, "scope");
    char scope[TOKEN_SCOPE_MAX];
    pd_integration it = {0};
    pd_grant g = {0};
    bool public_client;

    if (client_auth(t, &it, &public_client) != 0)
        return;
    if (rt == NULL || rt[0] == '\0') {
        oauth_json_error(t->req, 400, "invalid_request", "refresh_token is required");
        goto out;
    }
    if (take_grant(t, rt, PD_GRANT_REFRESH, it.key, &g) != 0)
        goto out;
    if (str_copy(scope, sizeof(scope), g.scopes ? g.scopes : DEFAULT_SCOPE) != 0)
        goto out;
    if (want != NULL && (oauth_scope_normalise(want, scope, sizeof(scope)) != 0 ||
                         !oauth_scope_subset(scope, g.scopes ? g.scopes : ""))) {
        deny(t, 400, "invalid_scope", "the scope exceeds the original grant", g.user_id, it.key,
             "scope_widened");
        goto out;
    }
    issue_with_refresh(t, it.key, g.user_id, scope, g.family);
out:
    pd_grant_clear(&g);
    pd_integration_clear(&it);
}

static const char *form_problem(oauth_form_result r)
{
    switch (r) {
    case FORM_DUPLICATE: return "a parameter is given more than once";
    case FORM_TOO_MANY:  return "too many parameters";
    case FORM_CONTROL:   return "a parameter holds a control character";
    case FORM_NOMEM:     return "out of memory";
    default:             return "the body is not valid application/x-www-form-urlencoded";
    }
}

void h_oauth_token(pd_server *srv, pd_request *req)
{
    oauth_form form;
    char mt[64];
    oauth_form_result fr;
    tctx t = { .srv = srv, .req = req, .form = &form, .now = (int64_t)time(NULL) };
    const char *gt;

    oauth_remote_addr(srv, req, t.ip, sizeof(t.ip));
    if (!oauth_require_https(srv, req))
        return;
    req_media_type(req, mt, sizeof(mt));
    if (strcmp(mt, "application/x-www-form-urlencoded") != 0) {
        oauth_json_error(req, 400, "invalid_request",
                         "the body must be application/x-www-form-urlencoded");
        return;
    }
    fr = oauth_form_parse((const char *)req->body, req->body_len, &form);
    if (fr != FORM_OK) {
        oauth_json_error(req, 400, "invalid_request", form_problem(fr));
        goto out;
    }
    t.s = server_store(srv);
    if (t.s == NULL) {
        server_error(&t);
        goto out;
    }
    gt = oauth_form_get(&form, "grant_type");
    if (gt == NULL)
        oauth_json_error(req, 400, "invalid_request", "grant_type is required");
    else if (strcmp(gt, GRANT_JWT) == 0)
        jwt_grant(&t);
    else if (strcmp(gt, "authorization_code") == 0)
        code_grant(&t);
    else if (strcmp(gt, "refresh_token") == 0)
        refresh_grant(&t);
    else
        oauth_json_error(req, 400, "unsupported_grant_type",
                         "grant_type must be authorization_code, refresh_token or " GRANT_JWT);
out:
    oauth_form_free(&form);
}
