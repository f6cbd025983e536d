/*
 * pg_migrations.c - numbered schema migrations of the PostgreSQL backend.
 *
 * The same numbers and the same meaning as store/sqlite_migrations.c, in
 * PostgreSQL's SQL: TEXT for text, BIGINT for every integer (Unix seconds,
 * counters, versions), TEXT COLLATE "C" for text (bytewise order and
 * equality, as SQLite's, whatever the database's locale), INTEGER 0/1 flags with the same CHECKs, BYTEA for
 * bytes (images, key secrets, grant hashes), PL/pgSQL triggers where SQLite
 * has trigger bodies.  Never edit an entry that has shipped; append.
 *
 * Several nodes may start on one empty database at once: pg_migrate_schema
 * holds a session advisory lock (PG_MIGRATE_LOCK) from reading the version
 * to the last commit, so each migration is applied once, in its own
 * transaction, and the others wait, then find nothing to do.
 *
 * Conventions (docs/postgresql.md): GUIDs and emails lower-cased on write
 * and on lookup, like SQLite; users' dates are the ISO-8601 text rendered to
 * clients.
 *
 * Memory: everything here is static.
 */
#include <stdio.h>
#include <string.h>

#include "store/pg_internal.h"

/* pg_advisory_lock key of the migrations ("prof" "iled"). */
#define PG_MIGRATE_LOCK "7021830759014214756"

typedef struct {
    int version;
    const char *what;
    const char *sql;
} pg_migration;

static const char MIGRATION_1[] =
    "CREATE TABLE organizations(\n"
    "  id   TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  name TEXT COLLATE \"C\" NOT NULL\n"
    ");\n"
    "CREATE TABLE accounts(\n"
    "  id              TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  external_id     BIGINT NOT NULL UNIQUE CHECK (external_id > 0),\n"
    "  name            TEXT COLLATE \"C\" NOT NULL,\n"
    "  organization_id TEXT COLLATE \"C\" NULL REFERENCES organizations(id)\n"
    ");\n"
    "CREATE INDEX accounts_by_org ON accounts(organization_id);\n"
    "CREATE TABLE permission_profiles(\n"
    "  account_id TEXT COLLATE \"C\" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
    "  id         TEXT COLLATE \"C\" NOT NULL,\n"
    "  name       TEXT COLLATE \"C\" NOT NULL,\n"
    "  PRIMARY KEY (account_id, id)\n"
    ");\n"
    "CREATE TABLE groups(\n"
    "  account_id TEXT COLLATE \"C\" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
    "  id         TEXT COLLATE \"C\" NOT NULL,\n"
    "  name       TEXT COLLATE \"C\" NOT NULL,\n"
    "  type       TEXT COLLATE \"C\" NOT NULL,\n"
    "  PRIMARY KEY (account_id, id)\n"
    ");\n"
    "CREATE TABLE users(\n"
    "  id            TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  email         TEXT COLLATE \"C\" NOT NULL UNIQUE,\n"
    "  status        TEXT COLLATE \"C\" NOT NULL,\n"
    "  created       TEXT COLLATE \"C\" NOT NULL,\n"
    "  modified      TEXT COLLATE \"C\" NOT NULL,\n"
    "  last_login    TEXT COLLATE \"C\" NULL,\n"
    "  password_hash TEXT COLLATE \"C\" NULL,\n"
    "  profile_json  TEXT COLLATE \"C\" NOT NULL,\n"
    "  version       BIGINT NOT NULL DEFAULT 1\n"
    ");\n"
    "CREATE TABLE user_images(\n"
    "  user_id      TEXT COLLATE \"C\" NOT NULL PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,\n"
    "  content_type TEXT COLLATE \"C\" NOT NULL,\n"
    "  bytes        BYTEA NOT NULL,\n"
    "  etag         TEXT COLLATE \"C\" NOT NULL\n"
    ");\n"
    "CREATE TABLE memberships(\n"
    "  account_id            TEXT COLLATE \"C\" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
    "  user_id               TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  is_admin              INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),\n"
    "  permission_profile_id TEXT COLLATE \"C\" NULL,\n"
    "  PRIMARY KEY (account_id, user_id),\n"
    "  FOREIGN KEY (account_id, permission_profile_id)\n"
    "    REFERENCES permission_profiles(account_id, id)\n"
    ");\n"
    "CREATE INDEX memberships_by_user ON memberships(user_id);\n"
    "CREATE INDEX memberships_by_profile ON memberships(account_id, permission_profile_id);\n"
    "CREATE TABLE membership_groups(\n"
    "  account_id TEXT COLLATE \"C\" NOT NULL,\n"
    "  user_id    TEXT COLLATE \"C\" NOT NULL,\n"
    "  group_id   TEXT COLLATE \"C\" NOT NULL,\n"
    "  PRIMARY KEY (account_id, user_id, group_id),\n"
    "  FOREIGN KEY (account_id, user_id)\n"
    "    REFERENCES memberships(account_id, user_id) ON DELETE CASCADE,\n"
    "  FOREIGN KEY (account_id, group_id)\n"
    "    REFERENCES groups(account_id, id) ON DELETE CASCADE\n"
    ");\n"
    "CREATE INDEX membership_groups_by_group ON membership_groups(account_id, group_id);\n"
    "CREATE TABLE signing_keys(\n"
    "  kid     TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  secret  BYTEA NOT NULL CHECK (octet_length(secret) = 32),\n"
    "  created BIGINT NOT NULL\n"
    ");\n";

static const char MIGRATION_2[] =
    "CREATE TABLE meta(\n"
    "  key   TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  value BIGINT NOT NULL\n"
    ");\n"
    "INSERT INTO meta(key, value) VALUES ('generation', 1);\n";

static const char MIGRATION_3[] =
    "CREATE TABLE integrations(\n"
    "  key            TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  name           TEXT COLLATE \"C\" NOT NULL,\n"
    "  secret_hash    TEXT COLLATE \"C\" NULL,\n"
    "  allowed_scopes TEXT COLLATE \"C\" NOT NULL\n"
    ");\n"
    "CREATE TABLE integration_redirect_uris(\n"
    "  integration_key TEXT COLLATE \"C\" NOT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  uri             TEXT COLLATE \"C\" NOT NULL,\n"
    "  PRIMARY KEY (integration_key, uri)\n"
    ");\n"
    "CREATE TABLE integration_keys(\n"
    "  integration_key TEXT COLLATE \"C\" NOT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  pem             TEXT COLLATE \"C\" NOT NULL,\n"
    "  PRIMARY KEY (integration_key, pem)\n"
    ");\n"
    "CREATE TABLE oauth_consents(\n"
    "  integration_key TEXT COLLATE \"C\" NOT NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  user_id         TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  scopes          TEXT COLLATE \"C\" NOT NULL,\n"
    "  PRIMARY KEY (integration_key, user_id)\n"
    ");\n"
    "CREATE INDEX oauth_consents_by_user ON oauth_consents(user_id);\n"
    "CREATE TABLE oauth_grants(\n"
    "  hash            BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(hash) = 32),\n"
    "  kind            TEXT COLLATE \"C\" NOT NULL CHECK (kind IN ('code', 'refresh', 'session')),\n"
    "  family          TEXT COLLATE \"C\" NOT NULL,\n"
    "  integration_key TEXT COLLATE \"C\" NULL REFERENCES integrations(key) ON DELETE CASCADE,\n"
    "  user_id         TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  redirect_uri    TEXT COLLATE \"C\" NULL,\n"
    "  scopes          TEXT COLLATE \"C\" NULL,\n"
    "  code_challenge  TEXT COLLATE \"C\" NULL,\n"
    "  expires         BIGINT NOT NULL,\n"
    "  used            INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),\n"
    "  revoked         INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))\n"
    ");\n"
    "CREATE INDEX oauth_grants_by_family ON oauth_grants(family);\n"
    "CREATE INDEX oauth_grants_by_expiry ON oauth_grants(expires);\n"
    "CREATE INDEX oauth_grants_by_user ON oauth_grants(user_id);\n"
    "CREATE INDEX oauth_grants_by_integration ON oauth_grants(integration_key);\n"
    "CREATE TABLE login_throttle(\n"
    "  key          TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  failures     BIGINT NOT NULL,\n"
    "  window_start BIGINT NOT NULL,\n"
    "  locked_until BIGINT NOT NULL\n"
    ");\n";

/* organization_users is kept by triggers, as in SQLite (see there). */
static const char MIGRATION_4[] =
    "ALTER TABLE organizations ADD COLUMN site_id BIGINT NULL CHECK (site_id IS NULL OR site_id > 0);\n"
    "ALTER TABLE organizations ADD COLUMN site_name TEXT COLLATE \"C\" NULL;\n"
    "CREATE TABLE organization_admins(\n"
    "  organization_id TEXT COLLATE \"C\" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,\n"
    "  user_id         TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (organization_id, user_id)\n"
    ");\n"
    "CREATE INDEX organization_admins_by_user ON organization_admins(user_id);\n"
    "CREATE TABLE organization_domains(\n"
    "  id              TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  organization_id TEXT COLLATE \"C\" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,\n"
    "  domain          TEXT COLLATE \"C\" NOT NULL UNIQUE,\n"
    "  status          TEXT COLLATE \"C\" NOT NULL\n"
    ");\n"
    "CREATE INDEX organization_domains_by_org ON organization_domains(organization_id);\n"
    /* the part of an email after '@' (store/pg_admin.c uses the same expression) */
    "CREATE INDEX users_by_domain ON users((substr(email, strpos(email, '@') + 1)));\n"
    "CREATE TABLE user_identities(\n"
    "  id           TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  user_id      TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  provider_id  TEXT COLLATE \"C\" NOT NULL,\n"
    "  immutable_id TEXT COLLATE \"C\" NOT NULL\n"
    ");\n"
    "CREATE INDEX user_identities_by_user ON user_identities(user_id);\n"
    "CREATE TABLE organization_users(\n"
    "  organization_id TEXT COLLATE \"C\" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,\n"
    "  user_id         TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (organization_id, user_id)\n"
    ");\n"
    "CREATE INDEX organization_users_by_user ON organization_users(user_id);\n"
    "INSERT INTO organization_users(organization_id, user_id)\n"
    "  SELECT DISTINCT a.organization_id, m.user_id FROM memberships m JOIN accounts a ON a.id = m.account_id\n"
    "  WHERE a.organization_id IS NOT NULL ON CONFLICT DO NOTHING;\n"
    "CREATE FUNCTION organization_users_on_membership() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  INSERT INTO organization_users(organization_id, user_id)\n"
    "    SELECT a.organization_id, NEW.user_id FROM accounts a\n"
    "    WHERE a.id = NEW.account_id AND a.organization_id IS NOT NULL\n"
    "    ON CONFLICT DO NOTHING;\n"
    "  RETURN NULL;\n"
    "END $$;\n"
    "CREATE TRIGGER organization_users_on_membership AFTER INSERT ON memberships\n"
    "  FOR EACH ROW EXECUTE FUNCTION organization_users_on_membership();\n"
    "CREATE FUNCTION organization_users_on_membership_gone() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  DELETE FROM organization_users ou\n"
    "    WHERE ou.user_id = OLD.user_id\n"
    "      AND ou.organization_id = (SELECT organization_id FROM accounts WHERE id = OLD.account_id)\n"
    "      AND NOT EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id\n"
    "                      WHERE m.user_id = OLD.user_id AND a.organization_id = ou.organization_id);\n"
    "  RETURN NULL;\n"
    "END $$;\n"
    "CREATE TRIGGER organization_users_on_membership_gone AFTER DELETE ON memberships\n"
    "  FOR EACH ROW EXECUTE FUNCTION organization_users_on_membership_gone();\n"
    "CREATE FUNCTION organization_users_on_account() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  DELETE FROM organization_users ou\n"
    "    WHERE ou.organization_id = OLD.organization_id\n"
    "      AND ou.user_id IN (SELECT user_id FROM memberships WHERE account_id = NEW.id)\n"
    "      AND NOT EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id\n"
    "                      WHERE m.user_id = ou.user_id AND a.organization_id = OLD.organization_id);\n"
    "  INSERT INTO organization_users(organization_id, user_id)\n"
    "    SELECT DISTINCT NEW.organization_id, m.user_id FROM memberships m\n"
    "    WHERE m.account_id = NEW.id AND NEW.organization_id IS NOT NULL\n"
    "    ON CONFLICT DO NOTHING;\n"
    "  RETURN NULL;\n"
    "END $$;\n"
    "CREATE TRIGGER organization_users_on_account AFTER UPDATE OF organization_id ON accounts\n"
    "  FOR EACH ROW WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id)\n"
    "  EXECUTE FUNCTION organization_users_on_account();\n";

static const char MIGRATION_5[] =
    "ALTER TABLE memberships ADD COLUMN added TEXT COLLATE \"C\" NULL;\n";

static const char MIGRATION_6[] =
    "CREATE TABLE rate_counts(\n"
    "  key          TEXT COLLATE \"C\" NOT NULL,\n"
    "  span         BIGINT NOT NULL CHECK (span > 0),\n"
    "  window_start BIGINT NOT NULL,\n"
    "  count        BIGINT NOT NULL CHECK (count >= 0),\n"
    "  PRIMARY KEY (key, span, window_start)\n"
    ");\n";

static const char MIGRATION_7[] =
    "CREATE TABLE share_links(\n"
    "  id      TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,\n"
    "  user_id TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  created BIGINT NOT NULL,\n"
    "  expires BIGINT NOT NULL,\n"
    "  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))\n"
    ");\n"
    "CREATE INDEX share_links_by_user ON share_links(user_id, expires);\n";

/* The twin of SQLite's migration 8: a user's memberships, covering (an
 * index-only scan for the membership and accounts reads of a profile GET);
 * it replaces memberships_by_user, a prefix of it. */
static const char MIGRATION_8[] =
    "CREATE INDEX memberships_by_user_cover ON memberships(user_id, account_id)"
    " INCLUDE (is_admin, permission_profile_id, added);\n"
    "DROP INDEX memberships_by_user;\n";

static const pg_migration MIGRATIONS[] = {
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

int pg_schema_latest(void)
{
    return MIGRATIONS[N_MIGRATIONS - 1].version;
}

static bool int_conv(const pg_row *r, void *out)
{
    *(int64_t *)out = pg_col_i64(r, 0);
    return true;
}

pd_err pg_schema_present(pg_store *q, bool *present)
{
    static pg_stmt st = PG_STMT("SELECT to_regclass('schema_migrations') IS NOT NULL");
    int64_t v = 0;
    pd_err e = pg_fetch(q, &st, PG_NO_PARAMS, int_conv, &v, PG_NONE_FAILS, "open");
    *present = e == PD_OK && v != 0;
    return e;
}

static pd_err current_version(pg_store *q, int *out)
{
    static pg_stmt st = PG_STMT("SELECT coalesce(max(version), 0) FROM schema_migrations");
    int64_t v = 0;
    pd_err e = pg_fetch(q, &st, PG_NO_PARAMS, int_conv, &v, PG_NONE_FAILS, "migrate");
    if (e != PD_OK)
        return e;
    if (v < 0 || v > 1000000)
        return pg_fail(q, "migrate", "schema_migrations holds an implausible version");
    *out = (int)v;
    return PD_OK;
}

static pd_err apply_one(pg_store *q, const pg_migration *m)
{
    static pg_stmt record = PG_STMT(
        "INSERT INTO schema_migrations(version, applied_at)"
        " VALUES ($1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))");
    char what[48];
    snprintf(what, sizeof what, "migration %d", m->version);
    pd_err e = pg_exec_sql(q, "BEGIN", what);
    if (e != PD_OK)
        return e;
    q->tx = PG_TX_WRITE;
    e = pg_exec_sql(q, m->sql, what);
    if (e == PD_OK)
        e = pg_exec(q, &record, PG_PARAMS(PGI(m->version)), what, NULL, NULL);
    if (e == PD_OK)
        e = pg_exec_sql(q, "COMMIT", what);
    if (e != PD_OK && !q->broken) {
        char saved[PG_LAST_ERR_MAX];
        memcpy(saved, q->last_err, sizeof saved);
        pg_exec_sql(q, "ROLLBACK", what);
        memcpy(q->last_err, saved, sizeof saved);
    }
    q->tx = PG_TX_NONE;
    q->tx_lost = false;
    return e;
}

pd_err pg_migrate_schema(pg_store *q, int *from, int *to)
{
    int before = 0, after = 0;
    pd_err e = pg_exec_sql(q, "SELECT pg_advisory_lock(" PG_MIGRATE_LOCK ")", "migrate");
    if (e != PD_OK)
        return e;
    e = pg_exec_sql(q, "CREATE TABLE IF NOT EXISTS schema_migrations("
                       " version INTEGER PRIMARY KEY, applied_at TEXT)", "migrate");
    if (e == PD_OK)
        e = current_version(q, &before);
    if (e == PD_OK && before > pg_schema_latest()) {
        char msg[192];
        snprintf(msg, sizeof msg,
                 "database schema version %d is newer than this binary supports (%d);"
                 " upgrade profiled or use another database", before, pg_schema_latest());
        e = pg_fail(q, "migrate", msg);
    }
    for (size_t i = 0; e == PD_OK && i < N_MIGRATIONS; i++) {
        if (MIGRATIONS[i].version <= before)
            continue;
        e = apply_one(q, &MIGRATIONS[i]);
    }
    if (e == PD_OK)
        e = current_version(q, &after);
    if (!q->broken) {
        char saved[PG_LAST_ERR_MAX];
        memcpy(saved, q->last_err, sizeof saved);
        pd_err u = pg_exec_sql(q, "SELECT pg_advisory_unlock(" PG_MIGRATE_LOCK ")", "migrate");
        if (u != PD_OK && e == PD_OK)
            e = u;
        else
            memcpy(q->last_err, saved, sizeof saved);
    }
    if (e == PD_OK) {
        if (from != NULL)
            *from = before;
        if (to != NULL)
            *to = after;
    }
    return e;
}
