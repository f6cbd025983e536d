/*
 * handlers.h - the OAuth 2.0 surface (docs/oauth.md): its handlers and the
 * API table (routes.c) that puts them under /oauth:
 *   token.c     POST /oauth/token
 *   authorize.c GET /oauth/auth, POST /oauth/login, POST /oauth/consent
 *   userinfo.c  GET /oauth/userinfo
 */
#ifndef PROFILED_OAUTH_HANDLERS_H
#define PROFILED_OAUTH_HANDLERS_H

#include "http/http.h"

void h_oauth_token(pd_server *srv, pd_request *req);
void h_oauth_auth(pd_server *srv, pd_request *req);
void h_oauth_login(pd_server *srv, pd_request *req);
void h_oauth_consent(pd_server *srv, pd_request *req);
void h_oauth_userinfo(pd_server *srv, pd_request *req);

/* The OAuth API for the router (routes.c). */
extern const pd_api oauth_api;

#endif
