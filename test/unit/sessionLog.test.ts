// Session logs on real sockets, each format read back by another tool: xxd -r, JSON.parse, tshark.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { type LogFormat, SessionLog } from '../../src/core/sessions/sessionLog';
import { SocketLabError } from '../../src/core/errors';
import { hasTshark } from '../agreement';
import { runListen } from '../../src/core/cli/listenCommand';
import { runSend } from '../../src/core/cli/sendCommand';
import { until } from '../support';
import { captureIo, listeningAddress } from './helpers';

const enc = new TextEncoder();
const has = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).error === undefined;

describe('session logs: every format read back by another tool', function () {
  this.timeout(30_000);
  let dir: string;
  let m: SessionManager;
  const peers: net.Server[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-log-'));
    m = new SessionManager();
  });
  afterEach(() => {
    m.dispose();
    for (const p of peers.splice(0)) p.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A plain Node echo peer (not Socket Lab) on a free loopback port. */
  async function echoPeer(): Promise<number> {
    const srv = net.createServer((c) => c.on('data', (d) => c.write(d)).on('end', () => c.end()).on('error', () => undefined)); // reset when a test ends
    peers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return (srv.address() as net.AddressInfo).port;
  }

  /** A client session sends three messages (one of 100 KB) to the echo peer and reads the echoes, logged in `format`. */
  async function loggedConversation(format: LogFormat): Promise<{ file: string; sent: Uint8Array[]; log: SessionLog }> {
    const port = await echoPeer();
    const s = await m.connectTcp({ port });
    const file = path.join(dir, `conv.${format}`);
    const log = await SessionLog.open(file, { format });
    log.follow(m, s);
    const big = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    const sent = [enc.encode('hello\n'), enc.encode('tab\there \\ \x01 ünï\n'), big];
    for (const b of sent) {
      await s.send(b);
      const want = s.transcript.counters.bytesOut;
      await until(() => s.transcript.counters.bytesIn >= want, 'the echo');
    }
    s.halfClose();
    await until(() => !s.isAlive, 'the close');
    await log.stop();
    return { file, sent, log };
  }

  const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

  it('hex: xxd -r turns the dump back into every byte logged, both directions in order', async function () {
    if (!has('xxd')) this.skip();
    const { file, sent } = await loggedConversation('hex');
    const back = spawnSync('xxd', ['-r', file]);
    assert.equal(back.status, 0, back.stderr?.toString());
    // each message went out and came back (the echo may arrive in several chunks, all logged in order)
    const expected = concat(sent.flatMap((b) => [b, b]));
    assert.equal(back.stdout.length, expected.length);
    assert.ok(back.stdout.equals(expected), 'xxd -r gives the conversation');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^00000000: 6865 6c6c 6f0a +hello\. +\| \S+Z s\d+ out 6 B 127\.0\.0\.1:\d+$/m);
    assert.match(text, /\| \S+ s\d+ half-closed-by-us/);
  });

  it('jsonl: one record per chunk and event; base64 and hex both give the bytes', async () => {
    const { file, sent } = await loggedConversation('jsonl');
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const chunks = records.filter((r) => r.dir !== undefined);
    const out = concat(chunks.filter((r) => r.dir === 'out').map((r) => Buffer.from(r.base64 as string, 'base64')));
    const inn = concat(chunks.filter((r) => r.dir === 'in').map((r) => Buffer.from(r.hex as string, 'hex')));
    assert.ok(out.equals(concat(sent)));
    assert.ok(inn.equals(concat(sent)));
    for (const r of chunks) assert.equal(Buffer.from(r.base64 as string, 'base64').length, r.length);
    assert.ok(records.some((r) => r.event === 'half-closed-by-us'));
    assert.ok(records.every((r) => typeof r.time === 'string' && !Number.isNaN(Date.parse(r.time as string))));
  });

  it('text: a line per chunk with direction, size and escaped text', async () => {
    const { file } = await loggedConversation('text');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.ok(lines.some((l) => /^\S+Z {2}s\d+ → 127\.0\.0\.1:\d+ {2}6 B {2}hello\\n$/.test(l)), lines.slice(0, 3).join('\n'));
    assert.ok(lines.some((l) => l.endsWith('tab\\there \\\\ \\x01 ünï\\n')));
    assert.ok(lines.some((l) => / ── half-closed-by-us /.test(l)));
  });

  it('relative and delta timestamps count seconds from the first record and from the previous one', async () => {
    const port = await echoPeer();
    const s = await m.connectTcp({ port });
    const rel = await SessionLog.open(path.join(dir, 'rel.txt'), { format: 'text', timestamps: 'relative' });
    const delta = await SessionLog.open(path.join(dir, 'delta.txt'), { format: 'text', timestamps: 'delta' });
    rel.follow(m, s);
    delta.follow(m, s);
    for (const word of ['one', 'two']) {
      await s.send(enc.encode(word));
      await new Promise((r) => setTimeout(r, 300));
    }
    await rel.stop();
    await delta.stop();
    const times = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => Number(/^\+(\d+\.\d{3}) /.exec(l)?.[1]));
    const r = times('rel.txt');
    const d = times('delta.txt');
    assert.equal(r[0], 0);
    assert.ok(r.at(-1)! >= 0.3, `relative ${r}`);
    assert.ok(d.every((x) => x < 0.3 + 0.2), `delta ${d}`);
    assert.ok(r.every((x, i) => i === 0 || x >= r[i - 1]));
  });

  it('pcapng: tshark reads the synthesized connection, follows the same bytes, finds no bad checksum or analysis flag', async function () {
    if (!hasTshark()) this.skip();
    const { file, sent } = await loggedConversation('pcapng');
    const follow = spawnSync('tshark', ['-r', file, '-q', '-z', 'follow,tcp,raw,0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(follow.status, 0, follow.stderr);
    const lines = follow.stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
    const a = concat(lines.filter((l) => !l.startsWith('\t')).map((l) => Buffer.from(l, 'hex')));
    const b = concat(lines.filter((l) => l.startsWith('\t')).map((l) => Buffer.from(l.trim(), 'hex')));
    assert.ok(a.equals(concat(sent)), 'client → server bytes');
    assert.ok(b.equals(concat(sent)), 'server → client bytes');
    const check = spawnSync('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', 'tcp.checksum.status == 0 || ip.checksum.status == 0 || tcp.analysis.flags || _ws.malformed', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout.trim(), '', 'frames tshark flags');
    const flags = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.flags.str'], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.match(flags[0], /S/);
    assert.match(flags[1], /A.*S|S.*A/);
    assert.ok(flags.some((f) => f.includes('F')), 'the FIN of the half-close');
  });

  it('a server\'s log follows every connection it accepts; pcapng of UDP datagrams keeps both ports', async function () {
    const server = await m.startTcpServer({ port: 0, mode: 'echo' });
    const file = path.join(dir, 'server.jsonl');
    const log = await SessionLog.open(file, { format: 'jsonl' });
    log.follow(m, server);
    for (const word of ['alpha', 'beta']) {
      const c = net.connect(server.localPort!, '127.0.0.1');
      c.end(word);
      await new Promise((r) => c.on('close', r).resume());
    }
    await log.stop();
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { session: string; dir?: string; base64?: string });
    const got = (dir: string) => records.filter((r) => r.dir === dir).map((r) => Buffer.from(r.base64!, 'base64').toString());
    assert.deepEqual(got('in'), ['alpha', 'beta']);
    assert.deepEqual(got('out'), ['alpha', 'beta']);
    assert.equal(new Set(records.filter((r) => r.dir).map((r) => r.session)).size, 2, 'two connections');

    if (!hasTshark()) this.skip();
    const udp = await m.openUdp({ port: 0 });
    const peer = await m.openUdp({ port: 0 });
    const pfile = path.join(dir, 'udp.pcapng');
    const plog = await SessionLog.open(pfile, { format: 'pcapng' });
    plog.follow(m, udp);
    await udp.send(enc.encode('ping'), { host: '127.0.0.1', port: peer.localPort });
    await peer.send(enc.encode('pong'), { host: '127.0.0.1', port: udp.localPort });
    await until(() => udp.transcript.counters.chunksIn === 1, 'the datagram');
    await plog.stop();
    const r = spawnSync('tshark', ['-r', pfile, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'data.data'], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), `${udp.localPort}\t${peer.localPort}\t70696e67\n${peer.localPort}\t${udp.localPort}\t706f6e67`);
  });

  it('never overwrites a file; a missing folder and a Unix session in pcapng get one sentence', async () => {
    const existing = path.join(dir, 'mine.txt');
    fs.writeFileSync(existing, 'the user\'s notes');
    await assert.rejects(SessionLog.open(existing, { format: 'text' }), (e: unknown) => e instanceof SocketLabError && e.code === 'LOG_EXISTS' && /never overwrites/.test(e.message));
    assert.equal(fs.readFileSync(existing, 'utf8'), 'the user\'s notes');
    await assert.rejects(SessionLog.open(path.join(dir, 'nope', 'x.txt'), { format: 'text' }), (e: unknown) => e instanceof SocketLabError && e.code === 'LOG_FOLDER');
    const sock = path.join(dir, 'u.sock');
    const server = await m.startUnixServer({ path: sock });
    const log = await SessionLog.open(path.join(dir, 'u.pcapng'), { format: 'pcapng' });
    assert.throws(() => log.follow(m, server), (e: unknown) => e instanceof SocketLabError && e.code === 'LOG_PCAPNG_UNIX');
    await log.stop();
  });

  it('a full disk stops the log with a sentence and the session keeps running', async function () {
    // a 64 KiB tmpfs made by the test (root only; skipped elsewhere)
    const small = path.join(dir, 'small');
    fs.mkdirSync(small);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]).status !== 0) this.skip();
    try {
      const port = await echoPeer();
      const s = await m.connectTcp({ port });
      const log = await SessionLog.open(path.join(small, 'full.hex'), { format: 'hex' });
      let why: SocketLabError | undefined;
      log.onDidStop((e) => (why = e));
      log.follow(m, s);
      await s.send(new Uint8Array(200_000));
      await until(() => why !== undefined, 'the log to stop');
      assert.equal(why!.code, 'LOG_FULL');
      assert.match(why!.message, /disk is full.*session keeps running/);
      await until(() => s.transcript.counters.bytesIn === 200_000, 'the whole echo, read after the log stopped');
      await s.send(enc.encode('still here'));
      assert.ok(s.isAlive);
    } finally {
      spawnSync('umount', [small]);
    }
  });

  it('CLI: listen and send --log, the format from the extension or --log-format; usage mistakes exit 2', async function () {
    const io = captureIo;
    const lio = io();
    const srvLog = path.join(dir, 'server.pcapng');
    const listening = runListen(['tcp', '127.0.0.1:0', '--mode', 'upper', '--count', '1', '--timeout', '10', '--log', srvLog], lio);
    const addr = await listeningAddress(lio);
    const sio = io();
    const cliLog = path.join(dir, 'client.log');
    assert.equal(await runSend(['tcp', addr, '--text', 'hello', '--log', cliLog, '--log-format', 'jsonl', '--log-timestamps', 'relative'], sio), 0, sio.stderr);
    assert.equal(sio.stdout, 'HELLO');
    assert.equal(await listening, 0, lio.stderr);
    const recs = fs.readFileSync(cliLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { dir?: string; base64?: string; elapsed?: number });
    assert.deepEqual(recs.filter((r) => r.dir).map((r) => `${r.dir} ${Buffer.from(r.base64!, 'base64')}`), ['out hello', 'in HELLO']);
    assert.equal(typeof recs[0].elapsed, 'number');
    if (hasTshark()) {
      const r = spawnSync('tshark', ['-r', srvLog, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcp.payload'], { encoding: 'utf8' });
      assert.equal(r.stdout.trim(), `${Buffer.from('hello').toString('hex')}\n${Buffer.from('HELLO').toString('hex')}`);
    }
    // the same file again is refused (exit 1, one sentence), and the file is as it was
    const before = fs.readFileSync(cliLog);
    const again = io();
    const l2 = runListen(['tcp', '127.0.0.1:0', '--log', cliLog], again);
    assert.equal(await l2, 1);
    assert.match(again.stderr, /already exists — Socket Lab never overwrites a file/);
    assert.ok(fs.readFileSync(cliLog).equals(before));
    for (const bad of [['--log-format', 'csv', '--log', 'x'], ['--log-format', 'hex'], ['--log', 'x', '--log-timestamps', 'soon']]) {
      const b = io();
      assert.equal(await runSend(['tcp', addr, '--text', 'x', ...bad], b), 2, bad.join(' '));
      assert.match(b.stderr, /^socket-lab send: --log/);
    }
  });
});
