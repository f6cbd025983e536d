/*
 * service.c - the AccountManagement endpoint (seed 003):
 *
 *   POST /api/3.0/accountmanagement.asmx   (path matched without regard to case)
 *        a SOAP 1.1 or 1.2 envelope (soap/envelope.c), answered in the
 *        same version; the operation is the Body's element in
 *        http://www.docusign.net/API/AccountManagement, and SOAPAction (1.1)
 *        or the action parameter (1.2), when sent, must name the same one;
 *   GET  ...?WSDL (any case)  the WSDL of this service (soap/wsdl.c).
 *
 * Credentials, first found wins: a WS-Security UsernameToken in the
 * envelope, the X-DocuSign-Authentication header (both checked by the one
 * password check through auth/legacy.c), an OAuth Bearer token with the
 * "signature" scope.  Ping needs none.  Credential and access failures are
 * business errors (Success=false, Error{ErrorCode, Description}); faults
 * are for envelopes that cannot be processed: not XML, wrong envelope
 * namespace, no Body, unknown or unsupported operation, a mustUnderstand
 * header entry not understood, an action that contradicts the Body.
 *
 * Memory: the parsed message is freed here; answers are built in xo_bufs
 * handed to the response.
 */
#include "soap/soap.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/policy.h"
#include "core/xmlsafe.h"
#include "core/strutil.h"
#include "http/credentials.h"
#include "http/rate.h"

typedef void (*soap_op_fn)(soap_ctx *c, xo_buf *out);

static const struct {
    const char *name;
    soap_op_fn fn;
} ops[] = {
    { "GetUserProfile",      soap_get_user_profile },
    { "SetUserProfile",      soap_set_user_profile },
    { "GetUserProfileImage", soap_get_user_profile_image },
    { "SetUserProfileImage", soap_set_user_profile_image },
};

/* The rest of DocuSign's AccountManagement operations: a clear fault. */
static const char *const unsupported[] = {
    "ActivateSalesforceInstance", "AddEnvelopeCurrency", "AddMembersToAccount", "AuthenticateMember",
    "AuthenticateMemberEx", "ChangeAccountPricePlan", "ChangePassword", "CheckAccountMember",
    "CloseMembers", "CloseSignature", "GetAccountCustomFields", "GetAccountDistributorCode",
    "GetAccountInformation", "GetAccountSettings", "GetConnectCredentials", "GetDistributorSeatAllotment",
    "GetEncryptedPassword", "GetMemberSettings", "GetMembershipSummary", "GetPlanDetails",
    "GetPlanGroupInformation", "GetPlanPricingInformation", "GetPlanType", "GetProvisioningInformation",
    "GetSignatures", "GetSuccessorPlanInformation", "IncrementAccountSeats", "InitializeClientAccount",
    "NewAccount", "NewSocialAccount", "ResendAccountActivation", "SetConnectCredentials",
    "SetSignatureImages", "UpdateAccountSettings", "UpdateMemberSettings", "UpgradeRecipientAccount",
    "VerifySeatEligibility",
};

/* Credentials -> req->caller.  NULL, or the ErrorCode with *why set. */
static const char *authenticate(pd_server *srv, pd_request *req, const soap_msg *m, const char **why)
{
    static const struct { const char *code, *why; } map[] = {
        [LEGACY_OK]        = { NULL, NULL },
        [LEGACY_MALFORMED] = { "Invalid_Login", "The X-DocuSign-Authentication header could not be read." },
        [LEGACY_PARTNER]   = { "Partner_Authentication_Failed",
                               "The specified Integrator Key was not found or is disabled." },
        [LEGACY_LOGIN]     = { "Invalid_Login", "One or both of Username and Password are invalid." },
        [LEGACY_LOCKED]    = { "Invalid_Login", "The account is locked after too many failed sign-ins. Try again later." },
        [LEGACY_BLOCKED]   = { "Invalid_Login", "Too many failed sign-ins from your address. Try again later." },
        [LEGACY_BUSY]      = { "Unspecified_Error", "The server is busy verifying credentials; retry in a second." },
        [LEGACY_SOBO]      = { "Not_Authorized", "SendOnBehalfOf may only name the authenticated user." },
        [LEGACY_STORE]     = { "Unspecified_Error", "The data store failed; nothing was changed." },
    };
    const char *legacy = req_header(req, LEGACY_HEADER);
    legacy_result r;
    pd_err e;

    if (m->wsse == WSSE_BAD) {
        *why = "The WS-Security UsernameToken must carry Username [IntegratorKey]email and a PasswordText password.";
        return "Invalid_Login";
    }
    if (m->wsse == WSSE_OK || legacy != NULL) {
        r = m->wsse == WSSE_OK ? req_legacy_check(srv, req, &m->creds) : req_legacy_header(srv, req, legacy);
        if (r == LEGACY_BUSY)
            resp_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        *why = map[r].why;
        return map[r].code;
    }
    e = req_bearer_verify(srv, req);
    if (e == PD_ERR_NO_TOKEN) {
        *why = "The specified Integrator Key was not found or is disabled. An Integrator key was not specified.";
        return "Partner_Authentication_Failed";
    }
    if (e != PD_OK) {
        *why = pd_err_describe(PD_ERR_INVALID_TOKEN)->message;
        return "Invalid_Login";
    }
    if (policy_esign_scope(req->caller.scope) != PD_OK) {
        *why = pd_err_describe(PD_ERR_LACKS_PERMISSIONS)->message;
        return "Not_Authorized";
    }
    req->authenticated = true;
    return NULL;
}

/* The AccountId the operation names (its own child, or a child of one of
 * its children: UserProfile/AccountId); NULL when none. */
static const char *account_named(const xmlNode *op, char *buf, size_t cap)
{
    const xmlNode *a = soap_child(op, "AccountId");

    for (const xmlNode *k = xmlsafe_next_element(op, NULL); a == NULL && k != NULL;
         k = xmlsafe_next_element(op, k))
        a = soap_child(k, "AccountId");
    return a ? xmlsafe_text(a, buf, cap) : NULL;
}

/* Counts the call (http/rate.h): against the account it names when the
 * caller is a member of it, else against the caller, else (no valid
 * credentials) against the client's address.  The ErrorCode when over. */
static const char *over_limit(pd_server *srv, pd_request *req, const soap_msg *m, bool authed)
{
    char ref[LIM_ID_MAX * 2];
    const char *acc = authed && rl_enabled(srv->limiter) ? account_named(m->op, ref, sizeof(ref)) : NULL;
    pd_store *st = acc ? server_store(srv) : NULL;
    pd_account a = {0};
    pd_membership mb = {0};
    bool member = false;
    pd_err e;

    if (st != NULL && str_copy(ref, sizeof(ref), acc) == 0) {
        if (str_is_guid(ref))
            str_lower(ref);
        member = st->ops->get_account(st, ref, &a) == PD_OK &&
                 st->ops->get_membership(st, a.id, req->caller.sub, &mb) == PD_OK;
    }
    e = req_rate_limit(srv, req, member ? "account" : NULL, member ? a.id : NULL);
    pd_account_clear(&a);
    pd_membership_clear(&mb);
    return e == PD_OK ? NULL : soap_code_of(e);
}

/* Keeps a successful answer in the ready-response cache and sends the
 * cached copy (see soap_ctx). */
static void cache(pd_request *req, const soap_ctx *c)
{
    static const rc_header h[] = { { MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-cache" } };
    const rc_body *mr;

    if (req->resp.status != 200 || req->resp.body == NULL)
        return;
    mr = rc_put(c->cache_key, &c->tags, req->resp.body, req->resp.len, req->resp.content_type, NULL, h, 1);
    if (mr != NULL)
        resp_prebuilt(req, 200, mr);
}

/* "http://www.docusign.net/API/AccountManagement/Op", "…Management#Op" or "Op". */
static bool action_names(const char *action, const char *op)
{
    size_t nl = strlen(SOAP_NS_AM);

    if (action[0] == '\0')
        return true;
    if (strncmp(action, SOAP_NS_AM, nl) == 0 && (action[nl] == '/' || action[nl] == '#'))
        action += nl + 1;
    return strcmp(action, op) == 0;
}

void h_soap_post(pd_server *srv, pd_request *req)
{
    char msg[512], action[256];
    soap_fault_kind kind;
    soap_msg m;
    xo_buf out = {0};
    const char *op, *code, *why = NULL;
    size_t i;

    if (soap_parse((const char *)req->body, req->body_len, soap_version_of(req), &m, &kind, msg,
                   sizeof(msg)) != 0) {
        soap_fault(req, m.v, kind, msg);
        goto done;
    }
    op = (const char *)m.op->name;
    if (!xmlsafe_is(m.op, SOAP_NS_AM, op)) {
        snprintf(msg, sizeof(msg), "The operation must be an element of namespace %s.", SOAP_NS_AM);
        soap_fault(req, m.v, FAULT_CLIENT, msg);
        goto done;
    }
    soap_action(req, action, sizeof(action));
    if (!action_names(action, op)) {
        snprintf(msg, sizeof(msg), "The SOAP action names another operation than the Body (%.100s).", op);
        soap_fault(req, m.v, FAULT_CLIENT, msg);
        goto done;
    }
    if (strcmp(op, "Ping") == 0) {
        xo_raw(&out, "<PingResponse xmlns=\"" SOAP_NS_AM "\"><PingResult>true</PingResult></PingResponse>");
        soap_reply(req, m.v, &out);
        goto done;
    }
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]) && strcmp(ops[i].name, op) != 0; i++)
        ;
    if (i == sizeof(ops) / sizeof(ops[0])) {
        bool known = false;
        for (size_t k = 0; k < sizeof(unsupported) / sizeof(unsupported[0]); k++)
            known = known || strcmp(unsupported[k], op) == 0;
        snprintf(msg, sizeof(msg), known ? "The operation %.100s is not supported by this server."
                                         : "Unknown operation %.100s.", op);
        soap_fault(req, m.v, FAULT_CLIENT, msg);
        goto done;
    }
    xo_fmt(&out, "<%sResponse xmlns=\"" SOAP_NS_AM "\"><%sResult>", op, op);
    code = authenticate(srv, req, &m, &why);
    {
        const char *over = over_limit(srv, req, &m, code == NULL);
        if (over != NULL) {
            code = over;
            why = req->rate.msg;
        }
    }
    if (code != NULL) {
        soap_result_error(&out, code, why);
    } else {
        soap_ctx c = { .srv = srv, .req = req, .store = server_store(srv), .msg = &m, .caller = req->caller.sub };
        if (c.store == NULL)
            soap_result_error(&out, "Unspecified_Error", pd_err_describe(PD_ERR_STORE)->message);
        else
            ops[i].fn(&c, &out);
        if (c.hit != NULL) {
            resp_prebuilt(req, 200, c.hit);
            goto done;
        }
        if (c.cacheable) {
            xo_fmt(&out, "</%sResult></%sResponse>", op, op);
            soap_reply(req, m.v, &out);
            cache(req, &c);
            goto done;
        }
    }
    xo_fmt(&out, "</%sResult></%sResponse>", op, op);
    soap_reply(req, m.v, &out);
done:
    xo_free(&out);
    soap_msg_free(&m);
}

static enum MHD_Result find_wsdl(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    if (key != NULL && strcasecmp(key, "wsdl") == 0) {
        *(bool *)cls = true;
        return MHD_NO;
    }
    return MHD_YES;
}

void h_soap_get(pd_server *srv, pd_request *req)
{
    static const char help[] = "AccountManagementService: POST SOAP 1.1 or 1.2 envelopes to this URL; "
                               "GET ?WSDL for its description.\n";
    bool wsdl = false;
    size_t len = 0;
    char *text;

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, find_wsdl, &wsdl);
    if (!wsdl) {
        resp_copy(req, 200, "text/plain; charset=utf-8", help, sizeof(help) - 1);
        return;
    }
    text = soap_wsdl(srv->public_url, &len);
    if (text == NULL) {
        resp_error(req, PD_ERR_INTERNAL, NULL);
        return;
    }
    resp_take(req, 200, "text/xml; charset=utf-8", (unsigned char *)text, len);
}
