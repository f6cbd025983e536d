/*
 * import_pipe.c - the writer thread of the import command (import_pipe.h).
 *
 * BATCHES batches are used in turn: the main thread fills one (FILLING),
 * hands it over (FULL) and takes the next once it is FREE again; the
 * writer takes them in the same order, writes every record and marks the
 * batch FREE.  One mutex and one condition variable guard the states, the
 * failure and its message; a batch's contents are only touched by the
 * thread that owns its state, so hand-offs are per batch, not per record.
 */
#include "cli/import_pipe.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCHES 3
#define BATCH_OPS 256
#define BATCH_BYTES (1024 * 1024)
#define MSG_MAX 1024

typedef enum { OP_USER, OP_MEMBERSHIP } op_kind;

typedef struct {
    op_kind kind;
    const char *path;
    pd_user u;                  /* OP_USER */
    bool has_img;
    import_image img;
    const char *acc_ref;        /* OP_MEMBERSHIP */
    pd_membership m;
} op;

typedef enum { B_FREE, B_FILLING, B_FULL } b_state;

typedef struct {
    op ops[BATCH_OPS];
    size_t n;
    char *buf;                  /* strings and image bytes of ops[] */
    size_t used, cap;
} batch;

struct import_pipe {
    pd_store *s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    b_state state[BATCHES];
    batch b[BATCHES];
    size_t cur;                 /* the main thread's next or current batch */
    bool filling;               /* main thread only: b[cur] is FILLING, its own */
    bool quit, failed;
    char msg[MSG_MAX];          /* the first failure */
};

/* ---- writing (both threads: the writer, or the caller without a pipe) ---- */

int import_store_fail(pd_store *s, const char *path, char *err, size_t errlen)
{
    const char *why = pd_store_last_error(s);
    /* a backend writing in batches names the record whose row failed */
    const char *at = s->ops->bulk_failed != NULL ? s->ops->bulk_failed(s) : NULL;
    if (at != NULL && at[0] != '\0')
        path = at;
    snprintf(err, errlen, "%s: rejected by the database: %s", path,
             why && *why ? why : "unknown error");
    return -1;
}

static int apply_user(pd_store *s, const char *path, const pd_user *u, const import_image *img,
                      char *err, size_t errlen)
{
    if (s->ops->upsert_user(s, u) != PD_OK)
        return import_store_fail(s, path, err, errlen);
    if (img != NULL && s->ops->put_image(s, u->id, img->bytes, img->len, img->mime, img->etag,
                                         u->modified) != PD_OK)
        return import_store_fail(s, path, err, errlen);
    return 0;
}

static int apply_membership(pd_store *s, const char *path, const char *acc_ref,
                            const pd_membership *m, char *err, size_t errlen)
{
    pd_account acc = {0};
    pd_err e = s->ops->get_account(s, acc_ref, &acc);
    int rc = 0;

    if (e == PD_ERR_NOT_FOUND) {
        snprintf(err, errlen, "%s.accountId: no account '%s' (accounts must come before memberships)",
                 path, acc_ref);
        return -1;
    }
    if (e != PD_OK)
        return import_store_fail(s, path, err, errlen);
    pd_membership mm = *m;
    mm.account_id = acc.id;
    if (s->ops->upsert_membership(s, &mm) != PD_OK)
        rc = import_store_fail(s, path, err, errlen);
    pd_account_clear(&acc);
    return rc;
}

static int apply_op(pd_store *s, const op *o, char *err, size_t errlen)
{
    if (o->kind == OP_USER)
        return apply_user(s, o->path, &o->u, o->has_img ? &o->img : NULL, err, errlen);
    return apply_membership(s, o->path, o->acc_ref, &o->m, err, errlen);
}

static void *writer_main(void *arg)
{
    import_pipe *p = arg;
    size_t i = 0;
    char msg[MSG_MAX];

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->state[i] != B_FULL && !p->quit)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->state[i] != B_FULL)
            break;
        bool skip = p->failed;
        pthread_mutex_unlock(&p->mu);
        int rc = 0;
        for (size_t k = 0; !skip && rc == 0 && k < p->b[i].n; k++)
            rc = apply_op(p->s, &p->b[i].ops[k], msg, sizeof msg);
        pthread_mutex_lock(&p->mu);
        if (rc != 0 && !p->failed) {
            p->failed = true;
            memcpy(p->msg, msg, sizeof msg);
        }
        p->state[i] = B_FREE;
        pthread_cond_broadcast(&p->cv);
        i = (i + 1) % BATCHES;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the main thread ---- */

import_pipe *import_pipe_start(pd_store *s)
{
    import_pipe *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    p->s = s;
    for (size_t i = 0; i < BATCHES; i++) {
        p->b[i].cap = BATCH_BYTES;
        p->b[i].buf = malloc(BATCH_BYTES);
        if (p->b[i].buf == NULL)
            goto fail;
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        goto fail;
    }
    if (pthread_create(&p->thread, NULL, writer_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        goto fail;
    }
    return p;
fail:
    for (size_t i = 0; i < BATCHES; i++)
        free(p->b[i].buf);
    free(p);
    return NULL;
}

/* Hands the current batch over when it holds anything (lock held). */
static void hand_over(import_pipe *p)
{
    if (p->filling && p->b[p->cur].n > 0) {
        p->state[p->cur] = B_FULL;
        pthread_cond_broadcast(&p->cv);
        p->cur = (p->cur + 1) % BATCHES;
        p->filling = false;
    }
}

/* A batch with room for one op of `need` bytes, or NULL (out of memory,
 * or the writer failed: its message in err). */
static batch *room(import_pipe *p, size_t need, char *err, size_t errlen)
{
    batch *b = &p->b[p->cur];

    if (p->filling && b->n < BATCH_OPS && b->cap - b->used >= need)
        return b;
    pthread_mutex_lock(&p->mu);
    hand_over(p);
    while (!p->filling && p->state[p->cur] != B_FREE && !p->failed)
        pthread_cond_wait(&p->cv, &p->mu);
    bool failed = p->failed;
    if (failed)
        snprintf(err, errlen, "%s", p->msg);
    else
        p->state[p->cur] = B_FILLING;
    pthread_mutex_unlock(&p->mu);
    if (failed)
        return NULL;
    p->filling = true;
    b = &p->b[p->cur];
    b->n = 0;
    b->used = 0;
    if (b->cap != BATCH_BYTES || need > b->cap) {
        size_t cap = need > BATCH_BYTES ? need : BATCH_BYTES;
        char *buf = malloc(cap);
        if (buf == NULL) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        free(b->buf);
        b->buf = buf;
        b->cap = cap;
    }
    return b;
}

static size_t str_need(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static const char *copy_str(batch *b, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = b->buf + b->used;
    memcpy(d, s, n);
    b->used += n;
    return d;
}

int import_pipe_user(import_pipe *p, pd_store *s, const char *path, const pd_user *u,
                     const import_image *img, char *err, size_t errlen)
{
    if (p == NULL)
        return apply_user(s, path, u, img, err, errlen);
    size_t need = str_need(path) + str_need(u->id) + str_need(u->email) + str_need(u->status)
                  + str_need(u->created) + str_need(u->modified) + str_need(u->last_login)
                  + str_need(u->password_hash) + str_need(u->profile_json);
    if (img != NULL)
        need += img->len + str_need(img->mime) + str_need(img->etag);
    batch *b = room(p, need, err, errlen);
    if (b == NULL)
        return -1;
    op *o = &b->ops[b->n++];
    memset(o, 0, sizeof *o);
    o->kind = OP_USER;
    o->path = copy_str(b, path);
    o->u.id = (char *)copy_str(b, u->id);
    o->u.email = (char *)copy_str(b, u->email);
    o->u.status = (char *)copy_str(b, u->status);
    o->u.created = (char *)copy_str(b, u->created);
    o->u.modified = (char *)copy_str(b, u->modified);
    o->u.last_login = (char *)copy_str(b, u->last_login);
    o->u.password_hash = (char *)copy_str(b, u->password_hash);
    o->u.profile_json = (char *)copy_str(b, u->profile_json);
    if (img != NULL) {
        unsigned char *bytes = (unsigned char *)b->buf + b->used;
        memcpy(bytes, img->bytes, img->len);
        b->used += img->len;
        o->has_img = true;
        o->img.bytes = bytes;
        o->img.len = img->len;
        o->img.mime = copy_str(b, img->mime);
        o->img.etag = copy_str(b, img->etag);
    }
    return 0;
}

int import_pipe_membership(import_pipe *p, pd_store *s, const char *path, const char *acc_ref,
                           const pd_membership *m, char *err, size_t errlen)
{
    if (p == NULL)
        return apply_membership(s, path, acc_ref, m, err, errlen);
    const size_t align = sizeof(char *);
    size_t need = str_need(path) + str_need(acc_ref) + str_need(m->user_id)
                  + str_need(m->permission_profile_id) + str_need(m->added)
                  + align + m->n_group_ids * sizeof(char *);
    for (size_t i = 0; i < m->n_group_ids; i++)
        need += str_need(m->group_ids[i]);
    batch *b = room(p, need, err, errlen);
    if (b == NULL)
        return -1;
    op *o = &b->ops[b->n++];
    memset(o, 0, sizeof *o);
    o->kind = OP_MEMBERSHIP;
    b->used = (b->used + align - 1) & ~(align - 1);
    char **gids = (char **)(void *)(b->buf + b->used);
    b->used += m->n_group_ids * sizeof(char *);
    for (size_t i = 0; i < m->n_group_ids; i++)
        gids[i] = (char *)copy_str(b, m->group_ids[i]);
    o->path = copy_str(b, path);
    o->acc_ref = copy_str(b, acc_ref);
    o->m.user_id = (char *)copy_str(b, m->user_id);
    o->m.is_admin = m->is_admin;
    o->m.permission_profile_id = (char *)copy_str(b, m->permission_profile_id);
    o->m.added = (char *)copy_str(b, m->added);
    o->m.group_ids = m->n_group_ids > 0 ? gids : NULL;
    o->m.n_group_ids = m->n_group_ids;
    return 0;
}

int import_pipe_drain(import_pipe *p, char *err, size_t errlen)
{
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    hand_over(p);
    for (;;) {
        size_t busy = 0;
        for (size_t i = 0; i < BATCHES; i++)
            busy += p->state[i] == B_FULL;
        if (busy == 0)
            break;
        pthread_cond_wait(&p->cv, &p->mu);
    }
    bool failed = p->failed;
    if (failed)
        snprintf(err, errlen, "%s", p->msg);
    pthread_mutex_unlock(&p->mu);
    return failed ? -1 : 0;
}

void import_pipe_stop(import_pipe *p)
{
    char ignored[8];

    if (p == NULL)
        return;
    import_pipe_drain(p, ignored, sizeof ignored);
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    for (size_t i = 0; i < BATCHES; i++)
        free(p->b[i].buf);
    free(p);
}
