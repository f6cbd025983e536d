// cluster.test.mjs - several nodes on one PostgreSQL (docs/deploy.md); runs
// in the PostgreSQL pass of the suite (PROFILED_TEST_DB=postgres):
//   - a token minted through node A (the JWT grant over A's HTTPS) works on
//     node B; so does one from `profiled token`;
//   - 50 PUTs of one field through A and 50 of another field of the same
//     profile through B, concurrently: neither node's field is lost;
//   - PostgreSQL stopped (pg_ctl stop -m fast) under load on two nodes:
//     every answer is 200 or 503 - eSignature {errorCode,message}, Admin
//     {error,error_description}, SOAP fault, OAuth {error}, /healthz - no
//     node crashes; started again, both nodes serve within seconds without a
//     restart, and every acknowledged write reads back.
// The outage test runs its own throwaway server (scripts/pg-tmp.sh), so the
// suite's shared one keeps serving the other files.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ROOT, ON_POSTGRES, tempDir, freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl,
  IDS, ACC_A, TENANT, TENANT_FILE, NO_BURST_LIMITS, sleep,
} from './lib/server.mjs';
import { post, faultOf, getProfileBody, resultOf, envelope } from './lib/soap.mjs';
import { rsaPair, signJwt, claims, https, form, APP } from './fixtures/oauth/helpers.mjs';

const onlyPg = ON_POSTGRES ? {} : { skip: 'PostgreSQL only (PROFILED_TEST_DB=postgres)' };
const PG_TMP = path.join(ROOT, 'scripts/pg-tmp.sh');
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const NODE_ARGS = ['--rate-limit-hourly', '0', '--rate-limit-anonymous-hourly', '0', ...NO_BURST_LIMITS,
  '--rate-limit-anonymous-burst', '0'];
const ORG = TENANT.organizations[0].organizationId;

function pgTmp(...args) {
  const r = spawnSync(PG_TMP, args, { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: (r.stdout || '').trim(), err: r.stderr || '' };
}

/** An integration with an RSA key and ann's consent, imported into db. */
function addIntegration(db) {
  const key = rsaPair();
  const file = path.join(tempDir(), 'integration.json');
  writeFileSync(file, JSON.stringify({
    format: 'profiled-import', version: 1,
    integrations: [{
      integrationKey: APP, name: 'Cluster App', secret: 'cluster-secret-0123456789',
      allowedScopes: 'signature impersonation', redirectUris: ['http://127.0.0.1:9/cb'],
      rsaPublicKeys: [key.publicKey], consents: [{ userId: IDS.ann, scopes: 'signature impersonation' }],
    }],
  }));
  importFile(db, file);
  return key;
}

async function httpsOf(node) {
  for (let i = 0; i < 100; i++) {
    const m = /listening on (https:\/\/127\.0\.0\.1:(\d+))/.exec(node.stdout());
    if (m) return { url: m[1], host: `127.0.0.1:${m[2]}` };
    await sleep(20);
  }
  throw new Error(`no https listener: ${node.stdout()}`);
}

describe('two nodes on one PostgreSQL', onlyPg, () => {
  let db; let a; let b; let aHttps; let ca; let key;
  before(async () => {
    db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, TENANT_FILE);
    key = addIntegration(db.url);
    const dataDir = path.join(tempDir(), 'data');
    a = await startServer({ db: db.url, extraArgs: ['--https-port', '0', '--data-dir', dataDir, ...NODE_ARGS] });
    b = await startServer({ db: db.url, extraArgs: NODE_ARGS });
    aHttps = await httpsOf(a);
    ca = readFileSync(path.join(dataDir, 'cert.pem'));
  });
  after(async () => {
    for (const s of [a, b]) if (s) await s.stop();
  });

  it('a token from the JWT grant on node A works on node B; so does `profiled token`', async () => {
    const assertion = signJwt(claims(aHttps.host, { sub: IDS.ann }), { key: key.privateKey });
    const r = await https('POST', `${aHttps.url}/oauth/token`, {
      ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: JWT_GRANT, assertion }),
    });
    assert.equal(r.status, 200, r.text);
    const tok = r.json().access_token;
    const onB = await http('GET', profileUrl(b.base, ACC_A, IDS.ann), { token: tok });
    assert.equal(onB.status, 200, onB.text());
    assert.equal(onB.json().userDetails.userId, IDS.ann);
    const cliTok = mintToken(db.url, IDS.bob);
    for (const node of [a, b]) {
      assert.equal((await http('GET', profileUrl(node.base, ACC_A, IDS.bob), { token: cliTok })).status, 200);
    }
    // and a forged one is refused on both
    const bad = `${tok.slice(0, -4)}AAAA`;
    assert.equal((await http('GET', profileUrl(b.base, ACC_A, IDS.ann), { token: bad })).status, 401);
  });

  it('50 PUTs of one field through A and 50 of another through B, at once: no field lost', async () => {
    const tok = mintToken(db.url, IDS.ann);
    const url = (n) => profileUrl(n.base, ACC_A, IDS.ann);
    const run = async (node, make) => {
      for (let i = 1; i <= 50; i++) {
        const r = await http('PUT', url(node), { token: tok, json: make(i) });
        assert.equal(r.status, 200, r.text());
      }
    };
    // two writers per node, each on its own field
    await Promise.all([
      run(a, (i) => ({ title: `A title ${i}` })),
      run(a, (i) => ({ userDetails: { firstName: `Afirst${i}` } })),
      run(b, (i) => ({ companyName: `B company ${i}` })),
      run(b, (i) => ({ userDetails: { lastName: `Blast${i}` } })),
    ]);
    // each node may answer from its cache until the other node's
    // notification arrives (the documented bound, docs/deploy.md): wait for it
    for (const node of [a, b]) {
      let p;
      for (const t1 = Date.now(); Date.now() - t1 < 2000; await sleep(50)) {
        p = (await http('GET', url(node), { token: tok })).json();
        if (p.title === 'A title 50' && p.companyName === 'B company 50') break;
      }
      assert.equal(p.title, 'A title 50');
      assert.equal(p.companyName, 'B company 50');
      assert.equal(p.userDetails.firstName, 'Afirst50');
      assert.equal(p.userDetails.lastName, 'Blast50');
    }
  });
});

describe('PostgreSQL stopped and started under load on two nodes', onlyPg, () => {
  let dir; let port; let url; let a; let b; let tokens; let key; let parent;
  const statuses = new Map();            // status -> count, over the whole run
  const count = (s) => statuses.set(s, (statuses.get(s) || 0) + 1);

  before(async () => {
    parent = tempDir();
    chmodSync(parent, 0o711);           // the server runs as `nobody` when the tests run as root
    dir = path.join(parent, 'pg');
    for (let i = 0; i < 5 && !port; i++) {
      const p = 20000 + Math.floor(Math.random() * 30000);
      if (pgTmp('start', dir, String(p)).code === 0) port = p;
    }
    assert.ok(port, 'a private PostgreSQL started');
    url = pgTmp('url', dir, String(port), 'outage').out;
    cliOk(['migrate', '--db', url]);
    importFile(url, TENANT_FILE);
    key = addIntegration(url);
    tokens = {};
    for (const n of ['ann', 'bob', 'cat', 'dan']) tokens[n] = mintToken(url, IDS[n]);
    tokens.admin = mintToken(url, IDS.ann, { scope: 'signature user_read user_write organization_read' });
    const tls = (k) => ['--https-port', '0', '--data-dir', path.join(parent, `data-${k}`)];
    a = await startServer({ db: url, extraArgs: ['--threads', '2', ...tls('a'), ...NODE_ARGS] });
    b = await startServer({ db: url, extraArgs: ['--threads', '2', ...tls('b'), ...NODE_ARGS] });
    for (const [node, k] of [[a, 'a'], [b, 'b']]) {
      node.tls = await httpsOf(node);
      node.ca = readFileSync(path.join(parent, `data-${k}`, 'cert.pem'));
    }
  });
  after(async () => {
    for (const s of [a, b]) if (s) await s.stop();
    if (dir) pgTmp('stop', dir);
  });

  it('503 in each API\'s shape while down, served again after without a restart, no acknowledged write lost', async () => {
    // writers: one per (node, user), each PUTting an increasing title
    const writers = [[a, 'ann'], [a, 'bob'], [b, 'cat'], [b, 'dan']].map(([node, who]) => ({
      node, who, n: 0, acked: 0, phase: 'before', ackedBefore: 0,
      acc: who === 'cat' ? TENANT.accounts[1].accountId : ACC_A,
    }));
    let running = true;
    const write = async (w) => {
      while (running) {
        const i = ++w.n;
        let r;
        try {
          r = await http('PUT', profileUrl(w.node.base, w.acc, IDS[w.who]), { token: tokens[w.who], json: { title: `t${i}` } });
        } catch (e) {
          count(`error ${e.message}`);
          await sleep(20);
          continue;
        }
        count(r.status);
        if (r.status === 200) {
          w.acked = i;
          if (w.phase === 'before') w.ackedBefore = i;
        } else {
          if (r.status === 503) {
            const j = r.json();
            assert.equal(j.errorCode, 'SERVICE_UNAVAILABLE');
            assert.match(j.message, /database is unreachable/);
          }
          await sleep(20);
        }
      }
    };
    const read = async (node) => {
      while (running) {
        try {
          const r = await http('GET', profileUrl(node.base, ACC_A, IDS.ann), { token: tokens.ann });
          count(r.status);
          if (r.status !== 200) await sleep(20);
        } catch (e) {
          count(`error ${e.message}`);
          await sleep(20);
        }
      }
    };
    const load = [...writers.map(write), read(a), read(b)];
    await sleep(800);

    // ---- stop PostgreSQL
    for (const w of writers) w.phase = 'down';
    assert.equal(pgTmp('stop', dir).code, 0);
    await sleep(1000);

    // every API, on both nodes, answers 503 in its own shape
    for (const node of [a, b]) {
      const es = await http('GET', profileUrl(node.base, ACC_A, IDS.bob), { token: tokens.bob });
      assert.equal(es.status, 503, es.text());
      assert.equal(es.json().errorCode, 'SERVICE_UNAVAILABLE');
      assert.equal(typeof es.json().message, 'string');
      assert.equal(es.headers.get('retry-after'), '2');

      const ad = await http('GET', `${node.base}/Management/v2/organizations/${ORG}/users?take=5`, { token: tokens.admin });
      assert.equal(ad.status, 503, ad.text());
      assert.deepEqual(Object.keys(ad.json()).sort(), ['error', 'error_description']);

      for (const v of [11, 12]) {
        const so = await post(node.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.bob, ACC_A)),
          { headers: { Authorization: `Bearer ${tokens.bob}` } });
        assert.equal(so.status, 503, so.text());
        const f = faultOf(so, v);
        assert.equal(f.code, v === 12 ? 'Receiver' : 'Server');
        assert.match(f.text, /database is unreachable/);
      }

      // OAuth (HTTPS only): the JWT grant needs the integration from the database
      const assertion = signJwt(claims(node.tls.host, { sub: IDS.ann }), { key: key.privateKey });
      const oa = await https('POST', `${node.tls.url}/oauth/token`, {
        ca: node.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: JWT_GRANT, assertion }),
      });
      assert.equal(oa.status, 503, oa.text);
      assert.equal(oa.json().error, 'temporarily_unavailable');
      assert.match(oa.json().error_description, /database is unreachable/);
      const page = await https('GET', `${node.tls.url}/oauth/auth?response_type=code&client_id=${APP}`
        + '&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=signature&state=s1', { ca: node.ca });
      assert.equal(page.status, 503, page.text.slice(0, 300));
      assert.match(page.headers['content-type'], /^text\/html/);

      const hz = await http('GET', `${node.base}/healthz`);
      assert.equal(hz.status, 503);
      assert.equal(node.proc.exitCode, null, 'the node is still running');
    }

    // ---- start it again
    assert.equal(pgTmp('start', dir, String(port)).code, 0);
    const t0 = Date.now();
    for (const w of writers) w.phase = 'after';
    const backIn = {};
    for (const node of [a, b]) {
      for (;;) {
        const r = await http('GET', profileUrl(node.base, ACC_A, IDS.bob), { token: tokens.bob });
        if (r.status === 200) break;
        assert.ok(Date.now() - t0 < 15_000, `node ${node.port} not back after 15 s: ${r.status} ${r.text()}`);
        await sleep(100);
      }
      backIn[node.port] = Date.now() - t0;
    }
    const before1 = writers.map((w) => w.acked);
    await sleep(1000);
    running = false;
    await Promise.all(load);

    // only 200 and 503, plenty of each
    const seen = Object.fromEntries(statuses);
    for (const s of statuses.keys()) assert.ok(s === 200 || s === 503, `unexpected answer ${s}: ${JSON.stringify(seen)}`);
    assert.ok((statuses.get(503) || 0) > 10, `503s while down: ${JSON.stringify(seen)}`);
    writers.forEach((w, k) => assert.ok(w.acked > before1[k], `${w.who} wrote again after the restart`));
    assert.ok(Object.values(backIn).every((ms) => ms < 15_000), JSON.stringify(backIn));

    // every acknowledged write is there: the last acknowledged title of each
    // writer (a write that got a 503 may or may not have committed, so the
    // title is the last acknowledged one or a later attempt)
    for (const w of writers) {
      const r = await http('GET', profileUrl(a.base, w.acc, IDS[w.who]), { token: tokens[w.who] });
      assert.equal(r.status, 200, r.text());
      const got = Number(/^t(\d+)$/.exec(r.json().title)[1]);
      assert.ok(got >= w.acked, `${w.who}: read t${got}, acknowledged t${w.acked}`);
      assert.ok(w.ackedBefore > 0, `${w.who} had writes acknowledged before the stop`);
    }
    assert.equal((await http('GET', `${a.base}/healthz`)).status, 200);
    // SOAP works again too
    const so = await post(b.base, 11, 'GetUserProfile',
      envelope(11, getProfileBody(IDS.bob, ACC_A)),
      { headers: { Authorization: `Bearer ${tokens.bob}` } });
    assert.equal(so.status, 200, so.text());
    assert.ok(resultOf(so, 11, 'GetUserProfile'));
  });
});
