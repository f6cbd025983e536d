/*
 * internal.h - what the files of control/ share: the surface's state and
 * the check of the operator secret.  Not for other folders.
 */
#ifndef PROFILED_CONTROL_INTERNAL_H
#define PROFILED_CONTROL_INTERNAL_H

#include <stdbool.h>

#include "control/control.h"
#include "http/server.h"

typedef struct {
    bool on;                           /* --control-token was given */
    unsigned char hash[32];            /* BLAKE2b of the secret (never the secret) */
    const control_tenant_io *io;       /* cli/'s tenant reader and writer (borrowed) */
    const char *demo_file;             /* reset?to=demo (borrowed) */
} control_state;

extern control_state control_st;

/* Whether r presents the operator secret: X-Profiled-Control-Token, or (when
 * allow_basic: GET requests, for the browser page) the password of HTTP
 * Basic.  A Bearer token never counts.  False while the surface is off. */
bool control_authorized(const pd_request *r, bool allow_basic);

/* control_api.admit: before any body is read, 404 while the surface is off
 * and 401 for a write without the secret, so nobody without it can make the
 * server hold a 16 MiB tenant upload.  GET goes on to the handler, which
 * answers with the Basic challenge. */
pd_err control_admit(const pd_request *r);

/* handlers (handlers.c, page.c) */
void h_control_page(pd_server *srv, pd_request *r);
void h_control_page_js(pd_server *srv, pd_request *r);
void h_control_tenant_get(pd_server *srv, pd_request *r);
void h_control_tenant_post(pd_server *srv, pd_request *r);
void h_control_reset(pd_server *srv, pd_request *r);
void h_control_token(pd_server *srv, pd_request *r);
void h_control_faults_get(pd_server *srv, pd_request *r);
void h_control_faults_post(pd_server *srv, pd_request *r);
void h_control_faults_delete(pd_server *srv, pd_request *r);
void h_control_fault_delete(pd_server *srv, pd_request *r);
void h_control_journal_get(pd_server *srv, pd_request *r);
void h_control_journal_delete(pd_server *srv, pd_request *r);

/* The common start of every handler: false (and the answer queued: 404
 * while off, 401 without the secret) when the handler must stop. */
bool control_gate(pd_request *r);

#endif
