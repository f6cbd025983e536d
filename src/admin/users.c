/*
 * users.c - the Admin API user handlers (docs/admin.md):
 *   GET …/organizations/{organizationId}/users/profile?email=        (v2, seed 002)
 *   GET …/organizations/{organizationId}/users/dsprofile?email=      (v2.1)
 *   GET …/organizations/{organizationId}/users/{userId}/dsprofile    (v2.1)
 *   GET …/organizations/{organizationId}/users?start&take&…          (paged list)
 * After admin_begin() (token, scope, organization administrator) only users
 * of that organization are ever looked up: a user outside it is answered
 * exactly like one that does not exist.  Query values are checked before
 * anything is read; a bad one answers 400 naming the parameter.
 */
#include "admin/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/query.h"
#include "core/strutil.h"

#define ADMIN_URL_MAX      (4 * LIM_HTTP_URL_MAX + 512)

/* Query parameters a route reads; any of them given twice is refused. */
static const char *const LIST_PARAMS[] = {
    "start", "take", "end", "email", "email_user_name_like", "status", "membership_status",
    "account_id", "organization_reserved_domain_id", "last_modified_since", "include_ds_groups",
    "include_license", "sort", NULL,
};

typedef struct {
    const char *dup;            /* first parameter seen twice */
    const char *nul;            /* first parameter whose value holds a NUL byte */
    unsigned seen[16];
} dup_ctx;

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    dup_ctx *d = cls;
    (void)kind;
    (void)key_size;
    for (size_t i = 0; LIST_PARAMS[i] != NULL && key != NULL; i++) {
        if (strcmp(key, LIST_PARAMS[i]) != 0)
            continue;
        if (++d->seen[i] == 2 && d->dup == NULL)
            d->dup = LIST_PARAMS[i];
        if (value != NULL && strlen(value) != value_size && d->nul == NULL)
            d->nul = LIST_PARAMS[i];
    }
    return MHD_YES;
}

/* 0, or answers 400 for a repeated parameter or one whose value holds a
 * NUL byte (%00 would otherwise cut the value short unseen). */
static int no_repeats(pd_request *req)
{
    dup_ctx d = { 0 };
    char msg[128];

    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, count_arg, &d);
    if (d.dup == NULL && d.nul == NULL)
        return 0;
    if (d.dup != NULL)
        snprintf(msg, sizeof(msg), "The query parameter '%s' is given more than once.", d.dup);
    else
        snprintf(msg, sizeof(msg), "Invalid value for the query parameter '%s': contains a NUL byte.",
                 d.nul);
    admin_error(req, PD_ERR_INVALID_PARAMETER, msg);
    return -1;
}

static int bad_param(pd_request *req, const char *name, const char *rule)
{
    char msg[256];

    snprintf(msg, sizeof(msg), "Invalid value for the query parameter '%s': %s", name, rule);
    admin_error(req, PD_ERR_INVALID_PARAMETER, msg);
    return -1;
}

/* An optional boolean parameter (true/false). 0, or answered. */
static int check_bool(pd_request *req, const char *name)
{
    const char *v = req_query(req, name);
    bool b;

    if (v != NULL && admin_parse_bool(v, &b) != 0)
        return bad_param(req, name, "must be true or false.");
    return 0;
}

/* An email query value: present (when required), at most LIM_EMAIL_MAX
 * bytes, no control characters.  *out NULL when absent. 0, or answered. */
static int check_email(pd_request *req, const char *name, bool required, const char **out)
{
    const char *v = req_query(req, name);

    *out = NULL;
    if (v == NULL || v[0] == '\0') {
        if (required)
            return bad_param(req, name, "an email address is required.");
        return 0;
    }
    if (strlen(v) > LIM_EMAIL_MAX)
        return bad_param(req, name, "longer than 100 characters.");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return bad_param(req, name, "contains a control character.");
    *out = v;
    return 0;
}

static void answer_users(pd_request *req, json_t *users)
{
    json_t *o = json_object();

    if (o == NULL || users == NULL) {
        json_decref(o);
        json_decref(users);
        admin_error(req, PD_ERR_INTERNAL, NULL);
        return;
    }
    json_object_set_new(o, "users", users);
    resp_object(req, 200, NULL, o);
    json_decref(o);
}

/* {"users":[drilldown]} for the user found, {"users":[]} when none. */
static void answer_drilldown(pd_request *req, admin_ctx *ctx, pd_err found, pd_user *u,
                             bool missing_is_404)
{
    json_t *users;

    if (found == PD_ERR_NOT_FOUND) {
        if (missing_is_404)
            admin_error(req, PD_ERR_NOT_FOUND, "No user with this id in the organization.");
        else
            answer_users(req, json_array());
        return;
    }
    if (found != PD_OK) {
        admin_error(req, PD_ERR_STORE, NULL);
        return;
    }
    json_t *one = admin_render_drilldown(ctx, u);
    if (one == NULL) {
        admin_error(req, PD_ERR_STORE, NULL);
        return;
    }
    users = json_array();
    json_array_append_new(users, one);
    answer_users(req, users);
}

/* users/profile and users/dsprofile: the organization's user by email. */
static void by_email(pd_server *srv, pd_request *req)
{
    admin_ctx ctx;
    pd_user u = { 0 };
    const char *email;

    if (admin_begin(srv, req, &ctx) != PD_OK)
        return;
    if (no_repeats(req) == 0 && check_email(req, "email", true, &email) == 0 &&
        check_bool(req, "include_license") == 0) {
        pd_err e = ctx.store->ops->get_org_user_by_email(ctx.store, ctx.org_id, email, &u);
        answer_drilldown(req, &ctx, e, &u, false);
    }
    pd_user_clear(&u);
    admin_ctx_clear(&ctx);
}

void h_admin_user_profiles(pd_server *srv, pd_request *req)
{
    by_email(srv, req);
}

void h_admin_ds_profiles(pd_server *srv, pd_request *req)
{
    by_email(srv, req);
}

void h_admin_ds_profile(pd_server *srv, pd_request *req)
{
    admin_ctx ctx;
    pd_user u = { 0 };
    char uid[LIM_ID_MAX + 1];

    if (admin_begin(srv, req, &ctx) != PD_OK)
        return;
    if (req->n_params < 2 || str_copy(uid, sizeof(uid), req->params[1]) != 0 ||
        !str_is_guid(uid)) {
        admin_error(req, PD_ERR_INVALID_USERID, "userId must be a GUID.");
    } else if (no_repeats(req) == 0 && check_bool(req, "include_license") == 0) {
        str_lower(uid);
        pd_err e = ctx.store->ops->get_org_user(ctx.store, ctx.org_id, uid, &u);
        answer_drilldown(req, &ctx, e, &u, true);
    }
    pd_user_clear(&u);
    admin_ctx_clear(&ctx);
}

/* ---- the paged list ---------------------------------------------------- */

typedef struct {
    pd_org_user_query q;
    char statuses[96];
    char since[ADMIN_DATE_LEN + 1];
    char account[LIM_ID_MAX + 1], domain[LIM_ID_MAX + 1];
} list_query;

/* An optional GUID parameter, lower-cased into out. 0, or answered. */
static int check_guid(pd_request *req, const char *name, char out[LIM_ID_MAX + 1],
                      const char **set)
{
    const char *v = req_query(req, name);

    *set = NULL;
    if (v == NULL || v[0] == '\0')
        return 0;
    if (str_copy(out, LIM_ID_MAX + 1, v) != 0 || !str_is_guid(out))
        return bad_param(req, name, "must be a GUID.");
    str_lower(out);
    *set = out;
    return 0;
}

/* Reads and checks every list parameter into lq. 0, or answered. */
static int parse_list(pd_request *req, const char *org_id, list_query *lq)
{
    const char *v;
    int64_t start = 0, take = LIM_ADMIN_TAKE_DEFAULT, end;

    memset(lq, 0, sizeof(*lq));
    if (no_repeats(req) != 0)
        return -1;
    if ((v = req_query(req, "start")) != NULL && admin_parse_int(v, 0, LIM_ADMIN_START_MAX, &start) != 0)
        return bad_param(req, "start", "must be an integer from 0 to 2147483647.");
    if ((v = req_query(req, "take")) != NULL) {
        if (admin_parse_int(v, 1, LIM_ADMIN_TAKE_MAX, &take) != 0)
            return bad_param(req, "take", "must be an integer from 1 to 250.");
    } else if ((v = req_query(req, "end")) != NULL) {
        if (admin_parse_int(v, 0, LIM_ADMIN_START_MAX, &end) != 0 || end < start ||
            end - start + 1 > LIM_ADMIN_TAKE_MAX)
            return bad_param(req, "end",
                             "must be an integer from start to start + 249.");
        take = end - start + 1;
    }
    if (check_email(req, "email", false, &lq->q.email) != 0 ||
        check_email(req, "email_user_name_like", false, &lq->q.like) != 0 ||
        check_bool(req, "include_ds_groups") != 0 || check_bool(req, "include_license") != 0 ||
        check_guid(req, "account_id", lq->account, &lq->q.account_id) != 0 ||
        check_guid(req, "organization_reserved_domain_id", lq->domain, &lq->q.domain_id) != 0)
        return -1;
    int st = admin_status_filter(req_query(req, "status"), req_query(req, "membership_status"),
                                 lq->statuses, sizeof(lq->statuses));
    if (st == -1)
        return bad_param(req, "status", "must be active, created or closed (comma-separated).");
    if (st == -2)
        return bad_param(req, "membership_status", "must be activation_required, activation_sent, "
                         "active, closed or disabled (comma-separated).");
    if (st != 0)
        return bad_param(req, "status", "too many values.");
    if ((v = req_query(req, "last_modified_since")) != NULL) {
        if (admin_date_normalize(v, lq->since) != 0)
            return bad_param(req, "last_modified_since",
                             "must be an ISO 8601 date-time with Z or an offset, "
                             "e.g. 2024-05-01T10:00:00Z.");
        lq->q.modified_since = lq->since;
    }
    lq->q.organization_id = org_id;
    lq->q.statuses = lq->statuses[0] ? lq->statuses : NULL;
    lq->q.start = start;
    lq->q.take = take;
    return 0;
}

/* Appends "&name=escaped(value)" when value is set. 0, or -1. */
static int url_param(char *url, size_t cap, size_t *len, const char *name, const char *value,
                     bool first)
{
    if (value == NULL)
        return 0;
    int n = snprintf(url + *len, cap - *len, "%s%s=", first ? "?" : "&", name);
    if (n < 0 || (size_t)n >= cap - *len)
        return -1;
    *len += (size_t)n;
    return admin_url_append_escaped(url, cap, len, value);
}

/* The absolute URL of the page starting at `start`, with every filter of
 * the request (as given), so a client can GET it verbatim. */
static json_t *page_url(pd_server *srv, pd_request *req, const char *org_id, int64_t start,
                        int64_t take)
{
    static const char *const KEEP[] = {
        "email", "email_user_name_like", "status", "membership_status", "account_id",
        "organization_reserved_domain_id", "last_modified_since", "include_ds_groups",
        "include_license", NULL,
    };
    char *url = malloc(ADMIN_URL_MAX);
    char num[24];
    size_t len = 0;
    int n;
    json_t *out = NULL;

    if (url == NULL)
        return NULL;
    size_t origin = strlen(srv->public_url);
    while (origin > 0 && srv->public_url[origin - 1] == '/')
        origin--;                   /* "--public-url https://x.example/" */
    n = snprintf(url, ADMIN_URL_MAX, "%.*s%s/organizations/%s/users", (int)origin, srv->public_url,
                 req->prefix, org_id);
    if (n < 0 || n >= ADMIN_URL_MAX)
        goto out;
    len = (size_t)n;
    snprintf(num, sizeof(num), "%lld", (long long)start);
    if (url_param(url, ADMIN_URL_MAX, &len, "start", num, true) != 0)
        goto out;
    snprintf(num, sizeof(num), "%lld", (long long)take);
    if (url_param(url, ADMIN_URL_MAX, &len, "take", num, false) != 0)
        goto out;
    for (size_t i = 0; KEEP[i] != NULL; i++)
        if (url_param(url, ADMIN_URL_MAX, &len, KEEP[i], req_query(req, KEEP[i]), false) != 0)
            goto out;
    out = json_string(url);
out:
    free(url);
    return out;
}

static int list_cb(void *ctx, const void *row)
{
    json_t *u = admin_render_list_user(row);
    return u == NULL || json_array_append_new((json_t *)ctx, u) != 0;
}

void h_admin_users(pd_server *srv, pd_request *req)
{
    admin_ctx ctx;
    list_query lq;
    int64_t total = 0;
    admin_paging pg;
    json_t *users = NULL, *paging = NULL, *o = NULL;

    if (admin_begin(srv, req, &ctx) != PD_OK)
        return;
    if (parse_list(req, ctx.org_id, &lq) != 0)
        goto out;
    users = json_array();
    if (users == NULL ||
        ctx.store->ops->list_org_users(ctx.store, &lq.q, &total, list_cb, users) != PD_OK) {
        admin_error(req, PD_ERR_STORE, NULL);
        goto out;
    }
    int64_t got = (int64_t)json_array_size(users);
    admin_paging_compute(lq.q.start, lq.q.take, got, total, &pg);
    paging = json_object();
    o = json_object();
    if (paging == NULL || o == NULL) {
        admin_error(req, PD_ERR_INTERNAL, NULL);
        goto out;
    }
    json_object_set_new(paging, "result_set_size", json_integer(got));
    json_object_set_new(paging, "result_set_start_position", json_integer(lq.q.start));
    if (got > 0)
        json_object_set_new(paging, "result_set_end_position", json_integer(pg.end_position));
    json_object_set_new(paging, "total_set_size", json_integer(total));
    if (pg.has_next)
        json_object_set_new(paging, "next", page_url(srv, req, ctx.org_id, pg.next_start, lq.q.take));
    if (pg.has_prev)
        json_object_set_new(paging, "previous",
                            page_url(srv, req, ctx.org_id, pg.prev_start, lq.q.take));
    json_object_set_new(o, "users", users);
    users = NULL;
    json_object_set_new(o, "paging", paging);
    paging = NULL;
    resp_object(req, 200, NULL, o);
out:
    json_decref(users);
    json_decref(paging);
    json_decref(o);
    admin_ctx_clear(&ctx);
}
