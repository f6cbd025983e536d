// write-queue.test.mjs - PUT profile runs on the write queue's thread
// (http/writeq.c: the worker suspends the connection, the queue runs the
// handler and resumes it).  What must hold, with two worker threads:
//  - every answer reaches the connection whose request it answers: rounds of
//    concurrent PUTs mixing one valid update per user with refusals of every
//    kind (other user's profile, foreign account, malformed body, no token,
//    forged token), half on fresh connections and half on kept-alive ones;
//    each answer must be the one that request gets alone, and after each
//    round each user's stored title is the one its PUT of that round set;
//  - a graceful stop (SIGTERM) with PUTs parked in the queue ends cleanly
//    (exit 0: libmicrohttpd must not be stopped with a suspended
//    connection) and loses no acknowledged PUT;
//  - the queue's batch shares one transaction (group commit): when one
//    request's statement rolls that transaction back (a trigger's
//    RAISE(ROLLBACK) here), the requests of its group that had succeeded
//    are answered as store failures, so every 200 is stored and every 500
//    is not, and the audit log tells of the 200s only (its lines are held
//    until the group's COMMIT);
//  - a stop whose 10 s grace runs out while PUTs are still parked (another
//    process holds the database's write lock for 12 s, so each queued PUT
//    waits out the 5 s busy timeout) still exits 0, every PUT answered;
//  - PostgreSQL: the batch shares one transaction too, each request's own in
//    a savepoint of it, so a request whose statement fails (a trigger's
//    RAISE EXCEPTION) undoes its own writes only: every other PUT of its
//    group is stored, answered 200 and audited;
//  - PostgreSQL, two nodes: their groups take the row locks of the same users
//    in one order (a batch runs in user-id order), so concurrent batches
//    arriving in opposite orders wait for each other and never deadlock
//    (a deadlock would answer one PUT 500 after PostgreSQL's 1 s check);
//  - and when the lock outlasts the stop, the PUTs the queue had not begun
//    are answered 503 unrun once the grace is over, so the stop ends within
//    the grace and two busy timeouts instead of one busy timeout per PUT,
//    and none of them is stored.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, rawHttp, profileUrl, IDS, ACC_A, ACC_B, dbExec,
  tempDir, exportDb,
  FIXTURES, sqliteOnly, ON_POSTGRES,
  PROFILE_FIELDS,
} from './lib/server.mjs';

const NO_LIMITS = ['--rate-limit-hourly', '0', '--rate-limit-burst', '0',
  '--rate-limit-anonymous-hourly', '0', '--rate-limit-anonymous-burst', '0'];

async function tenant(extra = [], beforeStart = () => {}) {
  const db = freshDb();
  cliOk(['migrate', '--db', db.url]);
  importFile(db.url, path.join(FIXTURES, 'tenant.json'));
  beforeStart(db);
  const tokens = {};
  for (const u of ['ann', 'bob', 'cat', 'dan']) tokens[u] = mintToken(db.url, IDS[u]);
  const server = await startServer({ db: db.url, extraArgs: ['--threads', '2', '--log-level', 'warn', ...NO_LIMITS, ...extra] });
  return { db, tokens, server };
}

// One request, on a fresh connection (raw) or the kept-alive pool (fetch).
async function send(fresh, url, { token, body, contentType = 'application/json' }) {
  const headers = { 'Content-Type': contentType };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = fresh
    ? await rawHttp('PUT', url, { headers, body: Buffer.from(body) })
    : await http('PUT', url, { headers, body });
  const text = r.body.toString('utf8');
  let code = null;
  if (text) code = JSON.parse(text).errorCode ?? null;
  return { status: r.status, code };
}

// Another process (the sqlite3 shell) takes the database's write lock and
// holds it until release(); done resolves once that process exited.
async function lockWrites(db) {
  const locker = spawn('sqlite3', [db.url.slice('sqlite:'.length)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = new Promise((r) => locker.on('exit', r));
  const held = new Promise((resolve, reject) => {
    let out = '';
    locker.stdout.on('data', (d) => { out += d; if (out.includes('locked')) resolve(); });
    locker.on('exit', () => reject(new Error(`sqlite3 exited before it held the lock: ${out}`)));
  });
  locker.stdin.write(".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await held;                                            // printed once BEGIN IMMEDIATE succeeded
  let released = false;
  const release = () => {
    if (!released) locker.stdin.end('ROLLBACK;\n.quit\n');
    released = true;
  };
  return { release, done };
}

// A PUT of user u's title on a fresh connection, patient enough for a stop.
function putTitle(server, tokens, u, title) {
  return rawHttp('PUT', profileUrl(server.base, ACC_A, IDS[u]), {
    headers: { Authorization: `Bearer ${tokens[u]}`, 'Content-Type': 'application/json' },
    body: Buffer.from(JSON.stringify({ title })), timeout: 90_000,
  });
}

// Waits until n requests are parked in the write queue (the
// profiled_write_queue_parked gauge, read on a fresh connection each time),
// so a stop is sent with exactly those queued however slow the machine.
async function parked(server, n, ms = 30_000) {
  const until = Date.now() + ms;
  let seen = null;
  while (Date.now() < until) {
    const r = await rawHttp('GET', `${server.base}/metrics`);
    assert.equal(r.status, 200);
    const m = /^profiled_write_queue_parked (\d+)$/m.exec(r.body.toString('utf8'));
    assert.ok(m, 'the gauge profiled_write_queue_parked is exported');
    seen = Number(m[1]);
    if (seen === n) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`${n} requests never parked together (last seen ${seen})`);
}

// SIGTERM by hand (such a stop outlasts the harness's 10 s stop timeout):
// the answers of puts and how long the stop took; it must exit 0 cleanly.
async function stopWith(server, puts) {
  const t0 = Date.now();
  server.proc.kill('SIGTERM');
  const answers = await Promise.all(puts);
  const exit = await server.exited;
  const took = Date.now() - t0;
  assert.deepEqual(exit, { code: 0, signal: null }, server.stderr().slice(-3000));
  assert.doesNotMatch(server.stderr(), /Sanitizer|runtime error: |PANIC|[Ss]uspended/);
  return { answers, took };
}

describe('write queue: PUT profile on the queue thread (SQLite: on the write lane; PostgreSQL: on the thread\'s own connection)', () => {
  it('every answer reaches its own connection, and each round\'s update is the one stored', async () => {
    const { tokens, server } = await tenant();
    try {
      const own = (u, acc = ACC_A) => profileUrl(server.base, acc, IDS[u]);
      const forged = tokens.ann.slice(0, -4) + (tokens.ann.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      // the refusals, each answered alone first: that answer is the expectation
      const refusals = [
        ['other user', { url: own('ann'), token: tokens.bob, body: '{"title":"x"}' }],
        ['foreign account', { url: own('cat', ACC_B), token: tokens.ann, body: '{"title":"x"}' }],
        ['malformed body', { url: own('ann'), token: tokens.ann, body: '{"title": ' }],
        ['invalid member', { url: own('bob'), token: tokens.bob, body: '{"userDetails":{"lastName":"' + 'q'.repeat(51) + '"}}' }],
        ['no token', { url: own('bob'), token: null, body: '{"title":"x"}' }],
        ['forged token', { url: own('bob'), token: forged, body: '{"title":"x"}' }],
      ];
      const expected = {};
      for (const [what, q] of refusals) {
        expected[what] = await send(true, q.url, q);
        assert.ok(expected[what].status >= 400, `${what} alone: ${JSON.stringify(expected[what])}`);
      }
      const writers = ['ann', 'bob', 'dan'];
      for (let round = 1; round <= 6; round++) {
        const jobs = [];
        let n = 0;
        for (const u of writers) {
          const title = `${u}-round-${round}`;
          jobs.push(send(n++ % 2 === 0, own(u), { token: tokens[u], body: JSON.stringify({ title }) })
            .then((r) => assert.deepEqual(r, { status: 200, code: null }, `${u} round ${round}`)));
        }
        for (let copy = 0; copy < 6; copy++) {
          for (const [what, q] of refusals) {
            jobs.push(send(n++ % 2 === 0, q.url, q)
              .then((r) => assert.deepEqual(r, expected[what], `${what} round ${round} copy ${copy}`)));
          }
        }
        await Promise.all(jobs);
        for (const u of writers) {
          const g = await http('GET', own(u), { token: tokens[u] });
          assert.equal(g.status, 200);
          assert.equal(g.json().title, `${u}-round-${round}`, `${u} after round ${round}`);
        }
      }
    } finally {
      await server.stop();
    }
  });

  it('SIGTERM with PUTs in the queue: a clean exit, and every acknowledged PUT is stored', async () => {
    const { db, tokens, server } = await tenant();
    const FIELDS = PROFILE_FIELDS;
    // one writer per field of each user, setting "tag-1", "tag-2", ... in turn:
    // after the stop each field holds the writer's last acknowledged value or
    // the one after it (answered as the server stopped)
    const writers = [];
    for (const who of ['ann', 'bob', 'dan'])
      FIELDS.forEach((f, k) => writers.push({ who, k, acked: 0, tag: `${who[0]}${k}` }));
    let total = 0;
    let stopping;
    const run = async (w) => {
      const [, patch] = FIELDS[w.k];
      for (let i = 1; ; i++) {
        let r;
        try {
          r = await http('PUT', profileUrl(server.base, ACC_A, IDS[w.who]),
            { token: tokens[w.who], json: patch(`${w.tag}-${i}`) });
        } catch {
          return;                     // refused: the server is stopping
        }
        if (r.status !== 200) return; // e.g. 503 while stopping
        w.acked = i;
        if (++total === 300) stopping = server.stop('SIGTERM');  // throws unless exit 0, clean
        if (stopping && r.headers.get('connection') === 'close') return;
      }
    };
    await Promise.all(writers.map(run));
    const res = await stopping;
    assert.equal(res.code, 0);
    const again = await startServer({ db: db.url, extraArgs: ['--log-level', 'warn', ...NO_LIMITS] });
    try {
      for (const who of ['ann', 'bob', 'dan']) {
        const g = await http('GET', profileUrl(again.base, ACC_A, IDS[who]), { token: tokens[who] });
        assert.equal(g.status, 200);
        const p = g.json();
        FIELDS.forEach(([get], k) => {
          const v = get(p);
          const w = writers.find((x) => x.who === who && x.k === k);
          const m = /^([a-z]\d)-(\d+)$/.exec(v ?? '');
          assert.ok(m && m[1] === w.tag, `${who} field ${k}: stored ${JSON.stringify(v)}`);
          assert.ok(w.acked > 0, `${w.tag}: nothing acknowledged`);
          const n = Number(m[2]);
          assert.ok(n === w.acked || n === w.acked + 1,
            `${who} field ${k}: ${w.tag} acknowledged ${w.acked}, stored ${n}`);
        });
      }
    } finally {
      await again.stop();
    }
  });

  it('a stop whose grace runs out with PUTs still queued exits cleanly and answers them',
     sqliteOnly('holds the SQLite file\'s write lock from another process'), async () => {
    const { db, tokens, server } = await tenant();
    const lock = await lockWrites(db);                   // held for 12 s
    const releaseAt = setTimeout(lock.release, 12_000);
    try {
      const puts = ['ann', 'bob', 'dan'].map((u) => putTitle(server, tokens, u, `${u}-at-stop`));
      await parked(server, 3);                           // all three behind the lock
      const { answers, took } = await stopWith(server, puts);
      assert.ok(took >= 10_000, `the grace ran out with PUTs parked (stop took ${took} ms)`);
      // the first ones wait out the lock: the store's error (500, nothing
      // changed); once the grace is over what the queue had not begun is
      // answered 503 unrun, and one begun before may see the lock go (200)
      const statuses = answers.map((a) => a.status);
      for (const a of answers)
        assert.ok([200, 500, 503].includes(a.status), `answered ${a.status}: ${a.body.toString('utf8')}`);
      assert.ok(statuses.includes(500), `the first PUT waited out the lock: ${statuses}`);
    } finally {
      clearTimeout(releaseAt);
      lock.release();
      await lock.done;
      await server.stop('SIGKILL');
    }
  });

  it('a stop whose grace runs out behind a lock that outlasts it: what has not begun is answered 503 unrun',
     sqliteOnly('holds the SQLite file\'s write lock from another process'), async () => {
    const { db, tokens, server } = await tenant();
    const lock = await lockWrites(db);                   // held until the end
    // members of ACC_A only: cat's PUT there is refused (403) by its
    // prelude's reads, which need no lock, whenever the queue reaches it
    const users = ['ann', 'bob', 'dan'];
    try {
      // 12 PUTs: run one by one behind the lock they would hold a stop
      // for 12 busy timeouts (60 s)
      const puts = [];
      for (let i = 0; i < 12; i++) {
        const u = users[i % users.length];
        puts.push(putTitle(server, tokens, u, `${u}-unrun-${i}`));
      }
      await parked(server, 12);                          // all accepted and parked
      const { answers, took } = await stopWith(server, puts);
      // the grace (10 s), the request running then, and a group's BEGIN
      assert.ok(took >= 10_000 && took < 25_000, `the stop took ${took} ms`);
      const unrun = answers.filter((a) => a.status === 503);
      for (const a of answers)
        assert.ok(a.status === 500 || a.status === 503, `answered ${a.status}: ${a.body.toString('utf8')}`);
      assert.ok(unrun.length >= 6, `most were not begun: ${answers.map((a) => a.status)}`);
      for (const a of unrun) {
        assert.equal(JSON.parse(a.body.toString('utf8')).errorCode, 'SERVICE_UNAVAILABLE');
        assert.match(a.body.toString('utf8'), /not run and nothing was changed/);
        assert.equal(a.headers.get('retry-after'), '2');
      }
    } finally {
      lock.release();
      await lock.done;
      await server.stop('SIGKILL');
    }
    const titles = JSON.parse(exportDb(db.url)).users.map((u) => JSON.stringify(u));
    assert.ok(!titles.some((t) => t.includes('-unrun-')), 'no PUT of the stop was stored');
  });

  it('a group rolled back by one request\'s statement: every 200 stored and audited, every 500 neither',
     sqliteOnly('a trigger with RAISE(ROLLBACK) in the SQLite file'), async () => {
    const auditFile = path.join(tempDir(), 'audit.log');
    const { tokens, server } = await tenant(['--audit-log', auditFile], (db) => dbExec(db,
      "CREATE TRIGGER poison BEFORE UPDATE ON users WHEN NEW.profile_json LIKE '%poison%' " +
      "BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;"));
    try {
      const url = (u) => profileUrl(server.base, ACC_A, IDS[u]);
      const titleOf = async (u) => (await http('GET', url(u), { token: tokens[u] })).json().title;
      let oks = 0;
      let sharedFate = 0;
      const okFor = { ann: 0, bob: 0 };
      for (let round = 1; round <= 20; round++) {
        const sent = { ann: `ann-${round}`, bob: `bob-${round}`, dan: `poison-${round}` };
        const before = {};
        for (const u of Object.keys(sent)) before[u] = await titleOf(u);
        const answers = await Promise.all(Object.entries(sent).map(([u, title], i) =>
          send(i % 2 === 0, url(u), { token: tokens[u], body: JSON.stringify({ title }) })));
        const byUser = Object.fromEntries(Object.keys(sent).map((u, i) => [u, answers[i]]));
        assert.deepEqual(byUser.dan, { status: 500, code: 'UNSPECIFIED_ERROR' }, `round ${round}: the poisoned one`);
        for (const u of ['ann', 'bob']) {
          const a = byUser[u];
          const now = await titleOf(u);
          if (a.status === 200) {
            oks++;
            okFor[u]++;
            assert.equal(now, sent[u], `round ${round}: ${u} answered 200, stored ${now}`);
          } else {
            sharedFate++;
            assert.deepEqual(a, { status: 500, code: 'UNSPECIFIED_ERROR' }, `round ${round}: ${u}`);
            assert.equal(now, before[u], `round ${round}: ${u} answered 500, but ${now} was stored`);
          }
        }
        assert.equal(await titleOf('dan'), before.dan, `round ${round}: the poisoned one stored nothing`);
      }
      assert.ok(oks > 0, 'some PUTs were written');
      // the server counts the same: every PUT went through the queue, and the
      // good ones answered 500 are the ones it rolled back with the poisoned one
      const m = (await http('GET', `${server.base}/metrics`)).text();
      const metric = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m)?.[1]);
      assert.equal(metric('profiled_write_queue_requests_total'), 20 * 3);
      assert.equal(metric('profiled_write_queue_rolled_back_total'), sharedFate);
      assert.ok(metric('profiled_write_queue_batches_total') <= 20 * 3);
      // how often a good PUT shared the poisoned one's group depends on timing
      console.log(`# group commit: ${oks} PUTs written, ${sharedFate} rolled back with the poisoned one`);
      await server.stop();                  // the audit file is complete once it exited
      const updates = readFileSync(auditFile, 'utf8').split('\n').filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l)).filter((l) => l.event === 'profile.update');
      const audited = (u) => updates.filter((l) => l.target === IDS[u] && l.outcome === 'ok').length;
      assert.equal(audited('ann'), okFor.ann, 'an audit line for every 200 of ann, none for a 500');
      assert.equal(audited('bob'), okFor.bob, 'an audit line for every 200 of bob, none for a 500');
      assert.equal(audited('dan'), 0, 'the poisoned PUTs changed nothing');
    } finally {
      await server.stop();
    }
  });
  it('PostgreSQL: a request whose statement fails inside a group undoes only its own writes',
     ON_POSTGRES ? {} : { skip: 'PostgreSQL only: a PL/pgSQL trigger' }, async () => {
    const auditFile = path.join(tempDir(), 'audit.log');
    const { tokens, server } = await tenant(['--audit-log', auditFile], (db) => dbExec(db,
      "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
      "IF NEW.profile_json::text LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned'; END IF; " +
      'RETURN NEW; END $$; ' +
      'CREATE TRIGGER poison BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION poison();'));
    try {
      const url = (u) => profileUrl(server.base, ACC_A, IDS[u]);
      const titleOf = async (u) => (await http('GET', url(u), { token: tokens[u] })).json().title;
      const rounds = 20;
      for (let round = 1; round <= rounds; round++) {
        const sent = { ann: `ann-${round}`, bob: `bob-${round}`, dan: `poison-${round}` };
        const before = await titleOf('dan');
        const answers = await Promise.all(Object.entries(sent).map(([u, title], i) =>
          send(i % 2 === 0, url(u), { token: tokens[u], body: JSON.stringify({ title }) })));
        assert.deepEqual(answers[0], { status: 200, code: null }, `round ${round}: ann`);
        assert.deepEqual(answers[1], { status: 200, code: null }, `round ${round}: bob`);
        assert.deepEqual(answers[2], { status: 500, code: 'UNSPECIFIED_ERROR' }, `round ${round}: the poisoned one`);
        assert.equal(await titleOf('ann'), sent.ann, `round ${round}: ann's update is stored`);
        assert.equal(await titleOf('bob'), sent.bob, `round ${round}: bob's update is stored`);
        assert.equal(await titleOf('dan'), before, `round ${round}: the poisoned one stored nothing`);
      }
      const m = (await http('GET', `${server.base}/metrics`)).text();
      const metric = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m)?.[1]);
      assert.equal(metric('profiled_write_queue_requests_total'), rounds * 3, 'every PUT went through the queue');
      assert.equal(metric('profiled_write_queue_rolled_back_total'), 0, 'no group was lost');
      const batches = metric('profiled_write_queue_batches_total');
      assert.ok(batches >= 1 && batches < rounds * 3, 'some PUTs shared a group with another');
      console.log(`# PostgreSQL group commit: ${rounds * 3} PUTs in ${batches} batches`);
      await server.stop();
      const updates = readFileSync(auditFile, 'utf8').split('\n').filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l)).filter((l) => l.event === 'profile.update');
      const audited = (u) => updates.filter((l) => l.target === IDS[u] && l.outcome === 'ok').length;
      assert.equal(audited('ann'), rounds, 'an audit line for every 200 of ann');
      assert.equal(audited('bob'), rounds, 'an audit line for every 200 of bob');
      assert.equal(audited('dan'), 0, 'the poisoned PUTs changed nothing');
    } finally {
      await server.stop();
    }
  });
  it('PostgreSQL, two nodes: batches of the same users in opposite orders never deadlock',
     ON_POSTGRES ? {} : { skip: 'PostgreSQL only: row locks held by a group until its COMMIT' }, async () => {
    const { db, tokens, server } = await tenant();
    const other = await startServer({ db: db.url, extraArgs: ['--threads', '2', '--log-level', 'warn', ...NO_LIMITS] });
    try {
      const users = ['ann', 'bob', 'dan'];           // the members of ACC_A
      const put = (node, u, title) => send(true, profileUrl(node.base, ACC_A, IDS[u]),
        { token: tokens[u], body: JSON.stringify({ title }) });
      for (let round = 1; round <= 15; round++) {
        const sent = [];
        for (const [node, order] of [[server, users], [other, [...users].reverse()]]) {
          for (const u of order) sent.push({ u, title: `${node === server ? 'a' : 'b'}-${u}-${round}`, node });
        }
        const answers = await Promise.all(sent.map((p) => put(p.node, p.u, p.title)));
        answers.forEach((a, i) => assert.deepEqual(a, { status: 200, code: null },
          `round ${round}: ${sent[i].u} on node ${sent[i].node === server ? 'a' : 'b'}`));
        for (const u of users) {
          const title = (await http('GET', profileUrl(server.base, ACC_A, IDS[u]), { token: tokens[u] })).json().title;
          assert.ok([`a-${u}-${round}`, `b-${u}-${round}`].includes(title), `round ${round}: ${u} holds ${title}`);
        }
      }
      const m = (await http('GET', `${server.base}/metrics`)).text();
      const batches = Number(/^profiled_write_queue_batches_total (\d+)$/m.exec(m)?.[1]);
      const requests = Number(/^profiled_write_queue_requests_total (\d+)$/m.exec(m)?.[1]);
      assert.equal(requests, 15 * users.length, 'every PUT of node a went through its queue');
      console.log(`# two nodes: node a ran ${requests} PUTs in ${batches} batches`);
    } finally {
      await other.stop();
      await server.stop();
    }
  });
});
