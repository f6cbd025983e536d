/*
 * test_share.c - unit tests for src/pages/share.c: share-link tokens of ID
 * cards are signed with the key ring, bound to the user of the path and to
 * their expiry; every alteration, another user, another ring, a retired
 * key and a passed expiry are refused; a rotated ring keeps old links.
 *
 * Memory: rings are cleared at the end of each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pages/pages.h"

#define ANN "00000000-0000-4000-8000-00000000a001"
#define BOB "00000000-0000-4000-8000-00000000b002"
#define LINK "0123456789abcdef0123456789abcdef"

static void ring_of(token_keyring *kr, size_t n, int base)
{
    memset(kr, 0, sizeof(*kr));
    for (size_t i = 0; i < n; i++) {
        char kid[32];
        unsigned char secret[TOKEN_KEY_BYTES];
        snprintf(kid, sizeof(kid), "k%zu", i);
        memset(secret, base + (int)i, TOKEN_KEY_BYTES);
        assert_int_equal(token_keyring_add(kr, kid, secret, 1000 - (int64_t)i), 0);
    }
}

static void test_round_trip(void **state)
{
    token_keyring kr;
    char tok[SHARE_TOKEN_MAX + 1], id[SHARE_ID_HEX + 1];
    int64_t exp = 0;

    (void)state;
    ring_of(&kr, 1, 0x40);
    assert_int_equal(share_token_make(kr.keys[0].secret, LINK, ANN, 5000, tok, sizeof(tok)), 0);
    assert_int_equal(strncmp(tok, LINK ".5000.", 38), 0);
    assert_int_equal(strlen(tok), 32 + 1 + 4 + 1 + 43);
    assert_int_equal(share_token_check(&kr, tok, ANN, 4999, id, &exp), SHARE_OK);
    assert_string_equal(id, LINK);
    assert_int_equal(exp, 5000);
    /* the user id compares without regard to case, as GUIDs do */
    assert_int_equal(share_token_check(&kr, tok, "00000000-0000-4000-8000-00000000A001", 4999, id, &exp),
                     SHARE_OK);
    /* deterministic: the page can show the link again */
    char again[SHARE_TOKEN_MAX + 1];
    assert_int_equal(share_token_make(kr.keys[0].secret, LINK, ANN, 5000, again, sizeof(again)), 0);
    assert_string_equal(tok, again);
    token_keyring_clear(&kr);
}

static void test_expiry(void **state)
{
    token_keyring kr;
    char tok[SHARE_TOKEN_MAX + 1], id[SHARE_ID_HEX + 1];
    int64_t exp = 0;

    (void)state;
    ring_of(&kr, 1, 0x40);
    assert_int_equal(share_token_make(kr.keys[0].secret, LINK, ANN, 5000, tok, sizeof(tok)), 0);
    assert_int_equal(share_token_check(&kr, tok, ANN, 5000, id, &exp), SHARE_EXPIRED);   /* at expiry */
    assert_int_equal(share_token_check(&kr, tok, ANN, 9999, id, &exp), SHARE_EXPIRED);
    assert_int_equal(exp, 5000);
    token_keyring_clear(&kr);
}

static void test_refusals(void **state)
{
    token_keyring kr, other;
    char tok[SHARE_TOKEN_MAX + 1], bad[SHARE_TOKEN_MAX + 64], id[SHARE_ID_HEX + 1];
    int64_t exp = 0;

    (void)state;
    ring_of(&kr, 1, 0x40);
    ring_of(&other, 1, 0x60);
    assert_int_equal(share_token_make(kr.keys[0].secret, LINK, ANN, 5000, tok, sizeof(tok)), 0);
    /* another user's card */
    assert_int_equal(share_token_check(&kr, tok, BOB, 100, id, &exp), SHARE_BAD_SIGNATURE);
    /* another server's keys */
    assert_int_equal(share_token_check(&other, tok, ANN, 100, id, &exp), SHARE_BAD_SIGNATURE);
    /* a longer life with the same signature */
    snprintf(bad, sizeof(bad), "%s.9000.%s", LINK, tok + 38);
    assert_int_equal(share_token_check(&kr, bad, ANN, 100, id, &exp), SHARE_BAD_SIGNATURE);
    /* another link id with the same signature */
    snprintf(bad, sizeof(bad), "%s", tok);
    bad[0] = bad[0] == '0' ? '1' : '0';
    assert_int_equal(share_token_check(&kr, bad, ANN, 100, id, &exp), SHARE_BAD_SIGNATURE);
    /* each character of the signature flipped */
    for (size_t i = 38; i < strlen(tok); i++) {
        snprintf(bad, sizeof(bad), "%s", tok);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        share_result r = share_token_check(&kr, bad, ANN, 100, id, &exp);
        assert_true(r == SHARE_BAD_SIGNATURE || r == SHARE_MALFORMED);
    }
    /* malformed */
    static const char *const MALFORMED[] = {
        "", ".", "..", LINK, LINK ".5000", LINK ".5000.", LINK "..abc",
        "0123456789ABCDEF0123456789abcdef.5000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* upper hex */
        "0123456789abcdef0123456789abcde.5000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 31 digits */
        LINK ".05000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                         /* leading zero */
        LINK ".-5.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        LINK ".5000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                           /* 42 chars */
        LINK ".5000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                         /* 44 chars */
        LINK ".5000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A",                         /* not base64url */
        LINK ".99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof(MALFORMED) / sizeof(MALFORMED[0]); i++)
        assert_int_equal(share_token_check(&kr, MALFORMED[i], ANN, 100, id, &exp), SHARE_MALFORMED);
    assert_int_equal(share_token_check(&kr, NULL, ANN, 100, id, &exp), SHARE_MALFORMED);
    char huge[600];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    assert_int_equal(share_token_check(&kr, huge, ANN, 100, id, &exp), SHARE_MALFORMED);
    /* making refuses bad ids, bad expiries and small buffers */
    assert_int_equal(share_token_make(kr.keys[0].secret, "xyz", ANN, 5000, tok, sizeof(tok)), -1);
    assert_int_equal(share_token_make(kr.keys[0].secret, LINK, ANN, 0, tok, sizeof(tok)), -1);
    assert_int_equal(share_token_make(kr.keys[0].secret, LINK, ANN, 5000, tok, 40), -1);
    token_keyring_clear(&kr);
    token_keyring_clear(&other);
}

static void test_rotation(void **state)
{
    token_keyring old, rotated, retired;
    char tok[SHARE_TOKEN_MAX + 1], id[SHARE_ID_HEX + 1];
    int64_t exp = 0;
    unsigned char fresh[TOKEN_KEY_BYTES];

    (void)state;
    ring_of(&old, 1, 0x40);
    assert_int_equal(share_token_make(old.keys[0].secret, LINK, ANN, 5000, tok, sizeof(tok)), 0);
    /* a new key in front: the old link still opens */
    memset(&rotated, 0, sizeof(rotated));
    memset(fresh, 0x77, sizeof(fresh));
    assert_int_equal(token_keyring_add(&rotated, "new", fresh, 2000), 0);
    assert_int_equal(token_keyring_add(&rotated, "k0", old.keys[0].secret, 1000), 0);
    assert_int_equal(share_token_check(&rotated, tok, ANN, 100, id, &exp), SHARE_OK);
    /* the old key retired: the link is dead */
    memset(&retired, 0, sizeof(retired));
    assert_int_equal(token_keyring_add(&retired, "new", fresh, 2000), 0);
    assert_int_equal(share_token_check(&retired, tok, ANN, 100, id, &exp), SHARE_BAD_SIGNATURE);
    token_keyring_clear(&old);
    token_keyring_clear(&rotated);
    token_keyring_clear(&retired);
}

static void test_new_id(void **state)
{
    char a[SHARE_ID_HEX + 1], b[SHARE_ID_HEX + 1], tiny[8] = "x";

    (void)state;
    share_new_id(a, sizeof(a));
    share_new_id(b, sizeof(b));
    assert_int_equal(strlen(a), SHARE_ID_HEX);
    assert_int_equal(strspn(a, "0123456789abcdef"), SHARE_ID_HEX);
    assert_string_not_equal(a, b);
    share_new_id(tiny, sizeof(tiny));
    assert_string_equal(tiny, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_new_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
