/*
 * log.c - JSON-lines logger on stderr.  Strings are JSON-escaped here, so a
 * hostile URL or email cannot forge log fields.  Each line is built in a
 * stack buffer (truncated at LOG_LINE_MAX).  Buffered request lines (see
 * log.h) live in one heap block per thread, on a list the flusher walks;
 * the block is freed when its thread exits (after a last flush).
 *
 * Locks, always taken in this order: g_bufs_mu (the list), a buffer's mu,
 * g_write_mu (the write to fd 2).
 */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/limits.h"
#include "core/strutil.h"

#define LOG_LINE_MAX 2048

static log_level g_level = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level l) { g_level = l; }
log_level log_get_level(void) { return g_level; }

int log_level_parse(const char *name, log_level *out)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    return -1;
}

/* Room always kept free at the end of a line: the closing quote, '}',
 * '\n' and the NUL that end_line() and the callers write. */
#define LINE_TAIL 4

/* Appends s JSON-escaped into buf at *pos (bounded: an escape is at most 6
 * bytes, and LINE_TAIL bytes stay free). */
static void put_escaped(char *buf, size_t cap, size_t *pos, const char *s)
{
    for (; s && *s && *pos + 6 + LINE_TAIL < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[(*pos)++] = '\\';
            buf[(*pos)++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            *pos += (size_t)snprintf(buf + *pos, cap - *pos, "\\u%04x", c);
        } else {
            buf[(*pos)++] = (char)c;
        }
    }
}

static void put_raw(char *buf, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + LINE_TAIL >= cap)
        return;
    if (*pos + n + LINE_TAIL >= cap)
        n = cap - *pos - LINE_TAIL;
    memcpy(buf + *pos, s, n);
    *pos += n;
}

static void begin_line(char *buf, size_t cap, size_t *pos, log_level l)
{
    char ts[40];

    time_now_iso(ts, sizeof(ts));
    put_raw(buf, cap, pos, "{\"ts\":\"");
    put_raw(buf, cap, pos, ts);
    put_raw(buf, cap, pos, "\",\"level\":\"");
    put_raw(buf, cap, pos, names[l]);
    put_raw(buf, cap, pos, "\"");
}

/* ---- writing: at once, or through this thread's buffer ---------------- */

typedef struct log_buf {
    pthread_mutex_t mu;
    size_t len;
    struct log_buf *prev, *next;
    char data[LIM_LOG_BUFFER];
} log_buf;

static pthread_mutex_t g_write_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_bufs_mu = PTHREAD_MUTEX_INITIALIZER;
static log_buf *g_bufs;
static atomic_bool g_buffering;
static pthread_key_t g_buf_key;
static pthread_once_t g_buf_once = PTHREAD_ONCE_INIT;
static _Thread_local log_buf *t_buf;
static pthread_t g_flusher;
static bool g_flusher_running;
static pthread_mutex_t g_flusher_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_flusher_cv = PTHREAD_COND_INITIALIZER;
static bool g_flusher_stop;

/* One write of whole lines to stderr (the fd), under the write lock. */
static void write_out(const char *p, size_t n)
{
    pthread_mutex_lock(&g_write_mu);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;                  /* stderr is gone: nothing to tell it to */
        p += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&g_write_mu);
}

static void flush_locked(log_buf *b)
{
    if (b->len > 0) {
        write_out(b->data, b->len);
        b->len = 0;
    }
}

static void buf_release(void *p)
{
    log_buf *b = p;

    pthread_mutex_lock(&g_bufs_mu);
    pthread_mutex_lock(&b->mu);
    flush_locked(b);
    pthread_mutex_unlock(&b->mu);
    if (b->prev != NULL)
        b->prev->next = b->next;
    else
        g_bufs = b->next;
    if (b->next != NULL)
        b->next->prev = b->prev;
    pthread_mutex_unlock(&g_bufs_mu);
    pthread_mutex_destroy(&b->mu);
    free(b);
    t_buf = NULL;                   /* this runs in the exiting thread: later lines go out at once */
}

static void buf_key_init(void)
{
    pthread_key_create(&g_buf_key, buf_release);
}

/* This thread's buffer, made on first use; NULL when out of memory. */
static log_buf *this_buf(void)
{
    if (t_buf != NULL)
        return t_buf;
    pthread_once(&g_buf_once, buf_key_init);
    log_buf *b = malloc(sizeof *b);
    if (b == NULL)
        return NULL;
    pthread_mutex_init(&b->mu, NULL);
    b->len = 0;
    b->prev = NULL;
    if (pthread_setspecific(g_buf_key, b) != 0) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        return NULL;
    }
    pthread_mutex_lock(&g_bufs_mu);
    b->next = g_bufs;
    if (g_bufs != NULL)
        g_bufs->prev = b;
    g_bufs = b;
    pthread_mutex_unlock(&g_bufs_mu);
    t_buf = b;
    return b;
}

/* A whole line: kept in this thread's buffer when `keep` and buffering is
 * on, else written now, after whatever the thread had buffered. */
static void emit(const char *line, size_t n, bool keep)
{
    log_buf *b = t_buf;

    if (!atomic_load_explicit(&g_buffering, memory_order_relaxed)) {
        if (b == NULL) {
            write_out(line, n);
            return;
        }
        keep = false;               /* a buffer from before the stop: keep order */
    } else if (b == NULL && keep) {
        b = this_buf();
    }
    if (b == NULL) {
        write_out(line, n);
        return;
    }
    pthread_mutex_lock(&b->mu);
    if (b->len + n > sizeof b->data)
        flush_locked(b);
    if (keep && n <= sizeof b->data) {
        memcpy(b->data + b->len, line, n);
        b->len += n;
    } else {
        flush_locked(b);
        write_out(line, n);
    }
    pthread_mutex_unlock(&b->mu);
}

void log_flush(void)
{
    pthread_mutex_lock(&g_bufs_mu);
    for (log_buf *b = g_bufs; b != NULL; b = b->next) {
        pthread_mutex_lock(&b->mu);
        flush_locked(b);
        pthread_mutex_unlock(&b->mu);
    }
    pthread_mutex_unlock(&g_bufs_mu);
}

static void *flusher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_flusher_mu);
    while (!g_flusher_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)LIM_LOG_FLUSH_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g_flusher_cv, &g_flusher_mu, &until);
        pthread_mutex_unlock(&g_flusher_mu);
        log_flush();
        pthread_mutex_lock(&g_flusher_mu);
    }
    pthread_mutex_unlock(&g_flusher_mu);
    return NULL;
}

int log_buffering_start(void)
{
    if (g_flusher_running)
        return 0;
    g_flusher_stop = false;
    if (pthread_create(&g_flusher, NULL, flusher_main, NULL) != 0)
        return -1;
    g_flusher_running = true;
    atomic_store(&g_buffering, true);
    return 0;
}

void log_buffering_stop(void)
{
    atomic_store(&g_buffering, false);
    if (g_flusher_running) {
        pthread_mutex_lock(&g_flusher_mu);
        g_flusher_stop = true;
        pthread_cond_signal(&g_flusher_cv);
        pthread_mutex_unlock(&g_flusher_mu);
        pthread_join(g_flusher, NULL);
        g_flusher_running = false;
    }
    log_flush();
}

static size_t finish_line(char *buf, size_t cap, size_t *pos)
{
    if (*pos + 3 > cap)
        *pos = cap - 3;
    buf[(*pos)++] = '}';
    buf[(*pos)++] = '\n';
    buf[*pos] = '\0';
    return *pos;
}

static void end_line_to(char *buf, size_t cap, size_t *pos, FILE *f)
{
    finish_line(buf, cap, pos);
    if (f == stderr)
        emit(buf, *pos, false);
    else
        fputs(buf, f);
}

static void end_line(char *buf, size_t cap, size_t *pos)
{
    end_line_to(buf, cap, pos, stderr);
}

void log_msg(log_level l, const char *component, const char *fmt, ...)
{
    char buf[LOG_LINE_MAX], msg[LOG_LINE_MAX / 2];
    size_t pos = 0;
    va_list ap;

    if (l < g_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    begin_line(buf, sizeof(buf), &pos, l);
    put_raw(buf, sizeof(buf), &pos, ",\"component\":\"");
    put_escaped(buf, sizeof(buf), &pos, component);
    put_raw(buf, sizeof(buf), &pos, "\",\"msg\":\"");
    put_escaped(buf, sizeof(buf), &pos, msg);
    put_raw(buf, sizeof(buf), &pos, "\"");
    end_line(buf, sizeof(buf), &pos);
}

void log_request(const char *method, const char *route, int status,
                 double dur_ms, const char *caller, const char *remote, const char *trace)
{
    char buf[LOG_LINE_MAX], num[64];
    size_t pos = 0;

    if (LOG_INFO < g_level)
        return;
    begin_line(buf, sizeof(buf), &pos, LOG_INFO);
    put_raw(buf, sizeof(buf), &pos, ",\"msg\":\"request\",\"method\":\"");
    put_escaped(buf, sizeof(buf), &pos, method);
    put_raw(buf, sizeof(buf), &pos, "\",\"route\":\"");
    put_escaped(buf, sizeof(buf), &pos, route);
    snprintf(num, sizeof(num), "\",\"status\":%d,\"dur_ms\":%.3f,\"caller\":\"", status, dur_ms);
    put_raw(buf, sizeof(buf), &pos, num);
    put_escaped(buf, sizeof(buf), &pos, caller ? caller : "-");
    put_raw(buf, sizeof(buf), &pos, "\",\"remote\":\"");
    put_escaped(buf, sizeof(buf), &pos, remote ? remote : "-");
    put_raw(buf, sizeof(buf), &pos, "\",\"trace\":\"");
    put_escaped(buf, sizeof(buf), &pos, trace ? trace : "-");
    put_raw(buf, sizeof(buf), &pos, "\"");
    finish_line(buf, sizeof(buf), &pos);
    emit(buf, pos, true);
}

/* ---- audit ---------------------------------------------------------------- */

static FILE *g_audit;                         /* NULL: stderr */
static pthread_mutex_t g_audit_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const char *t_trace;

void log_set_trace(const char *trace) { t_trace = trace; }

int log_audit_open(const char *path)
{
    FILE *f = NULL;

    if (path != NULL && path[0] != '\0') {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        f = fdopen(fd, "a");
        if (f == NULL) {
            close(fd);
            return -1;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }
    pthread_mutex_lock(&g_audit_mu);
    if (g_audit != NULL)
        fclose(g_audit);
    g_audit = f;
    pthread_mutex_unlock(&g_audit_mu);
    return 0;
}

void log_audit_close(void)
{
    log_audit_open(NULL);
}

static void field(char *buf, size_t cap, size_t *pos, const char *name, const char *v)
{
    put_raw(buf, cap, pos, ",\"");
    put_raw(buf, cap, pos, name);
    put_raw(buf, cap, pos, "\":\"");
    put_escaped(buf, cap, pos, v != NULL && v[0] != '\0' ? v : "-");
    put_raw(buf, cap, pos, "\"");
}

void log_audit(const log_audit_rec *a)
{
    char buf[LOG_LINE_MAX], num[32];
    size_t pos = 0;

    begin_line(buf, sizeof(buf), &pos, LOG_INFO);
    put_raw(buf, sizeof(buf), &pos, ",\"component\":\"audit\"");
    field(buf, sizeof(buf), &pos, "msg", "audit");
    field(buf, sizeof(buf), &pos, "event", a->event);
    field(buf, sizeof(buf), &pos, "outcome", a->outcome);
    field(buf, sizeof(buf), &pos, "user", a->user);
    field(buf, sizeof(buf), &pos, "client", a->client);
    field(buf, sizeof(buf), &pos, "account", a->account);
    field(buf, sizeof(buf), &pos, "target", a->target);
    field(buf, sizeof(buf), &pos, "method", a->method);
    field(buf, sizeof(buf), &pos, "route", a->route);
    if (a->status) {
        snprintf(num, sizeof(num), ",\"status\":%d", a->status);
        put_raw(buf, sizeof(buf), &pos, num);
    }
    field(buf, sizeof(buf), &pos, "remote", a->remote);
    field(buf, sizeof(buf), &pos, "reason", a->reason);
    field(buf, sizeof(buf), &pos, "trace", a->trace ? a->trace : t_trace);
    pthread_mutex_lock(&g_audit_mu);
    end_line_to(buf, sizeof(buf), &pos, g_audit ? g_audit : stderr);
    pthread_mutex_unlock(&g_audit_mu);
}
