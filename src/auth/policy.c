/*
 * policy.c - the access rules of facts §2 as a table-free decision:
 *   profile GET/PUT: self, or an admin of the account;
 *   image GET/PUT/DELETE: self only, even for admins;
 *   everything: caller must be a member of the account;
 *   Admin API: the user_read / user_write scope and an administrator of the
 *   organization in the path;
 *   ID card: displayProfile on, and a signed-in member of one of the
 *   target's accounts or a valid share link; every refusal looks like an
 *   unknown user.
 */
#include "auth/policy.h"
#include "auth/token.h"

pd_err policy_check(policy_action a, const policy_facts *f)
{
    if (!f->caller_is_member)
        return PD_ERR_USER_NOT_IN_ACCOUNT;
    if (f->target_is_self)
        return PD_OK;
    switch (a) {
    case ACT_PROFILE_READ:
    case ACT_PROFILE_WRITE:
        return f->caller_is_admin ? PD_OK : PD_ERR_LACKS_PERMISSIONS;
    case ACT_IMAGE_READ:
    case ACT_IMAGE_WRITE:
        return PD_ERR_LACKS_PERMISSIONS;
    }
    return PD_ERR_LACKS_PERMISSIONS;
}

pd_err policy_esign_scope(const char *scopes)
{
    return token_has_scope(scopes, "signature") ? PD_OK : PD_ERR_LACKS_PERMISSIONS;
}

pd_err policy_admin_scope(const char *scopes, policy_admin_action a, const char **why)
{
    const char *need = a == ADMIN_ACT_USER_WRITE ? "user_write" : "user_read";

    if (token_has_scope(scopes, need))
        return PD_OK;
    if (why != NULL)
        *why = a == ADMIN_ACT_USER_WRITE ? "The access token lacks the user_write scope."
                                         : "The access token lacks the user_read scope.";
    return PD_ERR_LACKS_PERMISSIONS;
}

pd_err policy_admin_check(bool caller_is_org_admin, const char **why)
{
    if (caller_is_org_admin)
        return PD_OK;
    if (why != NULL)
        *why = "The caller is not an administrator of this organization.";
    return PD_ERR_LACKS_PERMISSIONS;
}

pd_err policy_card_check(const policy_card_facts *f)
{
    if (!f->target_exists || !f->display_profile)
        return PD_ERR_USER_NOT_FOUND;
    if (f->viewer_shares_account || f->share_link_valid)
        return PD_OK;
    return PD_ERR_USER_NOT_FOUND;
}
