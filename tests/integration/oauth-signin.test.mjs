// oauth-signin.test.mjs - the sign-in and consent pages of /oauth/auth:
// client and redirect-URI validation before anything else, page security
// headers, cookies, HTML escaping, CSRF, wrong passwords, lockout per
// account and per address, and what sign-ins write into the profile.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  IDS, ACC_A, http, profileUrl, mintToken,
} from './lib/server.mjs';
import {
  setupOAuth, teardownOAuth, https, authUrl, setCookies, csrfOf, hiddenFields, form, codeFlow,
  settledSecurityLog, APP, OTHER,
} from './fixtures/oauth/helpers.mjs';

const CB = 'http://127.0.0.1:9/callback';

async function signinPage(env, params = {}) {
  const r = await https('GET', authUrl(env, { client_id: APP, redirect_uri: CB, scope: 'signature', state: 's', ...params }), { ca: env.ca });
  return { r, pre: setCookies(r).pd_oauth_pre, fields: hiddenFields(r.text) };
}

function login(env, { pre, fields, email, password, cookie }) {
  return https('POST', `${env.https}/oauth/login`, {
    ca: env.ca,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(cookie !== undefined ? { Cookie: cookie } : pre ? { Cookie: `pd_oauth_pre=${pre}` } : {}),
    },
    body: form({ ...fields, email, password }),
  });
}

describe('OAuth sign-in pages', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB] })));
  after(() => teardownOAuth(env));

  it('an unknown client or an unregistered redirect URI gets an error page, never a redirect', async () => {
    const cases = [
      { client_id: 'no-such-client', redirect_uri: CB },
      { client_id: APP, redirect_uri: 'https://evil.example/cb' },
      { client_id: APP, redirect_uri: 'https://other.example/cb' },   // OTHER's, not APP's
      { client_id: APP, redirect_uri: `${CB}/x` },
      { client_id: APP, redirect_uri: CB.toUpperCase() },
      { client_id: APP },
      { redirect_uri: CB },
      { client_id: OTHER, redirect_uri: CB },
    ];
    for (const c of cases) {
      const r = await https('GET', authUrl(env, { scope: 'signature', state: 'x', ...c }), { ca: env.ca });
      assert.equal(r.status, 400, `${JSON.stringify(c)}: ${r.status}`);
      assert.equal(r.headers.location, undefined, `${JSON.stringify(c)}: no redirect`);
      assert.match(r.headers['content-type'], /^text\/html/);
      assert.match(r.text, /id="error"/);
    }
  });

  it('once the redirect URI is trusted, request errors go back to it', async () => {
    const bad = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'signature user_write' }, 'invalid_scope'],
      [{ scope: 'bad"scope' }, 'invalid_scope'],
      [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
    ];
    for (const [p, err] of bad) {
      const r = await https('GET', authUrl(env, { client_id: APP, redirect_uri: CB, scope: 'signature', state: 'z', ...p }), { ca: env.ca });
      assert.equal(r.status, 302, `${JSON.stringify(p)}: ${r.status} ${r.text.slice(0, 200)}`);
      const u = new URL(r.headers.location);
      assert.equal(`${u.origin}${u.pathname}`, CB);
      assert.equal(u.searchParams.get('error'), err);
      assert.equal(u.searchParams.get('state'), 'z');
    }
  });

  it('a repeated query parameter is refused', async () => {
    const r = await https('GET', `${authUrl(env, { client_id: APP, redirect_uri: CB })}&client_id=${OTHER}`, { ca: env.ca });
    assert.equal(r.status, 400);
    assert.equal(r.headers.location, undefined);
  });

  it('the sign-in page: strict CSP, no framing, cookies Secure HttpOnly SameSite=Lax, escaping', async () => {
    const state = '"><script>alert(1)</script>';
    const { r, pre } = await signinPage(env, { state });
    assert.equal(r.status, 200);
    const csp = r.headers['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(csp, /form-action 'self' http:\/\/127\.0\.0\.1:9(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['cache-control'], 'no-store');
    const cookie = r.headers['set-cookie'].find((c) => c.startsWith('pd_oauth_pre='));
    for (const attr of ['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/oauth']) assert.ok(cookie.includes(attr), `${attr} in ${cookie}`);
    assert.match(pre, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!r.text.includes('<script>'), 'state is escaped');
    assert.ok(r.text.includes('&quot;&gt;&lt;script&gt;'), 'state echoed escaped');
    assert.ok(r.text.includes('Acme &lt;Test&gt; App'), 'integration name escaped');
    assert.ok(!/<script/i.test(r.text), 'no script at all');
    assert.ok(csrfOf(r.text));
  });

  it('a sign-in form posted without its CSRF token or cookie is refused (403, no session)', async () => {
    const { pre, fields } = await signinPage(env);
    const noToken = { ...fields };
    delete noToken.csrf_token;
    const attempts = [
      login(env, { pre, fields: noToken, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' }),
      login(env, { fields, email: 'ann@acme.test', password: 'ann-Secret-Pass-1', cookie: '' }),
      login(env, { pre: 'A'.repeat(43), fields, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' }),
      login(env, { pre, fields: { ...fields, csrf_token: 'B'.repeat(43) }, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' }),
    ];
    for (const p of attempts) {
      const r = await p;
      assert.equal(r.status, 403, r.text.slice(0, 200));
      assert.equal(setCookies(r).pd_oauth_sid, undefined);
    }
    // the same form with its token works
    const ok = await login(env, { pre, fields, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' });
    assert.ok(ok.status === 200 || ok.status === 302, `${ok.status}`);
    assert.ok(setCookies(ok).pd_oauth_sid);
    assert.ok((await settledSecurityLog(env)).some((l) => /^login_failed user=- client=\S+ ip=127\.0\.0\.1 reason=csrf$/.test(l)));
  });

  it('a consent form posted without session or CSRF token is refused', async () => {
    const { pre, fields } = await signinPage(env, { scope: 'signature extended' });
    const r = await login(env, { pre, fields, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' });
    assert.equal(r.status, 200, 'consent page');
    const sid = setCookies(r).pd_oauth_sid;
    const consentFields = hiddenFields(r.text);
    const post = (cookie, f) => https('POST', `${env.https}/oauth/consent`, {
      ca: env.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: form({ ...f, decision: 'allow' }),
    });
    const noCsrf = { ...consentFields };
    delete noCsrf.csrf_token;
    for (const [cookie, f] of [[`pd_oauth_sid=${sid}`, noCsrf], ['', consentFields],
      [`pd_oauth_sid=${'C'.repeat(43)}`, consentFields],
      [`pd_oauth_sid=${sid}`, { ...consentFields, csrf_token: fields.csrf_token }]]) {
      const x = await post(cookie, f);
      assert.equal(x.status, 403, `${cookie}: ${x.status}`);
      assert.equal(x.headers.location, undefined);
    }
    const ok = await post(`pd_oauth_sid=${sid}`, consentFields);
    assert.equal(ok.status, 302);
    assert.ok(new URL(ok.headers.location).searchParams.get('code'));
  });

  it('a wrong password or an unknown email: 401 page, no session, logged', async () => {
    const { pre, fields } = await signinPage(env);
    const wrong = await login(env, { pre, fields, email: 'ann@acme.test', password: 'not-anns-password' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /email or password is incorrect/);
    assert.equal(setCookies(wrong).pd_oauth_sid, undefined);
    assert.ok(!wrong.text.includes('not-anns-password'), 'password never echoed');
    const nopw = await login(env, { pre, fields, email: 'dan@acme.test', password: 'dan-has-no-password' });
    assert.equal(nopw.status, 401);
    const unknown = await login(env, { pre, fields, email: 'nobody@acme.test', password: 'whatever-password' });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.text.replace(/value="[^"]*"/g, ''), wrong.text.replace(/value="[^"]*"/g, ''),
      'the same page for unknown accounts');
    const log = (await settledSecurityLog(env));
    assert.ok(log.includes(`login_failed user=${IDS.ann} client=${APP} ip=127.0.0.1 reason=bad_password`), log.join('\n'));
    assert.ok(log.includes(`login_failed user=${IDS.dan} client=${APP} ip=127.0.0.1 reason=no_password`), log.join('\n'));
    assert.ok(log.includes(`login_failed user=- client=${APP} ip=127.0.0.1 reason=unknown_user`), log.join('\n'));
    assert.ok(!env.server.stderr().includes('not-anns-password'));
  });

  it('five failures lock the account; the right password is then refused and loginStatus says so', async () => {
    const { pre, fields } = await signinPage(env);
    for (let i = 0; i < 5; i++) {
      const r = await login(env, { pre, fields, email: 'bob@acme.test', password: `wrong-${i}-password` });
      assert.equal(r.status, 401, `attempt ${i}`);
    }
    const locked = await login(env, { pre, fields, email: 'bob@acme.test', password: 'bob-Secret-Pass-2' });
    assert.equal(locked.status, 429);
    assert.match(locked.text, /locked/);
    assert.equal(setCookies(locked).pd_oauth_sid, undefined);
    assert.ok((await settledSecurityLog(env)).some((l) => l === `account_locked user=${IDS.bob} client=${APP} ip=127.0.0.1 reason=too_many_failures`));
    assert.ok((await settledSecurityLog(env)).some((l) => l === `login_failed user=${IDS.bob} client=${APP} ip=127.0.0.1 reason=locked`));
    const t = mintToken(env.db.url, IDS.bob);
    const p = await http('GET', profileUrl(env.http, ACC_A, IDS.bob), { token: t });
    assert.equal(p.status, 200);
    assert.equal(p.json().userDetails.loginStatus, 'password_locked');
  });

  it('unknown emails lock the same way (no account oracle)', async () => {
    const { pre, fields } = await signinPage(env);
    for (let i = 0; i < 5; i++) {
      assert.equal((await login(env, { pre, fields, email: 'ghost@acme.test', password: 'x-password' })).status, 401);
    }
    assert.equal((await login(env, { pre, fields, email: 'ghost@acme.test', password: 'x-password' })).status, 429);
  });

  it('a successful sign-in moves lastLogin and counts an SSOAuth authentication', async () => {
    const t = mintToken(env.db.url, IDS.dan);
    const before0 = (await http('GET', profileUrl(env.http, ACC_A, IDS.dan), { token: t })).json();
    assert.equal(before0.userDetails.lastLogin, undefined);
    await codeFlow(env, { redirectUri: CB, email: 'DAN@acme.test', password: 'dan-Secret-Pass-4' }).catch(() => null);
    // dan has no password in the fixture: sign-in must fail, nothing moves
    const mid = (await http('GET', profileUrl(env.http, ACC_A, IDS.dan), { token: t })).json();
    assert.equal(mid.userDetails.lastLogin, undefined);
    // ann signs in (email in another case)
    const ta = mintToken(env.db.url, IDS.ann);
    const a0 = (await http('GET', profileUrl(env.http, ACC_A, IDS.ann), { token: ta })).json();
    const n0 = Number(a0.authenticationMethods.find((m) => m.authenticationType === 'SSOAuth').totalCount);
    await codeFlow(env, { redirectUri: CB, email: 'ANN@Acme.Test' });
    const a1 = (await http('GET', profileUrl(env.http, ACC_A, IDS.ann), { token: ta })).json();
    const sso = a1.authenticationMethods.find((m) => m.authenticationType === 'SSOAuth');
    assert.equal(Number(sso.totalCount), n0 + 1);
    assert.equal(sso.lastProvider, 'profiled');
    assert.ok(a1.userDetails.lastLogin);
    assert.equal(a1.userDetails.loginStatus, 'password_active');
    assert.equal(a1.userProfileLastModifiedDate, a0.userProfileLastModifiedDate, 'a sign-in is not a profile change');
  });
});

describe('OAuth sign-in: per-address throttling', () => {
  const env = {};
  before(async () => Object.assign(env, await setupOAuth({ redirectUris: [CB] })));
  after(() => teardownOAuth(env));

  it('twenty failures from one address block it, whatever the accounts', async () => {
    const { pre, fields } = await signinPage(env);
    for (let i = 0; i < 20; i++) {
      const r = await login(env, { pre, fields, email: `user${i}@acme.test`, password: 'wrong-password' });
      assert.equal(r.status, 401, `attempt ${i}`);
    }
    const r = await login(env, { pre, fields, email: 'ann@acme.test', password: 'ann-Secret-Pass-1' });
    assert.equal(r.status, 429);
    assert.match(r.text, /from your address/);
    assert.ok((await settledSecurityLog(env)).includes(`address_blocked user=- client=${APP} ip=127.0.0.1 reason=too_many_failures`));
  });
});
