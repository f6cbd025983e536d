/*
 * config.h - server settings as one table (name, environment variable,
 * default, bounds, help), read in this order, later wins:
 *   built-in defaults < config file (--config, "key = value" lines)
 *   < environment (PROFILED_*) < command line.
 * config_check() validates every setting and reports all problems at once.
 *
 * Memory: a pd_config owns its strings (config_free).
 */
#ifndef PROFILED_CONFIG_H
#define PROFILED_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "core/error.h"

typedef struct {
    char *listen;            /* address to bind, default 127.0.0.1 */
    int64_t port;            /* plain HTTP: -1 off, 0 = any free port */
    int64_t https_port;      /* HTTPS: -1 off (default), 0 = any free port */
    char *tls_cert;          /* PEM files; "" = self-signed in data_dir */
    char *tls_key;
    char *data_dir;          /* generated certificate lives here */
    char *trusted_proxies;   /* load balancers whose X-Forwarded-For is believed */
    char *db;                /* sqlite:PATH                         */
    char *log_level;         /* debug|info|warn|error               */
    char *public_url;        /* origin clients reach us at; "" = derived from listen/port */
    int64_t threads;         /* worker threads, 0 = number of cores */
    int64_t max_connections;
    int64_t per_ip_connections;
    int64_t timeout_s;
    bool create;             /* make an empty database when there is none (--demo implies it) */
    bool demo;               /* load data/demo-tenant.json into an empty database */
    char *demo_file;
    char *oauth_hosts;       /* accepted JWT aud values, comma separated; "" = derived (oauth/common.c) */
    int64_t rl_hourly;       /* rate limits (auth/ratelimit.c): calls an hour per account, 0 = off */
    int64_t rl_burst;        /* ... calls per burst window, 0 = off */
    int64_t rl_anon_hourly;  /* ... unauthenticated, per client address */
    int64_t rl_anon_burst;
    int64_t rl_burst_s;      /* burst window, seconds */
    int64_t rl_status;       /* 429 or 400 */
    int64_t rl_sync_ms;      /* how often counts are shared through the database */
    char *metrics_allow;     /* peers (addresses or CIDR) that may GET /metrics; "" = off */
    char *audit_log;         /* file the audit lines are appended to; "" = standard error */
    char *control_token;     /* operator secret of the test-control API (docs/control.md);
                                "" = the API is off.  Never logged or printed. */
    int64_t control_journal; /* requests the control journal keeps */
    char *db_sync;           /* SQLite synchronous: "normal" or "full" */
    int64_t response_cache_mb; /* body bytes of each worker's response cache, MiB; 0 = off */
} pd_config;

typedef struct {
    const char *name;        /* key in the file and --name on the command line */
    const char *env;         /* environment variable */
    enum { CFG_STR, CFG_INT, CFG_BOOL } type;
    const char *def;         /* default, as text */
    int64_t min, max;        /* for CFG_INT */
    const char *help;
    size_t offset;           /* into pd_config */
} config_item;

/* The table (NULL-name terminated), for --help. */
const config_item *config_items(void);

void config_defaults(pd_config *c);
void config_free(pd_config *c);

/* Sets one setting from text; records problems into eb (source names where
 * it came from, e.g. "PROFILED_PORT" or "profiled.conf:3"). 0 if set. */
int config_set(pd_config *c, const char *name, const char *value,
               const char *source, pd_errbuf *eb);
/* Reads a "key = value" file. Problems go to eb. */
void config_load_file(pd_config *c, const char *path, pd_errbuf *eb);
/* The same over an open stream (not closed); path names it in messages. */
void config_load_stream(pd_config *c, FILE *f, const char *path, pd_errbuf *eb);
void config_load_env(pd_config *c, pd_errbuf *eb);
/* Cross-field checks (db URL scheme, listen address parse, ...). */
void config_check(const pd_config *c, pd_errbuf *eb);
/* Prints "  --name VALUE   help (env, default)" lines. */
void config_print_help(FILE *out);

#endif
