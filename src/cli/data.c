/*
 * data.c - `profiled import`, `profiled export` and `profiled migrate`.
 * Import shows progress on a terminal (stderr) and reports the first bad
 * record with its path; nothing is changed when it fails.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/import.h"

/* Parses "--db URL" / "--output FILE" style flags; positional into *pos. */
static int parse(int argc, char **argv, const char **db, const char **out,
                 const char **pos, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s", usage);
            return 1;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            *db = argv[++i];
        } else if (out && (strcmp(argv[i], "--output") == 0 || strcmp(argv[i], "-o") == 0) && i + 1 < argc) {
            *out = argv[++i];
        } else if (pos && *pos == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
            *pos = argv[i];
        } else {
            fprintf(stderr, "profiled: unexpected argument '%s'\n\n%s", argv[i], usage);
            return 2;
        }
    }
    return 0;
}

static void progress(void *ctx, const import_stats *st)
{
    (void)ctx;
    fprintf(stderr, "\rimport: %zu users, %zu memberships, %.1f MB read",
            st->users, st->memberships, (double)st->bytes / 1e6);
}

int cmd_import(int argc, char **argv)
{
    static const char usage[] =
        "usage: profiled import FILE.json [--db URL]\n"
        "  Upserts organizations, accounts, users and memberships in one transaction.\n"
        "  (also organizationAdmins, reservedDomains, userIdentities and integrations)\n"
        "  Use - for standard input. Format: docs/import-format.md\n"
        "  When no server has the database open, the load holds it exclusively\n"
        "  (rollback journal, back to WAL after); otherwise it runs beside the server.\n";
    const char *db = NULL, *file = NULL;
    struct pd_store *s;
    import_stats st;
    char err[1024];
    FILE *in;
    int rc = parse(argc, argv, &db, NULL, &file, usage);

    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (file == NULL) {
        fprintf(stderr, "profiled: import needs a FILE\n\n%s", usage);
        return 2;
    }
    in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (in == NULL) {
        fprintf(stderr, "import: cannot open %s\n", file);
        return 1;
    }
    s = cli_open_store(cli_db_url(db));
    if (s == NULL) {
        if (in != stdin)
            fclose(in);
        return 1;
    }
    pd_err e = import_stream_alone(s, in, &st, err, sizeof(err), isatty(2) ? progress : NULL, NULL);
    if (isatty(2))
        fputc('\n', stderr);
    if (in != stdin)
        fclose(in);
    pd_store_close(s);
    if (e != PD_OK) {
        fprintf(stderr, "import: %s\nimport: nothing was changed\n", err);
        return 1;
    }
    printf("imported: %zu organizations, %zu accounts, %zu permission profiles, %zu groups, "
           "%zu users, %zu images, %zu memberships, %zu integrations, %zu organization admins, "
           "%zu reserved domains, %zu identities\n", st.organizations,
           st.accounts, st.permission_profiles, st.groups, st.users, st.images, st.memberships,
           st.integrations, st.org_admins, st.domains, st.identities);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    static const char usage[] =
        "usage: profiled export [--db URL] [--output FILE]\n"
        "  Writes everything in the import format (passwords as Argon2id hashes).\n";
    const char *db = NULL, *outp = NULL;
    struct pd_store *s;
    char err[512];
    FILE *out;
    int rc = parse(argc, argv, &db, &outp, NULL, usage);

    if (rc != 0)
        return rc == 1 ? 0 : rc;
    s = cli_open_existing(cli_db_url(db));
    if (s == NULL)
        return 1;
    out = outp ? fopen(outp, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "export: cannot write %s\n", outp);
        pd_store_close(s);
        return 1;
    }
    pd_err e = export_stream(s, out, err, sizeof(err));
    if (fflush(out) != 0 && e == PD_OK) {
        e = PD_ERR_STORE;
        snprintf(err, sizeof(err), "write error");
    }
    if (out != stdout)
        fclose(out);
    pd_store_close(s);
    if (e != PD_OK) {
        fprintf(stderr, "export: %s\n", err);
        return 1;
    }
    return 0;
}

int cmd_migrate(int argc, char **argv)
{
    static const char usage[] = "usage: profiled migrate [--db URL]\n"
                                "  Applies the numbered schema migrations the database lacks.\n";
    const char *db = NULL;
    char err[256];
    int from = 0, to = 0;
    int rc = parse(argc, argv, &db, NULL, NULL, usage);

    if (rc != 0)
        return rc == 1 ? 0 : rc;
    struct pd_store *s = pd_store_open(cli_db_url(db), err, sizeof(err));
    if (s == NULL) {
        char shown[512];
        fprintf(stderr, "migrate: cannot open %s: %s\n",
                pd_store_url_redacted(cli_db_url(db), shown, sizeof shown), err);
        return 1;
    }
    if (s->ops->migrate(s, &from, &to) != PD_OK) {
        fprintf(stderr, "migrate: failed: %s\n", pd_store_last_error(s));
        pd_store_close(s);
        return 1;
    }
    pd_store_close(s);
    if (from == to)
        printf("migrate: schema is current (version %d)\n", to);
    else
        printf("migrate: schema upgraded from version %d to %d\n", from, to);
    return 0;
}
