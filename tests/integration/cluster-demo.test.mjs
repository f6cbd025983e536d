// cluster-demo.test.mjs - scripts/cluster-demo.sh, run non-interactively
// (PostgreSQL pass only: it starts its own PostgreSQL, three nodes and
// nginx): the profile of the demo admin is read through nginx with the
// token it prints, and after SIGINT (Ctrl-C), SIGHUP (its terminal gone) or
// at the end of --smoke, nothing is left: no process, no listening port, no
// directory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, BIN, ON_POSTGRES, http, sleep } from './lib/server.mjs';
import { NGINX } from './lib/nginx.mjs';

const skip = !ON_POSTGRES ? 'PostgreSQL only (PROFILED_TEST_DB=postgres)'
  : (!NGINX ? 'nginx is not installed' : false);
const SCRIPT = path.join(ROOT, 'scripts/cluster-demo.sh');

function run(args) {
  const proc = spawn(SCRIPT, args, { env: { ...process.env, PROFILED_BIN: BIN }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  process.on('exit', () => { try { proc.kill('SIGTERM'); } catch { /* gone */ } });
  return { proc, exited, out: () => out, err: () => err };
}

const listening = (port) => new Promise((resolve) => {
  const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
  c.on('error', () => resolve(false));
});

/** Processes whose command line mentions text. */
function processesWith(text) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(text)) found.push(`${pid}: ${cmd}`);
    } catch { /* gone */ }
  }
  return found;
}

function parse(out) {
  const url = /URL: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const nodes = [...(/nodes: +(.*)/.exec(out)?.[1] || '').matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  const pg = Number(/PostgreSQL: postgresql:\/\/[^@]+@127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const dir = /files: +(\S+)/.exec(out)?.[1];
  const token = /export TOKEN=(\S+)/.exec(out)?.[1];
  const curl = /curl -H "Authorization: Bearer \$TOKEN" (\S+)/.exec(out)?.[1];
  return { url, nodes, pg, dir, token, curl };
}

async function assertAllGone(info) {
  for (const p of [...info.nodes, new URL(info.url).port, info.pg]) {
    assert.equal(await listening(Number(p)), false, `port ${p} still listening`);
  }
  assert.equal(existsSync(info.dir), false, `${info.dir} still there`);
  assert.deepEqual(processesWith(info.dir), [], 'processes left');
}

describe('scripts/cluster-demo.sh', { skip }, () => {
  it('three nodes behind nginx: the printed curl line works; Ctrl-C leaves nothing running', async () => {
    const d = run(['--port', '0']);
    const t0 = Date.now();
    while (!d.out().includes('Ctrl-C stops everything.')) {
      assert.equal(d.proc.exitCode, null, `the demo exited: ${d.out()}\n${d.err()}`);
      assert.ok(Date.now() - t0 < 90_000, `no ready line within 90 s: ${d.out()}\n${d.err()}`);
      await sleep(100);
    }
    const info = parse(d.out());
    assert.equal(info.nodes.length, 3, d.out());
    assert.ok(info.url && info.token && info.curl && info.pg && info.dir, d.out());
    assert.ok(info.curl.startsWith(info.url), 'the curl line goes through nginx');
    for (let i = 0; i < 6; i++) {
      const r = await http('GET', info.curl, { token: info.token });
      assert.equal(r.status, 200, r.text());
      assert.equal(r.json().userDetails.email, 'ada@demo.test');
    }
    // every node serves: a write through nginx is read on each node directly
    const put = await http('PUT', info.curl, { token: info.token, json: { title: 'Demo through nginx' } });
    assert.equal(put.status, 200, put.text());
    // (a node learns of another node's write through PostgreSQL's
    // notifications: allow the documented bound, docs/deploy.md)
    for (const p of info.nodes) {
      const u = info.curl.replace(info.url, `http://127.0.0.1:${p}`);
      let title;
      for (const t1 = Date.now(); Date.now() - t1 < 2000; await sleep(50)) {
        title = (await http('GET', u, { token: info.token })).json().title;
        if (title === 'Demo through nginx') break;
      }
      assert.equal(title, 'Demo through nginx', `node ${p}`);
    }

    d.proc.kill('SIGINT');
    const res = await d.exited;
    assert.equal(res.code, 130, d.err());
    await assertAllGone(info);
  });

  it('its terminal going away (SIGHUP) stops everything too', async () => {
    const d = run(['--port', '0', '--nodes', '1']);
    const t0 = Date.now();
    while (!d.out().includes('Ctrl-C stops everything.')) {
      assert.equal(d.proc.exitCode, null, `the demo exited: ${d.out()}\n${d.err()}`);
      assert.ok(Date.now() - t0 < 90_000, `no ready line within 90 s: ${d.out()}\n${d.err()}`);
      await sleep(100);
    }
    const info = parse(d.out());
    assert.equal((await http('GET', info.curl, { token: info.token })).status, 200);
    d.proc.kill('SIGHUP');
    const res = await d.exited;
    assert.equal(res.code, 129, d.err());
    await assertAllGone(info);
  });

  it('--smoke reads the profile through nginx, exits 0 and leaves nothing', async () => {
    const d = run(['--port', '0', '--nodes', '2', '--smoke']);
    const res = await d.exited;
    assert.equal(res.code, 0, `${d.out()}\n${d.err()}`);
    assert.match(d.out(), /smoke: GET profile through nginx answered 200/);
    const info = parse(d.out());
    assert.equal(info.nodes.length, 2);
    await assertAllGone(info);
  });
});
