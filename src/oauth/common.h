/*
 * common.h - what the OAuth handlers (oauth/token.c, oauth/authorize.c,
 * oauth/userinfo.c) share: RFC 6749 JSON answers, HTML answers with the page
 * security headers, the accepted assertion audiences, the caller's address,
 * the fixed security log line, access-token issuance and the dummy
 * password hash that keeps unknown accounts as slow as known ones.
 *
 * Memory: answers take ownership of the bodies they are given (malloc'd);
 * everything else fills caller buffers.
 */
#ifndef PROFILED_OAUTH_HTTP_H
#define PROFILED_OAUTH_HTTP_H

#include <jansson.h>
#include <stdint.h>

#include "http/http.h"
#include "oauth/oauth.h"
#include "http/server.h"

#define OAUTH_HOSTS_MAX 16
#define OAUTH_HOST_LEN  256

/* {"error":…, "error_description":…} with Cache-Control: no-store (and
 * WWW-Authenticate for 401). */
void oauth_json_error(pd_request *req, int status, const char *error, const char *description);
/* The same with an explicit WWW-Authenticate value (NULL for none). */
void oauth_json_error_www(pd_request *req, int status, const char *error, const char *description,
                          const char *www_authenticate);
/* 200 with obj encoded (reference not taken), Cache-Control: no-store. */
void oauth_json_ok(pd_request *req, const json_t *obj);
/* An HTML page (body malloc'd, taken) with CSP (form_origin may be NULL),
 * X-Frame-Options: DENY, nosniff, no-referrer, no-store.  A NULL body
 * answers 500. */
void oauth_html(pd_request *req, int status, char *body, size_t len, const char *form_origin);
void oauth_html_error(pd_request *req, int status, const char *title, const char *message);
/* The OAuth API's pd_api.error: a 503 (the database unreachable, a node
 * shutting down) as {"error":"temporarily_unavailable"} (token, userinfo)
 * or an HTML page (the browser pages); every other early error keeps
 * resp_error's shape. */
void oauth_api_error(pd_request *req, pd_err e, const char *msg);

/* The audiences an assertion may name: the oauth-hosts setting; else,
 * when public-url is set, only its host[:port]; else LISTEN:PORT,
 * 127.0.0.1:PORT and localhost:PORT for each listener.  Returns the count. */
size_t oauth_hosts(const pd_server *srv, char hosts[OAUTH_HOSTS_MAX][OAUTH_HOST_LEN]);

/* The peer address as text ("-" when unknown). */
void oauth_remote_addr(const pd_server *srv, const pd_request *req, char *out, size_t cap);

/* The one security log format (component "security"):
 *   <event> user=<id or -> client=<key or -> ip=<addr> reason=<word>
 * Every field goes through oauth_log_field, so a value taken from an
 * unverified assertion cannot forge another field. */
void oauth_security_log(const char *event, const char *user, const char *client, const char *ip,
                        const char *reason);
/* The same line at level info (login_ok). */
void oauth_security_log_info(const char *event, const char *user, const char *client, const char *ip,
                             const char *reason);

/* Mints an access token (token_mint, the server's key ring). NULL on failure. */
char *oauth_mint_access(const pd_server *srv, const char *sub, const char *cid, const char *scope,
                        int64_t now, int64_t *expires_in);

/* An Argon2id hash of a random password with the import's parameters,
 * computed once; verify against it when there is no real hash. */
const char *oauth_dummy_hash(void);

/* crypto_pwhash_str_verify with the bounds checks; true on a match.
 * Callers in request paths hold a verification slot (below). */
bool oauth_password_ok(const char *hash, const char *password);

/* Argon2id verification slots: at most oauth_pwhash_slots() at a time in
 * the whole process (max(1, threads / LIM_OAUTH_PWHASH_THREADS_DIV)).
 * acquire never waits: false when none is free (answer 503 with
 * oauth_busy_headers).  Every successful acquire is paired with release. */
int oauth_pwhash_slots(const pd_server *srv);
bool oauth_pwhash_acquire(const pd_server *srv);
void oauth_pwhash_release(void);
/* 503 {"error":"temporarily_unavailable"} with Retry-After: 1. */
void oauth_json_busy(pd_request *req);

/* OAuth runs over TLS only: true when the request came over the HTTPS
 * listener, or when public-url starts with https:// (TLS terminated at a
 * proxy in front of the plain listener).  Otherwise answers 400
 * {"error":"invalid_request","error_description":"OAuth requires HTTPS"}
 * and returns false. */
bool oauth_require_https(const pd_server *srv, pd_request *req);

/* A security log field: characters outside [A-Za-z0-9._:@-] become '_',
 * at most LIM_OAUTH_LOG_FIELD_MAX bytes (longer values end in "..."),
 * "-" for NULL or empty.  out >= LIM_OAUTH_LOG_FIELD_MAX + 1. */
void oauth_log_field(char *out, size_t cap, const char *in);

#endif
