// db-lost.test.mjs - the database file is never created by accident and
// never written after it is gone (#12 item 6):
//   - `serve` on a path with no database fails with a clear message and
//     creates nothing, unless started with --create (or --demo);
//   - commands that only read (export, token, keys) do not create one;
//   - a database deleted, moved or replaced while the server runs: writes
//     are refused (nothing acknowledged into an unlinked file), /healthz
//     answers 503, and one error line says why.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, unlinkSync, renameSync, copyFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, cli, importFile, mintToken, startServer, http, profileUrl, IDS, ACC_A, FIXTURES, waitForLog,
  sqliteOnly,
} from './lib/server.mjs';

describe('database file: never created by accident, never written once gone', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop(); });

  it('serve on a missing database fails with a clear message and creates nothing', () => {
    const db = freshDb();
    const r = cli(['serve', '--listen', '127.0.0.1', '--port', '0', '--db', db.url]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /does not exist/);
    assert.match(r.stderr, /--create/);
    assert.equal(existsSync(db.file), false, 'no empty database was made');
  });

  it('serve --create makes an empty database (0600) and serves it', async () => {
    const db = freshDb();
    const srv = await startServer({ db: db.url, extraArgs: ['--create'] });
    servers.push(srv);
    assert.equal((await http('GET', `${srv.base}/healthz`)).status, 200);
    if (db.file) assert.equal(statSync(db.file).mode & 0o777, 0o600);  // PostgreSQL: no local file
  });

  it('export, token and keys do not create a database', () => {
    const db = freshDb();
    for (const args of [['export'], ['token', '--user', IDS.ann], ['keys', 'list']]) {
      const r = cli([...args, '--db', db.url]);
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /does not exist/, args[0]);
      assert.equal(existsSync(db.file), false, `${args[0]} made no database`);
    }
  });

  for (const how of ['deleted', 'replaced']) {
    it(`a database ${how} while running: writes refused, /healthz 503, one error line`,
       sqliteOnly('about the database file (PostgreSQL: postgres.test.mjs restarts the connections)'), async () => {
      const db = freshDb();
      importFile(db.url, path.join(FIXTURES, 'tenant.json'));
      const token = mintToken(db.url, IDS.ann);
      const srv = await startServer({ db: db.url });
      servers.push(srv);
      const url = profileUrl(srv.base, ACC_A, IDS.ann);
      assert.equal((await http('PUT', url, { token, json: { title: 'before' } })).status, 200);
      assert.equal((await http('GET', `${srv.base}/healthz`)).status, 200);

      if (how === 'deleted') {
        for (const f of [db.file, `${db.file}-wal`, `${db.file}-shm`]) if (existsSync(f)) unlinkSync(f);
      } else {
        const other = freshDb();
        importFile(other.url, path.join(FIXTURES, 'tenant.json'));
        copyFileSync(other.file, `${db.file}.new`);
        renameSync(`${db.file}.new`, db.file);
      }
      const put = await http('PUT', url, { token, json: { title: 'after' } });
      assert.equal(put.status, 500, put.text());
      assert.equal(put.json().errorCode, 'UNSPECIFIED_ERROR');
      const h = await http('GET', `${srv.base}/healthz`);
      assert.equal(h.status, 503);
      const line = await waitForLog(srv, 'refusing writes');
      assert.ok(line, srv.stderr());
      assert.equal(JSON.parse(line).level, 'error');
      assert.match(line, how === 'deleted' ? /deleted or moved/ : /replaced/);
      if (how === 'deleted') assert.equal(existsSync(db.file), false, 'no new database appeared');
    });
  }
});
