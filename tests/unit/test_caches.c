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

#include "resp_cache.h"
#include "token.h"
#include "token_cache.h"

static void test_rc_hit_and_tags(void **state)
{
    (void)state;
    rc_tags t = {3, 4, 5}, other;
    const unsigned char body[] = "{\"a\":1}";
    size_t len = 0;
    const char *ct = NULL;
    unsigned char *hit;

    assert_null(rc_get("k1", &t, &len, &ct));
    rc_put("k1", &t, body, sizeof(body) - 1, "application/json");
    hit = rc_get("k1", &t, &len, &ct);
    assert_non_null(hit);
    assert_int_equal(len, sizeof(body) - 1);
    assert_memory_equal(hit, body, len);
    assert_string_equal(ct, "application/json");
    hit[0] = 'X';                       /* a copy: the cache is unaffected */
    free(hit);
    hit = rc_get("k1", &t, &len, &ct);
    assert_non_null(hit);
    assert_int_equal(hit[0], '{');
    free(hit);

    other = t; other.v_caller++;
    assert_null(rc_get("k1", &other, &len, &ct));
    other = t; other.v_target++;
    assert_null(rc_get("k1", &other, &len, &ct));
    other = t; other.generation++;
    assert_null(rc_get("k1", &other, &len, &ct));
    assert_null(rc_get("k2", &t, &len, &ct));
    assert_null(rc_get("k", &t, &len, &ct));
}

static void test_rc_replace_and_bounds(void **state)
{
    (void)state;
    rc_tags t1 = {1, 1, 1}, t2 = {2, 2, 2};
    unsigned char *big = calloc(1, RC_ENTRY_MAX + 1);
    size_t len;
    const char *ct;
    unsigned char *hit;
    char longkey[RC_KEY_MAX + 10];

    rc_put("same", &t1, (const unsigned char *)"one", 3, "text/plain");
    rc_put("same", &t2, (const unsigned char *)"two!", 4, "text/plain");
    assert_null(rc_get("same", &t1, &len, &ct));     /* replaced */
    hit = rc_get("same", &t2, &len, &ct);
    assert_non_null(hit);
    assert_int_equal(len, 4);
    free(hit);

    rc_put("big", &t1, big, RC_ENTRY_MAX + 1, "x");  /* over the bound: not kept */
    assert_null(rc_get("big", &t1, &len, &ct));
    free(big);

    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    rc_put(longkey, &t1, (const unsigned char *)"v", 1, "x");
    assert_null(rc_get(longkey, &t1, &len, &ct));
}

static void *thread_body(void *arg)
{
    rc_tags t = {1, 2, 3};
    (void)arg;
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof(key), "thread-%d", i);
        rc_put(key, &t, (const unsigned char *)"payload", 7, "x");
    }
    return NULL;                         /* the table is freed by the key destructor */
}

static void test_rc_per_thread(void **state)
{
    (void)state;
    rc_tags t = {1, 2, 3};
    size_t len;
    const char *ct;
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, thread_body, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_null(rc_get("thread-1", &t, &len, &ct));  /* other thread's table */
}

static token_keyring ring(void)
{
    token_keyring kr;
    memset(&kr, 0, sizeof(kr));
    memcpy(kr.keys[0].kid, "k1", 3);
    memset(kr.keys[0].secret, 7, TOKEN_KEY_BYTES);
    kr.n = 1;
    return kr;
}

static void test_token_cache(void **state)
{
    (void)state;
    token_keyring kr = ring();
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
    token_keyring other = ring();
    memset(other.keys[0].secret, 8, TOKEN_KEY_BYTES);
    free(tok);
    tok = token_mint(&kr, &c);
    assert_int_equal(token_verify_cached(&kr, tok, strlen(tok), now, &out), PD_OK);
    assert_int_equal(token_verify_cached(&other, tok, strlen(tok), now, &out), PD_ERR_INVALID_TOKEN);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rc_hit_and_tags),
        cmocka_unit_test(test_rc_replace_and_bounds),
        cmocka_unit_test(test_rc_per_thread),
        cmocka_unit_test(test_token_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
