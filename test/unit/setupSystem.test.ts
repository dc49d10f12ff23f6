// scripts/setup-system.sh against stub package tools on a PATH of their own: the exact apt calls for each kind of machine.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './helpers';

const script = path.join(repoRoot, 'scripts', 'setup-system.sh');
const ALL = [
  'build-essential', 'python3', 'libkrb5-dev', 'libpcap-dev', 'chromium', 'ripgrep', 'tcpdump', 'socat', 'tshark',
  'iproute2', 'curl', 'shellcheck', 'librsvg2-bin', 'xxd', 'strace',
];

// Each stub appends its name and arguments to $STUB_LOG; the machine it pretends to be comes from the environment.
const stubs: Record<string, string> = {
  'dpkg-query': `for p in $STUB_INSTALLED; do [[ "$p" == "\${!#}" ]] && { printf 'install ok installed'; exit 0; }; done
echo "dpkg-query: no packages found matching \${!#}" >&2; exit 1`,
  // Like the real apt-cache: the Candidate line early, then a long version table, so a reader that stops early
  // (grep -q) makes it die of SIGPIPE — the fault that once made the script always pick Ubuntu's name.
  'apt-cache': `pkg="\${!#}"; printf '%s:\\n  Installed: (none)\\n' "$pkg"
for p in $STUB_CANDIDATES; do [[ "$p" == "$pkg" ]] && { printf '  Candidate: 1:120.0-1\\n'; for ((i = 0; i < 20000; i++)); do printf '     500 http://deb.debian.org/debian bookworm/main amd64 Packages %d\\n' "$i"; done; exit 0; }; done
printf '  Candidate: (none)\\n'`,
  'apt-get': 'exit 0',
  'debconf-set-selections': 'read -r line; printf "%s\\n" "$line" >>"$STUB_LOG.debconf"',
  id: 'echo "$STUB_UID"',
  sudo: '"$@"',
};

interface Machine {
  installed?: string[];
  candidates?: string[];
  uid?: number;
  without?: string[]; // stub commands this machine does not have
}

function run(machine: Machine): { status: number | null; stdout: string; stderr: string; calls: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'setup-system-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const log = path.join(dir, 'calls.log');
    for (const [name, body] of Object.entries(stubs)) {
      if (machine.without?.includes(name)) continue;
      const file = path.join(bin, name);
      const record = name === 'id' ? '' : `printf '%s\\n' "${name} $*" >>"$STUB_LOG"\n`;
      fs.writeFileSync(file, `#!/bin/bash\n${record}${body}\n`);
      fs.chmodSync(file, 0o755);
    }
    // The only real programs on PATH: env (the script runs apt-get through it).
    fs.symlinkSync('/usr/bin/env', path.join(bin, 'env'));
    const result = spawnSync('/bin/bash', [script], {
      encoding: 'utf8',
      timeout: 20_000,
      env: {
        PATH: bin,
        STUB_LOG: log,
        STUB_INSTALLED: (machine.installed ?? []).join(' '),
        STUB_CANDIDATES: (machine.candidates ?? []).join(' '),
        STUB_UID: String(machine.uid ?? 0),
      },
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const installs = (calls: string[]) => calls.filter((c) => /^apt-get .*install /.test(c));

describe('scripts/setup-system.sh (stub package tools)', () => {
  it('fresh Debian: installs every package, chromium under its Debian name', () => {
    const r = run({ candidates: [...ALL, 'chromium-browser'] });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(installs(r.calls), [`apt-get install -y -q ${ALL.join(' ')}`]);
    assert.ok(r.calls.includes('apt-get update -q'), r.calls.join('\n'));
    assert.ok(r.calls.every((c) => !c.startsWith('sudo')), 'root needs no sudo');
  });

  it('Ubuntu: chromium has no candidate, so chromium-browser is installed instead', () => {
    const r = run({ candidates: ALL.filter((p) => p !== 'chromium').concat('chromium-browser') });
    assert.equal(r.status, 0, r.stderr);
    const want = ALL.map((p) => (p === 'chromium' ? 'chromium-browser' : p));
    assert.deepEqual(installs(r.calls), [`apt-get install -y -q ${want.join(' ')}`]);
  });

  it('Ubuntu with chromium-browser already installed: asks only for the rest', () => {
    const r = run({
      installed: ['chromium-browser', 'python3', 'curl', 'iproute2'],
      candidates: ALL.concat('chromium-browser'),
    });
    assert.equal(r.status, 0, r.stderr);
    const want = ALL.filter((p) => !['chromium', 'python3', 'curl', 'iproute2'].includes(p));
    assert.deepEqual(installs(r.calls), [`apt-get install -y -q ${want.join(' ')}`]);
  });

  it('everything present: installs nothing and does not run apt-get at all', () => {
    const r = run({ installed: ALL, candidates: ALL });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.calls.filter((c) => c.startsWith('apt-get')), []);
    assert.match(r.stdout, /all system packages present/);
  });

  it('not root, with sudo: every apt call goes through sudo', () => {
    const r = run({ uid: 1000, installed: ALL.filter((p) => p !== 'socat'), candidates: ALL });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.calls.filter((c) => c.startsWith('sudo')),
      [
        'sudo debconf-set-selections',
        'sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q',
        'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q socat',
      ],
    );
  });

  it('not root and no sudo: refuses with the list of packages, runs nothing', () => {
    const r = run({ uid: 1000, without: ['sudo'], installed: ALL.filter((p) => p !== 'tshark'), candidates: ALL });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /need root or sudo to install: tshark/);
    assert.deepEqual(r.calls.filter((c) => c.startsWith('apt-get')), []);
  });

  it('no apt at all: says which packages to install by hand', () => {
    const r = run({ without: ['apt-get', 'apt-cache', 'dpkg-query'] });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /supports Debian and Ubuntu \(apt\)\. Install these yourself: build-essential .* librsvg2-bin xxd strace/);
    assert.deepEqual(r.calls, []);
  });
});
