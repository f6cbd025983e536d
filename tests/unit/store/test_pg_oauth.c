/*
 * test_pg_oauth.c - unit tests of the PostgreSQL store ops in
 * store/pg_oauth.c and store/pg_limits.c against a real server: signing
 * keys (bytes exact), integrations, consents, grants, throttles, rate-limit
 * counters and share links with the SQLite backend's semantics, and what
 * several nodes must not break: two processes racing throttle attempts
 * (every attempt counted exactly once, exactly `max` admitted), two
 * processes using the same grants (one winner each), a refresh token issued
 * while its family is being revoked (born revoked), and two processes
 * syncing overlapping rate counters in opposite orders (exact totals, no
 * deadlock).
 *
 * Same convention as test_pg.c: PROFILED_TEST_PG_URL is the URL of a
 * server's maintenance database (scripts/pg-tmp.sh url DIR PORT); each test
 * creates its own database next to it.  Unset: skipped with a line, and a
 * failure only when PROFILED_REQUIRE_PG=1.
 *
 * Memory: every out-struct is released with its pd_*_clear(); the fixture
 * owns the store and closes it in teardown; forked children open and close
 * their own stores and leave with _exit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "pg_testdb.h"
#include "store/store.h"

#define ORG  "0f0e0d0c-0000-4000-8000-000000000001"
#define ACC  "1a2b3c4d-0000-4000-8000-00000000000a"
#define USR  "aaaaaaaa-0000-4000-8000-000000000001"
#define USR_U "AAAAAAAA-0000-4000-8000-000000000001"
#define USR2 "aaaaaaaa-0000-4000-8000-000000000002"


typedef struct {
    char name[64];
    char url[512];
    pd_store *s;
} fixture;

/* ---- helpers ---------------------------------------------------------- */

static void seed(pd_store *s)
{
    pd_org o = { .id = (char *)ORG, .name = (char *)"Org" };
    pd_account a = { (char *)ACC, 2000002, (char *)"Acc", (char *)ORG };
    pd_user u = { .id = (char *)USR, .email = (char *)"u@x.test", .status = (char *)"Active",
                  .created = (char *)"2024-01-01T00:00:00.0000000Z",
                  .modified = (char *)"2024-01-01T00:00:00.0000000Z", .profile_json = (char *)"{}" };
    pd_user u2 = u;
    u2.id = (char *)USR2;
    u2.email = (char *)"u2@x.test";
    assert_int_equal(s->ops->upsert_org(s, &o), PD_OK);
    assert_int_equal(s->ops->upsert_account(s, &a), PD_OK);
    assert_int_equal(s->ops->upsert_user(s, &u), PD_OK);
    assert_int_equal(s->ops->upsert_user(s, &u2), PD_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    new_database("uo", f->name, sizeof f->name, f->url, sizeof f->url);
    char err[256] = "";
    f->s = pd_store_open(f->url, err, sizeof err);
    assert_non_null(f->s);
    int from = -1, to = -1;
    assert_int_equal(f->s->ops->migrate(f->s, &from, &to), PD_OK);
    assert_true(to >= 7);
    seed(f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pd_store_close(f->s);
    free(f);
    return 0;
}

static pd_store *open_url(const char *url)
{
    char err[256];
    return pd_store_open_existing(url, err, sizeof err);
}

static pd_integration make(char **uris, size_t nu, char **keys, size_t nk, char *hash)
{
    pd_integration it = { .key = (char *)"client-1", .name = (char *)"Client", .secret_hash = hash,
                          .allowed_scopes = (char *)"signature impersonation",
                          .redirect_uris = uris, .n_redirect_uris = nu,
                          .public_keys = keys, .n_public_keys = nk };
    return it;
}

/* A start line for forked children: each blocks reading the pipe until the
 * parent closes its end, so all start at once. */
typedef struct {
    int fd[2];
} gate;

static void gate_open(gate *g)
{
    assert_int_equal(pipe(g->fd), 0);
}

static void gate_wait_child(gate *g)
{
    char c;
    close(g->fd[1]);
    while (read(g->fd[0], &c, 1) > 0) {
    }
    close(g->fd[0]);
}

static void gate_release(gate *g)
{
    close(g->fd[0]);
    close(g->fd[1]);
}

/* Waits for a child; its exit status (0..255), or -1 when it did not exit. */
static int child_status(pid_t pid)
{
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- signing keys ------------------------------------------------------ */

typedef struct {
    int n;
    char kid[4][16];
    unsigned char secret[4][32];
    int64_t created[4];
} key_list;

static int on_key(void *ctx, const void *row)
{
    key_list *l = ctx;
    const pd_signing_key *k = row;
    if (l->n < 4) {
        snprintf(l->kid[l->n], sizeof l->kid[0], "%s", k->kid);
        memcpy(l->secret[l->n], k->secret, 32);
        l->created[l->n] = k->created;
    }
    l->n++;
    return 0;
}

static int stop_at_first(void *ctx, const void *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 1;
}

static void test_signing_keys(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    unsigned char a[32], b[32];
    for (int i = 0; i < 32; i++) {
        a[i] = (unsigned char)(i == 3 ? 0 : 0xff - i);      /* a NUL inside: bytes, not text */
        b[i] = (unsigned char)(i * 7);
    }
    key_list l = {0};
    assert_int_equal(s->ops->get_signing_keys(s, on_key, &l), PD_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(s->ops->add_signing_key(s, "k-old", a, 32, 100), PD_OK);
    assert_int_equal(s->ops->add_signing_key(s, "k-new", b, 32, 200), PD_OK);
    assert_int_equal(s->ops->add_signing_key(s, "k-new", a, 32, 300), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "UNIQUE constraint failed: signing_keys"));
    assert_int_equal(s->ops->add_signing_key(s, "k-short", a, 31, 300), PD_ERR_STORE);
    assert_int_equal(s->ops->add_signing_key(s, NULL, a, 32, 300), PD_ERR_STORE);
    assert_int_equal(s->ops->get_signing_keys(s, on_key, &l), PD_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.kid[0], "k-new");                     /* newest first */
    assert_memory_equal(l.secret[0], b, 32);
    assert_int_equal(l.created[0], 200);
    assert_string_equal(l.kid[1], "k-old");
    assert_memory_equal(l.secret[1], a, 32);
    int n = 0;
    assert_int_equal(s->ops->get_signing_keys(s, stop_at_first, &n), PD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s->ops->get_signing_keys(s, NULL, NULL), PD_ERR_STORE);
    assert_int_equal(s->ops->delete_signing_key(s, "k-old"), PD_OK);
    assert_int_equal(s->ops->delete_signing_key(s, "k-old"), PD_ERR_NOT_FOUND);
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->get_signing_keys(s, on_key, &l), PD_OK);
    assert_int_equal(l.n, 1);
}

/* ---- integrations, consents ------------------------------------------- */

static void test_integrations(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *uris[] = { (char *)"https://b.example/cb", (char *)"https://a.example/cb?x=\"1\"" };
    char *keys[] = { (char *)"-----BEGIN PUBLIC KEY-----\nPEM-1\n-----END PUBLIC KEY-----\n",
                     (char *)"PEM-2" };
    pd_integration in = make(uris, 2, keys, 2, (char *)"$argon2id$hash");
    pd_integration out;

    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_string_equal(out.key, "client-1");
    assert_string_equal(out.name, "Client");
    assert_string_equal(out.secret_hash, "$argon2id$hash");
    assert_string_equal(out.allowed_scopes, "signature impersonation");
    assert_int_equal(out.n_redirect_uris, 2);
    assert_string_equal(out.redirect_uris[0], "https://a.example/cb?x=\"1\"");   /* ordered, exact */
    assert_string_equal(out.redirect_uris[1], "https://b.example/cb");
    assert_int_equal(out.n_public_keys, 2);
    assert_string_equal(out.public_keys[0], keys[0]);                         /* newlines kept */
    assert_string_equal(out.public_keys[1], "PEM-2");
    pd_integration_clear(&out);
    assert_null(out.key);
    /* keys are exact: no case folding */
    assert_int_equal(s->ops->get_integration(s, "CLIENT-1", &out), PD_ERR_NOT_FOUND);

    /* upsert replaces the sets and keeps the secret hash when none is given */
    in = make(uris, 1, NULL, 0, NULL);
    in.name = (char *)"Renamed";
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_string_equal(out.name, "Renamed");
    assert_string_equal(out.secret_hash, "$argon2id$hash");
    assert_int_equal(out.n_redirect_uris, 1);
    assert_string_equal(out.redirect_uris[0], "https://b.example/cb");
    assert_int_equal(out.n_public_keys, 0);
    assert_null(out.public_keys);
    pd_integration_clear(&out);

    /* add-key: new, duplicate ignored, unknown integration */
    assert_int_equal(s->ops->add_integration_key(s, "client-1", "PEM-3"), PD_OK);
    assert_int_equal(s->ops->add_integration_key(s, "client-1", "PEM-3"), PD_OK);
    assert_int_equal(s->ops->add_integration_key(s, "nobody", "PEM-3"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_int_equal(out.n_public_keys, 1);
    assert_string_equal(out.public_keys[0], "PEM-3");
    pd_integration_clear(&out);

    /* a failed upsert (duplicate URI rows are fine, a NULL one is not) changes nothing */
    char *bad_uris[] = { (char *)"https://c.example/cb", NULL };
    pd_integration bad = make(bad_uris, 2, NULL, 0, NULL);
    assert_int_equal(s->ops->upsert_integration(s, &bad), PD_ERR_STORE);
    bad = make(NULL, 1, NULL, 0, NULL);
    assert_int_equal(s->ops->upsert_integration(s, &bad), PD_ERR_STORE);
    assert_int_equal(s->ops->upsert_integration(s, NULL), PD_ERR_STORE);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_string_equal(out.name, "Renamed");
    assert_int_equal(out.n_redirect_uris, 1);
    pd_integration_clear(&out);

    /* inside a caller's transaction the upsert is undone with it */
    assert_int_equal(s->ops->begin(s), PD_OK);
    in.name = (char *)"Rolled back";
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->get_integration(s, "client-1", &out), PD_OK);
    assert_string_equal(out.name, "Renamed");
    pd_integration_clear(&out);
}

typedef struct {
    pd_store *s;
    int n;
    char keys[4][16];
} it_list;

/* Re-enters the store from the callback, as the export does. */
static int on_integration(void *ctx, const void *row)
{
    it_list *l = ctx;
    const pd_integration *it = row;
    if (l->n < 4)
        snprintf(l->keys[l->n], sizeof l->keys[0], "%s", it->key);
    l->n++;
    pd_integration again;
    assert_int_equal(l->s->ops->get_integration(l->s, it->key, &again), PD_OK);
    assert_int_equal(again.n_redirect_uris, it->n_redirect_uris);
    assert_int_equal(again.n_public_keys, it->n_public_keys);
    pd_integration_clear(&again);
    return 0;
}

static int count_consent(void *ctx, const void *row)
{
    const pd_consent *c = row;
    int *n = ctx;
    assert_string_equal(c->integration_key, "client-1");
    assert_string_equal(c->user_id, *n == 0 ? USR : USR2);       /* by user id */
    (*n)++;
    return 0;
}

static void test_consents_and_delete_cascade(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    char *uris[] = { (char *)"https://a/cb" };
    pd_integration in = make(uris, 1, NULL, 0, NULL);
    pd_consent c = { .integration_key = (char *)"client-1", .user_id = (char *)USR_U,
                     .scopes = (char *)"signature" }, out;

    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    in.key = (char *)"client-0";
    in.n_redirect_uris = 0;
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    c.scopes = (char *)"signature impersonation";                       /* upsert */
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    assert_int_equal(s->ops->get_consent(s, "client-1", USR_U, &out), PD_OK);
    assert_string_equal(out.user_id, USR);                               /* lower-cased */
    assert_string_equal(out.scopes, "signature impersonation");
    pd_consent_clear(&out);
    assert_int_equal(s->ops->get_consent(s, "client-1", USR2, &out), PD_ERR_NOT_FOUND);
    c.user_id = (char *)"ffffffff-0000-4000-8000-000000000009";          /* no such user */
    assert_int_equal(s->ops->put_consent(s, &c), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s),
                           "FOREIGN KEY constraint failed (the integration or the user does not exist)"));
    c.user_id = (char *)USR2;
    assert_int_equal(s->ops->put_consent(s, &c), PD_OK);
    int n = 0;
    assert_int_equal(s->ops->each_consent(s, "client-1", count_consent, &n), PD_OK);
    assert_int_equal(n, 2);
    it_list l = { .s = s };
    assert_int_equal(s->ops->each_integration(s, on_integration, &l), PD_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.keys[0], "client-0");                         /* by key */
    assert_string_equal(l.keys[1], "client-1");

    /* deleting an integration drops its consents and grants */
    pd_grant g = { .kind = PD_GRANT_CODE, .family = (char *)"fam",
                   .integration_key = (char *)"client-1", .user_id = (char *)USR, .expires = 100 };
    memset(g.hash, 7, sizeof g.hash);
    assert_int_equal(s->ops->put_grant(s, &g), PD_OK);
    assert_int_equal(s->ops->delete_integration(s, "client-1"), PD_OK);
    assert_int_equal(s->ops->delete_integration(s, "client-1"), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_consent(s, "client-1", USR, &out), PD_ERR_NOT_FOUND);
    pd_grant gout;
    assert_int_equal(s->ops->get_grant(s, g.hash, &gout), PD_ERR_NOT_FOUND);
    memset(&l, 0, sizeof l);
    l.s = s;
    assert_int_equal(s->ops->each_integration(s, on_integration, &l), PD_OK);
    assert_int_equal(l.n, 1);
}

/* ---- grants ------------------------------------------------------------ */

static void test_grants(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    pd_grant code = { .kind = PD_GRANT_CODE, .family = (char *)"fam-1",
                      .integration_key = (char *)"client-1", .user_id = (char *)USR_U,
                      .redirect_uri = (char *)"https://a/cb", .scopes = (char *)"signature",
                      .code_challenge = (char *)"chal", .expires = 1000 };
    pd_grant refresh = { .kind = PD_GRANT_REFRESH, .family = (char *)"fam-1",
                         .integration_key = (char *)"client-1", .user_id = (char *)USR,
                         .scopes = (char *)"signature", .expires = 5000 };
    pd_grant session = { .kind = PD_GRANT_SESSION, .family = (char *)"s", .user_id = (char *)USR,
                         .expires = 50 };
    pd_grant out;

    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    memset(code.hash, 1, 32);
    code.hash[5] = 0;                                   /* bytes, not text */
    memset(refresh.hash, 2, 32);
    memset(session.hash, 3, 32);
    assert_int_equal(s->ops->put_grant(s, &code), PD_OK);
    assert_int_equal(s->ops->put_grant(s, &code), PD_ERR_STORE);         /* same hash twice */
    assert_int_equal(s->ops->put_grant(s, &refresh), PD_OK);
    assert_int_equal(s->ops->put_grant(s, &session), PD_OK);

    assert_int_equal(s->ops->get_grant(s, code.hash, &out), PD_OK);
    assert_memory_equal(out.hash, code.hash, 32);
    assert_int_equal(out.kind, PD_GRANT_CODE);
    assert_string_equal(out.family, "fam-1");
    assert_string_equal(out.integration_key, "client-1");
    assert_string_equal(out.user_id, USR);                                /* lower-cased */
    assert_string_equal(out.redirect_uri, "https://a/cb");
    assert_string_equal(out.scopes, "signature");
    assert_string_equal(out.code_challenge, "chal");
    assert_int_equal(out.expires, 1000);
    assert_false(out.used);
    assert_false(out.revoked);
    pd_grant_clear(&out);

    assert_int_equal(s->ops->use_grant(s, code.hash, &out), PD_OK);
    assert_false(out.used);                                               /* first use */
    assert_string_equal(out.code_challenge, "chal");
    assert_memory_equal(out.hash, code.hash, 32);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->use_grant(s, code.hash, &out), PD_OK);
    assert_true(out.used);                                                /* replay */
    assert_string_equal(out.family, "fam-1");
    pd_grant_clear(&out);
    assert_int_equal(s->ops->get_grant(s, code.hash, &out), PD_OK);
    assert_true(out.used);
    pd_grant_clear(&out);

    assert_int_equal(s->ops->revoke_grant_family(s, "fam-1"), PD_OK);
    assert_int_equal(s->ops->revoke_grant_family(s, "fam-1"), PD_OK);     /* again: fine */
    assert_int_equal(s->ops->revoke_grant_family(s, "no-such-family"), PD_OK);
    assert_int_equal(s->ops->get_grant(s, refresh.hash, &out), PD_OK);
    assert_true(out.revoked);
    assert_int_equal(out.kind, PD_GRANT_REFRESH);
    assert_null(out.redirect_uri);
    assert_null(out.code_challenge);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->get_grant(s, session.hash, &out), PD_OK);
    assert_false(out.revoked);                                            /* other family */
    assert_int_equal(out.kind, PD_GRANT_SESSION);
    assert_null(out.integration_key);
    assert_null(out.scopes);
    pd_grant_clear(&out);

    unsigned char none[32] = {0};
    assert_int_equal(s->ops->use_grant(s, none, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_grant(s, none, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->purge_grants(s, 1001), PD_OK);               /* drops code and session */
    assert_int_equal(s->ops->get_grant(s, code.hash, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_grant(s, session.hash, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->get_grant(s, refresh.hash, &out), PD_OK);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->delete_grant(s, refresh.hash), PD_OK);
    assert_int_equal(s->ops->delete_grant(s, refresh.hash), PD_OK);       /* none: fine, as SQLite */
    assert_int_equal(s->ops->get_grant(s, refresh.hash, &out), PD_ERR_NOT_FOUND);

    pd_grant bad = refresh;
    bad.kind = (pd_grant_kind)9;
    assert_int_equal(s->ops->put_grant(s, &bad), PD_ERR_STORE);
    bad = refresh;
    bad.user_id = (char *)"ffffffff-0000-4000-8000-000000000009";
    assert_int_equal(s->ops->put_grant(s, &bad), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "FOREIGN KEY constraint failed"));
    assert_int_equal(s->ops->use_grant(s, NULL, &out), PD_ERR_STORE);
}

/* A refresh token inserted into a family that a replay already revoked is
 * born revoked. */
static void test_grant_into_revoked_family(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    pd_grant r1 = { .kind = PD_GRANT_REFRESH, .family = (char *)"fam-r",
                    .integration_key = (char *)"client-1", .user_id = (char *)USR,
                    .scopes = (char *)"signature", .expires = 5000 };
    pd_grant r2 = r1, other = r1, out;

    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    memset(r1.hash, 7, 32);
    memset(r2.hash, 8, 32);
    memset(other.hash, 9, 32);
    other.family = (char *)"fam-other";
    assert_int_equal(s->ops->put_grant(s, &r1), PD_OK);
    assert_int_equal(s->ops->revoke_grant_family(s, "fam-r"), PD_OK);
    assert_int_equal(s->ops->put_grant(s, &r2), PD_OK);
    assert_int_equal(s->ops->get_grant(s, r2.hash, &out), PD_OK);
    assert_true(out.revoked);
    pd_grant_clear(&out);
    assert_int_equal(s->ops->put_grant(s, &other), PD_OK);
    assert_int_equal(s->ops->get_grant(s, other.hash, &out), PD_OK);
    assert_false(out.revoked);
    pd_grant_clear(&out);
}

typedef struct {
    const char *url;
    unsigned char hash[32];
    pd_err result;
} put_arg;

static void *put_refresh(void *p)
{
    put_arg *a = p;
    pd_store *s = open_url(a->url);
    a->result = PD_ERR_INTERNAL;
    if (s == NULL)
        return NULL;
    pd_grant g = { .kind = PD_GRANT_REFRESH, .family = (char *)"fam-x",
                   .integration_key = (char *)"client-1", .user_id = (char *)USR,
                   .scopes = (char *)"signature", .expires = 5000 };
    memcpy(g.hash, a->hash, 32);
    a->result = s->ops->put_grant(s, &g);
    pd_store_close(s);
    return NULL;
}

/* Node A revokes a family (its transaction still open) while node B issues
 * a refresh token into it: B waits for A's family lock and its token is
 * born revoked.  Without the lock B would insert at once, not seeing A's
 * uncommitted revocation, and its token would escape it. */
static void test_revocation_race(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    pd_grant r1 = { .kind = PD_GRANT_REFRESH, .family = (char *)"fam-x",
                    .integration_key = (char *)"client-1", .user_id = (char *)USR,
                    .scopes = (char *)"signature", .expires = 5000 }, out;
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    memset(r1.hash, 0x11, 32);
    assert_int_equal(s->ops->put_grant(s, &r1), PD_OK);

    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->revoke_grant_family(s, "fam-x"), PD_OK);
    put_arg pa = { .url = f->url };
    memset(pa.hash, 0x22, 32);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, put_refresh, &pa), 0);
    struct timespec ts = { 0, 300 * 1000000L };
    nanosleep(&ts, NULL);                       /* B is waiting on the lock meanwhile */
    assert_int_equal(s->ops->get_grant(s, pa.hash, &out), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->commit(s), PD_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(pa.result, PD_OK);
    assert_int_equal(s->ops->get_grant(s, pa.hash, &out), PD_OK);
    assert_true(out.revoked);
    pd_grant_clear(&out);
}

/* Two processes use the same N grants at once: each grant has exactly one
 * first use (out.used false) and one replay. */
static void test_use_grant_race(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    enum { N = 40, PROCS = 2 };
    pd_integration in = make(NULL, 0, NULL, 0, NULL);
    assert_int_equal(s->ops->upsert_integration(s, &in), PD_OK);
    for (int i = 0; i < N; i++) {
        pd_grant g = { .kind = PD_GRANT_CODE, .family = (char *)"fam-u",
                       .integration_key = (char *)"client-1", .user_id = (char *)USR,
                       .expires = 5000 };
        memset(g.hash, 0x40, 32);
        g.hash[0] = (unsigned char)i;
        assert_int_equal(s->ops->put_grant(s, &g), PD_OK);
    }
    int fds[PROCS][2];
    pid_t kids[PROCS];
    gate g;
    gate_open(&g);
    for (int p = 0; p < PROCS; p++) {
        assert_int_equal(pipe(fds[p]), 0);
        kids[p] = fork();
        assert_true(kids[p] >= 0);
        if (kids[p] == 0) {
            close(fds[p][0]);
            pd_store *cs = open_url(f->url);
            gate_wait_child(&g);
            unsigned char won[N];
            int rc = 0;
            for (int k = 0; k < N; k++) {
                /* opposite orders, so the two meet in the middle */
                int i = p == 0 ? k : N - 1 - k;
                unsigned char h[32];
                memset(h, 0x40, 32);
                h[0] = (unsigned char)i;
                pd_grant out;
                won[i] = 2;
                if (cs == NULL || cs->ops->use_grant(cs, h, &out) != PD_OK) {
                    rc = 1;
                    continue;
                }
                won[i] = out.used ? 0 : 1;
                pd_grant_clear(&out);
            }
            if (write(fds[p][1], won, sizeof won) != (ssize_t)sizeof won)
                rc = 1;
            pd_store_close(cs);
            _exit(rc);
        }
        close(fds[p][1]);
    }
    gate_release(&g);
    unsigned char won[PROCS][N];
    for (int p = 0; p < PROCS; p++) {
        size_t got = 0;
        ssize_t r;
        while (got < N && (r = read(fds[p][0], won[p] + got, N - got)) > 0)
            got += (size_t)r;
        close(fds[p][0]);
        assert_int_equal(got, N);
        assert_int_equal(child_status(kids[p]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_true(won[0][i] <= 1 && won[1][i] <= 1);
        assert_int_equal(won[0][i] + won[1][i], 1);      /* exactly one first use */
    }
}

/* ---- throttles --------------------------------------------------------- */

static void test_throttle_get_put(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_throttle t = { 3, 100, 200 }, out = { 9, 9, 9 };

    assert_int_equal(s->ops->get_throttle(s, "email:a@b", &out), PD_OK);
    assert_int_equal(out.failures, 0);
    assert_int_equal(out.window_start, 0);
    assert_int_equal(out.locked_until, 0);
    assert_int_equal(s->ops->put_throttle(s, "email:a@b", &t), PD_OK);
    t.failures = 4;
    assert_int_equal(s->ops->put_throttle(s, "email:a@b", &t), PD_OK);
    assert_int_equal(s->ops->get_throttle(s, "email:a@b", &out), PD_OK);
    assert_int_equal(out.failures, 4);
    assert_int_equal(out.window_start, 100);
    assert_int_equal(out.locked_until, 200);
    /* keys are exact */
    assert_int_equal(s->ops->get_throttle(s, "EMAIL:a@b", &out), PD_OK);
    assert_int_equal(out.failures, 0);
}

/* The same sequence as test_sqlite_oauth.c's. */
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
    /* the sixth is refused; nothing changes (the lock does not grow); out is the row */
    memset(&t, 0, sizeof t);
    assert_int_equal(s->ops->throttle_attempt(s, "email:x", now + 6, 900, 5, 900, &t, &refused), PD_OK);
    assert_true(refused);
    assert_int_equal(t.failures, 5);
    assert_int_equal(t.locked_until, now + 5 + 900);
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
    /* a window in the future (clock went back) starts again */
    assert_int_equal(s->ops->throttle_attempt(s, "email:x", now, 900, 5, 900, &t, &refused), PD_OK);
    assert_int_equal(t.failures, 1);
    assert_int_equal(t.window_start, now);
    /* max 1: the first attempt locks */
    assert_int_equal(s->ops->throttle_attempt(s, "email:one", now, 900, 1, 60, &t, &refused), PD_OK);
    assert_false(refused);
    assert_int_equal(t.locked_until, now + 60);

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
    assert_int_equal(s->ops->throttle_attempt(s, "k", now, 0, 5, 900, &t, &refused), PD_ERR_STORE);
    assert_int_equal(s->ops->throttle_attempt(s, "k", now, 900, 5, -1, &t, &refused), PD_ERR_STORE);
    assert_int_equal(s->ops->throttle_attempt(s, "k", now, 900, 5, 900, &t, NULL), PD_ERR_STORE);
    /* out may be NULL */
    assert_int_equal(s->ops->throttle_attempt(s, "k", now, 900, 5, 900, NULL, &refused), PD_OK);
    /* inside a caller's transaction it is undone with it */
    assert_int_equal(s->ops->begin(s), PD_OK);
    assert_int_equal(s->ops->throttle_attempt(s, "email:z", now, 900, 5, 900, &t, &refused), PD_OK);
    assert_int_equal(s->ops->rollback(s), PD_OK);
    assert_int_equal(s->ops->get_throttle(s, "email:z", &t), PD_OK);
    assert_int_equal(t.failures, 0);
}

typedef struct {
    const char *url;
    const char *key;
    int64_t max;
    int admitted;           /* attempts not refused */
    int errors;
    pthread_barrier_t *barrier;
} attempt_arg;

static void *attempt_thread(void *p)
{
    attempt_arg *a = p;
    pd_store *s = open_url(a->url);
    pthread_barrier_wait(a->barrier);
    if (s == NULL) {
        a->errors++;
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        bool refused = true;
        pd_throttle t;
        if (s->ops->throttle_attempt(s, a->key, 500000, 900, a->max, 900, &t, &refused) != PD_OK)
            a->errors++;
        else if (!refused)
            a->admitted++;
    }
    pd_store_close(s);
    return NULL;
}

/* One process of the race: THREADS connections, 2 attempts each, started
 * together after the gate; exit status = attempts admitted, 255 on error. */
static int attempt_process(const char *url, const char *key, int64_t max, gate *g)
{
    enum { THREADS = 5 };
    pthread_barrier_t b;
    attempt_arg a[THREADS];
    pthread_t t[THREADS];
    gate_wait_child(g);
    pthread_barrier_init(&b, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        a[i] = (attempt_arg){ .url = url, .key = key, .max = max, .barrier = &b };
        if (pthread_create(&t[i], NULL, attempt_thread, &a[i]) != 0)
            return 255;
    }
    int admitted = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        admitted += a[i].admitted;
        errors += a[i].errors;
    }
    pthread_barrier_destroy(&b);
    return errors > 0 ? 255 : admitted;
}

/* 20 attempts at once from two processes (5 connections each, 2 attempts
 * per connection): every attempt is counted exactly once, and with max 5
 * exactly 5 are admitted and the lock holds the count at 5. */
static void test_throttle_race_two_processes(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    static const struct {
        const char *key;
        int64_t max;
        int admitted;
        int64_t failures;
    } cases[] = {
        { "email:race-count", 1000, 20, 20 },
        { "email:race-lock", 5, 5, 5 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gate g;
        gate_open(&g);
        pid_t kids[2];
        for (int p = 0; p < 2; p++) {
            kids[p] = fork();
            assert_true(kids[p] >= 0);
            if (kids[p] == 0)
                _exit(attempt_process(f->url, cases[c].key, cases[c].max, &g));
        }
        gate_release(&g);
        int admitted = 0;
        for (int p = 0; p < 2; p++) {
            int st = child_status(kids[p]);
            assert_true(st >= 0 && st <= 10);
            admitted += st;
        }
        assert_int_equal(admitted, cases[c].admitted);
        pd_throttle t;
        assert_int_equal(s->ops->get_throttle(s, cases[c].key, &t), PD_OK);
        assert_int_equal(t.failures, cases[c].failures);
        assert_int_equal(t.window_start, 500000);
        assert_int_equal(t.locked_until, cases[c].max <= 20 ? 500000 + 900 : 0);
    }
}

/* ---- rate counters ----------------------------------------------------- */

#define HOUR0 1796418000

static void test_rate_sync(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_rate_row rows[3] = {
        { .key = "account:x", .span = 3600, .window = HOUR0, .delta = 5 },
        { .key = "account:x", .span = 30, .window = HOUR0, .delta = 2 },   /* same start, other span */
        { .key = "addr:\"quoted\" \\ 'ü'", .span = 30, .window = HOUR0, .delta = 1 },
    };
    assert_int_equal(s->ops->rate_sync(s, rows, 3, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
    assert_int_equal(rows[1].total, 2);
    assert_int_equal(rows[2].total, 1);
    rows[0].delta = 0;
    rows[1].delta = 3;
    rows[2].delta = 4;
    assert_int_equal(s->ops->rate_sync(s, rows, 3, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
    assert_int_equal(rows[1].total, 5);
    assert_int_equal(rows[2].total, 5);
    /* the same counter twice in one sync: both added, both see the total */
    pd_rate_row dup[2] = {
        { .key = "user:d", .span = 30, .window = HOUR0, .delta = 2 },
        { .key = "user:d", .span = 30, .window = HOUR0, .delta = 3 },
    };
    assert_int_equal(s->ops->rate_sync(s, dup, 2, 0), PD_OK);
    assert_int_equal(dup[0].total, 5);
    assert_int_equal(dup[1].total, 5);
    /* a read only (delta 0) of a counter nobody has: 0 */
    pd_rate_row fresh = { .key = "user:none", .span = 3600, .window = HOUR0, .delta = 0 };
    assert_int_equal(s->ops->rate_sync(s, &fresh, 1, 0), PD_OK);
    assert_int_equal(fresh.total, 0);
    /* purge: windows that ended before the time given go */
    assert_int_equal(s->ops->rate_sync(s, NULL, 0, HOUR0 + 31), PD_OK);
    rows[0].delta = rows[1].delta = rows[2].delta = 0;
    assert_int_equal(s->ops->rate_sync(s, rows, 3, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
    assert_int_equal(rows[1].total, 0);
    assert_int_equal(rows[2].total, 0);
    /* bad rows are refused, and nothing of the sync is kept */
    pd_rate_row bad[2] = {
        { .key = "account:x", .span = 3600, .window = HOUR0, .delta = 7 },
        { .key = "k", .span = 30, .window = 0, .delta = -1 },
    };
    assert_int_equal(s->ops->rate_sync(s, bad, 2, 0), PD_ERR_STORE);
    bad[1] = (pd_rate_row){ .key = NULL, .span = 30, .window = 0, .delta = 1 };
    assert_int_equal(s->ops->rate_sync(s, bad, 2, 0), PD_ERR_STORE);
    bad[1] = (pd_rate_row){ .key = "k", .span = 0, .window = 0, .delta = 1 };
    assert_int_equal(s->ops->rate_sync(s, bad, 2, 0), PD_ERR_STORE);
    assert_int_equal(s->ops->rate_sync(s, NULL, 1, 0), PD_ERR_STORE);
    assert_int_equal(s->ops->rate_sync(s, rows, 1, 0), PD_OK);
    assert_int_equal(rows[0].total, 5);
}

/* Two processes sync the same 50 counters 30 times each, in opposite
 * orders, at once: the totals are exact and no sync fails (a deadlock
 * would fail one after PostgreSQL's deadlock_timeout). */
static void test_rate_sync_two_nodes(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    enum { KEYS = 50, ROUNDS = 30 };
    gate g;
    gate_open(&g);
    pid_t kids[2];
    for (int p = 0; p < 2; p++) {
        kids[p] = fork();
        assert_true(kids[p] >= 0);
        if (kids[p] == 0) {
            pd_store *cs = open_url(f->url);
            char names[KEYS][16];
            pd_rate_row rows[KEYS];
            gate_wait_child(&g);
            int rc = cs == NULL;
            for (int r = 0; rc == 0 && r < ROUNDS; r++) {
                for (int k = 0; k < KEYS; k++) {
                    int i = p == 0 ? k : KEYS - 1 - k;
                    snprintf(names[k], sizeof names[k], "user:%02d", i);
                    rows[k] = (pd_rate_row){ .key = names[k], .span = 3600, .window = HOUR0,
                                             .delta = 1 + p };
                }
                if (cs->ops->rate_sync(cs, rows, KEYS, 0) != PD_OK)
                    rc = 1;
            }
            pd_store_close(cs);
            _exit(rc);
        }
    }
    gate_release(&g);
    for (int p = 0; p < 2; p++)
        assert_int_equal(child_status(kids[p]), 0);
    for (int k = 0; k < KEYS; k++) {
        char name[24];
        snprintf(name, sizeof name, "user:%02d", k);
        pd_rate_row r = { .key = name, .span = 3600, .window = HOUR0, .delta = 0 };
        assert_int_equal(s->ops->rate_sync(s, &r, 1, 0), PD_OK);
        assert_int_equal(r.total, ROUNDS * 1 + ROUNDS * 2);
    }
}

/* ---- share links ------------------------------------------------------- */

typedef struct {
    int n;
    char ids[4][40];
    bool revoked[4];
} link_list;

static int on_link(void *ctx, const void *row)
{
    link_list *l = ctx;
    const pd_share_link *k = row;
    assert_string_equal(k->user_id, USR);
    if (l->n < 4) {
        snprintf(l->ids[l->n], sizeof l->ids[0], "%s", k->id);
        l->revoked[l->n] = k->revoked;
    }
    l->n++;
    return 0;
}

static void test_share_links(void **state)
{
    fixture *f = *state;
    pd_store *s = f->s;
    pd_share_link a = { (char *)"0123456789ABCDEF0123456789abcdef", (char *)USR_U, 1000, 5000, false };
    pd_share_link b = { (char *)"ffffffffffffffffffffffffffffffff", (char *)USR, 2000, 6000, false };
    pd_share_link old = { (char *)"00000000000000000000000000000000", (char *)USR, 10, 20, false };
    pd_share_link out;

    assert_int_equal(s->ops->put_share_link(s, &a), PD_OK);
    assert_int_equal(s->ops->put_share_link(s, &b), PD_OK);
    assert_int_equal(s->ops->put_share_link(s, &old), PD_OK);
    assert_int_equal(s->ops->put_share_link(s, &a), PD_ERR_STORE);                /* same id */
    pd_share_link nobody = { (char *)"11111111111111111111111111111111",
                             (char *)"ffffffff-0000-4000-8000-000000000009", 1, 2, false };
    assert_int_equal(s->ops->put_share_link(s, &nobody), PD_ERR_STORE);
    assert_non_null(strstr(pd_store_last_error(s), "the user does not exist"));

    assert_int_equal(s->ops->get_share_link(s, "0123456789abcdef0123456789ABCDEF", &out), PD_OK);
    assert_string_equal(out.id, "0123456789abcdef0123456789abcdef");               /* lower-cased */
    assert_string_equal(out.user_id, USR);
    assert_int_equal(out.created, 1000);
    assert_int_equal(out.expires, 5000);
    assert_false(out.revoked);
    pd_share_link_clear(&out);
    assert_int_equal(s->ops->get_share_link(s, "22222222222222222222222222222222", &out),
                     PD_ERR_NOT_FOUND);

    /* revoke: only the owner's link */
    assert_int_equal(s->ops->revoke_share_link(s, USR2, a.id), PD_ERR_NOT_FOUND);
    assert_int_equal(s->ops->revoke_share_link(s, USR_U, a.id), PD_OK);
    assert_int_equal(s->ops->get_share_link(s, a.id, &out), PD_OK);
    assert_true(out.revoked);
    pd_share_link_clear(&out);

    /* the user's links not expired at now, newest first (revoked ones too) */
    link_list l = {0};
    assert_int_equal(s->ops->each_share_link_of_user(s, USR_U, 100, on_link, &l), PD_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.ids[0], "ffffffffffffffffffffffffffffffff");
    assert_false(l.revoked[0]);
    assert_string_equal(l.ids[1], "0123456789abcdef0123456789abcdef");
    assert_true(l.revoked[1]);
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->each_share_link_of_user(s, USR, 5000, on_link, &l), PD_OK);
    assert_int_equal(l.n, 1);                                       /* expires > now */
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->each_share_link_of_user(s, USR2, 0, on_link, &l), PD_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(s->ops->each_share_link_of_user(s, USR, 0, NULL, NULL), PD_ERR_STORE);
}

int main(void)
{
    int rc;
    if (!pgt_url_or_skip("test_pg_oauth", &rc))
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signing_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consents_and_delete_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_into_revoked_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocation_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_grant_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_get_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_race_two_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_sync_two_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_share_links, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_pg_oauth", tests, NULL, NULL);
}
