/*
 * admin.h - the Admin API surface (docs/admin.md): its API table, the
 * handlers, and what they share: the prelude (token, scope, organization
 * id, organization administrator), the Admin error shape
 * {"error","error_description"} and the renderers of user records.
 *
 * Memory: an admin_ctx owns the organization it loaded (admin_ctx_clear).
 * Every json_t * returned is a new reference owned by the caller.
 */
#ifndef PROFILED_ADMIN_H
#define PROFILED_ADMIN_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"
#include "http/server.h"
#include "store/store.h"

extern const pd_api admin_api;

void h_admin_user_profiles(pd_server *srv, pd_request *req);   /* GET users/profile?email=    */
void h_admin_ds_profiles(pd_server *srv, pd_request *req);     /* GET users/dsprofile?email=  */
void h_admin_ds_profile(pd_server *srv, pd_request *req);      /* GET users/{userId}/dsprofile */
void h_admin_users(pd_server *srv, pd_request *req);           /* GET users (paged list)      */

typedef struct {
    pd_store *store;
    char org_id[LIM_ID_MAX + 1];   /* lower-cased organizationId of the path */
    pd_org org;
} admin_ctx;

/* The Admin error shape; desc NULL means the pd_err's default message.
 * 401 answers carry WWW-Authenticate: Bearer. */
void admin_error(pd_request *req, pd_err e, const char *desc);

/* Token (401), user_read scope (403), organizationId syntax (400), the
 * caller still Active (401), the caller an administrator of the
 * organization (403; an unknown organization answers the same), then loads
 * the organization.  On failure the answer is set and non-PD_OK returned. */
pd_err admin_begin(pd_server *srv, pd_request *req, admin_ctx *ctx);
void admin_ctx_clear(admin_ctx *ctx);

/* A UserDrilldownResponse for user u of the organization (memberships in
 * its accounts only, identities, is_organization_admin).  NULL on a store
 * failure or out of memory. */
json_t *admin_render_drilldown(admin_ctx *ctx, const pd_user *u);
/* An OrganizationUserResponse (list entry) for u. */
json_t *admin_render_list_user(const pd_user *u);

#endif
