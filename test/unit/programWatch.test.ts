import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OutputErrorMatch } from '../../src/core/analysis/outputErrors';
import { findProcessesRunningFile } from '../../src/core/ossockets/procProcesses';
import { ProgramSession, programCommand } from '../../src/core/programs/programSession';
import { ProgramWatch, ProgramWatchManager } from '../../src/core/programs/programWatcher';
import { eventually } from '../support';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-g-prog-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, code: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, code);
  return f;
}


describe('running a program and watching its sockets', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('a program ended by a signal keeps the signal in its summary (the exit code is null then)', () => {
    const watch = new ProgramWatch({ label: 'killed.py' });
    try {
      watch.markExited(null, 'SIGKILL');
      assert.equal(watch.state, 'exited');
      assert.equal(watch.summary().exitSignal, 'SIGKILL');
    } finally {
      watch.dispose();
    }
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
      const port = Number((await eventually(() => /port (\d+)/.exec(out) ?? undefined, 'port line'))[1]);
      const listen = await eventually(() => watch.sockets.find((s) => s.state === 'LISTEN'), 'LISTEN in the watch');
      assert.equal(listen.localPort, port);
      assert.notEqual(listen.pid, prog.pid, 'the listener belongs to the forked child');
      assert.equal(started, prog.processId);
      assert.notEqual(listen.pid, started, 'the forked child, not the program itself');
      const client = net.connect(port, '127.0.0.1');
      await new Promise((r) => client.once('connect', r));
      client.write('hello');
      await new Promise((r) => client.once('data', r));
      await eventually(() => watch.sockets.find((s) => s.state === 'ESTABLISHED' && s.remotePort === client.localPort), 'ESTABLISHED in the watch');
      client.end();
      await eventually(() => watch.state === 'exited', 'exit');
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
      const hits = await eventually(async () => {
        const h = await findProcessesRunningFile(file);
        return h.length >= 2 ? h : undefined;
      }, 'both processes');
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
      `import { ProgramSession, programCommand } from ${JSON.stringify(path.resolve(__dirname, '../../src/core/programs/programSession'))};`,
      `const p = new ProgramSession(programCommand(${JSON.stringify(marker)}, 'python'));`,
      "p.onDidOutput((t) => { if (t.includes('up')) console.log(JSON.stringify({ group: p.pid, program: p.processId })); });",
    ].join('\n'));
    const { spawn } = await import('node:child_process');
    const h = spawn(process.execPath, ['--import', 'tsx', host], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ids = await new Promise<{ group: number; program: number }>((r) => h.stdout!.once('data', (d: Buffer) => r(JSON.parse(String(d)))));
    // no supervisor between: the program itself leads its process group, a watchdog beside it guards the group
    assert.ok(ids.program > 0 && ids.program === ids.group);
    process.kill(ids.program, 0); // alive
    h.kill('SIGKILL');
    await eventually(() => {
      try {
        process.kill(ids.program, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 'program gone after its host died');
  });

  it('stops the whole process group and says when the interpreter is missing', async () => {
    const file = script('sleeper.py', 'import os, time\nif os.fork() == 0:\n    time.sleep(60)\nelse:\n    print("ready", flush=True)\n    time.sleep(60)\n');
    const prog = new ProgramSession(programCommand(file, 'python'));
    let out = '';
    prog.onDidOutput((t) => (out += t));
    await eventually(() => out.includes('ready'), 'ready');
    const pgid = prog.pid!;
    const exited = new Promise((r) => prog.onDidExit(r));
    prog.signal('SIGINT');
    await exited;
    // no process of that group is left
    await eventually(() => {
      try {
        process.kill(-pgid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 'group gone');
    const missing = new ProgramSession({ command: 'definitely-not-a-python-here', args: ['x.py'] });
    const e = await new Promise<{ error?: string }>((r) => missing.onDidExit(r));
    assert.match(e.error ?? '', /was not found/);
    missing.dispose();
    prog.dispose();
  });
});

describe('program runs end when the program ends, and count what they did', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('a SIGKILLed program is reported ended within 2 s, also when a child it forked keeps its output open', async () => {
    // the forked child inherits stdout: waiting for the pipes to close would wait for the child (the 25-minute "running")
    const file = script('forker.py', 'import os, time\nif os.fork() == 0:\n    time.sleep(30)\n    os._exit(0)\nprint("ready", flush=True)\ntime.sleep(60)\n');
    const prog = new ProgramSession(programCommand(file, 'python'), { cwd: dir });
    const watch = new ProgramWatch({ label: 'forker.py' });
    let out = '';
    prog.onDidOutput((t) => (out += t));
    prog.onDidStart((pid) => (watch.displayPid = pid));
    let exit: { signal: string | null } | undefined;
    prog.onDidExit((e) => (exit = e));
    watch.attach(prog.pid!);
    try {
      await eventually(() => out.includes('ready'), 'ready');
      const pid = prog.processId!;
      const t0 = Date.now();
      process.kill(pid, 'SIGKILL');
      await eventually(() => exit, 'the run ended', 2000);
      assert.equal(exit!.signal, 'SIGKILL');
      await eventually(() => watch.state === 'exited', 'the watch ended', 2000);
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      prog.dispose();
      watch.dispose();
      try {
        process.kill(-prog.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  it('a program it did not spawn is seen to end from /proc alone (SIGKILL, within 1 s)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn('python3', ['-c', 'import time; time.sleep(60)'], { stdio: 'ignore' });
    const watch = new ProgramWatch({ label: 'foreign' });
    watch.attach(child.pid!);
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(watch.state, 'running');
      const t0 = Date.now();
      child.kill('SIGKILL');
      await eventually(() => watch.state === 'exited', 'ended', 1000);
      assert.ok(Date.now() - t0 < 1000);
    } finally {
      watch.dispose();
    }
  });

  it('closing the run (its terminal) still reports its end', async () => {
    const file = script('long.py', 'import time\nprint("up", flush=True)\ntime.sleep(60)\n');
    const prog = new ProgramSession(programCommand(file, 'python'));
    let out = '';
    prog.onDidOutput((t) => (out += t));
    let ended = false;
    prog.onDidExit(() => (ended = true));
    await eventually(() => out.includes('up'), 'up');
    prog.dispose();
    await eventually(() => ended, 'exit reported after dispose', 5000);
  });

  it('a client that makes 2 connections and sends 200,017 bytes is reported as such (or as a stated lower bound)', async () => {
    let received = 0;
    let conns = 0;
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      conns++;
      c.on('data', (d) => (received += d.length));
      // answer the half-close a little later, so the client's end is seen after its FIN with its counters
      c.on('end', () => setTimeout(() => c.end(), 1200));
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const file = script('client2.py', [
      'import socket, time',
      `for n in (100000, 100017):`,
      `    s = socket.create_connection(("127.0.0.1", ${port}))`,
      '    time.sleep(0.3)',
      '    s.sendall(b"x" * n)',
      '    s.shutdown(socket.SHUT_WR)',
      '    while s.recv(4096): pass',
      '    s.close()',
    ].join('\n'));
    const prog = new ProgramSession(programCommand(file, 'python'), { cwd: dir });
    const watch = new ProgramWatch({ label: 'client2.py' });
    prog.onDidStart((pid) => (watch.displayPid = pid));
    const exited = new Promise<void>((r) => prog.onDidExit((e) => (watch.markExited(e.code), r())));
    watch.attach(prog.pid!);
    try {
      await exited;
      await new Promise((r) => setTimeout(r, 300)); // the last read after the end
      const sum = watch.summary();
      assert.equal(conns, 2);
      assert.equal(received, 200_017);
      if (sum.connectionsLowerBound) assert.ok(sum.connections <= 2);
      else assert.equal(sum.connections, 2);
      assert.equal(sum.connections, 2, 'each connection lasted 0.3 s: both are seen');
      assert.ok(sum.bytesSent !== undefined, 'ss reports byte counters');
      if (sum.bytesLowerBound) assert.ok(sum.bytesSent! <= 200_017);
      else assert.equal(sum.bytesSent, 200_017);
      assert.equal(sum.bytesSent, 200_017, 'the ends were seen after their FIN with their counters');
      assert.equal(sum.exitCode, 0);
    } finally {
      prog.dispose();
      watch.dispose();
      server.close();
    }
  });

  it('a server that receives 200,017 bytes says so, or says "at least"; a 1-connection client is counted', async () => {
    const file = script('sink.py', [
      'import socket',
      's = socket.socket()',
      's.bind(("127.0.0.1", 0))',
      's.listen()',
      'print("port", s.getsockname()[1], flush=True)',
      'c, _ = s.accept()',
      'n = 0',
      'while True:',
      '    d = c.recv(65536)',
      '    if not d: break',
      '    n += len(d)',
      'print("got", n, flush=True)',
      'c.close()',
    ].join('\n'));
    const prog = new ProgramSession(programCommand(file, 'python'), { cwd: dir });
    const watch = new ProgramWatch({ label: 'sink.py' });
    let out = '';
    prog.onDidOutput((t) => (out += t));
    prog.onDidStart((pid) => (watch.displayPid = pid));
    const exited = new Promise<void>((r) => prog.onDidExit((e) => (watch.markExited(e.code), r())));
    watch.attach(prog.pid!);
    try {
      const port = Number((await eventually(() => /port (\d+)/.exec(out) ?? undefined, 'port'))[1]);
      await eventually(() => watch.summary().listenPorts.includes(port) || undefined, 'LISTEN seen');
      const client = net.connect(port, '127.0.0.1');
      await new Promise((r) => client.once('connect', r));
      client.end(Buffer.alloc(200_017, 1));
      await exited;
      await new Promise((r) => setTimeout(r, 300));
      assert.match(out, /got 200017/);
      const sum = watch.summary();
      assert.equal(sum.connections, 1, 'the client end left in TIME_WAIT shows the connection');
      if (sum.bytesReceived === undefined || sum.bytesReceived !== 200_017) assert.ok(sum.bytesLowerBound, `${sum.bytesReceived} is said to be a lower bound`);
      assert.ok((sum.bytesReceived ?? 0) <= 200_017);
    } finally {
      prog.dispose();
      watch.dispose();
    }
  });

  it('Clear Closed forgets finished runs and keeps running ones', () => {
    const mgr = new ProgramWatchManager();
    const a = mgr.add(new ProgramWatch({ label: 'a' }));
    const b = mgr.add(new ProgramWatch({ label: 'b' }));
    a.markExited(0);
    assert.equal(mgr.clearFinished(), 1);
    assert.deepEqual(mgr.all(), [b]);
    mgr.dispose();
  });
});
