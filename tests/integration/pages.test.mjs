// pages.test.mjs - the browser pages (issue 13, docs/pages.md) over HTTPS
// against the real server: in Debian's Chromium driven by playwright-core
// (sign in, edit, upload a picture, the four display flags on the card,
// share links in a fresh browser context, revocation, sign out, another
// account's user, the same edit without JavaScript, validation errors next
// to the field, axe-core accessibility checks, screenshots), then the
// attacks on the pages with plain HTTPS requests (CSRF, forged and revoked
// links, other users' ids, oversized uploads, HTML injection, plain HTTP).
//
// Screenshots go to a new directory under the system temp dir, kept after
// the run (its path is printed); with
// PROFILED_UPDATE_SCREENSHOTS=1 they are also written to docs/ (the two PNGs
// README shows).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  IDS, ACC_A, ROOT, TENANT, tempDir, http, cliOk, mintToken, profileUrl, imageUrl, startServer, sleep,
} from './lib/server.mjs';
import { makePng, multipart } from './lib/images.mjs';
import { post as soapPost, envelope, getProfileBody } from './lib/soap.mjs';
import {
  setupOAuth, teardownOAuth, spkiHash, https, form, setCookies, csrfOf, settledSecurityLog,
} from './fixtures/oauth/helpers.mjs';

const require = createRequire(import.meta.url);
const CHROMIUM = '/usr/bin/chromium';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORDS = {
  ann: 'ann-Secret-Pass-1', bob: 'bob-Secret-Pass-2', cat: 'cat-Secret-Pass-3', dan: 'dan-Secret-Pass-4',
};
const EMAILS = { ann: 'ann@acme.test', bob: 'bob@acme.test', cat: 'cat@acme.test', dan: 'dan@acme.test' };
const UNKNOWN = '00000000-0000-4000-8000-0000000fffff';

/** Gives cat and dan passwords (the fixture has none for them). */
function addPasswords(env) {
  const t = JSON.parse(JSON.stringify(TENANT));
  for (const u of t.users) {
    const k = u.email.split('@')[0];
    u.password = PASSWORDS[k];
  }
  const file = path.join(tempDir(), 'tenant-passwords.json');
  writeFileSync(file, JSON.stringify(t));
  cliOk(['import', file, '--db', env.db.url]);
}

/** Signs in with plain HTTPS requests: {cookie, csrf, html} of the profile page. */
async function signIn(env, who) {
  const first = await https('GET', `${env.https}/profile`, { ca: env.ca });
  assert.equal(first.status, 200);
  const pre = setCookies(first).pd_pages_pre;
  assert.ok(pre, 'pre-session cookie');
  const res = await https('POST', `${env.https}/profile/signin`, {
    ca: env.ca,
    headers: { Cookie: `pd_pages_pre=${pre}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form({ csrf_token: csrfOf(first.text), email: EMAILS[who], password: PASSWORDS[who] }),
  });
  assert.equal(res.status, 303, res.text);
  const sid = setCookies(res).pd_session;
  assert.ok(sid, 'session cookie');
  const cookie = `pd_session=${sid}`;
  const page = await https('GET', `${env.https}/profile`, { ca: env.ca, headers: { Cookie: cookie } });
  assert.equal(page.status, 200);
  assert.match(page.text, /id="who">/);
  return { cookie, csrf: csrfOf(page.text), html: page.text, sid };
}

const postForm = (env, url, cookie, fields) => https('POST', `${env.https}${url}`, {
  ca: env.ca,
  headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: form(fields),
});

/** Every field of the profile form as the page shows it (hidden and text inputs, checked boxes). */
function formFields(html) {
  const start = html.indexOf('<form method="post" action="/profile" id="profile-form">');
  const body = html.slice(start, html.indexOf('</form>', start));
  const out = {};
  for (const m of body.matchAll(/<input type="(?:hidden|text)"[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"/g)) {
    out[m[1]] = m[2].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }
  for (const m of body.matchAll(/<input type="checkbox" value="true" id="[^"]+" name="([^"]+)"( checked)?>/g)) {
    if (m[2]) out[m[1]] = 'true';
  }
  return out;
}

async function restProfile(env, who) {
  const tok = mintToken(env.db.url, IDS[who]);
  const r = await http('GET', profileUrl(env.http, ACC_A, IDS[who]), { token: tok });
  assert.equal(r.status, 200);
  return r.json();
}

describe('browser pages: ID card and profile page in Chromium', {
  skip: process.env.PROFILED_SKIP_BROWSER === '1' && 'PROFILED_SKIP_BROWSER=1',
}, () => {
  const env = {};
  let browser;
  let ctx;
  let page;
  const cspErrors = [];
  const dialogs = [];
  // kept after the run (not removed with the other temp dirs): the test's artifacts
  const shots = mkdtempSync(path.join(tmpdir(), 'profiled-pages-shots-'));

  const watch = (p) => {
    p.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    p.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  };

  const newContext = (opts = {}) => browser.newContext({ ignoreHTTPSErrors: true, ...opts });

  async function browserSignIn(p, who) {
    await p.goto(`${env.https}/profile`);
    await p.fill('#email', EMAILS[who]);
    await p.fill('#password', PASSWORDS[who]);
    await Promise.all([p.waitForURL(/\/profile$/), p.click('#signin')]);
    assert.equal(await p.textContent('#who'), EMAILS[who]);
  }

  async function axeCheck(p, what) {
    await p.evaluate(AXE);
    const res = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), [],
      `${what}: serious accessibility violations`);
  }

  async function save(p) {
    await Promise.all([p.waitForURL(/done=saved/), p.click('#save')]);
    assert.equal(await p.textContent('#notice'), 'Your changes are saved.');
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`);
    Object.assign(env, await setupOAuth());
    addPasswords(env);
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        `--ignore-certificate-errors-spki-list=${spkiHash(env.ca)}`],
    });
    ctx = await newContext();
    page = await ctx.newPage();
    watch(page);
  });
  after(async () => {
    if (browser) await browser.close();
    await teardownOAuth(env);
    process.stdout.write(`# page screenshots: ${shots}\n`);
  });

  it('sign in through the sign-in page; the page is accessible and its CSP holds', async () => {
    await browserSignIn(page, 'ann');
    const res = await page.request.get(`${env.https}/profile`);
    const csp = res.headers()['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers()['x-frame-options'], 'DENY');
    const cookies = await ctx.cookies();
    const sid = cookies.find((c) => c.name === 'pd_session');
    assert.ok(sid.secure && sid.httpOnly && sid.sameSite === 'Strict', JSON.stringify(sid));
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await axeCheck(page, 'profile page');
  });

  it('edits fields with a live preview; REST sees the change at once', async () => {
    await page.fill('#firstName', 'Annie');
    await page.fill('#title', 'Chief Seller');
    await page.fill('#companyName', 'Acme Worldwide');
    await page.fill('#city', 'Shelbyville');
    // the preview follows before anything is saved (the script)
    assert.equal(await page.textContent('#card [data-f="title"]'), 'Chief Seller');
    await save(page);
    assert.equal(await page.inputValue('#firstName'), 'Annie');
    const p = await restProfile(env, 'ann');
    assert.equal(p.userDetails.firstName, 'Annie');
    assert.equal(p.title, 'Chief Seller');
    assert.equal(p.companyName, 'Acme Worldwide');
    assert.equal(p.address.city, 'Shelbyville');
    // and SOAP (GetUserProfile) at once
    const tok = mintToken(env.db.url, IDS.ann);
    const soap = await soapPost(env.http, 11, 'GetUserProfile', envelope(11, getProfileBody(IDS.ann, ACC_A)),
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(soap.status, 200);
    assert.match(soap.text(), />Acme Worldwide</);
    assert.match(soap.text(), />Shelbyville</);
  });

  it('uploads a picture (previewed first), served to the page and over REST', async () => {
    const png = makePng(64, 64, { seed: 7 });
    await page.setInputFiles('#picture', { name: 'me.png', mimeType: 'image/png', buffer: png });
    assert.equal(await page.isVisible('#picture-preview'), true);
    await Promise.all([page.waitForURL(/done=picture/), page.click('#upload')]);
    assert.equal(await page.isVisible('#current-photo'), true);
    const mine = await page.request.get(`${env.https}/profile/image`);
    assert.equal(mine.status(), 200);
    assert.deepEqual(Buffer.from(await mine.body()), png);
    const tok = mintToken(env.db.url, IDS.ann);
    const rest = await http('GET', imageUrl(env.http, ACC_A, IDS.ann), { token: tok });
    assert.equal(rest.status, 200);
    assert.deepEqual(Buffer.from(rest.body), png);
    // a file that is not an image is refused in the browser, next to the field
    await page.setInputFiles('#picture', { name: 'x.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    assert.equal(await page.textContent('#err-picture'), 'Use a PNG, JPEG or GIF picture.');
  });

  it('each display flag decides exactly what the card shows', async () => {
    const sections = async () => {
      const p = await ctx.newPage();
      const r = await p.goto(`${env.https}/idcard/${IDS.ann}`);
      assert.equal(r.status(), 200);
      const out = {
        org: await p.locator('#card-org').count(),
        personal: await p.locator('#card-personal').count(),
        usage: await p.locator('#card-usage').count(),
        name: await p.textContent('#card-name'),
        photo: await p.locator('img#card-photo').count(),
        html: await p.content(),
      };
      await p.close();
      return out;
    };
    const flags = ['displayOrganizationInfo', 'displayPersonalInfo', 'displayUsageHistory'];
    for (const f of ['displayProfile', ...flags]) await page.check(`#${f}`);
    await save(page);
    let s = await sections();
    assert.deepEqual([s.org, s.personal, s.usage, s.photo], [1, 1, 1, 1]);
    assert.match(s.html, /Chief Seller/);
    assert.match(s.html, /Shelbyville/);
    for (const f of flags) {
      await page.uncheck(`#${f}`);
      // the preview hides the section before saving
      assert.equal(await page.isVisible(`#card [data-flag="${f}"]`), false);
      await save(page);
      s = await sections();
      const want = {
        displayOrganizationInfo: [0, 1, 1], displayPersonalInfo: [1, 0, 1], displayUsageHistory: [1, 1, 0],
      }[f];
      assert.deepEqual([s.org, s.personal, s.usage], want, f);
      if (f === 'displayOrganizationInfo') {
        assert.doesNotMatch(s.html, /Chief Seller|Acme Worldwide/);
      }
      if (f === 'displayPersonalInfo') assert.doesNotMatch(s.html, /Shelbyville|555 0101/);
      if (f === 'displayUsageHistory') assert.doesNotMatch(s.html, /Envelopes sent/);
      assert.match(s.name, /Annie/);
      await page.check(`#${f}`);
      await save(page);
    }
    // the card page itself: accessible, and its screenshot
    const cp = await ctx.newPage();
    watch(cp);
    await cp.goto(`${env.https}/idcard/${IDS.ann}`);
    await axeCheck(cp, 'card page');
    const cardShot = path.join(shots, 'idcard.png');
    await cp.locator('#card').screenshot({ path: cardShot });
    await cp.close();
    const profileShot = path.join(shots, 'profile.png');
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.screenshot({ path: profileShot, fullPage: true });
    for (const f of [cardShot, profileShot]) {
      assert.deepEqual(readFileSync(f).subarray(0, 8), Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    }
    if (process.env.PROFILED_UPDATE_SCREENSHOTS === '1') {
      copyFileSync(cardShot, path.join(ROOT, 'docs/pages-idcard.png'));
      copyFileSync(profileShot, path.join(ROOT, 'docs/pages-profile.png'));
    }
    // displayProfile off: exactly the answer of an unknown user
    await page.uncheck('#displayProfile');
    await save(page);
    const off = await page.request.get(`${env.https}/idcard/${IDS.ann}`);
    const unknown = await page.request.get(`${env.https}/idcard/${UNKNOWN}`);
    assert.equal(off.status(), 404);
    assert.equal(unknown.status(), 404);
    assert.equal(await off.text(), await unknown.text());
    await page.check('#displayProfile');
    await save(page);
  });

  let shareUrl;
  it('a share link opens the card in a fresh browser context until it is revoked', async () => {
    await Promise.all([page.waitForURL(/done=link/), page.click('#create-link')]);
    shareUrl = await page.inputValue('.link-url');
    assert.match(shareUrl, new RegExp(`^${env.https}/idcard/${IDS.ann}\\?share=[0-9a-f]{32}\\.\\d+\\.[A-Za-z0-9_-]{43}$`));
    const fresh = await newContext();
    const fp = await fresh.newPage();
    watch(fp);
    const r = await fp.goto(shareUrl);
    assert.equal(r.status(), 200);
    assert.match(await fp.textContent('#card-name'), /Annie/);
    // the picture comes through the same link
    const loaded = await fp.evaluate(() => {
      const i = document.getElementById('card-photo');
      return i && i.complete && i.naturalWidth;
    });
    assert.equal(loaded, 64);
    // without the link, the same fresh browser sees nothing
    const bare = await fp.goto(`${env.https}/idcard/${IDS.ann}`);
    assert.equal(bare.status(), 404);
    await Promise.all([page.waitForURL(/done=revoked/), page.click('.revoke')]);
    const again = await fp.goto(shareUrl);
    assert.equal(again.status(), 404);
    await fresh.close();
  });

  it('removes the picture (the card falls back to initials; REST sees no image)', async () => {
    await Promise.all([page.waitForURL(/done=nopicture/), page.click('#remove-picture')]);
    assert.equal(await page.isVisible('#no-photo'), true);
    assert.equal(await page.locator('#card img').count(), 0);
    const tok = mintToken(env.db.url, IDS.ann);
    const rest = await http('GET', imageUrl(env.http, ACC_A, IDS.ann), { token: tok });
    assert.equal(rest.status, 404);
  });

  it('a user of another account cannot open the card; a member of a shared account can', async () => {
    for (const [who, status] of [['cat', 404], ['dan', 200], ['bob', 200]]) {
      const c = await newContext();
      const p = await c.newPage();
      await browserSignIn(p, who);
      const r = await p.goto(`${env.https}/idcard/${IDS.ann}`);
      assert.equal(r.status(), status, who);
      await c.close();
    }
  });

  it('the same edit works with JavaScript disabled; errors sit next to the field and nothing is half-saved', async () => {
    const c = await newContext({ javaScriptEnabled: false });
    const p = await c.newPage();
    await browserSignIn(p, 'bob');
    await p.fill('#lastName', 'Builder-NoJS');
    await p.check('#displayPersonalInfo');
    await Promise.all([p.waitForURL(/done=saved/), p.click('#save')]);
    assert.equal(await p.textContent('#notice'), 'Your changes are saved.');
    assert.equal((await restProfile(env, 'bob')).userDetails.lastName, 'Builder-NoJS');
    // a name too long and a new city in the same submit: nothing is saved
    await p.fill('#firstName', 'x'.repeat(51));
    await p.fill('#city', 'Capital City');
    const [resp] = await Promise.all([p.waitForResponse((r) => r.request().method() === 'POST'), p.click('#save')]);
    assert.equal(resp.status(), 400);
    assert.match(await p.textContent('#err-firstName'), /longer than 50 characters/i);
    assert.equal(await p.getAttribute('#firstName', 'aria-invalid'), 'true');
    assert.equal(await p.getAttribute('#firstName', 'aria-describedby'), 'err-firstName');
    assert.equal(await p.locator('.field-error').count(), 1);
    assert.equal(await p.inputValue('#city'), 'Capital City');   // what was typed is kept
    const after = await restProfile(env, 'bob');
    assert.notEqual(after.address.city, 'Capital City');
    assert.notEqual(after.userDetails.firstName, 'x'.repeat(51));
    await c.close();
  });

  it('signs out: the session is gone on the server', async () => {
    const before = (await ctx.cookies()).find((c) => c.name === 'pd_session').value;
    await Promise.all([page.waitForURL(/\/profile$/), page.click('#signout')]);
    assert.equal(await page.isVisible('#signin'), true);
    const replay = await https('GET', `${env.https}/profile/image`, { ca: env.ca, headers: { Cookie: `pd_session=${before}` } });
    assert.equal(replay.status, 403);
    assert.deepEqual(cspErrors, []);
    assert.deepEqual(dialogs, []);
  });
});

describe('browser pages: attacks', () => {
  const env = {};
  before(async () => {
    Object.assign(env, await setupOAuth());
    addPasswords(env);
  });
  after(async () => { await teardownOAuth(env); });

  it('plain HTTP is refused, without a cookie', async () => {
    for (const p of ['/profile', `/idcard/${IDS.ann}`]) {
      const r = await http('GET', `${env.http}${p}`);
      assert.equal(r.status, 400, p);
      assert.equal(r.headers.get('set-cookie'), null);
    }
  });

  it('POSTs without a CSRF token, or with another session\'s, change nothing', async () => {
    const bob = await signIn(env, 'bob');
    const ann = await signIn(env, 'ann');
    const fields = { ...formFields(bob.html), firstName: 'Hijacked' };
    delete fields.csrf_token;
    let r = await postForm(env, '/profile', bob.cookie, fields);
    assert.equal(r.status, 403);
    r = await postForm(env, '/profile', bob.cookie, { ...fields, csrf_token: ann.csrf });
    assert.equal(r.status, 403);
    r = await postForm(env, '/profile/share', bob.cookie, { lifetime: '3600', csrf_token: ann.csrf });
    assert.equal(r.status, 403);
    r = await postForm(env, '/profile/signout', bob.cookie, {});
    assert.equal(r.status, 403);
    assert.notEqual((await restProfile(env, 'bob')).userDetails.firstName, 'Hijacked');
    assert.ok((await settledSecurityLog(env)).some((l) => l.startsWith(`pages_form_refused user=${IDS.bob} `) && l.endsWith('reason=csrf')),
      (await settledSecurityLog(env)).join('\n'));
    // a sign-in form posted without its pre-session cookie
    const first = await https('GET', `${env.https}/profile`, { ca: env.ca });
    r = await https('POST', `${env.https}/profile/signin`, {
      ca: env.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ csrf_token: csrfOf(first.text), email: EMAILS.bob, password: PASSWORDS.bob }),
    });
    assert.equal(r.status, 403);
    assert.equal(setCookies(r).pd_session, undefined);
    // the right form still works (the session was not harmed)
    r = await postForm(env, '/profile', bob.cookie, { ...formFields(bob.html), firstName: 'Robert' });
    assert.equal(r.status, 303);
    assert.equal((await restProfile(env, 'bob')).userDetails.firstName, 'Robert');
  });

  it('forged, altered, other users\' and revoked share links open nothing', async () => {
    const ann = await signIn(env, 'ann');
    let r = await postForm(env, '/profile/share', ann.cookie, { lifetime: '3600', csrf_token: ann.csrf });
    assert.equal(r.status, 303);
    const page = await https('GET', `${env.https}/profile`, { ca: env.ca, headers: { Cookie: ann.cookie } });
    const url = /class="link-url" id="link-([0-9a-f]{32})" value="([^"]+)"/.exec(page.text);
    assert.ok(url, 'link on the page');
    const [, id, link] = url;
    const token = new URL(link).searchParams.get('share');
    const get = (u) => https('GET', u, { ca: env.ca });
    assert.equal((await get(link)).status, 200);
    const unknown = await get(`${env.https}/idcard/${UNKNOWN}`);
    const [lid, exp, mac] = token.split('.');
    const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const forged = [
      `${lid}.${exp}.${flip(mac)}`,                      // altered signature
      `${lid}.${Number(exp) + 3600}.${mac}`,             // longer life, same signature
      `${'0'.repeat(32)}.${exp}.${mac}`,                 // another link id
      `${lid}.${exp}`,                                   // no signature
      'x'.repeat(300),                                   // oversized
    ];
    for (const t of forged) {
      r = await get(`${env.https}/idcard/${IDS.ann}?share=${encodeURIComponent(t)}`);
      assert.equal(r.status, 404, t);
      assert.equal(r.text, unknown.text, 'the same answer as an unknown user');
    }
    // ann's link does not open bob's card, nor bob's picture
    r = await get(`${env.https}/idcard/${IDS.bob}?share=${token}`);
    assert.equal(r.status, 404);
    r = await get(`${env.https}/idcard/${IDS.bob}/image?share=${token}`);
    assert.equal(r.status, 404);
    // bob cannot revoke ann's link
    const bob = await signIn(env, 'bob');
    r = await postForm(env, '/profile/share/revoke', bob.cookie, { id, csrf_token: bob.csrf });
    assert.equal(r.status, 404);
    assert.equal((await get(link)).status, 200);
    // ann revokes it: it stops at once, also for the picture
    r = await postForm(env, '/profile/share/revoke', ann.cookie, { id, csrf_token: ann.csrf });
    assert.equal(r.status, 303);
    assert.equal((await get(link)).status, 404);
    assert.equal((await get(link.replace('?share', '/image?share'))).status, 404);
    // lifetimes outside 1 minute .. 7 days are refused
    for (const lifetime of ['0', '59', '604801', 'abc', '-5']) {
      r = await postForm(env, '/profile/share', ann.cookie, { lifetime, csrf_token: ann.csrf });
      assert.equal(r.status, 400, lifetime);
    }
  });

  it('a revocation holds at once on another node of the same database', async () => {
    const node2 = await startServer({
      db: env.db.url, extraArgs: ['--https-port', '0', '--data-dir', path.dirname(env.cert)],
    });
    try {
      let m = null;
      for (let i = 0; i < 100 && !m; i++) {
        m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(node2.stdout());
        if (!m) await sleep(20);
      }
      assert.ok(m, 'second node listens on HTTPS');
      const ann = await signIn(env, 'ann');
      let r = await postForm(env, '/profile/share', ann.cookie, { lifetime: '600', csrf_token: ann.csrf });
      assert.equal(r.status, 303);
      const page = await https('GET', `${env.https}/profile`, { ca: env.ca, headers: { Cookie: ann.cookie } });
      const [, id, link] = /class="link-url" id="link-([0-9a-f]{32})" value="([^"]+)"/.exec(page.text);
      const onNode2 = link.replace(env.https, m[1]);
      assert.equal((await https('GET', onNode2, { ca: env.ca })).status, 200);
      r = await postForm(env, '/profile/share/revoke', ann.cookie, { id, csrf_token: ann.csrf });
      assert.equal(r.status, 303);
      assert.equal((await https('GET', onNode2, { ca: env.ca })).status, 404);
    } finally {
      const st = await node2.stop('SIGTERM');
      assert.equal(st.code, 0);
    }
  });

  it('other users\' ids: no card, no picture, no edits of anyone else', async () => {
    const get = (u, cookie) => https('GET', u, { ca: env.ca, headers: cookie ? { Cookie: cookie } : {} });
    // nobody signed in: no card for anyone
    for (const id of [IDS.ann, IDS.bob, UNKNOWN, 'not-a-guid', '..%2f..%2fetc']) {
      assert.equal((await get(`${env.https}/idcard/${id}`)).status, 404, id);
    }
    const cat = await signIn(env, 'cat');
    assert.equal((await get(`${env.https}/idcard/${IDS.ann}`, cat.cookie)).status, 404);
    assert.equal((await get(`${env.https}/idcard/${IDS.ann}/image`, cat.cookie)).status, 404);
    assert.equal((await get(`${env.https}/idcard/${IDS.cat}`, cat.cookie)).status, 200);
    // the edit form has no user id: a userId field is ignored, cat edits cat
    const r = await postForm(env, '/profile', cat.cookie,
      { ...formFields(cat.html), userId: IDS.ann, firstName: 'Catherine' });
    assert.equal(r.status, 303);
    const tok = mintToken(env.db.url, IDS.ann);
    const annP = (await http('GET', profileUrl(env.http, ACC_A, IDS.ann), { token: tok })).json();
    assert.notEqual(annP.userDetails.firstName, 'Catherine');
  });

  it('oversized and fake uploads are refused; nothing is stored', async () => {
    const dan = await signIn(env, 'dan');
    const up = (parts) => {
      const mp = multipart(parts);
      return https('POST', `${env.https}/profile/image`, {
        ca: env.ca, headers: { Cookie: dan.cookie, 'Content-Type': mp.contentType }, body: mp.body,
      });
    };
    const csrf = { name: 'csrf_token', data: dan.csrf };
    // just over the image limit, inside the route's body limit: the page says why
    let r = await up([csrf, { name: 'picture', filename: 'big.png', type: 'image/png', data: makePng(64, 64, { padTo: 200 * 1024 }) }]);
    assert.equal(r.status, 413);
    assert.match(r.text, /id="err-picture">The picture must be smaller than 200 KB\./);
    // far over the route's limit: refused before the body is read
    r = await up([csrf, { name: 'picture', filename: 'huge.png', type: 'image/png', data: Buffer.alloc(400 * 1024, 1) }]);
    assert.equal(r.status, 413);
    // bytes that are no image, whatever the name and type say
    r = await up([csrf, { name: 'picture', filename: 'x.png', type: 'image/png', data: Buffer.from('<svg onload=alert(1)>') }]);
    assert.equal(r.status, 400);
    assert.match(r.text, /Use a PNG, JPEG or GIF picture/);
    // no CSRF token
    r = await up([{ name: 'picture', filename: 'ok.png', type: 'image/png', data: makePng(8, 8) }]);
    assert.equal(r.status, 403);
    const mine = await https('GET', `${env.https}/profile/image`, { ca: env.ca, headers: { Cookie: dan.cookie } });
    assert.equal(mine.status, 404, 'dan still has no picture');
  });

  it('HTML in names and fields is escaped on the card and the page', async () => {
    const bob = await signIn(env, 'bob');
    const evil = { firstName: '<img src=x onerror=alert(1)>', companyName: '</dd><script>alert(2)</script>', city: '"><b>x' };
    let r = await postForm(env, '/profile', bob.cookie,
      { ...formFields(bob.html), ...evil, displayOrganizationInfo: 'true', displayPersonalInfo: 'true' });
    assert.equal(r.status, 303);
    const ann = await signIn(env, 'ann');
    r = await https('GET', `${env.https}/idcard/${IDS.bob}`, { ca: env.ca, headers: { Cookie: ann.cookie } });
    assert.equal(r.status, 200);
    for (const t of [r.text, (await https('GET', `${env.https}/profile`, { ca: env.ca, headers: { Cookie: bob.cookie } })).text]) {
      assert.doesNotMatch(t, /<img src=x|<script>alert|"><b>x/);
      assert.match(t, /&lt;img src=x onerror=alert\(1\)&gt;/);
      assert.match(t, /&lt;\/dd&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;/);
    }
  });

  it('malformed forms and unknown notices are answered cleanly', async () => {
    const bob = await signIn(env, 'bob');
    let r = await https('POST', `${env.https}/profile`, {
      ca: env.ca, headers: { Cookie: bob.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `csrf_token=${bob.csrf}&firstName=%zz`,
    });
    assert.equal(r.status, 400);
    r = await https('POST', `${env.https}/profile`, {
      ca: env.ca, headers: { Cookie: bob.cookie, 'Content-Type': 'application/json' }, body: '{}',
    });
    assert.equal(r.status, 400);
    // a form missing fields saves nothing (no half-saved profile)
    r = await postForm(env, '/profile', bob.cookie, { csrf_token: bob.csrf, firstName: 'Only' });
    assert.equal(r.status, 400);
    assert.notEqual((await restProfile(env, 'bob')).userDetails.firstName, 'Only');
    r = await https('GET', `${env.https}/profile?done=<script>`, { ca: env.ca, headers: { Cookie: bob.cookie } });
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /id="notice"/);
    // the assets are served by profiled itself
    r = await https('GET', `${env.https}/pages/pages.js`, { ca: env.ca });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/javascript/);
    r = await https('GET', `${env.https}/pages/pages.css`, { ca: env.ca });
    assert.equal(r.status, 200);
  });
});
