/*
 * codes.c - the SOAP ErrorCode enumeration of seed 003 (in its order; the
 * WSDL lists it whole) and the one mapping from profiled's error enum
 * (core/error.h) to it, so SOAP and REST report the same failures.
 * Static data only.
 */
#include "soap/soap.h"

const char *const soap_error_codes[] = {
    "Unspecified_Error", "Invalid_Account_ID", "Account_Requires_User_Name_And_Password_For_Activation",
    "Account_Is_Already_Activated_For_Salesforce", "Invalid_Distributor_For_Account", "Invalid_User_ID",
    "Invalid_Account", "User_Is_Not_An_Account_Manager", "Invalid_Login", "Invalid_Member_User_Name",
    "Invalid_Member_Email", "Member_Email_Not_Allowed", "Member_Email_And_User_Name_Awaiting_Activation",
    "Member_Email_And_User_Name_Already_Exists_For_This_Account", "Member_Password_Blank",
    "Member_Forgotten_Password_Question_Blank", "Member_Forgotten_Password_Answer_Blank",
    "Invalid_Password_Format", "Invalid_Member_Data", "Member_Email_And_User_Name_Already_Exists",
    "Not_Authorized", "Invalid_Distributor_Selected", "Invalid_PGP_For_Distributor",
    "Invalid_Credit_Card_Type", "CreditCard_Auth_Failed", "Invalid_PGP", "Invalid_Plan_Retired",
    "Invalid_Successor_Plan", "Invalid_Credit_Card", "Credit_Card_Expiration", "Invalid_AppToken",
    "Distributor_Not_Enabled_For_AppToken", "Plan_Group_Not_Enabled_For_Distributor",
    "Invalid_Configuration_Number", "Invalid_Salesforce_Credentials",
    "Invalid_Salesforce_External_Instance_ID", "Invalid_DocuSign_Connect_Configuration_For_Account",
    "Invalid_User", "Invalid_Membership", "Invalid_Account_Member", "Invalid_Edit_User",
    "Invalid_Edit_Membership", "Invalid_CanEditSharedAddressBook_Value", "Invalid_CanManageTemplates_Value",
    "Invalid_Membership_ID", "Invalid_Request", "Partner_Authentication_Failed",
    "Hourly_API_Invocation_Limit_Exceeded", "Initialize_Client_Account_Error", "Max_Members_Exceeded",
    "Invalid_File_Or_Too_Large", "Invalid_Account_Provisioning_Distributor_Selected",
    "Insufficient_Account_Provisioning_Distributor_Seats", "Invalid_AdminNRDSId", "NRDSId_Required",
    "Account_Not_Created_By_Account_Provisioning_Distributor",
    "Invalid_Account_Provisioning_Distributor_Added_Seats",
};
const size_t soap_n_error_codes = sizeof(soap_error_codes) / sizeof(soap_error_codes[0]);

const char *soap_code_of(pd_err e)
{
    switch (e) {
    case PD_ERR_INVALID_TOKEN:
    case PD_ERR_NO_TOKEN:
    case PD_ERR_LOGIN_FAILED:           return "Invalid_Login";
    case PD_ERR_INTEGRATOR_KEY_UNKNOWN: return "Partner_Authentication_Failed";
    case PD_ERR_LACKS_PERMISSIONS:
    case PD_ERR_USER_NOT_IN_ACCOUNT:    return "Not_Authorized";
    case PD_ERR_INVALID_USERID:
    case PD_ERR_USER_NOT_FOUND:         return "Invalid_User_ID";
    case PD_ERR_INVALID_ACCOUNT_ID:     return "Invalid_Account_ID";
    case PD_ERR_INVALID_PARAMETER:
    case PD_ERR_INVALID_BODY:
    case PD_ERR_INVALID_CONTENT_TYPE:   return "Invalid_Request";
    case PD_ERR_IMAGE_INVALID:
    case PD_ERR_IMAGE_TOO_LARGE:        return "Invalid_File_Or_Too_Large";
    case PD_ERR_HOURLY_LIMIT:
    case PD_ERR_BURST_LIMIT:            return "Hourly_API_Invocation_Limit_Exceeded";
    default:                            return "Unspecified_Error";
    }
}
