/*
 * userinfo.c - GET /oauth/userinfo (Bearer): who the token's user is and
 * which accounts they belong to, in DocuSign's shape (facts §6):
 *   {sub, name, given_name, family_name, created, email,
 *    accounts:[{account_id, is_default, account_name, base_uri,
 *               organization?:{organization_id, links:[{rel, href}]}}]}
 * accounts is always present; exactly one is the default (the lowest
 * account number) unless the user belongs to none.  base_uri is the public
 * origin of this server; clients append /restapi.
 *
 * Memory: the JSON document and store structs are released before return.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "oauth/handlers.h"
#include "oauth/common.h"
#include "core/json_fastload.h"
#include "core/strutil.h"

typedef struct {
    json_t *accounts;
    const char *base_uri;
    int failed;
} acc_ctx;

static int add_account(void *ctx, const void *row)
{
    acc_ctx *c = ctx;
    const pd_account *a = row;
    json_t *o = json_pack("{s:s, s:b, s:s, s:s}", "account_id", a->id,
                          "is_default", json_array_size(c->accounts) == 0,
                          "account_name", a->name ? a->name : "", "base_uri", c->base_uri);

    if (o == NULL) {
        c->failed = 1;
        return 1;
    }
    if (a->organization_id != NULL) {
        char href[512];
        snprintf(href, sizeof(href), "%s/Management/v2/organizations/%s", c->base_uri,
                 a->organization_id);
        json_t *org = json_pack("{s:s, s:[{s:s, s:s}]}", "organization_id", a->organization_id,
                                "links", "rel", "self", "href", href);
        if (org == NULL || json_object_set_new(o, "organization", org) != 0)
            c->failed = 1;
    }
    if (json_array_append_new(c->accounts, o) != 0)
        c->failed = 1;
    return c->failed;
}

static const char *detail(json_t *doc, const char *name)
{
    json_t *v = json_object_get(json_object_get(doc, "userDetails"), name);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static void userinfo_answer(pd_server *srv, pd_request *req, pd_store *s, const pd_user *u)
{
    json_t *doc = json_load_str(u->profile_json ? u->profile_json : "{}", 0, NULL);
    const char *first = detail(doc, "firstName"), *last = detail(doc, "lastName");
    const char *name = detail(doc, "userName");
    char joined[2 * LIM_NAME_MAX + 2];
    acc_ctx ac = { json_array(), srv->public_url, 0 };
    json_t *o = NULL;

    if (name == NULL) {
        snprintf(joined, sizeof(joined), "%s%s%s", first ? first : "", first && last ? " " : "",
                 last ? last : "");
        name = joined;
    }
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "sub", u->id, "name", name,
                  "given_name", first ? first : "", "family_name", last ? last : "",
                  "created", u->created ? u->created : "", "email", u->email ? u->email : "");
    if (o == NULL || ac.accounts == NULL ||
        s->ops->each_account_of_user(s, u->id, add_account, &ac) != PD_OK || ac.failed) {
        oauth_json_error(req, 500, "server_error", "cannot read the user's accounts");
        goto out;
    }
    json_object_set(o, "accounts", ac.accounts);
    oauth_json_ok(req, o);
out:
    json_decref(o);
    json_decref(ac.accounts);
    json_decref(doc);
}

void h_oauth_userinfo(pd_server *srv, pd_request *req)
{
    const char *h;
    size_t hlen;
    pd_user u = {0};
    pd_store *s;
    pd_err e;

    if (!oauth_require_https(srv, req))      /* the bearer token never travels in clear */
        return;
    if (req_bearer_token(req, &h, &hlen) != 0) {
        oauth_json_error_www(req, 401, "invalid_request", "a Bearer access token is required",
                             "Bearer realm=\"profiled\"");
        return;
    }
    if (token_verify(server_keys(srv), h, hlen, (int64_t)time(NULL), &req->caller) != PD_OK ||
        req->caller.sub[0] == '\0') {
        oauth_json_error_www(req, 401, "invalid_token",
                             "the access token is expired, revoked or malformed",
                             "Bearer realm=\"profiled\", error=\"invalid_token\"");
        return;
    }
    req->authenticated = true;
    s = server_store(srv);
    if (s == NULL) {
        oauth_json_error(req, 500, "server_error", "the data store failed");
        return;
    }
    e = s->ops->get_user(s, req->caller.sub, &u);
    if (e == PD_ERR_NOT_FOUND || (e == PD_OK && (u.status == NULL || strcmp(u.status, "Active") != 0))) {
        /* removed, disabled or closed users lose access at once (as in esign/prelude.c) */
        oauth_json_error_www(req, 401, "invalid_token", "the token's user no longer exists or is not active",
                             "Bearer realm=\"profiled\", error=\"invalid_token\"");
        goto out;
    }
    if (e != PD_OK) {
        oauth_json_error(req, 500, "server_error", "the data store failed");
        goto out;
    }
    userinfo_answer(srv, req, s, &u);
out:
    pd_user_clear(&u);
}
