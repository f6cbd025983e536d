/*
 * error.h - the one error enum of profiled.
 *
 * Every failure that can reach a client is one of these codes.  core/error.c maps
 * each to an HTTP status, a DocuSign errorCode and a default message (and,
 * later, a SOAP ErrorCode).  Functions return pd_err (PD_OK == 0) and, where
 * a message must be more specific, fill a caller-owned pd_errbuf.
 */
#ifndef PROFILED_ERROR_H
#define PROFILED_ERROR_H

#include <stddef.h>

typedef enum {
    PD_OK = 0,
    PD_ERR_INVALID_TOKEN,          /* 401 AUTHORIZATION_INVALID_TOKEN            */
    PD_ERR_NO_TOKEN,               /* 401 PARTNER_AUTHENTICATION_FAILED (no credentials at all) */
    PD_ERR_LACKS_PERMISSIONS,      /* 403 USER_LACKS_PERMISSIONS                 */
    PD_ERR_INVALID_USERID,         /* 400 INVALID_USERID                         */
    PD_ERR_USER_NOT_IN_ACCOUNT,    /* 403 USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT (caller) */
    PD_ERR_USER_NOT_FOUND,         /* 400 USER_DOES_NOT_EXIST_IN_SYSTEM          */
    PD_ERR_INVALID_ACCOUNT_ID,     /* 400 INVALID_ACCOUNT_ID                     */
    PD_ERR_INVALID_PARAMETER,      /* 400 INVALID_REQUEST_PARAMETER              */
    PD_ERR_INVALID_BODY,           /* 400 INVALID_REQUEST_BODY                   */
    PD_ERR_BAD_REQUEST,            /* 400 INVALID_REQUEST (malformed HTTP)       */
    PD_ERR_INVALID_CONTENT_TYPE,   /* 415 INVALID_CONTENT_TYPE                   */
    PD_ERR_IMAGE_INVALID,          /* 400 INVALID_PROFILE_IMAGE                  */
    PD_ERR_IMAGE_TOO_LARGE,        /* 413 PROFILE_IMAGE_TOO_LARGE                */
    PD_ERR_BODY_TOO_LARGE,         /* 413 REQUEST_ENTITY_TOO_LARGE               */
    PD_ERR_NO_IMAGE,               /* 404 PROFILE_IMAGE_NOT_FOUND                */
    PD_ERR_NOT_FOUND,              /* 404 RESOURCE_NOT_FOUND                     */
    PD_ERR_METHOD_NOT_ALLOWED,     /* 405 METHOD_NOT_ALLOWED                     */
    PD_ERR_NOT_ACCEPTABLE,         /* 406 NOT_ACCEPTABLE                         */
    PD_ERR_URI_TOO_LONG,           /* 414 URI_TOO_LONG                           */
    PD_ERR_HOURLY_LIMIT,           /* 429 HOURLY_APIINVOCATION_LIMIT_EXCEEDED    */
    PD_ERR_BURST_LIMIT,            /* 429 BURST_APIINVOCATION_LIMIT_EXCEEDED     */
    PD_ERR_STORE,                  /* 500 UNSPECIFIED_ERROR (store failure)      */
    PD_ERR_INTERNAL,               /* 500 UNSPECIFIED_ERROR                      */
    PD_ERR_UNAVAILABLE,            /* 503 SERVICE_UNAVAILABLE                    */
    PD_ERR_LOGIN_FAILED,           /* 401 USER_AUTHENTICATION_FAILED (legacy credentials) */
    PD_ERR_INTEGRATOR_KEY_UNKNOWN, /* 401 PARTNER_AUTHENTICATION_FAILED (legacy credentials) */
    PD_ERR_CONTROL_DENIED,         /* 401 CONTROL_TOKEN_INVALID (test-control API, docs/control.md) */
    PD_ERR_COUNT_
} pd_err;

typedef struct {
    int status;                 /* HTTP status          */
    const char *code;           /* DocuSign errorCode   */
    const char *message;        /* default message      */
} pd_err_info;

/* Static description of an error; never NULL (unknown values map to INTERNAL). */
const pd_err_info *pd_err_describe(pd_err e);

/* A caller-owned buffer for a specific message ("firstName: longer than 50
 * characters; title: ..."). Functions append with pd_errbuf_add(). */
#define PD_ERRBUF_MAX 2048
typedef struct {
    char text[PD_ERRBUF_MAX];
    size_t len;
    unsigned count;             /* number of problems recorded */
} pd_errbuf;

void pd_errbuf_init(pd_errbuf *eb);
/* Appends "; "-separated, printf-style; silently marks truncation with "…". */
void pd_errbuf_add(pd_errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
