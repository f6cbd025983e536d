/*
 * log.c - JSON-lines logger on stderr.  Strings are JSON-escaped here, so a
 * hostile URL or email cannot forge log fields.  No allocation: each line is
 * built in a stack buffer (truncated at LOG_LINE_MAX).
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

static void end_line(char *buf, size_t cap, size_t *pos)
{
    if (*pos + 3 > cap)
        *pos = cap - 3;
    buf[(*pos)++] = '}';
    buf[(*pos)++] = '\n';
    buf[*pos] = '\0';
    fputs(buf, stderr);
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
