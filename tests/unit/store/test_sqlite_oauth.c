/*
 * test_sqlite_oauth.c - unit tests for the OAuth operations of the SQLite
 * store (migration 3): integrations with redirect URIs and keys (upsert
 * replaces the sets, keeps the secret hash when none is given, delete
 * cascades), consents, grants (single use, replay flag, family revocation,
 * purge, a grant joining a revoked family is born revoked), the sign-in
 * throttle (plain get/put, and the atomic attempt/refund), record_login and
 * each_account_of_user.
 *
 * Each test gets a fresh database file in its own temp directory.
 *
 * Memory: every out-struct is cleared by the test that filled it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

#define ACC  "1a2b3c4d-0000-4000-8000-00000000000a"
#define ACC2 "1a2b3c4d-0000-4000-8000-00000000000b"
#define ORG  "0f0e0d0c-0000-4000-8000-000000000001"
#define USR  "aaaaaaaa-0000-4000-8000-000000000001"
#define USR2 "aaaaaaaa-0000-4000-8000-000000000002"

typedef struct {
    char dir[64], path[128];
    pd_store *s;
} fixture;

static void seed(pd_store *s)
{
    pd_org o = { .id = ORG, .name = "Org" };
    pd_account a = { ACC, 2000002, "Second", NULL }, b = { ACC2, 1000001, "First", ORG };
    pd_user u = { .id = USR, .email = "u@x.test", .status = "Active", .created = "2024-01-01T00:00:00.0000000Z",
                  .modified = "2024-01-01T00:00:00.0000000Z", .profile_json = "{}" };
    pd_user u2 = u;
    u2.id = USR2;
    u2.email = "u2@x.test";
    assert_int_equal(s->ops->upsert_org(s, &o), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &b), PD_OK);
    assert_int_equal(s->ops->upsert_user(s, &u), PD_OK);
    assert_int_equal(s->ops->upsert_user(s, &u2), PD_OK);
    pd_membership m1 = { .account_id = ACC, .user_id = USR }, m2 = { .account_id = ACC2, .user_id = USR };
    assert_int_equal(s->ops->upsert_membership(s, &m1), PD_OK);
    assert_int_equal(s->ops->upsert_membership(s, &m2), PD_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char url[160], err[256] = "";
    int from, to;

    snprintf(f->dir, sizeof(f->dir), "/tmp/pd_oauth_store_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    snprintf(url, sizeof(url), "sqlite:%s", f->path);
    f->s = pd_store_open(url, err, sizeof(err));
    assert_non_null(f->s);
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_OK);
    assert_true(to >= 3);
    seed(f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char p[256];

    pd_store_close(f->s);
    static const char *const suffix[] = { "", "-wal", "-shm", "-changes" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static pd_integration make(char **uris, size_t nu, char **keys, size_t nk, char *hash)
{
    pd_integration it = { .key = "client-1", .name = "Client", .secret_hash = hash,
                          .allowed_scopes = "signature impersonation",
                          .redirect_uris = uris, .n_redirect_uris = nu,
                          .public_keys = keys, .n_public_keys = nk };
    return it;
}

static void test_integrations(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *uris[] = { "https://b.example/cb", "https://a.example/cb" };
    char *keys[] = { "PEM-1", "PEM-2" };
    pd_integration in = make(uris, 2, keys, 2, "$argon2id$hash");
    pd_integration out;

    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_string_equal(out.name, "Client");
    assert_string_equal(out.secret_hash, "$argon2id$hash");
    assert_int_equal(out.n_redirect_uris, 2);
    assert_string_equal(out.redirect_uris[0], "https://a.example/cb");   /* ordered */
    assert_int_equal(out.n_public_keys, 2);
    pd_integration_clear(&out);
    assert_null(out.key);
    /* keys are exact: no case folding */
    assert_int_equal(s->ops->get_integration(s, "CLIENT-1", &out), PD_ERR_NOT_FOUND);

    /* upsert replaces the sets and keeps the secret hash when none is given */
    in = make(uris, 1, NULL, 0, NULL);
    in.name = "Renamed";
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_string_equal(out.name, "Renamed");
    assert_string_equal(out.secret_hash, "$argon2id$hash");
    assert_int_equal(out.n_redirect_uris, 1);
    assert_int_equal(out.n_public_keys, 0);
    pd_integration_clear(&out);

    /* add-key: new, duplicate ignored, unknown integration */
    assert_int_equal(s->ops->add_integration_key(s, "client-1", "PEM-3"), PD_OK);
    assert_int_equal(s->ops->add_integration_key(s, "client-1", "PEM-3"), PD_OK);
    assert_int_equal(s->ops->add_integration_key(s, "nobody", "PEM-3"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_int_equal(out.n_public_keys, 1);
    pd_integration_clear(&out);

    /* bad arguments */
    pd_integration bad = make(NULL, 1, NULL, 0, NULL);
    assert_int_equal(s->ops->upsert_integration(s, &bad), PD_ERR_STORE);
    assert_int_equal(s->ops->upsert_integration(s, NULL), PD_ERR_STORE);
}

static int count_it(void *ctx, const void *row)
{
    const pd_integration *it = row;
    (*(int *)ctx)++;
    assert_non_null(it->key);
    return 0;
}

static int count_consent(void *ctx, const void *row)
{
    const pd_consent *c = row;
    (*(int *)ctx)++;
    assert_string_equal(c->integration_key, "client-1");
    return 0;
}

static void test_consents_and_delete_cascade(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    pd_consent c = { .integration_key = "client-1", .user_id = "AAAAAAAA-0000-4000-8000-000000000001",
                     .scopes = "signature" }, out;
    int n = 0;

    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    in.key = "client-2";
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    c.scopes = "signature impersonation";                       /* upsert */
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    assert_int_equal(s->ops->get_consent(s, "client-1", USR, &out), PD_OK);
    assert_string_equal(out.user_id, USR);                      /* lower-cased */
    assert_string_equal(out.scopes, "signature impersonation");
    pd_consent_clear(&out);
    assert_int_equal(s->ops->get_consent(s, "client-1", USR2, &out), PD_ERR_NOT_FOUND);
    c.user_id = "ffffffff-0000-4000-8000-000000000009";          /* no such user */
    assert_int_equal(s->ops->put_consent(s, &c), PD_ERR_STORE);
    c.user_id = USR2;
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    assert_int_equal(s->ops->each_consent(s, "client-1", count_consent, &n), PD_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(s->ops->each_integration(s, count_it, &n), PD_OK);
    assert_int_equal(n, 2);

    /* deleting an integration drops its consents and grants */
    pd_grant g = { .kind = PD_GRANT_CODE, .family = "fam", .integration_key = "client-1",
                   .user_id = USR, .expires = 100 };
    memset(g.hash, 7, sizeof(g.hash));
    assert_int_equal(s->ops->put_grant(s, &g), PD_OK);
    assert_int_equal(s->ops->delete_integration(s, "client-1"), PD_OK);
    assert_int_equal(s->ops->delete_integration(s, "client-1"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_consent(s, "client-1", USR, &out), PD_ERR_NOT_FOUND);
    pd_grant gout;
    assert_int_equal(s->ops->get_grant(s, g.hash, &gout), PD_ERR_NOT_FOUND);
    n = 0;
    assert_int_equal(s->ops->each_integration(s, count_it, &n), PD_OK);
    assert_int_equal(n, 1);
}

static void test_grants(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    pd_grant code = { .kind = PD_GRANT_CODE, .family = "fam-1", .integration_key = "client-1",
                      .user_id = USR, .redirect_uri = "https://a/cb", .scopes = "signature",
                      .code_challenge = "chal", .expires = 1000 };
    pd_grant refresh = { .kind = PD_GRANT_REFRESH, .family = "fam-1", .integration_key = "client-1",
                         .user_id = USR, .scopes = "signature", .expires = 5000 };
    pd_grant session = { .kind = PD_GRANT_SESSION, .family = "s", .user_id = USR, .expires = 50 };
    pd_grant out;

    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    memset(code.hash, 1, 32);
    memset(refresh.hash, 2, 32);
    memset(session.hash, 3, 32);
    assert_int_equal(s->ops->put_grant(s, &code), PD_OK);
    assert_int_equal(s->ops->put_grant(s, &code), PD_ERR_STORE);         /* same hash twice */
    assert_int_equal(s->ops->put_grant(s, &refresh), PD_OK);
    assert_int_equal(s->ops->put_grant(s, &session), PD_OK);

    assert_int_equal(s->ops->get_grant(s, code.hash, &out), PD_OK);
    assert_int_equal(out.kind, PD_GRANT_CODE);
    assert_string_equal(out.redirect_uri, "https://a/cb");
    assert_string_equal(out.code_challenge, "chal");
    assert_int_equal(out.expires, 1000);
    assert_false(out.used);
    pd_grant_clear(&out);

    assert_int_equal(s->ops->use_grant(s, code.hash, &out), PD_OK);
    assert_false(out.used);                                               /* first use */
    pd_grant_clear(&out);
    assert_int_equal(s->ops->use_grant(s, code.hash, &out), PD_OK);
    assert_true(out.used);                                                /* replay */
    assert_string_equal(out.family, "fam-1");
    pd_grant_clear(&out);

    assert_int_equal(s->ops->revoke_grant_family(s, "fam-1"), PD_OK);
    assert_int_equal(s->ops->get_grant(s, refresh.hash, &out), PD_OK);
    assert_true(out.revoked);
    assert_int_equal(out.kind, PD_GRANT_REFRESH);
    assert_null(out.redirect_uri);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->get_grant(s, session.hash, &out), PD_OK);
    assert_false(out.revoked);                                            /* other family */
    assert_null(out.integration_key);
    pd_grant_clear(&out);

    unsigned char none[32] = {0};
    assert_int_equal(s->ops->use_grant(s, none, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->purge_grants(s, 1001), PD_OK);               /* drops code and session */
    assert_int_equal(s->ops->get_grant(s, code.hash, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_grant(s, session.hash, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_grant(s, refresh.hash, &out), PD_OK);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->delete_grant(s, refresh.hash), PD_OK);
    assert_int_equal(s->ops->get_grant(s, refresh.hash, &out), PD_ERR_NOT_FOUND);

    pd_grant bad = refresh;
    bad.kind = (pd_grant_kind)9;
    assert_int_equal(s->ops->put_grant(s, &bad), PD_ERR_STORE);
}

static void test_throttle_and_login(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_throttle t = { 3, 100, 200 }, out = { 9, 9, 9 };
    pd_user u;

    assert_int_equal(s->ops->get_throttle(s, "email:a@b", &out), PD_OK);
    assert_int_equal(out.failures, 0);
    assert_int_equal(out.locked_until, 0);
    assert_int_equal(s->ops->put_throttle(s, "email:a@b", &t), PD_OK);
    t.failures = 4;
    assert_int_equal(s->ops->put_throttle(s, "email:a@b", &t), PD_OK);
    assert_int_equal(s->ops->get_throttle(s, "email:a@b", &out), PD_OK);
    assert_int_equal(out.failures, 4);
    assert_int_equal(out.window_start, 100);
    assert_int_equal(out.locked_until, 200);

    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    int64_t v0 = u.version;
    char *modified = strdup(u.modified);
    pd_user_clear(&u);
    assert_int_equal(s->ops->record_login(s, USR, "2025-01-01T00:00:00.0000000Z", "{\"x\":1}"), PD_OK);
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.last_login, "2025-01-01T00:00:00.0000000Z");
    assert_string_equal(u.profile_json, "{\"x\":1}");
    assert_string_equal(u.modified, modified);                 /* not a profile change */
    assert_int_equal(u.version, v0 + 1);
    pd_user_clear(&u);
    assert_int_equal(s->ops->record_login(s, USR, NULL, NULL), PD_OK);   /* NULLs keep */
    assert_int_equal(s->ops->get_user(s, USR, &u), PD_OK);
    assert_string_equal(u.last_login, "2025-01-01T00:00:00.0000000Z");
    assert_string_equal(u.profile_json, "{\"x\":1}");
    assert_int_equal(u.version, v0 + 2);
    pd_user_clear(&u);
    free(modified);
    assert_int_equal(s->ops->record_login(s, "ffffffff-0000-4000-8000-000000000009", NULL, NULL), PD_ERR_NOT_FOUND);
}

/* L1: a refresh token inserted into a family that a replay already revoked
 * is born revoked (otherwise it would escape the revocation). */
static void test_grant_into_revoked_family(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    pd_grant r1 = { .kind = PD_GRANT_REFRESH, .family = "fam-r", .integration_key = "client-1",
                    .user_id = USR, .scopes = "signature", .expires = 5000 };
    pd_grant r2 = r1, other = r1, out;

    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    memset(r1.hash, 7, 32);
    memset(r2.hash, 8, 32);
    memset(other.hash, 9, 32);
    other.family = "fam-other";
    assert_int_equal(s->ops->put_grant(s, &r1), PD_OK);
    assert_int_equal(s->ops->revoke_grant_family(s, "fam-r"), PD_OK);   /* the replay wins the race */
    assert_int_equal(s->ops->put_grant(s, &r2), PD_OK);                 /* the rotation lands after */
    assert_int_equal(s->ops->get_grant(s, r2.hash, &out), PD_OK);
    assert_true(out.revoked);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->put_grant(s, &other), PD_OK);              /* other families unaffected */
    assert_int_equal(s->ops->get_grant(s, other.hash, &out), PD_OK);
    assert_false(out.revoked);
    pd_grant_clear(&out);
}

/* M1: throttle_attempt counts before the check, refuses once locked,
 * leaves a locked row unchanged; throttle_refund gives one back. */
static void test_throttle_attempt(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_throttle t;
    bool refused;
    const int64_t now = 100000;

    for (int i = 1; i <= 4; i++) {
        assert_int_equal(s->ops->throttle_attempt(s, "email:x", now + i, 900, 5, 900, &t, &refused), PD_OK);
        assert_false(refused);
        assert_int_equal(t.failures, i);
        assert_int_equal(t.window_start, now + 1);
        assert_int_equal(t.locked_until, 0);
    }
    /* the fifth attempt is counted (and checked by the caller) and sets the lock */
    assert_int_equal(s->ops->throttle_attempt(s, "email:x", now + 5, 900, 5, 900, &t, &refused), PD_OK);
    assert_false(refused);
    assert_int_equal(t.failures, 5);
    assert_int_equal(t.locked_until, now + 5 + 900);
    /* the sixth is refused; nothing changes (the lock does not grow) */
    assert_int_equal(s->ops->throttle_attempt(s, "email:x", now + 6, 900, 5, 900, &t, &refused), PD_OK);
    assert_true(refused);
    assert_int_equal(s->ops->get_throttle(s, "email:x", &t), PD_OK);
    assert_int_equal(t.failures, 5);
    assert_int_equal(t.locked_until, now + 5 + 900);
    /* after the lock: a new window */
    assert_int_equal(s->ops->throttle_attempt(s, "email:x", now + 5 + 900, 900, 5, 900, &t, &refused), PD_OK);
    assert_false(refused);
    assert_int_equal(t.failures, 1);
    assert_int_equal(t.window_start, now + 5 + 900);
    assert_int_equal(t.locked_until, 0);
    /* a window that is over starts again */
    assert_int_equal(s->ops->throttle_attempt(s, "email:x", now + 5 + 900 + 900, 900, 5, 900, &t, &refused), PD_OK);
    assert_int_equal(t.failures, 1);

    /* refund: one back, lock lifted below max, never negative, unknown key fine */
    for (int i = 0; i < 3; i++)
        assert_int_equal(s->ops->throttle_attempt(s, "ip:y", now, 900, 3, 900, &t, &refused), PD_OK);
    assert_int_equal(t.locked_until, now + 900);
    assert_int_equal(s->ops->throttle_refund(s, "ip:y", 3), PD_OK);
    assert_int_equal(s->ops->get_throttle(s, "ip:y", &t), PD_OK);
    assert_int_equal(t.failures, 2);
    assert_int_equal(t.locked_until, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(s->ops->throttle_refund(s, "ip:y", 3), PD_OK);
    assert_int_equal(s->ops->get_throttle(s, "ip:y", &t), PD_OK);
    assert_int_equal(t.failures, 0);
    assert_int_equal(s->ops->throttle_refund(s, "ip:none", 3), PD_OK);
    /* bad arguments */
    assert_int_equal(s->ops->throttle_attempt(s, NULL, now, 900, 5, 900, &t, &refused), PD_ERR_STORE);
    assert_int_equal(s->ops->throttle_attempt(s, "k", now, 900, 0, 900, &t, &refused), PD_ERR_STORE);
    /* inside a caller's transaction it runs in a savepoint */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->throttle_attempt(s, "email:z", now, 900, 5, 900, &t, &refused), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->get_throttle(s, "email:z", &t), PD_OK);
    assert_int_equal(t.failures, 0);
}

typedef struct { int n; int64_t ext[4]; } acc_list;

static int collect_acc(void *ctx, const void *row)
{
    acc_list *l = ctx;
    const pd_account *a = row;
    if (l->n < 4)
        l->ext[l->n] = a->external_id;
    l->n++;
    return 0;
}

static void test_accounts_of_user(void **state)
{
    fixture *f = *state;
    acc_list l = {0};

    assert_int_equal(f->s->ops->each_account_of_user(f->s, "AAAAAAAA-0000-4000-8000-000000000001", collect_acc, &l), PD_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.ext[0], 1000001);                        /* by account number */
    assert_int_equal(l.ext[1], 2000002);
    memset(&l, 0, sizeof(l));
    assert_int_equal(f->s->ops->each_account_of_user(f->s, USR2, collect_acc, &l), PD_OK);
    assert_int_equal(l.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_integrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consents_and_delete_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_and_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts_of_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_into_revoked_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_attempt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
