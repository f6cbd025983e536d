/*
 * profile_write.c - see profile_write.h.
 *
 * Memory: each attempt owns the user row it read, the merged tree and its
 * text, and releases them before the next; the tree of the write that
 * committed goes to the memo (which takes its own reference).
 */
#include "model/profile_write.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_compact.h"
#include "core/json_fastload.h"
#include "core/limits.h"
#include "core/strutil.h"
#include "model/profile.h"
#include "model/profile_memo.h"

static const char UNREADABLE[] = "The stored profile could not be read.";

/* One attempt's state. */
typedef struct {
    pd_user user;           /* as read */
    json_t *merged;         /* the new document */
    char *text;             /* ... encoded (malloc'd) */
    bool canonical;         /* merged may be merged into in place later */
} attempt;

static void attempt_clear(attempt *a)
{
    pd_user_clear(&a->user);
    json_decref(a->merged);
    free(a->text);
    a->merged = NULL;
    a->text = NULL;
}

/* patch merged into doc (whose reference it takes): in place when doc is
 * the caller's alone (taken from the memo), else into a copy; NULL on
 * failure. */
static json_t *merge_doc(json_t *doc, bool taken, const json_t *patch, bool *canonical)
{
    json_t *merged = taken ? doc : profile_merge_canon(doc, patch, canonical);

    if (!taken)
        json_decref(doc);
    else if (!profile_merge_into(merged, patch, canonical)) {
        json_decref(merged);
        merged = NULL;
    }
    return merged;
}

/* Encodes a->merged into a->text (json_dumps' compact bytes). */
static pd_err encode(attempt *a)
{
    a->text = json_compact_encode(a->merged, NULL);
    if (a->text == NULL)                    /* a real number: jansson's own formatting */
        a->text = json_dumps(a->merged, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return a->text != NULL ? PD_OK : PD_ERR_INTERNAL;
}

/* Reads the user (the current transaction's view, if any), merges patch
 * into the stored document and encodes the result.  The stored document is
 * parsed only when the memo does not hold the tree of that exact text, and
 * copied only when the memo cannot hand that tree over. */
static pd_err read_merge(pd_store *st, const char *user_id, const json_t *patch, attempt *a,
                         profile_write_out *out)
{
    attempt_clear(a);
    pd_err e = st->ops->get_user(st, user_id, &a->user);
    if (e != PD_OK)
        return e == PD_ERR_NOT_FOUND ? PD_ERR_NOT_FOUND : PD_ERR_STORE;
    json_t *doc = profile_memo_take(user_id, a->user.version, a->user.profile_json);
    bool taken = doc != NULL;
    if (doc == NULL)
        doc = profile_memo_get(user_id, a->user.version, a->user.profile_json);
    if (doc == NULL)
        doc = json_load_str(a->user.profile_json, 0, NULL);
    if (doc == NULL) {
        out->reason = UNREADABLE;
        return PD_ERR_INTERNAL;
    }
    a->merged = merge_doc(doc, taken, patch, &a->canonical);
    if (a->merged == NULL)
        return PD_ERR_INTERNAL;
    return encode(a);
}

/* The write without a read: when the memo holds a tree this process
 * stored for the user, the patch is merged into it (in place when the memo
 * can hand it over, else into a copy) and written on the condition that
 * the row still has that version and that text (one statement, no read
 * transaction before it).  PD_OK: written; anything
 * else: nothing was written, read and merge as usual (a write by anyone
 * else changed the version or the text; the tree, changed in place, is
 * dropped). */
static pd_err write_unread(pd_store *w, const char *user_id, const json_t *patch, attempt *a)
{
    char now[40];
    int64_t version;
    char *text;
    bool taken;

    attempt_clear(a);
    json_t *doc = profile_memo_latest(user_id, &version, &text, &taken);
    if (doc == NULL)
        return PD_ERR_NOT_FOUND;
    a->user.version = version;
    a->user.profile_json = text;            /* owned by a->user from here */
    a->merged = merge_doc(doc, taken, patch, &a->canonical);
    if (a->merged == NULL || encode(a) != PD_OK)
        return PD_ERR_INTERNAL;
    time_now_iso(now, sizeof(now));
    return w->ops->update_profile_if(w, user_id, version, text, a->text, now);
}

/* The read-merge-write on w, the lane or st itself. */
static pd_err write_on(pd_store *w, const char *user_id, const json_t *patch, attempt *a,
                       profile_write_out *out)
{
    const pd_store_ops *ops = w->ops;
    char now[40];
    pd_err e;

    if (ops->update_profile_if != NULL && write_unread(w, user_id, patch, a) == PD_OK)
        return PD_OK;
    for (int i = 0; ops->update_profile_if != NULL && i < LIM_PUT_OPTIMISTIC_TRIES; i++) {
        e = read_merge(w, user_id, patch, a, out);
        if (e != PD_OK)
            return e;
        time_now_iso(now, sizeof(now));
        e = ops->update_profile_if(w, user_id, a->user.version, a->user.profile_json, a->text,
                                   now);
        if (e == PD_OK)
            return PD_OK;
        if (e != PD_ERR_NOT_FOUND)          /* NOT_FOUND: written since it was read */
            return PD_ERR_STORE;
    }
    if (ops->begin(w) != PD_OK)
        return PD_ERR_STORE;
    e = read_merge(w, user_id, patch, a, out);
    if (e == PD_OK) {
        time_now_iso(now, sizeof(now));
        if (ops->update_profile(w, user_id, a->text, now) != PD_OK)
            e = PD_ERR_STORE;
    }
    if (e != PD_OK) {
        ops->rollback(w);
        return e;
    }
    if (ops->commit(w) == PD_OK)
        return PD_OK;
    ops->rollback(w);                       /* a failed COMMIT may leave it open */
    return PD_ERR_STORE;
}

pd_err profile_write(pd_store *st, const char *user_id, const json_t *patch,
                     profile_write_out *out)
{
    attempt a = {0};

    out->read_version = 0;
    out->reason = NULL;
    if (st == NULL || user_id == NULL || patch == NULL)
        return PD_ERR_INTERNAL;
    pd_store *w = pd_store_lane_enter(st);
    pd_err e = write_on(w, user_id, patch, &a, out);
    pd_store_lane_leave(st, w);
    if (e == PD_OK) {
        /* the write moved the version by one: the next write of this user
         * merges into this tree instead of parsing the text again */
        out->read_version = a.user.version;
        profile_memo_put(user_id, a.user.version + 1, a.text, a.merged, a.canonical);
    }
    attempt_clear(&a);
    return e;
}
