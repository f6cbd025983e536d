/*
 * store.c - backend-independent part of the storage interface (store.h).
 *
 * pd_store_open() parses the database URL ("sqlite:PATH", PATH may be
 * ":memory:") and hands PATH to the matching backend constructor.  The
 * pd_*_clear() functions release out-structs filled by get_* calls.
 *
 * Memory: the URL and errbuf are the caller's.  The pd_store returned is owned
 * by the caller and released with pd_store_close().  pd_*_clear() frees every
 * heap member of the struct (including pd_membership.group_ids, so a caller
 * that builds an input membership from borrowed strings must not clear it)
 * and zeroes the struct; each is safe on a zeroed struct and on NULL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* Longest URL scheme echoed back in an error message. */
#define SCHEME_ECHO_MAX 32

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

pd_store *pd_store_open(const char *url, char *errbuf, size_t errlen)
{
    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (url == NULL || url[0] == '\0') {
        set_err(errbuf, errlen, "empty database URL (expected sqlite:PATH)");
        return NULL;
    }
    const char *colon = strchr(url, ':');
    if (colon == NULL) {
        set_err(errbuf, errlen, "database URL '%s' has no scheme (expected sqlite:PATH)", url);
        return NULL;
    }
    size_t slen = (size_t)(colon - url);
    if (slen == strlen("sqlite") && strncmp(url, "sqlite", slen) == 0) {
        const char *path = colon + 1;
        if (path[0] == '\0') {
            set_err(errbuf, errlen, "database URL '%s' has an empty path (expected sqlite:PATH)", url);
            return NULL;
        }
        return pd_store_sqlite_open(path, errbuf, errlen);
    }
    char scheme[SCHEME_ECHO_MAX + 1];
    size_t n = slen < SCHEME_ECHO_MAX ? slen : SCHEME_ECHO_MAX;
    memcpy(scheme, url, n);
    scheme[n] = '\0';
    set_err(errbuf, errlen, "unsupported database URL scheme '%s' (expected sqlite:PATH)", scheme);
    return NULL;
}

void pd_store_close(pd_store *s)
{
    if (s != NULL && s->ops != NULL && s->ops->close != NULL)
        s->ops->close(s);
}

const char *pd_store_last_error(pd_store *s)
{
    if (s == NULL || s->ops == NULL || s->ops->last_error == NULL)
        return "";
    const char *m = s->ops->last_error(s);
    return m != NULL ? m : "";
}

void pd_org_clear(pd_org *o)
{
    if (o == NULL)
        return;
    free(o->id);
    free(o->name);
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
