// control-page.test.mjs - the live page at /_profiled/ in Debian's
// Chromium (playwright-core): behind the operator secret (HTTP Basic), it
// shows the request journal and the fault rules and follows them live;
// what clients sent is shown as text, never run as markup.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import {
  TENANT_FILE, IDS, ACC_A, tempDir, freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl,
} from './lib/server.mjs';

const require = createRequire(import.meta.url);
const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'page-Secret-0123456789-xyz';
const CTL = { 'X-Profiled-Control-Token': SECRET };

const launch = (opts) => require('playwright-core').chromium.launchPersistentContext(tempDir(), {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  ...opts,
});

describe('/_profiled/ page in Chromium', {
  skip: process.env.PROFILED_SKIP_BROWSER === '1' && 'PROFILED_SKIP_BROWSER=1',
}, () => {
  let server;
  let context;
  let token;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`);
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, TENANT_FILE);
    token = mintToken(db.url, IDS.ann);
    server = await startServer({ db: db.url, extraArgs: ['--control-token', SECRET] });
    context = await launch({ httpCredentials: { username: 'operator', password: SECRET } });
  });
  after(async () => {
    if (context) await context.close();
    if (server) {
      const r = await server.stop('SIGTERM');
      assert.equal(r.code, 0);
    }
  });

  it('shows the journal and fault rules, follows them live, renders client data as text', async () => {
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
    await http('GET', profileUrl(server.base, ACC_A, IDS.ann), { token });
    const resp = await page.goto(`${server.base}/_profiled/`);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-security-policy'], /script-src 'self'/);
    await page.waitForSelector('#journal tbody tr');
    const first = await page.locator('#journal tbody tr').first().innerText();
    assert.match(first, new RegExp(`/restapi/v2.1/accounts/${ACC_A}/users/${IDS.ann}/profile`));
    assert.match(first, /\b200\b/);
    assert.match(first, /Authorization: \[redacted\]/);
    assert.ok(!first.includes(token));

    // a fault rule added elsewhere appears; the request it answers is marked
    const add = await http('POST', `${server.base}/_profiled/faults`, {
      headers: CTL, json: { path: '/restapi/*', error: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED', count: 1 },
    });
    assert.equal(add.status, 201);
    await page.waitForSelector('#rules tbody tr');
    assert.match(await page.locator('#rules tbody tr').first().innerText(), /HOURLY_APIINVOCATION_LIMIT_EXCEEDED 429/);
    await http('GET', profileUrl(server.base, ACC_A, IDS.ann), { token });
    await page.waitForSelector('#journal tbody tr.fault');
    assert.match(await page.locator('#journal tbody tr.fault').first().innerText(), /\b429\b/);
    await page.waitForFunction(() => document.querySelectorAll('#rules tbody tr').length === 0);

    // hostile client data: markup in the path, the query and a header stays text
    const evil = '<img src=x onerror=alert(1)>';
    await http('GET', `${server.base}/healthz/${encodeURIComponent(evil)}?q=${encodeURIComponent(evil)}`, { headers: { 'X-Evil': evil } });
    await page.waitForFunction((e) => document.querySelector('#journal tbody').innerText.includes(e), evil);
    assert.equal(await page.locator('#journal img').count(), 0);

    // the filters narrow the table
    await page.fill('#f-status', '429');
    await page.waitForFunction(() => [...document.querySelectorAll('#journal tbody tr')]
      .every((tr) => tr.children[4].textContent === '429'));
    assert.ok(await page.locator('#journal tbody tr').count() >= 1);
    assert.deepEqual(problems, []);
    await page.close();
  });

  // Chromium either shows the 401 or (Playwright answering the Basic
  // challenge with nothing / the wrong password) fails the navigation.
  const refused = async (ctx) => {
    const page = await ctx.newPage();
    let r = null;
    try {
      r = await page.goto(`${server.base}/_profiled/`);
    } catch (e) {
      assert.match(e.message, /ERR_INVALID_AUTH_CREDENTIALS/);
    }
    if (r) {
      assert.equal(r.status(), 401);
      assert.ok(!(await r.text()).includes('Request journal'));
    }
  };

  it('without the secret the browser gets no page; with a wrong one neither', async () => {
    for (const opts of [{}, { httpCredentials: { username: 'operator', password: 'not-the-secret-at-all' } }]) {
      const ctx = await launch(opts);
      try {
        await refused(ctx);
      } finally {
        await ctx.close();
      }
    }
  });
});
