/*
 * profile.c - GetUserProfile and SetUserProfile (seed 003, facts §7) over
 * the same data as REST: the stored userProfile document
 * (model/profile.c renders, validates and merges it), the store, and the
 * one access policy (auth/policy.c: self, or an admin of the account).
 *
 * Mapping (facts §7): ShowDocuSignID <-> displayProfile,
 * DisplayCompanyAndTitle <-> displayOrganizationInfo, DisplayAddressAndPhone
 * <-> displayPersonalInfo, DisplayUsageHistory <-> displayUsageHistory,
 * Company <-> companyName, Title <-> title, Address/{Address1, Address2,
 * City, State=stateOrProvince, Zip=postalCode, Phone, Fax, Country} <->
 * address, AuthenticationHistory <- authenticationMethods, UsageHistory <-
 * usageHistory (both read-only).  UserProfile children are written in the
 * schema's order; the four booleans always; counts as xsd:int; dates as
 * xsd:dateTime with a zone.
 *
 * SetUserProfile writes through the same read-merge-write as REST PUT
 * (model/profile_write.c, on the write lane); the write bumps the user's
 * version, which tags the REST response cache, so REST sees the change on
 * its next read.  Successful
 * GetUserProfile answers go into the same ready-response cache, keyed by
 * version, AccountId as given, caller and target, and tagged like REST's.
 *
 * Memory: JSON documents, store structs and the patch are released before
 * return; text goes into the caller's xo_buf.
 */
#include "soap/soap.h"
#include "model/profile_write.h"
#include "http/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "auth/policy.h"
#include "core/strutil.h"
#include "core/xmlsafe.h"
#include "model/profile.h"
#include "store/versions.h"

#define TEXT_MAX (LIM_STRING_FIELD_MAX * 4 + 8)   /* bytes of one text value we read */

typedef struct {
    pd_account account;
    pd_membership target;
    char user_id[LIM_ID_MAX + 1];
    char acc_ref[LIM_ID_MAX + 1];   /* AccountId as given (GUIDs lower-cased) */
    rc_tags tags;                   /* read before any other data */
} loaded;

static void loaded_clear(loaded *l)
{
    pd_account_clear(&l->account);
    pd_membership_clear(&l->target);
}

/* The REST prelude's checks for SOAP, part 1: ids, then one query for the
 * cache tags that also refuses a caller who is no longer Active (read
 * before any other data, as http/resp_cache.h requires). */
static pd_err load_check(soap_ctx *c, const char *acc_in, const char *user_in, loaded *l)
{
    memset(l, 0, sizeof(*l));
    if (acc_in == NULL || str_copy(l->acc_ref, sizeof(l->acc_ref), acc_in) != 0 || !str_account_ref(l->acc_ref))
        return PD_ERR_INVALID_ACCOUNT_ID;
    if (user_in == NULL || user_in[0] == '\0')
        user_in = c->caller;                    /* no UserId: one's own profile */
    if (str_copy(l->user_id, sizeof(l->user_id), user_in) != 0 || !str_is_guid(l->user_id))
        return PD_ERR_INVALID_USERID;
    str_lower(l->user_id);
    if (pd_store_versions(c->store, c->caller, l->user_id, &l->tags.v_caller, &l->tags.v_target,
                          &l->tags.generation) != PD_OK)
        return PD_ERR_STORE;
    return l->tags.v_caller < 0 ? PD_ERR_INVALID_TOKEN : PD_OK;
}

/* Part 2: the account, the caller's membership, the policy, the target's
 * membership. */
static pd_err load_rest(soap_ctx *c, policy_action act, loaded *l)
{
    pd_membership caller = {0};
    policy_facts f = {0};
    pd_err e;

    e = c->store->ops->get_account(c->store, l->acc_ref, &l->account);
    if (e == PD_ERR_NOT_FOUND)
        return PD_ERR_USER_NOT_IN_ACCOUNT;
    if (e != PD_OK)
        return PD_ERR_STORE;
    f.target_is_self = strcmp(c->caller, l->user_id) == 0;
    e = c->store->ops->get_membership(c->store, l->account.id, c->caller, &caller);
    if (e == PD_OK) {
        f.caller_is_member = true;
        f.caller_is_admin = caller.is_admin;
    } else if (e != PD_ERR_NOT_FOUND) {
        return PD_ERR_STORE;
    }
    pd_membership_clear(&caller);
    e = policy_check(act, &f);
    if (e != PD_OK)
        return e;
    e = c->store->ops->get_membership(c->store, l->account.id, l->user_id, &l->target);
    if (e == PD_ERR_NOT_FOUND)
        return PD_ERR_USER_NOT_FOUND;
    return e == PD_OK ? PD_OK : PD_ERR_STORE;
}

static pd_err load(soap_ctx *c, const char *acc_in, const char *user_in, policy_action act, loaded *l)
{
    pd_err e = load_check(c, acc_in, user_in, l);

    return e != PD_OK ? e : load_rest(c, act, l);
}

static void error_result(xo_buf *out, pd_err e, const char *msg)
{
    soap_result_error(out, soap_code_of(e), msg ? msg : pd_err_describe(e)->message);
}

/* ---- rendering -------------------------------------------------------- */

static const char *str_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *flag(const json_t *o, const char *k)
{
    const char *s = str_of(o, k);
    return s != NULL && strcmp(s, "true") == 0 ? "true" : "false";
}

static long long count_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    int64_t n = 0;

    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_string(v) && str_to_i64(json_string_value(v), 0, INT32_MAX, &n) == 0)
        return (long long)n;
    return 0;
}

/* An xsd:dateTime with a zone: stored dates already end in Z. */
static void date_elem(xo_buf *b, const char *name, const char *d)
{
    size_t n = strlen(d);
    bool zoned = n > 0 && (d[n - 1] == 'Z' || (n > 6 && (d[n - 6] == '+' || d[n - 6] == '-') && d[n - 3] == ':'));

    xo_fmt(b, "<%s>", name);
    xo_text(b, d);
    if (!zoned)
        xo_raw(b, "Z");
    xo_fmt(b, "</%s>", name);
}

static void opt_elem(xo_buf *b, const char *name, const char *v)
{
    if (v != NULL)
        xo_elem(b, name, v);
}

static const char *const AUTH_TYPES[] = { "PhoneAuth", "STAN", "IDCheck", "OFAC", "AccessCode", "AgeVerify",
                                          "SSOAuth" };

static bool soap_auth_type(const char *t)
{
    for (size_t i = 0; t && i < sizeof(AUTH_TYPES) / sizeof(AUTH_TYPES[0]); i++)
        if (strcmp(t, AUTH_TYPES[i]) == 0)
            return true;
    return false;
}

static void render(xo_buf *b, const json_t *p, const char *account_id, const char *user_id)
{
    const json_t *a = json_object_get(p, "address"), *am = json_object_get(p, "authenticationMethods");
    const json_t *u = json_object_get(p, "usageHistory"), *v;
    size_t i;

    xo_raw(b, "<UserProfile>");
    xo_elem(b, "AccountId", account_id);
    xo_elem(b, "UserId", user_id);
    xo_elem(b, "ShowDocuSignID", flag(p, "displayProfile"));
    xo_elem(b, "DisplayCompanyAndTitle", flag(p, "displayOrganizationInfo"));
    xo_elem(b, "DisplayAddressAndPhone", flag(p, "displayPersonalInfo"));
    xo_elem(b, "DisplayUsageHistory", flag(p, "displayUsageHistory"));
    opt_elem(b, "Company", str_of(p, "companyName"));
    opt_elem(b, "Title", str_of(p, "title"));
    if (json_is_object(a)) {
        xo_raw(b, "<Address>");
        opt_elem(b, "Address1", str_of(a, "address1"));
        opt_elem(b, "Address2", str_of(a, "address2"));
        opt_elem(b, "City", str_of(a, "city"));
        opt_elem(b, "State", str_of(a, "stateOrProvince"));
        opt_elem(b, "Zip", str_of(a, "postalCode"));
        opt_elem(b, "Phone", str_of(a, "phone"));
        opt_elem(b, "Fax", str_of(a, "fax"));
        opt_elem(b, "Country", str_of(a, "country"));
        xo_raw(b, "</Address>");
    }
    if (json_is_array(am)) {
        xo_raw(b, "<AuthenticationHistory>");
        json_array_foreach(am, i, v) {
            const char *t = str_of(v, "authenticationType"), *ts = str_of(v, "lastTimestamp");
            if (!soap_auth_type(t) || ts == NULL)
                continue;                       /* Type and LastTimestamp are required */
            xo_fmt(b, "<AuthenticationMethod Type=\"%s\"><TotalCount>%lld</TotalCount>", t,
                   count_of(v, "totalCount"));
            date_elem(b, "LastTimestamp", ts);
            opt_elem(b, "LastProvider", str_of(v, "lastProvider"));
            xo_raw(b, "</AuthenticationMethod>");
        }
        xo_raw(b, "</AuthenticationHistory>");
    }
    if (json_is_object(u)) {
        const char *ls = str_of(u, "lastSignedDateTime"), *lt = str_of(u, "lastSentDateTime");
        xo_fmt(b, "<UsageHistory><SignedCount>%lld</SignedCount>", count_of(u, "signedCount"));
        if (ls != NULL)
            date_elem(b, "LastSignedTimestamp", ls);
        xo_fmt(b, "<SentCount>%lld</SentCount>", count_of(u, "sentCount"));
        if (lt != NULL)
            date_elem(b, "LastSentTimestamp", lt);
        xo_raw(b, "</UsageHistory>");
    }
    xo_raw(b, "</UserProfile>");
}

static const char *child_text(const xmlNode *el, const char *name, char *buf, size_t cap)
{
    xmlNode *c = el ? soap_child(el, name) : NULL;
    return c ? xmlsafe_text(c, buf, cap) : NULL;
}

void soap_get_user_profile(soap_ctx *c, xo_buf *out)
{
    char ub[LIM_ID_MAX * 2], ab[LIM_ID_MAX * 2];
    const char *uid = child_text(c->msg->op, "UserId", ub, sizeof(ub));
    const char *acc = child_text(c->msg->op, "AccountId", ab, sizeof(ab));
    pd_user user = {0};
    json_t *doc = NULL;
    loaded l;
    pd_err e;

    e = load_check(c, acc, uid, &l);
    if (e == PD_OK && l.tags.v_target >= 0 &&
        snprintf(c->cache_key, sizeof(c->cache_key), "soap-profile|%d|%s|%s|%s", (int)c->msg->v, l.acc_ref,
                 c->caller, l.user_id) < (int)sizeof(c->cache_key)) {
        c->hit = rc_get(c->cache_key, &l.tags, NULL);
        if (c->hit != NULL)
            goto done;
        c->cacheable = true;
        c->tags = l.tags;
    }
    if (e == PD_OK)
        e = load_rest(c, ACT_PROFILE_READ, &l);
    if (e == PD_OK) {
        e = c->store->ops->get_user(c->store, l.user_id, &user);
        if (e == PD_ERR_NOT_FOUND)
            e = PD_ERR_USER_NOT_FOUND;
    }
    if (e != PD_OK) {
        c->cacheable = false;                   /* only successful answers are kept */
        error_result(out, e, NULL);
        goto done;
    }
    profile_view v = { .user = &user, .account = &l.account, .membership = &l.target,
                       .base_path = "/restapi/v2", .api = PROFILE_API_V2 };
    doc = profile_render(&v);
    if (doc == NULL) {
        c->cacheable = false;
        error_result(out, PD_ERR_INTERNAL, "The stored profile could not be read.");
        goto done;
    }
    render(out, doc, l.account.id, user.id);
    xo_raw(out, "<Success>true</Success>");
done:
    json_decref(doc);
    pd_user_clear(&user);
    loaded_clear(&l);
}

/* ---- SetUserProfile ----------------------------------------------------- */

/* xsd:boolean (white space collapsed) -> "true"/"false"; NULL otherwise. */
static const char *xsd_bool(const char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    n = strcspn(s, " \t\r\n");
    if (s[n + strspn(s + n, " \t\r\n")] != '\0')
        return NULL;
    if ((n == 4 && strncmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1'))
        return "true";
    if ((n == 5 && strncmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0'))
        return "false";
    return NULL;
}

/* The REST patch a SOAP UserProfile stands for; NULL with msg on error. */
static json_t *patch_of(const xmlNode *up, char *msg, size_t cap)
{
    static const struct { const char *soap, *rest; } flags[] = {
        { "ShowDocuSignID", "displayProfile" }, { "DisplayCompanyAndTitle", "displayOrganizationInfo" },
        { "DisplayAddressAndPhone", "displayPersonalInfo" }, { "DisplayUsageHistory", "displayUsageHistory" },
    };
    static const struct { const char *soap, *rest; } addr[] = {
        { "Address1", "address1" }, { "Address2", "address2" }, { "City", "city" },
        { "State", "stateOrProvince" }, { "Zip", "postalCode" }, { "Phone", "phone" }, { "Fax", "fax" },
        { "Country", "country" },
    };
    char buf[TEXT_MAX];
    json_t *p = json_object(), *a;
    const char *t;
    xmlNode *ad;

    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if ((t = child_text(up, flags[i].soap, buf, sizeof(buf))) == NULL)
            continue;
        const char *b = xsd_bool(t);
        if (b == NULL) {
            snprintf(msg, cap, "%s: not a boolean (true, false, 1 or 0).", flags[i].soap);
            json_decref(p);
            return NULL;
        }
        json_object_set_new(p, flags[i].rest, json_string(b));
    }
    if ((t = child_text(up, "Company", buf, sizeof(buf))) != NULL)
        json_object_set_new(p, "companyName", json_string(t));
    if ((t = child_text(up, "Title", buf, sizeof(buf))) != NULL)
        json_object_set_new(p, "title", json_string(t));
    if ((ad = soap_child(up, "Address")) != NULL) {
        a = json_object();
        json_object_set_new(p, "address", a);
        for (size_t i = 0; a != NULL && i < sizeof(addr) / sizeof(addr[0]); i++)
            if ((t = child_text(ad, addr[i].soap, buf, sizeof(buf))) != NULL)
                json_object_set_new(a, addr[i].rest, json_string(t));
    }
    return p;
}

/* A stable MembershipId for (account, user): BLAKE2b shaped as a GUID. */
static void membership_id(const char *account_id, const char *user_id, char out[37])
{
    unsigned char h[16];
    crypto_generichash_state st;
    char hex[33];

    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)account_id, strlen(account_id) + 1);
    crypto_generichash_update(&st, (const unsigned char *)user_id, strlen(user_id));
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void soap_set_user_profile(soap_ctx *c, xo_buf *out)
{
    char ub[LIM_ID_MAX * 2], ab[LIM_ID_MAX * 2], msg[256], mid[37];
    const xmlNode *up = soap_child(c->msg->op, "UserProfile");
    json_t *patch = NULL;
    profile_write_out w;
    pd_errbuf eb;
    loaded l;
    pd_err e;

    memset(&l, 0, sizeof(l));
    if (up == NULL) {
        error_result(out, PD_ERR_INVALID_BODY, "SetUserProfile needs a UserProfile.");
        goto done;
    }
    e = load(c, child_text(up, "AccountId", ab, sizeof(ab)), child_text(up, "UserId", ub, sizeof(ub)),
             ACT_PROFILE_WRITE, &l);
    if (e != PD_OK) {
        error_result(out, e, NULL);
        goto done;
    }
    patch = patch_of(up, msg, sizeof(msg));
    if (patch == NULL) {
        error_result(out, PD_ERR_INVALID_BODY, msg);
        goto done;
    }
    pd_errbuf_init(&eb);
    if (profile_validate_update(patch, PROFILE_API_V2, &eb) != PD_OK) {
        error_result(out, PD_ERR_INVALID_BODY, eb.text);
        goto done;
    }
    e = profile_write(c->store, l.user_id, patch, &w);
    if (e != PD_OK) {
        error_result(out, e == PD_ERR_NOT_FOUND ? PD_ERR_USER_NOT_FOUND : e, w.reason);
        goto done;
    }
    membership_id(l.account.id, l.user_id, mid);
    xo_elem(out, "MembershipId", mid);
    xo_raw(out, "<Success>true</Success>");
    req_audit(c->srv, c->req, "profile.update", l.account.id, l.user_id);
done:
    json_decref(patch);
    loaded_clear(&l);
}
