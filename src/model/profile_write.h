/*
 * profile_write.h - the one read-merge-write of a user's stored userProfile
 * document, shared by REST PUT .../profile, SOAP SetUserProfile and the
 * profile page: read the user, merge a validated patch into the stored
 * document (model/profile.h), encode it, and store it so that two
 * concurrent partial updates never lose each other's members.
 *
 * The work runs on the write lane of st's database (store/lane.h): st may be
 * the lane itself (the eSignature prelude entered it already) or a worker's
 * own handle (entered and left here).  The merge starts from the memo's
 * tree when the memo holds the text read (model/profile_memo.h), in place
 * when the memo can hand it over; the write is optimistic where the backend
 * offers it (update_profile_if: another process may have written the user;
 * then it reads again, LIM_PUT_OPTIMISTIC_TRIES times), else, and after
 * that, one write transaction (begin .. commit).  PD_OK only once the
 * commit that holds the update is done.
 *
 * Memory: nothing is kept by the caller; the tree written goes to the memo.
 */
#ifndef PROFILED_MODEL_PROFILE_WRITE_H
#define PROFILED_MODEL_PROFILE_WRITE_H

#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "store/store.h"

typedef struct {
    int64_t read_version;   /* PD_OK: the version the write replaced (the user's is now one more) */
    const char *reason;     /* PD_ERR_INTERNAL: a message for the client (static), or NULL */
} profile_write_out;

/* Applies patch (validated by profile_validate_update) to user_id's stored
 * document.  Call it outside any transaction of st, and not while this
 * thread holds the lane of another handle.  Returns PD_OK, PD_ERR_NOT_FOUND
 * (no such user), PD_ERR_STORE (the database failed; nothing was written) or
 * PD_ERR_INTERNAL (the stored document could not be read, or out of memory;
 * out->reason says which). */
pd_err profile_write(pd_store *st, const char *user_id, const json_t *patch,
                     profile_write_out *out);

#endif
