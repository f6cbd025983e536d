/*
 * keys.c - `profiled keys list|rotate|retire KID`: the signing keys of
 * access tokens (docs/design.md, "Tokens").
 *
 * rotate adds a key that signs from then on; older keys keep verifying, so
 * nobody is logged out.  retire deletes a key: tokens it signed stop working.
 * Retire a key only after the longest token lifetime has passed since the
 * rotation (1 hour for OAuth tokens).  Running servers pick the change up on
 * SIGHUP or within 30 seconds.  Secrets are never printed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"
#include "auth/token.h"

typedef struct { int n; } list_ctx;

static int print_key(void *ctx, const void *row)
{
    const pd_signing_key *k = row;
    list_ctx *lc = ctx;
    char when[32];
    time_t t = (time_t)k->created;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s  created %s%s\n", k->kid, when, lc->n++ == 0 ? "  (signs new tokens)" : "");
    return 0;
}

int cmd_keys(int argc, char **argv)
{
    static const char usage[] =
        "usage: profiled keys list   [--db URL]   signing keys, newest (the signing one) first\n"
        "       profiled keys rotate [--db URL]   add a key that signs from now on\n"
        "       profiled keys retire KID [--db URL]  delete a key: tokens it signed stop working\n"
        "  Running servers reload keys on SIGHUP and every 30 seconds.\n";
    const char *db = NULL, *verb = NULL, *kid = NULL;
    struct pd_store *s;
    list_ctx lc = {0};
    pd_err e;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s", usage);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (verb == NULL) {
            verb = argv[i];
        } else if (kid == NULL && strcmp(verb, "retire") == 0) {
            kid = argv[i];
        } else {
            fprintf(stderr, "profiled: unexpected argument '%s'\n\n%s", argv[i], usage);
            return 2;
        }
    }
    if (verb == NULL || (strcmp(verb, "list") != 0 && strcmp(verb, "rotate") != 0 &&
                         strcmp(verb, "retire") != 0) ||
        (strcmp(verb, "retire") == 0) != (kid != NULL)) {
        fprintf(stderr, "%s", usage);
        return 2;
    }
    s = cli_open_existing(cli_db_url(db));
    if (s == NULL)
        return 1;
    if (strcmp(verb, "rotate") == 0) {
        if (token_key_rotate(s) != PD_OK) {
            fprintf(stderr, "profiled: cannot add a key: %s\n", pd_store_last_error(s));
            goto out;
        }
    } else if (strcmp(verb, "retire") == 0) {
        token_keyring kr;
        if (token_keyring_load(s, &kr) != PD_OK) {
            fprintf(stderr, "profiled: cannot read the keys: %s\n", pd_store_last_error(s));
            goto out;
        }
        bool only = kr.n == 1 && strcmp(kr.keys[0].kid, kid) == 0;
        token_keyring_clear(&kr);
        if (only) {
            fprintf(stderr, "profiled: %s is the only key; rotate first\n", kid);
            rc = 2;
            goto out;
        }
        e = s->ops->delete_signing_key(s, kid);
        if (e == PD_ERR_NOT_FOUND) {
            fprintf(stderr, "profiled: no signing key '%s'\n", kid);
            goto out;
        }
        if (e != PD_OK) {
            fprintf(stderr, "profiled: cannot delete the key: %s\n", pd_store_last_error(s));
            goto out;
        }
    }
    if (s->ops->get_signing_keys(s, print_key, &lc) != PD_OK) {
        fprintf(stderr, "profiled: cannot list the keys: %s\n", pd_store_last_error(s));
        goto out;
    }
    rc = 0;
out:
    pd_store_close(s);
    return rc;
}
