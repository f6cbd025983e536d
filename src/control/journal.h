/*
 * journal.h - the control API's request journal: the last N requests the
 * server completed (a ring of fixed-size entries allocated once, so memory
 * is bounded by --control-journal whatever the traffic), each with time,
 * method, path, query, status, duration, caller, trace token, the fault
 * rule that acted on it, and the request headers with every credential
 * redacted.  Bodies are never kept.  Thread-safe (one mutex).
 */
#ifndef PROFILED_CONTROL_JOURNAL_H
#define PROFILED_CONTROL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "http/http.h"

#define JOURNAL_REDACTED "[redacted]"

typedef struct {
    const char *path;      /* substring of the path, NULL = any */
    int status;            /* exact status, 0 = any */
    const char *caller;    /* exact caller id, NULL = any */
    uint64_t since;        /* only entries with a larger id */
    size_t limit;          /* newest first, at most this many */
} journal_filter;

/* Allocates the ring (cap entries); 0 or -1. */
int journal_init(size_t cap);
size_t journal_capacity(void);
/* Records a completed request (the after-hook). */
void journal_add(const pd_request *r, uint64_t dur_ns);
/* The matching entries, newest first: {"entries":[...],"capacity":N,"last":ID}. */
json_t *journal_list(const journal_filter *f);
void journal_clear(void);

/* Whether a request header (name, value) may hold a secret and is kept as
 * JOURNAL_REDACTED: credentials, cookies, anything naming a password,
 * secret, token or key, any value carrying a password or credentials. */
bool journal_header_secret(const char *name, const char *value);
/* Whether a query parameter's value is kept as JOURNAL_REDACTED. */
bool journal_param_secret(const char *name);

#endif
