// audit.test.mjs - the audit log against the real binary: profile and image
// changes (REST and SOAP), sign-ins (legacy credentials through the one
// password check) and denied requests (401, 403, 429) each leave one JSON
// line saying who, what, when, from where and the answer's trace token; the
// file given by --audit-log is 0600 and holds no token or password; without
// it the lines go to standard error with the other logs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  setupTenant, tempDir, http, profileUrl, imageUrl, IDS, ACC_A, TENANT,
} from './lib/server.mjs';
import { importIntegration, jsonCreds, PASSWORDS } from './lib/legacy.mjs';
import { envelope, post, resultOf } from './lib/soap.mjs';
import { textAt } from './lib/xml.mjs';
import { makePng } from './lib/images.mjs';

const AM = 'http://www.docusign.net/API/AccountManagement';
const email = (name) => TENANT.users.find((u) => u.userId === IDS[name]).email;

function lines(text) {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

describe('audit log in its own file', () => {
  let env; let file;
  const audit = () => lines(readFileSync(file, 'utf8'));
  const waitFor = async (pred, n = 1) => {
    for (let i = 0; i < 50; i++) {
      const found = audit().filter(pred);
      if (found.length >= n) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail('audit line not written');
  };
  before(async () => {
    file = path.join(tempDir(), 'audit.log');
    env = await setupTenant({ extraArgs: ['--audit-log', file, '--rate-limit-anonymous-burst', '2'] });
    importIntegration(env.db.url);
  });
  after(async () => env && env.teardown());

  it('a profile change: who, what, where, the trace token', async () => {
    const r = await http('PUT', profileUrl(env.base, ACC_A, IDS.bob), { token: env.tokens.ann, json: { title: 'Audited' } });
    assert.equal(r.status, 200);
    const trace = r.headers.get('x-docusign-tracetoken');
    const [a] = await waitFor((l) => l.trace === trace);
    assert.equal(a.component, 'audit');
    assert.equal(a.event, 'profile.update');
    assert.equal(a.outcome, 'ok');
    assert.equal(a.user, IDS.ann);
    assert.equal(a.account, ACC_A);
    assert.equal(a.target, IDS.bob);
    assert.equal(a.method, 'PUT');
    assert.equal(a.route, '/accounts/{accountId}/users/{userId}/profile');
    assert.equal(a.remote, '127.0.0.1');
    assert.ok(Math.abs(Date.parse(a.ts) - Date.now()) < 60_000, 'when');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('image set and deleted', async () => {
    const put = await http('PUT', imageUrl(env.base, ACC_A, IDS.ann),
      { token: env.tokens.ann, body: makePng(), headers: { 'Content-Type': 'image/png' } });
    assert.equal(put.status, 200, put.text());
    const del = await http('DELETE', imageUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann });
    assert.equal(del.status, 200);
    const [p] = await waitFor((l) => l.trace === put.headers.get('x-docusign-tracetoken'));
    const [d] = await waitFor((l) => l.trace === del.headers.get('x-docusign-tracetoken'));
    assert.deepEqual([p.event, p.target, d.event, d.target], ['image.update', IDS.ann, 'image.delete', IDS.ann]);
  });

  it('a SOAP profile change', async () => {
    const body = `<SetUserProfile xmlns="${AM}"><UserProfile><AccountId>${ACC_A}</AccountId>`
      + `<UserId>${IDS.ann}</UserId><Title>Via SOAP</Title></UserProfile></SetUserProfile>`;
    const r = await post(env.base, 11, 'SetUserProfile', envelope(11, body),
      { headers: { Authorization: `Bearer ${env.tokens.ann}` } });
    assert.equal(textAt(resultOf(r, 11, 'SetUserProfile'), 'Success'), 'true', r.text());
    const [a] = await waitFor((l) => l.trace === r.headers['x-docusign-tracetoken'] || l.trace === r.headers.get?.('x-docusign-tracetoken'));
    assert.equal(a.event, 'profile.update');
    assert.equal(a.target, IDS.ann);
    assert.equal(a.account, ACC_A);
  });

  it('sign-ins with legacy credentials, good and bad, carry the request\'s trace token', async () => {
    const good = await http('GET', profileUrl(env.base, ACC_A, IDS.bob), {
      headers: { 'X-DocuSign-Authentication': jsonCreds({ user: email('bob'), password: PASSWORDS.bob }) } });
    assert.equal(good.status, 200, good.text());
    const [ok] = await waitFor((l) => l.event === 'login_ok' && l.trace === good.headers.get('x-docusign-tracetoken'));
    assert.equal(ok.user, IDS.bob);
    assert.equal(ok.outcome, 'ok');
    const bad = await http('GET', profileUrl(env.base, ACC_A, IDS.bob), {
      headers: { 'X-DocuSign-Authentication': jsonCreds({ user: email('bob'), password: 'wrong-Pa55word!' }) } });
    assert.equal(bad.status, 401);
    const t = bad.headers.get('x-docusign-tracetoken');
    const found = await waitFor((l) => l.trace === t, 2);
    assert.deepEqual(found.map((l) => l.event).sort(), ['login_failed', 'request.denied']);
    assert.ok(found.every((l) => l.outcome === 'denied'));
  });

  it('denied requests: 403, 401, 429 each leave a line with the status', async () => {
    const f = await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.cat });
    assert.equal(f.status, 403);
    const [a] = await waitFor((l) => l.trace === f.headers.get('x-docusign-tracetoken'));
    assert.deepEqual([a.event, a.status, a.user, a.reason],
      ['request.denied', 403, IDS.cat, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT']);
    const statuses = [];
    for (let i = 0; i < 4; i++) {           // the anonymous burst limit is 2 (one was a bad sign-in)
      const r = await http('GET', profileUrl(env.base, ACC_A, IDS.ann));
      statuses.push(r.status);
      const [l] = await waitFor((x) => x.trace === r.headers.get('x-docusign-tracetoken'));
      assert.equal(l.status, r.status);
      assert.equal(l.reason, r.json().errorCode);
    }
    assert.ok(statuses.includes(401) && statuses.at(-1) === 429, statuses.join());
  });

  it('no token or password ever reaches the audit file', () => {
    const text = readFileSync(file, 'utf8');
    for (const t of Object.values(env.tokens)) assert.ok(!text.includes(t.split('.')[2]), 'a token signature');
    for (const p of Object.values(PASSWORDS)) assert.ok(!text.includes(p), 'a password');
    assert.ok(!text.includes('wrong-Pa55word!'));
    assert.ok(!env.server.stderr().includes('"component":"audit"'), 'audit lines went to stderr too');
  });
});

describe('audit log on standard error', () => {
  let env;
  before(async () => { env = await setupTenant(); });
  after(async () => env && env.teardown());

  it('without --audit-log the lines are JSON on stderr', async () => {
    const r = await http('PUT', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann, json: { title: 'x' } });
    assert.equal(r.status, 200);
    await new Promise((res) => setTimeout(res, 100));
    const a = lines(env.server.stderr()).find((l) => l.component === 'audit' && l.event === 'profile.update');
    assert.ok(a, 'an audit line on stderr');
    assert.equal(a.trace, r.headers.get('x-docusign-tracetoken'));
  });
});
