/*
 * export.c - dumps the store in the import format (see import.h), one
 * record at a time: the whole tenant is never held in memory.  Passwords
 * leave only as their Argon2id hashes ("passwordHash"); images as base64.
 */
#include "cli/import.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/json_fastload.h"

typedef struct {
    pd_store *s;
    FILE *out;
    size_t n;
    int failed;
    json_t *children;          /* scratch array for nested iteration */
} exporter;

static int emit(exporter *ex, json_t *rec)
{
    if (rec == NULL) {
        ex->failed = 1;
        return 1;
    }
    fputs(ex->n++ ? ",\n    " : "\n    ", ex->out);
    if (json_dumpf(rec, ex->out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
        ex->failed = 1;
    json_decref(rec);
    return ex->failed;
}

static int org_cb(void *ctx, const void *row)
{
    const pd_org *o = row;
    json_t *rec = json_pack("{s:s, s:s}", "organizationId", o->id, "name", o->name);

    if (rec != NULL && o->site_id > 0)
        json_object_set_new(rec, "siteId", json_integer((json_int_t)o->site_id));
    if (rec != NULL && o->site_name != NULL)
        json_object_set_new(rec, "siteName", json_string(o->site_name));
    return emit(ctx, rec);
}

static int pp_cb(void *ctx, const void *row)
{
    const pd_perm_profile *p = row;
    return json_array_append_new(((exporter *)ctx)->children,
               json_pack("{s:s, s:s}", "permissionProfileId", p->id, "permissionProfileName", p->name));
}

static int group_cb(void *ctx, const void *row)
{
    const pd_group *g = row;
    return json_array_append_new(((exporter *)ctx)->children,
               json_pack("{s:s, s:s, s:s}", "groupId", g->id, "groupName", g->name,
                         "groupType", g->type ? g->type : "CustomGroup"));
}

static int account_cb(void *ctx, const void *row)
{
    exporter *ex = ctx;
    const pd_account *a = row;
    json_t *rec = json_pack("{s:s, s:I, s:s}", "accountId", a->id,
                            "accountNumber", (json_int_t)a->external_id, "accountName", a->name);

    if (rec == NULL)
        return emit(ex, NULL);
    if (a->organization_id)
        json_object_set_new(rec, "organizationId", json_string(a->organization_id));
    ex->children = json_array();
    if (ex->s->ops->each_perm_profile(ex->s, a->id, pp_cb, ex) != PD_OK)
        ex->failed = 1;
    json_object_set_new(rec, "permissionProfiles", ex->children);
    ex->children = json_array();
    if (ex->s->ops->each_group(ex->s, a->id, group_cb, ex) != PD_OK)
        ex->failed = 1;
    json_object_set_new(rec, "groups", ex->children);
    ex->children = NULL;
    return emit(ex, rec);
}

static json_t *image_json(exporter *ex, const char *user_id)
{
    pd_image img = {0};
    json_t *o = NULL;
    char *text;

    if (ex->s->ops->get_image(ex->s, user_id, &img) != PD_OK)
        return NULL;
    text = b64_encode(img.bytes, img.len, NULL);
    if (text != NULL)
        o = json_pack("{s:s, s:s}", "contentType", img.content_type, "data", text);
    free(text);
    pd_image_clear(&img);
    return o;
}

static int user_cb(void *ctx, const void *row)
{
    exporter *ex = ctx;
    const pd_user *u = row;
    json_t *profile = json_load_str(u->profile_json, 0, NULL);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "userId", u->id, "email", u->email,
                            "userStatus", u->status, "createdDateTime", u->created,
                            "userProfileLastModifiedDate", u->modified);

    if (rec == NULL || profile == NULL) {
        json_decref(profile);
        json_decref(rec);
        return emit(ex, NULL);
    }
    if (u->password_hash)
        json_object_set_new(rec, "passwordHash", json_string(u->password_hash));
    if (u->last_login)
        json_object_set_new(rec, "lastLogin", json_string(u->last_login));
    json_object_set_new(rec, "profile", profile);
    if (u->has_image) {
        json_t *img = image_json(ex, u->id);
        if (img == NULL)
            ex->failed = 1;
        else
            json_object_set_new(rec, "profileImage", img);
    }
    return emit(ex, rec);
}

static int membership_cb(void *ctx, const void *row)
{
    const pd_membership *m = row;
    json_t *groups = json_array();
    json_t *rec = json_pack("{s:s, s:s, s:b}", "accountId", m->account_id, "userId", m->user_id,
                            "isAdmin", m->is_admin);

    for (size_t i = 0; groups && i < m->n_group_ids; i++)
        json_array_append_new(groups, json_string(m->group_ids[i]));
    if (rec == NULL || groups == NULL) {
        json_decref(groups);
        json_decref(rec);
        return emit(ctx, NULL);
    }
    if (m->permission_profile_id)
        json_object_set_new(rec, "permissionProfileId", json_string(m->permission_profile_id));
    if (m->added)
        json_object_set_new(rec, "userAddedToAccountDateTime", json_string(m->added));
    json_object_set_new(rec, "groupIds", groups);
    return emit(ctx, rec);
}

static int org_admin_cb(void *ctx, const void *row)
{
    const pd_org_admin *a = row;
    return emit(ctx, json_pack("{s:s, s:s}", "organizationId", a->organization_id,
                               "userId", a->user_id));
}

static int domain_cb(void *ctx, const void *row)
{
    const pd_org_domain *d = row;
    return emit(ctx, json_pack("{s:s, s:s, s:s, s:s}", "domainId", d->id, "organizationId",
                               d->organization_id, "domain", d->domain, "status", d->status));
}

static int identity_cb(void *ctx, const void *row)
{
    const pd_identity *i = row;
    return emit(ctx, json_pack("{s:s, s:s, s:s, s:s}", "identityId", i->id, "userId", i->user_id,
                               "providerId", i->provider_id, "immutableId", i->immutable_id));
}

static int consent_cb(void *ctx, const void *row)
{
    const pd_consent *c = row;
    return json_array_append_new(((exporter *)ctx)->children,
               json_pack("{s:s, s:s}", "userId", c->user_id, "scopes", c->scopes));
}

static json_t *str_array(char **v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* OAuth integrations: the secret leaves only as its Argon2id hash. */
static int integration_cb(void *ctx, const void *row)
{
    exporter *ex = ctx;
    const pd_integration *it = row;
    json_t *rec = json_pack("{s:s, s:s}", "integrationKey", it->key, "name", it->name);

    if (rec == NULL)
        return emit(ex, NULL);
    if (it->secret_hash)
        json_object_set_new(rec, "secretHash", json_string(it->secret_hash));
    json_object_set_new(rec, "allowedScopes", json_string(it->allowed_scopes));
    json_object_set_new(rec, "redirectUris", str_array(it->redirect_uris, it->n_redirect_uris));
    json_object_set_new(rec, "rsaPublicKeys", str_array(it->public_keys, it->n_public_keys));
    ex->children = json_array();
    if (ex->s->ops->each_consent(ex->s, it->key, consent_cb, ex) != PD_OK)
        ex->failed = 1;
    json_object_set_new(rec, "consents", ex->children);
    ex->children = NULL;
    return emit(ex, rec);
}

typedef pd_err (*each_fn)(pd_store *, pd_iter_fn, void *);

pd_err export_stream(pd_store *s, FILE *out, char *err, size_t errlen)
{
    const struct { const char *name; each_fn each; pd_iter_fn cb; } secs[] = {
        { "organizations", s->ops->each_org, org_cb },
        { "accounts", s->ops->each_account, account_cb },
        { "users", s->ops->each_user, user_cb },
        { "memberships", s->ops->each_membership, membership_cb },
        { "organizationAdmins", s->ops->each_org_admin, org_admin_cb },
        { "reservedDomains", s->ops->each_org_domain, domain_cb },
        { "userIdentities", s->ops->each_identity, identity_cb },
        { "integrations", s->ops->each_integration, integration_cb },
    };
    exporter ex = { .s = s, .out = out };

    err[0] = '\0';
    /* one read transaction: a consistent snapshot that does not block writers */
    if (s->ops->begin_read(s) != PD_OK) {
        snprintf(err, errlen, "cannot start a transaction: %s", pd_store_last_error(s));
        return PD_ERR_STORE;
    }
    fputs("{\n  \"format\": \"profiled-import\",\n  \"version\": 1", out);
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]) && !ex.failed; i++) {
        ex.n = 0;
        fprintf(out, ",\n  \"%s\": [", secs[i].name);
        if (secs[i].each(s, secs[i].cb, &ex) != PD_OK)
            ex.failed = 1;
        fputs(ex.n ? "\n  ]" : "]", out);
    }
    fputs("\n}\n", out);
    s->ops->rollback(s);
    if (ex.failed || ferror(out)) {
        snprintf(err, errlen, "export failed: %s", ferror(out) ? "write error" : pd_store_last_error(s));
        return PD_ERR_STORE;
    }
    return PD_OK;
}
