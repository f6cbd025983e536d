/*
 * router.c - the route table and the path matcher.
 *
 * A route belongs to a family; each family has the path prefixes under
 * which it is reachable (facts §1).  Literal segments match without regard
 * to case (IIS does the same); "*" captures one segment into req->params,
 * pointing into req->pathbuf (no allocation).
 */
#include "http.h"

#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "strutil.h"

static const pd_route routes[] = {
    { FAM_ROOT,  "GET",    "healthz", "/healthz", h_health, LIM_BODY_DEFAULT },
    { FAM_ESIGN, "GET",    "accounts/*/users/*/profile",
      "/accounts/{accountId}/users/{userId}/profile", h_profile_get, LIM_BODY_DEFAULT },
    { FAM_ESIGN, "PUT",    "accounts/*/users/*/profile",
      "/accounts/{accountId}/users/{userId}/profile", h_profile_put, LIM_BODY_PROFILE },
    { FAM_ESIGN, "GET",    "accounts/*/users/*/profile/image",
      "/accounts/{accountId}/users/{userId}/profile/image", h_image_get, LIM_BODY_DEFAULT },
    { FAM_ESIGN, "PUT",    "accounts/*/users/*/profile/image",
      "/accounts/{accountId}/users/{userId}/profile/image", h_image_put, LIM_BODY_IMAGE_UPLOAD },
    { FAM_ESIGN, "DELETE", "accounts/*/users/*/profile/image",
      "/accounts/{accountId}/users/{userId}/profile/image", h_image_delete, LIM_BODY_DEFAULT },
    { FAM_OAUTH, "POST",   "token",    "/oauth/token",    h_oauth_token,    LIM_BODY_OAUTH },
    { FAM_OAUTH, "GET",    "auth",     "/oauth/auth",     h_oauth_auth,     LIM_BODY_DEFAULT },
    { FAM_OAUTH, "POST",   "login",    "/oauth/login",    h_oauth_login,    LIM_BODY_OAUTH },
    { FAM_OAUTH, "POST",   "consent",  "/oauth/consent",  h_oauth_consent,  LIM_BODY_OAUTH },
    { FAM_OAUTH, "GET",    "userinfo", "/oauth/userinfo", h_oauth_userinfo, LIM_BODY_DEFAULT },
};

/* Prefixes per family, longest first so "/v2.1" wins over "/v2". */
static const struct { route_family fam; const char *prefix; int minor; } prefixes[] = {
    { FAM_ESIGN, "/restapi/v2.1", 1 },
    { FAM_ESIGN, "/restapi/v2",   0 },
    { FAM_ESIGN, "/v2.1",         1 },
    { FAM_ESIGN, "/v2",           0 },
    { FAM_OAUTH, "/oauth",        0 },
    { FAM_ROOT,  "",              0 },
};

#define MAX_SEGS 12

/* Splits s in place on '/', skipping empty segments. Returns count or -1. */
static int split(char *s, char *segs[MAX_SEGS])
{
    int n = 0;
    char *p = s;

    while (*p) {
        while (*p == '/')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (n == MAX_SEGS)
            return -1;
        segs[n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return n;
}

static int pattern_match(const char *pattern, char **segs, int nseg,
                         const char **params, size_t *n_params)
{
    char pat[128];
    char *psegs[MAX_SEGS];
    int np;
    size_t k = 0;

    if (str_copy(pat, sizeof(pat), pattern) != 0)
        return 0;
    np = split(pat, psegs);
    if (np != nseg)
        return 0;
    for (int i = 0; i < np; i++) {
        if (strcmp(psegs[i], "*") == 0) {
            if (k == HTTP_MAX_PARAMS)
                return 0;
            params[k++] = segs[i];
        } else if (strcasecmp(psegs[i], segs[i]) != 0) {
            return 0;
        }
    }
    *n_params = k;
    return 1;
}

/* The prefix of path for family fam: returns the rest of the path or NULL. */
static const char *strip_prefix(const char *path, size_t pi)
{
    size_t n = strlen(prefixes[pi].prefix);

    if (strncasecmp(path, prefixes[pi].prefix, n) != 0)
        return NULL;
    if (path[n] != '/' && path[n] != '\0')
        return NULL;
    return path + n;
}

route_result router_match(pd_request *r, const char *path)
{
    bool path_known = false;
    size_t allow_len = 0;

    r->allow[0] = '\0';
    for (size_t pi = 0; pi < sizeof(prefixes) / sizeof(prefixes[0]); pi++) {
        const char *rest = strip_prefix(path, pi);
        char *segs[MAX_SEGS];
        int nseg;

        if (rest == NULL)
            continue;
        if (str_copy(r->pathbuf, sizeof(r->pathbuf), rest) != 0)
            return ROUTE_NOT_FOUND;
        nseg = split(r->pathbuf, segs);
        if (nseg < 0)
            return ROUTE_NOT_FOUND;
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
            const pd_route *rt = &routes[i];
            size_t np = 0;
            if (rt->family != prefixes[pi].fam)
                continue;
            if (!pattern_match(rt->pattern, segs, nseg, r->params, &np))
                continue;
            if (strcmp(rt->method, r->method) == 0 ||
                (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
                r->route = rt;
                r->n_params = np;
                str_copy(r->prefix, sizeof(r->prefix), prefixes[pi].prefix);
                r->api_minor = prefixes[pi].minor;
                return ROUTE_OK;
            }
            path_known = true;
            size_t ml = strlen(rt->method);
            if (allow_len + ml + 3 < sizeof(r->allow) && !strstr(r->allow, rt->method)) {
                if (allow_len) {
                    memcpy(r->allow + allow_len, ", ", 2);
                    allow_len += 2;
                }
                memcpy(r->allow + allow_len, rt->method, ml + 1);
                allow_len += ml;
            }
        }
        if (path_known)
            return ROUTE_BAD_METHOD;
    }
    return ROUTE_NOT_FOUND;
}

size_t router_max_body(void)
{
    size_t m = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (routes[i].body_limit > m)
            m = routes[i].body_limit;
    return m;
}
