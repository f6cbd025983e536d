/*
 * routes.c - the eSignature REST API table: its prefixes (facts §1; v2.1
 * and v2, with and without /restapi) and its routes.  Static data only.
 */
#include "esign/handlers.h"
#include "esign/prelude.h"

#define R_PROFILE "/accounts/{accountId}/users/{userId}/profile"
#define R_IMAGE   "/accounts/{accountId}/users/{userId}/profile/image"

static const pd_route routes[] = {
    { "GET",    "accounts/*/users/*/profile",       R_PROFILE, h_profile_get,  LIM_BODY_DEFAULT, 0 },
    { "PUT",    "accounts/*/users/*/profile",       R_PROFILE, h_profile_put,  LIM_BODY_PROFILE, ROUTE_LANE },
    { "GET",    "accounts/*/users/*/profile/image", R_IMAGE,   h_image_get,    LIM_BODY_DEFAULT, 0 },
    { "PUT",    "accounts/*/users/*/profile/image", R_IMAGE,   h_image_put,    LIM_BODY_IMAGE_UPLOAD, 0 },
    { "DELETE", "accounts/*/users/*/profile/image", R_IMAGE,   h_image_delete, LIM_BODY_DEFAULT, 0 },
};

/* Longest first so "/v2.1" is tried before "/v2". */
static const pd_prefix prefixes[] = {
    { "/restapi/v2.1", 1 },
    { "/restapi/v2",   0 },
    { "/v2.1",         1 },
    { "/v2",           0 },
};

const pd_api esign_api = {
    "esign", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL, esign_before_queue,
};
