/*
 * token_cache.c - see token_cache.h.  Direct-mapped by FNV-1a of the token
 * text; only successful verifications are stored.
 */
#include "token_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *tok;              /* malloc'd copy, NULL when empty */
    size_t len;
    const token_keyring *kr;
    token_claims claims;
} tc_entry;

static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;

static void tc_free(void *p)
{
    tc_entry *t = p;

    for (size_t i = 0; t && i < TC_SLOTS; i++)
        free(t[i].tok);
    free(t);
}

static void tc_init(void)
{
    pthread_key_create(&tc_key, tc_free);
}

static tc_entry *tc_table(void)
{
    tc_entry *t;

    pthread_once(&tc_once, tc_init);
    t = pthread_getspecific(tc_key);
    if (t == NULL) {
        t = calloc(TC_SLOTS, sizeof(*t));
        if (t != NULL && pthread_setspecific(tc_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    while (n--) {
        h ^= (unsigned char)*s++;
        h *= 0x100000001b3ULL;
    }
    return h;
}

pd_err token_verify_cached(const token_keyring *kr, const char *tok, size_t len,
                           int64_t now, token_claims *out)
{
    tc_entry *t = tc_table(), *e;
    pd_err rc;

    if (t == NULL || len == 0 || len > LIM_TOKEN_MAX)
        return token_verify(kr, tok, len, now, out);
    e = &t[hash(tok, len) % TC_SLOTS];
    if (e->tok != NULL && e->kr == kr && e->len == len && memcmp(e->tok, tok, len) == 0) {
        if (e->claims.exp > now) {
            *out = e->claims;
            return PD_OK;
        }
        memset(out, 0, sizeof(*out));
        return PD_ERR_INVALID_TOKEN;
    }
    rc = token_verify(kr, tok, len, now, out);
    if (rc == PD_OK) {
        char *copy = malloc(len);
        if (copy != NULL) {
            memcpy(copy, tok, len);
            free(e->tok);
            e->tok = copy;
            e->len = len;
            e->kr = kr;
            e->claims = *out;
        }
    }
    return rc;
}
