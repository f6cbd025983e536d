// cli.test.mjs - the profiled command line: --version/--help, migrate,
// import (idempotent, transactional, precise errors), export (no plain
// passwords, round trip), token, serve --check-config, signals, restart
// persistence and the demo tenant.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  cli, cliOk, freshDb, importFile, exportDb, mintToken, startServer, http, profileUrl, imageUrl,
  ROOT, FIXTURES, TENANT_FILE, TENANT, IDS, ACC_A, b64urlDecode, allKeys,
} from './lib/server.mjs';

const VERSION = readFileSync(path.join(ROOT, 'VERSION'), 'utf8').trim();
const DEMO_FILE = path.join(ROOT, 'data/demo-tenant.json');

function freshImported(file = TENANT_FILE) {
  const db = freshDb();
  importFile(db.url, file);
  return db;
}

describe('command line', () => {
  it('--version prints the version from VERSION', () => {
    const r = cliOk(['--version']);
    assert.match(r.stdout, new RegExp(`\\b${VERSION.replace(/\./g, '\\.')}\\b`));
  });

  it('--help lists every command, and each command has --help', () => {
    const r = cliOk(['--help']);
    for (const c of ['serve', 'import', 'export', 'token', 'migrate']) {
      assert.match(r.stdout, new RegExp(`\\b${c}\\b`), `--help mentions ${c}`);
      const h = cliOk([c, '--help']);
      assert.match(h.stdout + h.stderr, /usage/i, `${c} --help`);
    }
  });

  it('an unknown command or option fails with a message', () => {
    const r = cli(['frobnicate']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /frobnicate/);
    const o = cli(['export', '--no-such-option']);
    assert.notEqual(o.code, 0);
    assert.match(o.stderr, /no-such-option/);
  });

  it('migrate on a fresh DB, twice; an empty export is still the import format', () => {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    cliOk(['migrate', '--db', db.url]);
    const j = JSON.parse(exportDb(db.url));
    assert.equal(j.format, 'profiled-import');
    assert.equal(j.version, 1);
    for (const k of ['organizations', 'accounts', 'users', 'memberships']) {
      assert.ok(j[k] === undefined || (Array.isArray(j[k]) && j[k].length === 0), `${k} empty`);
    }
  });

  it('import prints a summary; importing twice leaves an identical export', () => {
    const db = freshDb();
    const r = importFile(db.url, TENANT_FILE);
    assert.match(r.stdout, /4 users/);
    const first = exportDb(db.url);
    importFile(db.url, TENANT_FILE);
    const second = exportDb(db.url);
    assert.deepEqual(JSON.parse(second), JSON.parse(first));
    assert.equal(second, first, 'byte-identical export');
  });

  it('export carries every record of the fixture, and no plain password', () => {
    const db = freshImported();
    const text = exportDb(db.url);
    const j = JSON.parse(text);
    assert.equal(j.format, 'profiled-import');
    assert.deepEqual(j.users.map((u) => u.userId).sort(), TENANT.users.map((u) => u.userId).sort());
    assert.deepEqual(j.accounts.map((a) => a.accountId).sort(), TENANT.accounts.map((a) => a.accountId).sort());
    assert.equal(j.memberships.length, TENANT.memberships.length);
    for (const u of TENANT.users) {
      if (u.password) assert.ok(!text.includes(u.password), `plain password of ${u.email} exported`);
    }
    assert.ok(!allKeys(j).has('password'), 'no "password" member anywhere');
    const ann = j.users.find((u) => u.userId === IDS.ann);
    assert.match(ann.passwordHash, /^\$argon2id\$/);
    const dan = j.users.find((u) => u.userId === IDS.dan);
    assert.equal(dan.passwordHash, undefined);
    assert.equal(dan.profileImage, undefined);
    assert.equal(ann.profileImage.data, TENANT.users.find((u) => u.userId === IDS.ann).profileImage.data);
    assert.equal(ann.profile.userDetails.firstName, 'Ann');
  });

  it('export → import into a fresh DB → identical export (round trip)', () => {
    const a = freshImported();
    const dir = a.dir;
    const out = path.join(dir, 'export.json');
    cliOk(['export', '--db', a.url, '--output', out]);
    const text = readFileSync(out, 'utf8');
    assert.equal(text, exportDb(a.url), '--output writes what stdout shows');
    const b = freshDb();
    importFile(b.url, out);
    assert.equal(exportDb(b.url), text);
  });

  it('import from standard input with "-"', () => {
    const db = freshDb();
    cliOk(['import', '-', '--db', db.url], { input: readFileSync(TENANT_FILE) });
    assert.equal(JSON.parse(exportDb(db.url)).users.length, 4);
  });

  for (const [file, mustMention] of [
    ['bad-name-too-long.json', ['users[2]', 'firstName']],
    ['bad-userid.json', ['users[3]', 'userId']],
    ['bad-flag.json', ['users[2]', 'displayProfile']],
    ['bad-address.json', ['users[1]', 'address1']],
    ['bad-membership.json', ['memberships[1]']],
    ['bad-account-number.json', ['accounts[1]', 'accountNumber']],
    ['bad-format.json', ['format']],
    ['bad-syntax.json', []],
  ]) {
    it(`import of ${file} fails, names the record and field, and changes nothing`, () => {
      const db = freshImported();
      const before = exportDb(db.url);
      const r = cli(['import', path.join(FIXTURES, file), '--db', db.url]);
      assert.equal(r.code, 1, `exit code: ${r.code}\nstderr: ${r.stderr}`);
      for (const m of mustMention) assert.ok(r.stderr.includes(m), `stderr names ${m}: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0);
      assert.equal(exportDb(db.url), before, 'export changed after a failed import');
    });
  }

  it('import of a missing file fails and names it', () => {
    const db = freshImported();
    const r = cli(['import', '/nonexistent/tenant.json', '--db', db.url]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nonexistent\/tenant\.json/);
  });

  it('the demo tenant imports cleanly', () => {
    const db = freshDb();
    const r = importFile(db.url, DEMO_FILE);
    assert.match(r.stdout, /2 users/);
    const j = JSON.parse(exportDb(db.url));
    assert.deepEqual(j.users.map((u) => u.email).sort(), ['ada@demo.test', 'grace@demo.test']);
    assert.equal(j.accounts[0].accountNumber, 1000001);
    assert.equal(j.accounts[0].accountName, 'Demo Account');
  });

  it('token prints only a HS256 JWT and a newline; bad arguments fail', () => {
    const db = freshImported();
    const r = cliOk(['token', '--user', IDS.ann, '--db', db.url]);
    assert.match(r.stdout, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const [h, p] = r.stdout.trim().split('.');
    assert.equal(JSON.parse(b64urlDecode(h).toString()).alg, 'HS256');
    const payload = JSON.parse(b64urlDecode(p).toString());
    assert.ok(Object.values(payload).includes(IDS.ann), `payload names the user: ${JSON.stringify(payload)}`);
    assert.ok(payload.exp - payload.iat === 3600, `default ttl 3600: ${JSON.stringify(payload)}`);
    for (const args of [
      ['--user', '00000000-0000-4000-8000-0000000dead1'],
      ['--user', 'not-a-guid'],
      ['--user', IDS.ann, '--ttl', '0'],
      ['--user', IDS.ann, '--ttl', String(30 * 24 * 3600 + 1)],
      ['--user', IDS.ann, '--ttl', '12abc'],
      [],
    ]) {
      const bad = cli(['token', ...args, '--db', db.url]);
      assert.notEqual(bad.code, 0, `token ${args.join(' ')} should fail: ${bad.stdout}`);
      assert.equal(bad.stdout, '', 'nothing on stdout when it fails');
      assert.ok(bad.stderr.length > 0);
    }
  });

  it('serve --check-config accepts good settings and exits 0 without serving', () => {
    const db = freshDb();
    const r = cli(['serve', '--check-config', '--listen', '127.0.0.1', '--port', '0', '--db', db.url], { timeout: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /listening on/);
  });

  it('serve --check-config reports every bad setting at once (exit 2)', () => {
    const r = cli(['serve', '--check-config', '--listen', 'not-an-address', '--port', '70000',
      '--db', 'mysql://nowhere', '--log-level', 'chatty', '--threads', '-1', '--timeout', 'soon'], { timeout: 10_000 });
    assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
    const out = r.stdout + r.stderr;
    for (const k of ['listen', 'port', 'db', 'log-level', 'threads', 'timeout']) {
      assert.match(out, new RegExp(k.replace('-', '[-_ ]?'), 'i'), `mentions ${k}: ${out}`);
    }
  });

  it('serve --check-config reads the environment too', () => {
    const r = cli(['serve', '--check-config'], { env: { PROFILED_PORT: 'eighty', PROFILED_LOG_LEVEL: 'loud' }, timeout: 10_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout + r.stderr, /port/i);
    assert.match(r.stdout + r.stderr, /log/i);
  });

  it('serve refuses a database it cannot open, with a message, instead of hanging', () => {
    const r = cli(['serve', '--listen', '127.0.0.1', '--port', '0', '--db', 'sqlite:/nonexistent-dir/sub/x.db'], { timeout: 10_000 });
    assert.notEqual(r.code, 0);
    assert.equal(r.signal, null, 'exited by itself');
    assert.match(r.stderr, /nonexistent-dir/);
  });

  for (const sig of ['SIGTERM', 'SIGINT']) {
    it(`serve stops with exit 0 on ${sig}`, async () => {
      const db = freshImported();
      const s = await startServer({ db: db.url });
      const h = await http('GET', `${s.base}/healthz`);
      assert.equal(h.status, 200);
      const r = await s.stop(sig);
      assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null }, s.stderr().slice(-2000));
    });
  }

  it('data, images and tokens survive a restart', async () => {
    const db = freshImported();
    const tok = mintToken(db.url, IDS.ann);
    let s = await startServer({ db: db.url });
    try {
      const put = await http('PUT', profileUrl(s.base, ACC_A, IDS.ann), { token: tok, json: { companyName: 'Persistent Co' } });
      assert.equal(put.status, 200);
      const img = await http('GET', imageUrl(s.base, ACC_A, IDS.ann), { token: tok });
      assert.equal(img.status, 200);
      const r = await s.stop();
      assert.equal(r.code, 0);
      s = await startServer({ db: db.url });
      const g = await http('GET', profileUrl(s.base, ACC_A, IDS.ann), { token: tok });
      assert.equal(g.status, 200, 'token minted before the restart still valid');
      assert.equal(g.json().companyName, 'Persistent Co');
      const img2 = await http('GET', imageUrl(s.base, ACC_A, IDS.ann), { token: tok });
      assert.ok(img2.body.equals(img.body));
      assert.equal(img2.headers.get('etag'), img.headers.get('etag'));
    } finally {
      const r = await s.stop();
      assert.equal(r.code, 0);
    }
  });

  it('serve --demo loads the demo tenant into an empty database', async () => {
    const db = freshDb();
    const s = await startServer({ db: db.url, extraArgs: ['--demo', '--demo-file', DEMO_FILE] });
    try {
      const demo = JSON.parse(readFileSync(DEMO_FILE, 'utf8'));
      const ada = demo.users.find((u) => u.email === 'ada@demo.test');
      const acc = demo.accounts[0];
      const tok = mintToken(db.url, ada.userId);
      for (const a of [acc.accountId, String(acc.accountNumber)]) {
        const g = await http('GET', profileUrl(s.base, a, ada.userId), { token: tok });
        assert.equal(g.status, 200, g.text());
        assert.equal(g.json().userDetails.firstName, 'Ada');
      }
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  it('export while the server runs sees the server\'s writes', async () => {
    const db = freshImported();
    const tok = mintToken(db.url, IDS.bob);
    const s = await startServer({ db: db.url });
    try {
      const put = await http('PUT', profileUrl(s.base, ACC_A, IDS.bob), { token: tok, json: { companyName: 'Live Export Co' } });
      assert.equal(put.status, 200);
      const j = JSON.parse(exportDb(db.url));
      assert.equal(j.users.find((u) => u.userId === IDS.bob).profile.companyName, 'Live Export Co');
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  it('a file with only format and version imports (every section is optional)', () => {
    const db = freshDb();
    const out = path.join(db.dir, 'x.json');
    writeFileSync(out, JSON.stringify({ format: 'profiled-import', version: 1 }));
    cliOk(['import', out, '--db', db.url]);
    assert.equal(JSON.parse(exportDb(db.url)).format, 'profiled-import');
  });
});
