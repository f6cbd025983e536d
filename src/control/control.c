/*
 * control.c - the control surface's state and its server hooks: whether it
 * is on, the hash of the operator secret, the constant-time check of what
 * a caller presents, the fault rules' before-hook (answer in the shape of
 * the surface the path belongs to, add latency, drop) and the journal's
 * after-hook.  Requests to the control surface itself are neither faulted
 * nor journaled.
 *
 * Memory: the state is static; the secret is kept only as its BLAKE2b hash.
 */
#include "control/internal.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/strutil.h"
#include "control/faults.h"
#include "control/journal.h"

control_state control_st;

static void secret_hash(const char *s, size_t len, unsigned char out[crypto_generichash_BYTES])
{
    static const unsigned char key[] = "profiled control secret";

    crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)s, len, key, sizeof(key) - 1);
}

/* Both sides hashed first: the comparison takes the same time whatever the
 * length or the first wrong byte of what was presented. */
static bool secret_ok(const char *given, size_t len)
{
    unsigned char h[crypto_generichash_BYTES];

    secret_hash(given, len, h);
    return sodium_memcmp(h, control_st.hash, sizeof(h)) == 0;
}

/* The password of an "Authorization: Basic" header, decoded into out. */
static bool basic_password(const char *hdr, char *out, size_t cap)
{
    unsigned char raw[LIM_CONTROL_TOKEN_MAX + 128];
    size_t len = 0;
    const char *colon;

    if (hdr == NULL || strncasecmp(hdr, "Basic ", 6) != 0)
        return false;
    hdr += 6;
    while (*hdr == ' ')
        hdr++;
    if (sodium_base642bin(raw, sizeof(raw) - 1, hdr, strlen(hdr), " ", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    raw[len] = '\0';
    colon = memchr(raw, ':', len);
    if (colon == NULL || strlen(colon + 1) >= cap)
        return false;
    str_copy(out, cap, colon + 1);
    return true;
}

bool control_authorized(const pd_request *r, bool allow_basic)
{
    const char *h = req_header(r, "X-Profiled-Control-Token");
    char pw[LIM_CONTROL_TOKEN_MAX + 64];
    bool ok = false;

    if (!control_st.on)
        return false;
    if (h != NULL)
        return secret_ok(h, strlen(h));
    if (allow_basic && basic_password(req_header(r, MHD_HTTP_HEADER_AUTHORIZATION), pw, sizeof(pw))) {
        ok = secret_ok(pw, strlen(pw));
        sodium_memzero(pw, sizeof(pw));
    }
    return ok;
}

pd_err control_admit(const pd_request *r)
{
    if (!control_st.on)
        return PD_ERR_NOT_FOUND;
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        return PD_OK;
    return control_authorized(r, false) ? PD_OK : PD_ERR_CONTROL_DENIED;
}

/* The headers DocuSign sends with a rate-limit error (facts §5): an hourly
 * limit of 3,000 that resets on the hour, a burst limit of 500 per 30 s. */
static void rate_limit_headers(pd_request *r, pd_err e)
{
    char reset[24];
    time_t now = time(NULL);

    snprintf(reset, sizeof(reset), "%lld", (long long)(now - now % 3600 + 3600));
    resp_header(r, "X-RateLimit-Limit", "3000");
    resp_header(r, "X-RateLimit-Remaining", e == PD_ERR_HOURLY_LIMIT ? "0" : "2500");
    resp_header(r, "X-RateLimit-Reset", reset);
    resp_header(r, "X-BurstLimit-Limit", "500");
    resp_header(r, "X-BurstLimit-Remaining", e == PD_ERR_BURST_LIMIT ? "0" : "500");
}

static pd_hook_verdict fault_before(void *ctx, pd_server *srv, pd_request *r)
{
    fault_rule f;

    (void)ctx;
    (void)srv;
    if (r->api == &control_api || !faults_match(r, &f))
        return HOOK_CONTINUE;
    r->hook_mark = f.id;
    if (f.latency_ms > 0) {
        struct timespec ts = { f.latency_ms / 1000, (long)(f.latency_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    log_msg(LOG_INFO, "control", "fault rule %d injected on %s %s: %s (trace %s)", f.id, r->method,
            r->route ? r->route->name : "-",
            f.drop ? "connection dropped" : f.error != PD_OK ? pd_err_describe(f.error)->code : "latency only",
            r->trace);
    if (f.drop)
        return HOOK_DROP;
    if (f.error == PD_OK)
        return HOOK_CONTINUE;
    if (r->api != NULL && r->api->error != NULL)
        r->api->error(r, f.error, f.message[0] ? f.message : NULL);
    else
        resp_error(r, f.error, f.message[0] ? f.message : NULL);
    if (f.status != 0)
        r->resp.status = f.status;
    if (f.error == PD_ERR_HOURLY_LIMIT || f.error == PD_ERR_BURST_LIMIT)
        rate_limit_headers(r, f.error);
    return HOOK_ANSWERED;
}

static void journal_after(void *ctx, const pd_request *r, uint64_t dur_ns)
{
    (void)ctx;
    if (r->api != &control_api)
        journal_add(r, dur_ns);
}

static const pd_hook control_hook = { "control", fault_before, journal_after, NULL };

int control_enable(pd_server *srv, const char *secret, size_t journal_max,
                   const char *demo_file, const control_tenant_io *io)
{
    if (journal_init(journal_max) != 0) {
        log_msg(LOG_ERROR, "control", "cannot allocate a journal of %zu requests", journal_max);
        return -1;
    }
    secret_hash(secret, strlen(secret), control_st.hash);
    control_st.io = io;
    control_st.demo_file = demo_file;
    control_st.on = true;
    if (server_add_hook(srv, &control_hook) != 0) {
        control_st.on = false;
        log_msg(LOG_ERROR, "control", "no free server hook slot");
        return -1;
    }
    log_msg(LOG_INFO, "control", "test-control API on under /_profiled/ (journal of %zu requests)", journal_max);
    return 0;
}
