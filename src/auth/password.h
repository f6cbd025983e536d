/*
 * password.h - the ONE password check of profiled.  The OAuth sign-in page,
 * the legacy X-DocuSign-Authentication header (eSignature REST and SOAP)
 * and WS-Security UsernameToken all verify a user's password here, with
 * the same rules (docs/oauth.md "Sign-in, throttling"):
 *
 *   1. a verification slot first: at most pw_slots() Argon2id verifications
 *      run at a time in the whole process; none free -> PW_BUSY (the
 *      caller answers 503 with Retry-After), and nothing is counted;
 *   2. one attempt is taken atomically against the address key
 *      ("ip:<addr>", LIM_OAUTH_IP_FAILS_MAX) and then against the account
 *      key ("email:<lower-cased email>", LIM_OAUTH_LOGIN_FAILS_MAX) before
 *      the password is looked at, so parallel guesses get no extra tries;
 *      a locked key refuses at once (PW_ADDR_BLOCKED, PW_LOCKED);
 *   3. exactly one Argon2id verification, against a dummy hash when the
 *      account is unknown or has no password, so unknown accounts cost the
 *      same and lock the same way (no account oracle);
 *   4. a failure is logged (auth/seclog.h) with its reason; the attempt
 *      that locks the account also writes loginStatus=password_locked into
 *      the profile (the user's version moves, so caches drop);
 *      a success resets the account key, gives the address attempt back,
 *      and is logged (login_ok).
 *
 * The login is an email (any case) or a user id (GUID).  Only Active users
 * pass.  Passwords are never logged or copied.
 *
 * Memory: pw_check fills *out (release with pd_user_clear) on PW_OK only.
 */
#ifndef PROFILED_AUTH_PASSWORD_H
#define PROFILED_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef enum {
    PW_OK = 0,           /* verified: *out is the user                          */
    PW_BAD,              /* wrong password, unknown or inactive user, no password */
    PW_LOCKED,           /* the account is locked (too many failures)           */
    PW_ADDR_BLOCKED,     /* the address is blocked (too many failures)          */
    PW_BUSY,             /* no verification slot free: retry in a second        */
    PW_STORE             /* the store failed                                    */
} pw_result;

typedef struct {
    const char *login;        /* email or user id                               */
    const char *password;
    const char *client;       /* integration key, for the log (may be NULL)     */
    const char *ip;           /* client address: throttle key and log           */
    int slots;                /* pw_slots(threads) of the server                */
    bool record_success;      /* the sign-in page: lastLogin moves, an SSOAuth
                                 authentication is counted, loginStatus active  */
    int64_t now;              /* Unix seconds                                   */
} pw_request;

pw_result pw_check(pd_store *s, const pw_request *r, pd_user *out);

/* Concurrent Argon2id verifications allowed for a server with `threads`
 * workers (0: one per core): max(1, threads / LIM_OAUTH_PWHASH_THREADS_DIV). */
int pw_slots(long threads);
/* Takes a verification slot when fewer than max are taken; never waits.
 * Every true is paired with pw_slot_release(). */
bool pw_slot_acquire(int max);
void pw_slot_release(void);

/* crypto_pwhash_str_verify with the bounds checks; true on a match.  A NULL
 * or empty hash is verified against the dummy hash (same cost) and fails. */
bool pw_verify(const char *hash, const char *password);
/* An Argon2id hash of a random password, computed once per process. */
const char *pw_dummy_hash(void);

#endif
