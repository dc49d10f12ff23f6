import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { descendantPids, ProcessGroup, type ProcessExit } from '../../src/core/programs/processGroup';
import { ProgramSession, programCommand } from '../../src/core/programs/programSession';
import { eventually, until } from '../support';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-pgroup-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, code: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, code);
  return f;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    // a zombie still answers signal 0: ask /proc where there is one
    if (process.platform === 'linux') return !/^\S+ \(.*\) [ZX] /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process group of `pid`, from /proc. */
function pgrp(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

const python = (file: string, ...args: string[]) => ({ command: 'python3', args: ['-u', file, ...args] });

/** Writes "年" (e5 b9 b4) and "é" (c3 a9) a byte or two at a time, each write its own pipe read. */
const splitUtf8 = script('split.py', [
  'import sys, time',
  'out = sys.stdout.buffer',
  'for part in (b"a\\xe5", b"\\xb9", b"\\xb4b\\xc3", b"\\xa9\\n"):',
  '    out.write(part); out.flush(); time.sleep(0.15)',
].join('\n'));

describe('ProcessGroup: one program in its own process group', function () {
  this.timeout(30_000);
  const groups: ProcessGroup[] = [];
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(() => {
    for (const g of groups.splice(0)) g.dispose();
  });
  const start = (opts: ConstructorParameters<typeof ProcessGroup>[0]) => {
    const g = new ProcessGroup(opts);
    groups.push(g);
    return g;
  };

  it("knows the program's own pid at once, and the program leads its own group", async () => {
    const g = start(python(script('pid.py', 'import os\nprint(os.getpid(), os.getpgid(0), flush=True)\nimport time\ntime.sleep(30)\n')));
    const pid = g.pid;
    assert.ok(pid && pid > 0);
    let spawned: number | undefined;
    g.onDidSpawn((p) => (spawned = p));
    const m = await g.waitForOutput(/(\d+) (\d+)/, 10_000);
    assert.equal(Number(m[1]), pid, 'pid is the program, no supervisor between');
    assert.equal(Number(m[2]), pid, 'it leads its process group');
    assert.equal(spawned, pid);
    assert.ok(alive(g.watchdogPid), 'a watchdog stands beside it');
    assert.notEqual(pgrp(g.watchdogPid!), pid, 'in a group of its own, so killing the program group leaves it to clean up');
  });

  it('delivers a multibyte character split across reads whole (UTF-8 text events)', async () => {
    const g = start(python(splitUtf8));
    const chunks: string[] = [];
    g.onDidOutput((o) => chunks.push(o.text));
    await g.exited;
    assert.ok(chunks.length >= 2, `arrived in several reads (${chunks.length})`);
    assert.equal(chunks.join(''), 'a年bé\n');
    assert.ok(!chunks.some((c) => c.includes('\uFFFD')), JSON.stringify(chunks));
    assert.equal(g.output, 'a年bé\n');
  });

  it('keeps only the last maxOutput characters', async () => {
    const g = start({ command: 'python3', args: ['-c', 'print("x" * 5000 + "END")'], maxOutput: 10 });
    await g.exited;
    assert.equal(g.output, 'xxxxxx' + 'END\n');
  });

  it('reports the exit once, soon after the program ends, though a child it left behind holds the pipes', async () => {
    for (const endTreeOnExit of [true, false]) {
      const file = script('leaver.py', [
        'import subprocess, sys',
        "c = subprocess.Popen(['sleep', '60'])",
        "print('child', c.pid, flush=True)",
        'sys.exit(3)',
      ].join('\n'));
      const g = start({ ...python(file), endTreeOnExit });
      let exits = 0;
      g.onDidExit(() => exits++);
      const child = Number((await g.waitForOutput(/child (\d+)/, 10_000))[1]);
      const t0 = Date.now();
      const e = await g.exited;
      assert.ok(Date.now() - t0 < 2000, 'not when the child lets go of stdout');
      assert.deepEqual(e, { code: 3, signal: null });
      assert.equal(g.exitInfo, e);
      if (endTreeOnExit) await until(() => !alive(child), 'what it left behind to be killed');
      else {
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(alive(child), 'left alone, as a terminal would');
        process.kill(child, 'SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(exits, 1);
      assert.equal(g.watchdogPid, undefined);
    }
  });

  it('signals the whole tree: its group and a descendant that left it (its own session)', async () => {
    const file = script('tree.py', [
      'import subprocess, time',
      "a = subprocess.Popen(['sleep', '300'])",
      "b = subprocess.Popen(['sleep', '301'], start_new_session=True)",
      "print('children', a.pid, b.pid, flush=True)",
      'time.sleep(300)',
    ].join('\n'));
    const g = start(python(file));
    const m = await g.waitForOutput(/children (\d+) (\d+)/, 10_000);
    const pids = [g.pid!, Number(m[1]), Number(m[2])];
    assert.notEqual(pgrp(pids[2]), g.pid, 'b left the group');
    assert.deepEqual(descendantPids(g.pid!).sort(), pids.slice(1).sort());
    g.signal('SIGTERM');
    const e = await g.exited;
    assert.equal(e.signal, 'SIGTERM');
    await until(() => !pids.some(alive), 'every process of the tree to end');
  });

  it('stop(signal, grace) escalates to SIGKILL for a program that ignores the signal', async () => {
    const file = script('stubborn.py', 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(60)\n');
    const g = start(python(file));
    await g.waitForOutput(/ready/, 10_000);
    const t0 = Date.now();
    const e = await g.stop('SIGINT', 400);
    assert.equal(e.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 >= 350, 'after the grace period');
    assert.equal(await g.stop(), e, 'stopping an ended program answers its exit');
  });

  it('stop(SIGINT) lets Python run its finally blocks', async () => {
    const file = script('polite.py', 'import time\ntry:\n    print("ready", flush=True)\n    time.sleep(60)\nfinally:\n    print("cleaned up", flush=True)\n');
    const g = start(python(file));
    await g.waitForOutput(/ready/, 10_000);
    await g.stop('SIGINT', 5000);
    assert.match(g.output, /cleaned up/);
  });

  it('dispose kills at once, synchronously, and `exited` still settles', async () => {
    const g = start(python(script('sleepy.py', 'import time\nprint("up", flush=True)\ntime.sleep(60)\n')));
    await g.waitForOutput(/up/, 10_000);
    const pid = g.pid!;
    const guard = g.watchdogPid;
    let fired = false;
    g.onDidExit(() => (fired = true));
    g.dispose();
    g.dispose(); // safe twice
    const e = await g.exited;
    assert.equal(e.signal, 'SIGKILL');
    assert.equal(fired, false, 'listeners were dropped');
    await until(() => !alive(pid) && !alive(guard), 'the program and its watchdog to end');
  });

  it('says when the command does not exist, once', async () => {
    const g = start({ command: 'definitely-not-a-command-here', args: [] });
    let exits = 0;
    g.onDidExit(() => exits++);
    const e: ProcessExit = await g.exited;
    assert.equal(e.error?.code, 'ENOENT');
    assert.equal(g.isRunning, false);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(exits, 1);
    g.write('ignored\n'); // no throw
  });

  it('lets its owner end though a process that left the group (setsid, double fork) still holds the pipes', async () => {
    // the owner (a CLI such as socket-lab lesson check) must not wait for ever for a grandchild it cannot kill
    const owner = script('owner-escape.ts', [
      `import { ProcessGroup } from ${JSON.stringify(path.resolve(__dirname, '../../src/core/programs/processGroup'))};`,
      `const code = ${JSON.stringify(['import os, sys, time', 'if os.fork() == 0:', '    os.setsid()', '    if os.fork() == 0:', '        print("escaped", os.getpid(), flush=True)', '        time.sleep(60)', '    os._exit(0)', 'time.sleep(0.5)'].join('\n'))};`,
      "const g = new ProcessGroup({ command: 'python3', args: ['-c', code] });",
      "g.onDidOutput((o) => process.stdout.write(o.text));",
      "void g.exited.then(() => g.dispose());",
    ].join('\n'));
    const started = Date.now();
    const h = spawn(process.execPath, ['--import', 'tsx', owner], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    h.stdout!.on('data', (d: Buffer) => (out += d));
    try {
      const code = await new Promise<number | null>((r) => h.once('exit', r));
      assert.equal(code, 0);
      assert.ok(Date.now() - started < 20_000, `the owner ended after ${Date.now() - started} ms`);
    } finally {
      h.kill('SIGKILL');
      // the escaped grandchild is ours: end it by its pid
      const m = /escaped (\d+)/.exec(out);
      if (m) {
        try {
          process.kill(Number(m[1]), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  it('kills the group when its owner dies without cleaning up (SIGKILL)', async () => {
    const owner = script('owner.ts', [
      `import { ProcessGroup } from ${JSON.stringify(path.resolve(__dirname, '../../src/core/programs/processGroup'))};`,
      "const g = new ProcessGroup({ command: 'python3', args: ['-c', 'import os, time; os.fork(); print(\"up\", flush=True); time.sleep(120)'] });",
      "g.onDidOutput(() => console.log(JSON.stringify({ pid: g.pid, watchdog: g.watchdogPid })));",
    ].join('\n'));
    const h = spawn(process.execPath, ['--import', 'tsx', owner], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const ids = await new Promise<{ pid: number; watchdog: number }>((r) => h.stdout!.once('data', (d: Buffer) => r(JSON.parse(String(d).split('\n')[0]))));
      const members = [ids.pid, ...descendantPids(ids.pid)];
      assert.ok(members.length >= 2 && members.every(alive));
      h.kill('SIGKILL');
      await eventually(() => !members.some(alive) && !alive(ids.watchdog), 'the group and its watchdog gone after the owner died');
    } finally {
      h.kill('SIGKILL');
    }
  });
});

describe('ProgramSession output', function () {
  this.timeout(30_000);
  before(function () {
    if (process.platform === 'win32') this.skip();
  });

  it('keeps a multibyte character split across reads whole (decoding each read on its own made U+FFFD of it)', async () => {
    const prog = new ProgramSession(programCommand(splitUtf8, 'python'));
    const chunks: string[] = [];
    prog.onDidOutput((t) => chunks.push(t));
    try {
      await new Promise((r) => prog.onDidExit(r));
      assert.ok(chunks.length >= 2, `arrived in several reads (${chunks.length})`);
      assert.equal(chunks.join(''), 'a年bé\n', JSON.stringify(chunks));
    } finally {
      prog.dispose();
    }
  });

  it("its pid is the program's own, known at once, and the start event names it", async () => {
    const prog = new ProgramSession(programCommand(script('me.py', 'import os\nprint(os.getpid(), flush=True)\n'), 'python'));
    const pid = prog.pid;
    assert.ok(pid);
    assert.equal(prog.processId, pid);
    let started: number | undefined;
    prog.onDidStart((p) => (started = p));
    let out = '';
    prog.onDidOutput((t) => (out += t));
    try {
      await new Promise((r) => prog.onDidExit(r));
      assert.equal(Number(out.trim()), pid);
      assert.equal(started, pid);
    } finally {
      prog.dispose();
    }
  });
});
