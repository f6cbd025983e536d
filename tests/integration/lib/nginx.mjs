// tests/integration/lib/nginx.mjs - Debian's nginx in front of profiled
// nodes with the shipped configuration (contrib/nginx-profiled.conf,
// rendered by scripts/nginx-front.sh: the nodes' ports, listen on
// 127.0.0.1, everything in a temporary directory).
//
//   NGINX: the nginx binary, or null when it is not installed;
//   freePort(): a TCP port on 127.0.0.1 nobody listens on right now;
//   startNginx(nodePorts): renders the config, runs nginx (under setpriv
//     --pdeathsig, so it stops with the test process) and waits until it
//     answers; returns {base, port, dir, proc, errorLog(), stop()}.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, tempDir, sleep } from './server.mjs';

const find = () => {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
export const NGINX = find();
const SCRIPT = path.join(ROOT, 'scripts/nginx-front.sh');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startNginx(nodePorts, { accessLog = false } = {}) {
  const dir = tempDir();
  const port = await freePort();
  const r = spawnSync(SCRIPT, ['render', dir, String(port), ...nodePorts.map(String)], {
    encoding: 'utf8', env: { ...process.env, NGINX_ACCESS_LOG: accessLog ? '1' : '0' },
  });
  if (r.status !== 0) throw new Error(`nginx-front.sh render: ${r.stderr}`);
  const proc = spawn('setpriv', ['--pdeathsig', 'TERM', '--', SCRIPT, 'run', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const errorLog = () => {
    try { return readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { return ''; }
  };
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${err}\n${errorLog()}`);
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() - t0 > 10_000) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${port} within 10 s: ${err}\n${errorLog()}`);
    }
    await sleep(50);
  }
  async function stop() {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGQUIT');   // graceful
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    const res = await exited;
    clearTimeout(t);
    return res;
  }
  return { base, port, dir, proc, stop, errorLog, stderr: () => err };
}
