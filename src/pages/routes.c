/*
 * routes.c - the browser pages' API table (docs/pages.md): /profile…,
 * /idcard/{userId}…, and the two assets under /pages.  Root-relative
 * patterns (prefix ""): cli/routes.c lists this API before health_api,
 * whose patterns do not overlap.  Also the asset handlers.
 */
#include <string.h>

#include "pages/web.h"

static void asset(pd_request *req, const char *ctype, const char *text)
{
    resp_copy(req, 200, ctype, text, strlen(text));
    resp_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=300");
    resp_header(req, "X-Content-Type-Options", "nosniff");
}

void h_pages_css(pd_server *srv, pd_request *req)
{
    (void)srv;
    asset(req, "text/css; charset=utf-8", PAGES_CSS);
}

void h_pages_js(pd_server *srv, pd_request *req)
{
    (void)srv;
    asset(req, "text/javascript; charset=utf-8", PAGES_JS);
}

static const pd_route routes[] = {
    { "GET",  "profile",              "/profile",               h_pages_profile,      LIM_BODY_DEFAULT, 0 },
    { "POST", "profile",              "/profile",               h_pages_edit,         LIM_BODY_OAUTH, 0 },
    { "POST", "profile/signin",       "/profile/signin",        h_pages_signin,       LIM_BODY_OAUTH, 0 },
    { "POST", "profile/signout",      "/profile/signout",       h_pages_signout,      LIM_BODY_OAUTH, 0 },
    { "GET",  "profile/image",        "/profile/image",         h_pages_image_get,    LIM_BODY_DEFAULT, 0 },
    { "POST", "profile/image",        "/profile/image",         h_pages_image_put,    LIM_BODY_IMAGE_UPLOAD, 0 },
    { "POST", "profile/image/delete", "/profile/image/delete",  h_pages_image_delete, LIM_BODY_OAUTH, 0 },
    { "POST", "profile/share",        "/profile/share",         h_pages_share_create, LIM_BODY_OAUTH, 0 },
    { "POST", "profile/share/revoke", "/profile/share/revoke",  h_pages_share_revoke, LIM_BODY_OAUTH, 0 },
    { "GET",  "idcard/*",             "/idcard/{userId}",       h_pages_card,         LIM_BODY_DEFAULT, 0 },
    { "GET",  "idcard/*/image",       "/idcard/{userId}/image", h_pages_card_image,   LIM_BODY_DEFAULT, 0 },
    { "GET",  "pages/pages.css",      "/pages/pages.css",       h_pages_css,          LIM_BODY_DEFAULT, 0 },
    { "GET",  "pages/pages.js",       "/pages/pages.js",        h_pages_js,           LIM_BODY_DEFAULT, 0 },
};

static const pd_prefix prefixes[] = { { "", 0 } };

const pd_api pages_api = {
    "pages", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), pages_early_error, NULL, NULL,
};
