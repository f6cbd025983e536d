/*
 * test_router.c - unit tests for router_match (src/http/router.c, declared in
 * src/http/http.h) over the APIs `serve` answers (app_router,
 * src/cli/routes.c): the four eSignature prefixes and their api_minor, captured
 * parameters, case-insensitive literals, empty segments, HEAD on GET routes,
 * 405 with the Allow list, unknown paths, prefix look-alikes, segment and
 * length limits, and /healthz.
 *
 * The router refers to handler functions; linking against libprofiled.a
 * provides them (they are never called here).
 *
 * Memory: each case uses a calloc'd pd_request freed at the end of the case;
 * params point into that request's pathbuf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"
#include "core/limits.h"
#include "cli/cli.h"

#define R_PROFILE "/accounts/{accountId}/users/{userId}/profile"
#define R_IMAGE   "/accounts/{accountId}/users/{userId}/profile/image"
#define R_HEALTH  "/healthz"

typedef struct {
    const char *method;
    const char *path;
    route_result want;
    /* ROUTE_OK */
    const char *name;        /* route->name */
    const char *rmethod;     /* route->method */
    const char *prefix;
    int minor;
    const char *p0, *p1;     /* NULL: no such param */
    /* ROUTE_BAD_METHOD */
    const char *allow;
} route_row;

#define OKR(m, path, name, rm, pre, minor, a, b) { m, path, ROUTE_OK, name, rm, pre, minor, a, b, NULL }
#define NF(m, path)                              { m, path, ROUTE_NOT_FOUND, NULL, NULL, NULL, 0, NULL, NULL, NULL }
#define BM(m, path, allow)                       { m, path, ROUTE_BAD_METHOD, NULL, NULL, NULL, 0, NULL, NULL, allow }

static const route_row ROWS[] = {
    /* the four eSignature prefixes */
    OKR("GET", "/restapi/v2/accounts/123/users/u-1/profile",   R_PROFILE, "GET", "/restapi/v2",   0, "123", "u-1"),
    OKR("GET", "/restapi/v2.1/accounts/123/users/u-1/profile", R_PROFILE, "GET", "/restapi/v2.1", 1, "123", "u-1"),
    OKR("GET", "/v2/accounts/123/users/u-1/profile",           R_PROFILE, "GET", "/v2",           0, "123", "u-1"),
    OKR("GET", "/v2.1/accounts/123/users/u-1/profile",         R_PROFILE, "GET", "/v2.1",         1, "123", "u-1"),
    /* every method of every route */
    OKR("PUT",    "/v2.1/accounts/a/users/b/profile",          R_PROFILE, "PUT",    "/v2.1", 1, "a", "b"),
    OKR("GET",    "/restapi/v2/accounts/a/users/b/profile/image", R_IMAGE, "GET",   "/restapi/v2", 0, "a", "b"),
    OKR("PUT",    "/restapi/v2/accounts/a/users/b/profile/image", R_IMAGE, "PUT",   "/restapi/v2", 0, "a", "b"),
    OKR("DELETE", "/restapi/v2/accounts/a/users/b/profile/image", R_IMAGE, "DELETE","/restapi/v2", 0, "a", "b"),
    OKR("DELETE", "/v2.1/accounts/a/users/b/profile/image",    R_IMAGE,   "DELETE", "/v2.1", 1, "a", "b"),
    /* HEAD is served by the GET route */
    OKR("HEAD", "/v2/accounts/1/users/2/profile",              R_PROFILE, "GET", "/v2",   0, "1", "2"),
    OKR("HEAD", "/restapi/v2.1/accounts/1/users/2/profile/image", R_IMAGE, "GET", "/restapi/v2.1", 1, "1", "2"),
    OKR("HEAD", "/healthz",                                    R_HEALTH,  "GET", "",      0, NULL, NULL),
    /* parameters: GUIDs, numbers, case preserved */
    OKR("GET", "/restapi/v2.1/accounts/7f3c2b1a-0d4e-4f5a-9b8c-1a2b3c4d5e6f/users/8E0E9C3A-AAAA-4BBB-8CCC-DDDDDDDDDDDD/profile",
        R_PROFILE, "GET", "/restapi/v2.1", 1, "7f3c2b1a-0d4e-4f5a-9b8c-1a2b3c4d5e6f", "8E0E9C3A-AAAA-4BBB-8CCC-DDDDDDDDDDDD"),
    OKR("GET", "/v2/accounts/profile/users/image/profile",     R_PROFILE, "GET", "/v2", 0, "profile", "image"),
    OKR("GET", "/v2/accounts/users/users/accounts/profile",    R_PROFILE, "GET", "/v2", 0, "users", "accounts"),
    /* literal segments and prefixes match without regard to case; params keep theirs */
    OKR("GET", "/RESTAPI/V2.1/ACCOUNTS/AbC/USERS/dEf/PROFILE", R_PROFILE, "GET", "/restapi/v2.1", 1, "AbC", "dEf"),
    OKR("GET", "/RestApi/v2/Accounts/x/Users/y/Profile/Image", R_IMAGE,   "GET", "/restapi/v2",   0, "x", "y"),
    OKR("PUT", "/V2.1/accounts/x/users/y/profile/IMAGE",       R_IMAGE,   "PUT", "/v2.1",         1, "x", "y"),
    OKR("GET", "/HEALTHZ",                                     R_HEALTH,  "GET", "",              0, NULL, NULL),
    /* trailing slash, repeated slashes */
    OKR("GET", "/v2.1/accounts/1/users/2/profile/",            R_PROFILE, "GET", "/v2.1", 1, "1", "2"),
    OKR("GET", "/v2.1/accounts/1/users/2/profile//",           R_PROFILE, "GET", "/v2.1", 1, "1", "2"),
    OKR("GET", "/v2.1//accounts//1///users/2//profile",        R_PROFILE, "GET", "/v2.1", 1, "1", "2"),
    OKR("GET", "/restapi/v2//accounts/1/users/2/profile/image/", R_IMAGE, "GET", "/restapi/v2", 0, "1", "2"),
    OKR("GET", "/healthz/",                                    R_HEALTH,  "GET", "", 0, NULL, NULL),
    OKR("GET", "//healthz",                                    R_HEALTH,  "GET", "", 0, NULL, NULL),
    OKR("GET", "/healthz",                                     R_HEALTH,  "GET", "", 0, NULL, NULL),
    /* wrong method: 405 with the methods that exist for the path */
    BM("POST",    "/v2.1/accounts/1/users/2/profile",          "GET, PUT"),
    BM("DELETE",  "/v2.1/accounts/1/users/2/profile",          "GET, PUT"),
    BM("PATCH",   "/restapi/v2/accounts/1/users/2/profile",    "GET, PUT"),
    BM("OPTIONS", "/restapi/v2.1/accounts/1/users/2/profile/", "GET, PUT"),
    BM("POST",    "/v2/accounts/1/users/2/profile/image",      "GET, PUT, DELETE"),
    BM("PATCH",   "/restapi/v2.1/accounts/1/users/2/profile/image", "GET, PUT, DELETE"),
    BM("get",     "/v2/accounts/1/users/2/profile",            "GET, PUT"),
    BM("POST",    "/healthz",                                  "GET"),
    BM("PUT",     "/healthz",                                  "GET"),
    BM("",        "/healthz",                                  "GET"),
    /* unknown paths */
    NF("GET", ""),
    NF("GET", "/"),
    NF("GET", "//"),
    NF("GET", "/v2.1"),
    NF("GET", "/v2.1/"),
    NF("GET", "/restapi"),
    NF("GET", "/restapi/v2.1/accounts"),
    NF("GET", "/v2.1/accounts/1"),
    NF("GET", "/v2.1/accounts/1/users/2"),
    NF("GET", "/v2.1/accounts/1/users/2/profiles"),
    NF("GET", "/v2.1/accounts/1/users/2/profile/image/extra"),
    NF("GET", "/v2.1/accounts/1/users/2/profile/images"),
    NF("GET", "/v2.1/accounts/1/user/2/profile"),
    NF("GET", "/v2.1/account/1/users/2/profile"),
    NF("GET", "/v2.1/accounts/users/2/profile"),            /* missing accountId */
    NF("GET", "/v2.1/accounts//users/2/profile"),           /* empty accountId: segments do not shift */
    NF("GET", "/v2.1/accounts/1/users//profile"),
    NF("GET", "/accounts/1/users/2/profile"),               /* no prefix */
    NF("GET", "/restapi/accounts/1/users/2/profile"),
    NF("GET", "/v3/accounts/1/users/2/profile"),
    NF("GET", "/v1/accounts/1/users/2/profile"),
    NF("GET", "/restapi/v3/accounts/1/users/2/profile"),
    NF("GET", "/api/v2.1/accounts/1/users/2/profile"),
    /* prefix look-alikes must not match a shorter prefix */
    NF("GET", "/v2x/accounts/1/users/2/profile"),
    NF("GET", "/v20/accounts/1/users/2/profile"),
    NF("GET", "/v2.1x/accounts/1/users/2/profile"),
    NF("GET", "/v2.10/accounts/1/users/2/profile"),
    NF("GET", "/v2.2/accounts/1/users/2/profile"),
    NF("GET", "/v2./accounts/1/users/2/profile"),
    NF("GET", "/restapi/v2x/accounts/1/users/2/profile"),
    NF("GET", "/restapi/v2.1x/accounts/1/users/2/profile"),
    NF("GET", "/restapiv2.1/accounts/1/users/2/profile"),
    NF("GET", "/restapi/v2.1accounts/1/users/2/profile"),
    NF("GET", "/xrestapi/v2.1/accounts/1/users/2/profile"),
    NF("POST", "/v2x/accounts/1/users/2/profile"),          /* not a 405 either */
    /* healthz is not under the eSignature prefixes */
    NF("GET", "/v2.1/healthz"),
    NF("GET", "/restapi/v2/healthz"),
    NF("GET", "/healthzz"),
    NF("GET", "/health"),
    NF("GET", "/healthz/x"),
    NF("POST", "/healthz/x"),
    /* too many segments */
    NF("GET", "/v2.1/a/b/c/d/e/f/g/h/i/j/k/l/m"),
    NF("GET", "/v2.1/accounts/1/users/2/profile/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p"),
    NF("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z"),
};

static int check_row(const route_row *w)
{
    pd_request *r = calloc(1, sizeof(*r));
    int bad = 0;

    assert_non_null(r);
    r->method = w->method;
    route_result got = router_match(&app_router, r, w->path);

#define BAD(...) do { print_error("%s %s: ", w->method, w->path); print_error(__VA_ARGS__); bad = 1; goto out; } while (0)
    if (got != w->want)
        BAD("result %d, want %d (allow '%s')\n", got, w->want, r->allow);
    if (got == ROUTE_OK) {
        if (r->route == NULL || r->route->fn == NULL)
            BAD("no route/handler\n");
        if (strcmp(r->route->name, w->name) != 0)
            BAD("route '%s', want '%s'\n", r->route->name, w->name);
        if (strcmp(r->route->method, w->rmethod) != 0)
            BAD("route method '%s', want '%s'\n", r->route->method, w->rmethod);
        if (strcmp(r->prefix, w->prefix) != 0)
            BAD("prefix '%s', want '%s'\n", r->prefix, w->prefix);
        if (r->api_minor != w->minor)
            BAD("api_minor %d, want %d\n", r->api_minor, w->minor);
        size_t want_np = w->p0 ? (w->p1 ? 2 : 1) : 0;
        if (r->n_params != want_np)
            BAD("n_params %zu, want %zu\n", r->n_params, want_np);
        if (w->p0 && strcmp(r->params[0], w->p0) != 0)
            BAD("param0 '%s', want '%s'\n", r->params[0], w->p0);
        if (w->p1 && strcmp(r->params[1], w->p1) != 0)
            BAD("param1 '%s', want '%s'\n", r->params[1], w->p1);
        /* params live in the request's own buffer */
        for (size_t i = 0; i < r->n_params; i++)
            if (r->params[i] < r->pathbuf || r->params[i] >= r->pathbuf + sizeof(r->pathbuf))
                BAD("param %zu does not point into pathbuf\n", i);
        if (r->route->body_limit == 0)
            BAD("body_limit 0\n");
    } else if (got == ROUTE_BAD_METHOD) {
        if (strcmp(r->allow, w->allow) != 0)
            BAD("allow '%s', want '%s'\n", r->allow, w->allow);
    }
#undef BAD
out:
    free(r);
    return bad;
}

static void test_table(void **state)
{
    (void)state;
    int failures = 0;

    for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++)
        failures += check_row(&ROWS[i]);
    assert_int_equal(failures, 0);
}

/* Body limits per route: profile PUT takes a profile, image PUT an upload,
 * SOAP POST an envelope, the others the default. */
static void test_body_limits(void **state)
{
    (void)state;
    static const struct { const char *m, *path; size_t limit; } rows[] = {
        { "GET",    "/v2.1/accounts/1/users/2/profile",       LIM_BODY_DEFAULT },
        { "PUT",    "/v2.1/accounts/1/users/2/profile",       LIM_BODY_PROFILE },
        { "GET",    "/v2.1/accounts/1/users/2/profile/image", LIM_BODY_DEFAULT },
        { "PUT",    "/v2.1/accounts/1/users/2/profile/image", LIM_BODY_IMAGE_UPLOAD },
        { "DELETE", "/v2.1/accounts/1/users/2/profile/image", LIM_BODY_DEFAULT },
        { "GET",    "/healthz",                               LIM_BODY_DEFAULT },
        { "POST",   "/api/3.0/accountmanagement.asmx",        LIM_BODY_SOAP },
        { "POST",   "/API/3.0/AccountManagement.asmx",        LIM_BODY_SOAP },
        { "GET",    "/api/3.0/accountmanagement.asmx",        LIM_BODY_DEFAULT },
        { "POST",   "/_profiled/tenant",                      LIM_CONTROL_TENANT_MAX },
        { "POST",   "/_profiled/faults",                      LIM_BODY_DEFAULT },
    };
    pd_request *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        memset(r, 0, sizeof(*r));
        r->method = rows[i].m;
        assert_int_equal(router_match(&app_router, r, rows[i].path), ROUTE_OK);
        assert_int_equal(r->route->body_limit, rows[i].limit);
    }
    free(r);
    /* a tenant file uploaded to the control API is the largest body a route
     * takes; among the DocuSign surfaces, the SOAP envelope (a base64 image
     * inside) */
    assert_int_equal(router_max_body(&app_router), LIM_CONTROL_TENANT_MAX);
    assert_true(LIM_BODY_SOAP < LIM_CONTROL_TENANT_MAX);
}

/* Reusing one request: results of an earlier match do not leak into the
 * next (allow list, params, prefix). */
static void test_reuse(void **state)
{
    (void)state;
    pd_request *r = calloc(1, sizeof(*r));
    assert_non_null(r);

    r->method = "POST";
    assert_int_equal(router_match(&app_router, r, "/v2/accounts/1/users/2/profile/image"), ROUTE_BAD_METHOD);
    assert_string_equal(r->allow, "GET, PUT, DELETE");
    r->method = "GET";
    assert_int_equal(router_match(&app_router, r, "/restapi/v2.1/accounts/A/users/B/profile"), ROUTE_OK);
    assert_string_equal(r->allow, "");
    assert_string_equal(r->prefix, "/restapi/v2.1");
    assert_int_equal(r->api_minor, 1);
    assert_string_equal(r->params[0], "A");
    assert_string_equal(r->params[1], "B");
    r->method = "POST";
    assert_int_equal(router_match(&app_router, r, "/v2.1/accounts/1/users/2/profile"), ROUTE_BAD_METHOD);
    assert_string_equal(r->allow, "GET, PUT");
    r->method = "GET";
    assert_int_equal(router_match(&app_router, r, "/nope"), ROUTE_NOT_FOUND);
    assert_string_equal(r->allow, "");
    assert_int_equal(router_match(&app_router, r, "/v2/accounts/x/users/y/profile"), ROUTE_OK);
    assert_string_equal(r->prefix, "/v2");
    assert_int_equal(r->api_minor, 0);
    assert_string_equal(r->params[0], "x");
    free(r);
}

/* Paths at and beyond the URL limit; long segments. Nothing overflows
 * (run under ASan). */
static void test_long_paths(void **state)
{
    (void)state;
    pd_request *r = calloc(1, sizeof(*r));
    size_t cap = 4 * LIM_HTTP_URL_MAX;
    char *path = malloc(cap);
    char *seg = malloc(cap);
    assert_non_null(r);
    assert_non_null(path);
    assert_non_null(seg);
    r->method = "GET";

    /* The server answers 414 above LIM_HTTP_URL_MAX before routing; the
     * router itself must either match with the whole segment or refuse,
     * never match a truncated copy.  The part after "/v2.1" is copied into
     * pathbuf (LIM_HTTP_URL_MAX + 1 bytes). */
    const char *pre = "/v2.1/accounts/", *post = "/users/u/profile";
    size_t fixed = strlen(pre) - strlen("/v2.1") + strlen(post);
    size_t seglen = LIM_HTTP_URL_MAX - fixed;           /* rest == LIM_HTTP_URL_MAX: fits */
    memset(seg, 'a', seglen);
    seg[seglen] = '\0';
    snprintf(path, cap, "%s%s%s", pre, seg, post);
    assert_int_equal(router_match(&app_router, r, path), ROUTE_OK);
    assert_int_equal(strlen(r->params[0]), seglen);
    assert_string_equal(r->params[1], "u");

    memset(seg, 'a', seglen + 1);                       /* rest one byte longer: refused */
    seg[seglen + 1] = '\0';
    snprintf(path, cap, "%s%s%s", pre, seg, post);
    assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);

    /* an image path whose copy would be cut right after ".../profile/" must
     * not be routed to the profile route */
    {
        const char *head = "/accounts/1/users/", *tail = "/profile/";
        size_t ulen = LIM_HTTP_URL_MAX - strlen(head) - strlen(tail);
        memset(seg, 'u', ulen);
        seg[ulen] = '\0';
        snprintf(path, cap, "/v2.1%s%s%simage", head, seg, tail);
        assert_int_equal(strlen(path), strlen("/v2.1") + LIM_HTTP_URL_MAX + strlen("image"));
        assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);
        r->method = "PUT";
        assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);
        r->method = "GET";
    }

    /* the same for the root family (whole path copied) */
    memset(path, '/', LIM_HTTP_URL_MAX);
    memcpy(path + LIM_HTTP_URL_MAX - 7, "healthz", 8);
    assert_int_equal(strlen(path), LIM_HTTP_URL_MAX);
    assert_int_equal(router_match(&app_router, r, path), ROUTE_OK);
    memset(path, '/', LIM_HTTP_URL_MAX + 1);
    memcpy(path + LIM_HTTP_URL_MAX + 1 - 7, "healthz", 8);
    assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);

    /* far too long */
    memset(path, '/', cap - 1);
    path[cap - 1] = '\0';
    assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);
    memset(path, 'x', cap - 1);
    assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);

    /* 12 segments under the root prefix and many short ones after a prefix */
    size_t o = 0;
    for (int i = 0; i < 1000 && o + 3 < cap; i++) {
        path[o++] = '/';
        path[o++] = 'a';
    }
    path[o] = '\0';
    assert_int_equal(router_match(&app_router, r, path), ROUTE_NOT_FOUND);
    free(seg);
    free(path);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_long_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
