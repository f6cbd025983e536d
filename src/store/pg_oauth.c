/*
 * pg_oauth.c - the PostgreSQL store ops for signing keys, OAuth
 * integrations, consents and grants, and ID-card share links: the same
 * semantics as store/sqlite.c (store.h).  Sign-in throttles and rate-limit
 * counters are in pg_limits.c, bulk import in pg_bulk.c (both filled from
 * here, bulk import last: it wraps ops of the other files).
 *
 * What SQLite gets from its single writer, PostgreSQL gets here from the
 * statements themselves, so several nodes on one database behave as one:
 * - use_grant marks a grant used with one conditional UPDATE (`used = 0` in
 *   its WHERE): of two concurrent uses, on one node or on two, exactly one
 *   gets the row back unused; the other waits on the row lock, finds it
 *   used and reports a replay.
 * - put_grant and revoke_grant_family take a transaction-scoped advisory
 *   lock on the family before their statement, so a refresh token issued
 *   while a replay revokes its family is either revoked with it or born
 *   revoked (the INSERT, run after the lock, sees the committed revocation).
 * - add_integration_key locks the integration row (FOR KEY SHARE) in the
 *   statement that adds the key, so "no such integration" is NOT_FOUND,
 *   never a foreign-key error.
 *
 * Every write calls pg_wrote() (the change notification of pg.c) once it
 * has changed something.
 *
 * Memory: out-structs are zeroed first and on PD_OK own heap copies of
 * every string (release with pd_*_clear()); rows handed to iteration
 * callbacks are borrowed for the call.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "store/pg_internal.h"
#include "store/pg_bulk.h"
#include "store/pg_limits.h"

/* pg_advisory_xact_lock(PG_FAMILY_LOCK, hashtext(family)): the first key
 * keeps these locks apart from any other advisory lock of the schema. */
#define PG_FAMILY_LOCK "1886741297"

/* ---- statements ------------------------------------------------------ */

static pg_stmt ST_KEYS = PG_STMT_BIN(
    "SELECT kid, secret, created FROM signing_keys ORDER BY created DESC, kid DESC");
static pg_stmt ST_KEY_ADD = PG_STMT(
    "INSERT INTO signing_keys(kid, secret, created) VALUES ($1, $2, $3)");
static pg_stmt ST_KEY_DELETE = PG_STMT("DELETE FROM signing_keys WHERE kid = $1");

/* An integration with its redirect URIs and public keys as JSON arrays of
 * strings (NULL when none), in one statement: one snapshot, one round trip. */
#define INTEG_COLS \
    "i.key, i.name, i.secret_hash, i.allowed_scopes," \
    " (SELECT json_agg(u.uri ORDER BY u.uri) FROM integration_redirect_uris u" \
    "   WHERE u.integration_key = i.key)," \
    " (SELECT json_agg(k.pem ORDER BY k.pem) FROM integration_keys k" \
    "   WHERE k.integration_key = i.key)"
static pg_stmt ST_INTEG_GET = PG_STMT(
    "SELECT " INTEG_COLS " FROM integrations i WHERE i.key = $1");
static pg_stmt ST_INTEG_EACH = PG_STMT(
    "SELECT " INTEG_COLS " FROM integrations i ORDER BY i.key");
static pg_stmt ST_INTEG_UPSERT = PG_STMT(
    "INSERT INTO integrations(key, name, secret_hash, allowed_scopes) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT(key) DO UPDATE SET name = excluded.name,"
    "   secret_hash = coalesce(excluded.secret_hash, integrations.secret_hash),"
    "   allowed_scopes = excluded.allowed_scopes");
static pg_stmt ST_INTEG_URIS_DEL = PG_STMT(
    "DELETE FROM integration_redirect_uris WHERE integration_key = $1");
static pg_stmt ST_INTEG_URI_ADD = PG_STMT(
    "INSERT INTO integration_redirect_uris(integration_key, uri) VALUES ($1, $2)"
    " ON CONFLICT DO NOTHING");
static pg_stmt ST_INTEG_KEYS_DEL = PG_STMT(
    "DELETE FROM integration_keys WHERE integration_key = $1");
static pg_stmt ST_INTEG_KEY_PUT = PG_STMT(
    "INSERT INTO integration_keys(integration_key, pem) VALUES ($1, $2) ON CONFLICT DO NOTHING");
/* the number of integrations found (0: NOT_FOUND), the key added when one was */
static pg_stmt ST_INTEG_KEY_ADD = PG_STMT(
    "WITH i AS (SELECT key FROM integrations WHERE key = $1 FOR KEY SHARE),"
    " ins AS (INSERT INTO integration_keys(integration_key, pem) SELECT key, $2 FROM i"
    "         ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM ins)");
static pg_stmt ST_INTEG_DELETE = PG_STMT("DELETE FROM integrations WHERE key = $1");

static pg_stmt ST_CONSENT_PUT = PG_STMT(
    "INSERT INTO oauth_consents(integration_key, user_id, scopes) VALUES ($1, " PG_LOWER("$2") ", $3)"
    " ON CONFLICT(integration_key, user_id) DO UPDATE SET scopes = excluded.scopes");
static pg_stmt ST_CONSENT_GET = PG_STMT(
    "SELECT integration_key, user_id, scopes FROM oauth_consents"
    " WHERE integration_key = $1 AND user_id = " PG_LOWER("$2"));
static pg_stmt ST_CONSENT_EACH = PG_STMT(
    "SELECT integration_key, user_id, scopes FROM oauth_consents"
    " WHERE integration_key = $1 ORDER BY user_id");

/* See the file comment: the family lock comes first, in its own statement,
 * so the INSERT's snapshot (READ COMMITTED: taken when it starts) sees
 * every revocation committed before the lock was granted. */
static pg_stmt ST_FAMILY_LOCK = PG_STMT(
    "SELECT pg_advisory_xact_lock(" PG_FAMILY_LOCK ", hashtext($1))");
static pg_stmt ST_GRANT_PUT = PG_STMT(
    "INSERT INTO oauth_grants(hash, kind, family, integration_key, user_id, redirect_uri,"
    "                         scopes, code_challenge, expires, used, revoked)"
    " VALUES ($1, $2, $3, $4, " PG_LOWER("$5") ", $6, $7, $8, $9, 0,"
    "         CASE WHEN EXISTS(SELECT 1 FROM oauth_grants WHERE family = $3 AND revoked = 1)"
    "              THEN 1 ELSE 0 END)");
#define GRANT_COLS "kind, family, integration_key, user_id, redirect_uri, scopes," \
                   " code_challenge, expires, used, revoked"
static pg_stmt ST_GRANT_GET = PG_STMT(
    "SELECT " GRANT_COLS " FROM oauth_grants WHERE hash = $1");
/* the row as it was (used = 0) when this call marked it; no row: missing or used */
static pg_stmt ST_GRANT_MARK_USED = PG_STMT(
    "UPDATE oauth_grants SET used = 1 WHERE hash = $1 AND used = 0"
    " RETURNING kind, family, integration_key, user_id, redirect_uri, scopes,"
    "           code_challenge, expires, 0, revoked");
static pg_stmt ST_GRANT_REVOKE = PG_STMT(
    "UPDATE oauth_grants SET revoked = 1 WHERE family = $1 AND revoked = 0");
static pg_stmt ST_GRANT_DELETE = PG_STMT("DELETE FROM oauth_grants WHERE hash = $1");
static pg_stmt ST_GRANT_PURGE = PG_STMT("DELETE FROM oauth_grants WHERE expires < $1");

static pg_stmt ST_SHARE_PUT = PG_STMT(
    "INSERT INTO share_links(id, user_id, created, expires, revoked)"
    " VALUES (" PG_LOWER("$1") ", " PG_LOWER("$2") ", $3, $4, 0)");
static pg_stmt ST_SHARE_GET = PG_STMT(
    "SELECT id, user_id, created, expires, revoked FROM share_links WHERE id = " PG_LOWER("$1"));
static pg_stmt ST_SHARE_REVOKE = PG_STMT(
    "UPDATE share_links SET revoked = 1 WHERE id = " PG_LOWER("$1")
    " AND user_id = " PG_LOWER("$2"));
static pg_stmt ST_SHARE_OF_USER = PG_STMT(
    "SELECT id, user_id, created, expires, revoked FROM share_links"
    " WHERE user_id = " PG_LOWER("$1") " AND expires > $2 ORDER BY created DESC, id");

/* After a write that changed n rows: the change notification when it did. */
static pd_err wrote_if(pg_store *q, pd_err e, int64_t n)
{
    return e == PD_OK && n > 0 ? pg_wrote(q) : e;
}


/* ---- signing keys ---------------------------------------------------- */

static int emit_key(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_signing_key k;
    size_t len = 0;
    const unsigned char *secret = pg_col_bytes(r, 1, &len);
    if (secret == NULL || len != sizeof k.secret)
        return 0;       /* the CHECK makes this impossible; skipped as in sqlite.c */
    k.kid = (char *)pg_col_text(r, 0);
    memcpy(k.secret, secret, sizeof k.secret);
    k.created = pg_col_i64(r, 2);
    int stop = fn(ctx, &k);
    explicit_bzero(k.secret, sizeof k.secret);
    return stop;
}

static pd_err pgo_get_signing_keys(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return pg_iterate(PG(s), &ST_KEYS, PG_NO_PARAMS, emit_key, fn, ctx, "get_signing_keys");
}

static pd_err pgo_add_signing_key(pd_store *s, const char *kid, const unsigned char *secret,
                                  size_t len, int64_t created)
{
    static const char op[] = "add_signing_key";
    pg_store *q = PG(s);
    if (kid == NULL || secret == NULL || len != sizeof ((pd_signing_key *)0)->secret)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_KEY_ADD, PG_PARAMS(PGT(kid), PGB(secret, len), PGI(created)),
                            op, NULL, NULL));
}

static pd_err pgo_delete_signing_key(pd_store *s, const char *kid)
{
    static const char op[] = "delete_signing_key";
    pg_store *q = PG(s);
    if (kid == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec_keyed(q, &ST_KEY_DELETE, PG_PARAMS(PGT(kid)), op));
}

/* ---- integrations ---------------------------------------------------- */

/* A JSON text ["a", "b", ...] into owned (*v)[0..*n) (NULL text: none). */
static bool strings_parse(const char *text, char ***v, size_t *n)
{
    *v = NULL;
    *n = 0;
    if (text == NULL)
        return true;
    json_t *a = json_loads(text, 0, NULL);
    size_t len = json_array_size(a);
    bool ok = json_is_array(a) && (len == 0 || (*v = calloc(len, sizeof **v)) != NULL);
    for (size_t i = 0; ok && i < len; i++) {
        const char *str = json_string_value(json_array_get(a, i));
        ok = str != NULL && pg_dup(&(*v)[i], str);
        if (ok)
            (*n)++;
    }
    json_decref(a);
    return ok;
}

/* row conv: an owned pd_integration (cleared on failure). */
static bool integration_conv(const pg_row *r, void *out)
{
    pd_integration *in = out;
    bool ok = pg_dup(&in->key, pg_col_text(r, 0)) && pg_dup(&in->name, pg_col_text(r, 1))
              && pg_dup(&in->secret_hash, pg_col_text(r, 2))
              && pg_dup(&in->allowed_scopes, pg_col_text(r, 3))
              && strings_parse(pg_col_text(r, 4), &in->redirect_uris, &in->n_redirect_uris)
              && strings_parse(pg_col_text(r, 5), &in->public_keys, &in->n_public_keys);
    if (!ok)
        pd_integration_clear(in);
    return ok;
}

static pd_err pgo_get_integration(pd_store *s, const char *key, pd_integration *out)
{
    static const char op[] = "get_integration";
    pg_store *q = PG(s);
    if (key == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, &ST_INTEG_GET, PG_PARAMS(PGT(key)), integration_conv, out, op);
}

static pd_err pgo_upsert_integration(pd_store *s, const pd_integration *in)
{
    static const char op[] = "upsert_integration";
    pg_store *q = PG(s);
    if (in == NULL || in->key == NULL || in->name == NULL || in->allowed_scopes == NULL
        || (in->n_redirect_uris > 0 && in->redirect_uris == NULL)
        || (in->n_public_keys > 0 && in->public_keys == NULL))
        return pg_bad_arg(q, op);
    for (size_t i = 0; i < in->n_redirect_uris; i++)
        if (in->redirect_uris[i] == NULL)
            return pg_bad_arg(q, op);
    for (size_t i = 0; i < in->n_public_keys; i++)
        if (in->public_keys[i] == NULL)
            return pg_bad_arg(q, op);
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = pg_exec(q, &ST_INTEG_UPSERT,
                PG_PARAMS(PGT(in->key), PGT(in->name), PGT(in->secret_hash),
                          PGT(in->allowed_scopes)), op, NULL, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_INTEG_URIS_DEL, PG_PARAMS(PGT(in->key)), op, NULL, NULL);
    for (size_t i = 0; e == PD_OK && i < in->n_redirect_uris; i++)
        e = pg_exec(q, &ST_INTEG_URI_ADD, PG_PARAMS(PGT(in->key), PGT(in->redirect_uris[i])), op,
                    NULL, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_INTEG_KEYS_DEL, PG_PARAMS(PGT(in->key)), op, NULL, NULL);
    for (size_t i = 0; e == PD_OK && i < in->n_public_keys; i++)
        e = pg_exec(q, &ST_INTEG_KEY_PUT, PG_PARAMS(PGT(in->key), PGT(in->public_keys[i])), op,
                    NULL, NULL);
    e = pg_wrote_ok(q, e);
    return pg_tx_leave(q, op, k, e);
}

static bool int64x2_conv(const pg_row *r, void *out)
{
    int64_t *v = out;
    v[0] = pg_col_i64(r, 0);
    v[1] = pg_col_i64(r, 1);
    return true;
}

static pd_err pgo_add_integration_key(pd_store *s, const char *key, const char *pem)
{
    static const char op[] = "add_integration_key";
    pg_store *q = PG(s);
    int64_t found[2] = { 0, 0 };
    if (key == NULL || pem == NULL)
        return pg_bad_arg(q, op);
    pd_err e = pg_fetch(q, &ST_INTEG_KEY_ADD, PG_PARAMS(PGT(key), PGT(pem)), int64x2_conv, found,
                        PG_NONE_FAILS, op);
    if (e == PD_OK && found[0] == 0)
        return PD_ERR_NOT_FOUND;
    return wrote_if(q, e, found[1]);
}

static pd_err pgo_delete_integration(pd_store *s, const char *key)
{
    static const char op[] = "delete_integration";
    pg_store *q = PG(s);
    if (key == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec_keyed(q, &ST_INTEG_DELETE, PG_PARAMS(PGT(key)), op));
}

static int emit_integration(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_integration it = {0};
    if (!integration_conv(r, &it))
        return -1;
    int stop = fn(ctx, &it);
    pd_integration_clear(&it);
    return stop != 0;
}

typedef struct {
    pd_iter_fn fn;
    void *ctx;
} iter_ctx;

/* pg_row_fn over emit_integration: < 0 is out of memory (pg_rows reports it). */
static int integration_row(const pg_row *r, void *ctx)
{
    iter_ctx *x = ctx;
    return emit_integration(r, x->fn, x->ctx);
}

/* The whole result is fetched before fn runs (pg_rows), so fn may call the
 * store, as with SQLite. */
static pd_err pgo_each_integration(pd_store *s, pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_integration";
    pg_store *q = PG(s);
    if (fn == NULL)
        return pg_bad_arg(q, op);
    iter_ctx x = { fn, ctx };
    return pg_rows(q, &ST_INTEG_EACH, PG_NO_PARAMS, integration_row, &x, op, NULL);
}

/* ---- consents -------------------------------------------------------- */

static pd_err pgo_put_consent(pd_store *s, const pd_consent *c)
{
    static const char op[] = "put_consent";
    pg_store *q = PG(s);
    if (c == NULL || c->integration_key == NULL || c->user_id == NULL || c->scopes == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_CONSENT_PUT,
                            PG_PARAMS(PGT(c->integration_key), PGT(c->user_id), PGT(c->scopes)),
                            op, "the integration or the user does not exist", NULL));
}

static bool consent_conv(const pg_row *r, void *out)
{
    pd_consent *c = out;
    if (pg_dup(&c->integration_key, pg_col_text(r, 0)) && pg_dup(&c->user_id, pg_col_text(r, 1))
        && pg_dup(&c->scopes, pg_col_text(r, 2)))
        return true;
    pd_consent_clear(c);
    return false;
}

static pd_err pgo_get_consent(pd_store *s, const char *key, const char *user_id, pd_consent *out)
{
    static const char op[] = "get_consent";
    pg_store *q = PG(s);
    if (key == NULL || user_id == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, &ST_CONSENT_GET, PG_PARAMS(PGT(key), PGT(user_id)), consent_conv, out,
                        op);
}

static int emit_consent(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_consent c = { (char *)pg_col_text(r, 0), (char *)pg_col_text(r, 1),
                     (char *)pg_col_text(r, 2) };
    return fn(ctx, &c);
}

static pd_err pgo_each_consent(pd_store *s, const char *key, pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_consent";
    if (key == NULL)
        return pg_bad_arg(PG(s), op);
    return pg_iterate(PG(s), &ST_CONSENT_EACH, PG_PARAMS(PGT(key)), emit_consent, fn, ctx, op);
}

/* ---- grants ---------------------------------------------------------- */

static const char *const GRANT_KINDS[] = { "code", "refresh", "session" };

/* Takes the family's lock for the rest of the transaction k (see file comment). */
static pd_err family_lock(pg_store *q, const char *family, const char *op)
{
    return pg_exec(q, &ST_FAMILY_LOCK, PG_PARAMS(PGT(family)), op, NULL, NULL);
}

static pd_err pgo_put_grant(pd_store *s, const pd_grant *g)
{
    static const char op[] = "put_grant";
    pg_store *q = PG(s);
    if (g == NULL || g->family == NULL || g->user_id == NULL
        || (unsigned)g->kind > PD_GRANT_SESSION)
        return pg_bad_arg(q, op);
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = family_lock(q, g->family, op);
    if (e == PD_OK)
        e = pg_exec(q, &ST_GRANT_PUT,
                    PG_PARAMS(PGB(g->hash, sizeof g->hash), PGT(GRANT_KINDS[g->kind]),
                              PGT(g->family), PGT(g->integration_key), PGT(g->user_id),
                              PGT(g->redirect_uri), PGT(g->scopes), PGT(g->code_challenge),
                              PGI(g->expires)),
                    op, "the integration or the user does not exist", NULL);
    e = pg_wrote_ok(q, e);
    return pg_tx_leave(q, op, k, e);
}

/* row conv: the grant row, all but the hash; cleared on failure. */
static bool grant_conv(const pg_row *r, void *out)
{
    pd_grant *g = out;
    const char *kind = pg_col_text(r, 0);
    g->kind = PD_GRANT_SESSION;
    for (int i = 0; kind != NULL && i < 3; i++)
        if (strcmp(kind, GRANT_KINDS[i]) == 0)
            g->kind = (pd_grant_kind)i;
    g->expires = pg_col_i64(r, 7);
    g->used = pg_col_bool(r, 8);
    g->revoked = pg_col_bool(r, 9);
    bool ok = pg_dup(&g->family, pg_col_text(r, 1)) && pg_dup(&g->integration_key, pg_col_text(r, 2))
              && pg_dup(&g->user_id, pg_col_text(r, 3)) && pg_dup(&g->redirect_uri, pg_col_text(r, 4))
              && pg_dup(&g->scopes, pg_col_text(r, 5)) && pg_dup(&g->code_challenge, pg_col_text(r, 6));
    if (!ok)
        pd_grant_clear(g);
    return ok;
}

static pd_err grant_fetch(pg_store *q, pg_stmt *st, const unsigned char hash[32], pd_grant *out,
                          const char *op)
{
    pd_err e = pg_fetch_one(q, st, PG_PARAMS(PGB(hash, 32)), grant_conv, out, op);
    if (e == PD_OK)
        memcpy(out->hash, hash, 32);
    return e;
}

static pd_err pgo_get_grant(pd_store *s, const unsigned char hash[32], pd_grant *out)
{
    static const char op[] = "get_grant";
    pg_store *q = PG(s);
    if (hash == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return grant_fetch(q, &ST_GRANT_GET, hash, out, op);
}

/* One conditional UPDATE decides (file comment): a row back means this call
 * marked it (out->used false); none means it was used already (a replay:
 * the row is read and reported with out->used true) or does not exist. */
static pd_err pgo_use_grant(pd_store *s, const unsigned char hash[32], pd_grant *out)
{
    static const char op[] = "use_grant";
    pg_store *q = PG(s);
    if (hash == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    pd_err e = grant_fetch(q, &ST_GRANT_MARK_USED, hash, out, op);
    if (e == PD_OK) {
        e = pg_wrote_ok(q, e);
        if (e != PD_OK)
            pd_grant_clear(out);
        return e;
    }
    if (e != PD_ERR_NOT_FOUND)
        return e;
    e = grant_fetch(q, &ST_GRANT_GET, hash, out, op);
    if (e == PD_OK && !out->used) {
        /* unused but not marked: only a grant inserted between the two
         * statements; it was not used before this call either way */
        pd_grant_clear(out);
        return pg_fail(q, op, "the grant changed while it was being used; try again");
    }
    return e;
}

static pd_err pgo_revoke_grant_family(pd_store *s, const char *family)
{
    static const char op[] = "revoke_grant_family";
    pg_store *q = PG(s);
    int64_t n = 0;
    if (family == NULL)
        return pg_bad_arg(q, op);
    pg_tx_kind k;
    pd_err e = pg_tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = family_lock(q, family, op);
    if (e == PD_OK)
        e = pg_exec(q, &ST_GRANT_REVOKE, PG_PARAMS(PGT(family)), op, NULL, &n);
    e = wrote_if(q, e, n);
    return pg_tx_leave(q, op, k, e);
}

static pd_err pgo_delete_grant(pd_store *s, const unsigned char hash[32])
{
    static const char op[] = "delete_grant";
    pg_store *q = PG(s);
    int64_t n = 0;
    if (hash == NULL)
        return pg_bad_arg(q, op);
    pd_err e = pg_exec(q, &ST_GRANT_DELETE, PG_PARAMS(PGB(hash, 32)), op, NULL, &n);
    return wrote_if(q, e, n);
}

static pd_err pgo_purge_grants(pd_store *s, int64_t now)
{
    static const char op[] = "purge_grants";
    pg_store *q = PG(s);
    int64_t n = 0;
    pd_err e = pg_exec(q, &ST_GRANT_PURGE, PG_PARAMS(PGI(now)), op, NULL, &n);
    return wrote_if(q, e, n);
}

/* ---- ID-card share links (migration 7) -------------------------------- */

static pd_err pgo_put_share_link(pd_store *s, const pd_share_link *l)
{
    static const char op[] = "put_share_link";
    pg_store *q = PG(s);
    if (l == NULL || l->id == NULL || l->user_id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec(q, &ST_SHARE_PUT,
                            PG_PARAMS(PGT(l->id), PGT(l->user_id), PGI(l->created),
                                      PGI(l->expires)),
                            op, "the user does not exist", NULL));
}

static bool share_conv(const pg_row *r, void *out)
{
    pd_share_link *l = out;
    if (pg_dup(&l->id, pg_col_text(r, 0)) && pg_dup(&l->user_id, pg_col_text(r, 1))) {
        l->created = pg_col_i64(r, 2);
        l->expires = pg_col_i64(r, 3);
        l->revoked = pg_col_bool(r, 4);
        return true;
    }
    pd_share_link_clear(l);
    return false;
}

static pd_err pgo_get_share_link(pd_store *s, const char *id, pd_share_link *out)
{
    static const char op[] = "get_share_link";
    pg_store *q = PG(s);
    if (id == NULL || out == NULL)
        return pg_bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return pg_fetch_one(q, &ST_SHARE_GET, PG_PARAMS(PGT(id)), share_conv, out, op);
}

static pd_err pgo_revoke_share_link(pd_store *s, const char *user_id, const char *id)
{
    static const char op[] = "revoke_share_link";
    pg_store *q = PG(s);
    if (user_id == NULL || id == NULL)
        return pg_bad_arg(q, op);
    return pg_wrote_ok(q, pg_exec_keyed(q, &ST_SHARE_REVOKE, PG_PARAMS(PGT(id), PGT(user_id)), op));
}

static int emit_share(const pg_row *r, pd_iter_fn fn, void *ctx)
{
    pd_share_link l = { (char *)pg_col_text(r, 0), (char *)pg_col_text(r, 1), pg_col_i64(r, 2),
                        pg_col_i64(r, 3), pg_col_bool(r, 4) };
    return fn(ctx, &l);
}

static pd_err pgo_each_share_link_of_user(pd_store *s, const char *user_id, int64_t now,
                                          pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_share_link_of_user";
    pg_store *q = PG(s);
    if (user_id == NULL || fn == NULL)
        return pg_bad_arg(q, op);
    return pg_iterate(q, &ST_SHARE_OF_USER, PG_PARAMS(PGT(user_id), PGI(now)), emit_share, fn,
                      ctx, op);
}

void pg_oauth_ops(pd_store_ops *ops)
{
    ops->get_signing_keys = pgo_get_signing_keys;
    ops->add_signing_key = pgo_add_signing_key;
    ops->delete_signing_key = pgo_delete_signing_key;
    ops->get_integration = pgo_get_integration;
    ops->upsert_integration = pgo_upsert_integration;
    ops->add_integration_key = pgo_add_integration_key;
    ops->delete_integration = pgo_delete_integration;
    ops->each_integration = pgo_each_integration;
    ops->put_consent = pgo_put_consent;
    ops->get_consent = pgo_get_consent;
    ops->each_consent = pgo_each_consent;
    ops->put_grant = pgo_put_grant;
    ops->get_grant = pgo_get_grant;
    ops->use_grant = pgo_use_grant;
    ops->revoke_grant_family = pgo_revoke_grant_family;
    ops->delete_grant = pgo_delete_grant;
    ops->purge_grants = pgo_purge_grants;
    ops->put_share_link = pgo_put_share_link;
    ops->get_share_link = pgo_get_share_link;
    ops->revoke_share_link = pgo_revoke_share_link;
    ops->each_share_link_of_user = pgo_each_share_link_of_user;
    pg_limits_ops(ops);
    pg_bulk_ops(ops);       /* last: it wraps what the others filled */
}
