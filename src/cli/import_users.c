/*
 * import_users.c - the users section of the import (import_internal.h):
 * a user record validated, its profile normalised and encoded, its image
 * decoded, its password hashed, then handed to the writer; and the second
 * decoding thread that prepares records while this one reads (see the
 * block comment above TWIN_RECORDS).
 *
 * Memory: a user_prep owns its encoded document and image bytes until
 * user_prep_clear (which also wipes a plain password); the twin's jobs own
 * their texts and error buffers until imp_twin_stop.
 */
#include "cli/import_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/query.h"
#include "cli/import_arena.h"
#include "core/b64.h"
#include "core/json_compact.h"
#include "core/strutil.h"
#include "model/image.h"
#include "model/profile.h"

static int hash_password(reader *rd, const char *path, const char *pw, char out[crypto_pwhash_STRBYTES])
{
    if (strlen(pw) < 8 || strlen(pw) > LIM_PASSWORD_MAX) {
        imp_fail(rd, "%s.password: must be 8 to %d characters", path, LIM_PASSWORD_MAX);
        return -1;
    }
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        imp_fail(rd, "%s.password: hashing failed (out of memory)", path);
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
    if (!json_is_object(img) || (data = imp_get_str(img, "data")) == NULL) {
        imp_fail(rd, "%s.profileImage: must be an object with base64 'data'", path);
        return -1;
    }
    if (strlen(data) > (size_t)LIM_BODY_IMAGE_RAW * 4 / 3 + 8) {
        imp_fail(rd, "%s.profileImage.data: image must be smaller than %d bytes", path, LIM_BODY_IMAGE_RAW);
        return -1;
    }
    bytes = malloc(b64_decoded_max(strlen(data)) + 1);
    if (bytes == NULL)
        goto out;
    n = b64_decode(data, strlen(data), bytes);
    if (n <= 0) {
        imp_fail(rd, "%s.profileImage.data: not valid base64", path);
        goto out;
    }
    if (n >= LIM_BODY_IMAGE_RAW) {
        imp_fail(rd, "%s.profileImage.data: image must be smaller than %d bytes", path, LIM_BODY_IMAGE_RAW);
        goto out;
    }
    kind = image_sniff(bytes, (size_t)n);
    if (kind == IMG_UNKNOWN) {
        imp_fail(rd, "%s.profileImage.data: not a GIF, PNG, JPEG or BMP image", path);
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
    if (imp_want_guid(rd, rec, path, "userId", 1, p->id) != 0 ||
        imp_want_str(rd, rec, path, "email", 1, LIM_EMAIL_MAX, &em) != 0 ||
        imp_want_str(rd, rec, path, "password", 0, LIM_PASSWORD_MAX, &p->pw) != 0 ||
        imp_want_str(rd, rec, path, "passwordHash", 0, crypto_pwhash_STRBYTES - 1, &p->ph) != 0 ||
        imp_want_str(rd, rec, path, "userStatus", 0, 32, &p->status) != 0 ||
        imp_want_str(rd, rec, path, "createdDateTime", 0, 40, &p->created) != 0 ||
        imp_want_str(rd, rec, path, "userProfileLastModifiedDate", 0, 40, &p->modified) != 0 ||
        imp_want_str(rd, rec, path, "lastLogin", 0, 40, &p->last_login) != 0)
        return -1;
    if (p->last_login != NULL && admin_date_normalize(p->last_login, p->login_norm) != 0) {
        imp_fail(rd, "%s.lastLogin: must be an ISO 8601 date-time with Z or an offset", path);
        return -1;
    }
    {
        const char *at = strchr(em, '@');
        if (at == NULL || at == em || at[1] == '\0' || strchr(at + 1, '@') != NULL) {
            imp_fail(rd, "%s.email: '%s' is not an email address", path, em);
            return -1;
        }
    }
    str_copy(p->email, sizeof(p->email), em);
    str_lower(p->email);
    if (p->status && strcmp(p->status, "Active") != 0 && strcmp(p->status, "ActivationRequired") != 0 &&
        strcmp(p->status, "ActivationSent") != 0 && strcmp(p->status, "Closed") != 0 &&
        strcmp(p->status, "Disabled") != 0) {
        imp_fail(rd, "%s.userStatus: must be Active, ActivationRequired, ActivationSent, Closed or Disabled", path);
        return -1;
    }
    if (imp_plain_or_hash(rd, path, "password", p->pw, "passwordHash", p->ph) != 0)
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
            imp_fail(rd, "%s: must be an object", sub);
            return -1;
        }
        pd_errbuf_init(&eb);
        if (profile_validate_import(profile, sub, &eb) != PD_OK) {
            imp_fail(rd, "%s", eb.text);
            return -1;
        }
        doc = profile_from_import(profile);
    } else {
        doc = profile_new_doc();
    }
    p->doc = doc != NULL ? doc_text_new(doc) : NULL;
    json_decref(doc);
    if (p->doc == NULL) {
        imp_fail(rd, "%s: out of memory", path);
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

int imp_do_user(reader *rd, pd_store *s, json_t *rec, const char *path)
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
 * its first failure; imp_twin_flush (at the end of the section and before any
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
        if (imp_load_record(&j->r, path, 0, &rec) != 0 || prep_user(&j->r, rec, path, p) != 0) {
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

int imp_twin_flush(reader *rd, pd_store *s)
{
    return twin_settle(rd, s, true);
}

/* Where the next user record's text goes: the job being filled, which
 * always has room for a whole record. */
void imp_twin_place(reader *rd)
{
    user_job *j = &rd->tw->job[twin_fill(rd->tw)];

    rd->rec = j->text + j->used;
}

/* A user record just read (into the place twin_place gave).  0, or -1
 * with the problem in rd->err (everything before it written). */
int imp_twin_user_record(reader *rd, pd_store *s, size_t idx)
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
void imp_twin_start(reader *rd)
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

void imp_twin_stop(reader *rd)
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
