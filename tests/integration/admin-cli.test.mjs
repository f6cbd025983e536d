// admin-cli.test.mjs - the organization side of `profiled import/export`
// (siteId/siteName, organizationAdmins, reservedDomains, userIdentities,
// lastLogin), its validation, `profiled token --scope` with the Admin
// scopes, and the demo tenant's organization administrator.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { freshDb, cli, cliOk, exportDb, importFile, mintToken, startServer, tempDir, http, ROOT } from './lib/server.mjs';
import { writeAdminTenant, buildAdminTenant, U, ORG1, ORG2, DOMAIN1 } from './lib/admin-tenant.mjs';

function importJson(db, obj) {
  const f = path.join(tempDir(), 'in.json');
  writeFileSync(f, JSON.stringify(obj));
  return cli(['import', f, '--db', db.url]);
}

describe('Admin data in import and export', () => {
  it('export writes the organization side; re-importing it changes nothing', () => {
    const db = freshDb();
    importFile(db.url, writeAdminTenant());
    const out = JSON.parse(exportDb(db.url));
    const org1 = out.organizations.find((o) => o.organizationId === ORG1);
    assert.equal(org1.siteId, 1);
    assert.equal(org1.siteName, 'DEMO');
    const org2 = out.organizations.find((o) => o.organizationId === ORG2);
    assert.equal(org2.siteId, undefined);
    assert.deepEqual(out.organizationAdmins.map((a) => `${a.organizationId} ${a.userId}`).sort(),
      buildAdminTenant().organizationAdmins.map((a) => `${a.organizationId} ${a.userId}`).sort());
    assert.deepEqual(out.reservedDomains.find((d) => d.domainId === DOMAIN1),
      { domainId: DOMAIN1, organizationId: ORG1, domain: 'acme.test', status: 'active' });
    assert.equal(out.reservedDomains.length, 2);
    assert.equal(out.userIdentities.length, 2);
    assert.equal(out.users.find((u) => u.userId === U.dan.userId).lastLogin, '2025-01-15T16:45:30.2500000Z');
    // round trip
    const db2 = freshDb();
    const f = path.join(tempDir(), 'export.json');
    writeFileSync(f, JSON.stringify(out));
    importFile(db2.url, f);
    assert.deepEqual(JSON.parse(exportDb(db2.url)), out);
    importFile(db2.url, f);
    assert.deepEqual(JSON.parse(exportDb(db2.url)), out, 'importing twice changes nothing');
  });

  it('bad organization records stop the import, naming record and field', () => {
    const base = () => ({ format: 'profiled-import', version: 1,
      organizations: [{ organizationId: ORG1, name: 'Acme' }],
      users: [{ userId: U.oona.userId, email: 'oona@acme.test' }] });
    const cases = [
      [{ organizations: [{ organizationId: ORG1, name: 'Acme', siteId: -1 }] }, /organizations\[0\]\.siteId: must be a positive integer/],
      [{ organizations: [{ organizationId: ORG1, name: 'Acme', siteId: '1' }] }, /organizations\[0\]\.siteId/],
      [{ organizationAdmins: [{ organizationId: ORG1, userId: U.bob.userId }] }, /organizationAdmins\[0\]: rejected by the database/],
      [{ organizationAdmins: [{ organizationId: ORG2, userId: U.oona.userId }] }, /organizationAdmins\[0\]: rejected/],
      [{ organizationAdmins: [{ organizationId: 'acme', userId: U.oona.userId }] }, /organizationAdmins\[0\]\.organizationId: 'acme' is not a GUID/],
      [{ reservedDomains: [{ domainId: DOMAIN1, organizationId: ORG1, domain: 'acme' }] }, /reservedDomains\[0\]\.domain: 'acme' is not a domain name/],
      [{ reservedDomains: [{ domainId: DOMAIN1, organizationId: ORG1, domain: "a'b.test" }] }, /is not a domain name/],
      [{ reservedDomains: [{ domainId: DOMAIN1, organizationId: ORG1, domain: 'acme.test', status: 'maybe' }] }, /reservedDomains\[0\]\.status/],
      [{ reservedDomains: [
        { domainId: DOMAIN1, organizationId: ORG1, domain: 'acme.test' },
        { domainId: 'd0d0d0d0-0000-4000-8000-0000000000d9', organizationId: ORG1, domain: 'ACME.test' }] }, /reservedDomains\[1\]: rejected by the database/],
      [{ userIdentities: [{ identityId: 'x', userId: U.oona.userId, providerId: 'p', immutableId: 'i' }] }, /userIdentities\[0\]\.identityId/],
      [{ userIdentities: [{ identityId: DOMAIN1, userId: U.bob.userId, providerId: 'p', immutableId: 'i' }] }, /userIdentities\[0\]: rejected by the database/],
      [{ userIdentities: [{ identityId: DOMAIN1, userId: U.oona.userId, immutableId: 'i' }] }, /userIdentities\[0\]\.providerId: required/],
      [{ users: [{ userId: U.oona.userId, email: 'oona@acme.test', lastLogin: '2025-01-01T00:00:00' }] }, /users\[0\]\.lastLogin/],
    ];
    for (const [patch, want] of cases) {
      const db = freshDb();
      const r = importJson(db, { ...base(), ...patch });
      assert.equal(r.code, 1, `${JSON.stringify(patch)}: ${r.stdout}`);
      assert.match(r.stderr, want, JSON.stringify(patch));
      assert.match(r.stderr, /nothing was changed/);
    }
  });

  it('profiled token issues the Admin scopes and refuses malformed ones', () => {
    const db = freshDb();
    importFile(db.url, writeAdminTenant());
    const tok = mintToken(db.url, U.oona.userId, { scope: 'user_read user_write organization_read' });
    const claims = JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString());
    assert.equal(claims.scope, 'user_read user_write organization_read');
    for (const bad of ['', ' ', 'user_read\nsignature', 'user_read"', 'a\\b']) {
      const r = cli(['token', '--user', U.oona.userId, '--db', db.url, '--scope', bad]);
      assert.equal(r.code, 2, JSON.stringify(bad));
      assert.match(r.stderr, /--scope/);
    }
    assert.match(cliOk(['token', '--help']).stdout + cli(['token', '--help']).stderr, /user_read/);
  });

  it('the demo organization has an administrator who reads its users', async () => {
    const db = freshDb();
    importFile(db.url, path.join(ROOT, 'data/demo-tenant.json'));
    const demo = JSON.parse(exportDb(db.url));
    assert.equal(demo.organizationAdmins.length, 1);
    const { organizationId, userId } = demo.organizationAdmins[0];
    const server = await startServer({ db: db.url });
    try {
      const tok = mintToken(db.url, userId, { scope: 'user_read' });
      const r = await http('GET', `${server.base}/Management/v2/organizations/${organizationId}/users/profile?email=grace%40demo.test`, { token: tok });
      assert.equal(r.status, 200, r.text());
      const u = r.json().users[0];
      assert.equal(u.first_name, 'Grace');
      assert.equal(u.identities[0].provider_id, 'demo-idp');
      const list = await http('GET', `${server.base}/v2/organizations/${organizationId}/users`, { token: tok });
      assert.equal(list.json().paging.total_set_size, 2);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  it('paging links are built from --public-url (a trailing slash is not doubled)', async () => {
    const db = freshDb();
    importFile(db.url, writeAdminTenant());
    const server = await startServer({ db: db.url, extraArgs: ['--public-url', 'https://profiled.example:8443/'] });
    try {
      const tok = mintToken(db.url, U.oona.userId, { scope: 'user_read' });
      const r = await http('GET', `${server.base}/management/V2/organizations/${ORG1}/users?take=2&email_user_name_like=a%20b%26c`, { token: tok });
      assert.equal(r.status, 200, r.text());
      const { paging } = r.json();
      assert.equal(paging.next, undefined, 'nobody matches "a b&c"');
      const r2 = await http('GET', `${server.base}/Management/v2/organizations/${ORG1}/users?take=2&start=4`, { token: tok });
      const p2 = r2.json().paging;
      assert.equal(p2.next, `https://profiled.example:8443/Management/v2/organizations/${ORG1}/users?start=6&take=2`);
      assert.equal(p2.previous, `https://profiled.example:8443/Management/v2/organizations/${ORG1}/users?start=2&take=2`);
      const r3 = await http('GET', `${server.base}/v2/organizations/${ORG1}/users?take=1&email_user_name_like=${encodeURIComponent('acme.test')}&status=active,created`, { token: tok });
      const u = new URL(r3.json().paging.next);
      assert.equal(u.searchParams.get('email_user_name_like'), 'acme.test');
      assert.equal(u.searchParams.get('status'), 'active,created');
      assert.match(r3.json().paging.next, /status=active%2Ccreated/);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});
