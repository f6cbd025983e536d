/*
 * log.h - structured logging: one JSON object per line on stderr.
 *
 * Never pass tokens, passwords or request bodies to these functions.
 * log_request() is the one line per HTTP request.  Thread-safe (one
 * fputs per line; stdio locks the stream).
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

/* trace: the request's X-DocuSign-TraceToken, so a user can quote it. */
void log_request(const char *method, const char *route, int status,
                 double dur_ms, const char *caller, const char *remote, const char *trace);

#endif
