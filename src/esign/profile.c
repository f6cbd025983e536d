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
#include "model/profile.h"
#include "model/profile_write.h"
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

void h_profile_get(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    pd_user user = {0};
    json_t *doc = NULL;
    char key[RC_KEY_MAX];
    bool cacheable;

    /* the tags first, then the data follows (resp_cache.h); when the tags
     * come from the database, the read batch of a miss begins there */
    if (esign_check_reading(srv, req, &ctx) != PD_OK)
        goto out;
    cacheable = cache_key(req, &ctx, key, sizeof(key)) == 0 && ctx.tags.v_target >= 0;
    if (cacheable) {
        const rc_body *hit = rc_get(key, &ctx.tags, NULL);
        if (hit != NULL) {
            resp_prebuilt(req, 200, hit);
            goto out;
        }
    }
    /* the reads of a miss (tags, membership, user, accounts) share one read
     * transaction where that makes them cheaper (SQLite: one WAL read lock
     * instead of one each); they need no common snapshot - the response is
     * cached under the tags read before them, which any later write moves */
    if (!ctx.in_read)
        ctx.in_read = pd_store_begin_read_batch(ctx.store);
    if (esign_load_user(req, ACT_PROFILE_READ, &ctx, &user) != PD_OK)
        goto out;
    const profile_api api = req->api_minor ? PROFILE_API_V21 : PROFILE_API_V2;
    /* get_user read the default account with the row (v2.1 renders it) */
    profile_view v = {
        .user = &user, .account = &ctx.account, .membership = &ctx.target,
        .base_path = ctx.base_path, .api = api,
        .default_account_id = user.default_account_id,
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
    json_decref(doc);
    pd_user_clear(&user);
    esign_ctx_clear(&ctx);                      /* ends the read batch */
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

/* The read-merge-write is model/profile_write.c's, on the write lane the
 * prelude entered; 200 is sent only after the COMMIT that holds the
 * update. */
void h_profile_put(pd_server *srv, pd_request *req)
{
    esign_ctx ctx;
    json_t *patch = NULL;
    profile_write_out w;
    pd_errbuf eb;
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
    e = profile_write(ctx.store, ctx.user_id, patch, &w);
    if (e != PD_OK) {
        resp_error(req, e == PD_ERR_NOT_FOUND ? PD_ERR_USER_NOT_FOUND : e, w.reason);
        goto out;
    }
    esign_remember_own_write(req, &ctx, w.read_version);
    resp_empty(req, 200);
    req_audit(srv, req, "profile.update", ctx.account.id, ctx.user_id);
out:
    json_decref(patch);
    esign_ctx_clear(&ctx);
}
