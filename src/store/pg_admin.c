/*
 * pg_admin.c - the PostgreSQL store ops for organizations and the Admin API
 * (docs/admin.md): organizations, their administrators, reserved domains,
 * identities, an organization's users (lookups and the filtered, paged
 * list) and a user's memberships in an organization.  Same semantics as
 * store/sqlite.c; the list statements are chosen the same way (by the most
 * selective filter given, each filter also a residual predicate).
 *
 * The rows of a list carry no password hash and, instead of the whole
 * profile document, one holding only the names it shows (built by the
 * server from the stored document with jsonb operators; an absent name is
 * null).
 *
 * Memory: out-structs are zeroed first and on PD_OK own heap copies; rows
 * handed to iteration callbacks are borrowed for the call.
 */
#include <stdlib.h>
#include <string.h>

#include "store/pg_internal.h"

#define USER_FROM " FROM users u LEFT JOIN user_images i ON i.user_id = u.id"
#define PROFILE_AT(path) "(u.profile_json::jsonb #> '{userDetails," path "}')"
#define OU_COLS "u.id, u.email, u.status, u.created, u.modified, u.last_login, NULL," \
    " json_build_object('userDetails', json_build_object(" \
    "   'firstName', " PROFILE_AT("firstName") "," \
    "   'lastName', " PROFILE_AT("lastName") "," \
    "   'userName', " PROFILE_AT("userName") "))::text," \
    " u.version, i.etag"
#define OU_DRILL_COLS "u.id, u.email, u.status, u.created, u.modified, u.last_login, NULL," \
    " json_build_object('userDetails', json_build_object(" \
    "   'firstName', " PROFILE_AT("firstName") "," \
    "   'lastName', " PROFILE_AT("lastName") "," \
    "   'userName', " PROFILE_AT("userName") "," \
    "   'userSettings', " PROFILE_AT("userSettings") "))::text," \
    " u.version, i.etag"
/* the same expression as the users_by_domain index (pg_migrations.c) */
#define OU_EMAIL_DOMAIN "substr(u.email, strpos(u.email, '@') + 1)"
/* $1 organization, $2 email, $3 like, $4 statuses (",Active,Closed,"),
 * $5 account, $6 reserved domain, $7 modified since, $8 take, $9 start */
#define OU_RESIDUAL \
    " AND ($2 IS NULL OR u.email = " PG_LOWER("$2") ")" \
    " AND ($3 IS NULL OR strpos(u.email, " PG_LOWER("$3") ") > 0 OR strpos(" \
    "      " PG_LOWER("coalesce(u.profile_json::jsonb #>> '{userDetails,userName}', '')") ", " \
    PG_LOWER("$3") ") > 0)" \
    " AND ($4 IS NULL OR strpos($4, ',' || u.status || ',') > 0)" \
    " AND ($5 IS NULL OR EXISTS (SELECT 1 FROM memberships m2 JOIN accounts a2 ON a2.id = m2.account_id" \
    "      WHERE m2.account_id = " PG_LOWER("$5") " AND m2.user_id = u.id" \
    "        AND a2.organization_id = " PG_LOWER("$1") "))" \
    " AND ($6 IS NULL OR EXISTS (SELECT 1 FROM organization_domains d2 WHERE d2.id = " PG_LOWER("$6") \
    "      AND d2.organization_id = " PG_LOWER("$1") " AND d2.domain = " OU_EMAIL_DOMAIN "))" \
    " AND ($7 IS NULL OR u.modified >= $7)"
#define OU_IMG " LEFT JOIN user_images i ON i.user_id = u.id"
#define OU_PAGE " LIMIT $8 OFFSET $9"
#define OU_FROM_ALL(img) \
    " FROM organization_users ou JOIN users u ON u.id = ou.user_id" img \
    " WHERE ou.organization_id = " PG_LOWER("$1") OU_RESIDUAL
#define OU_FROM_EMAIL(img) \
    " FROM users u JOIN organization_users ou ON ou.organization_id = " PG_LOWER("$1") \
    "   AND ou.user_id = u.id" img \
    " WHERE u.email = " PG_LOWER("$2") OU_RESIDUAL
#define OU_FROM_ACCOUNT(img) \
    " FROM memberships m JOIN organization_users ou ON ou.organization_id = " PG_LOWER("$1") \
    "   AND ou.user_id = m.user_id JOIN users u ON u.id = m.user_id" img \
    " WHERE m.account_id = " PG_LOWER("$5") OU_RESIDUAL
#define OU_FROM_DOMAIN(img) \
    " FROM organization_domains d JOIN users u ON " OU_EMAIL_DOMAIN " = d.domain" \
    " JOIN organization_users ou ON ou.organization_id = d.organization_id AND ou.user_id = u.id" img \
    " WHERE d.id = " PG_LOWER("$6") " AND d.organization_id = " PG_LOWER("$1") OU_RESIDUAL

static pg_stmt ST_ORG_GET = PG_STMT(
    "SELECT id, name, site_id, site_name FROM organizations WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_ORG_ADMIN_CHECK = PG_STMT(
    "SELECT 1 FROM organization_admins WHERE organization_id = " PG_LOWER("$1")
    " AND user_id = " PG_LOWER("$2"));
static pg_stmt ST_ORG_ADMIN_UPSERT = PG_STMT(
    "INSERT INTO organization_admins(organization_id, user_id)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ") ON CONFLICT DO NOTHING");
static pg_stmt ST_ORG_DOMAIN_UPSERT = PG_STMT(
    "INSERT INTO organization_domains(id, organization_id, domain, status)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ", " PG_LOWER("$3") ", $4)"
    " ON CONFLICT(id) DO UPDATE SET organization_id = excluded.organization_id,"
    "   domain = excluded.domain, status = excluded.status");
static pg_stmt ST_IDENTITY_UPSERT = PG_STMT(
    "INSERT INTO user_identities(id, user_id, provider_id, immutable_id)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ", $3, $4)"
    " ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id,"
    "   provider_id = excluded.provider_id, immutable_id = excluded.immutable_id");
static pg_stmt ST_EACH_ORG_ADMIN = PG_STMT(
    "SELECT organization_id, user_id FROM organization_admins ORDER BY organization_id, user_id");
static pg_stmt ST_EACH_ORG_DOMAIN = PG_STMT(
    "SELECT id, organization_id, domain, status FROM organization_domains ORDER BY id");
static pg_stmt ST_EACH_IDENTITY = PG_STMT(
    "SELECT id, user_id, provider_id, immutable_id FROM user_identities ORDER BY id");
static pg_stmt ST_IDENTITIES_OF_USER = PG_STMT(
    "SELECT id, user_id, provider_id, immutable_id FROM user_identities"
    " WHERE user_id = " PG_LOWER("$1") " ORDER BY id");
static pg_stmt ST_ORG_USER_BY_EMAIL = PG_STMT(
    "SELECT " OU_DRILL_COLS USER_FROM
    " JOIN organization_users ou ON ou.organization_id = " PG_LOWER("$1") " AND ou.user_id = u.id"
    " WHERE u.email = " PG_LOWER("$2"));
static pg_stmt ST_ORG_USER_BY_ID = PG_STMT(
    "SELECT " OU_DRILL_COLS USER_FROM
    " JOIN organization_users ou ON ou.organization_id = " PG_LOWER("$1") " AND ou.user_id = u.id"
    " WHERE u.id = " PG_LOWER("$2"));
static pg_stmt ST_ORG_LIST_ALL = PG_STMT(
    "SELECT " OU_COLS OU_FROM_ALL(OU_IMG) " ORDER BY ou.user_id" OU_PAGE);
static pg_stmt ST_ORG_COUNT_ALL = PG_STMT("SELECT count(*)" OU_FROM_ALL(""));
static pg_stmt ST_ORG_LIST_EMAIL = PG_STMT(
    "SELECT " OU_COLS OU_FROM_EMAIL(OU_IMG) " ORDER BY u.id" OU_PAGE);
static pg_stmt ST_ORG_COUNT_EMAIL = PG_STMT("SELECT count(*)" OU_FROM_EMAIL(""));
static pg_stmt ST_ORG_LIST_ACCOUNT = PG_STMT(
    "SELECT " OU_COLS OU_FROM_ACCOUNT(OU_IMG) " ORDER BY m.user_id" OU_PAGE);
static pg_stmt ST_ORG_COUNT_ACCOUNT = PG_STMT("SELECT count(*)" OU_FROM_ACCOUNT(""));
static pg_stmt ST_ORG_LIST_DOMAIN = PG_STMT(
    "SELECT " OU_COLS OU_FROM_DOMAIN(OU_IMG) " ORDER BY ou.user_id" OU_PAGE);
static pg_stmt ST_ORG_COUNT_DOMAIN = PG_STMT("SELECT count(*)" OU_FROM_DOMAIN(""));
/* no filter: $1 org, $2 take, $3 start */
static pg_stmt ST_ORG_LIST_PLAIN = PG_STMT(
    "SELECT " OU_COLS " FROM (SELECT user_id FROM organization_users"
    "   WHERE organization_id = " PG_LOWER("$1") " ORDER BY user_id LIMIT $2 OFFSET $3) ou"
    " JOIN users u ON u.id = ou.user_id" OU_IMG " ORDER BY ou.user_id");
static pg_stmt ST_ORG_COUNT_PLAIN = PG_STMT(
    "SELECT count(*) FROM organization_users WHERE organization_id = " PG_LOWER("$1"));
static pg_stmt ST_ORG_MEMBERSHIPS = PG_STMT(
    "SELECT a.id, a.external_id, a.name, a.organization_id,"
    "       m.account_id, m.user_id, m.is_admin, m.permission_profile_id, p.name, m.added, "
    PG_MEMBERSHIP_GROUPS_JSON
    " FROM memberships m JOIN accounts a ON a.id = m.account_id"
    " LEFT JOIN permission_profiles p"
    "   ON p.account_id = m.account_id AND p.id = m.permission_profile_id"
    " WHERE m.user_id = " PG_LOWER("$2") " AND a.organization_id = " PG_LOWER("$1")
    " ORDER BY a.external_id");

/* ---- rows ------------------------------------------------------------ */

static bool org_conv(const pg_row *r, void *out)
{
    pd_org *o = out;
    o->site_id = pg_col_i64(r, 2);
    bool ok = pg_dup(&o->id, pg_col_text(r, 0)) && pg_dup(&o->name, pg_col_text(r, 1))
              && pg_dup(&o->site_name, pg_col_text(r, 3));
    if (!ok)
        pd_org_clear(o);
    return ok;
}

static bool nothing_conv(const pg_row *r, void *out)
{
    (void)r;
    (void)out;
    return true;
}

/* ---- organizations --------------------------------------------------- */

static pd_err pga_get_org(pd_store *s, const char *org_id, pd_org *out)
{
    static const char op[] = "get_org";
    pg_store *q = PG(s);
    if (org_id == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, &ST_ORG_GET, PG_PARAMS(PGT(org_id)), org_conv, out, op);
}

static pd_err pga_check_org_admin(pd_store *s, const char *org_id, const char *user_id)
{
    static const char op[] = "check_org_admin";
    pg_store *q = PG(s);
    if (org_id == NULL || user_id == NULL)
        return pg_bad_arg(q, op);
    return pg_fetch_one(q, &ST_ORG_ADMIN_CHECK, PG_PARAMS(PGT(org_id), PGT(user_id)), nothing_conv,
                        NULL, op);
}

static pd_err pga_upsert_org_admin(pd_store *s, const pd_org_admin *a)
{
    static const char op[] = "upsert_org_admin";
    pg_store *q = PG(s);
    if (a == NULL || a->organization_id == NULL || a->user_id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_ORG_ADMIN_UPSERT,
                            PG_PARAMS(PGT(a->organization_id), PGT(a->user_id)), op,
                            "the organization and the user must exist", NULL));
}

static pd_err pga_upsert_org_domain(pd_store *s, const pd_org_domain *d)
{
    static const char op[] = "upsert_org_domain";
    pg_store *q = PG(s);
    if (d == NULL || d->id == NULL || d->organization_id == NULL || d->domain == NULL
        || d->status == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_ORG_DOMAIN_UPSERT,
                            PG_PARAMS(PGT(d->id), PGT(d->organization_id), PGT(d->domain),
                                      PGT(d->status)),
                            op, "the organization must exist", NULL));
}

static pd_err pga_upsert_identity(pd_store *s, const pd_identity *i)
{
    static const char op[] = "upsert_identity";
    pg_store *q = PG(s);
    if (i == NULL || i->id == NULL || i->user_id == NULL || i->provider_id == NULL
        || i->immutable_id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_IDENTITY_UPSERT,
                            PG_PARAMS(PGT(i->id), PGT(i->user_id), PGT(i->provider_id),
                                      PGT(i->immutable_id)),
                            op, "the user must exist", NULL));
}

static int emit_org_admin(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_org_admin a = { .organization_id = (char *)pg_col_text(r, 0),
                       .user_id = (char *)pg_col_text(r, 1) };
    return fn(ctx, &a);
}

static int emit_org_domain(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_org_domain d = { .id = (char *)pg_col_text(r, 0),
                        .organization_id = (char *)pg_col_text(r, 1),
                        .domain = (char *)pg_col_text(r, 2), .status = (char *)pg_col_text(r, 3) };
    return fn(ctx, &d);
}

static int emit_identity(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_identity i = { .id = (char *)pg_col_text(r, 0), .user_id = (char *)pg_col_text(r, 1),
                      .provider_id = (char *)pg_col_text(r, 2),
                      .immutable_id = (char *)pg_col_text(r, 3) };
    return fn(ctx, &i);
}

static pd_err pga_each_org_admin(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return pg_iterate(PG(s), &ST_EACH_ORG_ADMIN, PG_NO_PARAMS, emit_org_admin, fn, ctx,
                      "each_org_admin");
}

static pd_err pga_each_org_domain(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return pg_iterate(PG(s), &ST_EACH_ORG_DOMAIN, PG_NO_PARAMS, emit_org_domain, fn, ctx,
                      "each_org_domain");
}

static pd_err pga_each_identity(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return pg_iterate(PG(s), &ST_EACH_IDENTITY, PG_NO_PARAMS, emit_identity, fn, ctx,
                      "each_identity");
}

static pd_err pga_each_identity_of_user(pd_store *s, const char *user_id, pd_iter_fn fn,
                                        void *ctx)
{
    if (user_id == NULL)
        return pg_bad_arg(PG(s), "each_identity_of_user");
    return pg_iterate(PG(s), &ST_IDENTITIES_OF_USER, PG_PARAMS(PGT(user_id)), emit_identity, fn,
                      ctx, "each_identity_of_user");
}

/* ---- an organization's users ----------------------------------------- */

static pd_err org_user(pg_store *q, pg_stmt *st, const char *org_id, const char *key,
                       pd_user *out, const char *op)
{
    if (org_id == NULL || key == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, st, PG_PARAMS(PGT(org_id), PGT(key)), pg_user_conv, out, op);
}

static pd_err pga_get_org_user_by_email(pd_store *s, const char *org_id, const char *email,
                                        pd_user *out)
{
    return org_user(PG(s), &ST_ORG_USER_BY_EMAIL, org_id, email, out, "get_org_user_by_email");
}

static pd_err pga_get_org_user(pd_store *s, const char *org_id, const char *user_id,
                               pd_user *out)
{
    return org_user(PG(s), &ST_ORG_USER_BY_ID, org_id, user_id, out, "get_org_user");
}

static int emit_listed_user(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_user u;
    pg_user_borrow(r, &u);
    return fn(ctx, &u);
}

static pd_err pga_list_org_users(pd_store *s, const pd_org_user_query *uq, int64_t *total,
                                 pd_iter_fn fn, void *ctx)
{
    static const char op[] = "list_org_users";
    pg_store *q = PG(s);
    if (uq == NULL || uq->organization_id == NULL || total == NULL || fn == NULL
        || uq->start < 0 || uq->take < 1)
        return pg_bad_arg(q, op);
    pg_stmt *list = &ST_ORG_LIST_ALL, *count = &ST_ORG_COUNT_ALL;
    if (uq->email != NULL) {
        list = &ST_ORG_LIST_EMAIL;
        count = &ST_ORG_COUNT_EMAIL;
    } else if (uq->account_id != NULL) {
        list = &ST_ORG_LIST_ACCOUNT;
        count = &ST_ORG_COUNT_ACCOUNT;
    } else if (uq->domain_id != NULL) {
        list = &ST_ORG_LIST_DOMAIN;
        count = &ST_ORG_COUNT_DOMAIN;
    }
    const pg_param filters[] = {
        PGT(uq->organization_id), PGT(uq->email), PGT(uq->like), PGT(uq->statuses),
        PGT(uq->account_id), PGT(uq->domain_id), PGT(uq->modified_since),
        PGI(uq->take), PGI(uq->start),
    };
    const pg_param plain[] = { PGT(uq->organization_id), PGI(uq->take), PGI(uq->start) };
    bool unfiltered = uq->email == NULL && uq->like == NULL && uq->statuses == NULL
                      && uq->account_id == NULL && uq->domain_id == NULL
                      && uq->modified_since == NULL;
    pg_params count_ps = { filters, 7 }, list_ps = { filters, 9 };
    if (unfiltered) {
        list = &ST_ORG_LIST_PLAIN;
        count = &ST_ORG_COUNT_PLAIN;
        count_ps = (pg_params){ plain, 1 };
        list_ps = (pg_params){ plain, 3 };
    }
    pg_tx_kind k;
    pd_err e = pg_tx_enter_read(q, op, &k);
    if (e != PD_OK)
        return e;
    *total = 0;
    e = pg_fetch(q, count, count_ps, pg_int64_conv, total, PG_NONE_FAILS, op);
    if (e == PD_OK)
        e = pg_iterate(q, list, list_ps, emit_listed_user, fn, ctx, op);
    return pg_tx_leave(q, op, k, e);
}

typedef struct {
    pd_org_membership *v;
    size_t n, cap;
} org_ms_ctx;

static int org_membership_row(const pg_row *r, void *ctx)
{
    org_ms_ctx *x = ctx;
    if (x->n == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 4;
        pd_org_membership *nv = realloc(x->v, ncap * sizeof *nv);
        if (nv == NULL)
            return -1;
        x->v = nv;
        x->cap = ncap;
    }
    pd_org_membership *om = &x->v[x->n];
    memset(om, 0, sizeof *om);
    x->n++;                         /* counted before copying so the free releases it */
    pd_account *a = &om->account;
    a->external_id = pg_col_i64(r, 1);
    bool ok = pg_dup(&a->id, pg_col_text(r, 0)) && pg_dup(&a->name, pg_col_text(r, 2))
              && pg_dup(&a->organization_id, pg_col_text(r, 3))
              && pg_membership_from(r, 4, &om->membership);
    return ok ? 0 : -1;
}

static pd_err pga_get_org_memberships(pd_store *s, const char *org_id, const char *user_id,
                                      pd_org_membership **out, size_t *n)
{
    static const char op[] = "get_org_memberships";
    pg_store *q = PG(s);
    if (org_id == NULL || user_id == NULL || out == NULL || n == NULL)
        return pg_bad_arg(q, op);
    *out = NULL;
    *n = 0;
    org_ms_ctx x = { 0 };
    pd_err e = pg_rows(q, &ST_ORG_MEMBERSHIPS, PG_PARAMS(PGT(org_id), PGT(user_id)),
                       org_membership_row, &x, op, NULL);
    if (e != PD_OK) {
        pd_org_memberships_free(x.v, x.n);
        return e;
    }
    *out = x.v;
    *n = x.n;
    return PD_OK;
}

void pg_admin_ops(pd_store_ops *ops)
{
    ops->get_org = pga_get_org;
    ops->check_org_admin = pga_check_org_admin;
    ops->upsert_org_admin = pga_upsert_org_admin;
    ops->upsert_org_domain = pga_upsert_org_domain;
    ops->upsert_identity = pga_upsert_identity;
    ops->each_org_admin = pga_each_org_admin;
    ops->each_org_domain = pga_each_org_domain;
    ops->each_identity = pga_each_identity;
    ops->each_identity_of_user = pga_each_identity_of_user;
    ops->get_org_user_by_email = pga_get_org_user_by_email;
    ops->get_org_user = pga_get_org_user;
    ops->list_org_users = pga_list_org_users;
    ops->get_org_memberships = pga_get_org_memberships;
}
