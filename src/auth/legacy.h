/*
 * legacy.h - DocuSign's pre-OAuth credentials: the X-DocuSign-Authentication
 * header (eSignature REST and SOAP) and the WS-Security UsernameToken of
 * SOAP (soap/), checked by the one password check (auth/password.c) with
 * the same throttling and lockout as the sign-in page.
 *
 * Header forms (facts §7):
 *   XML   <DocuSignCredentials><Username/><Password/><IntegratorKey/>
 *         [<SendOnBehalfOf/>]</DocuSignCredentials>, with or without a
 *         namespace or prefix, read by core/xmlsafe.c (no DOCTYPE, no
 *         entities, no network, bounded);
 *   JSON  {"Username":…, "Password":…, "IntegratorKey":…[, "SendOnBehalfOf":…]}.
 * Username is the email or the user id.  The integrator key must name a
 * known integration (else LEGACY_PARTNER, before any password work).
 * SendOnBehalfOf is accepted only when it names the authenticated user
 * itself: profiled has no send-on-behalf rights, so acting as someone
 * else is refused (LEGACY_SOBO) rather than silently ignored.
 *
 * Argon2id per request is slow on purpose, so a successful check is
 * remembered per worker thread for LIM_LEGACY_CACHE_TTL_S: keyed by a keyed
 * BLAKE2b of (username, password, integrator key) - a different password
 * can never hit - and valid only while the user's version is the one read
 * at the check and the user is Active (re-read on every hit with
 * get_versions, one indexed query).  Every write of the user row (a
 * password change by import, the lockout written by auth/password.c, a
 * status change) bumps the version, so those end the entry at once.
 *
 * Memory: legacy_creds is a fixed-size value; clear it with
 * legacy_creds_wipe (it holds a password).  The cache tables are per
 * thread, freed at thread exit.
 */
#ifndef PROFILED_AUTH_LEGACY_H
#define PROFILED_AUTH_LEGACY_H

#include <stdint.h>

#include "auth/token.h"
#include "core/limits.h"
#include "store/store.h"

#define LEGACY_HEADER "X-DocuSign-Authentication"

typedef struct {
    char username[LIM_EMAIL_MAX + 1];
    char password[LIM_PASSWORD_MAX + 1];
    char integrator_key[LIM_ID_MAX + 1];
    char on_behalf_of[LIM_EMAIL_MAX + 1];   /* "" when absent */
} legacy_creds;

typedef enum {
    LEGACY_OK = 0,
    LEGACY_MALFORMED,     /* the header cannot be read, or a member is missing/too long */
    LEGACY_PARTNER,       /* unknown integrator key                                   */
    LEGACY_LOGIN,         /* wrong password, unknown or inactive user                 */
    LEGACY_LOCKED,        /* the account is locked                                    */
    LEGACY_BLOCKED,       /* the address is blocked                                   */
    LEGACY_BUSY,          /* no Argon2id slot free: retry in a second                 */
    LEGACY_SOBO,          /* SendOnBehalfOf names another user                        */
    LEGACY_STORE
} legacy_result;

/* Parses a header value (either form).  0, or -1 with *out wiped. */
int legacy_parse(const char *value, legacy_creds *out);

/* Checks credentials: integrator key, then the password (auth/password.c,
 * client = integrator key), through the cache.  On LEGACY_OK *out holds
 * sub = user id, cid = integrator key, scope = "signature". */
legacy_result legacy_check(pd_store *s, const legacy_creds *c, const char *ip, int slots, int64_t now,
                           token_claims *out);

void legacy_creds_wipe(legacy_creds *c);

#endif
