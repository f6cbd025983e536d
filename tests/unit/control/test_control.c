/*
 * test_control.c - unit tests for src/control/: which request headers and
 * query parameters the journal redacts, the fault rule parser (every
 * refusal names its member), error codes by name, rule matching on method,
 * path glob, route and the path's userId/accountId, count-limited rules
 * that go when used up, and the journal ring staying at its capacity.
 *
 * Memory: rules and the ring are the module's static tables; JSON specs
 * are built and released here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "control/faults.h"
#include "control/journal.h"

static void test_header_redaction(void **state)
{
    (void)state;
    static const char *const secret[][2] = {
        { "Authorization", "Bearer abc" }, { "authorization", "x" }, { "Proxy-Authorization", "Basic x" },
        { "X-DocuSign-Authentication", "{}" }, { "Cookie", "a=b" }, { "Set-Cookie", "a=b" },
        { "X-Profiled-Control-Token", "s" }, { "X-Api-Key", "k" }, { "X-Session-Id", "1" },
        { "X-Client-Secret", "1" }, { "X-Password", "1" }, { "X-Whatever", "password=1" },
        { "X-Whatever", "Bearer eyJ" }, { "X-Whatever", "<Password>p</Password>" }, { "X-Auth-User", "u" },
    };
    static const char *const plain[][2] = {
        { "Host", "127.0.0.1" }, { "Accept", "application/json" }, { "User-Agent", "curl" },
        { "Content-Type", "application/json" }, { "X-DocuSign-TraceToken", "abc" }, { "Content-Length", "12" },
    };
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        assert_true(journal_header_secret(secret[i][0], secret[i][1]));
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_false(journal_header_secret(plain[i][0], plain[i][1]));
}

static void test_param_redaction(void **state)
{
    (void)state;
    static const char *const secret[] = { "password", "Password", "client_secret", "access_token", "code",
                                          "code_verifier", "assertion", "api_key", "session" };
    static const char *const plain[] = { "email", "start", "take", "status", "encoding", "WSDL" };
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        assert_true(journal_param_secret(secret[i]));
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_false(journal_param_secret(plain[i]));
}

static int add(const char *json, char *err, size_t cap)
{
    json_t *spec = json_loads(json, 0, NULL);
    int id;

    assert_non_null(spec);
    id = faults_add(spec, err, cap);
    json_decref(spec);
    return id;
}

static void test_rule_refusals(void **state)
{
    (void)state;
    static const struct { const char *spec, *member; } bad[] = {
        { "{\"error\":\"NOPE\"}", "error" },
        { "{\"status\":399}", "status" },
        { "{\"status\":600}", "status" },
        { "{\"latencyMs\":-1}", "latencyMs" },
        { "{\"latencyMs\":30001}", "latencyMs" },
        { "{\"status\":500,\"count\":0}", "count" },
        { "{\"status\":500,\"percent\":0}", "percent" },
        { "{\"status\":500,\"method\":1}", "method" },
        { "{\"status\":500,\"drop\":\"yes\"}", "drop" },
        { "{\"status\":500,\"x\":1}", "x: unknown" },
        { "{\"drop\":true,\"status\":500}", "drop" },
        { "{\"path\":\"/a\"}", "does nothing" },
        { "[]", "object" },
    };
    char err[256];

    faults_clear();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(add(bad[i].spec, err, sizeof(err)), -1);
        assert_non_null(strstr(err, bad[i].member));
    }
    json_t *list = faults_list();
    assert_int_equal(json_array_size(json_object_get(list, "rules")), 0);
    json_decref(list);
}

static void test_error_codes(void **state)
{
    (void)state;
    assert_int_equal(faults_error_by_code("HOURLY_APIINVOCATION_LIMIT_EXCEEDED"), PD_ERR_HOURLY_LIMIT);
    assert_int_equal(faults_error_by_code("BURST_APIINVOCATION_LIMIT_EXCEEDED"), PD_ERR_BURST_LIMIT);
    assert_int_equal(faults_error_by_code("SERVICE_UNAVAILABLE"), PD_ERR_UNAVAILABLE);
    assert_int_equal(faults_error_by_code("hourly_apiinvocation_limit_exceeded"), PD_OK);
    assert_int_equal(faults_error_by_code(""), PD_OK);
}

static const pd_route profile_route = { "GET", "accounts/*/users/*/profile",
                                        "/accounts/{accountId}/users/{userId}/profile", NULL, 0, 0 };

static void request_for(pd_request *r, const char *method, const char *url, const char *acc, const char *user)
{
    memset(r, 0, sizeof(*r));
    r->method = method;
    r->url = url;
    r->route = &profile_route;
    r->params[0] = acc;
    r->params[1] = user;
    r->n_params = 2;
}

static void test_matching_and_count(void **state)
{
    (void)state;
    char err[256];
    fault_rule f;
    pd_request r;

    faults_clear();
    int id = add("{\"method\":\"put\",\"path\":\"/restapi/*/profile\",\"userId\":\"U1\",\"accountId\":\"A1\","
                 "\"error\":\"HOURLY_APIINVOCATION_LIMIT_EXCEEDED\",\"count\":2}", err, sizeof(err));
    assert_true(id > 0);
    request_for(&r, "GET", "/restapi/v2.1/accounts/A1/users/U1/profile", "A1", "U1");
    assert_false(faults_match(&r, &f));                          /* method */
    request_for(&r, "PUT", "/v2.1/accounts/A1/users/U1/profile", "A1", "U1");
    assert_false(faults_match(&r, &f));                          /* path */
    request_for(&r, "PUT", "/restapi/v2.1/accounts/A1/users/U2/profile", "A1", "U2");
    assert_false(faults_match(&r, &f));                          /* user */
    request_for(&r, "PUT", "/restapi/v2.1/accounts/A2/users/U1/profile", "A2", "U1");
    assert_false(faults_match(&r, &f));                          /* account */
    request_for(&r, "PUT", "/restapi/v2.1/accounts/a1/users/u1/profile", "a1", "u1");
    assert_true(faults_match(&r, &f));                           /* ids without regard to case */
    assert_int_equal(f.id, id);
    assert_int_equal(f.error, PD_ERR_HOURLY_LIMIT);
    assert_true(faults_match(&r, &f));
    assert_false(faults_match(&r, &f));                          /* count 2: used up, gone */
    assert_int_equal(faults_remove(id), -1);

    id = add("{\"route\":\"/accounts/{accountId}/users/{userId}/profile\",\"status\":503}", err, sizeof(err));
    assert_true(faults_match(&r, &f));
    assert_int_equal(f.error, PD_ERR_UNAVAILABLE);
    assert_int_equal(f.status, 503);
    assert_true(faults_match(&r, &f));                           /* until cleared */
    assert_int_equal(faults_remove(id), 0);
    assert_false(faults_match(&r, &f));
}

static void test_rule_table_is_bounded(void **state)
{
    (void)state;
    char err[256];

    faults_clear();
    for (int i = 0; i < LIM_CONTROL_RULES_MAX; i++)
        assert_true(add("{\"status\":500,\"path\":\"/none\"}", err, sizeof(err)) > 0);
    assert_int_equal(add("{\"status\":500}", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "at most"));
    faults_clear();
}

static void test_journal_empty_and_bounded_capacity(void **state)
{
    (void)state;
    journal_filter f = { NULL, 0, NULL, 0, 100 };

    assert_int_equal(journal_init(3), 0);
    assert_int_equal(journal_capacity(), 3);
    json_t *l = journal_list(&f);
    assert_int_equal(json_array_size(json_object_get(l, "entries")), 0);
    assert_int_equal(json_integer_value(json_object_get(l, "capacity")), 3);
    json_decref(l);
    journal_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_redaction),
        cmocka_unit_test(test_param_redaction),
        cmocka_unit_test(test_rule_refusals),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_matching_and_count),
        cmocka_unit_test(test_rule_table_is_bounded),
        cmocka_unit_test(test_journal_empty_and_bounded_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
