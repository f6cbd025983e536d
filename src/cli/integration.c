/*
 * integration.c - `profiled integration add|add-key|consent|list|remove`:
 * manage OAuth integrations (clients) without an import file
 * (docs/oauth.md).  Secrets are stored as Argon2id hashes only; a
 * generated secret is printed once.
 *
 * Memory: PEM files are read into bounded heap buffers freed before exit;
 * store structs are cleared before return.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "oauth/oauth.h"
#include "store/store.h"
#include "core/strutil.h"

#define DEFAULT_SCOPES "signature impersonation"

static const char USAGE[] =
    "usage: profiled integration COMMAND [--db URL]\n"
    "  add KEY [--name NAME] [--secret S | --generate-secret] [--redirect-uri URI]...\n"
    "          [--scopes \"signature impersonation\"] [--public-key FILE.pem]...\n"
    "                         register an integration (client_id KEY)\n"
    "  add-key KEY FILE.pem   add an RSA public key (JWT grant); - reads standard input\n"
    "  consent KEY --user USER_ID [--scopes S]\n"
    "                         record a user's consent (default: every allowed scope)\n"
    "  list                   integrations, their scopes, keys and redirect URIs\n"
    "  remove KEY             delete an integration with its keys, consents and grants\n";

typedef struct {
    const char *db, *key, *name, *secret, *scopes, *user, *file;
    const char *uris[LIM_OAUTH_REDIRECTS_MAX];
    size_t n_uris;
    const char *keys[LIM_OAUTH_KEYS_MAX];
    size_t n_keys;
    bool generate;
} opts;

/* Reads a PEM file (at most LIM_OAUTH_PEM_MAX bytes); NULL on error. */
static char *read_pem(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *buf;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "profiled: cannot open %s\n", path);
        return NULL;
    }
    buf = malloc(LIM_OAUTH_PEM_MAX + 2);
    n = buf ? fread(buf, 1, LIM_OAUTH_PEM_MAX + 1, f) : 0;
    if (f != stdin)
        fclose(f);
    if (buf == NULL || n == 0 || n > LIM_OAUTH_PEM_MAX) {
        fprintf(stderr, "profiled: %s: empty, unreadable or larger than %d bytes\n", path,
                LIM_OAUTH_PEM_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static int parse(int argc, char **argv, int first, opts *o)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--generate-secret") == 0) {
            o->generate = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (o->key == NULL)
                o->key = a;
            else if (o->file == NULL)
                o->file = a;
            else {
                fprintf(stderr, "profiled: unexpected argument '%s'\n\n%s", a, USAGE);
                return 2;
            }
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "profiled: option %s needs a value\n\n%s", a, USAGE);
            return 2;
        }
        i++;
        if (strcmp(a, "--db") == 0) o->db = v;
        else if (strcmp(a, "--name") == 0) o->name = v;
        else if (strcmp(a, "--secret") == 0) o->secret = v;
        else if (strcmp(a, "--scopes") == 0) o->scopes = v;
        else if (strcmp(a, "--user") == 0) o->user = v;
        else if (strcmp(a, "--redirect-uri") == 0 && o->n_uris < LIM_OAUTH_REDIRECTS_MAX)
            o->uris[o->n_uris++] = v;
        else if (strcmp(a, "--public-key") == 0 && o->n_keys < LIM_OAUTH_KEYS_MAX)
            o->keys[o->n_keys++] = v;
        else {
            fprintf(stderr, "profiled: unknown or repeated-too-often option %s\n\n%s", a, USAGE);
            return 2;
        }
    }
    return 0;
}

static int check_add(const opts *o, char *scopes, size_t cap)
{
    if (o->key == NULL || !oauth_client_id_valid(o->key)) {
        fprintf(stderr, "profiled: add needs KEY: 1 to %d characters of A-Z a-z 0-9 . _ -\n", LIM_ID_MAX);
        return 2;
    }
    if (o->secret && o->generate) {
        fprintf(stderr, "profiled: give --secret or --generate-secret, not both\n");
        return 2;
    }
    if (o->secret && (strlen(o->secret) < LIM_OAUTH_SECRET_MIN || strlen(o->secret) > LIM_OAUTH_SECRET_MAX)) {
        fprintf(stderr, "profiled: --secret must be %d to %d characters\n", LIM_OAUTH_SECRET_MIN,
                LIM_OAUTH_SECRET_MAX);
        return 2;
    }
    if (oauth_scope_normalise(o->scopes ? o->scopes : DEFAULT_SCOPES, scopes, cap) != 0) {
        fprintf(stderr, "profiled: --scopes must be space-separated scope names\n");
        return 2;
    }
    for (size_t i = 0; i < o->n_uris; i++)
        if (!oauth_redirect_uri_valid(o->uris[i], NULL, 0)) {
            fprintf(stderr, "profiled: --redirect-uri %s: must be an absolute https URI "
                            "(http only on 127.0.0.1, [::1] or localhost) without fragment\n", o->uris[i]);
            return 2;
        }
    return 0;
}

static int cmd_add(pd_store *s, const opts *o)
{
    char scopes[TOKEN_SCOPE_MAX], secret[OAUTH_RANDOM_CHARS + 1], hash[crypto_pwhash_STRBYTES], why[160];
    char *pems[LIM_OAUTH_KEYS_MAX] = {0};
    pd_integration old = {0};
    int rc = check_add(o, scopes, sizeof(scopes));
    const char *plain = o->secret;

    if (rc != 0)
        return rc;
    rc = 1;
    if (s->ops->get_integration(s, o->key, &old) == PD_OK) {
        fprintf(stderr, "profiled: integration %s exists (remove it first, or use add-key / import)\n", o->key);
        goto out;
    }
    for (size_t i = 0; i < o->n_keys; i++) {
        pems[i] = read_pem(o->keys[i]);
        if (pems[i] == NULL)
            goto out;
        if (oauth_pubkey_check(pems[i], why, sizeof(why)) != 0) {
            fprintf(stderr, "profiled: %s: %s\n", o->keys[i], why);
            goto out;
        }
    }
    if (o->generate) {
        oauth_random(secret, sizeof(secret));
        plain = secret;
    }
    if (plain && crypto_pwhash_str(hash, plain, strlen(plain), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf(stderr, "profiled: hashing the secret failed\n");
        goto out;
    }
    pd_integration it = {
        .key = (char *)o->key, .name = (char *)(o->name ? o->name : o->key),
        .secret_hash = plain ? hash : NULL, .allowed_scopes = scopes,
        .redirect_uris = (char **)o->uris, .n_redirect_uris = o->n_uris,
        .public_keys = pems, .n_public_keys = o->n_keys,
    };
    if (s->ops->upsert_integration(s, &it) != PD_OK) {
        fprintf(stderr, "profiled: cannot store the integration: %s\n", pd_store_last_error(s));
        goto out;
    }
    printf("integration %s added\n", o->key);
    if (o->generate)
        printf("secret (shown once): %s\n", secret);
    rc = 0;
out:
    sodium_memzero(secret, sizeof(secret));
    for (size_t i = 0; i < LIM_OAUTH_KEYS_MAX; i++)
        free(pems[i]);
    pd_integration_clear(&old);
    return rc;
}

static int cmd_add_key(pd_store *s, const opts *o)
{
    char why[160];
    char *pem;
    pd_err e;

    if (o->key == NULL || o->file == NULL) {
        fprintf(stderr, "profiled: add-key needs KEY and FILE.pem\n\n%s", USAGE);
        return 2;
    }
    pem = read_pem(o->file);
    if (pem == NULL)
        return 1;
    if (oauth_pubkey_check(pem, why, sizeof(why)) != 0) {
        fprintf(stderr, "profiled: %s: %s\n", o->file, why);
        free(pem);
        return 1;
    }
    e = s->ops->add_integration_key(s, o->key, pem);
    free(pem);
    if (e != PD_OK) {
        fprintf(stderr, "profiled: %s\n", e == PD_ERR_NOT_FOUND ? "no such integration" : pd_store_last_error(s));
        return 1;
    }
    printf("key added to %s\n", o->key);
    return 0;
}

static int cmd_consent(pd_store *s, const opts *o)
{
    char scopes[TOKEN_SCOPE_MAX], uid[LIM_ID_MAX + 1];
    pd_integration it = {0};
    int rc = 1;

    if (o->key == NULL || o->user == NULL || !str_is_guid(o->user)) {
        fprintf(stderr, "profiled: consent needs KEY and --user USER_ID (GUID)\n\n%s", USAGE);
        return 2;
    }
    if (s->ops->get_integration(s, o->key, &it) != PD_OK) {
        fprintf(stderr, "profiled: no such integration\n");
        return 1;
    }
    if (oauth_scope_normalise(o->scopes ? o->scopes : it.allowed_scopes, scopes, sizeof(scopes)) != 0) {
        fprintf(stderr, "profiled: --scopes must be space-separated scope names\n");
        goto out;
    }
    str_copy(uid, sizeof(uid), o->user);
    str_lower(uid);
    pd_consent c = { .integration_key = it.key, .user_id = uid, .scopes = scopes };
    if (s->ops->put_consent(s, &c) != PD_OK) {
        fprintf(stderr, "profiled: cannot record the consent: %s\n", pd_store_last_error(s));
        goto out;
    }
    printf("user %s consented to %s for %s\n", uid, scopes, it.key);
    rc = 0;
out:
    pd_integration_clear(&it);
    return rc;
}

static int print_one(void *ctx, const void *row)
{
    const pd_integration *it = row;

    (void)ctx;
    printf("%s\t%s\tscopes=\"%s\"\tsecret=%s\tkeys=%zu\n", it->key, it->name, it->allowed_scopes,
           it->secret_hash ? "yes" : "no", it->n_public_keys);
    for (size_t i = 0; i < it->n_redirect_uris; i++)
        printf("\tredirect %s\n", it->redirect_uris[i]);
    return 0;
}

int cmd_integration(int argc, char **argv)
{
    opts o;
    const char *sub = argc > 1 ? argv[1] : NULL;
    int rc;

    memset(&o, 0, sizeof(o));
    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(USAGE, sub ? stdout : stderr);
        return sub ? 0 : 2;
    }
    rc = parse(argc, argv, 2, &o);
    if (rc != 0)
        return rc;
    if (strcmp(sub, "add") != 0 && strcmp(sub, "add-key") != 0 && strcmp(sub, "consent") != 0 &&
        strcmp(sub, "list") != 0 && strcmp(sub, "remove") != 0) {
        fprintf(stderr, "profiled: unknown integration command '%s'\n\n%s", sub, USAGE);
        return 2;
    }
    struct pd_store *s = cli_open_store(cli_db_url(o.db));
    if (s == NULL)
        return 1;
    if (strcmp(sub, "add") == 0) {
        rc = cmd_add(s, &o);
    } else if (strcmp(sub, "add-key") == 0) {
        rc = cmd_add_key(s, &o);
    } else if (strcmp(sub, "consent") == 0) {
        rc = cmd_consent(s, &o);
    } else if (strcmp(sub, "list") == 0) {
        rc = s->ops->each_integration(s, print_one, NULL) == PD_OK ? 0 : 1;
    } else if (o.key == NULL) {
        fprintf(stderr, "profiled: remove needs KEY\n");
        rc = 2;
    } else {
        pd_err e = s->ops->delete_integration(s, o.key);
        rc = e == PD_OK ? 0 : 1;
        if (e == PD_OK)
            printf("integration %s removed\n", o.key);
        else
            fprintf(stderr, "profiled: %s\n", e == PD_ERR_NOT_FOUND ? "no such integration" : pd_store_last_error(s));
    }
    pd_store_close(s);
    return rc;
}
