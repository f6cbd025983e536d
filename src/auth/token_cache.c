/*
 * token_cache.c - see token_cache.h.  Direct-mapped by FNV-1a of the token
 * text; only successful verifications are stored.
 */
#include "auth/token_cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/strutil.h"
#include "core/thread_table.h"

typedef struct {
    char *tok;              /* malloc'd copy, NULL when empty */
    size_t len;
    uint64_t ring_gen;      /* the ring that verified it (never its address) */
    uint64_t used;          /* the thread's use counter at its last hit or fill */
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
    pthread_once(&tc_once, tc_init);
    return thread_table_get(tc_key, TC_SLOTS * sizeof(tc_entry));
}

pd_err token_verify_cached(const token_keyring *kr, const char *tok, size_t len,
                           int64_t now, token_claims *out)
{
    static _Thread_local uint64_t clock;
    tc_entry *t = tc_table(), *set, *e = NULL, *victim;
    pd_err rc;

    if (t == NULL || len == 0 || len > LIM_TOKEN_MAX)
        return token_verify(kr, tok, len, now, out);
    /* the signature at the end is random: hashing its last bytes is enough
     * to pick a set (the whole text is compared below) */
    set = &t[(str_hash64(tok + (len > 32 ? len - 32 : 0), len > 32 ? 32 : len) % (TC_SLOTS / TC_WAYS))
             * TC_WAYS];
    clock++;
    victim = &set[0];
    for (size_t w = 0; w < TC_WAYS; w++) {
        /* the text holds a signature: compare in constant time */
        if (set[w].tok != NULL && set[w].ring_gen == kr->gen && set[w].len == len &&
            mem_equal_ct(set[w].tok, tok, len)) {
            e = &set[w];
            break;
        }
        if (set[w].tok == NULL ? victim->tok != NULL || victim > &set[w]
                               : victim->tok != NULL && set[w].used < victim->used)
            victim = &set[w];
    }
    if (e != NULL) {
        if (e->claims.exp > now) {
            met_inc(MET_TOKEN_CACHE_HIT);
            e->used = clock;
            *out = e->claims;
            return PD_OK;
        }
        memset(out, 0, sizeof(*out));
        return PD_ERR_INVALID_TOKEN;
    }
    met_inc(MET_TOKEN_CACHE_MISS);
    rc = token_verify(kr, tok, len, now, out);
    if (rc == PD_OK) {
        char *copy = malloc(len);
        if (copy != NULL) {
            memcpy(copy, tok, len);
            free(victim->tok);
            victim->tok = copy;
            victim->len = len;
            victim->ring_gen = kr->gen;
            victim->used = clock;
            victim->claims = *out;
        }
    }
    return rc;
}
