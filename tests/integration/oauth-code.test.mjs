// oauth-code.test.mjs - the authorization-code flow over HTTPS: run for
// real in Debian's Chromium driven by playwright-core (sign in, consent,
// redirect to a local capture server, generateAccessToken with the official
// SDK, call the API), then the attacks on codes and refresh tokens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import {
  IDS, ACC_A, tempDir, http, profileUrl,
} from './lib/server.mjs';
import {
  setupOAuth, teardownOAuth, runSdk, tokenRequest, assertOAuthError, basic, codeFlow, pkcePair,
  spkiHash, APP, APP_SECRET, OTHER, OTHER_SECRET, PUBLIC_APP,
} from './fixtures/oauth/helpers.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');
const CHROMIUM = '/usr/bin/chromium';

/** A tiny HTTP server on 127.0.0.1 that records the redirects it receives. */
async function captureServer() {
  const hits = [];
  const srv = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== '/callback') {              // favicon and the like
      res.writeHead(404);
      res.end();
      return;
    }
    hits.push(u);
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!DOCTYPE html><title>captured</title><p id="done">${u.searchParams.has('code') ? 'code' : 'error'}</p>`);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  return { hits, url: `http://127.0.0.1:${port}/callback`, close: () => new Promise((r) => srv.close(r)) };
}

const exchange = (env, code, { id = APP, secret = APP_SECRET, extra = {} } = {}) =>
  tokenRequest(env, { grant_type: 'authorization_code', code, ...extra }, { Authorization: basic(id, secret) });

// Debian's chromium is a test dependency (scripts/install-deps.sh): a missing
// browser fails the suite unless PROFILED_SKIP_BROWSER=1 says to skip it.
describe('OAuth authorization code in Chromium with the docusign-esign SDK', {
  skip: process.env.PROFILED_SKIP_BROWSER === '1' && 'PROFILED_SKIP_BROWSER=1',
}, () => {
  const env = {};
  let cap;
  let context;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`);
    cap = await captureServer();
    Object.assign(env, await setupOAuth({ redirectUris: [cap.url] }));
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(tempDir(), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        `--ignore-certificate-errors-spki-list=${spkiHash(env.ca)}`],
    });
  });
  after(async () => {
    if (context) await context.close();
    if (cap) await cap.close();
    await teardownOAuth(env);
  });

  it('sign in, consent, redirect with code and state, generateAccessToken, call the API', async () => {
    const client = new docusign.ApiClient();
    client.setBasePath(`${env.https}/restapi`);
    client.setOAuthBasePath(env.host);
    const state = 'state-<&>"x';
    const uri = client.getAuthorizationUri(APP, ['signature', 'extended'], cap.url, 'code', state);
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
    });

    const resp = await page.goto(uri);
    assert.equal(resp.status(), 200);
    const h = resp.headers();
    assert.match(h['content-security-policy'], /default-src 'none'/);
    assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(h['x-frame-options'], 'DENY');
    assert.match(await page.textContent('body'), /Acme <Test> App/);  // escaped in HTML, shown as text
    await page.fill('#email', 'ann@acme.test');
    await page.fill('#password', 'ann-Secret-Pass-1');
    await page.click('#signin');
    await page.waitForSelector('#scopes');
    const scopes = await page.$$eval('#scopes code', (els) => els.map((e) => e.textContent));
    assert.deepEqual(scopes, ['signature', 'extended']);
    assert.equal(await page.textContent('#who'), 'ann@acme.test');
    const cookies = await context.cookies(`${env.https}/oauth/auth`);
    const sid = cookies.find((c) => c.name === 'pd_oauth_sid');
    assert.ok(sid, 'session cookie set');
    assert.equal(sid.secure, true);
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.sameSite, 'Lax');
    await page.click('#allow');
    await page.waitForSelector('#done');
    assert.equal(await page.textContent('#done'), 'code');
    const hit = cap.hits.at(-1);
    assert.equal(hit.pathname, '/callback');
    assert.equal(hit.searchParams.get('state'), state);
    const code = hit.searchParams.get('code');
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(errors, [], 'no CSP violations');
    await page.close();

    const r = runSdk(env, { op: 'code', port: env.port, clientId: APP, secret: APP_SECRET, code });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.oauthToken.tokenType, 'Bearer');
    assert.ok(r.oauthToken.refreshToken, 'refresh token for the code grant');
    assert.equal(r.oauthToken.scope, 'signature extended');
    assert.equal(r.oauthToken.data, undefined);
    assert.equal(r.userInfo.sub, IDS.ann);
    assert.equal(r.profileError, undefined, JSON.stringify(r.profileError));
    assert.equal(r.profile.userDetails.userId, IDS.ann);
    // the sign-in fed the profile
    assert.ok(r.profile.userDetails.lastLogin, 'lastLogin moved');
    const sso = r.profile.authenticationMethods.find((m) => m.authenticationType === 'SSOAuth');
    assert.equal(sso.totalCount, '8', 'the fixture has 7 SSOAuth authentications: one more');
    assert.equal(sso.lastProvider, 'profiled');
    assert.equal(r.profile.userDetails.loginStatus, 'password_active');
  });

  it('with a session and consent the next authorization redirects at once', async () => {
    const page = await context.newPage();
    const n = cap.hits.length;
    const url = `${env.https}/oauth/auth?response_type=code&client_id=${APP}&scope=signature&redirect_uri=${encodeURIComponent(cap.url)}&state=again`;
    await page.goto(url);
    await page.waitForSelector('#done');
    assert.equal(cap.hits.length, n + 1);
    assert.equal(cap.hits.at(-1).searchParams.get('state'), 'again');
    const code = cap.hits.at(-1).searchParams.get('code');
    await page.close();
    const t = await exchange(env, code);
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(Object.keys(t.json()).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
  });
});

describe('OAuth authorization code: attacks are rejected', () => {
  const env = {};
  const CB = 'http://127.0.0.1:9/callback';
  const CB2 = 'http://127.0.0.1:9/second';
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB, CB2] })));
  after(() => teardownOAuth(env));

  it('deny on the consent page sends error=access_denied and the state back', async () => {
    const r = await codeFlow(env, { redirectUri: CB, email: 'bob@acme.test', password: 'bob-Secret-Pass-2',
      decision: 'deny', state: 'd' });
    assert.equal(r.query.get('error'), 'access_denied');
    assert.equal(r.query.get('state'), 'd');
    assert.equal(r.query.get('code'), null);
  });

  it('code replay: refused, and the tokens of that code are revoked', async () => {
    const { query } = await codeFlow(env, { redirectUri: CB });
    const code = query.get('code');
    const first = await exchange(env, code);
    assert.equal(first.status, 200, first.text);
    assertOAuthError(await exchange(env, code), 400, 'invalid_grant', 'replay');
    const rt = first.json().refresh_token;
    assertOAuthError(await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: rt },
      { Authorization: basic(APP, APP_SECRET) }), 400, 'invalid_grant', 'refresh after code replay');
  });

  it('a code presented by another client, or with another redirect URI', async () => {
    const a = (await codeFlow(env, { redirectUri: CB })).query.get('code');
    assertOAuthError(await exchange(env, a, { id: OTHER, secret: OTHER_SECRET }), 400, 'invalid_grant', 'other client');
    assertOAuthError(await exchange(env, a), 400, 'invalid_grant', 'burnt by the attempt');
    const b = (await codeFlow(env, { redirectUri: CB })).query.get('code');
    assertOAuthError(await exchange(env, b, { extra: { redirect_uri: CB2 } }), 400, 'invalid_grant', 'other redirect');
    const c = (await codeFlow(env, { redirectUri: CB2 })).query.get('code');
    assert.equal((await exchange(env, c, { extra: { redirect_uri: CB2 } })).status, 200, 'matching redirect_uri');
  });

  it('client authentication: wrong secret, unknown client, none', async () => {
    const code = (await codeFlow(env, { redirectUri: CB })).query.get('code');
    const wrong = await exchange(env, code, { secret: 'not-the-secret-at-all' });
    assertOAuthError(wrong, 401, 'invalid_client');
    assert.match(wrong.headers['www-authenticate'], /^Basic/);
    assertOAuthError(await exchange(env, code, { id: 'nobody', secret: APP_SECRET }), 401, 'invalid_client');
    assertOAuthError(await tokenRequest(env, { grant_type: 'authorization_code', code }), 401, 'invalid_client');
    assertOAuthError(await tokenRequest(env, { grant_type: 'authorization_code', code, client_id: APP }), 401, 'invalid_client');
    assert.equal((await exchange(env, code)).status, 200, 'the code survived failed client authentication');
  });

  it('PKCE S256: missing or wrong verifier refused, right one accepted', async () => {
    const { verifier, challenge } = pkcePair();
    const extra = { code_challenge: challenge, code_challenge_method: 'S256' };
    const c1 = (await codeFlow(env, { redirectUri: CB, extra })).query.get('code');
    assertOAuthError(await exchange(env, c1), 400, 'invalid_grant', 'no verifier');
    const c2 = (await codeFlow(env, { redirectUri: CB, extra })).query.get('code');
    assertOAuthError(await exchange(env, c2, { extra: { code_verifier: pkcePair().verifier } }), 400, 'invalid_grant', 'wrong verifier');
    const c3 = (await codeFlow(env, { redirectUri: CB, extra })).query.get('code');
    assert.equal((await exchange(env, c3, { extra: { code_verifier: verifier } })).status, 200);
    const plain = await codeFlow(env, { redirectUri: CB, extra: { code_challenge: challenge, code_challenge_method: 'plain' } })
      .catch((e) => e);
    assert.ok(plain instanceof Error || plain.query.get('error') === 'invalid_request');
  });

  it('a public client (no secret) must use PKCE and sends client_id', async () => {
    const pub = 'http://127.0.0.1:9/public';
    const { verifier, challenge } = pkcePair();
    const { query } = await codeFlow(env, { clientId: PUBLIC_APP, redirectUri: pub,
      extra: { code_challenge: challenge, code_challenge_method: 'S256' } });
    const r = await tokenRequest(env, { grant_type: 'authorization_code', code: query.get('code'),
      client_id: PUBLIC_APP, code_verifier: verifier });
    assert.equal(r.status, 200, r.text);
    const noPkce = await codeFlow(env, { clientId: PUBLIC_APP, redirectUri: pub }).catch((e) => e);
    assert.ok(noPkce instanceof Error || noPkce.query.get('error') === 'invalid_request');
  });

  it('refresh tokens rotate; replaying an old one revokes the whole family', async () => {
    const code = (await codeFlow(env, { redirectUri: CB })).query.get('code');
    const t0 = (await exchange(env, code)).json();
    const refresh = (rt) => tokenRequest(env, { grant_type: 'refresh_token', refresh_token: rt },
      { Authorization: basic(APP, APP_SECRET) });
    const r1 = await refresh(t0.refresh_token);
    assert.equal(r1.status, 200, r1.text);
    const t1 = r1.json();
    assert.notEqual(t1.refresh_token, t0.refresh_token, 'rotated');
    assert.deepEqual(Object.keys(t1).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    const prof = await http('GET', profileUrl(env.http, ACC_A, IDS.ann), { token: t1.access_token });
    assert.equal(prof.status, 200);
    assertOAuthError(await refresh(t0.refresh_token), 400, 'invalid_grant', 'replay of the old one');
    assertOAuthError(await refresh(t1.refresh_token), 400, 'invalid_grant', 'family revoked');
    assertOAuthError(await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) },
      { Authorization: basic(APP, APP_SECRET) }), 400, 'invalid_grant', 'unknown');
  });

  it('a refresh token of one client is useless to another, and scope cannot widen', async () => {
    const code = (await codeFlow(env, { redirectUri: CB, scope: 'signature' })).query.get('code');
    const t = (await exchange(env, code)).json();
    assertOAuthError(await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'signature impersonation' },
      { Authorization: basic(APP, APP_SECRET) }), 400, 'invalid_scope');
    const code2 = (await codeFlow(env, { redirectUri: CB, scope: 'signature' })).query.get('code');
    const t2 = (await exchange(env, code2)).json();
    assertOAuthError(await tokenRequest(env, { grant_type: 'refresh_token', refresh_token: t2.refresh_token },
      { Authorization: basic(OTHER, OTHER_SECRET) }), 400, 'invalid_grant');
  });
});
