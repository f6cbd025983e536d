/*
 * ratelimit.c - see ratelimit.h.  An open-addressing table (linear probing,
 * SipHash with a random key, so client addresses cannot be chosen to
 * collide) of LIM_RL_KEYS slots under one mutex.  Each slot has two windows
 * (hour, burst); a window's count as this node sees it is
 *     known (the store's total at the last sync, every node's flushed calls)
 *   + inflight (counted here, being written by the sync running now)
 *   + pending (counted here since).
 * Slots never move while the table is in use, except when rl_sync rebuilds
 * it without the slots of past hours (under the mutex, after applying its
 * results), so a sync can find its rows' slots again by index.
 */
#include "auth/ratelimit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/strutil.h"

enum { W_HOUR = 0, W_BURST = 1 };

typedef struct {
    int64_t start, known, inflight, pending;
} rl_window;

typedef struct {
    char key[LIM_RL_KEY_MAX + 1];
    bool used, anonymous;
    rl_window w[2];
} rl_slot;

struct rl_table {
    rl_limits lim;
    pthread_mutex_t mu;
    rl_slot *slots;                   /* LIM_RL_KEYS */
    size_t n_used, n_anon;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    bool full_logged;
    pthread_mutex_t sync_mu;          /* one rl_sync at a time */
    unsigned syncs;
    /* the sync thread */
    pthread_t th;
    bool running, stop;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    char *url;
};

static int64_t span_of(const rl_table *t, int w)
{
    return w == W_HOUR ? LIM_RL_HOUR_S : t->lim.burst_s;
}

static int64_t start_of(const rl_table *t, int w, int64_t now)
{
    int64_t span = span_of(t, w);
    return now - ((now % span) + span) % span;
}

rl_table *rl_new(const rl_limits *lim)
{
    rl_table *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->lim = *lim;
    if (t->lim.burst_s < 1)
        t->lim.burst_s = LIM_RL_BURST_S;
    if (t->lim.sync_ms < 1)
        t->lim.sync_ms = 1000;
    t->slots = calloc(LIM_RL_KEYS, sizeof(rl_slot));
    if (t->slots == NULL || sodium_init() < 0) {
        free(t->slots);
        free(t);
        return NULL;
    }
    randombytes_buf(t->hkey, sizeof(t->hkey));
    pthread_mutex_init(&t->mu, NULL);
    pthread_mutex_init(&t->sync_mu, NULL);
    pthread_mutex_init(&t->stop_mu, NULL);
    pthread_cond_init(&t->stop_cv, NULL);
    return t;
}

void rl_free(rl_table *t)
{
    if (t == NULL)
        return;
    rl_stop(t);
    pthread_mutex_destroy(&t->mu);
    pthread_mutex_destroy(&t->sync_mu);
    pthread_mutex_destroy(&t->stop_mu);
    pthread_cond_destroy(&t->stop_cv);
    free(t->slots);
    free(t->url);
    free(t);
}

bool rl_enabled(const rl_table *t)
{
    return t != NULL && (t->lim.hourly > 0 || t->lim.burst > 0 || t->lim.anon_hourly > 0 ||
                         t->lim.anon_burst > 0);
}

static size_t slot_of(const rl_table *t, const char *key)
{
    uint64_t h;

    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), t->hkey);
    return (size_t)(h & (LIM_RL_KEYS - 1));
}

/* The slot of key, created when absent; NULL when the table (or its share
 * for anonymous keys) is full.  Caller holds t->mu. */
static rl_slot *find(rl_table *t, const char *key, bool anonymous)
{
    size_t i = slot_of(t, key);

    for (size_t n = 0; n < LIM_RL_KEYS; n++, i = (i + 1) & (LIM_RL_KEYS - 1)) {
        rl_slot *s = &t->slots[i];
        if (!s->used) {
            /* keep an empty slot in every probe chain: at most 3/4 used */
            if (t->n_used >= LIM_RL_KEYS / 4 * 3 || (anonymous && t->n_anon >= LIM_RL_ANON_KEYS))
                return NULL;
            memset(s, 0, sizeof(*s));
            str_copy(s->key, sizeof(s->key), key);
            s->used = true;
            s->anonymous = anonymous;
            t->n_used++;
            t->n_anon += anonymous;
            return s;
        }
        if (strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

/* Moves the slot's windows to the ones now falls in (a new window starts at 0). */
static void roll(const rl_table *t, rl_slot *s, int64_t now)
{
    for (int w = 0; w < 2; w++) {
        int64_t st = start_of(t, w, now);
        if (s->w[w].start != st)
            s->w[w] = (rl_window){ .start = st };
    }
}

static int64_t used_of(const rl_window *w)
{
    return w->known + w->inflight + w->pending;
}

static int64_t left(int64_t limit, int64_t used)
{
    return limit > used ? limit - used : 0;
}

void rl_take(rl_table *t, const char *key, bool anonymous, int64_t now, rl_verdict *out)
{
    int64_t lh, lb, uh, ub;
    rl_slot *s;

    memset(out, 0, sizeof(*out));
    if (!rl_enabled(t))
        return;
    lh = anonymous ? t->lim.anon_hourly : t->lim.hourly;
    lb = anonymous ? t->lim.anon_burst : t->lim.burst;
    out->limit = lh;
    out->burst_limit = lb;
    out->reset = start_of(t, W_HOUR, now) + LIM_RL_HOUR_S;
    if (lh == 0 && lb == 0)
        return;
    pthread_mutex_lock(&t->mu);
    s = find(t, key, anonymous);
    if (s == NULL) {
        bool say = !t->full_logged;
        t->full_logged = true;
        pthread_mutex_unlock(&t->mu);
        if (say)
            log_msg(LOG_WARN, "ratelimit", "counter table full (%d keys, %d anonymous): new keys "
                    "are refused until the next hour frees counters", LIM_RL_KEYS / 4 * 3, LIM_RL_ANON_KEYS);
        out->outcome = RL_BURST;
        out->retry_after = start_of(t, W_BURST, now) + t->lim.burst_s - now;
        return;
    }
    roll(t, s, now);
    uh = used_of(&s->w[W_HOUR]);
    ub = used_of(&s->w[W_BURST]);
    if (lh > 0 && uh >= lh) {
        out->outcome = RL_HOURLY;
        out->retry_after = out->reset - now;
    } else if (lb > 0 && ub >= lb) {
        out->outcome = RL_BURST;
        out->retry_after = s->w[W_BURST].start + t->lim.burst_s - now;
    } else {
        s->w[W_HOUR].pending++;
        s->w[W_BURST].pending++;
        uh++;
        ub++;
    }
    pthread_mutex_unlock(&t->mu);
    out->remaining = left(lh, uh);
    out->burst_remaining = left(lb, ub);
}

/* ---- sync ---------------------------------------------------------------- */

typedef struct {
    pd_rate_row row;
    size_t slot;
    int w;
    char key[LIM_RL_KEY_MAX + 1];
} sync_row;

/* A slot worth keeping: something counted in the current hour. */
static bool live(const rl_table *t, const rl_slot *s, int64_t now)
{
    const rl_window *h = &s->w[W_HOUR];
    return h->start == start_of(t, W_HOUR, now) && used_of(h) > 0;
}

/* Rebuilds the table without the slots of past hours.  Caller holds t->mu. */
static void compact(rl_table *t, int64_t now)
{
    rl_slot *old = t->slots, *nw = calloc(LIM_RL_KEYS, sizeof(rl_slot));

    if (nw == NULL)
        return;
    t->slots = nw;
    t->n_used = t->n_anon = 0;
    for (size_t i = 0; i < LIM_RL_KEYS; i++) {
        if (!old[i].used || !live(t, &old[i], now))
            continue;
        rl_slot *s = find(t, old[i].key, old[i].anonymous);
        if (s != NULL)
            *s = old[i];
    }
    t->full_logged = false;
    free(old);
}

pd_err rl_sync(rl_table *t, pd_store *st, int64_t now)
{
    sync_row *rows = NULL;
    size_t n = 0, cap = 0;
    pd_err e = PD_OK;

    if (!rl_enabled(t))
        return PD_OK;
    pthread_mutex_lock(&t->sync_mu);
    pthread_mutex_lock(&t->mu);
    /* every window in use now: its pending calls go in, the total comes back */
    for (size_t i = 0; i < LIM_RL_KEYS; i++) {
        rl_slot *s = &t->slots[i];
        bool b_now = s->w[W_BURST].start == start_of(t, W_BURST, now);
        bool h_now = s->w[W_HOUR].start == start_of(t, W_HOUR, now);
        /* in use this burst window, or calls of this hour still to write */
        if (!s->used || !(b_now || (h_now && s->w[W_HOUR].pending > 0)))
            continue;
        for (int w = 0; w < 2; w++) {
            rl_window *win = &s->w[w];
            if (win->start != start_of(t, w, now) || (w == W_BURST && win->pending == 0 && !b_now))
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                sync_row *nr = realloc(rows, nc * sizeof(*rows));
                if (nr == NULL)
                    break;
                rows = nr;
                cap = nc;
            }
            sync_row *r = &rows[n++];
            str_copy(r->key, sizeof(r->key), s->key);
            r->slot = i;
            r->w = w;
            r->row = (pd_rate_row){ .key = NULL, .span = span_of(t, w), .window = win->start,
                                    .delta = win->pending, .total = 0 };
            win->inflight += win->pending;
            win->pending = 0;
        }
    }
    pthread_mutex_unlock(&t->mu);

    if (n > 0 || t->syncs % LIM_RL_PURGE_EVERY == 0) {
        pd_rate_row *rr = n ? malloc(n * sizeof(*rr)) : NULL;
        if (n > 0 && rr == NULL) {
            e = PD_ERR_STORE;
        } else {
            for (size_t i = 0; i < n; i++) {
                rr[i] = rows[i].row;
                rr[i].key = rows[i].key;
            }
            e = st->ops->rate_sync(st, rr, n, t->syncs % LIM_RL_PURGE_EVERY == 0 ? now - LIM_RL_HOUR_S : 0);
            for (size_t i = 0; i < n; i++)
                rows[i].row.total = rr[i].total;
        }
        free(rr);
    }
    t->syncs++;

    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < n; i++) {
        rl_slot *s = &t->slots[rows[i].slot];
        rl_window *win = &s->w[rows[i].w];
        if (!s->used || strcmp(s->key, rows[i].key) != 0 || win->start != rows[i].row.window)
            continue;                 /* the window moved on meanwhile: its counts are moot */
        if (e == PD_OK) {
            win->known = rows[i].row.total;
            win->inflight = 0;
        } else {
            win->pending += win->inflight;
            win->inflight = 0;
        }
    }
    if (t->n_used >= LIM_RL_KEYS / 2 || t->n_anon >= LIM_RL_ANON_KEYS / 2)
        compact(t, now);
    pthread_mutex_unlock(&t->mu);
    pthread_mutex_unlock(&t->sync_mu);
    free(rows);
    return e;
}

/* ---- keys ---------------------------------------------------------------- */

int rl_key(char *out, size_t cap, const char *kind, const char *id)
{
    int n = snprintf(out, cap, "%s:%s", kind, id);
    return n < 0 || (size_t)n >= cap || (size_t)n > LIM_RL_KEY_MAX ? -1 : 0;
}

int rl_key_addr(char *out, size_t cap, const char *addr)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN];

    if (inet_pton(AF_INET6, addr, a) == 1) {
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(a, mapped, sizeof(mapped)) == 0) {
            if (inet_ntop(AF_INET, a + 12, text, sizeof(text)) == NULL)
                return -1;
            return rl_key(out, cap, "addr", text);
        }
        memset(a + 8, 0, 8);          /* one key per /64: a host usually holds the whole prefix */
        if (inet_ntop(AF_INET6, a, text, sizeof(text)) == NULL)
            return -1;
        size_t l = strlen(text);
        if (l + 4 > sizeof(text))
            return -1;
        memcpy(text + l, "/64", 4);
        return rl_key(out, cap, "addr", text);
    }
    if (inet_pton(AF_INET, addr, a) == 1)
        return rl_key(out, cap, "addr", addr);
    return rl_key(out, cap, "addr", "-");   /* unknown peer: one shared key */
}

/* ---- the sync thread -------------------------------------------------- */

static void *sync_main(void *arg)
{
    rl_table *t = arg;
    pd_store *st = NULL;
    bool failing = false;
    char err[256];

    pthread_mutex_lock(&t->stop_mu);
    for (;;) {
        struct timespec until;
        bool last = t->stop;
        if (!last) {
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += t->lim.sync_ms / 1000;
            until.tv_nsec += (t->lim.sync_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!t->stop && pthread_cond_timedwait(&t->stop_cv, &t->stop_mu, &until) != ETIMEDOUT)
                ;
            last = t->stop;
        }
        pthread_mutex_unlock(&t->stop_mu);
        if (st == NULL)
            st = pd_store_open_existing(t->url, err, sizeof(err));
        pd_err e = st ? rl_sync(t, st, (int64_t)time(NULL)) : PD_ERR_STORE;
        if (e != PD_OK && !failing)
            log_msg(LOG_ERROR, "ratelimit", "cannot share the rate-limit counts: %s; counting on "
                    "this node until the store answers", st ? pd_store_last_error(st) : err);
        else if (e == PD_OK && failing)
            log_msg(LOG_INFO, "ratelimit", "rate-limit counts shared again");
        failing = e != PD_OK;
        if (e != PD_OK && st != NULL) {
            pd_store_close(st);           /* reopen next time (the file may be back) */
            st = NULL;
        }
        pthread_mutex_lock(&t->stop_mu);
        if (last)
            break;
    }
    pthread_mutex_unlock(&t->stop_mu);
    if (st != NULL)
        pd_store_close(st);
    return NULL;
}

int rl_start(rl_table *t, const char *db_url)
{
    if (!rl_enabled(t) || t->running)
        return 0;
    t->url = str_dup(db_url);
    if (t->url == NULL)
        return -1;
    t->stop = false;
    if (pthread_create(&t->th, NULL, sync_main, t) != 0)
        return -1;
    t->running = true;
    return 0;
}

void rl_stop(rl_table *t)
{
    if (t == NULL || !t->running)
        return;
    pthread_mutex_lock(&t->stop_mu);
    t->stop = true;
    pthread_cond_signal(&t->stop_cv);
    pthread_mutex_unlock(&t->stop_mu);
    pthread_join(t->th, NULL);
    t->running = false;
}
