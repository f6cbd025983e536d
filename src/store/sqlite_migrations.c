/*
 * sqlite_migrations.c - numbered schema migrations of the SQLite backend.
 *
 * MIGRATIONS[] is the whole history of the schema: never edit an entry that
 * has shipped, append a new one.  pd_sqlite_migrate() applies the missing
 * ones, each in its own transaction, and records them in schema_migrations.
 *
 * Conventions of the schema (see docs/storage.md):
 *  - GUID ids (organizations, accounts, users and every reference to them)
 *    and emails are stored lower-cased; store/sqlite.c lower-cases on write
 *    and on lookup.
 *  - Timestamps of users are ISO-8601 UTC text as rendered to clients;
 *    signing_keys.created is Unix seconds.
 *
 * Memory: everything here is static; errors go to the caller's buffer.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_migrations.h"

static const char MIGRATION_1[] =
    "CREATE TABLE organizations(\n"
    "  id   TEXT NOT NULL PRIMARY KEY,\n"
    "  name TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"

    "CREATE TABLE accounts(\n"
    "  id              TEXT NOT NULL PRIMARY KEY,\n"
    "  external_id     INTEGER NOT NULL UNIQUE CHECK (external_id > 0),\n"
    "  name            TEXT NOT NULL,\n"
    "  organization_id TEXT NULL REFERENCES organizations(id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX accounts_by_org ON accounts(organization_id);\n"

    "CREATE TABLE permission_profiles(\n"
    "  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
    "  id         TEXT NOT NULL,\n"
    "  name       TEXT NOT NULL,\n"
    "  PRIMARY KEY (account_id, id)\n"
    ") WITHOUT ROWID;\n"

    "CREATE TABLE groups(\n"
    "  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
    "  id         TEXT NOT NULL,\n"
    "  name       TEXT NOT NULL,\n"
    "  type       TEXT NOT NULL,\n"
    "  PRIMARY KEY (account_id, id)\n"
    ") WITHOUT ROWID;\n"

    /* rowid tables: rows carry a profile document / image bytes */
    "CREATE TABLE users(\n"
    "  id            TEXT NOT NULL PRIMARY KEY,\n"
    "  email         TEXT NOT NULL UNIQUE,\n"
    "  status        TEXT NOT NULL,\n"
    "  created       TEXT NOT NULL,\n"
    "  modified      TEXT NOT NULL,\n"
    "  last_login    TEXT NULL,\n"
    "  password_hash TEXT NULL,\n"
    "  profile_json  TEXT NOT NULL,\n"
    "  version       INTEGER NOT NULL DEFAULT 1\n"
    ");\n"

    "CREATE TABLE user_images(\n"
    "  user_id      TEXT NOT NULL PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,\n"
    "  content_type TEXT NOT NULL,\n"
    "  bytes        BLOB NOT NULL,\n"
    "  etag         TEXT NOT NULL\n"
    ");\n"

    "CREATE TABLE memberships(\n"
    "  account_id            TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
    "  user_id               TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  is_admin              INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),\n"
    "  permission_profile_id TEXT NULL,\n"
    "  PRIMARY KEY (account_id, user_id),\n"
    /* not checked while permission_profile_id is NULL (SQL rule for composite keys) */
    "  FOREIGN KEY (account_id, permission_profile_id)\n"
    "    REFERENCES permission_profiles(account_id, id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX memberships_by_user ON memberships(user_id);\n"
    "CREATE INDEX memberships_by_profile ON memberships(account_id, permission_profile_id);\n"

    "CREATE TABLE membership_groups(\n"
    "  account_id TEXT NOT NULL,\n"
    "  user_id    TEXT NOT NULL,\n"
    "  group_id   TEXT NOT NULL,\n"
    "  PRIMARY KEY (account_id, user_id, group_id),\n"
    "  FOREIGN KEY (account_id, user_id)\n"
    "    REFERENCES memberships(account_id, user_id) ON DELETE CASCADE,\n"
    "  FOREIGN KEY (account_id, group_id)\n"
    "    REFERENCES groups(account_id, id) ON DELETE CASCADE\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX membership_groups_by_group ON membership_groups(account_id, group_id);\n"

    "CREATE TABLE signing_keys(\n"
    "  kid     TEXT NOT NULL PRIMARY KEY,\n"
    "  secret  BLOB NOT NULL CHECK (length(secret) = 32),\n"
    "  created INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n";

static const char MIGRATION_2[] =
    "CREATE TABLE meta(\n"
    "  key   TEXT NOT NULL PRIMARY KEY,\n"
    "  value INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO meta(key, value) VALUES ('generation', 1);\n";

/* OAuth: integrations (clients) with redirect URIs and RSA public keys,
 * per-user consent, grants (codes, refresh tokens, sign-in sessions; only
 * the BLAKE2b-256 hash of each secret value is stored) and the sign-in
 * throttle (keys "email:<address>" and "ip:<address>"; Unix seconds). */
static const char MIGRATION_3[] =
    "CREATE TABLE integrations(\n"
    "  key            TEXT NOT NULL PRIMARY KEY,\n"
    "  name           TEXT NOT NULL,\n"
    "  secret_hash    TEXT NULL,\n"
    "  allowed_scopes TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"

    "CREATE TABLE integration_redirect_uris(\n"
    "  integration_key TEXT NOT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  uri             TEXT NOT NULL,\n"
    "  PRIMARY KEY (integration_key, uri)\n"
    ") WITHOUT ROWID;\n"

    "CREATE TABLE integration_keys(\n"
    "  integration_key TEXT NOT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  pem             TEXT NOT NULL,\n"
    "  PRIMARY KEY (integration_key, pem)\n"
    ") WITHOUT ROWID;\n"

    "CREATE TABLE oauth_consents(\n"
    "  integration_key TEXT NOT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  scopes          TEXT NOT NULL,\n"
    "  PRIMARY KEY (integration_key, user_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX oauth_consents_by_user ON oauth_consents(user_id);\n"

    "CREATE TABLE oauth_grants(\n"
    "  hash            BLOB NOT NULL PRIMARY KEY CHECK (length(hash) = 32),\n"
    "  kind            TEXT NOT NULL CHECK (kind IN ('code', 'refresh', 'session')),\n"
    "  family          TEXT NOT NULL,\n"
    "  integration_key TEXT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  redirect_uri    TEXT NULL,\n"
    "  scopes          TEXT NULL,\n"
    "  code_challenge  TEXT NULL,\n"
    "  expires         INTEGER NOT NULL,\n"
    "  used            INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),\n"
    "  revoked         INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX oauth_grants_by_family ON oauth_grants(family);\n"
    "CREATE INDEX oauth_grants_by_expiry ON oauth_grants(expires);\n"
    "CREATE INDEX oauth_grants_by_user ON oauth_grants(user_id);\n"
    "CREATE INDEX oauth_grants_by_integration ON oauth_grants(integration_key);\n"

    "CREATE TABLE login_throttle(\n"
    "  key          TEXT NOT NULL PRIMARY KEY,\n"
    "  failures     INTEGER NOT NULL,\n"
    "  window_start INTEGER NOT NULL,\n"
    "  locked_until INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n";

/* Admin API (docs/admin.md): an organization's site, its administrators
 * (not the same as account admins), reserved domains and user identities.
 * organization_users is the set of users of each organization (members of
 * one of its accounts), kept by triggers on memberships and accounts, so
 * the Admin API lists an organization's users from one index range in
 * user-id order instead of joining every membership. */
static const char MIGRATION_4[] =
    "ALTER TABLE organizations ADD COLUMN site_id INTEGER NULL CHECK (site_id IS NULL OR site_id > 0);\n"
    "ALTER TABLE organizations ADD COLUMN site_name TEXT NULL;\n"

    "CREATE TABLE organization_admins(\n"
    "  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,\n"
    "  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (organization_id, user_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX organization_admins_by_user ON organization_admins(user_id);\n"

    "CREATE TABLE organization_domains(\n"
    "  id              TEXT NOT NULL PRIMARY KEY,\n"
    "  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,\n"
    "  domain          TEXT NOT NULL UNIQUE,\n"
    "  status          TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX organization_domains_by_org ON organization_domains(organization_id);\n"
    /* the part of an email after '@', for the reserved-domain filter */
    "CREATE INDEX users_by_domain ON users(substr(email, instr(email, '@') + 1));\n"

    "CREATE TABLE user_identities(\n"
    "  id           TEXT NOT NULL PRIMARY KEY,\n"
    "  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  provider_id  TEXT NOT NULL,\n"
    "  immutable_id TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX user_identities_by_user ON user_identities(user_id);\n"

    "CREATE TABLE organization_users(\n"
    "  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,\n"
    "  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (organization_id, user_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX organization_users_by_user ON organization_users(user_id);\n"
    "INSERT OR IGNORE INTO organization_users(organization_id, user_id)\n"
    "  SELECT a.organization_id, m.user_id FROM memberships m JOIN accounts a ON a.id = m.account_id\n"
    "  WHERE a.organization_id IS NOT NULL;\n"
    /* Trigger bodies guard with NOT EXISTS rather than OR IGNORE: inside a
     * trigger, the conflict policy of the statement that fired it (the
     * upserts of store/sqlite.c) replaces the body's own. */
    "CREATE TRIGGER organization_users_on_membership AFTER INSERT ON memberships BEGIN\n"
    "  INSERT INTO organization_users(organization_id, user_id)\n"
    "    SELECT a.organization_id, NEW.user_id FROM accounts a\n"
    "    WHERE a.id = NEW.account_id AND a.organization_id IS NOT NULL\n"
    "      AND NOT EXISTS (SELECT 1 FROM organization_users x\n"
    "                      WHERE x.organization_id = a.organization_id AND x.user_id = NEW.user_id);\n"
    "END;\n"
    "CREATE TRIGGER organization_users_on_membership_gone AFTER DELETE ON memberships BEGIN\n"
    "  DELETE FROM organization_users\n"
    "    WHERE user_id = OLD.user_id\n"
    "      AND organization_id = (SELECT organization_id FROM accounts WHERE id = OLD.account_id)\n"
    "      AND NOT EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id\n"
    "                      WHERE m.user_id = OLD.user_id\n"
    "                        AND a.organization_id = organization_users.organization_id);\n"
    "END;\n"
    "CREATE TRIGGER organization_users_on_account AFTER UPDATE OF organization_id ON accounts\n"
    "  WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN\n"
    "  DELETE FROM organization_users\n"
    "    WHERE organization_id = OLD.organization_id\n"
    "      AND user_id IN (SELECT user_id FROM memberships WHERE account_id = NEW.id)\n"
    "      AND NOT EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id\n"
    "                      WHERE m.user_id = organization_users.user_id\n"
    "                        AND a.organization_id = OLD.organization_id);\n"
    "  INSERT INTO organization_users(organization_id, user_id)\n"
    "    SELECT DISTINCT NEW.organization_id, m.user_id FROM memberships m\n"
    "    WHERE m.account_id = NEW.id AND NEW.organization_id IS NOT NULL\n"
    "      AND NOT EXISTS (SELECT 1 FROM organization_users x\n"
    "                      WHERE x.organization_id = NEW.organization_id AND x.user_id = m.user_id);\n"
    "END;\n";

/* When a user joined an account: eSignature v2.1 userAddedToAccountDateTime,
 * the Admin API's membership created_on.  NULL for memberships made before
 * (unknown: not rendered). */
static const char MIGRATION_5[] =
    "ALTER TABLE memberships ADD COLUMN added TEXT NULL;\n";

/* Rate limits (auth/ratelimit.c): calls per key ("account:<GUID>",
 * "org:<GUID>", "user:<GUID>", "addr:<address>") in one window of `span`
 * seconds (3600: the hour, 30: the burst window) starting at `window_start`
 * (Unix seconds).  Each node adds what it counted about once a second. */
static const char MIGRATION_6[] =
    "CREATE TABLE rate_counts(\n"
    "  key    TEXT NOT NULL,\n"
    "  span   INTEGER NOT NULL CHECK (span > 0),\n"
    "  window_start INTEGER NOT NULL,\n"
    "  count  INTEGER NOT NULL CHECK (count >= 0),\n"
    "  PRIMARY KEY (key, span, window_start)\n"
    ") WITHOUT ROWID;\n";

/* ID-card share links (pages/, docs/pages.md). */
static const char MIGRATION_7[] =
    "CREATE TABLE share_links(\n"
    "  id      TEXT NOT NULL PRIMARY KEY,\n"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  created INTEGER NOT NULL,\n"
    "  expires INTEGER NOT NULL,\n"
    "  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX share_links_by_user ON share_links(user_id, expires);\n";

/* A user's memberships, covering: the membership read of a profile GET
 * (ST_MEMBERSHIP, INDEXED BY this index) and the user's accounts
 * (ST_ACCOUNTS_OF_USER) land on the same leaf page of one b-tree instead of
 * one page of the primary key and one of memberships_by_user; the user's
 * memberships of an organization (ST_ORG_MEMBERSHIPS) need no primary-key
 * lookup either.  It replaces memberships_by_user (a prefix of it). */
static const char MIGRATION_8[] =
    "CREATE INDEX memberships_by_user_cover ON memberships(user_id, account_id, is_admin,"
    " permission_profile_id, added);\n"
    "DROP INDEX memberships_by_user;\n";

static const pd_sqlite_migration MIGRATIONS[] = {
    { 1, "initial schema: organizations, accounts, users, images, memberships, signing keys",
      MIGRATION_1 },
    { 2, "meta: tenant generation for response-cache validation", MIGRATION_2 },
    { 3, "oauth: integrations, redirect URIs, public keys, consents, grants, sign-in throttle",
      MIGRATION_3 },
    { 4, "admin: organization site, administrators, reserved domains, user identities,"
         " organization users", MIGRATION_4 },
    { 5, "memberships: the date the user was added to the account", MIGRATION_5 },
    { 6, "rate limits: calls per key and window, shared by the nodes", MIGRATION_6 },
    { 7, "ID-card share links (pages)", MIGRATION_7 },
    { 8, "memberships: covering index by user (replaces memberships_by_user)", MIGRATION_8 },
};

#define N_MIGRATIONS (sizeof MIGRATIONS / sizeof MIGRATIONS[0])

static const char SQL_CREATE_META[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    " version INTEGER PRIMARY KEY, applied_at TEXT)";
static const char SQL_CURRENT[] =
    "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char SQL_RECORD[] =
    "INSERT INTO schema_migrations(version, applied_at)"
    " VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

const pd_sqlite_migration *pd_sqlite_migrations(size_t *count)
{
    if (count != NULL)
        *count = N_MIGRATIONS;
    return MIGRATIONS;
}

int pd_sqlite_schema_latest(void)
{
    return MIGRATIONS[N_MIGRATIONS - 1].version;
}

static pd_err fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return PD_ERR_STORE;
}

static pd_err exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return PD_OK;
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", what, msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return PD_ERR_STORE;
}

/* Reads max(version) from schema_migrations into *out. */
static pd_err current_version(sqlite3 *db, int *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    pd_err e = PD_ERR_STORE;
    if (sqlite3_prepare_v2(db, SQL_CURRENT, -1, &st, NULL) != SQLITE_OK) {
        e = fail(db, err, errlen, "reading schema version");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        e = fail(db, err, errlen, "reading schema version");
        goto out;
    }
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    if (v < 0 || v > 1000000) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "schema_migrations holds an implausible version %lld", (long long)v);
        goto out;
    }
    *out = (int)v;
    e = PD_OK;
out:
    sqlite3_finalize(st);
    return e;
}

static pd_err record_version(sqlite3 *db, int version, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    pd_err e = PD_ERR_STORE;
    if (sqlite3_prepare_v2(db, SQL_RECORD, -1, &st, NULL) != SQLITE_OK
        || sqlite3_bind_int(st, 1, version) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_DONE) {
        e = fail(db, err, errlen, "recording migration");
        goto out;
    }
    e = PD_OK;
out:
    sqlite3_finalize(st);
    return e;
}

/* Applies one migration in its own transaction unless another process did. */
static pd_err apply_one(sqlite3 *db, const pd_sqlite_migration *m, char *err, size_t errlen)
{
    pd_err e = exec_sql(db, "BEGIN IMMEDIATE", err, errlen, "starting migration");
    if (e != PD_OK)
        return e;
    int cur = 0;
    e = current_version(db, &cur, err, errlen);
    if (e != PD_OK || cur >= m->version)
        goto out;
    char what[96];
    snprintf(what, sizeof what, "migration %d", m->version);
    e = exec_sql(db, m->sql, err, errlen, what);
    if (e == PD_OK)
        e = record_version(db, m->version, err, errlen);
out:
    if (e == PD_OK)
        e = exec_sql(db, "COMMIT", err, errlen, "committing migration");
    if (e != PD_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return e;
}

pd_err pd_sqlite_migrate(sqlite3 *db, int *from, int *to, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (db == NULL)
        return PD_ERR_STORE;
    int before = 0, after = 0;
    pd_err e = exec_sql(db, SQL_CREATE_META, err, errlen, "creating schema_migrations");
    if (e == PD_OK)
        e = current_version(db, &before, err, errlen);
    if (e != PD_OK)
        return e;
    int latest = pd_sqlite_schema_latest();
    if (before > latest) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen,
                     "database schema version %d is newer than this binary supports (%d);"
                     " upgrade profiled or use another database", before, latest);
        return PD_ERR_STORE;
    }
    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        if (MIGRATIONS[i].version <= before)
            continue;
        e = apply_one(db, &MIGRATIONS[i], err, errlen);
        if (e != PD_OK)
            return e;
    }
    e = current_version(db, &after, err, errlen);
    if (e != PD_OK)
        return e;
    if (from != NULL)
        *from = before;
    if (to != NULL)
        *to = after;
    return PD_OK;
}
