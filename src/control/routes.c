/*
 * routes.c - the control API table (docs/control.md), under /_profiled.
 * Static data only.
 */
#include "control/internal.h"

static const pd_route routes[] = {
    { "GET",    "",          "/_profiled/",            h_control_page,           LIM_BODY_DEFAULT, 0 },
    { "GET",    "page.js",   "/_profiled/page.js",     h_control_page_js,        LIM_BODY_DEFAULT, 0 },
    { "GET",    "tenant",    "/_profiled/tenant",      h_control_tenant_get,     LIM_BODY_DEFAULT, 0 },
    { "POST",   "tenant",    "/_profiled/tenant",      h_control_tenant_post,    LIM_CONTROL_TENANT_MAX, 0 },
    { "POST",   "reset",     "/_profiled/reset",       h_control_reset,          LIM_BODY_DEFAULT, 0 },
    { "POST",   "tokens",    "/_profiled/tokens",      h_control_token,          LIM_BODY_DEFAULT, 0 },
    { "GET",    "faults",    "/_profiled/faults",      h_control_faults_get,     LIM_BODY_DEFAULT, 0 },
    { "POST",   "faults",    "/_profiled/faults",      h_control_faults_post,    LIM_BODY_DEFAULT, 0 },
    { "DELETE", "faults",    "/_profiled/faults",      h_control_faults_delete,  LIM_BODY_DEFAULT, 0 },
    { "DELETE", "faults/*",  "/_profiled/faults/{id}", h_control_fault_delete,   LIM_BODY_DEFAULT, 0 },
    { "GET",    "journal",   "/_profiled/journal",     h_control_journal_get,    LIM_BODY_DEFAULT, 0 },
    { "DELETE", "journal",   "/_profiled/journal",     h_control_journal_delete, LIM_BODY_DEFAULT, 0 },
};

static const pd_prefix prefixes[] = {
    { "/_profiled", 1 },
};

const pd_api control_api = {
    "control", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), NULL, control_admit, NULL,
};
