/*
 * error.c - the table mapping each pd_err to an HTTP status, a DocuSign
 * errorCode and a default message, and the caller-owned error buffer.
 *
 * The table is static and read-only; nothing here allocates.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const pd_err_info table[PD_ERR_COUNT_] = {
    [PD_OK]                      = {200, "SUCCESS", ""},
    [PD_ERR_INVALID_TOKEN]       = {401, "AUTHORIZATION_INVALID_TOKEN",
                                    "The access token provided is expired, revoked or malformed."},
    [PD_ERR_NO_TOKEN]            = {401, "PARTNER_AUTHENTICATION_FAILED",
                                    "The specified Integrator Key was not found or is disabled. An Integrator key was not specified."},
    [PD_ERR_LACKS_PERMISSIONS]   = {403, "USER_LACKS_PERMISSIONS",
                                    "This user lacks sufficient permissions to access this resource."},
    [PD_ERR_INVALID_USERID]      = {400, "INVALID_USERID", "Invalid UserId."},
    [PD_ERR_USER_NOT_IN_ACCOUNT] = {403, "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT",
                                    "The specified User is not a member of the specified Account."},
    [PD_ERR_USER_NOT_FOUND]      = {400, "USER_DOES_NOT_EXIST_IN_SYSTEM",
                                    "The user does not exist in the system."},
    [PD_ERR_INVALID_ACCOUNT_ID]  = {400, "INVALID_ACCOUNT_ID", "Invalid account ID."},
    [PD_ERR_INVALID_PARAMETER]   = {400, "INVALID_REQUEST_PARAMETER",
                                    "The request contained at least one invalid parameter."},
    [PD_ERR_INVALID_BODY]        = {400, "INVALID_REQUEST_BODY",
                                    "The request body is missing or improperly formatted."},
    [PD_ERR_INVALID_CONTENT_TYPE]= {415, "INVALID_CONTENT_TYPE",
                                    "The Content-Type of the request is not supported by this resource."},
    [PD_ERR_IMAGE_INVALID]       = {400, "INVALID_PROFILE_IMAGE",
                                    "The image is not a GIF, PNG, JPEG or BMP file."},
    [PD_ERR_IMAGE_TOO_LARGE]     = {413, "PROFILE_IMAGE_TOO_LARGE",
                                    "The profile image must be smaller than 200 KB (204800 bytes)."},
    [PD_ERR_BODY_TOO_LARGE]      = {413, "REQUEST_ENTITY_TOO_LARGE",
                                    "The request body exceeds the size allowed for this resource."},
    [PD_ERR_NO_IMAGE]            = {404, "PROFILE_IMAGE_NOT_FOUND", "The user does not have a profile image."},
    [PD_ERR_NOT_FOUND]           = {404, "RESOURCE_NOT_FOUND", "The URL provided does not resolve to a resource."},
    [PD_ERR_METHOD_NOT_ALLOWED]  = {405, "METHOD_NOT_ALLOWED", "The HTTP method is not allowed on this resource."},
    [PD_ERR_NOT_ACCEPTABLE]      = {406, "NOT_ACCEPTABLE",
                                    "The Accept header asks for a format this resource cannot produce."},
    [PD_ERR_URI_TOO_LONG]        = {414, "URI_TOO_LONG",
                                    "The request URL is too long or has too many query parameters."},
    [PD_ERR_BAD_REQUEST]         = {400, "INVALID_REQUEST",
                                    "The HTTP request is malformed (a NUL character, or a repeated Host or Content-Length header)."},
    [PD_ERR_HOURLY_LIMIT]        = {429, "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
                                    "The maximum number of hourly API invocations has been exceeded. The hourly limit is 3000."},
    [PD_ERR_BURST_LIMIT]         = {429, "BURST_APIINVOCATION_LIMIT_EXCEEDED",
                                    "The maximum number of API invocations in a 30 second window has been exceeded."},
    [PD_ERR_STORE]               = {500, "UNSPECIFIED_ERROR", "The data store failed; nothing was changed."},
    [PD_ERR_INTERNAL]            = {500, "UNSPECIFIED_ERROR", "An internal error occurred."},
    [PD_ERR_UNAVAILABLE]         = {503, "SERVICE_UNAVAILABLE", "The server is shutting down or overloaded; retry later."},
    [PD_ERR_LOGIN_FAILED]        = {401, "USER_AUTHENTICATION_FAILED",
                                    "One or both of Username and Password are invalid."},
    [PD_ERR_INTEGRATOR_KEY_UNKNOWN] = {401, "PARTNER_AUTHENTICATION_FAILED",
                                    "The specified Integrator Key was not found or is disabled."},
    [PD_ERR_CONTROL_DENIED]      = {401, "CONTROL_TOKEN_INVALID",
                                    "The control API needs the operator secret (X-Profiled-Control-Token); API tokens are not accepted."},
};

const pd_err_info *pd_err_describe(pd_err e)
{
    if ((unsigned)e >= PD_ERR_COUNT_ || table[e].code == NULL)
        return &table[PD_ERR_INTERNAL];
    return &table[e];
}

void pd_errbuf_init(pd_errbuf *eb)
{
    eb->text[0] = '\0';
    eb->len = 0;
    eb->count = 0;
}

void pd_errbuf_add(pd_errbuf *eb, const char *fmt, ...)
{
    static const char more[] = "...";
    size_t room;
    int n;
    va_list ap;

    eb->count++;
    if (eb->len + sizeof(more) >= sizeof(eb->text))
        goto truncated;                         /* already full: make sure it says so */
    if (eb->len > 0) {
        room = sizeof(eb->text) - eb->len;
        n = snprintf(eb->text + eb->len, room, "; ");
        if (n < 0 || (size_t)n >= room)
            goto truncated;
        eb->len += (size_t)n;
    }
    room = sizeof(eb->text) - eb->len;
    va_start(ap, fmt);
    n = vsnprintf(eb->text + eb->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        goto truncated;
    eb->len += (size_t)n;
    return;
truncated:
    eb->len = sizeof(eb->text) - sizeof(more);
    memcpy(eb->text + eb->len, more, sizeof(more));
    eb->len += sizeof(more) - 1;
}
