// import-bulk.test.mjs - the import command's bulk load (store bulk_begin /
// bulk_end, docs/storage.md "Bulk load"): the same data as before it, a
// rollback journal only for the load, indexes back, all or nothing under
// SIGKILL, and WAL kept while a server has the database open.
//
// fixtures/bulk-tenant.export.json is the export of fixtures/bulk-tenant.json
// (120 users from bench/gen_tenant.c, every membership dated, plus a split
// user name, a v2.1 settings object, escapes, a closed user, a user without
// profile, a domain and an identity) imported by profiled before the bulk
// load existed (commit e509aeb): the export must stay byte-identical.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  cli, freshDb, sqliteOnly, importFile, exportDb, startServer, http, FIXTURES, TENANT_FILE, TENANT, BIN,
} from './lib/server.mjs';

const BULK_FILE = path.join(FIXTURES, 'bulk-tenant.json');
const GOLDEN = readFileSync(path.join(FIXTURES, 'bulk-tenant.export.json'), 'utf8');

/** The journal mode recorded in the database header: 'wal' or 'rollback'. */
function headerMode(file) {
  const fd = openSync(file, 'r');
  const b = Buffer.alloc(20);
  readSync(fd, b, 0, 20, 0);
  closeSync(fd);
  return b[18] === 2 && b[19] === 2 ? 'wal' : 'rollback';
}

/** A tenant of n users in one account, written to a file; returns its path. */
function bigTenant(dir, n) {
  const acc = '6a1c0a3e-0000-4000-8000-000000000001';
  const hex = (i) => i.toString(16).padStart(12, '0');
  const parts = [
    '{"format":"profiled-import","version":1,"accounts":[{"accountId":"', acc,
    '","accountNumber":777001,"accountName":"Big"}],"users":[',
  ];
  for (let i = 0; i < n; i++) {
    parts.push(i ? ',' : '', '{"userId":"7b2d0000-0000-4000-8000-', hex(i), '","email":"u', String(i),
      '@big.test","createdDateTime":"2020-01-01T00:00:00.0000000Z","profile":{"userDetails":',
      '{"firstName":"User","lastName":"Number ', String(i), '","jobTitle":"', 'x'.repeat(90), '"},"address":{"address1":"', 'a'.repeat(90), '","address2":"', 'b'.repeat(90), '"}}}');
  }
  parts.push('],"memberships":[');
  for (let i = 0; i < n; i++)
    parts.push(i ? ',' : '', '{"accountId":"', acc, '","userId":"7b2d0000-0000-4000-8000-', hex(i), '"}');
  parts.push(']}');
  const file = path.join(dir, 'big.json');
  writeFileSync(file, parts.join(''));
  return file;
}

describe('import: bulk load', () => {
  it('a fresh import gives byte for byte the export of the import before the bulk load', () => {
    const db = freshDb();
    importFile(db.url, BULK_FILE);
    assert.equal(exportDb(db.url), GOLDEN);
    if (db.file) {                        // SQLite: the journal mode is in the file
      assert.equal(headerMode(db.file), 'wal', 'back in WAL mode after the load');
      assert.ok(!existsSync(`${db.file}-journal`), 'no rollback journal left behind');
    }
  });

  it('re-importing into the filled database changes nothing', () => {
    const db = freshDb();
    importFile(db.url, BULK_FILE);
    importFile(db.url, BULK_FILE);
    assert.equal(exportDb(db.url), GOLDEN);
  });

  it('importing into a database with another tenant keeps both (upserts), as before', () => {
    const db = freshDb();
    importFile(db.url, TENANT_FILE);
    const before = JSON.parse(exportDb(db.url));
    importFile(db.url, BULK_FILE);
    const after = JSON.parse(exportDb(db.url));
    const golden = JSON.parse(GOLDEN);
    assert.equal(after.users.length, before.users.length + golden.users.length);
    assert.equal(after.memberships.length, before.memberships.length + golden.memberships.length);
  });

  it('a bad record in a fresh database changes nothing: a good import then works', () => {
    const db = freshDb();
    const doc = JSON.parse(readFileSync(BULK_FILE, 'utf8'));
    doc.memberships[100].userId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
    const bad = path.join(db.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = cli(['import', bad, '--db', db.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /memberships\[100\]: rejected by the database: .*FOREIGN KEY/);
    assert.match(r.stderr, /nothing was changed/);
    assert.equal(JSON.parse(exportDb(db.url)).users.length, 0);
    importFile(db.url, BULK_FILE);
    assert.equal(exportDb(db.url), GOLDEN);
  });

  it('the writer thread\'s failures name the record, and the first one in file order wins', () => {
    const db = freshDb();
    const doc = JSON.parse(readFileSync(BULK_FILE, 'utf8'));
    const many = { ...doc, memberships: [] };
    for (let i = 0; i < 700; i++) many.memberships.push({ ...doc.memberships[i % doc.memberships.length] });
    const write = (d) => { const f = path.join(db.dir, 'm.json'); writeFileSync(f, JSON.stringify(d)); return f; };
    // a store failure far into the section (third batch of 256)
    const a = structuredClone(many);
    a.memberships[600].accountId = '99999999-9999-4999-8999-999999999999';
    let r = cli(['import', write(a), '--db', db.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^import: memberships\[600\]\.accountId: no account '99999999-9999-4999-8999-999999999999'/);
    // a store failure (written by the thread) before a validation failure (found by the reader)
    const b = structuredClone(many);
    b.memberships[10].userId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
    b.memberships[650].isAdmin = 'yes';
    r = cli(['import', write(b), '--db', db.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^import: memberships\[10\]: rejected by the database: .*FOREIGN KEY/m);
    // only the validation failure
    const c = structuredClone(many);
    c.memberships[650].isAdmin = 'yes';
    r = cli(['import', write(c), '--db', db.url]);
    assert.match(r.stderr, /^import: memberships\[650\]\.isAdmin: must be true or false/);
    assert.equal(JSON.parse(exportDb(db.url)).users.length, 0, 'nothing was changed');
    importFile(db.url, write(many));
    assert.equal(exportDb(db.url), GOLDEN, 'duplicate memberships are upserts');
  });

  it('user records decoded on two threads: file order kept, the first failing record in file order reported', () => {
    // 700 users: jobs of 32 records go to the twin decoder and to the main
    // thread (cli/import.c "two decoding threads"); failures are placed in
    // different jobs, early and late, found by the decoders or the writer
    const db = freshDb();
    const doc = JSON.parse(readFileSync(BULK_FILE, 'utf8'));
    const hex = (i) => i.toString(16).padStart(12, '0');
    const users = [];
    for (let i = 0; i < 700; i++) {
      const u = structuredClone(doc.users[i % doc.users.length]);
      u.userId = `5e1f0000-0000-4000-8000-${hex(i)}`;
      u.email = `twin.${i}@twin.test`;
      users.push(u);
    }
    const many = { format: doc.format, version: doc.version, organizations: doc.organizations,
                   accounts: doc.accounts, users };
    const write = (text) => { const f = path.join(db.dir, 't.json'); writeFileSync(f, text); return f; };
    const fails = (text, re) => {
      const r = cli(['import', write(text), '--db', db.url]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(JSON.parse(exportDb(db.url)).users.length, 0, 'nothing was changed');
    };
    // two validation failures: the earlier one, whatever thread had each
    for (const [a, b] of [[300, 500], [40, 41], [5, 690]]) {
      const d = structuredClone(many);
      d.users[a].email = 'not-an-email';
      d.users[b].userStatus = 'Sleeping';
      fails(JSON.stringify(d), new RegExp(`^import: users\\[${a}\\]\\.email: 'not-an-email' is not an email address`));
    }
    // malformed JSON inside a record, after a validation failure and alone
    const text = JSON.stringify(many);
    const at = text.indexOf('"twin.500@twin.test"');
    const broken = `${text.slice(0, at)}"twin.500@twin.test" "oops"${text.slice(at + 20)}`;
    fails(broken, /^import: users\[500\]: malformed JSON/);
    const d1 = structuredClone(many);
    d1.users[450].email = 'not-an-email';
    const t1 = JSON.stringify(d1), at1 = t1.indexOf('"twin.500@twin.test"');
    fails(`${t1.slice(0, at1)}"twin.500@twin.test" "oops"${t1.slice(at1 + 20)}`, /^import: users\[450\]\.email/);
    // a store failure (the writer: a duplicate email) before a later validation failure
    const d2 = structuredClone(many);
    d2.users[333].email = d2.users[2].email;
    d2.users[600].userStatus = 'Sleeping';
    fails(JSON.stringify(d2), /^import: users\[333\]: rejected by the database: .*UNIQUE/m);
    // the last record, in a job that is not full, and a file cut inside a record
    const d3 = structuredClone(many);
    d3.users[699].userId = 'nope';
    fails(JSON.stringify(d3), /^import: users\[699\]\.userId: 'nope' is not a GUID/);
    fails(text.slice(0, text.indexOf('"twin.610@twin.test"')), /^import: users\[610\]: the file ends inside this record/);
    // and the good file: every user, in order, with its own document
    importFile(db.url, write(text));
    const out = JSON.parse(exportDb(db.url));
    assert.equal(out.users.length, 700);
    const byId = new Map(out.users.map((u) => [u.userId, u]));
    for (const i of [0, 31, 32, 63, 64, 255, 256, 511, 699]) {
      const u = byId.get(users[i].userId);
      assert.equal(u.email, users[i].email, `users[${i}]`);
      assert.deepEqual(u.profile, users[i].profile, `users[${i}].profile`);
    }
  });

  it('SIGKILL in the middle of a load leaves the previous database intact',
     sqliteOnly('watches the rollback journal file'), async () => {
    const db = freshDb();
    importFile(db.url, TENANT_FILE);
    const before = exportDb(db.url);
    const big = bigTenant(db.dir, 60000);
    const child = spawn(BIN, ['import', big, '--db', db.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
    // the rollback journal appears with the load's first write
    const t0 = Date.now();
    while (!existsSync(`${db.file}-journal`) && Date.now() - t0 < 20000)
      await new Promise((r) => setTimeout(r, 5));
    assert.ok(existsSync(`${db.file}-journal`), 'the load runs with a rollback journal');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    const { sig } = await exited;
    assert.equal(sig, 'SIGKILL', `the import was still running when killed (stdout: ${out})`);
    assert.equal(out, '', 'killed before it printed its summary');
    assert.equal(exportDb(db.url), before, 'the hot journal rolled the load back');
    assert.equal(headerMode(db.file), 'wal', 'the next open went back to WAL');
    importFile(db.url, BULK_FILE);
    const after = JSON.parse(exportDb(db.url));
    assert.equal(after.users.length, JSON.parse(before).users.length + 120);
  });

  it('with a server on the database the load stays in WAL and the server keeps answering',
     sqliteOnly('about the journal mode of the database file'), async () => {
    const db = freshDb();
    importFile(db.url, TENANT_FILE);
    const srv = await startServer({ db: db.url });
    try {
      assert.equal((await http('GET', `${srv.base}/healthz`)).status, 200);
      const big = bigTenant(db.dir, 5000);
      const child = spawn(BIN, ['import', big, '--db', db.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let sawJournal = false;
      const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
      let done = false;
      exited.then(() => { done = true; });
      while (!done) {
        if (existsSync(`${db.file}-journal`)) sawJournal = true;
        assert.equal((await http('GET', `${srv.base}/healthz`)).status, 200, 'answers during the import');
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(await exited, 0);
      assert.equal(sawJournal, false, 'no rollback journal while a server has the database open');
      assert.equal(headerMode(db.file), 'wal');
      assert.equal(JSON.parse(exportDb(db.url)).users.length, TENANT.users.length + 5000);
    } finally {
      await srv.stop();
    }
  });
});
