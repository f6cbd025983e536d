/*
 * policy.c - the access rules of facts §2 as a table-free decision:
 *   profile GET/PUT: self, or an admin of the account;
 *   image GET/PUT/DELETE: self only, even for admins;
 *   everything: caller must be a member of the account.
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
