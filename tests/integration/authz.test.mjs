// authz.test.mjs - who may read and write what: every caller/target case for
// profile GET/PUT and image GET/PUT/DELETE, and every kind of bad token.
// After each denied write the target's profile and image are read back by
// their owner and must be unchanged.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  useTenant, NO_BURST_LIMITS, http, rawHttp, assertError, profileUrl, imageUrl, setupTenant, mintToken, importFile, freshDb, cliOk,
  IDS, ACC_A, ACC_A_NUMBER, ACC_B, TENANT_FILE, b64urlDecode, b64urlEncode,
} from './lib/server.mjs';
import { makeGif } from './lib/images.mjs';

const UNKNOWN_ACC = 'eeeeeeee-0000-4000-8000-00000000dead';
const UNKNOWN_USER = '00000000-0000-4000-8000-0000000dead1';

describe('authorization', () => {
  const env = useTenant({ extraArgs: NO_BURST_LIMITS });
  let base;
  let T;
  let otherDbToken;

  before(async () => {
    base = env.base;
    T = env.tokens;
    // a token for ann minted by another database (another signing key)
    const other = freshDb();
    cliOk(['migrate', '--db', other.url]);
    importFile(other.url, TENANT_FILE);
    otherDbToken = mintToken(other.url, IDS.ann);
  });

  /** The owner's view of a user: profile JSON and image bytes (or null). */
  async function snapshot(owner, acc = owner === 'cat' ? ACC_B : ACC_A) {
    const uid = IDS[owner];
    const p = await http('GET', profileUrl(base, acc, uid), { token: T[owner] });
    assert.equal(p.status, 200, `snapshot profile of ${owner}: ${p.status} ${p.text()}`);
    const i = await http('GET', imageUrl(base, acc, uid), { token: T[owner] });
    assert.ok(i.status === 200 || i.status === 404, `snapshot image of ${owner}: ${i.status}`);
    return { profile: p.json(), image: i.status === 200 ? i.body.toString('base64') : null };
  }

  const ops = {
    'GET profile': (url, token) => http('GET', url, { token }),
    'PUT profile': (url, token) => http('PUT', url, {
      token, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ companyName: 'Hijacked Co', title: 'Pwned' }),
    }),
    'GET image': (url, token) => http('GET', `${url}/image`, { token }),
    'PUT image': (url, token) => rawHttp('PUT', `${url}/image`, {
      headers: { ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'image/gif' },
      body: makeGif(),
    }),
    'DELETE image': (url, token) => http('DELETE', `${url}/image`, { token }),
  };
  const isWrite = (op) => !op.startsWith('GET');

  /**
   * One denied case: runs `op` as `who` (token string) on acc/uid and asserts
   * status/errorCode; for writes, `owner` (fixture name of the target, or
   * null) must see nothing changed.
   */
  async function denied(op, token, acc, uid, status, code, owner) {
    const beforeSnap = owner ? await snapshot(owner) : null;
    const r = await ops[op](profileUrl(base, acc, uid), token);
    assertError(r, status, code, `${op} ${acc}/${uid}:`);
    if (owner && isWrite(op)) assert.deepEqual(await snapshot(owner), beforeSnap, `${op}: ${owner} changed after a denied write`);
  }

  it('self: every operation is allowed', async () => {
    for (const who of ['ann', 'bob', 'dan']) {
      const url = profileUrl(base, ACC_A, IDS[who]);
      assert.equal((await ops['GET profile'](url, T[who])).status, 200, `${who} GET profile`);
      const put = await http('PUT', url, { token: T[who], json: { companyName: `${who} own co` } });
      assert.equal(put.status, 200, `${who} PUT profile: ${put.text()}`);
      assert.equal((await ops['PUT image'](url, T[who])).status, 200, `${who} PUT image`);
      assert.equal((await ops['GET image'](url, T[who])).status, 200, `${who} GET image`);
      assert.equal((await ops['DELETE image'](url, T[who])).status, 200, `${who} DELETE image`);
    }
    // cat in her own account, by GUID and by nothing else
    const url = profileUrl(base, ACC_B, IDS.cat);
    assert.equal((await ops['GET profile'](url, T.cat)).status, 200);
    assert.equal((await ops['GET image'](url, T.cat)).status, 200, 'cat has an imported image');
  });

  it('account admin: may read and update another member\'s profile', async () => {
    const url = profileUrl(base, ACC_A, IDS.bob);
    const g = await http('GET', url, { token: T.ann });
    assert.equal(g.status, 200);
    assert.equal(g.json().userDetails.userId, IDS.bob);
    const p = await http('PUT', url, { token: T.ann, json: { title: 'Promoted by admin' } });
    assert.equal(p.status, 200, p.text());
    const mine = await http('GET', url, { token: T.bob });
    assert.equal(mine.json().title, 'Promoted by admin');
    // by account number too
    const n = await http('GET', profileUrl(base, String(ACC_A_NUMBER), IDS.dan), { token: T.ann });
    assert.equal(n.status, 200);
  });

  it('account admin: may not touch another member\'s image (403 USER_LACKS_PERMISSIONS)', async () => {
    // give bob an image first, so there is something to leak or destroy
    assert.equal((await ops['PUT image'](profileUrl(base, ACC_A, IDS.bob), T.bob)).status, 200);
    for (const op of ['GET image', 'PUT image', 'DELETE image']) {
      await denied(op, T.ann, ACC_A, IDS.bob, 403, 'USER_LACKS_PERMISSIONS', 'bob');
      await denied(op, T.ann, String(ACC_A_NUMBER), IDS.bob, 403, 'USER_LACKS_PERMISSIONS', 'bob');
    }
  });

  it('plain member on another member: 403 USER_LACKS_PERMISSIONS for everything', async () => {
    for (const op of Object.keys(ops)) {
      await denied(op, T.bob, ACC_A, IDS.ann, 403, 'USER_LACKS_PERMISSIONS', 'ann');
      await denied(op, T.dan, ACC_A, IDS.bob, 403, 'USER_LACKS_PERMISSIONS', 'bob');
    }
  });

  it('a member of account B is not an admin of A through B', async () => {
    for (const op of Object.keys(ops)) {
      await denied(op, T.dan, ACC_B, IDS.cat, 403, 'USER_LACKS_PERMISSIONS', 'cat');
    }
  });

  it('non-member of the account: 403 USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', async () => {
    for (const op of Object.keys(ops)) {
      // cat is not in A: neither on herself nor on others
      await denied(op, T.cat, ACC_A, IDS.cat, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', null);
      await denied(op, T.cat, ACC_A, IDS.ann, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', 'ann');
      await denied(op, T.cat, String(ACC_A_NUMBER), IDS.ann, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', 'ann');
      // ann is admin of A but not a member of B
      await denied(op, T.ann, ACC_B, IDS.dan, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', 'dan');
      await denied(op, T.ann, ACC_B, IDS.ann, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', 'ann');
    }
  });

  it('unknown account (GUID or number): 403 USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', async () => {
    for (const op of Object.keys(ops)) {
      await denied(op, T.ann, UNKNOWN_ACC, IDS.ann, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', 'ann');
      await denied(op, T.ann, '99999999', IDS.ann, 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT', 'ann');
    }
  });

  it('malformed account id: 400 INVALID_ACCOUNT_ID', async () => {
    for (const op of Object.keys(ops)) {
      for (const acc of ['not-an-account', '0', '-7', '12ab', 'aaaaaaaa-1111-4222-8333-00000000000']) {
        await denied(op, T.ann, acc, IDS.ann, 400, 'INVALID_ACCOUNT_ID', 'ann');
      }
    }
  });

  it('malformed user id: 400 INVALID_USERID', async () => {
    for (const op of Object.keys(ops)) {
      for (const uid of ['not-a-user', '12345', '00000000-0000-4000-8000-00000000a00']) {
        await denied(op, T.ann, ACC_A, uid, 400, 'INVALID_USERID', 'ann');
      }
    }
  });

  it('admin targeting a user not in the account / not existing: 400 USER_DOES_NOT_EXIST_IN_SYSTEM', async () => {
    for (const op of ['GET profile', 'PUT profile']) {
      await denied(op, T.ann, ACC_A, IDS.cat, 400, 'USER_DOES_NOT_EXIST_IN_SYSTEM', 'cat');
      await denied(op, T.ann, ACC_A, UNKNOWN_USER, 400, 'USER_DOES_NOT_EXIST_IN_SYSTEM', null);
    }
    // and the image routes stay "self only" whatever the target
    for (const op of ['GET image', 'PUT image', 'DELETE image']) {
      await denied(op, T.ann, ACC_A, IDS.cat, 403, 'USER_LACKS_PERMISSIONS', 'cat');
      await denied(op, T.ann, ACC_A, UNKNOWN_USER, 403, 'USER_LACKS_PERMISSIONS', null);
    }
  });

  describe('bad tokens: 401 AUTHORIZATION_INVALID_TOKEN on every operation', () => {
    const [h, p, s] = [0, 1, 2];
    const parts = (tok) => tok.split('.');
    const cases = {
      'empty bearer': () => '',
      'garbage': () => 'garbage',
      'garbage with dots': () => 'a.b.c',
      'expired (issued 2 h ago, ttl 60 s)': () => mintToken(env.db.url, IDS.ann, { issuedAt: Math.floor(Date.now() / 1000) - 7200, ttl: 60 }),
      'issued in the future': () => mintToken(env.db.url, IDS.ann, { issuedAt: Math.floor(Date.now() / 1000) + 3600, ttl: 7200 }),
      'signature byte flipped': () => {
        const x = parts(T.ann);
        const sig = b64urlDecode(x[s]);
        sig[5] ^= 0x01;
        return [x[h], x[p], b64urlEncode(sig)].join('.');
      },
      'signature truncated': () => {
        const x = parts(T.ann);
        return [x[h], x[p], x[s].slice(0, 20)].join('.');
      },
      'no signature': () => {
        const x = parts(T.ann);
        return `${x[h]}.${x[p]}.`;
      },
      'payload sub changed, signature kept': () => {
        const x = parts(T.bob);
        const payload = JSON.parse(b64urlDecode(x[p]).toString('utf8'));
        const key = Object.keys(payload).find((k) => payload[k] === IDS.bob);
        assert.ok(key, `token payload carries the user id: ${JSON.stringify(payload)}`);
        payload[key] = IDS.ann; // bob pretends to be ann
        return [x[h], b64urlEncode(Buffer.from(JSON.stringify(payload))), x[s]].join('.');
      },
      'payload exp extended, signature kept': () => {
        const expired = mintToken(env.db.url, IDS.ann, { issuedAt: Math.floor(Date.now() / 1000) - 7200, ttl: 60 });
        const x = parts(expired);
        const payload = JSON.parse(b64urlDecode(x[p]).toString('utf8'));
        payload.exp = Math.floor(Date.now() / 1000) + 3600;
        return [x[h], b64urlEncode(Buffer.from(JSON.stringify(payload))), x[s]].join('.');
      },
      'alg none': () => {
        const x = parts(T.ann);
        const header = { ...JSON.parse(b64urlDecode(x[h]).toString('utf8')), alg: 'none' };
        return `${b64urlEncode(Buffer.from(JSON.stringify(header)))}.${x[p]}.`;
      },
      'alg none, signature kept': () => {
        const x = parts(T.ann);
        const header = { ...JSON.parse(b64urlDecode(x[h]).toString('utf8')), alg: 'none' };
        return `${b64urlEncode(Buffer.from(JSON.stringify(header)))}.${x[p]}.${x[s]}`;
      },
      'alg HS512 claimed': () => {
        const x = parts(T.ann);
        const header = { ...JSON.parse(b64urlDecode(x[h]).toString('utf8')), alg: 'HS512' };
        return `${b64urlEncode(Buffer.from(JSON.stringify(header)))}.${x[p]}.${x[s]}`;
      },
      'minted by another database (other key)': () => otherDbToken,
      'a huge token': () => 'A'.repeat(6000),
    };

    for (const [name, make] of Object.entries(cases)) {
      it(name, async () => {
        const tok = make();
        for (const op of Object.keys(ops)) {
          await denied(op, tok, ACC_A, IDS.ann, 401, 'AUTHORIZATION_INVALID_TOKEN', 'ann');
        }
      });
    }

    it('no credentials at all: 401 PARTNER_AUTHENTICATION_FAILED, as DocuSign answers', async () => {
      for (const op of Object.keys(ops)) {
        await denied(op, undefined, ACC_A, IDS.ann, 401, 'PARTNER_AUTHENTICATION_FAILED', 'ann');
      }
      const r = await http('GET', profileUrl(base, ACC_A, IDS.ann));
      assert.equal(r.json().message,
        'The specified Integrator Key was not found or is disabled. An Integrator key was not specified.');
    });

    it('wrong scheme or malformed header', async () => {
      for (const header of [`Basic ${Buffer.from('ann@acme.test:ann-Secret-Pass-1').toString('base64')}`,
        `Token ${T.ann}`, `Bearer${T.ann}`, 'Bearer', `Bearer ${T.ann} extra`]) {
        const beforeSnap = await snapshot('ann');
        for (const [op, method] of [['GET profile', 'GET'], ['PUT profile', 'PUT'], ['DELETE image', 'DELETE']]) {
          const url = op.includes('image') ? imageUrl(base, ACC_A, IDS.ann) : profileUrl(base, ACC_A, IDS.ann);
          const r = await http(method, url, {
            headers: { Authorization: header, 'Content-Type': 'application/json' },
            body: method === 'PUT' ? JSON.stringify({ companyName: 'Hijacked Co' }) : undefined,
          });
          assertError(r, 401, 'AUTHORIZATION_INVALID_TOKEN', `${op} with "${header.slice(0, 20)}…":`);
        }
        assert.deepEqual(await snapshot('ann'), beforeSnap);
      }
    });

    it('the bearer scheme is case-insensitive and the right token still works', async () => {
      const r = await http('GET', profileUrl(base, ACC_A, IDS.ann), { headers: { Authorization: `bearer ${T.ann}` } });
      assert.equal(r.status, 200);
    });

    it('a token of a user who is still valid after all this', async () => {
      const r = await http('GET', profileUrl(base, ACC_A, IDS.ann), { token: T.ann });
      assert.equal(r.status, 200);
      const j = r.json();
      assert.notEqual(j.companyName, 'Hijacked Co');
      assert.notEqual(j.title, 'Pwned');
    });
  });

  it('setupTenant is reusable (a second server on its own DB works in parallel)', async () => {
    const second = await setupTenant();
    try {
      const r = await http('GET', profileUrl(second.base, ACC_A, IDS.ann), { token: second.tokens.ann });
      assert.equal(r.status, 200);
      // tokens are not valid across the two databases
      assertError(await http('GET', profileUrl(second.base, ACC_A, IDS.ann), { token: T.ann }),
        401, 'AUTHORIZATION_INVALID_TOKEN');
    } finally {
      await second.teardown();
    }
  });
});
