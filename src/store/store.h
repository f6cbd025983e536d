/*
 * store.h - the storage interface: a table of operations.
 *
 * Handlers and the CLI talk to storage only through pd_store.  A backend
 * (store/sqlite.c today, PostgreSQL later) fills a pd_store_ops table.  The
 * store makes no security decisions: auth/policy.c decides, the store only reads
 * and writes.  All SQL uses bound parameters.
 *
 * Threads: one pd_store (one connection) per thread; never share a handle.
 *
 * Memory: every out-struct filled by a get_* call owns its heap strings;
 * release it with the matching pd_*_clear().  Strings passed in are borrowed
 * for the duration of the call.
 *
 * Returns: PD_OK, PD_ERR_NOT_FOUND when the row does not exist, PD_ERR_STORE
 * on any database failure (details logged by the backend).
 */
#ifndef PROFILED_STORE_H
#define PROFILED_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "core/error.h"

typedef struct {
    char *id;               /* GUID                          */
    char *name;
    int64_t site_id;        /* DocuSign site number, 0 when none */
    char *site_name;        /* NULL when none                */
} pd_org;

typedef struct {
    char *id;               /* account GUID                  */
    int64_t external_id;    /* external account number (>0)  */
    char *name;
    char *organization_id;  /* NULL when none                */
} pd_account;

typedef struct {
    char *id;               /* permission profile id (string of digits in DocuSign) */
    char *name;
} pd_perm_profile;

typedef struct {
    char *id;               /* group id   */
    char *name;
    char *type;             /* "AdminGroup", "EveryoneGroup", "CustomGroup" ... */
} pd_group;

typedef struct {
    char *account_id;       /* account GUID */
    char *user_id;
    bool is_admin;
    char *permission_profile_id;   /* NULL when none */
    char *permission_profile_name; /* filled by get_membership; NULL when none */
    char *added;            /* when the user joined the account, ISO-8601 UTC; NULL when unknown.
                               upsert_membership: NULL keeps the stored date (now for a new one) */
    pd_group *groups;       /* filled by get_membership */
    size_t n_groups;
    char **group_ids;       /* used by upsert_membership (input only) */
    size_t n_group_ids;
} pd_membership;

typedef struct {
    char *id;               /* user GUID */
    char *email;            /* lower-cased on write */
    char *status;           /* "Active", "Closed", ... */
    char *created;          /* ISO-8601 UTC, e.g. 2024-01-02T03:04:05.0000000Z */
    char *modified;         /* userProfileLastModifiedDate */
    char *last_login;       /* NULL when never */
    char *password_hash;    /* libsodium crypto_pwhash_str, NULL when none */
    char *profile_json;     /* the stored userProfile document (see model/profile.h) */
    int64_t version;        /* increments on every write of the user row */
    bool has_image;
    char *image_etag;       /* NULL when no image */
    char *default_account_id; /* filled by get_user, get_user_by_email and
                                 get_member_user only: the user's account with the
                                 lowest account number (the first of
                                 each_account_of_user; their default account); NULL when
                                 in none, and in every other op's rows */
} pd_user;

typedef struct {
    unsigned char *bytes;
    size_t len;
    char *content_type;     /* image/png ... */
    char *etag;             /* quoted strong etag, e.g. "\"3f2a...\"" */
} pd_image;

/* An OAuth integration (client).  Arrays are owned like the strings. */
typedef struct {
    char *key;              /* integration key = client_id = JWT iss */
    char *name;
    char *secret_hash;      /* Argon2id (crypto_pwhash_str), NULL when none */
    char *allowed_scopes;   /* space separated */
    char **redirect_uris;
    size_t n_redirect_uris;
    char **public_keys;     /* PEM SubjectPublicKeyInfo (RSA) */
    size_t n_public_keys;
} pd_integration;

typedef struct {
    char *integration_key;
    char *user_id;
    char *scopes;           /* space separated scopes the user granted */
} pd_consent;

typedef enum { PD_GRANT_CODE = 0, PD_GRANT_REFRESH, PD_GRANT_SESSION } pd_grant_kind;

typedef struct {
    unsigned char hash[32];   /* BLAKE2b-256 of the secret value */
    pd_grant_kind kind;
    char *family;             /* codes and the refresh tokens they lead to share one */
    char *integration_key;    /* NULL for sessions */
    char *user_id;
    char *redirect_uri;       /* codes; NULL otherwise */
    char *scopes;             /* NULL for sessions */
    char *code_challenge;     /* codes with PKCE (S256); NULL otherwise */
    int64_t expires;          /* Unix seconds */
    bool used, revoked;
} pd_grant;

typedef struct {
    int64_t failures;         /* failures in the current window */
    int64_t window_start;     /* Unix seconds */
    int64_t locked_until;     /* Unix seconds, 0 = not locked */
} pd_throttle;

/* ---- organizations (Admin API, docs/admin.md; migration 4) ---- */

typedef struct {
    char *organization_id;
    char *user_id;
} pd_org_admin;

typedef struct {
    char *id;               /* GUID */
    char *organization_id;
    char *domain;           /* lower-cased, e.g. "acme.test" */
    char *status;           /* "active", "pending", ... */
} pd_org_domain;

typedef struct {
    char *id;               /* GUID */
    char *user_id;
    char *provider_id;
    char *immutable_id;
} pd_identity;

/* A membership of a user in one account of an organization, with the
 * account it belongs to (groups filled as by get_membership). */
typedef struct {
    pd_account account;
    pd_membership membership;
} pd_org_membership;

/* A page of an organization's users, in user-id order.  NULL members do
 * not filter.  Strings are borrowed for the call. */
typedef struct {
    const char *organization_id;
    const char *email;          /* exact (case-insensitive) */
    const char *like;           /* substring of the email or the stored userName (case-insensitive) */
    const char *statuses;       /* users.status values allowed, as ",Active,Closed," */
    const char *account_id;     /* member of this account (GUID) */
    const char *domain_id;      /* email in this reserved domain of the organization */
    const char *modified_since; /* users.modified >= this (same ISO-8601 UTC format) */
    int64_t start;              /* rows skipped, >= 0 */
    int64_t take;               /* rows at most, >= 1 */
} pd_org_user_query;

/* One rate-limit counter to sync (rate_sync): what this node counted
 * since its last sync goes in, the total of every node comes out. */
typedef struct {
    const char *key;          /* borrowed, e.g. "account:<GUID>" */
    int64_t span;             /* window length, seconds (3600, 30) */
    int64_t window;           /* window start, Unix seconds */
    int64_t delta;            /* calls to add, >= 0 (0: only read) */
    int64_t total;            /* out: the counter after adding */
} pd_rate_row;
/* A share link of an ID card (docs/pages.md; migration 7). */
typedef struct {
    char *id;               /* 32 lower-case hex digits (16 random bytes) */
    char *user_id;
    int64_t created;        /* Unix seconds */
    int64_t expires;        /* Unix seconds */
    bool revoked;
} pd_share_link;

typedef struct pd_store pd_store;

typedef int (*pd_iter_fn)(void *ctx, const void *row); /* non-zero stops */

typedef struct {
    const char *name;                                   /* "sqlite" */
    void   (*close)(pd_store *s);
    pd_err (*migrate)(pd_store *s, int *from, int *to);  /* to latest */
    pd_err (*begin)(pd_store *s);
    pd_err (*commit)(pd_store *s);
    pd_err (*rollback)(pd_store *s);

    /* lookups */
    pd_err (*get_account)(pd_store *s, const char *ref, pd_account *out); /* ref: GUID or external number */
    pd_err (*get_user)(pd_store *s, const char *user_id, pd_user *out);
    pd_err (*get_user_by_email)(pd_store *s, const char *email, pd_user *out);
    pd_err (*get_membership)(pd_store *s, const char *account_id, const char *user_id, pd_membership *out);
    /* get_membership and get_user of one user: on PostgreSQL one statement
     * (inside a write transaction the two lookups, the user FOR UPDATE), on
     * SQLite one read transaction.  PD_ERR_NOT_FOUND when the user is not a
     * member of the account (or does not exist); on any error both outs are
     * left empty */
    pd_err (*get_member_user)(pd_store *s, const char *account_id, const char *user_id,
                              pd_membership *m, pd_user *u);
    pd_err (*count_users)(pd_store *s, int64_t *out);

    /* profile writes: fails with PD_ERR_NOT_FOUND if user missing */
    pd_err (*update_profile)(pd_store *s, const char *user_id, const char *profile_json, const char *modified);

    /* image */
    pd_err (*get_image)(pd_store *s, const char *user_id, pd_image *out);
    pd_err (*put_image)(pd_store *s, const char *user_id, const unsigned char *bytes, size_t len,
                        const char *content_type, const char *etag, const char *modified);
    pd_err (*delete_image)(pd_store *s, const char *user_id, const char *modified); /* NOT_FOUND if none */

    /* signing keys for access tokens: kid + 32-byte secret */
    pd_err (*get_signing_keys)(pd_store *s, pd_iter_fn fn, void *ctx);   /* row: const pd_signing_key * */
    pd_err (*add_signing_key)(pd_store *s, const char *kid, const unsigned char *secret, size_t len, int64_t created);
    /* delete_signing_key: NOT_FOUND when there is no such key */

    /* import (upsert) */
    pd_err (*upsert_org)(pd_store *s, const pd_org *o);
    pd_err (*upsert_account)(pd_store *s, const pd_account *a);
    pd_err (*upsert_perm_profile)(pd_store *s, const char *account_id, const pd_perm_profile *p);
    pd_err (*upsert_group)(pd_store *s, const char *account_id, const pd_group *g);
    pd_err (*upsert_user)(pd_store *s, const pd_user *u);       /* keeps password_hash when u->password_hash is NULL */
    pd_err (*upsert_membership)(pd_store *s, const pd_membership *m); /* replaces the group set; bumps the user's version */

    /* export: rows handed to fn are borrowed for the call */
    pd_err (*each_org)(pd_store *s, pd_iter_fn fn, void *ctx);          /* const pd_org *       */
    pd_err (*each_account)(pd_store *s, pd_iter_fn fn, void *ctx);      /* const pd_account *   */
    pd_err (*each_perm_profile)(pd_store *s, const char *account_id, pd_iter_fn fn, void *ctx); /* const pd_perm_profile * */
    pd_err (*each_group)(pd_store *s, const char *account_id, pd_iter_fn fn, void *ctx);        /* const pd_group * */
    pd_err (*each_user)(pd_store *s, pd_iter_fn fn, void *ctx);         /* const pd_user * (no image bytes) */
    pd_err (*each_membership)(pd_store *s, pd_iter_fn fn, void *ctx);   /* const pd_membership * with group_ids */

    /* message of the most recent failure on this handle ("" when none) */
    const char *(*last_error)(pd_store *s);

    /* A read transaction (one snapshot, no write lock); end with commit or rollback. */
    pd_err (*begin_read)(pd_store *s);
    /* begin_read where it makes the reads that follow cheaper (SQLite: one
     * WAL read lock for all of them instead of one each); NULL where it
     * would cost round trips of its own (PostgreSQL: BEGIN and ROLLBACK).
     * For a handler whose reads need no common snapshot - each read is then
     * its own.  Call through pd_store_begin_read_batch. */
    pd_err (*begin_read_batch)(pd_store *s);
    /* Cache validation in one statement: the version of user_a when it
     * exists and is Active (else -1: callers use it to refuse inactive users),
     * the version of user_b (-1 when missing), and the tenant generation,
     * which every import bumps. */
    pd_err (*get_versions)(pd_store *s, const char *user_a, const char *user_b,
                           int64_t *va, int64_t *vb, int64_t *generation);
    pd_err (*bump_generation)(pd_store *s);

    /* ---- OAuth (docs/oauth.md): integrations, consents, grants, throttling ---- */
    pd_err (*get_integration)(pd_store *s, const char *key, pd_integration *out);
    /* Upserts the row and replaces its redirect URIs and public keys; keeps
     * the stored secret_hash when in->secret_hash is NULL. */
    pd_err (*upsert_integration)(pd_store *s, const pd_integration *in);
    pd_err (*add_integration_key)(pd_store *s, const char *key, const char *pem); /* NOT_FOUND: no integration */
    pd_err (*delete_integration)(pd_store *s, const char *key);                   /* NOT_FOUND if none */
    pd_err (*each_integration)(pd_store *s, pd_iter_fn fn, void *ctx);            /* const pd_integration * (complete) */
    pd_err (*put_consent)(pd_store *s, const pd_consent *c);                      /* upsert */
    pd_err (*get_consent)(pd_store *s, const char *key, const char *user_id, pd_consent *out);
    pd_err (*each_consent)(pd_store *s, const char *key, pd_iter_fn fn, void *ctx); /* const pd_consent * */
    /* Grants: authorization codes, refresh tokens and sign-in sessions,
     * stored by the BLAKE2b-256 hash of their secret value only. */
    pd_err (*put_grant)(pd_store *s, const pd_grant *g);
    pd_err (*get_grant)(pd_store *s, const unsigned char hash[32], pd_grant *out);
    /* Marks the grant used in one transaction and returns it; out->used
     * tells whether it had been used before (a replay). */
    pd_err (*use_grant)(pd_store *s, const unsigned char hash[32], pd_grant *out);
    pd_err (*revoke_grant_family)(pd_store *s, const char *family);
    pd_err (*delete_grant)(pd_store *s, const unsigned char hash[32]);
    pd_err (*purge_grants)(pd_store *s, int64_t now);                             /* drops expired grants */
    pd_err (*get_throttle)(pd_store *s, const char *key, pd_throttle *out);       /* zeroed + PD_OK when none */
    pd_err (*put_throttle)(pd_store *s, const char *key, const pd_throttle *t);
    /* A sign-in: last_login and/or profile_json (NULL keeps each); bumps the
     * user's version; users.modified does not move. */
    pd_err (*record_login)(pd_store *s, const char *user_id, const char *last_login,
                           const char *profile_json);
    /* The accounts a user is a member of, by external number. */
    pd_err (*each_account_of_user)(pd_store *s, const char *user_id, pd_iter_fn fn, void *ctx); /* const pd_account * */

    /* ---- OAuth throttling, atomic (docs/oauth.md "Sign-in, throttling") ---- */
    /* Takes one attempt against a throttle key in one write transaction.
     * When the key is locked at now (locked_until > now) nothing changes
     * and *refused is true.  Otherwise the attempt is counted: a new window
     * starts when there is none, it is over (window_start + window_s <= now)
     * or a lock has expired; when failures reach max, locked_until becomes
     * now + lock_s.  *out (may be NULL) gets the row as it is afterwards, so
     * out->locked_until > now means this attempt set the lock. */
    pd_err (*throttle_attempt)(pd_store *s, const char *key, int64_t now, int64_t window_s,
                               int64_t max, int64_t lock_s, pd_throttle *out, bool *refused);
    /* Gives one counted attempt back (it turned out to be a success):
     * failures - 1 (not below 0); a lock is lifted when failures drop
     * below max.  PD_OK when the key does not exist. */
    pd_err (*throttle_refund)(pd_store *s, const char *key, int64_t max);
    pd_err (*delete_signing_key)(pd_store *s, const char *kid);
    /* The backend can still serve: for SQLite, the database file this handle
     * opened is still the one at its path (not deleted, moved or replaced
     * while running).  PD_OK or PD_ERR_STORE (reason in last_error). */
    pd_err (*check)(pd_store *s);

    /* ---- organizations (Admin API, docs/admin.md) ---- */
    pd_err (*get_org)(pd_store *s, const char *org_id, pd_org *out);
    /* PD_OK when user_id administers org_id, PD_ERR_NOT_FOUND when not. */
    pd_err (*check_org_admin)(pd_store *s, const char *org_id, const char *user_id);
    pd_err (*upsert_org_admin)(pd_store *s, const pd_org_admin *a);
    pd_err (*upsert_org_domain)(pd_store *s, const pd_org_domain *d);
    pd_err (*upsert_identity)(pd_store *s, const pd_identity *i);
    pd_err (*each_org_admin)(pd_store *s, pd_iter_fn fn, void *ctx);      /* const pd_org_admin * */
    pd_err (*each_org_domain)(pd_store *s, pd_iter_fn fn, void *ctx);     /* const pd_org_domain * */
    pd_err (*each_identity)(pd_store *s, pd_iter_fn fn, void *ctx);       /* const pd_identity * */
    /* A user of the organization (a member of one of its accounts) by email
     * or by id: PD_ERR_NOT_FOUND when there is none, or the user is not in it.
     * No password hash; profile_json holds only userDetails.firstName,
     * lastName, userName and userSettings (null when absent). */
    pd_err (*get_org_user_by_email)(pd_store *s, const char *org_id, const char *email, pd_user *out);
    pd_err (*get_org_user)(pd_store *s, const char *org_id, const char *user_id, pd_user *out);
    /* One page of q: rows (const pd_user *) to fn, and *total, the size of
     * the whole filtered set.  One read snapshot.  A row has no password
     * hash, and its profile_json holds only userDetails.firstName, lastName
     * and userName (null when absent), not the whole document. */
    pd_err (*list_org_users)(pd_store *s, const pd_org_user_query *q, int64_t *total,
                             pd_iter_fn fn, void *ctx);
    /* The user's memberships in accounts of the organization, by account
     * number; *out is malloc'd (free with pd_org_memberships_free), NULL when none. */
    pd_err (*get_org_memberships)(pd_store *s, const char *org_id, const char *user_id,
                                  pd_org_membership **out, size_t *n);
    pd_err (*each_identity_of_user)(pd_store *s, const char *user_id, pd_iter_fn fn, void *ctx);

    /* ---- rate limits (auth/ratelimit.c) ---- */
    /* In one write transaction: adds each row's delta to its counter
     * (created at 0) and reads its total back; then, when purge_before > 0,
     * drops counters whose window ended before it. */
    pd_err (*rate_sync)(pd_store *s, pd_rate_row *rows, size_t n, int64_t purge_before);
    /* Deletes the whole tenant (organizations, accounts, users, memberships,
     * images, integrations, grants, throttles, Admin API tables) and keeps
     * the signing keys and the schema.  Only inside a transaction (begin),
     * so a replacing import is seen whole or not at all; the caller bumps
     * the generation. */
    pd_err (*wipe_tenant)(pd_store *s);
    /* ---- ID-card share links (docs/pages.md, migration 7) ---- */
    pd_err (*put_share_link)(pd_store *s, const pd_share_link *l);
    pd_err (*get_share_link)(pd_store *s, const char *id, pd_share_link *out);
    /* Marks the link of user_id revoked: NOT_FOUND when user_id has no such link. */
    pd_err (*revoke_share_link)(pd_store *s, const char *user_id, const char *id);
    /* The user's links not yet expired at now, newest first (const pd_share_link *). */
    pd_err (*each_share_link_of_user)(pd_store *s, const char *user_id, int64_t now,
                                      pd_iter_fn fn, void *ctx);

    /* ---- bulk import (optional: NULL when the backend has none; cli/import.c) ---- */
    /* Inside the caller's write transaction (begin), until it ends:
     * upsert_user and upsert_membership may be queued and written in batches
     * (one statement per table and batch), and every other operation first
     * writes what is queued.  A batch that fails is undone and replayed row
     * by row with the ordinary operations, so the failure, its last_error and
     * the rows before it are exactly those of the one-by-one import; the
     * operation that wrote the batch returns the failure.  bulk_mark names
     * the record the rows queued next come from ("users[12]"); bulk_failed
     * gives the record of the row that failed ("" when the last failure was
     * not a queued row's); bulk_flush writes what is queued. */
    void (*bulk_start)(pd_store *s);
    void (*bulk_mark)(pd_store *s, const char *record);
    pd_err (*bulk_flush)(pd_store *s);
    const char *(*bulk_failed)(pd_store *s);
    /* ---- bulk load (cli/import.c; optional: NULL when a backend has none) ----
     * bulk_begin opens the one transaction of a tenant load (as begin),
     * deleting the tenant first when replace is true (as wipe_tenant).
     * alone: nothing else uses the database during the load (the import
     * command), so the backend may lock others out for speed (SQLite: a
     * rollback journal instead of WAL).  Until bulk_end, upsert_membership
     * does not bump the user's version: the caller bumps the generation,
     * which every cache checks too.  bulk_end commits (commit true) or rolls
     * back, and restores the connection's settings either way; a failed
     * commit is rolled back. */
    pd_err (*bulk_begin)(pd_store *s, bool replace, bool alone);
    pd_err (*bulk_end)(pd_store *s, bool commit);
    /* ---- optimistic profile write (PUT profile; optional: NULL when a
     * backend has none, and the caller then reads and writes inside begin ..
     * commit) ----
     * Stores profile_json (and modified, and bumps the version) only while the
     * user's version is still `version` and its document still `read_json`,
     * both as get_user returned them, as a transaction of its own: call it
     * outside begin .. commit.  PD_OK once committed; PD_ERR_NOT_FOUND when
     * no user has that id, version and document (it changed since it was
     * read, or the user is gone): read again and retry.  So the document is
     * read, merged and encoded without the write lock. */
    pd_err (*update_profile_if)(pd_store *s, const char *user_id, int64_t version,
                                const char *read_json, const char *profile_json,
                                const char *modified);
    /* ---- the write lane (optional: NULL when a backend has none) ----
     * The lane (store/lane.h) of the database this handle is connected to,
     * or NULL; use it through pd_store_lane_enter / pd_store_lane_leave. */
    struct pd_lane *(*lane)(pd_store *s);
    /* ---- group commit (optional: NULL when a backend has none) ----
     * group_begin opens one write transaction (SQLite: the write lock held) that
     * the operations after it join until group_end: begin / commit /
     * rollback inside it become a savepoint and its release or rollback (a
     * rollback with no savepoint open does nothing), update_profile_if runs
     * inside it.  group_end commits (commit true) or rolls back and returns
     * PD_OK only when it committed.  group_open is true while that
     * transaction is still open: a statement that failed hard (a trigger's
     * RAISE(ROLLBACK), a full disk) may have rolled it back, and with it
     * every write made in the group so far (PostgreSQL: a failed
     * statement no savepoint took back, or a lost connection).
     * http/writeq.c uses them on the write lane's connection (SQLite) or on
     * its thread's own connection (PostgreSQL, which has no lane). */
    pd_err (*group_begin)(pd_store *s);
    pd_err (*group_end)(pd_store *s, bool commit);
    bool (*group_open)(pd_store *s);
} pd_store_ops;

typedef struct {
    char *kid;
    unsigned char secret[32];
    int64_t created;
} pd_signing_key;

struct pd_store {
    const pd_store_ops *ops;
    void *impl;             /* backend state */
};

/* Opens a store from a URL: "sqlite:PATH" or "sqlite::memory:", creating
 * an empty database when there is none (import, migrate, serve --create).
 * On error returns NULL and writes a reason to errbuf. Caller closes with
 * pd_store_close. */
pd_store *pd_store_open(const char *url, char *errbuf, size_t errlen);
/* The same, but a database that does not exist is an error, never a new
 * empty one (serve, its workers, and every command that only reads). */
pd_store *pd_store_open_existing(const char *url, char *errbuf, size_t errlen);
void pd_store_close(pd_store *s);
/* Warns (log, component "store") about every file of the database at url
 * that group or others may access (sqlite: PATH, PATH-wal, PATH-shm,
 * PATH-changes (store/changes.h); other
 * backends have no local files).  Returns how many it warned about. */
int pd_store_warn_exposed(const char *url);

/* The message of the most recent failure on this handle (e.g. "upsert_membership:
 * FOREIGN KEY constraint failed (...)"), "" when none; never NULL.  Valid
 * until the next call on the handle.  NULL s gives "". */
const char *pd_store_last_error(pd_store *s);

/* For a request that writes: this process's one connection to s's
 * database for writing requests (store/lane.h), held by the caller alone
 * until pd_store_lane_leave, or s itself when the backend has none or it
 * cannot be opened.  Do every read the write depends on and the write
 * through what it returns; call it outside any transaction of s, and do
 * not enter it twice on one thread (entering with the lane's own handle is
 * a no-op that returns it: model/profile_write.c, and the handlers the
 * write queue runs with that handle as their thread's own, rely on that).
 * True when s's backend has a lane: pd_store_has_lane. */
pd_store *pd_store_lane_enter(pd_store *s);
bool pd_store_has_lane(pd_store *s);
/* Whether writes are worth one queue per process (http/writeq.c): s has a
 * lane (SQLite files; not in-memory databases), or its backend has no lanes
 * but group commit (PostgreSQL). */
bool pd_store_queues_writes(pd_store *s);
/* Ends what pd_store_lane_enter(s) began (held: what it returned); a
 * transaction left open on the lane is rolled back. */
void pd_store_lane_leave(pd_store *s, pd_store *held);

/* ops->begin_read_batch when the backend has it: true when a read
 * transaction is now open (end it with ops->rollback), false when not (no
 * such op, or it failed: the reads that follow run each on its own). */
bool pd_store_begin_read_batch(pd_store *s);

void pd_org_clear(pd_org *o);
void pd_account_clear(pd_account *a);
void pd_membership_clear(pd_membership *m);
void pd_user_clear(pd_user *u);
void pd_image_clear(pd_image *i);
void pd_integration_clear(pd_integration *it);
void pd_consent_clear(pd_consent *c);
void pd_grant_clear(pd_grant *g);
void pd_org_memberships_free(pd_org_membership *v, size_t n);
void pd_share_link_clear(pd_share_link *l);

/* The URL fit for a log line or message: a password in it
 * ("postgresql://user:secret@host/db") becomes "***".  Returns buf. */
const char *pd_store_url_redacted(const char *url, char *buf, size_t len);

/* SQLite durability for the connections opened from now on in this process
 * (serve --db-sync): false = synchronous=NORMAL (the default: a commit
 * survives kill -9 of the process, the last ones may be lost on power loss
 * or an OS crash), true = synchronous=FULL (the WAL is synced at every
 * commit).  Other backends ignore it. */
void pd_store_sqlite_set_sync_full(bool full);

/* Backend constructors (called by pd_store_open). */
pd_store *pd_store_sqlite_open(const char *path, bool create, char *errbuf, size_t errlen);
/* conninfo: a libpq URL, "postgresql://..." or "postgres://..." (store/pg.c). */
pd_store *pd_store_pg_open(const char *conninfo, bool create, char *errbuf, size_t errlen);

#endif
