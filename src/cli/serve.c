/*
 * serve.c - `profiled serve`: settings from defaults, config file,
 * environment and flags (core/config.c), optional demo data, then the server
 * until SIGTERM or SIGINT, which stop it gracefully.
 *
 * Signals are blocked before any thread starts, so only the main thread
 * receives them (sigwait).
 */
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/import.h"
#include "control/control.h"
#include "core/files.h"
#include "core/log.h"
#include "http/resp_cache.h"
#include "http/server.h"
#include "core/strutil.h"
#include "store/changes.h"
#include "store/store.h"
#include "auth/token.h"

#define GRACE_MS 10000
#define KEY_RELOAD_S 30

static void serve_help(void)
{
    printf("usage: profiled serve [OPTIONS]\n\n"
           "  --config FILE                  read 'key = value' settings from FILE\n"
           "  --check-config                 validate all settings, report every problem, exit\n"
           "  --help                         this text\n\n"
           "settings (flag > environment > config file > default):\n");
    config_print_help(stdout);
}

/* Each connection is a file descriptor: --max-connections per listener,
 * plus the database, logs and libmicrohttpd's own.  Raises the soft limit
 * as far as needed (never above the hard limit) and says so when the hard
 * limit is too low, instead of failing accept() under load. */
static void raise_file_limit(const pd_config *cfg)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg->max_connections * 2 + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rlim_t cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (cur > rl.rlim_cur) {
        rl.rlim_cur = cur;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (cur < want)
        log_msg(LOG_WARN, "server", "open-file limit %llu is below the %llu that --max-connections %lld "
                "needs; raise it (ulimit -n, LimitNOFILE=)", (unsigned long long)cur,
                (unsigned long long)want, (long long)cfg->max_connections);
}

/* Whether the setting `name` is a boolean (--demo, --create: no value needed). */
static bool is_flag(const char *name)
{
    for (const config_item *it = config_items(); it->name != NULL; it++)
        if (strcmp(it->name, name) == 0)
            return it->type == CFG_BOOL;
    return false;
}

/* Applies flags; returns -1 on a usage problem (already in eb). */
static int apply_flags(pd_config *cfg, int argc, char **argv, bool *check_only, pd_errbuf *eb)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        char name[64];

        if (strcmp(a, "--check-config") == 0) {
            *check_only = true;
            continue;
        }
        if (strcmp(a, "--config") == 0) {      /* handled in the first pass */
            i++;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            pd_errbuf_add(eb, "unexpected argument '%s'", a);
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nl >= sizeof(name)) {
            pd_errbuf_add(eb, "unknown option '%s'", a);
            continue;
        }
        memcpy(name, a + 2, nl);
        name[nl] = '\0';
        if (eq)
            val = eq + 1;
        else if (is_flag(name))            /* a boolean given alone means true */
            val = "true";
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            pd_errbuf_add(eb, "option --%s needs a value", name);
            continue;
        }
        config_set(cfg, name, val, "command line", eb);
    }
    return eb->count ? -1 : 0;
}

static int load_config(pd_config *cfg, int argc, char **argv, bool *check_only, pd_errbuf *eb)
{
    config_defaults(cfg);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                pd_errbuf_add(eb, "option --config needs a file");
            else
                config_load_file(cfg, argv[i + 1], eb);
        }
    config_load_env(cfg, eb);
    apply_flags(cfg, argc, argv, check_only, eb);
    config_check(cfg, eb);
    return eb->count ? -1 : 0;
}

static int count_cb(void *ctx, const void *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 1;                                  /* one is enough */
}

typedef struct { char account[LIM_ID_MAX + 1]; char user[LIM_ID_MAX + 1]; } demo_pick;

static int pick_admin(void *ctx, const void *row)
{
    demo_pick *p = ctx;
    const pd_membership *m = row;

    if (!m->is_admin)
        return 0;
    str_copy(p->account, sizeof(p->account), m->account_id);
    str_copy(p->user, sizeof(p->user), m->user_id);
    return 1;
}

/* Loads the demo file into an empty database and prints how to use it. */
static int load_demo(const pd_config *cfg, const char *public_url, const char *http_url,
                     const char *https_url, const char *cert_path, const token_keyring *kr, bool print)
{
    pd_store *s = cli_open_store(cfg->db);
    demo_pick pick = {{0}, {0}};
    import_stats st;
    char err[512];
    int users = 0, rc = -1;

    if (s == NULL)
        return -1;
    s->ops->each_user(s, count_cb, &users);
    if (!print && users == 0) {
        FILE *f = fopen(cfg->demo_file, "r");
        if (f == NULL) {
            log_msg(LOG_ERROR, "demo", "cannot open %s", cfg->demo_file);
            goto out;
        }
        pd_err e = import_stream(s, f, &st, err, sizeof(err), NULL, NULL);
        fclose(f);
        if (e != PD_OK) {
            log_msg(LOG_ERROR, "demo", "%s: %s", cfg->demo_file, err);
            goto out;
        }
        log_msg(LOG_INFO, "demo", "loaded %zu users from %s", st.users, cfg->demo_file);
    }
    if (print) {
        s->ops->each_membership(s, pick_admin, &pick);
        if (pick.user[0]) {
            token_claims c = {0};
            str_copy(c.sub, sizeof(c.sub), pick.user);
            str_copy(c.cid, sizeof(c.cid), "profiled-demo");
            str_copy(c.scope, sizeof(c.scope), "signature impersonation");
            c.iat = (int64_t)time(NULL);
            c.exp = c.iat + 8 * 3600;
            char *tok = token_mint(kr, &c);
            if (tok) {
                printf("\ndemo account %s, admin user %s\n"
                       "access token (8 hours):\n  export TOKEN=%s\n"
                       "try:\n  curl -H \"Authorization: Bearer $TOKEN\" %s/restapi/v2.1/accounts/%s/users/%s/profile\n",
                       pick.account, pick.user, tok, http_url[0] ? http_url : public_url,
                       pick.account, pick.user);
                if (cert_path[0])
                    printf("  curl --cacert %s -H \"Authorization: Bearer $TOKEN\" %s/restapi/v2.1/accounts/%s/users/%s/profile\n",
                           cert_path, https_url, pick.account, pick.user);
                printf("\n");
                free(tok);
            }
        }
    }
    rc = 0;
out:
    pd_store_close(s);
    return rc;
}

/* The tenant reader and writer the control API uses (control/control.h). */
static pd_err control_load(pd_store *s, FILE *in, bool replace, char *summary, size_t cap,
                           char *err, size_t errlen)
{
    import_stats st;
    pd_err e = import_stream_mode(s, in, replace, &st, err, errlen, NULL, NULL);

    if (e == PD_OK)
        snprintf(summary, cap, "%zu organizations, %zu accounts, %zu users, %zu memberships, "
                 "%zu images, %zu integrations", st.organizations, st.accounts, st.users,
                 st.memberships, st.images, st.integrations);
    return e;
}

static const control_tenant_io control_io = { control_load, export_stream };

int cmd_serve(int argc, char **argv)
{
    pd_config cfg;
    pd_errbuf eb;
    bool check_only = false;
    struct pd_server *srv;
    sigset_t set;
    log_level lvl;
    int sig = 0;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            serve_help();
            return 0;
        }
    pd_errbuf_init(&eb);
    if (load_config(&cfg, argc, argv, &check_only, &eb) != 0) {
        fprintf(stderr, "profiled: %u configuration problem%s: %s\n", eb.count,
                eb.count == 1 ? "" : "s", eb.text);
        config_free(&cfg);
        return 2;
    }
    if (check_only) {
        printf("profiled: configuration OK\n");
        config_free(&cfg);
        return 0;
    }
    log_level_parse(cfg.log_level, &lvl);
    log_set_level(lvl);
    if (log_audit_open(cfg.audit_log) != 0) {
        log_msg(LOG_ERROR, "audit", "cannot open the audit log %s: %s", cfg.audit_log, strerror(errno));
        config_free(&cfg);
        return 1;
    }

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    raise_file_limit(&cfg);
    /* before the first connection: every one the server opens uses it */
    pd_store_sqlite_set_sync_full(strcmp(cfg.db_sync, "full") == 0);
    rc_set_budget((size_t)cfg.response_cache_mb * 1024 * 1024);
    /* secrets live in the database and the TLS key: say so when others can read them */
    pd_store_warn_exposed(cfg.db);
    if (cfg.tls_key[0] != '\0')
        file_warn_if_exposed("tls", cfg.tls_key);

    /* the change signal the caches are validated by (a failure is logged:
     * they then validate against the database on every request) */
    pd_changes_start(cfg.db);
    /* request lines are buffered per thread (core/log.h); flushed at the end */
    log_buffering_start();
    srv = server_start(&cfg, &app_router);
    if (srv == NULL) {
        log_buffering_stop();
        pd_changes_stop();
        config_free(&cfg);
        return 1;
    }
    /* after the start, so that a :memory: database is held open by the server */
    if (cfg.demo && load_demo(&cfg, "", "", "", "", NULL, false) != 0) {
        server_stop(srv, 0);
        log_buffering_stop();
        pd_changes_stop();
        config_free(&cfg);
        return 1;
    }
    if (cfg.control_token[0] != '\0' &&
        control_enable(srv, cfg.control_token, (size_t)cfg.control_journal, cfg.demo_file, &control_io) != 0) {
        server_stop(srv, 0);
        log_buffering_stop();
        pd_changes_stop();
        config_free(&cfg);
        return 1;
    }
    if (srv->http_url[0])
        printf("profiled: listening on %s\n", srv->http_url);
    if (srv->https_url[0])
        printf("profiled: listening on %s\n"
               "profiled: TLS certificate %s (Node clients: export NODE_EXTRA_CA_CERTS=%s)\n",
               srv->https_url, srv->tls_cert_path, srv->tls_cert_path);
    if (cfg.demo)
        load_demo(&cfg, srv->public_url, srv->http_url, srv->https_url, srv->tls_cert_path, server_keys(srv), true);
    fflush(stdout);
    log_msg(LOG_INFO, "server", "listening on %s (db %s)", srv->public_url, cfg.db);

    /* SIGHUP, and every KEY_RELOAD_S seconds: re-read the signing keys, so a
     * `profiled keys rotate/retire` reaches every running node */
    for (;;) {
        struct timespec wait = { KEY_RELOAD_S, 0 };
        sig = sigtimedwait(&set, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig == SIGHUP && log_audit_open(cfg.audit_log) != 0)    /* after a log rotation */
            log_msg(LOG_ERROR, "audit", "cannot reopen the audit log %s: %s", cfg.audit_log, strerror(errno));
        server_reload_keys(srv);             /* a failure is logged there, /healthz degraded */
    }
    log_msg(LOG_INFO, "server", "signal %d: stopping (waiting up to %d ms for requests in flight)",
            sig, GRACE_MS);
    server_stop(srv, GRACE_MS);
    log_buffering_stop();
    pd_changes_stop();
    log_audit_close();
    log_msg(LOG_INFO, "server", "stopped");
    config_free(&cfg);
    return 0;
}
