/*
 * routes.c - the SOAP AccountManagement API table (facts §1): one
 * resource, POST for envelopes (LIM_BODY_SOAP) and GET for ?WSDL, under
 * /api/3.0 (the router compares without regard to case, as IIS does, so
 * DocuSign's own /API/3.0/AccountManagement.asmx matches).  Static data only.
 */
#include "soap/soap.h"

#define R_ASMX "/api/3.0/accountmanagement.asmx"

static const pd_route routes[] = {
    { "POST", "accountmanagement.asmx", R_ASMX, h_soap_post, LIM_BODY_SOAP, 0 },
    { "GET",  "accountmanagement.asmx", R_ASMX, h_soap_get,  LIM_BODY_DEFAULT, 0 },
};

static const pd_prefix prefixes[] = {
    { "/api/3.0", 0 },
};

const pd_api soap_api = {
    "soap", prefixes, sizeof(prefixes) / sizeof(prefixes[0]),
    routes, sizeof(routes) / sizeof(routes[0]), soap_api_error, NULL, NULL,
};
