/*
 * render.c - Admin API user records from the store's rows (admin/admin.h):
 * UserDrilldownResponse (users/profile, dsprofile) and
 * OrganizationUserResponse (the user list).  Types follow the docusign-admin
 * SDK's convertToType: booleans as JSON booleans, site_id, permission
 * profile and group ids as numbers, every other id as a string, dates
 * normalised to UTC with Z; absent values are omitted, never null.
 */
#include "admin/admin.h"

#include <stdio.h>
#include <string.h>

#include "admin/query.h"
#include "core/json_fastload.h"
#include "core/strutil.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v != NULL && v[0] != '\0')
        json_object_set_new(o, k, json_string(v));
}

/* A stored date, normalised; omitted when absent or unreadable. */
static void set_date(json_t *o, const char *k, const char *stored)
{
    char d[ADMIN_DATE_LEN + 1];

    if (stored != NULL && admin_date_normalize(stored, d) == 0)
        json_object_set_new(o, k, json_string(d));
}

/* An id the SDK reads as a Number: set when it is all digits. */
static void set_numeric_id(json_t *o, const char *k, const char *id)
{
    int64_t n;

    if (id != NULL && admin_parse_int(id, 0, INT64_C(9007199254740991), &n) == 0)
        json_object_set_new(o, k, json_integer((json_int_t)n));
}

static const char *doc_str(const json_t *obj, const char *k)
{
    const json_t *v = json_object_get(obj, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* user_name, first_name, last_name and language_culture (the locale user
 * setting) from the stored profile document. */
static void set_names(json_t *o, const pd_user *u, bool language)
{
    json_t *doc = u->profile_json ? json_load_str(u->profile_json, 0, NULL) : NULL;
    const json_t *ud = json_object_get(doc, "userDetails");
    const char *first = doc_str(ud, "firstName"), *last = doc_str(ud, "lastName");
    const char *name = doc_str(ud, "userName");
    char joined[2 * LIM_NAME_MAX + 2];

    if ((name == NULL || name[0] == '\0') && (first || last)) {
        snprintf(joined, sizeof(joined), "%s%s%s", first ? first : "",
                 first && last && first[0] && last[0] ? " " : "", last ? last : "");
        name = joined;
    }
    set_str(o, "user_name", name);
    set_str(o, "first_name", first);
    set_str(o, "last_name", last);
    if (language) {
        const json_t *settings = json_object_get(ud, "userSettings"), *it;
        size_t i;
        json_array_foreach(settings, i, it) {
            const char *n = doc_str(it, "name");
            if (n != NULL && strcmp(n, "locale") == 0)
                set_str(o, "language_culture", doc_str(it, "value"));
        }
    }
    json_decref(doc);
}

static json_t *render_membership(const pd_user *u, const pd_org_membership *om)
{
    const pd_membership *m = &om->membership;
    json_t *o = json_object(), *groups = json_array();
    char num[24];

    if (o == NULL || groups == NULL) {
        json_decref(o);
        json_decref(groups);
        return NULL;
    }
    snprintf(num, sizeof(num), "%lld", (long long)om->account.external_id);
    set_str(o, "email", u->email);
    set_str(o, "account_id", om->account.id);
    set_str(o, "external_account_id", num);
    set_str(o, "account_name", om->account.name);
    json_object_set_new(o, "is_external_account", json_false());
    set_str(o, "status", admin_membership_status(u->status));
    set_date(o, "created_on", m->added);
    if (m->permission_profile_id != NULL) {
        json_t *pp = json_object();
        set_numeric_id(pp, "id", m->permission_profile_id);
        set_str(pp, "name", m->permission_profile_name);
        json_object_set_new(o, "permission_profile", pp);
    }
    for (size_t i = 0; i < m->n_groups; i++) {
        json_t *g = json_object();
        set_numeric_id(g, "id", m->groups[i].id);
        set_str(g, "name", m->groups[i].name);
        set_str(g, "type", admin_group_type(m->groups[i].type));
        json_array_append_new(groups, g);
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "is_admin", json_boolean(m->is_admin));
    return o;
}

static int identity_cb(void *ctx, const void *row)
{
    const pd_identity *i = row;
    json_t *o = json_object();

    set_str(o, "id", i->id);
    set_str(o, "provider_id", i->provider_id);
    set_str(o, "user_id", i->user_id);
    set_str(o, "immutable_id", i->immutable_id);
    return json_array_append_new((json_t *)ctx, o) != 0;
}

json_t *admin_render_drilldown(admin_ctx *ctx, const pd_user *u)
{
    pd_store *s = ctx->store;
    pd_org_membership *ms = NULL;
    size_t n = 0;
    json_t *o = json_object(), *arr = json_array(), *ids = json_array();
    pd_err e;

    if (o == NULL || arr == NULL || ids == NULL)
        goto fail;
    e = s->ops->get_org_memberships(s, ctx->org_id, u->id, &ms, &n);
    if (e != PD_OK)
        goto fail;
    if (s->ops->each_identity_of_user(s, u->id, identity_cb, ids) != PD_OK)
        goto fail;
    e = s->ops->check_org_admin(s, ctx->org_id, u->id);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND)
        goto fail;
    set_str(o, "id", u->id);
    if (ctx->org.site_id > 0)
        json_object_set_new(o, "site_id", json_integer((json_int_t)ctx->org.site_id));
    set_str(o, "site_name", ctx->org.site_name);
    set_names(o, u, true);
    set_str(o, "user_status", admin_user_status(u->status));
    if (n > 0) {
        set_str(o, "default_account_id", ms[0].account.id);
        set_str(o, "default_account_name", ms[0].account.name);
    }
    json_object_set_new(o, "is_organization_admin", json_boolean(e == PD_OK));
    set_date(o, "created_on", u->created);
    set_date(o, "last_login", u->last_login);
    for (size_t i = 0; i < n; i++) {
        json_t *m = render_membership(u, &ms[i]);
        if (m == NULL || json_array_append_new(arr, m) != 0)
            goto fail;
    }
    json_object_set_new(o, "memberships", arr);
    json_object_set_new(o, "identities", ids);
    pd_org_memberships_free(ms, n);
    return o;
fail:
    pd_org_memberships_free(ms, n);
    json_decref(o);
    json_decref(arr);
    json_decref(ids);
    return NULL;
}

json_t *admin_render_list_user(const pd_user *u)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    set_str(o, "id", u->id);
    set_names(o, u, false);
    set_str(o, "user_status", admin_user_status(u->status));
    set_str(o, "membership_status", admin_membership_status(u->status));
    set_str(o, "email", u->email);
    set_date(o, "created_on", u->created);
    return o;
}
