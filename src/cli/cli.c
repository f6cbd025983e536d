/*
 * cli.c - subcommand dispatch, --help and --version, and the helpers the
 * subcommands share (database URL, opening a migrated store).
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

#ifndef PROFILED_VERSION
#define PROFILED_VERSION "0.0.0"
#endif

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    { "serve",   cmd_serve,   "run the HTTP server" },
    { "import",  cmd_import,  "load organizations, accounts, users and memberships from a JSON file" },
    { "export",  cmd_export,  "write everything in the import format" },
    { "token",   cmd_token,   "mint an access token for a user" },
    { "keys",    cmd_keys,    "list, rotate or retire the access-token signing keys" },
    { "migrate", cmd_migrate, "bring a database to the current schema" },
    { "integration", cmd_integration, "manage OAuth integrations: add, add-key, consent, list, remove" },
    { "control", cmd_control, "a running server's test-control API: load, reset, export, token, faults, journal" },
};

static void usage(FILE *out)
{
    fprintf(out,
            "profiled %s - a DocuSign-compatible user-profile server\n\n"
            "usage: profiled COMMAND [OPTIONS]\n       profiled --version | --help\n\ncommands:\n",
            PROFILED_VERSION);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'profiled COMMAND --help' describes a command's options.\n");
}

const char *cli_db_url(const char *flag)
{
    const char *env = getenv("PROFILED_DB");

    if (flag)
        return flag;
    if (env && *env)
        return env;
    return "sqlite:profiled.db";
}

static struct pd_store *open_migrated(const char *url, bool create)
{
    char err[512];
    int from, to;
    pd_store *s = create ? pd_store_open(url, err, sizeof(err))
                         : pd_store_open_existing(url, err, sizeof(err));

    if (s == NULL) {
        char shown[512];
        fprintf(stderr, "profiled: cannot open database %s: %s\n",
                pd_store_url_redacted(url, shown, sizeof shown), err);
        return NULL;
    }
    if (s->ops->migrate(s, &from, &to) != PD_OK) {
        char shown[512];
        fprintf(stderr, "profiled: cannot migrate %s: %s\n",
                pd_store_url_redacted(url, shown, sizeof shown), pd_store_last_error(s));
        pd_store_close(s);
        return NULL;
    }
    return s;
}

struct pd_store *cli_open_store(const char *url)
{
    return open_migrated(url, true);
}

struct pd_store *cli_open_existing(const char *url)
{
    return open_migrated(url, false);
}

int cli_main(int argc, char **argv)
{
    /* Every file profiled creates - the database and its -wal/-shm (they hold
     * signing keys and password hashes), certificates and keys, exports - is
     * the owner's alone; directories 0700. */
    umask(077);
    if (sodium_init() < 0) {
        fprintf(stderr, "profiled: libsodium failed to initialise\n");
        return 1;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("profiled %s\n", PROFILED_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "profiled: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
