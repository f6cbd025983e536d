/*
 * startup_probe.c - a bench tool (not part of the product): how long a
 * server takes from launch to its first answer, measured without a shell
 * in the loop.
 *
 *   startup_probe ROUNDS -- COMMAND [ARGS...]
 *
 * Each round forks and execs COMMAND with its standard output on a pipe,
 * reads it until the line "profiled: listening on http://127.0.0.1:PORT",
 * then sends "GET /healthz" on a new connection every 0.5 ms until one is
 * answered "200", stops the server (SIGTERM, then waits for it) and prints
 * the milliseconds from fork to that answer.  Last line: "median MS".
 * Exit status 1 when a round fails (the server exits, prints no port, or
 * does not answer 200 within 10 s).
 *
 * Memory: fixed buffers only; the child's output beyond the port line is
 * drained into /dev/null by the child's own pipe closing on exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 100
#define GIVE_UP_MS 10000.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One GET /healthz on a new connection: 1 when answered 200. */
static int healthz_ok(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char buf[64];
    ssize_t n = 0;
    int ok = 0;

    if (fd < 0)
        return 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0
        && write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
        n = read(fd, buf, sizeof buf - 1);
        if (n >= 12) {
            buf[n] = '\0';
            ok = strncmp(buf + 9, "200", 3) == 0;
        }
    }
    close(fd);
    return ok;
}

/* Reads the child's output until the port line; the port or -1. */
static int read_port(FILE *out)
{
    char line[512];
    static const char tag[] = "profiled: listening on http://127.0.0.1:";
    while (fgets(line, sizeof line, out) != NULL) {
        if (strncmp(line, tag, sizeof tag - 1) == 0) {
            char *end = NULL;
            long p = strtol(line + sizeof tag - 1, &end, 10);
            if (end != line + sizeof tag - 1 && p > 0 && p < 65536)
                return (int)p;
        }
    }
    return -1;
}

/* One round: the milliseconds from fork to the first 200, or -1. */
static double one_round(char **cmd)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -1;
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    close(pfd[1]);
    FILE *out = fdopen(pfd[0], "r");
    int port = out != NULL ? read_port(out) : -1;
    double t = -1;
    if (port > 0) {
        struct timespec pause = { 0, 500000 };
        while (now_ms() - t0 < GIVE_UP_MS) {
            if (healthz_ok(port)) {
                t = now_ms() - t0;
                break;
            }
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                pid = -1;
                break;
            }
            nanosleep(&pause, NULL);
        }
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    if (out != NULL)
        fclose(out);
    else
        close(pfd[0]);
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: startup_probe ROUNDS -- COMMAND [ARGS...]\n");
        return 2;
    }
    char *end = NULL;
    long rounds = strtol(argv[1], &end, 10);
    if (*end != '\0' || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "startup_probe: ROUNDS must be 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    double ms[MAX_ROUNDS];
    for (long i = 0; i < rounds; i++) {
        ms[i] = one_round(argv + 3);
        if (ms[i] < 0) {
            fprintf(stderr, "startup_probe: round %ld: no answer 200 from the server\n", i + 1);
            return 1;
        }
        printf("%.1f\n", ms[i]);
    }
    qsort(ms, (size_t)rounds, sizeof ms[0], cmp_double);
    printf("median %.1f\n", ms[rounds / 2]);
    return 0;
}
