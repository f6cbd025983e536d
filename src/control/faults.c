/*
 * faults.c - the fault rule table (see faults.h): LIM_CONTROL_RULES_MAX
 * fixed slots under one mutex, matched against each routed request by the
 * control surface's before-hook.
 */
#include "control/faults.h"

#include <ctype.h>
#include <fnmatch.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/strutil.h"

/* fnmatch backtracks over each '*': a few keep matching a 2 KiB path cheap */
#define FAULT_PATH_STARS_MAX 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static fault_rule rules[LIM_CONTROL_RULES_MAX];
static int next_id = 1;

pd_err faults_error_by_code(const char *code)
{
    for (int e = 1; e < PD_ERR_COUNT_; e++)
        if (strcmp(pd_err_describe((pd_err)e)->code, code) == 0)
            return (pd_err)e;
    return PD_OK;
}

/* Copies an optional string member into dst: 0, or -1 with err. */
static int opt_str(const json_t *spec, const char *name, char *dst, size_t cap, char *err, size_t ecap)
{
    const json_t *v = json_object_get(spec, name);

    dst[0] = '\0';
    if (v == NULL)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= cap || memchr(json_string_value(v), 0, json_string_length(v))) {
        snprintf(err, ecap, "%s: must be a string of at most %zu characters", name, cap - 1);
        return -1;
    }
    str_copy(dst, cap, json_string_value(v));
    return 0;
}

static int opt_int(const json_t *spec, const char *name, int64_t min, int64_t max, int64_t def,
                   int64_t *out, char *err, size_t ecap)
{
    const json_t *v = json_object_get(spec, name);

    *out = def;
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(err, ecap, "%s: must be an integer from %lld to %lld", name, (long long)min, (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

/* The error a rule giving only a status answers with. */
static pd_err status_error(int status)
{
    switch (status) {
    case 401: return PD_ERR_INVALID_TOKEN;
    case 403: return PD_ERR_LACKS_PERMISSIONS;
    case 404: return PD_ERR_NOT_FOUND;
    case 429: return PD_ERR_HOURLY_LIMIT;
    case 503: return PD_ERR_UNAVAILABLE;
    default:  return status >= 500 ? PD_ERR_INTERNAL : PD_ERR_BAD_REQUEST;
    }
}

static const char *const known[] = {
    "method", "path", "route", "userId", "accountId", "error", "status", "message",
    "latencyMs", "drop", "count", "percent",
};

int faults_add(const json_t *spec, char *err, size_t cap)
{
    fault_rule r = {0};
    char code[64];
    int64_t status, latency, count, percent;
    const char *key;
    const json_t *val, *drop;

    if (!json_is_object(spec)) {
        snprintf(err, cap, "the rule must be a JSON object");
        return -1;
    }
    json_object_foreach((json_t *)spec, key, val) {
        size_t i;
        for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(key, known[i]) != 0; i++)
            ;
        if (i == sizeof(known) / sizeof(known[0])) {
            snprintf(err, cap, "%.64s: unknown member", key);
            return -1;
        }
    }
    if (opt_str(spec, "method", r.method, sizeof(r.method), err, cap) != 0 ||
        opt_str(spec, "path", r.path, sizeof(r.path), err, cap) != 0 ||
        opt_str(spec, "route", r.route, sizeof(r.route), err, cap) != 0 ||
        opt_str(spec, "userId", r.user, sizeof(r.user), err, cap) != 0 ||
        opt_str(spec, "accountId", r.account, sizeof(r.account), err, cap) != 0 ||
        opt_str(spec, "error", code, sizeof(code), err, cap) != 0 ||
        opt_str(spec, "message", r.message, sizeof(r.message), err, cap) != 0 ||
        opt_int(spec, "status", 400, 599, 0, &status, err, cap) != 0 ||
        opt_int(spec, "latencyMs", 0, LIM_CONTROL_LATENCY_MAX_MS, 0, &latency, err, cap) != 0 ||
        opt_int(spec, "count", 1, 1000000, -1, &count, err, cap) != 0 ||
        opt_int(spec, "percent", 1, 100, 100, &percent, err, cap) != 0)
        return -1;
    size_t stars = 0;
    for (const char *p = r.path; *p; p++)
        stars += *p == '*';
    if (stars > FAULT_PATH_STARS_MAX) {
        snprintf(err, cap, "path: at most %d '*'", FAULT_PATH_STARS_MAX);
        return -1;
    }
    drop = json_object_get(spec, "drop");
    if (drop != NULL && !json_is_boolean(drop)) {
        snprintf(err, cap, "drop: must be true or false");
        return -1;
    }
    r.drop = json_is_true(drop);
    if (code[0] != '\0' && (r.error = faults_error_by_code(code)) == PD_OK) {
        snprintf(err, cap, "error: '%.64s' is not a DocuSign error code profiled knows (docs/errors.md)", code);
        return -1;
    }
    if (status != 0 && r.error == PD_OK)
        r.error = status_error((int)status);
    if (r.error == PD_OK && !r.drop && latency == 0) {
        snprintf(err, cap, "the rule does nothing: give error, status, latencyMs or drop");
        return -1;
    }
    if (r.drop && r.error != PD_OK) {
        snprintf(err, cap, "drop: a dropped connection gets no error answer");
        return -1;
    }
    for (char *p = r.method; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    r.status = (int)status;
    r.latency_ms = (int)latency;
    r.remaining = count;
    r.percent = (int)percent;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < LIM_CONTROL_RULES_MAX; i++)
        if (rules[i].id == 0) {
            r.id = next_id++;
            rules[i] = r;
            pthread_mutex_unlock(&mu);
            return r.id;
        }
    pthread_mutex_unlock(&mu);
    snprintf(err, cap, "at most %d rules at once: clear some first", LIM_CONTROL_RULES_MAX);
    return -1;
}

static json_t *rule_json(const fault_rule *r)
{
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(r->id));
    if (r->method[0]) json_object_set_new(o, "method", json_string(r->method));
    if (r->path[0]) json_object_set_new(o, "path", json_string(r->path));
    if (r->route[0]) json_object_set_new(o, "route", json_string(r->route));
    if (r->user[0]) json_object_set_new(o, "userId", json_string(r->user));
    if (r->account[0]) json_object_set_new(o, "accountId", json_string(r->account));
    if (r->error != PD_OK) {
        json_object_set_new(o, "error", json_string(pd_err_describe(r->error)->code));
        json_object_set_new(o, "status", json_integer(r->status ? r->status : pd_err_describe(r->error)->status));
    }
    if (r->message[0]) json_object_set_new(o, "message", json_string(r->message));
    if (r->latency_ms) json_object_set_new(o, "latencyMs", json_integer(r->latency_ms));
    if (r->drop) json_object_set_new(o, "drop", json_true());
    if (r->remaining >= 0) json_object_set_new(o, "remaining", json_integer(r->remaining));
    json_object_set_new(o, "percent", json_integer(r->percent));
    json_object_set_new(o, "hits", json_integer(r->hits));
    return o;
}

json_t *faults_list(void)
{
    json_t *arr = json_array(), *out = json_object();
    int last = 0;

    pthread_mutex_lock(&mu);
    for (;;) {                                   /* in id order */
        const fault_rule *best = NULL;
        for (size_t i = 0; i < LIM_CONTROL_RULES_MAX; i++)
            if (rules[i].id > last && (best == NULL || rules[i].id < best->id))
                best = &rules[i];
        if (best == NULL)
            break;
        json_array_append_new(arr, rule_json(best));
        last = best->id;
    }
    pthread_mutex_unlock(&mu);
    json_object_set_new(out, "rules", arr);
    return out;
}

int faults_remove(int id)
{
    int rc = -1;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < LIM_CONTROL_RULES_MAX; i++)
        if (id > 0 && rules[i].id == id) {
            memset(&rules[i], 0, sizeof(rules[i]));
            rc = 0;
        }
    pthread_mutex_unlock(&mu);
    return rc;
}

void faults_clear(void)
{
    pthread_mutex_lock(&mu);
    memset(rules, 0, sizeof(rules));
    pthread_mutex_unlock(&mu);
}

/* The path parameter named `want` ("userId") of r: the k-th "{...}" of the
 * route's name is params[k]. */
static const char *param_named(const pd_request *r, const char *want)
{
    const char *p = r->route ? r->route->name : NULL;
    size_t k = 0, wl = strlen(want);

    while (p != NULL && (p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL)
            break;
        if (k < r->n_params && (size_t)(end - p - 1) == wl && strncmp(p + 1, want, wl) == 0)
            return r->params[k];
        k++;
        p = end;
    }
    return NULL;
}

static bool applies(const fault_rule *f, const pd_request *r)
{
    const char *v;

    if (f->method[0] && strcmp(f->method, r->method) != 0)
        return false;
    if (f->path[0] && (r->url == NULL || fnmatch(f->path, r->url, FNM_CASEFOLD) != 0))
        return false;
    if (f->route[0] && (r->route == NULL || strcmp(f->route, r->route->name) != 0))
        return false;
    if (f->user[0] && ((v = param_named(r, "userId")) == NULL || strcasecmp(v, f->user) != 0))
        return false;
    if (f->account[0] && ((v = param_named(r, "accountId")) == NULL || strcasecmp(v, f->account) != 0))
        return false;
    return true;
}

bool faults_match(const pd_request *r, fault_rule *out)
{
    bool hit = false;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < LIM_CONTROL_RULES_MAX && !hit; i++) {
        fault_rule *f = &rules[i];
        if (f->id == 0 || !applies(f, r))
            continue;
        if (f->percent < 100 && randombytes_uniform(100) >= (uint32_t)f->percent)
            continue;
        f->hits++;
        *out = *f;
        hit = true;
        if (f->remaining > 0 && --f->remaining == 0)
            memset(f, 0, sizeof(*f));            /* used up */
    }
    pthread_mutex_unlock(&mu);
    return hit;
}
