/*
 * test_envelope.c - unit tests for src/soap/: the envelope reader
 * (versions by namespace, never by prefix; Header entries: UsernameToken
 * with [IntegratorKey]email and PasswordText, digests refused, WS-Addressing
 * and Timestamp understood, other mustUnderstand entries faulted; Body and
 * operation rules; hostile XML refused), the ErrorCode mapping (every code
 * it returns is in seed 003's enumeration, which has 57 members), and the
 * served WSDL (well-formed, both bindings, the public URL as address).
 *
 * Memory: parsed messages and documents are freed by each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libxml/parser.h>

#include "soap/soap.h"

#define AM_OP(op) "<" op " xmlns=\"" SOAP_NS_AM "\"/>"
#define ENV11(hdr, body) "<e:Envelope xmlns:e=\"" SOAP_NS_11 "\">" hdr "<e:Body>" body "</e:Body></e:Envelope>"
#define ENV12(hdr, body) "<soap:Envelope xmlns:soap=\"" SOAP_NS_12 "\">" hdr "<soap:Body>" body "</soap:Body></soap:Envelope>"
#define WSSE(user, pw, type) \
    "<w:Security xmlns:w=\"" SOAP_NS_WSSE "\" e:mustUnderstand=\"1\"><u:Timestamp xmlns:u=\"" SOAP_NS_WSU "\"/>" \
    "<w:UsernameToken><w:Username>" user "</w:Username><w:Password Type=\"x#" type "\">" pw "</w:Password>" \
    "</w:UsernameToken></w:Security>"

static int parse(const char *s, soap_version hint, soap_msg *m, soap_fault_kind *k, char *msg, size_t cap)
{
    return soap_parse(s, strlen(s), hint, m, k, msg, cap);
}

static void test_versions_and_ops(void **state)
{
    soap_msg m;
    soap_fault_kind k;
    char msg[256];

    (void)state;
    assert_int_equal(parse(ENV11("", AM_OP("Ping")), SOAP_12, &m, &k, msg, sizeof(msg)), 0);
    assert_int_equal(m.v, SOAP_11);                         /* the envelope decides, not the hint */
    assert_string_equal((const char *)m.op->name, "Ping");
    assert_int_equal(m.wsse, WSSE_NONE);
    soap_msg_free(&m);
    assert_int_equal(parse(ENV12("", AM_OP("GetUserProfile")), SOAP_11, &m, &k, msg, sizeof(msg)), 0);
    assert_int_equal(m.v, SOAP_12);                         /* prefix "soap" on a 1.2 envelope */
    soap_msg_free(&m);
}

static void test_wsse(void **state)
{
    soap_msg m;
    soap_fault_kind k;
    char msg[256];

    (void)state;
    assert_int_equal(parse(ENV11("<e:Header>" WSSE("[KEY-1]ann@acme.test", "p&amp;w", "PasswordText")
                                 "<a:Action xmlns:a=\"" SOAP_NS_WSA "\" e:mustUnderstand=\"1\">x</a:Action></e:Header>",
                                 AM_OP("Ping")), SOAP_11, &m, &k, msg, sizeof(msg)), 0);
    assert_int_equal(m.wsse, WSSE_OK);
    assert_string_equal(m.creds.integrator_key, "KEY-1");
    assert_string_equal(m.creds.username, "ann@acme.test");
    assert_string_equal(m.creds.password, "p&w");
    soap_msg_free(&m);
    assert_int_equal(m.creds.password[0], '\0');            /* wiped */
    static const char *const bad[] = {
        ENV11("<e:Header>" WSSE("ann@acme.test", "pw", "PasswordText") "</e:Header>", AM_OP("Ping")),
        ENV11("<e:Header>" WSSE("[]ann@acme.test", "pw", "PasswordText") "</e:Header>", AM_OP("Ping")),
        ENV11("<e:Header>" WSSE("[K]", "pw", "PasswordText") "</e:Header>", AM_OP("Ping")),
        ENV11("<e:Header>" WSSE("[K]a@b.test", "", "PasswordText") "</e:Header>", AM_OP("Ping")),
        ENV11("<e:Header>" WSSE("[K]a@b.test", "ZGlnZXN0", "PasswordDigest") "</e:Header>", AM_OP("Ping")),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], SOAP_11, &m, &k, msg, sizeof(msg)), 0);
        assert_int_equal(m.wsse, WSSE_BAD);
        soap_msg_free(&m);
    }
}

static void test_faults(void **state)
{
    static const struct { const char *xml; soap_fault_kind kind; } cases[] = {
        { "not xml", FAULT_CLIENT },
        { "<e:Envelope xmlns:e=\"urn:x\"><e:Body/></e:Envelope>", FAULT_VERSION },
        { "<Body/>", FAULT_CLIENT },
        { "<e:Envelope xmlns:e=\"" SOAP_NS_11 "\"><e:Header/></e:Envelope>", FAULT_CLIENT },
        { ENV11("", ""), FAULT_CLIENT },
        { ENV11("", AM_OP("Ping") AM_OP("Ping")), FAULT_CLIENT },
        { ENV11("<e:Header><x:T xmlns:x=\"urn:t\" e:mustUnderstand=\"1\"/></e:Header>", AM_OP("Ping")),
          FAULT_MUST_UNDERSTAND },
        { ENV11("<e:Header><x:T xmlns:x=\"urn:t\" e:mustUnderstand=\"true\"/></e:Header>", AM_OP("Ping")),
          FAULT_MUST_UNDERSTAND },
        { "<!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" ENV11("", "<Ping>&x;</Ping>"), FAULT_CLIENT },
    };
    soap_msg m;
    soap_fault_kind k;
    char msg[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msg[0] = '\0';
        assert_int_equal(parse(cases[i].xml, SOAP_12, &m, &k, msg, sizeof(msg)), -1);
        assert_int_equal(k, cases[i].kind);
        assert_true(msg[0] != '\0');
        assert_null(strstr(msg, "passwd"));
        soap_msg_free(&m);
    }
    /* a header entry without mustUnderstand is ignored */
    assert_int_equal(parse(ENV11("<e:Header><x:T xmlns:x=\"urn:t\"/></e:Header>", AM_OP("Ping")), SOAP_11,
                           &m, &k, msg, sizeof(msg)), 0);
    soap_msg_free(&m);
}

static void test_codes(void **state)
{
    (void)state;
    assert_int_equal(soap_n_error_codes, 57);
    assert_string_equal(soap_error_codes[0], "Unspecified_Error");
    assert_string_equal(soap_error_codes[56], "Invalid_Account_Provisioning_Distributor_Added_Seats");
    for (int e = 0; e < PD_ERR_COUNT_; e++) {
        const char *c = soap_code_of((pd_err)e);
        bool found = false;
        for (size_t i = 0; i < soap_n_error_codes; i++)
            found = found || strcmp(c, soap_error_codes[i]) == 0;
        assert_true(found);
    }
    assert_string_equal(soap_code_of(PD_ERR_LOGIN_FAILED), "Invalid_Login");
    assert_string_equal(soap_code_of(PD_ERR_INTEGRATOR_KEY_UNKNOWN), "Partner_Authentication_Failed");
    assert_string_equal(soap_code_of(PD_ERR_LACKS_PERMISSIONS), "Not_Authorized");
    assert_string_equal(soap_code_of(PD_ERR_INVALID_USERID), "Invalid_User_ID");
    assert_string_equal(soap_code_of(PD_ERR_IMAGE_TOO_LARGE), "Invalid_File_Or_Too_Large");
}

static void test_wsdl(void **state)
{
    size_t len = 0;
    char *w = soap_wsdl("https://profiled.example:8443", &len);
    xmlDocPtr d;

    (void)state;
    assert_non_null(w);
    assert_int_equal(strlen(w), len);
    d = xmlReadMemory(w, (int)len, NULL, "UTF-8", XML_PARSE_NONET);
    assert_non_null(d);
    xmlFreeDoc(d);
    assert_non_null(strstr(w, "<soap:address location=\"https://profiled.example:8443/api/3.0/accountmanagement.asmx\""));
    assert_non_null(strstr(w, "<soap12:address location=\"https://profiled.example:8443/api/3.0/accountmanagement.asmx\""));
    assert_non_null(strstr(w, "name=\"AccountManagementServiceSoap12\""));
    assert_non_null(strstr(w, "<s:enumeration value=\"NRDSId_Required\" />"));
    assert_null(strstr(w, "NewAccount"));                  /* only what is implemented */
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_and_ops),
        cmocka_unit_test(test_wsse),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_wsdl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
