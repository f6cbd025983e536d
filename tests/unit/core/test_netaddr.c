/*
 * test_netaddr.c - trusted-proxy ranges: exact addresses, CIDR prefixes that
 * are and are not multiples of 8, IPv6, families never mixed, bad entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/netaddr.h"

static void test_in_ranges(void **state)
{
    (void)state;
    static const struct { const char *addr, *ranges; bool want; } rows[] = {
        {"127.0.0.1", "127.0.0.1", true},
        {"127.0.0.2", "127.0.0.1", false},
        {"10.1.2.3", "10.0.0.0/8", true},
        {"11.1.2.3", "10.0.0.0/8", false},
        {"192.168.5.9", "192.168.4.0/23", true},
        {"192.168.6.1", "192.168.4.0/23", false},
        {"172.16.0.1", "10.0.0.0/8, 172.16.0.0/12", true},
        {"172.32.0.1", "10.0.0.0/8,172.16.0.0/12", false},
        {"8.8.8.8", "0.0.0.0/0", true},
        {"::1", "::1", true},
        {"2001:db8::5", "2001:db8::/32", true},
        {"2001:db9::5", "2001:db8::/32", false},
        {"::ffff:10.0.0.1", "10.0.0.0/8", false},      /* families are not mixed */
        {"10.0.0.1", "", false},
        {"10.0.0.1", NULL, false},
        {"not-an-ip", "0.0.0.0/0", false},
        {"10.0.0.1", "garbage, 10.0.0.1", true},       /* bad entries never match */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(netaddr_in_ranges(rows[i].addr, rows[i].ranges), rows[i].want);
}

static void test_ranges_valid(void **state)
{
    (void)state;
    char bad[64];

    assert_int_equal(netaddr_ranges_valid("", bad, sizeof(bad)), 0);
    assert_int_equal(netaddr_ranges_valid("10.0.0.0/8, ::1, 192.168.0.1/32", bad, sizeof(bad)), 0);
    assert_int_equal(netaddr_ranges_valid("10.0.0.0/33", bad, sizeof(bad)), -1);
    assert_string_equal(bad, "10.0.0.0/33");
    assert_int_equal(netaddr_ranges_valid("::1, lb.example", bad, sizeof(bad)), -1);
    assert_string_equal(bad, "lb.example");
    assert_int_equal(netaddr_ranges_valid("10.0.0.0/-1", bad, sizeof(bad)), -1);
    assert_int_equal(netaddr_ranges_valid("2001:db8::/129", bad, sizeof(bad)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_ranges),
        cmocka_unit_test(test_ranges_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
