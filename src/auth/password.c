/*
 * password.c - the one password check (auth/password.h): verification
 * slots, throttling per account and per address, Argon2id, lockout, the
 * security log, and what a sign-in writes into the profile.
 *
 * Memory: the dummy hash is a process-wide static computed once
 * (pthread_once); the slot counter is a process-wide atomic; store structs
 * and JSON documents are released before return, except *out on PW_OK.
 */
#include "auth/password.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/seclog.h"
#include "core/json_fastload.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strutil.h"

#define LOGIN_PROVIDER  "profiled"
#define LOGIN_AUTH_TYPE "SSOAuth"

/* ---- slots ------------------------------------------------------------- */

static atomic_int busy;
static atomic_long ncpu_cached;

int pw_slots(long threads)
{
    if (threads <= 0) {                  /* as http/server.c: one worker per core */
        threads = atomic_load(&ncpu_cached);
        if (threads <= 0) {
            threads = sysconf(_SC_NPROCESSORS_ONLN);
            if (threads <= 0)
                threads = 1;
            atomic_store(&ncpu_cached, threads);
        }
    }
    threads /= LIM_OAUTH_PWHASH_THREADS_DIV;
    return threads < 1 ? 1 : threads > 1024 ? 1024 : (int)threads;
}

bool pw_slot_acquire(int max)
{
    if (atomic_fetch_add(&busy, 1) < max)
        return true;
    atomic_fetch_sub(&busy, 1);
    return false;
}

void pw_slot_release(void)
{
    atomic_fetch_sub(&busy, 1);
}

/* ---- Argon2id ------------------------------------------------------------ */

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy(void)
{
    unsigned char raw[24];
    char pw[2 * sizeof(raw) + 1];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(raw, sizeof(raw));
}

const char *pw_dummy_hash(void)
{
    pthread_once(&dummy_once, make_dummy);
    return dummy_hash;
}

bool pw_verify(const char *hash, const char *password)
{
    size_t pl = password ? strlen(password) : 0;
    bool real = hash != NULL && hash[0] != '\0' && strlen(hash) < crypto_pwhash_STRBYTES;
    const char *h = real ? hash : pw_dummy_hash();

    if (password == NULL || pl > LIM_PASSWORD_MAX) {
        password = "";
        pl = 0;
    }
    if (h[0] == '\0')
        return false;
    return crypto_pwhash_str_verify(h, password, pl) == 0 && real && pl > 0;
}

/* ---- what a sign-in writes into the profile ------------------------------ */

/* The stored doc after a sign-in attempt: loginStatus, and on success one
 * more SSOAuth authentication (totalCount, lastTimestamp, lastProvider). */
static char *login_doc(const char *profile_json, const char *now_iso, bool success, bool locked)
{
    json_t *doc = json_load_str(profile_json ? profile_json : "{}", 0, NULL);
    json_t *ud, *arr, *entry = NULL, *v;
    char *out = NULL;
    size_t i;

    if (!json_is_object(doc))
        goto out;
    ud = json_object_get(doc, "userDetails");
    if (!json_is_object(ud)) {
        ud = json_object();
        if (ud == NULL || json_object_set_new(doc, "userDetails", ud) != 0)
            goto out;
    }
    json_object_set_new(ud, "loginStatus", json_string(locked ? "password_locked" : "password_active"));
    if (success) {
        arr = json_object_get(doc, "authenticationMethods");
        if (!json_is_array(arr)) {
            arr = json_array();
            if (arr == NULL || json_object_set_new(doc, "authenticationMethods", arr) != 0)
                goto out;
        }
        json_array_foreach(arr, i, v) {
            json_t *t = json_object_get(v, "authenticationType");
            if (json_is_string(t) && strcmp(json_string_value(t), LOGIN_AUTH_TYPE) == 0)
                entry = v;
        }
        if (entry == NULL) {
            if (json_array_size(arr) >= LIM_SETTINGS_MAX)
                goto dump;
            entry = json_pack("{s:s}", "authenticationType", LOGIN_AUTH_TYPE);
            if (entry == NULL || json_array_append_new(arr, entry) != 0)
                goto out;
        }
        json_int_t n = 0;
        v = json_object_get(entry, "totalCount");
        if (json_is_integer(v))
            n = json_integer_value(v);
        else if (json_is_string(v)) {
            int64_t parsed;
            if (str_to_i64(json_string_value(v), 0, INT64_MAX / 2, &parsed) == 0)
                n = (json_int_t)parsed;
        }
        json_object_set_new(entry, "totalCount", json_integer(n + 1));
        json_object_set_new(entry, "lastTimestamp", json_string(now_iso));
        json_object_set_new(entry, "lastProvider", json_string(LOGIN_PROVIDER));
    }
dump:
    out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
    json_decref(doc);
    return out;
}

/* Writes a sign-in into the user's row: the profile doc is re-read and
 * modified inside one write transaction, so a profile edit committed while
 * the password was being checked is kept. */
static void record(pd_store *s, const char *user_id, bool success, bool locked)
{
    char now[40];
    char *doc = NULL;
    pd_user u = {0};
    pd_err e;

    time_now_iso(now, sizeof(now));
    e = s->ops->begin(s);
    if (e == PD_OK)
        e = s->ops->get_user(s, user_id, &u);
    if (e == PD_OK) {
        doc = login_doc(u.profile_json, now, success, locked);
        e = s->ops->record_login(s, user_id, success ? now : NULL, doc);
    }
    if (e == PD_OK)
        e = s->ops->commit(s);
    if (e != PD_OK) {
        s->ops->rollback(s);
        log_msg(LOG_ERROR, "security", "cannot record the sign-in of %s", user_id);
    }
    free(doc);
    pd_user_clear(&u);
}

/* ---- the check ------------------------------------------------------------ */

/* Takes one attempt against key before the password is checked (atomic in
 * the store).  0 counted (*just_locked: this attempt set the lock), 1
 * refused (locked before this attempt), -1 store failure. */
static int take_attempt(pd_store *s, const char *key, int64_t now, int64_t max, bool *just_locked)
{
    pd_throttle t = {0};
    bool refused = false;

    *just_locked = false;
    if (s->ops->throttle_attempt(s, key, now, LIM_OAUTH_FAIL_WINDOW_S, max, LIM_OAUTH_LOCK_S,
                                 &t, &refused) != PD_OK)
        return -1;
    if (refused)
        return 1;
    *just_locked = t.locked_until > now;
    return 0;
}

/* The user named by login (email or user id); false when there is none. */
static bool find_user(pd_store *s, const char *login, pd_user *u)
{
    char buf[LIM_EMAIL_MAX + 1];

    if (str_copy(buf, sizeof(buf), login) != 0)
        return false;
    str_lower(buf);
    if (str_is_guid(buf))
        return s->ops->get_user(s, buf, u) == PD_OK;
    return s->ops->get_user_by_email(s, buf, u) == PD_OK;
}

pw_result pw_check(pd_store *s, const pw_request *r, pd_user *out)
{
    char acct_key[LIM_EMAIL_MAX + 16], ip_key[96], login[LIM_EMAIL_MAX + 1];
    pd_user u = {0};
    bool have_user, ip_locked, acct_locked, ok;
    pw_result res;
    int k;

    memset(out, 0, sizeof(*out));
    if (r->login == NULL || r->login[0] == '\0' || str_copy(login, sizeof(login), r->login) != 0) {
        seclog(LOG_WARN, "login_failed", NULL, r->client, r->ip, "bad_request");
        return PW_BAD;
    }
    str_lower(login);
    snprintf(ip_key, sizeof(ip_key), "ip:%s", r->ip ? r->ip : "-");
    /* a verification slot first: a busy answer counts nothing */
    if (!pw_slot_acquire(r->slots))
        return PW_BUSY;
    k = take_attempt(s, ip_key, r->now, LIM_OAUTH_IP_FAILS_MAX, &ip_locked);
    if (k != 0) {
        res = k < 0 ? PW_STORE : PW_ADDR_BLOCKED;
        if (k > 0)
            seclog(LOG_WARN, "login_failed", NULL, r->client, r->ip, "address_blocked");
        goto out;
    }
    have_user = find_user(s, login, &u);
    /* the account key is the account's email, whichever way it was named */
    snprintf(acct_key, sizeof(acct_key), "email:%s", have_user && u.email ? u.email : login);
    k = take_attempt(s, acct_key, r->now, LIM_OAUTH_LOGIN_FAILS_MAX, &acct_locked);
    if (k != 0) {
        s->ops->throttle_refund(s, ip_key, LIM_OAUTH_IP_FAILS_MAX);   /* no check was made */
        res = k < 0 ? PW_STORE : PW_LOCKED;
        if (k > 0)
            seclog(LOG_WARN, "login_failed", have_user ? u.id : NULL, r->client, r->ip, "locked");
        goto out;
    }
    /* always one Argon2id verification: unknown accounts cost the same */
    ok = pw_verify(have_user ? u.password_hash : NULL, r->password);
    pw_slot_release();
    if (!ok || !have_user || u.status == NULL || strcmp(u.status, "Active") != 0) {
        seclog(LOG_WARN, "login_failed", have_user ? u.id : NULL, r->client, r->ip,
               !have_user ? "unknown_user" : !ok ? (u.password_hash ? "bad_password" : "no_password")
                                           : "inactive");
        if (ip_locked)
            seclog(LOG_WARN, "address_blocked", NULL, r->client, r->ip, "too_many_failures");
        if (acct_locked) {
            seclog(LOG_WARN, "account_locked", have_user ? u.id : NULL, r->client, r->ip,
                   "too_many_failures");
            if (have_user)
                record(s, u.id, false, true);
        }
        pd_user_clear(&u);
        return PW_BAD;
    }
    pd_throttle zero = {0};
    s->ops->put_throttle(s, acct_key, &zero);
    s->ops->throttle_refund(s, ip_key, LIM_OAUTH_IP_FAILS_MAX);
    if (r->record_success)
        record(s, u.id, true, false);
    seclog(LOG_INFO, "login_ok", u.id, r->client, r->ip, NULL);
    *out = u;                                   /* moves ownership */
    return PW_OK;
out:
    pw_slot_release();
    pd_user_clear(&u);
    return res;
}
