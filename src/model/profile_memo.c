/*
 * profile_memo.c - process-wide memo of parsed stored profile documents
 * (see model/profile_memo.h).  One mutex guards the table; it is held only
 * to compare, swap or copy the text of an entry (profile_memo_latest), never
 * while parsing, merging or freeing.
 */
#include "model/profile_memo.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

typedef struct {
    char user_id[LIM_ID_MAX + 1];
    int64_t version;
    char *text;                 /* owned copy of the stored text */
    size_t len;
    json_t *doc;                /* one reference */
    bool canonical;             /* doc may be merged into in place (model/profile.h) */
} pm_entry;

static pthread_mutex_t pm_mu = PTHREAD_MUTEX_INITIALIZER;
static pm_entry pm_table[LIM_PROFILE_MEMO_SLOTS];

static pm_entry *slot_of(const char *user_id, size_t n)
{
    uint64_t h = 1469598103934665603ULL;            /* FNV-1a */

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)user_id[i]) * 1099511628211ULL;
    return &pm_table[h % LIM_PROFILE_MEMO_SLOTS];
}

/* The entry for (user_id, version, text), or NULL; under pm_mu. */
static pm_entry *find(const char *user_id, int64_t version, const char *text)
{
    if (user_id == NULL || text == NULL)
        return NULL;
    size_t n = strlen(user_id), len = strlen(text);
    if (n > LIM_ID_MAX)
        return NULL;
    pm_entry *e = slot_of(user_id, n);
    if (e->doc != NULL && e->version == version && e->len == len &&
        memcmp(e->user_id, user_id, n + 1) == 0 && memcmp(e->text, text, len) == 0)
        return e;
    return NULL;
}

/* Whether e's tree may be handed over: canonical, and refcount 1 (nobody
 * else holds it, and nobody gets it without pm_mu); under pm_mu. */
static bool may_hand_over(const pm_entry *e)
{
    return e->canonical && __atomic_load_n(&e->doc->refcount, __ATOMIC_ACQUIRE) == 1;
}

json_t *profile_memo_get(const char *user_id, int64_t version, const char *text)
{
    json_t *doc = NULL;

    pthread_mutex_lock(&pm_mu);
    pm_entry *e = find(user_id, version, text);
    if (e != NULL)
        doc = json_incref(e->doc);
    pthread_mutex_unlock(&pm_mu);
    return doc;
}

json_t *profile_memo_take(const char *user_id, int64_t version, const char *text)
{
    json_t *doc = NULL;
    char *t = NULL;

    pthread_mutex_lock(&pm_mu);
    pm_entry *e = find(user_id, version, text);
    if (e != NULL && may_hand_over(e)) {
        doc = e->doc;
        t = e->text;
        memset(e, 0, sizeof(*e));
    }
    pthread_mutex_unlock(&pm_mu);
    free(t);
    return doc;
}

json_t *profile_memo_latest(const char *user_id, int64_t *version, char **text, bool *taken)
{
    json_t *doc = NULL;
    char *copy = NULL;

    *version = 0;
    *text = NULL;
    *taken = false;
    if (user_id == NULL)
        return NULL;
    size_t n = strlen(user_id);
    if (n > LIM_ID_MAX)
        return NULL;
    pthread_mutex_lock(&pm_mu);
    pm_entry *e = slot_of(user_id, n);
    if (e->doc != NULL && memcmp(e->user_id, user_id, n + 1) == 0) {
        *version = e->version;
        if (may_hand_over(e)) {
            doc = e->doc;
            *text = e->text;
            *taken = true;
            memset(e, 0, sizeof(*e));
        } else if ((copy = malloc(e->len + 1)) != NULL) {
            memcpy(copy, e->text, e->len + 1);
            doc = json_incref(e->doc);
            *text = copy;
        }
    }
    pthread_mutex_unlock(&pm_mu);
    return doc;
}

void profile_memo_put(const char *user_id, int64_t version, const char *text, json_t *doc,
                      bool canonical)
{
    if (user_id == NULL || text == NULL || doc == NULL)
        return;
    size_t n = strlen(user_id), len = strlen(text);
    if (n > LIM_ID_MAX)
        return;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, text, len + 1);
    pm_entry *e = slot_of(user_id, n);
    pthread_mutex_lock(&pm_mu);
    char *old_text = e->text;
    json_t *old_doc = e->doc;
    memcpy(e->user_id, user_id, n + 1);
    e->version = version;
    e->text = copy;
    e->len = len;
    e->doc = json_incref(doc);
    e->canonical = canonical;
    pthread_mutex_unlock(&pm_mu);
    free(old_text);
    json_decref(old_doc);
}

void profile_memo_clear(void)
{
    for (size_t i = 0; i < LIM_PROFILE_MEMO_SLOTS; i++) {
        pthread_mutex_lock(&pm_mu);
        char *t = pm_table[i].text;
        json_t *d = pm_table[i].doc;
        memset(&pm_table[i], 0, sizeof(pm_table[i]));
        pthread_mutex_unlock(&pm_mu);
        free(t);
        json_decref(d);
    }
}
