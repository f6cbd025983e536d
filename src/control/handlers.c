/*
 * handlers.c - the operations of the control API (docs/control.md): the
 * tenant (load, reset, export), access tokens, fault rules, the journal.
 * Every handler starts with control_gate(): 404 while the surface is off,
 * 401 CONTROL_TOKEN_INVALID without the operator secret.  Answers are JSON;
 * errors use the one error table (core/error.h) in eSignature's shape.
 *
 * Memory: bodies built here are malloc'd and handed to the response.
 */
#include "control/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/token.h"
#include "core/jsonutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strutil.h"
#include "control/faults.h"
#include "control/journal.h"

bool control_gate(pd_request *r)
{
    bool is_get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;

    if (!control_st.on) {
        resp_error(r, PD_ERR_NOT_FOUND, NULL);
        return false;
    }
    if (!control_authorized(r, is_get)) {
        resp_error(r, PD_ERR_CONTROL_DENIED, NULL);
        if (is_get)
            resp_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"profiled control\", charset=\"UTF-8\"");
        return false;
    }
    return true;
}

static void answer_json(pd_request *r, int status, json_t *o)
{
    if (o == NULL) {
        resp_error(r, PD_ERR_INTERNAL, "out of memory");
        return;
    }
    r->want_xml = false;
    resp_object(r, status, NULL, o);
    json_decref(o);
}

/* The request body as a JSON object (an empty body: {}); NULL after answering 400. */
static json_t *body_object(pd_request *r)
{
    char err[160];
    json_t *o;

    if (r->body_len == 0)
        return json_object();
    o = json_decode_bounded((const char *)r->body, r->body_len, LIM_JSON_DEPTH, err, sizeof(err));
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        resp_error(r, PD_ERR_INVALID_BODY, "The body must be one JSON object.");
        return NULL;
    }
    return o;
}

/* ---- tenant ---------------------------------------------------------- */

static void load_from(pd_server *srv, pd_request *r, FILE *in, bool replace, const char *what)
{
    pd_store *s = server_store(srv);
    char summary[256] = "", err[512] = "";
    pd_err e;

    if (s == NULL) {
        resp_error(r, PD_ERR_STORE, NULL);
        return;
    }
    e = control_st.io->load(s, in, replace, summary, sizeof(summary), err, sizeof(err));
    if (e != PD_OK) {
        resp_error(r, e == PD_ERR_INVALID_BODY ? e : PD_ERR_STORE, err[0] ? err : NULL);
        return;
    }
    log_msg(LOG_INFO, "control", "tenant %s (%s): %s", replace ? "replaced" : "merged", what, summary);
    answer_json(r, 200, json_pack("{s:s, s:s, s:s}", "mode", replace ? "replace" : "merge",
                                  "source", what, "loaded", summary));
}

void h_control_tenant_post(pd_server *srv, pd_request *r)
{
    const char *mode = req_query(r, "mode");
    bool replace;
    FILE *in;

    if (!control_gate(r))
        return;
    if (mode == NULL || strcmp(mode, "replace") == 0)
        replace = true;
    else if (strcmp(mode, "merge") == 0)
        replace = false;
    else {
        resp_error(r, PD_ERR_INVALID_PARAMETER, "mode: replace or merge");
        return;
    }
    if (r->body_len == 0) {
        resp_error(r, PD_ERR_INVALID_BODY, "The body must be a tenant file (docs/import-format.md).");
        return;
    }
    in = fmemopen(r->body, r->body_len, "r");
    if (in == NULL) {
        resp_error(r, PD_ERR_INTERNAL, NULL);
        return;
    }
    load_from(srv, r, in, replace, "body");
    fclose(in);
}

void h_control_reset(pd_server *srv, pd_request *r)
{
    static char empty[] = "{}";
    const char *to = req_query(r, "to");
    FILE *in;

    if (!control_gate(r))
        return;
    if (to == NULL || strcmp(to, "empty") == 0) {
        in = fmemopen(empty, sizeof(empty) - 1, "r");
        to = "empty";
    } else if (strcmp(to, "demo") == 0) {
        in = fopen(control_st.demo_file, "r");
        if (in == NULL) {
            resp_error(r, PD_ERR_INTERNAL, "The demo file (--demo-file) cannot be read.");
            return;
        }
    } else {
        resp_error(r, PD_ERR_INVALID_PARAMETER, "to: empty or demo");
        return;
    }
    if (in == NULL) {
        resp_error(r, PD_ERR_INTERNAL, NULL);
        return;
    }
    load_from(srv, r, in, true, to);
    fclose(in);
}

void h_control_tenant_get(pd_server *srv, pd_request *r)
{
    pd_store *s = server_store(srv);
    char *buf = NULL, err[256] = "";
    size_t len = 0;
    FILE *out;
    pd_err e;

    if (!control_gate(r))
        return;
    if (s == NULL || (out = open_memstream(&buf, &len)) == NULL) {
        resp_error(r, PD_ERR_STORE, NULL);
        return;
    }
    e = control_st.io->dump(s, out, err, sizeof(err));
    if (fclose(out) != 0 || e != PD_OK) {
        free(buf);
        resp_error(r, PD_ERR_STORE, err[0] ? err : NULL);
        return;
    }
    resp_take(r, 200, "application/json", (unsigned char *)buf, len);
}

/* ---- tokens ---------------------------------------------------------- */

static bool scope_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == ' ' || *s == '-' || *s == '.'))
            return false;
    return true;
}

void h_control_token(pd_server *srv, pd_request *r)
{
    json_t *b;
    const char *user, *scope, *client;
    json_int_t ttl = 3600;
    token_claims c = {0};
    pd_user u = {0};
    pd_store *s;
    pd_err e;
    char *tok;

    if (!control_gate(r) || (b = body_object(r)) == NULL)
        return;
    user = json_string_value(json_object_get(b, "userId"));
    scope = json_object_get(b, "scope") ? json_string_value(json_object_get(b, "scope")) : "signature impersonation";
    client = json_object_get(b, "clientId") ? json_string_value(json_object_get(b, "clientId")) : "profiled-control";
    if (json_object_get(b, "ttl") != NULL)
        ttl = json_is_integer(json_object_get(b, "ttl")) ? json_integer_value(json_object_get(b, "ttl")) : -1;
    if (user == NULL || !str_is_guid(user)) {
        resp_error(r, PD_ERR_INVALID_USERID, "userId: the GUID of a user of the tenant");
    } else if (scope == NULL || scope[0] == '\0' || strlen(scope) >= sizeof(c.scope) || !scope_ok(scope)) {
        resp_error(r, PD_ERR_INVALID_PARAMETER, "scope: space-separated scope names");
    } else if (client == NULL || client[0] == '\0' || strlen(client) >= sizeof(c.cid) || !scope_ok(client)) {
        resp_error(r, PD_ERR_INVALID_PARAMETER, "clientId: at most 64 letters, digits, '-', '_' or '.'");
    } else if (ttl < 1 || ttl > LIM_CONTROL_TOKEN_TTL_MAX) {
        resp_error(r, PD_ERR_INVALID_PARAMETER, "ttl: seconds, from 1 to 86400");
    } else if ((s = server_store(srv)) == NULL) {
        resp_error(r, PD_ERR_STORE, NULL);
    } else if ((e = s->ops->get_user(s, user, &u)) != PD_OK) {
        resp_error(r, e == PD_ERR_NOT_FOUND ? PD_ERR_USER_NOT_FOUND : PD_ERR_STORE, NULL);
    } else {
        str_copy(c.sub, sizeof(c.sub), u.id);
        str_copy(c.cid, sizeof(c.cid), client);
        str_copy(c.scope, sizeof(c.scope), scope);
        c.iat = (int64_t)time(NULL);
        c.exp = c.iat + ttl;
        tok = token_mint(server_keys(srv), &c);
        if (tok == NULL)
            resp_error(r, PD_ERR_INTERNAL, NULL);
        else
            answer_json(r, 200, json_pack("{s:s, s:s, s:I, s:s, s:s}", "access_token", tok,
                                          "token_type", "Bearer", "expires_in", ttl, "scope", scope,
                                          "userId", u.id));
        free(tok);
    }
    pd_user_clear(&u);
    json_decref(b);
}

/* ---- fault rules ----------------------------------------------------- */

void h_control_faults_get(pd_server *srv, pd_request *r)
{
    (void)srv;
    if (control_gate(r))
        answer_json(r, 200, faults_list());
}

void h_control_faults_post(pd_server *srv, pd_request *r)
{
    char err[256];
    json_t *b;
    int id;

    (void)srv;
    if (!control_gate(r) || (b = body_object(r)) == NULL)
        return;
    id = faults_add(b, err, sizeof(err));
    json_decref(b);
    if (id < 0) {
        resp_error(r, PD_ERR_INVALID_BODY, err);
        return;
    }
    log_msg(LOG_INFO, "control", "fault rule %d added", id);
    answer_json(r, 201, json_pack("{s:i}", "id", id));
}

void h_control_faults_delete(pd_server *srv, pd_request *r)
{
    (void)srv;
    if (!control_gate(r))
        return;
    faults_clear();
    resp_empty(r, 204);
}

void h_control_fault_delete(pd_server *srv, pd_request *r)
{
    int64_t id;

    (void)srv;
    if (!control_gate(r))
        return;
    if (str_to_i64(r->params[0], 1, INT32_MAX, &id) != 0 || faults_remove((int)id) != 0) {
        resp_error(r, PD_ERR_NOT_FOUND, "No fault rule has this id.");
        return;
    }
    resp_empty(r, 204);
}

/* ---- journal --------------------------------------------------------- */

void h_control_journal_get(pd_server *srv, pd_request *r)
{
    journal_filter f = { req_query(r, "path"), 0, req_query(r, "caller"), 0, journal_capacity() };
    const char *status = req_query(r, "status"), *limit = req_query(r, "limit"), *since = req_query(r, "since");
    int64_t v;

    (void)srv;
    if (!control_gate(r))
        return;
    if (status != NULL) {
        if (str_to_i64(status, 100, 599, &v) != 0) {
            resp_error(r, PD_ERR_INVALID_PARAMETER, "status: an HTTP status");
            return;
        }
        f.status = (int)v;
    }
    if (limit != NULL) {
        if (str_to_i64(limit, 1, LIM_CONTROL_JOURNAL_MAX, &v) != 0) {
            resp_error(r, PD_ERR_INVALID_PARAMETER, "limit: from 1 to 10000");
            return;
        }
        f.limit = (size_t)v;
    }
    if (since != NULL) {
        if (str_to_i64(since, 0, INT64_MAX, &v) != 0) {
            resp_error(r, PD_ERR_INVALID_PARAMETER, "since: an entry id");
            return;
        }
        f.since = (uint64_t)v;
    }
    answer_json(r, 200, journal_list(&f));
}

void h_control_journal_delete(pd_server *srv, pd_request *r)
{
    (void)srv;
    if (!control_gate(r))
        return;
    journal_clear();
    resp_empty(r, 204);
}
