// oauth-cli.test.mjs - managing integrations: `profiled integration
// add|add-key|consent|list|remove` and the "integrations" section of
// import/export (secrets only as Argon2id hashes, re-import changes nothing,
// bad records named by path).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, cli, cliOk, importFile, exportDb, tempDir, TENANT_FILE, IDS,
} from './lib/server.mjs';
import { rsaPair } from './fixtures/oauth/helpers.mjs';

function tenantDb() {
  const db = freshDb();
  importFile(db.url, TENANT_FILE);
  return db;
}

function writeJson(obj) {
  const f = path.join(tempDir(), 'in.json');
  writeFileSync(f, JSON.stringify(obj));
  return f;
}

describe('profiled integration (CLI)', () => {
  it('add with a generated secret, add-key, consent, list, remove', () => {
    const db = tenantDb();
    const k1 = rsaPair();
    const k2 = rsaPair();
    const dir = tempDir();
    writeFileSync(path.join(dir, 'k1.pem'), k1.publicKey);
    writeFileSync(path.join(dir, 'k2.pem'), k2.publicKey);
    const add = cliOk(['integration', 'add', 'my-app', '--name', 'My App', '--generate-secret',
      '--redirect-uri', 'https://app.example/cb', '--redirect-uri', 'http://localhost:3000/cb',
      '--public-key', path.join(dir, 'k1.pem'), '--db', db.url]);
    const secret = /secret \(shown once\): ([A-Za-z0-9_-]{43})/.exec(add.stdout);
    assert.ok(secret, add.stdout);
    assert.notEqual(cli(['integration', 'add', 'my-app', '--db', db.url]).code, 0, 'exists');
    cliOk(['integration', 'add-key', 'my-app', path.join(dir, 'k2.pem'), '--db', db.url]);
    assert.notEqual(cli(['integration', 'add-key', 'nobody', path.join(dir, 'k2.pem'), '--db', db.url]).code, 0);
    cliOk(['integration', 'consent', 'my-app', '--user', IDS.bob.toUpperCase(), '--db', db.url]);
    const list = cliOk(['integration', 'list', '--db', db.url]).stdout;
    assert.match(list, /^my-app\tMy App\tscopes="signature impersonation"\tsecret=yes\tkeys=2$/m);
    assert.match(list, /redirect https:\/\/app\.example\/cb/);
    const exp = JSON.parse(exportDb(db.url));
    const it = exp.integrations.find((x) => x.integrationKey === 'my-app');
    assert.match(it.secretHash, /^\$argon2id\$/);
    assert.ok(!JSON.stringify(exp).includes(secret[1]), 'the secret is never exported');
    assert.equal(it.rsaPublicKeys.length, 2);
    assert.deepEqual(it.consents, [{ userId: IDS.bob, scopes: 'signature impersonation' }]);
    cliOk(['integration', 'remove', 'my-app', '--db', db.url]);
    assert.notEqual(cli(['integration', 'remove', 'my-app', '--db', db.url]).code, 0);
    assert.deepEqual(JSON.parse(exportDb(db.url)).integrations, []);
  });

  it('refuses bad input with a clear message', () => {
    const db = tenantDb();
    const bad = [
      [['integration', 'add', 'bad key!'], /KEY/],
      [['integration', 'add', 'k', '--redirect-uri', 'http://app.example/cb'], /redirect-uri/],
      [['integration', 'add', 'k', '--secret', 'short'], /secret/],
      [['integration', 'add', 'k', '--scopes', 'a "b'], /scopes/],
      [['integration', 'frobnicate'], /unknown integration command/],
      [['integration', 'consent', 'k', '--user', 'not-a-guid'], /USER_ID/],
    ];
    for (const [args, re] of bad) {
      const r = cli([...args, '--db', db.url]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    const f = path.join(tempDir(), 'junk.pem');
    writeFileSync(f, 'not a key');
    const r = cli(['integration', 'add', 'k', '--public-key', f, '--db', db.url]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not a PEM RSA public key/);
    assert.equal(cliOk(['integration', '--help']).stdout.includes('add-key'), true);
  });
});

describe('integrations in import / export', () => {
  const key = rsaPair();
  const record = {
    integrationKey: 'imp-app', name: 'Imported', secret: 'imported-secret-0123456789',
    allowedScopes: 'signature  impersonation signature', redirectUris: ['https://imp.example/cb'],
    rsaPublicKeys: [key.publicKey], consents: [{ userId: IDS.ann }, { userId: IDS.bob, scopes: 'signature' }],
  };

  it('imports, exports hashes only, and re-importing the export changes nothing', () => {
    const db = tenantDb();
    importFile(db.url, writeJson({ integrations: [record] }));
    const first = exportDb(db.url);
    const j = JSON.parse(first);
    const it = j.integrations[0];
    assert.equal(it.integrationKey, 'imp-app');
    assert.equal(it.allowedScopes, 'signature impersonation');
    assert.equal(it.secret, undefined);
    assert.match(it.secretHash, /^\$argon2id\$/);
    assert.ok(!first.includes(record.secret));
    assert.deepEqual(it.consents, [{ userId: IDS.ann, scopes: 'signature impersonation' },
      { userId: IDS.bob, scopes: 'signature' }]);
    // the same file again (plain secret): the stored hash is kept
    importFile(db.url, writeJson({ integrations: [record] }));
    assert.equal(exportDb(db.url), first);
    // the export into a fresh database gives the same export
    const db2 = freshDb();
    importFile(db2.url, writeJson(j));
    assert.equal(exportDb(db2.url), first);
  });

  it('a bad integration record stops the import and names the field', () => {
    const db = tenantDb();
    const cases = [
      [{ ...record, redirectUris: ['http://imp.example/cb'] }, /integrations\[0\]\.redirectUris\[0\]/],
      [{ ...record, rsaPublicKeys: ['nope'] }, /integrations\[0\]\.rsaPublicKeys\[0\]: not a PEM RSA public key/],
      [{ ...record, secret: 'short' }, /integrations\[0\]\.secret/],
      [{ ...record, secretHash: '$2b$x' , secret: undefined }, /secretHash/],
      [{ ...record, integrationKey: 'a b' }, /integrationKey/],
      [{ ...record, consents: [{ userId: '99999999-9999-4999-8999-999999999999' }] }, /consents\[0\]/],
      [{ ...record, allowedScopes: '' }, /allowedScopes/],
    ];
    for (const [rec, re] of cases) {
      const r = cli(['import', writeJson({ integrations: [JSON.parse(JSON.stringify(rec))] }), '--db', db.url]);
      assert.notEqual(r.code, 0, JSON.stringify(rec).slice(0, 100));
      assert.match(r.stderr, re);
    }
    assert.deepEqual(JSON.parse(exportDb(db.url)).integrations, [], 'nothing was changed');
  });
});
