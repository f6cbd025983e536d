/*
 * handlers.h - the eSignature REST surface: one handler per resource and
 * method, and the API table (routes.c) that puts them under the eSignature
 * prefixes (/restapi/v2, /restapi/v2.1, /v2, /v2.1):
 *   profile.c  GET/PUT        .../accounts/{a}/users/{u}/profile
 *   image.c    GET/PUT/DELETE .../accounts/{a}/users/{u}/profile/image
 * The steps every eSignature request shares (token, ids, membership,
 * policy) live in prelude.c.
 */
#ifndef PROFILED_ESIGN_HANDLERS_H
#define PROFILED_ESIGN_HANDLERS_H

#include "http/http.h"

void h_profile_get(pd_server *srv, pd_request *req);
void h_profile_put(pd_server *srv, pd_request *req);
void h_image_get(pd_server *srv, pd_request *req);
void h_image_put(pd_server *srv, pd_request *req);
void h_image_delete(pd_server *srv, pd_request *req);

/* The eSignature API for the router (routes.c). */
extern const pd_api esign_api;

#endif
