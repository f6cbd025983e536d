// control.test.mjs - the test-control API (docs/control.md): off without
// --control-token; refused without the secret, with an API token, with a
// wrong secret; tenant load/reset/export (atomic under concurrent traffic);
// minted tokens; fault rules as the official docusign-esign SDK sees them
// (status, body, rate-limit headers, latency, count-limited rules) and in
// the Admin and SOAP shapes; the request journal (no secrets, bounded);
// `profiled control`; the attacks kept as regression tests.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodeHttp from 'node:http';
import {
  TENANT, TENANT_FILE, IDS, ACC_A, ORG, tempDir, freshDb, cli, cliOk, importFile, mintToken,
  startServer, http, rawHttp, profileUrl, assertError,
  NO_BURST_LIMITS,
} from './lib/server.mjs';
import { importIntegration, jsonCreds, IKEY } from './lib/legacy.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');

const SECRET = 'ctl-Secret-0123456789-abcdef';
const CTL = { 'X-Profiled-Control-Token': SECRET };
const PASSWORD_ANN = TENANT.users.find((u) => u.userId === IDS.ann).password;

function usersApi(base, token) {
  const client = new docusign.ApiClient();
  client.setBasePath(`${base}/restapi`);
  client.addDefaultHeader('Authorization', `Bearer ${token}`);
  return new docusign.UsersApi(client);
}

const ctl = (env, method, p, opts = {}) =>
  http(method, `${env.base}/_profiled${p}`, { ...opts, headers: { ...CTL, ...(opts.headers || {}) } });

/** One request on a fresh connection (no keep-alive), resolving with status or the error. */
function freshGet(url, headers = {}) {
  return new Promise((resolve) => {
    const req = nodeHttp.get(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    });
    req.on('error', (e) => resolve({ error: e }));
  });
}

// Without burst limits, nor the hourly one: these tests send hundreds of API
// calls within seconds to exercise the journal and tenant loads (the readers
// racing tenant loads send as many as the machine allows while the loads
// last: over 3,000 when the database is a separate PostgreSQL process on a
// busy machine), not the rate limiter (ratelimit.test.mjs does that).
const NO_LIMITS = [...NO_BURST_LIMITS, '--rate-limit-hourly', '0'];
async function startControl(extra = [], env) {
  const db = freshDb();
  cliOk(['migrate', '--db', db.url]);
  importFile(db.url, TENANT_FILE);
  const server = await startServer({ db: db.url, extraArgs: [...NO_LIMITS, ...extra], env });
  return { db, server, base: server.base };
}

async function stopClean(env) {
  const r = await env.server.stop('SIGTERM');
  assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null });
}

describe('control API off without --control-token', () => {
  const env = {};
  before(async () => Object.assign(env, await startControl()));
  after(() => stopClean(env));

  it('refuses a 10 MiB tenant upload at once, unread', async () => {
    const r = await rawHttp('POST', `${env.base}/_profiled/tenant`, { headers: { 'Content-Length': String(10 * 1024 * 1024) }, body: Buffer.alloc(64 * 1024, 0x20) });
    assert.equal(r.status, 404);
  });

  it('answers 404 on every control path, with or without a secret', async () => {
    for (const [m, p] of [['GET', '/'], ['GET', '/faults'], ['POST', '/reset'], ['GET', '/journal'], ['GET', '/tenant']]) {
      assertError(await ctl(env, m, p), 404, 'RESOURCE_NOT_FOUND', `${m} ${p}`);
    }
  });
});

describe('control API: a replaced tenant ends remembered legacy credentials', () => {
  const env = {};
  before(async () => {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, TENANT_FILE);
    importIntegration(db.url);
    const server = await startServer({ db: db.url, extraArgs: [...NO_BURST_LIMITS, '--threads', '1', '--control-token', SECRET] });
    Object.assign(env, { db, server, base: server.base });
  });
  after(() => stopClean(env));

  it('the old password stops working at once, though the user row comes back with the same version', async () => {
    const H = 'X-DocuSign-Authentication';
    const get = (pw) => http('GET', profileUrl(env.base, ACC_A, IDS.ann), { headers: { [H]: jsonCreds({ user: 'ann@acme.test', password: pw }) } });
    assert.equal((await get(PASSWORD_ANN)).status, 200);             // checked and remembered
    assert.equal((await get(PASSWORD_ANN)).status, 200);
    const next = {
      ...TENANT,
      users: TENANT.users.map((u) => (u.userId === IDS.ann ? { ...u, password: 'ann-New-Pass-42' } : u)),
      integrations: [{ integrationKey: IKEY, name: 'Legacy App', allowedScopes: 'signature', redirectUris: ['http://127.0.0.1:9/cb'] }],
    };
    const r = await ctl(env, 'POST', '/tenant', { body: JSON.stringify(next) });
    assert.equal(r.status, 200, r.text());
    assertError(await get(PASSWORD_ANN), 401, 'USER_AUTHENTICATION_FAILED', 'old password after the reload');
    assert.equal((await get('ann-New-Pass-42')).status, 200);
  });
});

describe('control API configuration', () => {
  it('--check-config never shows the token; a short one is refused without echoing it', () => {
    const db = freshDb();
    const ok = cli(['serve', '--db', db.url, '--create', '--control-token', SECRET, '--check-config']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes(SECRET) && !ok.stderr.includes(SECRET));
    const short = cli(['serve', '--db', db.url, '--create', '--check-config'], { env: { PROFILED_CONTROL_TOKEN: 'short-secret' } });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /control-token: shorter than 16 characters/);
    assert.ok(!short.stderr.includes('short-secret') && !short.stdout.includes('short-secret'));
    const help = cli(['serve', '--help']);
    assert.match(help.stdout, /--control-token/);
    assert.match(help.stdout, /--control-journal/);
  });
});

describe('control API', () => {
  const env = {};
  let annToken;
  before(async () => {
    Object.assign(env, await startControl(['--control-journal', '200'], { PROFILED_CONTROL_TOKEN: SECRET }));
    annToken = mintToken(env.db.url, IDS.ann);
  });
  after(() => stopClean(env));

  describe('refusals', () => {
    const paths = [['GET', '/'], ['GET', '/page.js'], ['GET', '/tenant'], ['POST', '/tenant'], ['POST', '/reset'],
      ['POST', '/tokens'], ['GET', '/faults'], ['POST', '/faults'], ['DELETE', '/faults'], ['DELETE', '/faults/1'],
      ['GET', '/journal'], ['DELETE', '/journal']];

    it('without the secret: 401 CONTROL_TOKEN_INVALID on every operation (GET offers Basic)', async () => {
      for (const [m, p] of paths) {
        const r = await http(m, `${env.base}/_profiled${p}`, { body: m === 'GET' || m === 'DELETE' ? undefined : '{}' });
        assertError(r, 401, 'CONTROL_TOKEN_INVALID', `${m} ${p}`);
        if (m === 'GET') assert.match(r.headers.get('www-authenticate'), /Basic realm="profiled control"/);
      }
    });

    it('with a valid API token (Bearer, even an admin\'s): 401', async () => {
      for (const [m, p] of paths) {
        assertError(await http(m, `${env.base}/_profiled${p}`, { token: annToken }), 401, 'CONTROL_TOKEN_INVALID', `${m} ${p}`);
      }
    });

    it('with a wrong secret (shorter, longer, one byte off, as Bearer, in Basic on POST): 401', async () => {
      const wrong = [SECRET.slice(0, -1), `${SECRET}x`, `${SECRET.slice(0, -1)}X`, '', 'a'.repeat(4000)];
      for (const w of wrong) {
        assertError(await http('GET', `${env.base}/_profiled/faults`, { headers: { 'X-Profiled-Control-Token': w } }),
          401, 'CONTROL_TOKEN_INVALID', `secret ${w.length}`);
      }
      assertError(await http('GET', `${env.base}/_profiled/faults`, { token: SECRET }), 401, 'CONTROL_TOKEN_INVALID', 'as Bearer');
      const basic = (pw) => `Basic ${Buffer.from(`any:${pw}`).toString('base64')}`;
      assertError(await http('GET', `${env.base}/_profiled/faults`, { headers: { Authorization: basic('nope-nope-nope-nope') } }),
        401, 'CONTROL_TOKEN_INVALID', 'Basic wrong');
      assertError(await http('GET', `${env.base}/_profiled/faults`, { headers: { Authorization: 'Basic !!!not-base64' } }),
        401, 'CONTROL_TOKEN_INVALID', 'Basic garbage');
      const ok = await http('GET', `${env.base}/_profiled/faults`, { headers: { Authorization: basic(SECRET) } });
      assert.equal(ok.status, 200, 'Basic with the secret reads');
      // a browser sends Basic by itself: it may not change anything (no cross-site writes)
      assertError(await http('POST', `${env.base}/_profiled/reset`, { headers: { Authorization: basic(SECRET) } }),
        401, 'CONTROL_TOKEN_INVALID', 'Basic on POST');
      assertError(await http('DELETE', `${env.base}/_profiled/journal`, { headers: { Authorization: basic(SECRET) } }),
        401, 'CONTROL_TOKEN_INVALID', 'Basic on DELETE');
      // the tenant is still there
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken })).status, 200);
    });

    it('a large upload without the secret is refused before its body is read', async () => {
      const big = await rawHttp('POST', `${env.base}/_profiled/tenant`, { headers: { 'Content-Length': String(15 * 1024 * 1024) }, body: Buffer.alloc(64 * 1024, 0x20) });
      assert.equal(big.status, 401);
      assert.equal(JSON.parse(big.body.toString()).errorCode, 'CONTROL_TOKEN_INVALID');
      const cont = await rawHttp('POST', `${env.base}/_profiled/tenant`, { headers: { 'Content-Length': String(4096) }, body: Buffer.alloc(4096, 0x20), expectContinue: true });
      assert.equal(cont.status, 401);
      const small = await http('POST', `${env.base}/_profiled/faults`, { headers: { 'X-Profiled-Control-Token': 'nope-nope-nope-nope' }, body: '{"status":500}' });
      assertError(small, 401, 'CONTROL_TOKEN_INVALID');
      assert.deepEqual((await ctl(env, 'GET', '/faults')).json().rules, []);
    });

    it('the secret never reaches the log', () => {
      assert.ok(!env.server.stderr().includes(SECRET));
    });
  });

  describe('tokens', () => {
    it('mints a token the official SDK can use; refuses unknown users and bad values', async () => {
      const r = await ctl(env, 'POST', '/tokens', { json: { userId: IDS.bob, ttl: 600 } });
      assert.equal(r.status, 200, r.text());
      const j = r.json();
      assert.equal(j.token_type, 'Bearer');
      assert.equal(j.expires_in, 600);
      const p = await usersApi(env.base, j.access_token).getProfile(ACC_A, IDS.bob);
      assert.equal(p.userDetails.userId, IDS.bob);
      assertError(await ctl(env, 'POST', '/tokens', { json: { userId: 'd0000000-0000-4000-8000-0000000fffff' } }), 400, 'USER_DOES_NOT_EXIST_IN_SYSTEM');
      assertError(await ctl(env, 'POST', '/tokens', { json: { userId: 'not-a-guid' } }), 400, 'INVALID_USERID');
      assertError(await ctl(env, 'POST', '/tokens', { json: { userId: IDS.bob, ttl: 0 } }), 400, 'INVALID_REQUEST_PARAMETER');
      assertError(await ctl(env, 'POST', '/tokens', { json: { userId: IDS.bob, ttl: 86401 } }), 400, 'INVALID_REQUEST_PARAMETER');
      assertError(await ctl(env, 'POST', '/tokens', { json: { userId: IDS.bob, scope: 'a"b' } }), 400, 'INVALID_REQUEST_PARAMETER');
      assertError(await ctl(env, 'POST', '/tokens', { body: '[1', headers: { 'Content-Type': 'application/json' } }), 400, 'INVALID_REQUEST_BODY');
    });
  });

  describe('fault rules', () => {
    it('an injected HOURLY_APIINVOCATION_LIMIT_EXCEEDED reaches the SDK as DocuSign sends it; count 2 expires', async () => {
      const add = await ctl(env, 'POST', '/faults', {
        json: { path: '/restapi/*/profile', error: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED', count: 2 },
      });
      assert.equal(add.status, 201, add.text());
      const id = add.json().id;
      const api = usersApi(env.base, annToken);
      const hourStart = Math.floor(Date.now() / 3600000) * 3600;
      for (let i = 0; i < 2; i++) {
        await assert.rejects(api.getProfile(ACC_A, IDS.ann), (err) => {
          assert.equal(err.response?.status, 429);
          assert.equal(err.response.data.errorCode, 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED');
          assert.match(err.response.data.message, /hourly limit is 3000/);
          const h = err.response.headers;
          assert.equal(h['x-ratelimit-limit'], '3000');
          assert.equal(h['x-ratelimit-remaining'], '0');
          const reset = Number(h['x-ratelimit-reset']);
          assert.ok(reset === hourStart + 3600 || reset === hourStart + 7200, `reset ${reset}`);
          assert.equal(h['x-burstlimit-limit'], '500');
          assert.ok(h['x-burstlimit-remaining'] !== undefined);
          assert.ok(h['x-docusign-tracetoken']);
          return true;
        });
      }
      const p = await api.getProfile(ACC_A, IDS.ann);             // the rule is used up
      assert.equal(p.userDetails.userId, IDS.ann);
      const list = (await ctl(env, 'GET', '/faults')).json();
      assert.ok(!list.rules.some((r) => r.id === id), 'a used-up rule is gone');
      // marked in the log and the journal
      assert.match(env.server.stderr(), new RegExp(`fault rule ${id} injected on GET /accounts/\\{accountId\\}/users/\\{userId\\}/profile: HOURLY_APIINVOCATION_LIMIT_EXCEEDED`));
      const j = (await ctl(env, 'GET', '/journal?status=429')).json();
      assert.ok(j.entries.some((e) => e.fault === id));
    });

    it('BURST limit for one user only: other users pass', async () => {
      const id = (await ctl(env, 'POST', '/faults', { json: { userId: IDS.bob, error: 'BURST_APIINVOCATION_LIMIT_EXCEEDED' } })).json().id;
      const bob = mintToken(env.db.url, IDS.bob);
      const r = await http('GET', profileUrl(env.base, ACC_A, IDS.bob), { token: bob });
      assertError(r, 429, 'BURST_APIINVOCATION_LIMIT_EXCEEDED');
      assert.equal(r.headers.get('x-burstlimit-remaining'), '0');
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken })).status, 200);
      assert.equal((await ctl(env, 'DELETE', `/faults/${id}`)).status, 204);
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.bob), { token: bob })).status, 200);
      assertError(await ctl(env, 'DELETE', `/faults/${id}`), 404, 'RESOURCE_NOT_FOUND');
    });

    it('latency is applied, and the request then answered normally', async () => {
      await ctl(env, 'POST', '/faults', { json: { method: 'get', path: '/restapi/v2.1/*', latencyMs: 600, count: 1 } });
      const t0 = Date.now();
      const p = await usersApi(env.base, annToken).getProfile(ACC_A, IDS.ann);
      const dt = Date.now() - t0;
      assert.ok(dt >= 600, `took ${dt} ms`);
      assert.equal(p.userDetails.userId, IDS.ann);
      const t1 = Date.now();
      await usersApi(env.base, annToken).getProfile(ACC_A, IDS.ann);
      assert.ok(Date.now() - t1 < 600, 'the count-1 latency rule is gone');
    });

    it('a 500 with a custom message, and a dropped connection', async () => {
      await ctl(env, 'POST', '/faults', { json: { path: '/v2/*', error: 'UNSPECIFIED_ERROR', message: 'boom <&>', count: 1 } });
      const r = await http('GET', profileUrl(env.base, ACC_A, IDS.ann, '/v2'), { token: annToken });
      const j = assertError(r, 500, 'UNSPECIFIED_ERROR');
      assert.equal(j.message, 'boom <&>');
      await ctl(env, 'POST', '/faults', { json: { path: '/v2/*', drop: true, count: 1 } });
      const d = await freshGet(profileUrl(env.base, ACC_A, IDS.ann, '/v2'), { Authorization: `Bearer ${annToken}` });
      assert.ok(d.error, `dropped: ${JSON.stringify(d)}`);
      const ok = await freshGet(profileUrl(env.base, ACC_A, IDS.ann, '/v2'), { Authorization: `Bearer ${annToken}` });
      assert.equal(ok.status, 200);
    });

    it('answers in the Admin API shape and as a SOAP fault on those surfaces', async () => {
      await ctl(env, 'POST', '/faults', { json: { path: '/Management/*', status: 503, count: 1 } });
      const a = await http('GET', `${env.base}/Management/v2/organizations/${ORG}/users`, { token: annToken });
      assert.equal(a.status, 503);
      const aj = a.json();
      assert.equal(typeof aj.error, 'string');
      assert.equal(typeof aj.error_description, 'string');
      assert.equal(aj.errorCode, undefined);
      await ctl(env, 'POST', '/faults', { json: { path: '/api/3.0/*', error: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED', count: 1 } });
      const s = await http('POST', `${env.base}/api/3.0/accountmanagement.asmx`, {
        headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://www.docusign.net/API/AccountManagement/Ping"' },
        body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Ping xmlns="http://www.docusign.net/API/AccountManagement"/></soap:Body></soap:Envelope>',
      });
      assert.equal(s.status, 429);
      assert.match(s.headers.get('content-type'), /text\/xml/);
      assert.match(s.text(), /<soap:Fault><faultcode>soap:Client<\/faultcode><faultstring>Hourly_API_Invocation_Limit_Exceeded: /);
      assert.equal(s.headers.get('x-ratelimit-remaining'), '0');
      const s12 = await http('POST', `${env.base}/api/3.0/accountmanagement.asmx`, {
        headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' }, body: '<x/>',
      });
      assert.notEqual(s12.status, 429, 'the count-1 SOAP rule is used up');
      // errors found before the envelope is read are SOAP faults too (pd_api.error of soap/)
      const big = await rawHttp('POST', `${env.base}/api/3.0/accountmanagement.asmx`, {
        headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: Buffer.alloc(600 * 1024, 0x20),
      });
      assert.equal(big.status, 413, big.body.toString());
      assert.match(big.body.toString(), /<faultstring>Unspecified_Error: The request body exceeds/);
    });

    it('percent 1..100 and "until cleared"; rules listed; clear all', async () => {
      await ctl(env, 'DELETE', '/faults');
      const id = (await ctl(env, 'POST', '/faults', { json: { path: '/v2.1/*', error: 'INVALID_REQUEST_PARAMETER' } })).json().id;
      for (let i = 0; i < 3; i++) {
        assertError(await http('GET', profileUrl(env.base, ACC_A, IDS.ann, '/v2.1'), { token: annToken }), 400, 'INVALID_REQUEST_PARAMETER');
      }
      const l = (await ctl(env, 'GET', '/faults')).json();
      assert.deepEqual(l.rules.map((r) => [r.id, r.hits, r.remaining]), [[id, 3, undefined]]);
      assert.equal((await ctl(env, 'DELETE', '/faults')).status, 204);
      assert.deepEqual((await ctl(env, 'GET', '/faults')).json().rules, []);
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann, '/v2.1'), { token: annToken })).status, 200);
    });

    it('bad rules are refused with the member named; the control API itself is never faulted', async () => {
      const bad = [
        [{ path: '/x', error: 'NOT_A_CODE' }, /error: 'NOT_A_CODE'/],
        [{ path: '/x', evil: 1, status: 500 }, /evil: unknown member/],
        [{ path: '/x' }, /does nothing/],
        [{ latencyMs: 30001 }, /latencyMs/],
        [{ status: 200 }, /status/],
        [{ status: 500, count: 0 }, /count/],
        [{ status: 500, percent: 101 }, /percent/],
        [{ drop: true, error: 'UNSPECIFIED_ERROR' }, /drop/],
        [{ path: 'a'.repeat(300), status: 500 }, /path/],
        [[1, 2], /JSON object/],
        [{ path: '/*a*a*a*a*a*a*a*a*a', status: 500 }, /at most 8 '\*'/],
      ];
      for (const [spec, re] of bad) {
        const r = await ctl(env, 'POST', '/faults', { json: spec });
        const j = assertError(r, 400, 'INVALID_REQUEST_BODY', JSON.stringify(spec).slice(0, 80));
        assert.match(j.message, re);
      }
      await ctl(env, 'POST', '/faults', { json: { status: 500 } });      // every request...
      assert.equal((await ctl(env, 'GET', '/faults')).status, 200);      // ...but not the control API
      assert.equal((await ctl(env, 'DELETE', '/faults')).status, 204);
      for (let i = 0; i < 64; i++) await ctl(env, 'POST', '/faults', { json: { path: `/nothing/${i}`, status: 500 } });
      const full = await ctl(env, 'POST', '/faults', { json: { path: '/nothing/x', status: 500 } });
      assert.match(assertError(full, 400, 'INVALID_REQUEST_BODY').message, /at most 64 rules/);
      await ctl(env, 'DELETE', '/faults');
    });
  });

  describe('journal', () => {
    it('never holds secrets: Bearer tokens, legacy credentials, cookies, Basic, passwords in forms and queries', async () => {
      await ctl(env, 'DELETE', '/journal');
      const legacy = JSON.stringify({ Username: 'ann@acme.test', Password: PASSWORD_ANN, IntegratorKey: 'ik-zzz' });
      await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken, headers: { Cookie: 'sid=cookie-secret-value-1' } });
      await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { headers: { 'X-DocuSign-Authentication': legacy } });
      await http('GET', `${profileUrl(env.base, ACC_A, IDS.ann)}?password=query-pass-9&ok=1`, { token: annToken });
      await http('POST', `${env.base}/oauth/token`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from('app:basic-secret-7').toString('base64')}` },
        body: `grant_type=password&username=ann%40acme.test&password=${encodeURIComponent(PASSWORD_ANN)}`,
      });
      await http('GET', `${env.base}/healthz`, { headers: { 'Set-Cookie': 'x=setcookie-secret-3', 'X-Api-Key': 'apikey-secret-4', 'X-Custom': 'Password=custom-secret-5' } });
      const text = (await ctl(env, 'GET', '/journal')).text();
      for (const s of [annToken, PASSWORD_ANN, 'cookie-secret-value-1', 'query-pass-9', 'basic-secret-7',
        Buffer.from('app:basic-secret-7').toString('base64'), 'setcookie-secret-3', 'apikey-secret-4', 'custom-secret-5', SECRET, 'ik-zzz']) {
        assert.ok(!text.includes(s), `journal holds ${s.slice(0, 20)}`);
      }
      const j = JSON.parse(text);
      assert.equal(j.entries.length, 5);
      const [health, oauth, q, leg, bearer] = j.entries;     // newest first
      assert.equal(bearer.headers.Authorization, '[redacted]');
      assert.equal(bearer.headers.Cookie, '[redacted]');
      assert.equal(bearer.caller, IDS.ann);
      assert.equal(bearer.status, 200);
      assert.match(bearer.trace, /^[0-9a-f-]{36}$/);
      assert.equal(leg.headers['X-DocuSign-Authentication'], '[redacted]');
      assert.equal(q.query, 'password=[redacted]&ok=1');
      assert.equal(oauth.method, 'POST');
      assert.equal(oauth.headers.Authorization, '[redacted]');
      assert.equal(health.headers['Set-Cookie'], '[redacted]');
      assert.equal(health.headers['X-Custom'], '[redacted]');
      assert.equal(health.path, '/healthz');
    });

    it('keeps requests whose path, query or headers are not UTF-8 (as ?)', async () => {
      await ctl(env, 'DELETE', '/journal');
      await rawHttp('GET', `${env.base}/healthz/%FF%FEabc?x=%C3`, { headers: { 'X-Raw': Buffer.from([0xc3, 0x28]).toString('latin1') } });
      const j = (await ctl(env, 'GET', '/journal')).json();
      assert.equal(j.entries.length, 1);
      assert.equal(j.entries[0].path, '/healthz/??abc');
      assert.equal(j.entries[0].query, 'x=?');
    });

    it('filters by path, status and caller; since; clear', async () => {
      await ctl(env, 'DELETE', '/journal');
      const bob = mintToken(env.db.url, IDS.bob);
      await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken });
      await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: bob });          // 403
      await http('GET', `${env.base}/healthz`);
      const all = (await ctl(env, 'GET', '/journal')).json();
      assert.equal(all.entries.length, 3);
      assert.deepEqual((await ctl(env, 'GET', '/journal?status=403')).json().entries.map((e) => e.caller), [IDS.bob]);
      assert.deepEqual((await ctl(env, 'GET', `/journal?caller=${IDS.ann}`)).json().entries.map((e) => e.status), [200]);
      assert.deepEqual((await ctl(env, 'GET', '/journal?path=healthz')).json().entries.map((e) => e.path), ['/healthz']);
      assert.equal((await ctl(env, 'GET', `/journal?since=${all.last - 1}`)).json().entries.length, 1);
      assert.equal((await ctl(env, 'GET', '/journal?limit=2')).json().entries.length, 2);
      assertError(await ctl(env, 'GET', '/journal?status=abc'), 400, 'INVALID_REQUEST_PARAMETER');
      assertError(await ctl(env, 'GET', '/journal?limit=0'), 400, 'INVALID_REQUEST_PARAMETER');
      assert.equal((await ctl(env, 'DELETE', '/journal')).status, 204);
      assert.deepEqual((await ctl(env, 'GET', '/journal')).json().entries, []);
    });

    it('stays bounded under a flood: N entries, each field cut, memory flat', async () => {
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${env.server.proc.pid}/status`, 'utf8'))[1]);
      const big = 'v'.repeat(6000);
      const flood = async (n) => {
        for (let i = 0; i < n; i += 50) {
          await Promise.all(Array.from({ length: 50 }, (_, k) =>
            http('GET', `${env.base}/healthz/${'p'.repeat(1500)}${i + k}?q=${'x'.repeat(400)}`, { headers: { 'X-Big': big, 'X-Big2': big } })));
        }
      };
      await flood(400);                                  // the ring is full from here on
      const before = rss();
      await flood(2000);
      const grown = rss() - before;
      const j = (await ctl(env, 'GET', '/journal')).json();
      assert.equal(j.capacity, 200);
      assert.equal(j.entries.length, 200);
      for (const e of j.entries) {
        assert.ok(e.path.length <= 511, `path ${e.path.length}`);
        assert.ok(e.query.length <= 511);
        assert.ok((e.headers['X-Big'] || '').length <= 256);
        assert.ok(JSON.stringify(e.headers).length <= 2200);
      }
      // Under AddressSanitizer freed memory waits in its quarantine (up to
      // 256 MiB), so the resident size says nothing there; the release pass
      // checks it.
      if (!/build-san/.test(process.env.PROFILED_BIN || '')) {
        assert.ok(grown < 8 * 1024, `RSS grew ${grown} KiB over 2,000 requests`);
      }
    });
  });

  describe('tenant', () => {
    it('exports the tenant in the import format', async () => {
      const r = await ctl(env, 'GET', '/tenant');
      assert.equal(r.status, 200);
      const t = r.json();
      assert.equal(t.format, 'profiled-import');
      assert.deepEqual(t.users.map((u) => u.userId).sort(), TENANT.users.map((u) => u.userId).sort());
      assert.ok(!r.text().includes(PASSWORD_ANN), 'passwords leave only as hashes');
    });

    it('load replaces atomically; merge keeps the rest; a bad file changes nothing', async () => {
      const one = { ...TENANT, users: TENANT.users.map((u) => ({ ...u, profile: { ...(u.profile || {}), userDetails: { ...(u.profile?.userDetails || {}), firstName: 'Loaded' } } })) };
      const r = await ctl(env, 'POST', '/tenant', { body: JSON.stringify(one) });
      assert.equal(r.status, 200, r.text());
      assert.equal(r.json().mode, 'replace');
      const p = (await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken })).json();
      assert.equal(p.userDetails.firstName, 'Loaded');
      const bad = await ctl(env, 'POST', '/tenant', { body: '{"users":[{"userId":"x"}]}' });
      assertError(bad, 400, 'INVALID_REQUEST_BODY');
      assert.match(bad.json().message, /users\[0\]/);
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken })).json().userDetails.firstName, 'Loaded');
      // merge: only one user in the file, the others stay
      const u = one.users.find((x) => x.userId === IDS.bob);
      const m = await ctl(env, 'POST', '/tenant?mode=merge', { body: JSON.stringify({ users: [{ ...u, profile: { userDetails: { firstName: 'Merged' } } }] }) });
      assert.equal(m.status, 200, m.text());
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken })).status, 200);
      assertError(await ctl(env, 'POST', '/tenant?mode=other', { body: '{}' }), 400, 'INVALID_REQUEST_PARAMETER');
      assertError(await ctl(env, 'POST', '/tenant', { body: '' }), 400, 'INVALID_REQUEST_BODY');
    });

    it('reset to empty and to the demo tenant; old tokens and legacy credentials stop working', async () => {
      const legacy = JSON.stringify({ Username: 'ann@acme.test', Password: PASSWORD_ANN, IntegratorKey: 'x' });
      void legacy;
      const r = await ctl(env, 'POST', '/reset');
      assert.equal(r.status, 200, r.text());
      assert.equal(r.json().source, 'empty');
      const after = await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: annToken });
      assert.ok(after.status >= 400, `after reset: ${after.status}`);
      const t = (await ctl(env, 'GET', '/tenant')).json();
      assert.deepEqual([t.users.length, t.accounts.length, t.organizations.length], [0, 0, 0]);
      const d = await ctl(env, 'POST', '/reset?to=demo');
      assert.equal(d.status, 200, d.text());
      assert.ok((await ctl(env, 'GET', '/tenant')).json().users.length > 0);
      assertError(await ctl(env, 'POST', '/reset?to=../../etc/passwd'), 400, 'INVALID_REQUEST_PARAMETER');
      // back to the fixture for what follows
      assert.equal((await ctl(env, 'POST', '/tenant', { body: readFileSync(TENANT_FILE) })).status, 200);
    });

    it('a reset during concurrent API traffic never shows a half-loaded tenant', async () => {
      const variant = (tag) => ({
        ...TENANT,
        users: TENANT.users.map((u) => ({ ...u, profile: { ...(u.profile || {}), userDetails: { ...(u.profile?.userDetails || {}), firstName: `F${tag}`, lastName: `L${tag}` } } })),
      });
      const files = [JSON.stringify(variant('a')), JSON.stringify(variant('b'))];
      const tok = {};
      for (const k of ['ann', 'bob', 'dan']) tok[k] = (await ctl(env, 'POST', '/tokens', { json: { userId: IDS[k] } })).json().access_token;
      let stop = false;
      const seen = { a: 0, b: 0 };
      const problems = [];
      const reader = async (k) => {
        while (!stop) {
          const r = await http('GET', profileUrl(env.base, ACC_A, IDS[k]), { token: tok[k] });
          if (r.status !== 200) { problems.push(`${k}: ${r.status} ${r.text().slice(0, 200)}`); continue; }
          const d = r.json().userDetails;
          const tag = d.firstName.slice(1);
          if (d.lastName !== `L${tag}` || !(tag in seen)) problems.push(`${k}: mixed ${d.firstName}/${d.lastName}`);
          else seen[tag]++;
        }
      };
      assert.equal((await ctl(env, 'POST', '/tenant', { body: files[0] })).status, 200);
      const readers = ['ann', 'bob', 'dan', 'ann'].map(reader);
      for (let i = 1; i <= 12; i++) {
        const r = await ctl(env, 'POST', '/tenant', { body: files[i % 2] });
        assert.equal(r.status, 200, r.text());
      }
      stop = true;
      await Promise.all(readers);
      assert.deepEqual(problems.slice(0, 5), []);
      assert.ok(seen.a > 0 && seen.b > 0, JSON.stringify(seen));
      assert.equal((await ctl(env, 'POST', '/tenant', { body: readFileSync(TENANT_FILE) })).status, 200);
    });
  });

  describe('profiled control (CLI)', () => {
    const run = (args, token = SECRET) => cli(['control', '--url', env.base, ...args], { env: { PROFILED_CONTROL_TOKEN: token } });

    it('faults, journal, token, export, load, reset against the running server', async () => {
      const add = run(['fault-add', '{"path":"/v2.1/*","status":503,"count":1}']);
      assert.equal(add.code, 0, add.stderr);
      const id = JSON.parse(add.stdout).id;
      assert.equal(JSON.parse(run(['faults']).stdout).rules[0].id, id);
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann, '/v2.1'), { token: annToken })).status, 503);
      const jr = run(['journal', '--status', '503', '--limit', '1']);
      assert.equal(JSON.parse(jr.stdout).entries[0].status, 503);
      const tok = run(['token', '--user', IDS.dan, '--ttl', '120']);
      assert.equal(tok.code, 0, tok.stderr);
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.dan), { token: tok.stdout.trim() })).status, 200);
      const out = path.join(tempDir(), 'export.json');
      assert.equal(run(['export', '--output', out]).code, 0);
      assert.equal(JSON.parse(readFileSync(out, 'utf8')).users.length, TENANT.users.length);
      assert.notEqual(run(['export', '--output', out]).code, 0, 'never overwrites');
      const file = path.join(tempDir(), 'one.json');
      writeFileSync(file, readFileSync(TENANT_FILE));
      assert.equal(run(['load', file]).code, 0);
      assert.equal(run(['fault-rm', String(id)]).code, 1, 'already used up');
      assert.equal(run(['faults-clear']).code, 0);
      assert.equal(run(['journal-clear']).code, 0);
    });

    it('refuses without the right secret and on bad arguments', () => {
      const wrong = run(['faults'], 'wrong-wrong-wrong-wrong');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /401/);
      assert.equal(cli(['control', '--url', env.base, 'faults'], { env: { PROFILED_CONTROL_TOKEN: '' } }).code, 2);
      assert.equal(run(['fault-rm', '1; rm -rf /']).code, 2);
      assert.equal(cli(['control', '--url', 'ftp://x', 'faults'], { env: { PROFILED_CONTROL_TOKEN: SECRET } }).code, 2);
      assert.match(cli(['control', '--help']).stdout, /fault-add JSON/);
    });
  });
});
