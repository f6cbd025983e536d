/*
 * test_sqlite_admin.c - unit tests of the organization side of the SQLite
 * store (migration 4): organization_users kept by the triggers as
 * memberships and accounts change, organization administrators, the user
 * lookups restricted to one organization, the paged and filtered user list
 * (every statement variant, total and page), memberships of a user in one
 * organization's accounts, identities, and site fields.
 *
 * Memory: every out-struct is released with its pd_*_clear(); the fixture
 * owns the store and its temporary directory.
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

#include "store/store.h"

#define ORG1 "0f0e0d0c-0000-4000-8000-000000000001"
#define ORG2 "0f0e0d0c-0000-4000-8000-000000000002"
#define ACC_A "1a2b3c4d-0000-4000-8000-00000000000a"
#define ACC_B "1a2b3c4d-0000-4000-8000-00000000000b"
#define ACC_C "1a2b3c4d-0000-4000-8000-00000000000c"
#define DOM1  "d0d0d0d0-0000-4000-8000-000000000001"
#define N_USERS 30

typedef struct {
    char dir[64], path[128], url[160];
    pd_store *s;
} fixture;

static void uid(int i, char out[40])
{
    snprintf(out, 40, "aaaaaaaa-0000-4000-8000-%012d", i);
}

static void add_user(pd_store *s, int i, const char *status, const char *modified)
{
    char id[40], email[64], json[128];
    uid(i, id);
    snprintf(email, sizeof email, "u%02d@%s", i, i % 2 ? "odd.test" : "even.test");
    snprintf(json, sizeof json, "{\"userDetails\":{\"userName\":\"Person Number%02d\"}}", i);
    pd_user u = { .id = id, .email = email, .status = (char *)status,
                  .created = (char *)"2024-01-01T00:00:00.0000000Z", .modified = (char *)modified,
                  .profile_json = json };
    assert_int_equal(s->ops->upsert_user(s, &u), PD_OK);
}

static void add_membership(pd_store *s, const char *acc, int i, bool admin)
{
    char id[40];
    uid(i, id);
    pd_membership m = { .account_id = (char *)acc, .user_id = id, .is_admin = admin };
    assert_int_equal(s->ops->upsert_membership(s, &m), PD_OK);
}

/* ORG1 (site 3 "NA3") with accounts A, B; ORG2 with C.  Users 1..30: odd in
 * A, every third also in B, 30 in C only; 2 and 4 Closed; 1 admin of ORG1. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pd_admin_test_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    char err[256] = "";
    f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(f->s);
    pd_store *s = f->s;
    assert_int_equal(s->ops->migrate(s, NULL, NULL), PD_OK);
    pd_org o1 = { .id = (char *)ORG1, .name = (char *)"One", .site_id = 3, .site_name = (char *)"NA3" };
    pd_org o2 = { .id = (char *)ORG2, .name = (char *)"Two" };
    assert_int_equal(s->ops->upsert_org(s, &o1), PD_OK);
    assert_int_equal(s->ops->upsert_org(s, &o2), PD_OK);
    pd_account a = { .id = (char *)ACC_A, .external_id = 11, .name = (char *)"A", .organization_id = (char *)ORG1 };
    pd_account b = { .id = (char *)ACC_B, .external_id = 10, .name = (char *)"B", .organization_id = (char *)ORG1 };
    pd_account c = { .id = (char *)ACC_C, .external_id = 20, .name = (char *)"C", .organization_id = (char *)ORG2 };
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &b), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &c), PD_OK);
    for (int i = 1; i <= N_USERS; i++) {
        char mod[40];
        snprintf(mod, sizeof mod, "2024-02-%02dT00:00:00.0000000Z", i % 28 + 1);
        add_user(s, i, i == 2 || i == 4 ? "Closed" : "Active", mod);
        if (i == N_USERS) {
            add_membership(s, ACC_C, i, false);
            continue;
        }
        add_membership(s, i % 2 ? ACC_A : ACC_B, i, false);
        if (i % 3 == 0 && i % 2)
            add_membership(s, ACC_B, i, true);
    }
    char admin[40];
    uid(1, admin);
    pd_org_admin oa = { .organization_id = (char *)ORG1, .user_id = admin };
    assert_int_equal(s->ops->upsert_org_admin(s, &oa), PD_OK);
    pd_org_domain d = { .id = (char *)DOM1, .organization_id = (char *)ORG1,
                        .domain = (char *)"odd.test", .status = (char *)"active" };
    assert_int_equal(s->ops->upsert_org_domain(s, &d), PD_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    static const char *const suffix[] = { "", "-wal", "-shm", "-changes" };
    char p[256];
    pd_store_close(f->s);
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

typedef struct {
    char ids[300][40];
    int n;
} collected;

static int collect(void *ctx, const void *row)
{
    collected *c = ctx;
    const pd_user *u = row;
    assert_null(u->password_hash);
    if (c->n < 300)
        snprintf(c->ids[c->n++], 40, "%s", u->id);
    return 0;
}

static int64_t list(pd_store *s, pd_org_user_query q, collected *c)
{
    int64_t total = -1;
    memset(c, 0, sizeof *c);
    if (q.organization_id == NULL)
        q.organization_id = ORG1;
    if (q.take == 0)
        q.take = 250;
    assert_int_equal(s->ops->list_org_users(s, &q, &total, collect, c), PD_OK);
    return total;
}

static void test_org_and_admins(void **state)
{
    pd_store *s = ((fixture *)*state)->s;
    pd_org o = { 0 };
    char id[40];

    assert_int_equal(s->ops->get_org(s, "0F0E0D0C-0000-4000-8000-000000000001", &o), PD_OK);
    assert_string_equal(o.name, "One");
    assert_int_equal(o.site_id, 3);
    assert_string_equal(o.site_name, "NA3");
    pd_org_clear(&o);
    assert_int_equal(s->ops->get_org(s, ORG2, &o), PD_OK);
    assert_int_equal(o.site_id, 0);
    assert_null(o.site_name);
    pd_org_clear(&o);
    assert_int_equal(s->ops->get_org(s, "0f0e0d0c-0000-4000-8000-000000000009", &o), PD_ERR_NOT_FOUND);
    uid(1, id);
    assert_int_equal(s->ops->check_org_admin(s, ORG1, id), PD_OK);
    assert_int_equal(s->ops->check_org_admin(s, ORG2, id), PD_ERR_NOT_FOUND);
    uid(3, id);
    assert_int_equal(s->ops->check_org_admin(s, ORG1, id), PD_ERR_NOT_FOUND);
    /* an administrator must be an existing user of an existing organization */
    pd_org_admin bad = { .organization_id = (char *)ORG1, .user_id = (char *)"bbbbbbbb-0000-4000-8000-000000000000" };
    assert_int_equal(s->ops->upsert_org_admin(s, &bad), PD_ERR_STORE);
}

static void test_lookups_stay_in_the_organization(void **state)
{
    pd_store *s = ((fixture *)*state)->s;
    pd_user u = { 0 };
    char id[40];

    assert_int_equal(s->ops->get_org_user_by_email(s, ORG1, "U05@ODD.TEST", &u), PD_OK);
    uid(5, id);
    assert_string_equal(u.id, id);
    assert_null(u.password_hash);                  /* never leaves the store here */
    assert_non_null(strstr(u.profile_json, "\"userName\":\"Person Number05\""));
    pd_user_clear(&u);
    /* user 30 is in ORG2 only */
    assert_int_equal(s->ops->get_org_user_by_email(s, ORG1, "u30@even.test", &u), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_org_user_by_email(s, ORG2, "u30@even.test", &u), PD_OK);
    pd_user_clear(&u);
    uid(30, id);
    assert_int_equal(s->ops->get_org_user(s, ORG1, id, &u), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_org_user(s, ORG2, id, &u), PD_OK);
    pd_user_clear(&u);
    assert_int_equal(s->ops->get_org_user_by_email(s, ORG1, "u05@odd.test' OR '1'='1", &u), PD_ERR_NOT_FOUND);
}

static void test_list_pages_and_total(void **state)
{
    pd_store *s = ((fixture *)*state)->s;
    collected all, page;
    char id[40];

    int64_t total = list(s, (pd_org_user_query){ 0 }, &all);
    assert_int_equal(total, N_USERS - 1);
    assert_int_equal(all.n, N_USERS - 1);
    for (int i = 1; i < all.n; i++)
        assert_true(strcmp(all.ids[i - 1], all.ids[i]) < 0);   /* user-id order, no repeats */
    /* pages of 7 add up to the whole list */
    int seen = 0;
    for (int64_t start = 0; start < total; start += 7) {
        assert_int_equal(list(s, (pd_org_user_query){ .start = start, .take = 7 }, &page), total);
        for (int i = 0; i < page.n; i++)
            assert_string_equal(page.ids[i], all.ids[seen + i]);
        seen += page.n;
    }
    assert_int_equal(seen, total);
    assert_int_equal(list(s, (pd_org_user_query){ .start = 1000 }, &page), total);
    assert_int_equal(page.n, 0);
    uid(30, id);
    for (int i = 0; i < all.n; i++)
        assert_string_not_equal(all.ids[i], id);
    pd_org_user_query bad = { .organization_id = ORG1, .take = 0 };
    int64_t t;
    assert_int_equal(s->ops->list_org_users(s, &bad, &t, collect, &page), PD_ERR_STORE);
}

static void test_list_filters(void **state)
{
    pd_store *s = ((fixture *)*state)->s;
    collected c;

    /* email (its own statement), combined with the other filters */
    assert_int_equal(list(s, (pd_org_user_query){ .email = "U07@odd.test" }, &c), 1);
    assert_int_equal(list(s, (pd_org_user_query){ .email = "u07@odd.test", .statuses = ",Closed," }, &c), 0);
    assert_int_equal(list(s, (pd_org_user_query){ .email = "u30@even.test" }, &c), 0);
    /* like: email or stored userName, case-insensitive, no wildcards */
    assert_int_equal(list(s, (pd_org_user_query){ .like = "NUMBER1" }, &c), 10);
    assert_int_equal(list(s, (pd_org_user_query){ .like = "u1" }, &c), 10);
    assert_int_equal(list(s, (pd_org_user_query){ .like = "%" }, &c), 0);
    /* statuses */
    assert_int_equal(list(s, (pd_org_user_query){ .statuses = ",Closed," }, &c), 2);
    assert_int_equal(list(s, (pd_org_user_query){ .statuses = "," }, &c), 0);
    /* account (its own statement): odd users 1..29 in A; B has evens 2..28 + odd multiples of 3 */
    assert_int_equal(list(s, (pd_org_user_query){ .account_id = ACC_A }, &c), 15);
    assert_int_equal(list(s, (pd_org_user_query){ .account_id = ACC_B }, &c), 14 + 5);
    assert_int_equal(list(s, (pd_org_user_query){ .account_id = ACC_C }, &c), 0);   /* other organization */
    assert_int_equal(list(s, (pd_org_user_query){ .account_id = ACC_B, .statuses = ",Closed," }, &c), 2);
    /* reserved domain (its own statement) */
    assert_int_equal(list(s, (pd_org_user_query){ .domain_id = DOM1 }, &c), 15);
    assert_int_equal(list(s, (pd_org_user_query){ .organization_id = ORG2, .domain_id = DOM1 }, &c), 0);
    /* modified since (text comparison of normalised dates) */
    assert_int_equal(list(s, (pd_org_user_query){ .modified_since = "2024-02-28T00:00:00.0000000Z" }, &c), 1);
    assert_int_equal(list(s, (pd_org_user_query){ .modified_since = "2024-02-27T00:00:00.0000000Z" }, &c), 2);
    /* several at once */
    assert_int_equal(list(s, (pd_org_user_query){ .account_id = ACC_A, .domain_id = DOM1, .like = "u2" }, &c), 5);
}

static void test_triggers_follow_memberships_and_accounts(void **state)
{
    pd_store *s = ((fixture *)*state)->s;
    collected c;
    pd_user u = { 0 };
    char id[40];

    /* user 30 joins A: now in ORG1 too */
    add_membership(s, ACC_A, 30, false);
    assert_int_equal(list(s, (pd_org_user_query){ 0 }, &c), N_USERS);
    uid(30, id);
    assert_int_equal(s->ops->get_org_user(s, ORG1, id, &u), PD_OK);
    pd_user_clear(&u);
    /* account C moves to ORG1: its users follow; ORG2 is left empty */
    pd_account c1 = { .id = (char *)ACC_C, .external_id = 20, .name = (char *)"C", .organization_id = (char *)ORG1 };
    assert_int_equal(s->ops->upsert_account(s, &c1), PD_OK);
    assert_int_equal(list(s, (pd_org_user_query){ .organization_id = ORG2 }, &c), 0);
    /* account B leaves every organization: its users who are not in A leave ORG1 */
    pd_account b0 = { .id = (char *)ACC_B, .external_id = 10, .name = (char *)"B" };
    assert_int_equal(s->ops->upsert_account(s, &b0), PD_OK);
    assert_int_equal(list(s, (pd_org_user_query){ 0 }, &c), 16);   /* 15 odd + 30 */
    uid(2, id);
    assert_int_equal(s->ops->get_org_user(s, ORG1, id, &u), PD_ERR_NOT_FOUND);
    uid(3, id);                                                      /* in A and B: stays */
    assert_int_equal(s->ops->get_org_user(s, ORG1, id, &u), PD_OK);
    pd_user_clear(&u);
}

static int count_identity(void *ctx, const void *row)
{
    const pd_identity *i = row;
    assert_string_equal(i->provider_id, "idp");
    (*(int *)ctx)++;
    return 0;
}

static void test_memberships_and_identities(void **state)
{
    pd_store *s = ((fixture *)*state)->s;
    pd_org_membership *ms = NULL;
    size_t n = 0;
    char id[40];

    uid(3, id);                              /* A (11) and B (10, admin) */
    assert_int_equal(s->ops->get_org_memberships(s, ORG1, id, &ms, &n), PD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ms[0].account.id, ACC_B);                /* by account number */
    assert_int_equal(ms[0].account.external_id, 10);
    assert_true(ms[0].membership.is_admin);
    assert_string_equal(ms[1].account.id, ACC_A);
    assert_false(ms[1].membership.is_admin);
    pd_org_memberships_free(ms, n);
    assert_int_equal(s->ops->get_org_memberships(s, ORG2, id, &ms, &n), PD_OK);
    assert_int_equal(n, 0);
    assert_null(ms);

    pd_identity i = { .id = (char *)"E0E0E0E0-0000-4000-8000-000000000001", .user_id = id,
                      .provider_id = (char *)"idp", .immutable_id = (char *)"imm" };
    assert_int_equal(s->ops->upsert_identity(s, &i), PD_OK);
    assert_int_equal(s->ops->upsert_identity(s, &i), PD_OK);     /* upsert: still one */
    int count = 0;
    assert_int_equal(s->ops->each_identity_of_user(s, id, count_identity, &count), PD_OK);
    assert_int_equal(count, 1);
    pd_identity orphan = { .id = (char *)"e0e0e0e0-0000-4000-8000-000000000002",
                           .user_id = (char *)"bbbbbbbb-0000-4000-8000-000000000000",
                           .provider_id = (char *)"idp", .immutable_id = (char *)"x" };
    assert_int_equal(s->ops->upsert_identity(s, &orphan), PD_ERR_STORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_org_and_admins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookups_stay_in_the_organization, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_and_total, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_triggers_follow_memberships_and_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memberships_and_identities, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
