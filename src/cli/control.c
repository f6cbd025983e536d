/*
 * control.c - `profiled control`: the test-control API of a running server
 * (docs/control.md) from the command line.  A small HTTP/1.1 client over a
 * plain TCP socket (the control API is for local and CI use; put TLS in
 * front with the server's own HTTPS listener and curl if needed).  The
 * secret comes from PROFILED_CONTROL_TOKEN or --token-file, never from a
 * command-line argument (other users can read those in ps).
 *
 * Memory: responses are read into one malloc'd buffer, freed before return.
 */
#include <jansson.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/limits.h"
#include "core/strutil.h"

#define CONTROL_RESPONSE_MAX (256 * 1024 * 1024)

static void control_help(void)
{
    printf("usage: profiled control [--url URL] [--token-file FILE] COMMAND\n\n"
           "Talks to the test-control API of a running `profiled serve --control-token ...`\n"
           "(docs/control.md).  The secret: PROFILED_CONTROL_TOKEN or --token-file.\n"
           "URL: --url, PROFILED_CONTROL_URL, default http://127.0.0.1:8080.\n\n"
           "  load FILE [--merge]            replace (or merge into) the tenant, atomically\n"
           "  reset [--demo]                 empty tenant (or the server's demo tenant)\n"
           "  export [--output FILE]         the tenant in the import format\n"
           "  token --user ID [--scope S] [--ttl SECONDS]   mint an access token, print it\n"
           "  faults                         list fault rules\n"
           "  fault-add JSON                 add a rule, e.g. '{\"path\":\"/restapi/*\",\"error\":\"HOURLY_APIINVOCATION_LIMIT_EXCEEDED\",\"count\":3}'\n"
           "  fault-rm ID | faults-clear     remove one rule, or all\n"
           "  journal [--path P] [--status N] [--caller ID] [--limit N]   recent requests (JSON)\n"
           "  journal-clear                  forget the journal\n");
}

typedef struct { char host[256]; char port[8]; } target;

static int parse_url(const char *url, target *t)
{
    const char *p, *end, *colon;

    if (strncmp(url, "http://", 7) != 0)
        return -1;
    p = url + 7;
    end = p + strcspn(p, "/");
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL || (size_t)(rb - p - 1) >= sizeof(t->host))
            return -1;
        memcpy(t->host, p + 1, (size_t)(rb - p - 1));
        t->host[rb - p - 1] = '\0';
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        size_t hl = (size_t)((colon ? colon : end) - p);
        if (hl == 0 || hl >= sizeof(t->host))
            return -1;
        memcpy(t->host, p, hl);
        t->host[hl] = '\0';
    }
    if (colon == NULL) {
        str_copy(t->port, sizeof(t->port), "80");
    } else {
        size_t pl = (size_t)(end - colon - 1);
        if (pl == 0 || pl >= sizeof(t->port))
            return -1;
        memcpy(t->port, colon + 1, pl);
        t->port[pl] = '\0';
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One request; the status, or -1 (printed).  *body is malloc'd. */
static int request(const target *t, const char *secret, const char *method, const char *path,
                   const char *body, size_t blen, char **out, size_t *olen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char head[1024], *buf = NULL, *sep;
    size_t len = 0, cap = 0;
    int fd = -1, status = -1, n;

    if (getaddrinfo(t->host, t->port, &hints, &ai) != 0 || ai == NULL) {
        fprintf(stderr, "profiled control: cannot resolve %s\n", t->host);
        return -1;
    }
    for (struct addrinfo *a = ai; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        fprintf(stderr, "profiled control: cannot connect to %s port %s\n", t->host, t->port);
        return -1;
    }
    n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%s\r\nX-Profiled-Control-Token: %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                 method, path, t->host, t->port, secret, blen);
    if (n < 0 || (size_t)n >= sizeof(head) || write_all(fd, head, (size_t)n) != 0 ||
        (blen > 0 && write_all(fd, body, blen) != 0)) {
        fprintf(stderr, "profiled control: cannot send the request\n");
        goto out;
    }
    for (;;) {
        if (len + 65536 + 1 > cap) {
            if (cap > CONTROL_RESPONSE_MAX)
                goto out;
            char *nb = realloc(buf, cap = cap ? cap * 2 : 131072);
            if (nb == NULL)
                goto out;
            buf = nb;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (buf == NULL)
        goto out;
    buf[len] = '\0';
    sep = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) != 0 || sep == NULL || len < 12) {
        fprintf(stderr, "profiled control: not an HTTP answer\n");
        goto out;
    }
    char code[4] = { buf[9], buf[10], buf[11], '\0' };
    int64_t st;
    if (str_to_i64(code, 100, 599, &st) != 0) {
        fprintf(stderr, "profiled control: not an HTTP answer\n");
        goto out;
    }
    status = (int)st;
    *olen = len - (size_t)(sep + 4 - buf);
    memmove(buf, sep + 4, *olen + 1);
    *out = buf;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return status;
}

/* Reads the secret: PROFILED_CONTROL_TOKEN, or the first line of --token-file. */
static int read_secret(const char *file, char *out, size_t cap)
{
    const char *env = getenv("PROFILED_CONTROL_TOKEN");

    if (file != NULL) {
        FILE *f = fopen(file, "r");
        if (f == NULL || fgets(out, (int)cap, f) == NULL) {
            if (f)
                fclose(f);
            fprintf(stderr, "profiled control: cannot read %s\n", file);
            return -1;
        }
        fclose(f);
        out[strcspn(out, "\r\n")] = '\0';
    } else if (env != NULL && str_copy(out, cap, env) != 0) {
        fprintf(stderr, "profiled control: PROFILED_CONTROL_TOKEN is too long\n");
        return -1;
    } else if (env == NULL) {
        fprintf(stderr, "profiled control: set PROFILED_CONTROL_TOKEN or give --token-file\n");
        return -1;
    }
    if (out[0] == '\0' || strpbrk(out, "\r\n") != NULL) {
        fprintf(stderr, "profiled control: the control token is empty\n");
        return -1;
    }
    return 0;
}

/* Appends "&name=value" (value percent-encoded) to q. */
static int add_query(char *q, size_t cap, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(q);

    if (n + strlen(name) + 2 >= cap)
        return -1;
    n += (size_t)snprintf(q + n, cap - n, "%c%s=", strchr(q, '?') ? '&' : '?', name);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (n + 4 >= cap)
            return -1;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~/*", *p)) {
            q[n++] = (char)*p;
        } else {
            q[n++] = '%';
            q[n++] = hex[*p >> 4];
            q[n++] = hex[*p & 15];
        }
    }
    q[n] = '\0';
    return 0;
}

static char *slurp(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    char *buf = NULL;
    size_t cap = 0;

    *len = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (*len + 65536 > cap) {
            if (cap >= LIM_CONTROL_TENANT_MAX * 2)
                break;
            char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (nb == NULL)
                break;
            buf = nb;
        }
        size_t r = fread(buf + *len, 1, cap - *len, f);
        *len += r;
        if (r == 0) {
            fclose(f);
            return buf;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

/* The value after option `name` in argv[from..], or NULL. */
static const char *opt(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static bool has(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int cmd_control(int argc, char **argv)
{
    const char *url = getenv("PROFILED_CONTROL_URL"), *token_file = NULL, *cmd, *method = "GET";
    char secret[LIM_CONTROL_TOKEN_MAX + 2], path[1024], *body = NULL, *out = NULL;
    size_t blen = 0, olen = 0;
    target t;
    int i = 1, status, rc = 1;

    if (url == NULL)
        url = "http://127.0.0.1:8080";
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            control_help();
            return 0;
        } else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            url = argv[++i];
        } else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < argc) {
            token_file = argv[++i];
        } else {
            break;
        }
    }
    if (i >= argc) {
        control_help();
        return 2;
    }
    cmd = argv[i++];
    if (parse_url(url, &t) != 0) {
        fprintf(stderr, "profiled control: --url must be http://HOST[:PORT]\n");
        return 2;
    }
    if (read_secret(token_file, secret, sizeof(secret)) != 0)
        return 2;
    str_copy(path, sizeof(path), "/_profiled/");
    if (strcmp(cmd, "load") == 0 && i < argc) {
        method = "POST";
        snprintf(path, sizeof(path), "/_profiled/tenant?mode=%s", has(argc, argv, i, "--merge") ? "merge" : "replace");
        body = slurp(argv[i], &blen);
        if (body == NULL) {
            fprintf(stderr, "profiled control: cannot read %s\n", argv[i]);
            return 1;
        }
    } else if (strcmp(cmd, "reset") == 0) {
        method = "POST";
        snprintf(path, sizeof(path), "/_profiled/reset?to=%s", has(argc, argv, i, "--demo") ? "demo" : "empty");
    } else if (strcmp(cmd, "export") == 0) {
        str_copy(path, sizeof(path), "/_profiled/tenant");
    } else if (strcmp(cmd, "token") == 0 && opt(argc, argv, i, "--user") != NULL) {
        json_t *o = json_pack("{s:s}", "userId", opt(argc, argv, i, "--user"));
        int64_t ttl;
        if (opt(argc, argv, i, "--scope"))
            json_object_set_new(o, "scope", json_string(opt(argc, argv, i, "--scope")));
        if (opt(argc, argv, i, "--ttl")) {
            if (str_to_i64(opt(argc, argv, i, "--ttl"), 1, LIM_CONTROL_TOKEN_TTL_MAX, &ttl) != 0) {
                fprintf(stderr, "profiled control: --ttl: seconds, from 1 to %d\n", LIM_CONTROL_TOKEN_TTL_MAX);
                json_decref(o);
                return 2;
            }
            json_object_set_new(o, "ttl", json_integer(ttl));
        }
        body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        blen = body ? strlen(body) : 0;
        method = "POST";
        str_copy(path, sizeof(path), "/_profiled/tokens");
    } else if (strcmp(cmd, "faults") == 0) {
        str_copy(path, sizeof(path), "/_profiled/faults");
    } else if (strcmp(cmd, "fault-add") == 0 && i < argc) {
        method = "POST";
        str_copy(path, sizeof(path), "/_profiled/faults");
        body = str_dup(argv[i]);
        blen = body ? strlen(body) : 0;
    } else if (strcmp(cmd, "fault-rm") == 0 && i < argc) {
        method = "DELETE";
        int64_t id;
        if (str_to_i64(argv[i], 1, INT32_MAX, &id) != 0) {
            fprintf(stderr, "profiled control: fault-rm ID (a rule's number)\n");
            return 2;
        }
        snprintf(path, sizeof(path), "/_profiled/faults/%lld", (long long)id);
    } else if (strcmp(cmd, "faults-clear") == 0) {
        method = "DELETE";
        str_copy(path, sizeof(path), "/_profiled/faults");
    } else if (strcmp(cmd, "journal") == 0) {
        static const char *const keys[] = { "path", "status", "caller", "limit" };
        str_copy(path, sizeof(path), "/_profiled/journal");
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            char flag[16];
            snprintf(flag, sizeof(flag), "--%s", keys[k]);
            if (opt(argc, argv, i, flag) && add_query(path, sizeof(path), keys[k], opt(argc, argv, i, flag)) != 0) {
                fprintf(stderr, "profiled control: %s is too long\n", flag);
                return 2;
            }
        }
    } else if (strcmp(cmd, "journal-clear") == 0) {
        method = "DELETE";
        str_copy(path, sizeof(path), "/_profiled/journal");
    } else {
        control_help();
        return 2;
    }
    status = request(&t, secret, method, path, body, blen, &out, &olen);
    sodium_memzero(secret, sizeof(secret));
    if (status < 0)
        goto done;
    if (status >= 300) {
        fprintf(stderr, "profiled control: %s %s: %d %.*s\n", method, path, status, (int)olen, out ? out : "");
        goto done;
    }
    if (strcmp(cmd, "token") == 0) {
        json_t *o = json_loadb(out, olen, 0, NULL);
        const char *tok = json_string_value(json_object_get(o, "access_token"));
        if (tok)
            printf("%s\n", tok);
        rc = tok ? 0 : 1;
        json_decref(o);
        goto done;
    }
    if (strcmp(cmd, "export") == 0 && opt(argc, argv, i, "--output") != NULL) {
        FILE *f = fopen(opt(argc, argv, i, "--output"), "wx");
        if (f == NULL || fwrite(out, 1, olen, f) != olen || fclose(f) != 0) {
            fprintf(stderr, "profiled control: cannot write %s (it must not exist yet)\n", opt(argc, argv, i, "--output"));
            goto done;
        }
    } else if (olen > 0) {
        fwrite(out, 1, olen, stdout);
        if (out[olen - 1] != '\n')
            putchar('\n');
    }
    rc = 0;
done:
    free(body);
    free(out);
    return rc;
}
