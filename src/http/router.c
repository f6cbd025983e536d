/*
 * router.c - the path matcher over the route tables of the API surfaces.
 *
 * Each API (pd_api, http.h) brings its routes and the path prefixes under
 * which it is reachable (facts §1); the router knows no API of its own.
 * Literal segments match without regard to case (IIS does the same); "*"
 * captures one segment into req->params, pointing into req->pathbuf (no
 * allocation).  The tables are static data of their surfaces: nothing here
 * allocates or owns memory.
 */
#include "http/http.h"

#include <string.h>
#include <strings.h>

#include "core/strutil.h"

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

/* Walks the pattern's segments in place (no copy, no split: this runs for
 * every route tried on every request). */
static int pattern_match(const char *pattern, char **segs, int nseg,
                         const char **params, size_t *n_params)
{
    const char *p = pattern;
    int i = 0;
    size_t k = 0;

    for (;;) {
        const char *e;
        size_t len;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        for (e = p; *e != '\0' && *e != '/'; e++)
            ;
        len = (size_t)(e - p);
        if (i == nseg)
            return 0;
        if (len == 1 && *p == '*') {
            if (k == HTTP_MAX_PARAMS)
                return 0;
            params[k++] = segs[i];
        } else if (strncasecmp(p, segs[i], len) != 0 || segs[i][len] != '\0') {
            return 0;
        }
        i++;
        p = e;
    }
    if (i != nseg)
        return 0;
    *n_params = k;
    return 1;
}

/* The rest of path after prefix, or NULL when path does not start with it. */
static const char *strip_prefix(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncasecmp(path, prefix, n) != 0)
        return NULL;
    if (path[n] != '/' && path[n] != '\0')
        return NULL;
    return path + n;
}

/* Tries one prefix of one API: ROUTE_OK, ROUTE_BAD_METHOD (path known, r->allow
 * filled) or ROUTE_NOT_FOUND. */
static route_result match_prefix(const pd_api *api, const pd_prefix *px, pd_request *r,
                                 const char *path)
{
    const char *rest = strip_prefix(path, px->prefix);
    bool path_known = false;
    size_t allow_len = 0;
    char *segs[MAX_SEGS];
    int nseg;

    if (rest == NULL)
        return ROUTE_NOT_FOUND;
    if (str_copy(r->pathbuf, sizeof(r->pathbuf), rest) != 0)
        return ROUTE_NOT_FOUND;
    nseg = split(r->pathbuf, segs);
    if (nseg < 0)
        return ROUTE_NOT_FOUND;
    for (size_t i = 0; i < api->n_routes; i++) {
        const pd_route *rt = &api->routes[i];
        size_t np = 0;
        if (!pattern_match(rt->pattern, segs, nseg, r->params, &np))
            continue;
        if (strcmp(rt->method, r->method) == 0 ||
            (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
            r->route = rt;
            r->api = api;
            r->n_params = np;
            str_copy(r->prefix, sizeof(r->prefix), px->prefix);
            r->api_minor = px->minor;
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
        r->api = api;
    return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

route_result router_match(const pd_router *rt, pd_request *r, const char *path)
{
    r->allow[0] = '\0';
    for (size_t a = 0; a < rt->n_apis; a++) {
        const pd_api *api = rt->apis[a];
        for (size_t pi = 0; pi < api->n_prefixes; pi++) {
            route_result res = match_prefix(api, &api->prefixes[pi], r, path);
            if (res != ROUTE_NOT_FOUND)
                return res;
        }
    }
    return ROUTE_NOT_FOUND;
}

size_t router_max_body(const pd_router *rt)
{
    size_t m = 0;
    for (size_t a = 0; a < rt->n_apis; a++)
        for (size_t i = 0; i < rt->apis[a]->n_routes; i++)
            if (rt->apis[a]->routes[i].body_limit > m)
                m = rt->apis[a]->routes[i].body_limit;
    return m;
}
