// put-kill9.test.mjs - no acknowledged PUT profile is lost when the server is
// killed with SIGKILL in the middle of a stream of writes, with either SQLite
// durability setting (--db-sync normal and full; on PostgreSQL the setting
// is accepted and ignored, and the same must hold).
//
// 16 writers (8 fields of 2 users) send partial PUTs concurrently, each
// writer setting its own field to "wN-1", "wN-2", ... one after another, so
// concurrent partial updates of one profile also meet here.  Every answer
// 200 is recorded as the writer's last acknowledged number.  Once enough
// are acknowledged the server is killed while PUTs are still in flight; a
// new process on the same database must then show, for every writer, the
// last acknowledged number or the one after it (in flight at the kill:
// committed but its 200 lost).  A server that answered before its COMMIT,
// or a merge that lost another writer's field, shows an older number.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  cli, tempDir, freshDb, cliOk, importFile, mintToken, startServer, http, profileUrl, IDS, ACC_A, FIXTURES,
  PROFILE_FIELDS,
} from './lib/server.mjs';

const NO_LIMITS = ['--rate-limit-hourly', '0', '--rate-limit-burst', '0', '--rate-limit-anonymous-burst', '0'];
const KILL_AFTER = 400;          // acknowledged PUTs before the kill

// the field each writer owns: [get from the profile, patch that sets it]
const FIELDS = PROFILE_FIELDS;

async function killMidStream(mode) {
  const servers = [];
  try {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, path.join(FIXTURES, 'tenant.json'));
    const users = ['ann', 'bob'];
    const tokens = Object.fromEntries(users.map((u) => [u, mintToken(db.url, IDS[u])]));
    const args = ['--db-sync', mode, '--log-level', 'warn', ...NO_LIMITS];
    const first = await startServer({ db: db.url, extraArgs: args });
    servers.push(first);

    const writers = [];
    for (const who of users)
      FIELDS.forEach((f, k) => writers.push({ who, k, tag: `${who[0]}${k}`, acked: 0, sent: 0 }));
    let total = 0;
    let killed = false;
    let killing;
    const run = async (w) => {
      const [, patch] = FIELDS[w.k];
      for (let i = 1; ; i++) {          // until the server is gone
        w.sent = i;
        let r;
        try {
          r = await http('PUT', profileUrl(first.base, ACC_A, IDS[w.who]),
            { token: tokens[w.who], json: patch(`${w.tag}-${i}`) });
        } catch {
          return;                       // the connection died with the server
        }
        assert.equal(r.status, 200, r.text());
        w.acked = i;                    // also those answered just before the kill landed
        if (++total === KILL_AFTER && !killed) {
          killed = true;
          killing = first.stop('SIGKILL');
        }
      }
    };
    await Promise.all(writers.map(run));
    const r = await killing;
    assert.equal(r.signal, 'SIGKILL', 'the server was killed, not stopped');
    // every writer was still writing: its last PUT met the dead server
    for (const w of writers) assert.equal(w.sent, w.acked + 1, `${w.tag} was writing at the kill`);

    const second = await startServer({ db: db.url, extraArgs: args });
    servers.push(second);
    for (const who of users) {
      const g = await http('GET', profileUrl(second.base, ACC_A, IDS[who]), { token: tokens[who] });
      assert.equal(g.status, 200);
      const p = g.json();
      for (const w of writers.filter((x) => x.who === who)) {
        const [get] = FIELDS[w.k];
        const v = get(p);
        assert.ok(w.acked > 0, `${w.tag}: nothing acknowledged`);
        const m = typeof v === 'string' ? /^([a-z]\d)-(\d+)$/.exec(v) : null;
        assert.ok(m && m[1] === w.tag, `${w.tag}: stored value ${JSON.stringify(v)}`);
        const n = Number(m[2]);
        assert.ok(n === w.acked || n === w.acked + 1,
          `${mode}: ${w.tag} acknowledged ${w.acked} (sent ${w.sent}) but the database holds ${n}`);
      }
    }
    return total;
  } finally {
    for (const s of servers) await s.stop('SIGKILL');
  }
}

describe('acknowledged PUTs survive kill -9 mid-stream', () => {
  for (const mode of ['normal', 'full']) {
    it(`--db-sync ${mode}: every acknowledged value is there after SIGKILL and restart`, async () => {
      const total = await killMidStream(mode);
      assert.ok(total >= KILL_AFTER);
    });
  }
});

describe('--db-sync setting', () => {
  it('--check-config accepts normal and full from flag, environment and config file', () => {
    const dir = tempDir();
    const conf = path.join(dir, 'p.conf');
    writeFileSync(conf, 'db-sync = full\n');
    for (const [args, env] of [[['--db-sync', 'normal'], {}], [['--db-sync', 'full'], {}],
      [[], { PROFILED_DB_SYNC: 'full' }], [['--config', conf], {}]]) {
      const r = cli(['serve', '--check-config', ...args], { env, timeout: 10_000 });
      assert.equal(r.code, 0, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stdout, /configuration OK/);
    }
  });

  it('--check-config refuses any other value with a message naming the setting (exit 2)', () => {
    const dir = tempDir();
    const conf = path.join(dir, 'p.conf');
    writeFileSync(conf, 'db-sync = always\n');
    for (const [args, env, bad] of [[['--db-sync', 'off'], {}, 'off'], [['--db-sync', 'FULL'], {}, 'FULL'],
      [[], { PROFILED_DB_SYNC: 'extra' }, 'extra'], [['--config', conf], {}, 'always']]) {
      const r = cli(['serve', '--check-config', ...args], { env, timeout: 10_000 });
      assert.equal(r.code, 2, `${bad}: exit ${r.code}`);
      assert.match(r.stderr, new RegExp(`db-sync: '${bad}' is not one of normal, full`));
    }
  });

  it('serve --help lists it with its environment variable and default', () => {
    const r = cli(['serve', '--help'], { timeout: 10_000 });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--db-sync VALUE[^\n]*normal[^\n]*full/);
    assert.match(r.stdout, /env PROFILED_DB_SYNC, default 'normal'/);
  });
});
