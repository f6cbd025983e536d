// multinode.test.mjs - two profiled nodes on one database (a SQLite file, or
// PostgreSQL in the PostgreSQL pass), as behind a load balancer: a write on
// one node is read back at once on the other, although
// both keep rendered profiles in their response caches; a token minted once
// works on both; concurrent partial updates through both lose no field; an
// import while they run is seen by both.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl, imageUrl,
  IDS, ACC_A, TENANT, tempDir,
} from './lib/server.mjs';
import { makePng } from './lib/images.mjs';

describe('two nodes, one database', () => {
  let db; let a; let b; let tokenAnn; let tokenBob;
  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures/tenant.json'));
    tokenAnn = mintToken(db.url, IDS.ann);
    tokenBob = mintToken(db.url, IDS.bob);
    a = await startServer({ db: db.url });
    b = await startServer({ db: db.url });
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
    for (let i = 1; i <= 5; i++) {
      const title = `Title round ${i}`;
      const writer = i % 2 ? a : b;
      const reader = i % 2 ? b : a;
      const r = await http('PUT', profileUrl(writer.base, ACC_A, IDS.ann), { token: tokenAnn, json: { title } });
      assert.equal(r.status, 200, r.text());
      assert.equal((await get(reader, tokenAnn)).title, title);
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
        const j = await get(node, tokenAnn);
        assert.equal(j.title, `A ${i}`, `round ${i}: node A's field kept`);
        assert.equal(j.companyName, `B ${i}`, `round ${i}: node B's field kept`);
      }
    }
  });

  it('an admin\'s cached view of a member changes when the member updates on the other node', async () => {
    const before1 = await get(a, tokenAnn, IDS.bob);          // ann is admin of A
    const r = await http('PUT', profileUrl(b.base, ACC_A, IDS.bob), { token: tokenBob, json: { companyName: 'Moved Corp' } });
    assert.equal(r.status, 200);
    const after1 = await get(a, tokenAnn, IDS.bob);
    assert.notEqual(before1.companyName, 'Moved Corp');
    assert.equal(after1.companyName, 'Moved Corp');
  });

  it('an image uploaded on A shows up in the profile served by B', async () => {
    await get(b, tokenAnn);
    await http('DELETE', imageUrl(a.base, ACC_A, IDS.ann), { token: tokenAnn });
    assert.equal((await get(b, tokenAnn)).profileImageUri, undefined);
    const png = makePng(20, 20);
    const up = await http('PUT', imageUrl(a.base, ACC_A, IDS.ann), { token: tokenAnn, headers: { 'Content-Type': 'image/png' }, body: png });
    assert.equal(up.status, 200);
    const p = await get(b, tokenAnn);
    assert.match(p.profileImageUri, /\/profile\/image$/);
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
      const r = await http('GET', profileUrl(node.base, ACC_A, IDS.bob), { token: tokenAnn });
      assert.equal(r.status, 403, 'ann is no longer an admin: the cached admin view must not be served');
      assert.equal(r.json().errorCode, 'USER_LACKS_PERMISSIONS');
      const self = await get(node, tokenAnn);
      assert.equal(self.userDetails.isAdmin, 'false');
    }
  });
});
