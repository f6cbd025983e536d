/*
 * test_caches.c - the per-thread response cache and the verified-token memo:
 * hits only for the same key and tags, copies are independent, expiry is
 * re-checked on every hit, and nothing leaks at thread exit (ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "store/lookup_cache.h"
#include "http/resp_cache.h"
#include "store/store.h"
#include "auth/token.h"
#include "auth/token_cache.h"

/* The body a cached MHD response would send (MHD_get_response_header for
 * headers; the body is checked through a real server in the integration
 * tests). */
static void test_rc_hit_and_tags(void **state)
{
    (void)state;
    rc_tags t = {3, 4, 5}, other;
    const unsigned char body[] = "{\"a\":1}";
    const char *etag = "x";
    const rc_body *put, *hit;
    struct MHD_Response *mr;

    assert_null(rc_get("k1", &t, NULL));
    put = rc_put("k1", &t, body, sizeof(body) - 1, "application/json", NULL, NULL, 0);
    assert_non_null(put);
    hit = rc_get("k1", &t, &etag);
    assert_ptr_equal(hit, put);
    assert_null(etag);                         /* no ETag on a profile entry */
    mr = rc_response(hit);
    assert_non_null(mr);
    assert_string_equal(MHD_get_response_header(mr, "Content-Type"), "application/json");
    MHD_destroy_response(mr);

    other = t; other.v_caller++;
    assert_null(rc_get("k1", &other, NULL));
    other = t; other.v_target++;
    assert_null(rc_get("k1", &other, NULL));
    other = t; other.generation++;
    assert_null(rc_get("k1", &other, NULL));
    assert_null(rc_get("k2", &t, NULL));
    assert_null(rc_get("k", &t, NULL));
}

static void test_rc_image_entry(void **state)
{
    (void)state;
    rc_tags t = {1, 1, 1};
    const unsigned char png[] = {0x89, 'P', 'N', 'G', 0, 1, 2};
    const char *etag = NULL;
    const rc_body *hit;
    struct MHD_Response *mr;
    char ctype[16] = "image/png", etag_buf[16] = "\"abc\"";

    /* the content type and header values are copied: the caller's buffers may go */
    const rc_header h[] = { {"ETag", etag_buf}, {"X-Content-Type-Options", "nosniff"} };
    assert_non_null(rc_put("img", &t, png, sizeof(png), ctype, "\"abc\"", h, 2));
    memset(ctype, 'x', sizeof(ctype) - 1);
    memset(etag_buf, 'y', sizeof(etag_buf) - 1);
    hit = rc_get("img", &t, &etag);
    assert_non_null(hit);
    assert_string_equal(etag, "\"abc\"");
    mr = rc_response(hit);
    assert_non_null(mr);
    assert_string_equal(MHD_get_response_header(mr, "ETag"), "\"abc\"");
    assert_string_equal(MHD_get_response_header(mr, "X-Content-Type-Options"), "nosniff");
    assert_string_equal(MHD_get_response_header(mr, "Content-Type"), "image/png");
    MHD_destroy_response(mr);
}

/* Each hit gets its own response (per-request headers never touch the
 * shared entry), and a response outlives the entry it came from: the bytes
 * are freed by the last of them (ASan checks the order). */
static void test_rc_responses_are_per_request(void **state)
{
    (void)state;
    rc_tags t = {1, 1, 1}, t2 = {2, 2, 2};
    const rc_body *hit;
    struct MHD_Response *a, *b;

    assert_non_null(rc_put("p", &t, (const unsigned char *)"{}", 2, "application/json", NULL, NULL, 0));
    hit = rc_get("p", &t, NULL);
    a = rc_response(hit);
    b = rc_response(hit);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal(MHD_add_response_header(a, "X-DocuSign-TraceToken", "one"), MHD_YES);
    assert_null(MHD_get_response_header(b, "X-DocuSign-TraceToken"));
    /* the entry is replaced while both responses are still being sent */
    assert_non_null(rc_put("p", &t2, (const unsigned char *)"{\"n\":2}", 7, "application/json", NULL, NULL, 0));
    assert_null(rc_get("p", &t, NULL));
    MHD_destroy_response(a);
    MHD_destroy_response(b);                   /* frees the old bytes */
    /* a value too long for an entry is not cached */
    const rc_header big[] = { {"X", "0123456789012345678901234567890123456789012345678901234567890123456789"
                                    "0123456789012345678901234567890123456789012345678901234567890123456789"} };
    assert_null(rc_put("q", &t, (const unsigned char *)"x", 1, "text/plain", NULL, big, 1));
}

/* The entry's reusable response: the same object for consecutive hits,
 * its headers added once and the per-request one replaced (never two of
 * it); refused while a request is still sending it (the caller then makes
 * a fresh one); an entry replaced while its response is out keeps the
 * bytes until both the request and libmicrohttpd are done (ASan checks). */
static void test_rc_response_reuse(void **state)
{
    (void)state;
    rc_tags t = {7, 7, 7}, t2 = {8, 8, 8};
    const rc_header dflt = { "Cache-Control", "no-cache" };
    const rc_header own[] = { {"Cache-Control", "private, no-cache"} };
    const rc_body *hit, *img;
    struct MHD_Response *a, *b;

    assert_non_null(rc_put("reuse", &t, (const unsigned char *)"{}", 2, "application/json", NULL, NULL, 0));
    hit = rc_get("reuse", &t, NULL);
    a = rc_response_reuse(hit, &dflt, "X-DocuSign-TraceToken", "trace-1");
    assert_non_null(a);
    assert_string_equal(MHD_get_response_header(a, "X-DocuSign-TraceToken"), "trace-1");
    assert_string_equal(MHD_get_response_header(a, "Cache-Control"), "no-cache");
    assert_string_equal(MHD_get_response_header(a, "Content-Type"), "application/json");
    /* a second request while the first is being sent: refused */
    assert_null(rc_response_reuse(hit, &dflt, "X-DocuSign-TraceToken", "trace-2"));
    rc_response_reuse_done(hit);
    b = rc_response_reuse(hit, &dflt, "X-DocuSign-TraceToken", "trace-3");
    assert_ptr_equal(a, b);
    assert_string_equal(MHD_get_response_header(b, "X-DocuSign-TraceToken"), "trace-3");
    assert_int_equal(MHD_get_response_headers(b, NULL, NULL), 3);  /* Content-Type, Cache-Control, trace */
    /* the entry is replaced while the request is still out: the request
     * keeps the bytes alive, done() releases them */
    assert_non_null(rc_put("reuse", &t2, (const unsigned char *)"[]", 2, "application/json", NULL, NULL, 0));
    assert_null(rc_get("reuse", &t, NULL));
    rc_response_reuse_done(hit);

    /* an entry with its own Cache-Control keeps it, without the default */
    assert_non_null(rc_put("reuse-img", &t, (const unsigned char *)"P", 1, "image/png", "\"e\"", own, 1));
    img = rc_get("reuse-img", &t, NULL);
    a = rc_response_reuse(img, &dflt, "X-DocuSign-TraceToken", "trace-4");
    assert_non_null(a);
    assert_string_equal(MHD_get_response_header(a, "Cache-Control"), "private, no-cache");
    assert_int_equal(MHD_get_response_headers(a, NULL, NULL), 3);  /* Content-Type, Cache-Control, trace */
    rc_response_reuse_done(img);
}

static void test_rc_replace_and_bounds(void **state)
{
    (void)state;
    rc_tags t1 = {1, 1, 1}, t2 = {2, 2, 2};
    unsigned char *big = calloc(1, RC_ENTRY_MAX + 1);
    char longkey[RC_KEY_MAX + 10];

    assert_non_null(rc_put("same", &t1, (const unsigned char *)"one", 3, "text/plain", NULL, NULL, 0));
    assert_non_null(rc_put("same", &t2, (const unsigned char *)"two!", 4, "text/plain", NULL, NULL, 0));
    assert_null(rc_get("same", &t1, NULL));     /* replaced */
    assert_non_null(rc_get("same", &t2, NULL));

    assert_null(rc_put("big", &t1, big, RC_ENTRY_MAX + 1, "x", NULL, NULL, 0)); /* over the bound */
    assert_null(rc_get("big", &t1, NULL));
    free(big);

    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_null(rc_put(longkey, &t1, (const unsigned char *)"v", 1, "x", NULL, NULL, 0));
    assert_null(rc_get(longkey, &t1, NULL));
}

/* A working set smaller than the table stays whole: 1,000 answers of one
 * admin's users (the benchmark's random-any at 1k users) hit after one
 * pass.  The direct-mapped table this replaced lost about a tenth of them
 * to colliding keys.  The hash has a random per-process seed, so which
 * keys share a set changes from run to run: more than 8 of the 1,000 in
 * one of the 512 sets is rare (about 0.1 key lost per run on average), and
 * losing 10 would take many such sets at once. */
static void test_rc_working_set_stays(void **state)
{
    (void)state;
    rc_tags t = {1, 1, 1};
    char key[96];
    int hits = 0;

    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "profile|/restapi/v2.1|j|acc|admin|user-%04d", i);
        assert_non_null(rc_put(key, &t, (const unsigned char *)"{}", 2, "application/json", NULL, NULL, 0));
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "profile|/restapi/v2.1|j|acc|admin|user-%04d", i);
        hits += rc_get(key, &t, NULL) != NULL;
    }
    assert_in_range(hits, 990, 1000);
}

/* A put replaces the least recently used entry of its set: an entry read
 * between the puts survives RC_SLOTS * 4 puts of other keys. */
static void test_rc_least_recently_used_goes(void **state)
{
    (void)state;
    rc_tags t = {2, 2, 2};
    char key[64];

    assert_non_null(rc_put("hot", &t, (const unsigned char *)"H", 1, "text/plain", NULL, NULL, 0));
    for (int i = 0; i < RC_SLOTS * 4; i++) {
        snprintf(key, sizeof key, "cold-%d", i);
        assert_non_null(rc_put(key, &t, (const unsigned char *)"c", 1, "text/plain", NULL, NULL, 0));
        assert_non_null(rc_get("hot", &t, NULL));
    }
    /* the early cold keys are gone, the last one is there */
    assert_null(rc_get("cold-0", &t, NULL));
    snprintf(key, sizeof key, "cold-%d", RC_SLOTS * 4 - 1);
    assert_non_null(rc_get(key, &t, NULL));
}

/* serve --response-cache-mb: the body bytes a thread's table holds, and
 * 0 for off.  On a thread of its own, so its table starts empty. */
static void *budget_body(void *arg)
{
    rc_tags t = {4, 4, 4};
    uint64_t hits, misses;
    (void)arg;

    rc_set_budget(10);
    if (rc_put("b1", &t, (const unsigned char *)"12345678", 8, "x", NULL, NULL, 0) == NULL)
        return "an 8-byte body under a 10-byte budget was not kept";
    if (rc_put("b2", &t, (const unsigned char *)"abcdefgh", 8, "x", NULL, NULL, 0) != NULL)
        return "a second 8-byte body over a 10-byte budget was kept";
    if (rc_put("b3", &t, (const unsigned char *)"0123456789a", 11, "x", NULL, NULL, 0) != NULL)
        return "an 11-byte body over a 10-byte budget was kept";
    if (rc_get("b1", &t, NULL) == NULL || rc_get("b2", &t, NULL) != NULL)
        return "the budget's entries are not what was kept";
    rc_set_budget(0);
    if (rc_get("b1", &t, NULL) != NULL)
        return "a cache that is off answered a hit";
    if (rc_put("b4", &t, (const unsigned char *)"1", 1, "x", NULL, NULL, 0) != NULL)
        return "a cache that is off kept an entry";
    rc_stats(&hits, &misses);
    if (hits != 0 || misses != 0)
        return "a cache that is off reported a table";
    rc_set_budget(RC_BYTES_MAX);
    if (rc_get("b1", &t, NULL) == NULL)
        return "the entry kept before the cache was turned off is gone";
    return NULL;
}

static void test_rc_budget(void **state)
{
    (void)state;
    pthread_t th;
    void *why = NULL;

    assert_int_equal(pthread_create(&th, NULL, budget_body, NULL), 0);
    assert_int_equal(pthread_join(th, &why), 0);
    rc_set_budget(RC_BYTES_MAX);
    if (why != NULL)
        fail_msg("%s", (const char *)why);
}

static void *thread_body(void *arg)
{
    rc_tags t = {1, 2, 3};
    (void)arg;
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof(key), "thread-%d", i);
        rc_put(key, &t, (const unsigned char *)"payload", 7, "x", NULL, NULL, 0);
    }
    return NULL;                         /* the table is freed by the key destructor */
}

static void test_rc_per_thread(void **state)
{
    (void)state;
    rc_tags t = {1, 2, 3};
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, thread_body, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_null(rc_get("thread-1", &t, NULL));  /* other thread's table */
}


static void test_lookup_cache(void **state)
{
    (void)state;
    pd_account a = { .id = "acc-guid", .external_id = 42, .name = "Acme", .organization_id = NULL };
    pd_group g[2] = { { "1", "Admins", "AdminGroup" }, { "2", "Everyone", NULL } };
    pd_membership m = { .account_id = "acc-guid", .user_id = "user-1", .is_admin = true,
                        .permission_profile_id = "7", .permission_profile_name = "Sender",
                        .groups = g, .n_groups = 2 };
    pd_account oa;
    pd_membership om;

    assert_false(lc_get_account("42", 1, &oa));
    lc_put_account("42", 1, &a);
    assert_true(lc_get_account("42", 1, &oa));
    assert_string_equal(oa.id, "acc-guid");
    assert_int_equal(oa.external_id, 42);
    assert_null(oa.organization_id);
    assert_ptr_not_equal(oa.id, a.id);                 /* a deep copy */
    pd_account_clear(&oa);
    assert_false(lc_get_account("42", 2, &oa));        /* an import happened */
    assert_false(lc_get_account("43", 1, &oa));

    lc_put_membership("acc-guid", "user-1", 1, 5, &m);
    assert_true(lc_get_membership("acc-guid", "user-1", 1, 5, &om));
    assert_true(om.is_admin);
    assert_string_equal(om.permission_profile_name, "Sender");
    assert_int_equal(om.n_groups, 2);
    assert_string_equal(om.groups[1].name, "Everyone");
    assert_null(om.groups[1].type);
    pd_membership_clear(&om);
    assert_false(lc_get_membership("acc-guid", "user-1", 1, 6, &om));  /* membership written */
    assert_false(lc_get_membership("acc-guid", "user-1", 2, 5, &om));  /* import */
    assert_false(lc_get_membership("acc-guid", "user-2", 1, 5, &om));
    assert_false(lc_get_membership("other", "user-1", 1, 5, &om));
}

/* The lookup cache keeps what is read often while other keys stream
 * through it (a direct-mapped table lost an entry to any colliding put),
 * and a thousand accounts and admin memberships (a million-user tenant)
 * mostly stay together. */
static void test_lookup_cache_sets(void **state)
{
    (void)state;
    char acc[40], user[40];
    pd_membership m = { .account_id = "hot-acc", .user_id = "hot-user", .is_admin = true };
    pd_membership om;
    pd_account a = { .id = "acc", .external_id = 1, .name = "A" };
    pd_account oa;

    /* a read entry survives LC_SLOTS * 4 puts of other keys */
    lc_put_membership("hot-acc", "hot-user", 7, 1, &m);
    for (int i = 0; i < LC_SLOTS * 4; i++) {
        snprintf(acc, sizeof acc, "acc-%d", i % 1000);
        snprintf(user, sizeof user, "user-%d", i);
        pd_membership x = { .account_id = acc, .user_id = user };
        lc_put_membership(acc, user, 7, 1, &x);
        assert_true(lc_get_membership("hot-acc", "hot-user", 7, 1, &om));
        assert_string_equal(om.user_id, "hot-user");
        pd_membership_clear(&om);
    }
    /* the same key put again replaces its own entry (one entry per key) */
    m.is_admin = false;
    lc_put_membership("hot-acc", "hot-user", 7, 1, &m);
    assert_true(lc_get_membership("hot-acc", "hot-user", 7, 1, &om));
    assert_false(om.is_admin);
    pd_membership_clear(&om);

    /* 1,000 accounts and 1,000 memberships: (nearly) all kept */
    for (int i = 0; i < 1000; i++) {
        snprintf(acc, sizeof acc, "%08x-1111-4111-8111-111111111111", (unsigned)i * 2654435761u);
        lc_put_account(acc, 9, &a);
        pd_membership x = { .account_id = acc, .user_id = acc };
        lc_put_membership(acc, acc, 9, 1, &x);
    }
    int kept_a = 0, kept_m = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(acc, sizeof acc, "%08x-1111-4111-8111-111111111111", (unsigned)i * 2654435761u);
        if (lc_get_account(acc, 9, &oa)) {
            kept_a++;
            pd_account_clear(&oa);
        }
        if (lc_get_membership(acc, acc, 9, 1, &om)) {
            kept_m++;
            pd_membership_clear(&om);
        }
    }
    print_message("lookup cache: %d accounts, %d memberships of 1000 kept\n", kept_a, kept_m);
    assert_true(kept_a >= 990);
    assert_true(kept_m >= 990);
}

/* A one-key ring "k1" whose secret is all `byte` (a new gen each time). */
static token_keyring ring(unsigned char byte)
{
    token_keyring kr;
    unsigned char secret[TOKEN_KEY_BYTES];
    memset(&kr, 0, sizeof(kr));
    memset(secret, byte, sizeof(secret));
    assert_int_equal(token_keyring_add(&kr, "k1", secret, 1), 0);
    return kr;
}

static void test_token_cache(void **state)
{
    (void)state;
    token_keyring kr = ring(7);
    token_claims c = {0}, out;
    int64_t now = (int64_t)time(NULL);
    char *tok;

    memcpy(c.sub, "aaaaaaaa-0000-4000-8000-000000000001", 37);
    memcpy(c.scope, "signature", 10);
    c.iat = now;
    c.exp = now + 100;
    tok = token_mint(&kr, &c);
    assert_non_null(tok);
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now, &out), PD_OK);
    assert_string_equal(out.sub, c.sub);
    /* second time: from the cache, same claims */
    memset(&out, 0, sizeof(out));
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now, &out), PD_OK);
    assert_string_equal(out.sub, c.sub);
    assert_int_equal(out.exp, c.exp);
    /* expiry is re-checked on a hit */
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now + 100, &out), PD_ERR_INVALID_TOKEN);
    assert_string_equal(out.sub, "");
    /* a different (tampered) text is a miss and fails verification */
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now, &out), PD_ERR_INVALID_TOKEN);
    /* another keyring (e.g. after a restart without the key) is a miss */
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    token_keyring other = ring(8);
    free(tok);
    tok = token_mint(&kr, &c);
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now, &out), PD_OK);
    assert_int_equal(token_verify_cached(&other, tok, strlen(tok), now, &out), PD_ERR_INVALID_TOKEN);
    /* a ring at the same address with other keys (a freed ring's successor)
     * is a miss too: the memo keys on the ring's gen, never its address */
    token_keyring_clear(&kr);
    kr = ring(9);
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now, &out), PD_ERR_INVALID_TOKEN);
    free(tok);
    token_keyring_clear(&kr);
    token_keyring_clear(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rc_hit_and_tags),
        cmocka_unit_test(test_rc_image_entry),
        cmocka_unit_test(test_rc_responses_are_per_request),
        cmocka_unit_test(test_rc_response_reuse),
        cmocka_unit_test(test_rc_replace_and_bounds),
        cmocka_unit_test(test_rc_working_set_stays),
        cmocka_unit_test(test_rc_least_recently_used_goes),
        cmocka_unit_test(test_rc_per_thread),
        cmocka_unit_test(test_rc_budget),
        cmocka_unit_test(test_token_cache),
        cmocka_unit_test(test_lookup_cache),
        cmocka_unit_test(test_lookup_cache_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
