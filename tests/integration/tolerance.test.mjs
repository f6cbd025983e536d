// tolerance.test.mjs - what real clients send and what they get for the
// unexpected: SDK headers, query strings, /healthz, unknown paths, wrong
// methods, and the server's JSON log lines (no secrets in them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  useTenant, http, assertError, profileUrl, imageUrl, PREFIXES, IDS, ACC_A, ACC_A_NUMBER, USERS,
} from './lib/server.mjs';

const SDK_HEADERS = {
  'Content-Type': 'application/json',
  Accept: 'application/json',
  'X-DocuSign-SDK': 'Node',
  'Node-Ver': process.version,
  'User-Agent': 'Swagger-Codegen/10.0.0/node',
};

/** A request with exactly the bytes we choose (no client normalisation). */
function rawRequest(port, text) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    sock.setTimeout(10_000, () => {
      sock.destroy();
      reject(new Error('raw request timed out'));
    });
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => (chunks.length ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(e)));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.end(text);
  });
}

describe('tolerance', () => {
  const env = useTenant();

  it('GET profile with the SDK headers (Content-Type on a GET, X-DocuSign-SDK, Node-Ver)', async () => {
    for (const p of PREFIXES) {
      const r = await http('GET', profileUrl(env.base, ACC_A, IDS.ann, p), { token: env.tokens.ann, headers: SDK_HEADERS });
      assert.equal(r.status, 200, `${p}: ${r.status} ${r.text().slice(0, 200)}`);
      assert.equal(r.json().userDetails.firstName, 'Ann');
    }
  });

  it('a cache-buster query string is ignored', async () => {
    const r = await http('GET', `${profileUrl(env.base, ACC_A, IDS.ann)}?_=${Date.now()}`, { token: env.tokens.ann });
    assert.equal(r.status, 200);
  });

  it('DELETE image with the SDK headers and a {} body', async () => {
    const r = await http('DELETE', imageUrl(env.base, ACC_A, IDS.bob), {
      token: env.tokens.bob, headers: SDK_HEADERS, body: '{}',
    });
    assert.equal(r.status, 200, r.text());
  });

  it('GET with a {} body is tolerated', async () => {
    const req = `GET /restapi/v2.1/accounts/${ACC_A}/users/${IDS.ann}/profile HTTP/1.1\r\nHost: 127.0.0.1\r\n`
      + `Authorization: Bearer ${env.tokens.ann}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n`
      + 'Connection: close\r\n\r\n{}';
    const res = await rawRequest(env.server.port, req);
    assert.match(res, /^HTTP\/1\.1 200 /, res.slice(0, 200));
  });

  it('/healthz answers 200 {"status":"ok"} without a token', async () => {
    const r = await http('GET', `${env.base}/healthz`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(r.json().status, 'ok');
  });

  it('unknown paths → 404 RESOURCE_NOT_FOUND (JSON)', async () => {
    for (const p of [
      '/',
      '/nope',
      '/restapi',
      '/restapi/v3/accounts/x/users/y/profile',
      `/restapi/v2.1/accounts/${ACC_A}/users/${IDS.ann}/profilex`,
      `/restapi/v2.1/accounts/${ACC_A}/users/${IDS.ann}/profile/image/extra`,
      `/restapi/v2.1/accounts/${ACC_A}/users/${IDS.ann}`,
      `/restapi/v2.1/accounts/${ACC_A}/users`,
      '/restapi/v2.1/accounts//users//profile',
      '/restapi/v2.1/accounts/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const r = await http('GET', `${env.base}${p}`, { token: env.tokens.ann });
      assertError(r, 404, 'RESOURCE_NOT_FOUND', p);
    }
  });

  it('unknown paths answer 404 even without a token', async () => {
    assertError(await http('GET', `${env.base}/definitely/not/here`), 404, 'RESOURCE_NOT_FOUND');
  });

  it('wrong method on a known path → 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const prof = profileUrl(env.base, ACC_A, IDS.ann);
    const img = imageUrl(env.base, ACC_A, IDS.ann);
    for (const [method, url, allowed] of [
      ['POST', prof, ['GET', 'PUT']],
      ['DELETE', prof, ['GET', 'PUT']],
      ['PATCH', prof, ['GET', 'PUT']],
      ['POST', img, ['GET', 'PUT', 'DELETE']],
      ['PATCH', img, ['GET', 'PUT', 'DELETE']],
      ['POST', `${env.base}/healthz`, ['GET']],
    ]) {
      const r = await http(method, url, { token: env.tokens.ann, headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assertError(r, 405, 'METHOD_NOT_ALLOWED', `${method} ${url}`);
      const allow = (r.headers.get('allow') || '').split(',').map((s) => s.trim().toUpperCase());
      for (const a of allowed) assert.ok(allow.includes(a), `Allow for ${method} ${url} includes ${a}: ${r.headers.get('allow')}`);
    }
  });

  it('account number and GUID in any prefix give the same answer to the SDK headers', async () => {
    const a = await http('GET', profileUrl(env.base, String(ACC_A_NUMBER), IDS.dan, '/v2.1'), { token: env.tokens.dan, headers: SDK_HEADERS });
    const b = await http('GET', profileUrl(env.base, ACC_A, IDS.dan, '/v2.1'), { token: env.tokens.dan, headers: SDK_HEADERS });
    assert.equal(a.status, 200);
    assert.deepEqual(a.json(), b.json());
  });

  it('a malformed request line does not kill the server', async () => {
    const res = await rawRequest(env.server.port, 'BLAH\r\n\r\n');
    assert.ok(res === '' || /^HTTP\/1\.[01] 4\d\d /.test(res), res.slice(0, 100));
    const h = await http('GET', `${env.base}/healthz`);
    assert.equal(h.status, 200);
  });

  it('an over-long URL is refused, and the server keeps serving', async () => {
    const r = await http('GET', `${env.base}/restapi/v2.1/accounts/${'a'.repeat(5000)}/users/${IDS.ann}/profile`, { token: env.tokens.ann });
    assert.ok(r.status === 414 || r.status === 400 || r.status === 404, `status ${r.status}`);
    assert.equal((await http('GET', `${env.base}/healthz`)).status, 200);
  });

  it('log lines are JSON with ts/level/msg; requests carry method, route, status, dur_ms; no secrets', async () => {
    // one more request so there is something recent to see
    await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann });
    await new Promise((r) => setTimeout(r, 200));
    const lines = env.server.stderr().split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length > 0, 'the server logs something');
    const entries = lines.map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        assert.fail(`log line is not JSON: ${l}`);
      }
      return null;
    });
    for (const e of entries) {
      assert.equal(typeof e.ts, 'string');
      assert.equal(typeof e.level, 'string');
      assert.equal(typeof e.msg, 'string');
    }
    const reqs = entries.filter((e) => e.method && e.status !== undefined);
    assert.ok(reqs.length > 5, `request log lines found: ${reqs.length}`);
    for (const e of reqs) {
      assert.equal(typeof e.route, 'string');
      assert.equal(typeof e.dur_ms, 'number');
      assert.equal(typeof e.status, 'number');
    }
    assert.ok(reqs.some((e) => e.status === 200 && e.method === 'GET'), 'a GET 200 was logged');
    const all = env.server.stderr();
    for (const t of Object.values(env.tokens)) {
      assert.ok(!all.includes(t), 'an access token appears in the log');
      assert.ok(!all.includes(t.split('.')[2]), 'a token signature appears in the log');
    }
    for (const u of Object.values(USERS)) if (u.password) assert.ok(!all.includes(u.password));
  });
});
