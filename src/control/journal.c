/*
 * journal.c - the request journal (see journal.h): a ring of fixed-size
 * entries allocated once by journal_init, written by the completion hook,
 * read by GET /_profiled/journal.  Every field is cut to its size, so an
 * entry never grows; headers that may carry a credential are stored as
 * JOURNAL_REDACTED, bodies never.
 */
#include "control/journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/limits.h"
#include "core/strutil.h"

typedef struct {
    uint64_t id;                               /* 0: empty */
    char time[32];
    char method[12];
    char path[LIM_CONTROL_FIELD_MAX];
    char query[LIM_CONTROL_FIELD_MAX];
    int status;                                /* 0: no answer (dropped, client left) */
    double dur_ms;
    char caller[LIM_ID_MAX + 1];
    char trace[40];
    char headers[LIM_CONTROL_HEADERS_MAX];     /* "name\tvalue\n" lines */
    int fault;                                 /* rule id that acted, 0 none */
} entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static entry *ring;
static size_t ring_cap;
static uint64_t next_id = 1;

int journal_init(size_t cap)
{
    entry *e = calloc(cap, sizeof(*e));

    if (e == NULL)
        return -1;
    pthread_mutex_lock(&mu);
    free(ring);
    ring = e;
    ring_cap = cap;
    pthread_mutex_unlock(&mu);
    return 0;
}

size_t journal_capacity(void)
{
    return ring_cap;
}

static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

bool journal_header_secret(const char *name, const char *value)
{
    static const char *const names[] = {
        "authorization", "proxy-authorization", "x-docusign-authentication", "cookie",
        "set-cookie", "x-profiled-control-token",
    };
    static const char *const parts[] = { "auth", "pass", "secret", "token", "key", "cookie", "session" };
    static const char *const in_value[] = { "password", "bearer ", "basic ", "<password", "passwd" };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (contains_ci(name, parts[i]))
            return strcasecmp(name, "x-docusign-tracetoken") != 0;
    for (size_t i = 0; value != NULL && i < sizeof(in_value) / sizeof(in_value[0]); i++)
        if (contains_ci(value, in_value[i]))
            return true;
    return false;
}

bool journal_param_secret(const char *name)
{
    static const char *const parts[] = {
        "pass", "secret", "token", "key", "code", "assertion", "auth", "session", "verifier", "cookie",
    };

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (contains_ci(name, parts[i]))
            return true;
    return false;
}

/* Appends s to buf (cap, *len so far), cutting what does not fit;
 * control characters become spaces. */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t max)
{
    for (size_t i = 0; s[i] && i < max && *len + 1 < cap; i++)
        buf[(*len)++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    buf[*len] = '\0';
}

typedef struct { char *buf; size_t cap, len; } sink;

/* A separator (not cleaned like the text around it). */
static void sep(sink *k, char c)
{
    if (k->len + 1 < k->cap) {
        k->buf[k->len++] = c;
        k->buf[k->len] = '\0';
    }
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    sink *k = cls;

    (void)kind;
    if (key == NULL || k->len + 8 >= k->cap)
        return MHD_YES;
    put(k->buf, k->cap, &k->len, key, 64);
    sep(k, '\t');
    put(k->buf, k->cap, &k->len, value == NULL ? "" : journal_header_secret(key, value) ? JOURNAL_REDACTED : value,
        LIM_CONTROL_HEADER_VALUE_MAX);
    sep(k, '\n');
    return MHD_YES;
}

static enum MHD_Result add_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    sink *k = cls;

    (void)kind;
    if (key == NULL)
        return MHD_YES;
    if (k->len > 0)
        put(k->buf, k->cap, &k->len, "&", 1);
    put(k->buf, k->cap, &k->len, key, 64);
    if (value != NULL) {
        put(k->buf, k->cap, &k->len, "=", 1);
        put(k->buf, k->cap, &k->len, journal_param_secret(key) ? JOURNAL_REDACTED : value,
            LIM_CONTROL_HEADER_VALUE_MAX);
    }
    return MHD_YES;
}

void journal_add(const pd_request *r, uint64_t dur_ns)
{
    entry e;
    sink hs = { e.headers, sizeof(e.headers), 0 }, qs = { e.query, sizeof(e.query), 0 };
    size_t n = 0;

    if (ring == NULL)
        return;
    memset(&e, 0, sizeof(e));
    time_now_iso(e.time, sizeof(e.time));
    put(e.method, sizeof(e.method), &n, r->method ? r->method : "-", sizeof(e.method));
    n = 0;
    put(e.path, sizeof(e.path), &n, r->url ? r->url : "-", sizeof(e.path));
    e.status = r->resp.set ? r->resp.status : 0;
    e.dur_ms = (double)dur_ns / 1e6;
    if (r->authenticated)
        str_copy(e.caller, sizeof(e.caller), r->caller.sub[0] ? r->caller.sub : r->caller.cid);
    str_copy(e.trace, sizeof(e.trace), r->trace);
    e.fault = r->hook_mark;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header, &hs);
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_param, &qs);

    pthread_mutex_lock(&mu);
    e.id = next_id++;
    ring[(e.id - 1) % ring_cap] = e;
    pthread_mutex_unlock(&mu);
}

/* s as a JSON string; bytes that do not make valid UTF-8 (a cut in the
 * middle of a character, a client's raw bytes) become '?'. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    char copy[LIM_CONTROL_HEADERS_MAX];

    if (j != NULL)
        return j;
    str_copy(copy, sizeof(copy), s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    return json_string(copy);
}

static json_t *entry_json(const entry *e)
{
    json_t *o = json_object(), *h = json_object();
    char line[LIM_CONTROL_HEADERS_MAX];

    str_copy(line, sizeof(line), e->headers);
    for (char *save = NULL, *l = strtok_r(line, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(l, '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        json_t *v = jstr(tab + 1);
        if (json_object_set_new(h, l, v) != 0) {            /* a name that is not UTF-8 */
            for (char *p = l; *p; p++)
                if ((unsigned char)*p >= 0x80)
                    *p = '?';
            json_object_set_new(h, l, jstr(tab + 1));
        }
    }
    json_object_set_new(o, "id", json_integer((json_int_t)e->id));
    json_object_set_new(o, "time", jstr(e->time));
    json_object_set_new(o, "method", jstr(e->method));
    json_object_set_new(o, "path", jstr(e->path));
    json_object_set_new(o, "query", jstr(e->query));
    json_object_set_new(o, "status", json_integer(e->status));
    json_object_set_new(o, "durationMs", json_real((double)(int64_t)(e->dur_ms * 1000.0 + 0.5) / 1000.0));
    if (e->caller[0])
        json_object_set_new(o, "caller", jstr(e->caller));
    json_object_set_new(o, "trace", jstr(e->trace));
    if (e->fault)
        json_object_set_new(o, "fault", json_integer(e->fault));
    json_object_set_new(o, "headers", h);
    return o;
}

json_t *journal_list(const journal_filter *f)
{
    json_t *out = json_object(), *arr = json_array();
    uint64_t last;

    pthread_mutex_lock(&mu);
    last = next_id - 1;
    for (uint64_t id = last; id > 0 && last - id < ring_cap && json_array_size(arr) < f->limit; id--) {
        const entry *e = &ring[(id - 1) % ring_cap];
        if (e->id != id || id <= f->since)
            break;
        if ((f->path && !strstr(e->path, f->path)) || (f->status && e->status != f->status) ||
            (f->caller && strcmp(e->caller, f->caller) != 0))
            continue;
        json_array_append_new(arr, entry_json(e));
    }
    pthread_mutex_unlock(&mu);
    json_object_set_new(out, "entries", arr);
    json_object_set_new(out, "capacity", json_integer((json_int_t)ring_cap));
    json_object_set_new(out, "last", json_integer((json_int_t)last));
    return out;
}

void journal_clear(void)
{
    pthread_mutex_lock(&mu);
    if (ring != NULL)
        memset(ring, 0, ring_cap * sizeof(*ring));
    pthread_mutex_unlock(&mu);
}
