// backend-move.test.mjs - moving a deployment from SQLite to PostgreSQL
// (docs/postgresql.md "Moving between backends"): `profiled export` from
// SQLite, `profiled import` into PostgreSQL, export again: the same JSON,
// byte for byte; images served by a node on PostgreSQL equal the originals;
// a re-import changes nothing.  The import into PostgreSQL writes users and
// memberships in batches (store/pg_bulk.c), so the tenant here spans several
// batches, and its failures must still name the record a one-by-one import
// names: the same message as SQLite's, nothing written.
//
// Runs in the PostgreSQL pass only (PROFILED_TEST_DB=postgres): it needs
// both backends at once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ON_POSTGRES, freshDb, tempDir, cli, cliOk, exportDb, dbExec, startServer, mintToken, http,
  imageUrl, profileUrl, TENANT, IDS, ACC_A,
} from './lib/server.mjs';
import { buildAdminTenant } from './lib/admin-tenant.mjs';
import { rsaPair } from './fixtures/oauth/helpers.mjs';

const pgOnly = ON_POSTGRES ? {} : { skip: 'needs PostgreSQL (PROFILED_TEST_DB=postgres)' };
const EXTRA = 2600;          // users beyond the fixtures: three batches of 1,000

const hex = (n, w) => n.toString(16).padStart(w, '0');
const guid = (tag, i) => `${tag}-${hex(i >> 16, 4)}-4${hex(i & 0xfff, 3)}-8000-${hex(i, 12)}`;

/** Everything the format holds: the fixture (images), the Admin tenant
 * (organizations, domains, identities), integrations with keys and
 * consents, and EXTRA more users with memberships and groups. */
function bigTenant() {
  const t = buildAdminTenant();
  const f = TENANT;
  t.organizations.push(...f.organizations);
  t.accounts.push(...f.accounts);
  t.users.push(...f.users.map((u) => {
    const { password, ...orig } = u;       // plain passwords are hashed with fresh salts
    const rest = { ...orig, email: `fixture.${u.email}` };   // the Admin tenant has ann@acme.test too
    return password ? { ...rest, passwordHash: '$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA' } : rest;
  }));
  t.memberships.push(...f.memberships);
  const acc = t.accounts[0].accountId;
  for (let i = 1; i <= EXTRA; i++) {
    const u = {
      userId: guid('e0e0e0e0', i),
      email: `extra${i}@Move.Test`,
      createdDateTime: '2023-01-02T03:04:05.0000000Z',
      profile: { userDetails: { firstName: `Ex"tra\\${i}`, lastName: 'Ünïcode ✓', title: 'line\nbreak' } },
    };
    if (i % 7 === 0) u.userStatus = 'Closed';
    if (i % 3 === 0) u.lastLogin = '2024-05-06T07:08:09.1234567Z';
    t.users.push(u);
    t.memberships.push({
      accountId: i % 2 ? acc : t.accounts[0].accountNumber, userId: u.userId, isAdmin: i % 50 === 0,
      permissionProfileId: i % 5 ? '2' : undefined, groupIds: i % 4 ? ['11', '12'] : [],
      userAddedToAccountDateTime: i % 2 ? '2022-02-02T02:02:02.0000000Z' : undefined,
    });
  }
  const { publicKey } = rsaPair();
  t.integrations = [
    { integrationKey: 'move-app', name: 'Move App', secretHash: '$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      allowedScopes: 'signature impersonation', redirectUris: ['https://b.example/cb', 'https://a.example/cb'],
      rsaPublicKeys: [publicKey],
      consents: [{ userId: guid('e0e0e0e0', 1), scopes: 'signature' }, { userId: IDS.ann }] },
    { integrationKey: 'move-public', allowedScopes: 'signature' },
  ];
  return t;
}

function writeJson(obj, name = 'tenant.json') {
  const file = path.join(tempDir(), name);
  writeFileSync(file, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return file;
}

function sqliteDb() {
  return `sqlite:${path.join(tempDir(), 'move.db')}`;
}

describe('moving a deployment from SQLite to PostgreSQL', pgOnly, () => {
  const env = {};
  before(() => {
    env.tenant = bigTenant();
    env.sqlite = sqliteDb();
    cliOk(['import', writeJson(env.tenant), '--db', env.sqlite]);
    env.exported = exportDb(env.sqlite);
    env.pg = freshDb().url;
    const r = cliOk(['import', writeJson(env.exported, 'export.json'), '--db', env.pg]);
    env.importOut = r.stdout + r.stderr;
  });

  it('export -> import into PostgreSQL -> export gives the same JSON, byte for byte', () => {
    assert.match(env.importOut, new RegExp(`${env.tenant.users.length} users`));
    const again = exportDb(env.pg);
    const doc = JSON.parse(again);
    assert.equal(doc.users.length, env.tenant.users.length);
    assert.equal(doc.memberships.length, env.tenant.memberships.length);
    assert.equal(doc.integrations.length, 2);
    assert.equal(doc.integrations[0].consents.length, 2);
    // the same data (member order aside: an import re-derives userName and
    // moves it within userDetails, on either backend) ...
    assert.deepStrictEqual(doc, JSON.parse(env.exported));
    // ... byte for byte what the same import gives on SQLite ...
    const sq = sqliteDb();
    cliOk(['import', writeJson(env.exported, 'export.json'), '--db', sq]);
    assert.ok(exportDb(sq) === again, 'SQLite and PostgreSQL exports of one import differ');
    // ... and from there on the round trip is exact
    const pg2 = freshDb().url;
    cliOk(['import', writeJson(again, 'again.json'), '--db', pg2]);
    assert.ok(exportDb(pg2) === again, 'export -> import into PostgreSQL -> export is not exact');
    env.exported = again;
  });

  it('a re-import into PostgreSQL changes nothing', () => {
    cliOk(['import', writeJson(env.exported, 'again.json'), '--db', env.pg]);
    assert.ok(exportDb(env.pg) === env.exported);
  });

  it('images fetched through a node on PostgreSQL equal the originals byte for byte', async () => {
    const srv = await startServer({ db: env.pg });
    try {
      const withImage = TENANT.users.filter((u) => u.profileImage);
      assert.ok(withImage.length >= 2);
      for (const u of withImage) {
        const acc = TENANT.memberships.find((m) => m.userId === u.userId).accountId;
        const token = mintToken(env.pg, u.userId);
        const res = await http('GET', imageUrl(srv.base, acc, u.userId), { token });
        assert.equal(res.status, 200, `image of ${u.email}`);
        assert.ok(Buffer.from(u.profileImage.data, 'base64').equals(res.body), `image bytes of ${u.email}`);
      }
      // and the profile reads the same on both backends
      const sq = await startServer({ db: env.sqlite });
      try {
        const get = async (base, db) => (await http('GET', profileUrl(base, ACC_A, IDS.ann),
          { token: mintToken(db, IDS.ann) })).body.toString();
        assert.equal(await get(srv.base, env.pg), await get(sq.base, env.sqlite));
      } finally {
        await sq.stop();
      }
    } finally {
      await srv.stop();
    }
  });
});

describe('a failing import into PostgreSQL names the record a one-by-one import names', pgOnly, () => {
  // Runs the same bad file into a new SQLite and a new PostgreSQL database:
  // both fail with the same message and keep nothing.
  function both(tenant) {
    const file = writeJson(tenant);
    const sq = sqliteDb();
    const pg = freshDb().url;
    const a = cli(['import', file, '--db', sq]);
    const b = cli(['import', file, '--db', pg]);
    assert.notEqual(a.code, 0);
    assert.notEqual(b.code, 0);
    const users = dbExec({ url: pg }, 'SELECT count(*) FROM users').trim();
    assert.equal(users, '0', 'nothing of a failed import is kept');
    // the CLI's own lines (the store's log lines carry timestamps)
    const own = (r) => r.stderr.split('\n').filter((l) => l.startsWith('import: ')).join('\n');
    assert.match(own(b), /nothing was changed/);
    return [own(a), own(b)];
  }

  it('a duplicate email deep inside a batch', () => {
    const t = bigTenant();
    const at = t.users.length - 700;
    t.users[at].email = t.users[3].email.toUpperCase();
    const [sq, pg] = both(t);
    assert.match(pg, new RegExp(`users\\[${at}\\]: rejected by the database: .*UNIQUE constraint failed: users\\.email`));
    assert.equal(pg, sq);
  });

  it('a membership naming a group its account does not have', () => {
    const t = bigTenant();
    const at = t.memberships.length - 1500;
    t.memberships[at].groupIds = ['11', 'no-such-group'];
    const [sq, pg] = both(t);
    assert.match(pg, new RegExp(`memberships\\[${at}\\]: rejected by the database: .*FOREIGN KEY constraint failed`));
    assert.equal(pg, sq);
  });

  it('an invalid record after a queued bad one: the first error in the file is reported', () => {
    const t = bigTenant();
    const bad = t.users.length - 900;
    t.users[bad].email = t.users[0].email;                // queued, fails when written
    t.users[bad + 5].userId = 'not-a-guid';              // fails validation before that
    const [sq, pg] = both(t);
    assert.match(pg, new RegExp(`users\\[${bad}\\]: rejected by the database`));
    assert.equal(pg, sq);
  });

  it('the same user twice in one batch: the later record wins, as one by one', () => {
    const t = bigTenant();
    const twin = { ...t.users[t.users.length - 10], profile: { userDetails: { firstName: 'Twin' } } };
    t.users.push(twin);
    for (const m of t.memberships)        // no "now" dates: two imports at two times
      m.userAddedToAccountDateTime ??= '2021-01-01T00:00:00.0000000Z';
    const sq = sqliteDb();
    const pg = freshDb().url;
    const file = writeJson(t);
    cliOk(['import', file, '--db', sq]);
    cliOk(['import', file, '--db', pg]);
    const a = exportDb(sq);
    assert.ok(a === exportDb(pg));
    assert.ok(a.includes('"firstName":"Twin"'));
  });
});
