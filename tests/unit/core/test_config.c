/*
 * test_config.c - unit tests for src/core/config.c: defaults, the settings table,
 * config_set bounds and parsing (integers, booleans, unknown keys), file
 * loading (comments, blank lines, CRLF, bad lines, over-long lines, missing
 * file), environment overrides and precedence, and config_check reporting
 * every problem at once with its source named.
 *
 * Memory: every pd_config is released with config_free by the test that
 * filled it; temporary files are created with mkstemp and unlinked.
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

#include "core/config.h"
#include "core/error.h"

/* Clears every PROFILED_* variable of the table so the environment of the
 * test run cannot leak in. */
static void clear_env(void)
{
    for (const config_item *it = config_items(); it->name; it++)
        unsetenv(it->env);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

/* Writes text to a new temporary file; returns its path (static buffer). */
static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/test_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Number of "; "-separated pieces in eb->text (0 for empty text). */
static unsigned pieces(const pd_errbuf *eb)
{
    unsigned n = 0;
    const char *p = eb->text;
    if (*p == '\0')
        return 0;
    for (n = 1; (p = strstr(p, "; ")) != NULL; p += 2)
        n++;
    return n;
}

static void test_defaults(void **state)
{
    (void)state;
    pd_config c;
    pd_errbuf eb;

    memset(&c, 0x5a, sizeof(c));
    config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1");
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.https_port, -1);
    assert_string_equal(c.tls_cert, "");
    assert_string_equal(c.tls_key, "");
    assert_string_equal(c.data_dir, "profiled-data");
    assert_string_equal(c.db, "sqlite:profiled.db");
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.public_url, "");
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.max_connections, 1024);
    assert_int_equal(c.per_ip_connections, 256);
    assert_int_equal(c.timeout_s, 30);
    assert_false(c.demo);
    assert_string_equal(c.demo_file, "data/demo-tenant.json");
    assert_string_equal(c.db_sync, "normal");

    /* the defaults pass the cross-field checks */
    pd_errbuf_init(&eb);
    config_check(&c, &eb);
    assert_int_equal(eb.count, 0);
    assert_string_equal(eb.text, "");
    config_free(&c);
    assert_null(c.listen);
    assert_null(c.db);
    config_free(&c);                          /* twice is harmless */
}

/* The table: names unique, env PROFILED_*, help present, integer defaults
 * within bounds, and every default accepted by config_set. */
static void test_items_table(void **state)
{
    (void)state;
    size_t n = 0;
    pd_config c;
    pd_errbuf eb;

    config_defaults(&c);
    pd_errbuf_init(&eb);
    for (const config_item *it = config_items(); it->name; it++, n++) {
        assert_non_null(it->env);
        assert_true(strncmp(it->env, "PROFILED_", 9) == 0);
        assert_non_null(it->help);
        assert_non_null(it->def);
        assert_true(it->offset < sizeof(pd_config));
        for (const config_item *jt = it + 1; jt->name; jt++) {
            assert_string_not_equal(it->name, jt->name);
            assert_string_not_equal(it->env, jt->env);
        }
        if (it->type == CFG_INT) {
            assert_true(it->min <= it->max);
            char *end;
            long long d = strtoll(it->def, &end, 10);
            assert_true(*end == '\0' && d >= it->min && d <= it->max);
        }
        assert_int_equal(config_set(&c, it->name, it->def, "test", &eb), 0);
    }
    assert_true(n >= 15);
    static const char *must[] = { "listen", "port", "https-port", "tls-cert", "tls-key", "data-dir", "db",
                                  "log-level", "public-url", "threads", "max-connections",
                                  "per-ip-connections", "timeout", "demo", "demo-file" };
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
        const config_item *it = config_items();
        while (it->name && strcmp(it->name, must[i]) != 0)
            it++;
        assert_non_null(it->name);
    }
    assert_int_equal(eb.count, 0);
    config_free(&c);
}

typedef struct {
    const char *key, *value;
    int ok;
    int64_t want;        /* for ok rows */
} int_row;

static void test_set_int_bounds(void **state)
{
    (void)state;
    static const int_row rows[] = {
        { "port", "0",       1, 0 },
        { "port", "1",       1, 1 },
        { "port", "80",      1, 80 },
        { "port", "65535",   1, 65535 },
        { "port", "-0",      1, 0 },
        { "port", "-1",      1, -1 },                     /* plain HTTP off */
        { "port", "-2",      0, 0 },
        { "port", "65536",   0, 0 },
        { "port", "80x",     0, 0 },
        { "port", "x80",     0, 0 },
        { "port", "",        0, 0 },
        { "port", " 80",     0, 0 },
        { "port", "80 ",     0, 0 },
        { "port", "+80",     0, 0 },
        { "port", "0x50",    0, 0 },
        { "port", "8.0",     0, 0 },
        { "port", "99999999999999999999", 0, 0 },
        { "port", "-9223372036854775808", 0, 0 },
        { "https-port", "-1",    1, -1 },
        { "https-port", "0",     1, 0 },
        { "https-port", "8443",  1, 8443 },
        { "https-port", "65535", 1, 65535 },
        { "https-port", "-2",    0, 0 },
        { "https-port", "65536", 0, 0 },
        { "https-port", "443s",  0, 0 },
        { "https-port", "",      0, 0 },
        { "threads", "0",    1, 0 },
        { "threads", "256",  1, 256 },
        { "threads", "257",  0, 0 },
        { "max-connections", "0",     0, 0 },
        { "max-connections", "1",     1, 1 },
        { "max-connections", "65536", 1, 65536 },
        { "max-connections", "65537", 0, 0 },
        { "per-ip-connections", "0",  0, 0 },
        { "timeout", "0",    0, 0 },
        { "timeout", "1",    1, 1 },
        { "timeout", "3600", 1, 3600 },
        { "timeout", "3601", 0, 0 },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        pd_config c;
        pd_errbuf eb;
        config_defaults(&c);
        pd_errbuf_init(&eb);
        c.port = c.https_port = c.threads = c.max_connections = c.timeout_s = c.per_ip_connections = 4242;

        int rc = config_set(&c, rows[i].key, rows[i].value, "SRC", &eb);
        int64_t got = strcmp(rows[i].key, "port") == 0 ? c.port
                    : strcmp(rows[i].key, "https-port") == 0 ? c.https_port
                    : strcmp(rows[i].key, "threads") == 0 ? c.threads
                    : strcmp(rows[i].key, "max-connections") == 0 ? c.max_connections
                    : strcmp(rows[i].key, "timeout") == 0 ? c.timeout_s
                    : c.per_ip_connections;
        if (rows[i].ok) {
            if (rc != 0 || got != rows[i].want || eb.count != 0) {
                print_error("%s='%s': rc=%d value=%lld count=%u\n", rows[i].key, rows[i].value,
                            rc, (long long)got, eb.count);
                failures++;
            }
        } else {
            /* refused, value untouched, one problem naming source, key and value */
            char quoted[64];
            snprintf(quoted, sizeof(quoted), "'%s'", rows[i].value);
            if (rc == 0 || got != 4242 || eb.count != 1 || strncmp(eb.text, "SRC: ", 5) != 0 ||
                strstr(eb.text, rows[i].key) == NULL || strstr(eb.text, quoted) == NULL) {
                print_error("%s='%s': rc=%d value=%lld count=%u text='%s'\n", rows[i].key,
                            rows[i].value, rc, (long long)got, eb.count, eb.text);
                failures++;
            }
        }
        config_free(&c);
    }
    assert_int_equal(failures, 0);
}

static void test_set_port_message(void **state)
{
    (void)state;
    pd_config c;
    pd_errbuf eb;

    config_defaults(&c);
    pd_errbuf_init(&eb);
    assert_int_not_equal(config_set(&c, "port", "65536", "PROFILED_PORT", &eb), 0);
    assert_string_equal(eb.text, "PROFILED_PORT: port must be an integer from -1 to 65535, got '65536'");
    assert_int_equal(c.port, 8080);
    config_free(&c);
}

static void test_set_bool(void **state)
{
    (void)state;
    static const struct { const char *v; int want; } rows[] = {   /* want: 1 true, 0 false, -1 refused */
        { "true", 1 }, { "1", 1 }, { "yes", 1 },
        { "false", 0 }, { "0", 0 }, { "no", 0 },
        { "", -1 }, { "maybe", -1 }, { "2", -1 }, { "-1", -1 }, { "truex", -1 }, { "tru", -1 },
        { " true", -1 }, { "true ", -1 }, { "y", -1 }, { "n", -1 }, { "on", -1 }, { "off", -1 },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int start = 0; start < 2; start++) {
            pd_config c;
            pd_errbuf eb;
            config_defaults(&c);
            pd_errbuf_init(&eb);
            c.demo = start;
            int rc = config_set(&c, "demo", rows[i].v, "f.conf:2", &eb);
            int ok = rows[i].want < 0 ? (rc != 0 && c.demo == start && eb.count == 1 &&
                                         strncmp(eb.text, "f.conf:2: demo", 14) == 0)
                                      : (rc == 0 && c.demo == rows[i].want && eb.count == 0);
            if (!ok) {
                print_error("demo='%s' (from %d): rc=%d demo=%d text='%s'\n", rows[i].v, start, rc,
                            c.demo, eb.text);
                failures++;
            }
            config_free(&c);
        }
    }
    assert_int_equal(failures, 0);
}

static void test_set_unknown_and_strings(void **state)
{
    (void)state;
    pd_config c;
    pd_errbuf eb;

    config_defaults(&c);
    pd_errbuf_init(&eb);
    assert_int_not_equal(config_set(&c, "nope", "1", "cmdline", &eb), 0);
    assert_int_not_equal(config_set(&c, "Port", "1", "cmdline", &eb), 0);     /* names are exact */
    assert_int_not_equal(config_set(&c, "", "1", "cmdline", &eb), 0);
    assert_int_not_equal(config_set(&c, "port ", "1", "cmdline", &eb), 0);
    assert_int_equal(eb.count, 4);
    assert_non_null(strstr(eb.text, "cmdline: unknown setting 'nope'"));
    assert_non_null(strstr(eb.text, "cmdline: unknown setting 'Port'"));
    assert_int_equal(pieces(&eb), 4);
    assert_int_equal(c.port, 8080);

    /* strings are copied (the caller's buffer may go away) and replaced */
    char buf[32];
    snprintf(buf, sizeof(buf), "%s", "::1");
    pd_errbuf_init(&eb);
    assert_int_equal(config_set(&c, "listen", buf, "x", &eb), 0);
    memset(buf, 'Z', sizeof(buf) - 1);
    assert_string_equal(c.listen, "::1");
    assert_int_equal(config_set(&c, "listen", "0.0.0.0", "x", &eb), 0);
    assert_string_equal(c.listen, "0.0.0.0");
    assert_int_equal(config_set(&c, "public-url", "", "x", &eb), 0);
    assert_string_equal(c.public_url, "");
    assert_int_equal(eb.count, 0);
    config_free(&c);
}

static void test_load_file(void **state)
{
    (void)state;
    const char *text =
        "# profiled test configuration\n"          /* 1 */
        "\n"                                        /* 2 */
        "   port = 9090   \n"                       /* 3 */
        "listen=::1\n"                              /* 4 */
        "\t# indented comment = with equals\n"      /* 5 */
        "log-level = debug\r\n"                     /* 6 */
        "this line has no equals sign\n"            /* 7 */
        "bogus = 1\n"                               /* 8 */
        "threads = 999\n"                           /* 9 */
        "demo = yes\n"                              /* 10 */
        "   \t  \n"                                 /* 11 */
        "db = sqlite:/tmp/x=y.db\n"                 /* 12: value may contain '=' */
        "timeout=45\r\n"                            /* 13 */
        "public-url =\n"                            /* 14: empty value */
        " = 5\n"                                    /* 15: empty key */
        "max-connections = 2048";                   /* 16: no final newline */
    const char *path = write_tmp(text);
    pd_config c;
    pd_errbuf eb;
    char want[512];

    config_defaults(&c);
    pd_errbuf_init(&eb);
    config_load_file(&c, path, &eb);

    assert_int_equal(c.port, 9090);
    assert_string_equal(c.listen, "::1");
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(c.threads, 0);                       /* bad value left the default */
    assert_true(c.demo);
    assert_string_equal(c.db, "sqlite:/tmp/x=y.db");
    assert_int_equal(c.timeout_s, 45);
    assert_string_equal(c.public_url, "");
    assert_int_equal(c.max_connections, 2048);

    assert_int_equal(eb.count, 4);
    assert_int_equal(pieces(&eb), 4);
    snprintf(want, sizeof(want), "%s:7: expected 'key = value'", path);
    assert_non_null(strstr(eb.text, want));
    snprintf(want, sizeof(want), "%s:8: unknown setting 'bogus'", path);
    assert_non_null(strstr(eb.text, want));
    snprintf(want, sizeof(want), "%s:9: threads must be an integer from 0 to 256, got '999'", path);
    assert_non_null(strstr(eb.text, want));
    snprintf(want, sizeof(want), "%s:15: unknown setting ''", path);
    assert_non_null(strstr(eb.text, want));
    /* nothing about the good lines */
    snprintf(want, sizeof(want), "%s:3:", path);
    assert_null(strstr(eb.text, want));
    snprintf(want, sizeof(want), "%s:5:", path);
    assert_null(strstr(eb.text, want));

    config_free(&c);
    unlink(path);
}

/* A line longer than the reader's buffer is one problem with its line
 * number; the rest of it is skipped (not read as another line) and the
 * following lines keep their numbers. */
static void test_load_file_long_line(void **state)
{
    (void)state;
    size_t big = 3000;
    char *text = malloc(big + 128);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, big + 128, "port = 1234\nlisten = ");
    memset(text + o, '1', big);
    o += big;
    snprintf(text + o, big + 128 - o, "\nport=4321\nthreads = x\n");
    const char *path = write_tmp(text);
    pd_config c;
    pd_errbuf eb;
    char want[256];

    config_defaults(&c);
    pd_errbuf_init(&eb);
    config_load_file(&c, path, &eb);
    assert_int_equal(c.port, 4321);
    assert_string_equal(c.listen, "127.0.0.1");
    assert_int_equal(eb.count, 2);
    snprintf(want, sizeof(want), "%s:2: line longer than", path);
    assert_non_null(strstr(eb.text, want));
    snprintf(want, sizeof(want), "%s:4: threads", path);
    assert_non_null(strstr(eb.text, want));
    config_free(&c);
    unlink(path);
    free(text);
}

static void test_load_file_missing(void **state)
{
    (void)state;
    pd_config c;
    pd_errbuf eb;

    config_defaults(&c);
    pd_errbuf_init(&eb);
    config_load_file(&c, "/nonexistent/dir/profiled.conf", &eb);
    assert_int_equal(eb.count, 1);
    assert_non_null(strstr(eb.text, "/nonexistent/dir/profiled.conf"));
    assert_non_null(strstr(eb.text, "cannot open"));
    assert_int_equal(c.port, 8080);
    config_free(&c);
}

static void test_env(void **state)
{
    (void)state;
    pd_config c;
    pd_errbuf eb;

    /* nothing set: nothing changes */
    config_defaults(&c);
    pd_errbuf_init(&eb);
    config_load_env(&c, &eb);
    assert_int_equal(eb.count, 0);
    assert_int_equal(c.port, 8080);

    /* file, then environment: the environment wins */
    const char *path = write_tmp("port = 1111\nthreads = 3\nlisten = 10.0.0.1\n");
    setenv("PROFILED_PORT", "9191", 1);
    setenv("PROFILED_DEMO", "1", 1);
    setenv("PROFILED_LISTEN", "::", 1);
    setenv("PROFILED_LOG_LEVEL", "warn", 1);
    config_load_file(&c, path, &eb);
    config_load_env(&c, &eb);
    assert_int_equal(eb.count, 0);
    assert_int_equal(c.port, 9191);
    assert_int_equal(c.threads, 3);                       /* only in the file */
    assert_string_equal(c.listen, "::");
    assert_string_equal(c.log_level, "warn");
    assert_true(c.demo);
    unlink(path);

    /* bad values are reported under the variable's name and leave the value */
    setenv("PROFILED_PORT", "abc", 1);
    setenv("PROFILED_DEMO", "perhaps", 1);
    setenv("PROFILED_TIMEOUT", "0", 1);
    pd_errbuf_init(&eb);
    config_load_env(&c, &eb);
    assert_int_equal(eb.count, 3);
    assert_int_equal(pieces(&eb), 3);
    assert_non_null(strstr(eb.text, "PROFILED_PORT: port must be an integer from -1 to 65535, got 'abc'"));
    assert_non_null(strstr(eb.text, "PROFILED_DEMO: demo must be true or false, got 'perhaps'"));
    assert_non_null(strstr(eb.text, "PROFILED_TIMEOUT: timeout"));
    assert_int_equal(c.port, 9191);
    assert_true(c.demo);
    assert_int_equal(c.timeout_s, 30);

    /* an empty variable is a value, not "unset" */
    clear_env();
    setenv("PROFILED_PUBLIC_URL", "", 1);
    setenv("PROFILED_THREADS", "", 1);
    pd_errbuf_init(&eb);
    config_load_env(&c, &eb);
    assert_string_equal(c.public_url, "");
    assert_int_equal(eb.count, 1);
    assert_non_null(strstr(eb.text, "PROFILED_THREADS: threads"));
    config_free(&c);
    clear_env();
}

/* Known setting names, for "every problem names its source". */
static int names_a_setting(const char *piece)
{
    for (const config_item *it = config_items(); it->name; it++) {
        size_t n = strlen(it->name);
        if (strncmp(piece, it->name, n) == 0 && (piece[n] == ':' || piece[n] == ' '))
            return 1;
    }
    return 0;
}

static void test_check_reports_all(void **state)
{
    (void)state;
    pd_config c;
    pd_errbuf eb;
    pd_errbuf_init(&eb);

    config_defaults(&c);
    config_set(&c, "listen", "not-an-ip", "t", &eb);
    config_set(&c, "log-level", "loud", "t", &eb);
    config_set(&c, "db", "mysql://x", "t", &eb);
    config_set(&c, "public-url", "ftp://x", "t", &eb);
    config_set(&c, "per-ip-connections", "2000", "t", &eb);   /* > max-connections 1024 */
    config_set(&c, "port", "-1", "t", &eb);                   /* and https-port -1: nothing to serve */
    config_set(&c, "tls-key", "key.pem", "t", &eb);           /* without tls-cert */
    assert_int_equal(eb.count, 0);

    config_check(&c, &eb);
    assert_int_equal(eb.count, 7);
    assert_int_equal(pieces(&eb), 7);
    assert_non_null(strstr(eb.text, "listen: 'not-an-ip'"));
    assert_non_null(strstr(eb.text, "log-level: 'loud'"));
    assert_non_null(strstr(eb.text, "db: a URL starting 'mysql' is not supported"));
    assert_non_null(strstr(eb.text, "public-url: 'ftp://x'"));
    assert_non_null(strstr(eb.text, "per-ip-connections (2000) exceeds max-connections (1024)"));
    assert_non_null(strstr(eb.text, "port and https-port are both -1"));
    assert_non_null(strstr(eb.text, "tls-cert and tls-key go together"));

    /* every piece begins with the name of the setting at fault */
    char *copy = strdup(eb.text), *save = NULL;
    assert_non_null(copy);
    int n = 0;
    for (char *p = copy; p != NULL; p = save) {
        save = strstr(p, "; ");
        if (save) {
            *save = '\0';
            save += 2;
        }
        if (!names_a_setting(p))
            print_error("problem without a source: '%s'\n", p);
        assert_true(names_a_setting(p));
        n++;
    }
    assert_int_equal(n, 7);
    free(copy);
    config_free(&c);
}

static void test_check_values(void **state)
{
    (void)state;
    static const struct { const char *key, *value; int problems; } rows[] = {
        { "listen", "127.0.0.1", 0 }, { "listen", "0.0.0.0", 0 }, { "listen", "::", 0 },
        { "listen", "::1", 0 }, { "listen", "fe80::1", 0 },
        { "listen", "256.1.1.1", 1 }, { "listen", "localhost", 1 }, { "listen", "", 1 },
        { "listen", "127.0.0.1:80", 1 }, { "listen", " 127.0.0.1", 1 }, { "listen", "[::1]", 1 },
        { "log-level", "debug", 0 }, { "log-level", "info", 0 }, { "log-level", "warn", 0 },
        { "log-level", "error", 0 }, { "log-level", "INFO", 1 }, { "log-level", "", 1 },
        { "log-level", "trace", 1 },
        { "db", "sqlite:x.db", 0 }, { "db", "sqlite::memory:", 0 }, { "db", "sqlite:", 1 },
        { "db", "", 1 }, { "db", "x.db", 1 }, { "db", "SQLITE:x", 1 },
        { "db", "postgres://h/db", 0 }, { "db", "postgresql://u:p@h:5432/db", 0 },
        { "db", "postgresql:h", 1 }, { "db", "pg://h/db", 1 },
        { "public-url", "", 0 }, { "public-url", "http://h:1", 0 }, { "public-url", "https://h", 0 },
        { "public-url", "h:1", 1 }, { "public-url", "ftp://h", 1 }, { "public-url", "//h", 1 },
        { "per-ip-connections", "1024", 0 }, { "per-ip-connections", "1025", 1 },
        { "port", "-1", 1 }, { "port", "0", 0 },                  /* https-port is -1 by default */
        { "https-port", "-1", 0 }, { "https-port", "0", 0 },
        { "tls-cert", "c.pem", 1 }, { "tls-key", "k.pem", 1 }, { "tls-cert", "", 0 },
        /* rate limits: 429 or 400 only; anonymous limits never looser than the others */
        { "rate-limit-status", "400", 0 }, { "rate-limit-status", "429", 0 },
        { "rate-limit-status", "404", 1 },
        { "rate-limit-anonymous-hourly", "3000", 0 }, { "rate-limit-anonymous-hourly", "3001", 1 },
        { "rate-limit-anonymous-hourly", "0", 1 }, { "rate-limit-hourly", "0", 0 },
        { "rate-limit-hourly", "599", 1 },
        { "rate-limit-anonymous-burst", "500", 0 }, { "rate-limit-anonymous-burst", "501", 1 },
        { "rate-limit-anonymous-burst", "0", 1 }, { "rate-limit-burst", "0", 0 },
        { "rate-limit-burst", "99", 1 },
        /* SQLite durability: exactly normal or full */
        { "db-sync", "normal", 0 }, { "db-sync", "full", 0 }, { "db-sync", "FULL", 1 },
        { "db-sync", "", 1 }, { "db-sync", "off", 1 }, { "db-sync", "full ", 1 },
    };
    int failures = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        pd_config c;
        pd_errbuf eb;
        config_defaults(&c);
        pd_errbuf_init(&eb);
        assert_int_equal(config_set(&c, rows[i].key, rows[i].value, "t", &eb), 0);
        config_check(&c, &eb);
        if (eb.count != (unsigned)rows[i].problems ||
            (rows[i].problems && (strstr(eb.text, rows[i].key) == NULL || !names_a_setting(eb.text)))) {
            print_error("%s='%s': %u problems, want %d: '%s'\n", rows[i].key, rows[i].value,
                        eb.count, rows[i].problems, eb.text);
            failures++;
        }
        config_free(&c);
    }
    assert_int_equal(failures, 0);
}

static void test_print_help(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    config_print_help(f);
    fclose(f);
    for (const config_item *it = config_items(); it->name; it++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s", it->name);
        assert_non_null(strstr(buf, opt));
        assert_non_null(strstr(buf, it->env));
    }
    assert_non_null(strstr(buf, "-1..65535"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_items_table),
        cmocka_unit_test(test_set_int_bounds),
        cmocka_unit_test(test_set_port_message),
        cmocka_unit_test(test_set_bool),
        cmocka_unit_test(test_set_unknown_and_strings),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_long_line),
        cmocka_unit_test(test_load_file_missing),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_check_reports_all),
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_print_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
