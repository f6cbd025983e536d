/*
 * test_legacy.c - unit tests for src/auth/legacy.c legacy_parse: the
 * X-DocuSign-Authentication header in its XML form (no namespace, a
 * prefix, a default namespace, an XML declaration, SendOnBehalfOf) and its
 * JSON form, and every refusal: missing or repeated members, members that
 * are not text, over-long values, DOCTYPE/entities, other roots, garbage.
 * A refused parse leaves the struct wiped (no password left behind).
 *
 * Memory: everything on the stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "auth/legacy.h"

static void test_xml_forms(void **state)
{
    legacy_creds c;
    static const char *const ok[] = {
        "<DocuSignCredentials><Username>a@b.test</Username><Password>p&amp;w</Password>"
        "<IntegratorKey>KEY-1</IntegratorKey></DocuSignCredentials>",
        "<ds:DocuSignCredentials xmlns:ds=\"urn:x\"><ds:Username>a@b.test</ds:Username>"
        "<ds:Password>p&amp;w</ds:Password><ds:IntegratorKey>KEY-1</ds:IntegratorKey></ds:DocuSignCredentials>",
        "<?xml version=\"1.0\"?> <DocuSignCredentials xmlns=\"urn:y\"> <Username>a@b.test</Username>"
        " <Password><![CDATA[p&w]]></Password> <IntegratorKey>KEY-1</IntegratorKey> </DocuSignCredentials>",
        "{\"Username\":\"a@b.test\",\"Password\":\"p&w\",\"IntegratorKey\":\"KEY-1\"}",
        "  {\"username\":\"a@b.test\",\"password\":\"p&w\",\"integratorKey\":\"KEY-1\",\"Other\":3}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(legacy_parse(ok[i], &c), 0);
        assert_string_equal(c.username, "a@b.test");
        assert_string_equal(c.password, "p&w");
        assert_string_equal(c.integrator_key, "KEY-1");
        assert_string_equal(c.on_behalf_of, "");
    }
    assert_int_equal(legacy_parse("<DocuSignCredentials><Username>u</Username><Password>p</Password>"
                                  "<IntegratorKey>k</IntegratorKey><SendOnBehalfOf>x@y.test</SendOnBehalfOf>"
                                  "</DocuSignCredentials>", &c), 0);
    assert_string_equal(c.on_behalf_of, "x@y.test");
}

static void test_refused(void **state)
{
    legacy_creds c;
    char long_user[300], long_json[400];
    static const char *const bad[] = {
        NULL, "", "garbage", "{", "[]", "{\"Username\":\"u\",\"Password\":\"p\"}",
        "{\"Username\":\"u\",\"Password\":\"p\",\"IntegratorKey\":7}",
        "{\"Username\":\"u\",\"Username\":\"v\",\"Password\":\"p\",\"IntegratorKey\":\"k\"}",
        "{\"Username\":\"u\",\"Password\":\"\",\"IntegratorKey\":\"k\"}",
        "<DocuSignCredentials><Username>u</Username><Password>p</Password></DocuSignCredentials>",
        "<Creds><Username>u</Username><Password>p</Password><IntegratorKey>k</IntegratorKey></Creds>",
        "<DocuSignCredentials><Username>u</Username><Username>v</Username><Password>p</Password>"
        "<IntegratorKey>k</IntegratorKey></DocuSignCredentials>",
        "<DocuSignCredentials><Username><x>u</x></Username><Password>p</Password>"
        "<IntegratorKey>k</IntegratorKey></DocuSignCredentials>",
        "<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><DocuSignCredentials><Username>&e;</Username>"
        "<Password>p</Password><IntegratorKey>k</IntegratorKey></DocuSignCredentials>",
        "<DocuSignCredentials><Username>&e;</Username><Password>p</Password><IntegratorKey>k</IntegratorKey>"
        "</DocuSignCredentials>",
        "<DocuSignCredentials><Username>u</Username><Password>p</Password><IntegratorKey>k",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&c, 'x', sizeof(c));
        assert_int_equal(legacy_parse(bad[i], &c), -1);
        assert_int_equal(c.password[0], '\0');                 /* wiped */
    }
    memset(long_user, 'a', sizeof(long_user) - 1);
    long_user[sizeof(long_user) - 1] = '\0';
    snprintf(long_json, sizeof(long_json), "{\"Username\":\"%.*s\",\"Password\":\"p\",\"IntegratorKey\":\"k\"}",
             LIM_EMAIL_MAX + 1, long_user);
    assert_int_equal(legacy_parse(long_json, &c), -1);          /* one byte over the limit */
    snprintf(long_json, sizeof(long_json), "{\"Username\":\"%.*s\",\"Password\":\"p\",\"IntegratorKey\":\"k\"}",
             LIM_EMAIL_MAX, long_user);
    assert_int_equal(legacy_parse(long_json, &c), 0);           /* exactly the limit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_forms),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
