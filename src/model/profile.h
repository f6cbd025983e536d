/*
 * profile.h - the userProfile document: validation, partial update, rendering.
 *
 * A user's profile is stored as one JSON document ("stored doc") in the
 * userProfile shape of the eSignature API (facts §3), holding only what the
 * user owns: address, companyName, display* flags, title, usageHistory,
 * authenticationMethods and userDetails {firstName, middleName, lastName,
 * suffixName, title, userName, jobTitle, countryCode, homeAddress,
 * workAddress, customSettings, userSettings, subscribe, enableConnectForUser,
 * sendActivationOnInvalidLogin, signatureImageUri?...}.  Counts are JSON
 * integers; flags are JSON strings "true"/"false"; userSettings and
 * customSettings are arrays of {name, value}.
 *
 * What belongs to the account or the system (userId, email, uri, userStatus,
 * createdDateTime, lastLogin, loginStatus, isAdmin, groupList,
 * permissionProfileId/Name, accountManagementGranular defaults,
 * profileImageUri, userProfileLastModifiedDate) is never stored in the doc:
 * profile_render() derives it.  Secrets (password, forgottenPasswordInfo)
 * are never stored in the doc and never rendered.
 *
 * Memory: every json_t * returned is a new reference owned by the caller
 * (json_decref).  Inputs are borrowed.
 */
#ifndef PROFILED_PROFILE_H
#define PROFILED_PROFILE_H

#include <jansson.h>
#include <stdbool.h>
#include "core/error.h"
#include "store/store.h"

typedef enum { PROFILE_API_V2 = 0, PROFILE_API_V21 = 1 } profile_api;

/*
 * Validates a PUT body (already decoded, must be an object).  Checks member
 * types (strings where the spec says string; "true"/"false" also accepted as
 * JSON booleans for flags and converted by profile_merge; counts integer or
 * digit strings), lengths (core/limits.h: LIM_NAME_MAX, LIM_DETAILS_TITLE_MAX,
 * LIM_PROFILE_TITLE_MAX, LIM_ADDRESS_LINE_MAX, ...), flag values, and array
 * sizes.  Unknown members are ignored (DocuSign tolerates them).  Every
 * problem is appended to eb as "path: reason" (e.g. "userDetails.firstName:
 * longer than 50 characters").  Returns PD_OK or PD_ERR_INVALID_BODY.
 * `api` selects the userSettings shape accepted (v2.1 also takes an object).
 */
pd_err profile_validate_update(const json_t *body, profile_api api, pd_errbuf *eb);

/*
 * Validates the "profile" member of an import record: the same rules as an
 * update, but usageHistory and authenticationMethods are accepted (they are
 * read-only over the API only).  Paths in eb are prefixed with `prefix`.
 */
pd_err profile_validate_import(const json_t *profile, const char *prefix, pd_errbuf *eb);

/*
 * Applies a validated PUT body to a stored doc and returns the new stored
 * doc.  Objects merge member by member; arrays and scalars replace.
 * Read-only and derived members are ignored (authenticationMethods,
 * usageHistory, userId, email, uri, ...); secrets are dropped.  Name rule:
 * if the patch's userDetails carries any of firstName, middleName, lastName,
 * suffixName or title, those win and userName is rebuilt from the split
 * fields ("first middle last suffix", single spaces); otherwise a userName
 * alone sets userName and is split into firstName (first word) and lastName
 * (the rest), clearing middleName and suffixName.  Boolean flags given as
 * JSON booleans are stored as "true"/"false"; v2.1 object userSettings are
 * stored as name/value arrays.  Returns NULL only on allocation failure.
 */
json_t *profile_merge(const json_t *stored, const json_t *patch);

/*
 * profile_merge, and *canonical (when not NULL) says whether the result is
 * canonical: its members stand in the order profile_merge gives a copy of
 * it (true unless the patch added a member the stored doc lacked, which
 * goes last).  A canonical doc can be merged into in place.
 */
json_t *profile_merge_canon(const json_t *stored, const json_t *patch, bool *canonical);

/*
 * Merges patch into doc itself, which the caller must hold alone and which
 * must be canonical (a profile_merge_canon or profile_merge_into result that
 * said so): doc then ends equal, member order included, to what
 * profile_merge(doc, patch) returns, without copying the rest of the
 * document.  *canonical as above.  Returns false on allocation failure (doc
 * is then partly merged: release it).
 */
bool profile_merge_into(json_t *doc, const json_t *patch, bool *canonical);

/*
 * Turns an import record's profile into a stored doc: like profile_merge
 * onto an empty doc, but keeping usageHistory and authenticationMethods.
 */
json_t *profile_from_import(const json_t *profile);

/* Everything profile_render needs besides the stored doc. Borrowed. */
typedef struct {
    const pd_user *user;              /* id, email, status, created, modified, last_login, has_image */
    const pd_account *account;        /* id (GUID) used in URIs */
    const pd_membership *membership;  /* is_admin, permission profile, groups */
    const char *base_path;            /* e.g. "/restapi/v2.1" - prefix of uri and profileImageUri */
    const char *default_account_id;   /* the user's default account GUID, NULL when unknown */
    profile_api api;
} profile_view;

/*
 * Builds the full userProfile response from user->profile_json plus derived
 * members.  Absent members are omitted (never null).  What differs between
 * v2 and v2.1 is one table, model/profile_versions.c: counts are integers on
 * v2 and strings on v2.1; userSettings is a name/value array on v2 and an
 * object of the named settings on v2.1; accountManagementGranular (its
 * version's member set, derived from the membership unless imported) sits
 * in userDetails on v2 and in userDetails.userSettings on v2.1; v2.1 adds
 * defaultAccountId and zipPlus4.  Every date is rendered in UTC at
 * millisecond precision, "2024-01-02T03:04:05.1230000Z"; a stored value
 * that is not a date is left out.  profileImageUri (top level and in
 * userDetails) is "{base_path}/accounts/{accountGuid}/users/{userId}/profile/image"
 * when the user has an image, and omitted otherwise.  uri is
 * "{base_path}/accounts/{accountGuid}/users/{userId}".  isAdmin is "true"/"false".
 * Returns NULL if the stored doc does not parse (caller answers 500).
 */
json_t *profile_render(const profile_view *v);

/*
 * The JSON text of profile_render(v) as json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) writes it - the same bytes - produced in one walk
 * over the stored doc without building a tree (model/profile_json.c).
 * Returns a malloc'd string (length in *len) owned by the caller, or NULL
 * when the doc has a shape this path leaves to profile_render() (escapes,
 * repeated names, unusual numbers, ...) or an allocation failed: the caller
 * then renders through profile_render(), which stays the definition.
 */
char *profile_render_json(const profile_view *v, size_t *len);

/* The stored doc of a brand-new user: display flags "true", empty usage. */
json_t *profile_new_doc(void);

#endif
