// nginx.test.mjs - the shipped load-balancer configuration
// (contrib/nginx-profiled.conf) run by Debian's nginx in front of two
// profiled nodes on one database, as docs/deploy.md describes:
//   - the docusign-esign SDK reads and updates a profile through it;
//   - the client address a node logs is the real client's (a forged
//     X-Forwarded-For is not believed), from --trusted-proxies;
//   - one node stopped in the middle of a stream of GETs costs no failed
//     GET (a refused connection is retried on the other node), and writes
//     keep working on the node that is left;
//   - a POST that cannot reach a node is not resent, bodies over a node's
//     limit get the node's own 413 shape, 8 KiB headers pass, /metrics and
//     /_profiled/ are not published.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import nodeHttp from 'node:http';
import net from 'node:net';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl, TENANT_FILE,
  IDS, ACC_A, NO_BURST_LIMITS, sleep,
} from './lib/server.mjs';
import { NGINX, startNginx } from './lib/nginx.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');

/** GET/PUT over a fresh connection from a chosen local address. */
function request(method, url, { headers = {}, body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = nodeHttp.request({
      method, host: u.hostname, port: u.port, path: u.pathname + u.search, localAddress, agent: false,
      headers: { ...headers, ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${url}: timeout`)));
    if (body) req.write(body);
    req.end();
  });
}

const requestLines = (node) => node.stderr().split('\n')
  .filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l));

describe('nginx in front of two nodes (contrib/nginx-profiled.conf)', { skip: NGINX ? false : 'nginx is not installed' }, () => {
  let db; let a; let b; let ngx; let tokAnn; let tokBob;
  const nodeArgs = ['--trusted-proxies', '127.0.0.1', '--per-ip-connections', '1024',
    '--rate-limit-hourly', '0', ...NO_BURST_LIMITS];

  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, TENANT_FILE);
    tokAnn = mintToken(db.url, IDS.ann);
    tokBob = mintToken(db.url, IDS.bob);
    a = await startServer({ db: db.url, extraArgs: nodeArgs });
    b = await startServer({ db: db.url, extraArgs: nodeArgs });
    ngx = await startNginx([a.port, b.port]);
  });
  after(async () => {
    if (ngx) await ngx.stop();
    for (const s of [a, b]) if (s) await s.stop();
  });

  it('the docusign-esign SDK reads and updates a profile through nginx', async () => {
    const client = new docusign.ApiClient();
    client.setBasePath(`${ngx.base}/restapi`);
    client.addDefaultHeader('Authorization', `Bearer ${tokAnn}`);
    const api = new docusign.UsersApi(client);
    const p = await api.getProfile(ACC_A, IDS.ann);
    assert.equal(p.userDetails.firstName, 'Ann');
    assert.equal(p.userDetails.email, 'ann@acme.test');
    await api.updateProfile(ACC_A, IDS.ann, { userProfile: { title: 'Through nginx' } });
    // read back on each node directly: the write went to the shared database
    for (const node of [a, b]) {
      const r = await http('GET', profileUrl(node.base, ACC_A, IDS.ann), { token: tokAnn });
      assert.equal(r.status, 200, r.text());
      assert.equal(r.json().title, 'Through nginx');
    }
    // nginx spreads requests over both nodes
    for (let i = 0; i < 8; i++) assert.equal((await api.getProfile(ACC_A, IDS.ann)).title, 'Through nginx');
    await sleep(200);
    assert.ok(requestLines(a).length > 0 && requestLines(b).length > 0, 'both nodes served requests');
  });

  it('a node logs the real client address, never one the client claims', async () => {
    // the client connects from 127.0.0.2, which is not a trusted proxy
    const url = `${profileUrl(ngx.base, ACC_A, IDS.bob)}?probe=addr`;
    const seen = () => [...requestLines(a), ...requestLines(b)].filter((l) => l.caller === IDS.bob);
    const before1 = seen().length;
    // from 127.0.0.2 (not a trusted proxy), plainly and with forged headers
    for (const forged of [undefined, '198.51.100.7', '127.0.0.1']) {
      const headers = { Authorization: `Bearer ${tokBob}` };
      if (forged) headers['X-Forwarded-For'] = forged;
      const r = await request('GET', url, { headers, localAddress: '127.0.0.2' });
      assert.equal(r.status, 200, r.text);
    }
    await sleep(300);
    const lines = seen();
    // other tests' lines are not in between: this test runs alone
    assert.equal(before1, 0, 'bob made no call before');
    assert.equal(lines.length, 3, JSON.stringify(lines));
    for (const l of lines) assert.equal(l.remote, '127.0.0.2', JSON.stringify(l));
  });

  it('headers up to profiled\'s 8 KiB value limit pass nginx', async () => {
    const r = await request('GET', profileUrl(ngx.base, ACC_A, IDS.bob), {
      headers: { Authorization: `Bearer ${tokBob}`, 'X-Padding': 'p'.repeat(8000) },
    });
    assert.equal(r.status, 200, r.text.slice(0, 300));
  });

  it('a body over a node\'s limit gets the node\'s 413 in its own shape; over 1 MiB nginx\'s', async () => {
    const url = profileUrl(ngx.base, ACC_A, IDS.bob);
    const big = JSON.stringify({ title: 'x'.repeat(100 * 1024) });      // > 64 KiB profile limit
    const r = await request('PUT', url, { headers: { Authorization: `Bearer ${tokBob}`, 'Content-Type': 'application/json' }, body: big });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(JSON.parse(r.text).errorCode, 'REQUEST_ENTITY_TOO_LARGE');
    const huge = JSON.stringify({ title: 'x'.repeat(1100 * 1024) });
    const r2 = await request('PUT', url, { headers: { Authorization: `Bearer ${tokBob}`, 'Content-Type': 'application/json' }, body: huge })
      .catch((e) => ({ status: 'reset', text: e.message }));
    // nginx answers 413 (and may close before reading everything)
    assert.ok(r2.status === 413 || r2.status === 'reset', `${r2.status} ${r2.text.slice(0, 200)}`);
  });

  it('/metrics and the control API are not published through nginx', async () => {
    assert.equal((await http('GET', `${a.base}/metrics`)).status, 200, 'a node serves /metrics to loopback');
    assert.equal((await http('GET', `${ngx.base}/metrics`)).status, 404);
    assert.equal((await http('GET', `${ngx.base}/_profiled/journal`)).status, 404);
    assert.equal((await http('GET', `${ngx.base}/healthz`)).status, 200);
  });

  it('a node stopped during a stream of GETs costs no failed GET; PUTs keep working', async () => {
    const url = profileUrl(ngx.base, ACC_A, IDS.ann);
    const counts = { ok: 0, failed: 0, other: [] };
    let stopAt = 0;
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          const r = await http('GET', url, { token: tokAnn });
          if (r.status === 200) counts.ok++;
          else { counts.failed++; counts.other.push(r.status); }
        } catch (e) {
          counts.failed++; counts.other.push(e.message);
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    await sleep(700);
    const okBefore = counts.ok;
    stopAt = Date.now();
    const stopped = await b.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    await sleep(1500);
    running = false;
    await Promise.all(workers);
    assert.ok(okBefore > 20, `requests before the stop: ${okBefore}`);
    assert.ok(counts.ok > okBefore + 20, `requests after the stop: ${counts.ok - okBefore}`);
    assert.equal(counts.failed, 0, `failed GETs: ${JSON.stringify(counts.other.slice(0, 10))} (stop at ${stopAt})`);
    // writes go to the node that is left
    for (let i = 0; i < 5; i++) {
      const r = await http('PUT', url, { token: tokAnn, json: { title: `after stop ${i}` } });
      assert.equal(r.status, 200, r.text());
    }
    const r = await http('GET', profileUrl(a.base, ACC_A, IDS.ann), { token: tokAnn });
    assert.equal(r.json().title, 'after stop 4');
  });

});

describe('nginx: a request that cannot reach a node', { skip: NGINX ? false : 'nginx is not installed' }, () => {
  let db; let a; let ngx; let broken; let tok;
  let brokenHits = 0;
  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, TENANT_FILE);
    tok = mintToken(db.url, IDS.ann);
    a = await startServer({ db: db.url, extraArgs: ['--trusted-proxies', '127.0.0.1', ...NO_BURST_LIMITS] });
    // a "node" that takes each request and drops the connection unanswered
    broken = net.createServer((c) => c.once('data', () => { brokenHits++; c.resetAndDestroy(); }));
    await new Promise((r) => broken.listen(0, '127.0.0.1', r));
    ngx = await startNginx([broken.address().port, a.port]);
  });
  after(async () => {
    if (ngx) await ngx.stop();
    if (broken) broken.close();
    if (a) await a.stop();
  });

  it('POST is never resent to the next node (502); GET is, and succeeds', async () => {
    const soap = `${ngx.base}/api/3.0/accountmanagement.asmx`;
    const posts = (lines) => lines.filter((l) => l.method === 'POST').length;
    const results = [];
    for (let i = 0; i < 4; i++) {
      const r = await request('POST', soap, { headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: '<x/>' });
      results.push(r.status);
    }
    await sleep(300);
    const delivered = posts(requestLines(a));
    const bad = results.filter((s) => s === 502).length;
    assert.ok(brokenHits >= 1, 'the broken node got a POST');
    assert.equal(bad, brokenHits, `each POST the broken node dropped is a 502 (${results})`);
    assert.equal(delivered + bad, 4, `every POST went to exactly one node: ${results}`);
    // GETs: the broken node is tried again after fail_timeout; a GET it drops goes to a
    await sleep(6500);                 // fail_timeout (5 s) counted in whole seconds by nginx
    const hits0 = brokenHits;
    for (let i = 0; i < 6; i++) {
      const r = await http('GET', profileUrl(ngx.base, ACC_A, IDS.ann), { token: tok });
      assert.equal(r.status, 200, r.text());
    }
    assert.ok(brokenHits > hits0, `a GET reached the broken node and was retried on the other (${hits0} ${brokenHits} ${results}) ${ngx.errorLog()}`);
  });
});
