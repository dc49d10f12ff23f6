// `socket-lab listen` and its stdout (issue 11 items 5 and 10): a reader that stops reading must not make the
// listener buffer without bound, and a reader that leaves (`| head -1`) is a normal end, not a stack trace.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './helpers';
import { bundleForNode } from './tinyCapture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('socket-lab listen: stdout backpressure and EPIPE (issue 11 items 5, 10)', function () {
  this.timeout(60_000);
  let dir: string;
  let cli: string;
  const children: ChildProcessWithoutNullStreams[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-listen-out-'));
    cli = bundleForNode(path.join(repoRoot, 'src', 'cli.ts'), dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  /** Starts listen with piped stdout; resolves with the port once "listening on" was read. */
  async function listen(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; port: number; stderr: () => string }> {
    const child = spawn(process.execPath, [cli, 'listen', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d;
        if (out.includes('\n')) {
          child.stdout.off('data', onData);
          child.stdout.pause(); // from now on nobody reads: the pipe fills
          resolve(out);
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', () => reject(new Error(`listen exited: ${err}`)));
    });
    const port = Number(/listening on \S+:(\d+)/.exec(first)![1]);
    return { child, port, stderr: () => err };
  }

  it('TCP: a stalled reader makes the listener stop reading (the sender is pushed back), memory stays flat', async () => {
    const { child, port } = await listen(['tcp', '127.0.0.1:0', '--mode', 'print']);
    const before = rssMiB(child.pid!);
    // a client writing as fast as it may for 3 s: 64 KiB lines of text
    const line = Buffer.alloc(64 * 1024, 0x61);
    line[line.length - 1] = 0x0a;
    let sent = 0;
    await new Promise<void>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      const end = Date.now() + 3000;
      const pump = () => {
        while (Date.now() < end) {
          sent += line.length;
          if (!c.write(line)) return void c.once('drain', pump);
        }
        c.destroy();
        resolve();
      };
      c.on('connect', pump);
      c.on('error', () => resolve());
      setTimeout(() => {
        c.destroy();
        resolve();
      }, 3500);
    });
    await sleep(300);
    const after = rssMiB(child.pid!);
    console.log(`      [figure] listen-stalled-stdout tcp: sentMiB=${(sent / 2 ** 20).toFixed(1)} rssBeforeMiB=${before.toFixed(0)} rssAfterMiB=${after.toFixed(0)}`);
    // before: the whole stream was taken in and queued for stdout (817 MiB sent, 950 MB RSS in 6 s)
    assert.ok(sent < 64 * 2 ** 20, `the sender was not pushed back: ${sent} bytes went out`);
    assert.ok(after - before < 48, `RSS grew from ${before.toFixed(0)} to ${after.toFixed(0)} MiB`);
  });

  it('UDP: datagrams are not printed while stdout is blocked, memory stays flat, and the count is said once it flows', async () => {
    const { child, port, stderr } = await listen(['udp', '127.0.0.1:0', '--mode', 'print']);
    const before = rssMiB(child.pid!);
    const u = dgram.createSocket('udp4');
    const payload = Buffer.alloc(1024, 0x62);
    for (let i = 0; i < 20_000; i++) {
      u.send(payload, port, '127.0.0.1');
      if (i % 200 === 0) await sleep(1);
    }
    await sleep(500);
    u.close();
    const after = rssMiB(child.pid!);
    console.log(`      [figure] listen-stalled-stdout udp: datagrams=20000 rssBeforeMiB=${before.toFixed(0)} rssAfterMiB=${after.toFixed(0)}`);
    assert.ok(after - before < 48, `RSS grew from ${before.toFixed(0)} to ${after.toFixed(0)} MiB`);
    // the reader comes back: what was skipped is counted on stderr
    child.stdout.resume();
    const end = Date.now() + 10_000;
    while (!/datagrams? (was|were) not printed while the output was blocked/.test(stderr()) && Date.now() < end) await sleep(50);
    assert.match(stderr(), /socket-lab listen: \d+ datagrams? (was|were) not printed while the output was blocked/);
  });

  it('a reader that leaves (| head -1) ends listen quietly with exit 0', async () => {
    const { child, port, stderr } = await listen(['tcp', '127.0.0.1:0', '--mode', 'print']);
    child.stdout.destroy(); // the reading end closes, as when head has its line
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const c = net.connect(port, '127.0.0.1', () => {
      for (let i = 0; i < 200; i++) c.write(`line ${i}\n`);
    });
    c.on('error', () => undefined);
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
    c.destroy();
    assert.equal(code, 0, stderr());
    assert.equal(stderr(), '');
  });

  it('text mode says why a connection was closed (here by the idle timeout)', async () => {
    const { child, port, stderr } = await listen(['tcp', '127.0.0.1:0', '--mode', 'sink', '--idle-timeout', '0.3']);
    child.stdout.resume();
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => undefined);
    const end = Date.now() + 5000;
    while (!/closed:/.test(stderr()) && Date.now() < end) await sleep(50);
    c.destroy();
    assert.match(stderr(), /socket-lab listen: 127\.0\.0\.1:\d+ closed: /);
  });
});
