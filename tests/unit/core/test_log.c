/*
 * test_log.c - the JSON-lines logger: hostile text (control characters,
 * quotes, very long values at every offset) never overflows the line buffer
 * (ASan), and every call writes exactly one line ending in "}\n".
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

#include "core/log.h"

static char *capture_begin(int *saved)
{
    static char path[] = "/tmp/profiled-test-log-XXXXXX";
    char *p = malloc(sizeof(path));
    memcpy(p, path, sizeof(path));
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    fflush(stderr);
    *saved = dup(2);
    dup2(fd, 2);
    close(fd);
    return p;
}

static char *capture_end(int saved, char *path, size_t *len)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    unlink(path);
    free(path);
    return buf;
}

static void test_hostile_values(void **state)
{
    (void)state;
    char s[2100];
    int saved;
    size_t len, lines = 0;
    char *path = capture_begin(&saved);

    log_set_level(LOG_DEBUG);
    for (int k = 0; k < 8; k++) {
        memset(s, 'a', (size_t)k);
        memset(s + k, 1, 1500);                    /* each byte becomes \u0001 */
        memcpy(s + k + 1500, "\"\\\n", 4);
        log_msg(LOG_ERROR, s, "%s", s);
        log_request(s, s, 200, 1.5, s, s, s);
    }
    char *out = capture_end(saved, path, &len);
    for (size_t i = 0; i < len; i++)
        if (out[i] == '\n') {
            assert_true(i > 0);
            assert_int_equal(out[i - 1], '}');
            lines++;
        }
    assert_int_equal(lines, 16);
    assert_null(strchr(out, '\x01'));               /* escaped, never raw */
    free(out);
}

static void test_request_line_fields(void **state)
{
    (void)state;
    int saved;
    size_t len;
    char *path = capture_begin(&saved);

    log_set_level(LOG_INFO);
    log_request("GET", "/healthz", 200, 0.25, NULL, "127.0.0.1", "0b1c2d3e-0000-4000-8000-000000000001");
    char *out = capture_end(saved, path, &len);
    assert_non_null(strstr(out, "\"method\":\"GET\""));
    assert_non_null(strstr(out, "\"route\":\"/healthz\""));
    assert_non_null(strstr(out, "\"status\":200"));
    assert_non_null(strstr(out, "\"caller\":\"-\""));
    assert_non_null(strstr(out, "\"trace\":\"0b1c2d3e-0000-4000-8000-000000000001\""));
    assert_int_equal(out[len - 1], '\n');
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_request_line_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
