/*
 * credentials.h - the legacy credentials of a request, checked with the
 * server's settings: the X-DocuSign-Authentication header (or credentials
 * a surface found elsewhere, e.g. a SOAP UsernameToken) through
 * auth/legacy.c, with this server's Argon2id slot count and the client's
 * address (trusted-proxies aware) for throttling and the security log.
 * Each surface maps the result to its own error shape.
 *
 * Memory: nothing allocated; the credentials are borrowed.
 */
#ifndef PROFILED_HTTP_CREDENTIALS_H
#define PROFILED_HTTP_CREDENTIALS_H

#include "auth/legacy.h"
#include "http/http.h"
#include "http/server.h"

/* The request's "Authorization: Bearer" access token, verified with this
 * server's keys (through the per-thread memo): PD_OK with req->caller
 * filled and req->authenticated set; PD_ERR_NO_TOKEN when there is no
 * Authorization header; PD_ERR_INVALID_TOKEN when it is not Bearer, or the
 * token is malformed, forged, expired or has no user.  The one bearer check
 * of the eSignature, Admin and SOAP surfaces; each maps the result to its
 * own error shape. */
pd_err req_bearer_verify(pd_server *srv, pd_request *req);

/* Checks c; on LEGACY_OK fills req->caller and sets req->authenticated. */
legacy_result req_legacy_check(pd_server *srv, pd_request *req, const legacy_creds *c);

/* Parses the X-DocuSign-Authentication header value and checks it
 * (LEGACY_MALFORMED when it cannot be read). */
legacy_result req_legacy_header(pd_server *srv, pd_request *req, const char *value);

#endif
