/*
 * soap.h - DocuSign's AccountManagement SOAP service (seed 003, facts §7):
 * what the files of src/soap/ share.
 *
 *   action.c    the version and action an HTTP request announces
 *   envelope.c  reads a request envelope (SOAP 1.1 or 1.2, any prefixes):
 *               safe XML (core/xmlsafe.c), Header (WS-Security
 *               UsernameToken, WS-Addressing, mustUnderstand), Body, operation
 *   reply.c     writes answers: the envelope of the request's version,
 *               results with Success/Error, faults
 *   codes.c     the ErrorCode enumeration and pd_err -> ErrorCode
 *   profile.c   GetUserProfile, SetUserProfile (model/profile.c, the store)
 *   image.c     GetUserProfileImage, SetUserProfileImage
 *   service.c   the endpoint: credentials, policy facts, dispatch, ?WSDL
 *   wsdl.c      the WSDL this server serves (its own, both bindings)
 *   routes.c    the API table
 *
 * Memory: a soap_msg owns its parsed document (soap_msg_free); the
 * credentials it holds are wiped there too.
 */
#ifndef PROFILED_SOAP_H
#define PROFILED_SOAP_H

#include <stdbool.h>
#include <libxml/tree.h>

#include "auth/legacy.h"
#include "http/http.h"
#include "http/resp_cache.h"
#include "http/server.h"
#include "soap/xmlout.h"
#include "store/store.h"

#define SOAP_NS_AM    "http://www.docusign.net/API/AccountManagement"
#define SOAP_NS_11    "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_NS_12    "http://www.w3.org/2003/05/soap-envelope"
#define SOAP_NS_WSSE  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define SOAP_NS_WSU   "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define SOAP_NS_WSA   "http://www.w3.org/2005/08/addressing"
#define SOAP_NS_WSA04 "http://schemas.xmlsoap.org/ws/2004/08/addressing"

typedef enum { SOAP_11 = 11, SOAP_12 = 12 } soap_version;

typedef enum {
    FAULT_CLIENT,          /* 1.1 soap:Client, 1.2 Sender      */
    FAULT_SERVER,          /* 1.1 soap:Server, 1.2 Receiver    */
    FAULT_VERSION,         /* VersionMismatch                  */
    FAULT_MUST_UNDERSTAND  /* MustUnderstand                   */
} soap_fault_kind;

typedef enum { WSSE_NONE = 0, WSSE_OK, WSSE_BAD } wsse_state;

typedef struct {
    soap_version v;
    xmlDocPtr doc;
    xmlNode *op;             /* the Body's element: the operation */
    wsse_state wsse;         /* a UsernameToken: none, usable, unusable */
    legacy_creds creds;      /* from the UsernameToken when wsse == WSSE_OK */
} soap_msg;

/* ---- action.c ---- */
/* The version a request's Content-Type announces (application/soap+xml: 1.2). */
soap_version soap_version_of(const pd_request *req);
/* The action a request names: SOAPAction (1.1) or the action parameter of
 * the Content-Type (1.2), without quotes, into out ("" when none). */
void soap_action(const pd_request *req, char *out, size_t cap);

/* ---- envelope.c ---- */
/* Reads an envelope (hint: the version to answer a fault in when the
 * envelope does not say).  0, or -1 with *kind and msg (for the fault)
 * set; m->v is the version to answer in either way. */
int soap_parse(const char *text, size_t len, soap_version hint, soap_msg *m, soap_fault_kind *kind,
               char *msg, size_t cap);
void soap_msg_free(soap_msg *m);

/* ---- reply.c ---- */
/* 200 with <Envelope><Body>inner</Body></Envelope> of version v. */
void soap_reply(pd_request *req, soap_version v, xo_buf *inner);
void soap_fault(pd_request *req, soap_version v, soap_fault_kind k, const char *msg);
/* pd_api.error of soap_api: an error found before the operation, as a fault with the error's status. */
void soap_api_error(pd_request *req, pd_err e, const char *msg);
/* <Success>false</Success><Error><ErrorCode/><Description/></Error> */
void soap_result_error(xo_buf *b, const char *code, const char *description);

/* ---- codes.c ---- */
extern const char *const soap_error_codes[];   /* seed 003's enumeration, in its order */
extern const size_t soap_n_error_codes;
/* The ErrorCode for a pd_err (business errors inside results). */
const char *soap_code_of(pd_err e);

/* ---- operations (profile.c, image.c) ---- */
typedef struct {
    pd_server *srv;
    pd_request *req;
    pd_store *store;
    const soap_msg *msg;
    const char *caller;      /* authenticated user id */
    /* The ready-response cache (http/resp_cache.h), for GetUserProfile:
     * an operation sets `hit` (answer it as is) or `cacheable` with the key
     * and the tags it read before any data, so service.c stores the whole
     * answer once it is built. */
    const rc_body *hit;
    bool cacheable;
    char cache_key[RC_KEY_MAX];
    rc_tags tags;
} soap_ctx;

/* Each writes the children of its <OpResult> into out. */
void soap_get_user_profile(soap_ctx *c, xo_buf *out);
void soap_set_user_profile(soap_ctx *c, xo_buf *out);
void soap_get_user_profile_image(soap_ctx *c, xo_buf *out);
void soap_set_user_profile_image(soap_ctx *c, xo_buf *out);

/* Child element `name` (namespace SOAP_NS_AM) of el, or NULL. */
xmlNode *soap_child(const xmlNode *el, const char *name);

/* ---- wsdl.c ---- */
/* The WSDL for this server (soap:address = public_url + path); malloc'd. */
char *soap_wsdl(const char *public_url, size_t *len);

/* ---- the API table (routes.c) ---- */
extern const pd_api soap_api;
void h_soap_post(pd_server *srv, pd_request *req);
void h_soap_get(pd_server *srv, pd_request *req);

#endif
