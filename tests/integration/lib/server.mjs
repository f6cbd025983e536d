// tests/integration/lib/server.mjs - helpers shared by the integration tests.
//
// What it gives a test file:
//   - tempDir() / freshDb(): a new temporary directory (removed when the
//     process exits) and a "sqlite:PATH" URL inside it, or a new PostgreSQL
//     database when PROFILED_TEST_DB=postgres (sqliteOnly() skips the tests
//     about the SQLite file itself there; dbExec() runs SQL on either);
//   - cli(args): runs the profiled binary synchronously, returning
//     {code, signal, stdout, stderr};
//   - importFixture(db, file), exportDb(db), mintToken(db, userId, opts);
//   - startServer({db}): starts `profiled serve` on a free port, waits for its
//     "listening on" line (with a timeout; stderr is shown on failure) and
//     returns a handle whose stop() sends SIGTERM and resolves with the exit
//     status.  Servers are started under `setpriv --pdeathsig TERM`, so they
//     stop by themselves if the test process dies, and are also killed from a
//     process 'exit' hook;
//   - setupTenant(): all of the above for one test file (fresh DB, fixture
//     imported, server running, one token per fixture user) with an after()
//     hook that stops the server and asserts it exited with code 0;
//   - http(): a small fetch wrapper returning status, headers and raw bytes;
//     rawHttp(): the same over node:http, tolerant of a server that answers
//     before reading a large body and then closes the connection.
//
// The binary is $PROFILED_BIN (default /work/main/build/profiled).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeHttp from 'node:http';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const BIN = process.env.PROFILED_BIN || path.join(ROOT, 'build/profiled');
export const FIXTURES = path.resolve(here, '../fixtures');
export const TENANT_FILE = path.join(FIXTURES, 'tenant.json');
// DocuSign's published specifications (test data: fixtures/specs/README.md)
export const SPECS_DIR = process.env.PROFILED_SPECS_DIR || path.join(FIXTURES, 'specs');
export const TENANT = JSON.parse(readFileSync(TENANT_FILE, 'utf8'));

// Ids of the fixture, by role (see fixtures/tenant.json).
export const ORG = TENANT.organizations[0].organizationId;
export const ACC_A = TENANT.accounts[0].accountId;
export const ACC_A_NUMBER = TENANT.accounts[0].accountNumber;
export const ACC_B = TENANT.accounts[1].accountId;
const byEmail = (e) => TENANT.users.find((u) => u.email === e);
export const USERS = {
  ann: byEmail('ann@acme.test'),  // admin of A
  bob: byEmail('bob@acme.test'),  // plain member of A
  cat: byEmail('cat@acme.test'),  // member of B only
  dan: byEmail('dan@acme.test'),  // member of A and B, no image
};
export const IDS = Object.fromEntries(Object.entries(USERS).map(([k, u]) => [k, u.userId]));

const CLI_TIMEOUT_MS = 30_000;
// What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print.
const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- temp dirs
const tempDirs = [];
const liveChildren = new Set();
process.on('exit', () => {
  for (const c of liveChildren) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const d of tempDirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

export function tempDir() {
  const d = mkdtempSync(path.join(tmpdir(), 'profiled-it-'));
  tempDirs.push(d);
  return d;
}

// The backend the suite runs against: PROFILED_TEST_DB=postgres with
// PROFILED_TEST_PG=host:port (a server scripts/pg-tmp.sh started, trust
// auth for the user postgres) makes freshDb() hand out a new PostgreSQL
// database per call; anything else is SQLite.
export const ON_POSTGRES = process.env.PROFILED_TEST_DB === 'postgres';
const PG_HOSTPORT = process.env.PROFILED_TEST_PG || '127.0.0.1:5432';
let pgSeq = 0;

/**
 * Test options that skip a test about the SQLite file itself (permissions,
 * a deleted file, ...) on PostgreSQL: `it(name, sqliteOnly('why'), fn)`.
 * The reason is printed by the test runner as the skip message.
 */
export function sqliteOnly(reason) {
  return ON_POSTGRES ? { skip: `SQLite only: ${reason}` } : {};
}

/**
 * Runs `check` (which throws or rejects on failure) after a write made by
 * another process or node, under the backend's documented staleness bound
 * (docs/design.md, "Caches across nodes").  SQLite: the counter file moves
 * before the writer acknowledges, so the check runs once and must pass at
 * once.  PostgreSQL: the notification reaches this node after the writer
 * acknowledged; the bound is the versions memo's maximum age
 * (LIM_VERSIONS_MEMO_MAX_AGE_MS, 1 s) - usually well under 5 ms - so the
 * check is retried every 5 ms until it passes or the bound (plus 250 ms of
 * slack for a loaded machine) is over, and then its last error is thrown.
 */
export const PG_STALENESS_BOUND_MS = 1000 + 250;
export async function afterOtherWriter(check) {
  if (!ON_POSTGRES) return check();
  const end = Date.now() + PG_STALENESS_BOUND_MS;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function createPgDatabase(name) {
  const [host, port] = PG_HOSTPORT.split(':');
  const r = spawnSync('createdb', ['-h', host, '-p', port || '5432', '-U', 'postgres', name],
                      { encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`createdb ${name} failed: ${r.stderr}`);
  return `postgresql://postgres@${host}:${port || '5432'}/${name}`;
}

/**
 * A fresh database without a schema: returns {dir, file, url}.  SQLite: a
 * file not yet created in a new temporary directory.  PostgreSQL: a new,
 * empty database (file is null; dir is still a temporary directory).
 */
export function freshDb() {
  const dir = tempDir();
  if (ON_POSTGRES) {
    const name = `it_${process.pid}_${++pgSeq}_${Date.now().toString(36)}`;
    return { dir, file: null, url: createPgDatabase(name) };
  }
  const file = path.join(dir, 'profiled.db');
  return { dir, file, url: `sqlite:${file}` };
}

/** Runs one SQL statement on db (sqlite3 or psql). */
export function dbExec(db, sql) {
  const [cmd, args] = db.url.startsWith('sqlite:')
    ? ['sqlite3', [db.url.slice('sqlite:'.length), sql]]
    : ['psql', ['-v', 'ON_ERROR_STOP=1', '-qAt', '-d', db.url, '-c', sql]];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------- CLI
function binaryOrSkipMessage() {
  if (!existsSync(BIN)) {
    throw new Error(`profiled binary not found at ${BIN} (build it, or set PROFILED_BIN)`);
  }
}

/** Runs `profiled ...args`; never throws on a non-zero exit. */
export function cli(args, { input, env, timeout = CLI_TIMEOUT_MS } = {}) {
  binaryOrSkipMessage();
  const r = spawnSync(BIN, args, {
    input,
    env: { ...process.env, ...env },
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  // EPIPE: the program exited without reading all of `input`; report its status.
  if (r.error && !(r.error.code === 'EPIPE' && r.status !== null)) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Like cli() but asserts exit code 0, with the output in the failure message. */
export function cliOk(args, opts) {
  const r = cli(args, opts);
  assert.equal(r.code, 0,
    `profiled ${args.join(' ')} exited ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export function importFile(dbUrl, file) {
  return cliOk(['import', file, '--db', dbUrl]);
}

export function exportDb(dbUrl) {
  return cliOk(['export', '--db', dbUrl]).stdout;
}

/**
 * Mints an access token. opts: {scope, ttl, issuedAt}.
 * Returns the token without the trailing newline.
 */
export function mintToken(dbUrl, userId, { scope, ttl, issuedAt } = {}) {
  const args = ['token', '--user', userId, '--db', dbUrl];
  if (scope !== undefined) args.push('--scope', scope);
  if (ttl !== undefined) args.push('--ttl', String(ttl));
  if (issuedAt !== undefined) args.push('--issued-at', String(issuedAt));
  const r = cliOk(args);
  const tok = r.stdout.replace(/\n$/, '');
  assert.match(tok, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, `token output is not a JWT: ${JSON.stringify(r.stdout)}`);
  return tok;
}

// ---------------------------------------------------------------- server
/**
 * serve arguments for test files that send hundreds of calls within seconds
 * from one account or address: DocuSign's burst limits (500 an account,
 * 100 an address per 30 s) would refuse them.  The limits themselves are
 * tested in ratelimit.test.mjs.
 */
export const NO_BURST_LIMITS = ['--rate-limit-burst', '0', '--rate-limit-anonymous-burst', '0'];

function hasSetpriv() {
  try {
    return spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).status === 0;
  } catch {
    return false;
  }
}
const SETPRIV = hasSetpriv();

/**
 * Starts `profiled serve`. Returns {base, port, proc, stderr(), stdout(), stop()}.
 * extraArgs are appended to the serve command line.
 */
export async function startServer({ db, extraArgs = [], env } = {}) {
  binaryOrSkipMessage();
  const serveArgs = ['serve', '--listen', '127.0.0.1', '--port', '0', '--db', db, ...extraArgs];
  const [cmd, args] = SETPRIV
    ? ['setpriv', ['--pdeathsig', 'TERM', '--', BIN, ...serveArgs]]
    : [BIN, serveArgs];
  const proc = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(proc);
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    err += d;
    if (err.length > 4 * 1024 * 1024) err = err.slice(-2 * 1024 * 1024);
  });
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      liveChildren.delete(proc);
      resolve({ code, signal });
    });
  });

  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`profiled serve did not print "listening on" within ${START_TIMEOUT_MS} ms\nstdout: ${out}\nstderr: ${err}`));
    }, START_TIMEOUT_MS);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /profiled: listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`profiled serve exited (code ${code}, signal ${signal}) before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  const port = Number(new URL(base).port);

  let stopping = null;
  async function stop(signal = 'SIGTERM') {
    if (!stopping) {
      stopping = (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        let timer;
        const res = await Promise.race([
          exited,
          new Promise((resolve) => {
            timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        if (res === null) {
          proc.kill('SIGKILL');
          await exited;
          return { code: null, signal: 'SIGKILL', timedOut: true };
        }
        // A graceful stop must end cleanly: exit 0 and, under the sanitizers
        // (make check's second pass, LeakSanitizer on), no report at all -
        // so every test that stops a server also checks it for leaks and
        // memory errors.
        if ((signal === 'SIGTERM' || signal === 'SIGINT') &&
            (res.code !== 0 || SANITIZER_REPORT.test(err))) {
          throw new Error(`profiled did not stop cleanly on ${signal} (code ${res.code}, signal ${res.signal})` +
                          `\n${err.slice(-6000)}`);
        }
        return res;
      })();
    }
    return stopping;
  }
  return { base, port, proc, stop, exited, stderr: () => err, stdout: () => out };
}

/**
 * The usual start of a test file: fresh DB, fixture imported, server started,
 * one token per fixture user.  Returns {db, server, base, tokens, teardown}
 * where teardown() stops the server with SIGTERM and asserts it exited with
 * code 0.  Prefer useTenant(), which wires before()/after().
 */
export async function setupTenant({ fixture = TENANT_FILE, extraArgs = [] } = {}) {
  const db = freshDb();
  cliOk(['migrate', '--db', db.url]);
  importFile(db.url, fixture);
  const tokens = {};
  for (const [name, id] of Object.entries(IDS)) tokens[name] = mintToken(db.url, id);
  const server = await startServer({ db: db.url, extraArgs });
  async function teardown() {
    const r = await server.stop('SIGTERM');
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null },
      `server did not exit cleanly on SIGTERM: ${JSON.stringify(r)}\nstderr tail: ${server.stderr().slice(-4000)}`);
  }
  return { db, server, base: server.base, tokens, teardown };
}

/**
 * Call at the top of a describe() body: registers a before() hook that runs
 * setupTenant() and an after() hook that tears it down (asserting exit code
 * 0).  Returns an object whose members (db, server, base, tokens) are filled
 * in by the before() hook.
 */
export function useTenant(opts) {
  const env = {};
  before(async () => {
    Object.assign(env, await setupTenant(opts));
  });
  after(async () => {
    if (env.teardown) await env.teardown();
  });
  return env;
}

// ---------------------------------------------------------------- HTTP
function wrapResponse(status, headers, bytes) {
  return {
    status,
    headers,
    body: bytes,
    text() { return bytes.toString('utf8'); },
    json() {
      try {
        return JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new Error(`response (status ${status}) is not JSON: ${JSON.stringify(bytes.toString('utf8').slice(0, 500))}`);
      }
    },
  };
}

/**
 * fetch wrapper. opts: {token, headers, body (string|Buffer|FormData), json}.
 * `json` is serialised with Content-Type application/json.  Returns
 * {status, headers (Headers), body (Buffer), text(), json()}.
 */
export async function http(method, url, { token, headers = {}, body, json } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.Authorization = `Bearer ${token}`;
  let b = body;
  if (json !== undefined) {
    b = JSON.stringify(json);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers: h, body: b, redirect: 'manual' });
  const bytes = Buffer.from(await res.arrayBuffer());
  return wrapResponse(res.status, res.headers, bytes);
}

/**
 * node:http request that writes `body` (Buffer) and resolves with the first
 * response even if the server answers before reading everything and closes
 * the connection.  With expectContinue the request carries "Expect:
 * 100-continue" and the body is only sent after a 100 Continue.  headers is a plain object; the response headers come back
 * as a plain lower-cased object wrapped in a get() accessor like Headers.
 */
export function rawHttp(method, url, { headers = {}, body, timeout = 20_000, expectContinue = false } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    let settled = false;
    let continued = false; // a "100 Continue" came (expectContinue only)
    const req = nodeHttp.request({
      method,
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      headers: {
        ...headers,
        ...(body ? { 'Content-Length': body.length } : {}),
        ...(expectContinue ? { Expect: '100-continue' } : {}),
      },
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      const finish = () => {
        if (settled) return;
        settled = true;
        const hdrs = res.headers;
        const w = wrapResponse(res.statusCode, { get: (k) => hdrs[k.toLowerCase()] ?? null, raw: hdrs },
          Buffer.concat(chunks));
        w.continued = continued;
        resolve(w);
      };
      res.on('end', () => {
        finish();
        if (expectContinue && !req.writableEnded) req.destroy();
      });
      res.on('error', finish);
      res.on('aborted', finish);
      res.on('close', finish);
    });
    req.setTimeout(timeout, () => {
      if (!settled) {
        settled = true;
        req.destroy();
        reject(new Error(`${method} ${url}: no response within ${timeout} ms`));
      }
    });
    req.on('error', (e) => {
      // EPIPE / ECONNRESET after the response began are expected when the
      // server refuses a large body early; before that they are failures.
      if (!settled && !req.res) {
        settled = true;
        reject(new Error(`${method} ${url}: ${e.code || e.message} before any response`));
      }
    });
    if (expectContinue) {
      // Send the headers only; the body follows a "100 Continue".  A final
      // answer instead of 100 resolves the promise and the body is never sent.
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.flushHeaders();
    } else {
      if (body) req.write(body, () => {});
      req.end();
    }
  });
}

/** Asserts a DocuSign error answer: status and errorCode (JSON). */
export function assertError(res, status, errorCode, what = '') {
  const text = res.body.toString('utf8');
  assert.equal(res.status, status, `${what} expected ${status} ${errorCode}, got ${res.status}: ${text.slice(0, 500)}`);
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    assert.fail(`${what} error body is not JSON: ${JSON.stringify(text.slice(0, 300))}`);
  }
  assert.equal(j.errorCode, errorCode, `${what} errorCode: ${text.slice(0, 500)}`);
  assert.equal(typeof j.message, 'string', `${what} message missing: ${text}`);
  return j;
}

/** URL helpers for the eSignature profile routes. */
export const PREFIXES = ['/restapi/v2.1', '/restapi/v2', '/v2.1', '/v2'];
export function profileUrl(base, acc, uid, prefix = '/restapi/v2.1') {
  return `${base}${prefix}/accounts/${acc}/users/${uid}/profile`;
}
export function imageUrl(base, acc, uid, prefix = '/restapi/v2.1') {
  return `${profileUrl(base, acc, uid, prefix)}/image`;
}

/** GET the profile (JSON, v2.1) and return it parsed; asserts 200. */
export async function getProfile(base, token, acc, uid, prefix = '/restapi/v2.1') {
  const r = await http('GET', profileUrl(base, acc, uid, prefix), { token, headers: { Accept: 'application/json' } });
  assert.equal(r.status, 200, `GET profile ${uid}: ${r.status} ${r.text().slice(0, 500)}`);
  return r.json();
}

/** base64url helpers for token surgery. */
export function b64urlDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
export function b64urlEncode(buf) {
  return Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Walks a JSON value and returns the paths of every null. */
export function nullPaths(v, p = '$') {
  if (v === null) return [p];
  if (Array.isArray(v)) return v.flatMap((x, i) => nullPaths(x, `${p}[${i}]`));
  if (typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => nullPaths(x, `${p}.${k}`));
  return [];
}

/** Every key anywhere in a JSON value (lower-cased). */
export function allKeys(v, acc = new Set()) {
  if (Array.isArray(v)) v.forEach((x) => allKeys(x, acc));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      acc.add(k.toLowerCase());
      allKeys(x, acc);
    }
  }
  return acc;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** The first line of srv's stderr that includes `text`, waiting up to `ms`
 * for it: stderr is its own pipe, so a line the server wrote before an
 * answer (or before its "listening" line) can reach us a moment later. */
export async function waitForLog(srv, text, ms = 3000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(20)) {
    const line = srv.stderr().split('\n').find((l) => l.includes(text));
    if (line) return line;
  }
  return undefined;
}

/**
 * Eight fields of a profile, each as [read it from a GET's userProfile,
 * the partial PUT body that sets it]: concurrent writers that each own one
 * field (put-kill9.test.mjs, write-queue.test.mjs) must never lose another's.
 */
export const PROFILE_FIELDS = [
  [(p) => p.title, (v) => ({ title: v })],
  [(p) => p.userDetails?.jobTitle, (v) => ({ userDetails: { jobTitle: v } })],
  [(p) => p.userDetails?.firstName, (v) => ({ userDetails: { firstName: v } })],
  [(p) => p.userDetails?.lastName, (v) => ({ userDetails: { lastName: v } })],
  [(p) => p.address?.address1, (v) => ({ address: { address1: v } })],
  [(p) => p.address?.address2, (v) => ({ address: { address2: v } })],
  [(p) => p.address?.city, (v) => ({ address: { city: v } })],
  [(p) => p.address?.postalCode, (v) => ({ address: { postalCode: v } })],
];
