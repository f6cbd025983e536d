/*
 * credentials.c - legacy credentials with the server's settings
 * (http/credentials.h).  The password copy parsed from the header is wiped
 * before return.
 */
#include "http/credentials.h"

#include <string.h>
#include <time.h>

#include "auth/password.h"
#include "auth/token_cache.h"

legacy_result req_legacy_check(pd_server *srv, pd_request *req, const legacy_creds *c)
{
    char ip[64];
    pd_store *s = server_store(srv);
    legacy_result r;

    if (s == NULL)
        return LEGACY_STORE;
    req_client_addr(req, srv->cfg->trusted_proxies, ip, sizeof(ip));
    r = legacy_check(s, c, ip, pw_slots((long)srv->cfg->threads), (int64_t)time(NULL), &req->caller);
    req->authenticated = r == LEGACY_OK;
    return r;
}

legacy_result req_legacy_header(pd_server *srv, pd_request *req, const char *value)
{
    legacy_creds c;
    legacy_result r;

    if (legacy_parse(value, &c) != 0)
        return LEGACY_MALFORMED;
    r = req_legacy_check(srv, req, &c);
    legacy_creds_wipe(&c);
    return r;
}

pd_err req_bearer_verify(pd_server *srv, pd_request *req)
{
    const char *tok;
    size_t len;
    int got = req_bearer_token(req, &tok, &len);

    if (got != 0)
        return got == -1 ? PD_ERR_NO_TOKEN : PD_ERR_INVALID_TOKEN;
    if (token_verify_cached(server_keys(srv), tok, len, (int64_t)time(NULL), &req->caller) != PD_OK ||
        req->caller.sub[0] == '\0') {
        memset(&req->caller, 0, sizeof(req->caller));
        return PD_ERR_INVALID_TOKEN;
    }
    req->authenticated = true;
    return PD_OK;
}
