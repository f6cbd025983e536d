/*
 * pg_users.c - the PostgreSQL store ops for accounts, users, memberships,
 * images, the import (upserts) and export (iterations), the cache versions
 * and the tenant wipe: the same semantics as store/sqlite.c (store.h).
 *
 * Lost updates: PUT profile reads, merges and writes inside one explicit
 * write transaction (begin, get_user, update_profile, commit).  PostgreSQL's
 * READ COMMITTED would let two nodes read the same document and the second
 * commit overwrite the first's fields, so get_user and get_user_by_email
 * inside a write transaction (the begin op) read with SELECT ... FOR UPDATE:
 * the second node waits on the row lock until the first commits and then
 * reads the merged document.  We chose the row lock over SERIALIZABLE with
 * retries because the transaction is the caller's (the handler would have
 * to replay its whole read-merge-write on a serialization failure) and the
 * lock costs nothing extra when there is no contention.
 *
 * Large iterations (each_user, each_membership) page by key
 * (LIM_PG_PAGE_ROWS rows a statement) so neither node nor libpq holds a
 * 1M-row result; the export runs them inside begin_read, one snapshot.
 * Membership groups come with their membership in one statement (a JSON
 * array built by the server), so a lookup is one round trip.
 *
 * Memory: out-structs are zeroed first and on PD_OK own heap copies of
 * every string (release with pd_*_clear()); rows handed to iteration
 * callbacks are borrowed for the call.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/limits.h"
#include "store/backend.h"
#include "store/pg_internal.h"

#define ACCOUNT_COLS "id, external_id, name, organization_id"
#define USER_COLS "u.id, u.email, u.status, u.created, u.modified, u.last_login," \
                  " u.password_hash, u.profile_json, u.version, i.etag"
#define USER_NCOLS 10                 /* the columns of USER_COLS */
#define USER_FROM " FROM users u LEFT JOIN user_images i ON i.user_id = u.id"
/* get_user's extra column: the user's default account (pd_user), so a
 * profile read needs no each_account_of_user round trip */
#define USER_DEFAULT_ACCOUNT \
    ", (SELECT a.id FROM memberships m JOIN accounts a ON a.id = m.account_id" \
    "   WHERE m.user_id = u.id ORDER BY a.external_id LIMIT 1)"

/* ---- statements ------------------------------------------------------ */

static pg_stmt ST_ACCOUNT_BY_ID = PG_STMT(
    "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_ACCOUNT_BY_EXT = PG_STMT(
    "SELECT " ACCOUNT_COLS " FROM accounts WHERE external_id = $1");
static pg_stmt ST_USER_BY_ID = PG_STMT(
    "SELECT " USER_COLS USER_DEFAULT_ACCOUNT USER_FROM " WHERE u.id = " PG_LOWER("$1"));
static pg_stmt ST_USER_BY_EMAIL = PG_STMT(
    "SELECT " USER_COLS USER_DEFAULT_ACCOUNT USER_FROM " WHERE u.email = " PG_LOWER("$1"));
static pg_stmt ST_USER_BY_ID_LOCK = PG_STMT(
    "SELECT " USER_COLS USER_DEFAULT_ACCOUNT USER_FROM " WHERE u.id = " PG_LOWER("$1") " FOR UPDATE OF u");
static pg_stmt ST_USER_BY_EMAIL_LOCK = PG_STMT(
    "SELECT " USER_COLS USER_DEFAULT_ACCOUNT USER_FROM " WHERE u.email = " PG_LOWER("$1") " FOR UPDATE OF u");
static pg_stmt ST_COUNT_USERS = PG_STMT("SELECT count(*) FROM users");
static pg_stmt ST_MEMBERSHIP = PG_STMT(
    "SELECT m.account_id, m.user_id, m.is_admin, m.permission_profile_id, p.name, m.added, "
    PG_MEMBERSHIP_GROUPS_JSON
    " FROM memberships m LEFT JOIN permission_profiles p"
    "   ON p.account_id = m.account_id AND p.id = m.permission_profile_id"
    " WHERE m.account_id = " PG_LOWER("$1") " AND m.user_id = " PG_LOWER("$2"));
/* get_member_user: the user's columns as ST_USER_BY_ID (USER_COLS, then
 * the default account), then the membership's as ST_MEMBERSHIP from
 * MEMBER_USER_C0 (memberships.user_id references users, so a membership
 * always finds its user) */
#define MEMBER_USER_C0 (USER_NCOLS + 1)
static pg_stmt ST_MEMBER_USER = PG_STMT(
    "SELECT " USER_COLS USER_DEFAULT_ACCOUNT ","
    " m.account_id, m.user_id, m.is_admin, m.permission_profile_id, p.name, m.added, "
    PG_MEMBERSHIP_GROUPS_JSON
    " FROM memberships m JOIN users u ON u.id = m.user_id"
    " LEFT JOIN user_images i ON i.user_id = u.id"
    " LEFT JOIN permission_profiles p"
    "   ON p.account_id = m.account_id AND p.id = m.permission_profile_id"
    " WHERE m.account_id = " PG_LOWER("$1") " AND m.user_id = " PG_LOWER("$2"));
static pg_stmt ST_UPDATE_PROFILE = PG_STMT(
    "UPDATE users SET profile_json = $2, modified = $3, version = version + 1"
    " WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_USER_TOUCH = PG_STMT(
    "UPDATE users SET modified = $2, version = version + 1 WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_IMAGE_GET = PG_STMT_BIN(
    "SELECT content_type, bytes, etag FROM user_images WHERE user_id = " PG_LOWER("$1"));
static pg_stmt ST_IMAGE_PUT = PG_STMT(
    "INSERT INTO user_images(user_id, content_type, bytes, etag)"
    " VALUES (" PG_LOWER("$1") ", $2, $3, $4)"
    " ON CONFLICT(user_id) DO UPDATE SET content_type = excluded.content_type,"
    "   bytes = excluded.bytes, etag = excluded.etag");
static pg_stmt ST_IMAGE_DELETE = PG_STMT(
    "DELETE FROM user_images WHERE user_id = " PG_LOWER("$1"));
static pg_stmt ST_UPSERT_ORG = PG_STMT(
    "INSERT INTO organizations(id, name, site_id, site_name) VALUES (" PG_LOWER("$1") ", $2, $3, $4)"
    " ON CONFLICT(id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id,"
    "   site_name = excluded.site_name");
static pg_stmt ST_UPSERT_ACCOUNT = PG_STMT(
    "INSERT INTO accounts(id, external_id, name, organization_id)"
    " VALUES (" PG_LOWER("$1") ", $2, $3, " PG_LOWER("$4") ")"
    " ON CONFLICT(id) DO UPDATE SET external_id = excluded.external_id,"
    "   name = excluded.name, organization_id = excluded.organization_id");
static pg_stmt ST_UPSERT_PERM_PROFILE = PG_STMT(
    "INSERT INTO permission_profiles(account_id, id, name) VALUES (" PG_LOWER("$1") ", $2, $3)"
    " ON CONFLICT(account_id, id) DO UPDATE SET name = excluded.name");
static pg_stmt ST_UPSERT_GROUP = PG_STMT(
    "INSERT INTO groups(account_id, id, name, type) VALUES (" PG_LOWER("$1") ", $2, $3, $4)"
    " ON CONFLICT(account_id, id) DO UPDATE SET name = excluded.name, type = excluded.type");
static pg_stmt ST_UPSERT_USER = PG_STMT(
    "INSERT INTO users(id, email, status, created, modified, last_login,"
    "                  password_hash, profile_json, version)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ", $3, $4, $5, $6, $7, $8, 1)"
    " ON CONFLICT(id) DO UPDATE SET email = excluded.email, status = excluded.status,"
    "   modified = excluded.modified, last_login = excluded.last_login,"
    "   password_hash = coalesce(excluded.password_hash, users.password_hash),"
    "   profile_json = excluded.profile_json, version = users.version + 1");
/* $5: when the user joined; NULL keeps the stored date, or is now for a new one */
static pg_stmt ST_UPSERT_MEMBERSHIP = PG_STMT(
    "INSERT INTO memberships(account_id, user_id, is_admin, permission_profile_id, added)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ", $3, $4,"
    "         coalesce($5, to_char(clock_timestamp() AT TIME ZONE 'UTC',"
    "                              'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z'))"
    " ON CONFLICT(account_id, user_id) DO UPDATE SET is_admin = excluded.is_admin,"
    "   permission_profile_id = excluded.permission_profile_id,"
    "   added = coalesce($5, memberships.added)");
static pg_stmt ST_MG_DELETE = PG_STMT(
    "DELETE FROM membership_groups WHERE account_id = " PG_LOWER("$1")
    " AND user_id = " PG_LOWER("$2"));
static pg_stmt ST_MG_INSERT = PG_STMT(
    "INSERT INTO membership_groups(account_id, user_id, group_id)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ", $3) ON CONFLICT DO NOTHING");
static pg_stmt ST_USER_BUMP = PG_STMT(
    "UPDATE users SET version = version + 1 WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_EACH_ORG = PG_STMT(
    "SELECT id, name, site_id, site_name FROM organizations ORDER BY id");
static pg_stmt ST_EACH_ACCOUNT = PG_STMT("SELECT " ACCOUNT_COLS " FROM accounts ORDER BY id");
static pg_stmt ST_EACH_PERM_PROFILE = PG_STMT(
    "SELECT id, name FROM permission_profiles WHERE account_id = " PG_LOWER("$1") " ORDER BY id");
static pg_stmt ST_EACH_GROUP = PG_STMT(
    "SELECT id, name, type FROM groups WHERE account_id = " PG_LOWER("$1") " ORDER BY id");
static pg_stmt ST_EACH_USER_PAGE = PG_STMT(
    "SELECT " USER_COLS USER_FROM " WHERE u.id > $1 ORDER BY u.id LIMIT $2");
static pg_stmt ST_EACH_MEMBERSHIP_PAGE = PG_STMT(
    "SELECT m.account_id, m.user_id, m.is_admin, m.permission_profile_id,"
    "       (SELECT json_agg(mg.group_id ORDER BY mg.group_id) FROM membership_groups mg"
    "         WHERE mg.account_id = m.account_id AND mg.user_id = m.user_id), m.added"
    " FROM memberships m WHERE (m.account_id, m.user_id) > ($1, $2)"
    " ORDER BY m.account_id, m.user_id LIMIT $3");
static pg_stmt ST_VERSIONS = PG_STMT(
    "SELECT coalesce((SELECT version FROM users WHERE id = " PG_LOWER("$1")
    "                 AND status = 'Active'), -1),"
    "       coalesce((SELECT version FROM users WHERE id = " PG_LOWER("$2") "), -1),"
    "       coalesce((SELECT value FROM meta WHERE key = 'generation'), 0)");
static pg_stmt ST_BUMP_GENERATION = PG_STMT(
    "UPDATE meta SET value = value + 1 WHERE key = 'generation'");
static pg_stmt ST_LOGIN_RECORD = PG_STMT(
    "UPDATE users SET last_login = coalesce($2, last_login),"
    "   profile_json = coalesce($3, profile_json), version = version + 1"
    " WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_ACCOUNTS_OF_USER = PG_STMT(
    "SELECT a.id, a.external_id, a.name, a.organization_id"
    " FROM memberships m JOIN accounts a ON a.id = m.account_id"
    " WHERE m.user_id = " PG_LOWER("$1") " ORDER BY a.external_id");

/* ---- rows ------------------------------------------------------------ */

static void account_borrow(const pg_row *r, pd_account *a)
{
    a->id = (char *)pg_col_text(r, 0);
    a->external_id = pg_col_i64(r, 1);
    a->name = (char *)pg_col_text(r, 2);
    a->organization_id = (char *)pg_col_text(r, 3);
}

static bool account_conv(const pg_row *r, void *out)
{
    pd_account *a = out;
    a->external_id = pg_col_i64(r, 1);
    bool ok = pg_dup(&a->id, pg_col_text(r, 0)) && pg_dup(&a->name, pg_col_text(r, 2))
              && pg_dup(&a->organization_id, pg_col_text(r, 3));
    if (!ok)
        pd_account_clear(a);
    return ok;
}

void pg_user_borrow(const pg_row *r, pd_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = (char *)pg_col_text(r, 0);
    u->email = (char *)pg_col_text(r, 1);
    u->status = (char *)pg_col_text(r, 2);
    u->created = (char *)pg_col_text(r, 3);
    u->modified = (char *)pg_col_text(r, 4);
    u->last_login = (char *)pg_col_text(r, 5);
    u->password_hash = (char *)pg_col_text(r, 6);
    u->profile_json = (char *)pg_col_text(r, 7);
    u->version = pg_col_i64(r, 8);
    u->image_etag = (char *)pg_col_text(r, 9);
    u->has_image = u->image_etag != NULL;
}

bool pg_user_conv(const pg_row *r, void *out)
{
    pd_user *dst = out, src;
    pg_user_borrow(r, &src);
    dst->version = src.version;
    dst->has_image = src.has_image;
    bool ok = pg_dup(&dst->id, src.id) && pg_dup(&dst->email, src.email)
              && pg_dup(&dst->status, src.status) && pg_dup(&dst->created, src.created)
              && pg_dup(&dst->modified, src.modified) && pg_dup(&dst->last_login, src.last_login)
              && pg_dup(&dst->password_hash, src.password_hash)
              && pg_dup(&dst->profile_json, src.profile_json)
              && pg_dup(&dst->image_etag, src.image_etag);
    if (!ok)
        pd_user_clear(dst);
    return ok;
}

/* A JSON text of [[id, name, type], ...] into m->groups (NULL text: none). */
static bool groups_parse(const char *text, pd_membership *m)
{
    if (text == NULL)
        return true;
    json_t *a = json_loads(text, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return false;
    }
    size_t n = json_array_size(a);
    bool ok = true;
    m->groups = n > 0 ? calloc(n, sizeof *m->groups) : NULL;
    if (n > 0 && m->groups == NULL)
        ok = false;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *g = json_array_get(a, i);
        pd_group *out = &m->groups[i];
        m->n_groups++;
        ok = pg_dup(&out->id, json_string_value(json_array_get(g, 0)))
             && pg_dup(&out->name, json_string_value(json_array_get(g, 1)))
             && pg_dup(&out->type, json_string_value(json_array_get(g, 2)));
    }
    json_decref(a);
    return ok;
}

bool pg_membership_from(const pg_row *r, int c0, pd_membership *m)
{
    m->is_admin = pg_col_bool(r, c0 + 2);
    return pg_dup(&m->account_id, pg_col_text(r, c0)) && pg_dup(&m->user_id, pg_col_text(r, c0 + 1))
           && pg_dup(&m->permission_profile_id, pg_col_text(r, c0 + 3))
           && pg_dup(&m->permission_profile_name, pg_col_text(r, c0 + 4))
           && pg_dup(&m->added, pg_col_text(r, c0 + 5))
           && groups_parse(pg_col_text(r, c0 + 6), m);
}

static bool membership_conv(const pg_row *r, void *out)
{
    if (pg_membership_from(r, 0, out))
        return true;
    pd_membership_clear(out);
    return false;
}

bool pg_int64_conv(const pg_row *r, void *out)
{
    *(int64_t *)out = pg_col_i64(r, 0);
    return true;
}

static bool int64x3_conv(const pg_row *r, void *out)
{
    int64_t *v = out;
    for (int i = 0; i < 3; i++)
        v[i] = pg_col_i64(r, i);
    return true;
}

/* ---- lookups --------------------------------------------------------- */

static pd_err pgu_get_account(pd_store *s, const char *ref, pd_account *out)
{
    static const char op[] = "get_account";
    pg_store *q = PG(s);
    if (ref == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    int64_t num = 0;
    int kind = store_account_ref_kind(ref, &num);
    if (kind < 0 || ref[0] == '\0')
        return PD_ERR_NOT_FOUND;
    if (kind == 1)
        return pg_fetch_one(q, &ST_ACCOUNT_BY_EXT, PG_PARAMS(PGI(num)), account_conv, out, op);
    return pg_fetch_one(q, &ST_ACCOUNT_BY_ID, PG_PARAMS(PGT(ref)), account_conv, out, op);
}

/* row_conv: pg_user_conv with USER_DEFAULT_ACCOUNT after USER_COLS. */
static bool user_default_conv(const pg_row *r, void *out)
{
    pd_user *u = out;
    if (!pg_user_conv(r, out))
        return false;
    if (!pg_dup(&u->default_account_id, pg_col_text(r, USER_NCOLS))) {
        pd_user_clear(u);
        return false;
    }
    return true;
}

static pd_err fetch_user(pg_store *q, pg_stmt *st, pg_stmt *locking, const char *key,
                         pd_user *out, const char *op)
{
    if (key == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    /* inside a write transaction the row stays locked until it ends (file comment) */
    return pg_fetch_one(q, q->tx == PG_TX_WRITE ? locking : st, PG_PARAMS(PGT(key)),
                        user_default_conv, out, op);
}

static pd_err pgu_get_user(pd_store *s, const char *user_id, pd_user *out)
{
    return fetch_user(PG(s), &ST_USER_BY_ID, &ST_USER_BY_ID_LOCK, user_id, out, "get_user");
}

static pd_err pgu_get_user_by_email(pd_store *s, const char *email, pd_user *out)
{
    return fetch_user(PG(s), &ST_USER_BY_EMAIL, &ST_USER_BY_EMAIL_LOCK, email, out,
                      "get_user_by_email");
}

static pd_err pgu_get_membership(pd_store *s, const char *account_id, const char *user_id,
                                 pd_membership *out)
{
    static const char op[] = "get_membership";
    pg_store *q = PG(s);
    if (account_id == NULL || user_id == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, &ST_MEMBERSHIP, PG_PARAMS(PGT(account_id), PGT(user_id)),
                        membership_conv, out, op);
}

typedef struct {
    pd_membership *m;
    pd_user *u;
} member_user;

static bool member_user_conv(const pg_row *r, void *out)
{
    member_user *x = out;
    if (user_default_conv(r, x->u) && pg_membership_from(r, MEMBER_USER_C0, x->m))
        return true;
    pd_user_clear(x->u);
    pd_membership_clear(x->m);
    return false;
}

static pd_err pgu_get_member_user(pd_store *s, const char *account_id, const char *user_id,
                                  pd_membership *m, pd_user *u)
{
    static const char op[] = "get_member_user";
    pg_store *q = PG(s);
    if (m != NULL)
        memset(m, 0, sizeof *m);
    if (u != NULL)
        memset(u, 0, sizeof *u);
    if (account_id == NULL || user_id == NULL || m == NULL || u == NULL)
        return pg_bad_arg(q, op);
    pd_err e;
    if (q->tx == PG_TX_WRITE) {
        /* a write transaction reads the user row FOR UPDATE (file comment) */
        e = pgu_get_membership(s, account_id, user_id, m);
        if (e == PD_OK)
            e = pgu_get_user(s, user_id, u);
    } else {
        member_user x = { m, u };
        e = pg_fetch_one(q, &ST_MEMBER_USER, PG_PARAMS(PGT(account_id), PGT(user_id)),
                         member_user_conv, &x, op);
    }
    if (e != PD_OK) {
        pd_membership_clear(m);
        pd_user_clear(u);
    }
    return e;
}

static pd_err pgu_count_users(pd_store *s, int64_t *out)
{
    static const char op[] = "count_users";
    pg_store *q = PG(s);
    if (out == NULL)
        return pg_bad_arg(q, op);
    return pg_fetch(q, &ST_COUNT_USERS, PG_NO_PARAMS, pg_int64_conv, out, PG_NONE_FAILS, op);
}

/* ---- profile and image writes ---------------------------------------- */

static pd_err pgu_update_profile(pd_store *s, const char *user_id, const char *profile_json,
                                 const char *modified)
{
    static const char op[] = "update_profile";
    pg_store *q = PG(s);
    if (user_id == NULL || profile_json == NULL || modified == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec_keyed(q, &ST_UPDATE_PROFILE,
                                  PG_PARAMS(PGT(user_id), PGT(profile_json), PGT(modified)), op));
}

static bool image_conv(const pg_row *r, void *out)
{
    pd_image *im = out;
    size_t len = 0;
    const unsigned char *b = pg_col_bytes(r, 1, &len);
    im->bytes = malloc(len > 0 ? len : 1);
    if (b == NULL || im->bytes == NULL || !pg_dup(&im->content_type, pg_col_text(r, 0))
        || !pg_dup(&im->etag, pg_col_text(r, 2))) {
        pd_image_clear(im);
        return false;
    }
    if (len > 0)
        memcpy(im->bytes, b, len);
    im->len = len;
    return true;
}

static pd_err pgu_get_image(pd_store *s, const char *user_id, pd_image *out)
{
    static const char op[] = "get_image";
    pg_store *q = PG(s);
    if (user_id == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, &ST_IMAGE_GET, PG_PARAMS(PGT(user_id)), image_conv, out, op);
}

static pd_err pgu_put_image(pd_store *s, const char *user_id, const unsigned char *bytes,
                            size_t len, const char *content_type, const char *etag,
                            const char *modified)
{
    static const char op[] = "put_image";
    pg_store *q = PG(s);
    if (user_id == NULL || (bytes == NULL && len > 0) || content_type == NULL || etag == NULL
        || modified == NULL)
        return pg_bad_arg(q, op);
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = pg_exec_keyed(q, &ST_USER_TOUCH, PG_PARAMS(PGT(user_id), PGT(modified)), op);
    if (e == PD_OK)
        e = pg_exec(q, &ST_IMAGE_PUT,
                    PG_PARAMS(PGT(user_id), PGT(content_type), PGB(bytes, len), PGT(etag)), op,
                    "the user does not exist", NULL);
    e = pg_wrote_ok(q, e);
    return pg_tx_leave(q, op, k, e);
}

static pd_err pgu_delete_image(pd_store *s, const char *user_id, const char *modified)
{
    static const char op[] = "delete_image";
    pg_store *q = PG(s);
    if (user_id == NULL || modified == NULL)
        return pg_bad_arg(q, op);
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = pg_exec_keyed(q, &ST_IMAGE_DELETE, PG_PARAMS(PGT(user_id)), op);
    if (e == PD_OK)
        e = pg_exec_keyed(q, &ST_USER_TOUCH, PG_PARAMS(PGT(user_id), PGT(modified)), op);
    e = pg_wrote_ok(q, e);
    return pg_tx_leave(q, op, k, e);
}

/* ---- import (upsert) ------------------------------------------------- */

static pd_err pgu_upsert_org(pd_store *s, const pd_org *o)
{
    static const char op[] = "upsert_org";
    pg_store *q = PG(s);
    if (o == NULL || o->id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_UPSERT_ORG,
                            PG_PARAMS(PGT(o->id), PGT(o->name), PGIN(o->site_id, o->site_id <= 0),
                                      PGT(o->site_name)),
                            op, NULL, NULL));
}

static pd_err pgu_upsert_account(pd_store *s, const pd_account *a)
{
    static const char op[] = "upsert_account";
    pg_store *q = PG(s);
    if (a == NULL || a->id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_UPSERT_ACCOUNT,
                            PG_PARAMS(PGT(a->id), PGI(a->external_id), PGT(a->name),
                                      PGT(a->organization_id)),
                            op, "the organization does not exist", NULL));
}

static pd_err pgu_upsert_perm_profile(pd_store *s, const char *account_id,
                                      const pd_perm_profile *p)
{
    static const char op[] = "upsert_perm_profile";
    pg_store *q = PG(s);
    if (account_id == NULL || p == NULL || p->id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_UPSERT_PERM_PROFILE,
                            PG_PARAMS(PGT(account_id), PGT(p->id), PGT(p->name)), op,
                            "the account does not exist", NULL));
}

static pd_err pgu_upsert_group(pd_store *s, const char *account_id, const pd_group *g)
{
    static const char op[] = "upsert_group";
    pg_store *q = PG(s);
    if (account_id == NULL || g == NULL || g->id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_UPSERT_GROUP,
                            PG_PARAMS(PGT(account_id), PGT(g->id), PGT(g->name), PGT(g->type)),
                            op, "the account does not exist", NULL));
}

static pd_err pgu_upsert_user(pd_store *s, const pd_user *u)
{
    static const char op[] = "upsert_user";
    pg_store *q = PG(s);
    if (u == NULL || u->id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_UPSERT_USER,
                            PG_PARAMS(PGT(u->id), PGT(u->email), PGT(u->status), PGT(u->created),
                                      PGT(u->modified), PGT(u->last_login),
                                      PGT(u->password_hash), PGT(u->profile_json)),
                            op, NULL, NULL));
}

static pd_err pgu_upsert_membership(pd_store *s, const pd_membership *m)
{
    static const char op[] = "upsert_membership";
    static const char fk[] = "the account, user, permission profile or a group does not exist";
    pg_store *q = PG(s);
    if (m == NULL || m->account_id == NULL || m->user_id == NULL
        || (m->n_group_ids > 0 && m->group_ids == NULL))
        return pg_bad_arg(q, op);
    for (size_t i = 0; i < m->n_group_ids; i++)
        if (m->group_ids[i] == NULL)
            return pg_bad_arg(q, op);
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = pg_exec(q, &ST_UPSERT_MEMBERSHIP,
                PG_PARAMS(PGT(m->account_id), PGT(m->user_id), PGI(m->is_admin ? 1 : 0),
                          PGT(m->permission_profile_id), PGT(m->added)),
                op, fk, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_MG_DELETE, PG_PARAMS(PGT(m->account_id), PGT(m->user_id)), op, fk,
                    NULL);
    for (size_t i = 0; e == PD_OK && i < m->n_group_ids; i++)
        e = pg_exec(q, &ST_MG_INSERT,
                    PG_PARAMS(PGT(m->account_id), PGT(m->user_id), PGT(m->group_ids[i])), op, fk,
                    NULL);
    /* cached renderings of this user include the membership */
    if (e == PD_OK)
        e = pg_exec(q, &ST_USER_BUMP, PG_PARAMS(PGT(m->user_id)), op, NULL, NULL);
    e = pg_wrote_ok(q, e);
    return pg_tx_leave(q, op, k, e);
}

/* ---- export (iteration) ---------------------------------------------- */

static int emit_org(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_org o = { .id = (char *)pg_col_text(r, 0), .name = (char *)pg_col_text(r, 1),
                 .site_id = pg_col_i64(r, 2), .site_name = (char *)pg_col_text(r, 3) };
    return fn(ctx, &o);
}

static int emit_account(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_account a;
    account_borrow(r, &a);
    return fn(ctx, &a);
}

static int emit_perm_profile(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_perm_profile p = { .id = (char *)pg_col_text(r, 0), .name = (char *)pg_col_text(r, 1) };
    return fn(ctx, &p);
}

static int emit_group(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_group g = { .id = (char *)pg_col_text(r, 0), .name = (char *)pg_col_text(r, 1),
                   .type = (char *)pg_col_text(r, 2) };
    return fn(ctx, &g);
}

static pd_err pgu_each_org(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return pg_iterate(PG(s), &ST_EACH_ORG, PG_NO_PARAMS, emit_org, fn, ctx, "each_org");
}

static pd_err pgu_each_account(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return pg_iterate(PG(s), &ST_EACH_ACCOUNT, PG_NO_PARAMS, emit_account, fn, ctx,
                      "each_account");
}

static pd_err pgu_each_perm_profile(pd_store *s, const char *account_id, pd_iter_fn fn,
                                    void *ctx)
{
    if (account_id == NULL)
        return pg_bad_arg(PG(s), "each_perm_profile");
    return pg_iterate(PG(s), &ST_EACH_PERM_PROFILE, PG_PARAMS(PGT(account_id)), emit_perm_profile,
                      fn, ctx, "each_perm_profile");
}

static pd_err pgu_each_group(pd_store *s, const char *account_id, pd_iter_fn fn, void *ctx)
{
    if (account_id == NULL)
        return pg_bad_arg(PG(s), "each_group");
    return pg_iterate(PG(s), &ST_EACH_GROUP, PG_PARAMS(PGT(account_id)), emit_group, fn, ctx,
                      "each_group");
}

/* Paging state: the key of the last row handed out (owned copies). */
typedef struct {
    pd_iter_fn fn;
    void *ctx;
    char *last[2];
    bool stopped;
} page_ctx;

static bool remember(page_ctx *x, int i, const char *v)
{
    free(x->last[i]);
    return pg_dup(&x->last[i], v);
}

static int user_page_row(const pg_row *r, void *ctx)
{
    page_ctx *x = ctx;
    pd_user u;
    pg_user_borrow(r, &u);
    if (!remember(x, 0, u.id))
        return -1;
    if (x->fn(x->ctx, &u) != 0) {
        x->stopped = true;
        return 1;
    }
    return 0;
}

static pd_err pgu_each_user(pd_store *s, pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_user";
    pg_store *q = PG(s);
    if (fn == NULL)
        return pg_bad_arg(q, op);
    page_ctx x = { .fn = fn, .ctx = ctx };
    pd_err e = pg_dup(&x.last[0], "") ? PD_OK : pg_oom(q, op);
    for (int n = LIM_PG_PAGE_ROWS; e == PD_OK && n == LIM_PG_PAGE_ROWS && !x.stopped;)
        e = pg_rows(q, &ST_EACH_USER_PAGE, PG_PARAMS(PGT(x.last[0]), PGI(LIM_PG_PAGE_ROWS)),
                    user_page_row, &x, op, &n);
    free(x.last[0]);
    return e;
}

/* One membership row with its group ids (a JSON array of strings) to fn. */
static int membership_page_row(const pg_row *r, void *ctx)
{
    page_ctx *x = ctx;
    pd_membership m = {0};
    int rc = -1;
    m.account_id = (char *)pg_col_text(r, 0);
    m.user_id = (char *)pg_col_text(r, 1);
    m.is_admin = pg_col_bool(r, 2);
    m.permission_profile_id = (char *)pg_col_text(r, 3);
    m.added = (char *)pg_col_text(r, 5);
    json_t *ids = pg_col_null(r, 4) ? NULL : json_loads(pg_col_text(r, 4), 0, NULL);
    size_t n = json_array_size(ids);
    const char **v = n > 0 ? calloc(n, sizeof *v) : NULL;
    if ((n > 0 && v == NULL) || !remember(x, 0, m.account_id) || !remember(x, 1, m.user_id))
        goto out;
    for (size_t i = 0; i < n; i++) {
        v[i] = json_string_value(json_array_get(ids, i));
        if (v[i] == NULL)
            goto out;
    }
    m.group_ids = (char **)v;
    m.n_group_ids = n;
    rc = 0;
    if (x->fn(x->ctx, &m) != 0) {
        x->stopped = true;
        rc = 1;
    }
out:
    free(v);
    json_decref(ids);
    return rc;
}

static pd_err pgu_each_membership(pd_store *s, pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_membership";
    pg_store *q = PG(s);
    if (fn == NULL)
        return pg_bad_arg(q, op);
    page_ctx x = { .fn = fn, .ctx = ctx };
    pd_err e = pg_dup(&x.last[0], "") && pg_dup(&x.last[1], "") ? PD_OK : pg_oom(q, op);
    for (int n = LIM_PG_PAGE_ROWS; e == PD_OK && n == LIM_PG_PAGE_ROWS && !x.stopped;)
        e = pg_rows(q, &ST_EACH_MEMBERSHIP_PAGE,
                    PG_PARAMS(PGT(x.last[0]), PGT(x.last[1]), PGI(LIM_PG_PAGE_ROWS)),
                    membership_page_row, &x, op, &n);
    free(x.last[0]);
    free(x.last[1]);
    return e;
}

/* ---- cache versions, generation, wipe -------------------------------- */

static pd_err pgu_get_versions(pd_store *s, const char *user_a, const char *user_b,
                               int64_t *va, int64_t *vb, int64_t *generation)
{
    static const char op[] = "get_versions";
    pg_store *q = PG(s);
    int64_t v[3];
    if (user_a == NULL || user_b == NULL)
        return pg_bad_arg(q, op);
    pd_err e = pg_fetch(q, &ST_VERSIONS, PG_PARAMS(PGT(user_a), PGT(user_b)), int64x3_conv, v,
                        PG_NONE_FAILS, op);
    if (e == PD_OK) {
        *va = v[0];
        *vb = v[1];
        *generation = v[2];
    }
    return e;
}

static pd_err pgu_bump_generation(pd_store *s)
{
    pg_store *q = PG(s);
    return pg_wrote_ok(q, pg_exec(q, &ST_BUMP_GENERATION, PG_NO_PARAMS, "bump_generation", NULL, NULL));
}

/* Children before parents, as in sqlite.c. */
static const char SQL_WIPE_TENANT[] =
    "DELETE FROM oauth_grants; DELETE FROM oauth_consents; DELETE FROM integration_keys;"
    "DELETE FROM integration_redirect_uris; DELETE FROM integrations; DELETE FROM login_throttle;"
    "DELETE FROM user_identities; DELETE FROM organization_users; DELETE FROM organization_domains;"
    "DELETE FROM organization_admins; DELETE FROM membership_groups; DELETE FROM memberships;"
    "DELETE FROM user_images; DELETE FROM groups; DELETE FROM permission_profiles;"
    "DELETE FROM users; DELETE FROM accounts; DELETE FROM organizations;";

static pd_err pgu_wipe_tenant(pd_store *s)
{
    pg_store *q = PG(s);
    if (q->tx != PG_TX_WRITE)
        return pg_fail(q, "wipe_tenant", "only inside a transaction");
    return pg_wrote_ok(q, pg_exec_sql(q, SQL_WIPE_TENANT, "wipe_tenant"));
}

/* ---- sign-ins -------------------------------------------------------- */

static pd_err pgu_record_login(pd_store *s, const char *user_id, const char *last_login,
                               const char *profile_json)
{
    static const char op[] = "record_login";
    pg_store *q = PG(s);
    if (user_id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec_keyed(q, &ST_LOGIN_RECORD,
                                  PG_PARAMS(PGT(user_id), PGT(last_login), PGT(profile_json)), op));
}

static pd_err pgu_each_account_of_user(pd_store *s, const char *user_id, pd_iter_fn fn,
                                       void *ctx)
{
    if (user_id == NULL)
        return pg_bad_arg(PG(s), "each_account_of_user");
    return pg_iterate(PG(s), &ST_ACCOUNTS_OF_USER, PG_PARAMS(PGT(user_id)), emit_account, fn, ctx,
                      "each_account_of_user");
}

void pg_users_ops(pd_store_ops *ops)
{
    ops->get_account = pgu_get_account;
    ops->get_user = pgu_get_user;
    ops->get_user_by_email = pgu_get_user_by_email;
    ops->get_membership = pgu_get_membership;
    ops->get_member_user = pgu_get_member_user;
    ops->count_users = pgu_count_users;
    ops->update_profile = pgu_update_profile;
    ops->get_image = pgu_get_image;
    ops->put_image = pgu_put_image;
    ops->delete_image = pgu_delete_image;
    ops->upsert_org = pgu_upsert_org;
    ops->upsert_account = pgu_upsert_account;
    ops->upsert_perm_profile = pgu_upsert_perm_profile;
    ops->upsert_group = pgu_upsert_group;
    ops->upsert_user = pgu_upsert_user;
    ops->upsert_membership = pgu_upsert_membership;
    ops->each_org = pgu_each_org;
    ops->each_account = pgu_each_account;
    ops->each_perm_profile = pgu_each_perm_profile;
    ops->each_group = pgu_each_group;
    ops->each_user = pgu_each_user;
    ops->each_membership = pgu_each_membership;
    ops->get_versions = pgu_get_versions;
    ops->bump_generation = pgu_bump_generation;
    ops->wipe_tenant = pgu_wipe_tenant;
    ops->record_login = pgu_record_login;
    ops->each_account_of_user = pgu_each_account_of_user;
}
