// The vscode-free parts of "where VS Code users expect things": the terminal launcher's text (run for real),
// the PATH lookup behind "Open in Wireshark", and the socketLab task definition check.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launcherFileName, launcherScript } from '../../src/core/cli/launcher';
import { findExecutable } from '../../src/core/pathLookup';
import { planSummary, planTask, TaskDefinitionError } from '../../src/core/tasks/taskPlan';
import { repoRoot } from './helpers';

describe('socket-lab terminal launcher', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-launcher-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sh: runs the CLI with VS Code\'s runtime as Node, passing every argument through untouched', () => {
    // a stand-in runtime that prints what it was given; paths with a space and a quote survive the quoting
    const runtime = path.join(dir, "vs code's", 'runtime');
    fs.mkdirSync(path.dirname(runtime));
    fs.writeFileSync(runtime, '#!/bin/sh\necho "ELECTRON_RUN_AS_NODE=$ELECTRON_RUN_AS_NODE"\nfor a in "$@"; do echo "[$a]"; done\n', { mode: 0o755 });
    const cli = path.join(dir, "it's here", 'dist', 'cli.js');
    const launcher = path.join(dir, launcherFileName('linux'));
    fs.writeFileSync(launcher, launcherScript('linux', { runtime, cli }), { mode: 0o755 });
    const out = execFileSync(launcher, ['--version', 'a b', '$HOME', "'"], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(out, `ELECTRON_RUN_AS_NODE=1\n[${cli}]\n[--version]\n[a b]\n[$HOME]\n[']\n`);
  });

  it('sh: SOCKET_LAB_NODE picks another Node; the real bundled CLI prints the package version', function () {
    const cli = path.join(repoRoot, 'dist', 'cli.js');
    if (!fs.existsSync(cli)) this.skip(); // run `npm run build` first
    const launcher = path.join(dir, 'socket-lab');
    fs.writeFileSync(launcher, launcherScript('linux', { runtime: '/nonexistent/code', cli }), { mode: 0o755 });
    const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const out = execFileSync(launcher, ['--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', SOCKET_LAB_NODE: process.execPath } });
    assert.equal(out, `${version}\n`);
    // without it, the runtime it was written for runs (here a missing one: sh says so and fails)
    assert.throws(() => execFileSync(launcher, ['--version'], { stdio: 'pipe', env: { PATH: '/usr/bin:/bin' } }));
  });

  it('Windows: a .cmd with CRLF lines, paths quoted, % doubled, arguments passed with %*', () => {
    assert.equal(launcherFileName('win32'), 'socket-lab.cmd');
    const text = launcherScript('win32', { runtime: 'C:\\Program Files (x86)\\VS Code\\Code.exe', cli: 'C:\\Users\\a%b\\ext\\dist\\cli.js' });
    assert.ok(!/[^\r]\n/.test(text), 'every line ends in CRLF');
    assert.deepEqual(text.split('\r\n'), [
      '@echo off',
      "rem socket-lab: written by the Socket Lab extension; runs its bundled CLI with VS Code's runtime.",
      'setlocal',
      'set "ELECTRON_RUN_AS_NODE=1"',
      'set "SOCKET_LAB_RUNTIME=C:\\Program Files (x86)\\VS Code\\Code.exe"',
      'if defined SOCKET_LAB_NODE set "SOCKET_LAB_RUNTIME=%SOCKET_LAB_NODE%"',
      '"%SOCKET_LAB_RUNTIME%" "C:\\Users\\a%%b\\ext\\dist\\cli.js" %*',
      'exit /b %ERRORLEVEL%',
      '',
    ]);
  });
});

describe('findExecutable (Open in Wireshark)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-path-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the first executable file on PATH, skipping folders, non-executables and empty entries', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((d) => path.join(dir, d));
    for (const d of [a, b, c]) fs.mkdirSync(d);
    fs.mkdirSync(path.join(a, 'wireshark')); // a folder of that name
    fs.writeFileSync(path.join(b, 'wireshark'), 'not executable', { mode: 0o644 });
    fs.writeFileSync(path.join(c, 'wireshark'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(await findExecutable('wireshark', { PATH: ['', a, b, c].join(':') }, 'linux'), path.join(c, 'wireshark'));
    assert.equal(await findExecutable('wireshark', { PATH: [a, b].join(':') }, 'linux'), undefined);
    assert.equal(await findExecutable('wireshark', {}, 'linux'), undefined);
  });

  it('Windows: tries PATHEXT extensions, reads Path, strips quotes', async () => {
    fs.writeFileSync(path.join(dir, 'Wireshark.EXE'), ''); // Windows matches names case-insensitively; this disk may not
    const env = { Path: `"${dir}";C:\\nowhere`, PATHEXT: '.COM;.EXE' };
    assert.equal(await findExecutable('Wireshark', env, 'win32'), path.join(dir, 'Wireshark.EXE'));
  });
});

describe('socketLab task definitions', () => {
  it('the issue\'s examples: tcp echo server, udp and unix servers, tcp client', () => {
    assert.deepEqual(planTask({ type: 'socketLab', server: 'tcp', host: '127.0.0.1', port: 9000, mode: 'echo' }), { role: 'server', transport: 'tcp', host: '127.0.0.1', port: 9000, mode: 'echo' });
    assert.deepEqual(planTask({ server: 'udp', port: '9001' }), { role: 'server', transport: 'udp', host: '127.0.0.1', port: 9001, mode: 'print-only' });
    assert.deepEqual(planTask({ server: 'unix', path: ' /tmp/x.sock ', mode: 'upper' }), { role: 'server', transport: 'unix', path: '/tmp/x.sock', mode: 'upper' });
    assert.deepEqual(planTask({ connect: 'tcp', host: 'example.org', port: 80, mode: 'manual' }), { role: 'client', transport: 'tcp', host: 'example.org', port: 80, mode: 'manual' });
    assert.equal(planSummary(planTask({ server: 'tcp', port: 0, mode: 'echo' })), 'tcp server 127.0.0.1:0, mode echo');
    assert.equal(planSummary(planTask({ connect: 'tcp', host: '::1', port: 7 })), 'tcp client [::1]:7, mode print');
  });

  it('refuses what cannot work, naming the problem', () => {
    const problem = (def: Record<string, unknown>) => {
      try {
        planTask(def);
      } catch (e) {
        assert.ok(e instanceof TaskDefinitionError);
        return `${e.problem}:${e.value}`;
      }
      return 'accepted';
    };
    assert.equal(problem({ type: 'socketLab' }), 'role:');
    assert.equal(problem({ server: 'tcp', connect: 'tcp', port: 1 }), 'role:');
    assert.equal(problem({ server: 'sctp', port: 1 }), 'transport:sctp');
    assert.equal(problem({ server: 'unix' }), 'path:');
    assert.equal(problem({ server: 'tcp', port: 70000 }), 'port:70000');
    assert.equal(problem({ server: 'tcp' }), 'port:');
    assert.equal(problem({ connect: 'tcp', port: 0 }), 'port:0'); // a client needs a real port
    assert.equal(problem({ server: 'tcp', port: 1, mode: 'loud' }), 'mode:loud');
  });
});
