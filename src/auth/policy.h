/*
 * policy.h - who may do what (facts §2).  Pure functions over facts the
 * handler has already looked up; no I/O, no allocation.  The store never
 * decides anything about access: these functions do, for every backend.
 */
#ifndef PROFILED_POLICY_H
#define PROFILED_POLICY_H

#include <stdbool.h>
#include "core/error.h"

typedef enum {
    ACT_PROFILE_READ,
    ACT_PROFILE_WRITE,
    ACT_IMAGE_READ,
    ACT_IMAGE_WRITE
} policy_action;

typedef struct {
    bool caller_is_member;     /* caller belongs to the account in the path */
    bool caller_is_admin;      /* ... and is an admin of it                 */
    bool target_is_self;       /* userId in the path is the caller          */
} policy_facts;

/*
 * PD_OK, or:
 *   PD_ERR_USER_NOT_IN_ACCOUNT  caller is not a member of the account
 *   PD_ERR_LACKS_PERMISSIONS    profile of another user without admin rights,
 *                               or any image action on another user
 */
pd_err policy_check(policy_action a, const policy_facts *f);

/* eSignature resources need the "signature" scope. PD_OK or PD_ERR_LACKS_PERMISSIONS. */
pd_err policy_esign_scope(const char *scopes);

/* Admin API (docs/admin.md): reading an organization's users needs the
 * `user_read` scope (changing them `user_write`) and an administrator of
 * that organization (an account admin is not one).  PD_OK or
 * PD_ERR_LACKS_PERMISSIONS; *why (may be NULL) gets a static explanation. */
typedef enum { ADMIN_ACT_USER_READ, ADMIN_ACT_USER_WRITE } policy_admin_action;
pd_err policy_admin_scope(const char *scopes, policy_admin_action a, const char **why);
pd_err policy_admin_check(bool caller_is_org_admin, const char **why);

/* The ID card (GET /idcard/{userId}, docs/pages.md).  Facts looked up by
 * the handler: */
typedef struct {
    bool target_exists;        /* the user exists and is Active              */
    bool display_profile;      /* the target's displayProfile flag is on     */
    bool viewer_shares_account;/* a signed-in viewer who is a member of an
                                  account the target belongs to (the target
                                  themself included)                        */
    bool share_link_valid;     /* a share link of this target: signature,
                                  expiry and not revoked in the database    */
} policy_card_facts;

/* PD_OK when the card may be shown, else PD_ERR_USER_NOT_FOUND: an unknown
 * user, displayProfile off and a viewer without the right all answer the
 * same, so nobody learns which users exist. */
pd_err policy_card_check(const policy_card_facts *f);

#endif
