// contrib.test.mjs - what ships beside the binary: the systemd unit
// (contrib/profiled.service) passes `systemd-analyze verify` and scores
// "OK" (exposure < 2.0) in `systemd-analyze security` (offline), with the
// sandboxing the README promises; the man page docs/profiled.1 is exactly
// what scripts/gen-man.sh makes from this binary's --help texts (run
// `make man` when it is not), and groff reads it without a warning.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, tempDir } from './lib/server.mjs';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const UNIT = readFileSync(path.join(ROOT, 'contrib/profiled.service'), 'utf8');

describe('contrib/profiled.service', () => {
  it('has the sandboxing settings', () => {
    for (const line of ['ProtectSystem=strict', 'PrivateTmp=yes', 'NoNewPrivileges=yes', 'ProtectHome=yes',
      'ReadWritePaths=/var/lib/profiled /var/log/profiled', 'LimitNOFILE=65536', 'StateDirectory=profiled', 'UMask=0077',
      'CapabilityBoundingSet=', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'SystemCallFilter=@system-service', 'ExecReload=/bin/kill -HUP $MAINPID']) {
      assert.ok(UNIT.split('\n').includes(line), `missing ${line}`);
    }
    // the data the unit points at is where the service may write
    assert.match(UNIT, /--db sqlite:\/var\/lib\/profiled\/profiled\.db/);
  });

  const analyze = has('systemd-analyze');
  it('systemd-analyze verify and security accept it', { skip: analyze ? false : 'systemd-analyze is not installed' }, () => {
    // the unit names the installed binary; verify needs one that exists
    const dir = tempDir();
    const unit = path.join(dir, 'profiled.service');
    writeFileSync(unit, UNIT.replaceAll('/usr/local/bin/profiled', BIN));
    const v = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', v.stderr);
    const s = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
    assert.equal(s.status, 0, s.stderr);
    const m = /Overall exposure level for profiled\.service: ([0-9.]+)/.exec(s.stdout);
    assert.ok(m, s.stdout.slice(-500));
    assert.ok(Number(m[1]) < 2.0, `exposure ${m[1]}`);
  });
});

describe('contrib/profiled-node.service (a cluster node, docs/deploy.md)', () => {
  const NODE = readFileSync(path.join(ROOT, 'contrib/profiled-node.service'), 'utf8');
  const lines = NODE.split('\n');

  it('takes the database from its environment file and keeps the sandbox of profiled.service', () => {
    assert.ok(lines.includes('EnvironmentFile=/etc/profiled/node.env'));
    const exec = lines.find((l) => l.startsWith('ExecStart='));
    assert.ok(exec && !exec.includes('--db'), `a --db flag would override PROFILED_DB: ${exec}`);
    // every sandboxing line of the single-node unit is here too
    const sandbox = UNIT.split('\n').filter((l) => /^[A-Z][A-Za-z]+=/.test(l) && !/^(ExecStart|Description|After)=/.test(l));
    for (const l of sandbox) assert.ok(lines.includes(l), `missing ${l}`);
  });

  const analyze = has('systemd-analyze');
  it('systemd-analyze verify and security accept it', { skip: analyze ? false : 'systemd-analyze is not installed' }, () => {
    const dir = tempDir();
    const unit = path.join(dir, 'profiled-node.service');
    writeFileSync(unit, NODE.replaceAll('/usr/local/bin/profiled', BIN));
    const v = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', v.stderr);
    const s = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
    const m = /Overall exposure level for profiled-node\.service: ([0-9.]+)/.exec(s.stdout);
    assert.ok(m, s.stdout.slice(-500));
    assert.ok(Number(m[1]) < 2.0, `exposure ${m[1]}`);
  });
});

describe('docs/profiled.1', () => {
  const committed = readFileSync(path.join(ROOT, 'docs/profiled.1'), 'utf8');

  it('is what scripts/gen-man.sh makes from --help (else: make man)', () => {
    const g = spawnSync(path.join(ROOT, 'scripts/gen-man.sh'), [BIN], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    assert.ok(g.stdout === committed, 'docs/profiled.1 is stale: run `make man` and commit it');
  });

  it('names every serve setting', () => {
    const help = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' }).stdout;
    const flags = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((x) => x[1]);
    assert.ok(flags.includes('--rate-limit-hourly') && flags.includes('--audit-log'));
    for (const f of flags) assert.ok(committed.includes(f.replaceAll('-', '\\-')), `${f} missing`);
  });

  it('groff reads it without warnings', { skip: has('groff') ? false : 'groff is not installed' }, () => {
    const r = spawnSync('groff', ['-man', '-ww', '-z', path.join(ROOT, 'docs/profiled.1')], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  });
});
