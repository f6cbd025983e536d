// oauth-jwt.test.mjs - the JWT-bearer grant and /oauth/userinfo over HTTPS:
// the official docusign-esign SDK, unmodified (in a child node process with
// NODE_EXTRA_CA_CERTS = the generated certificate), and every attack on the
// assertion the issue lists.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  IDS, ACC_A, ACC_B, b64urlDecode, b64urlEncode, http, assertError, profileUrl, cliOk,
  importFile, tempDir, TENANT,
} from './lib/server.mjs';
import {
  setupOAuth, teardownOAuth, runSdk, signJwt, claims, tokenRequest, assertOAuthError, https,
  securityLog, part, APP, OTHER, rsaPair,
} from './fixtures/oauth/helpers.mjs';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('OAuth JWT grant with the docusign-esign SDK', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth()));
  after(() => teardownOAuth(env));

  it('requestJWTUserToken -> getUserInfo -> getProfile', () => {
    const r = runSdk(env, {
      op: 'jwt-user', port: env.port, clientId: APP, userId: IDS.ann,
      scopes: ['signature', 'impersonation'], privateKey: env.keys.app.privateKey,
    });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(Object.keys(r.token).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(r.token.token_type, 'Bearer');
    assert.equal(r.token.expires_in, 3600);
    assert.equal(r.token.scope, 'signature impersonation');
    // userinfo through the SDK model
    assert.equal(r.userInfoIsModel, true);
    assert.equal(r.userInfo.sub, IDS.ann);
    assert.equal(r.userInfo.email, 'ann@acme.test');
    assert.equal(r.userInfo.name, 'Ann Marie Archer Jr');
    assert.equal(r.userInfo.givenName, 'Ann');
    assert.equal(r.userInfo.familyName, 'Archer');
    assert.equal(r.userInfo.accounts.length, 1);
    assert.equal(r.userInfo.accounts[0].accountId, ACC_A);
    assert.equal(r.userInfo.accounts[0].isDefault, 'true');
    assert.equal(r.userInfo.accounts[0].baseUri, env.https);
    assert.equal(r.userInfo.accounts[0].accountName, 'Acme Sales');
    assert.ok(r.userInfo.accounts[0].organization.organization_id);
    // the profile through the SDK with the token it got
    assert.equal(r.profileError, undefined, JSON.stringify(r.profileError));
    assert.equal(r.profile.userDetails.userId, IDS.ann);
    assert.equal(r.profile.userDetails.userName, 'Ann Marie Archer Jr');
  });

  it('a second registered key works too (key rotation on the client side)', () => {
    const r = runSdk(env, {
      op: 'jwt-user', port: env.port, clientId: APP, userId: IDS.ann,
      scopes: ['signature', 'impersonation'], privateKey: env.keys.app2.privateKey,
    });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.profile.userDetails.userId, IDS.ann);
  });

  it('requestJWTApplicationToken gives a token without sub that eSignature refuses', () => {
    const r = runSdk(env, {
      op: 'jwt-app', port: env.port, clientId: APP, scopes: ['signature'],
      privateKey: env.keys.app.privateKey, userId: IDS.ann, accountId: ACC_A,
    });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(Object.keys(r.token).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    const payload = JSON.parse(b64urlDecode(r.token.access_token.split('.')[1]).toString());
    assert.equal(payload.sub, undefined);
    assert.equal(payload.cid, APP);
    assert.equal(r.profileError.status, 401);
  });

  it('consent_required for a user who has not consented (SDK)', () => {
    const r = runSdk(env, {
      op: 'jwt-user', port: env.port, clientId: APP, userId: IDS.bob,
      scopes: ['signature', 'impersonation'], privateKey: env.keys.app.privateKey,
    });
    assert.equal(r.error.status, 400);
    assert.deepEqual(r.error.data, { error: 'consent_required' });
  });

  it('consent for fewer scopes than asked is consent_required too', async () => {
    const a = signJwt(claims(env.host, { sub: IDS.ann, scope: 'signature impersonation extended' }),
      { key: env.keys.app.privateKey });
    assertOAuthError(await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a }), 400, 'consent_required');
  });

  it('the access token carries user, integration, scopes and expiry', async () => {
    const a = signJwt(claims(env.host, { sub: IDS.ann }), { key: env.keys.app.privateKey });
    const r = await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers.pragma, 'no-cache');
    assert.match(r.headers['content-type'], /^application\/json/);
    const j = r.json();
    assert.equal(j.data, undefined, 'never a data member');
    const p = JSON.parse(b64urlDecode(j.access_token.split('.')[1]).toString());
    assert.equal(p.sub, IDS.ann);
    assert.equal(p.cid, APP);
    assert.equal(p.scope, 'signature impersonation');
    assert.equal(p.exp - p.iat, 3600);
    // usable on the plain-HTTP listener too (any node with the keys validates it)
    const prof = await http('GET', profileUrl(env.http, ACC_A, IDS.ann), { token: j.access_token });
    assert.equal(prof.status, 200);
  });

  it('aud may be localhost:PORT as well as 127.0.0.1:PORT', async () => {
    const a = signJwt(claims(`localhost:${env.port}`, { sub: IDS.ann }), { key: env.keys.app.privateKey });
    assert.equal((await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a })).status, 200);
  });

  it('userinfo lists every account with exactly one default (consent given with the CLI)', async () => {
    const a = signJwt(claims(env.host, { sub: IDS.dan, iss: OTHER }), { key: env.keys.other.privateKey });
    assertOAuthError(await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a }), 400, 'consent_required');
    cliOk(['integration', 'consent', OTHER, '--user', IDS.dan, '--db', env.db.url]);
    const r0 = await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a });
    assert.equal(r0.status, 200, r0.text);
    const t = r0.json().access_token;
    const r = await https('GET', `${env.https}/oauth/userinfo`, { ca: env.ca, headers: { Authorization: `Bearer ${t}` } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    const u = r.json();
    assert.deepEqual(Object.keys(u).sort(), ['accounts', 'created', 'email', 'family_name', 'given_name', 'name', 'sub']);
    assert.equal(u.sub, IDS.dan);
    assert.equal(u.email, 'dan@acme.test');
    assert.deepEqual(u.accounts.map((x) => x.account_id), [ACC_A, ACC_B], 'by account number');
    assert.deepEqual(u.accounts.map((x) => x.is_default), [true, false]);
    for (const acc of u.accounts) {
      assert.equal(acc.base_uri, env.https);
      assert.equal(typeof acc.account_name, 'string');
      assert.match(acc.organization.links[0].href, /^https:\/\/127\.0\.0\.1:\d+\/Management\/v2\/organizations\//);
    }
  });

  it('userinfo refuses the token of a user who was disabled after it was issued', async () => {
    const a = signJwt(claims(env.host, { sub: IDS.ann }), { key: env.keys.app.privateKey });
    const r0 = await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a });
    assert.equal(r0.status, 200, r0.text);
    const t = r0.json().access_token;
    const get = () => https('GET', `${env.https}/oauth/userinfo`, { ca: env.ca, headers: { Authorization: `Bearer ${t}` } });
    assert.equal((await get()).status, 200);
    const ann = TENANT.users.find((u) => u.userId === IDS.ann);
    const { password, ...rest } = ann;
    void password;
    const file = path.join(tempDir(), 'ann-disabled.json');
    writeFileSync(file, JSON.stringify({ users: [{ ...rest, userStatus: 'Disabled' }] }));
    importFile(env.db.url, file);
    const r = await get();
    assert.equal(r.status, 401);
    assert.equal(r.json().error, 'invalid_token');
    writeFileSync(file, JSON.stringify({ users: [{ ...rest, userStatus: 'Active' }] }));
    importFile(env.db.url, file);
    assert.equal((await get()).status, 200);
  });

  it('userinfo refuses a missing, malformed or application token', async () => {
    const none = await https('GET', `${env.https}/oauth/userinfo`, { ca: env.ca });
    assert.equal(none.status, 401);
    const bad = await https('GET', `${env.https}/oauth/userinfo`, { ca: env.ca, headers: { Authorization: 'Bearer x.y.z' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.json().error, 'invalid_token');
    const app = signJwt(claims(env.host, { scope: 'signature' }), { key: env.keys.app.privateKey });
    const t = (await tokenRequest(env, { grant_type: JWT_GRANT, assertion: app })).json().access_token;
    const r = await https('GET', `${env.https}/oauth/userinfo`, { ca: env.ca, headers: { Authorization: `Bearer ${t}` } });
    assert.equal(r.status, 401);
  });
});

describe('OAuth JWT grant: attacks are rejected', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth()));
  after(() => teardownOAuth(env));

  const grant = (assertion) => tokenRequest(env, { grant_type: JWT_GRANT, assertion });
  const good = () => claims(env.host, { sub: IDS.ann });

  it('a valid assertion passes (control)', async () => {
    const r = await grant(signJwt(good(), { key: env.keys.app.privateKey }));
    assert.equal(r.status, 200, r.text);
  });

  it('alg none', async () => {
    assertOAuthError(await grant(signJwt(good(), { alg: 'none' })), 400, 'invalid_grant', 'alg none');
    // "none" with a signature part appended, and odd casings
    const withSig = `${signJwt(good(), { alg: 'none' })}AAAA`;
    assertOAuthError(await grant(withSig), 400, 'invalid_grant', 'alg none + sig');
    const rs = signJwt(good(), { key: env.keys.app.privateKey });
    const [, p, s] = rs.split('.');
    for (const alg of ['None', 'NONE', 'rs256', 'RS256 ', 'RS512', 'PS256', 'ES256']) {
      const forged = `${part({ alg, typ: 'JWT' })}.${p}.${s}`;
      assertOAuthError(await grant(forged), 400, 'invalid_grant', `alg ${alg}`);
    }
  });

  it('HS256 signed with the RSA public key as the HMAC secret', async () => {
    const a = signJwt(good(), { alg: 'HS256', key: env.keys.app.publicKey });
    const j = assertOAuthError(await grant(a), 400, 'invalid_grant', 'HS256 confusion');
    assert.match(j.error_description, /RS256/);
  });

  it('a crit header is refused', async () => {
    const a = signJwt(good(), { key: env.keys.app.privateKey, header: { crit: ['exp'] } });
    assertOAuthError(await grant(a), 400, 'invalid_grant', 'crit');
  });

  it('wrong aud (another host, a scheme, another port)', async () => {
    for (const aud of ['account-d.docusign.com', `https://${env.host}`, '127.0.0.1:1', '']) {
      const a = signJwt(claims(aud, { sub: IDS.ann }), { key: env.keys.app.privateKey });
      assertOAuthError(await grant(a), 400, 'invalid_grant', `aud ${aud}`);
    }
  });

  it('wrong iss (unknown integration, or another integration than the key)', async () => {
    const unknown = signJwt(claims(env.host, { sub: IDS.ann, iss: '00000000-dead-4bee-8000-000000000000' }),
      { key: env.keys.app.privateKey });
    const j = assertOAuthError(await grant(unknown), 400, 'invalid_grant', 'unknown iss');
    assert.equal(j.error_description, 'issuer_not_found');
    const other = signJwt(claims(env.host, { sub: IDS.ann, iss: OTHER }), { key: env.keys.app.privateKey });
    assertOAuthError(await grant(other), 400, 'invalid_grant', 'iss of another integration');
  });

  it('expired, and exp more than an hour after iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt(claims(env.host, { sub: IDS.ann, iat: now - 7200 }), { key: env.keys.app.privateKey });
    assertOAuthError(await grant(expired), 400, 'invalid_grant', 'expired');
    const long = signJwt(claims(env.host, { sub: IDS.ann, ttl: 3601 }), { key: env.keys.app.privateKey });
    assertOAuthError(await grant(long), 400, 'invalid_grant', 'exp too far');
    const future = signJwt(claims(env.host, { sub: IDS.ann, iat: now + 600 }), { key: env.keys.app.privateKey });
    assertOAuthError(await grant(future), 400, 'invalid_grant', 'iat in the future');
    const ok = signJwt(claims(env.host, { sub: IDS.ann, ttl: 3600 }), { key: env.keys.app.privateKey });
    assert.equal((await grant(ok)).status, 200, 'exactly one hour is fine');
  });

  it('a key that is not registered', async () => {
    const a = signJwt(good(), { key: env.keys.stranger.privateKey });
    const j = assertOAuthError(await grant(a), 400, 'invalid_grant', 'unknown key');
    assert.equal(j.error_description, 'no_valid_keys_or_signatures');
  });

  it('a tampered payload (sub swapped, scope widened) or signature', async () => {
    const a = signJwt(good(), { key: env.keys.app.privateKey });
    const [h, , s] = a.split('.');
    const bob = `${h}.${part(claims(env.host, { sub: IDS.bob }))}.${s}`;
    assertOAuthError(await grant(bob), 400, 'invalid_grant', 'sub swapped');
    const sig = Buffer.from(b64urlDecode(s));
    sig[10] ^= 1;
    assertOAuthError(await grant(`${h}.${a.split('.')[1]}.${b64urlEncode(sig)}`), 400, 'invalid_grant', 'sig flipped');
    assertOAuthError(await grant(`${h}.${a.split('.')[1]}`), 400, 'invalid_grant', 'two parts');
  });

  it('malformed assertions, claims of the wrong type, scopes the integration may not ask', async () => {
    for (const bad of ['', 'abc', 'a.b.c', '...', `${part({ alg: 'RS256' })}.${part([1])}.AAAA`]) {
      const r = await grant(bad);
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
    }
    const c = good();
    c.exp = String(c.exp);
    assertOAuthError(await grant(signJwt(c, { key: env.keys.app.privateKey })), 400, 'invalid_grant', 'string exp');
    const wide = signJwt(claims(env.host, { sub: IDS.ann, scope: 'signature impersonation user_write' }),
      { key: env.keys.app.privateKey });
    assertOAuthError(await grant(wide), 400, 'invalid_scope', 'scope not allowed');
    const noImp = signJwt(claims(env.host, { sub: IDS.ann, scope: 'signature' }), { key: env.keys.app.privateKey });
    assertOAuthError(await grant(noImp), 400, 'invalid_scope', 'user token without impersonation');
    const ghost = signJwt(claims(env.host, { sub: '99999999-9999-4999-8999-999999999999' }), { key: env.keys.app.privateKey });
    assertOAuthError(await grant(ghost), 400, 'invalid_grant', 'unknown user');
  });

  it('form strictness: duplicates, bad escapes, wrong content type, unknown grant', async () => {
    const a = signJwt(good(), { key: env.keys.app.privateKey });
    const dup = await https('POST', `${env.https}/oauth/token`, {
      ca: env.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(JWT_GRANT)}&assertion=${a}&assertion=${a}`,
    });
    assertOAuthError(dup, 400, 'invalid_request', 'duplicate');
    const esc = await https('POST', `${env.https}/oauth/token`, {
      ca: env.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(JWT_GRANT)}&assertion=%zz${a}`,
    });
    assertOAuthError(esc, 400, 'invalid_request', 'bad escape');
    const nul = await https('POST', `${env.https}/oauth/token`, {
      ca: env.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(JWT_GRANT)}&assertion=${a}%00`,
    });
    assertOAuthError(nul, 400, 'invalid_request', 'NUL');
    const json = await https('POST', `${env.https}/oauth/token`, {
      ca: env.ca, headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: JWT_GRANT, assertion: a }),
    });
    assertOAuthError(json, 400, 'invalid_request', 'json body');
    assertOAuthError(await tokenRequest(env, { grant_type: 'password', username: 'x', password: 'y' }),
      400, 'unsupported_grant_type');
    assertOAuthError(await tokenRequest(env, { assertion: a }), 400, 'invalid_request', 'no grant_type');
    const big = await https('POST', `${env.https}/oauth/token`, {
      ca: env.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=x&assertion=${'A'.repeat(20000)}`,
    });
    assert.equal(big.status, 413);
  });

  it('a 1024-bit key is refused at import', async () => {
    const { cli } = await import('./lib/server.mjs');
    const weak = rsaPair(1024);
    const { writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const f = path.join(env.dir, 'weak.pem');
    writeFileSync(f, weak.publicKey);
    const r = cli(['integration', 'add-key', APP, f, '--db', env.db.url]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /1024 bits/);
  });

  it('failures are logged in the fixed security format, never with the assertion', () => {
    const lines = securityLog(env);
    assert.ok(lines.some((l) => /^token_denied user=\S+ client=\S+ ip=127\.0\.0\.1 reason=bad_alg$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /reason=bad_signature$/.test(l)));
    assert.ok(lines.some((l) => /reason=issuer_not_found$/.test(l)));
    assert.ok(!env.server.stderr().includes('eyJ'), 'no token text in the logs');
  });

  it('eSignature still needs the signature scope (access token without it: 403)', async () => {
    const { mintToken } = await import('./lib/server.mjs');
    const t = mintToken(env.db.url, IDS.ann, { scope: 'impersonation' });
    const r = await http('GET', profileUrl(env.http, ACC_A, IDS.ann), { token: t });
    assertError(r, 403, 'USER_LACKS_PERMISSIONS');
    const cat = await http('GET', profileUrl(env.http, ACC_B, IDS.cat), { token: t });
    assert.equal(cat.status, 403);
  });
});
