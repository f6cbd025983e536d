/*
 * routes.c - the OAuth API table: the /oauth prefix and its routes.
 * Static data only.
 */
#include "oauth/common.h"
#include "oauth/handlers.h"

static const pd_route routes[] = {
    { "POST", "token",    "/oauth/token",    h_oauth_token,    LIM_BODY_OAUTH, 0 },
    { "GET",  "auth",     "/oauth/auth",     h_oauth_auth,     LIM_BODY_DEFAULT, 0 },
    { "POST", "login",    "/oauth/login",    h_oauth_login,    LIM_BODY_OAUTH, 0 },
    { "POST", "consent",  "/oauth/consent",  h_oauth_consent,  LIM_BODY_OAUTH, 0 },
    { "GET",  "userinfo", "/oauth/userinfo", h_oauth_userinfo, LIM_BODY_DEFAULT, 0 },
};

static const pd_prefix prefixes[] = { { "/oauth", 0 } };

const pd_api oauth_api = {
    "oauth", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), oauth_api_error, NULL, NULL,
};
