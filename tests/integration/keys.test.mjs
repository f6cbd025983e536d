// keys.test.mjs - signing-key rotation on a running server: after
// `profiled keys rotate` (picked up on SIGHUP) tokens signed with the old key
// keep working and new tokens are signed with the new key; after
// `profiled keys retire OLD` old tokens are refused and new ones still work.
// The last key cannot be retired.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  useTenant, cli, cliOk, mintToken, http, profileUrl, IDS, ACC_A, b64urlDecode, sleep,
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
});
