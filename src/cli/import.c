/*
 * import.c - streaming import of the tenant format (see import.h).
 *
 * The top level is scanned by hand ({ "section": [ record, ... ], ... });
 * each record is decoded by jansson through a byte-at-a-time callback that
 * counts bytes, so no record can exceed LIM_IMPORT_RECORD_MAX and the
 * stream is never read past the record.  Records are validated, turned into
 * store structs and upserted.  All heap memory of a record is released
 * before the next one is read.  This file holds the stream, the tenant's
 * organizations, accounts and memberships, and the driver; the other
 * sections and the shared helpers are in the files import_internal.h
 * lists.
 */
#include "cli/import.h"
#include "cli/import_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "admin/query.h"
#include "cli/import_arena.h"
#include "core/jsonutil.h"
#include "core/limits.h"
#include "core/strutil.h"

static int next_byte(reader *rd)
{
    int c = getc_unlocked(rd->in);

    if (c != EOF)
        rd->st->bytes++;
    return c;
}

static int skip_ws(reader *rd)
{
    int c;

    do
        c = next_byte(rd);
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    return c;
}

/* Copies one JSON object, from its '{' (already read) to the matching '}',
 * into rd->rec, tracking strings and escapes so braces inside strings do not
 * count.  Bounded by LIM_IMPORT_RECORD_MAX.  0, or -1 with rd->over_limit
 * set when too large (-2 at end of file).  Syntax is jansson's job. */
static int read_record(reader *rd)
{
    json_scan sc = {0, 0};
    int depth = 1, c;

    rd->rec_len = 0;
    rd->rec[rd->rec_len++] = '{';
    while (depth > 0) {
        c = next_byte(rd);
        if (c == EOF)
            return -2;
        if (rd->rec_len + 1 >= LIM_IMPORT_RECORD_MAX) {
            rd->over_limit = 1;
            return -1;
        }
        rd->rec[rd->rec_len++] = (char)c;
        depth += json_scan_byte(&sc, c);
    }
    rd->rec[rd->rec_len] = '\0';
    return 0;
}

/* Reads a top-level key (a plain string without escapes) into key. */
static int read_key(reader *rd, char *key, size_t cap)
{
    size_t n = 0;
    int c;

    for (;;) {
        c = next_byte(rd);
        if (c == EOF || c == '\\' || c < 0x20)
            return -1;
        if (c == '"')
            break;
        if (n + 1 >= cap)
            return -1;
        key[n++] = (char)c;
    }
    key[n] = '\0';
    return 0;
}

/* ---- records ---- */

static int do_org(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1];
    const char *name, *site_name;
    json_t *site = json_object_get(rec, "siteId");

    if (imp_want_guid(rd, rec, path, "organizationId", 1, id) != 0 ||
        imp_want_str(rd, rec, path, "name", 1, LIM_STRING_FIELD_MAX, &name) != 0 ||
        imp_want_str(rd, rec, path, "siteName", 0, LIM_STRING_FIELD_MAX, &site_name) != 0)
        return -1;
    if (site != NULL && (!json_is_integer(site) || json_integer_value(site) <= 0 ||
                         json_integer_value(site) > INT32_MAX)) {
        imp_fail(rd, "%s.siteId: must be a positive integer", path);
        return -1;
    }
    pd_org o = { .id = id, .name = (char *)name, .site_name = (char *)site_name,
                 .site_id = site != NULL ? json_integer_value(site) : 0 };
    if (s->ops->upsert_org(s, &o) != PD_OK)
        return imp_store_failed(rd, s, path);
    rd->st->organizations++;
    return 0;
}

static int do_account_children(reader *rd, pd_store *s, json_t *rec, const char *path,
                               const char *account_id)
{
    char sub[160];
    size_t i;
    json_t *arr, *it;

    arr = json_object_get(rec, "permissionProfiles");
    if (arr != NULL && !json_is_array(arr)) {
        imp_fail(rd, "%s.permissionProfiles: must be an array", path);
        return -1;
    }
    json_array_foreach(arr, i, it) {
        const char *pid, *pname;
        snprintf(sub, sizeof(sub), "%s.permissionProfiles[%zu]", path, i);
        if (!json_is_object(it)) {
            imp_fail(rd, "%s: must be an object", sub);
            return -1;
        }
        if (imp_want_str(rd, it, sub, "permissionProfileId", 1, LIM_ID_MAX, &pid) != 0 ||
            imp_want_str(rd, it, sub, "permissionProfileName", 1, LIM_STRING_FIELD_MAX, &pname) != 0)
            return -1;
        pd_perm_profile p = { .id = (char *)pid, .name = (char *)pname };
        if (s->ops->upsert_perm_profile(s, account_id, &p) != PD_OK)
            return imp_store_failed(rd, s, sub);
        rd->st->permission_profiles++;
    }
    arr = json_object_get(rec, "groups");
    if (arr != NULL && !json_is_array(arr)) {
        imp_fail(rd, "%s.groups: must be an array", path);
        return -1;
    }
    json_array_foreach(arr, i, it) {
        const char *gid, *gname, *gtype;
        snprintf(sub, sizeof(sub), "%s.groups[%zu]", path, i);
        if (!json_is_object(it)) {
            imp_fail(rd, "%s: must be an object", sub);
            return -1;
        }
        if (imp_want_str(rd, it, sub, "groupId", 1, LIM_ID_MAX, &gid) != 0 ||
            imp_want_str(rd, it, sub, "groupName", 1, LIM_STRING_FIELD_MAX, &gname) != 0 ||
            imp_want_str(rd, it, sub, "groupType", 0, LIM_ID_MAX, &gtype) != 0)
            return -1;
        pd_group g = { .id = (char *)gid, .name = (char *)gname,
                       .type = (char *)(gtype ? gtype : "CustomGroup") };
        if (s->ops->upsert_group(s, account_id, &g) != PD_OK)
            return imp_store_failed(rd, s, sub);
        rd->st->groups++;
    }
    return 0;
}

static int do_account(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1], org[LIM_ID_MAX + 1];
    const char *name;
    json_t *num = json_object_get(rec, "accountNumber");

    if (imp_want_guid(rd, rec, path, "accountId", 1, id) != 0 ||
        imp_want_str(rd, rec, path, "accountName", 1, LIM_STRING_FIELD_MAX, &name) != 0 ||
        imp_want_guid(rd, rec, path, "organizationId", 0, org) != 0)
        return -1;
    if (!json_is_integer(num) || json_integer_value(num) <= 0) {
        imp_fail(rd, "%s.accountNumber: required, a positive integer", path);
        return -1;
    }
    pd_account a = { .id = id, .external_id = json_integer_value(num), .name = (char *)name,
                     .organization_id = org[0] ? org : NULL };
    if (s->ops->upsert_account(s, &a) != PD_OK)
        return imp_store_failed(rd, s, path);
    rd->st->accounts++;
    return do_account_children(rd, s, rec, path, id);
}

static int do_membership(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char uid[LIM_ID_MAX + 1], added_norm[ADMIN_DATE_LEN + 1];
    const char *acc_ref, *pp, *added;
    json_t *admin = json_object_get(rec, "isAdmin"), *groups = json_object_get(rec, "groupIds"), *g;
    char *gids[64];
    size_t i, ng = 0;
    char acc_buf[32];

    json_t *accv = json_object_get(rec, "accountId");
    if (json_is_integer(accv)) {
        snprintf(acc_buf, sizeof(acc_buf), "%lld", (long long)json_integer_value(accv));
        acc_ref = acc_buf;
    } else if (imp_want_str(rd, rec, path, "accountId", 1, LIM_ID_MAX, &acc_ref) != 0) {
        return -1;
    }
    if (imp_want_guid(rd, rec, path, "userId", 1, uid) != 0 ||
        imp_want_str(rd, rec, path, "permissionProfileId", 0, LIM_ID_MAX, &pp) != 0 ||
        imp_want_str(rd, rec, path, "userAddedToAccountDateTime", 0, 40, &added) != 0)
        return -1;
    if (added != NULL && admin_date_normalize(added, added_norm) != 0) {
        imp_fail(rd, "%s.userAddedToAccountDateTime: must be an ISO 8601 date-time with Z or an offset", path);
        return -1;
    }
    if (admin != NULL && !json_is_boolean(admin)) {
        imp_fail(rd, "%s.isAdmin: must be true or false", path);
        return -1;
    }
    if (groups != NULL && (!json_is_array(groups) || json_array_size(groups) > 64)) {
        imp_fail(rd, "%s.groupIds: must be an array of at most 64 group ids", path);
        return -1;
    }
    json_array_foreach(groups, i, g) {
        if (!json_is_string(g)) {
            imp_fail(rd, "%s.groupIds[%zu]: must be a string", path, i);
            return -1;
        }
        gids[ng++] = (char *)json_string_value(g);
    }
    pd_membership m = { .user_id = uid, .is_admin = json_is_true(admin),
                        .permission_profile_id = (char *)pp, .group_ids = gids, .n_group_ids = ng,
                        .added = added != NULL ? added_norm : NULL };
    if (import_pipe_membership(rd->pipe, s, path, acc_ref, &m, rd->err, rd->errlen) != 0)
        return -1;
    rd->st->memberships++;
    return 0;
}

/* A record failed: when the backend still holds earlier records unwritten
 * (bulk import), write them first, so the error reported is the first one
 * in the file, as in a one-by-one import.  Always -1. */
static int bulk_first_error(reader *rd, pd_store *s)
{
    if (s->ops->bulk_flush != NULL && s->ops->bulk_flush(s) != PD_OK)
        imp_store_failed(rd, s, "import");
    return -1;
}

static const struct { const char *name; record_fn fn; } sections[] = {
    { "organizations", do_org },
    { "accounts", do_account },
    { "users", imp_do_user },
    { "memberships", do_membership },
    { "organizationAdmins", imp_do_org_admin },
    { "reservedDomains", imp_do_domain },
    { "userIdentities", imp_do_identity },
    { "integrations", imp_do_integration },
};

static int read_section(reader *rd, pd_store *s, const char *name, record_fn fn,
                        import_progress_fn progress, void *pctx)
{
    char path[96];
    size_t idx = 0;
    bool twin = fn == imp_do_user && rd->twin != NULL;
    int c = skip_ws(rd);

    if (c != '[') {
        imp_fail(rd, "%s: must be an array", name);
        return -1;
    }
    for (;;) {
        json_t *rec;
        int rc;

        c = skip_ws(rd);
        if (c == ']' && idx == 0)
            return 0;
        if (c != '{') {
            if (!twin || imp_twin_flush(rd, s) == 0)
                imp_fail(rd, "%s[%zu]: expected an object", name, idx);
            return -1;
        }
        rd->over_limit = 0;
        if (rd->arena)
            import_arena_reset();       /* the previous record's trees are released */
        snprintf(path, sizeof(path), "%s[%zu]", name, idx);
        if (twin)
            imp_twin_place(rd);
        int got = read_record(rd);
        if (twin && got == 0) {
            rc = imp_twin_user_record(rd, s, idx);
        } else {
            if (imp_load_record(rd, path, got, &rec) != 0) {
                char mine[1024];
                str_copy(mine, sizeof(mine), rd->err);
                if (twin && imp_twin_flush(rd, s) != 0)
                    return -1;          /* an earlier record's problem */
                str_copy(rd->err, rd->errlen, mine);
                return -1;
            }
            if (s->ops->bulk_mark != NULL)
                s->ops->bulk_mark(s, path);
            rc = fn(rd, s, rec, path);
            json_decref(rec);
        }
        if (rc != 0)
            return bulk_first_error(rd, s);
        idx++;
        if (progress && idx % 10000 == 0)
            progress(pctx, rd->st);
        c = skip_ws(rd);
        if (c == ']')
            return !twin || imp_twin_flush(rd, s) == 0 ? 0 : bulk_first_error(rd, s);
        if (c != ',') {
            if (!twin || imp_twin_flush(rd, s) == 0)
                imp_fail(rd, "%s: expected ',' or ']' after the record", path);
            return -1;
        }
    }
}

/* Scalar top-level members: "format" and "version".  The value's text is
 * collected up to the next ',' or '}' outside a string (put back), then
 * decoded, so nothing past the value is consumed. */
static int read_scalar(reader *rd, const char *key)
{
    char text[128];
    size_t n = 0;
    int c, rc = -1;
    json_scan sc = {0, 0};
    json_t *v;

    for (;;) {
        c = next_byte(rd);
        if (c == EOF)
            break;
        if (!sc.in_str && (c == ',' || c == '}')) {
            ungetc(c, rd->in);
            rd->st->bytes--;
            break;
        }
        json_scan_byte(&sc, c);
        if (n + 1 >= sizeof(text)) {
            imp_fail(rd, "%s: value too long", key);
            return -1;
        }
        text[n++] = (char)c;
    }
    text[n] = '\0';
    v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        imp_fail(rd, "%s: malformed value", key);
        return -1;
    }
    if (strcmp(key, "format") == 0) {
        if (!json_is_string(v) || strcmp(json_string_value(v), "profiled-import") != 0)
            imp_fail(rd, "format: must be \"profiled-import\"");
        else
            rc = 0;
    } else if (strcmp(key, "version") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) != 1)
            imp_fail(rd, "version: this profiled reads version 1");
        else
            rc = 0;
    } else {
        imp_fail(rd, "%s: unknown top-level member (expected format, version, organizations, accounts, users, memberships, organizationAdmins, reservedDomains, userIdentities, integrations)", key);
    }
    json_decref(v);
    return rc;
}

pd_err import_stream(pd_store *s, FILE *in, import_stats *st, char *err, size_t errlen,
                     import_progress_fn progress, void *pctx)
{
    return import_stream_mode(s, in, false, st, err, errlen, progress, pctx);
}

/* The one transaction of a load: the store's bulk load when it has one. */
static pd_err load_begin(pd_store *s, bool replace, bool alone)
{
    if (s->ops->bulk_begin != NULL)
        return s->ops->bulk_begin(s, replace, alone);
    pd_err e = s->ops->begin(s);
    if (e == PD_OK && replace && s->ops->wipe_tenant(s) != PD_OK) {
        s->ops->rollback(s);
        return PD_ERR_STORE;
    }
    return e;
}

static pd_err load_end(pd_store *s, bool commit)
{
    if (s->ops->bulk_end != NULL)
        return s->ops->bulk_end(s, commit);
    if (commit)
        return s->ops->commit(s);
    return s->ops->rollback(s);
}

static pd_err import_run(pd_store *s, FILE *in, bool replace, bool alone, import_stats *st,
                         char *err, size_t errlen, import_progress_fn progress, void *pctx)
{
    reader rd = { .in = in, .st = st, .err = err, .errlen = errlen };
    char key[64];
    int c, first = 1, rc = -1;

    memset(st, 0, sizeof(*st));
    err[0] = '\0';
    rd.rec = rd.own_rec = malloc(LIM_IMPORT_RECORD_MAX);
    if (rd.rec == NULL) {
        imp_fail(&rd, "out of memory");
        return PD_ERR_INTERNAL;
    }
    if (load_begin(s, replace, alone) != PD_OK) {
        free(rd.own_rec);
        imp_fail(&rd, "cannot start a transaction%s: %s", replace ? " and clear the tenant" : "",
             pd_store_last_error(s));
        return PD_ERR_STORE;
    }
    if (s->ops->bulk_start != NULL)
        s->ops->bulk_start(s);      /* PostgreSQL: users and memberships in batches */
    /* the arena replaces jansson's allocator on this thread: only for the
     * writer-thread path, whose store code runs on the other thread (a
     * batching backend frees jansson strings with free() on this one) */
    rd.arena = alone && s->ops->bulk_start == NULL && import_arena_start();
    /* SQLite: users and memberships on a writer thread; a backend that
     * batches itself (bulk_start) keeps them on this thread */
    rd.pipe = alone && s->ops->bulk_start == NULL ? import_pipe_start(s) : NULL;
    imp_twin_start(&rd);                    /* user records decoded on two threads */
    if (skip_ws(&rd) != '{') {
        imp_fail(&rd, "the file must hold one JSON object");
        goto out;
    }
    for (;;) {
        c = skip_ws(&rd);
        if (c == '}' && first)
            break;
        if (c != '"' || read_key(&rd, key, sizeof(key)) != 0) {
            imp_fail(&rd, "expected a member name at byte %lld", st->bytes);
            goto out;
        }
        if (skip_ws(&rd) != ':') {
            imp_fail(&rd, "%s: expected ':'", key);
            goto out;
        }
        size_t i;
        for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
            if (strcmp(key, sections[i].name) == 0)
                break;
        if (i < sizeof(sections) / sizeof(sections[0])) {
            if (read_section(&rd, s, key, sections[i].fn, progress, pctx) != 0 ||
                import_pipe_drain(rd.pipe, err, errlen) != 0)
                goto out;
        } else if (read_scalar(&rd, key) != 0) {
            goto out;
        }
        first = 0;
        c = skip_ws(&rd);
        if (c == '}')
            break;
        if (c != ',') {
            imp_fail(&rd, "expected ',' or '}' after member '%s'", key);
            goto out;
        }
    }
    if (skip_ws(&rd) != EOF) {
        imp_fail(&rd, "unexpected data after the top-level object");
        goto out;
    }
    if (s->ops->bulk_flush != NULL && s->ops->bulk_flush(s) != PD_OK) {
        imp_store_failed(&rd, s, "import");
        goto out;
    }
    if (s->ops->bump_generation(s) != PD_OK) {
        imp_fail(&rd, "commit failed: %s", pd_store_last_error(s));
        load_end(s, false);             /* the load ends here too: rolled back */
        rc = -2;
        goto out;
    }
    if (load_end(s, true) != PD_OK) {
        imp_fail(&rd, "commit failed: %s", pd_store_last_error(s));
        rc = -2;                        /* load_end rolled back */
        goto out;
    }
    rc = 0;
out:
    if (rc == -1)       /* an earlier record's failed write (if any) is the one to report */
        import_pipe_drain(rd.pipe, err, errlen);
    imp_twin_stop(&rd);
    import_pipe_stop(rd.pipe);          /* before the rollback: the writer is done */
    if (rd.arena)
        import_arena_stop();
    free(rd.own_rec);
    if (rc == -1)
        load_end(s, false);
    return rc == 0 ? PD_OK : PD_ERR_INVALID_BODY;
}

pd_err import_stream_mode(pd_store *s, FILE *in, bool replace, import_stats *st, char *err,
                          size_t errlen, import_progress_fn progress, void *pctx)
{
    return import_run(s, in, replace, false, st, err, errlen, progress, pctx);
}

pd_err import_stream_alone(pd_store *s, FILE *in, import_stats *st, char *err, size_t errlen,
                           import_progress_fn progress, void *pctx)
{
    return import_run(s, in, false, true, st, err, errlen, progress, pctx);
}
