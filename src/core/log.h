/*
 * log.h - structured logging: one JSON object per line on stderr.
 *
 * Never pass tokens, passwords or request bodies to these functions.
 * log_request() is the one line per HTTP request.  Thread-safe: a line
 * is written whole, by one write() under a process-wide lock, so lines of
 * different threads never interleave.
 *
 * Buffering (log_buffering_start, used by `serve`): request lines are
 * kept in a per-thread buffer (LIM_LOG_BUFFER bytes of whole lines) and
 * written when it is full, every LIM_LOG_FLUSH_MS by a flusher thread, when
 * the thread exits, and by log_buffering_stop (a graceful stop, SIGTERM).
 * Every other line (log_msg, any level) is written at once, after the
 * thread's buffered lines, so a thread's lines stay in order.  A crash can
 * lose the request lines of the last LIM_LOG_FLUSH_MS; nothing else.
 */
#ifndef PROFILED_LOG_H
#define PROFILED_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level l);
log_level log_get_level(void);
/* "debug" | "info" | "warn" | "error" -> 0 and *out, -1 on unknown name */
int log_level_parse(const char *name, log_level *out);

void log_msg(log_level l, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the audit log: who did what, when, from where ---- */
/* One audit line (written whatever the log level), in the same JSON-line
 * style, component "audit", to the audit stream: stderr, or the file given
 * to log_audit_open().  Fields NULL are written as "-"; never pass secrets. */
typedef struct {
    const char *event;       /* "profile.update", "image.delete", "login_ok", "request.denied", ... */
    const char *outcome;     /* "ok" or "denied" */
    const char *user;        /* who: the caller's user id */
    const char *client;      /* integration key */
    const char *account;     /* account the action was in */
    const char *target;      /* user whose data changed */
    const char *method, *route;
    int status;              /* 0: none */
    const char *remote;      /* client address */
    const char *reason;
    const char *trace;       /* NULL: this thread's request (log_set_trace) */
} log_audit_rec;
void log_audit(const log_audit_rec *a);
/* Audit lines go to path (appended, created 0600) instead of stderr; "" or
 * NULL: stderr.  0, or -1 (errno set) when it cannot be opened. */
int log_audit_open(const char *path);
void log_audit_close(void);
/* The trace token of the request this thread is handling (NULL: none), for
 * audit lines written below the HTTP layer (sign-ins). */
void log_set_trace(const char *trace);

/* trace: the request's X-DocuSign-TraceToken, so a user can quote it. */
void log_request(const char *method, const char *route, int status,
                 double dur_ms, const char *caller, const char *remote, const char *trace);

/* Buffer request lines per thread from now on (starts the flusher). */
int log_buffering_start(void);
/* Writes every buffered line and stops buffering (joins the flusher). */
void log_buffering_stop(void);
/* Writes every thread's buffered lines now. */
void log_flush(void);

#endif
