/*
 * mhd_ref.c - the minimal libmicrohttpd server of the benchmark (a bench
 * tool, not part of profiled; bench/run.sh builds and starts it).
 *
 *   mhd_ref PORT THREADS /PATH=FILE=CONTENT-TYPE...
 *
 * Listens on 127.0.0.1:PORT with libmicrohttpd's epoll thread pool of
 * THREADS threads (as profiled does) and answers every request for /PATH
 * with the bytes of FILE and that Content-Type: one response per path,
 * built once at start (MHD_RESPMEM_PERSISTENT) and queued for every request
 * - the least work libmicrohttpd can do for an answer, so it shows what the
 * HTTP library profiled is built on costs by itself.  Request bodies (the
 * SOAP POST) are read and dropped.  Like profiled, the answer is queued on
 * the second call of the access handler, never the first.  Any other path
 * answers 404.  Runs until SIGTERM or SIGINT.
 *
 * Memory: the file bytes and responses live until exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PATHS 32

typedef struct {
    char path[256];
    struct MHD_Response *resp;
} route;

static route routes[MAX_PATHS];
static size_t n_routes;
static struct MHD_Response *not_found;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static char *slurp(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    *len = (size_t)n;
out:
    if (f != NULL)
        fclose(f);
    return buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    static int first_call_marker;
    (void)cls;
    (void)method;
    (void)version;
    (void)upload;

    if (*state == NULL) {                  /* first call: headers only */
        *state = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_size > 0) {                /* a body: drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    for (size_t i = 0; i < n_routes; i++)
        if (strcmp(routes[i].path, url) == 0)
            return MHD_queue_response(c, MHD_HTTP_OK, routes[i].resp);
    return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, not_found);
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    unsigned port, threads;

    if (argc < 4) {
        fprintf(stderr, "usage: mhd_ref PORT THREADS /PATH=FILE=CONTENT-TYPE...\n");
        return 2;
    }
    port = (unsigned)strtoul(argv[1], NULL, 10);
    threads = (unsigned)strtoul(argv[2], NULL, 10);
    if (port == 0 || port > 65535 || threads == 0 || threads > 64) {
        fprintf(stderr, "mhd_ref: bad port or thread count\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        char *spec = argv[i], *file = strchr(spec, '='), *type;
        size_t len = 0;
        char *bytes;

        if (file == NULL || (type = strchr(file + 1, '=')) == NULL || n_routes == MAX_PATHS ||
            (size_t)(file - spec) >= sizeof(routes[0].path)) {
            fprintf(stderr, "mhd_ref: bad route '%s' (want /PATH=FILE=CONTENT-TYPE)\n", spec);
            return 2;
        }
        *file++ = '\0';
        *type++ = '\0';
        bytes = slurp(file, &len);
        if (bytes == NULL) {
            fprintf(stderr, "mhd_ref: cannot read %s\n", file);
            return 1;
        }
        route *r = &routes[n_routes++];
        snprintf(r->path, sizeof(r->path), "%s", spec);
        r->resp = MHD_create_response_from_buffer(len, bytes, MHD_RESPMEM_PERSISTENT);
        if (r->resp == NULL || MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES)
            return 1;
    }
    not_found = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, (uint16_t)port, NULL, NULL,
                         on_request, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_THREAD_POOL_SIZE, threads,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                         MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "mhd_ref: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("mhd_ref: listening on http://127.0.0.1:%u\n", port);
    fflush(stdout);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
