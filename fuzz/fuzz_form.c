/*
 * fuzz_form.c - libFuzzer driver for the OAuth request parsers
 * (src/oauth/form.c): application/x-www-form-urlencoded bodies, Basic
 * credentials, scope lists, redirect URIs and client ids.
 *
 * An accepted form must give back NUL-terminated names and values through
 * oauth_form_get; the other parsers run on the input as a C string.
 *
 * Memory: the form and the string copy are freed in the call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth/oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oauth_form f;
    char *s, id[256], secret[256], origin[256], norm[512];

    memset(&f, 0, sizeof(f));
    if (oauth_form_parse((const char *)data, size, &f) == FORM_OK) {
        static const char *const names[] = { "grant_type", "assertion", "code", "client_id",
                                             "redirect_uri", "code_verifier", "refresh_token", "scope" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *v = oauth_form_get(&f, names[i]);
            if (v != NULL && strlen(v) > size)
                abort();
        }
    }
    oauth_form_free(&f);

    s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    (void)oauth_basic_parse(s, id, sizeof(id), secret, sizeof(secret));
    if (oauth_scope_list_valid(s) && oauth_scope_normalise(s, norm, sizeof(norm)) == 0 &&
        !oauth_scope_subset(norm, s))
        abort();                               /* a list always covers its own normal form */
    (void)oauth_redirect_uri_valid(s, origin, sizeof(origin));
    (void)oauth_client_id_valid(s);
    (void)oauth_pkce_challenge_valid(s);
    free(s);
    return 0;
}
