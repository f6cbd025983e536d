/*
 * test_profile_json.c - unit tests for src/model/profile_json.c: the direct
 * JSON writer must give exactly the bytes json_dumps(profile_render(v),
 * JSON_COMPACT | JSON_PRESERVE_ORDER) gives, for v2 and v2.1, admins and
 * not, with and without image, permission profile, groups and dates - on
 * hand-written stored docs, on docs made the way the server stores them
 * (profile_from_import of generated records), on the demo tenant's
 * profiles, and on random docs of any shape (where it may decline, never
 * differ).  It must also really take the direct path for stored docs, or a
 * writer that always declines would pass.
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

#include "model/profile.h"

typedef struct {
    pd_user u;
    pd_account a;
    pd_membership m;
    pd_group g[2];
    profile_view v;
} fixture;

/* The variant number picks the derived facts, so every combination shows up. */
static void fixture_init(fixture *f, const char *doc, unsigned variant)
{
    memset(f, 0, sizeof(*f));
    f->u.id = (char *)"9a8b7c6d-0000-4000-8000-000000000001";
    f->u.email = (char *)(variant & 16 ? "o'brien+\"q\"\\x@example.com" : "ann@example.com");
    f->u.status = (char *)"Active";
    f->u.created = (char *)"2024-01-02T03:04:05.0000000Z";
    f->u.modified = (char *)(variant & 32 ? "not a date" : "2024-05-06T07:08:09.1234567Z");
    f->u.last_login = (char *)(variant & 8 ? "2024-02-03T04:05:06Z" : NULL);
    f->u.profile_json = (char *)doc;
    f->u.has_image = (variant & 2) != 0;
    f->a.id = (char *)"11111111-2222-3333-4444-555555555555";
    f->g[0] = (pd_group){ (char *)"1", (char *)"Everyone", (char *)"EveryoneGroup" };
    f->g[1] = (pd_group){ (char *)"2", (char *)"Admins \"\t\x01", (char *)"AdminGroup" };
    f->m.is_admin = (variant & 1) != 0;
    f->m.groups = f->g;
    f->m.n_groups = variant & 1 ? 2 : (variant & 4 ? 0 : 1);
    if (variant & 4) {
        f->m.permission_profile_id = (char *)"7";
        f->m.permission_profile_name = (char *)"DocuSign Sender";
    }
    f->m.added = (char *)"2023-09-10T11:12:13.5Z";
    f->v.user = &f->u;
    f->v.account = &f->a;
    f->v.membership = variant & 64 ? NULL : &f->m;
    f->v.api = variant & 128 ? PROFILE_API_V21 : PROFILE_API_V2;
    f->v.base_path = f->v.api == PROFILE_API_V21 ? "/restapi/v2.1" : "/restapi/v2";
    f->v.default_account_id = variant & 8 ? "11111111-2222-3333-4444-555555555555" : NULL;
}

/* Compares both writers on doc under one variant; returns 1 when the direct
 * path answered (and then byte for byte the same), 0 when it declined. */
static int compare_one(const char *doc, unsigned variant)
{
    fixture f;
    json_t *tree;
    char *want = NULL, *got;
    size_t len = 0;

    fixture_init(&f, doc, variant);
    tree = profile_render(&f.v);
    if (tree != NULL)
        want = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(tree);
    got = profile_render_json(&f.v, &len);
    if (got == NULL) {
        free(want);
        return 0;
    }
    if (want == NULL)
        fail_msg("direct writer answered where the tree failed, doc %s", doc);
    if (strlen(got) != len || strcmp(want, got) != 0)
        fail_msg("variant %u, doc %s\n tree:   %s\n direct: %s", variant, doc, want, got);
    free(want);
    free(got);
    return 1;
}

/* Every variant; returns how many took the direct path. */
static int compare_all(const char *doc)
{
    int n = 0;

    for (unsigned v = 0; v < 256; v++)
        n += compare_one(doc, v);
    return n;
}

static const char STORED[] =
    "{\"displayProfile\":\"true\",\"displayOrganizationInfo\":\"true\","
    "\"displayPersonalInfo\":\"false\",\"displayUsageHistory\":\"true\","
    "\"companyName\":\"ACME\",\"title\":\"Engineer\","
    "\"address\":{\"address1\":\"1 Main St\",\"city\":\"Springfield\",\"zipPlus4\":\"1234\"},"
    "\"usageHistory\":{\"sentCount\":4,\"signedCount\":2,\"lastSentDateTime\":\"2024-01-01\"},"
    "\"authenticationMethods\":[{\"authenticationType\":\"STAN\",\"totalCount\":1}],"
    "\"userDetails\":{\"userName\":\"Ann B Lee Jr\",\"firstName\":\"Ann\",\"middleName\":\"B\","
    "\"lastName\":\"Lee\",\"suffixName\":\"Jr\",\"title\":\"Dr\",\"jobTitle\":\"Boss\","
    "\"customSettings\":[{\"name\":\"a\",\"value\":\"1\"},{\"name\":\"b\",\"value\":\"2\"}],"
    "\"userSettings\":[{\"name\":\"locale\",\"value\":\"en\"}],"
    "\"homeAddress\":{\"city\":\"Home\"}}}";

static void test_handwritten_docs(void **state)
{
    static const char *const docs[] = {
        STORED,
        "{}",
        " { } ",
        "{\"userDetails\":{}}",
        "{\"userDetails\":{\"firstName\":\"  Ann \",\"lastName\":\"Lee\"}}",
        "{\"userDetails\":{\"userName\":\"\",\"firstName\":\"Ann\"}}",
        "{\"userDetails\":{\"userName\":7,\"firstName\":\"Ann\",\"suffixName\":\"III\"}}",
        "{\"userDetails\":{\"firstName\":\"   \"}}",
        "{\"usageHistory\":{\"lastSignedDateTime\":\"2024-03-04T05:06:07Z\"}}",
        "{\"usageHistory\":{\"sentCount\":\"0012\",\"signedCount\":-1}}",
        "{\"usageHistory\":{\"sentCount\":1.5,\"signedCount\":\"x\"}}",
        "{\"usageHistory\":[]}",
        "{\"displayProfile\":true,\"displayPersonalInfo\":\"FALSE\",\"displayUsageHistory\":\"yes\"}",
        "{\"address\":\"nowhere\",\"authenticationMethods\":{}}",
        "{\"authenticationMethods\":[{\"totalCount\":3},{\"authenticationType\":\"SSOAuth\","
        "\"lastTimestamp\":\"2024-01-01T00:00:00Z\",\"lastProvider\":\"p\",\"totalCount\":\"9\"},7,null]}",
        "{\"userDetails\":{\"accountManagementGranular\":{\"canManageUsers\":\"True\","
        "\"canManageUsersMetadata\":{\"rights\":\"editable\",\"options\":[\"a\",1,\"b\"],"
        "\"is21CFRPart11\":false},\"canManageStamps\":false,\"canManageConnect\":\"no\"}}}",
        "{\"userDetails\":{\"accountManagementGranular\":\"x\"}}",
        "{\"userDetails\":{\"userSettings\":[{\"name\":\"locale\"},{\"name\":\"canManageAccount\","
        "\"value\":\"true\"},{\"value\":\"v\"},{\"name\":\"bulkSend\",\"value\":true,"
        "\"originalValue\":false},{\"name\":\"unknownThing\",\"value\":\"1\"}]}}",
        "{\"userDetails\":{\"userSettings\":[{\"name\":\"locale\",\"value\":\"en\"},"
        "{\"name\":\"locale\",\"value\":\"fr\"}]}}",
        "{\"userDetails\":{\"userSettings\":{\"locale\":\"en\"}}}",
        "{\"userDetails\":{\"workAddress\":{\"address1\":\"x\",\"zipPlus4\":\"9\",\"extra\":1},"
        "\"subscribe\":\"True\",\"loginStatus\":\"password_active\",\"email\":\"x@y\","
        "\"signatureImageUri\":\"/s\",\"customSettings\":[]}}",
        "{\"title\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"companyName\":\"\x7f\"}",
        "{\"title\":\"a\\\"b\"}",
        "{\"title\":\"a\\u00e9\"}",
        "{\"title\":\"x\",\"title\":\"y\"}",
        "{\"unknown\":{\"deep\":[1,2,{\"x\":[true,false,null,-0,1e5,0.5]}]},\"title\":\"t\"}",
        "{\"usageHistory\":{\"sentCount\":12345678901234567890}}",
        "{\"usageHistory\":{\"sentCount\":-0}}",
        "{not json",
        "[1,2]",
        "{\"a\":1} x",
        "{\"title\":\"\xc3\"}",
        "{\"title\":\"\xed\xa0\x80\"}",
        "{\"title\":\"\xc0\xaf\"}",
        "{\"a\":01}",
    };
    int direct = 0;

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        direct += compare_all(docs[i]);
    /* the plain ones (the first few) go the direct way under every variant
     * whose derived strings are valid */
    assert_true(direct > 256 * 10);
    assert_int_equal(compare_one(STORED, 0), 1);
    assert_int_equal(compare_one(STORED, 128 | 1 | 2 | 4 | 8), 1);
    assert_int_equal(compare_one("{\"title\":\"a\\\"b\"}", 0), 0);      /* escapes: declined */
    assert_int_equal(compare_one("{\"title\":\"x\",\"title\":\"y\"}", 0), 0);
}

/* ---- generated docs ---- */

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s)
{
    size_t n = strlen(s);

    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static const char *const NAMES[] = {
    "displayProfile", "displayOrganizationInfo", "displayPersonalInfo", "displayUsageHistory",
    "companyName", "title", "userDetails", "address", "authenticationMethods", "usageHistory",
    "userName", "email", "firstName", "middleName", "lastName", "suffixName", "countryCode",
    "jobTitle", "subscribe", "userSettings", "accountManagementGranular",
    "sendActivationOnInvalidLogin", "enableConnectForUser", "workAddress", "homeAddress",
    "loginStatus", "customSettings", "signatureImageUri", "initialsImageUri", "address1",
    "address2", "city", "stateOrProvince", "postalCode", "zipPlus4", "country", "phone", "fax",
    "signedCount", "lastSignedDateTime", "sentCount", "lastSentDateTime", "totalCount",
    "lastTimestamp", "lastProvider", "authenticationType", "name", "value", "originalValue",
    "rights", "uiHint", "uiType", "uiOrder", "is21CFRPart11", "options", "canManageUsers",
    "canManageUsersMetadata", "canManageStamps", "canManageConnect", "canViewUsers",
    "canManageAccount", "locale", "bulkSend", "other",
};

static const char *const STRINGS[] = {
    "\"\"", "\"x\"", "\"true\"", "\"FALSE\"", "\"  Ann  Lee \"", "\"12\"", "\"007\"",
    "\"2024-01-02T03:04:05Z\"", "\"2024-01-02\"", "\"not a date\"", "\"caf\xc3\xa9\"",
    "\"a\\\"b\"", "\"\\u00e9\"", "\"STAN\"", "\"locale\"", "\"canManageAccount\"",
    "\"bulkSend\"", "\"accountManagementGranular\"", "\"\xf0\x9f\x98\x80 x\"",
};

static void gen_value(sbuf *b, int depth);

static void gen_object(sbuf *b, int depth)
{
    unsigned n = rnd(depth < 2 ? 12 : 5);

    sb_put(b, "{");
    for (unsigned i = 0; i < n; i++) {
        if (i > 0)
            sb_put(b, ",");
        sb_put(b, "\"");
        sb_put(b, NAMES[rnd(sizeof(NAMES) / sizeof(NAMES[0]))]);
        sb_put(b, "\":");
        gen_value(b, depth + 1);
    }
    sb_put(b, "}");
}

static void gen_value(sbuf *b, int depth)
{
    static const char *const scalars[] = { "true", "false", "null", "0", "3", "-2", "1.5", "-0" };
    unsigned k = rnd(depth > 4 ? 3 : 10);

    if (k == 0) {
        sb_put(b, scalars[rnd(sizeof(scalars) / sizeof(scalars[0]))]);
    } else if (k <= 2) {
        sb_put(b, STRINGS[rnd(sizeof(STRINGS) / sizeof(STRINGS[0]))]);
    } else if (k <= 6) {
        gen_object(b, depth);
    } else {
        unsigned n = rnd(4);
        sb_put(b, "[");
        for (unsigned i = 0; i < n; i++) {
            if (i > 0)
                sb_put(b, ",");
            if (rnd(3) == 0)
                gen_value(b, depth + 1);
            else
                gen_object(b, depth + 1);
        }
        sb_put(b, "]");
    }
}

/* Random docs of any shape: the direct path may decline, never differ. */
static void test_random_docs(void **state)
{
    sbuf b = { NULL, 0, 0 };

    for (int i = 0; i < 3000; i++) {
        b.len = 0;
        gen_object(&b, 0);
        compare_one(b.p, (unsigned)rnd(256));
    }
    free(b.p);
}

/* Docs stored the way the server stores them (an import record's profile
 * through profile_from_import, dumped compactly): the direct path takes
 * nearly all of them. */
static void test_stored_docs(void **state)
{
    sbuf b = { NULL, 0, 0 };
    int direct = 0, total = 0;

    for (int i = 0; i < 3000; i++) {
        json_error_t e;
        b.len = 0;
        gen_object(&b, 0);
        json_t *rec = json_loads(b.p, 0, &e);
        if (rec == NULL)
            continue;
        json_t *doc = profile_from_import(rec);
        json_decref(rec);
        assert_non_null(doc);
        char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        assert_non_null(text);
        unsigned variant = (unsigned)rnd(256) & ~16u;   /* valid derived strings */
        int d = compare_one(text, variant);
        if (!strstr(text, "\\"))
            total++, direct += d;
        free(text);
    }
    free(b.p);
    assert_true(total > 1000);
    assert_int_equal(direct, total);       /* without escapes, always direct */
}

/* The demo tenant's profiles, stored as import stores them. */
static void test_demo_tenant(void **state)
{
    json_error_t e;
    json_t *t = json_load_file("data/demo-tenant.json", 0, &e), *users, *u;
    size_t i;
    int direct = 0, n = 0;

    if (t == NULL)
        t = json_load_file("../../../data/demo-tenant.json", 0, &e);
    if (t == NULL)
        skip();
    users = json_object_get(t, "users");
    json_array_foreach(users, i, u) {
        json_t *doc = profile_from_import(json_object_get(u, "profile"));
        assert_non_null(doc);
        char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        direct += compare_all(text);
        n++;
        free(text);
    }
    json_decref(t);
    assert_true(n > 0);
    assert_true(direct > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handwritten_docs),
        cmocka_unit_test(test_random_docs),
        cmocka_unit_test(test_stored_docs),
        cmocka_unit_test(test_demo_tenant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
