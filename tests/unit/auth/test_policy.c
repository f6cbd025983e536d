/*
 * test_policy.c - unit tests for src/auth/policy.c: the complete truth table of
 * policy_check (4 actions x member/admin/self) against the rules of
 * docusign-facts.md §2, and the eSignature scope check.
 *
 *   profile GET/PUT: self, or an admin of the account;
 *   image GET/PUT/DELETE: self only, even for admins;
 *   everything: the caller must be a member of the account
 *   (non-member -> USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT, checked first);
 *   the ID card (policy_card_check): every refusal is USER_NOT_FOUND.
 *
 * The expected column is written out by hand, row by row, not computed.
 * Memory: nothing is allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/policy.h"

#define OK   PD_OK
#define NIA  PD_ERR_USER_NOT_IN_ACCOUNT
#define LP   PD_ERR_LACKS_PERMISSIONS

typedef struct {
    policy_action act;
    const char *act_name;
    bool member, admin, self;
    pd_err want;
} policy_row;

#define PR PD_ERR_LACKS_PERMISSIONS

static const policy_row ROWS[] = {
    /*  action              name            member admin  self   expected */
    { ACT_PROFILE_READ,  "profile read",  false, false, false, NIA },
    { ACT_PROFILE_READ,  "profile read",  false, false, true,  NIA },
    { ACT_PROFILE_READ,  "profile read",  false, true,  false, NIA },
    { ACT_PROFILE_READ,  "profile read",  false, true,  true,  NIA },
    { ACT_PROFILE_READ,  "profile read",  true,  false, false, LP  },
    { ACT_PROFILE_READ,  "profile read",  true,  false, true,  OK  },
    { ACT_PROFILE_READ,  "profile read",  true,  true,  false, OK  },
    { ACT_PROFILE_READ,  "profile read",  true,  true,  true,  OK  },

    { ACT_PROFILE_WRITE, "profile write", false, false, false, NIA },
    { ACT_PROFILE_WRITE, "profile write", false, false, true,  NIA },
    { ACT_PROFILE_WRITE, "profile write", false, true,  false, NIA },
    { ACT_PROFILE_WRITE, "profile write", false, true,  true,  NIA },
    { ACT_PROFILE_WRITE, "profile write", true,  false, false, LP  },
    { ACT_PROFILE_WRITE, "profile write", true,  false, true,  OK  },
    { ACT_PROFILE_WRITE, "profile write", true,  true,  false, OK  },
    { ACT_PROFILE_WRITE, "profile write", true,  true,  true,  OK  },

    { ACT_IMAGE_READ,    "image read",    false, false, false, NIA },
    { ACT_IMAGE_READ,    "image read",    false, false, true,  NIA },
    { ACT_IMAGE_READ,    "image read",    false, true,  false, NIA },
    { ACT_IMAGE_READ,    "image read",    false, true,  true,  NIA },
    { ACT_IMAGE_READ,    "image read",    true,  false, false, LP  },
    { ACT_IMAGE_READ,    "image read",    true,  false, true,  OK  },
    { ACT_IMAGE_READ,    "image read",    true,  true,  false, LP  },   /* admins too */
    { ACT_IMAGE_READ,    "image read",    true,  true,  true,  OK  },

    { ACT_IMAGE_WRITE,   "image write",   false, false, false, NIA },
    { ACT_IMAGE_WRITE,   "image write",   false, false, true,  NIA },
    { ACT_IMAGE_WRITE,   "image write",   false, true,  false, NIA },
    { ACT_IMAGE_WRITE,   "image write",   false, true,  true,  NIA },
    { ACT_IMAGE_WRITE,   "image write",   true,  false, false, LP  },
    { ACT_IMAGE_WRITE,   "image write",   true,  false, true,  OK  },
    { ACT_IMAGE_WRITE,   "image write",   true,  true,  false, LP  },   /* admins too */
    { ACT_IMAGE_WRITE,   "image write",   true,  true,  true,  OK  },
};

static void test_truth_table(void **state)
{
    (void)state;
    int failures = 0;

    assert_int_equal(sizeof(ROWS) / sizeof(ROWS[0]), 4 * 8);
    for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) {
        const policy_row *r = &ROWS[i];
        policy_facts f = { .caller_is_member = r->member, .caller_is_admin = r->admin,
                           .target_is_self = r->self };
        pd_err got = policy_check(r->act, &f);
        if (got != r->want) {
            print_error("%s member=%d admin=%d self=%d: got %d, want %d\n",
                        r->act_name, r->member, r->admin, r->self, got, r->want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The table above covers every (action, facts) pair exactly once. */
static void test_table_complete(void **state)
{
    (void)state;
    int seen[4][8] = { { 0 } };

    for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) {
        const policy_row *r = &ROWS[i];
        assert_in_range(r->act, ACT_PROFILE_READ, ACT_IMAGE_WRITE);
        seen[r->act][(r->member ? 4 : 0) | (r->admin ? 2 : 0) | (r->self ? 1 : 0)]++;
    }
    for (int a = 0; a < 4; a++)
        for (int k = 0; k < 8; k++)
            assert_int_equal(seen[a][k], 1);
}

/* An action value outside the enum is denied for anyone but oneself. */
static void test_unknown_action_denied(void **state)
{
    (void)state;
    policy_facts admin_other = { .caller_is_member = true, .caller_is_admin = true, .target_is_self = false };
    policy_facts outsider = { .caller_is_member = false, .caller_is_admin = true, .target_is_self = true };

    assert_int_equal(policy_check((policy_action)42, &admin_other), PD_ERR_LACKS_PERMISSIONS);
    assert_int_equal(policy_check((policy_action)-1, &admin_other), PD_ERR_LACKS_PERMISSIONS);
    assert_int_equal(policy_check((policy_action)42, &outsider), PD_ERR_USER_NOT_IN_ACCOUNT);
}

static void test_esign_scope(void **state)
{
    (void)state;
    static const struct { const char *scopes; pd_err want; } rows[] = {
        { "signature",                  OK },
        { "signature impersonation",    OK },
        { "impersonation signature",    OK },
        { "user_read signature extended", OK },
        { " signature ",                OK },
        { "impersonation",              PR },
        { "",                           PR },
        { " ",                          PR },
        { "sign",                       PR },
        { "signatures",                 PR },
        { "esignature",                 PR },
        { "SIGNATURE",                  PR },
        { "signature_read",             PR },
        { "user_read user_write",       PR },
        { "signature,impersonation",    PR },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        pd_err got = policy_esign_scope(rows[i].scopes);
        if (got != rows[i].want) {
            print_error("policy_esign_scope(\"%s\") = %d, want %d\n", rows[i].scopes, got, rows[i].want);
            failures++;
        }
    }
    assert_int_equal(policy_esign_scope(NULL), PD_ERR_LACKS_PERMISSIONS);
    assert_int_equal(failures, 0);
}

/* Admin API: user_read (user_write for changes) and an organization administrator. */
static void test_admin_scope_and_role(void **state)
{
    (void)state;
    static const struct { const char *scopes; policy_admin_action a; pd_err want; } rows[] = {
        { "user_read",                        ADMIN_ACT_USER_READ,  OK },
        { "signature user_read",              ADMIN_ACT_USER_READ,  OK },
        { "user_write",                       ADMIN_ACT_USER_READ,  PR },  /* write does not imply read */
        { "user_read_all",                    ADMIN_ACT_USER_READ,  PR },
        { "USER_READ",                        ADMIN_ACT_USER_READ,  PR },
        { "organization_read",                ADMIN_ACT_USER_READ,  PR },
        { "signature impersonation",          ADMIN_ACT_USER_READ,  PR },
        { "",                                 ADMIN_ACT_USER_READ,  PR },
        { "user_write",                       ADMIN_ACT_USER_WRITE, OK },
        { "user_read",                        ADMIN_ACT_USER_WRITE, PR },
    };
    const char *why = NULL;
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        why = NULL;
        pd_err got = policy_admin_scope(rows[i].scopes, rows[i].a, &why);
        if (got != rows[i].want || (got != OK && why == NULL)) {
            print_error("policy_admin_scope(\"%s\", %d) = %d, want %d\n", rows[i].scopes, rows[i].a,
                        got, rows[i].want);
            failures++;
        }
    }
    assert_int_equal(policy_admin_scope(NULL, ADMIN_ACT_USER_READ, NULL), PR);
    assert_int_equal(failures, 0);
    assert_int_equal(policy_admin_check(true, &why), OK);
    why = NULL;
    assert_int_equal(policy_admin_check(false, &why), PR);
    assert_non_null(why);
}

/* The ID card (policy_card_check): every refusal looks like an unknown user. */
static void test_card_policy(void **state)
{
    (void)state;
    /* exists, displayProfile, shares an account, valid link -> expected */
    static const struct { bool ex, disp, member, link; pd_err want; } CARD_ROWS[] = {
        { false, false, false, false, PD_ERR_USER_NOT_FOUND },
        { false, true,  true,  true,  PD_ERR_USER_NOT_FOUND },
        { true,  false, true,  true,  PD_ERR_USER_NOT_FOUND },   /* displayProfile off: no card at all */
        { true,  false, false, false, PD_ERR_USER_NOT_FOUND },
        { true,  true,  false, false, PD_ERR_USER_NOT_FOUND },   /* a stranger: as if unknown */
        { true,  true,  true,  false, PD_OK },
        { true,  true,  false, true,  PD_OK },
        { true,  true,  true,  true,  PD_OK },
    };
    for (size_t i = 0; i < sizeof(CARD_ROWS) / sizeof(CARD_ROWS[0]); i++) {
        policy_card_facts f = { CARD_ROWS[i].ex, CARD_ROWS[i].disp, CARD_ROWS[i].member, CARD_ROWS[i].link };
        assert_int_equal(policy_card_check(&f), CARD_ROWS[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truth_table),
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_unknown_action_denied),
        cmocka_unit_test(test_esign_scope),
        cmocka_unit_test(test_admin_scope_and_role),
        cmocka_unit_test(test_card_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
