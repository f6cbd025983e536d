/*
 * query.h - the pure parts of the Admin API (docs/admin.md): query values
 * (integers, booleans, ISO 8601 dates, status lists), the paging arithmetic
 * of user lists, URL escaping for paging links, and the mapping of stored
 * values to the Admin API's spellings.  No I/O, no allocation: every output
 * goes to a caller-owned buffer.
 */
#ifndef PROFILED_ADMIN_QUERY_H
#define PROFILED_ADMIN_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Normalised dates: "YYYY-MM-DDTHH:MM:SS.fffffffZ" (UTC, 7 fraction digits),
 * the format users.created/modified are stored in, so they compare as text. */
#define ADMIN_DATE_LEN 28

/*
 * Parses an ISO 8601 date-time ("2024-05-01T10:00:00Z", "...00.5+02:00",
 * "...00-0730") or a date alone ("2024-05-01", read as UTC midnight) and
 * writes it normalised to UTC into out (ADMIN_DATE_LEN + 1 bytes).  A
 * date-time without Z or an offset is refused (it would name a different
 * instant in every time zone), as are impossible fields (month 13, 30
 * February, hour 24), years outside 1..9999 and anything trailing.
 * 0, or -1.
 */
int admin_date_normalize(const char *in, char out[ADMIN_DATE_LEN + 1]);

/* "true"/"false" (case-insensitive) into *out. 0, or -1. */
int admin_parse_bool(const char *s, bool *out);

/* Decimal integer in [min, max] (no sign unless min < 0, no spaces). 0, or -1. */
int admin_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * The users.status values allowed by a `status` filter (user status:
 * active, created, closed) and a `membership_status` filter
 * (activation_required, activation_sent, active, closed, disabled), each
 * NULL or a comma-separated list (case-insensitive).  Writes the
 * intersection as ",Active,Closed," into out (an empty intersection gives
 * ",": nothing matches).  Returns 0; -1 for a bad `status` value, -2 for a
 * bad `membership_status` value, -3 when out is too small.  With both NULL
 * writes "" (no filter).
 */
int admin_status_filter(const char *status, const char *membership_status, char *out, size_t cap);

/* Admin spellings of a stored users.status: user_status (active, created,
 * closed) and membership status (active, activation_required, ...).  Never NULL. */
const char *admin_user_status(const char *stored);
const char *admin_membership_status(const char *stored);

/* Admin spelling of an eSignature group type: AdminGroup -> admin_group,
 * EveryoneGroup -> everyone_group, CustomGroup (and anything else) -> custom_group. */
const char *admin_group_type(const char *stored);

/* The page a list answer describes. */
typedef struct {
    int64_t end_position;    /* start + returned - 1; valid when returned > 0 */
    bool has_next;
    int64_t next_start;
    bool has_prev;
    int64_t prev_start;
} admin_paging;

/* Paging of a page that started at `start`, asked for `take` rows, got
 * `returned` of a filtered set of `total`: a next page when rows remain
 * after this one, a previous page when start > 0 (its start is
 * max(0, start - take)). */
void admin_paging_compute(int64_t start, int64_t take, int64_t returned, int64_t total,
                          admin_paging *out);

/* Appends s percent-encoded (everything but A-Z a-z 0-9 - . _ ~) to
 * out[*len..cap), keeping it NUL-terminated. 0, or -1 when it does not fit. */
int admin_url_append_escaped(char *out, size_t cap, size_t *len, const char *s);

#endif
