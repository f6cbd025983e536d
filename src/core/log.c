/*
 * log.c - JSON-lines logger on stderr.  Strings are JSON-escaped here, so a
 * hostile URL or email cannot forge log fields.  No allocation: each line is
 * built in a stack buffer (truncated at LOG_LINE_MAX).
 */
#include "core/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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

static void end_line_to(char *buf, size_t cap, size_t *pos, FILE *f)
{
    if (*pos + 3 > cap)
        *pos = cap - 3;
    buf[(*pos)++] = '}';
    buf[(*pos)++] = '\n';
    buf[*pos] = '\0';
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
    end_line(buf, sizeof(buf), &pos);
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
