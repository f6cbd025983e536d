/*
 * handlers.h - every HTTP handler, one file per resource:
 *   h_profile.c  GET/PUT  .../accounts/{a}/users/{u}/profile
 *   h_image.c    GET/PUT/DELETE .../profile/image
 *   h_health.c   GET /healthz
 *   oauth_token.c POST /oauth/token; h_oauth.c GET /oauth/auth, POST
 *                /oauth/login, POST /oauth/consent; h_userinfo.c GET /oauth/userinfo
 * Shared eSignature request steps (auth, ids, membership, policy) live in
 * esign_common.c.
 */
#ifndef PROFILED_HANDLERS_H
#define PROFILED_HANDLERS_H

#include "http.h"

void h_profile_get(pd_server *srv, pd_request *req);
void h_profile_put(pd_server *srv, pd_request *req);
void h_image_get(pd_server *srv, pd_request *req);
void h_image_put(pd_server *srv, pd_request *req);
void h_image_delete(pd_server *srv, pd_request *req);
void h_health(pd_server *srv, pd_request *req);
/* OAuth (docs/oauth.md): oauth_token.c, h_oauth.c, h_userinfo.c */
void h_oauth_token(pd_server *srv, pd_request *req);
void h_oauth_auth(pd_server *srv, pd_request *req);
void h_oauth_login(pd_server *srv, pd_request *req);
void h_oauth_consent(pd_server *srv, pd_request *req);
void h_oauth_userinfo(pd_server *srv, pd_request *req);

#endif
