/*
 * import_oauth.c - the integrations section of the import (OAuth clients,
 * docs/oauth.md; import_internal.h): key, secret or its hash, scopes,
 * redirect URIs, RSA public keys and the users' consents.
 *
 * Memory: a plain secret is hashed into a stack buffer wiped before return.
 */
#include "cli/import_internal.h"

#include <sodium.h>
#include <string.h>

#include "core/strutil.h"
#include "oauth/oauth.h"

/* A string array member with at most max items, each at most item_max long. */
static int want_str_array(reader *rd, json_t *o, const char *path, const char *name, size_t max,
                          size_t item_max, json_t **out)
{
    json_t *arr = json_object_get(o, name), *v;
    size_t i;

    *out = NULL;
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > max) {
        imp_fail(rd, "%s.%s: must be an array of at most %zu strings", path, name, max);
        return -1;
    }
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > item_max) {
            imp_fail(rd, "%s.%s[%zu]: must be a non-empty string of at most %zu characters", path, name,
                 i, item_max);
            return -1;
        }
    }
    *out = arr;
    return 0;
}

static int integration_consents(reader *rd, pd_store *s, json_t *rec, const char *path,
                                const char *key, const char *allowed)
{
    json_t *arr = json_object_get(rec, "consents"), *c;
    char sub[160], uid[LIM_ID_MAX + 1], norm[TOKEN_SCOPE_MAX];
    const char *scopes;
    size_t i;

    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > LIM_OAUTH_CONSENTS_MAX) {
        imp_fail(rd, "%s.consents: must be an array of at most %d consents", path, LIM_OAUTH_CONSENTS_MAX);
        return -1;
    }
    json_array_foreach(arr, i, c) {
        snprintf(sub, sizeof(sub), "%s.consents[%zu]", path, i);
        if (!json_is_object(c)) {
            imp_fail(rd, "%s: must be an object", sub);
            return -1;
        }
        if (imp_want_guid(rd, c, sub, "userId", 1, uid) != 0 ||
            imp_want_str(rd, c, sub, "scopes", 0, TOKEN_SCOPE_MAX - 1, &scopes) != 0)
            return -1;
        if (oauth_scope_normalise(scopes ? scopes : allowed, norm, sizeof(norm)) != 0) {
            imp_fail(rd, "%s.scopes: must be space-separated scope names", sub);
            return -1;
        }
        pd_consent pc = { .integration_key = (char *)key, .user_id = uid, .scopes = norm };
        if (s->ops->put_consent(s, &pc) != PD_OK)
            return imp_store_failed(rd, s, sub);
    }
    return 0;
}

/* Validates redirect URIs and public keys of an integration record. */
static int integration_lists(reader *rd, json_t *rec, const char *path, json_t **uris, json_t **keys)
{
    json_t *v;
    size_t i;
    char why[160];

    if (want_str_array(rd, rec, path, "redirectUris", LIM_OAUTH_REDIRECTS_MAX,
                       LIM_OAUTH_REDIRECT_URI_MAX, uris) != 0 ||
        want_str_array(rd, rec, path, "rsaPublicKeys", LIM_OAUTH_KEYS_MAX, LIM_OAUTH_PEM_MAX, keys) != 0)
        return -1;
    json_array_foreach(*uris, i, v) {
        if (!oauth_redirect_uri_valid(json_string_value(v), NULL, 0)) {
            imp_fail(rd, "%s.redirectUris[%zu]: must be an absolute https URI (http only on 127.0.0.1, "
                 "[::1] or localhost) without fragment", path, i);
            return -1;
        }
    }
    json_array_foreach(*keys, i, v) {
        if (oauth_pubkey_check(json_string_value(v), why, sizeof(why)) != 0) {
            imp_fail(rd, "%s.rsaPublicKeys[%zu]: %s", path, i, why);
            return -1;
        }
    }
    return 0;
}

/* The Argon2id hash to store for a plain secret: the stored one when it
 * already matches (re-importing a file changes nothing), else a new one. */
static int integration_secret(reader *rd, pd_store *s, const char *path, const char *key,
                              const char *secret, char out[crypto_pwhash_STRBYTES])
{
    pd_integration old = {0};
    size_t n = strlen(secret);
    int same;

    if (n < LIM_OAUTH_SECRET_MIN || n > LIM_OAUTH_SECRET_MAX) {
        imp_fail(rd, "%s.secret: must be %d to %d characters", path, LIM_OAUTH_SECRET_MIN,
             LIM_OAUTH_SECRET_MAX);
        return -1;
    }
    same = s->ops->get_integration(s, key, &old) == PD_OK && old.secret_hash &&
           strlen(old.secret_hash) < crypto_pwhash_STRBYTES &&
           crypto_pwhash_str_verify(old.secret_hash, secret, n) == 0;
    if (same)
        str_copy(out, crypto_pwhash_STRBYTES, old.secret_hash);
    pd_integration_clear(&old);
    if (same)
        return 0;
    if (crypto_pwhash_str(out, secret, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        imp_fail(rd, "%s.secret: hashing failed (out of memory)", path);
        return -1;
    }
    return 0;
}

int imp_do_integration(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    const char *key, *name, *secret, *sh, *scopes;
    char hash[crypto_pwhash_STRBYTES], norm[TOKEN_SCOPE_MAX];
    json_t *uris, *keys;
    char *uv[LIM_OAUTH_REDIRECTS_MAX], *kv[LIM_OAUTH_KEYS_MAX];
    size_t nu = 0, nk = 0, i;
    json_t *v;
    int rc = -1;

    if (imp_want_str(rd, rec, path, "integrationKey", 1, LIM_ID_MAX, &key) != 0 ||
        imp_want_str(rd, rec, path, "name", 0, LIM_STRING_FIELD_MAX, &name) != 0 ||
        imp_want_str(rd, rec, path, "secret", 0, LIM_OAUTH_SECRET_MAX, &secret) != 0 ||
        imp_want_str(rd, rec, path, "secretHash", 0, crypto_pwhash_STRBYTES - 1, &sh) != 0 ||
        imp_want_str(rd, rec, path, "allowedScopes", 0, TOKEN_SCOPE_MAX - 1, &scopes) != 0)
        return -1;
    if (!oauth_client_id_valid(key)) {
        imp_fail(rd, "%s.integrationKey: 1 to %d characters of A-Z a-z 0-9 . _ -", path, LIM_ID_MAX);
        return -1;
    }
    if (imp_plain_or_hash(rd, path, "secret", secret, "secretHash", sh) != 0)
        return -1;
    if (oauth_scope_normalise(scopes ? scopes : "signature impersonation", norm, sizeof(norm)) != 0) {
        imp_fail(rd, "%s.allowedScopes: must be space-separated scope names", path);
        return -1;
    }
    if (integration_lists(rd, rec, path, &uris, &keys) != 0)
        return -1;
    json_array_foreach(uris, i, v)
        uv[nu++] = (char *)json_string_value(v);
    json_array_foreach(keys, i, v)
        kv[nk++] = (char *)json_string_value(v);
    if (secret && integration_secret(rd, s, path, key, secret, hash) != 0)
        goto out;
    pd_integration it = {
        .key = (char *)key, .name = (char *)(name && *name ? name : key),
        .secret_hash = secret ? hash : (char *)sh, .allowed_scopes = norm,
        .redirect_uris = uv, .n_redirect_uris = nu, .public_keys = kv, .n_public_keys = nk,
    };
    if (s->ops->upsert_integration(s, &it) != PD_OK) {
        imp_store_failed(rd, s, path);
        goto out;
    }
    if (integration_consents(rd, s, rec, path, key, norm) != 0)
        goto out;
    rd->st->integrations++;
    rc = 0;
out:
    sodium_memzero(hash, sizeof(hash));
    return rc;
}
