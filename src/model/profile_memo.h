/*
 * profile_memo.h - a process-wide memo of parsed stored profile documents,
 * so PUT profile does not parse the document it wrote a moment ago (the
 * common case: one user changing their profile repeatedly, from any worker
 * thread) before merging the next change into it; a tree nobody else
 * holds is even handed over to be merged into in place (profile_memo_take).
 *
 * An entry is the tree a write stored, under the user id, the version the
 * write gave the user and the exact text stored.  profile_memo_get answers
 * only when all three match what the caller just read from the store, so a
 * hit is a tree equal to json_loads(text): a write by anyone else (another
 * thread, node, import) changes the text or the version, and the caller
 * parses the text as before.  The trees are shared read-only between
 * threads (jansson's reference counts are atomic): never modify one that
 * profile_memo_get returned.
 *
 * Memory: LIM_PROFILE_MEMO_SLOTS slots (direct-mapped by user id), each
 * holding a copy of the text and a reference to the tree; a put replaces the
 * slot's entry and releases the old one.  profile_memo_get returns a new
 * reference (json_decref it).  profile_memo_clear releases everything.
 */
#ifndef PROFILED_MODEL_PROFILE_MEMO_H
#define PROFILED_MODEL_PROFILE_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* The tree stored as text for user_id at version, or NULL. */
json_t *profile_memo_get(const char *user_id, int64_t version, const char *text);
/* Remembers doc (takes a new reference; the caller keeps its own) as the
 * document stored as text for user_id at version; canonical: doc may be
 * merged into in place (model/profile.h, profile_merge_into) by whoever
 * takes it.  Best effort: does nothing when the text cannot be copied. */
void profile_memo_put(const char *user_id, int64_t version, const char *text, json_t *doc,
                      bool canonical);
/* The tree stored as text for user_id at version, handed over: the entry
 * leaves the memo and the caller owns the tree alone (it may modify it;
 * json_decref it).  NULL unless the entry is there, was put canonical, and
 * nobody else holds a reference to it (then profile_memo_get shares it). */
json_t *profile_memo_take(const char *user_id, int64_t version, const char *text);
/* The latest tree the memo holds for user_id, whatever its version, with
 * the version and the text it was stored as (*text malloc'd, the caller
 * frees it).  *taken: handed over as profile_memo_take does (the caller
 * may modify it); else shared as profile_memo_get does (never modify it).
 * The caller must not trust it as current: a conditional write (store
 * update_profile_if, which compares that version and text) tells.  NULL
 * (*text NULL) when there is none or out of memory. */
json_t *profile_memo_latest(const char *user_id, int64_t *version, char **text, bool *taken);
void profile_memo_clear(void);

#endif
