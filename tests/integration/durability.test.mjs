// durability.test.mjs - an acknowledged write survives `kill -9` of the
// server: PUTs (from several concurrent clients) and an image upload are
// acknowledged, the process is killed with SIGKILL, a new process on the
// same SQLite file serves every acknowledged change.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl, imageUrl, IDS, ACC_A, FIXTURES,
} from './lib/server.mjs';
import { makePng } from './lib/images.mjs';

describe('durability across kill -9', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop('SIGKILL'); });

  it('every acknowledged PUT and image upload is there after SIGKILL and restart', async () => {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, path.join(FIXTURES, 'tenant.json'));
    const tokens = { ann: mintToken(db.url, IDS.ann), bob: mintToken(db.url, IDS.bob) };
    const first = await startServer({ db: db.url });
    servers.push(first);

    const acked = {};
    const writer = async (who) => {
      for (let i = 0; i < 40; i++) {
        const title = `${who} ${i}`;
        const r = await http('PUT', profileUrl(first.base, ACC_A, IDS[who]), { token: tokens[who], json: { title, userDetails: { jobTitle: `job ${i}` } } });
        assert.equal(r.status, 200, r.text());
        acked[who] = { title, job: `job ${i}` };
      }
    };
    const png = makePng(33, 33, { seed: 7 });
    const [, , up] = await Promise.all([
      writer('ann'), writer('bob'),
      http('PUT', imageUrl(first.base, ACC_A, IDS.ann), { token: tokens.ann, headers: { 'Content-Type': 'image/png' }, body: png }),
    ]);
    assert.equal(up.status, 200);

    const r = await first.stop('SIGKILL');
    assert.equal(r.signal, 'SIGKILL');

    const second = await startServer({ db: db.url });
    servers.push(second);
    for (const who of ['ann', 'bob']) {
      const g = await http('GET', profileUrl(second.base, ACC_A, IDS[who]), { token: tokens[who] });
      assert.equal(g.status, 200);
      const p = g.json();
      assert.equal(p.title, acked[who].title);
      assert.equal(p.userDetails.jobTitle, acked[who].job);
    }
    const img = await http('GET', imageUrl(second.base, ACC_A, IDS.ann), { token: tokens.ann });
    assert.equal(img.status, 200);
    assert.ok(Buffer.compare(img.body, png) === 0, 'image bytes identical after the crash');
  });
});
