/*
 * control.h - the operator's test-control surface (docs/control.md): under
 * /_profiled, for teams testing their DocuSign integration against
 * profiled: load, reset and export the tenant, mint access tokens, fault
 * rules, the request journal and a live page.  Off unless `serve` is given
 * --control-token; then only callers presenting that secret reach it
 * (X-Profiled-Control-Token, or HTTP Basic with it as the password for
 * GET), never API tokens.
 *
 * The tenant reader and writer live in cli/ (they use validators of the
 * surfaces); serve hands them in (control_tenant_io) so this folder never
 * includes cli/.
 *
 * Memory: control_enable() allocates the journal and rule table once; they
 * live until the process ends.  One control state per process.
 */
#ifndef PROFILED_CONTROL_H
#define PROFILED_CONTROL_H

#include <stdbool.h>
#include <stdio.h>

#include "http/http.h"
#include "store/store.h"

typedef struct {
    /* Reads a tenant file into s in one transaction (replace: the whole
     * tenant first deleted in it); on success a JSON-free one-line summary
     * ("3 users, 2 accounts") into summary, else a reason into err. */
    pd_err (*load)(pd_store *s, FILE *in, bool replace, char *summary, size_t cap,
                   char *err, size_t errlen);
    /* Writes the whole tenant in the import format. */
    pd_err (*dump)(pd_store *s, FILE *out, char *err, size_t errlen);
} control_tenant_io;

extern const pd_api control_api;

/* Turns the surface on for srv: the secret (copied as a hash), the journal
 * size, the demo file for reset?to=demo (borrowed), the tenant reader and
 * writer (borrowed), and the server hooks for fault rules and the journal.
 * 0, or -1 (logged) when memory or hook slots run out. */
int control_enable(pd_server *srv, const char *secret, size_t journal_max,
                   const char *demo_file, const control_tenant_io *io);

#endif
