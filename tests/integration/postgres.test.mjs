// postgres.test.mjs - what only the PostgreSQL backend has (the suite runs
// on PostgreSQL with PROFILED_TEST_DB=postgres; on SQLite these skip):
//   - the database server restarts under a running node: calls fail (5xx,
//     /healthz 503) while it is down, the node neither crashes nor hangs,
//     and once it is back the node serves again without a restart, every
//     acknowledged write still there (the PostgreSQL side of db-lost.test.mjs);
//   - `serve` on a database without the schema fails clearly (the
//     PostgreSQL side of "never created by accident");
//   - export from SQLite, import into PostgreSQL (and back): identical
//     exports, images byte-exact;
//   - an import leaves planner statistics for the tables it filled (it runs
//     ANALYZE after its commit), and a failed import does not.
// The restart test runs its own throwaway server (scripts/pg-tmp.sh) so the
// shared one keeps serving the other files.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ROOT, ON_POSTGRES, tempDir, freshDb, cli, cliOk, importFile, exportDb, mintToken, startServer, http, profileUrl,
  IDS, ACC_A, FIXTURES, sleep, dbExec,
} from './lib/server.mjs';

const PG_TMP = path.join(ROOT, 'scripts/pg-tmp.sh');
const onlyPg = ON_POSTGRES ? {} : { skip: 'PostgreSQL only (PROFILED_TEST_DB=postgres)' };

function pgTmp(...args) {
  const r = spawnSync(PG_TMP, args, { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: (r.stdout || '').trim(), err: r.stderr || '' };
}

describe('PostgreSQL backend', onlyPg, () => {
  const servers = [];
  const pgDirs = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of pgDirs) pgTmp('stop', d);
  });

  it('serve on a database without the schema fails clearly unless --create', async () => {
    const db = freshDb();
    const r = cli(['serve', '--listen', '127.0.0.1', '--port', '0', '--db', db.url]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /schema does not exist/);
    assert.match(r.stderr, /--create/);
    assert.doesNotMatch(r.stderr, /password/i);
    const srv = await startServer({ db: db.url, extraArgs: ['--create'] });
    servers.push(srv);
    assert.equal((await http('GET', `${srv.base}/healthz`)).status, 200);
  });

  it('an import leaves planner statistics for the tables it filled; a failed one changes nothing', () => {
    const analyzed = (db) => dbExec(db, "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                                        + " AND relname IN ('users', 'memberships', 'accounts') ORDER BY relname").trim();
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    const bad = path.join(tempDir(), 'bad.json');
    writeFileSync(bad, JSON.stringify({ users: [{ userId: 'not-a-guid', email: 'x@y.test' }] }));
    const r = cli(['import', '--db', db.url, bad]);
    assert.notEqual(r.code, 0, 'the bad record fails the import');
    assert.equal(analyzed(db), '', 'nothing analyzed after a failed import');
    importFile(db.url, path.join(FIXTURES, 'tenant.json'));
    assert.equal(analyzed(db), 'accounts\nmemberships\nusers');
    assert.equal(dbExec(db, 'SELECT count(*) FROM users').trim(), '4');
  });

  it('a deployment moves from SQLite to PostgreSQL and back: identical exports, images byte-exact', () => {
    const dir = tempDir();
    const lite = `sqlite:${path.join(dir, 'from.db')}`;
    importFile(lite, path.join(FIXTURES, 'tenant.json'));
    const out = path.join(dir, 'from.json');
    cliOk(['export', '--db', lite, '--output', out]);
    const text = readFileSync(out, 'utf8');
    assert.ok(JSON.parse(text).users.some((u) => u.profileImage), 'the fixture carries images');
    const pg = freshDb();
    importFile(pg.url, out);
    assert.equal(exportDb(pg.url), text, 'PostgreSQL exports what SQLite exported');
    const back = `sqlite:${path.join(dir, 'back.db')}`;
    const out2 = path.join(dir, 'pg.json');
    cliOk(['export', '--db', pg.url, '--output', out2]);
    importFile(back, out2);
    assert.equal(exportDb(back), text, 'and back again');
  });

  it('the database restarts under a running node: 5xx while down, served again after, nothing acknowledged lost', async () => {
    const parent = tempDir();
    chmodSync(parent, 0o711);     // the server runs as `nobody` when the tests run as root
    const dir = path.join(parent, 'pg');
    let port = 0;
    for (let i = 0; i < 5 && !port; i++) {
      const p = 20000 + Math.floor(Math.random() * 30000);
      if (pgTmp('start', dir, String(p)).code === 0) port = p;
    }
    assert.ok(port, 'a private PostgreSQL started');
    pgDirs.push(dir);
    const url = pgTmp('url', dir, String(port), 'restart').out;
    assert.match(url, /^postgresql:\/\//);
    cliOk(['migrate', '--db', url]);
    importFile(url, path.join(FIXTURES, 'tenant.json'));
    const token = mintToken(url, IDS.ann);
    const srv = await startServer({ db: url });
    servers.push(srv);
    const purl = profileUrl(srv.base, ACC_A, IDS.ann);
    for (let i = 0; i < 10; i++) {
      const r = await http('PUT', purl, { token, json: { title: `before ${i}` } });
      assert.equal(r.status, 200, r.text());
    }

    assert.equal(pgTmp('stop', dir).code, 0);
    for (let i = 0; i < 6; i++) {
      const g = await http('PUT', purl, { token, json: { title: 'while down' } });
      assert.ok(g.status >= 500, `a write while the database is down answers 5xx, not ${g.status}`);
    }
    assert.equal((await http('GET', `${srv.base}/healthz`)).status, 503);
    assert.equal(srv.proc.exitCode, null, 'the node is still running');

    assert.equal(pgTmp('start', dir, String(port)).code, 0);
    let back = null;
    for (let i = 0; i < 50 && !back; i++) {
      const r = await http('GET', purl, { token });
      if (r.status === 200) back = r;
      else await sleep(100);
    }
    assert.ok(back, 'the node serves again without a restart');
    assert.equal(back.json().title, 'before 9', 'the last acknowledged write survived the restart');
    assert.equal((await http('PUT', purl, { token, json: { title: 'after' } })).status, 200);
    assert.equal((await http('GET', purl, { token })).json().title, 'after');
    assert.equal((await http('GET', `${srv.base}/healthz`)).status, 200);
  });
});
