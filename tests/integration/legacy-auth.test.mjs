// legacy-auth.test.mjs - DocuSign's pre-OAuth X-DocuSign-Authentication
// header on the eSignature REST routes (issue 10): both forms over plain
// HTTP and through the official SDK (addDefaultHeader), the same access
// rules as a token, and refusals - wrong password, unknown integrator key,
// locked account, disabled user, malformed and hostile headers.  The
// password never reaches the log; a password change or a lockout ends a
// remembered check at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  http, profileUrl, imageUrl, assertError, importFile, tempDir, IDS, ACC_A, ACC_A_NUMBER, TENANT,
} from './lib/server.mjs';
import { useLegacyTenant, xmlCreds, jsonCreds, PASSWORDS, IKEY } from './lib/legacy.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');

const H = 'X-DocuSign-Authentication';
const get = (env, uid, value, who = uid) => http('GET', profileUrl(env.base, ACC_A, who), { headers: { [H]: value } });

function securityLines(env) {
  return env.server.stderr().split('\n').filter((l) => l.includes('"component":"security"'))
    .map((l) => JSON.parse(l).msg);
}

function reimportUser(dbUrl, userId, changes) {
  const u = TENANT.users.find((x) => x.userId === userId);
  const { password, ...rest } = u;
  void password;
  const file = path.join(tempDir(), 'user.json');
  writeFileSync(file, JSON.stringify({ users: [{ ...rest, ...changes }] }));
  importFile(dbUrl, file);
}

describe('X-DocuSign-Authentication on eSignature REST', () => {
  const env = useLegacyTenant();

  it('the XML form (no namespace, prefixed, default namespace) and the JSON form read a profile', async () => {
    const forms = [
      xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann }),
      xmlCreds({ user: 'ANN@Acme.test', password: PASSWORDS.ann, prefix: 'ds' }),
      xmlCreds({ user: IDS.ann, password: PASSWORDS.ann, prefix: 'default' }),
      `<?xml version="1.0" encoding="utf-8"?> ${xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann, sobo: 'ann@acme.test' })}`,
      jsonCreds({ user: 'ann@acme.test', password: PASSWORDS.ann }),
      jsonCreds({ user: IDS.ann, password: PASSWORDS.ann }),
    ];
    for (const f of forms) {
      const r = await get(env, IDS.ann, f);
      assert.equal(r.status, 200, `${f}: ${r.status} ${r.text().slice(0, 300)}`);
      assert.equal(r.json().userDetails.userId, IDS.ann);
    }
    // by account number too, and writes work
    const n = await http('GET', profileUrl(env.base, ACC_A_NUMBER, IDS.bob),
      { headers: { [H]: jsonCreds({ user: 'bob@acme.test', password: PASSWORDS.bob }) } });
    assert.equal(n.status, 200);
    const put = await http('PUT', profileUrl(env.base, ACC_A, IDS.bob),
      { headers: { [H]: jsonCreds({ user: 'bob@acme.test', password: PASSWORDS.bob }) }, json: { title: 'Legacy Title' } });
    assert.equal(put.status, 200, put.text());
    const after = await http('GET', profileUrl(env.base, ACC_A, IDS.bob), { token: env.tokens.bob });
    assert.equal(after.json().title, 'Legacy Title');
  });

  it('the same access rules as a token: a plain member cannot read another user, nobody reads another image', async () => {
    const bob = jsonCreds({ user: 'bob@acme.test', password: PASSWORDS.bob });
    assertError(await get(env, IDS.bob, bob, IDS.ann), 403, 'USER_LACKS_PERMISSIONS');
    const ann = jsonCreds({ user: 'ann@acme.test', password: PASSWORDS.ann });
    assert.equal((await get(env, IDS.ann, ann, IDS.bob)).status, 200, 'admin reads a member');
    const img = await http('GET', imageUrl(env.base, ACC_A, IDS.bob), { headers: { [H]: ann } });
    assertError(img, 403, 'USER_LACKS_PERMISSIONS');
    const own = await http('GET', imageUrl(env.base, ACC_A, IDS.ann), { headers: { [H]: ann } });
    assert.equal(own.status, 200);
  });

  it('through the official SDK with addDefaultHeader, both forms', async () => {
    for (const value of [xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann }),
      jsonCreds({ user: 'ann@acme.test', password: PASSWORDS.ann })]) {
      const client = new docusign.ApiClient();
      client.setBasePath(`${env.base}/restapi`);
      client.addDefaultHeader(H, value);
      const api = new docusign.UsersApi(client);
      const p = await api.getProfile(ACC_A, IDS.ann);
      assert.ok(p instanceof docusign.UserProfile);
      assert.equal(p.userDetails.userId, IDS.ann);
      assert.equal(p.companyName, 'Acme Corp');
      await api.updateProfile(ACC_A, IDS.ann, { userProfile: { title: 'Via SDK legacy' } });
      assert.equal((await api.getProfile(ACC_A, IDS.ann)).title, 'Via SDK legacy');
    }
    const bad = new docusign.ApiClient();
    bad.setBasePath(`${env.base}/restapi`);
    bad.addDefaultHeader(H, jsonCreds({ user: 'ann@acme.test', password: 'nope-nope-nope' }));
    await assert.rejects(new docusign.UsersApi(bad).getProfile(ACC_A, IDS.ann), (e) => {
      assert.equal(e.response.status, 401);
      assert.equal((e.response.data || e.response.body).errorCode, 'USER_AUTHENTICATION_FAILED');
      return true;
    });
  });

  it('an unknown integrator key: 401 PARTNER_AUTHENTICATION_FAILED, before any password work', async () => {
    const before = securityLines(env).length;
    for (const f of [xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann, key: 'no-such-key' }),
      jsonCreds({ user: 'ann@acme.test', password: PASSWORDS.ann, key: '7d2a1c30-5b1e-4c6f-9a0d-1e6a7a1effff' })]) {
      assertError(await get(env, IDS.ann, f), 401, 'PARTNER_AUTHENTICATION_FAILED');
    }
    assert.equal(securityLines(env).length, before, 'nothing counted against the account');
  });

  it('a wrong password or an unknown user: 401 USER_AUTHENTICATION_FAILED, logged without the password', async () => {
    const secret = 'Wrong-Pass-Visible-9';
    assertError(await get(env, IDS.ann, jsonCreds({ user: 'cat@acme.test', password: secret })), 401,
      'USER_AUTHENTICATION_FAILED');
    assertError(await get(env, IDS.ann, xmlCreds({ user: 'nobody@acme.test', password: secret })), 401,
      'USER_AUTHENTICATION_FAILED');
    assertError(await get(env, IDS.ann, xmlCreds({ user: 'dan@acme.test', password: secret })), 401,
      'USER_AUTHENTICATION_FAILED');                             // dan has no password
    const log = securityLines(env);
    assert.ok(log.includes(`login_failed user=- client=${IKEY} ip=127.0.0.1 reason=unknown_user`), log.join('\n'));
    assert.ok(log.includes(`login_failed user=${IDS.dan} client=${IKEY} ip=127.0.0.1 reason=no_password`), log.join('\n'));
    assert.ok(!env.server.stderr().includes(secret), 'password never logged');
    assert.ok(!env.server.stderr().includes(PASSWORDS.ann), 'password never logged');
    assert.ok(!env.server.stderr().includes(PASSWORDS.bob), 'password never logged');
  });

  it('malformed and hostile headers are refused without crashing', async () => {
    const bad = [
      '', 'garbage', '{', '{"Username":"ann@acme.test"}', '[1,2]',
      '{"Username":1,"Password":"x","IntegratorKey":"y"}',
      `{"Username":"ann@acme.test","Username":"bob@acme.test","Password":"${PASSWORDS.ann}","IntegratorKey":"${IKEY}"}`,
      '<DocuSignCredentials><Username>ann@acme.test</Username></DocuSignCredentials>',
      '<Other><Username>a</Username><Password>b</Password><IntegratorKey>c</IntegratorKey></Other>',
      `<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><DocuSignCredentials><Username>&x;</Username><Password>p</Password><IntegratorKey>${IKEY}</IntegratorKey></DocuSignCredentials>`,
      `<DocuSignCredentials><Username>&x;</Username><Password>p</Password><IntegratorKey>${IKEY}</IntegratorKey></DocuSignCredentials>`,
      `<DocuSignCredentials><Username><b>ann@acme.test</b></Username><Password>p</Password><IntegratorKey>${IKEY}</IntegratorKey></DocuSignCredentials>`,
      jsonCreds({ user: 'x'.repeat(200), password: 'p', key: IKEY }),
      jsonCreds({ user: 'ann@acme.test', password: 'p'.repeat(300), key: IKEY }),
      `<DocuSignCredentials><Username>ann@acme.test</Username><Password>${PASSWORDS.ann}</Password><IntegratorKey>${IKEY}`,
    ];
    for (const b of bad) {
      const r = await get(env, IDS.ann, b);
      assert.equal(r.status, 401, `${b.slice(0, 80)}: ${r.status}`);
      assert.ok(!r.text().includes('root:'), 'no file content');
    }
    assert.equal((await http('GET', `${env.base}/healthz`)).status, 200);
  });

  it('SendOnBehalfOf naming another user is refused', async () => {
    const r = await get(env, IDS.ann, xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann, sobo: 'bob@acme.test' }), IDS.bob);
    assertError(r, 403, 'USER_LACKS_PERMISSIONS');
  });

  it('a Bearer token wins over the header', async () => {
    const r = await http('GET', profileUrl(env.base, ACC_A, IDS.bob), {
      token: env.tokens.bob, headers: { [H]: jsonCreds({ user: 'ann@acme.test', password: 'wrong-one' }) },
    });
    assert.equal(r.status, 200);
  });

  it('a password change ends a remembered check at once', async () => {
    const ok = jsonCreds({ user: 'bob@acme.test', password: PASSWORDS.bob });
    assert.equal((await get(env, IDS.bob, ok)).status, 200);
    assert.equal((await get(env, IDS.bob, ok)).status, 200);      // remembered
    reimportUser(env.db.url, IDS.bob, { password: 'bob-New-Pass-77' });
    assertError(await get(env, IDS.bob, ok), 401, 'USER_AUTHENTICATION_FAILED');
    assert.equal((await get(env, IDS.bob, jsonCreds({ user: 'bob@acme.test', password: 'bob-New-Pass-77' }))).status, 200);
    reimportUser(env.db.url, IDS.bob, { password: PASSWORDS.bob });
  });

  it('a disabled user is refused, even with a remembered check', async () => {
    const ok = jsonCreds({ user: 'bob@acme.test', password: PASSWORDS.bob });
    assert.equal((await get(env, IDS.bob, ok)).status, 200);
    reimportUser(env.db.url, IDS.bob, { userStatus: 'Disabled' });
    const r = await get(env, IDS.bob, ok);
    assertError(r, 401, 'USER_AUTHENTICATION_FAILED');
    reimportUser(env.db.url, IDS.bob, { userStatus: 'Active' });
    assert.equal((await get(env, IDS.bob, ok)).status, 200);
  });

  it('five failures lock the account: the right password is refused, a remembered check ends too', async () => {
    const ok = xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann });
    assert.equal((await get(env, IDS.ann, ok)).status, 200);        // remembered from here on
    for (let i = 0; i < 5; i++) {
      assertError(await get(env, IDS.ann, xmlCreds({ user: IDS.ann, password: `wrong-${i}` })), 401,
        'USER_AUTHENTICATION_FAILED', `attempt ${i}`);
    }
    const r = await get(env, IDS.ann, ok);
    const j = assertError(r, 401, 'USER_AUTHENTICATION_FAILED');
    assert.match(j.message, /locked/);
    const log = securityLines(env);
    assert.ok(log.includes(`account_locked user=${IDS.ann} client=${IKEY} ip=127.0.0.1 reason=too_many_failures`), log.join('\n'));
    // the sign-in state is shared: loginStatus says locked
    const p = await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann });
    assert.equal(p.json().userDetails.loginStatus, 'password_locked');
  });
});
