/*
 * prelude.c - what every Admin API request does first (admin/admin.h), and
 * the Admin error shape.  Order: token, scope, organizationId syntax, the
 * caller still Active, organization administrator, organization.  Nothing
 * about the organization is looked up before the caller is known to
 * administer it, and an unknown organization answers exactly like a
 * foreign one, so organization ids cannot be probed.
 */
#include "admin/admin.h"

#include <string.h>
#include <time.h>

#include "auth/policy.h"
#include "core/strutil.h"
#include "http/credentials.h"
#include "http/rate.h"
#include "store/versions.h"

/* The `error` member for each status class (RFC 6749 / 6750 spelling). */
static const char *error_name(int status)
{
    switch (status) {
    case 400: return "invalid_request";
    case 401: return "invalid_token";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 429: return "rate_limit_exceeded";
    case 503: return "temporarily_unavailable";
    default:  return status >= 500 ? "server_error" : "invalid_request";
    }
}

void admin_error(pd_request *req, pd_err e, const char *desc)
{
    const pd_err_info *info = pd_err_describe(e);
    json_t *o = json_pack("{s:s, s:s}", "error", error_name(info->status),
                          "error_description", desc ? desc : info->message);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(o);
    if (text == NULL) {
        resp_error(req, PD_ERR_INTERNAL, NULL);
        return;
    }
    resp_take(req, info->status, "application/json; charset=utf-8", (unsigned char *)text,
              strlen(text));
    req->resp.err_code = info->code;
    if (info->status == 401)
        resp_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"profiled\"");
}

static pd_err fail_uncounted(pd_request *req, pd_err e, const char *desc)
{
    admin_error(req, e, desc);
    return e;
}

/* Counts the request (http/rate.h) against kind:id, else the caller, else
 * the client's address; over a limit, that answer replaces any other. */
static pd_err over_limit(pd_server *srv, pd_request *req, const char *kind, const char *id)
{
    pd_err e = req_rate_limit(srv, req, kind, id);

    if (e != PD_OK) {
        req->resp.n_headers = 0;
        admin_error(req, e, req->rate.msg);
        req_rate_status(srv, req);
    }
    return e;
}

/* A refusal before the organization is known to be the caller's: charged
 * to the caller (or the address). */
static pd_err fail(pd_server *srv, pd_request *req, pd_err e, const char *desc)
{
    pd_err l = over_limit(srv, req, NULL, NULL);

    return l != PD_OK ? l : fail_uncounted(req, e, desc);
}

pd_err admin_begin(pd_server *srv, pd_request *req, admin_ctx *ctx)
{
    const char *why = NULL;
    int64_t v_caller = -1, v_unused = -1, gen = 0;
    pd_err e;

    memset(ctx, 0, sizeof(*ctx));
    e = req_bearer_verify(srv, req);
    if (e != PD_OK)
        return fail(srv, req, e, NULL);
    if (policy_admin_scope(req->caller.scope, ADMIN_ACT_USER_READ, &why) != PD_OK)
        return fail(srv, req, PD_ERR_LACKS_PERMISSIONS, why);
    if (req->n_params < 1 || str_copy(ctx->org_id, sizeof(ctx->org_id), req->params[0]) != 0 ||
        !str_is_guid(ctx->org_id))
        return fail(srv, req, PD_ERR_INVALID_PARAMETER, "organizationId must be a GUID.");
    str_lower(ctx->org_id);
    ctx->store = server_store(srv);
    if (ctx->store == NULL)
        return fail(srv, req, PD_ERR_STORE, NULL);
    if (pd_store_versions(ctx->store, req->caller.sub, req->caller.sub, &v_caller,
                          &v_unused, &gen) != PD_OK)
        return fail(srv, req, PD_ERR_STORE, NULL);
    if (v_caller < 0)
        return fail(srv, req, PD_ERR_INVALID_TOKEN, "The user of this access token is not active.");
    e = ctx->store->ops->check_org_admin(ctx->store, ctx->org_id, req->caller.sub);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND)
        return fail(srv, req, PD_ERR_STORE, NULL);
    if (policy_admin_check(e == PD_OK, &why) != PD_OK)
        return fail(srv, req, PD_ERR_LACKS_PERMISSIONS, why);
    /* an administrator is charged to the organization */
    e = over_limit(srv, req, "org", ctx->org_id);
    if (e != PD_OK)
        return e;
    e = ctx->store->ops->get_org(ctx->store, ctx->org_id, &ctx->org);
    if (e != PD_OK)                 /* an admin row implies the organization (foreign key) */
        return fail(srv, req, PD_ERR_STORE, NULL);
    return PD_OK;
}

void admin_ctx_clear(admin_ctx *ctx)
{
    pd_org_clear(&ctx->org);
}
