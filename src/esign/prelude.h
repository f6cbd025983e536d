/*
 * prelude.h - the steps every eSignature profile request shares:
 * authenticate the bearer token, validate accountId and userId, look up the
 * account and memberships, and ask auth/policy.c.  On failure the error response
 * is already set on the request and the function returns non-PD_OK.
 *
 * Memory: an esign_ctx owns the account and memberships it filled; release
 * with esign_ctx_clear().
 */
#ifndef PROFILED_ESIGN_H
#define PROFILED_ESIGN_H

#include <stdbool.h>

#include "http/http.h"
#include "auth/policy.h"
#include "http/resp_cache.h"
#include "http/server.h"
#include "store/store.h"

typedef struct {
    pd_store *store;           /* the store the handler uses: a write's is the write lane */
    pd_store *own_store;       /* a write's: the thread's own handle, whose lane store is
                                  (pd_store_lane_enter); released by esign_ctx_clear */
    pd_account account;
    pd_membership target;      /* membership of userId in the account */
    char user_id[LIM_ID_MAX + 1];   /* lower-cased target user id */
    char acc_ref[LIM_ID_MAX + 1];   /* accountId as given (GUIDs lower-cased) */
    char base_path[96];        /* e.g. "/restapi/v2.1" */
    rc_tags tags;              /* caller/target versions + generation, read by esign_check
                                  before any other data (response-cache tags) */
    bool looked_up;            /* account_e, caller_e and caller are set (esign_check does it
                                  when rate limits are on: a member is charged to the account) */
    pd_err account_e, caller_e;
    pd_membership caller;      /* the caller's membership in the account when caller_e == PD_OK */
    bool in_read;              /* a read batch is open on store (esign_check_reading, or the
                                  handler's own pd_store_begin_read_batch); esign_ctx_clear
                                  ends it */
} esign_ctx;

/* Authenticates the request: fills req->caller.  PD_OK or error response set. */
pd_err esign_authenticate(pd_server *srv, pd_request *req);
/* pd_api.before_queue (http/http.h): authenticates a PUT on its worker
 * before it is queued for the write queue, a failure charged to the
 * client's address as esign_check does; the prelude then does not
 * authenticate it again.  False: answered. */
bool esign_before_queue(pd_server *srv, pd_request *req);

/* The whole prelude for an action on .../accounts/{a}/users/{u}/...:
 * esign_check() then esign_load().  For a write (ACT_PROFILE_WRITE,
 * ACT_IMAGE_WRITE) ctx->store is the write lane (store/lane.h) from before
 * the tags are read until esign_ctx_clear, which every caller runs. */
pd_err esign_prelude(pd_server *srv, pd_request *req, policy_action act, esign_ctx *ctx);
/* Part 1: token, scope, accountId and userId syntax, then one query for
 * ctx->tags that also refuses a caller who is no longer Active (disabled or
 * closed users lose access at once, whatever their token's lifetime).
 * Every request is counted against the rate limits here (http/rate.h):
 * against the account when the caller is a member of it, else against the
 * caller, else (no valid credentials) against the client's address; over
 * a limit, that is the answer. */
pd_err esign_check(pd_server *srv, pd_request *req, esign_ctx *ctx);
/* esign_check for a read that goes on to the data when its response is not
 * cached: when the tags must come from the database, a read batch is begun
 * first (store/versions.h, pd_store_versions_reading) and left open for the
 * handler's reads (ctx->in_read). */
pd_err esign_check_reading(pd_server *srv, pd_request *req, esign_ctx *ctx);
/* Part 2: account, caller membership, policy, target membership. */
pd_err esign_load(pd_request *req, policy_action act, esign_ctx *ctx);
/* esign_load that also reads the target's user row into *user (the
 * caller clears it; left empty on failure): with the target's membership in
 * one store call (get_member_user) when the target is another user.  A
 * missing user answers as a missing membership does (USER_NOT_FOUND). */
pd_err esign_load_user(pd_request *req, policy_action act, esign_ctx *ctx, pd_user *user);
/* After a write that bumped the target's version from read_version to
 * read_version + 1 and changed nothing a membership holds (a profile or image
 * write): when the caller wrote their own record and read_version is the
 * version the caller's membership was read under (no other write came
 * between), the lookup cache keeps that membership under the new version, so
 * the caller's next request does not read it again. */
void esign_remember_own_write(const pd_request *req, const esign_ctx *ctx, int64_t read_version);
void esign_ctx_clear(esign_ctx *ctx);

#endif
