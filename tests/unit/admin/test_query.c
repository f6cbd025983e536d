/*
 * test_query.c - unit tests for src/admin/query.c: ISO 8601 dates
 * normalised to UTC (offsets, fractions, impossible fields, missing zone),
 * query integers and booleans, the status filters, group types, paging
 * arithmetic and URL escaping.  Expected values are written out by hand.
 * Memory: nothing is allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "admin/query.h"

static void date_ok(const char *in, const char *want)
{
    char out[ADMIN_DATE_LEN + 1];

    memset(out, 'x', sizeof(out));
    if (admin_date_normalize(in, out) != 0)
        fail_msg("refused: %s", in);
    assert_string_equal(out, want);
}

static void test_dates_normalised(void **st)
{
    (void)st;
    date_ok("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.0000000Z");
    date_ok("2024-05-01t10:00:00z", "2024-05-01T10:00:00.0000000Z");
    date_ok("2024-01-02T03:04:05.0000000Z", "2024-01-02T03:04:05.0000000Z");
    date_ok("2024-01-02T03:04:05.5Z", "2024-01-02T03:04:05.5000000Z");
    date_ok("2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.1234567Z");
    date_ok("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.0000000Z");
    date_ok("2024-05-01T12:00:00+0200", "2024-05-01T10:00:00.0000000Z");
    date_ok("2024-04-30T17:00:00-07:00", "2024-05-01T00:00:00.0000000Z");
    date_ok("2024-12-31T23:30:00-01:00", "2025-01-01T00:30:00.0000000Z");   /* year rolls over */
    date_ok("2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00.0000000Z");   /* leap day */
    date_ok("2024-05-01T10:00Z", "2024-05-01T10:00:00.0000000Z");            /* no seconds */
    date_ok("2024-05-01", "2024-05-01T00:00:00.0000000Z");                   /* a date alone: UTC */
    date_ok("2000-02-29", "2000-02-29T00:00:00.0000000Z");
    date_ok("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.0000000Z");
}

static void test_dates_refused(void **st)
{
    static const char *const BAD[] = {
        "", "2024", "2024-05", "2024-5-01", "2024-05-01T10:00:00",   /* no zone */
        "2024-05-01T10:00:00.5", "2024-13-01", "2024-00-10", "2024-02-30", "2023-02-29",
        "1900-02-29", "2024-04-31", "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z",
        "2024-05-01T10:00:60Z", "2024-05-01T10:00:00+24:00", "2024-05-01T10:00:00+02:60",
        "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00.1234567890Z", "2024-05-01T10:00:00Zx",
        "2024-05-01 10:00:00Z", "0000-01-01", "0001-01-01T00:00:00+01:00", " 2024-05-01",
        "2024-05-01T10:00:00+2", "yesterday", "2024-05-01T10:00:00Z\n", "９９９９-01-01",
    };
    char out[ADMIN_DATE_LEN + 1];

    (void)st;
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++)
        if (admin_date_normalize(BAD[i], out) == 0)
            fail_msg("accepted: '%s' -> %s", BAD[i], out);
    assert_int_equal(admin_date_normalize(NULL, out), -1);
}

static void test_ints_and_bools(void **st)
{
    int64_t v = -7;
    bool b = false;

    (void)st;
    assert_int_equal(admin_parse_int("0", 0, 250, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(admin_parse_int("250", 1, 250, &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(admin_parse_int("251", 1, 250, &v), -1);
    assert_int_equal(admin_parse_int("0", 1, 250, &v), -1);
    assert_int_equal(admin_parse_int("-1", 0, 250, &v), -1);
    assert_int_equal(admin_parse_int("-0", 0, 250, &v), -1);
    assert_int_equal(admin_parse_int("+5", 0, 250, &v), -1);
    assert_int_equal(admin_parse_int(" 5", 0, 250, &v), -1);
    assert_int_equal(admin_parse_int("5 ", 0, 250, &v), -1);
    assert_int_equal(admin_parse_int("1e3", 0, 5000, &v), -1);
    assert_int_equal(admin_parse_int("0x10", 0, 5000, &v), -1);
    assert_int_equal(admin_parse_int("", 0, 5, &v), -1);
    assert_int_equal(admin_parse_int("99999999999999999999", 0, INT64_MAX, &v), -1);
    assert_int_equal(admin_parse_int("2147483647", 0, 2147483647, &v), 0);
    assert_int_equal(admin_parse_int("2147483648", 0, 2147483647, &v), -1);
    assert_int_equal(admin_parse_bool("TRUE", &b), 0);
    assert_true(b);
    assert_int_equal(admin_parse_bool("false", &b), 0);
    assert_false(b);
    assert_int_equal(admin_parse_bool("1", &b), -1);
    assert_int_equal(admin_parse_bool("yes", &b), -1);
    assert_int_equal(admin_parse_bool(NULL, &b), -1);
}

static void test_status_filter(void **st)
{
    char out[96];

    (void)st;
    assert_int_equal(admin_status_filter(NULL, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(admin_status_filter("active", NULL, out, sizeof(out)), 0);
    assert_string_equal(out, ",Active,");
    assert_int_equal(admin_status_filter("CREATED", NULL, out, sizeof(out)), 0);
    assert_string_equal(out, ",ActivationRequired,ActivationSent,");
    assert_int_equal(admin_status_filter("closed", NULL, out, sizeof(out)), 0);
    assert_string_equal(out, ",Closed,Disabled,");
    assert_int_equal(admin_status_filter("active,closed", NULL, out, sizeof(out)), 0);
    assert_string_equal(out, ",Active,Closed,Disabled,");
    assert_int_equal(admin_status_filter(NULL, "disabled", out, sizeof(out)), 0);
    assert_string_equal(out, ",Disabled,");
    assert_int_equal(admin_status_filter(NULL, "activation_sent,active", out, sizeof(out)), 0);
    assert_string_equal(out, ",Active,ActivationSent,");
    /* both: the intersection; an empty one matches nothing */
    assert_int_equal(admin_status_filter("closed", "disabled,active", out, sizeof(out)), 0);
    assert_string_equal(out, ",Disabled,");
    assert_int_equal(admin_status_filter("closed", "active", out, sizeof(out)), 0);
    assert_string_equal(out, ",");
    /* bad values */
    assert_int_equal(admin_status_filter("enabled", NULL, out, sizeof(out)), -1);
    assert_int_equal(admin_status_filter("active,", NULL, out, sizeof(out)), -1);
    assert_int_equal(admin_status_filter(",active", NULL, out, sizeof(out)), -1);
    assert_int_equal(admin_status_filter("", NULL, out, sizeof(out)), -1);
    assert_int_equal(admin_status_filter("Active", "activation required", out, sizeof(out)), -2);
    assert_int_equal(admin_status_filter(NULL, "created", out, sizeof(out)), -2);
    assert_int_equal(admin_status_filter("active", NULL, out, 4), -3);
}

static void test_spellings(void **st)
{
    (void)st;
    assert_string_equal(admin_user_status("Active"), "active");
    assert_string_equal(admin_user_status("ActivationRequired"), "created");
    assert_string_equal(admin_user_status("ActivationSent"), "created");
    assert_string_equal(admin_user_status("Closed"), "closed");
    assert_string_equal(admin_user_status("Disabled"), "closed");
    assert_string_equal(admin_membership_status("ActivationRequired"), "activation_required");
    assert_string_equal(admin_membership_status("Disabled"), "disabled");
    assert_string_equal(admin_group_type("AdminGroup"), "admin_group");
    assert_string_equal(admin_group_type("EveryoneGroup"), "everyone_group");
    assert_string_equal(admin_group_type("CustomGroup"), "custom_group");
    assert_string_equal(admin_group_type(NULL), "custom_group");
}

static void test_paging(void **st)
{
    admin_paging p;

    (void)st;
    /* first of three pages: 0..19 of 45 */
    admin_paging_compute(0, 20, 20, 45, &p);
    assert_int_equal(p.end_position, 19);
    assert_true(p.has_next);
    assert_int_equal(p.next_start, 20);
    assert_false(p.has_prev);
    /* middle */
    admin_paging_compute(20, 20, 20, 45, &p);
    assert_int_equal(p.next_start, 40);
    assert_true(p.has_prev);
    assert_int_equal(p.prev_start, 0);
    /* last, short */
    admin_paging_compute(40, 20, 5, 45, &p);
    assert_int_equal(p.end_position, 44);
    assert_false(p.has_next);
    assert_int_equal(p.prev_start, 20);
    /* exactly full last page: no next */
    admin_paging_compute(25, 20, 20, 45, &p);
    assert_false(p.has_next);
    assert_int_equal(p.prev_start, 5);
    /* start not a multiple of take: previous does not go below 0 */
    admin_paging_compute(7, 20, 20, 45, &p);
    assert_int_equal(p.prev_start, 0);
    assert_int_equal(p.next_start, 27);
    /* past the end: nothing returned, no next, previous page offered */
    admin_paging_compute(100, 20, 0, 45, &p);
    assert_false(p.has_next);
    assert_true(p.has_prev);
    assert_int_equal(p.prev_start, 80);
    /* empty set */
    admin_paging_compute(0, 20, 0, 0, &p);
    assert_false(p.has_next);
    assert_false(p.has_prev);
    /* huge start stays exact */
    admin_paging_compute(2147483647, 250, 0, 10, &p);
    assert_int_equal(p.prev_start, 2147483647 - 250);
}

static void test_url_escape(void **st)
{
    char out[32];
    size_t len = 0;

    (void)st;
    assert_int_equal(admin_url_append_escaped(out, sizeof(out), &len, "a+b@c.d"), 0);
    assert_string_equal(out, "a%2Bb%40c.d");
    assert_int_equal(admin_url_append_escaped(out, sizeof(out), &len, "&x=1 ~_-"), 0);
    assert_string_equal(out, "a%2Bb%40c.d%26x%3D1%20~_-");
    len = 0;
    assert_int_equal(admin_url_append_escaped(out, sizeof(out), &len, "\xc3\xbc"), 0);
    assert_string_equal(out, "%C3%BC");
    /* does not fit: refused, nothing half-written past the end */
    len = 0;
    assert_int_equal(admin_url_append_escaped(out, 8, &len, "@@@"), -1);
    assert_true(len == 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates_normalised),
        cmocka_unit_test(test_dates_refused),
        cmocka_unit_test(test_ints_and_bools),
        cmocka_unit_test(test_status_filter),
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_url_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
