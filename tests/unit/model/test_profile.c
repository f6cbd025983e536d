/*
 * test_profile.c - unit tests for src/model/profile.c: validation of PUT bodies
 * and import records (every limit at and over, characters not bytes, types,
 * nulls, flags, enumerations, several problems in one pass), the partial
 * update (merge, name rule, read-only and secret members), import, and the
 * GET rendering (v2 vs v2.1, derived members, omitted-not-null, no secrets).
 *
 * Memory: every json_t and string a test obtains is released by it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/limits.h"
#include "model/profile.h"

/* ---- helpers ---- */

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);

    if (j == NULL)
        fail_msg("bad test JSON: %s (%s)", e.text, text);
    return j;
}

/* n copies of the UTF-8 character ch. */
static char *rep(const char *ch, size_t n)
{
    size_t k = strlen(ch), i;
    char *s = malloc(n * k + 1);

    assert_non_null(s);
    for (i = 0; i < n; i++)
        memcpy(s + i * k, ch, k);
    s[n * k] = '\0';
    return s;
}

/* {"a": {"b": value}} built from a dotted path with a string leaf. */
static json_t *body_with(const char *path, json_t *leaf)
{
    char buf[128];
    json_t *root = json_object(), *cur = root, *n;
    char *dot, *p;

    snprintf(buf, sizeof(buf), "%s", path);
    p = buf;
    while ((dot = strchr(p, '.')) != NULL) {
        *dot = '\0';
        n = json_object_get(cur, p);
        if (n == NULL) {
            n = json_object();
            json_object_set_new(cur, p, n);
        }
        cur = n;
        p = dot + 1;
    }
    json_object_set_new(cur, p, leaf);
    return root;
}

static pd_err validate_update(const json_t *b, profile_api api, pd_errbuf *eb)
{
    pd_errbuf_init(eb);
    return profile_validate_update(b, api, eb);
}

static void assert_has(const pd_errbuf *eb, const char *text)
{
    if (strstr(eb->text, text) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", text, eb->text);
}

/* Checks that a string of n copies of ch at path passes and n+1 fails with
 * "path: longer than n characters". */
static void check_limit(const char *path, size_t n, const char *ch, bool import)
{
    pd_errbuf eb;
    char expect[160];
    char *ok = rep(ch, n), *over = rep(ch, n + 1);
    json_t *b1 = body_with(path, json_string(ok)), *b2 = body_with(path, json_string(over));
    pd_err r1, r2;

    pd_errbuf_init(&eb);
    r1 = import ? profile_validate_import(b1, NULL, &eb) : profile_validate_update(b1, PROFILE_API_V2, &eb);
    if (r1 != PD_OK)
        fail_msg("%s at %zu chars rejected: %s", path, n, eb.text);
    assert_int_equal(eb.count, 0);
    pd_errbuf_init(&eb);
    r2 = import ? profile_validate_import(b2, NULL, &eb) : profile_validate_update(b2, PROFILE_API_V2, &eb);
    assert_int_equal(r2, PD_ERR_INVALID_BODY);
    assert_int_equal(eb.count, 1);
    snprintf(expect, sizeof(expect), "%s: longer than %zu characters", path, n);
    assert_string_equal(eb.text, expect);
    json_decref(b1);
    json_decref(b2);
    free(ok);
    free(over);
}

/* Asserts that no null appears anywhere in j. */
static void assert_no_null(const json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;

    assert_false(json_is_null(j));
    if (json_is_object(j))
        json_object_foreach((json_t *)j, k, v)
            assert_no_null(v);
    else if (json_is_array(j))
        json_array_foreach(j, i, v)
            assert_no_null(v);
}

static bool contains_key(const json_t *j, const char *key)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, v)
            if (strcmp(k, key) == 0 || contains_key(v, key))
                return true;
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            if (contains_key(v, key))
                return true;
    }
    return false;
}

static const char *S(const json_t *obj, const char *path)
{
    char buf[128];
    char *dot, *p = buf;
    const json_t *cur = obj;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(p, '.')) != NULL) {
        *dot = '\0';
        cur = json_object_get(cur, p);
        p = dot + 1;
    }
    cur = json_object_get(cur, p);
    return json_is_string(cur) ? json_string_value(cur) : NULL;
}

static const json_t *G(const json_t *obj, const char *path)
{
    char buf[128];
    char *dot, *p = buf;
    const json_t *cur = obj;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(p, '.')) != NULL) {
        *dot = '\0';
        cur = json_object_get(cur, p);
        p = dot + 1;
    }
    return json_object_get(cur, p);
}

/* ---- validation ---- */

static void test_limits_update(void **state)
{
    check_limit("userDetails.firstName", LIM_NAME_MAX, "a", false);
    check_limit("userDetails.middleName", LIM_NAME_MAX, "a", false);
    check_limit("userDetails.lastName", LIM_NAME_MAX, "a", false);
    check_limit("userDetails.suffixName", LIM_NAME_MAX, "a", false);
    check_limit("userDetails.title", LIM_DETAILS_TITLE_MAX, "a", false);
    check_limit("userDetails.jobTitle", LIM_PROFILE_TITLE_MAX, "a", false);
    check_limit("userDetails.countryCode", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("title", LIM_PROFILE_TITLE_MAX, "a", false);
    check_limit("companyName", LIM_STRING_FIELD_MAX, "a", false);
    check_limit("address.address1", LIM_ADDRESS_LINE_MAX, "a", false);
    check_limit("address.address2", LIM_ADDRESS_LINE_MAX, "a", false);
    check_limit("address.city", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("address.stateOrProvince", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("address.postalCode", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("address.zipPlus4", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("address.country", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("address.phone", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("address.fax", LIM_ADDRESS_FIELD_MAX, "a", false);
    check_limit("userDetails.homeAddress.address1", LIM_ADDRESS_LINE_MAX, "a", false);
    check_limit("userDetails.workAddress.city", LIM_ADDRESS_FIELD_MAX, "a", false);
}

/* userName: the limit is 100, and the name must split into two parts of at
 * most 50 (see test_user_name_split_must_fit): 49 + 1 + 50, then 50 + 1 + 50. */
static void test_limit_user_name(void **state)
{
    char *a49 = rep("\xC3\xA9", LIM_NAME_MAX - 1), *a50 = rep("\xC3\xA9", LIM_NAME_MAX), buf[512];
    json_t *b;
    pd_errbuf eb;

    snprintf(buf, sizeof(buf), "%s %s", a49, a50);
    b = json_pack("{s:{s:s}}", "userDetails", "userName", buf);
    assert_int_equal(validate_update(b, PROFILE_API_V2, &eb), PD_OK);
    json_decref(b);
    snprintf(buf, sizeof(buf), "%s %s", a50, a50);
    b = json_pack("{s:{s:s}}", "userDetails", "userName", buf);
    assert_int_equal(validate_update(b, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    assert_string_equal(eb.text, "userDetails.userName: longer than 100 characters");
    json_decref(b);
    free(a49);
    free(a50);
}

static void test_limits_import(void **state)
{
    check_limit("userDetails.signatureImageUri", LIM_STRING_FIELD_MAX, "a", true);
    check_limit("userDetails.firstName", LIM_NAME_MAX, "a", true);
}

static void test_limits_count_characters_not_bytes(void **state)
{
    check_limit("userDetails.firstName", LIM_NAME_MAX, "\xC3\xA9", false);          /* é: 2 bytes */
    check_limit("userDetails.lastName", LIM_NAME_MAX, "\xE2\x82\xAC", false);       /* €: 3 bytes */
    check_limit("userDetails.title", LIM_DETAILS_TITLE_MAX, "\xF0\x9F\x98\x80", false); /* 4 bytes */
    check_limit("title", LIM_PROFILE_TITLE_MAX, "\xE6\x97\xA5", false);
}

static void test_settings_array_size(void **state)
{
    pd_errbuf eb;
    json_t *arr = json_array(), *b;
    char name[16];
    int i;

    for (i = 0; i < LIM_SETTINGS_MAX; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", name, "value", "v"));
    }
    b = json_pack("{s:{s:O, s:O}}", "userDetails", "userSettings", arr, "customSettings", arr);
    assert_int_equal(validate_update(b, PROFILE_API_V2, &eb), PD_OK);
    json_array_append_new(arr, json_pack("{s:s}", "name", "one-too-many"));
    assert_int_equal(validate_update(b, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    assert_int_equal(eb.count, 2);
    assert_has(&eb, "userDetails.userSettings: more than 100 items");
    assert_has(&eb, "userDetails.customSettings: more than 100 items");
    json_decref(b);
    json_decref(arr);
}

static void test_several_problems_in_one_pass(void **state)
{
    pd_errbuf eb;
    char *long_first = rep("x", LIM_NAME_MAX + 1);
    json_t *b = json_pack("{s:i, s:s, s:{s:s, s:s, s:n, s:[{s:i}, s]}, s:s, s:{s:b}}",
                          "companyName", 5,
                          "displayProfile", "maybe",
                          "userDetails",
                              "firstName", long_first,
                              "title", "Professor Doctor",
                              "lastName",
                              "userSettings", "value", 3, "",
                          "address", "nowhere",
                          "ignored", "x", true);
    unsigned n;

    assert_non_null(b);
    assert_int_equal(validate_update(b, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    n = eb.count;
    assert_has(&eb, "companyName: must be a string");
    assert_has(&eb, "displayProfile: must be \"true\" or \"false\"");
    assert_has(&eb, "userDetails.firstName: longer than 50 characters");
    assert_has(&eb, "userDetails.title: longer than 10 characters");
    assert_has(&eb, "userDetails.lastName: must not be null");
    assert_has(&eb, "userDetails.userSettings[0].name: is required");
    assert_has(&eb, "userDetails.userSettings[0].value: must be a string");
    assert_has(&eb, "userDetails.userSettings[1]: must be an object");
    assert_has(&eb, "address: must be an object");
    assert_int_equal(n, 9);
    assert_null(strstr(eb.text, "ignored"));
    json_decref(b);
    free(long_first);
}

static void test_wrong_types(void **state)
{
    static const struct {
        const char *json;
        const char *error;
    } cases[] = {
        { "{\"userDetails\":{\"firstName\":12}}", "userDetails.firstName: must be a string" },
        { "{\"userDetails\":{\"firstName\":1.5}}", "userDetails.firstName: must be a string" },
        { "{\"userDetails\":{\"firstName\":true}}", "userDetails.firstName: must be a string" },
        { "{\"userDetails\":{\"firstName\":[\"a\"]}}", "userDetails.firstName: must be a string" },
        { "{\"userDetails\":{\"firstName\":{}}}", "userDetails.firstName: must be a string" },
        { "{\"userDetails\":\"Ann\"}", "userDetails: must be an object" },
        { "{\"userDetails\":[]}", "userDetails: must be an object" },
        { "{\"userDetails\":{\"homeAddress\":[]}}", "userDetails.homeAddress: must be an object" },
        { "{\"userDetails\":{\"customSettings\":{}}}", "userDetails.customSettings: must be an array" },
        { "{\"userDetails\":{\"customSettings\":[{\"name\":\"\"}]}}",
          "userDetails.customSettings[0].name: must not be empty" },
        { "{\"title\":\"a\\u0001b\"}", "title: contains a control character" },
        { "{\"companyName\":\"\\b\"}", "companyName: contains a control character" },
        { "{\"title\":null}", "title: must not be null" },
        { "{\"address\":null}", "address: must not be null" },
        { "{\"address\":{\"city\":null}}", "address.city: must not be null" },
        { "{\"userDetails\":{\"customSettings\":[null]}}", "userDetails.customSettings[0]: must not be null" },
        { "{\"displayUsageHistory\":1}", "displayUsageHistory: must be a string \"true\" or \"false\"" },
        { "{\"userDetails\":{\"subscribe\":\"yes\"}}", "userDetails.subscribe: must be \"true\" or \"false\"" },
        { "{\"userDetails\":{\"enableConnectForUser\":\"\"}}",
          "userDetails.enableConnectForUser: must be \"true\" or \"false\"" },
        { "[]", "body: must be a JSON object" },
        { "\"x\"", "body: must be a JSON object" },
        { "null", "body: must be a JSON object" },
        { "42", "body: must be a JSON object" },
    };
    size_t i;
    pd_errbuf eb;
    json_t *b;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = J(cases[i].json);
        if (validate_update(b, PROFILE_API_V2, &eb) != PD_ERR_INVALID_BODY)
            fail_msg("accepted: %s", cases[i].json);
        assert_int_equal(eb.count, 1);
        assert_string_equal(eb.text, cases[i].error);
        json_decref(b);
    }
}

static void test_accepted_bodies(void **state)
{
    static const char *const ok[] = {
        "{}",
        "{\"displayProfile\":\"true\",\"displayOrganizationInfo\":\"FALSE\","
        "\"displayPersonalInfo\":true,\"displayUsageHistory\":false}",
        "{\"userDetails\":{\"subscribe\":\"True\",\"enableConnectForUser\":false,"
        "\"sendActivationOnInvalidLogin\":\"false\"}}",
        /* unknown members and read-only members are ignored, whatever they hold */
        "{\"somethingNew\":null,\"profileImageUri\":5,\"userProfileLastModifiedDate\":[],"
        "\"authenticationMethods\":\"garbage\",\"usageHistory\":{\"sentCount\":-1},"
        "\"userDetails\":{\"userId\":7,\"email\":\"not an email\",\"password\":1,\"isAdmin\":\"x\","
        "\"groupList\":{},\"accountManagementGranular\":5,\"loginStatus\":\"x\",\"uri\":null,"
        "\"forgottenPasswordInfo\":\"x\",\"errorDetails\":{}}}",
        "{\"address\":{},\"userDetails\":{\"homeAddress\":{},\"customSettings\":[],\"userSettings\":[]}}",
        "{\"userDetails\":{\"customSettings\":[{\"name\":\"k\",\"value\":true,\"extra\":1}]}}",
        "{\"companyName\":\"\",\"title\":\"\"}",
        "{\"companyName\":\"tab\\there\\r\\nnext \\u007f \\u0085\"}",   /* tab, CR, LF, DEL, C1 fine */
    };
    size_t i;
    pd_errbuf eb;
    json_t *b;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        b = J(ok[i]);
        if (validate_update(b, PROFILE_API_V2, &eb) != PD_OK)
            fail_msg("rejected %s: %s", ok[i], eb.text);
        assert_int_equal(eb.count, 0);
        json_decref(b);
    }
}

static void test_invalid_utf8_rejected(void **state)
{
    pd_errbuf eb;
    /* jansson's decoder never produces these; built directly as a defence test */
    json_t *b = json_pack("{s:{s:o, s:o, s:o}}", "userDetails",
                          "firstName", json_string_nocheck("\xC3\x28"),
                          "lastName", json_stringn_nocheck("a\0b", 3),
                          "middleName", json_string_nocheck("\xED\xA0\x80"));   /* surrogate */

    assert_int_equal(validate_update(b, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    assert_int_equal(eb.count, 3);
    assert_has(&eb, "userDetails.firstName: is not valid UTF-8 text");
    assert_has(&eb, "userDetails.lastName: contains a control character");
    assert_has(&eb, "userDetails.middleName: is not valid UTF-8 text");
    json_decref(b);
}

static void test_user_settings_shapes(void **state)
{
    pd_errbuf eb;
    json_t *obj = J("{\"userDetails\":{\"userSettings\":{\"canSendEnvelope\":\"true\",\"locale\":\"en\","
                    "\"allowX\":false}}}");
    json_t *bad = J("{\"userDetails\":{\"userSettings\":{\"n\":5,\"z\":null,\"o\":{\"a\":\"b\"},\"\":\"x\"}}}");

    assert_int_equal(validate_update(obj, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    assert_string_equal(eb.text, "userDetails.userSettings: must be an array");
    assert_int_equal(validate_update(obj, PROFILE_API_V21, &eb), PD_OK);
    assert_int_equal(validate_update(bad, PROFILE_API_V21, &eb), PD_ERR_INVALID_BODY);
    assert_int_equal(eb.count, 4);
    assert_has(&eb, "userDetails.userSettings.n: must be a string");
    assert_has(&eb, "userDetails.userSettings.z: must not be null");
    assert_has(&eb, "userDetails.userSettings.o: nested setting objects are not supported");
    assert_has(&eb, "userDetails.userSettings.: setting name must be 1 to 500 characters");
    json_decref(obj);
    json_decref(bad);
}

static void test_import_validation(void **state)
{
    pd_errbuf eb;
    json_t *good = J("{\"authenticationMethods\":[{\"authenticationType\":\"PhoneAuth\",\"totalCount\":2},"
                     "{\"authenticationType\":\"STAN\"},{\"authenticationType\":\"ISCheck\"},"
                     "{\"authenticationType\":\"IDCheck\"},{\"authenticationType\":\"OFAC\"},"
                     "{\"authenticationType\":\"AccessCode\"},{\"authenticationType\":\"AgeVerify\"},"
                     "{\"authenticationType\":\"SSOAuth\",\"totalCount\":\"12\",\"lastProvider\":\"p\"}],"
                     "\"usageHistory\":{\"sentCount\":0,\"signedCount\":\"7\",\"lastSentDateTime\":\"2024-05-01T10:00:00Z\"},"
                     "\"userDetails\":{\"email\":\"ann@example.com\",\"loginStatus\":\"password_active\","
                     "\"userSettings\":{\"a\":\"b\"},"
                     "\"accountManagementGranular\":{\"canManageUsers\":\"true\","
                     "\"canManageUsersMetadata\":{\"options\":[\"x\"],\"rights\":\"editable\"}}}}");
    json_t *bad = J("{\"authenticationMethods\":[{\"authenticationType\":\"Bogus\"},{\"totalCount\":-1},"
                    "{\"authenticationType\":\"stan\",\"totalCount\":\"1x\"}],"
                    "\"usageHistory\":{\"sentCount\":-3,\"signedCount\":1.5,\"lastSentDateTime\":\"t\"},"
                    "\"userDetails\":{\"email\":\"a@b@c\",\"loginStatus\":\"locked\","
                    "\"accountManagementGranular\":{\"canManageUsers\":\"sure\","
                    "\"canManageUsersMetadata\":{\"options\":[1]}}}}");
    static const char *const expect[] = {
        "users[3].profile.authenticationMethods[0].authenticationType: is not a valid authentication type",
        "users[3].profile.authenticationMethods[1].totalCount: must be a non-negative integer",
        "users[3].profile.authenticationMethods[1].authenticationType: is required",
        "users[3].profile.authenticationMethods[2].totalCount: must be a non-negative integer",
        "users[3].profile.authenticationMethods[2].authenticationType: is not a valid authentication type",
        "users[3].profile.usageHistory.signedCount: must be a non-negative integer",
        "users[3].profile.usageHistory.sentCount: must be a non-negative integer",
        "users[3].profile.usageHistory.lastSentDateTime: must be a date like 2024-01-02T03:04:05.123Z",
        "users[3].profile.userDetails.email: is not a valid email address",
        "users[3].profile.userDetails.loginStatus: is not a valid login status",
        "users[3].profile.userDetails.accountManagementGranular.canManageUsers: must be \"true\" or \"false\"",
        "users[3].profile.userDetails.accountManagementGranular.canManageUsersMetadata.options[0]: must be a string",
    };
    size_t i;

    pd_errbuf_init(&eb);
    if (profile_validate_import(good, "users[3].profile", &eb) != PD_OK)
        fail_msg("rejected: %s", eb.text);
    pd_errbuf_init(&eb);
    assert_int_equal(profile_validate_import(bad, "users[3].profile", &eb), PD_ERR_INVALID_BODY);
    for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        assert_has(&eb, expect[i]);
    assert_int_equal(eb.count, sizeof(expect) / sizeof(expect[0]));
    pd_errbuf_init(&eb);
    assert_int_equal(profile_validate_import(bad, NULL, &eb), PD_ERR_INVALID_BODY);
    assert_has(&eb, "; authenticationMethods[0].authenticationType: is not a valid authentication type");
    assert_null(strstr(eb.text, "profile"));
    json_decref(good);
    json_decref(bad);
}

static void test_import_root_and_email(void **state)
{
    static const struct {
        const char *email;
        bool ok;
    } cases[] = {
        { "a@b", true }, { "first.last+tag@example.co.uk", true },
        { "@b", false }, { "a@", false }, { "ab", false }, { "a@b@c", false },
        { "a b@c", false }, { "", true /* empty: no address given */ },
    };
    pd_errbuf eb;
    json_t *b, *arr = J("[]");
    size_t i;
    char *at_limit = rep("a", LIM_EMAIL_MAX - 2), *email;

    pd_errbuf_init(&eb);
    assert_int_equal(profile_validate_import(arr, "users[0].profile", &eb), PD_ERR_INVALID_BODY);
    assert_string_equal(eb.text, "users[0].profile: must be a JSON object");
    json_decref(arr);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = json_pack("{s:{s:s}}", "userDetails", "email", cases[i].email);
        pd_errbuf_init(&eb);
        if ((profile_validate_import(b, NULL, &eb) == PD_OK) != cases[i].ok)
            fail_msg("email \"%s\": %s", cases[i].email, eb.text);
        json_decref(b);
    }
    /* length: exactly LIM_EMAIL_MAX, then one over */
    email = malloc(LIM_EMAIL_MAX + 2);
    assert_non_null(email);
    snprintf(email, LIM_EMAIL_MAX + 2, "%s@b", at_limit);
    b = json_pack("{s:{s:s}}", "userDetails", "email", email);
    pd_errbuf_init(&eb);
    assert_int_equal(profile_validate_import(b, NULL, &eb), PD_OK);
    json_decref(b);
    snprintf(email, LIM_EMAIL_MAX + 2, "%s@bc", at_limit);
    b = json_pack("{s:{s:s}}", "userDetails", "email", email);
    pd_errbuf_init(&eb);
    assert_int_equal(profile_validate_import(b, NULL, &eb), PD_ERR_INVALID_BODY);
    assert_string_equal(eb.text, "userDetails.email: longer than 100 characters");
    json_decref(b);
    free(email);
    free(at_limit);
}

/* ---- merge ---- */

static const char STORED[] =
    "{\"displayProfile\":\"true\",\"displayOrganizationInfo\":\"true\","
    "\"displayPersonalInfo\":\"false\",\"displayUsageHistory\":\"true\","
    "\"companyName\":\"ACME\",\"title\":\"Engineer\","
    "\"address\":{\"address1\":\"1 Main St\",\"city\":\"Springfield\"},"
    "\"usageHistory\":{\"sentCount\":4,\"signedCount\":2,\"lastSentDateTime\":\"2024-01-01\"},"
    "\"authenticationMethods\":[{\"authenticationType\":\"STAN\",\"totalCount\":1}],"
    "\"userDetails\":{\"userName\":\"Ann B Lee Jr\",\"firstName\":\"Ann\",\"middleName\":\"B\","
    "\"lastName\":\"Lee\",\"suffixName\":\"Jr\",\"title\":\"Dr\",\"jobTitle\":\"Boss\","
    "\"customSettings\":[{\"name\":\"a\",\"value\":\"1\"},{\"name\":\"b\",\"value\":\"2\"}],"
    "\"userSettings\":[{\"name\":\"locale\",\"value\":\"en\"}],"
    "\"homeAddress\":{\"city\":\"Home\"}}}";

static json_t *merged(const char *patch)
{
    json_t *s = J(STORED), *p = J(patch), *m = profile_merge(s, p);

    assert_non_null(m);
    json_decref(s);
    json_decref(p);
    return m;
}

static void test_merge_partial_keeps_untouched(void **state)
{
    json_t *m = merged("{\"companyName\":\"Initech\",\"address\":{\"city\":\"Shelbyville\"}}");

    assert_string_equal(S(m, "companyName"), "Initech");
    assert_string_equal(S(m, "address.city"), "Shelbyville");
    assert_string_equal(S(m, "address.address1"), "1 Main St");        /* objects merge */
    assert_string_equal(S(m, "title"), "Engineer");
    assert_string_equal(S(m, "displayPersonalInfo"), "false");
    assert_string_equal(S(m, "userDetails.userName"), "Ann B Lee Jr");
    assert_string_equal(S(m, "userDetails.homeAddress.city"), "Home");
    assert_int_equal(json_integer_value(G(m, "usageHistory.sentCount")), 4);
    assert_int_equal(json_array_size(G(m, "userDetails.customSettings")), 2);
    json_decref(m);
}

static void test_merge_empty_patch_is_identity(void **state)
{
    json_t *s = J(STORED), *p = J("{}"), *m = profile_merge(s, p);

    assert_true(json_equal(s, m));
    json_decref(m);
    m = profile_merge(s, NULL);
    assert_true(json_equal(s, m));
    json_decref(m);
    json_decref(s);
    json_decref(p);
}

static void test_merge_arrays_replace(void **state)
{
    json_t *m = merged("{\"userDetails\":{\"customSettings\":[{\"name\":\"c\",\"value\":\"3\"}]}}");
    const json_t *cs = G(m, "userDetails.customSettings");

    assert_int_equal(json_array_size(cs), 1);
    assert_string_equal(S(json_array_get(cs, 0), "name"), "c");
    assert_int_equal(json_array_size(G(m, "userDetails.userSettings")), 1);   /* other list untouched */
    json_decref(m);
    m = merged("{\"userDetails\":{\"customSettings\":[]}}");
    assert_int_equal(json_array_size(G(m, "userDetails.customSettings")), 0);
    json_decref(m);
}

static void test_merge_split_names_win(void **state)
{
    json_t *m = merged("{\"userDetails\":{\"userName\":\"Ignored Name\",\"firstName\":\"Bea\","
                       "\"suffixName\":\"\"}}");

    assert_string_equal(S(m, "userDetails.firstName"), "Bea");
    assert_string_equal(S(m, "userDetails.middleName"), "B");
    assert_string_equal(S(m, "userDetails.lastName"), "Lee");
    assert_string_equal(S(m, "userDetails.userName"), "Bea B Lee");
    json_decref(m);
    /* title alone also rebuilds userName from the stored split fields */
    m = merged("{\"userDetails\":{\"title\":\"Ms\",\"userName\":\"Other\"}}");
    assert_string_equal(S(m, "userDetails.title"), "Ms");
    assert_string_equal(S(m, "userDetails.userName"), "Ann B Lee Jr");
    json_decref(m);
}

static void test_merge_user_name_alone_splits(void **state)
{
    json_t *m = merged("{\"userDetails\":{\"userName\":\"  Carl   von Berg  \"}}");

    assert_string_equal(S(m, "userDetails.userName"), "Carl von Berg");     /* normalised */
    assert_string_equal(S(m, "userDetails.firstName"), "Carl");
    assert_string_equal(S(m, "userDetails.lastName"), "von Berg");
    assert_null(G(m, "userDetails.middleName"));
    assert_null(G(m, "userDetails.suffixName"));
    assert_string_equal(S(m, "userDetails.title"), "Dr");                /* untouched */
    json_decref(m);
    m = merged("{\"userDetails\":{\"userName\":\"Cher\"}}");
    assert_string_equal(S(m, "userDetails.firstName"), "Cher");
    assert_null(G(m, "userDetails.lastName"));
    json_decref(m);
}

static json_t *user_name_body(const char *first, size_t nf, const char *sep, size_t nr)
{
    char *a = rep(first, nf), *b = rep("r", nr), buf[512];
    json_t *j;

    snprintf(buf, sizeof(buf), "%s%s%s", a, sep, b);
    j = json_pack("{s:{s:s}}", "userDetails", "userName", buf);
    free(a);
    free(b);
    return j;
}

static void test_user_name_split_must_fit(void **state)
{
    static const char msg[] = "userDetails.userName: first word or rest longer than 50 characters: "
                              "send firstName and lastName";
    json_t *s = J("{}"), *p, *m;
    char *first = rep("\xC3\xA9", LIM_NAME_MAX), *w49 = rep("f", LIM_NAME_MAX - 1);
    pd_errbuf eb;

    /* first word 50 + rest 49, and first 49 + rest 50: both fit */
    p = user_name_body("f", LIM_NAME_MAX, " ", LIM_NAME_MAX - 1);
    assert_int_equal(validate_update(p, PROFILE_API_V2, &eb), PD_OK);
    json_decref(p);
    p = user_name_body("f", LIM_NAME_MAX - 1, " ", LIM_NAME_MAX);
    assert_int_equal(validate_update(p, PROFILE_API_V2, &eb), PD_OK);
    m = profile_merge(s, p);
    assert_string_equal(S(m, "userDetails.firstName"), w49);
    assert_int_equal(strlen(S(m, "userDetails.lastName")), LIM_NAME_MAX);
    json_decref(m);
    json_decref(p);
    /* rest of 51 characters (several words) */
    p = user_name_body("f", 10, " ", LIM_NAME_MAX + 1);
    assert_int_equal(validate_update(p, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    assert_string_equal(eb.text, msg);
    json_decref(p);
    /* one 100-character word (2-byte characters): valid userName, unsplittable */
    p = user_name_body("\xC3\xA9", LIM_USERNAME_MAX, "", 0);
    assert_int_equal(validate_update(p, PROFILE_API_V2, &eb), PD_ERR_INVALID_BODY);
    assert_string_equal(eb.text, msg);
    pd_errbuf_init(&eb);
    assert_int_equal(profile_validate_import(p, NULL, &eb), PD_ERR_INVALID_BODY);
    /* merge (defence in depth, unvalidated input) cuts the derived name */
    m = profile_merge(s, p);
    assert_non_null(m);
    assert_string_equal(S(m, "userDetails.firstName"), first);
    assert_null(G(m, "userDetails.lastName"));
    json_decref(m);
    /* with a split field the userName is not split: accepted */
    json_object_set_new(json_object_get(p, "userDetails"), "lastName", json_string("L"));
    assert_int_equal(validate_update(p, PROFILE_API_V2, &eb), PD_OK);
    json_decref(p);
    json_decref(s);
    free(first);
    free(w49);
}

static void test_merge_read_only_and_secrets_ignored(void **state)
{
    json_t *m = merged("{\"authenticationMethods\":[],\"usageHistory\":{\"sentCount\":99},"
                       "\"profileImageUri\":\"x\",\"userProfileLastModifiedDate\":\"x\",\"unknown\":\"u\","
                       "\"userDetails\":{\"userId\":\"evil\",\"email\":\"evil@x\",\"password\":\"secret\","
                       "\"forgottenPasswordInfo\":{\"forgottenPasswordAnswer1\":\"a\"},\"isAdmin\":\"true\","
                       "\"accountManagementGranular\":{\"canManageUsers\":\"true\"},"
                       "\"uri\":\"x\",\"groupList\":[],\"loginStatus\":\"password_active\"}}");

    assert_int_equal(json_array_size(G(m, "authenticationMethods")), 1);
    assert_int_equal(json_integer_value(G(m, "usageHistory.sentCount")), 4);
    static const char *const gone[] = {
        "userId", "email", "password", "forgottenPasswordInfo", "isAdmin", "uri", "groupList",
        "accountManagementGranular", "loginStatus", "profileImageUri", "userProfileLastModifiedDate",
        "unknown",
    };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        if (contains_key(m, gone[i]))
            fail_msg("%s stored", gone[i]);
    json_decref(m);
}

static void test_merge_drops_secrets_already_stored(void **state)
{
    json_t *s = J("{\"userDetails\":{\"firstName\":\"A\",\"password\":\"p\","
                  "\"forgottenPasswordInfo\":{\"forgottenPasswordAnswer1\":\"x\"}},\"junk\":null}");
    json_t *p = J("{}"), *m = profile_merge(s, p);

    assert_false(contains_key(m, "password"));
    assert_false(contains_key(m, "forgottenPasswordInfo"));
    assert_false(contains_key(m, "junk"));
    assert_string_equal(S(m, "userDetails.firstName"), "A");
    json_decref(m);
    json_decref(s);
    json_decref(p);
}

static void test_merge_flags_stored_as_strings(void **state)
{
    json_t *m = merged("{\"displayProfile\":false,\"displayPersonalInfo\":true,"
                       "\"displayUsageHistory\":\"FALSE\",\"userDetails\":{\"subscribe\":true,"
                       "\"enableConnectForUser\":\"True\",\"sendActivationOnInvalidLogin\":false,"
                       "\"customSettings\":[{\"name\":\"x\",\"value\":true}]}}");

    assert_string_equal(S(m, "displayProfile"), "false");
    assert_string_equal(S(m, "displayPersonalInfo"), "true");
    assert_string_equal(S(m, "displayUsageHistory"), "false");
    assert_string_equal(S(m, "userDetails.subscribe"), "true");
    assert_string_equal(S(m, "userDetails.enableConnectForUser"), "true");
    assert_string_equal(S(m, "userDetails.sendActivationOnInvalidLogin"), "false");
    assert_string_equal(S(json_array_get(G(m, "userDetails.customSettings"), 0), "value"), "true");
    json_decref(m);
}

static void test_merge_v21_user_settings_object(void **state)
{
    json_t *m = merged("{\"userDetails\":{\"userSettings\":{\"canSendEnvelope\":\"true\",\"x\":false}}}");
    const json_t *us = G(m, "userDetails.userSettings");
    const json_t *it;
    size_t i;
    int seen = 0;

    assert_true(json_is_array(us));
    assert_int_equal(json_array_size(us), 2);                 /* replaces, like an array */
    json_array_foreach(us, i, it) {
        if (strcmp(S(it, "name"), "canSendEnvelope") == 0 && strcmp(S(it, "value"), "true") == 0)
            seen |= 1;
        if (strcmp(S(it, "name"), "x") == 0 && strcmp(S(it, "value"), "false") == 0)
            seen |= 2;
    }
    assert_int_equal(seen, 3);
    json_decref(m);
}

/* The compact bytes of doc, member order included (malloc'd). */
static char *bytes_of(const json_t *doc)
{
    char *t = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

    assert_non_null(t);
    return t;
}

/* A chain of patches applied two ways, as PUT profile does: a copy each time
 * (profile_merge) and in place whenever the previous result said it was
 * canonical (profile_merge_into).  Both give the same bytes after every
 * step; a patch that adds a member the doc lacked says not canonical. */
static void test_merge_into_same_bytes_as_copy(void **state)
{
    static const struct {
        const char *patch;
        bool adds;          /* adds a member the doc did not have */
    } steps[] = {
        { "{\"title\":\"Lead\",\"userDetails\":{\"jobTitle\":\"Chief\"}}", false },
        { "{\"companyName\":\"Initech\",\"address\":{\"city\":\"Shelbyville\"}}", false },
        { "{\"address\":{\"postalCode\":\"12345\"}}", true },
        { "{\"title\":\"Again\"}", false },
        { "{\"userDetails\":{\"userName\":\"Zed  Quux Smith\"}}", false },
        { "{\"userDetails\":{\"firstName\":\"Ann\",\"middleName\":\"C\"}}", true },
        { "{\"userDetails\":{\"customSettings\":[{\"name\":\"c\",\"value\":\"3\"}]}}", false },
        { "{\"displayProfile\":false,\"userDetails\":{\"title\":\"\"}}", false },
        { "{\"userDetails\":{\"workAddress\":{\"city\":\"Work\"}}}", true },
        { "{\"userDetails\":{\"workAddress\":{\"city\":\"Work 2\"}}}", false },
        { "{}", false },
    };
    json_t *stored = J(STORED);
    bool canon = false;
    json_t *copy = profile_merge_canon(stored, NULL, &canon);     /* the stored doc as PUT wrote it */
    json_t *inplace = json_deep_copy(copy);

    assert_true(canon);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        json_t *p = J(steps[i].patch);
        bool c1 = false, c2 = false;
        json_t *next = profile_merge_canon(copy, p, &c1);

        assert_non_null(next);
        json_decref(copy);
        copy = next;
        if (canon) {
            assert_true(profile_merge_into(inplace, p, &c2));
        } else {                            /* what PUT does with a doc that is not */
            next = profile_merge_canon(inplace, p, &c2);
            assert_non_null(next);
            json_decref(inplace);
            inplace = next;
        }
        char *a = bytes_of(copy), *b = bytes_of(inplace);
        assert_string_equal(a, b);
        if (c1 != !steps[i].adds)
            fail_msg("step %zu: canonical %d", i, (int)c1);
        assert_int_equal(c2, !steps[i].adds);
        free(a);
        free(b);
        canon = c2;
        json_decref(p);
    }
    /* a doc that is not canonical would come out in another order in place */
    assert_false(profile_merge_into(NULL, NULL, NULL));
    json_decref(copy);
    json_decref(inplace);
    json_decref(stored);
}

static void test_import_and_new_doc(void **state)
{
    json_t *in = J("{\"usageHistory\":{\"sentCount\":\"12\",\"signedCount\":3},"
                   "\"authenticationMethods\":[{\"authenticationType\":\"STAN\",\"totalCount\":\"5\"},"
                   "{\"totalCount\":1}],"
                   "\"userDetails\":{\"userName\":\"Dee Dee\",\"email\":\"d@x\",\"password\":\"p\","
                   "\"loginStatus\":\"password_active\","
                   "\"accountManagementGranular\":{\"canManageUsers\":\"TRUE\"}}}");
    json_t *doc = profile_from_import(in), *nd = profile_new_doc();

    assert_non_null(doc);
    assert_int_equal(json_integer_value(G(doc, "usageHistory.sentCount")), 12);
    assert_int_equal(json_array_size(G(doc, "authenticationMethods")), 1);   /* typeless item dropped */
    assert_int_equal(json_integer_value(G(json_array_get(G(doc, "authenticationMethods"), 0), "totalCount")), 5);
    assert_string_equal(S(doc, "userDetails.firstName"), "Dee");
    assert_string_equal(S(doc, "userDetails.lastName"), "Dee");
    assert_string_equal(S(doc, "userDetails.loginStatus"), "password_active");
    assert_string_equal(S(doc, "userDetails.accountManagementGranular.canManageUsers"), "true");
    assert_string_equal(S(doc, "displayProfile"), "true");
    assert_false(contains_key(doc, "email"));
    assert_false(contains_key(doc, "password"));

    assert_string_equal(S(nd, "displayProfile"), "true");
    assert_string_equal(S(nd, "displayOrganizationInfo"), "true");
    assert_string_equal(S(nd, "displayPersonalInfo"), "true");
    assert_string_equal(S(nd, "displayUsageHistory"), "true");
    assert_int_equal(json_integer_value(G(nd, "usageHistory.sentCount")), 0);
    assert_int_equal(json_integer_value(G(nd, "usageHistory.signedCount")), 0);
    json_decref(in);
    json_decref(doc);
    json_decref(nd);
}

/* ---- render ---- */

typedef struct {
    pd_user u;
    pd_account a;
    pd_membership m;
    pd_group g[2];
    profile_view v;
} fixture;

static void fixture_init(fixture *f, const char *doc, bool admin, bool image, profile_api api)
{
    memset(f, 0, sizeof(*f));
    f->u.id = (char *)"9a8b7c6d-0000-4000-8000-000000000001";
    f->u.email = (char *)"ann@example.com";
    f->u.status = (char *)"Active";
    f->u.created = (char *)"2024-01-02T03:04:05.0000000Z";
    f->u.modified = (char *)"2024-05-06T07:08:09.0000000Z";
    f->u.profile_json = (char *)doc;
    f->u.has_image = image;
    f->a.id = (char *)"11111111-2222-3333-4444-555555555555";
    f->a.external_id = 1234;
    f->g[0] = (pd_group){ (char *)"1", (char *)"Everyone", (char *)"EveryoneGroup" };
    f->g[1] = (pd_group){ (char *)"2", (char *)"Administrators", (char *)"AdminGroup" };
    f->m.is_admin = admin;
    f->m.groups = f->g;
    f->m.n_groups = admin ? 2 : 1;
    f->v.user = &f->u;
    f->v.account = &f->a;
    f->v.membership = &f->m;
    f->v.base_path = api == PROFILE_API_V21 ? "/restapi/v2.1" : "/restapi/v2";
    f->v.api = api;
}

static json_t *render(const char *doc, bool admin, bool image, profile_api api)
{
    fixture f;
    json_t *r;

    fixture_init(&f, doc, admin, image, api);
    r = profile_render(&f.v);
    assert_non_null(r);
    assert_no_null(r);
    return r;
}

static void test_render_member_set(void **state)
{
    json_t *r = render(STORED, false, false, PROFILE_API_V2);
    static const char *const top[] = {
        "address", "authenticationMethods", "companyName", "displayOrganizationInfo",
        "displayPersonalInfo", "displayProfile", "displayUsageHistory", "title", "usageHistory",
        "userDetails", "userProfileLastModifiedDate",
    };
    size_t i;

    for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        if (json_object_get(r, top[i]) == NULL)
            fail_msg("missing %s", top[i]);
    assert_int_equal(json_object_size(r), sizeof(top) / sizeof(top[0]));
    assert_string_equal(S(r, "userDetails.userId"), "9a8b7c6d-0000-4000-8000-000000000001");
    assert_string_equal(S(r, "userDetails.userName"), "Ann B Lee Jr");
    assert_string_equal(S(r, "userDetails.email"), "ann@example.com");
    assert_string_equal(S(r, "userDetails.userStatus"), "Active");
    assert_string_equal(S(r, "userDetails.userType"), "CompanyUser");
    assert_string_equal(S(r, "userDetails.isAdmin"), "false");
    assert_string_equal(S(r, "userDetails.uri"),
        "/restapi/v2/accounts/11111111-2222-3333-4444-555555555555/users/9a8b7c6d-0000-4000-8000-000000000001");
    assert_string_equal(S(r, "userDetails.createdDateTime"), "2024-01-02T03:04:05.0000000Z");
    assert_string_equal(S(r, "userDetails.userProfileLastModifiedDate"), "2024-05-06T07:08:09.0000000Z");
    assert_string_equal(S(r, "userProfileLastModifiedDate"), "2024-05-06T07:08:09.0000000Z");
    assert_string_equal(S(r, "userDetails.firstName"), "Ann");
    assert_string_equal(S(r, "userDetails.middleName"), "B");
    assert_string_equal(S(r, "userDetails.suffixName"), "Jr");
    assert_string_equal(S(r, "userDetails.title"), "Dr");
    assert_string_equal(S(r, "userDetails.jobTitle"), "Boss");
    assert_string_equal(S(r, "address.address1"), "1 Main St");
    assert_string_equal(S(r, "displayPersonalInfo"), "false");
    /* groups: id, name, type; no users member */
    assert_int_equal(json_array_size(G(r, "userDetails.groupList")), 1);
    assert_string_equal(S(json_array_get(G(r, "userDetails.groupList"), 0), "groupName"), "Everyone");
    assert_string_equal(S(json_array_get(G(r, "userDetails.groupList"), 0), "groupType"), "EveryoneGroup");
    assert_false(contains_key(G(r, "userDetails.groupList"), "users"));
    json_decref(r);
}

static void test_render_omits_absent(void **state)
{
    json_t *r = render("{}", false, false, PROFILE_API_V2);
    static const char *const absent[] = {
        "companyName", "title", "profileImageUri", "lastLogin", "loginStatus", "permissionProfileId",
        "permissionProfileName", "firstName", "lastName", "userName", "homeAddress", "workAddress",
        "customSettings", "password", "forgottenPasswordInfo", "errorDetails",
        "lastSentDateTime",
    };
    size_t i;

    for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        if (contains_key(r, absent[i]))
            fail_msg("%s rendered", absent[i]);
    /* always present, with defaults */
    assert_string_equal(S(r, "displayProfile"), "true");
    assert_string_equal(S(r, "displayOrganizationInfo"), "true");
    assert_string_equal(S(r, "displayPersonalInfo"), "true");
    assert_string_equal(S(r, "displayUsageHistory"), "true");
    assert_true(json_is_array(G(r, "authenticationMethods")));
    assert_int_equal(json_array_size(G(r, "authenticationMethods")), 0);
    assert_true(json_is_object(G(r, "address")));
    assert_int_equal(json_integer_value(G(r, "usageHistory.sentCount")), 0);
    assert_int_equal(json_integer_value(G(r, "usageHistory.signedCount")), 0);
    /* userSettings holds only what follows from the membership */
    assert_int_equal(json_array_size(G(r, "userDetails.userSettings")), 1);
    assert_string_equal(S(json_array_get(G(r, "userDetails.userSettings"), 0), "name"), "canManageAccount");
    assert_string_equal(S(json_array_get(G(r, "userDetails.userSettings"), 0), "value"), "false");
    json_decref(r);
}

static void test_render_v2_vs_v21(void **state)
{
    const char *doc = "{\"usageHistory\":{\"sentCount\":4,\"signedCount\":2},"
                      "\"authenticationMethods\":[{\"authenticationType\":\"STAN\",\"totalCount\":3}],"
                      "\"address\":{\"postalCode\":\"12345\",\"zipPlus4\":\"6789\"},"
                      "\"userDetails\":{\"userSettings\":[{\"name\":\"locale\",\"value\":\"en\"},"
                      "{\"name\":\"canSendEnvelope\",\"value\":\"true\"}]}}";
    json_t *r2 = render(doc, false, false, PROFILE_API_V2);
    json_t *r21 = render(doc, false, false, PROFILE_API_V21);
    const json_t *us;

    assert_true(json_is_integer(G(r2, "usageHistory.sentCount")));
    assert_int_equal(json_integer_value(G(r2, "usageHistory.sentCount")), 4);
    assert_int_equal(json_integer_value(G(json_array_get(G(r2, "authenticationMethods"), 0), "totalCount")), 3);
    assert_string_equal(S(r21, "usageHistory.sentCount"), "4");
    assert_string_equal(S(r21, "usageHistory.signedCount"), "2");
    assert_string_equal(S(json_array_get(G(r21, "authenticationMethods"), 0), "totalCount"), "3");

    us = G(r2, "userDetails.userSettings");
    assert_true(json_is_array(us));
    assert_int_equal(json_array_size(us), 3);              /* + the derived canManageAccount */
    assert_string_equal(S(json_array_get(us, 0), "name"), "locale");
    assert_string_equal(S(json_array_get(us, 2), "name"), "canManageAccount");
    us = G(r21, "userDetails.userSettings");
    assert_true(json_is_object(us));
    assert_string_equal(S(us, "locale"), "en");
    assert_string_equal(S(us, "canSendEnvelope"), "true");

    assert_null(G(r2, "address.zipPlus4"));
    assert_string_equal(S(r21, "address.zipPlus4"), "6789");
    assert_true(strncmp(S(r21, "userDetails.uri"), "/restapi/v2.1/accounts/", 23) == 0);
    json_decref(r2);
    json_decref(r21);

    r21 = render("{}", false, false, PROFILE_API_V21);          /* default counts too */
    assert_string_equal(S(r21, "usageHistory.sentCount"), "0");
    json_decref(r21);
}

static void test_render_never_secrets(void **state)
{
    const char *doc = "{\"password\":\"top\",\"userDetails\":{\"password\":\"p\",\"firstName\":null,"
                      "\"forgottenPasswordInfo\":{\"forgottenPasswordAnswer1\":\"a\"},"
                      "\"lastName\":\"Lee\",\"email\":\"stored@x\",\"userId\":\"fake\",\"isAdmin\":\"true\","
                      "\"homeAddress\":{\"city\":null,\"fax\":\"1\",\"secret\":\"s\"},"
                      "\"customSettings\":[null,{\"value\":\"nameless\"},{\"name\":\"k\",\"value\":5}]},"
                      "\"authenticationMethods\":null,\"companyName\":12}";
    json_t *r = render(doc, false, false, PROFILE_API_V2);

    assert_false(contains_key(r, "password"));
    assert_false(contains_key(r, "forgottenPasswordInfo"));
    assert_false(contains_key(r, "secret"));
    assert_null(G(r, "companyName"));                           /* wrong type: dropped */
    assert_null(G(r, "userDetails.firstName"));
    assert_string_equal(S(r, "userDetails.email"), "ann@example.com");   /* from the user row */
    assert_string_equal(S(r, "userDetails.userId"), "9a8b7c6d-0000-4000-8000-000000000001");
    assert_string_equal(S(r, "userDetails.isAdmin"), "false");
    assert_string_equal(S(r, "userDetails.homeAddress.fax"), "1");
    assert_int_equal(json_array_size(G(r, "userDetails.customSettings")), 1);
    assert_string_equal(S(json_array_get(G(r, "userDetails.customSettings"), 0), "value"), ""); /* 5 dropped */
    assert_true(json_is_array(G(r, "authenticationMethods")));
    assert_string_equal(S(r, "userDetails.userName"), "Lee");   /* built from the split fields */
    json_decref(r);
}

static void test_render_profile_image_uri(void **state)
{
    json_t *r = render("{}", false, true, PROFILE_API_V21);
    const char *want = "/restapi/v2.1/accounts/11111111-2222-3333-4444-555555555555/users/"
                       "9a8b7c6d-0000-4000-8000-000000000001/profile/image";

    assert_string_equal(S(r, "profileImageUri"), want);
    assert_string_equal(S(r, "userDetails.profileImageUri"), want);
    json_decref(r);
    r = render("{\"profileImageUri\":\"/stale\",\"userDetails\":{\"profileImageUri\":\"/stale\"}}",
               false, false, PROFILE_API_V21);
    assert_false(contains_key(r, "profileImageUri"));
    json_decref(r);
}

static void test_render_granular(void **state)
{
    static const char *const flags[] = {
        "canManageUsers", "canManageAdmins", "canManageGroups", "canManageSharing",
        "canManageAccountSettings", "canManageAccountSecuritySettings", "canManageReporting",
        "canManageSigningGroups", "canViewUsers",
    };
    json_t *admin = render("{}", true, false, PROFILE_API_V2);
    json_t *user = render("{}", false, false, PROFILE_API_V2);
    json_t *stored = render("{\"userDetails\":{\"accountManagementGranular\":{\"canManageUsers\":\"true\","
                            "\"canManageUsersMetadata\":{\"rights\":\"editable\",\"options\":[\"a\"]}}}}",
                            false, false, PROFILE_API_V2);
    const json_t *ga = G(admin, "userDetails.accountManagementGranular");
    const json_t *gu = G(user, "userDetails.accountManagementGranular");
    const json_t *gs = G(stored, "userDetails.accountManagementGranular");
    size_t i;

    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        assert_string_equal(S(ga, flags[i]), "true");
        assert_string_equal(S(gu, flags[i]), "false");
    }
    assert_string_equal(S(admin, "userDetails.isAdmin"), "true");
    assert_int_equal(json_array_size(G(admin, "userDetails.groupList")), 2);
    assert_string_equal(S(gs, "canManageUsers"), "true");          /* stored wins */
    assert_string_equal(S(gs, "canManageAdmins"), "false");
    assert_string_equal(S(gs, "canManageUsersMetadata.rights"), "editable");
    json_decref(admin);
    json_decref(user);
    json_decref(stored);
}

/* v2.1: accountManagementGranular in userDetails.userSettings with the
 * v2.1 member set; v2: in userDetails with the v2 set (model/profile_versions.c). */
static void test_render_granular_per_version(void **state)
{
    static const char *const v21_admin[] = {
        "canManageAccountSecuritySettings", "canManageAccountSettings", "canManageAdmins",
        "canManageConnect", "canManageDocumentRetention", "canManageEnvelopeTransfer",
        "canManageJointAgreements", "canManageReporting", "canManageSharing",
        "canManageSigningGroups", "canManageStamps", "canManageUsers", "canViewUsers",
    };
    json_t *admin = render("{}", true, false, PROFILE_API_V21);
    json_t *user = render("{}", false, false, PROFILE_API_V21);
    json_t *v2 = render("{}", true, false, PROFILE_API_V2);
    const json_t *ga = G(admin, "userDetails.userSettings.accountManagementGranular");
    const json_t *gu = G(user, "userDetails.userSettings.accountManagementGranular");
    size_t i;

    assert_non_null(ga);
    assert_non_null(gu);
    assert_null(G(admin, "userDetails.accountManagementGranular"));     /* not in v2.1 userInformation */
    assert_int_equal(json_object_size(ga), 14);
    for (i = 0; i < sizeof(v21_admin) / sizeof(v21_admin[0]); i++) {
        assert_string_equal(S(ga, v21_admin[i]), "true");
        assert_string_equal(S(gu, v21_admin[i]), "false");
    }
    assert_string_equal(S(ga, "canManageGroupsButNotUsers"), "false");   /* admins manage users too */
    assert_null(G(ga, "canManageGroups"));                                 /* v2 only */
    assert_string_equal(S(admin, "userDetails.userSettings.canManageAccount"), "true");
    assert_string_equal(S(user, "userDetails.userSettings.canManageAccount"), "false");

    assert_non_null(G(v2, "userDetails.accountManagementGranular"));
    assert_int_equal(json_object_size(G(v2, "userDetails.accountManagementGranular")), 10);
    assert_string_equal(S(v2, "userDetails.accountManagementGranular.canManageGroups"), "true");
    assert_null(G(v2, "userDetails.accountManagementGranular.canManageConnect"));  /* v2.1 only */
    assert_null(G(v2, "userDetails.accountManagementGranular.canManageGroupsButNotUsers"));
    json_decref(admin);
    json_decref(user);
    json_decref(v2);
}

/* v2.1 renders only the userSettings its model names; a stored value of
 * a derived setting never wins; v2 keeps any name/value pair. */
static void test_render_settings_per_version(void **state)
{
    const char *doc = "{\"userDetails\":{\"userSettings\":[{\"name\":\"locale\",\"value\":\"fr\"},"
                      "{\"name\":\"madeUpSetting\",\"value\":\"x\"},"
                      "{\"name\":\"canManageAccount\",\"value\":\"true\"}]}}";
    json_t *r21 = render(doc, false, false, PROFILE_API_V21);
    json_t *r2 = render(doc, false, false, PROFILE_API_V2);
    const json_t *us = G(r2, "userDetails.userSettings");

    assert_string_equal(S(r21, "userDetails.userSettings.locale"), "fr");
    assert_null(G(r21, "userDetails.userSettings.madeUpSetting"));
    assert_string_equal(S(r21, "userDetails.userSettings.canManageAccount"), "false");
    assert_int_equal(json_array_size(us), 3);
    assert_string_equal(S(json_array_get(us, 1), "name"), "madeUpSetting");
    assert_string_equal(S(json_array_get(us, 2), "name"), "canManageAccount");
    assert_string_equal(S(json_array_get(us, 2), "value"), "false");
    json_decref(r21);
    json_decref(r2);
}

/* What GET gives on v2.1 (granular and derived settings inside
 * userSettings) is accepted by PUT and never stored. */
static void test_put_ignores_derived_settings(void **state)
{
    json_t *stored = J("{\"userDetails\":{\"userSettings\":[{\"name\":\"locale\",\"value\":\"en\"}]}}");
    json_t *patch = J("{\"userDetails\":{\"userSettings\":{\"locale\":\"de\",\"canManageAccount\":\"true\","
                      "\"accountManagementGranular\":{\"canManageUsers\":\"true\"}}}}");
    json_t *arr = J("{\"userDetails\":{\"userSettings\":[{\"name\":\"canManageAccount\",\"value\":\"true\"}]}}");
    json_t *m, *m2;
    pd_errbuf eb;

    assert_int_equal(validate_update(patch, PROFILE_API_V21, &eb), PD_OK);
    m = profile_merge(stored, patch);
    assert_non_null(m);
    assert_int_equal(json_array_size(G(m, "userDetails.userSettings")), 1);
    assert_string_equal(S(json_array_get(G(m, "userDetails.userSettings"), 0), "value"), "de");
    assert_null(G(m, "userDetails.accountManagementGranular"));
    m2 = profile_merge(stored, arr);
    assert_int_equal(json_array_size(G(m2, "userDetails.userSettings")), 0);
    json_decref(stored);
    json_decref(patch);
    json_decref(arr);
    json_decref(m);
    json_decref(m2);
}

/* Every rendered date: UTC, millisecond precision, 7 digits; a stored
 * non-date is left out rather than sent. */
static void test_render_dates(void **state)
{
    fixture f;
    json_t *r;
    const char *doc = "{\"usageHistory\":{\"lastSentDateTime\":\"2024-05-01T10:00:00.9876543Z\","
                      "\"lastSignedDateTime\":\"yesterday\"},"
                      "\"authenticationMethods\":[{\"authenticationType\":\"STAN\","
                      "\"lastTimestamp\":\"2024-04-01T11:00:00+02:00\"}]}";

    fixture_init(&f, doc, false, false, PROFILE_API_V21);
    f.u.created = (char *)"2024-01-02T03:04:05.1234567Z";
    f.u.modified = (char *)"2024-05-06T07:08:09Z";
    f.u.last_login = (char *)"2024-06-01T00:00:00.5Z";
    r = profile_render(&f.v);
    assert_non_null(r);
    assert_string_equal(S(r, "userDetails.createdDateTime"), "2024-01-02T03:04:05.1230000Z");
    assert_string_equal(S(r, "userDetails.userProfileLastModifiedDate"), "2024-05-06T07:08:09.0000000Z");
    assert_string_equal(S(r, "userProfileLastModifiedDate"), "2024-05-06T07:08:09.0000000Z");
    assert_string_equal(S(r, "userDetails.lastLogin"), "2024-06-01T00:00:00.5000000Z");
    assert_string_equal(S(r, "usageHistory.lastSentDateTime"), "2024-05-01T10:00:00.9870000Z");
    assert_null(G(r, "usageHistory.lastSignedDateTime"));
    assert_string_equal(S(json_array_get(G(r, "authenticationMethods"), 0), "lastTimestamp"),
                        "2024-04-01T09:00:00.0000000Z");
    json_decref(r);
}

/* defaultAccountId: v2.1 only (v2 userInformation has no such member). */
static void test_render_default_account(void **state)
{
    fixture f;
    json_t *r;

    fixture_init(&f, "{}", false, false, PROFILE_API_V21);
    f.v.default_account_id = "11111111-2222-3333-4444-555555555555";
    r = profile_render(&f.v);
    assert_string_equal(S(r, "userDetails.defaultAccountId"), "11111111-2222-3333-4444-555555555555");
    json_decref(r);
    f.v.api = PROFILE_API_V2;
    r = profile_render(&f.v);
    assert_null(G(r, "userDetails.defaultAccountId"));
    json_decref(r);
    f.v.api = PROFILE_API_V21;
    f.v.default_account_id = NULL;
    r = profile_render(&f.v);
    assert_false(contains_key(r, "defaultAccountId"));
    json_decref(r);
}

static void test_render_membership_and_login(void **state)
{
    fixture f;
    json_t *r;

    fixture_init(&f, "{\"userDetails\":{\"loginStatus\":\"password_active\"}}", false, false, PROFILE_API_V2);
    f.m.permission_profile_id = (char *)"42";
    f.m.permission_profile_name = (char *)"DocuSign Sender";
    f.u.last_login = (char *)"2024-06-01T00:00:00.0000000Z";
    r = profile_render(&f.v);
    assert_non_null(r);
    assert_string_equal(S(r, "userDetails.permissionProfileId"), "42");
    assert_string_equal(S(r, "userDetails.permissionProfileName"), "DocuSign Sender");
    assert_string_equal(S(r, "userDetails.lastLogin"), "2024-06-01T00:00:00.0000000Z");
    assert_string_equal(S(r, "userDetails.loginStatus"), "password_active");
    json_decref(r);

    /* no membership at all: not an admin, empty group list */
    f.v.membership = NULL;
    r = profile_render(&f.v);
    assert_non_null(r);
    assert_string_equal(S(r, "userDetails.isAdmin"), "false");
    assert_int_equal(json_array_size(G(r, "userDetails.groupList")), 0);
    assert_null(G(r, "userDetails.permissionProfileId"));
    json_decref(r);
}

static void test_render_bad_stored_doc(void **state)
{
    fixture f;
    json_t *r;

    fixture_init(&f, "{not json", false, false, PROFILE_API_V2);
    assert_null(profile_render(&f.v));
    fixture_init(&f, "[1,2]", false, false, PROFILE_API_V2);
    assert_null(profile_render(&f.v));
    fixture_init(&f, NULL, false, false, PROFILE_API_V2);         /* no doc yet: defaults */
    r = profile_render(&f.v);
    assert_non_null(r);
    assert_string_equal(S(r, "displayProfile"), "true");
    json_decref(r);
    assert_null(profile_render(NULL));
}

static void test_render_after_merge_round_trip(void **state)
{
    /* what a client GETs can be PUT back unchanged, and changes nothing */
    json_t *r = render(STORED, true, true, PROFILE_API_V21), *s = J(STORED), *m;
    pd_errbuf eb;

    if (validate_update(r, PROFILE_API_V21, &eb) != PD_OK)
        fail_msg("GET output rejected by PUT: %s", eb.text);
    m = profile_merge(s, r);
    assert_non_null(m);
    assert_true(json_equal(m, s));
    json_decref(m);
    json_decref(s);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_update),
        cmocka_unit_test(test_limit_user_name),
        cmocka_unit_test(test_limits_import),
        cmocka_unit_test(test_limits_count_characters_not_bytes),
        cmocka_unit_test(test_settings_array_size),
        cmocka_unit_test(test_several_problems_in_one_pass),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_accepted_bodies),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_user_settings_shapes),
        cmocka_unit_test(test_import_validation),
        cmocka_unit_test(test_import_root_and_email),
        cmocka_unit_test(test_merge_partial_keeps_untouched),
        cmocka_unit_test(test_merge_empty_patch_is_identity),
        cmocka_unit_test(test_merge_arrays_replace),
        cmocka_unit_test(test_merge_split_names_win),
        cmocka_unit_test(test_merge_user_name_alone_splits),
        cmocka_unit_test(test_user_name_split_must_fit),
        cmocka_unit_test(test_merge_read_only_and_secrets_ignored),
        cmocka_unit_test(test_merge_drops_secrets_already_stored),
        cmocka_unit_test(test_merge_flags_stored_as_strings),
        cmocka_unit_test(test_merge_v21_user_settings_object),
        cmocka_unit_test(test_merge_into_same_bytes_as_copy),
        cmocka_unit_test(test_import_and_new_doc),
        cmocka_unit_test(test_render_member_set),
        cmocka_unit_test(test_render_omits_absent),
        cmocka_unit_test(test_render_v2_vs_v21),
        cmocka_unit_test(test_render_never_secrets),
        cmocka_unit_test(test_render_profile_image_uri),
        cmocka_unit_test(test_render_granular),
        cmocka_unit_test(test_render_granular_per_version),
        cmocka_unit_test(test_render_settings_per_version),
        cmocka_unit_test(test_put_ignores_derived_settings),
        cmocka_unit_test(test_render_dates),
        cmocka_unit_test(test_render_default_account),
        cmocka_unit_test(test_render_membership_and_login),
        cmocka_unit_test(test_render_bad_stored_doc),
        cmocka_unit_test(test_render_after_merge_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
