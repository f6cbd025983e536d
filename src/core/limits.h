/*
 * limits.h - every size, count and time limit of profiled, in one place.
 *
 * Each limit is named here and nowhere else; the code that enforces it
 * refers to the name.  Limits that an operator may change are defaults for
 * the matching configuration keys (see core/config.c), with their bounds.
 */
#ifndef PROFILED_PD_LIMITS_H
#define PROFILED_PD_LIMITS_H

/* ---- HTTP transport ---- */
#define LIM_HTTP_CONN_MAX_DEFAULT        1024   /* concurrent connections        */
#define LIM_HTTP_CONN_PER_IP_DEFAULT     256    /* concurrent connections per IP */
#define LIM_HTTP_TIMEOUT_S_DEFAULT       30     /* idle connection timeout, s    */
#define LIM_HTTP_CONN_MEMORY             (16 * 1024) /* per-connection memory pool: bounds the request
                                                        line + headers (libmicrohttpd 0.9.75 zeroes the
                                                        whole pool on every keep-alive request, so
                                                        bigger costs time on every request) */
#define LIM_HTTP_URL_MAX                 2048   /* bytes in the request target, path and query */
#define LIM_HTTP_QUERY_PARAMS_MAX        64     /* query parameters in one request target (414 beyond) */
/* How long a client may take, in all, to send what it owes (http/conn_guard.c);
 * libmicrohttpd's --timeout only counts inactivity, which a trickle resets. */
#define LIM_HTTP_FIRST_REQUEST_S         10     /* new connection: TLS handshake + request line + headers */
#define LIM_HTTP_HEADERS_S               10     /* the headers, once the request line is in */
#define LIM_HTTP_BODY_S                  30     /* the body, once the headers are in */
#define LIM_HTTP_HEADER_VALUE_MAX        8192   /* one header value (e.g. Authorization) */

/* ---- request bodies, per route class ---- */
#define LIM_BODY_DEFAULT                 (16 * 1024)   /* routes that take no body ({} tolerated) */
#define LIM_BODY_PROFILE                 (64 * 1024)   /* PUT profile (JSON or XML)   */
#define LIM_BODY_IMAGE_RAW               (200 * 1024)  /* image itself: "under 200 KB" (strictly less) */
#define LIM_BODY_IMAGE_UPLOAD            (LIM_BODY_IMAGE_RAW + 16 * 1024) /* image + multipart framing */
#define LIM_BODY_SOAP                    (512 * 1024)  /* SOAP envelope (base64 image inside) */
#define LIM_BODY_OAUTH                   (16 * 1024)   /* OAuth forms */
#define LIM_BODY_DRAIN_MAX               (16 * 1024 * 1024) /* an over-limit body already in flight is
                                                          read and dropped up to this, then 413;
                                                          beyond it the connection is cut */

/* ---- parsers ---- */
#define LIM_JSON_DEPTH                   16     /* nesting depth accepted in a JSON body */
#define LIM_XML_DEPTH                    32
#define LIM_XML_NODES                    20000  /* element + text nodes in one XML body */
#define LIM_MULTIPART_PARTS              8
#define LIM_MULTIPART_HEADER_BYTES       2048   /* header block of one part */
#define LIM_BOUNDARY_MAX                 70     /* RFC 2046 */

/* ---- profile fields (seed 001) ---- */
#define LIM_NAME_MAX                     50     /* firstName, middleName, lastName, suffixName */
#define LIM_USERNAME_MAX                 100    /* userName                              */
#define LIM_DETAILS_TITLE_MAX            10     /* userDetails.title (salutation)        */
#define LIM_PROFILE_TITLE_MAX            100    /* userProfile.title (job title)         */
#define LIM_ADDRESS_LINE_MAX             100    /* address1, address2                    */
#define LIM_ADDRESS_FIELD_MAX            100    /* city, state, postal code, country, phone, fax */
#define LIM_STRING_FIELD_MAX             500    /* any other string field                */
#define LIM_EMAIL_MAX                    100
#define LIM_SETTINGS_MAX                 100    /* items in customSettings / userSettings */
#define LIM_PASSWORD_MAX                 256

/* ---- ids ---- */
#define LIM_ID_MAX                       64     /* account / user / org id in a path */

/* ---- tokens ---- */
#define LIM_TOKEN_MAX                    4096   /* bytes of a bearer token */
#define LIM_TOKEN_TTL_DEFAULT_S          3600
#define LIM_TOKEN_TTL_MAX_S              (30 * 24 * 3600)
#define LIM_TOKEN_LEEWAY_S               60     /* clock skew allowed on iat */

/* ---- OAuth (docs/oauth.md) ---- */
#define LIM_OAUTH_FORM_FIELDS            16     /* fields in one form / query (duplicates rejected) */
#define LIM_FORM_FIELDS_MAX              32     /* fields in any urlencoded form (core/urlform.c; the profile form has 16) */
#define LIM_OAUTH_ASSERTION_MAX          8192   /* bytes of a JWT-bearer assertion (RS256 up to 4096-bit keys) */
#define LIM_OAUTH_ASSERTION_LIFETIME_S   3600   /* exp - iat of an assertion, at most */
#define LIM_OAUTH_ACCESS_TTL_S           3600   /* lifetime of issued access tokens */
#define LIM_OAUTH_CODE_TTL_S             300    /* authorization codes */
#define LIM_OAUTH_REFRESH_TTL_S          (30 * 24 * 3600) /* refresh tokens */
#define LIM_OAUTH_SESSION_TTL_S          1800   /* sign-in session cookie */
#define LIM_OAUTH_PEM_MAX                8192   /* one RSA public key, PEM */
#define LIM_OAUTH_KEYS_MAX               8      /* public keys per integration */
#define LIM_OAUTH_REDIRECTS_MAX          16     /* redirect URIs per integration */
#define LIM_OAUTH_REDIRECT_URI_MAX       512
#define LIM_OAUTH_STATE_MAX              256    /* state round-tripped to the client */
#define LIM_OAUTH_SECRET_MIN             16     /* integration secret length */
#define LIM_OAUTH_SECRET_MAX             256
#define LIM_OAUTH_RSA_BITS_MIN           2048
#define LIM_OAUTH_LOGIN_FAILS_MAX        5      /* failed sign-ins per account before the lock */
#define LIM_OAUTH_IP_FAILS_MAX           20     /* failed sign-ins per address before the block */
#define LIM_OAUTH_FAIL_WINDOW_S          900    /* failures are counted over this window */
#define LIM_OAUTH_LOCK_S                 900    /* lock / block duration */
#define LIM_OAUTH_CONSENTS_MAX           100000 /* consents in one import record */
#define LIM_OAUTH_PWHASH_THREADS_DIV     2      /* concurrent Argon2id verifications (sign-in, client
                                                   secrets): at most max(1, threads / this) process-wide;
                                                   beyond it 503 temporarily_unavailable, never a queue */
#define LIM_OAUTH_CLIENT_FAILS_MAX       20     /* failed client authentications per integration ... */
#define LIM_OAUTH_CLIENT_IP_FAILS_MAX    20     /* ... and per address, within LIM_OAUTH_FAIL_WINDOW_S,
                                                   before a LIM_OAUTH_LOCK_S block (429, no hashing) */
#define LIM_OAUTH_LOG_FIELD_MAX          64     /* bytes of one field of a security log line */

/* ---- legacy credentials (X-DocuSign-Authentication, WS-Security; auth/legacy.c) ---- */
#define LIM_LEGACY_CACHE_TTL_S           60     /* a verified Username/Password/IntegratorKey is
                                                   remembered this long (per worker thread) */
#define LIM_LEGACY_CACHE_SLOTS           256    /* remembered checks per worker thread */

/* ---- SOAP AccountManagement (soap/) ---- */
#define LIM_SOAP_DEPTH                   24     /* element nesting of an envelope */
#define LIM_SOAP_NODES                   4096   /* element + text nodes of an envelope */

/* ---- import ---- */
#define LIM_IMPORT_RECORD_MAX            (1024 * 1024) /* one record of an import file */
#define LIM_IMPORT_CACHE_KIB_STR         "65536" /* SQLite page cache during an import (KiB) */
#define LIM_IMPORT_SORT_KIB_STR          "16384" /* ... while it builds the indexes it set aside
                                                    (SQLite's sorter takes as much again) */

/* ---- store ---- */
#define LIM_DB_BUSY_TIMEOUT_MS           5000
#define LIM_DB_CACHE_KIB_STR             "8192" /* SQLite page cache per connection (KiB) */
#define LIM_DB_UNREACHABLE_RETRY_S_STR   "2"    /* Retry-After of a 503 answered while the database
                                                   is unreachable (docs/deploy.md) */

/* ---- Admin API (docs/admin.md) ---- */
#define LIM_ADMIN_TAKE_MAX               250    /* users in one page of a user list ("take") */
#define LIM_ADMIN_TAKE_DEFAULT           20     /* when take and end are absent */
#define LIM_ADMIN_START_MAX              2147483647 /* "start" (the spec's int32) */

/* ---- response headers ---- */
#define LIM_HSTS_MAX_AGE_STR             "31536000" /* Strict-Transport-Security max-age on HTTPS
                                                       answers, seconds (one year) */

/* ---- rate limits (auth/ratelimit.c; settings rate-limit-*) ---- */
#define LIM_RL_HOUR_S                    3600   /* the hourly window, aligned to the hour */
#define LIM_RL_BURST_S                   30     /* the burst window, aligned to multiples of 30 s */
#define LIM_RL_KEYS                      32768  /* counters held per node (a power of two); at half
                                                   full, a sync drops those of past hours */
#define LIM_RL_ANON_KEYS                 8192   /* of them, at most this many client addresses
                                                   (IPv6: one per /64); beyond: 429 */
#define LIM_RL_KEY_MAX                   64     /* bytes of a key, "account:<GUID>" ... */
#define LIM_RL_PURGE_EVERY               60     /* syncs between purges of ended windows in the store */
/* ---- test-control API (control/, docs/control.md) ---- */
#define LIM_CONTROL_TOKEN_MIN            16     /* characters of --control-token */
#define LIM_CONTROL_TOKEN_MIN_STR        "16"
#define LIM_CONTROL_TOKEN_MAX            256
#define LIM_CONTROL_JOURNAL_MAX          10000  /* --control-journal: requests kept (fixed-size
                                                   entries, about 4 KiB each, allocated at start) */
#define LIM_CONTROL_FIELD_MAX            512    /* bytes of a journal path or query (cut beyond) */
#define LIM_CONTROL_HEADERS_MAX          2048   /* bytes of a journal entry's request headers */
#define LIM_CONTROL_HEADER_VALUE_MAX     256    /* bytes of one header value in the journal */
#define LIM_CONTROL_RULES_MAX            64     /* fault rules at once */
#define LIM_CONTROL_LATENCY_MAX_MS       30000  /* latency one rule may add (it holds a worker) */
#define LIM_CONTROL_TENANT_MAX           (16 * 1024 * 1024) /* body of POST /_profiled/tenant */
#define LIM_CONTROL_TOKEN_TTL_MAX        86400  /* seconds of a token minted over the control API */
/* ---- browser pages (src/pages/, docs/pages.md) ---- */
#define LIM_PAGES_SESSION_TTL_S          3600   /* profile-page sign-in session cookie */
#define LIM_SHARE_LINK_TTL_MAX_S         604800 /* a share link lives at most 7 days */
#define LIM_SHARE_LINKS_MAX              20     /* unexpired share links per user */
#define LIM_CARD_ACCOUNTS_MAX            64     /* accounts of a user compared for card access */

/* ---- PostgreSQL backend (store/pg.c, docs/postgresql.md) ---- */
#define LIM_PG_CONNECT_TIMEOUT_S_STR     "3"     /* libpq connect_timeout, seconds */
#define LIM_PG_STATEMENT_TIMEOUT_MS_STR  "30000" /* server statement_timeout per statement */
#define LIM_PG_KEEPALIVE_IDLE_S_STR      "10"    /* TCP keepalive: idle before probing */
#define LIM_PG_KEEPALIVE_INTERVAL_S_STR  "5"     /* ... between probes */
#define LIM_PG_KEEPALIVE_COUNT_STR       "3"     /* ... probes lost before the link is dead */
#define LIM_PG_TCP_USER_TIMEOUT_MS_STR   "20000" /* unacknowledged data before the link is dead */
#define LIM_PG_PAGE_ROWS                 1000    /* rows per page of a large iteration (each_user ...) */
#define LIM_PG_BULK_ROWS                 1000    /* import: users or memberships written per batch statement */
#define LIM_PG_BULK_BYTES                (8 * 1024 * 1024) /* import: JSON of one batch at most (then written) */

/* ---- change signal and the versions memo (store/changes.c, store/versions.c) ---- */
#define LIM_CHANGES_CHECK_MS             250    /* SQLite: a reader re-checks the counter file's
                                                   path (deleted, replaced, truncated) this often */
#define LIM_VERSIONS_MEMO_SLOTS          4096   /* get_versions results kept per thread */
#define LIM_VERSIONS_MEMO_WAYS           4      /* ... in sets of this many (a stale or the
                                                   oldest one replaced) */
#define LIM_VERSIONS_CALLERS             2048   /* ... and callers' own tags (a miss of a new
                                                   (caller, target) pair reads the target only) */
#define LIM_VERSIONS_CALLER_WAYS         4      /* ... in sets of this many (oldest replaced) */
#define LIM_VERSIONS_MEMO_MAX_AGE_MS     1000   /* a memo entry is re-read after this even when the
                                                   stamp has not moved (bounds a missed signal:
                                                   a writer killed between COMMIT and bump, an edit
                                                   made outside profiled) */
#define LIM_PG_LISTEN_RETRY_MS           500    /* PostgreSQL: pause between LISTEN reconnects */
#define LIM_PG_LISTEN_PING_MS            1000   /* ... a query on the idle LISTEN connection this often */
#define LIM_PG_LISTEN_TIMEOUT_MS         3000   /* ... its answer later than this: connection down */
#define LIM_PG_LISTEN_POLL_REUSE_US      250    /* ... a request's poll of it (bytes not read yet?)
                                                   answers for its thread this long (store/changes.c) */

/* ---- logging (core/log.c) ---- */
#define LIM_LOG_BUFFER                   16384  /* bytes of request log lines a thread buffers */
#define LIM_LOG_FLUSH_MS                 50     /* buffered lines are written at least this often */

/* ---- PUT profile (esign/profile.c) ---- */
#define LIM_LANE_STREAK                  16      /* takes of the write lane (store/lane.c) in a
                                                   row ahead of a waiting thread */
#define LIM_WRITEQ_BATCH                 64     /* requests the write queue (http/writeq.c) runs
                                                   in one group transaction */
#define LIM_STOP_FLUSH_MS                1000   /* a stop whose grace ran out: how long the
                                                   answers of the write queue's last requests
                                                   (http/writeq.c) may take to go out */
#define LIM_PUT_OPTIMISTIC_TRIES         8      /* read-merge-write attempts without the write lock
                                                   (another write moved the user's version each
                                                   time) before one inside a write transaction */
#define LIM_PROFILE_MEMO_SLOTS           256    /* parsed stored documents PUT profile keeps
                                                   (model/profile_memo.c), one per slot */

#endif
