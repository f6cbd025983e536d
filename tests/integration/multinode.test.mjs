// multinode.test.mjs - two profiled nodes on one database (a SQLite file, or
// PostgreSQL in the PostgreSQL pass), as behind a load balancer: a write on
// one node is read back at once on the other, although both keep rendered
// profiles in their response caches and read their cache tags through the
// per-thread memo validated by the change signal (store/changes.h: the
// SQLite counter file, or PostgreSQL LISTEN/NOTIFY); a token minted once
// works on both; concurrent partial updates through both lose no field; an
// import by another process while they run is seen by both; eSignature
// profile and image, SOAP and Admin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl, imageUrl,
  IDS, ACC_A, TENANT, tempDir, ON_POSTGRES, dbExec, sleep, afterOtherWriter,
} from './lib/server.mjs';
import { makePng } from './lib/images.mjs';
import { post as soapPost, envelope, getProfileBody } from './lib/soap.mjs';
import { U, ORG1, orgUrl, writeAdminTenant, buildAdminTenant } from './lib/admin-tenant.mjs';

// A read after a write through the other node: afterOtherWriter (lib/server.mjs)
// checks at once on SQLite and within the notification bound on PostgreSQL.
const settle = afterOtherWriter;

// the memo of cache tags is in use: a node answering repeated cached GETs
// must count hits (else these tests would pass by reading the database on
// every request, and prove nothing about the change signal)
async function memoHits(node) {
  const r = await http('GET', `${node.base}/metrics`);
  assert.equal(r.status, 200, r.text());
  const m = /profiled_cache_lookups_total\{cache="versions",result="hit"\} (\d+)/.exec(r.text());
  assert.ok(m, 'the versions memo has its metric');
  return Number(m[1]);
}

describe('two nodes, one database', () => {
  let db; let a; let b; let tokenAnn; let tokenBob;
  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures/tenant.json'));
    tokenAnn = mintToken(db.url, IDS.ann);
    tokenBob = mintToken(db.url, IDS.bob);
    a = await startServer({ db: db.url, extraArgs: ['--metrics-allow', '127.0.0.1'] });
    b = await startServer({ db: db.url, extraArgs: ['--metrics-allow', '127.0.0.1'] });
  });
  after(async () => {
    for (const s of [a, b]) {
      const r = await s.stop('SIGTERM');
      assert.equal(r.code, 0);
    }
  });

  const get = async (node, token, uid = IDS.ann) => {
    const r = await http('GET', profileUrl(node.base, ACC_A, uid), { token });
    assert.equal(r.status, 200, r.text());
    return r.json();
  };

  it('a PUT on node A is read back on node B (both caches warm)', async () => {
    // warm both caches
    for (let i = 0; i < 3; i++) { await get(a, tokenAnn); await get(b, tokenAnn); }
    const h0 = await memoHits(b);
    for (let i = 0; i < 20; i++) await get(b, tokenAnn);
    assert.ok(await memoHits(b) > h0, 'cached GETs are validated by the memo, not a database read');
    for (let i = 1; i <= 5; i++) {
      const title = `Title round ${i}`;
      const writer = i % 2 ? a : b;
      const reader = i % 2 ? b : a;
      const r = await http('PUT', profileUrl(writer.base, ACC_A, IDS.ann), { token: tokenAnn, json: { title } });
      assert.equal(r.status, 200, r.text());
      await settle(async () => assert.equal((await get(reader, tokenAnn)).title, title));
      assert.equal((await get(writer, tokenAnn)).title, title);
    }
  });

  it('concurrent partial updates of one profile through both nodes lose no field', async () => {
    const url = (node) => profileUrl(node.base, ACC_A, IDS.ann);
    for (let i = 0; i < 15; i++) {
      const [ra, rb] = await Promise.all([
        http('PUT', url(a), { token: tokenAnn, json: { title: `A ${i}` } }),
        http('PUT', url(b), { token: tokenAnn, json: { companyName: `B ${i}` } }),
      ]);
      assert.equal(ra.status, 200, ra.text());
      assert.equal(rb.status, 200, rb.text());
      for (const node of [a, b]) {
        await settle(async () => {
          const j = await get(node, tokenAnn);
          assert.equal(j.title, `A ${i}`, `round ${i}: node A's field kept`);
          assert.equal(j.companyName, `B ${i}`, `round ${i}: node B's field kept`);
        });
      }
    }
  });

  it('an admin\'s cached view of a member changes when the member updates on the other node', async () => {
    const before1 = await get(a, tokenAnn, IDS.bob);          // ann is admin of A
    const r = await http('PUT', profileUrl(b.base, ACC_A, IDS.bob), { token: tokenBob, json: { companyName: 'Moved Corp' } });
    assert.equal(r.status, 200);
    assert.notEqual(before1.companyName, 'Moved Corp');
    await settle(async () => assert.equal((await get(a, tokenAnn, IDS.bob)).companyName, 'Moved Corp'));
  });

  it('an image uploaded on A shows up in the profile served by B', async () => {
    await get(b, tokenAnn);
    await http('DELETE', imageUrl(a.base, ACC_A, IDS.ann), { token: tokenAnn });
    await settle(async () => assert.equal((await get(b, tokenAnn)).profileImageUri, undefined));
    const png = makePng(20, 20);
    const up = await http('PUT', imageUrl(a.base, ACC_A, IDS.ann), { token: tokenAnn, headers: { 'Content-Type': 'image/png' }, body: png });
    assert.equal(up.status, 200);
    await settle(async () => assert.match((await get(b, tokenAnn)).profileImageUri || '', /\/profile\/image$/));
    const img = await http('GET', imageUrl(b.base, ACC_A, IDS.ann), { token: tokenAnn });
    assert.ok(Buffer.compare(img.body, png) === 0, 'byte-identical on the other node');
  });

  it('an import while both run (membership change) is seen by both nodes', async () => {
    await get(a, tokenAnn, IDS.bob);
    await get(b, tokenAnn, IDS.bob);
    const dir = tempDir();
    const file = path.join(dir, 'demote.json');
    const m = TENANT.memberships.find((x) => x.userId === IDS.ann && x.accountId === ACC_A);
    writeFileSync(file, JSON.stringify({ memberships: [{ ...m, isAdmin: false }] }));
    importFile(db.url, file);
    for (const node of [a, b]) {
      // a member ann never read: a new (caller, target) pair whose caller's
      // tag the versions memo knew before the import
      await settle(async () => {
        const r = await http('GET', profileUrl(node.base, ACC_A, IDS.dan), { token: tokenAnn });
        assert.equal(r.status, 403, 'ann is no longer an admin: a user she never read is refused too');
      });
      await settle(async () => {
        const r = await http('GET', profileUrl(node.base, ACC_A, IDS.bob), { token: tokenAnn });
        assert.equal(r.status, 403, 'ann is no longer an admin: the cached admin view must not be served');
        assert.equal(r.json().errorCode, 'USER_LACKS_PERMISSIONS');
      });
      const self = await get(node, tokenAnn);
      assert.equal(self.userDetails.isAdmin, 'false');
    }
  });
  it('a membership change after a user\'s own PUTs is seen at once (the PUT keeps the caller\'s lookup entry)', async () => {
    // bob's own PUTs on A keep his membership in A's lookup cache under the
    // new version (esign_remember_own_write); a membership write after them
    // must not be hidden by that entry, on either node
    const selfUrl = (node) => profileUrl(node.base, ACC_A, IDS.bob);
    for (let i = 0; i < 4; i++) {
      const r = await http('PUT', selfUrl(a), { token: tokenBob, json: { title: `Own ${i}` } });
      assert.equal(r.status, 200, r.text());
    }
    const self = await get(a, tokenBob, IDS.bob);
    assert.equal(self.title, 'Own 3');
    assert.equal(self.userDetails.isAdmin, 'false');
    const denied = await http('GET', profileUrl(a.base, ACC_A, IDS.ann), { token: tokenBob });
    assert.equal(denied.status, 403, 'bob is a plain member: another member is refused');
    const dir = tempDir();
    const m = TENANT.memberships.find((x) => x.userId === IDS.bob && x.accountId === ACC_A);
    const setAdmin = (isAdmin) => {
      const file = path.join(dir, `bob-${isAdmin}.json`);
      writeFileSync(file, JSON.stringify({ memberships: [{ ...m, isAdmin }] }));
      importFile(db.url, file);
    };
    setAdmin(true);
    try {
      for (const node of [a, b]) {
        await settle(async () => {
          const r = await http('GET', profileUrl(node.base, ACC_A, IDS.ann), { token: tokenBob });
          assert.equal(r.status, 200, 'bob is an admin now: the kept entry must not be used');
        });
        await settle(async () => assert.equal((await get(node, tokenBob, IDS.bob)).userDetails.isAdmin, 'true'));
      }
      // another own PUT, then the membership goes back: seen at once again
      const r = await http('PUT', selfUrl(a), { token: tokenBob, json: { title: 'Own again' } });
      assert.equal(r.status, 200, r.text());
    } finally {
      setAdmin(false);
    }
    for (const node of [a, b]) {
      await settle(async () => {
        const r = await http('GET', profileUrl(node.base, ACC_A, IDS.ann), { token: tokenBob });
        assert.equal(r.status, 403, 'bob is a plain member again');
      });
    }
  });

  it('SOAP GetUserProfile cached on B follows a PUT through A', async () => {
    const soap = (node) => soapPost(node.base, 11, 'GetUserProfile', envelope(11, getProfileBody(IDS.bob, ACC_A)),
      { headers: { Authorization: `Bearer ${tokenBob}` } });
    for (let i = 0; i < 3; i++) assert.equal((await soap(b)).status, 200);
    for (let i = 1; i <= 3; i++) {
      const title = `Soap title ${i}`;
      const r = await http('PUT', profileUrl(a.base, ACC_A, IDS.bob), { token: tokenBob, json: { title } });
      assert.equal(r.status, 200, r.text());
      await settle(async () => {
        const s = await soap(b);
        assert.equal(s.status, 200);
        assert.match(s.text(), new RegExp(`>${title}<`));
      });
    }
  });

  it('a profile written by `profiled import` (another process) is served by both nodes at once', async () => {
    for (const node of [a, b]) for (let i = 0; i < 3; i++) await get(node, tokenBob, IDS.bob);
    for (let round = 1; round <= 3; round++) {
      const dir = tempDir();
      const file = path.join(dir, 'bob.json');
      const bob = TENANT.users.find((u) => u.userId === IDS.bob);
      const profile = { ...(bob.profile || {}), title: `Imported ${round}` };
      writeFileSync(file, JSON.stringify({ users: [{ ...bob, profile }] }));
      importFile(db.url, file);
      for (const node of [a, b]) {
        await settle(async () => assert.equal((await get(node, tokenBob, IDS.bob)).title, `Imported ${round}`));
      }
    }
  });
});

describe('two nodes, one database: the Admin API', () => {
  let db; let a; let b; let oona; let dan;
  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, writeAdminTenant());
    oona = mintToken(db.url, U.oona.userId, { scope: 'user_read' });
    dan = mintToken(db.url, U.dan.userId);
    a = await startServer({ db: db.url });
    b = await startServer({ db: db.url });
  });
  after(async () => {
    for (const s of [a, b]) {
      const r = await s.stop('SIGTERM');
      assert.equal(r.code, 0);
    }
  });
  const adminGet = async (node) => {
    const r = await http('GET', `${orgUrl(node.base, ORG1)}/users/profile?email=dan.dual%40acme.test`, { token: oona });
    assert.equal(r.status, 200, r.text());
    return r.json().users[0];
  };
  const danAcc = () => buildAdminTenant().memberships.find((m) => m.userId === U.dan.userId).accountId;

  it('a PUT profile through A is in the Admin answer of B at once', async () => {
    for (let i = 0; i < 3; i++) await adminGet(b);
    for (let i = 1; i <= 3; i++) {
      const r = await http('PUT', profileUrl(a.base, danAcc(), U.dan.userId), { token: dan,
        json: { userDetails: { firstName: `Danny${i}` } } });
      assert.equal(r.status, 200, r.text());
      await settle(async () => assert.equal((await adminGet(b)).first_name, `Danny${i}`));
    }
  });

  it('an administrator closed by an import (another process) is refused by both nodes at once', async () => {
    for (const node of [a, b]) for (let i = 0; i < 3; i++) await adminGet(node);
    const t = buildAdminTenant();
    const o = t.users.find((u) => u.userId === U.oona.userId);
    const file = path.join(tempDir(), 'close.json');
    writeFileSync(file, JSON.stringify({ users: [{ ...o, userStatus: 'Closed' }] }));
    importFile(db.url, file);
    for (const node of [a, b]) {
      await settle(async () => {
        const r = await http('GET', `${orgUrl(node.base, ORG1)}/users/profile?email=dan.dual%40acme.test`, { token: oona });
        assert.equal(r.status, 401, r.text());
        assert.match(r.json().error_description, /not active/);
      });
    }
  });

});

// PostgreSQL: every node LISTENs on one dedicated connection (application_name
// profiled-listen, store/pg_listen.c).  Killed, the node must not trust its
// memo until it is back: a write through A right after the kill is read
// through B.  (Killing the listeners of both nodes covers B's.)
describe('two nodes on PostgreSQL: the LISTEN connection killed',
  { skip: !ON_POSTGRES && 'PostgreSQL only (LISTEN/NOTIFY)' }, () => {
  let db; let a; let b; let token;
  const listeners = () => Number(dbExec(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'profiled-listen' AND datname = current_database()").trim());
  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures/tenant.json'));
    token = mintToken(db.url, IDS.ann);
    a = await startServer({ db: db.url });
    b = await startServer({ db: db.url });
  });
  after(async () => {
    for (const s of [a, b]) {
      const r = await s.stop('SIGTERM');
      assert.equal(r.code, 0);
    }
  });
  const waitListeners = async (n) => {
    for (let i = 0; i < 100 && listeners() !== n; i++) await sleep(50);
    assert.equal(listeners(), n, `${n} LISTEN connections`);
  };

  it('B serves no stale data after its LISTEN connection is killed', async () => {
    await waitListeners(2);
    const get = async (node) => {
      const r = await http('GET', profileUrl(node.base, ACC_A, IDS.ann), { token });
      assert.equal(r.status, 200, r.text());
      return r.json().title;
    };
    for (let round = 1; round <= 5; round++) {
      for (let i = 0; i < 3; i++) await get(b);                 // B's caches warm
      const killed = dbExec(db, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 'profiled-listen' AND datname = current_database()");
      assert.match(killed, /t/, 'a LISTEN connection was killed');
      const title = `After kill ${round}`;
      const r = await http('PUT', profileUrl(a.base, ACC_A, IDS.ann), { token, json: { title } });
      assert.equal(r.status, 200, r.text());
      assert.equal(await get(b), title, 'no stale read through B while its LISTEN is down');
      await waitListeners(2);                                  // back by itself
      const again = `Back ${round}`;
      assert.equal((await http('PUT', profileUrl(a.base, ACC_A, IDS.ann), { token, json: { title: again } })).status, 200);
      // back: within the documented bound again
      await settle(async () => assert.equal(await get(b), again));
    }
  });
});
