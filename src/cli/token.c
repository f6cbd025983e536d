/*
 * token.c - `profiled token`: mints an access token for a user, signed
 * with the database's current signing key (the same kind of token the OAuth
 * endpoints issue).  For operators and tests; prints only the token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/strutil.h"
#include "auth/token.h"
#include "oauth/oauth.h"

int cmd_token(int argc, char **argv)
{
    static const char usage[] =
        "usage: profiled token --user USER_ID [--db URL] [--scope \"signature impersonation\"]\n"
        "                      [--ttl SECONDS] [--issued-at UNIX_TIME] [--client ID]\n"
        "  --scope       space-separated scopes: signature, impersonation, extended, openid;\n"
        "                Admin API: user_read, user_write, organization_read (docs/admin.md)\n"
        "  --ttl         lifetime, 1..2592000 seconds (default 3600)\n"
        "  --issued-at   back- or post-date the token (default now)\n";
    const char *db = NULL, *user = NULL, *scope = "signature impersonation", *client = "profiled-cli";
    int64_t ttl = LIM_TOKEN_TTL_DEFAULT_S, iat = (int64_t)time(NULL);
    token_keyring kr;
    token_claims c = {0};
    char norm_scope[TOKEN_SCOPE_MAX];
    pd_user u = {0};
    char uid[LIM_ID_MAX + 1];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("%s", usage);
            return 0;
        }
        if (v == NULL) {
            fprintf(stderr, "profiled: option %s needs a value\n\n%s", a, usage);
            return 2;
        }
        i++;
        if (strcmp(a, "--db") == 0) db = v;
        else if (strcmp(a, "--user") == 0) user = v;
        else if (strcmp(a, "--scope") == 0) scope = v;
        else if (strcmp(a, "--client") == 0) client = v;
        else if (strcmp(a, "--ttl") == 0) {
            if (str_to_i64(v, 1, LIM_TOKEN_TTL_MAX_S, &ttl) != 0) {
                fprintf(stderr, "profiled: --ttl must be 1..%d seconds\n", LIM_TOKEN_TTL_MAX_S);
                return 2;
            }
        } else if (strcmp(a, "--issued-at") == 0) {
            if (str_to_i64(v, 0, INT64_MAX / 2, &iat) != 0) {
                fprintf(stderr, "profiled: --issued-at must be a Unix time\n");
                return 2;
            }
        } else {
            fprintf(stderr, "profiled: unknown option %s\n\n%s", a, usage);
            return 2;
        }
    }
    if (user == NULL || !str_is_guid(user) || strlen(scope) >= sizeof(c.scope) ||
        strlen(client) > LIM_ID_MAX) {
        fprintf(stderr, "profiled: token needs --user with a user GUID\n\n%s", usage);
        return 2;
    }
    if (oauth_scope_normalise(scope, norm_scope, sizeof(norm_scope)) != 0) {
        fprintf(stderr, "profiled: --scope must be space-separated scope names\n");
        return 2;
    }
    str_copy(uid, sizeof(uid), user);
    str_lower(uid);
    struct pd_store *s = cli_open_existing(cli_db_url(db));
    if (s == NULL)
        return 1;
    pd_err e = s->ops->get_user(s, uid, &u);
    pd_user_clear(&u);
    if (e != PD_OK) {
        fprintf(stderr, "profiled: %s\n", e == PD_ERR_NOT_FOUND ? "no such user" : "database error");
        pd_store_close(s);
        return 1;
    }
    if (token_keyring_load(s, &kr) != PD_OK) {
        fprintf(stderr, "profiled: cannot load signing keys\n");
        pd_store_close(s);
        return 1;
    }
    pd_store_close(s);
    str_copy(c.sub, sizeof(c.sub), uid);
    str_copy(c.cid, sizeof(c.cid), client);
    str_copy(c.scope, sizeof(c.scope), norm_scope);
    c.iat = iat;
    c.exp = iat + ttl;
    char *tok = token_mint(&kr, &c);
    token_keyring_clear(&kr);
    if (tok == NULL) {
        fprintf(stderr, "profiled: cannot mint token\n");
        return 1;
    }
    printf("%s\n", tok);
    free(tok);
    return 0;
}
