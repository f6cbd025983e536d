/*
 * routes.c - what `profiled serve` is made of: the API surfaces it answers
 * and the order the router tries them in.  This is the one place that
 * names every surface; http/ knows none of them.  The root API (prefix "",
 * /healthz) comes last.  Static data only.
 */
#include "admin/admin.h"
#include "cli/cli.h"
#include "control/control.h"
#include "esign/handlers.h"
#include "oauth/handlers.h"
#include "pages/pages.h"
#include "soap/soap.h"

static const pd_api *const apis[] = {
    &esign_api,
    &oauth_api,
    &admin_api,
    &soap_api,
    &control_api,
    &pages_api,
    &health_api,
};

const pd_router app_router = { apis, sizeof(apis) / sizeof(apis[0]) };
