// keys.test.mjs - signing-key rotation on a running server: after
// `profiled keys rotate` (picked up on SIGHUP) tokens signed with the old key
// keep working and new tokens are signed with the new key; after
// `profiled keys retire OLD` old tokens are refused and new ones still work.
// The last key cannot be retired.  No fixed caps (#12 item 5): 70 reloads
// in one process keep working, every key not retired keeps verifying however
// many rotations came after it, and a failed reload is loud (an error log
// line, /healthz 503 "degraded") and recovers by itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  useTenant, cli, cliOk, mintToken, http, profileUrl, IDS, ACC_A, b64urlDecode, sleep, waitForLog, dbExec,
} from './lib/server.mjs';

const kidOf = (tok) => JSON.parse(b64urlDecode(tok.split('.')[0]).toString('utf8')).kid;
const keyIds = (dbUrl) => cliOk(['keys', 'list', '--db', dbUrl]).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);

async function until(fn, what) {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('signing keys', () => {
  const env = useTenant();

  it('rotate keeps old tokens valid; retire ends them; the last key stays', async () => {
    const url = profileUrl(env.base, ACC_A, IDS.ann);
    const old = env.tokens.ann;
    const [oldKid] = keyIds(env.db.url);
    assert.equal(kidOf(old), oldKid);

    cliOk(['keys', 'rotate', '--db', env.db.url]);
    const ids = keyIds(env.db.url);
    assert.equal(ids.length, 2);
    assert.equal(ids[1], oldKid, 'the new key is listed first (it signs)');
    const fresh = mintToken(env.db.url, IDS.ann);
    assert.equal(kidOf(fresh), ids[0]);

    env.server.proc.kill('SIGHUP');
    await until(async () => (await http('GET', url, { token: fresh })).status === 200, 'the new key to be loaded');
    assert.equal((await http('GET', url, { token: old })).status, 200, 'old tokens keep working after a rotation');

    cliOk(['keys', 'retire', oldKid, '--db', env.db.url]);
    env.server.proc.kill('SIGHUP');
    await until(async () => (await http('GET', url, { token: old })).status === 401, 'the retired key to be dropped');
    const r = await http('GET', url, { token: old });
    assert.equal(r.json().errorCode, 'AUTHORIZATION_INVALID_TOKEN');
    assert.equal((await http('GET', url, { token: fresh })).status, 200);

    const last = cli(['keys', 'retire', ids[0], '--db', env.db.url]);
    assert.equal(last.code, 2);
    assert.match(last.stderr, /only key/);
    assert.equal(cli(['keys', 'retire', 'no-such-kid', '--db', env.db.url]).code, 1);
  });

  it('70 rotations in one process: each picked up; keys never retired keep verifying; a retired one is refused', async () => {
    const url = profileUrl(env.base, ACC_A, IDS.ann);
    const byKey = [];                                   // one token per key, oldest first
    byKey.push(mintToken(env.db.url, IDS.ann));
    for (let i = 0; i < 70; i++) {
      cliOk(['keys', 'rotate', '--db', env.db.url]);
      const tok = mintToken(env.db.url, IDS.ann);
      byKey.push(tok);
      env.server.proc.kill('SIGHUP');
      await until(async () => (await http('GET', url, { token: tok })).status === 200, `key ${i + 1} to be loaded`);
    }
    // the ring is not capped: the key from 70 rotations ago still verifies
    assert.equal((await http('GET', url, { token: byKey[0] })).status, 200, 'oldest key, never retired');
    assert.equal((await http('GET', url, { token: byKey[30] })).status, 200);
    // and retiring still works after more than 64 reloads
    cliOk(['keys', 'retire', kidOf(byKey[0]), '--db', env.db.url]);
    env.server.proc.kill('SIGHUP');
    await until(async () => (await http('GET', url, { token: byKey[0] })).status === 401, 'the retired key to be dropped');
    assert.equal((await http('GET', url, { token: byKey[70] })).status, 200, 'the newest key signs and verifies');
    assert.equal((await http('GET', url, { token: byKey[1] })).status, 200);
  });

  it('a failed reload is logged at error and /healthz says degraded until a reload succeeds', async () => {
    const health = `${env.base}/healthz`;
    assert.equal((await http('GET', health)).status, 200);
    const tok = mintToken(env.db.url, IDS.ann);          // signed by the key in force now
    assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: tok })).status, 200);
    dbExec(env.db, 'ALTER TABLE signing_keys RENAME TO signing_keys_away');
    try {
      env.server.proc.kill('SIGHUP');
      await until(async () => (await http('GET', health)).status === 503, '/healthz to report the failed reload');
      const h = await http('GET', health);
      assert.equal(h.json().status, 'degraded');
      const line = await waitForLog(env.server, 'cannot reload the signing keys');
      assert.ok(line, 'an error line');
      assert.equal(JSON.parse(line).level, 'error');
      // tokens keep verifying with the keys loaded before
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: tok })).status, 200);
    } finally {
      dbExec(env.db, 'ALTER TABLE signing_keys_away RENAME TO signing_keys');
    }
    env.server.proc.kill('SIGHUP');
    await until(async () => (await http('GET', health)).status === 200, '/healthz to recover after a good reload');
  });
});
