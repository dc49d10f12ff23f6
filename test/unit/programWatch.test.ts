import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OutputErrorMatch } from '../../src/core/analysis/outputErrors';
import { findProcessesRunningFile } from '../../src/core/ossockets/procProcesses';
import { ProgramSession, programCommand } from '../../src/core/ossockets/programSession';
import { ProgramWatch, ProgramWatchManager } from '../../src/core/ossockets/programWatcher';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-g-prog-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, code: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, code);
  return f;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('running a program and watching its sockets', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('builds argument arrays, never shell strings', () => {
    assert.deepEqual(programCommand('/tmp/a b.py', 'python', { python: '/usr/bin/python3' }), { command: '/usr/bin/python3', args: ['-u', '/tmp/a b.py'] });
    assert.deepEqual(programCommand('x.js', 'javascript'), { command: 'node', args: ['x.js'] });
    assert.deepEqual(programCommand('x.ts', 'typescript', { tsx: '/w/node_modules/.bin/tsx' }), { command: '/w/node_modules/.bin/tsx', args: ['x.ts'] });
  });

  it('sees a forked child listen, the connection and its bytes; keeps a summary after exit', async () => {
    // the listener lives in a child of the program: watching must follow the process tree
    const file = script('server.py', [
      'import os, socket, sys',
      'if os.fork() == 0:',
      '    s = socket.socket()',
      '    s.bind(("127.0.0.1", 0))',
      '    s.listen()',
      '    print("port", s.getsockname()[1], flush=True)',
      '    c, _ = s.accept()',
      '    while True:',
      '        d = c.recv(100)',
      '        if not d: break',
      '        c.sendall(d)',
      '    sys.exit(0)',
      'os.wait()',
    ].join('\n'));
    const prog = new ProgramSession(programCommand(file, 'python'), { cwd: dir });
    const watch = new ProgramWatch({ label: 'server.py', intervalMs: 100 });
    const mgr = new ProgramWatchManager();
    mgr.add(watch);
    let out = '';
    let started: number | undefined;
    prog.onDidStart((pid) => (started = pid));
    prog.onDidOutput((t) => (out += t));
    prog.onDidExit((e) => watch.markExited(e.code));
    watch.attach(prog.pid!);
    try {
      const port = Number((await until('port line', () => /port (\d+)/.exec(out) ?? undefined))[1]);
      const listen = await until('LISTEN in the watch', () => watch.sockets.find((s) => s.state === 'LISTEN'));
      assert.equal(listen.localPort, port);
      assert.notEqual(listen.pid, prog.pid, 'the listener belongs to the forked child');
      assert.equal(started, prog.processId);
      assert.notEqual(listen.pid, started, 'the forked child, not the program itself');
      const client = net.connect(port, '127.0.0.1');
      await new Promise((r) => client.once('connect', r));
      client.write('hello');
      await new Promise((r) => client.once('data', r));
      await until('ESTABLISHED in the watch', () => watch.sockets.find((s) => s.state === 'ESTABLISHED' && s.remotePort === client.localPort));
      client.end();
      await until('exit', () => watch.state === 'exited');
      const sum = watch.summary();
      assert.equal(sum.connections, 1);
      assert.deepEqual(sum.listenPorts, [port]);
      assert.equal(sum.exitCode, 0);
      assert.deepEqual(watch.sockets, []);
      if (sum.bytesReceived !== undefined) assert.equal(sum.bytesReceived, 5);
      assert.equal(mgr.all()[0], watch);
    } finally {
      prog.dispose();
      mgr.dispose();
    }
  });

  it('recognises "Address already in use" in the output and reports the exit code', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    const file = script('clash.py', `import socket\ns = socket.socket()\ns.bind(("127.0.0.1", ${port}))\n`);
    const prog = new ProgramSession(programCommand(file, 'python'));
    const errors: OutputErrorMatch[] = [];
    prog.onDidRecognizeError((m) => errors.push(m));
    try {
      const exit = await new Promise<{ code: number | null }>((r) => prog.onDidExit(r));
      assert.equal(exit.code, 1);
      assert.deepEqual(errors.map((e) => e.code), ['EADDRINUSE']);
      assert.match(errors[0].line, /Address already in use/);
    } finally {
      holder.close();
      prog.dispose();
    }
  });

  it('finds the process running a file, started with a relative or an absolute path', async () => {
    const file = script('found.js', 'setTimeout(() => {}, 60000);\n');
    const { spawn } = await import('node:child_process');
    const rel = spawn(process.execPath, ['./found.js'], { cwd: dir, stdio: 'ignore' });
    const abs = spawn(process.execPath, [file], { cwd: os.tmpdir(), stdio: 'ignore' });
    const other = spawn(process.execPath, ['./found.js'], { cwd: os.tmpdir(), stdio: 'ignore' }); // another folder's found.js
    other.on('error', () => undefined);
    try {
      const hits = await until('both processes', async () => {
        const h = await findProcessesRunningFile(file);
        return h.length >= 2 ? h : undefined;
      });
      assert.deepEqual(hits.map((h) => h.pid).sort(), [rel.pid, abs.pid].sort());
      assert.deepEqual(await findProcessesRunningFile(file, { exclude: (c) => c.includes('./found.js') }).then((h) => h.map((x) => x.pid)), [abs.pid]);
    } finally {
      rel.kill();
      abs.kill();
      other.kill();
    }
  });

  it('kills the program when the host dies without cleaning up (SIGKILL)', async () => {
    const marker = script('orphan.py', 'import time\nprint("up", flush=True)\ntime.sleep(120)\n');
    const host = script('host.ts', [
      `import { ProgramSession, programCommand } from ${JSON.stringify(path.resolve(__dirname, '../../src/core/ossockets/programSession'))};`,
      `const p = new ProgramSession(programCommand(${JSON.stringify(marker)}, 'python'));`,
      "p.onDidOutput((t) => { if (t.includes('up')) console.log(JSON.stringify({ group: p.pid, program: p.processId })); });",
    ].join('\n'));
    const { spawn } = await import('node:child_process');
    const h = spawn(process.execPath, ['--import', 'tsx', host], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ids = await new Promise<{ group: number; program: number }>((r) => h.stdout!.once('data', (d: Buffer) => r(JSON.parse(String(d)))));
    assert.ok(ids.program > 0 && ids.program !== ids.group);
    process.kill(ids.program, 0); // alive
    h.kill('SIGKILL');
    await until('program gone after its host died', () => {
      try {
        process.kill(ids.program, 0);
        return undefined;
      } catch {
        return true;
      }
    });
  });

  it('stops the whole process group and says when the interpreter is missing', async () => {
    const file = script('sleeper.py', 'import os, time\nif os.fork() == 0:\n    time.sleep(60)\nelse:\n    print("ready", flush=True)\n    time.sleep(60)\n');
    const prog = new ProgramSession(programCommand(file, 'python'));
    let out = '';
    prog.onDidOutput((t) => (out += t));
    await until('ready', () => out.includes('ready'));
    const pgid = prog.pid!;
    const exited = new Promise((r) => prog.onDidExit(r));
    prog.signal('SIGINT');
    await exited;
    // no process of that group is left
    await until('group gone', () => {
      try {
        process.kill(-pgid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    const missing = new ProgramSession({ command: 'definitely-not-a-python-here', args: ['x.py'] });
    const e = await new Promise<{ error?: string }>((r) => missing.onDidExit(r));
    assert.match(e.error ?? '', /was not found/);
    missing.dispose();
    prog.dispose();
  });
});
