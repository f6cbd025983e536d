/*
 * config.c - the settings table and its loaders (see config.h).  Strings in
 * pd_config are heap copies owned by the struct.
 */
#include "core/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/strutil.h"

#define OFF(f) offsetof(pd_config, f)

static const config_item items[] = {
    { "listen", "PROFILED_LISTEN", CFG_STR, "127.0.0.1", 0, 0,
      "IPv4 or IPv6 address to listen on", OFF(listen) },
    { "port", "PROFILED_PORT", CFG_INT, "8080", -1, 65535,
      "plain HTTP port (0 picks a free port, -1 turns plain HTTP off)", OFF(port) },
    { "https-port", "PROFILED_HTTPS_PORT", CFG_INT, "-1", -1, 65535,
      "HTTPS port (0 picks a free port, -1 = no HTTPS)", OFF(https_port) },
    { "tls-cert", "PROFILED_TLS_CERT", CFG_STR, "", 0, 0,
      "PEM certificate (chain) for HTTPS; empty = self-signed, generated in data-dir", OFF(tls_cert) },
    { "tls-key", "PROFILED_TLS_KEY", CFG_STR, "", 0, 0,
      "PEM private key for --tls-cert", OFF(tls_key) },
    { "trusted-proxies", "PROFILED_TRUSTED_PROXIES", CFG_STR, "", 0, 0,
      "load balancers (addresses or CIDR, comma-separated) whose X-Forwarded-For gives the client address",
      OFF(trusted_proxies) },
    { "data-dir", "PROFILED_DATA_DIR", CFG_STR, "profiled-data", 0, 0,
      "directory for generated files (self-signed certificate)", OFF(data_dir) },
    { "db", "PROFILED_DB", CFG_STR, "sqlite:profiled.db", 0, 0,
      "database URL: sqlite:PATH, sqlite::memory: or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB",
      OFF(db) },
    { "log-level", "PROFILED_LOG_LEVEL", CFG_STR, "info", 0, 0,
      "debug, info, warn or error", OFF(log_level) },
    { "public-url", "PROFILED_PUBLIC_URL", CFG_STR, "", 0, 0,
      "origin clients use to reach this server (default http://LISTEN:PORT)", OFF(public_url) },
    { "threads", "PROFILED_THREADS", CFG_INT, "0", 0, 256,
      "worker threads (0 = one per core)", OFF(threads) },
    { "max-connections", "PROFILED_MAX_CONNECTIONS", CFG_INT, "1024", 1, 65536,
      "concurrent connections", OFF(max_connections) },
    { "per-ip-connections", "PROFILED_PER_IP_CONNECTIONS", CFG_INT, "256", 1, 65536,
      "concurrent connections from one address", OFF(per_ip_connections) },
    { "timeout", "PROFILED_TIMEOUT", CFG_INT, "30", 1, 3600,
      "idle connection timeout, seconds", OFF(timeout_s) },
    { "create", "PROFILED_CREATE", CFG_BOOL, "false", 0, 0,
      "create an empty database when there is none (else a missing one is an error)", OFF(create) },
    { "demo", "PROFILED_DEMO", CFG_BOOL, "false", 0, 0,
      "load the demo tenant when the database is empty", OFF(demo) },
    { "demo-file", "PROFILED_DEMO_FILE", CFG_STR, "data/demo-tenant.json", 0, 0,
      "import file used by --demo", OFF(demo_file) },
    { "oauth-hosts", "PROFILED_OAUTH_HOSTS", CFG_STR, "", 0, 0,
      "OAuth host names accepted as JWT aud, comma separated host[:port] "
      "(default: 127.0.0.1:PORT, localhost:PORT and the public-url host)", OFF(oauth_hosts) },
    { "rate-limit-hourly", "PROFILED_RATE_LIMIT_HOURLY", CFG_INT, "3000", 0, 1000000000,
      "API calls an hour per account (eSignature, Admin, SOAP), reset on the hour; 0 = off",
      OFF(rl_hourly) },
    { "rate-limit-burst", "PROFILED_RATE_LIMIT_BURST", CFG_INT, "500", 0, 1000000000,
      "API calls per account in one burst window; 0 = off", OFF(rl_burst) },
    { "rate-limit-anonymous-hourly", "PROFILED_RATE_LIMIT_ANONYMOUS_HOURLY", CFG_INT, "600", 0, 1000000000,
      "unauthenticated API calls an hour per client address (IPv6: per /64); 0 = off",
      OFF(rl_anon_hourly) },
    { "rate-limit-anonymous-burst", "PROFILED_RATE_LIMIT_ANONYMOUS_BURST", CFG_INT, "100", 0, 1000000000,
      "unauthenticated API calls per client address in one burst window; 0 = off", OFF(rl_anon_burst) },
    { "rate-limit-burst-seconds", "PROFILED_RATE_LIMIT_BURST_SECONDS", CFG_INT, "30", 1, 3600,
      "length of the burst window, seconds (DocuSign: 30)", OFF(rl_burst_s) },
    { "rate-limit-status", "PROFILED_RATE_LIMIT_STATUS", CFG_INT, "429", 400, 429,
      "HTTP status of a call over a limit: 429, or 400 for clients that expect it", OFF(rl_status) },
    { "rate-limit-sync-ms", "PROFILED_RATE_LIMIT_SYNC_MS", CFG_INT, "1000", 50, 60000,
      "how often a node adds its counts to the database and reads the other nodes' (milliseconds)",
      OFF(rl_sync_ms) },
    { "metrics-allow", "PROFILED_METRICS_ALLOW", CFG_STR, "127.0.0.0/8, ::1", 0, 0,
      "peers (addresses or CIDR, comma-separated; the socket's, never X-Forwarded-For) that may "
      "GET /metrics; empty = /metrics is off (404)", OFF(metrics_allow) },
    { "audit-log", "PROFILED_AUDIT_LOG", CFG_STR, "", 0, 0,
      "file the audit log (profile and image changes, sign-ins, denied requests) is appended to, "
      "created 0600; empty = standard error with the other logs", OFF(audit_log) },
    { "control-token", "PROFILED_CONTROL_TOKEN", CFG_STR, "", 0, 0,
      "operator secret that turns on the test-control API under /_profiled/ "
      "(at least " LIM_CONTROL_TOKEN_MIN_STR " characters; empty = off)", OFF(control_token) },
    { "control-journal", "PROFILED_CONTROL_JOURNAL", CFG_INT, "500", 1, LIM_CONTROL_JOURNAL_MAX,
      "requests the control journal keeps (the oldest go first)", OFF(control_journal) },
    { "db-sync", "PROFILED_DB_SYNC", CFG_STR, "normal", 0, 0,
      "SQLite durability: normal (an acknowledged write survives a crash of profiled; the last ones "
      "may be lost on power loss) or full (the WAL is synced to disk at every commit: slower writes)",
      OFF(db_sync) },
    { "response-cache-mb", "PROFILED_RESPONSE_CACHE_MB", CFG_INT, "24", 0, 1024,
      "MiB of ready GET answers (rendered profiles, images) each worker thread keeps; "
      "0 = off: every GET reads the database and renders",
      OFF(response_cache_mb) },
    { NULL, NULL, CFG_STR, NULL, 0, 0, NULL, 0 },
};

const config_item *config_items(void) { return items; }

static char **str_slot(pd_config *c, const config_item *it) { return (char **)((char *)c + it->offset); }
static int64_t *int_slot(pd_config *c, const config_item *it) { return (int64_t *)((char *)c + it->offset); }
static bool *bool_slot(pd_config *c, const config_item *it) { return (bool *)((char *)c + it->offset); }

static const config_item *find(const char *name)
{
    for (const config_item *it = items; it->name; it++)
        if (strcmp(it->name, name) == 0)
            return it;
    return NULL;
}

int config_set(pd_config *c, const char *name, const char *value,
               const char *source, pd_errbuf *eb)
{
    const config_item *it = find(name);
    int64_t v;

    if (it == NULL) {
        pd_errbuf_add(eb, "%s: unknown setting '%s'", source, name);
        return -1;
    }
    switch (it->type) {
    case CFG_STR: {
        char *copy = str_dup(value);
        if (copy == NULL)
            return -1;
        free(*str_slot(c, it));
        *str_slot(c, it) = copy;
        return 0;
    }
    case CFG_INT:
        if (str_to_i64(value, it->min, it->max, &v) != 0) {
            pd_errbuf_add(eb, "%s: %s must be an integer from %lld to %lld, got '%s'", source,
                          it->name, (long long)it->min, (long long)it->max, value);
            return -1;
        }
        *int_slot(c, it) = v;
        return 0;
    case CFG_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0)
            *bool_slot(c, it) = true;
        else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 || strcmp(value, "no") == 0)
            *bool_slot(c, it) = false;
        else {
            pd_errbuf_add(eb, "%s: %s must be true or false, got '%s'", source, it->name, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

void config_defaults(pd_config *c)
{
    pd_errbuf eb;

    memset(c, 0, sizeof(*c));
    pd_errbuf_init(&eb);
    for (const config_item *it = items; it->name; it++)
        config_set(c, it->name, it->def, "default", &eb);
}

void config_free(pd_config *c)
{
    for (const config_item *it = items; it->name; it++)
        if (it->type == CFG_STR) {
            free(*str_slot(c, it));
            *str_slot(c, it) = NULL;
        }
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

void config_load_file(pd_config *c, const char *path, pd_errbuf *eb)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        pd_errbuf_add(eb, "%s: cannot open", path);
        return;
    }
    config_load_stream(c, f, path, eb);
    fclose(f);
}

void config_load_stream(pd_config *c, FILE *f, const char *path, pd_errbuf *eb)
{
    char line[1024], src[300];
    unsigned lineno = 0;

    while (fgets(line, sizeof(line), f)) {
        char *eq, *key, *val;
        lineno++;
        snprintf(src, sizeof(src), "%s:%u", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            pd_errbuf_add(eb, "%s: line longer than %zu bytes", src, sizeof(line) - 2);
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            continue;
        }
        key = trim(line);
        if (*key == '\0' || *key == '#')
            continue;
        eq = strchr(key, '=');
        if (eq == NULL) {
            pd_errbuf_add(eb, "%s: expected 'key = value'", src);
            continue;
        }
        *eq = '\0';
        val = trim(eq + 1);
        key = trim(key);
        config_set(c, key, val, src, eb);
    }
}

void config_load_env(pd_config *c, pd_errbuf *eb)
{
    for (const config_item *it = items; it->name; it++) {
        const char *v = getenv(it->env);
        if (v != NULL)
            config_set(c, it->name, v, it->env, eb);
    }
}

void config_check(const pd_config *c, pd_errbuf *eb)
{
    unsigned char addr[16];
    log_level l;

    if (inet_pton(AF_INET, c->listen, addr) != 1 && inet_pton(AF_INET6, c->listen, addr) != 1)
        pd_errbuf_add(eb, "listen: '%s' is not an IPv4 or IPv6 address", c->listen);
    if (log_level_parse(c->log_level, &l) != 0)
        pd_errbuf_add(eb, "log-level: '%s' is not one of debug, info, warn, error", c->log_level);
    /* never echo the control token: only how it is wrong */
    if (c->control_token[0] != '\0' && strlen(c->control_token) < LIM_CONTROL_TOKEN_MIN)
        pd_errbuf_add(eb, "control-token: shorter than %d characters", LIM_CONTROL_TOKEN_MIN);
    if (strlen(c->control_token) > LIM_CONTROL_TOKEN_MAX)
        pd_errbuf_add(eb, "control-token: longer than %d characters", LIM_CONTROL_TOKEN_MAX);
    /* a PostgreSQL URL may hold a password: only its scheme is echoed */
    if ((strncmp(c->db, "sqlite:", 7) != 0 || c->db[7] == '\0')
        && strncmp(c->db, "postgresql://", 13) != 0 && strncmp(c->db, "postgres://", 11) != 0)
        pd_errbuf_add(eb, "db: a URL starting '%.*s' is not supported (expected sqlite:PATH,"
                      " sqlite::memory: or postgresql://...)", (int)strcspn(c->db, ":/@"), c->db);
    if (c->public_url[0] != '\0' && strncmp(c->public_url, "http://", 7) != 0 &&
        strncmp(c->public_url, "https://", 8) != 0)
        pd_errbuf_add(eb, "public-url: '%s' must start with http:// or https://", c->public_url);
    if (c->port < 0 && c->https_port < 0)
        pd_errbuf_add(eb, "port and https-port are both -1: nothing to listen on");
    if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0'))
        pd_errbuf_add(eb, "tls-cert and tls-key go together: give both or neither");
    for (const char *p = c->oauth_hosts; p != NULL && *p; ) {
        size_t hl;
        while (*p == ',' || *p == ' ')
            p++;
        hl = strcspn(p, ", ");
        if (hl == 0)
            break;
        if (hl > 255 || strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") < hl)
            pd_errbuf_add(eb, "oauth-hosts: '%.*s' is not a host[:port]", (int)(hl > 64 ? 64 : hl), p);
        p += hl;
    }
    {
        char bad[64];
        if (netaddr_ranges_valid(c->trusted_proxies, bad, sizeof(bad)) != 0)
            pd_errbuf_add(eb, "trusted-proxies: '%s' is not an address or CIDR range", bad);
        if (netaddr_ranges_valid(c->metrics_allow, bad, sizeof(bad)) != 0)
            pd_errbuf_add(eb, "metrics-allow: '%s' is not an address or CIDR range", bad);
    }
    if (c->rl_status != 400 && c->rl_status != 429)
        pd_errbuf_add(eb, "rate-limit-status must be 429 or 400, got %lld", (long long)c->rl_status);
    if (c->rl_hourly > 0 && (c->rl_anon_hourly == 0 || c->rl_anon_hourly > c->rl_hourly))
        pd_errbuf_add(eb, "rate-limit-anonymous-hourly (%lld) must be on and at most rate-limit-hourly "
                      "(%lld): unauthenticated traffic gets the tightest limits",
                      (long long)c->rl_anon_hourly, (long long)c->rl_hourly);
    if (c->rl_burst > 0 && (c->rl_anon_burst == 0 || c->rl_anon_burst > c->rl_burst))
        pd_errbuf_add(eb, "rate-limit-anonymous-burst (%lld) must be on and at most rate-limit-burst "
                      "(%lld): unauthenticated traffic gets the tightest limits",
                      (long long)c->rl_anon_burst, (long long)c->rl_burst);
    if (strcmp(c->db_sync, "normal") != 0 && strcmp(c->db_sync, "full") != 0)
        pd_errbuf_add(eb, "db-sync: '%.32s' is not one of normal, full", c->db_sync);
    if (c->per_ip_connections > c->max_connections)
        pd_errbuf_add(eb, "per-ip-connections (%lld) exceeds max-connections (%lld)",
                      (long long)c->per_ip_connections, (long long)c->max_connections);
}

void config_print_help(FILE *out)
{
    for (const config_item *it = items; it->name; it++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s%s", it->name, it->type == CFG_BOOL ? "" : " VALUE");
        fprintf(out, "  %-30s %s\n  %-30s [env %s, default '%s'", opt, it->help, "", it->env, it->def);
        if (it->type == CFG_INT)
            fprintf(out, ", %lld..%lld", (long long)it->min, (long long)it->max);
        fprintf(out, "]\n");
    }
}
