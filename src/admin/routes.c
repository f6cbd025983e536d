/*
 * routes.c - the Admin API table (docs/admin.md): its prefixes (facts §1:
 * /Management/v2 and /Management/v2.1, matched without regard to case as
 * the router does, and the bare /v2, /v2.1 the seed shows, which the
 * eSignature API also answers: the router falls through to this table for
 * paths that API does not know) and its routes.  Static data only.
 */
#include "admin/admin.h"

#define R_USERS     "/organizations/{organizationId}/users"
#define R_PROFILE   "/organizations/{organizationId}/users/profile"
#define R_DSPROFILE "/organizations/{organizationId}/users/dsprofile"
#define R_DSUSER    "/organizations/{organizationId}/users/{userId}/dsprofile"

static const pd_route routes[] = {
    { "GET", "organizations/*/users",             R_USERS,     h_admin_users,         LIM_BODY_DEFAULT, 0 },
    { "GET", "organizations/*/users/profile",     R_PROFILE,   h_admin_user_profiles, LIM_BODY_DEFAULT, 0 },
    { "GET", "organizations/*/users/dsprofile",   R_DSPROFILE, h_admin_ds_profiles,   LIM_BODY_DEFAULT, 0 },
    { "GET", "organizations/*/users/*/dsprofile", R_DSUSER,    h_admin_ds_profile,    LIM_BODY_DEFAULT, 0 },
};

/* Longest first so "/v2.1" is tried before "/v2". */
static const pd_prefix prefixes[] = {
    { "/Management/v2.1", 1 },
    { "/Management/v2",   0 },
    { "/v2.1",            1 },
    { "/v2",              0 },
};

const pd_api admin_api = {
    "admin", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), admin_error, NULL, NULL,
};
