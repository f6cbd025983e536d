/*
 * profile_versions.h - what differs between the eSignature API versions in
 * the userProfile document, as ONE table (model/profile_versions.c) that
 * the renderer (model/profile.c) reads; no other code asks "is this v2.1?".
 *
 * v2 follows the v2 OpenAPI file (definitions userProfile, userInformation,
 * userAccountManagementGranularInformation, addressInformation_v2...);
 * v2.1 follows the docusign-esign 10 SDK model classes (UserProfile,
 * UserInformation, UserSettingsInformation,
 * UserAccountManagementGranularInformation, AddressInformation...).
 *
 * Everything here is static and read-only.
 */
#ifndef PROFILED_PROFILE_VERSIONS_H
#define PROFILED_PROFILE_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/profile.h"

/* How a granular account-management flag follows from the membership
 * when the stored doc does not set it. */
typedef enum {
    GRANT_ADMIN,        /* "true" for an admin of the account, else "false"  */
    GRANT_NEVER,        /* "false" (e.g. canManageGroupsButNotUsers: admins manage users too) */
} granular_rule;

typedef struct {
    const char *name;   /* e.g. "canManageUsers"; its "<name>Metadata" goes with it */
    granular_rule rule;
} granular_member;

/* A userSettings member derived from the membership (wins over a stored value). */
typedef struct {
    const char *name;   /* e.g. "canManageAccount" */
    granular_rule rule;
} derived_setting;

typedef struct {
    const char *label;                  /* "v2", "v2.1" */
    /* usageHistory and authenticationMethods counts: JSON strings (v2.1) or integers (v2) */
    bool counts_as_strings;
    /* userDetails.userSettings: an object of the version's named settings
     * (v2.1 UserSettingsInformation) or a nameValue array (v2) */
    bool settings_as_object;
    /* accountManagementGranular inside userDetails.userSettings (v2.1) or
     * directly in userDetails (v2) */
    bool granular_in_settings;
    /* addresses carry zipPlus4 */
    bool address_zip_plus4;
    /* userDetails carries defaultAccountId (the user's default account) */
    bool default_account_id;
    /* userDetails carries userAddedToAccountDateTime (when the user joined the account) */
    bool added_to_account;
    /* the accountManagementGranular members of this version */
    const granular_member *granular;
    size_t n_granular;
    /* the userSettings names this version's model knows (strings); NULL:
     * any name (a nameValue array) */
    const char *const *setting_names;
    size_t n_setting_names;
    /* settings derived from the membership, on every version */
    const derived_setting *derived;
    size_t n_derived;
} profile_version;

/* The row of api; never NULL (unknown values give v2). */
const profile_version *profile_version_of(profile_api api);

/* True when name is a userSettings member derived from the membership on
 * some version (never stored: a PUT or import giving it is ignored), or
 * the read-only accountManagementGranular that v2.1 renders there. */
bool profile_setting_read_only(const char *name);

#endif
