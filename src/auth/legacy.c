/*
 * legacy.c - X-DocuSign-Authentication / UsernameToken credentials
 * (auth/legacy.h): parsing both header forms, the integrator-key check, the
 * one password check, and the per-thread cache of successful checks.
 *
 * Memory: parsed documents are freed before return; passwords are wiped
 * from stack copies; cache tables are per thread (thread_table.h) and hold
 * no password, only a keyed hash.
 */
#include "auth/legacy.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "auth/password.h"
#include "core/jsonutil.h"
#include "core/strutil.h"
#include "core/thread_table.h"
#include "core/xmlsafe.h"
#include "store/versions.h"

void legacy_creds_wipe(legacy_creds *c)
{
    sodium_memzero(c, sizeof(*c));
}

/* ---- parsing ------------------------------------------------------------ */

typedef enum { F_USER, F_PASS, F_KEY, F_SOBO, F_COUNT } field;
static const char *const names[F_COUNT] = { "Username", "Password", "IntegratorKey", "SendOnBehalfOf" };

static char *slot(legacy_creds *c, field f, size_t *cap)
{
    switch (f) {
    case F_USER: *cap = sizeof(c->username); return c->username;
    case F_PASS: *cap = sizeof(c->password); return c->password;
    case F_KEY:  *cap = sizeof(c->integrator_key); return c->integrator_key;
    default:     *cap = sizeof(c->on_behalf_of); return c->on_behalf_of;
    }
}

static int field_of(const char *name)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcasecmp(name, names[f]) == 0)
            return f;
    return -1;
}

/* Sets a member once; -1 when repeated or too long. */
static int put(legacy_creds *c, bool seen[F_COUNT], int f, const char *v)
{
    size_t cap;
    char *dst;

    if (f < 0)
        return 0;                               /* unknown members are ignored */
    if (seen[f])
        return -1;
    seen[f] = true;
    dst = slot(c, (field)f, &cap);
    return str_copy(dst, cap, v) == 0 ? 0 : -1;
}

static int parse_json(const char *v, legacy_creds *c, bool seen[F_COUNT])
{
    char err[64];
    json_t *o = json_decode_bounded(v, strlen(v), 2, err, sizeof(err)), *m;
    const char *k;
    int rc = -1;

    if (!json_is_object(o))
        goto out;
    json_object_foreach(o, k, m) {
        int f = field_of(k);
        if (f >= 0 && !json_is_string(m))
            goto out;
        if (put(c, seen, f, f >= 0 ? json_string_value(m) : NULL) != 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static int parse_xml(const char *v, legacy_creds *c, bool seen[F_COUNT])
{
    char err[96], buf[LIM_PASSWORD_MAX + 2];
    xmlDocPtr doc = xmlsafe_parse(v, strlen(v), 4, 64, err, sizeof(err));
    xmlNode *root, *el = NULL;
    int rc = -1;

    if (doc == NULL)
        return -1;
    root = xmlDocGetRootElement(doc);
    if (!xmlsafe_is(root, "*", "DocuSignCredentials"))
        goto out;
    while ((el = xmlsafe_next_element(root, el)) != NULL) {
        int f = field_of((const char *)el->name);
        if (f >= 0 && xmlsafe_next_element(el, NULL) != NULL)
            goto out;                           /* a member holds text only */
        if (put(c, seen, f, f >= 0 ? xmlsafe_text(el, buf, sizeof(buf)) : NULL) != 0)
            goto out;
    }
    rc = 0;
out:
    sodium_memzero(buf, sizeof(buf));
    xmlFreeDoc(doc);
    return rc;
}

int legacy_parse(const char *value, legacy_creds *out)
{
    bool seen[F_COUNT] = { false };
    int rc;

    memset(out, 0, sizeof(*out));
    if (value == NULL)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value == '{')
        rc = parse_json(value, out, seen);
    else if (*value == '<')
        rc = parse_xml(value, out, seen);
    else
        rc = -1;
    if (rc != 0 || out->username[0] == '\0' || out->password[0] == '\0' ||
        out->integrator_key[0] == '\0') {
        legacy_creds_wipe(out);
        return -1;
    }
    return 0;
}

/* ---- cache of successful checks ------------------------------------------ */

typedef struct {
    unsigned char key[32];          /* keyed BLAKE2b of username, password, integrator key */
    char user_id[LIM_ID_MAX + 1];
    char email[LIM_EMAIL_MAX + 1];
    int64_t version;                /* users.version read at the check */
    int64_t generation;             /* the tenant generation read before the check: a
                                       replaced tenant (control reset) may reuse a version */
    int64_t expires;                /* 0: empty */
} lc_entry;

static pthread_key_t lc_key;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;
static unsigned char lc_secret[crypto_generichash_KEYBYTES];

static void lc_free(void *p)
{
    if (p != NULL)
        sodium_memzero(p, LIM_LEGACY_CACHE_SLOTS * sizeof(lc_entry));
    free(p);
}

static void lc_init(void)
{
    randombytes_buf(lc_secret, sizeof(lc_secret));
    pthread_key_create(&lc_key, lc_free);
}

static void creds_key(const legacy_creds *c, unsigned char out[32])
{
    crypto_generichash_state st;
    char user[LIM_EMAIL_MAX + 1];

    str_copy(user, sizeof(user), c->username);
    str_lower(user);
    crypto_generichash_init(&st, lc_secret, sizeof(lc_secret), 32);
    crypto_generichash_update(&st, (const unsigned char *)user, strlen(user) + 1);
    crypto_generichash_update(&st, (const unsigned char *)c->password, strlen(c->password) + 1);
    crypto_generichash_update(&st, (const unsigned char *)c->integrator_key, strlen(c->integrator_key) + 1);
    crypto_generichash_final(&st, out, 32);
}

static lc_entry *lc_slot(const unsigned char key[32])
{
    lc_entry *t;
    uint64_t h;

    pthread_once(&lc_once, lc_init);
    t = thread_table_get(lc_key, LIM_LEGACY_CACHE_SLOTS * sizeof(lc_entry));
    if (t == NULL)
        return NULL;
    memcpy(&h, key, sizeof(h));
    return &t[h % LIM_LEGACY_CACHE_SLOTS];
}

/* ---- the check ------------------------------------------------------------ */

static bool sobo_ok(const legacy_creds *c, const char *user_id, const char *email)
{
    return c->on_behalf_of[0] == '\0' || strcasecmp(c->on_behalf_of, user_id) == 0 ||
           (email != NULL && strcasecmp(c->on_behalf_of, email) == 0);
}

static void fill(token_claims *out, const char *user_id, const legacy_creds *c, int64_t now)
{
    memset(out, 0, sizeof(*out));
    str_copy(out->sub, sizeof(out->sub), user_id);
    str_copy(out->cid, sizeof(out->cid), c->integrator_key);
    str_copy(out->scope, sizeof(out->scope), "signature");
    out->iat = now;
    out->exp = now + LIM_LEGACY_CACHE_TTL_S;
}

legacy_result legacy_check(pd_store *s, const legacy_creds *c, const char *ip, int slots, int64_t now,
                           token_claims *out)
{
    unsigned char key[32];
    lc_entry *e;
    pd_integration it = {0};
    pd_user u = {0};
    pd_err err;
    legacy_result res;

    memset(out, 0, sizeof(*out));
    creds_key(c, key);
    e = lc_slot(key);
    if (e != NULL && e->expires > now && sodium_memcmp(e->key, key, sizeof(key)) == 0) {
        int64_t va = -1, vb = -1, gen = 0;
        if (pd_store_versions(s, e->user_id, e->user_id, &va, &vb, &gen) != PD_OK)
            return LEGACY_STORE;
        if (va >= 0 && va == e->version && gen == e->generation) {
            if (!sobo_ok(c, e->user_id, e->email))
                return LEGACY_SOBO;
            fill(out, e->user_id, c, now);
            return LEGACY_OK;
        }
        e->expires = 0;                         /* the user changed: check again */
    }
    err = s->ops->get_integration(s, c->integrator_key, &it);
    pd_integration_clear(&it);
    if (err == PD_ERR_NOT_FOUND)
        return LEGACY_PARTNER;
    if (err != PD_OK)
        return LEGACY_STORE;
    int64_t gen0 = 0, xa, xb;
    if (pd_store_versions(s, "", "", &xa, &xb, &gen0) != PD_OK)
        return LEGACY_STORE;
    pw_request pr = {
        .login = c->username, .password = c->password, .client = c->integrator_key, .ip = ip,
        .slots = slots, .record_success = false, .now = now,
    };
    switch (pw_check(s, &pr, &u)) {
    case PW_OK:      break;
    case PW_BAD:     return LEGACY_LOGIN;
    case PW_LOCKED:  return LEGACY_LOCKED;
    case PW_ADDR_BLOCKED: return LEGACY_BLOCKED;
    case PW_BUSY:    return LEGACY_BUSY;
    default:         return LEGACY_STORE;
    }
    if (!sobo_ok(c, u.id, u.email)) {
        res = LEGACY_SOBO;
    } else {
        fill(out, u.id, c, now);
        res = LEGACY_OK;
        if (e != NULL && str_copy(e->user_id, sizeof(e->user_id), u.id) == 0 &&
            str_copy(e->email, sizeof(e->email), u.email ? u.email : "") == 0) {
            memcpy(e->key, key, sizeof(key));
            e->version = u.version;
            e->generation = gen0;
            e->expires = now + LIM_LEGACY_CACHE_TTL_S;
        } else if (e != NULL) {
            e->expires = 0;
        }
    }
    pd_user_clear(&u);
    return res;
}
