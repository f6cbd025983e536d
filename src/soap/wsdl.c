/*
 * wsdl.c - the WSDL profiled serves at GET …/accountmanagement.asmx?WSDL:
 * its own description of what it implements (seed 003's types for the
 * five operations, the full ErrorCode enumeration from soap/codes.c), with
 * a SOAP 1.1 and a SOAP 1.2 binding and both ports at this server's public
 * URL.  Document/literal, elementFormDefault="qualified", target namespace
 * http://www.docusign.net/API/AccountManagement, so clients generated from
 * it (node soap, wsimport, svcutil) send what DocuSign's clients send.
 *
 * Memory: returns malloc'd text (caller frees).
 */
#include "soap/soap.h"

#include <string.h>

#define S(min, name, type) "<s:element minOccurs=\"" #min "\" maxOccurs=\"1\" name=\"" name "\" type=\"" type "\" />"

static const char *const OPS[] = { "GetUserProfile", "SetUserProfile", "GetUserProfileImage",
                                   "SetUserProfileImage", "Ping" };
#define N_OPS (sizeof(OPS) / sizeof(OPS[0]))

static const char TYPES[] =
    "<s:element name=\"GetUserProfile\"><s:complexType><s:sequence>"
    S(0, "UserId", "s:string") S(0, "AccountId", "s:string")
    "</s:sequence></s:complexType></s:element>"
    "<s:element name=\"GetUserProfileResponse\"><s:complexType><s:sequence>"
    "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"GetUserProfileResult\"><s:complexType><s:sequence>"
    S(0, "UserProfile", "tns:UserProfile") S(1, "Success", "s:boolean") S(0, "Error", "tns:RequestError")
    "</s:sequence></s:complexType></s:element></s:sequence></s:complexType></s:element>"
    "<s:element name=\"SetUserProfile\"><s:complexType><s:sequence>"
    S(0, "UserProfile", "tns:UserProfile")
    "</s:sequence></s:complexType></s:element>"
    "<s:element name=\"SetUserProfileResponse\"><s:complexType><s:sequence>"
    "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"SetUserProfileResult\"><s:complexType><s:sequence>"
    S(0, "MembershipId", "s:string") S(1, "Success", "s:boolean") S(0, "Error", "tns:RequestError")
    "</s:sequence></s:complexType></s:element></s:sequence></s:complexType></s:element>"
    "<s:element name=\"GetUserProfileImage\"><s:complexType /></s:element>"
    "<s:element name=\"GetUserProfileImageResponse\"><s:complexType><s:sequence>"
    "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"GetUserProfileImageResult\"><s:complexType><s:sequence>"
    S(0, "UserProfileImage", "tns:UserProfileImage") S(1, "Success", "s:boolean") S(0, "Error", "tns:RequestError")
    "</s:sequence></s:complexType></s:element></s:sequence></s:complexType></s:element>"
    "<s:element name=\"SetUserProfileImage\"><s:complexType><s:sequence>"
    S(0, "UserProfileImage", "tns:UserProfileImage")
    "</s:sequence></s:complexType></s:element>"
    "<s:element name=\"SetUserProfileImageResponse\"><s:complexType><s:sequence>"
    "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"SetUserProfileImageResult\"><s:complexType><s:sequence>"
    S(0, "UserId", "s:string") S(1, "Success", "s:boolean") S(0, "Error", "tns:RequestError")
    "</s:sequence></s:complexType></s:element></s:sequence></s:complexType></s:element>"
    "<s:element name=\"Ping\"><s:complexType /></s:element>"
    "<s:element name=\"PingResponse\"><s:complexType><s:sequence>"
    S(1, "PingResult", "s:boolean")
    "</s:sequence></s:complexType></s:element>"
    "<s:complexType name=\"UserProfile\"><s:sequence>"
    S(0, "AccountId", "s:string") S(0, "UserId", "s:string")
    S(1, "ShowDocuSignID", "s:boolean") S(1, "DisplayCompanyAndTitle", "s:boolean")
    S(1, "DisplayAddressAndPhone", "s:boolean") S(1, "DisplayUsageHistory", "s:boolean")
    S(0, "Company", "s:string") S(0, "Title", "s:string") S(0, "Address", "tns:AddressInformation")
    S(0, "AuthenticationHistory", "tns:ArrayOfAuthenticationMethod") S(0, "UsageHistory", "tns:UsageHistory")
    "</s:sequence></s:complexType>"
    "<s:complexType name=\"AddressInformation\"><s:sequence>"
    S(0, "Address1", "s:string") S(0, "Address2", "s:string") S(0, "City", "s:string")
    S(0, "State", "s:string") S(0, "Zip", "s:string") S(0, "Phone", "s:string")
    S(0, "Fax", "s:string") S(0, "Country", "s:string")
    "</s:sequence></s:complexType>"
    "<s:complexType name=\"ArrayOfAuthenticationMethod\"><s:sequence>"
    "<s:element minOccurs=\"0\" maxOccurs=\"unbounded\" name=\"AuthenticationMethod\" type=\"tns:AuthenticationMethod\" />"
    "</s:sequence></s:complexType>"
    "<s:complexType name=\"AuthenticationMethod\"><s:sequence>"
    S(1, "TotalCount", "s:int") S(1, "LastTimestamp", "s:dateTime") S(0, "LastProvider", "s:string")
    "</s:sequence><s:attribute name=\"Type\" type=\"tns:AuthenticationType\" use=\"required\" /></s:complexType>"
    "<s:simpleType name=\"AuthenticationType\"><s:restriction base=\"s:string\">"
    "<s:enumeration value=\"PhoneAuth\" /><s:enumeration value=\"STAN\" /><s:enumeration value=\"IDCheck\" />"
    "<s:enumeration value=\"OFAC\" /><s:enumeration value=\"AccessCode\" /><s:enumeration value=\"AgeVerify\" />"
    "<s:enumeration value=\"SSOAuth\" /></s:restriction></s:simpleType>"
    "<s:complexType name=\"UsageHistory\"><s:sequence>"
    S(1, "SignedCount", "s:int") S(0, "LastSignedTimestamp", "s:dateTime")
    S(1, "SentCount", "s:int") S(0, "LastSentTimestamp", "s:dateTime")
    "</s:sequence></s:complexType>"
    "<s:complexType name=\"UserProfileImage\"><s:sequence>" S(0, "Image", "tns:Image") "</s:sequence></s:complexType>"
    "<s:complexType name=\"Image\"><s:sequence>"
    S(0, "MimeType", "s:string") S(0, "ImageData", "s:base64Binary")
    "</s:sequence></s:complexType>"
    "<s:complexType name=\"RequestError\"><s:sequence>"
    S(1, "ErrorCode", "tns:ErrorCode") S(0, "Description", "s:string")
    "</s:sequence></s:complexType>";

static void binding(xo_buf *b, const char *name, const char *ns_prefix)
{
    xo_fmt(b, "<wsdl:binding name=\"%s\" type=\"tns:AccountManagementServiceSoap\">"
              "<%s:binding transport=\"http://schemas.xmlsoap.org/soap/http\" />", name, ns_prefix);
    for (size_t i = 0; i < N_OPS; i++)
        xo_fmt(b, "<wsdl:operation name=\"%s\"><%s:operation soapAction=\"" SOAP_NS_AM "/%s\" style=\"document\" />"
                  "<wsdl:input><%s:body use=\"literal\" /></wsdl:input>"
                  "<wsdl:output><%s:body use=\"literal\" /></wsdl:output></wsdl:operation>",
               OPS[i], ns_prefix, OPS[i], ns_prefix, ns_prefix);
    xo_raw(b, "</wsdl:binding>");
}

char *soap_wsdl(const char *public_url, size_t *len)
{
    xo_buf b = {0};

    xo_raw(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<wsdl:definitions xmlns:s=\"http://www.w3.org/2001/XMLSchema\""
               " xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\""
               " xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\""
               " xmlns:tns=\"" SOAP_NS_AM "\" targetNamespace=\"" SOAP_NS_AM "\""
               " xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\">"
               "<wsdl:documentation>profiled: DocuSign AccountManagement (user profile operations)</wsdl:documentation>"
               "<wsdl:types><s:schema elementFormDefault=\"qualified\" targetNamespace=\"" SOAP_NS_AM "\">");
    xo_raw(&b, TYPES);
    xo_raw(&b, "<s:simpleType name=\"ErrorCode\"><s:restriction base=\"s:string\">");
    for (size_t i = 0; i < soap_n_error_codes; i++)
        xo_fmt(&b, "<s:enumeration value=\"%s\" />", soap_error_codes[i]);
    xo_raw(&b, "</s:restriction></s:simpleType></s:schema></wsdl:types>");
    for (size_t i = 0; i < N_OPS; i++)
        xo_fmt(&b, "<wsdl:message name=\"%sSoapIn\"><wsdl:part name=\"parameters\" element=\"tns:%s\" /></wsdl:message>"
                   "<wsdl:message name=\"%sSoapOut\"><wsdl:part name=\"parameters\" element=\"tns:%sResponse\" /></wsdl:message>",
               OPS[i], OPS[i], OPS[i], OPS[i]);
    xo_raw(&b, "<wsdl:portType name=\"AccountManagementServiceSoap\">");
    for (size_t i = 0; i < N_OPS; i++)
        xo_fmt(&b, "<wsdl:operation name=\"%s\"><wsdl:input message=\"tns:%sSoapIn\" />"
                   "<wsdl:output message=\"tns:%sSoapOut\" /></wsdl:operation>", OPS[i], OPS[i], OPS[i]);
    xo_raw(&b, "</wsdl:portType>");
    binding(&b, "AccountManagementServiceSoap", "soap");
    binding(&b, "AccountManagementServiceSoap12", "soap12");
    xo_raw(&b, "<wsdl:service name=\"AccountManagementService\">"
               "<wsdl:port name=\"AccountManagementServiceSoap\" binding=\"tns:AccountManagementServiceSoap\">"
               "<soap:address location=\"");
    xo_text(&b, public_url);
    xo_raw(&b, "/api/3.0/accountmanagement.asmx\" /></wsdl:port>"
               "<wsdl:port name=\"AccountManagementServiceSoap12\" binding=\"tns:AccountManagementServiceSoap12\">"
               "<soap12:address location=\"");
    xo_text(&b, public_url);
    xo_raw(&b, "/api/3.0/accountmanagement.asmx\" /></wsdl:port></wsdl:service></wsdl:definitions>\n");
    return xo_take(&b, len);
}
