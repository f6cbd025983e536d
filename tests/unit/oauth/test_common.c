/*
 * test_common.c - unit tests for src/oauth/common.c: the security log
 * line cannot be forged through its fields (oauth_log_field, and the line
 * oauth_security_log really writes, captured from stderr), the Argon2id
 * verification slots (process-wide, never waiting), and the JWT audiences
 * when public-url is set.
 *
 * Memory: captured output is read into stack buffers; nothing is kept.
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

#include "core/log.h"
#include "oauth/common.h"

static void test_log_field(void **state)
{
    char out[LIM_OAUTH_LOG_FIELD_MAX + 1], small[8], big[200];

    (void)state;
    oauth_log_field(out, sizeof(out), "evil ip=10.9.9.9 reason=ok");
    assert_string_equal(out, "evil_ip_10.9.9.9_reason_ok");
    oauth_log_field(out, sizeof(out), "6f0c6d3e-1b1a-4c55-9c3e-0a11ce5e0001");
    assert_string_equal(out, "6f0c6d3e-1b1a-4c55-9c3e-0a11ce5e0001");   /* unchanged */
    oauth_log_field(out, sizeof(out), "::1");
    assert_string_equal(out, "::1");
    oauth_log_field(out, sizeof(out), "a@b.c_d");
    assert_string_equal(out, "a@b.c_d");
    oauth_log_field(out, sizeof(out), "x\ny\r\tz\"}\\\x7f\xc3\xa9");
    assert_string_equal(out, "x_y__z______");                             /* é is two bytes */
    oauth_log_field(out, sizeof(out), NULL);
    assert_string_equal(out, "-");
    oauth_log_field(out, sizeof(out), "");
    assert_string_equal(out, "-");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    oauth_log_field(out, sizeof(out), big);
    assert_int_equal(strlen(out), LIM_OAUTH_LOG_FIELD_MAX);                /* capped */
    assert_string_equal(out + LIM_OAUTH_LOG_FIELD_MAX - 3, "...");
    oauth_log_field(small, sizeof(small), "abcdefghijk");
    assert_string_equal(small, "abcd...");                                 /* caller cap wins */
    big[LIM_OAUTH_LOG_FIELD_MAX] = '\0';
    oauth_log_field(out, sizeof(out), big);
    assert_int_equal(strlen(out), LIM_OAUTH_LOG_FIELD_MAX);                /* exactly the cap: no dots */
    assert_int_equal(out[LIM_OAUTH_LOG_FIELD_MAX - 1], 'a');
}

/* Runs oauth_security_log with stderr redirected; the output into buf. */
static void capture(char *buf, size_t cap, const char *event, const char *user, const char *client,
                    const char *ip, const char *reason)
{
    char path[] = "/tmp/pd_oauth_http_XXXXXX";
    int fd = mkstemp(path), saved;
    ssize_t n;

    assert_true(fd >= 0);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    oauth_security_log(event, user, client, ip, reason);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    assert_true(lseek(fd, 0, SEEK_SET) == 0);
    n = read(fd, buf, cap - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    close(fd);
    unlink(path);
}

static void test_security_log_line(void **state)
{
    char line[2048];

    (void)state;
    log_set_level(LOG_DEBUG);
    capture(line, sizeof(line), "token_denied", "x reason=fine user=admin", "evil ip=10.9.9.9 reason=ok",
            "127.0.0.1", "issuer_not_found");
    assert_non_null(strstr(line, "token_denied user=x_reason_fine_user_admin client=evil_ip_10.9.9.9_reason_ok"
                                 " ip=127.0.0.1 reason=issuer_not_found"));
    assert_null(strstr(line, "ip=10.9.9.9"));
    assert_null(strstr(line, " reason=ok"));
    capture(line, sizeof(line), "login_failed", NULL, "", "-", NULL);
    assert_non_null(strstr(line, "login_failed user=- client=- ip=- reason=-"));
    capture(line, sizeof(line), "e", "line\nbreak", "a\"b", "::1", "r");
    assert_non_null(strstr(line, "e user=line_break client=a_b ip=::1 reason=r"));
}

static void test_pwhash_slots(void **state)
{
    pd_config cfg;
    pd_server srv;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    memset(&srv, 0, sizeof(srv));
    srv.cfg = &cfg;
    cfg.threads = 4;
    assert_int_equal(oauth_pwhash_slots(&srv), 2);
    cfg.threads = 1;
    assert_int_equal(oauth_pwhash_slots(&srv), 1);                        /* never 0 */
    cfg.threads = 0;
    assert_true(oauth_pwhash_slots(&srv) >= 1);                           /* one per core / 2 */
    cfg.threads = 5;
    assert_int_equal(oauth_pwhash_slots(&srv), 2);
    assert_true(oauth_pwhash_acquire(&srv));
    assert_true(oauth_pwhash_acquire(&srv));
    assert_false(oauth_pwhash_acquire(&srv));                             /* full: no waiting */
    assert_false(oauth_pwhash_acquire(&srv));
    oauth_pwhash_release();
    assert_true(oauth_pwhash_acquire(&srv));
    assert_false(oauth_pwhash_acquire(&srv));
    oauth_pwhash_release();
    oauth_pwhash_release();
    cfg.threads = 2;                                                      /* one slot */
    assert_true(oauth_pwhash_acquire(&srv));
    assert_false(oauth_pwhash_acquire(&srv));
    oauth_pwhash_release();
}

static void test_hosts_public_url(void **state)
{
    char hosts[OAUTH_HOSTS_MAX][OAUTH_HOST_LEN];
    pd_config cfg;
    pd_server srv;
    char listen[] = "127.0.0.1", pub[] = "https://Auth.Example.test:8443/base", none[] = "",
         list[] = "a.test, b.test:1";
    size_t n;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    memset(&srv, 0, sizeof(srv));
    srv.cfg = &cfg;
    cfg.listen = listen;
    cfg.oauth_hosts = none;
    cfg.public_url = pub;
    srv.daemon = (struct MHD_Daemon *)&srv;        /* only compared with NULL */
    srv.port = 8080;
    n = oauth_hosts(&srv, hosts);
    assert_int_equal(n, 1);                                               /* only the public host */
    assert_string_equal(hosts[0], "Auth.Example.test:8443");
    cfg.public_url = none;
    n = oauth_hosts(&srv, hosts);
    assert_int_equal(n, 2);
    assert_string_equal(hosts[0], "127.0.0.1:8080");
    assert_string_equal(hosts[1], "localhost:8080");
    cfg.public_url = pub;
    cfg.oauth_hosts = list;                                               /* the setting wins */
    n = oauth_hosts(&srv, hosts);
    assert_int_equal(n, 2);
    assert_string_equal(hosts[0], "a.test");
    assert_string_equal(hosts[1], "b.test:1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_field),
        cmocka_unit_test(test_security_log_line),
        cmocka_unit_test(test_pwhash_slots),
        cmocka_unit_test(test_hosts_public_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
