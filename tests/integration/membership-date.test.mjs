// membership-date.test.mjs - when a user joined an account (migration 5):
// eSignature v2.1 renders it as userDetails.userAddedToAccountDateTime (the
// SDK's UserInformation member; v2's userInformation has none), the Admin
// API as memberships[].created_on; the import takes it (any ISO 8601 offset,
// stored in UTC), a membership imported without one gets the import's time
// and keeps it on re-import, and export carries it.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, tempDir, cli, cliOk, importFile, mintToken, startServer, http, profileUrl, TENANT, IDS, ACC_A, ORG,
} from './lib/server.mjs';

const GIVEN = '2023-03-04T05:06:07.5+02:00';
const GIVEN_UTC = '2023-03-04T03:06:07.5000000Z';

function tenantWithDate() {
  const t = structuredClone(TENANT);
  const m = t.memberships.find((x) => x.userId === IDS.bob && x.accountId === ACC_A);
  m.userAddedToAccountDateTime = GIVEN;
  t.organizationAdmins = [{ organizationId: ORG, userId: IDS.ann }];
  const file = path.join(tempDir(), 'tenant.json');
  writeFileSync(file, JSON.stringify(t));
  return file;
}

describe('the date a user was added to an account', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop(); });

  it('v2.1 renders userAddedToAccountDateTime, v2 does not; Admin memberships carry created_on', async () => {
    const db = freshDb();
    const t0 = new Date();
    importFile(db.url, tenantWithDate());
    const t1 = new Date();
    const srv = await startServer({ db: db.url });
    servers.push(srv);
    const ann = mintToken(db.url, IDS.ann, { scope: 'signature impersonation user_read' });

    const v21 = (await http('GET', profileUrl(srv.base, ACC_A, IDS.bob), { token: ann })).json();
    assert.equal(v21.userDetails.userAddedToAccountDateTime, GIVEN_UTC);
    const v2 = (await http('GET', profileUrl(srv.base, ACC_A, IDS.bob, '/restapi/v2'), { token: ann })).json();
    assert.equal(v2.userDetails.userAddedToAccountDateTime, undefined, 'v2 userInformation has no such member');

    // imported without a date: the import's own time
    const own = (await http('GET', profileUrl(srv.base, ACC_A, IDS.ann), { token: ann })).json();
    const at = new Date(own.userDetails.userAddedToAccountDateTime);
    assert.ok(at >= new Date(t0.getTime() - 1000) && at <= new Date(t1.getTime() + 1000),
      `${own.userDetails.userAddedToAccountDateTime} within the import`);
    assert.match(own.userDetails.userAddedToAccountDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);

    const adm = await http('GET', `${srv.base}/Management/v2/organizations/${ORG}/users/profile?email=bob%40acme.test`, { token: ann });
    assert.equal(adm.status, 200, adm.text());
    const ms = adm.json().users[0].memberships.find((m) => m.account_id === ACC_A);
    assert.equal(ms.created_on, GIVEN_UTC);
  });

  it('export carries the date; re-import keeps a date not given again; a bad date is refused by name', () => {
    const db = freshDb();
    importFile(db.url, tenantWithDate());
    const first = JSON.parse(cliOk(['export', '--db', db.url]).stdout);
    const bob = first.memberships.find((m) => m.userId === IDS.bob && m.accountId === ACC_A);
    assert.equal(bob.userAddedToAccountDateTime, GIVEN_UTC);
    const annDate = first.memberships.find((m) => m.userId === IDS.ann).userAddedToAccountDateTime;
    assert.ok(annDate, 'a membership imported without a date got one');

    importFile(db.url, path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'tenant.json'));
    const again = JSON.parse(cliOk(['export', '--db', db.url]).stdout);
    assert.equal(again.memberships.find((m) => m.userId === IDS.ann).userAddedToAccountDateTime, annDate);
    assert.equal(again.memberships.find((m) => m.userId === IDS.bob && m.accountId === ACC_A).userAddedToAccountDateTime,
      GIVEN_UTC, 'kept when the re-import does not give one');

    const t = structuredClone(TENANT);
    t.memberships[0].userAddedToAccountDateTime = '2023-03-04T05:06:07';   // no zone: which instant?
    const file = path.join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify(t));
    const r = cli(['import', file, '--db', freshDb().url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /memberships\[0\]\.userAddedToAccountDateTime/);
  });
});
