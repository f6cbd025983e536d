/*
 * records.c - releasing the records of store.h (pd_org, pd_account,
 * pd_membership, pd_user, pd_image and the OAuth records) that get_* calls
 * fill.  Shared by every backend and every caller; depends on nothing but
 * the record definitions.
 *
 * Memory: pd_*_clear() frees every heap member of the struct (including
 * pd_membership.group_ids, so a caller that builds an input membership from
 * borrowed strings must not clear it) and zeroes the struct; each is safe
 * on a zeroed struct and on NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

void pd_org_clear(pd_org *o)
{
    if (o == NULL)
        return;
    free(o->id);
    free(o->name);
    free(o->site_name);
    memset(o, 0, sizeof *o);
}

void pd_account_clear(pd_account *a)
{
    if (a == NULL)
        return;
    free(a->id);
    free(a->name);
    free(a->organization_id);
    memset(a, 0, sizeof *a);
}

void pd_membership_clear(pd_membership *m)
{
    if (m == NULL)
        return;
    free(m->account_id);
    free(m->user_id);
    free(m->permission_profile_id);
    free(m->permission_profile_name);
    free(m->added);
    for (size_t i = 0; m->groups != NULL && i < m->n_groups; i++) {
        free(m->groups[i].id);
        free(m->groups[i].name);
        free(m->groups[i].type);
    }
    free(m->groups);
    for (size_t i = 0; m->group_ids != NULL && i < m->n_group_ids; i++)
        free(m->group_ids[i]);
    free(m->group_ids);
    memset(m, 0, sizeof *m);
}

void pd_user_clear(pd_user *u)
{
    if (u == NULL)
        return;
    free(u->id);
    free(u->email);
    free(u->status);
    free(u->created);
    free(u->modified);
    free(u->last_login);
    if (u->password_hash != NULL) {
        explicit_bzero(u->password_hash, strlen(u->password_hash));
        free(u->password_hash);
    }
    free(u->profile_json);
    free(u->image_etag);
    free(u->default_account_id);
    memset(u, 0, sizeof *u);
}

void pd_image_clear(pd_image *i)
{
    if (i == NULL)
        return;
    free(i->bytes);
    free(i->content_type);
    free(i->etag);
    memset(i, 0, sizeof *i);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

void pd_integration_clear(pd_integration *it)
{
    if (it == NULL)
        return;
    free(it->key);
    free(it->name);
    if (it->secret_hash != NULL) {
        explicit_bzero(it->secret_hash, strlen(it->secret_hash));
        free(it->secret_hash);
    }
    free(it->allowed_scopes);
    free_strv(it->redirect_uris, it->n_redirect_uris);
    free_strv(it->public_keys, it->n_public_keys);
    memset(it, 0, sizeof *it);
}

void pd_consent_clear(pd_consent *c)
{
    if (c == NULL)
        return;
    free(c->integration_key);
    free(c->user_id);
    free(c->scopes);
    memset(c, 0, sizeof *c);
}

void pd_grant_clear(pd_grant *g)
{
    if (g == NULL)
        return;
    free(g->family);
    free(g->integration_key);
    free(g->user_id);
    free(g->redirect_uri);
    free(g->scopes);
    free(g->code_challenge);
    memset(g, 0, sizeof *g);
}

void pd_org_memberships_free(pd_org_membership *v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        pd_account_clear(&v[i].account);
        pd_membership_clear(&v[i].membership);
    }
    free(v);
}

void pd_share_link_clear(pd_share_link *l)
{
    if (l == NULL)
        return;
    free(l->id);
    free(l->user_id);
    memset(l, 0, sizeof(*l));
}
