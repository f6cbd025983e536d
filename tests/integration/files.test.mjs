// files.test.mjs - the files that hold secrets are the owner's alone
// (#12 item 7): the SQLite database and its -wal/-shm (signing keys,
// password hashes), the generated TLS key and exports are created 0600
// whatever the caller's umask, and `serve` warns, naming the file and the
// fix, when an existing database is readable by group or others.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl, IDS, ACC_A, FIXTURES, waitForLog,
  sqliteOnly,
} from './lib/server.mjs';

const perms = (f) => statSync(f).mode & 0o777;

describe('file permissions', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop(); });
  const oldMask = process.umask(0o022);   // what most shells have: files 0644 unless profiled says otherwise
  after(() => process.umask(oldMask));

  it('database, -wal, -shm and -changes are created 0600, the TLS key 0600, an export 0600', async () => {
    const db = freshDb();
    importFile(db.url, path.join(FIXTURES, 'tenant.json'));
    if (db.file) assert.equal(perms(db.file), 0o600, 'database file');  // PostgreSQL: no local file
    const token = mintToken(db.url, IDS.ann);
    const srv = await startServer({ db: db.url, extraArgs: ['--https-port', '0', '--data-dir', path.join(db.dir, 'tls')] });
    servers.push(srv);
    const r = await http('PUT', profileUrl(srv.base, ACC_A, IDS.ann), { token, json: { title: 'Mode check' } });
    assert.equal(r.status, 200, r.text());
    for (const f of db.file ? [db.file, `${db.file}-wal`, `${db.file}-shm`, `${db.file}-changes`] : []) {
      assert.ok(existsSync(f), `${f} exists`);
      assert.equal(perms(f), 0o600, `${path.basename(f)} is 0600, not ${perms(f).toString(8)}`);
    }
    assert.equal(perms(path.join(db.dir, 'tls')), 0o700, 'data directory');
    assert.equal(perms(path.join(db.dir, 'tls', 'key.pem')), 0o600, 'TLS key');
    const out = path.join(db.dir, 'export.json');
    cliOk(['export', '--db', db.url, '--output', out]);
    assert.equal(perms(out), 0o600, 'export (holds password hashes)');
    assert.doesNotMatch(srv.stderr(), /readable by other users/);
  });

  it('serve warns about a database that others can read, naming the file and the fix',
     sqliteOnly('the database is a local file only on SQLite'), async () => {
    const db = freshDb();
    importFile(db.url, path.join(FIXTURES, 'tenant.json'));
    chmodSync(db.file, 0o644);
    const srv = await startServer({ db: db.url });
    servers.push(srv);
    const line = await waitForLog(srv, 'readable by other users');
    assert.ok(line, `a warning in:\n${srv.stderr()}`);
    const j = JSON.parse(line);
    assert.equal(j.level, 'warn');
    assert.equal(j.component, 'store');
    assert.ok(j.msg.includes(db.file) && j.msg.includes('0644') && j.msg.includes(`chmod 600 ${db.file}`), j.msg);
  });
});
