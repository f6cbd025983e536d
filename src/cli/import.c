/*
 * import.c - streaming import of the tenant format (see import.h).
 *
 * The top level is scanned by hand ({ "section": [ record, ... ], ... });
 * each record is decoded by jansson through a byte-at-a-time callback that
 * counts bytes, so no record can exceed LIM_IMPORT_RECORD_MAX and the
 * stream is never read past the record.  Records are validated, turned into
 * store structs and upserted.  All heap memory of a record is released
 * before the next one is read.
 */
#include "cli/import.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/query.h"
#include "cli/import_arena.h"
#include "cli/import_pipe.h"
#include "cli/import_twin.h"
#include "core/b64.h"
#include "core/json_compact.h"
#include "model/image.h"
#include "core/jsonutil.h"
#include "core/limits.h"
#include "oauth/oauth.h"
#include "model/profile.h"
#include "core/strutil.h"

typedef struct {
    FILE *in;
    import_stats *st;
    char *rec;                  /* current record's text, LIM_IMPORT_RECORD_MAX bytes */
    size_t rec_len;
    int over_limit;
    char *err;
    size_t errlen;
    bool arena;                 /* jansson allocates from cli/import_arena.c */
    char *own_rec;              /* the buffer rd->rec points to when not into the twin's batch */
    import_pipe *pipe;          /* users and memberships written on a second thread, or NULL */
    import_twin *twin;          /* user records decoded on two threads, or NULL */
    struct user_twin_ *tw;      /* ... their batches (see twin_start) */
} reader;

static void fail(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(reader *rd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rd->err, rd->errlen, fmt, ap);
    va_end(ap);
}

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

/* ---- field helpers ---- */

static const char *get_str(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Required or optional string member with a maximum length; reports path. */
static int want_str(reader *rd, json_t *o, const char *path, const char *name,
                    int required, size_t max, const char **out)
{
    json_t *v = json_object_get(o, name);

    *out = NULL;
    if (v == NULL) {
        if (required)
            fail(rd, "%s.%s: required", path, name);
        return required ? -1 : 0;
    }
    if (!json_is_string(v)) {
        fail(rd, "%s.%s: must be a string", path, name);
        return -1;
    }
    if (json_string_length(v) == 0 && required) {
        fail(rd, "%s.%s: must not be empty", path, name);
        return -1;
    }
    if (json_string_length(v) > max) {
        fail(rd, "%s.%s: longer than %zu characters", path, name, max);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int want_guid(reader *rd, json_t *o, const char *path, const char *name,
                     int required, char out[LIM_ID_MAX + 1])
{
    const char *s;

    out[0] = '\0';
    if (want_str(rd, o, path, name, required, LIM_ID_MAX, &s) != 0)
        return -1;
    if (s == NULL)
        return 0;
    if (!str_is_guid(s)) {
        fail(rd, "%s.%s: '%s' is not a GUID (8-4-4-4-12 hex)", path, name, s);
        return -1;
    }
    str_copy(out, LIM_ID_MAX + 1, s);
    str_lower(out);
    return 0;
}

/* A secret given either in clear (`plain`, hashed on import) or as an
 * existing Argon2id hash (`hash`), never both.  0, or -1 with the problem. */
static int plain_or_hash(reader *rd, const char *path, const char *plain_name, const char *plain,
                         const char *hash_name, const char *hash)
{
    if (plain && hash) {
        fail(rd, "%s: give either %s or %s, not both", path, plain_name, hash_name);
        return -1;
    }
    if (hash && strncmp(hash, "$argon2id$", 10) != 0) {
        fail(rd, "%s.%s: must be an Argon2id hash ($argon2id$...)", path, hash_name);
        return -1;
    }
    return 0;
}

static int store_failed(reader *rd, pd_store *s, const char *path)
{
    return import_store_fail(s, path, rd->err, rd->errlen);
}

/* ---- records ---- */

static int do_org(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1];
    const char *name, *site_name;
    json_t *site = json_object_get(rec, "siteId");

    if (want_guid(rd, rec, path, "organizationId", 1, id) != 0 ||
        want_str(rd, rec, path, "name", 1, LIM_STRING_FIELD_MAX, &name) != 0 ||
        want_str(rd, rec, path, "siteName", 0, LIM_STRING_FIELD_MAX, &site_name) != 0)
        return -1;
    if (site != NULL && (!json_is_integer(site) || json_integer_value(site) <= 0 ||
                         json_integer_value(site) > INT32_MAX)) {
        fail(rd, "%s.siteId: must be a positive integer", path);
        return -1;
    }
    pd_org o = { .id = id, .name = (char *)name, .site_name = (char *)site_name,
                 .site_id = site != NULL ? json_integer_value(site) : 0 };
    if (s->ops->upsert_org(s, &o) != PD_OK)
        return store_failed(rd, s, path);
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
        fail(rd, "%s.permissionProfiles: must be an array", path);
        return -1;
    }
    json_array_foreach(arr, i, it) {
        const char *pid, *pname;
        snprintf(sub, sizeof(sub), "%s.permissionProfiles[%zu]", path, i);
        if (!json_is_object(it)) {
            fail(rd, "%s: must be an object", sub);
            return -1;
        }
        if (want_str(rd, it, sub, "permissionProfileId", 1, LIM_ID_MAX, &pid) != 0 ||
            want_str(rd, it, sub, "permissionProfileName", 1, LIM_STRING_FIELD_MAX, &pname) != 0)
            return -1;
        pd_perm_profile p = { .id = (char *)pid, .name = (char *)pname };
        if (s->ops->upsert_perm_profile(s, account_id, &p) != PD_OK)
            return store_failed(rd, s, sub);
        rd->st->permission_profiles++;
    }
    arr = json_object_get(rec, "groups");
    if (arr != NULL && !json_is_array(arr)) {
        fail(rd, "%s.groups: must be an array", path);
        return -1;
    }
    json_array_foreach(arr, i, it) {
        const char *gid, *gname, *gtype;
        snprintf(sub, sizeof(sub), "%s.groups[%zu]", path, i);
        if (!json_is_object(it)) {
            fail(rd, "%s: must be an object", sub);
            return -1;
        }
        if (want_str(rd, it, sub, "groupId", 1, LIM_ID_MAX, &gid) != 0 ||
            want_str(rd, it, sub, "groupName", 1, LIM_STRING_FIELD_MAX, &gname) != 0 ||
            want_str(rd, it, sub, "groupType", 0, LIM_ID_MAX, &gtype) != 0)
            return -1;
        pd_group g = { .id = (char *)gid, .name = (char *)gname,
                       .type = (char *)(gtype ? gtype : "CustomGroup") };
        if (s->ops->upsert_group(s, account_id, &g) != PD_OK)
            return store_failed(rd, s, sub);
        rd->st->groups++;
    }
    return 0;
}

static int do_account(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1], org[LIM_ID_MAX + 1];
    const char *name;
    json_t *num = json_object_get(rec, "accountNumber");

    if (want_guid(rd, rec, path, "accountId", 1, id) != 0 ||
        want_str(rd, rec, path, "accountName", 1, LIM_STRING_FIELD_MAX, &name) != 0 ||
        want_guid(rd, rec, path, "organizationId", 0, org) != 0)
        return -1;
    if (!json_is_integer(num) || json_integer_value(num) <= 0) {
        fail(rd, "%s.accountNumber: required, a positive integer", path);
        return -1;
    }
    pd_account a = { .id = id, .external_id = json_integer_value(num), .name = (char *)name,
                     .organization_id = org[0] ? org : NULL };
    if (s->ops->upsert_account(s, &a) != PD_OK)
        return store_failed(rd, s, path);
    rd->st->accounts++;
    return do_account_children(rd, s, rec, path, id);
}

static int hash_password(reader *rd, const char *path, const char *pw, char out[crypto_pwhash_STRBYTES])
{
    if (strlen(pw) < 8 || strlen(pw) > LIM_PASSWORD_MAX) {
        fail(rd, "%s.password: must be 8 to %d characters", path, LIM_PASSWORD_MAX);
        return -1;
    }
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fail(rd, "%s.password: hashing failed (out of memory)", path);
        return -1;
    }
    return 0;
}

/* The record's profileImage, validated and decoded into *out (bytes
 * malloc'd: free(*bytes) after use; *bytes NULL when there is none). */
static int user_image(reader *rd, json_t *rec, const char *path, unsigned char **bytes_out,
                      import_image *out, char etag[36])
{
    json_t *img = json_object_get(rec, "profileImage");
    const char *data;
    unsigned char *bytes = NULL, hash[16];
    char hex[33];
    long n;
    int rc = -1;
    image_kind kind;

    *bytes_out = NULL;
    if (img == NULL)
        return 0;
    if (!json_is_object(img) || (data = get_str(img, "data")) == NULL) {
        fail(rd, "%s.profileImage: must be an object with base64 'data'", path);
        return -1;
    }
    if (strlen(data) > (size_t)LIM_BODY_IMAGE_RAW * 4 / 3 + 8) {
        fail(rd, "%s.profileImage.data: image must be smaller than %d bytes", path, LIM_BODY_IMAGE_RAW);
        return -1;
    }
    bytes = malloc(b64_decoded_max(strlen(data)) + 1);
    if (bytes == NULL)
        goto out;
    n = b64_decode(data, strlen(data), bytes);
    if (n <= 0) {
        fail(rd, "%s.profileImage.data: not valid base64", path);
        goto out;
    }
    if (n >= LIM_BODY_IMAGE_RAW) {
        fail(rd, "%s.profileImage.data: image must be smaller than %d bytes", path, LIM_BODY_IMAGE_RAW);
        goto out;
    }
    kind = image_sniff(bytes, (size_t)n);
    if (kind == IMG_UNKNOWN) {
        fail(rd, "%s.profileImage.data: not a GIF, PNG, JPEG or BMP image", path);
        goto out;
    }
    crypto_generichash(hash, sizeof(hash), bytes, (size_t)n, NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    snprintf(etag, 36, "\"%s\"", hex);
    *out = (import_image){ .bytes = bytes, .len = (size_t)n, .mime = image_mime(kind), .etag = etag };
    *bytes_out = bytes;
    return 0;
out:
    free(bytes);
    return rc;
}

/* The stored document's text, compact and in member order (malloc'd:
 * the caller frees it), or NULL when out of memory.  core/json_compact.c
 * writes json_dumpb's bytes in a fifth of its time; a tree it declines
 * (a real number, deep nesting) goes to jansson, whose string is copied
 * out because it may live in the import arena. */
static char *doc_text_new(const json_t *doc)
{
    void *(*jmalloc)(size_t);
    void (*jfree)(void *);
    char *text = json_compact_encode(doc, NULL), *slow;

    if (text != NULL || (slow = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
        return text;
    text = strdup(slow);
    json_get_alloc_funcs(&jmalloc, &jfree);
    jfree(slow);
    return text;
}

/* A user record decoded, validated and encoded, not yet written: what
 * prep_user makes (possibly on the twin thread, import_twin.h) and
 * submit_user writes.  Self-contained (the record's tree may be gone):
 * the optional strings are copies, NULL-able through the pointers; doc
 * and img_bytes are malloc'd (user_prep_clear frees them and wipes the
 * password). */
typedef struct {
    size_t idx;                 /* users[idx] */
    char id[LIM_ID_MAX + 1], email[LIM_EMAIL_MAX + 1], now[40];
    char login_norm[ADMIN_DATE_LEN + 1], etag[36];
    char pw_buf[LIM_PASSWORD_MAX + 1], ph_buf[crypto_pwhash_STRBYTES], status_buf[33];
    char created_buf[41], modified_buf[41];
    const char *pw, *ph, *status, *created, *modified, *last_login;
    char *doc;
    unsigned char *img_bytes;
    import_image img;
} user_prep;

static void user_prep_clear(user_prep *p)
{
    free(p->img_bytes);
    free(p->doc);
    p->img_bytes = NULL;
    p->doc = NULL;
    if (p->pw != NULL)
        sodium_memzero(p->pw_buf, sizeof(p->pw_buf));
}

/* *field, when set, copied into buf (the lengths were checked) and
 * pointed at it. */
static void keep(const char **field, char *buf, size_t cap)
{
    if (*field != NULL) {
        str_copy(buf, cap, *field);
        *field = buf;
    }
}

/* Everything of a user record that needs no store: 0, or -1 with the
 * problem in rd->err (p cleared then). */
static int prep_user_fields(reader *rd, json_t *rec, const char *path, user_prep *p)
{
    const char *em;
    char sub[160];
    json_t *profile, *doc = NULL;
    pd_errbuf eb;

    p->img_bytes = NULL;
    p->doc = NULL;
    if (want_guid(rd, rec, path, "userId", 1, p->id) != 0 ||
        want_str(rd, rec, path, "email", 1, LIM_EMAIL_MAX, &em) != 0 ||
        want_str(rd, rec, path, "password", 0, LIM_PASSWORD_MAX, &p->pw) != 0 ||
        want_str(rd, rec, path, "passwordHash", 0, crypto_pwhash_STRBYTES - 1, &p->ph) != 0 ||
        want_str(rd, rec, path, "userStatus", 0, 32, &p->status) != 0 ||
        want_str(rd, rec, path, "createdDateTime", 0, 40, &p->created) != 0 ||
        want_str(rd, rec, path, "userProfileLastModifiedDate", 0, 40, &p->modified) != 0 ||
        want_str(rd, rec, path, "lastLogin", 0, 40, &p->last_login) != 0)
        return -1;
    if (p->last_login != NULL && admin_date_normalize(p->last_login, p->login_norm) != 0) {
        fail(rd, "%s.lastLogin: must be an ISO 8601 date-time with Z or an offset", path);
        return -1;
    }
    {
        const char *at = strchr(em, '@');
        if (at == NULL || at == em || at[1] == '\0' || strchr(at + 1, '@') != NULL) {
            fail(rd, "%s.email: '%s' is not an email address", path, em);
            return -1;
        }
    }
    str_copy(p->email, sizeof(p->email), em);
    str_lower(p->email);
    if (p->status && strcmp(p->status, "Active") != 0 && strcmp(p->status, "ActivationRequired") != 0 &&
        strcmp(p->status, "ActivationSent") != 0 && strcmp(p->status, "Closed") != 0 &&
        strcmp(p->status, "Disabled") != 0) {
        fail(rd, "%s.userStatus: must be Active, ActivationRequired, ActivationSent, Closed or Disabled", path);
        return -1;
    }
    if (plain_or_hash(rd, path, "password", p->pw, "passwordHash", p->ph) != 0)
        return -1;
    keep(&p->pw, p->pw_buf, sizeof(p->pw_buf));
    keep(&p->ph, p->ph_buf, sizeof(p->ph_buf));
    keep(&p->status, p->status_buf, sizeof(p->status_buf));
    keep(&p->created, p->created_buf, sizeof(p->created_buf));
    keep(&p->modified, p->modified_buf, sizeof(p->modified_buf));
    profile = json_object_get(rec, "profile");
    if (profile != NULL) {
        snprintf(sub, sizeof(sub), "%s.profile", path);
        if (!json_is_object(profile)) {
            fail(rd, "%s: must be an object", sub);
            return -1;
        }
        pd_errbuf_init(&eb);
        if (profile_validate_import(profile, sub, &eb) != PD_OK) {
            fail(rd, "%s", eb.text);
            return -1;
        }
        doc = profile_from_import(profile);
    } else {
        doc = profile_new_doc();
    }
    p->doc = doc != NULL ? doc_text_new(doc) : NULL;
    json_decref(doc);
    if (p->doc == NULL) {
        fail(rd, "%s: out of memory", path);
        return -1;
    }
    time_now_iso(p->now, sizeof(p->now));
    return user_image(rd, rec, path, &p->img_bytes, &p->img, p->etag);
}

static int prep_user(reader *rd, json_t *rec, const char *path, user_prep *p)
{
    p->pw = NULL;
    if (prep_user_fields(rd, rec, path, p) == 0)
        return 0;
    user_prep_clear(p);
    return -1;
}

/* The store half: a plain password compared with the stored hash or
 * hashed (on this thread: it needs the store), then the user handed to
 * the writer.  0, or -1 with the problem in rd->err. */
static int submit_user(reader *rd, pd_store *s, const char *path, user_prep *p)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc = -1;

    if (p->pw && import_pipe_drain(rd->pipe, rd->err, rd->errlen) != 0)
        return -1;                      /* the store is this thread's again */
    if (p->pw) {
        /* keep the stored hash when it already matches: re-importing the
         * same file must change nothing */
        pd_user old = {0};
        int same = s->ops->get_user(s, p->id, &old) == PD_OK && old.password_hash &&
                   strlen(old.password_hash) < sizeof(hash) &&
                   crypto_pwhash_str_verify(old.password_hash, p->pw, strlen(p->pw)) == 0;
        if (same)
            str_copy(hash, sizeof(hash), old.password_hash);
        pd_user_clear(&old);
        if (!same && hash_password(rd, path, p->pw, hash) != 0)
            goto out;
    }
    pd_user u = {
        .id = p->id, .email = p->email, .status = (char *)(p->status ? p->status : "Active"),
        .created = (char *)(p->created ? p->created : p->now),
        .modified = (char *)(p->modified ? p->modified : p->created ? p->created : p->now),
        .password_hash = p->pw ? hash : (char *)p->ph, .profile_json = p->doc,
        .last_login = p->last_login != NULL ? p->login_norm : NULL,
    };
    if (import_pipe_user(rd->pipe, s, path, &u, p->img_bytes != NULL ? &p->img : NULL, rd->err,
                         rd->errlen) != 0)
        goto out;
    rd->st->users++;
    rd->st->images += p->img_bytes != NULL;
    rc = 0;
out:
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

static int do_user(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    user_prep p;

    if (prep_user(rd, rec, path, &p) != 0)
        return -1;
    int rc = submit_user(rd, s, path, &p);
    user_prep_clear(&p);
    return rc;
}

/* ---- user records on two decoding threads (import_twin.h) ----
 * With a twin, the users section is cut, in file order, into jobs of up
 * to TWIN_RECORDS records (TWIN_BYTES of text) in a ring of
 * IMPORT_TWIN_SLOTS.  This thread reads the texts into the job being
 * filled and posts it; the twin decodes and prepares posted jobs; this
 * thread gives the writer the records of the oldest jobs that have run
 * (file order), and when the ring is full it runs a posted job itself
 * before it waits for the oldest.  A job stops at
 * its first failure; twin_flush (at the end of the section and before any
 * other problem is reported) writes what came before, so the first failing
 * record in file order is the one reported.  Prepared records are
 * self-contained: both threads reset their arena per record. */

#define TWIN_RECORDS 32
#define TWIN_BYTES (64 * 1024)

typedef struct {
    size_t n;                   /* records in the job */
    size_t done;                /* ... prepared (the rest failed or was not tried) */
    user_prep p[TWIN_RECORDS];
    char err[1024];             /* the problem of record done, when done < n */
} user_batch;

typedef struct {
    reader r;                   /* the job's own: err buffer, no pipe, no store */
    char *text;                 /* the records' texts, NUL-terminated, one after another */
    size_t used, off[TWIN_RECORDS], len[TWIN_RECORDS];
    size_t first;               /* users[first] is the job's first record */
    user_batch b;
} user_job;

typedef struct user_twin_ {
    user_job job[IMPORT_TWIN_SLOTS];
    size_t head;                /* the oldest posted job not yet written */
    size_t pending;             /* posted, not yet written: head, head + 1, ... */
} user_twin;

/* The job being filled: the one after the posted ones. */
static size_t twin_fill(const user_twin *t)
{
    return (t->head + t->pending) % IMPORT_TWIN_SLOTS;
}

static int load_record(reader *rd, const char *path, int got, json_t **out);

/* A job (on either thread): decode and prepare it, stopping at a failure. */
static int twin_batch(void *arg)
{
    user_job *j = arg;
    char path[96];
    json_t *rec;

    for (j->b.done = 0; j->b.done < j->b.n; j->b.done++) {
        user_prep *p = &j->b.p[j->b.done];
        p->idx = j->first + j->b.done;
        snprintf(path, sizeof(path), "users[%zu]", p->idx);
        import_arena_reset();           /* this thread's: the previous record's tree */
        j->r.rec = j->text + j->off[j->b.done];
        j->r.rec_len = j->len[j->b.done];
        if (load_record(&j->r, path, 0, &rec) != 0 || prep_user(&j->r, rec, path, p) != 0) {
            str_copy(j->b.err, sizeof(j->b.err), j->r.err);
            return -1;
        }
    }
    return 0;
}

static void batch_clear(user_batch *b)
{
    for (size_t i = 0; i < b->done; i++)
        user_prep_clear(&b->p[i]);
    b->n = b->done = 0;
}

/* A job's prepared records to the writer, in order; then its failure, if
 * it had one.  Clears the job.  0, or -1 with the problem in rd->err. */
static int batch_submit(reader *rd, pd_store *s, user_batch *b)
{
    char path[96];
    int rc = 0;

    for (size_t i = 0; i < b->done && rc == 0; i++) {
        snprintf(path, sizeof(path), "users[%zu]", b->p[i].idx);
        rc = submit_user(rd, s, path, &b->p[i]);
    }
    if (rc == 0 && b->done < b->n) {
        str_copy(rd->err, rd->errlen, b->err);
        rc = -1;
    }
    batch_clear(b);
    return rc;
}

/* The oldest posted job, once run, to the writer (write: false after a
 * failure, only dropped).  Its slot is free again. */
static int twin_retire(reader *rd, pd_store *s, bool write)
{
    user_twin *t = rd->tw;
    user_job *j = &t->job[t->head];
    int rc = 0;

    import_twin_wait(rd->twin, t->head);
    if (write)
        rc = batch_submit(rd, s, &j->b);
    else
        batch_clear(&j->b);
    j->used = 0;
    t->head = (t->head + 1) % IMPORT_TWIN_SLOTS;
    t->pending--;
    return rc;
}

static void twin_post(reader *rd)
{
    user_twin *t = rd->tw;

    import_twin_post(rd->twin, twin_fill(t));
    t->pending++;
}

/* Everything read so far to the writer, in order (write: false after a
 * failure, only dropped).  0, or -1 with the first problem (everything
 * after it dropped). */
static int twin_settle(reader *rd, pd_store *s, bool write)
{
    user_twin *t = rd->tw;
    user_job *f = &t->job[twin_fill(t)];
    int rc = write ? 0 : -1;

    if (f->b.n > 0 && write) {
        twin_post(rd);
    } else {
        f->b.n = 0;                     /* dropped: nothing of it was prepared */
        f->used = 0;
    }
    while (t->pending > 0)
        if (twin_retire(rd, s, rc == 0) != 0)
            rc = -1;
    return rc;
}

static int twin_flush(reader *rd, pd_store *s)
{
    return twin_settle(rd, s, true);
}

/* Where the next user record's text goes: the job being filled, which
 * always has room for a whole record. */
static void twin_place(reader *rd)
{
    user_job *j = &rd->tw->job[twin_fill(rd->tw)];

    rd->rec = j->text + j->used;
}

/* A user record just read (into the place twin_place gave).  0, or -1
 * with the problem in rd->err (everything before it written). */
static int twin_user_record(reader *rd, pd_store *s, size_t idx)
{
    user_twin *t = rd->tw;
    user_job *j = &t->job[twin_fill(t)];

    if (j->b.n == 0)
        j->first = idx;
    j->off[j->b.n] = j->used;
    j->len[j->b.n] = rd->rec_len;
    j->used += rd->rec_len + 1;
    if (++j->b.n < TWIN_RECORDS && j->used <= TWIN_BYTES)
        return 0;
    twin_post(rd);
    /* the writer gets what has run, so the twin always finds free slots */
    while (t->pending > 0 && import_twin_ran(rd->twin, t->head))
        if (twin_retire(rd, s, true) != 0)
            goto failed;
    if (t->pending < IMPORT_TWIN_SLOTS)
        return 0;
    import_twin_help(rd->twin);         /* the ring is full: decode here rather than wait */
    if (twin_retire(rd, s, true) == 0)
        return 0;
failed:
    twin_settle(rd, s, false);          /* the rest is dropped: the first problem stands */
    return -1;
}

/* A twin and its jobs for import_run (a multi-CPU machine, the writer
 * thread and the jansson arena in use), else nothing: decode on one
 * thread. */
static void twin_start(reader *rd)
{
    user_twin *t;
    void *jobs[IMPORT_TWIN_SLOTS];
    bool ok = true;

    if (rd->pipe == NULL || !rd->arena || sysconf(_SC_NPROCESSORS_ONLN) < 2
        || (t = calloc(1, sizeof(*t))) == NULL)
        return;
    for (int k = 0; k < IMPORT_TWIN_SLOTS; k++) {
        t->job[k].r = *rd;
        t->job[k].r.pipe = NULL;
        t->job[k].r.err = malloc(rd->errlen);
        t->job[k].text = malloc(TWIN_BYTES + LIM_IMPORT_RECORD_MAX + 1);
        ok = ok && t->job[k].r.err != NULL && t->job[k].text != NULL;
        jobs[k] = &t->job[k];
    }
    if (!ok || (rd->twin = import_twin_start(twin_batch, jobs)) == NULL) {
        for (int k = 0; k < IMPORT_TWIN_SLOTS; k++) {
            free(t->job[k].r.err);
            free(t->job[k].text);
        }
        free(t);
        return;
    }
    rd->tw = t;
}

static void twin_stop(reader *rd)
{
    user_twin *t = rd->tw;

    if (rd->twin == NULL)
        return;
    twin_settle(rd, NULL, false);       /* only after a failure elsewhere: dropped */
    import_twin_stop(rd->twin);
    rd->twin = NULL;
    for (int k = 0; k < IMPORT_TWIN_SLOTS; k++) {
        batch_clear(&t->job[k].b);
        free(t->job[k].r.err);
        free(t->job[k].text);
    }
    free(t);
    rd->tw = NULL;
    rd->rec = rd->own_rec;
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
    } else if (want_str(rd, rec, path, "accountId", 1, LIM_ID_MAX, &acc_ref) != 0) {
        return -1;
    }
    if (want_guid(rd, rec, path, "userId", 1, uid) != 0 ||
        want_str(rd, rec, path, "permissionProfileId", 0, LIM_ID_MAX, &pp) != 0 ||
        want_str(rd, rec, path, "userAddedToAccountDateTime", 0, 40, &added) != 0)
        return -1;
    if (added != NULL && admin_date_normalize(added, added_norm) != 0) {
        fail(rd, "%s.userAddedToAccountDateTime: must be an ISO 8601 date-time with Z or an offset", path);
        return -1;
    }
    if (admin != NULL && !json_is_boolean(admin)) {
        fail(rd, "%s.isAdmin: must be true or false", path);
        return -1;
    }
    if (groups != NULL && (!json_is_array(groups) || json_array_size(groups) > 64)) {
        fail(rd, "%s.groupIds: must be an array of at most 64 group ids", path);
        return -1;
    }
    json_array_foreach(groups, i, g) {
        if (!json_is_string(g)) {
            fail(rd, "%s.groupIds[%zu]: must be a string", path, i);
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

/* ---- integrations (OAuth clients, docs/oauth.md) ---- */

/* A string array member with at most max items, each at most item_max long. */
static int want_str_array(reader *rd, json_t *o, const char *path, const char *name, size_t max,
                          size_t item_max, json_t **out)
{
    json_t *arr = json_object_get(o, name), *v;
    size_t i;

    *out = NULL;
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > max) {
        fail(rd, "%s.%s: must be an array of at most %zu strings", path, name, max);
        return -1;
    }
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > item_max) {
            fail(rd, "%s.%s[%zu]: must be a non-empty string of at most %zu characters", path, name,
                 i, item_max);
            return -1;
        }
    }
    *out = arr;
    return 0;
}

static int integration_consents(reader *rd, pd_store *s, json_t *rec, const char *path,
                                const char *key, const char *allowed)
{
    json_t *arr = json_object_get(rec, "consents"), *c;
    char sub[160], uid[LIM_ID_MAX + 1], norm[TOKEN_SCOPE_MAX];
    const char *scopes;
    size_t i;

    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > LIM_OAUTH_CONSENTS_MAX) {
        fail(rd, "%s.consents: must be an array of at most %d consents", path, LIM_OAUTH_CONSENTS_MAX);
        return -1;
    }
    json_array_foreach(arr, i, c) {
        snprintf(sub, sizeof(sub), "%s.consents[%zu]", path, i);
        if (!json_is_object(c)) {
            fail(rd, "%s: must be an object", sub);
            return -1;
        }
        if (want_guid(rd, c, sub, "userId", 1, uid) != 0 ||
            want_str(rd, c, sub, "scopes", 0, TOKEN_SCOPE_MAX - 1, &scopes) != 0)
            return -1;
        if (oauth_scope_normalise(scopes ? scopes : allowed, norm, sizeof(norm)) != 0) {
            fail(rd, "%s.scopes: must be space-separated scope names", sub);
            return -1;
        }
        pd_consent pc = { .integration_key = (char *)key, .user_id = uid, .scopes = norm };
        if (s->ops->put_consent(s, &pc) != PD_OK)
            return store_failed(rd, s, sub);
    }
    return 0;
}

/* Validates redirect URIs and public keys of an integration record. */
static int integration_lists(reader *rd, json_t *rec, const char *path, json_t **uris, json_t **keys)
{
    json_t *v;
    size_t i;
    char why[160];

    if (want_str_array(rd, rec, path, "redirectUris", LIM_OAUTH_REDIRECTS_MAX,
                       LIM_OAUTH_REDIRECT_URI_MAX, uris) != 0 ||
        want_str_array(rd, rec, path, "rsaPublicKeys", LIM_OAUTH_KEYS_MAX, LIM_OAUTH_PEM_MAX, keys) != 0)
        return -1;
    json_array_foreach(*uris, i, v) {
        if (!oauth_redirect_uri_valid(json_string_value(v), NULL, 0)) {
            fail(rd, "%s.redirectUris[%zu]: must be an absolute https URI (http only on 127.0.0.1, "
                 "[::1] or localhost) without fragment", path, i);
            return -1;
        }
    }
    json_array_foreach(*keys, i, v) {
        if (oauth_pubkey_check(json_string_value(v), why, sizeof(why)) != 0) {
            fail(rd, "%s.rsaPublicKeys[%zu]: %s", path, i, why);
            return -1;
        }
    }
    return 0;
}

/* The Argon2id hash to store for a plain secret: the stored one when it
 * already matches (re-importing a file changes nothing), else a new one. */
static int integration_secret(reader *rd, pd_store *s, const char *path, const char *key,
                              const char *secret, char out[crypto_pwhash_STRBYTES])
{
    pd_integration old = {0};
    size_t n = strlen(secret);
    int same;

    if (n < LIM_OAUTH_SECRET_MIN || n > LIM_OAUTH_SECRET_MAX) {
        fail(rd, "%s.secret: must be %d to %d characters", path, LIM_OAUTH_SECRET_MIN,
             LIM_OAUTH_SECRET_MAX);
        return -1;
    }
    same = s->ops->get_integration(s, key, &old) == PD_OK && old.secret_hash &&
           strlen(old.secret_hash) < crypto_pwhash_STRBYTES &&
           crypto_pwhash_str_verify(old.secret_hash, secret, n) == 0;
    if (same)
        str_copy(out, crypto_pwhash_STRBYTES, old.secret_hash);
    pd_integration_clear(&old);
    if (same)
        return 0;
    if (crypto_pwhash_str(out, secret, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fail(rd, "%s.secret: hashing failed (out of memory)", path);
        return -1;
    }
    return 0;
}

static int do_integration(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    const char *key, *name, *secret, *sh, *scopes;
    char hash[crypto_pwhash_STRBYTES], norm[TOKEN_SCOPE_MAX];
    json_t *uris, *keys;
    char *uv[LIM_OAUTH_REDIRECTS_MAX], *kv[LIM_OAUTH_KEYS_MAX];
    size_t nu = 0, nk = 0, i;
    json_t *v;
    int rc = -1;

    if (want_str(rd, rec, path, "integrationKey", 1, LIM_ID_MAX, &key) != 0 ||
        want_str(rd, rec, path, "name", 0, LIM_STRING_FIELD_MAX, &name) != 0 ||
        want_str(rd, rec, path, "secret", 0, LIM_OAUTH_SECRET_MAX, &secret) != 0 ||
        want_str(rd, rec, path, "secretHash", 0, crypto_pwhash_STRBYTES - 1, &sh) != 0 ||
        want_str(rd, rec, path, "allowedScopes", 0, TOKEN_SCOPE_MAX - 1, &scopes) != 0)
        return -1;
    if (!oauth_client_id_valid(key)) {
        fail(rd, "%s.integrationKey: 1 to %d characters of A-Z a-z 0-9 . _ -", path, LIM_ID_MAX);
        return -1;
    }
    if (plain_or_hash(rd, path, "secret", secret, "secretHash", sh) != 0)
        return -1;
    if (oauth_scope_normalise(scopes ? scopes : "signature impersonation", norm, sizeof(norm)) != 0) {
        fail(rd, "%s.allowedScopes: must be space-separated scope names", path);
        return -1;
    }
    if (integration_lists(rd, rec, path, &uris, &keys) != 0)
        return -1;
    json_array_foreach(uris, i, v)
        uv[nu++] = (char *)json_string_value(v);
    json_array_foreach(keys, i, v)
        kv[nk++] = (char *)json_string_value(v);
    if (secret && integration_secret(rd, s, path, key, secret, hash) != 0)
        goto out;
    pd_integration it = {
        .key = (char *)key, .name = (char *)(name && *name ? name : key),
        .secret_hash = secret ? hash : (char *)sh, .allowed_scopes = norm,
        .redirect_uris = uv, .n_redirect_uris = nu, .public_keys = kv, .n_public_keys = nk,
    };
    if (s->ops->upsert_integration(s, &it) != PD_OK) {
        store_failed(rd, s, path);
        goto out;
    }
    if (integration_consents(rd, s, rec, path, key, norm) != 0)
        goto out;
    rd->st->integrations++;
    rc = 0;
out:
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

/* ---- Admin API records (docs/admin.md) ---- */

static int do_org_admin(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char org[LIM_ID_MAX + 1], uid[LIM_ID_MAX + 1];

    if (want_guid(rd, rec, path, "organizationId", 1, org) != 0 ||
        want_guid(rd, rec, path, "userId", 1, uid) != 0)
        return -1;
    pd_org_admin a = { .organization_id = org, .user_id = uid };
    if (s->ops->upsert_org_admin(s, &a) != PD_OK)
        return store_failed(rd, s, path);
    rd->st->org_admins++;
    return 0;
}

/* A domain name: labels of a-z 0-9 '-' separated by dots, at least two labels. */
static bool domain_valid(const char *d)
{
    size_t label = 0, labels = 0;

    for (const char *p = d; ; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63)
                return false;
            labels++;
            label = 0;
            if (*p == '\0')
                break;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-'))
            return false;
        label++;
    }
    return labels >= 2 && strlen(d) <= 253;
}

static int do_domain(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1], org[LIM_ID_MAX + 1], dom[256];
    const char *name, *status;

    if (want_guid(rd, rec, path, "domainId", 1, id) != 0 ||
        want_guid(rd, rec, path, "organizationId", 1, org) != 0 ||
        want_str(rd, rec, path, "domain", 1, 253, &name) != 0 ||
        want_str(rd, rec, path, "status", 0, 32, &status) != 0)
        return -1;
    if (!domain_valid(name)) {
        fail(rd, "%s.domain: '%s' is not a domain name", path, name);
        return -1;
    }
    if (status && strcmp(status, "active") != 0 && strcmp(status, "pending") != 0 &&
        strcmp(status, "disabled") != 0) {
        fail(rd, "%s.status: must be active, pending or disabled", path);
        return -1;
    }
    str_copy(dom, sizeof(dom), name);
    str_lower(dom);
    pd_org_domain d = { .id = id, .organization_id = org, .domain = dom,
                        .status = (char *)(status ? status : "active") };
    if (s->ops->upsert_org_domain(s, &d) != PD_OK)
        return store_failed(rd, s, path);
    rd->st->domains++;
    return 0;
}

static int do_identity(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1], uid[LIM_ID_MAX + 1];
    const char *provider, *immutable;

    if (want_guid(rd, rec, path, "identityId", 1, id) != 0 ||
        want_guid(rd, rec, path, "userId", 1, uid) != 0 ||
        want_str(rd, rec, path, "providerId", 1, LIM_ID_MAX, &provider) != 0 ||
        want_str(rd, rec, path, "immutableId", 1, LIM_STRING_FIELD_MAX, &immutable) != 0)
        return -1;
    pd_identity i = { .id = id, .user_id = uid, .provider_id = (char *)provider,
                      .immutable_id = (char *)immutable };
    if (s->ops->upsert_identity(s, &i) != PD_OK)
        return store_failed(rd, s, path);
    rd->st->identities++;
    return 0;
}

/* A record failed: when the backend still holds earlier records unwritten
 * (bulk import), write them first, so the error reported is the first one
 * in the file, as in a one-by-one import.  Always -1. */
static int bulk_first_error(reader *rd, pd_store *s)
{
    if (s->ops->bulk_flush != NULL && s->ops->bulk_flush(s) != PD_OK)
        store_failed(rd, s, "import");
    return -1;
}

typedef int (*record_fn)(reader *, pd_store *, json_t *, const char *);

static const struct { const char *name; record_fn fn; } sections[] = {
    { "organizations", do_org },
    { "accounts", do_account },
    { "users", do_user },
    { "memberships", do_membership },
    { "organizationAdmins", do_org_admin },
    { "reservedDomains", do_domain },
    { "userIdentities", do_identity },
    { "integrations", do_integration },
};

/* The record in rd->rec decoded into *out (got: read_record's answer):
 * 0, or -1 with the problem. */
static int load_record(reader *rd, const char *path, int got, json_t **out)
{
    json_error_t je;

    *out = got == 0 ? json_loadb(rd->rec, rd->rec_len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (*out != NULL)
        return 0;
    if (rd->over_limit)
        fail(rd, "%s: record larger than %d bytes", path, LIM_IMPORT_RECORD_MAX);
    else if (got == -2)
        fail(rd, "%s: the file ends inside this record", path);
    else
        fail(rd, "%s: malformed JSON at column %d: %s", path, je.column, je.text);
    return -1;
}

static int read_section(reader *rd, pd_store *s, const char *name, record_fn fn,
                        import_progress_fn progress, void *pctx)
{
    char path[96];
    size_t idx = 0;
    bool twin = fn == do_user && rd->twin != NULL;
    int c = skip_ws(rd);

    if (c != '[') {
        fail(rd, "%s: must be an array", name);
        return -1;
    }
    for (;;) {
        json_t *rec;
        int rc;

        c = skip_ws(rd);
        if (c == ']' && idx == 0)
            return 0;
        if (c != '{') {
            if (!twin || twin_flush(rd, s) == 0)
                fail(rd, "%s[%zu]: expected an object", name, idx);
            return -1;
        }
        rd->over_limit = 0;
        if (rd->arena)
            import_arena_reset();       /* the previous record's trees are released */
        snprintf(path, sizeof(path), "%s[%zu]", name, idx);
        if (twin)
            twin_place(rd);
        int got = read_record(rd);
        if (twin && got == 0) {
            rc = twin_user_record(rd, s, idx);
        } else {
            if (load_record(rd, path, got, &rec) != 0) {
                char mine[1024];
                str_copy(mine, sizeof(mine), rd->err);
                if (twin && twin_flush(rd, s) != 0)
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
            return !twin || twin_flush(rd, s) == 0 ? 0 : bulk_first_error(rd, s);
        if (c != ',') {
            if (!twin || twin_flush(rd, s) == 0)
                fail(rd, "%s: expected ',' or ']' after the record", path);
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
            fail(rd, "%s: value too long", key);
            return -1;
        }
        text[n++] = (char)c;
    }
    text[n] = '\0';
    v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        fail(rd, "%s: malformed value", key);
        return -1;
    }
    if (strcmp(key, "format") == 0) {
        if (!json_is_string(v) || strcmp(json_string_value(v), "profiled-import") != 0)
            fail(rd, "format: must be \"profiled-import\"");
        else
            rc = 0;
    } else if (strcmp(key, "version") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) != 1)
            fail(rd, "version: this profiled reads version 1");
        else
            rc = 0;
    } else {
        fail(rd, "%s: unknown top-level member (expected format, version, organizations, accounts, users, memberships, organizationAdmins, reservedDomains, userIdentities, integrations)", key);
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
        fail(&rd, "out of memory");
        return PD_ERR_INTERNAL;
    }
    if (load_begin(s, replace, alone) != PD_OK) {
        free(rd.own_rec);
        fail(&rd, "cannot start a transaction%s: %s", replace ? " and clear the tenant" : "",
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
    twin_start(&rd);                    /* user records decoded on two threads */
    if (skip_ws(&rd) != '{') {
        fail(&rd, "the file must hold one JSON object");
        goto out;
    }
    for (;;) {
        c = skip_ws(&rd);
        if (c == '}' && first)
            break;
        if (c != '"' || read_key(&rd, key, sizeof(key)) != 0) {
            fail(&rd, "expected a member name at byte %lld", st->bytes);
            goto out;
        }
        if (skip_ws(&rd) != ':') {
            fail(&rd, "%s: expected ':'", key);
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
            fail(&rd, "expected ',' or '}' after member '%s'", key);
            goto out;
        }
    }
    if (skip_ws(&rd) != EOF) {
        fail(&rd, "unexpected data after the top-level object");
        goto out;
    }
    if (s->ops->bulk_flush != NULL && s->ops->bulk_flush(s) != PD_OK) {
        store_failed(&rd, s, "import");
        goto out;
    }
    if (s->ops->bump_generation(s) != PD_OK || load_end(s, true) != PD_OK) {
        fail(&rd, "commit failed: %s", pd_store_last_error(s));
        rc = -2;                        /* load_end rolled back */
        goto out;
    }
    rc = 0;
out:
    if (rc == -1)       /* an earlier record's failed write (if any) is the one to report */
        import_pipe_drain(rd.pipe, err, errlen);
    twin_stop(&rd);
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
