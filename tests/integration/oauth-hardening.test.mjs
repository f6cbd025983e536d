// oauth-hardening.test.mjs - regression tests for the OAuth security review:
//   M1  parallel sign-ins cannot get more password checks than the lock allows
//   M2  a sign-in never undoes a profile edit committed while it ran
//   M4  bogus Basic client authentication cannot stall the API (bounded
//       Argon2id concurrency, 503 beyond it; 429 once an address or an
//       integration has too many failures, before any hashing)
//   L2  values from an unverified assertion cannot forge security log fields
//   L5  OAuth refuses plain HTTP (unless public-url is https: a TLS proxy);
//       with public-url set, only its host is a JWT audience
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import tls from 'node:tls';
import {
  IDS, ACC_A, http, profileUrl, mintToken, sleep,
} from './lib/server.mjs';
import {
  setupOAuth, teardownOAuth, https, authUrl, setCookies, hiddenFields, form, settledSecurityLog,
  tokenRequest, basic, signJwt, claims, APP, OTHER, OTHER_SECRET,
} from './fixtures/oauth/helpers.mjs';

const CB = 'http://127.0.0.1:9/callback';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

async function signinPage(env) {
  const r = await https('GET', authUrl(env, { client_id: APP, redirect_uri: CB, scope: 'signature', state: 's' }), { ca: env.ca });
  assert.equal(r.status, 200, r.text.slice(0, 200));
  return { pre: setCookies(r).pd_oauth_pre, fields: hiddenFields(r.text) };
}

function login(env, { pre, fields }, email, password) {
  return https('POST', `${env.https}/oauth/login`, {
    ca: env.ca,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `pd_oauth_pre=${pre}` },
    body: form({ ...fields, email, password }),
  });
}

/** Opens a TLS connection to the HTTPS listener (resolves once it is up). */
function tlsOpen(env) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: env.port, ca: env.ca, servername: 'localhost' });
    sock.once('secureConnect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/** Sends one login over an open socket; resolves {status, headers, text}. */
function tlsLogin(sock, { pre, fields }, email, password) {
  const body = form({ ...fields, email, password });
  return new Promise((resolve, reject) => {
    const chunks = [];
    sock.on('data', (c) => chunks.push(c));
    sock.once('error', reject);
    sock.once('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (!m) return reject(new Error(`no HTTP answer: ${raw.slice(0, 200)}`));
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      const headers = {};
      for (const l of head.split('\r\n').slice(1)) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).toLowerCase();
        const v = l.slice(i + 1).trim();
        if (k === 'set-cookie') (headers[k] ||= []).push(v);
        else headers[k] = v;
      }
      resolve({ status: Number(m[1]), headers, text: raw.slice(head.length + 4) });
    });
    sock.write(`POST /oauth/login HTTP/1.1\r\nHost: 127.0.0.1:${sock.remotePort}\r\n`
      + 'Content-Type: application/x-www-form-urlencoded\r\n'
      + `Cookie: pd_oauth_pre=${pre}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `Connection: close\r\n\r\n${body}`);
  });
}

/**
 * n logins that really run at the same time: the connections are opened one
 * by one first (so the server's worker threads accept them in turn instead
 * of one thread taking a whole burst), then every request is written at once.
 * Answers 503 (no verification slot) are retried until settled.
 */
async function burst(env, page, jobs) {
  const socks = [];
  for (let i = 0; i < jobs.length; i++) {
    socks.push(await tlsOpen(env));
    await sleep(10);
  }
  const first = await Promise.all(jobs.map(([email, pw], i) => tlsLogin(socks[i], page, email, pw)));
  return Promise.all(first.map((r, i) => (r.status === 503
    ? loginSettled(env, page, jobs[i][0], jobs[i][1]) : r)));
}

/** A login that is retried while the server answers 503 (no slot free). */
async function loginSettled(env, page, email, password) {
  for (let i = 0; i < 200; i++) {
    const r = await login(env, page, email, password);
    if (r.status !== 503) return r;
    assert.equal(r.headers['retry-after'], '1');
    await sleep(20 + Math.floor(Math.random() * 30));
  }
  throw new Error('still 503 after 200 tries');
}

describe('OAuth hardening: sign-in races (M1, M2)', () => {
  const env = {};
  // many workers, so that many requests really run at the same time
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB], extraArgs: ['--threads', '16'] })));
  after(() => teardownOAuth(env));

  it('M1: 19 parallel wrong passwords get at most 5 password checks; the account ends up locked', async () => {
    const page = await signinPage(env);
    const answers = await burst(env, page, Array.from({ length: 19 }, (_, i) => ['bob@acme.test', `wrong-${i}-password`]));
    const counts = {};
    for (const r of answers) counts[r.status] = (counts[r.status] || 0) + 1;
    assert.deepEqual(Object.keys(counts).filter((s) => s !== '401' && s !== '429'), [], JSON.stringify(counts));
    assert.ok((counts[401] || 0) <= 5, `at most 5 password checks, got ${JSON.stringify(counts)}`);
    assert.equal(counts[401], 5, `exactly the 5 allowed attempts were checked: ${JSON.stringify(counts)}`);
    const right = await loginSettled(env, page, 'bob@acme.test', 'bob-Secret-Pass-2');
    assert.equal(right.status, 429, 'the right password after the lock is refused');
    assert.match(right.text, /locked/);
    assert.equal(setCookies(right).pd_oauth_sid, undefined);
    const checks = (await settledSecurityLog(env)).filter((l) => l.startsWith(`login_failed user=${IDS.bob} `) && l.endsWith('reason=bad_password'));
    assert.ok(checks.length <= 5, checks.join('\n'));
    // the address was not blocked by the refused attempts (they were not checked)
    const ann = await loginSettled(env, page, 'ann@acme.test', 'ann-Secret-Pass-1');
    assert.ok(ann.status === 200 || ann.status === 302, `ann: ${ann.status}`);
  });

  it('M2: a profile edit committed while a sign-in is in flight is never lost', async () => {
    const page = await signinPage(env);
    const token = mintToken(env.db.url, IDS.ann);
    const url = profileUrl(env.http, ACC_A, IDS.ann);
    const before0 = (await http('GET', url, { token })).json();
    const n0 = Number(before0.authenticationMethods.find((m) => m.authenticationType === 'SSOAuth').totalCount);
    const rounds = [0, 5, 10, 20, 30, 45, 60, 80];
    let logins = 0;
    for (const [i, delay] of rounds.entries()) {
      const title = `Edit${i}x`;
      const signin = loginSettled(env, page, 'ann@acme.test', 'ann-Secret-Pass-1');
      await sleep(delay);
      const put = await http('PUT', url, {
        token, headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title }),
      });
      assert.equal(put.status, 200, `PUT round ${i}: ${put.status} ${put.text().slice(0, 300)}`);
      const s = await signin;
      assert.ok(s.status === 200 || s.status === 302, `sign-in round ${i}: ${s.status}`);
      logins++;
      const after0 = (await http('GET', url, { token })).json();
      assert.equal(after0.title, title, `round ${i} (PUT ${delay} ms after the sign-in): the edit was lost`);
    }
    const end = (await http('GET', url, { token })).json();
    const sso = end.authenticationMethods.find((m) => m.authenticationType === 'SSOAuth');
    assert.equal(Number(sso.totalCount), n0 + logins, 'every sign-in counted');
  });

  it('M1: the right password racing a burst never succeeds once the lock is reached', async () => {
    const page = await signinPage(env);
    // 8 wrong ones and the right one at the same time: the right one succeeds
    // only if it was among the first 5 attempts; after the burst, whatever
    // happened, at most 5 checks failed
    const logStart = (await settledSecurityLog(env)).length;
    const all = await burst(env, page, [...Array.from({ length: 8 }, (_, i) => ['ann@acme.test', `bad-${i}-pass`]),
      ['ann@acme.test', 'ann-Secret-Pass-1']]);
    const n401 = all.filter((r) => r.status === 401).length;
    const r = all[all.length - 1];
    if (r.status === 200 || r.status === 302) {
      // it was checked within the allowance (fewer than 5 password checks
      // failed before it, in the server's own order; attempts refused as
      // locked are logged with reason=locked and not checked), and a success resets the
      // account counter, so wrong ones after it may be checked again
      assert.ok(setCookies(r).pd_oauth_sid);
      const events = (await settledSecurityLog(env)).slice(logStart)
        .filter((l) => l.includes(`user=${IDS.ann} `)
          && ((l.startsWith('login_failed') && l.endsWith('reason=bad_password')) || l.startsWith('login_ok')));
      const okAt = events.findIndex((l) => l.startsWith('login_ok'));
      assert.ok(okAt >= 0 && okAt < 5, `login_ok after ${okAt} failures:\n${events.join('\n')}`);
    } else {
      assert.equal(r.status, 429, `right password: ${r.status}`);
      assert.ok(n401 <= 5, `${n401} failed checks`);
    }
  });
});

describe('OAuth hardening: client authentication (M4)', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB] })));
  after(() => teardownOAuth(env));

  it('200 concurrent bogus Basic requests: the API keeps answering; 503 beyond the Argon2id slots', async () => {
    // over HTTPS: the same listener (and worker threads) as the burst
    const token = mintToken(env.db.url, IDS.ann);
    const url = profileUrl(env.https, ACC_A, IDS.ann);
    const get = (u, headers = {}) => https('GET', u, { ca: env.ca, headers });
    assert.equal((await get(url, { Authorization: `Bearer ${token}` })).status, 200);     // warm the cache
    const burst = Array.from({ length: 200 }, () => tokenRequest(env,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      { Authorization: basic(randomUUID(), 'not-the-secret-0123456789') }).catch((e) => ({ status: 0, error: e })));
    await sleep(50);
    const timed = async (p) => {
      const t0 = Date.now();
      const r = await Promise.race([p, sleep(5000).then(() => null)]);
      return { r, ms: Date.now() - t0 };
    };
    const [health, prof] = await Promise.all([timed(get(`${env.https}/healthz`)),
      timed(get(url, { Authorization: `Bearer ${token}` }))]);
    assert.ok(health.r, `healthz did not answer within 5 s during the burst`);
    assert.equal(health.r.status, 200);
    assert.ok(prof.r, `cached GET profile did not answer within 5 s during the burst`);
    assert.equal(prof.r.status, 200);
    const answers = await Promise.all(burst);
    const counts = {};
    for (const r of answers) counts[r.status] = (counts[r.status] || 0) + 1;
    assert.deepEqual(Object.keys(counts).filter((s) => !['401', '429', '503'].includes(s)), [], JSON.stringify(counts));
    assert.ok((counts[503] || 0) > 0, `some requests found no free slot: ${JSON.stringify(counts)}`);
    const busy = answers.find((r) => r.status === 503);
    assert.equal(busy.json().error, 'temporarily_unavailable');
    assert.equal(busy.headers['retry-after'], '1');
    assert.equal(busy.headers['cache-control'], 'no-store');
  });

  it('failed client authentications per address: 429 invalid_client before any hashing', async () => {
    let r;
    for (let i = 0; i < 40; i++) {
      r = await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: 'x' },
        { Authorization: basic(randomUUID(), 'not-the-secret-0123456789') });
      if (r.status === 429) break;
      assert.ok(r.status === 401 || r.status === 503, `${r.status} ${r.text}`);
    }
    assert.equal(r.status, 429);
    assert.equal(r.json().error, 'invalid_client');
    assert.ok(Number(r.headers['retry-after']) > 0);
    assert.ok((await settledSecurityLog(env)).includes('address_blocked user=- client=- ip=127.0.0.1 reason=too_many_client_failures'),
      (await settledSecurityLog(env)).join('\n'));
    // even the right secret is refused from this address now (no hashing at all)
    const ok = await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: 'x' }, { Authorization: basic(OTHER, OTHER_SECRET) });
    assert.equal(ok.status, 429);
  });
});

describe('OAuth hardening: per-integration client failures (M4)', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB] })));
  after(() => teardownOAuth(env));

  it('twenty bad secrets for one integration block it (429), logged once', async () => {
    for (let i = 0; i < 20; i++) {
      let r;
      do {
        r = await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: 'x' }, { Authorization: basic(OTHER, `wrong-secret-${i}-0123456789`) });
      } while (r.status === 503);
      assert.equal(r.status, 401, `attempt ${i}: ${r.status} ${r.text}`);
    }
    const r = await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: 'x' }, { Authorization: basic(OTHER, OTHER_SECRET) });
    assert.equal(r.status, 429);
    assert.equal(r.json().error, 'invalid_client');
    assert.ok((await settledSecurityLog(env)).includes(`client_blocked user=- client=${OTHER} ip=127.0.0.1 reason=too_many_client_failures`),
      (await settledSecurityLog(env)).join('\n'));
  });
});

describe('OAuth hardening: HTTPS only, log fields (L5, L2)', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB] })));
  after(() => teardownOAuth(env));

  it('L5: /oauth/* over plain HTTP is refused with 400 invalid_request', async () => {
    const t = mintToken(env.db.url, IDS.ann);
    const cases = [
      ['POST', '/oauth/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, form({ grant_type: 'refresh_token', refresh_token: 'x' })],
      ['GET', `/oauth/auth?${new URLSearchParams({ response_type: 'code', client_id: APP, redirect_uri: CB })}`, {}, undefined],
      ['POST', '/oauth/login', { 'Content-Type': 'application/x-www-form-urlencoded' }, form({ client_id: APP, redirect_uri: CB, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' })],
      ['POST', '/oauth/consent', { 'Content-Type': 'application/x-www-form-urlencoded' }, form({ client_id: APP, redirect_uri: CB, decision: 'allow' })],
      ['GET', '/oauth/userinfo', { Authorization: `Bearer ${t}` }, undefined],
    ];
    for (const [method, p, headers, body] of cases) {
      const r = await http(method, `${env.http}${p}`, { headers, body });
      assert.equal(r.status, 400, `${method} ${p}: ${r.status} ${r.text().slice(0, 200)}`);
      assert.deepEqual(r.json(), { error: 'invalid_request', error_description: 'OAuth requires HTTPS' }, `${method} ${p}`);
      assert.equal(r.headers.get('cache-control'), 'no-store');
    }
    // the same over HTTPS works
    const ok = await https('GET', `${env.https}/oauth/userinfo`, { ca: env.ca, headers: { Authorization: `Bearer ${t}` } });
    assert.equal(ok.status, 200);
  });

  it('L2: sub and iss of an unverified assertion cannot forge log fields', async () => {
    const evil = 'evil ip=10.9.9.9 reason=ok';
    const a = signJwt(claims(env.host, { iss: evil, sub: 'x reason=fine user=admin' }), { key: env.keys.app.privateKey });
    const r = await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a });
    assert.equal(r.status, 400);
    const lines = (await settledSecurityLog(env)).filter((l) => l.startsWith('token_denied'));
    assert.ok(lines.length > 0);
    for (const l of lines) {
      assert.match(l, /^token_denied user=\S+ client=\S+ ip=\S+ reason=\S+$/, l);
      assert.ok(!l.includes('ip=10.9.9.9'), l);
    }
    assert.ok(lines.some((l) => l.includes('client=evil_ip_10.9.9.9_reason_ok ip=127.0.0.1')), lines.join('\n'));
  });
});

describe('OAuth hardening: behind a TLS proxy (public-url https)', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth({
    redirectUris: [CB], extraArgs: ['--public-url', 'https://auth.example.test'],
  })));
  after(() => teardownOAuth(env));

  it('L5: plain HTTP is accepted (TLS ends at the proxy); only the public host is a JWT audience', async () => {
    const plain = await http('POST', `${env.http}/oauth/token`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form({ grant_type: 'nope' }),
    });
    assert.equal(plain.status, 400);
    assert.equal(plain.json().error, 'unsupported_grant_type');
    const grant = (aud) => tokenRequest(env, {
      grant_type: JWT_GRANT, assertion: signJwt(claims(aud, { sub: IDS.ann }), { key: env.keys.app.privateKey }),
    });
    const local = await grant(env.host);
    assert.equal(local.status, 400, local.text);
    assert.equal(local.json().error, 'invalid_grant');
    const pub = await grant('auth.example.test');
    assert.equal(pub.status, 200, pub.text);
    assert.ok(pub.json().access_token);
  });
});
