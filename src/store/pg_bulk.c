/*
 * pg_bulk.c - bulk import on PostgreSQL (the bulk_* ops of store.h): an
 * import of 1,000,000 users must not cost one network round trip per
 * statement (about eight per user with the ordinary ops).
 *
 * While bulk mode is on (bulk_start, inside the caller's write transaction,
 * until its commit or rollback):
 * - upsert_user and upsert_membership are queued (as JSON objects, each
 *   with the record it came from) and written LIM_PG_BULK_ROWS at a time:
 *   users with one INSERT ... SELECT FROM json_to_recordset($1) ... ON
 *   CONFLICT DO UPDATE (the SET of pg_users.c's upsert), memberships with
 *   five statements (update existing, insert new, replace the groups, bump
 *   the users' versions), each batch in a savepoint.  Rows go in file order.
 * - A row whose key is already queued (the same user twice in one batch)
 *   writes the batch first, so a batch never touches a row twice.  Only one
 *   kind is queued at a time (a membership needs its user written).
 * - Every other operation this import uses first writes the queue, so it
 *   sees everything before it (the ops table is wrapped: pg_bulk_ops runs
 *   last and keeps the wrapped functions).  get_account answers from a
 *   per-import cache (accounts are never queued; an account upsert or a
 *   wipe empties it), so a membership record costs no round trip.
 * - A batch that fails is rolled back to its savepoint and replayed row by
 *   row through the ordinary ops: the first failing row fails exactly as
 *   without bulk mode (same last_error), and bulk_failed names its record.
 *   A lost connection is not replayed (the transaction is gone anyway).
 *
 * After the commit the imported tables are ANALYZEd (planner statistics).
 *
 * Differences from the one-by-one import, none visible in the data: a
 * user's version moves once per membership batch rather than once per
 * membership (versions only need to grow), and a membership's default
 * `added` is the time of its batch statement.
 *
 * State: one bulk import per thread at a time (a handle belongs to one
 * thread while in use), kept in a thread-local pointer with the handle it
 * belongs to; every wrapper checks that handle first, so handles not in
 * bulk mode run the wrapped op directly.
 *
 * Memory: the queue, its JSON text and the account cache are owned by the
 * bulk state and freed when the transaction ends (or the handle closes).
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/limits.h"
#include "store/pg_internal.h"
#include "store/pg_bulk.h"

typedef enum { Q_NONE = 0, Q_USERS, Q_MEMBERSHIPS } queue_kind;

typedef struct {
    char *ref;                  /* as given to get_account */
    pd_account acc;             /* owned copy */
} acc_slot;

typedef struct {
    pg_store *q;
    queue_kind kind;
    json_t *rows;               /* array of row objects, "rec" = the record */
    json_t *keys;               /* object: key of each queued row -> true */
    size_t bytes;               /* about the JSON size of rows */
    char record[96];            /* bulk_mark: the record being read */
    char failed[96];            /* the record of the row that failed, "" */
    acc_slot *accs;             /* open addressing, cap a power of two */
    size_t n_accs, cap_accs;
} bulk_state;

static _Thread_local bulk_state *t_bulk;
static pd_store_ops g_orig;     /* the ops as pg_users.c / pg_admin.c filled them */

static bulk_state *active(pd_store *s)
{
    bulk_state *b = t_bulk;
    return b != NULL && b->q == PG(s) ? b : NULL;
}

/* ---- the account cache ----------------------------------------------- */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void accs_clear(bulk_state *b)
{
    for (size_t i = 0; i < b->cap_accs; i++) {
        free(b->accs[i].ref);
        pd_account_clear(&b->accs[i].acc);
    }
    free(b->accs);
    b->accs = NULL;
    b->n_accs = b->cap_accs = 0;
}

static acc_slot *accs_find(bulk_state *b, const char *ref)
{
    if (b->cap_accs == 0)
        return NULL;
    for (size_t i = fnv(ref) & (b->cap_accs - 1);; i = (i + 1) & (b->cap_accs - 1)) {
        if (b->accs[i].ref == NULL)
            return NULL;
        if (strcmp(b->accs[i].ref, ref) == 0)
            return &b->accs[i];
    }
}

static bool dup_account(const pd_account *src, pd_account *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->external_id = src->external_id;
    if (pg_dup(&dst->id, src->id) && pg_dup(&dst->name, src->name)
        && pg_dup(&dst->organization_id, src->organization_id))
        return true;
    pd_account_clear(dst);
    return false;
}

/* Remembers ref -> a (copied); nothing when out of memory (a cache). */
static void accs_put(bulk_state *b, const char *ref, const pd_account *a)
{
    if (2 * (b->n_accs + 1) > b->cap_accs) {
        size_t cap = b->cap_accs ? 2 * b->cap_accs : 64;
        acc_slot *old = b->accs, *v = calloc(cap, sizeof *v);
        size_t old_cap = b->cap_accs;
        if (v == NULL)
            return;
        b->accs = v;
        b->cap_accs = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i].ref == NULL)
                continue;
            size_t j = fnv(old[i].ref) & (cap - 1);
            while (v[j].ref != NULL)
                j = (j + 1) & (cap - 1);
            v[j] = old[i];
        }
        free(old);
    }
    size_t j = fnv(ref) & (b->cap_accs - 1);
    while (b->accs[j].ref != NULL)
        j = (j + 1) & (b->cap_accs - 1);
    acc_slot sl = { strdup(ref), {0} };
    if (sl.ref == NULL || !dup_account(a, &sl.acc)) {
        free(sl.ref);
        return;
    }
    b->accs[j] = sl;
    b->n_accs++;
}

/* ---- statements ------------------------------------------------------ */

#define LOW(x) PG_LOWER(x)

static pg_stmt ST_USERS = PG_STMT(
    "INSERT INTO users AS u (id, email, status, created, modified, last_login,"
    "                        password_hash, profile_json, version)"
    " SELECT " LOW("r.id") ", " LOW("r.email") ", r.status, r.created, r.modified, r.last_login,"
    "        r.password_hash, r.profile_json, 1"
    "   FROM json_to_recordset($1::json) AS r(i bigint, id text, email text, status text,"
    "        created text, modified text, last_login text, password_hash text, profile_json text)"
    "  ORDER BY r.i"
    " ON CONFLICT(id) DO UPDATE SET email = excluded.email, status = excluded.status,"
    "   modified = excluded.modified, last_login = excluded.last_login,"
    "   password_hash = coalesce(excluded.password_hash, u.password_hash),"
    "   profile_json = excluded.profile_json, version = u.version + 1");
/* memberships: the existing ones keep their date unless one is given ... */
static pg_stmt ST_MS_UPDATE = PG_STMT(
    "UPDATE memberships m SET is_admin = r.adm, permission_profile_id = r.pp,"
    "   added = coalesce(r.added, m.added)"
    "  FROM json_to_recordset($1::json) AS r(a text, u text, adm integer, pp text, added text)"
    " WHERE m.account_id = " LOW("r.a") " AND m.user_id = " LOW("r.u"));
/* ... new ones get it, or now (as pg_users.c's upsert) */
static pg_stmt ST_MS_INSERT = PG_STMT(
    "INSERT INTO memberships(account_id, user_id, is_admin, permission_profile_id, added)"
    " SELECT " LOW("r.a") ", " LOW("r.u") ", r.adm, r.pp,"
    "        coalesce(r.added, to_char(clock_timestamp() AT TIME ZONE 'UTC',"
    "                                  'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z')"
    "   FROM json_to_recordset($1::json) AS r(i bigint, a text, u text, adm integer, pp text,"
    "        added text)"
    "  WHERE NOT EXISTS (SELECT 1 FROM memberships m"
    "                     WHERE m.account_id = " LOW("r.a") " AND m.user_id = " LOW("r.u") ")"
    "  ORDER BY r.i");
static pg_stmt ST_MG_DELETE = PG_STMT(
    "DELETE FROM membership_groups mg USING json_to_recordset($1::json) AS r(a text, u text)"
    " WHERE mg.account_id = " LOW("r.a") " AND mg.user_id = " LOW("r.u"));
static pg_stmt ST_MG_INSERT = PG_STMT(
    "INSERT INTO membership_groups(account_id, user_id, group_id)"
    " SELECT " LOW("r.a") ", " LOW("r.u") ", g.value"
    "   FROM json_to_recordset($1::json) AS r(i bigint, a text, u text, g json),"
    "        json_array_elements_text(r.g) AS g"
    "  ORDER BY r.i ON CONFLICT DO NOTHING");
static pg_stmt ST_MS_BUMP = PG_STMT(
    "UPDATE users SET version = version + 1"
    " WHERE id IN (SELECT " LOW("r.u") " FROM json_to_recordset($1::json) AS r(u text))");

/* ---- the queue ------------------------------------------------------- */

static void queue_reset(bulk_state *b)
{
    json_decref(b->rows);
    json_decref(b->keys);
    b->rows = NULL;
    b->keys = NULL;
    b->bytes = 0;
    b->kind = Q_NONE;
}

static size_t slen(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Replays the queued rows one by one with the ordinary ops; the first
 * failure is the answer, its record in b->failed. */
static pd_err replay(bulk_state *b, pd_store *s)
{
    size_t i;
    json_t *row;
    json_array_foreach(b->rows, i, row) {
        pd_err e;
        if (b->kind == Q_USERS) {
            pd_user u = { .id = (char *)jstr(row, "id"), .email = (char *)jstr(row, "email"),
                          .status = (char *)jstr(row, "status"),
                          .created = (char *)jstr(row, "created"),
                          .modified = (char *)jstr(row, "modified"),
                          .last_login = (char *)jstr(row, "last_login"),
                          .password_hash = (char *)jstr(row, "password_hash"),
                          .profile_json = (char *)jstr(row, "profile_json") };
            e = g_orig.upsert_user(s, &u);
        } else {
            json_t *gs = json_object_get(row, "g");
            size_t ng = json_array_size(gs);
            char **gids = ng > 0 ? calloc(ng, sizeof *gids) : NULL;
            if (ng > 0 && gids == NULL)
                return pg_oom(b->q, "import");
            for (size_t k = 0; k < ng; k++)
                gids[k] = (char *)json_string_value(json_array_get(gs, k));
            pd_membership m = { .account_id = (char *)jstr(row, "a"),
                                .user_id = (char *)jstr(row, "u"),
                                .is_admin = json_integer_value(json_object_get(row, "adm")) != 0,
                                .permission_profile_id = (char *)jstr(row, "pp"),
                                .added = (char *)jstr(row, "added"),
                                .group_ids = gids, .n_group_ids = ng };
            e = g_orig.upsert_membership(s, &m);
            free(gids);
        }
        if (e != PD_OK) {
            snprintf(b->failed, sizeof b->failed, "%s", jstr(row, "rec"));
            return e;
        }
    }
    return PD_OK;
}

static pd_err write_batch(bulk_state *b, const char *text)
{
    pg_store *q = b->q;
    static const char op[] = "import";
    pg_params ps = PG_PARAMS(PGT(text));
    if (b->kind == Q_USERS)
        return pg_exec(q, &ST_USERS, ps, op, NULL, NULL);
    pd_err e = pg_exec(q, &ST_MS_UPDATE, ps, op, NULL, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_MS_INSERT, ps, op, NULL, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_MG_DELETE, ps, op, NULL, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_MG_INSERT, ps, op, NULL, NULL);
    if (e == PD_OK)
        e = pg_exec(q, &ST_MS_BUMP, ps, op, NULL, NULL);
    return e;
}

/* Writes what is queued (see the file comment). */
static pd_err flush(bulk_state *b, pd_store *s)
{
    if (b->kind == Q_NONE)
        return PD_OK;
    pg_store *q = b->q;
    char *text = json_dumps(b->rows, JSON_COMPACT);
    pd_err e;
    if (text == NULL) {
        e = pg_oom(q, "import");
    } else {
        pg_tx_kind k;
        e = pg_tx_enter_write(q, "import", &k);
        if (e == PD_OK) {
            e = write_batch(b, text);
            if (e == PD_OK)
                e = pg_wrote(q);
            e = pg_tx_leave(q, "import", k, e);
        }
        free(text);
        if (e != PD_OK && !q->broken && !q->tx_lost)
            e = replay(b, s);
    }
    queue_reset(b);
    return e;
}

/* Before any other op: write the queue. */
static pd_err before(pd_store *s)
{
    bulk_state *b = active(s);
    if (b == NULL)
        return PD_OK;
    b->failed[0] = '\0';
    return flush(b, s);
}

static void bulk_end(bulk_state *b)
{
    queue_reset(b);
    accs_clear(b);
    free(b);
    t_bulk = NULL;
}

/* Queues row (owned) under key, of kind; writes first when the other kind
 * is queued, the key is already queued, or the batch is full. */
static pd_err enqueue(bulk_state *b, pd_store *s, queue_kind kind, const char *key, json_t *row,
                      size_t bytes)
{
    pd_err e = PD_OK;
    b->failed[0] = '\0';
    if (row == NULL)
        return pg_oom(b->q, "import");
    if (b->kind != Q_NONE && (b->kind != kind || json_object_get(b->keys, key) != NULL))
        e = flush(b, s);
    if (e == PD_OK && b->kind == Q_NONE) {
        b->rows = json_array();
        b->keys = json_object();
        b->kind = kind;
        if (b->rows == NULL || b->keys == NULL)
            e = pg_oom(b->q, "import");
    }
    if (e == PD_OK) {
        json_object_set_new(row, "i", json_integer((json_int_t)json_array_size(b->rows)));
        json_object_set_new(row, "rec", json_string(b->record));
        if (json_array_append(b->rows, row) != 0 || json_object_set_new(b->keys, key, json_true()) != 0)
            e = pg_oom(b->q, "import");
        b->bytes += bytes + 64;
    }
    json_decref(row);
    if (e == PD_OK && (json_array_size(b->rows) >= LIM_PG_BULK_ROWS || b->bytes >= LIM_PG_BULK_BYTES))
        e = flush(b, s);
    return e;
}

/* ---- the bulk ops ---------------------------------------------------- */

static void pgb_start(pd_store *s)
{
    pg_store *q = PG(s);
    if (t_bulk != NULL || q->tx != PG_TX_WRITE)
        return;             /* one per thread, inside a write transaction; else one by one */
    bulk_state *b = calloc(1, sizeof *b);
    if (b == NULL)
        return;
    b->q = q;
    t_bulk = b;
}

static void pgb_mark(pd_store *s, const char *record)
{
    bulk_state *b = active(s);
    if (b != NULL)
        snprintf(b->record, sizeof b->record, "%s", record != NULL ? record : "");
}

static pd_err pgb_flush(pd_store *s)
{
    return before(s);
}

static const char *pgb_failed(pd_store *s)
{
    bulk_state *b = active(s);
    return b != NULL ? b->failed : "";
}

/* ---- wrapped ops ----------------------------------------------------- */

#define FLUSHED(s) do { pd_err fe_ = before(s); if (fe_ != PD_OK) return fe_; } while (0)

static pd_err w_upsert_user(pd_store *s, const pd_user *u)
{
    bulk_state *b = active(s);
    if (b == NULL)
        return g_orig.upsert_user(s, u);
    if (u == NULL || u->id == NULL || u->email == NULL) {
        FLUSHED(s);
        return g_orig.upsert_user(s, u);        /* reports the bad argument */
    }
    json_t *row = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "id", u->id,
                            "email", u->email, "status", u->status, "created", u->created,
                            "modified", u->modified, "last_login", u->last_login,
                            "password_hash", u->password_hash, "profile_json", u->profile_json);
    return enqueue(b, s, Q_USERS, u->id, row,
                   slen(u->profile_json) + slen(u->password_hash) + slen(u->email) + 160);
}

static pd_err w_upsert_membership(pd_store *s, const pd_membership *m)
{
    bulk_state *b = active(s);
    if (b == NULL)
        return g_orig.upsert_membership(s, m);
    if (m == NULL || m->account_id == NULL || m->user_id == NULL
        || (m->n_group_ids > 0 && m->group_ids == NULL)) {
        FLUSHED(s);
        return g_orig.upsert_membership(s, m);  /* reports the bad argument */
    }
    json_t *g = json_array();
    size_t bytes = slen(m->account_id) + slen(m->user_id) + slen(m->permission_profile_id) + 80;
    for (size_t i = 0; g != NULL && i < m->n_group_ids; i++) {
        if (m->group_ids[i] == NULL || json_array_append_new(g, json_string(m->group_ids[i])) != 0) {
            json_decref(g);
            return m->group_ids[i] == NULL ? pg_bad_arg(b->q, "upsert_membership")
                                           : pg_oom(b->q, "import");
        }
        bytes += strlen(m->group_ids[i]) + 4;
    }
    json_t *row = g == NULL ? NULL
        : json_pack("{s:s, s:s, s:i, s:s?, s:s?, s:o}", "a", m->account_id, "u", m->user_id,
                    "adm", m->is_admin ? 1 : 0, "pp", m->permission_profile_id, "added", m->added,
                    "g", g);
    char key[2 * 64 + 2];
    snprintf(key, sizeof key, "%.64s\x1f%.64s", m->account_id, m->user_id);
    return enqueue(b, s, Q_MEMBERSHIPS, key, row, bytes);
}

static pd_err w_get_account(pd_store *s, const char *ref, pd_account *out)
{
    bulk_state *b = active(s);
    if (b == NULL || ref == NULL || out == NULL)
        return g_orig.get_account(s, ref, out);
    acc_slot *hit = accs_find(b, ref);
    if (hit != NULL)
        return dup_account(&hit->acc, out) ? PD_OK : pg_oom(b->q, "get_account");
    /* accounts are never queued: no need to write the queue first */
    pd_err e = g_orig.get_account(s, ref, out);
    if (e == PD_OK)
        accs_put(b, ref, out);
    return e;
}

static pd_err w_upsert_account(pd_store *s, const pd_account *a)
{
    FLUSHED(s);
    bulk_state *b = active(s);
    if (b != NULL)
        accs_clear(b);
    return g_orig.upsert_account(s, a);
}

static pd_err w_wipe_tenant(pd_store *s)
{
    FLUSHED(s);
    bulk_state *b = active(s);
    if (b != NULL)
        accs_clear(b);
    return g_orig.wipe_tenant(s);
}

/* After a bulk import commits: fresh planner statistics for the tables it
 * filled, so the first queries after a large import do not plan with an
 * empty table's (autovacuum would get there within a minute or so).  Its
 * failure loses nothing: it is logged, and the import stands. */
static void analyze_imported(pg_store *q)
{
    (void)pg_exec_sql(q, "ANALYZE organizations, accounts, permission_profiles, groups, users,"
                         " user_images, memberships, membership_groups, organization_admins,"
                         " organization_domains, user_identities, organization_users",
                      "bulk_analyze");
}

static pd_err w_commit(pd_store *s)
{
    bulk_state *b = active(s);
    if (b != NULL) {
        pd_err e = flush(b, s);
        if (e != PD_OK)
            return e;       /* still open: the caller rolls back */
    }
    pd_err e = g_orig.commit(s);
    if (b != NULL && PG(s)->tx == PG_TX_NONE) {
        bulk_end(b);
        if (e == PD_OK)
            analyze_imported(PG(s));
    }
    return e;
}

static pd_err w_rollback(pd_store *s)
{
    bulk_state *b = active(s);
    if (b != NULL)
        bulk_end(b);        /* nothing queued is kept */
    return g_orig.rollback(s);
}

static void w_close(pd_store *s)
{
    bulk_state *b = active(s);
    if (b != NULL)
        bulk_end(b);
    g_orig.close(s);
}

/* The rest: write the queue first, then the op. */
static pd_err w_get_user(pd_store *s, const char *id, pd_user *out)
{
    FLUSHED(s);
    return g_orig.get_user(s, id, out);
}

static pd_err w_get_user_by_email(pd_store *s, const char *email, pd_user *out)
{
    FLUSHED(s);
    return g_orig.get_user_by_email(s, email, out);
}

static pd_err w_get_membership(pd_store *s, const char *a, const char *u, pd_membership *out)
{
    FLUSHED(s);
    return g_orig.get_membership(s, a, u, out);
}

static pd_err w_get_member_user(pd_store *s, const char *a, const char *u, pd_membership *m,
                                pd_user *user)
{
    if (m != NULL)                          /* empty also when the flush fails */
        memset(m, 0, sizeof *m);
    if (user != NULL)
        memset(user, 0, sizeof *user);
    FLUSHED(s);
    return g_orig.get_member_user(s, a, u, m, user);
}

static pd_err w_count_users(pd_store *s, int64_t *out)
{
    FLUSHED(s);
    return g_orig.count_users(s, out);
}

static pd_err w_update_profile(pd_store *s, const char *id, const char *doc, const char *mod)
{
    FLUSHED(s);
    return g_orig.update_profile(s, id, doc, mod);
}

static pd_err w_put_image(pd_store *s, const char *id, const unsigned char *bytes, size_t len,
                          const char *ct, const char *etag, const char *mod)
{
    FLUSHED(s);
    return g_orig.put_image(s, id, bytes, len, ct, etag, mod);
}

static pd_err w_delete_image(pd_store *s, const char *id, const char *mod)
{
    FLUSHED(s);
    return g_orig.delete_image(s, id, mod);
}

static pd_err w_upsert_org(pd_store *s, const pd_org *o)
{
    FLUSHED(s);
    return g_orig.upsert_org(s, o);
}

static pd_err w_upsert_perm_profile(pd_store *s, const char *a, const pd_perm_profile *p)
{
    FLUSHED(s);
    return g_orig.upsert_perm_profile(s, a, p);
}

static pd_err w_upsert_group(pd_store *s, const char *a, const pd_group *g)
{
    FLUSHED(s);
    return g_orig.upsert_group(s, a, g);
}

static pd_err w_bump_generation(pd_store *s)
{
    FLUSHED(s);
    return g_orig.bump_generation(s);
}

static pd_err w_upsert_org_admin(pd_store *s, const pd_org_admin *a)
{
    FLUSHED(s);
    return g_orig.upsert_org_admin(s, a);
}

static pd_err w_upsert_org_domain(pd_store *s, const pd_org_domain *d)
{
    FLUSHED(s);
    return g_orig.upsert_org_domain(s, d);
}

static pd_err w_upsert_identity(pd_store *s, const pd_identity *i)
{
    FLUSHED(s);
    return g_orig.upsert_identity(s, i);
}

static pd_err w_get_integration(pd_store *s, const char *key, pd_integration *out)
{
    FLUSHED(s);
    return g_orig.get_integration(s, key, out);
}

static pd_err w_upsert_integration(pd_store *s, const pd_integration *in)
{
    FLUSHED(s);
    return g_orig.upsert_integration(s, in);
}

static pd_err w_put_consent(pd_store *s, const pd_consent *c)
{
    FLUSHED(s);
    return g_orig.put_consent(s, c);
}

static pd_err w_record_login(pd_store *s, const char *id, const char *login, const char *doc)
{
    FLUSHED(s);
    return g_orig.record_login(s, id, login, doc);
}

static pd_err w_each_user(pd_store *s, pd_iter_fn fn, void *ctx)
{
    FLUSHED(s);
    return g_orig.each_user(s, fn, ctx);
}

static pd_err w_each_membership(pd_store *s, pd_iter_fn fn, void *ctx)
{
    FLUSHED(s);
    return g_orig.each_membership(s, fn, ctx);
}

void pg_bulk_ops(pd_store_ops *ops)
{
    g_orig = *ops;
    ops->bulk_start = pgb_start;
    ops->bulk_mark = pgb_mark;
    ops->bulk_flush = pgb_flush;
    ops->bulk_failed = pgb_failed;
    ops->upsert_user = w_upsert_user;
    ops->upsert_membership = w_upsert_membership;
    ops->get_account = w_get_account;
    ops->upsert_account = w_upsert_account;
    ops->wipe_tenant = w_wipe_tenant;
    ops->commit = w_commit;
    ops->rollback = w_rollback;
    ops->close = w_close;
    ops->get_user = w_get_user;
    ops->get_user_by_email = w_get_user_by_email;
    ops->get_membership = w_get_membership;
    ops->get_member_user = w_get_member_user;
    ops->count_users = w_count_users;
    ops->update_profile = w_update_profile;
    ops->put_image = w_put_image;
    ops->delete_image = w_delete_image;
    ops->upsert_org = w_upsert_org;
    ops->upsert_perm_profile = w_upsert_perm_profile;
    ops->upsert_group = w_upsert_group;
    ops->bump_generation = w_bump_generation;
    ops->upsert_org_admin = w_upsert_org_admin;
    ops->upsert_org_domain = w_upsert_org_domain;
    ops->upsert_identity = w_upsert_identity;
    ops->get_integration = w_get_integration;
    ops->upsert_integration = w_upsert_integration;
    ops->put_consent = w_put_consent;
    ops->record_login = w_record_login;
    ops->each_user = w_each_user;
    ops->each_membership = w_each_membership;
}
