/*
 * profile.c - GET and PUT .../accounts/{accountId}/users/{userId}/profile.
 *
 * GET renders the stored doc plus derived members (model/profile.c) as JSON or
 * XML.  PUT decodes a JSON or XML body (bounded), validates it reporting
 * every problem at once, and merges it into the stored doc; the merge is
 * written only if the user's version is still the one read (else read and
 * merge again), or inside one write transaction, so concurrent updates never
 * lose each other's changes and a rejected body changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "esign/prelude.h"
#include "http/audit.h"
#include "esign/handlers.h"
#include "core/jsonutil.h"
#include "core/json_compact.h"
#include "model/profile.h"
#include "model/profile_memo.h"
#include "model/profile_versions.h"
#include "http/resp_cache.h"
#include "core/strutil.h"
#include "codec/xml.h"

/* The response-cache key: everything in the request the bytes depend on. */
static int cache_key(const pd_request *req, const esign_ctx *ctx, char *key, size_t len)
{
    const char *parts[] = { "profile", req->prefix, req->want_xml ? "x" : "j", ctx->acc_ref,
                            req->caller.sub, ctx->user_id };

    return str_join(key, len, '|', parts, sizeof(parts) / sizeof(parts[0]));
}

/* each_account_of_user row: the first (lowest account number) is the
 * user's default account, as /oauth/userinfo marks it. */
static int first_account(void *cls, const void *row)
{
    char *out = cls;
    const pd_account *a = row;

    if (a->id != NULL)
        str_copy(out, LIM_ID_MAX + 1, a->id);
    return 1;
}

void h_profile_get(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    pd_user user = {0};
    json_t *doc = NULL;
    char key[RC_KEY_MAX], default_acc[LIM_ID_MAX + 1] = "";
    bool cacheable, in_read = false;
    pd_err e;

    /* esign_check reads the tags first, then the data follows (resp_cache.h) */
    if (esign_check(srv, req, &ctx) != PD_OK)
        goto out;
    cacheable = cache_key(req, &ctx, key, sizeof(key)) == 0 && ctx.tags.v_target >= 0;
    if (cacheable) {
        const rc_body *hit = rc_get(key, &ctx.tags, NULL);
        if (hit != NULL) {
            resp_prebuilt(req, 200, hit);
            goto out;
        }
    }
    /* the reads of a miss (membership, user, accounts) share one read
     * transaction where that makes them cheaper (SQLite: one WAL read lock
     * instead of one each); they need no common snapshot - the response is
     * cached under the tags read before them, which any later write moves */
    in_read = pd_store_begin_read_batch(ctx.store);
    if (esign_load(req, ACT_PROFILE_READ, &ctx) != PD_OK)
        goto out;
    e = ctx.store->ops->get_user(ctx.store, ctx.user_id, &user);
    if (e != PD_OK) {
        resp_error(req, e == PD_ERR_NOT_FOUND ? PD_ERR_USER_NOT_FOUND : PD_ERR_STORE, NULL);
        goto out;
    }
    const profile_api api = req->api_minor ? PROFILE_API_V21 : PROFILE_API_V2;
    /* the user's accounts only when the version renders defaultAccountId (v2.1) */
    if (profile_version_of(api)->default_account_id
        && ctx.store->ops->each_account_of_user(ctx.store, ctx.user_id, first_account, default_acc) != PD_OK) {
        resp_error(req, PD_ERR_STORE, NULL);
        goto out;
    }
    profile_view v = {
        .user = &user, .account = &ctx.account, .membership = &ctx.target,
        .base_path = ctx.base_path, .api = api,
        .default_account_id = default_acc[0] ? default_acc : NULL,
    };
    /* JSON without a jansson tree when the stored doc allows it (the same
     * bytes); XML and the unusual docs through the tree */
    size_t jlen = 0;
    char *json = req->want_xml ? NULL : profile_render_json(&v, &jlen);
    if (json != NULL) {
        resp_take(req, 200, "application/json; charset=utf-8", (unsigned char *)json, jlen);
    } else {
        doc = profile_render(&v);
        if (doc == NULL) {
            resp_error(req, PD_ERR_INTERNAL, "The stored profile could not be read.");
            goto out;
        }
        resp_object(req, 200, "userProfile", doc);
    }
    if (cacheable && req->resp.status == 200) {
        const rc_body *mr = rc_put(key, &ctx.tags, req->resp.body, req->resp.len,
                                         req->resp.content_type, NULL, NULL, 0);
        if (mr != NULL)
            resp_prebuilt(req, 200, mr);        /* send the cached copy */
    }
out:
    if (in_read)
        ctx.store->ops->rollback(ctx.store);    /* ends the read transaction */
    json_decref(doc);
    pd_user_clear(&user);
    esign_ctx_clear(&ctx);
}

/* Decodes the PUT body by media type; on failure sets the response. */
static json_t *decode_body(pd_request *req)
{
    char media[64], err[256];
    json_t *body = NULL;
    const char *p = (const char *)req->body;
    size_t n = req->body_len;

    req_media_type(req, media, sizeof(media));
    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        n--;
    }
    if (n == 0) {
        resp_error(req, PD_ERR_INVALID_BODY, "The request body is empty; send a userProfile object.");
        return NULL;
    }
    if (strcmp(media, "application/xml") == 0 || strcmp(media, "text/xml") == 0) {
        char *root = NULL;
        body = xml_to_json(p, n, &root, err, sizeof(err));
        free(root);
    } else if (media[0] == '\0' || strcmp(media, "application/json") == 0 ||
               strcmp(media, "text/json") == 0) {
        body = json_decode_bounded(p, n, LIM_JSON_DEPTH, err, sizeof(err));
    } else {
        resp_error(req, PD_ERR_INVALID_CONTENT_TYPE,
                   "Send the profile as application/json or application/xml.");
        return NULL;
    }
    if (body == NULL) {
        resp_error(req, PD_ERR_INVALID_BODY, err);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        resp_error(req, PD_ERR_INVALID_BODY, "The request body must be a userProfile object.");
        return NULL;
    }
    return body;
}

/* Reads the user's stored doc (the current transaction's view, if any)
 * into *user (the caller clears it), merges patch into it and encodes the
 * result into *text (malloc'd) and *merged, replacing what they held (the
 * caller frees both at the end); *canonical as profile_merge_canon says.
 * The stored doc is parsed only when the memo (model/profile_memo.h) does
 * not hold the tree of that exact text, and copied only when the memo cannot
 * hand that tree over (profile_memo_take: then the patch is merged into it
 * in place).  On failure sets the response. */
static pd_err merged_profile(pd_request *req, pd_store *st, const char *user_id,
                             const json_t *patch, pd_user *user, char **text, json_t **merged,
                             bool *canonical)
{
    json_t *stored = NULL;
    pd_err e;

    pd_user_clear(user);
    free(*text);                        /* a lost race's merge */
    *text = NULL;
    json_decref(*merged);
    *merged = NULL;
    e = st->ops->get_user(st, user_id, user);
    if (e != PD_OK) {
        resp_error(req, e == PD_ERR_NOT_FOUND ? PD_ERR_USER_NOT_FOUND : PD_ERR_STORE, NULL);
        return e;
    }
    *merged = profile_memo_take(user_id, user->version, user->profile_json);
    if (*merged != NULL) {
        if (!profile_merge_into(*merged, patch, canonical)) {
            json_decref(*merged);
            *merged = NULL;
        }
        goto encode;
    }
    stored = profile_memo_get(user_id, user->version, user->profile_json);
    if (stored == NULL)
        stored = json_loads(user->profile_json, 0, NULL);
    if (stored == NULL) {
        resp_error(req, PD_ERR_INTERNAL, "The stored profile could not be read.");
        return PD_ERR_INTERNAL;
    }
    *merged = profile_merge_canon(stored, patch, canonical);
encode:
    *text = *merged ? json_compact_encode(*merged, NULL) : NULL;
    if (*text == NULL && *merged != NULL)       /* a real number: jansson's own formatting */
        *text = json_dumps(*merged, JSON_COMPACT | JSON_PRESERVE_ORDER);
    e = PD_OK;
    if (*text == NULL) {
        resp_error(req, PD_ERR_INTERNAL, NULL);
        e = PD_ERR_INTERNAL;
    }
    json_decref(stored);
    return e;
}

/* The merge is written only if nobody wrote the user since it was read
 * (update_profile_if: the same version and document), so the read, merge
 * and encode run without the write lock and the two workers' PUTs overlap;
 * after
 * LIM_PUT_OPTIMISTIC_TRIES lost races (or on a backend without the op:
 * PostgreSQL) the read-merge-write runs inside one write transaction.
 * Either way 200 is sent only after the COMMIT that holds the update. */
void h_profile_put(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    json_t *patch = NULL, *merged = NULL;
    pd_user user = {0};
    char *text = NULL, now[40];
    pd_errbuf eb;
    bool in_tx = false, done = false, canonical = false;
    pd_err e;

    if (esign_prelude(srv, req, ACT_PROFILE_WRITE, &ctx) != PD_OK)
        goto out;
    patch = decode_body(req);
    if (patch == NULL)
        goto out;
    pd_errbuf_init(&eb);
    if (profile_validate_update(patch, req->api_minor ? PROFILE_API_V21 : PROFILE_API_V2, &eb) != PD_OK) {
        resp_error(req, PD_ERR_INVALID_BODY, eb.text);
        goto out;
    }
    const pd_store_ops *ops = ctx.store->ops;
    for (int i = 0; ops->update_profile_if != NULL && i < LIM_PUT_OPTIMISTIC_TRIES; i++) {
        if (merged_profile(req, ctx.store, ctx.user_id, patch, &user, &text, &merged,
                           &canonical) != PD_OK)
            goto out;
        time_now_iso(now, sizeof(now));
        e = ops->update_profile_if(ctx.store, ctx.user_id, user.version, user.profile_json, text, now);
        if (e == PD_OK) {
            done = true;
            break;
        }
        if (e != PD_ERR_NOT_FOUND) {
            resp_error(req, PD_ERR_STORE, NULL);
            goto out;
        }
    }
    if (!done) {
        if (ops->begin(ctx.store) != PD_OK) {
            resp_error(req, PD_ERR_STORE, NULL);
            goto out;
        }
        in_tx = true;
        if (merged_profile(req, ctx.store, ctx.user_id, patch, &user, &text, &merged,
                           &canonical) != PD_OK)
            goto out;
        time_now_iso(now, sizeof(now));
        if (ops->update_profile(ctx.store, ctx.user_id, text, now) != PD_OK ||
            ops->commit(ctx.store) != PD_OK) {
            resp_error(req, PD_ERR_STORE, NULL);
            goto out;
        }
        in_tx = false;
    }
    /* the write moved the user's version from user.version to one more:
     * the next PUT merges into this tree instead of parsing text again */
    profile_memo_put_canon(ctx.user_id, user.version + 1, text, merged, canonical);
    esign_remember_own_write(req, &ctx, user.version);
    resp_empty(req, 200);
    req_audit(srv, req, "profile.update", ctx.account.id, ctx.user_id);
out:
    if (in_tx)
        ctx.store->ops->rollback(ctx.store);
    free(text);
    json_decref(merged);
    json_decref(patch);
    pd_user_clear(&user);
    esign_ctx_clear(&ctx);
}
