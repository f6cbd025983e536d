/*
 * prelude.c - shared prelude of the eSignature handlers (see esign/prelude.h).
 * Order of checks: token, scope, accountId syntax, userId syntax, account
 * and caller membership, policy, target membership.  Syntax errors are
 * reported before anything is looked up; an unknown account and a foreign
 * one answer the same (no existence oracle).  Credentials: a Bearer token,
 * or - without an Authorization header - DocuSign's legacy
 * X-DocuSign-Authentication header (auth/legacy.c), which gives the same
 * caller identity and so the same access rules.
 */
#include "esign/prelude.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/credentials.h"
#include "http/rate.h"
#include "store/lookup_cache.h"
#include "store/versions.h"
#include "core/strutil.h"

/* X-DocuSign-Authentication instead of a token (auth/legacy.c). */
static pd_err legacy_authenticate(pd_server *srv, pd_request *req, const char *value)
{
    static const struct { pd_err e; const char *msg; } map[] = {
        [LEGACY_OK]        = { PD_OK, NULL },
        [LEGACY_MALFORMED] = { PD_ERR_LOGIN_FAILED, "The X-DocuSign-Authentication header could not be read: "
                               "send Username, Password and IntegratorKey as XML or JSON." },
        [LEGACY_PARTNER]   = { PD_ERR_INTEGRATOR_KEY_UNKNOWN, NULL },
        [LEGACY_LOGIN]     = { PD_ERR_LOGIN_FAILED, NULL },
        [LEGACY_LOCKED]    = { PD_ERR_LOGIN_FAILED, "The account is locked after too many failed sign-ins. Try again later." },
        [LEGACY_BLOCKED]   = { PD_ERR_LOGIN_FAILED, "Too many failed sign-ins from your address. Try again later." },
        [LEGACY_BUSY]      = { PD_ERR_UNAVAILABLE, "The server is busy verifying credentials; retry in a second." },
        [LEGACY_SOBO]      = { PD_ERR_LACKS_PERMISSIONS, "SendOnBehalfOf may only name the authenticated user." },
        [LEGACY_STORE]     = { PD_ERR_STORE, NULL },
    };
    legacy_result r = req_legacy_header(srv, req, value);

    if (r == LEGACY_OK)
        return PD_OK;
    resp_error(req, map[r].e, map[r].msg);
    if (r == LEGACY_BUSY)
        resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return map[r].e;
}

pd_err esign_authenticate(pd_server *srv, pd_request *req)
{
    const char *legacy = req_header(req, LEGACY_HEADER);
    pd_err e;

    /* legacy credentials only without an Authorization header */
    if (legacy != NULL && req_header(req, MHD_HTTP_HEADER_AUTHORIZATION) == NULL)
        return legacy_authenticate(srv, req, legacy);
    e = req_bearer_verify(srv, req);
    if (e != PD_OK)
        resp_error(req, e, NULL);
    return e;
}

static pd_err fail(pd_request *req, pd_err e)
{
    resp_error(req, e, NULL);
    return e;
}

/* Counts the request (http/rate.h); over a limit, that answer replaces any
 * other (and its headers, e.g. a 401's WWW-Authenticate). */
static pd_err over_limit(pd_server *srv, pd_request *req, const char *kind, const char *id)
{
    pd_err e = req_rate_limit(srv, req, kind, id);

    if (e != PD_OK) {
        req->resp.n_headers = 0;
        resp_error(req, e, req->rate.msg);
        req_rate_status(srv, req);
    }
    return e;
}

/* A failure before the account is known: charged to the caller (or address). */
static pd_err fail_counted(pd_server *srv, pd_request *req, pd_err e)
{
    pd_err l = over_limit(srv, req, NULL, NULL);

    return l != PD_OK ? l : fail(req, e);
}

static pd_err load_account(esign_ctx *ctx);
static pd_err load_membership(esign_ctx *ctx, const char *user_id, int64_t version, bool remember,
                              pd_membership *out);

/* The account and the caller's membership in it, once. */
static void look_up(pd_request *req, esign_ctx *ctx)
{
    if (ctx->looked_up)
        return;
    ctx->looked_up = true;
    ctx->account_e = load_account(ctx);
    ctx->caller_e = ctx->account_e != PD_OK ? ctx->account_e
                    : load_membership(ctx, req->caller.sub, ctx->tags.v_caller, true, &ctx->caller);
}

/* esign_authenticate; a failure is charged to the client's address. */
static pd_err authenticate_counted(pd_server *srv, pd_request *req)
{
    pd_err e = esign_authenticate(srv, req);

    if (e != PD_OK) {
        pd_err l = over_limit(srv, req, NULL, NULL);
        return l != PD_OK ? l : e;
    }
    return PD_OK;
}

bool esign_before_queue(pd_server *srv, pd_request *req)
{
    /* the user row a profile write locks, in the form the store keys it by */
    if (req->n_params >= 2 && str_copy(req->wq_key, sizeof(req->wq_key), req->params[1]) == 0 &&
        str_is_guid(req->wq_key))
        str_lower(req->wq_key);
    else
        req->wq_key[0] = '\0';
    return authenticate_counted(srv, req) == PD_OK;
}

/* esign_check; write: the database work of this request goes through the
 * write lane (store/lane.h), entered before the cache tags are read;
 * reading: esign_check_reading. */
static pd_err check(pd_server *srv, pd_request *req, esign_ctx *ctx, bool write, bool reading)
{
    pd_err e;

    memset(ctx, 0, sizeof(*ctx));
    /* authenticated already on its worker when queued (esign_before_queue) */
    e = req->authenticated ? PD_OK : authenticate_counted(srv, req);
    if (e != PD_OK)
        return e;
    if (policy_esign_scope(req->caller.scope) != PD_OK)
        return fail_counted(srv, req, PD_ERR_LACKS_PERMISSIONS);
    if (req->n_params < 2 || str_copy(ctx->acc_ref, sizeof(ctx->acc_ref), req->params[0]) != 0 ||
        !str_account_ref(ctx->acc_ref))
        return fail_counted(srv, req, PD_ERR_INVALID_ACCOUNT_ID);
    if (str_copy(ctx->user_id, sizeof(ctx->user_id), req->params[1]) != 0 ||
        !str_is_guid(ctx->user_id))
        return fail_counted(srv, req, PD_ERR_INVALID_USERID);
    str_lower(ctx->user_id);
    str_copy(ctx->base_path, sizeof(ctx->base_path), req->prefix);
    ctx->store = server_store(srv);
    if (ctx->store == NULL)
        return fail_counted(srv, req, PD_ERR_STORE);
    if (write) {
        ctx->own_store = ctx->store;
        ctx->store = pd_store_lane_enter(ctx->own_store);
    }
    e = reading ? pd_store_versions_reading(ctx->store, req->caller.sub, ctx->user_id,
                                            &ctx->tags.v_caller, &ctx->tags.v_target,
                                            &ctx->tags.generation, &ctx->in_read)
                : pd_store_versions(ctx->store, req->caller.sub, ctx->user_id, &ctx->tags.v_caller,
                                    &ctx->tags.v_target, &ctx->tags.generation);
    if (e != PD_OK)
        return fail_counted(srv, req, PD_ERR_STORE);
    if (ctx->tags.v_caller < 0) {
        e = over_limit(srv, req, NULL, NULL);
        if (e != PD_OK)
            return e;
        resp_error(req, PD_ERR_INVALID_TOKEN, "The user of this access token is not active.");
        return PD_ERR_INVALID_TOKEN;
    }
    if (!rl_enabled(srv->limiter))
        return PD_OK;
    /* a member is charged to the account (whichever form of its id the path
     * uses), anyone else to themselves: a foreign account's quota cannot be spent */
    look_up(req, ctx);
    if (ctx->caller_e == PD_OK)
        return over_limit(srv, req, "account", ctx->account.id);
    return over_limit(srv, req, NULL, NULL);
}

pd_err esign_check(pd_server *srv, pd_request *req, esign_ctx *ctx)
{
    return check(srv, req, ctx, false, false);
}

pd_err esign_check_reading(pd_server *srv, pd_request *req, esign_ctx *ctx)
{
    return check(srv, req, ctx, false, true);
}

/* Account by the path's accountId, through the per-thread lookup cache. */
static pd_err load_account(esign_ctx *ctx)
{
    pd_err e;

    if (lc_get_account(ctx->acc_ref, ctx->tags.generation, &ctx->account))
        return PD_OK;
    e = ctx->store->ops->get_account(ctx->store, ctx->acc_ref, &ctx->account);
    if (e == PD_OK)
        lc_put_account(ctx->acc_ref, ctx->tags.generation, &ctx->account);
    return e;
}

/* Membership of user_id (whose version is given) in the loaded account;
 * remember: through the lookup cache (the caller's, read on every request).
 * Not the target's of an admin's read: a response-cache miss is a new
 * (target, version), so the entry would be read again only after the
 * response cache lost it, and putting it would evict the callers'. */
static pd_err load_membership(esign_ctx *ctx, const char *user_id, int64_t version, bool remember,
                              pd_membership *out)
{
    pd_err e;

    if (remember && lc_get_membership(ctx->account.id, user_id, ctx->tags.generation, version, out))
        return PD_OK;
    e = ctx->store->ops->get_membership(ctx->store, ctx->account.id, user_id, out);
    if (e == PD_OK && remember)
        lc_put_membership(ctx->account.id, user_id, ctx->tags.generation, version, out);
    return e;
}

/* esign_load; user: also the target's user row (get_member_user for
 * another user: one round trip with the membership on PostgreSQL). */
static pd_err load(pd_request *req, policy_action act, esign_ctx *ctx, pd_user *user)
{
    policy_facts facts = {0};
    pd_err e;

    look_up(req, ctx);
    e = ctx->account_e;
    if (e == PD_ERR_NOT_FOUND)
        return fail(req, PD_ERR_USER_NOT_IN_ACCOUNT);
    if (e != PD_OK)
        return fail(req, PD_ERR_STORE);

    facts.target_is_self = strcmp(req->caller.sub, ctx->user_id) == 0;
    e = ctx->caller_e;
    if (e == PD_OK) {
        facts.caller_is_member = true;
        facts.caller_is_admin = ctx->caller.is_admin;
    } else if (e != PD_ERR_NOT_FOUND) {
        return fail(req, PD_ERR_STORE);
    }
    if (facts.target_is_self && e == PD_OK) {
        ctx->target = ctx->caller;          /* moves ownership */
        memset(&ctx->caller, 0, sizeof(ctx->caller));
    }
    pd_membership_clear(&ctx->caller);
    e = policy_check(act, &facts);
    if (e != PD_OK)
        return fail(req, e);
    if (!facts.target_is_self && user != NULL)
        e = ctx->store->ops->get_member_user(ctx->store, ctx->account.id, ctx->user_id,
                                             &ctx->target, user);
    else if (!facts.target_is_self)
        e = load_membership(ctx, ctx->user_id, ctx->tags.v_target, false, &ctx->target);
    else if (user != NULL)
        e = ctx->store->ops->get_user(ctx->store, ctx->user_id, user);
    else
        e = PD_OK;
    if (e == PD_ERR_NOT_FOUND)
        return fail(req, PD_ERR_USER_NOT_FOUND);
    if (e != PD_OK)
        return fail(req, PD_ERR_STORE);
    return PD_OK;
}

pd_err esign_load(pd_request *req, policy_action act, esign_ctx *ctx)
{
    return load(req, act, ctx, NULL);
}

pd_err esign_load_user(pd_request *req, policy_action act, esign_ctx *ctx, pd_user *user)
{
    return load(req, act, ctx, user);
}

pd_err esign_prelude(pd_server *srv, pd_request *req, policy_action act, esign_ctx *ctx)
{
    pd_err e = check(srv, req, ctx, act == ACT_PROFILE_WRITE || act == ACT_IMAGE_WRITE, false);

    return e != PD_OK ? e : esign_load(req, act, ctx);
}

void esign_remember_own_write(const pd_request *req, const esign_ctx *ctx, int64_t read_version)
{
    /* ctx->target is the caller's own membership (moved there by
     * esign_load), valid under (generation, v_caller); the write moved the
     * version by exactly one from v_caller, so nothing else changed it */
    if (ctx->target.account_id == NULL || ctx->account.id == NULL || ctx->tags.v_caller < 0 ||
        read_version != ctx->tags.v_caller || strcmp(req->caller.sub, ctx->user_id) != 0)
        return;
    lc_put_membership(ctx->account.id, ctx->user_id, ctx->tags.generation, read_version + 1,
                      &ctx->target);
}

void esign_ctx_clear(esign_ctx *ctx)
{
    if (ctx->in_read)
        ctx->store->ops->rollback(ctx->store);      /* ends the read batch */
    ctx->in_read = false;
    if (ctx->own_store != NULL)
        pd_store_lane_leave(ctx->own_store, ctx->store);
    ctx->own_store = NULL;
    pd_account_clear(&ctx->account);
    pd_membership_clear(&ctx->caller);
    pd_membership_clear(&ctx->target);
}
