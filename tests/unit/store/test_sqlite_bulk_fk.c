/*
 * test_sqlite_bulk_fk.c - unit tests of the parent checks of the SQLite
 * bulk load (store/sqlite.c FK_PARENTS): a bulk load runs with SQLite's
 * foreign keys off, and every write that names a parent row refuses a
 * missing one with the message SQLite's own check gives outside a load
 * (a row that breaks nothing else);
 * the remembered answers (accounts, permission profiles, groups) keep
 * their keys apart; the safety check before COMMIT fails a load that left
 * a row without its parent by a way no check covers (a trigger here); a
 * replacing load's wipe leaves no row behind that a cascade used to take;
 * the foreign keys are on again after every load.
 *
 * Memory: the fixture owns the store (sqlite_testdb.h makes and removes
 * its files); error texts are copied into local buffers before the next store call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store/store.h"
#include "../sqlite_testdb.h"

#define ORG "0f0e0d0c-0000-4000-8000-000000000001"
#define ORG2 "0f0e0d0c-0000-4000-8000-000000000002"
#define ACC "1a2b3c4d-0000-4000-8000-00000000000a"
#define ACC2 "1a2b3c4d-0000-4000-8000-00000000000b"
#define USR "aaaaaaaa-0000-4000-8000-000000000001"
#define USR2 "aaaaaaaa-0000-4000-8000-000000000002"
#define NOUSR "aaaaaaaa-0000-4000-8000-0000000000ff"
#define INTEG "bbbbbbbb-0000-4000-8000-000000000001"

typedef sqt_fixture fixture;

/* An organization, its account with permission profile "7" and group "1",
 * a user, and an integration. */
static void seed(pd_store *s)
{
    pd_org o = { .id = (char *)ORG, .name = (char *)"Org" };
    pd_account a = { .id = (char *)ACC, .external_id = 42, .name = (char *)"Acme",
                     .organization_id = (char *)ORG };
    pd_perm_profile p = { .id = (char *)"7", .name = (char *)"Signer" };
    pd_group g = { .id = (char *)"1", .name = (char *)"Everyone", .type = (char *)"EveryoneGroup" };
    pd_user u = { .id = (char *)USR, .email = (char *)"a@example.test", .status = (char *)"Active",
                  .created = (char *)"2024-01-01T00:00:00.0000000Z",
                  .modified = (char *)"2024-01-01T00:00:00.0000000Z",
                  .profile_json = (char *)"{}" };
    pd_integration in = { .key = (char *)INTEG, .name = (char *)"App",
                          .allowed_scopes = (char *)"signature" };
    assert_int_equal(s->ops->upsert_org(s, &o), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
    assert_int_equal(s->ops->upsert_perm_profile(s, ACC, &p), PD_OK);
    assert_int_equal(s->ops->upsert_group(s, ACC, &g), PD_OK);
    assert_int_equal(s->ops->upsert_user(s, &u), PD_OK);
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
}

/* A second user, USR2. */
static pd_err put_user2(pd_store *s)
{
    pd_user u2 = { .id = (char *)USR2, .email = (char *)"b@example.test",
                   .status = (char *)"Active", .created = (char *)"2024-01-01T00:00:00.0000000Z",
                   .modified = (char *)"2024-01-01T00:00:00.0000000Z",
                   .profile_json = (char *)"{}" };
    return s->ops->upsert_user(s, &u2);
}

static pd_err member(pd_store *s, const char *acc, const char *usr, const char *pp,
                     const char *group)
{
    char *gids[] = { (char *)group };
    pd_membership m = { .account_id = (char *)acc, .user_id = (char *)usr,
                        .permission_profile_id = (char *)pp, .group_ids = gids,
                        .n_group_ids = group != NULL ? 1 : 0 };
    return s->ops->upsert_membership(s, &m);
}

/* Each write that names a missing parent, by number (-1: past the last). */
static pd_err bad_write(pd_store *s, int i)
{
    static const unsigned char png[] = { 0x89, 'P', 'N', 'G' };
    pd_account a = { .id = (char *)ACC2, .external_id = 43, .name = (char *)"B",
                     .organization_id = (char *)ORG2 };
    pd_perm_profile p = { .id = (char *)"1", .name = (char *)"P" };
    pd_group g = { .id = (char *)"2", .name = (char *)"G", .type = (char *)"CustomGroup" };
    pd_org_admin oa = { .organization_id = (char *)ORG, .user_id = (char *)NOUSR };
    pd_org_admin oa2 = { .organization_id = (char *)ORG2, .user_id = (char *)USR };
    pd_org_domain d = { .id = (char *)"cccccccc-0000-4000-8000-000000000001",
                        .organization_id = (char *)ORG2, .domain = (char *)"acme.test",
                        .status = (char *)"active" };
    pd_identity id = { .id = (char *)"dddddddd-0000-4000-8000-000000000001",
                       .user_id = (char *)NOUSR, .provider_id = (char *)"p",
                       .immutable_id = (char *)"i" };
    pd_consent c = { .integration_key = (char *)INTEG, .user_id = (char *)NOUSR,
                     .scopes = (char *)"signature" };
    pd_consent c2 = { .integration_key = (char *)"no-such-integration", .user_id = (char *)USR,
                      .scopes = (char *)"signature" };
    pd_grant gr = { .hash = { 1 }, .kind = PD_GRANT_SESSION, .family = (char *)"f",
                    .user_id = (char *)NOUSR, .expires = 4102444800 };
    pd_share_link l = { .id = (char *)"0123456789abcdef0123456789abcdef",
                        .user_id = (char *)NOUSR, .created = 1, .expires = 4102444800 };

    switch (i) {
    case 0: return s->ops->upsert_account(s, &a);
    case 1: return s->ops->upsert_perm_profile(s, ACC2, &p);
    case 2: return s->ops->upsert_group(s, ACC2, &g);
    case 3: return s->ops->put_image(s, NOUSR, png, sizeof png, "image/png", "\"e\"",
                                     "2024-01-02T00:00:00.0000000Z");
    case 4: return member(s, ACC2, USR, NULL, NULL);
    case 5: return member(s, ACC, NOUSR, NULL, NULL);
    case 6: return member(s, ACC, USR, "8", NULL);
    case 7: return member(s, ACC, USR, "7", "2");
    case 8: return s->ops->upsert_org_admin(s, &oa);
    case 9: return s->ops->upsert_org_admin(s, &oa2);
    case 10: return s->ops->upsert_org_domain(s, &d);
    case 11: return s->ops->upsert_identity(s, &id);
    case 12: return s->ops->put_consent(s, &c);
    case 13: return s->ops->put_consent(s, &c2);
    case 14: return s->ops->put_grant(s, &gr);
    case 15: return s->ops->put_share_link(s, &l);
    default: return PD_ERR_INVALID_BODY;
    }
}

#define N_BAD 16

/* The same writes are refused with the same message inside a load as
 * SQLite's foreign keys refuse them outside one. */
static void test_bulk_refuses_like_sqlite(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char outside[N_BAD][512];

    seed(s);
    for (int i = 0; i < N_BAD; i++) {
        /* put_image looks the user up first: not found, not a key failure */
        assert_int_equal(bad_write(s, i), i == 3 ? PD_ERR_NOT_FOUND : PD_ERR_STORE);
        snprintf(outside[i], sizeof outside[i], "%s", pd_store_last_error(s));
        if (i != 3)
            assert_non_null(strstr(outside[i], "FOREIGN KEY constraint failed"));
    }
    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_OK);
    for (int i = 0; i < N_BAD; i++) {
        assert_int_equal(bad_write(s, i), i == 3 ? PD_ERR_NOT_FOUND : PD_ERR_STORE);
        if (i != 3)
            assert_string_equal(pd_store_last_error(s), outside[i]);
    }
    assert_int_equal(s->ops->bulk_end(s, false), PD_OK);
    /* foreign keys are on again: the membership with the missing group is
     * undone as a whole, as before the load */
    assert_int_equal(bad_write(s, 7), PD_ERR_STORE);
    assert_string_equal(pd_store_last_error(s), outside[7]);
    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC, USR, &m), PD_ERR_NOT_FOUND);
}

/* A remembered yes answers only for the same keys: another permission
 * profile, no profile, another account, another group. */
static void test_bulk_memo_keys(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;

    seed(s);
    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_OK);
    assert_int_equal(put_user2(s), PD_OK);
    assert_int_equal(member(s, ACC, USR, "7", "1"), PD_OK);        /* remembered */
    assert_int_equal(member(s, ACC, USR2, "7", "1"), PD_OK);       /* answered from memory */
    assert_int_equal(member(s, ACC, USR2, "77", NULL), PD_ERR_STORE);
    assert_int_equal(member(s, ACC, USR2, NULL, NULL), PD_OK);     /* remembered */
    assert_int_equal(member(s, ACC, USR2, "", NULL), PD_ERR_STORE); /* not NULL's answer */
    assert_int_equal(member(s, ACC2, USR2, "7", NULL), PD_ERR_STORE);
    assert_int_equal(member(s, ACC, USR2, "7", "11"), PD_ERR_STORE);
    assert_int_equal(member(s, ACC, NOUSR, "7", "1"), PD_ERR_STORE);  /* users: never remembered */
    /* a parent written inside the load counts at once */
    pd_perm_profile p8 = { .id = (char *)"8", .name = (char *)"Viewer" };
    assert_int_equal(s->ops->upsert_perm_profile(s, ACC, &p8), PD_OK);
    assert_int_equal(member(s, ACC, USR2, "8", "1"), PD_OK);
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);

    pd_membership m;
    assert_int_equal(s->ops->get_membership(s, ACC, USR2, &m), PD_OK);
    assert_string_equal(m.permission_profile_id, "8");
    pd_membership_clear(&m);
}

/* A row left without its parent by a way no check covers fails the load
 * at its end and nothing is committed. */
static void test_bulk_safety_check(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    sqlite3 *db = NULL;
    int64_t n = -1;

    seed(s);
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "CREATE TRIGGER test_orphan AFTER INSERT ON users BEGIN"
        " INSERT INTO user_identities(id, user_id, provider_id, immutable_id)"
        " VALUES ('eeeeeeee-0000-4000-8000-000000000001', '" NOUSR "', 'p', 'i'); END;",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(s->ops->bulk_begin(s, false, true), PD_OK);
    assert_int_equal(put_user2(s), PD_OK);
    assert_int_equal(s->ops->bulk_end(s, true), PD_ERR_STORE);
    assert_string_equal(pd_store_last_error(s),
                        "bulk_end: FOREIGN KEY constraint failed (a row of user_identities"
                        " names a row of users that does not exist)");
    assert_int_equal(s->ops->count_users(s, &n), PD_OK);
    assert_int_equal(n, 1);                                 /* the seed's user only */
}

/* A replacing load wipes with foreign keys off: every row that named a
 * user the new tenant lacks goes with the wipe, not by cascade, and the
 * load commits. */
static void test_bulk_replace_wipes_children(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_share_link l = { .id = (char *)"0123456789abcdef0123456789abcdef",
                        .user_id = (char *)USR2, .created = 1, .expires = 4102444800 };
    pd_consent c = { .integration_key = (char *)INTEG, .user_id = (char *)USR2,
                     .scopes = (char *)"signature" };
    pd_share_link got = {0};

    seed(s);
    assert_int_equal(put_user2(s), PD_OK);
    assert_int_equal(member(s, ACC, USR2, "7", "1"), PD_OK);
    assert_int_equal(s->ops->put_share_link(s, &l), PD_OK);
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    assert_int_equal(s->ops->bulk_begin(s, true, true), PD_OK);
    seed(s);                                            /* the new tenant: no USR2 */
    assert_int_equal(s->ops->bulk_end(s, true), PD_OK);
    assert_int_equal(s->ops->get_share_link(s, l.id, &got), PD_ERR_NOT_FOUND);
    pd_user u = {0};
    assert_int_equal(s->ops->get_user(s, USR2, &u), PD_ERR_NOT_FOUND);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, sqt_setup, sqt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bulk_refuses_like_sqlite),
        T(test_bulk_memo_keys),
        T(test_bulk_safety_check),
        T(test_bulk_replace_wipes_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
