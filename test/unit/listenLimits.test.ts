// Issue 11, smaller items: manual mode passes stdin bytes through, refusals at the descriptor limit are said,
// an idle timeout closes silent connections, sendFile {path} is refused in Restricted Mode.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/core/cli/cliIo';
import { runListen } from '../../src/core/cli/listenCommand';
import { formatErrorMessage } from '../../src/core/errors';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { bundleForNode } from './tinyCapture';
import { until } from '../support';

function capture(stdin?: NodeJS.ReadableStream): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', stdin, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}


function listeningAddress(io: { stdout: string }): Promise<string> {
  return until(() => /listening on (\S+)\n/.test(io.stdout), 'listening').then(() => /listening on (\S+)\n/.exec(io.stdout)![1]);
}

function connect(addr: string): Promise<net.Socket> {
  const i = addr.lastIndexOf(':');
  const s = net.connect({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)) });
  return new Promise((resolve, reject) => s.once('connect', () => resolve(s)).once('error', reject));
}

describe('listen --mode manual passes stdin bytes through exactly (issue 11)', () => {
  it('non-UTF-8 bytes and CR arrive as typed; a line ends at LF; the last line without LF is sent at the end', async () => {
    const stdin = new PassThrough();
    const io = capture(stdin);
    const ac = new AbortController();
    io.signal = ac.signal;
    const done = runListen(['tcp', '0', '--mode', 'manual'], io);
    const c = await connect(await listeningAddress(io));
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    await until(() => io.stdout.includes('listening'), 'accept');
    await new Promise((r) => setTimeout(r, 50)); // the server has accepted by now
    const typed = Buffer.from([0xff, 0xfe, 0x41, 0x0d, 0x0a, 0xc4, 0xea, 0x0d, 0x0a, 0x80]);
    stdin.write(typed.subarray(0, 3));
    stdin.write(typed.subarray(3, 7));
    await until(() => Buffer.concat(got).length >= 5, 'the first line');
    assert.deepEqual(Buffer.concat(got), typed.subarray(0, 5), 'nothing goes out before its LF; then the line exactly');
    stdin.end(typed.subarray(7));
    await until(() => Buffer.concat(got).length >= typed.length, 'every byte');
    assert.deepEqual(Buffer.concat(got), typed);
    ac.abort();
    assert.equal(await done, 0);
    c.destroy();
  });
});

describe('idle timeout for accepted connections (issue 11)', function () {
  this.timeout(20_000);
  it('core: a connection with no traffic either way for that long closes with EIDLE; traffic keeps it open', async () => {
    const m = new SessionManager({ idleTimeoutMs: 300 });
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
      const quiet = await m.connectTcp({ port: srv.localPort! });
      const busy = await m.connectTcp({ port: srv.localPort! });
      const t0 = Date.now();
      const keep = setInterval(() => void busy.send(new TextEncoder().encode('.')).catch(() => undefined), 100);
      await until(() => srv.children.length === 2 && !srv.children.find((c) => c.localPort !== undefined && c.remotePort === quiet.localPort)!.isAlive, 'the quiet one closed');
      const child = srv.children.find((c) => c.remotePort === quiet.localPort)!;
      assert.ok(Date.now() - t0 >= 250, 'not before its time');
      assert.equal(child.error?.code, 'EIDLE');
      assert.match(child.error!.message, /no traffic either way for 0\.3 s \(the idle timeout\)/);
      assert.match(formatErrorMessage('EIDLE', child.error!.params!, 'zh-cn'), /空闲超时/);
      await until(() => !quiet.isAlive || quiet.state === 'half-closed-by-peer', 'the client sees the close');
      await new Promise((r) => setTimeout(r, 500));
      clearInterval(keep);
      assert.ok(srv.children.find((c) => c.remotePort === busy.localPort)!.isAlive, 'traffic keeps a connection open');
      // off by default
      const m2 = new SessionManager();
      const s2 = await m2.startTcpServer({ port: 0 });
      await m2.connectTcp({ port: s2.localPort! });
      await new Promise((r) => setTimeout(r, 400));
      assert.ok(s2.children[0].isAlive);
      m2.dispose();
    } finally {
      m.dispose();
    }
  });

  it('CLI: listen --idle-timeout closes a silent client and says why in --json; bad values are usage errors', async () => {
    const io = capture();
    const ac = new AbortController();
    io.signal = ac.signal;
    const done = runListen(['tcp', '0', '--idle-timeout', '0.3', '--json'], io);
    await until(() => io.stdout.includes('"listening"'), 'listening');
    const { port } = JSON.parse(io.stdout.split('\n')[0]) as { port: number };
    const c = await connect(`127.0.0.1:${port}`);
    c.resume();
    const closed = new Promise((r) => c.once('close', r));
    await closed;
    await until(() => io.stdout.includes('"closed"'), 'closed event');
    const ev = io.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; error?: string }).find((e) => e.event === 'closed');
    assert.equal(ev?.error, 'EIDLE');
    ac.abort();
    assert.equal(await done, 0);
    for (const bad of ['-1', 'x', '99999999999']) {
      const e = capture();
      assert.equal(await runListen(['tcp', '0', '--idle-timeout', bad], e), 2, bad);
      assert.match(e.stderr, /^socket-lab listen: --idle-timeout /);
    }
    const u = capture();
    assert.equal(await runListen(['udp', '0', '--idle-timeout', '5'], u), 2);
    assert.match(u.stderr, /--idle-timeout applies to tcp and unix/);
  });
});

describe('connections refused at the descriptor limit are said, not lost (issue 11)', function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    if (process.platform !== 'linux' || spawnSync('prlimit', ['--version']).status !== 0) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-emfile-'));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('listen under a limit of 40 descriptors: 80 clients; the refused ones are counted on stderr with EMFILE and the limit', async () => {
    const cli = bundleForNode(path.join(__dirname, '..', '..', 'src', 'cli.ts'), dir);
    // soft and hard: Node raises its soft limit to the hard one at startup
    const child = spawn('prlimit', ['--nofile=40:40', process.execPath, cli, 'listen', 'tcp', '0', '--mode', 'sink'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    try {
      const addr = await listeningAddress({ get stdout() { return out; } });
      const clients: net.Socket[] = [];
      let closedByServer = 0;
      for (let i = 0; i < 80; i++) {
        const s = await connect(addr);
        s.on('close', () => closedByServer++);
        s.on('error', () => undefined);
        clients.push(s);
      }
      await until(() => /refused/.test(err), 'a refusal on stderr');
      await new Promise((r) => setTimeout(r, 1300)); // the count of the others comes within a second
      assert.ok(closedByServer > 0, 'some connections were refused');
      assert.match(err, /^socket-lab listen: A connection from 127\.0\.0\.1:\d+ was refused: this process has no file descriptors left \(at most 40 open files\) — close some connections, or raise the limit \(ulimit -n\)\.\n/);
      const said = 1 + [...err.matchAll(/(\d+) more connections? refused in the last second \(EMFILE/g)].reduce((n, m) => n + Number(m[1]), 0);
      assert.equal(said, closedByServer, `every refused connection is counted: ${err}`);
      for (const c of clients) c.destroy();
      // once descriptors are back, it accepts again
      await new Promise((r) => setTimeout(r, 300));
      const again = await connect(addr);
      const shut = new Promise((r) => again.once('close', r));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(again.destroyed, false, 'accepted again after the others left');
      again.destroy();
      await shut;
      assert.equal(child.exitCode, null, 'the listener kept listening');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('socketLab.session.sendFile {path} in Restricted Mode (issue 11)', function () {
  this.timeout(20_000);
  /** The few vscode members sendFile touches, so the real SessionCommands runs against a real SessionManager. */
  function fakeVscode(trusted: boolean, picked?: string) {
    const shown: string[] = [];
    const vscode = {
      workspace: { isTrusted: trusted },
      l10n: { t: (s: string, ...a: unknown[]) => s.replace(/\{(\d+)\}/g, (_, i: string) => String(a[Number(i)])) },
      window: {
        showWarningMessage: (m: string) => void shown.push(m),
        showErrorMessage: (m: string) => void shown.push(m),
        showOpenDialog: async () => (picked ? [{ fsPath: picked }] : undefined),
        withProgress: (_o: unknown, f: () => Promise<unknown>) => f(),
      },
      ProgressLocation: { Window: 10 },
      env: { language: 'en' },
    };
    return { vscode, shown };
  }

  async function withFakeVscode<T>(fake: unknown, f: (mod: typeof import('../../src/vscode/connections/sessionCommands')) => Promise<T>): Promise<T> {
    const M = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
    const load = M._load;
    M._load = function (req: string, ...rest: unknown[]) {
      return req === 'vscode' ? fake : load.call(this, req, ...rest);
    };
    try {
      const file = require.resolve('../../src/vscode/connections/sessionCommands');
      // every vscode-layer module again, so each sees this fake
      for (const k of Object.keys(require.cache)) if (k.includes(`${path.sep}src${path.sep}vscode${path.sep}`)) delete require.cache[k];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return await f(require(file) as typeof import('../../src/vscode/connections/sessionCommands'));
    } finally {
      M._load = load;
    }
  }

  it('untrusted: a path given as an argument is refused; a file picked in the dialog is sent; trusted: the argument is sent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-sendfile-'));
    const secret = path.join(dir, 'secret.txt');
    fs.writeFileSync(secret, 'PRIVATE-KEY-MATERIAL');
    const m = new SessionManager();
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
      const cli = await m.connectTcp({ port: srv.localPort! });
      const context = { globalState: { get: (_k: string, d: unknown) => d, update: async () => undefined }, subscriptions: [] };
      const run = async (trusted: boolean, args: object, picked?: string) => {
        const { vscode, shown } = fakeVscode(trusted, picked);
        const sent = await withFakeVscode(vscode, async (mod) => new mod.SessionCommands(context as never, m, { open: () => true } as never).sendFile({ sessionId: cli.id, ...args }));
        return { sent, shown };
      };
      const refused = await run(false, { path: secret });
      assert.equal(refused.sent, undefined);
      assert.equal(refused.shown.length, 1);
      assert.match(refused.shown[0], /needs a trusted workspace/);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(srv.stats.bytesIn, 0, 'nothing was read or sent');
      const picked = await run(false, {}, secret);
      assert.equal(picked.sent, 20, 'a file the user picks is still sent in Restricted Mode');
      const trusted = await run(true, { path: secret });
      assert.equal(trusted.sent, 20);
      await until(() => srv.stats.bytesIn === 40, 'both sends arrived');
    } finally {
      m.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
