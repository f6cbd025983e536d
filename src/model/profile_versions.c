/*
 * profile_versions.c - the table of v2 / v2.1 differences of the
 * userProfile document (see model/profile_versions.h).  Checked member by
 * member against the v2 OpenAPI file and the docusign-esign 10 model
 * classes; tests/integration/esign-fidelity.test.mjs walks rendered profiles
 * against those classes.
 */
#include "model/profile_versions.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* v2: userAccountManagementGranularInformation (v2 OpenAPI) */
static const granular_member GRANULAR_V2[] = {
    { "canManageAccountSecuritySettings", GRANT_ADMIN },
    { "canManageAccountSettings",         GRANT_ADMIN },
    { "canManageAdmins",                  GRANT_ADMIN },
    { "canManageEnvelopeTransfer",        GRANT_ADMIN },
    { "canManageGroups",                  GRANT_ADMIN },
    { "canManageReporting",               GRANT_ADMIN },
    { "canManageSharing",                 GRANT_ADMIN },
    { "canManageSigningGroups",           GRANT_ADMIN },
    { "canManageUsers",                   GRANT_ADMIN },
    { "canViewUsers",                     GRANT_ADMIN },
};

/* v2.1: UserAccountManagementGranularInformation (docusign-esign 10) */
static const granular_member GRANULAR_V21[] = {
    { "canManageAccountSecuritySettings", GRANT_ADMIN },
    { "canManageAccountSettings",         GRANT_ADMIN },
    { "canManageAdmins",                  GRANT_ADMIN },
    { "canManageConnect",                 GRANT_ADMIN },
    { "canManageDocumentRetention",       GRANT_ADMIN },
    { "canManageEnvelopeTransfer",        GRANT_ADMIN },
    { "canManageGroupsButNotUsers",       GRANT_NEVER },
    { "canManageJointAgreements",         GRANT_ADMIN },
    { "canManageReporting",               GRANT_ADMIN },
    { "canManageSharing",                 GRANT_ADMIN },
    { "canManageSigningGroups",           GRANT_ADMIN },
    { "canManageStamps",                  GRANT_ADMIN },
    { "canManageUsers",                   GRANT_ADMIN },
    { "canViewUsers",                     GRANT_ADMIN },
};

/* v2.1: the String members of UserSettingsInformation (docusign-esign 10);
 * its object members (metadata, accountManagementGranular, localePolicy,
 * notifications, sealIdentifiers) are not stored settings. */
static const char *const SETTINGS_V21[] = {
    "accountAgreementsAccessType", "adminOnly", "allowAccessToAllAccountAgreements",
    "allowAutoTagging", "allowedDocumentTemplateLibraryAccess", "allowedOrchestrationAccess",
    "allowEnvelopeTransferTo", "allowEsealRecipients",
    "allowPowerFormsAdminToAccessAllPowerFormEnvelope", "allowRecipientLanguageSelection",
    "allowSendOnBehalfOf", "allowSupplementalDocuments", "allowTransactions",
    "anchorTagVersionedPlacementEnabled", "apiAccountWideAccess", "apiCanExportAC", "bulkSend",
    "canBulkUploadAgreements", "canChargeAccount", "canCreateTransaction",
    "canDeleteDocumentsInTransaction", "canDeleteTransaction", "canEditSharedAddressbook",
    "canLockEnvelopes", "canManageAccount", "canManageAgreementParties", "canManageDistributor",
    "canManageTemplates", "canSendAPIRequests", "canSendEnvelope", "canSendEnvelopesViaSMS",
    "canSignEnvelope", "canUseScratchpad", "canUseSmartContracts", "disableDocumentUpload",
    "disableOtherActions", "enableDSPro", "enableKeyTermsSuggestionsByDocumentType",
    "enableSequentialSigningAPI", "enableSequentialSigningUI", "enableSignerAttachments",
    "enableSignOnPaperOverride", "enableTransactionPoint", "enableVaulting", "expressSendOnly",
    "isManagedByScim", "isMembershipManagedByScim", "locale", "manageClickwrapsMode",
    "modifiedBy", "modifiedDate", "modifiedPage", "newSendUI", "powerFormMode",
    "recipientViewedNotification", "selfSignedRecipientEmailDocument",
    "supplementalDocumentIncludeInDownload", "supplementalDocumentsMustAccept",
    "supplementalDocumentsMustRead", "supplementalDocumentsMustView", "templateActiveCreation",
    "templateApplyNotify", "templateAutoMatching", "templateMatchingSensitivity",
    "templatePageLevelMatching", "timezoneDST", "timezoneMask", "timezoneOffset",
    "timezoneSendingPref", "timezoneSigningPref", "transactionPointSiteNameURL",
    "transactionPointUserName", "vaultingMode", "webForms",
};

/* Follows from the membership on both versions: an account admin manages the account. */
static const derived_setting DERIVED[] = {
    { "canManageAccount", GRANT_ADMIN },
};

/* The table: one row per API version. */
static const profile_version VERSIONS[] = {
    [PROFILE_API_V2] = {
        .label = "v2",
        .counts_as_strings = false,           /* usageHistory: integer */
        .settings_as_object = false,          /* userInformation.userSettings: [nameValue] */
        .granular_in_settings = false,        /* userInformation.accountManagementGranular */
        .address_zip_plus4 = false,           /* addressInformation_v2 has none */
        .default_account_id = false,          /* userInformation has none */
        .added_to_account = false,            /* userInformation has none */
        .granular = GRANULAR_V2, .n_granular = N(GRANULAR_V2),
        .setting_names = NULL, .n_setting_names = 0,
        .derived = DERIVED, .n_derived = N(DERIVED),
    },
    [PROFILE_API_V21] = {
        .label = "v2.1",
        .counts_as_strings = true,            /* UsageHistory / AuthenticationMethod: String */
        .settings_as_object = true,           /* UserInformation.userSettings: UserSettingsInformation */
        .granular_in_settings = true,         /* UserSettingsInformation.accountManagementGranular */
        .address_zip_plus4 = true,            /* AddressInformation.zipPlus4 */
        .default_account_id = true,           /* UserInformation.defaultAccountId */
        .added_to_account = true,             /* UserInformation.userAddedToAccountDateTime */
        .granular = GRANULAR_V21, .n_granular = N(GRANULAR_V21),
        .setting_names = SETTINGS_V21, .n_setting_names = N(SETTINGS_V21),
        .derived = DERIVED, .n_derived = N(DERIVED),
    },
};

const profile_version *profile_version_of(profile_api api)
{
    return (unsigned)api < N(VERSIONS) ? &VERSIONS[api] : &VERSIONS[PROFILE_API_V2];
}

bool profile_setting_read_only(const char *name)
{
    if (strcmp(name, "accountManagementGranular") == 0)
        return true;
    for (size_t v = 0; v < N(VERSIONS); v++)
        for (size_t i = 0; i < VERSIONS[v].n_derived; i++)
            if (strcmp(VERSIONS[v].derived[i].name, name) == 0)
                return true;
    return false;
}
