// proxy.test.mjs - behind a load balancer (--trusted-proxies): the request
// log and the sign-in throttle see the client from X-Forwarded-For, but only
// when the peer is a trusted proxy; from anyone else the header is ignored.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { freshDb, cliOk, startServer, http, cli } from './lib/server.mjs';

function remotes(server) {
  return server.stderr().split('\n').filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l).remote);
}

describe('trusted proxies', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop('SIGTERM'); });

  it('uses the right-most untrusted X-Forwarded-For hop only from a trusted peer', async () => {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    const trusting = await startServer({ db: db.url, extraArgs: ['--trusted-proxies', '127.0.0.0/8, 10.0.0.0/8'] });
    const plain = await startServer({ db: db.url });
    servers.push(trusting, plain);
    const h = { 'X-Forwarded-For': '198.51.100.9, 203.0.113.7, 10.1.2.3' };
    assert.equal((await http('GET', `${trusting.base}/healthz`, { headers: h })).status, 200);
    assert.equal((await http('GET', `${plain.base}/healthz`, { headers: h })).status, 200);
    assert.equal((await http('GET', `${trusting.base}/healthz`, { headers: { 'X-Forwarded-For': 'junk' } })).status, 200);
    await new Promise((r) => setTimeout(r, 200));
    const t = remotes(trusting);
    assert.equal(t[0], '203.0.113.7', 'the first hop the proxies did not add');
    assert.equal(t[1], '127.0.0.1', 'a malformed header is ignored');
    assert.equal(remotes(plain)[0], '127.0.0.1', 'an untrusted peer cannot claim another address');
  });

  it('--check-config names a bad range', () => {
    const r = cli(['serve', '--check-config', '--trusted-proxies', '10.0.0.0/8, lb.example']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /trusted-proxies: 'lb\.example'/);
  });
});
