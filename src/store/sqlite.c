/*
 * sqlite.c - the SQLite backend of the storage interface (store/store.h).
 *
 * One sqlite3 connection per pd_store; the server opens one pd_store per
 * worker thread, so a handle is never shared between threads (connections are
 * opened SQLITE_OPEN_NOMUTEX).  Each SQL statement is prepared once per
 * connection, on first use, with SQLITE_PREPARE_PERSISTENT, kept in
 * sq_store.st[] and reset after every use.  Only bound parameters are used:
 * no SQL text is ever built from data.
 *
 * Files: PRAGMA journal_mode=WAL, synchronous=NORMAL (a committed
 * transaction survives a crash or kill -9 of the process; the last few
 * transactions may be lost on power loss or an OS crash) or, after
 * pd_store_sqlite_set_sync_full(true) (serve --db-sync full), FULL (the WAL
 * is synced at every commit), foreign_keys=ON,
 * busy timeout LIM_DB_BUSY_TIMEOUT_MS, SQLITE_DBCONFIG_DEFENSIVE, no
 * trusted schema.
 *
 * ":memory:" opens "file:profiled-mem-<pid>?mode=memory&cache=shared": one
 * named in-memory database per process, shared by every pd_store of the
 * process.  It lives while at least one pd_store on it is open and vanishes
 * with the last one (nothing keeps an extra connection alive), so a program
 * must keep one handle open for as long as it needs the data.  Shared-cache
 * connections use table-level locks that report SQLITE_LOCKED, which the
 * busy timeout does not cover: sq_step() retries those with a short backoff
 * for up to LIM_DB_BUSY_TIMEOUT_MS, and read operations made of several
 * statements do not hold a read transaction open across them on such a
 * database (that could deadlock with a writer).
 *
 * Identifiers: organization, account and user GUIDs (and every reference to
 * them) and emails are lower-cased (SQL lower(), ASCII) on write and on
 * lookup.  Permission profile and group ids are stored as given.
 *
 * Memory: the sq_store (which embeds the pd_store handed out) is owned by
 * the caller of pd_store_sqlite_open() and freed by close().  Out-structs
 * are zeroed first and, on PD_OK, own heap copies of every string (release
 * with pd_*_clear()); on failure they are left empty.  Rows handed to
 * iteration callbacks point into SQLite's buffers and are valid only during
 * the callback.  last_error() returns a buffer inside the sq_store.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <malloc.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/backend.h"
#include "store/changes.h"
#include "store/lane.h"
#include "store/sqlite_migrations.h"
#include "store/store.h"

#define LAST_ERR_MAX 512

enum st_id {
    ST_BEGIN_IMMEDIATE, ST_BEGIN_READ, ST_COMMIT, ST_ROLLBACK,
    ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
    ST_ACCOUNT_BY_ID, ST_ACCOUNT_BY_EXT,
    ST_USER_BY_ID, ST_USER_BY_EMAIL, ST_COUNT_USERS,
    ST_MEMBERSHIP, ST_MEMBERSHIP_GROUPS,
    ST_UPDATE_PROFILE, ST_USER_TOUCH, ST_UPDATE_PROFILE_IF,
    ST_IMAGE_GET, ST_IMAGE_PUT, ST_IMAGE_DELETE,
    ST_KEYS, ST_KEY_ADD,
    ST_UPSERT_ORG, ST_UPSERT_ACCOUNT, ST_UPSERT_PERM_PROFILE, ST_UPSERT_GROUP,
    ST_UPSERT_USER, ST_UPSERT_MEMBERSHIP, ST_MG_DELETE, ST_MG_INSERT,
    ST_EACH_ORG, ST_EACH_ACCOUNT, ST_EACH_PERM_PROFILE, ST_EACH_GROUP,
    ST_EACH_USER, ST_EACH_MEMBERSHIP,
    ST_VERSIONS, ST_BUMP_GENERATION, ST_USER_BUMP, ST_KEY_DELETE,
    ST_INTEG_GET, ST_INTEG_URIS, ST_INTEG_KEYS, ST_INTEG_UPSERT, ST_INTEG_URIS_DEL,
    ST_INTEG_URI_ADD, ST_INTEG_KEYS_DEL, ST_INTEG_KEY_ADD, ST_INTEG_DELETE, ST_INTEG_LIST,
    ST_CONSENT_PUT, ST_CONSENT_GET, ST_CONSENT_EACH,
    ST_GRANT_PUT, ST_GRANT_GET, ST_GRANT_MARK_USED, ST_GRANT_REVOKE, ST_GRANT_DELETE,
    ST_GRANT_PURGE, ST_THROTTLE_GET, ST_THROTTLE_PUT, ST_LOGIN_RECORD, ST_ACCOUNTS_OF_USER,
    ST_THROTTLE_ATTEMPT, ST_THROTTLE_REFUND,
    ST_ORG_GET, ST_ORG_ADMIN_CHECK, ST_ORG_ADMIN_UPSERT, ST_ORG_DOMAIN_UPSERT, ST_IDENTITY_UPSERT,
    ST_EACH_ORG_ADMIN, ST_EACH_ORG_DOMAIN, ST_EACH_IDENTITY, ST_ORG_USER_BY_EMAIL, ST_ORG_USER_BY_ID,
    ST_ORG_LIST_ALL, ST_ORG_COUNT_ALL, ST_ORG_LIST_EMAIL, ST_ORG_COUNT_EMAIL,
    ST_ORG_LIST_ACCOUNT, ST_ORG_COUNT_ACCOUNT, ST_ORG_LIST_DOMAIN, ST_ORG_COUNT_DOMAIN,
    ST_ORG_MEMBERSHIPS, ST_IDENTITIES_OF_USER, ST_ORG_LIST_PLAIN, ST_ORG_COUNT_PLAIN,
    ST_RATE_ADD, ST_RATE_PURGE,
    ST_SHARE_PUT, ST_SHARE_GET, ST_SHARE_REVOKE, ST_SHARE_OF_USER,
    /* parent checks of an unchecked bulk load (FK_PARENTS below) */
    ST_FKP_USER_1, ST_FKP_USER_2, ST_FKP_ORG_2, ST_FKP_ACCOUNT_1, ST_FKP_ACCOUNT_ORG,
    ST_FKP_ACCOUNT_PP, ST_FKP_MEMBERSHIP, ST_FKP_GROUP, ST_FKP_INTEG_1, ST_FKP_CONSENT,
    ST_FKP_GRANT, ST_FKP_ORG_ADMIN,
    ST_COUNT_
};

#define ACCOUNT_COLS "id, external_id, name, organization_id"
#define USER_COLS "u.id, u.email, u.status, u.created, u.modified, u.last_login," \
                  " u.password_hash, u.profile_json, u.version, i.etag"
#define USER_NCOLS 10                 /* the columns of USER_COLS */
#define USER_FROM " FROM users u LEFT JOIN user_images i ON i.user_id = u.id"
/* get_user's extra column: the user's default account (pd_user) */
#define USER_DEFAULT_ACCOUNT \
    ", (SELECT a.id FROM memberships m JOIN accounts a ON a.id = m.account_id" \
    "   WHERE m.user_id = u.id ORDER BY a.external_id LIMIT 1)"
/* throttle_attempt: a new window starts (?2 now, ?3 window_s) */
#define THR_NEW_WINDOW "(window_start + ?3 <= ?2 OR window_start > ?2" \
                       " OR (locked_until > 0 AND locked_until <= ?2))"
#define THR_COUNT "(CASE WHEN " THR_NEW_WINDOW " THEN 1 ELSE failures + 1 END)"

/* Admin API user lists (list_org_users): ?1 organization, ?2 email,
 * ?3 like, ?4 statuses (",Active,Closed,"), ?5 account, ?6 reserved
 * domain, ?7 modified since, ?8 take, ?9 start.  Each filter is a residual
 * predicate in every statement; the statement is chosen by the most
 * selective filter given, which drives the scan through its index: email
 * (users.email), account (memberships primary key, user-id order), domain
 * (users_by_domain), else the organization's range of organization_users. */
/* The rows of a list carry no password hash and, instead of the whole
 * profile document, one holding only the names the list shows. */
#define OU_COLS "u.id, u.email, u.status, u.created, u.modified, u.last_login, NULL," \
    " json_object('userDetails', json_object(" \
    "   'firstName', json_extract(u.profile_json, '$.userDetails.firstName')," \
    "   'lastName', json_extract(u.profile_json, '$.userDetails.lastName')," \
    "   'userName', json_extract(u.profile_json, '$.userDetails.userName')))," \
    " u.version, i.etag"
/* The organization's user by email or id: the names and the user settings
 * of the profile (the Admin API shows nothing else of it), no password hash. */
#define OU_DRILL_COLS "u.id, u.email, u.status, u.created, u.modified, u.last_login, NULL," \
    " json_object('userDetails', json_object(" \
    "   'firstName', json_extract(u.profile_json, '$.userDetails.firstName')," \
    "   'lastName', json_extract(u.profile_json, '$.userDetails.lastName')," \
    "   'userName', json_extract(u.profile_json, '$.userDetails.userName')," \
    "   'userSettings', json(json_extract(u.profile_json, '$.userDetails.userSettings'))))," \
    " u.version, i.etag"
#define OU_EMAIL_DOMAIN "substr(u.email, instr(u.email, '@') + 1)"
#define OU_RESIDUAL \
    " AND (?2 IS NULL OR u.email = lower(?2))" \
    " AND (?3 IS NULL OR instr(u.email, lower(?3)) > 0 OR instr(lower(coalesce(" \
    "      json_extract(u.profile_json, '$.userDetails.userName'), '')), lower(?3)) > 0)" \
    " AND (?4 IS NULL OR instr(?4, ',' || u.status || ',') > 0)" \
    " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM memberships m2 JOIN accounts a2 ON a2.id = m2.account_id" \
    "      WHERE m2.account_id = lower(?5) AND m2.user_id = u.id AND a2.organization_id = lower(?1)))" \
    " AND (?6 IS NULL OR EXISTS (SELECT 1 FROM organization_domains d2 WHERE d2.id = lower(?6)" \
    "      AND d2.organization_id = lower(?1) AND d2.domain = " OU_EMAIL_DOMAIN "))" \
    " AND (?7 IS NULL OR u.modified >= ?7)"
#define OU_IMG " LEFT JOIN user_images i ON i.user_id = u.id"
#define OU_PAGE " LIMIT ?8 OFFSET ?9"
#define OU_FROM_ALL(img) \
    " FROM organization_users ou JOIN users u ON u.id = ou.user_id" img \
    " WHERE ou.organization_id = lower(?1)" OU_RESIDUAL
#define OU_FROM_EMAIL(img) \
    " FROM users u JOIN organization_users ou ON ou.organization_id = lower(?1) AND ou.user_id = u.id" img \
    " WHERE u.email = lower(?2)" OU_RESIDUAL
#define OU_FROM_ACCOUNT(img) \
    " FROM memberships m JOIN organization_users ou ON ou.organization_id = lower(?1)" \
    "   AND ou.user_id = m.user_id JOIN users u ON u.id = m.user_id" img \
    " WHERE m.account_id = lower(?5)" OU_RESIDUAL
#define OU_FROM_DOMAIN(img) \
    " FROM organization_domains d JOIN users u ON " OU_EMAIL_DOMAIN " = d.domain" \
    " JOIN organization_users ou ON ou.organization_id = d.organization_id AND ou.user_id = u.id" img \
    " WHERE d.id = lower(?6) AND d.organization_id = lower(?1)" OU_RESIDUAL

static const char *const SQL[ST_COUNT_] = {
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ]      = "BEGIN",
    [ST_COMMIT]          = "COMMIT",
    [ST_ROLLBACK]        = "ROLLBACK",
    [ST_SAVEPOINT]       = "SAVEPOINT pd_op",
    [ST_RELEASE]         = "RELEASE pd_op",
    [ST_ROLLBACK_TO]     = "ROLLBACK TO pd_op",

    [ST_ACCOUNT_BY_ID]  = "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = lower(?1)",
    [ST_ACCOUNT_BY_EXT] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE external_id = ?1",
    [ST_USER_BY_ID]     = "SELECT " USER_COLS USER_DEFAULT_ACCOUNT USER_FROM " WHERE u.id = lower(?1)",
    [ST_USER_BY_EMAIL]  = "SELECT " USER_COLS USER_DEFAULT_ACCOUNT USER_FROM " WHERE u.email = lower(?1)",
    [ST_COUNT_USERS]    = "SELECT count(*) FROM users",

    [ST_MEMBERSHIP] =
        "SELECT m.account_id, m.user_id, m.is_admin, m.permission_profile_id, p.name, m.added"
        /* the user's side (migration 8): the accounts read of the same
         * request then finds the leaf page already in the cache */
        " FROM memberships m INDEXED BY memberships_by_user_cover LEFT JOIN permission_profiles p"
        "   ON p.account_id = m.account_id AND p.id = m.permission_profile_id"
        " WHERE m.account_id = lower(?1) AND m.user_id = lower(?2)",
    [ST_MEMBERSHIP_GROUPS] =
        "SELECT g.id, g.name, g.type"
        " FROM membership_groups mg JOIN groups g"
        "   ON g.account_id = mg.account_id AND g.id = mg.group_id"
        " WHERE mg.account_id = lower(?1) AND mg.user_id = lower(?2)"
        " ORDER BY mg.group_id",

    [ST_UPDATE_PROFILE] =
        "UPDATE users SET profile_json = ?2, modified = ?3, version = version + 1"
        " WHERE id = lower(?1)",
    [ST_USER_TOUCH] =
        "UPDATE users SET modified = ?2, version = version + 1 WHERE id = lower(?1)",
    [ST_UPDATE_PROFILE_IF] =
        "UPDATE users SET profile_json = ?2, modified = ?3, version = version + 1"
        " WHERE id = lower(?1) AND version = ?4 AND profile_json = ?5",

    [ST_IMAGE_GET] =
        "SELECT content_type, bytes, etag FROM user_images WHERE user_id = lower(?1)",
    [ST_IMAGE_PUT] =
        "INSERT INTO user_images(user_id, content_type, bytes, etag)"
        " VALUES (lower(?1), ?2, ?3, ?4)"
        " ON CONFLICT(user_id) DO UPDATE SET content_type = excluded.content_type,"
        "   bytes = excluded.bytes, etag = excluded.etag",
    [ST_IMAGE_DELETE] = "DELETE FROM user_images WHERE user_id = lower(?1)",

    [ST_KEYS]    = "SELECT kid, secret, created FROM signing_keys ORDER BY created DESC, kid DESC",
    [ST_KEY_ADD] = "INSERT INTO signing_keys(kid, secret, created) VALUES (?1, ?2, ?3)",

    [ST_UPSERT_ORG] =
        "INSERT INTO organizations(id, name, site_id, site_name) VALUES (lower(?1), ?2, ?3, ?4)"
        " ON CONFLICT(id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id,"
        "   site_name = excluded.site_name",
    [ST_UPSERT_ACCOUNT] =
        "INSERT INTO accounts(id, external_id, name, organization_id)"
        " VALUES (lower(?1), ?2, ?3, lower(?4))"
        " ON CONFLICT(id) DO UPDATE SET external_id = excluded.external_id,"
        "   name = excluded.name, organization_id = excluded.organization_id",
    [ST_UPSERT_PERM_PROFILE] =
        "INSERT INTO permission_profiles(account_id, id, name) VALUES (lower(?1), ?2, ?3)"
        " ON CONFLICT(account_id, id) DO UPDATE SET name = excluded.name",
    [ST_UPSERT_GROUP] =
        "INSERT INTO groups(account_id, id, name, type) VALUES (lower(?1), ?2, ?3, ?4)"
        " ON CONFLICT(account_id, id) DO UPDATE SET name = excluded.name, type = excluded.type",
    [ST_UPSERT_USER] =
        "INSERT INTO users(id, email, status, created, modified, last_login,"
        "                  password_hash, profile_json, version)"
        " VALUES (lower(?1), lower(?2), ?3, ?4, ?5, ?6, ?7, ?8, 1)"
        " ON CONFLICT(id) DO UPDATE SET email = excluded.email, status = excluded.status,"
        "   modified = excluded.modified, last_login = excluded.last_login,"
        "   password_hash = coalesce(excluded.password_hash, users.password_hash),"
        "   profile_json = excluded.profile_json, version = users.version + 1",
    /* ?5: when the user joined; NULL keeps the stored date, or is now for a new one */
    [ST_UPSERT_MEMBERSHIP] =
        "INSERT INTO memberships(account_id, user_id, is_admin, permission_profile_id, added)"
        " VALUES (lower(?1), lower(?2), ?3, ?4, coalesce(?5, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '0000Z'))"
        " ON CONFLICT(account_id, user_id) DO UPDATE SET is_admin = excluded.is_admin,"
        "   permission_profile_id = excluded.permission_profile_id,"
        "   added = coalesce(?5, memberships.added)",
    [ST_MG_DELETE] =
        "DELETE FROM membership_groups WHERE account_id = lower(?1) AND user_id = lower(?2)",
    [ST_MG_INSERT] =
        "INSERT INTO membership_groups(account_id, user_id, group_id)"
        " VALUES (lower(?1), lower(?2), ?3) ON CONFLICT DO NOTHING",

    [ST_EACH_ORG]     = "SELECT id, name, site_id, site_name FROM organizations ORDER BY id",
    [ST_EACH_ACCOUNT] = "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY id",
    [ST_EACH_PERM_PROFILE] =
        "SELECT id, name FROM permission_profiles WHERE account_id = lower(?1) ORDER BY id",
    [ST_EACH_GROUP] =
        "SELECT id, name, type FROM groups WHERE account_id = lower(?1) ORDER BY id",
    [ST_EACH_USER]    = "SELECT " USER_COLS USER_FROM " ORDER BY u.id",
    [ST_EACH_MEMBERSHIP] =
        "SELECT m.account_id, m.user_id, m.is_admin, m.permission_profile_id, mg.group_id, m.added"
        " FROM memberships m LEFT JOIN membership_groups mg"
        "   ON mg.account_id = m.account_id AND mg.user_id = m.user_id"
        " ORDER BY m.account_id, m.user_id, mg.group_id",

    [ST_VERSIONS] =
        "SELECT coalesce((SELECT version FROM users WHERE id = lower(?1) AND status = 'Active'), -1),"
        "       coalesce((SELECT version FROM users WHERE id = lower(?2)), -1),"
        "       coalesce((SELECT value FROM meta WHERE key = 'generation'), 0)",
    [ST_BUMP_GENERATION] = "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
    [ST_USER_BUMP] = "UPDATE users SET version = version + 1 WHERE id = lower(?1)",
    [ST_KEY_DELETE] = "DELETE FROM signing_keys WHERE kid = ?1",

    [ST_INTEG_GET] =
        "SELECT key, name, secret_hash, allowed_scopes FROM integrations WHERE key = ?1",
    [ST_INTEG_URIS] =
        "SELECT uri FROM integration_redirect_uris WHERE integration_key = ?1 ORDER BY uri",
    [ST_INTEG_KEYS] =
        "SELECT pem FROM integration_keys WHERE integration_key = ?1 ORDER BY pem",
    [ST_INTEG_UPSERT] =
        "INSERT INTO integrations(key, name, secret_hash, allowed_scopes) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(key) DO UPDATE SET name = excluded.name,"
        "   secret_hash = coalesce(excluded.secret_hash, integrations.secret_hash),"
        "   allowed_scopes = excluded.allowed_scopes",
    [ST_INTEG_URIS_DEL] = "DELETE FROM integration_redirect_uris WHERE integration_key = ?1",
    [ST_INTEG_URI_ADD] =
        "INSERT INTO integration_redirect_uris(integration_key, uri) VALUES (?1, ?2)"
        " ON CONFLICT DO NOTHING",
    [ST_INTEG_KEYS_DEL] = "DELETE FROM integration_keys WHERE integration_key = ?1",
    [ST_INTEG_KEY_ADD] =
        "INSERT INTO integration_keys(integration_key, pem) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [ST_INTEG_DELETE] = "DELETE FROM integrations WHERE key = ?1",
    [ST_INTEG_LIST] = "SELECT key FROM integrations ORDER BY key",

    [ST_CONSENT_PUT] =
        "INSERT INTO oauth_consents(integration_key, user_id, scopes) VALUES (?1, lower(?2), ?3)"
        " ON CONFLICT(integration_key, user_id) DO UPDATE SET scopes = excluded.scopes",
    [ST_CONSENT_GET] =
        "SELECT integration_key, user_id, scopes FROM oauth_consents"
        " WHERE integration_key = ?1 AND user_id = lower(?2)",
    [ST_CONSENT_EACH] =
        "SELECT integration_key, user_id, scopes FROM oauth_consents"
        " WHERE integration_key = ?1 ORDER BY user_id",

    [ST_GRANT_PUT] =
        "INSERT INTO oauth_grants(hash, kind, family, integration_key, user_id, redirect_uri,"
        "                         scopes, code_challenge, expires, used, revoked)"
        " VALUES (?1, ?2, ?3, ?4, lower(?5), ?6, ?7, ?8, ?9, 0,"
        /* a grant joining a family that is already revoked (a refresh token
         * issued while a replay of its parent revoked the family) is born
         * revoked: the statement is atomic, so no ordering escapes */
        "         EXISTS(SELECT 1 FROM oauth_grants WHERE family = ?3 AND revoked = 1))",
    [ST_GRANT_GET] =
        "SELECT kind, family, integration_key, user_id, redirect_uri, scopes, code_challenge,"
        "       expires, used, revoked FROM oauth_grants WHERE hash = ?1",
    [ST_GRANT_MARK_USED] = "UPDATE oauth_grants SET used = 1 WHERE hash = ?1",
    [ST_GRANT_REVOKE] = "UPDATE oauth_grants SET revoked = 1 WHERE family = ?1",
    [ST_GRANT_DELETE] = "DELETE FROM oauth_grants WHERE hash = ?1",
    [ST_GRANT_PURGE] = "DELETE FROM oauth_grants WHERE expires < ?1",
    [ST_THROTTLE_GET] =
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = ?1",
    [ST_THROTTLE_PUT] =
        "INSERT INTO login_throttle(key, failures, window_start, locked_until)"
        " VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(key) DO UPDATE SET failures = excluded.failures,"
        "   window_start = excluded.window_start, locked_until = excluded.locked_until",
    [ST_LOGIN_RECORD] =
        "UPDATE users SET last_login = coalesce(?2, last_login),"
        "   profile_json = coalesce(?3, profile_json), version = version + 1"
        " WHERE id = lower(?1)",
    [ST_ACCOUNTS_OF_USER] =
        "SELECT a.id, a.external_id, a.name, a.organization_id"
        " FROM memberships m JOIN accounts a ON a.id = m.account_id"
        " WHERE m.user_id = lower(?1) ORDER BY a.external_id",
    /* ?1 key, ?2 now, ?3 window_s, ?4 max, ?5 lock_s; every SET expression
     * sees the old row.  A locked row is left as it is (the caller checked
     * it inside the same transaction and refused). */
    [ST_THROTTLE_ATTEMPT] =
        "INSERT INTO login_throttle(key, failures, window_start, locked_until)"
        " VALUES (?1, 1, ?2, CASE WHEN 1 >= ?4 THEN ?2 + ?5 ELSE 0 END)"
        " ON CONFLICT(key) DO UPDATE SET"
        "   failures = CASE WHEN locked_until > ?2 THEN failures ELSE " THR_COUNT " END,"
        "   window_start = CASE WHEN locked_until > ?2 THEN window_start"
        "                       WHEN " THR_NEW_WINDOW " THEN ?2 ELSE window_start END,"
        "   locked_until = CASE WHEN locked_until > ?2 THEN locked_until"
        "                       WHEN " THR_COUNT " >= ?4 THEN ?2 + ?5 ELSE 0 END"
        " RETURNING failures, window_start, locked_until",
    [ST_ORG_GET] = "SELECT id, name, site_id, site_name FROM organizations WHERE id = lower(?1)",
    [ST_ORG_ADMIN_CHECK] =
        "SELECT 1 FROM organization_admins WHERE organization_id = lower(?1) AND user_id = lower(?2)",
    [ST_ORG_ADMIN_UPSERT] =
        "INSERT INTO organization_admins(organization_id, user_id) VALUES (lower(?1), lower(?2))"
        " ON CONFLICT DO NOTHING",
    [ST_ORG_DOMAIN_UPSERT] =
        "INSERT INTO organization_domains(id, organization_id, domain, status)"
        " VALUES (lower(?1), lower(?2), lower(?3), ?4)"
        " ON CONFLICT(id) DO UPDATE SET organization_id = excluded.organization_id,"
        "   domain = excluded.domain, status = excluded.status",
    [ST_IDENTITY_UPSERT] =
        "INSERT INTO user_identities(id, user_id, provider_id, immutable_id)"
        " VALUES (lower(?1), lower(?2), ?3, ?4)"
        " ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id,"
        "   provider_id = excluded.provider_id, immutable_id = excluded.immutable_id",
    [ST_EACH_ORG_ADMIN] =
        "SELECT organization_id, user_id FROM organization_admins ORDER BY organization_id, user_id",
    [ST_EACH_ORG_DOMAIN] =
        "SELECT id, organization_id, domain, status FROM organization_domains ORDER BY id",
    [ST_EACH_IDENTITY] =
        "SELECT id, user_id, provider_id, immutable_id FROM user_identities ORDER BY id",
    [ST_ORG_USER_BY_EMAIL] =
        "SELECT " OU_DRILL_COLS USER_FROM
        " JOIN organization_users ou ON ou.organization_id = lower(?1) AND ou.user_id = u.id"
        " WHERE u.email = lower(?2)",
    [ST_ORG_USER_BY_ID] =
        "SELECT " OU_DRILL_COLS USER_FROM
        " JOIN organization_users ou ON ou.organization_id = lower(?1) AND ou.user_id = u.id"
        " WHERE u.id = lower(?2)",
    [ST_ORG_LIST_ALL]     = "SELECT " OU_COLS OU_FROM_ALL(OU_IMG) " ORDER BY ou.user_id" OU_PAGE,
    [ST_ORG_COUNT_ALL]    = "SELECT count(*)" OU_FROM_ALL(""),
    [ST_ORG_LIST_EMAIL]   = "SELECT " OU_COLS OU_FROM_EMAIL(OU_IMG) " ORDER BY u.id" OU_PAGE,
    [ST_ORG_COUNT_EMAIL]  = "SELECT count(*)" OU_FROM_EMAIL(""),
    [ST_ORG_LIST_ACCOUNT] = "SELECT " OU_COLS OU_FROM_ACCOUNT(OU_IMG) " ORDER BY m.user_id" OU_PAGE,
    [ST_ORG_COUNT_ACCOUNT]= "SELECT count(*)" OU_FROM_ACCOUNT(""),
    [ST_ORG_LIST_DOMAIN]  = "SELECT " OU_COLS OU_FROM_DOMAIN(OU_IMG) " ORDER BY ou.user_id" OU_PAGE,
    [ST_ORG_COUNT_DOMAIN] = "SELECT count(*)" OU_FROM_DOMAIN(""),
    /* no filter: page and count in the organization's index range alone,
     * users joined for the rows of the page only (?1 org, ?2 take, ?3 start) */
    [ST_ORG_LIST_PLAIN] =
        "SELECT " OU_COLS " FROM (SELECT user_id FROM organization_users"
        "   WHERE organization_id = lower(?1) ORDER BY user_id LIMIT ?2 OFFSET ?3) ou"
        " JOIN users u ON u.id = ou.user_id" OU_IMG " ORDER BY ou.user_id",
    [ST_ORG_COUNT_PLAIN] =
        "SELECT count(*) FROM organization_users WHERE organization_id = lower(?1)",
    [ST_ORG_MEMBERSHIPS] =
        "SELECT a.id, a.external_id, a.name, a.organization_id,"
        "       m.account_id, m.user_id, m.is_admin, m.permission_profile_id, p.name, m.added"
        " FROM memberships m JOIN accounts a ON a.id = m.account_id"
        " LEFT JOIN permission_profiles p"
        "   ON p.account_id = m.account_id AND p.id = m.permission_profile_id"
        " WHERE m.user_id = lower(?2) AND a.organization_id = lower(?1)"
        " ORDER BY a.external_id",
    [ST_IDENTITIES_OF_USER] =
        "SELECT id, user_id, provider_id, immutable_id FROM user_identities"
        " WHERE user_id = lower(?1) ORDER BY id",
    [ST_RATE_ADD] =
        "INSERT INTO rate_counts(key, span, window_start, count) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(key, span, window_start) DO UPDATE SET count = count + excluded.count"
        " RETURNING count",
    [ST_RATE_PURGE] =
        "DELETE FROM rate_counts WHERE window_start + span < ?1",
    [ST_THROTTLE_REFUND] =
        "UPDATE login_throttle SET failures = max(failures - 1, 0),"
        "   locked_until = CASE WHEN failures - 1 < ?2 THEN 0 ELSE locked_until END"
        " WHERE key = ?1",
    [ST_SHARE_PUT] =
        "INSERT INTO share_links(id, user_id, created, expires, revoked) VALUES (lower(?1), lower(?2), ?3, ?4, 0)",
    [ST_SHARE_GET] =
        "SELECT id, user_id, created, expires, revoked FROM share_links WHERE id = lower(?1)",
    [ST_SHARE_REVOKE] =
        "UPDATE share_links SET revoked = 1 WHERE id = lower(?1) AND user_id = lower(?2)",
    [ST_SHARE_OF_USER] =
        "SELECT id, user_id, created, expires, revoked FROM share_links"
        " WHERE user_id = lower(?1) AND expires > ?2 ORDER BY created DESC, id",

    /* Parent checks: each is bound with the parameters of the write it
     * checks (the same ?n, up to its own highest) and answers 1 when every
     * row the write's foreign keys name exists (a NULL key names none). */
#define FKP_EXISTS(table, cond) "EXISTS (SELECT 1 FROM " table " WHERE " cond ")"
    [ST_FKP_USER_1]      = "SELECT " FKP_EXISTS("users", "id = lower(?1)"),
    [ST_FKP_USER_2]      = "SELECT " FKP_EXISTS("users", "id = lower(?2)"),
    [ST_FKP_ORG_2]       = "SELECT " FKP_EXISTS("organizations", "id = lower(?2)"),
    [ST_FKP_ACCOUNT_1]   = "SELECT " FKP_EXISTS("accounts", "id = lower(?1)"),
    [ST_FKP_ACCOUNT_ORG] =
        "SELECT ?4 IS NULL OR " FKP_EXISTS("organizations", "id = lower(?4)"),
    [ST_FKP_ACCOUNT_PP] =
        "SELECT " FKP_EXISTS("accounts", "id = lower(?1)")
        " AND (?4 IS NULL OR " FKP_EXISTS("permission_profiles", "account_id = lower(?1) AND id = ?4") ")",
    [ST_FKP_MEMBERSHIP] =
        "SELECT " FKP_EXISTS("memberships", "account_id = lower(?1) AND user_id = lower(?2)"),
    [ST_FKP_GROUP] = "SELECT " FKP_EXISTS("groups", "account_id = lower(?1) AND id = ?3"),
    [ST_FKP_INTEG_1]     = "SELECT " FKP_EXISTS("integrations", "key = ?1"),
    [ST_FKP_CONSENT] =
        "SELECT " FKP_EXISTS("integrations", "key = ?1") " AND " FKP_EXISTS("users", "id = lower(?2)"),
    [ST_FKP_GRANT] =
        "SELECT (?4 IS NULL OR " FKP_EXISTS("integrations", "key = ?4") ")"
        " AND " FKP_EXISTS("users", "id = lower(?5)"),
    [ST_FKP_ORG_ADMIN] =
        "SELECT " FKP_EXISTS("organizations", "id = lower(?1)")
        " AND " FKP_EXISTS("users", "id = lower(?2)"),
#undef FKP_EXISTS
};

/* The parent checks of each write that sets a foreign key (st 0: none).  A
 * bulk load runs with SQLite's foreign keys off (the bulk-load block: the
 * checks - a cursor opened and closed per key per row - and the statement
 * journal they force on every membership cost most of its memberships
 * section) and runs these instead, before the write, with the same
 * parameters: the same rows are refused with the same message.
 *
 * `memo` (bit n-1 for each ?n the answer depends on) marks a check of the
 * small parent tables - accounts, their permission profiles and groups -
 * whose yes is remembered for the load (fk_memo): the rows of a load come
 * grouped by account, and nothing deletes such a parent during one but the
 * wipe at its start. */
typedef struct {
    enum st_id st;
    unsigned memo;
} fk_check;

#define FKP_ARG(n) (1u << ((n) - 1))
static const fk_check FK_PARENTS[ST_COUNT_][2] = {
    [ST_IMAGE_PUT] = { { ST_FKP_USER_1, 0 } },
    [ST_UPSERT_ACCOUNT] = { { ST_FKP_ACCOUNT_ORG, 0 } },
    [ST_UPSERT_PERM_PROFILE] = { { ST_FKP_ACCOUNT_1, 0 } },
    [ST_UPSERT_GROUP] = { { ST_FKP_ACCOUNT_1, 0 } },
    [ST_UPSERT_MEMBERSHIP] = { { ST_FKP_ACCOUNT_PP, FKP_ARG(1) | FKP_ARG(4) },
                               { ST_FKP_USER_2, 0 } },
    [ST_MG_INSERT] = { { ST_FKP_GROUP, FKP_ARG(1) | FKP_ARG(3) }, { ST_FKP_MEMBERSHIP, 0 } },
    [ST_INTEG_URI_ADD] = { { ST_FKP_INTEG_1, 0 } },
    [ST_INTEG_KEY_ADD] = { { ST_FKP_INTEG_1, 0 } },
    [ST_CONSENT_PUT] = { { ST_FKP_CONSENT, 0 } },
    [ST_GRANT_PUT] = { { ST_FKP_GRANT, 0 } },
    [ST_ORG_ADMIN_UPSERT] = { { ST_FKP_ORG_ADMIN, 0 } },
    [ST_ORG_DOMAIN_UPSERT] = { { ST_FKP_ORG_2, 0 } },
    [ST_IDENTITY_UPSERT] = { { ST_FKP_USER_2, 0 } },
    [ST_SHARE_PUT] = { { ST_FKP_USER_2, 0 } },
};
#undef FKP_ARG

/* The remembered yes answers of memo checks: a few, replaced in turn. */
#define FK_MEMO_SLOTS 8
#define FK_MEMO_KEY 200
typedef struct {
    enum st_id st;              /* 0: empty */
    size_t len;
    char key[FK_MEMO_KEY];      /* the parameters the answer depends on (fk_memo_key) */
} fk_memo;

typedef struct {
    pd_store base;              /* handed out; base.impl points back here */
    sqlite3 *db;
    bool shared_cache;          /* the per-process ":memory:" database */
    sqlite3_stmt *st[ST_COUNT_];
    char last_err[LAST_ERR_MAX];
    bool writer_locked;         /* holds g_writer (see writer_enter) */
    char *path;                 /* file databases: the path opened (owned), else NULL */
    dev_t dev;                  /* ... and the identity of the file found there */
    ino_t ino;
    const char *lost;           /* set when that file is gone or replaced, or the foreign
                                 * keys stayed off after a bulk load: why (static) */
    pd_changes_file *changes;   /* file databases: the change signal (store/changes.h) */
    pd_lane *lane;              /* file databases: the write lane (store/lane.h), counted;
                                 * NULL on the lane's own connection */
    bool group;                 /* inside group_begin .. group_end (group commit) */
    unsigned group_saves;       /* ... savepoints begun inside it by sq_begin, open */
    bool commit_pending;        /* a write transaction is committing: signal once it has */
    bool quiet_writes;          /* rate_sync: its commits change nothing a cache holds */
    bool bulk;                  /* inside bulk_begin .. bulk_end (see the bulk-load block) */
    bool bulk_journal;          /* ... and switched from WAL to a rollback journal for it */
    bool fk_unchecked;          /* ... and with foreign keys off for it: FK_PARENTS instead */
    bool fk_refused;            /* the last exec_params was refused by a parent check */
    fk_memo fk_memo[FK_MEMO_SLOTS];  /* ... their remembered answers */
    unsigned fk_memo_next;      /* ... the slot the next one replaces */
    char *bulk_set_aside;       /* ... the CREATE texts of what it set aside (sqlite3_malloc'd),
                                 * or NULL: see bulk_set_aside */
} sq_store;

/* SQLite admits one writer per database.  Threads of this process queue on
 * a mutex for it instead of in SQLite's busy handler, which sleeps in
 * growing steps (1 ms ... 100 ms) and made write latency jumpy under
 * contention; other processes still meet the busy timeout. */
static pthread_mutex_t g_writer = PTHREAD_MUTEX_INITIALIZER;

static void writer_enter(sq_store *q)
{
    if (!q->writer_locked) {
        pthread_mutex_lock(&g_writer);
        q->writer_locked = true;
    }
}

/* Releases the writer mutex once no transaction is open any more. */
static void writer_leave(sq_store *q)
{
    if (q->writer_locked && sqlite3_get_autocommit(q->db)) {
        q->writer_locked = false;
        pthread_mutex_unlock(&g_writer);
    }
}

typedef enum { TX_NONE, TX_OWN, TX_SAVEPOINT } tx_kind;

/* Converts the current row of st into a borrowed struct and passes it to fn. */
typedef int (*row_emit)(sqlite3_stmt *st, pd_iter_fn fn, void *ctx);

static sq_store *SQ(pd_store *s)
{
    return (sq_store *)s->impl;
}

/* ---- errors ---------------------------------------------------------- */

/* The one place that writes store errors: through the one logger, so the
 * server's log stays one JSON object per line. */
static void store_log(const char *line)
{
    log_msg(LOG_ERROR, "store", "%s", line);
}

static pd_err fail_msg(sq_store *q, const char *op, const char *msg, const char *hint)
{
    snprintf(q->last_err, sizeof q->last_err, "%s: %s%s%s%s", op, msg,
             hint != NULL ? " (" : "", hint != NULL ? hint : "", hint != NULL ? ")" : "");
    store_log(q->last_err);
    return PD_ERR_STORE;
}

/* Records a database failure; fk_hint explains a foreign-key violation. */
static pd_err db_fail(sq_store *q, const char *op, int rc, const char *fk_hint)
{
    const char *hint = rc == SQLITE_CONSTRAINT_FOREIGNKEY ? fk_hint : NULL;
    met_inc(MET_DB_ERRORS);
    if (q->lost != NULL)
        return fail_msg(q, op, q->lost, NULL);
    return fail_msg(q, op, sqlite3_errmsg(q->db), hint);
}

static pd_err bad_arg(sq_store *q, const char *op)
{
    return fail_msg(q, op, "invalid argument", NULL);
}

/* Inside a group (group_begin) whose transaction is still open: a caller's
 * own transaction is a savepoint of it. */
static bool in_group(sq_store *q)
{
    return q->group && !sqlite3_get_autocommit(q->db);
}

/* Inside a group whose transaction a statement rolled back: until its
 * group_end nothing may be written, or it would commit on its own while the
 * group's requests are answered as not written. */
static bool group_lost(sq_store *q)
{
    return q->group && sqlite3_get_autocommit(q->db);
}

static pd_err refuse_group_lost(sq_store *q, const char *op)
{
    return fail_msg(q, op, "the group's transaction was rolled back: nothing more is written "
                    "before its end", NULL);
}

static pd_err oom(sq_store *q, const char *op)
{
    return fail_msg(q, op, "out of memory", NULL);
}

/* ---- statements ------------------------------------------------------ */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* True when rc is a shared-cache lock conflict worth waiting for. */
static bool locked_retry(sq_store *q, int rc, long *waited_ms, long *delay_ms)
{
    if (!q->shared_cache || (rc & 0xff) != SQLITE_LOCKED || *waited_ms >= LIM_DB_BUSY_TIMEOUT_MS)
        return false;
    sleep_ms(*delay_ms);
    *waited_ms += *delay_ms;
    if (*delay_ms < 16)
        *delay_ms *= 2;
    return true;
}

/* Whether the file this connection opened is still the one at its path.  A
 * database deleted, moved or replaced while running would otherwise take
 * writes into an unlinked file that nobody will ever read again.  One
 * stat() per write statement.  Sets q->lost (sticky) when it is not. */
static bool file_intact(sq_store *q)
{
    struct stat st;

    if (q->path == NULL)
        return true;
    if (q->lost == NULL) {
        if (stat(q->path, &st) != 0)
            q->lost = "the database file was deleted or moved while the server ran";
        else if (st.st_dev != q->dev || st.st_ino != q->ino)
            q->lost = "the database file was replaced while the server ran";
        if (q->lost != NULL)
            log_msg(LOG_ERROR, "store", "%s: %s; refusing writes (restart on the right file)",
                    q->path, q->lost);
    }
    return q->lost == NULL;
}

/* sqlite3_step; on the first step of an execution, shared-cache lock
 * conflicts are retried (nothing has been returned yet, so a reset is safe).
 * A write is refused (SQLITE_CANTOPEN, q->lost says why) when the database
 * file is no longer the one opened. */
static int sq_step(sq_store *q, sqlite3_stmt *st, bool first)
{
    if (first && !q->bulk && !sqlite3_stmt_readonly(st) && !file_intact(q))
        return SQLITE_CANTOPEN;
    int rc = sqlite3_step(st);
    long waited = 0, delay = 1;
    while (first && locked_retry(q, rc, &waited, &delay)) {
        sqlite3_reset(st);
        rc = sqlite3_step(st);
    }
    return rc;
}

/* The prepared statement `id`, prepared on first use.  NULL on failure
 * (recorded) or when it is already running (a callback re-entered). */
static sqlite3_stmt *stmt_get(sq_store *q, enum st_id id, const char *op)
{
    sqlite3_stmt *st = q->st[id];
    if (st != NULL) {
        if (sqlite3_stmt_busy(st)) {
            fail_msg(q, op, "statement already in use (store called re-entrantly from an iteration)", NULL);
            return NULL;
        }
        return st;
    }
    long waited = 0, delay = 1;
    int rc;
    do {
        rc = sqlite3_prepare_v3(q->db, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    } while (rc != SQLITE_OK && locked_retry(q, rc, &waited, &delay));
    if (rc != SQLITE_OK) {
        db_fail(q, op, rc, NULL);
        sqlite3_finalize(st);
        return NULL;
    }
    q->st[id] = st;
    return st;
}

/* SQLite's commit hook: runs while a write transaction commits (before it
 * is durable and visible); the signal goes out in signal_committed. */
static int on_commit(void *arg)
{
    sq_store *q = arg;
    if (!q->quiet_writes)
        q->commit_pending = true;
    return 0;
}

/* After every statement: once a write transaction has committed (the
 * connection is back in autocommit), bump the change signal, so every node
 * re-validates its caches (store/changes.h).  A commit that failed leaves
 * the flag set, and the signal then follows the eventual end: at worst a
 * needless re-validation, never a missed one. */
static void signal_committed(sq_store *q)
{
    if (q->commit_pending && sqlite3_get_autocommit(q->db)) {
        q->commit_pending = false;
        pd_changes_file_bump(q->changes);
    }
}

static void stmt_done(sq_store *q, sqlite3_stmt *st)
{
    if (st != NULL) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    signal_committed(q);
}

static bool b_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(st, i) == SQLITE_OK;
    return sqlite3_bind_text64(st, i, s, strlen(s), SQLITE_STATIC, SQLITE_UTF8) == SQLITE_OK;
}

static bool b_i64(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v) == SQLITE_OK;
}

static bool b_blob(sqlite3_stmt *st, int i, const unsigned char *p, size_t len)
{
    static const unsigned char empty[1];
    /* a NULL pointer would bind SQL NULL; an empty image is a zero-length blob */
    return sqlite3_bind_blob64(st, i, p != NULL ? p : empty, len, SQLITE_STATIC) == SQLITE_OK;
}

/* Runs a bound statement to completion; *changes (optional) gets the rows
 * changed.  Always resets the statement. */
static pd_err st_exec(sq_store *q, sqlite3_stmt *st, const char *op, const char *fk_hint,
                      int *changes)
{
    int rc = sq_step(q, st, true);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    pd_err e = PD_OK;
    if (rc != SQLITE_DONE)
        e = db_fail(q, op, rc, fk_hint);
    else if (changes != NULL)
        *changes = sqlite3_changes(q->db);
    stmt_done(q, st);
    return e;
}

/* Runs a parameterless statement (BEGIN, COMMIT ...). */
static pd_err run_id(sq_store *q, enum st_id id, const char *op)
{
    sqlite3_stmt *st = stmt_get(q, id, op);
    if (st == NULL)
        return PD_ERR_STORE;
    return st_exec(q, st, op, NULL, NULL);
}

/* Runs a rollback statement without overwriting last_err (only logs). */
static void run_quiet(sq_store *q, enum st_id id, const char *op)
{
    char saved[LAST_ERR_MAX];
    memcpy(saved, q->last_err, sizeof saved);
    run_id(q, id, op);
    memcpy(q->last_err, saved, sizeof saved);
}

/* ---- parameters and one-statement operations -------------------------- */

/* One parameter to bind: text (NULL binds SQL NULL), int64 or blob. */
typedef struct {
    enum { P_TEXT, P_I64, P_BLOB } kind;
    const char *s;
    int64_t i;
    const unsigned char *p;
    size_t len;
} param;

/* The parameters ?1..?n of a statement, in order. */
typedef struct {
    const param *v;
    size_t n;
} params;

#define PT(x) { .kind = P_TEXT, .s = (x) }
#define PI(x) { .kind = P_I64, .i = (x) }
#define PB(x, l) { .kind = P_BLOB, .p = (x), .len = (l) }
/* PARAMS(PT(id), PI(n)): a params built in place (the array lives in the
 * enclosing block; text and blobs are bound SQLITE_STATIC, not copied). */
#define PARAMS(...) ((params){ (const param[]){ __VA_ARGS__ }, \
                               sizeof ((const param[]){ __VA_ARGS__ }) / sizeof (param) })
#define NO_PARAMS ((params){ NULL, 0 })

/* Binds ps; stops at the first failure. */
static bool bind_params(sqlite3_stmt *st, params ps)
{
    for (size_t i = 0; i < ps.n; i++) {
        const param *p = &ps.v[i];
        int at = (int)i + 1;
        bool ok = p->kind == P_TEXT  ? b_text(st, at, p->s)
                  : p->kind == P_I64 ? b_i64(st, at, p->i)
                                     : b_blob(st, at, p->p, p->len);
        if (!ok)
            return false;
    }
    return true;
}

/* The prepared statement `id` with ps bound; NULL on failure (recorded,
 * the statement reset). */
static sqlite3_stmt *stmt_bound(sq_store *q, enum st_id id, params ps, const char *op)
{
    sqlite3_stmt *st = stmt_get(q, id, op);
    if (st == NULL)
        return NULL;
    if (!bind_params(st, ps)) {
        db_fail(q, op, SQLITE_ERROR, NULL);
        stmt_done(q, st);
        return NULL;
    }
    return st;
}

/* The parameters of ps that `uses` marks, as one key; false when they do
 * not fit (the answer is then not remembered). */
static bool fk_memo_key(params ps, unsigned uses, char *key, size_t *len)
{
    size_t at = 0;
    for (size_t i = 0; i < ps.n && i < 32; i++) {
        if (!(uses & (1u << i)))
            continue;
        const param *p = &ps.v[i];
        if (p->kind != P_TEXT)
            return false;
        size_t n = p->s != NULL ? strlen(p->s) : 0;
        if (at + 2 + n > FK_MEMO_KEY)
            return false;
        key[at++] = p->s != NULL ? 'T' : 'N';     /* NULL and "" differ */
        memcpy(key + at, p->s != NULL ? p->s : "", n);
        at += n;
        key[at++] = '\0';                         /* "ab","c" and "a","bc" differ */
    }
    *len = at;
    return true;
}

static bool fk_memo_has(const sq_store *q, enum st_id st, const char *key, size_t len)
{
    for (unsigned i = 0; i < FK_MEMO_SLOTS; i++)
        if (q->fk_memo[i].st == st && q->fk_memo[i].len == len
            && memcmp(q->fk_memo[i].key, key, len) == 0)
            return true;
    return false;
}

static void fk_memo_put(sq_store *q, enum st_id st, const char *key, size_t len)
{
    fk_memo *m = &q->fk_memo[q->fk_memo_next++ % FK_MEMO_SLOTS];
    m->st = st;
    m->len = len;
    memcpy(m->key, key, len);
}

static void fk_memo_clear(sq_store *q)
{
    memset(q->fk_memo, 0, sizeof q->fk_memo);
    q->fk_memo_next = 0;
}

/* One parent check (see FK_PARENTS) of a write with ps. */
static pd_err parent_check(sq_store *q, const fk_check *c, params ps, const char *op,
                           const char *fk_hint)
{
    char key[FK_MEMO_KEY];
    size_t len = 0;
    bool memo = c->memo != 0 && fk_memo_key(ps, c->memo, key, &len);
    if (memo && fk_memo_has(q, c->st, key, len))
        return PD_OK;
    sqlite3_stmt *st = stmt_get(q, c->st, op);
    if (st == NULL)
        return PD_ERR_STORE;
    int n = sqlite3_bind_parameter_count(st);
    if (ps.n > (size_t)n)
        ps.n = (size_t)n;
    if (!bind_params(st, ps)) {
        stmt_done(q, st);
        return db_fail(q, op, SQLITE_ERROR, NULL);
    }
    int rc = sq_step(q, st, true);
    bool there = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    pd_err e = PD_OK;
    if (rc != SQLITE_ROW)
        e = db_fail(q, op, rc, NULL);
    else if (!there) {
        met_inc(MET_DB_ERRORS);
        q->fk_refused = true;
        e = fail_msg(q, op, "FOREIGN KEY constraint failed", fk_hint);
    } else if (memo)
        fk_memo_put(q, c->st, key, len);
    stmt_done(q, st);
    return e;
}

/* An unchecked bulk load: PD_OK when the rows the write `id` with ps names
 * through its foreign keys exist, else the failure SQLite's own check
 * records. */
static pd_err parents_exist(sq_store *q, enum st_id id, params ps, const char *op,
                            const char *fk_hint)
{
    pd_err e = PD_OK;
    for (size_t i = 0; e == PD_OK && i < 2 && FK_PARENTS[id][i].st != 0; i++)
        e = parent_check(q, &FK_PARENTS[id][i], ps, op, fk_hint);
    return e;
}

/* Runs statement `id` with ps to completion (see st_exec). */
static pd_err exec_params(sq_store *q, enum st_id id, params ps, const char *op,
                          const char *fk_hint, int *changes)
{
    q->fk_refused = false;
    if (group_lost(q))
        return refuse_group_lost(q, op);
    if (q->fk_unchecked && FK_PARENTS[id][0].st != 0) {
        pd_err e = parents_exist(q, id, ps, op, fk_hint);
        if (e != PD_OK)
            return e;
    }
    sqlite3_stmt *st = stmt_bound(q, id, ps, op);
    if (st == NULL)
        return PD_ERR_STORE;
    return st_exec(q, st, op, fk_hint, changes);
}

/* A write keyed by one row (a user id, a kid ...): PD_ERR_NOT_FOUND when it
 * changed no row. */
static pd_err exec_keyed(sq_store *q, enum st_id id, params ps, const char *op)
{
    int changes = 0;
    pd_err e = exec_params(q, id, ps, op, NULL, &changes);
    if (e == PD_OK && changes == 0)
        e = PD_ERR_NOT_FOUND;
    return e;
}

/* Converts the current row of st into *out; false when out of memory (out
 * is then left for the caller to clear, or cleared by the converter). */
typedef bool (*row_conv)(sqlite3_stmt *st, void *out);

/* What fetch_row makes of a statement that returns no row. */
typedef enum { NONE_NOT_FOUND, NONE_OK, NONE_FAILS } no_row;

/* Runs statement `id` with ps and converts its first row into out. */
static pd_err fetch_row(sq_store *q, enum st_id id, params ps, row_conv conv, void *out,
                        no_row none, const char *op)
{
    sqlite3_stmt *st = stmt_bound(q, id, ps, op);
    if (st == NULL)
        return PD_ERR_STORE;
    pd_err e = PD_OK;
    int rc = sq_step(q, st, true);
    if (rc == SQLITE_DONE && none != NONE_FAILS)
        e = none == NONE_OK ? PD_OK : PD_ERR_NOT_FOUND;
    else if (rc != SQLITE_ROW)
        e = db_fail(q, op, rc, NULL);
    else if (!conv(st, out))
        e = oom(q, op);
    stmt_done(q, st);
    return e;
}

/* fetch_row for a lookup: PD_ERR_NOT_FOUND when there is no row. */
static pd_err fetch_one(sq_store *q, enum st_id id, params ps, row_conv conv, void *out,
                        const char *op)
{
    return fetch_row(q, id, ps, conv, out, NONE_NOT_FOUND, op);
}

/* Called with each row: 0 goes on, > 0 stops (PD_OK), < 0 stops out of
 * memory. */
typedef int (*row_fn)(sqlite3_stmt *st, void *ctx);

/* Runs statement `id` with ps and hands each row to fn. */
static pd_err run_rows(sq_store *q, enum st_id id, params ps, row_fn fn, void *ctx,
                       const char *op)
{
    sqlite3_stmt *st = stmt_bound(q, id, ps, op);
    if (st == NULL)
        return PD_ERR_STORE;
    pd_err e = PD_OK;
    for (bool first = true;; first = false) {
        int rc = sq_step(q, st, first);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            e = db_fail(q, op, rc, NULL);
            break;
        }
        int r = fn(st, ctx);
        if (r != 0) {
            e = r < 0 ? oom(q, op) : PD_OK;
            break;
        }
    }
    stmt_done(q, st);
    return e;
}

/* ---- transactions inside one operation ------------------------------- */

/* Writes made of several statements run in their own BEGIN IMMEDIATE
 * transaction, or in a savepoint when the caller already began one. */
static pd_err tx_enter_write(sq_store *q, const char *op, tx_kind *k)
{
    *k = TX_NONE;
    if (group_lost(q))
        return refuse_group_lost(q, op);
    bool own = sqlite3_get_autocommit(q->db) != 0;
    if (own)
        writer_enter(q);
    pd_err e = run_id(q, own ? ST_BEGIN_IMMEDIATE : ST_SAVEPOINT, op);
    if (e == PD_OK)
        *k = own ? TX_OWN : TX_SAVEPOINT;
    else if (own)
        writer_leave(q);
    return e;
}

/* Reads made of several statements see one snapshot (file databases only:
 * on a shared-cache database a held read lock could deadlock a writer). */
static pd_err tx_enter_read(sq_store *q, const char *op, tx_kind *k)
{
    *k = TX_NONE;
    if (q->shared_cache || !sqlite3_get_autocommit(q->db))
        return PD_OK;
    pd_err e = run_id(q, ST_BEGIN_READ, op);
    if (e == PD_OK)
        *k = TX_OWN;
    return e;
}

/* Ends what tx_enter_* began: commits when e == PD_OK, else rolls back.
 * Returns the final result. */
static pd_err tx_leave(sq_store *q, const char *op, tx_kind k, pd_err e)
{
    if (k == TX_NONE)
        return e;
    if (e == PD_OK) {
        e = run_id(q, k == TX_OWN ? ST_COMMIT : ST_RELEASE, op);
        if (e == PD_OK) {
            writer_leave(q);
            return PD_OK;
        }
    }
    if (sqlite3_get_autocommit(q->db)) {    /* SQLite already rolled back */
        writer_leave(q);
        return e;
    }
    if (k == TX_OWN) {
        run_quiet(q, ST_ROLLBACK, op);
        writer_leave(q);
    } else {
        run_quiet(q, ST_ROLLBACK_TO, op);
        run_quiet(q, ST_RELEASE, op);
    }
    return e;
}

/* ---- row conversion -------------------------------------------------- */

static char *col_text(sqlite3_stmt *st, int i)
{
    return (char *)sqlite3_column_text(st, i);
}

static bool dup_into(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

static void account_borrow(sqlite3_stmt *st, pd_account *a)
{
    a->id = col_text(st, 0);
    a->external_id = sqlite3_column_int64(st, 1);
    a->name = col_text(st, 2);
    a->organization_id = col_text(st, 3);
}

static bool account_copy(const pd_account *src, pd_account *dst)
{
    dst->external_id = src->external_id;
    bool ok = dup_into(&dst->id, src->id) && dup_into(&dst->name, src->name)
              && dup_into(&dst->organization_id, src->organization_id);
    if (!ok)
        pd_account_clear(dst);
    return ok;
}

/* row_conv: an owned pd_account (cleared on failure). */
static bool account_conv(sqlite3_stmt *st, void *out)
{
    pd_account row;
    account_borrow(st, &row);
    return account_copy(&row, out);
}

static void user_borrow(sqlite3_stmt *st, pd_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = col_text(st, 0);
    u->email = col_text(st, 1);
    u->status = col_text(st, 2);
    u->created = col_text(st, 3);
    u->modified = col_text(st, 4);
    u->last_login = col_text(st, 5);
    u->password_hash = col_text(st, 6);
    u->profile_json = col_text(st, 7);
    u->version = sqlite3_column_int64(st, 8);
    u->image_etag = col_text(st, 9);
    u->has_image = u->image_etag != NULL;
}

static bool user_copy(const pd_user *src, pd_user *dst)
{
    dst->version = src->version;
    dst->has_image = src->has_image;
    bool ok = dup_into(&dst->id, src->id) && dup_into(&dst->email, src->email)
              && dup_into(&dst->status, src->status) && dup_into(&dst->created, src->created)
              && dup_into(&dst->modified, src->modified)
              && dup_into(&dst->last_login, src->last_login)
              && dup_into(&dst->password_hash, src->password_hash)
              && dup_into(&dst->profile_json, src->profile_json)
              && dup_into(&dst->image_etag, src->image_etag);
    if (!ok)
        pd_user_clear(dst);
    return ok;
}

/* row_conv: an owned pd_user (cleared on failure). */
static bool user_conv(sqlite3_stmt *st, void *out)
{
    pd_user row;
    user_borrow(st, &row);
    return user_copy(&row, out);
}

/* row_conv: user_conv with USER_DEFAULT_ACCOUNT after USER_COLS. */
static bool user_default_conv(sqlite3_stmt *st, void *out)
{
    pd_user *u = out;
    if (!user_conv(st, out))
        return false;
    if (!dup_into(&u->default_account_id, col_text(st, USER_NCOLS))) {
        pd_user_clear(u);
        return false;
    }
    return true;
}

/* ---- lifecycle ------------------------------------------------------- */

static void sq_close(pd_store *s)
{
    sq_store *q = SQ(s);
    if (q->writer_locked && !sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    writer_leave(q);
    for (size_t i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(q->st[i]);
    if (sqlite3_close_v2(q->db) != SQLITE_OK)
        store_log("close: connection still busy");
    pd_changes_file_put(q->changes);
    pd_lane_put(q->lane);
    free(q->path);
    sqlite3_free(q->bulk_set_aside);
    explicit_bzero(q, sizeof *q);
    free(q);
}

static pd_err sq_check(pd_store *s)
{
    sq_store *q = SQ(s);
    if (!file_intact(q))
        return fail_msg(q, "check", q->lost, NULL);
    return PD_OK;
}

static const char *sq_last_error(pd_store *s)
{
    return SQ(s)->last_err;
}

static pd_err sq_migrate(pd_store *s, int *from, int *to)
{
    sq_store *q = SQ(s);
    if (!sqlite3_get_autocommit(q->db))
        return fail_msg(q, "migrate", "cannot migrate inside a transaction", NULL);
    char msg[LAST_ERR_MAX - 16];
    pd_err e = pd_sqlite_migrate(q->db, from, to, msg, sizeof msg);
    signal_committed(q);
    if (e != PD_OK)
        return fail_msg(q, "migrate", msg, NULL);
    return PD_OK;
}

static pd_err sq_begin(pd_store *s)
{
    sq_store *q = SQ(s);
    if (group_lost(q))
        return refuse_group_lost(q, "begin");
    if (in_group(q)) {
        pd_err e = run_id(q, ST_SAVEPOINT, "begin");
        if (e == PD_OK)
            q->group_saves++;
        return e;
    }
    writer_enter(q);
    pd_err e = run_id(q, ST_BEGIN_IMMEDIATE, "begin");
    writer_leave(q);                        /* only if BEGIN failed */
    return e;
}

static pd_err sq_commit(pd_store *s)
{
    sq_store *q = SQ(s);
    if (in_group(q) && q->group_saves > 0) {
        pd_err e = run_id(q, ST_RELEASE, "commit");
        if (e == PD_OK)
            q->group_saves--;
        return e;
    }
    pd_err e = run_id(q, ST_COMMIT, "commit");
    writer_leave(q);                        /* a failed COMMIT keeps it open */
    return e;
}

static pd_err sq_rollback(pd_store *s)
{
    sq_store *q = SQ(s);
    pd_err e = PD_OK;
    if (in_group(q)) {                      /* the group's own end is group_end */
        if (q->group_saves == 0)
            return PD_OK;
        q->group_saves--;
        e = run_id(q, ST_ROLLBACK_TO, "rollback");
        pd_err r = run_id(q, ST_RELEASE, "rollback");
        return e != PD_OK ? e : r;
    }
    if (!sqlite3_get_autocommit(q->db))
        e = run_id(q, ST_ROLLBACK, "rollback");
    writer_leave(q);
    return e;
}

/* ---- group commit (store.h) -------------------------------------------- */

static pd_err sq_group_begin(pd_store *s)
{
    sq_store *q = SQ(s);
    if (q->group || !sqlite3_get_autocommit(q->db))
        return fail_msg(q, "group_begin", "called inside a transaction", NULL);
    writer_enter(q);
    pd_err e = run_id(q, ST_BEGIN_IMMEDIATE, "group_begin");
    writer_leave(q);                        /* only if BEGIN failed */
    if (e == PD_OK) {
        q->group = true;
        q->group_saves = 0;
    }
    return e;
}

static pd_err sq_group_end(pd_store *s, bool commit)
{
    sq_store *q = SQ(s);
    pd_err e = PD_ERR_STORE;                /* rolled back already: nothing committed */
    if (!q->group)
        return fail_msg(q, "group_end", "no group begun", NULL);
    q->group = false;
    q->group_saves = 0;
    if (!sqlite3_get_autocommit(q->db)) {
        e = commit ? run_id(q, ST_COMMIT, "group_end") : PD_ERR_STORE;
        if (e != PD_OK && !sqlite3_get_autocommit(q->db))
            run_quiet(q, ST_ROLLBACK, "group_end");
    }
    writer_leave(q);
    signal_committed(q);
    return e;
}

static bool sq_group_open(pd_store *s)
{
    return in_group(SQ(s));
}

/* ---- lookups --------------------------------------------------------- */

static pd_err sq_get_account(pd_store *s, const char *ref, pd_account *out)
{
    static const char op[] = "get_account";
    sq_store *q = SQ(s);
    if (ref == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    int64_t num = 0;
    int kind = store_account_ref_kind(ref, &num);
    if (kind < 0 || ref[0] == '\0')
        return PD_ERR_NOT_FOUND;
    if (kind == 1)
        return fetch_one(q, ST_ACCOUNT_BY_EXT, PARAMS(PI(num)), account_conv, out, op);
    return fetch_one(q, ST_ACCOUNT_BY_ID, PARAMS(PT(ref)), account_conv, out, op);
}

static pd_err fetch_user(sq_store *q, enum st_id id, const char *key, pd_user *out,
                         const char *op)
{
    if (key == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return fetch_one(q, id, PARAMS(PT(key)), user_default_conv, out, op);
}

static pd_err sq_get_user(pd_store *s, const char *user_id, pd_user *out)
{
    return fetch_user(SQ(s), ST_USER_BY_ID, user_id, out, "get_user");
}

static pd_err sq_get_user_by_email(pd_store *s, const char *email, pd_user *out)
{
    return fetch_user(SQ(s), ST_USER_BY_EMAIL, email, out, "get_user_by_email");
}

/* row_conv: the membership row (without groups); the caller clears it. */
static bool membership_conv(sqlite3_stmt *st, void *out)
{
    pd_membership *m = out;
    m->is_admin = sqlite3_column_int(st, 2) != 0;
    return dup_into(&m->account_id, col_text(st, 0)) && dup_into(&m->user_id, col_text(st, 1))
           && dup_into(&m->permission_profile_id, col_text(st, 3))
           && dup_into(&m->permission_profile_name, col_text(st, 4))
           && dup_into(&m->added, col_text(st, 5));
}

typedef struct {
    pd_membership *m;
    size_t cap;
} groups_ctx;

/* row_fn: appends the group row to m->groups. */
static int group_row(sqlite3_stmt *st, void *ctx)
{
    groups_ctx *x = ctx;
    pd_membership *m = x->m;
    if (m->n_groups == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 4;
        pd_group *g = realloc(m->groups, ncap * sizeof *g);
        if (g == NULL)
            return -1;
        m->groups = g;
        x->cap = ncap;
    }
    pd_group *g = &m->groups[m->n_groups];
    memset(g, 0, sizeof *g);
    m->n_groups++;                  /* counted before copying so clear frees it */
    bool ok = dup_into(&g->id, col_text(st, 0)) && dup_into(&g->name, col_text(st, 1))
              && dup_into(&g->type, col_text(st, 2));
    return ok ? 0 : -1;
}

/* Appends the membership's groups (ordered by group id) to out->groups. */
static pd_err membership_groups(sq_store *q, const char *account_id, const char *user_id,
                                pd_membership *out, const char *op)
{
    groups_ctx x = { out, 0 };
    return run_rows(q, ST_MEMBERSHIP_GROUPS, PARAMS(PT(account_id), PT(user_id)), group_row, &x,
                    op);
}

static pd_err sq_get_membership(pd_store *s, const char *account_id, const char *user_id,
                                pd_membership *out)
{
    static const char op[] = "get_membership";
    sq_store *q = SQ(s);
    if (account_id == NULL || user_id == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    tx_kind k;
    pd_err e = tx_enter_read(q, op, &k);
    if (e != PD_OK)
        return e;
    e = fetch_one(q, ST_MEMBERSHIP, PARAMS(PT(account_id), PT(user_id)), membership_conv, out,
                  op);
    if (e == PD_OK)
        e = membership_groups(q, account_id, user_id, out, op);
    e = tx_leave(q, op, k, e);
    if (e != PD_OK)
        pd_membership_clear(out);
    return e;
}

static pd_err sq_get_member_user(pd_store *s, const char *account_id, const char *user_id,
                                 pd_membership *m, pd_user *u)
{
    static const char op[] = "get_member_user";
    sq_store *q = SQ(s);
    if (m != NULL)
        memset(m, 0, sizeof *m);
    if (u != NULL)
        memset(u, 0, sizeof *u);
    if (account_id == NULL || user_id == NULL || m == NULL || u == NULL)
        return bad_arg(q, op);
    tx_kind k;
    pd_err e = tx_enter_read(q, op, &k);
    if (e != PD_OK)
        return e;
    e = sq_get_membership(s, account_id, user_id, m);
    if (e == PD_OK)
        e = fetch_user(q, ST_USER_BY_ID, user_id, u, op);
    e = tx_leave(q, op, k, e);
    if (e != PD_OK) {
        pd_membership_clear(m);
        pd_user_clear(u);
    }
    return e;
}

/* Columns 0..n-1 into out[0..n); for the row_convs below. */
static bool int64_conv(sqlite3_stmt *st, int64_t *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = sqlite3_column_int64(st, i);
    return true;
}

static bool int64x1_conv(sqlite3_stmt *st, void *out)
{
    return int64_conv(st, out, 1);
}

static bool int64x3_conv(sqlite3_stmt *st, void *out)
{
    return int64_conv(st, out, 3);
}

static pd_err sq_count_users(pd_store *s, int64_t *out)
{
    static const char op[] = "count_users";
    sq_store *q = SQ(s);
    if (out == NULL)
        return bad_arg(q, op);
    return fetch_row(q, ST_COUNT_USERS, NO_PARAMS, int64x1_conv, out, NONE_FAILS, op);
}

/* ---- profile and image writes ---------------------------------------- */

static pd_err sq_update_profile(pd_store *s, const char *user_id, const char *profile_json,
                                const char *modified)
{
    static const char op[] = "update_profile";
    sq_store *q = SQ(s);
    if (user_id == NULL || profile_json == NULL || modified == NULL)
        return bad_arg(q, op);
    return exec_keyed(q, ST_UPDATE_PROFILE, PARAMS(PT(user_id), PT(profile_json), PT(modified)),
                      op);
}

/* One statement, so its own transaction (autocommit): the writer mutex is
 * held for the UPDATE and its COMMIT only; the caller read, merged and
 * encoded the document before, without it. */
static pd_err sq_update_profile_if(pd_store *s, const char *user_id, int64_t version,
                                   const char *read_json, const char *profile_json,
                                   const char *modified)
{
    static const char op[] = "update_profile_if";
    sq_store *q = SQ(s);
    if (user_id == NULL || read_json == NULL || profile_json == NULL || modified == NULL)
        return bad_arg(q, op);
    if (!sqlite3_get_autocommit(q->db) && !in_group(q))
        return fail_msg(q, op, "called inside a transaction", NULL);
    writer_enter(q);
    pd_err e = exec_keyed(q, ST_UPDATE_PROFILE_IF,
                          PARAMS(PT(user_id), PT(profile_json), PT(modified), PI(version),
                                 PT(read_json)), op);
    writer_leave(q);
    return e;
}

/* Sets users.modified and bumps version; PD_ERR_NOT_FOUND if no such user. */
static pd_err touch_user(sq_store *q, const char *user_id, const char *modified, const char *op)
{
    return exec_keyed(q, ST_USER_TOUCH, PARAMS(PT(user_id), PT(modified)), op);
}

/* row_conv: an owned pd_image (cleared on failure). */
static bool image_conv(sqlite3_stmt *st, void *out)
{
    pd_image *im = out;
    const void *blob = sqlite3_column_blob(st, 1);
    int len = sqlite3_column_bytes(st, 1);
    im->bytes = malloc(len > 0 ? (size_t)len : 1);
    if (im->bytes == NULL || !dup_into(&im->content_type, col_text(st, 0))
        || !dup_into(&im->etag, col_text(st, 2))) {
        pd_image_clear(im);
        return false;
    }
    if (len > 0)
        memcpy(im->bytes, blob, (size_t)len);
    im->len = (size_t)len;
    return true;
}

static pd_err sq_get_image(pd_store *s, const char *user_id, pd_image *out)
{
    static const char op[] = "get_image";
    sq_store *q = SQ(s);
    if (user_id == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return fetch_one(q, ST_IMAGE_GET, PARAMS(PT(user_id)), image_conv, out, op);
}

static pd_err image_upsert(sq_store *q, const char *user_id, const unsigned char *bytes,
                           size_t len, const char *content_type, const char *etag,
                           const char *op)
{
    return exec_params(q, ST_IMAGE_PUT,
                       PARAMS(PT(user_id), PT(content_type), PB(bytes, len), PT(etag)), op,
                       "the user does not exist", NULL);
}

static pd_err sq_put_image(pd_store *s, const char *user_id, const unsigned char *bytes,
                           size_t len, const char *content_type, const char *etag,
                           const char *modified)
{
    static const char op[] = "put_image";
    sq_store *q = SQ(s);
    if (user_id == NULL || (bytes == NULL && len > 0) || content_type == NULL || etag == NULL
        || modified == NULL)
        return bad_arg(q, op);
    tx_kind k;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = touch_user(q, user_id, modified, op);
    if (e == PD_OK)
        e = image_upsert(q, user_id, bytes, len, content_type, etag, op);
    return tx_leave(q, op, k, e);
}

static pd_err sq_delete_image(pd_store *s, const char *user_id, const char *modified)
{
    static const char op[] = "delete_image";
    sq_store *q = SQ(s);
    if (user_id == NULL || modified == NULL)
        return bad_arg(q, op);
    tx_kind k;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = exec_keyed(q, ST_IMAGE_DELETE, PARAMS(PT(user_id)), op);
    if (e == PD_OK)
        e = touch_user(q, user_id, modified, op);
    return tx_leave(q, op, k, e);
}

/* ---- signing keys ---------------------------------------------------- */

static int emit_key(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_signing_key k;
    if (sqlite3_column_bytes(st, 1) != (int)sizeof k.secret) {
        store_log("get_signing_keys: skipping a key whose secret is not 32 bytes");
        return 0;
    }
    k.kid = col_text(st, 0);
    memcpy(k.secret, sqlite3_column_blob(st, 1), sizeof k.secret);
    k.created = sqlite3_column_int64(st, 2);
    int r = fn(ctx, &k);
    explicit_bzero(k.secret, sizeof k.secret);
    return r;
}

typedef struct {
    row_emit emit;
    pd_iter_fn fn;
    void *ctx;
} emit_ctx;

/* row_fn: emit; stops when fn returned non-zero. */
static int emit_row(sqlite3_stmt *st, void *ctx)
{
    emit_ctx *x = ctx;
    return x->emit(st, x->fn, x->ctx) != 0;
}

/* Runs statement `id` (with ?1 = arg when arg != NULL) and hands each row to
 * emit; stops early, with PD_OK, when fn returns non-zero. */
static pd_err iterate(sq_store *q, enum st_id id, const char *arg, row_emit emit,
                      pd_iter_fn fn, void *ctx, const char *op)
{
    if (fn == NULL)
        return bad_arg(q, op);
    emit_ctx x = { emit, fn, ctx };
    return run_rows(q, id, arg != NULL ? PARAMS(PT(arg)) : NO_PARAMS, emit_row, &x, op);
}

static pd_err sq_get_signing_keys(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_KEYS, NULL, emit_key, fn, ctx, "get_signing_keys");
}

static pd_err sq_add_signing_key(pd_store *s, const char *kid, const unsigned char *secret,
                                 size_t len, int64_t created)
{
    static const char op[] = "add_signing_key";
    sq_store *q = SQ(s);
    if (kid == NULL || secret == NULL || len != sizeof ((pd_signing_key *)0)->secret)
        return bad_arg(q, op);
    return exec_params(q, ST_KEY_ADD, PARAMS(PT(kid), PB(secret, len), PI(created)), op, NULL,
                       NULL);
}

/* ---- import (upsert) ------------------------------------------------- */

static pd_err sq_upsert_org(pd_store *s, const pd_org *o)
{
    static const char op[] = "upsert_org";
    sq_store *q = SQ(s);
    if (o == NULL || o->id == NULL)
        return bad_arg(q, op);
    if (o->site_id > 0)
        return exec_params(q, ST_UPSERT_ORG,
                           PARAMS(PT(o->id), PT(o->name), PI(o->site_id), PT(o->site_name)), op,
                           NULL, NULL);
    return exec_params(q, ST_UPSERT_ORG, PARAMS(PT(o->id), PT(o->name), PT(NULL), PT(o->site_name)),
                       op, NULL, NULL);
}

static pd_err sq_upsert_account(pd_store *s, const pd_account *a)
{
    static const char op[] = "upsert_account";
    sq_store *q = SQ(s);
    if (a == NULL || a->id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_UPSERT_ACCOUNT,
                       PARAMS(PT(a->id), PI(a->external_id), PT(a->name), PT(a->organization_id)),
                       op, "the organization does not exist", NULL);
}

static pd_err sq_upsert_perm_profile(pd_store *s, const char *account_id, const pd_perm_profile *p)
{
    static const char op[] = "upsert_perm_profile";
    sq_store *q = SQ(s);
    if (account_id == NULL || p == NULL || p->id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_UPSERT_PERM_PROFILE, PARAMS(PT(account_id), PT(p->id), PT(p->name)),
                       op, "the account does not exist", NULL);
}

static pd_err sq_upsert_group(pd_store *s, const char *account_id, const pd_group *g)
{
    static const char op[] = "upsert_group";
    sq_store *q = SQ(s);
    if (account_id == NULL || g == NULL || g->id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_UPSERT_GROUP,
                       PARAMS(PT(account_id), PT(g->id), PT(g->name), PT(g->type)), op,
                       "the account does not exist", NULL);
}

static pd_err sq_upsert_user(pd_store *s, const pd_user *u)
{
    static const char op[] = "upsert_user";
    sq_store *q = SQ(s);
    if (u == NULL || u->id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_UPSERT_USER,
                       PARAMS(PT(u->id), PT(u->email), PT(u->status), PT(u->created),
                              PT(u->modified), PT(u->last_login), PT(u->password_hash),
                              PT(u->profile_json)),
                       op, NULL, NULL);
}

static pd_err membership_write(sq_store *q, const pd_membership *m, const char *op)
{
    static const char fk[] = "the account, user, permission profile or a group does not exist";
    pd_err e = exec_params(q, ST_UPSERT_MEMBERSHIP,
                           PARAMS(PT(m->account_id), PT(m->user_id), PI(m->is_admin ? 1 : 0),
                                  PT(m->permission_profile_id), PT(m->added)),
                           op, fk, NULL);
    if (e == PD_OK)
        e = exec_params(q, ST_MG_DELETE, PARAMS(PT(m->account_id), PT(m->user_id)), op, fk, NULL);
    for (size_t i = 0; e == PD_OK && i < m->n_group_ids; i++)
        e = exec_params(q, ST_MG_INSERT,
                        PARAMS(PT(m->account_id), PT(m->user_id), PT(m->group_ids[i])), op, fk,
                        NULL);
    return e;
}

static pd_err sq_upsert_membership(pd_store *s, const pd_membership *m)
{
    static const char op[] = "upsert_membership";
    sq_store *q = SQ(s);
    if (m == NULL || m->account_id == NULL || m->user_id == NULL
        || (m->n_group_ids > 0 && m->group_ids == NULL))
        return bad_arg(q, op);
    for (size_t i = 0; i < m->n_group_ids; i++)
        if (m->group_ids[i] == NULL)
            return bad_arg(q, op);
    if (q->bulk)                        /* one transaction; the load bumps the generation */
        return membership_write(q, m, op);
    tx_kind k;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = membership_write(q, m, op);
    /* cached renderings of this user include the membership */
    if (e == PD_OK)
        e = exec_params(q, ST_USER_BUMP, PARAMS(PT(m->user_id)), op, NULL, NULL);
    return tx_leave(q, op, k, e);
}

/* ---- export (iteration) ---------------------------------------------- */

static int emit_org(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_org o = { .id = col_text(st, 0), .name = col_text(st, 1),
                 .site_id = sqlite3_column_int64(st, 2), .site_name = col_text(st, 3) };
    return fn(ctx, &o);
}

static int emit_account(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_account a;
    account_borrow(st, &a);
    return fn(ctx, &a);
}

static int emit_perm_profile(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_perm_profile p = { .id = col_text(st, 0), .name = col_text(st, 1) };
    return fn(ctx, &p);
}

static int emit_group(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_group g = { .id = col_text(st, 0), .name = col_text(st, 1), .type = col_text(st, 2) };
    return fn(ctx, &g);
}

static int emit_user(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_user u;
    user_borrow(st, &u);
    return fn(ctx, &u);
}

static pd_err sq_each_org(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_EACH_ORG, NULL, emit_org, fn, ctx, "each_org");
}

static pd_err sq_each_account(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_EACH_ACCOUNT, NULL, emit_account, fn, ctx, "each_account");
}

static pd_err sq_each_perm_profile(pd_store *s, const char *account_id, pd_iter_fn fn, void *ctx)
{
    if (account_id == NULL)
        return bad_arg(SQ(s), "each_perm_profile");
    return iterate(SQ(s), ST_EACH_PERM_PROFILE, account_id, emit_perm_profile, fn, ctx,
                   "each_perm_profile");
}

static pd_err sq_each_group(pd_store *s, const char *account_id, pd_iter_fn fn, void *ctx)
{
    if (account_id == NULL)
        return bad_arg(SQ(s), "each_group");
    return iterate(SQ(s), ST_EACH_GROUP, account_id, emit_group, fn, ctx, "each_group");
}

static pd_err sq_each_user(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_EACH_USER, NULL, emit_user, fn, ctx, "each_user");
}

/* Starts `cur` (owned copies) from the current row of ST_EACH_MEMBERSHIP. */
static bool membership_start(sqlite3_stmt *st, pd_membership *cur)
{
    memset(cur, 0, sizeof *cur);
    cur->is_admin = sqlite3_column_int(st, 2) != 0;
    return dup_into(&cur->account_id, col_text(st, 0)) && dup_into(&cur->user_id, col_text(st, 1))
           && dup_into(&cur->permission_profile_id, col_text(st, 3))
           && dup_into(&cur->added, col_text(st, 5));
}

/* Appends a copy of s (NULL stays NULL) to (*v)[0..*n), *cap allocated. */
static bool strv_push(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        char **nv = realloc(*v, ncap * sizeof *nv);
        if (nv == NULL)
            return false;
        *v = nv;
        *cap = ncap;
    }
    if (!dup_into(&(*v)[*n], s))
        return false;
    (*n)++;
    return true;
}

static bool same_membership(sqlite3_stmt *st, const pd_membership *cur)
{
    const char *a = col_text(st, 0), *u = col_text(st, 1);
    return a != NULL && u != NULL && strcmp(a, cur->account_id) == 0 && strcmp(u, cur->user_id) == 0;
}

typedef struct {
    pd_membership cur;              /* owned; valid when have */
    bool have;
    size_t cap;                     /* of cur.group_ids */
    pd_iter_fn fn;
    void *ctx;
} stream_ctx;

/* row_fn: hands the previous membership to fn when the row starts another,
 * then adds the row to cur. */
static int membership_stream_row(sqlite3_stmt *st, void *ctx)
{
    stream_ctx *x = ctx;
    if (x->have && !same_membership(st, &x->cur)) {
        bool stop = x->fn(x->ctx, &x->cur) != 0;
        pd_membership_clear(&x->cur);
        x->have = false;
        if (stop)
            return 1;
    }
    if (!x->have) {
        x->cap = 0;
        x->have = true;
        if (!membership_start(st, &x->cur))
            return -1;
    }
    const char *gid = col_text(st, 4);
    if (gid != NULL && !strv_push(&x->cur.group_ids, &x->cur.n_group_ids, &x->cap, gid))
        return -1;
    return 0;
}

/* One query (memberships LEFT JOIN their groups, ordered by key) streamed:
 * a membership is handed to fn once its last group row has been read. */
static pd_err sq_each_membership(pd_store *s, pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_membership";
    sq_store *q = SQ(s);
    if (fn == NULL)
        return bad_arg(q, op);
    stream_ctx x = { .fn = fn, .ctx = ctx };
    pd_err e = run_rows(q, ST_EACH_MEMBERSHIP, NO_PARAMS, membership_stream_row, &x, op);
    if (e == PD_OK && x.have)
        fn(ctx, &x.cur);
    pd_membership_clear(&x.cur);
    return e;
}

/* ---- response-cache validation ---------------------------------------- */

static pd_err sq_begin_read(pd_store *s)
{
    return run_id(SQ(s), ST_BEGIN_READ, "begin_read");
}

static pd_err sq_get_versions(pd_store *s, const char *user_a, const char *user_b,
                              int64_t *va, int64_t *vb, int64_t *generation)
{
    static const char op[] = "get_versions";
    sq_store *q = SQ(s);
    int64_t v[3];

    if (user_a == NULL || user_b == NULL)
        return bad_arg(q, op);
    pd_err e = fetch_row(q, ST_VERSIONS, PARAMS(PT(user_a), PT(user_b)), int64x3_conv, v,
                         NONE_FAILS, op);
    if (e == PD_OK) {
        *va = v[0];
        *vb = v[1];
        *generation = v[2];
    }
    return e;
}

static pd_err sq_delete_signing_key(pd_store *s, const char *kid)
{
    static const char op[] = "delete_signing_key";
    sq_store *q = SQ(s);

    if (kid == NULL)
        return bad_arg(q, op);
    return exec_keyed(q, ST_KEY_DELETE, PARAMS(PT(kid)), op);
}

static pd_err sq_bump_generation(pd_store *s)
{
    return run_id(SQ(s), ST_BUMP_GENERATION, "bump_generation");
}

/* Children before parents, every table that references another named: a
 * bulk load wipes with foreign keys off, so nothing goes by cascade (and
 * bulk_unchecked_rows would find what a table left out here leaves). */
static const char SQL_WIPE_TENANT[] =
    "DELETE FROM share_links;"
    "DELETE FROM oauth_grants; DELETE FROM oauth_consents; DELETE FROM integration_keys;"
    "DELETE FROM integration_redirect_uris; DELETE FROM integrations; DELETE FROM login_throttle;"
    "DELETE FROM user_identities; DELETE FROM organization_users; DELETE FROM organization_domains;"
    "DELETE FROM organization_admins; DELETE FROM membership_groups; DELETE FROM memberships;"
    "DELETE FROM user_images; DELETE FROM groups; DELETE FROM permission_profiles;"
    "DELETE FROM users; DELETE FROM accounts; DELETE FROM organizations;";

static pd_err sq_wipe_tenant(pd_store *s)
{
    sq_store *q = SQ(s);

    if (sqlite3_get_autocommit(q->db))
        return fail_msg(q, "wipe_tenant", "only inside a transaction", NULL);
    if (sqlite3_exec(q->db, SQL_WIPE_TENANT, NULL, NULL, NULL) != SQLITE_OK)
        return fail_msg(q, "wipe_tenant", sqlite3_errmsg(q->db), NULL);
    fk_memo_clear(q);
    return PD_OK;
}

/* ---- bulk load (cli/import.c; docs/storage.md "Bulk load") ------------- */

static int pragma(sqlite3 *db, const char *sql, char *val, size_t vlen);

/* Load settings on (a rollback journal when alone, a large page cache) or
 * back to the connection's usual ones (configure()). */
static void bulk_settings(sq_store *q, bool on, bool alone)
{
    char val[16] = "";

    if (on && alone && q->path != NULL) {
        /* Leaving WAL needs the only connection: with others open (a
         * running server) it fails at once and the load stays in WAL. */
        sqlite3_busy_timeout(q->db, 0);
        if (pragma(q->db, "PRAGMA journal_mode = DELETE", val, sizeof val) == SQLITE_OK)
            q->bulk_journal = strcmp(val, "delete") == 0;
        sqlite3_busy_timeout(q->db, LIM_DB_BUSY_TIMEOUT_MS);
    }
    if (!on && q->bulk_journal) {
        if (pragma(q->db, "PRAGMA journal_mode = WAL", val, sizeof val) != SQLITE_OK
            || strcmp(val, "wal") != 0)
            store_log("bulk_end: could not go back to WAL (the next open does)");
        q->bulk_journal = false;
    }
    /* Foreign keys: off for the load, FK_PARENTS in their place (set
     * outside the transaction: inside it the pragma does nothing). */
    if (pragma(q->db, on ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON", NULL, 0)
            != SQLITE_OK
        || pragma(q->db, "PRAGMA foreign_keys", val, sizeof val) != SQLITE_OK)
        val[0] = '\0';
    /* keys that stay off after a load keep the parent checks running,
     * and a file database's connection refuses further writes */
    q->fk_unchecked = strcmp(val, "0") == 0;
    if (!on && strcmp(val, "1") != 0 && q->lost == NULL) {
        q->lost = "foreign keys could not be turned back on after a bulk load";
        store_log(q->lost);
    }
    pragma(q->db, on ? "PRAGMA cache_size = -" LIM_IMPORT_CACHE_KIB_STR
                     : "PRAGMA cache_size = -" LIM_DB_CACHE_KIB_STR, NULL, 0);
}

/* A load into a tenant without memberships (a new database, or a replace
 * after its wipe) sets three schema objects aside inside its transaction
 * and puts them back, from the CREATE text they had, before COMMIT:
 *
 * - the trigger organization_users_on_membership, which cost every
 *   membership an accounts probe, a NOT EXISTS probe and inserts into two
 *   more b-trees; one set-based fill (the triggers' rule, as migration 4
 *   first filled the table) writes what it would have written;
 * - the indexes memberships_by_user_cover and organization_users_by_user,
 *   keyed by user id: a random place in a large b-tree for every row,
 *   which at a million users means page-cache misses and spills; CREATE
 *   INDEX builds them by sorting instead.
 *
 * A rollback brings them back with everything else.  Nothing the load
 * itself reads needs them (the Admin API's listings and GET profile do,
 * and they see the load only once it is committed, schema and all). */
static const char SQL_SET_ASIDE[] =
    "SELECT type, name, sql FROM sqlite_master"
    " WHERE name IN ('organization_users_on_membership', 'memberships_by_user_cover',"
    "                'organization_users_by_user')"
    "   AND NOT EXISTS (SELECT 1 FROM memberships)"
    " ORDER BY type, name";             /* indexes before the trigger when put back */
static const char SQL_OU_FILL[] =
    "INSERT OR IGNORE INTO organization_users(organization_id, user_id)"
    " SELECT a.organization_id, m.user_id FROM memberships m JOIN accounts a ON a.id = m.account_id"
    " WHERE a.organization_id IS NOT NULL";

static pd_err bulk_set_aside(sq_store *q)
{
    sqlite3_stmt *st = NULL;
    sqlite3_str *drop = sqlite3_str_new(q->db), *back = sqlite3_str_new(q->db);
    int rc = sqlite3_prepare_v2(q->db, SQL_SET_ASIDE, -1, &st, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_str_appendf(drop, "DROP %s \"%w\";", (const char *)sqlite3_column_text(st, 0),
                            (const char *)sqlite3_column_text(st, 1));
        sqlite3_str_appendf(back, "%s;", (const char *)sqlite3_column_text(st, 2));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && (sqlite3_str_errcode(drop) != SQLITE_OK
                              || sqlite3_str_errcode(back) != SQLITE_OK))
        rc = SQLITE_NOMEM;
    char *drops = sqlite3_str_finish(drop);  /* NULL when empty: a filled tenant */
    q->bulk_set_aside = sqlite3_str_finish(back);
    if (rc == SQLITE_DONE && drops != NULL)
        rc = sqlite3_exec(q->db, drops, NULL, NULL, NULL) == SQLITE_OK ? SQLITE_DONE : SQLITE_ERROR;
    sqlite3_free(drops);
    if (rc != SQLITE_DONE) {
        sqlite3_free(q->bulk_set_aside);
        q->bulk_set_aside = NULL;
        return fail_msg(q, "bulk_begin", sqlite3_errmsg(q->db), NULL);
    }
    return PD_OK;
}

/* Before COMMIT: the fill, then the objects as they were.  Frees the text.
 * The index builds get a smaller page cache: SQLite's sorter may use as
 * much memory as the cache is allowed, so the cache's dirty pages are
 * written out first (COMMIT would write them anyway) and its memory given
 * back to the system (malloc_trim: glibc keeps freed small blocks), and the
 * load's peak stays where the page cache put it. */
static pd_err bulk_put_back(sq_store *q, bool commit)
{
    char *sql = q->bulk_set_aside;
    pd_err e = PD_OK;

    q->bulk_set_aside = NULL;
    if (sql == NULL || !commit) {
        sqlite3_free(sql);
        return PD_OK;
    }
    if (sqlite3_exec(q->db, SQL_OU_FILL, NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_db_cacheflush(q->db) != SQLITE_OK
        || pragma(q->db, "PRAGMA cache_size = -" LIM_IMPORT_SORT_KIB_STR, NULL, 0) != SQLITE_OK)
        e = fail_msg(q, "bulk_end", sqlite3_errmsg(q->db), NULL);
    malloc_trim(0);
    if (e == PD_OK && sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        e = fail_msg(q, "bulk_end", sqlite3_errmsg(q->db), NULL);
    sqlite3_free(sql);
    return e;
}

/* Before the COMMIT of an unchecked load: what SQLite's own check of the
 * tables would find - a row naming a parent that is not there - fails the
 * load, should any write have gone past FK_PARENTS.  Three tables are left
 * out, being large and covered: every write of memberships and
 * membership_groups runs its checks, and organization_users is filled
 * from memberships and accounts. */
static const char SQL_UNCHECKED_ROWS[] =
    "SELECT f.\"table\", f.parent FROM sqlite_master t, pragma_foreign_key_check(t.name) f"
    " WHERE t.type = 'table'"
    "   AND t.name NOT IN ('memberships', 'membership_groups', 'organization_users')"
    " LIMIT 1";

static pd_err bulk_unchecked_rows(sq_store *q)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, SQL_UNCHECKED_ROWS, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    pd_err e = PD_OK;
    if (rc == SQLITE_ROW) {
        char what[160];
        snprintf(what, sizeof what, "a row of %s names a row of %s that does not exist",
                 (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1));
        met_inc(MET_DB_ERRORS);
        e = fail_msg(q, "bulk_end", "FOREIGN KEY constraint failed", what);
    } else if (rc != SQLITE_DONE)
        e = fail_msg(q, "bulk_end", sqlite3_errmsg(q->db), NULL);
    sqlite3_finalize(st);
    return e;
}

static pd_err sq_bulk_begin(pd_store *s, bool replace, bool alone)
{
    sq_store *q = SQ(s);

    if (!sqlite3_get_autocommit(q->db))
        return fail_msg(q, "bulk_begin", "a transaction is already open", NULL);
    if (!file_intact(q))
        return fail_msg(q, "bulk_begin", q->lost, NULL);
    bulk_settings(q, true, alone);
    fk_memo_clear(q);
    pd_err e = sq_begin(s);
    if (e == PD_OK && replace)
        e = sq_wipe_tenant(s);
    if (e == PD_OK)
        e = bulk_set_aside(q);
    if (e != PD_OK) {
        sq_rollback(s);
        bulk_settings(q, false, alone);
        return e;
    }
    q->bulk = true;
    return PD_OK;
}

static pd_err sq_bulk_end(pd_store *s, bool commit)
{
    sq_store *q = SQ(s);
    pd_err e = PD_OK;

    if (!q->bulk)
        return fail_msg(q, "bulk_end", "no bulk load is open", NULL);
    q->bulk = false;
    if (commit && !file_intact(q))
        e = fail_msg(q, "bulk_end", q->lost, NULL);
    if (commit && e == PD_OK && q->fk_unchecked)
        e = bulk_unchecked_rows(q);
    pd_err r = bulk_put_back(q, commit && e == PD_OK);
    if (e == PD_OK)
        e = r;
    if (commit && e == PD_OK)
        e = sq_commit(s);
    if (!commit || e != PD_OK)
        sq_rollback(s);
    bulk_settings(q, false, false);
    return commit ? e : PD_OK;
}

/* ---- OAuth ------------------------------------------------------------ */

typedef struct {
    char ***v;
    size_t *n;
    size_t cap;
} strv_ctx;

/* row_fn: appends column 0 to the strv. */
static int string_row(sqlite3_stmt *st, void *ctx)
{
    strv_ctx *x = ctx;
    return strv_push(x->v, x->n, &x->cap, col_text(st, 0)) ? 0 : -1;
}

/* Runs statement `id` with ps and appends column 0 of each row to
 * (*v)[0..*n), initially empty (owned copies). */
static pd_err collect_strings(sq_store *q, enum st_id id, params ps, char ***v, size_t *n,
                              const char *op)
{
    strv_ctx x = { v, n, 0 };
    return run_rows(q, id, ps, string_row, &x, op);
}

/* row_conv: the integration row (without URIs and keys); the caller clears it. */
static bool integration_conv(sqlite3_stmt *st, void *out)
{
    pd_integration *in = out;
    return dup_into(&in->key, col_text(st, 0)) && dup_into(&in->name, col_text(st, 1))
           && dup_into(&in->secret_hash, col_text(st, 2))
           && dup_into(&in->allowed_scopes, col_text(st, 3));
}

static pd_err sq_get_integration(pd_store *s, const char *key, pd_integration *out)
{
    static const char op[] = "get_integration";
    sq_store *q = SQ(s);
    if (key == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    tx_kind k;
    pd_err e = tx_enter_read(q, op, &k);
    if (e != PD_OK)
        return e;
    e = fetch_one(q, ST_INTEG_GET, PARAMS(PT(key)), integration_conv, out, op);
    if (e == PD_OK)
        e = collect_strings(q, ST_INTEG_URIS, PARAMS(PT(key)), &out->redirect_uris,
                            &out->n_redirect_uris, op);
    if (e == PD_OK)
        e = collect_strings(q, ST_INTEG_KEYS, PARAMS(PT(key)), &out->public_keys,
                            &out->n_public_keys, op);
    e = tx_leave(q, op, k, e);
    if (e != PD_OK)
        pd_integration_clear(out);
    return e;
}

static pd_err sq_upsert_integration(pd_store *s, const pd_integration *in)
{
    static const char op[] = "upsert_integration";
    sq_store *q = SQ(s);
    if (in == NULL || in->key == NULL || in->name == NULL || in->allowed_scopes == NULL
        || (in->n_redirect_uris > 0 && in->redirect_uris == NULL)
        || (in->n_public_keys > 0 && in->public_keys == NULL))
        return bad_arg(q, op);
    tx_kind k;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = exec_params(q, ST_INTEG_UPSERT,
                    PARAMS(PT(in->key), PT(in->name), PT(in->secret_hash), PT(in->allowed_scopes)),
                    op, NULL, NULL);
    if (e == PD_OK)
        e = exec_params(q, ST_INTEG_URIS_DEL, PARAMS(PT(in->key)), op, NULL, NULL);
    for (size_t i = 0; e == PD_OK && i < in->n_redirect_uris; i++)
        e = exec_params(q, ST_INTEG_URI_ADD, PARAMS(PT(in->key), PT(in->redirect_uris[i])), op,
                        NULL, NULL);
    if (e == PD_OK)
        e = exec_params(q, ST_INTEG_KEYS_DEL, PARAMS(PT(in->key)), op, NULL, NULL);
    for (size_t i = 0; e == PD_OK && i < in->n_public_keys; i++)
        e = exec_params(q, ST_INTEG_KEY_ADD, PARAMS(PT(in->key), PT(in->public_keys[i])), op,
                        NULL, NULL);
    return tx_leave(q, op, k, e);
}

static pd_err sq_add_integration_key(pd_store *s, const char *key, const char *pem)
{
    static const char op[] = "add_integration_key";
    sq_store *q = SQ(s);
    if (key == NULL || pem == NULL)
        return bad_arg(q, op);
    pd_err e = exec_params(q, ST_INTEG_KEY_ADD, PARAMS(PT(key), PT(pem)), op, NULL, NULL);
    if (e != PD_OK
        && (q->fk_refused || sqlite3_extended_errcode(q->db) == SQLITE_CONSTRAINT_FOREIGNKEY))
        return PD_ERR_NOT_FOUND;
    return e;
}

static pd_err sq_delete_integration(pd_store *s, const char *key)
{
    static const char op[] = "delete_integration";
    sq_store *q = SQ(s);
    if (key == NULL)
        return bad_arg(q, op);
    return exec_keyed(q, ST_INTEG_DELETE, PARAMS(PT(key)), op);
}

static pd_err sq_each_integration(pd_store *s, pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_integration";
    sq_store *q = SQ(s);
    char **keys = NULL;
    size_t n = 0;
    if (fn == NULL)
        return bad_arg(q, op);
    /* the keys first: the statement is finished before fn runs */
    pd_err e = collect_strings(q, ST_INTEG_LIST, NO_PARAMS, &keys, &n, op);
    for (size_t i = 0; e == PD_OK && i < n; i++) {
        pd_integration it;
        e = sq_get_integration(s, keys[i], &it);
        if (e == PD_ERR_NOT_FOUND) {      /* removed meanwhile */
            e = PD_OK;
            continue;
        }
        if (e != PD_OK)
            break;
        int stop = fn(ctx, &it);
        pd_integration_clear(&it);
        if (stop)
            break;
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return e;
}

static pd_err sq_put_consent(pd_store *s, const pd_consent *c)
{
    static const char op[] = "put_consent";
    sq_store *q = SQ(s);
    if (c == NULL || c->integration_key == NULL || c->user_id == NULL || c->scopes == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_CONSENT_PUT,
                       PARAMS(PT(c->integration_key), PT(c->user_id), PT(c->scopes)), op,
                       "the integration or the user does not exist", NULL);
}

/* row_conv: an owned pd_consent (cleared on failure). */
static bool consent_conv(sqlite3_stmt *st, void *out)
{
    pd_consent *c = out;
    if (dup_into(&c->integration_key, col_text(st, 0)) && dup_into(&c->user_id, col_text(st, 1))
        && dup_into(&c->scopes, col_text(st, 2)))
        return true;
    pd_consent_clear(c);
    return false;
}

static pd_err sq_get_consent(pd_store *s, const char *key, const char *user_id, pd_consent *out)
{
    static const char op[] = "get_consent";
    sq_store *q = SQ(s);
    if (key == NULL || user_id == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return fetch_one(q, ST_CONSENT_GET, PARAMS(PT(key), PT(user_id)), consent_conv, out, op);
}

static int emit_consent(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_consent c = { col_text(st, 0), col_text(st, 1), col_text(st, 2) };
    return fn(ctx, &c);
}

static pd_err sq_each_consent(pd_store *s, const char *key, pd_iter_fn fn, void *ctx)
{
    if (key == NULL)
        return bad_arg(SQ(s), "each_consent");
    return iterate(SQ(s), ST_CONSENT_EACH, key, emit_consent, fn, ctx, "each_consent");
}

static const char *const GRANT_KINDS[] = { "code", "refresh", "session" };

static pd_err sq_put_grant(pd_store *s, const pd_grant *g)
{
    static const char op[] = "put_grant";
    sq_store *q = SQ(s);
    if (g == NULL || g->family == NULL || g->user_id == NULL
        || (unsigned)g->kind > PD_GRANT_SESSION)
        return bad_arg(q, op);
    return exec_params(q, ST_GRANT_PUT,
                       PARAMS(PB(g->hash, sizeof g->hash), PT(GRANT_KINDS[g->kind]),
                              PT(g->family), PT(g->integration_key), PT(g->user_id),
                              PT(g->redirect_uri), PT(g->scopes), PT(g->code_challenge),
                              PI(g->expires)),
                       op, "the integration or the user does not exist", NULL);
}

/* row_conv: the grant row, all but the hash; the caller clears it. */
static bool grant_conv(sqlite3_stmt *st, void *out)
{
    pd_grant *g = out;
    const char *kind = col_text(st, 0);
    g->kind = PD_GRANT_SESSION;
    for (int i = 0; kind != NULL && i < 3; i++)
        if (strcmp(kind, GRANT_KINDS[i]) == 0)
            g->kind = (pd_grant_kind)i;
    g->expires = sqlite3_column_int64(st, 7);
    g->used = sqlite3_column_int(st, 8) != 0;
    g->revoked = sqlite3_column_int(st, 9) != 0;
    return dup_into(&g->family, col_text(st, 1)) && dup_into(&g->integration_key, col_text(st, 2))
           && dup_into(&g->user_id, col_text(st, 3)) && dup_into(&g->redirect_uri, col_text(st, 4))
           && dup_into(&g->scopes, col_text(st, 5)) && dup_into(&g->code_challenge, col_text(st, 6));
}

static pd_err grant_fetch(sq_store *q, const unsigned char hash[32], pd_grant *out, const char *op)
{
    pd_err e = fetch_one(q, ST_GRANT_GET, PARAMS(PB(hash, 32)), grant_conv, out, op);
    if (e == PD_OK)
        memcpy(out->hash, hash, 32);
    else
        pd_grant_clear(out);
    return e;
}

static pd_err sq_get_grant(pd_store *s, const unsigned char hash[32], pd_grant *out)
{
    sq_store *q = SQ(s);
    if (hash == NULL || out == NULL)
        return bad_arg(q, "get_grant");
    memset(out, 0, sizeof *out);
    return grant_fetch(q, hash, out, "get_grant");
}

static pd_err sq_use_grant(pd_store *s, const unsigned char hash[32], pd_grant *out)
{
    static const char op[] = "use_grant";
    sq_store *q = SQ(s);
    if (hash == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    tx_kind k;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = grant_fetch(q, hash, out, op);
    if (e == PD_OK && !out->used)
        e = exec_params(q, ST_GRANT_MARK_USED, PARAMS(PB(hash, 32)), op, NULL, NULL);
    e = tx_leave(q, op, k, e);
    if (e != PD_OK)
        pd_grant_clear(out);
    return e;
}

static pd_err sq_revoke_grant_family(pd_store *s, const char *family)
{
    if (family == NULL)
        return bad_arg(SQ(s), "revoke_grant_family");
    return exec_params(SQ(s), ST_GRANT_REVOKE, PARAMS(PT(family)), "revoke_grant_family", NULL,
                       NULL);
}

static pd_err sq_delete_grant(pd_store *s, const unsigned char hash[32])
{
    if (hash == NULL)
        return bad_arg(SQ(s), "delete_grant");
    return exec_params(SQ(s), ST_GRANT_DELETE, PARAMS(PB(hash, 32)), "delete_grant", NULL, NULL);
}

static pd_err sq_purge_grants(pd_store *s, int64_t now)
{
    static const char op[] = "purge_grants";
    return exec_params(SQ(s), ST_GRANT_PURGE, PARAMS(PI(now)), op, NULL, NULL);
}

/* row_conv: failures, window_start, locked_until. */
static bool throttle_conv(sqlite3_stmt *st, void *out)
{
    pd_throttle *t = out;
    t->failures = sqlite3_column_int64(st, 0);
    t->window_start = sqlite3_column_int64(st, 1);
    t->locked_until = sqlite3_column_int64(st, 2);
    return true;
}

static pd_err sq_get_throttle(pd_store *s, const char *key, pd_throttle *out)
{
    static const char op[] = "get_throttle";
    sq_store *q = SQ(s);
    if (key == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    /* no row: never throttled, all zero */
    return fetch_row(q, ST_THROTTLE_GET, PARAMS(PT(key)), throttle_conv, out, NONE_OK, op);
}

static pd_err sq_put_throttle(pd_store *s, const char *key, const pd_throttle *t)
{
    static const char op[] = "put_throttle";
    sq_store *q = SQ(s);
    if (key == NULL || t == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_THROTTLE_PUT,
                       PARAMS(PT(key), PI(t->failures), PI(t->window_start), PI(t->locked_until)),
                       op, NULL, NULL);
}

static pd_err sq_record_login(pd_store *s, const char *user_id, const char *last_login,
                              const char *profile_json)
{
    static const char op[] = "record_login";
    sq_store *q = SQ(s);
    if (user_id == NULL)
        return bad_arg(q, op);
    return exec_keyed(q, ST_LOGIN_RECORD, PARAMS(PT(user_id), PT(last_login), PT(profile_json)),
                      op);
}

/* The attempt statement of sq_throttle_attempt, run inside its transaction. */
static pd_err throttle_count(sq_store *q, const char *key, int64_t now, int64_t window_s,
                             int64_t max, int64_t lock_s, pd_throttle *out, const char *op)
{
    sqlite3_stmt *st = stmt_bound(q, ST_THROTTLE_ATTEMPT,
                                  PARAMS(PT(key), PI(now), PI(window_s), PI(max), PI(lock_s)), op);
    pd_err e = PD_OK;

    if (st == NULL)
        return PD_ERR_STORE;
    int rc = sq_step(q, st, true);
    if (rc != SQLITE_ROW) {
        e = db_fail(q, op, rc, NULL);
        goto out;
    }
    throttle_conv(st, out);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        e = db_fail(q, op, rc, NULL);
out:
    stmt_done(q, st);
    return e;
}

static pd_err sq_throttle_attempt(pd_store *s, const char *key, int64_t now, int64_t window_s,
                                  int64_t max, int64_t lock_s, pd_throttle *out, bool *refused)
{
    static const char op[] = "throttle_attempt";
    sq_store *q = SQ(s);
    pd_throttle row = {0};
    tx_kind k;

    if (key == NULL || refused == NULL || max < 1 || window_s < 1 || lock_s < 0)
        return bad_arg(q, op);
    *refused = false;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK)
        return e;
    e = sq_get_throttle(s, key, &row);
    if (e == PD_OK && row.locked_until > now)
        *refused = true;
    else if (e == PD_OK)
        e = throttle_count(q, key, now, window_s, max, lock_s, &row, op);
    e = tx_leave(q, op, k, e);
    if (e != PD_OK)
        *refused = false;
    else if (out != NULL)
        *out = row;
    return e;
}

static pd_err sq_throttle_refund(pd_store *s, const char *key, int64_t max)
{
    static const char op[] = "throttle_refund";
    sq_store *q = SQ(s);
    if (key == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_THROTTLE_REFUND, PARAMS(PT(key), PI(max)), op, NULL, NULL);
}

static pd_err sq_each_account_of_user(pd_store *s, const char *user_id, pd_iter_fn fn, void *ctx)
{
    if (user_id == NULL)
        return bad_arg(SQ(s), "each_account_of_user");
    return iterate(SQ(s), ST_ACCOUNTS_OF_USER, user_id, emit_account, fn, ctx,
                   "each_account_of_user");
}

/* ---- rate limits (auth/ratelimit.c) ---------------------------------- */

static pd_err rate_add(sq_store *q, pd_rate_row *r, const char *op)
{
    sqlite3_stmt *st = stmt_bound(q, ST_RATE_ADD, PARAMS(PT(r->key), PI(r->span), PI(r->window),
                                                         PI(r->delta)), op);
    pd_err e = PD_OK;
    int rc;

    if (st == NULL)
        return PD_ERR_STORE;
    rc = sq_step(q, st, true);
    if (rc != SQLITE_ROW) {
        e = db_fail(q, op, rc, NULL);
        goto out;
    }
    r->total = sqlite3_column_int64(st, 0);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        e = db_fail(q, op, rc, NULL);
out:
    stmt_done(q, st);
    return e;
}

static pd_err sq_rate_sync(pd_store *s, pd_rate_row *rows, size_t n, int64_t purge_before)
{
    static const char op[] = "rate_sync";
    sq_store *q = SQ(s);
    tx_kind k;

    if (rows == NULL && n > 0)
        return bad_arg(q, op);
    for (size_t i = 0; i < n; i++)
        if (rows[i].key == NULL || rows[i].span < 1 || rows[i].delta < 0)
            return bad_arg(q, op);
    /* counters are not cached anywhere: no change signal for them (a sync
     * per node per second would make every node re-read its cache tags) */
    bool quiet = sqlite3_get_autocommit(q->db) != 0;
    q->quiet_writes = quiet;
    pd_err e = tx_enter_write(q, op, &k);
    if (e != PD_OK) {
        q->quiet_writes = false;
        return e;
    }
    for (size_t i = 0; i < n && e == PD_OK; i++)
        e = rate_add(q, &rows[i], op);
    if (e == PD_OK && purge_before > 0)
        e = exec_params(q, ST_RATE_PURGE, PARAMS(PI(purge_before)), op, NULL, NULL);
    e = tx_leave(q, op, k, e);
    q->quiet_writes = false;
    return e;
}

/* ---- organizations (Admin API, docs/admin.md) ----------------------- */

/* row_conv: an owned pd_org (cleared on failure). */
static bool org_conv(sqlite3_stmt *st, void *out)
{
    pd_org *o = out;
    o->site_id = sqlite3_column_int64(st, 2);
    bool ok = dup_into(&o->id, col_text(st, 0)) && dup_into(&o->name, col_text(st, 1))
              && dup_into(&o->site_name, col_text(st, 3));
    if (!ok)
        pd_org_clear(o);
    return ok;
}

static pd_err sq_get_org(pd_store *s, const char *org_id, pd_org *out)
{
    static const char op[] = "get_org";
    sq_store *q = SQ(s);
    if (org_id == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return fetch_one(q, ST_ORG_GET, PARAMS(PT(org_id)), org_conv, out, op);
}

static bool nothing_conv(sqlite3_stmt *st, void *out)
{
    (void)st;
    (void)out;
    return true;
}

static pd_err sq_check_org_admin(pd_store *s, const char *org_id, const char *user_id)
{
    static const char op[] = "check_org_admin";
    sq_store *q = SQ(s);
    if (org_id == NULL || user_id == NULL)
        return bad_arg(q, op);
    return fetch_one(q, ST_ORG_ADMIN_CHECK, PARAMS(PT(org_id), PT(user_id)), nothing_conv, NULL, op);
}

static pd_err sq_upsert_org_admin(pd_store *s, const pd_org_admin *a)
{
    static const char op[] = "upsert_org_admin";
    sq_store *q = SQ(s);
    if (a == NULL || a->organization_id == NULL || a->user_id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_ORG_ADMIN_UPSERT, PARAMS(PT(a->organization_id), PT(a->user_id)), op,
                       "the organization and the user must exist", NULL);
}

static pd_err sq_upsert_org_domain(pd_store *s, const pd_org_domain *d)
{
    static const char op[] = "upsert_org_domain";
    sq_store *q = SQ(s);
    if (d == NULL || d->id == NULL || d->organization_id == NULL || d->domain == NULL
        || d->status == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_ORG_DOMAIN_UPSERT,
                       PARAMS(PT(d->id), PT(d->organization_id), PT(d->domain), PT(d->status)), op,
                       "the organization must exist", NULL);
}

static pd_err sq_upsert_identity(pd_store *s, const pd_identity *i)
{
    static const char op[] = "upsert_identity";
    sq_store *q = SQ(s);
    if (i == NULL || i->id == NULL || i->user_id == NULL || i->provider_id == NULL
        || i->immutable_id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_IDENTITY_UPSERT,
                       PARAMS(PT(i->id), PT(i->user_id), PT(i->provider_id), PT(i->immutable_id)),
                       op, "the user must exist", NULL);
}

static int emit_org_admin(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_org_admin a = { .organization_id = col_text(st, 0), .user_id = col_text(st, 1) };
    return fn(ctx, &a);
}

static int emit_org_domain(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_org_domain d = { .id = col_text(st, 0), .organization_id = col_text(st, 1),
                        .domain = col_text(st, 2), .status = col_text(st, 3) };
    return fn(ctx, &d);
}

static int emit_identity(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_identity i = { .id = col_text(st, 0), .user_id = col_text(st, 1),
                      .provider_id = col_text(st, 2), .immutable_id = col_text(st, 3) };
    return fn(ctx, &i);
}

static pd_err sq_each_org_admin(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_EACH_ORG_ADMIN, NULL, emit_org_admin, fn, ctx, "each_org_admin");
}

static pd_err sq_each_org_domain(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_EACH_ORG_DOMAIN, NULL, emit_org_domain, fn, ctx, "each_org_domain");
}

static pd_err sq_each_identity(pd_store *s, pd_iter_fn fn, void *ctx)
{
    return iterate(SQ(s), ST_EACH_IDENTITY, NULL, emit_identity, fn, ctx, "each_identity");
}

static pd_err sq_each_identity_of_user(pd_store *s, const char *user_id, pd_iter_fn fn, void *ctx)
{
    if (user_id == NULL)
        return bad_arg(SQ(s), "each_identity_of_user");
    return iterate(SQ(s), ST_IDENTITIES_OF_USER, user_id, emit_identity, fn, ctx,
                   "each_identity_of_user");
}

static pd_err org_user(sq_store *q, enum st_id id, const char *org_id, const char *key,
                       pd_user *out, const char *op)
{
    if (org_id == NULL || key == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return fetch_one(q, id, PARAMS(PT(org_id), PT(key)), user_conv, out, op);
}

static pd_err sq_get_org_user_by_email(pd_store *s, const char *org_id, const char *email,
                                       pd_user *out)
{
    return org_user(SQ(s), ST_ORG_USER_BY_EMAIL, org_id, email, out, "get_org_user_by_email");
}

static pd_err sq_get_org_user(pd_store *s, const char *org_id, const char *user_id, pd_user *out)
{
    return org_user(SQ(s), ST_ORG_USER_BY_ID, org_id, user_id, out, "get_org_user");
}

/* emit for the user lists: the row without its password hash. */
static int emit_listed_user(sqlite3_stmt *st, pd_iter_fn fn, void *ctx)
{
    pd_user u;
    user_borrow(st, &u);
    u.password_hash = NULL;
    return fn(ctx, &u);
}

static pd_err sq_list_org_users(pd_store *s, const pd_org_user_query *uq, int64_t *total,
                                pd_iter_fn fn, void *ctx)
{
    static const char op[] = "list_org_users";
    sq_store *q = SQ(s);
    if (uq == NULL || uq->organization_id == NULL || total == NULL || fn == NULL
        || uq->start < 0 || uq->take < 1)
        return bad_arg(q, op);
    enum st_id list = ST_ORG_LIST_ALL, count = ST_ORG_COUNT_ALL;
    if (uq->email != NULL) {
        list = ST_ORG_LIST_EMAIL;
        count = ST_ORG_COUNT_EMAIL;
    } else if (uq->account_id != NULL) {
        list = ST_ORG_LIST_ACCOUNT;
        count = ST_ORG_COUNT_ACCOUNT;
    } else if (uq->domain_id != NULL) {
        list = ST_ORG_LIST_DOMAIN;
        count = ST_ORG_COUNT_DOMAIN;
    }
    const param filters[] = {
        PT(uq->organization_id), PT(uq->email), PT(uq->like), PT(uq->statuses),
        PT(uq->account_id), PT(uq->domain_id), PT(uq->modified_since),
        PI(uq->take), PI(uq->start),
    };
    const param plain[] = { PT(uq->organization_id), PI(uq->take), PI(uq->start) };
    bool unfiltered = uq->email == NULL && uq->like == NULL && uq->statuses == NULL
                      && uq->account_id == NULL && uq->domain_id == NULL
                      && uq->modified_since == NULL;
    params count_ps = { filters, 7 }, list_ps = { filters, 9 };
    if (unfiltered) {
        list = ST_ORG_LIST_PLAIN;
        count = ST_ORG_COUNT_PLAIN;
        count_ps = (params){ plain, 1 };
        list_ps = (params){ plain, 3 };
    }
    tx_kind k;
    pd_err e = tx_enter_read(q, op, &k);
    if (e != PD_OK)
        return e;
    *total = 0;
    e = fetch_row(q, count, count_ps, int64x1_conv, total, NONE_FAILS, op);
    if (e == PD_OK) {
        emit_ctx x = { emit_listed_user, fn, ctx };
        e = run_rows(q, list, list_ps, emit_row, &x, op);
    }
    return tx_leave(q, op, k, e);
}

typedef struct {
    pd_org_membership *v;
    size_t n, cap;
} org_ms_ctx;

/* row_fn: appends the account and membership (without groups) of the row. */
static int org_membership_row(sqlite3_stmt *st, void *ctx)
{
    org_ms_ctx *x = ctx;
    if (x->n == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 4;
        pd_org_membership *nv = realloc(x->v, ncap * sizeof *nv);
        if (nv == NULL)
            return -1;
        x->v = nv;
        x->cap = ncap;
    }
    pd_org_membership *om = &x->v[x->n];
    memset(om, 0, sizeof *om);
    x->n++;                         /* counted before copying so the free releases it */
    pd_account a;
    account_borrow(st, &a);
    pd_membership *m = &om->membership;
    m->is_admin = sqlite3_column_int(st, 6) != 0;
    bool ok = account_copy(&a, &om->account) && dup_into(&m->account_id, col_text(st, 4))
              && dup_into(&m->user_id, col_text(st, 5))
              && dup_into(&m->permission_profile_id, col_text(st, 7))
              && dup_into(&m->permission_profile_name, col_text(st, 8))
              && dup_into(&m->added, col_text(st, 9));
    return ok ? 0 : -1;
}

static pd_err sq_get_org_memberships(pd_store *s, const char *org_id, const char *user_id,
                                     pd_org_membership **out, size_t *n)
{
    static const char op[] = "get_org_memberships";
    sq_store *q = SQ(s);
    if (org_id == NULL || user_id == NULL || out == NULL || n == NULL)
        return bad_arg(q, op);
    *out = NULL;
    *n = 0;
    org_ms_ctx x = { 0 };
    tx_kind k;
    pd_err e = tx_enter_read(q, op, &k);
    if (e != PD_OK)
        return e;
    e = run_rows(q, ST_ORG_MEMBERSHIPS, PARAMS(PT(org_id), PT(user_id)), org_membership_row, &x, op);
    for (size_t i = 0; e == PD_OK && i < x.n; i++)
        e = membership_groups(q, x.v[i].membership.account_id, user_id, &x.v[i].membership, op);
    e = tx_leave(q, op, k, e);
    if (e != PD_OK) {
        pd_org_memberships_free(x.v, x.n);
        return e;
    }
    *out = x.v;
    *n = x.n;
    return PD_OK;
}

/* ---- open ------------------------------------------------------------ */

/* ---- ID-card share links (migration 5) -------------------------------- */

static pd_err sq_put_share_link(pd_store *s, const pd_share_link *l)
{
    static const char op[] = "put_share_link";
    sq_store *q = SQ(s);
    if (l == NULL || l->id == NULL || l->user_id == NULL)
        return bad_arg(q, op);
    return exec_params(q, ST_SHARE_PUT,
                       PARAMS(PT(l->id), PT(l->user_id), PI(l->created), PI(l->expires)), op,
                       "the user does not exist", NULL);
}

/* row_conv: an owned pd_share_link (cleared on failure). */
static bool share_conv(sqlite3_stmt *st, void *out)
{
    pd_share_link *l = out;
    if (dup_into(&l->id, col_text(st, 0)) && dup_into(&l->user_id, col_text(st, 1))) {
        l->created = sqlite3_column_int64(st, 2);
        l->expires = sqlite3_column_int64(st, 3);
        l->revoked = sqlite3_column_int64(st, 4) != 0;
        return true;
    }
    pd_share_link_clear(l);
    return false;
}

static pd_err sq_get_share_link(pd_store *s, const char *id, pd_share_link *out)
{
    static const char op[] = "get_share_link";
    sq_store *q = SQ(s);
    if (id == NULL || out == NULL)
        return bad_arg(q, op);
    memset(out, 0, sizeof *out);
    return fetch_one(q, ST_SHARE_GET, PARAMS(PT(id)), share_conv, out, op);
}

static pd_err sq_revoke_share_link(pd_store *s, const char *user_id, const char *id)
{
    static const char op[] = "revoke_share_link";
    sq_store *q = SQ(s);
    if (user_id == NULL || id == NULL)
        return bad_arg(q, op);
    return exec_keyed(q, ST_SHARE_REVOKE, PARAMS(PT(id), PT(user_id)), op);
}

typedef struct {
    pd_iter_fn fn;
    void *ctx;
} share_iter;

static int share_row(sqlite3_stmt *st, void *ctx)
{
    share_iter *x = ctx;
    pd_share_link l = { col_text(st, 0), col_text(st, 1), sqlite3_column_int64(st, 2),
                        sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4) != 0 };
    return x->fn(x->ctx, &l) != 0;
}

static pd_err sq_each_share_link_of_user(pd_store *s, const char *user_id, int64_t now,
                                         pd_iter_fn fn, void *ctx)
{
    static const char op[] = "each_share_link_of_user";
    sq_store *q = SQ(s);
    if (user_id == NULL || fn == NULL)
        return bad_arg(q, op);
    share_iter x = { fn, ctx };
    return run_rows(q, ST_SHARE_OF_USER, PARAMS(PT(user_id), PI(now)), share_row, &x, op);
}

static pd_lane *sq_lane(pd_store *s)
{
    return SQ(s)->lane;
}

static const pd_store_ops SQ_OPS = {
    .name = "sqlite",
    .close = sq_close,
    .check = sq_check,
    .migrate = sq_migrate,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .get_account = sq_get_account,
    .get_user = sq_get_user,
    .get_user_by_email = sq_get_user_by_email,
    .get_membership = sq_get_membership,
    .get_member_user = sq_get_member_user,
    .count_users = sq_count_users,
    .update_profile = sq_update_profile,
    .update_profile_if = sq_update_profile_if,
    .group_begin = sq_group_begin,
    .group_end = sq_group_end,
    .group_open = sq_group_open,
    .lane = sq_lane,
    .get_image = sq_get_image,
    .put_image = sq_put_image,
    .delete_image = sq_delete_image,
    .get_signing_keys = sq_get_signing_keys,
    .add_signing_key = sq_add_signing_key,
    .upsert_org = sq_upsert_org,
    .upsert_account = sq_upsert_account,
    .upsert_perm_profile = sq_upsert_perm_profile,
    .upsert_group = sq_upsert_group,
    .upsert_user = sq_upsert_user,
    .upsert_membership = sq_upsert_membership,
    .each_org = sq_each_org,
    .each_account = sq_each_account,
    .each_perm_profile = sq_each_perm_profile,
    .each_group = sq_each_group,
    .each_user = sq_each_user,
    .each_membership = sq_each_membership,
    .last_error = sq_last_error,
    .begin_read = sq_begin_read,
    .begin_read_batch = sq_begin_read,
    .get_versions = sq_get_versions,
    .bump_generation = sq_bump_generation,
    .delete_signing_key = sq_delete_signing_key,
    .get_integration = sq_get_integration,
    .upsert_integration = sq_upsert_integration,
    .add_integration_key = sq_add_integration_key,
    .delete_integration = sq_delete_integration,
    .each_integration = sq_each_integration,
    .put_consent = sq_put_consent,
    .get_consent = sq_get_consent,
    .each_consent = sq_each_consent,
    .put_grant = sq_put_grant,
    .get_grant = sq_get_grant,
    .use_grant = sq_use_grant,
    .revoke_grant_family = sq_revoke_grant_family,
    .delete_grant = sq_delete_grant,
    .purge_grants = sq_purge_grants,
    .get_throttle = sq_get_throttle,
    .put_throttle = sq_put_throttle,
    .record_login = sq_record_login,
    .each_account_of_user = sq_each_account_of_user,
    .throttle_attempt = sq_throttle_attempt,
    .throttle_refund = sq_throttle_refund,
    .get_org = sq_get_org,
    .check_org_admin = sq_check_org_admin,
    .upsert_org_admin = sq_upsert_org_admin,
    .upsert_org_domain = sq_upsert_org_domain,
    .upsert_identity = sq_upsert_identity,
    .each_org_admin = sq_each_org_admin,
    .each_org_domain = sq_each_org_domain,
    .each_identity = sq_each_identity,
    .get_org_user_by_email = sq_get_org_user_by_email,
    .get_org_user = sq_get_org_user,
    .list_org_users = sq_list_org_users,
    .get_org_memberships = sq_get_org_memberships,
    .each_identity_of_user = sq_each_identity_of_user,
    .rate_sync = sq_rate_sync,
    .wipe_tenant = sq_wipe_tenant,
    .put_share_link = sq_put_share_link,
    .get_share_link = sq_get_share_link,
    .revoke_share_link = sq_revoke_share_link,
    .each_share_link_of_user = sq_each_share_link_of_user,
    .bulk_begin = sq_bulk_begin,
    .bulk_end = sq_bulk_end,
};

/* Runs a PRAGMA and copies the first column of its first row (if any). */
static int pragma(sqlite3 *db, const char *sql, char *val, size_t vlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && val != NULL) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(val, vlen, "%s", t != NULL ? (const char *)t : "");
        }
        rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

/* serve --db-sync: synchronous=FULL for connections opened from now on. */
static _Atomic bool g_sync_full;

void pd_store_sqlite_set_sync_full(bool full)
{
    g_sync_full = full;
}

/* Applies the connection settings; on failure writes errbuf, returns false. */
static bool configure(sq_store *q, const char *path, char *errbuf, size_t errlen)
{
    sqlite3 *db = q->db;
    char val[32] = "";
    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_busy_timeout(db, LIM_DB_BUSY_TIMEOUT_MS) != SQLITE_OK
        || sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK
        || sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK
        || pragma(db, "PRAGMA foreign_keys = ON", NULL, 0) != SQLITE_OK
        || pragma(db, "PRAGMA foreign_keys", val, sizeof val) != SQLITE_OK
        || strcmp(val, "1") != 0) {
        snprintf(errbuf, errlen, "cannot configure database '%s': %s", path,
                 strcmp(val, "1") != 0 && val[0] != '\0' ? "foreign keys unsupported"
                                                         : sqlite3_errmsg(db));
        return false;
    }
    if (q->shared_cache)
        return true;
    if (pragma(db, "PRAGMA journal_mode = WAL", val, sizeof val) != SQLITE_OK
        || pragma(db, g_sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                  NULL, 0) != SQLITE_OK
        || pragma(db, "PRAGMA cache_size = -" LIM_DB_CACHE_KIB_STR, NULL, 0) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot configure database '%s': %s", path, sqlite3_errmsg(db));
        return false;
    }
    if (strcmp(val, "wal") != 0) {
        char line[128];
        snprintf(line, sizeof line, "open: journal_mode is '%s', not 'wal'", val);
        store_log(line);
    }
    return true;
}

/* Process-wide SQLite settings, before the library initialises: no memory
 * statistics (they take one global mutex on every allocation, which the
 * worker threads then fight over). */
static pthread_once_t sq_global_once = PTHREAD_ONCE_INIT;

static void sq_global_init(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        store_log("open: SQLite was initialised already; memory statistics stay on");
    sqlite3_initialize();
}

static pd_store *sq_open(const char *path, bool create, bool lane_conn, char *errbuf,
                         size_t errlen);

/* pd_lane_open_fn: the lane's own connection. */
static pd_store *open_lane_conn(const char *path)
{
    return sq_open(path, false, true, NULL, 0);
}

pd_store *pd_store_sqlite_open(const char *path, bool create, char *errbuf, size_t errlen)
{
    return sq_open(path, create, false, errbuf, errlen);
}

static pd_store *sq_open(const char *path, bool create, bool lane_conn, char *errbuf,
                         size_t errlen)
{
    char dummy[1];
    pthread_once(&sq_global_once, sq_global_init);
    if (errbuf == NULL || errlen == 0) {
        errbuf = dummy;
        errlen = sizeof dummy;
    }
    errbuf[0] = '\0';
    if (path == NULL || path[0] == '\0') {
        snprintf(errbuf, errlen, "empty database path");
        return NULL;
    }
    sq_store *q = calloc(1, sizeof *q);
    char *name = NULL;
    if (q == NULL)
        goto oom;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    if (strcmp(path, ":memory:") == 0) {
        q->shared_cache = true;
        flags |= SQLITE_OPEN_URI;
        name = sqlite3_mprintf("file:profiled-mem-%lld?mode=memory&cache=shared",
                               (long long)getpid());
    } else if (strncmp(path, "file:", 5) == 0) {
        /* SQLite may be built to read "file:" names as URIs: keep it a plain path */
        name = sqlite3_mprintf("./%s", path);
    } else {
        name = sqlite3_mprintf("%s", path);
    }
    if (name == NULL)
        goto oom;
    if (!q->shared_cache && !create && access(path, F_OK) != 0) {
        snprintf(errbuf, errlen, "database '%s' does not exist (profiled never creates one "
                 "implicitly: import or migrate into it first, or start serve with --create)", path);
        goto fail;
    }
    int rc = sqlite3_open_v2(name, &q->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open database '%s': %s", path,
                 q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        goto fail;
    }
    if (!configure(q, path, errbuf, errlen))
        goto fail;
    if (!q->shared_cache) {
        /* remember which file this is: writes stop if it is swapped away */
        struct stat st;
        if (stat(path, &st) != 0 || (q->path = strdup(path)) == NULL) {
            snprintf(errbuf, errlen, "cannot open database '%s': %s", path, strerror(errno));
            goto fail;
        }
        q->dev = st.st_dev;
        q->ino = st.st_ino;
        q->changes = pd_changes_file_get(path);
        if (!lane_conn)
            q->lane = pd_lane_get(q->dev, q->ino, path, open_lane_conn);
    }
    sqlite3_commit_hook(q->db, on_commit, q);
    sqlite3_free(name);
    q->base.ops = &SQ_OPS;
    q->base.impl = q;
    return &q->base;
oom:
    snprintf(errbuf, errlen, "cannot open database '%s': out of memory", path);
fail:
    sqlite3_free(name);
    if (q != NULL) {
        sqlite3_close_v2(q->db);
        free(q->path);
        free(q);
    }
    return NULL;
}
