import * as assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListenerSession } from '../../src/core/sessions/listenerSession';
import { Session, SessionState } from '../../src/core/sessions/session';
import { checkPort, SessionManager } from '../../src/core/sessions/sessionManager';
import { StreamSession } from '../../src/core/sessions/streamSession';
import { mapSocketError, SocketLabError } from '../../src/core/errors';
import { until } from '../support';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const stateIs = (s: Session, st: SessionState) => until(() => s.state === st, `state ${st}`, 10_000, 5);

/** A plain Node client that collects what it reads. */
function rawClient(port: number, host = '127.0.0.1'): Promise<{ sock: net.Socket; got: () => Buffer; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ port, host, allowHalfOpen: true });
    const ended = new Promise<void>((r) => sock.on('end', () => r()));
    sock.on('data', (b) => chunks.push(b));
    sock.on('error', reject);
    sock.on('connect', () => resolve({ sock, got: () => Buffer.concat(chunks), ended }));
  });
}

describe('sessions: TCP', () => {
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager()));
  afterEach(() => m.dispose());

  for (const host of ['127.0.0.1', '::1']) {
    it(`echo server and client over ${host}, with the accepted child owned by the server`, async () => {
      const srv = await m.startTcpServer({ host, port: 0, mode: 'echo' });
      assert.equal(srv.state, 'listening');
      assert.equal(srv.localAddress, host);
      assert.ok(srv.localPort! > 0);
      const c = await m.connectTcp({ host, port: srv.localPort! });
      assert.equal(c.state, 'open');
      const got: string[] = [];
      c.onDidReceiveMessage((msg) => got.push(dec(msg.data)));
      await c.send(enc('ping'));
      await until(() => c.transcript.counters.bytesIn === 4, 'c.transcript.counters.bytesIn === 4', 10_000, 5);
      assert.deepEqual(got, ['ping']);
      assert.equal(srv.children.length, 1);
      const child = srv.children[0];
      assert.equal(child.kind, 'tcp-accepted');
      assert.equal(child.parentId, srv.id);
      assert.equal(child.remotePort, c.localPort);
      assert.deepEqual(m.childrenOf(srv.id).map((s) => s.id), [child.id]);
      assert.equal(child.transcript.counters.bytesIn, 4);
      assert.equal(child.transcript.counters.bytesOut, 4);
      assert.equal(srv.stats.bytesIn, 4);
      assert.equal(child.transcript.chunks()[0].peer, `${host.includes(':') ? `[${host}]` : host}:${c.localPort}`);
      assert.equal(c.label, `${host.includes(':') ? `[${host}]` : host}:${srv.localPort}`);
    });
  }

  it('a server given only a port binds 127.0.0.1', async () => {
    const srv = await m.startTcpServer({ port: 0 });
    assert.equal(srv.localAddress, '127.0.0.1');
  });

  it('upper, sink, print-only and manual behave, and the mode switches while running', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'upper' });
    const c = await rawClient(srv.localPort!);
    c.sock.write('abc年');
    await until(() => Buffer.from('ABC年').equals(c.got()), "Buffer.from('ABC\u5e74').equals(c.got())", 10_000, 5);
    const child = srv.children[0];
    const serverMsgs: string[] = [];
    srv.onDidReceiveMessage((msg) => serverMsgs.push(dec(msg.data)));

    srv.setMode('sink');
    assert.equal(child.mode, 'sink');
    c.sock.write('zzz');
    await until(() => child.transcript.counters.bytesIn === 3 + 6, 'child.transcript.counters.bytesIn === 3 + 6', 10_000, 5);
    assert.equal(child.transcript.counters.bytesOut, 6, 'sink answers nothing');
    assert.deepEqual(serverMsgs, [], 'sink discards without delivering');

    srv.setMode('print-only');
    c.sock.write('printed');
    await until(() => serverMsgs.length === 1, 'serverMsgs.length === 1', 10_000, 5);
    assert.deepEqual(serverMsgs, ['printed']);
    assert.equal(child.transcript.counters.bytesOut, 6);

    srv.setMode('manual');
    c.sock.write('q?');
    await until(() => serverMsgs.length === 2, 'serverMsgs.length === 2', 10_000, 5);
    await child.send(enc('answer'));
    await until(() => c.got().toString().endsWith('answer'), "c.got().toString().endsWith('answer')", 10_000, 5);
    assert.equal(child.transcript.counters.bytesOut, 12);
    // the server's send broadcasts to its open children
    await srv.send(enc('!'));
    await until(() => c.got().toString().endsWith('answer!'), "c.got().toString().endsWith('answer!')", 10_000, 5);
    c.sock.destroy();
  });

  it('states: connecting → open → half-closed-by-us → closed, and half-closed-by-peer', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'manual' });
    const seen: SessionState[] = [];
    const pending = m.connectTcp({ port: srv.localPort! });
    const c0 = m.all().find((s) => s.kind === 'tcp-client')!;
    seen.push(c0.state);
    const c = await pending;
    seen.push(c.state);
    await until(() => srv.children.length === 1, 'srv.children.length === 1', 10_000, 5);
    const child = srv.children[0];
    c.halfClose();
    seen.push(c.state);
    await stateIs(child, 'half-closed-by-peer');
    // a half-closed peer can still be answered
    const got: string[] = [];
    c.onDidReceiveMessage((msg) => got.push(dec(msg.data)));
    await child.send(enc('still here'));
    await until(() => got.join('') === 'still here', "got.join('') === 'still here'", 10_000, 5);
    assert.equal(c.state, 'half-closed-by-us');
    child.halfClose();
    await stateIs(c, 'closed');
    await stateIs(child, 'closed');
    seen.push(c.state);
    assert.deepEqual(seen, ['connecting', 'open', 'half-closed-by-us', 'closed']);
    assert.ok(c.closedAt! >= c.startedAt);
    await assert.rejects(c.send(enc('x')), (e: SocketLabError) => e.code === 'ECLOSED');
  });

  it('echo mode closes its side after the peer finishes, after answering everything', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const c = await rawClient(srv.localPort!);
    c.sock.end('bye');
    await c.ended;
    assert.equal(c.got().toString(), 'bye');
  });

  it('closing a server closes the connections it accepted; clearClosed forgets them', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'manual' });
    const c = await m.connectTcp({ port: srv.localPort! });
    await until(() => srv.children.length === 1, 'srv.children.length === 1', 10_000, 5);
    const child = srv.children[0];
    srv.close();
    await stateIs(srv, 'closed');
    await stateIs(child, 'closed');
    await stateIs(c, 'half-closed-by-peer');
    c.close();
    await stateIs(c, 'closed');
    assert.equal(m.all().length, 3);
    assert.equal(m.openCount, 0);
    assert.equal(m.clearClosed(), 3);
    assert.equal(m.all().length, 0);
  });

  it('clearClosed keeps live servers and removes their closed children', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'manual' });
    const c = await m.connectTcp({ port: srv.localPort! });
    await until(() => srv.children.length === 1, 'srv.children.length === 1', 10_000, 5);
    c.close();
    await stateIs(srv.children[0], 'half-closed-by-peer');
    srv.children[0].close();
    await stateIs(srv.children[0], 'closed');
    assert.equal(m.clearClosed(), 2);
    assert.deepEqual(m.all().map((s) => s.id), [srv.id]);
    assert.equal(srv.children.length, 0);
  });

  it('length-prefixed framing reassembles messages on receive and frames on send', async () => {
    const framing = { kind: 'length', size: 4, endian: 'be' } as const;
    const srv = await m.startTcpServer({ port: 0, mode: 'print-only', framing });
    const msgs: string[] = [];
    srv.onDidReceiveMessage((msg) => msgs.push(dec(msg.data)));
    const c = await m.connectTcp({ port: srv.localPort!, framing });
    await c.send(enc('one'));
    await c.send(enc('two'));
    // raw bytes that start a frame but do not complete it: nothing is delivered yet
    await c.send(Uint8Array.of(0, 0, 0, 5, 0x61, 0x62), { framing: { kind: 'raw' } });
    await until(() => srv.stats.bytesIn === 7 + 7 + 6, 'srv.stats.bytesIn === 7 + 7 + 6', 10_000, 5);
    assert.deepEqual(msgs, ['one', 'two']);
    assert.equal(dec(srv.children[0].transcript.read(0, 7).subarray(4)), 'one');
  });

  it('the transcript ring drops old chunks and counts the drop', async () => {
    const small = new SessionManager({ transcriptBytes: 1000 });
    try {
      const srv = await small.startTcpServer({ port: 0, mode: 'sink' });
      const c = await small.connectTcp({ port: srv.localPort! });
      for (let i = 0; i < 10; i++) await c.send(new Uint8Array(300).fill(i));
      const t = c.transcript;
      assert.equal(t.counters.bytesOut, 3000);
      assert.equal(t.counters.droppedChunks, 7);
      assert.equal(t.counters.droppedBytes, 2100);
      assert.equal(t.startOffset, 2100);
      assert.equal(t.read(2100, 1)[0], 7);
      assert.equal(c.stats.droppedBytes, 2100);
    } finally {
      small.dispose();
    }
  });

  it('backpressure: sending a stream to a slow reader waits instead of buffering it all', async () => {
    let reader!: net.Socket;
    const plain = net.createServer((s) => {
      reader = s;
      s.pause();
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const c = await m.connectTcp({ port: (plain.address() as net.AddressInfo).port });
      const total = 256 * 1024 * 1024;
      let produced = 0;
      async function* gen(): AsyncGenerator<Uint8Array> {
        const chunk = new Uint8Array(64 * 1024);
        while (produced < total) {
          produced += chunk.length;
          yield chunk;
        }
      }
      const sending = c.sendStream(gen(), total);
      await until(() => c.socket.writableNeedDrain, 'c.socket.writableNeedDrain', 10_000, 5);
      const atStall = produced;
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(produced, atStall, 'nothing more is read from the source while the socket is full');
      assert.ok(produced < total / 4, `produced ${produced} of ${total} while the reader was paused`);
      assert.ok(c.socket.writableLength <= 2 * 64 * 1024, `queued ${c.socket.writableLength}`);
      let received = 0;
      reader.on('data', (b: Buffer) => (received += b.length));
      reader.resume();
      assert.equal(await sending, total);
      await new Promise<void>((r) => {
        const check = () => (received === total ? r() : setImmediate(check));
        check();
      });
      assert.ok(c.transcript.counters.droppedBytes > 0, 'ring stayed bounded');
      assert.equal(c.transcript.counters.bytesOut, total);
    } finally {
      reader?.destroy();
      plain.close();
    }
  });

  it('backpressure: an echo server stops reading while its peer does not read the answers', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const sock = net.connect({ port: srv.localPort!, host: '127.0.0.1' });
    sock.pause();
    const total = 64 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 7);
    let written = 0;
    // write until our own socket says stop, repeatedly, while not reading
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (written < total) {
          written += block.length;
          if (!sock.write(block)) return void sock.once('drain', pump);
        }
        resolve();
      };
      sock.once('connect', pump);
      // the echo server stalls us long before 64 MiB; detect the stall by our socket staying full
      const poll = setInterval(() => {
        if (sock.writableNeedDrain && srv.children[0]?.socket.isPaused()) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    const child = srv.children[0];
    assert.ok(child.socket.isPaused(), 'the echo side paused reading');
    assert.ok(child.transcript.counters.bytesIn < total, `echo read ${child.transcript.counters.bytesIn}`);
    assert.ok(child.socket.writableLength < 16 * 1024 * 1024, `echo queued ${child.socket.writableLength}`);
    sock.destroy();
  });

  it('each session keeps its events (connect, half-close, close) in order, placed between the chunks around them', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'manual' });
    const c = await m.connectTcp({ port: srv.localPort! });
    await until(() => srv.children.length === 1, 'srv.children.length === 1', 10_000, 5);
    const child = srv.children[0];
    await c.send(enc('one'));
    await until(() => child.transcript.nextSeq === 1, 'child.transcript.nextSeq === 1', 10_000, 5);
    c.halfClose();
    await stateIs(child, 'half-closed-by-peer');
    await child.send(enc('two'));
    await until(() => c.transcript.nextSeq === 2, 'c.transcript.nextSeq === 2', 10_000, 5);
    child.halfClose();
    await stateIs(c, 'closed');
    await stateIs(child, 'closed');
    assert.deepEqual(c.events.map((e) => [e.state, e.seq]), [['connecting', 0], ['open', 0], ['half-closed-by-us', 1], ['closed', 2]]);
    assert.deepEqual(child.events.map((e) => [e.state, e.seq]), [['open', 0], ['half-closed-by-peer', 1], ['closed', 2]]);
    assert.deepEqual(srv.events.map((e) => e.state), ['listening']);
    const times = c.events.map((e) => e.time);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.equal(c.events[0].time, c.startedAt);
  });

  it('an echo server\'s connection records the peer\'s FIN before it closes its own side', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const c = await m.connectTcp({ port: srv.localPort! });
    await until(() => srv.children.length === 1, 'the accepted connection', 10_000, 5);
    c.halfClose();
    const child = srv.children[0];
    await stateIs(child, 'closed');
    assert.deepEqual(child.events.map((e) => e.state), ['open', 'half-closed-by-peer', 'closed']);
  });

  it('a reset is an event with its code', async () => {
    const plain = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const c = await m.connectTcp({ port: (plain.address() as net.AddressInfo).port });
      await stateIs(c, 'failed');
      assert.deepEqual(c.events.map((e) => [e.state, e.code]), [['connecting', undefined], ['open', undefined], ['failed', 'ECONNRESET']]);
    } finally {
      plain.close();
    }
  });

  it('a peer reset maps to ECONNRESET and the session fails with that sentence', async () => {
    const plain = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      // the reset may even beat the connect promise: either way the session ends failed with ECONNRESET
      await m.connectTcp({ port: (plain.address() as net.AddressInfo).port }).catch(() => undefined);
      const c = m.all()[0];
      await stateIs(c, 'failed');
      assert.equal(c.error?.code, 'ECONNRESET');
      assert.match(c.error!.message, /reset the connection/);
    } finally {
      plain.close();
    }
  });

  it('sending after the peer reset rejects with a mapped error, never an unhandled event', async () => {
    const plain = net.createServer((s) => s.on('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const c = await m.connectTcp({ port: (plain.address() as net.AddressInfo).port });
      await c.send(enc('x'));
      await stateIs(c, 'failed');
      await assert.rejects(c.send(enc('y')), (e: SocketLabError) => ['ECLOSED', 'EPIPE', 'ECONNRESET'].includes(e.code));
    } finally {
      plain.close();
    }
  });
});

describe('sessions: mapped errors on real sockets', () => {
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager()));
  afterEach(() => m.dispose());

  it('ECONNREFUSED: the failed client stays listed with the sentence', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await assert.rejects(m.connectTcp({ port }), (e: SocketLabError) => {
      assert.equal(e.code, 'ECONNREFUSED');
      assert.equal(e.message, `Nothing listens on 127.0.0.1:${port} — start the server first, or check the host and port.`);
      assert.match(e.localized('zh-cn'), /没有程序在监听/);
      const s = m.get(e.sessionId!)!;
      assert.equal(s.state, 'failed');
      assert.equal(s.error?.code, 'ECONNREFUSED');
      return true;
    });
  });

  it('EADDRINUSE names the process holding the port', async () => {
    const first = await m.startTcpServer({ port: 0 });
    await assert.rejects(m.startTcpServer({ port: first.localPort! }), (e: SocketLabError) => {
      assert.equal(e.code, 'EADDRINUSE');
      assert.ok(e.message.startsWith(`127.0.0.1:${first.localPort} is already in use`));
      if (process.platform === 'linux') assert.ok(e.message.includes(`(pid ${process.pid})`), e.message);
      assert.equal(m.get(e.sessionId!)?.state, 'failed');
      return true;
    });
  });

  it('an IPv4 UDP socket sending to an IPv6 address says so in a sentence (was: "send EINVAL"), and stays usable', async () => {
    const a = await m.openUdp({ host: '127.0.0.1', port: 0 });
    await assert.rejects(a.send(enc('x'), { host: '::1', port: 9 }), (e: SocketLabError) => e.code === 'EFAMILY' && /IPv4.*\[::1\]:9/.test(e.message));
    assert.equal(a.state, 'open');
  });

  it('port 0 as a destination is refused with its own sentence; a connect timeout on loopback names the full listen queue', async () => {
    assert.throws(() => checkPort(0, false), (e: SocketLabError) => e.code === 'EBADPORT' && /Port 0 cannot be connected/.test(e.message));
    assert.throws(() => checkPort(70000, false), (e: SocketLabError) => /"70000" is not a port/.test(e.message));
    assert.match(mapSocketError({ code: 'ETIMEDOUT' }, { host: '127.0.0.1', port: 9 }).message, /listen queue is full/);
    assert.match(mapSocketError({ code: 'ETIMEDOUT' }, { host: '192.0.2.1', port: 9 }).message, /firewall/);
  });

  it('EMSGSIZE for an over-large datagram; the UDP socket stays usable', async () => {
    const a = await m.openUdp({ port: 0 });
    const b = await m.openUdp({});
    await assert.rejects(b.send(new Uint8Array(70000), { port: a.localPort }), (e: SocketLabError) => e.code === 'EMSGSIZE' && e.message.includes('70000 bytes'));
    await b.send(enc('ok'), { port: a.localPort });
    await until(() => a.transcript.counters.bytesIn === 2, 'a.transcript.counters.bytesIn === 2', 10_000, 5);
    assert.equal(b.state, 'open');
  });

  it('ENOENT for a Unix path nobody listens on', async () => {
    const p = path.join(os.tmpdir(), `sl-missing-${process.pid}.sock`);
    await assert.rejects(m.connectUnix({ path: p }), (e: SocketLabError) => e.code === 'ENOENT' && e.message.includes(p));
  });

  it('a bad host name maps to ENOTFOUND or EAI_AGAIN with the name in the sentence', async () => {
    await assert.rejects(m.connectTcp({ host: 'no-such-host.invalid', port: 80 }), (e: SocketLabError) => ['ENOTFOUND', 'EAI_AGAIN'].includes(e.code) && e.message.includes('"no-such-host.invalid"'));
  });

  it('ETIMEDOUT when a connection does not come up in time', async () => {
    // a listener whose accept queue is full drops further SYNs, so the connect hangs
    const py = await import('node:child_process');
    const child = py.spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((r) => child.stdout.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
      const fillers: net.Socket[] = [];
      for (let i = 0; i < 4; i++) fillers.push(net.connect({ port, host: '127.0.0.1' }).on('error', () => undefined));
      await assert.rejects(m.connectTcp({ port, timeoutMs: 1500 }), (e: SocketLabError) => {
        // the first connects may still fit in the queue; ours must not
        return e.code === 'ETIMEDOUT' && /No answer from 127\.0\.0\.1/.test(e.message);
      });
      for (const f of fillers) f.destroy();
    } finally {
      child.kill();
    }
  });

  it('a bad port is refused before anything opens', async () => {
    await assert.rejects(m.startTcpServer({ port: 70000 }), (e: SocketLabError) => e.code === 'EBADPORT' && e.message.includes('"70000"'));
    await assert.rejects(m.connectTcp({ port: 0 }), (e: SocketLabError) => e.code === 'EBADPORT');
    assert.equal(m.all().length, 0);
  });
});

describe('sessions: UDP', () => {
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager()));
  afterEach(() => m.dispose());

  for (const host of ['127.0.0.1', '::1']) {
    it(`a bound echo socket answers an unbound one over ${host}`, async () => {
      const srv = await m.openUdp({ host, port: 0, mode: 'echo' });
      assert.equal(srv.state, 'open');
      assert.ok(srv.isBound);
      const cli = await m.openUdp({});
      assert.equal(cli.isBound, false);
      assert.equal(cli.label, 'udp (unbound)');
      const got: { text: string; peer?: string }[] = [];
      cli.onDidReceiveMessage((msg) => got.push({ text: dec(msg.data), peer: msg.peer }));
      await cli.send(enc('one'), { host, port: srv.localPort });
      await cli.send(enc('two'), { host, port: srv.localPort });
      await until(() => got.length === 2, 'got.length === 2', 10_000, 5);
      assert.deepEqual(got.map((g) => g.text), ['one', 'two']);
      assert.equal(got[0].peer, host.includes(':') ? `[${host}]:${srv.localPort}` : `${host}:${srv.localPort}`);
      assert.ok(cli.isBound, 'the first send bound it');
      assert.equal(cli.localAddress, host, 'to loopback, on loopback only (not every interface)');
      assert.equal(srv.transcript.counters.chunksIn, 2);
      assert.equal(srv.transcript.counters.chunksOut, 2);
    });
  }

  it('manual mode replies to the last peer; upper upper-cases; a default target can be set', async () => {
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const got: string[] = [];
    peer.on('message', (b) => got.push(b.toString()));
    try {
      const u = await m.openUdp({ port: 0, remoteHost: '127.0.0.1', remotePort: peer.address().port });
      await u.send(enc('hello'));
      await new Promise<void>((r) => peer.once('message', () => r()));
      peer.send('HI', u.localPort!, '127.0.0.1');
      await until(() => u.transcript.counters.bytesIn === 2, 'u.transcript.counters.bytesIn === 2', 10_000, 5);
      assert.equal(u.lastPeerAddress, `127.0.0.1:${peer.address().port}`);
      // both ends in the label: the destination stays in sight once the socket is bound
      assert.equal(u.label, `127.0.0.1:${u.localPort} → 127.0.0.1:${peer.address().port}`);
      u.setMode('upper');
      peer.send('abc', u.localPort!, '127.0.0.1');
      await new Promise<void>((r) => peer.once('message', () => r()));
      assert.deepEqual(got, ['hello', 'ABC']);
    } finally {
      peer.close();
    }
  });

  it('an unbound socket without a target says so', async () => {
    const u = await m.openUdp({});
    await assert.rejects(u.send(enc('x')), (e: SocketLabError) => e.code === 'ENOTARGET');
  });

  it('EADDRINUSE when the UDP port is taken', async () => {
    const a = await m.openUdp({ port: 0 });
    await assert.rejects(m.openUdp({ port: a.localPort }), (e: SocketLabError) => e.code === 'EADDRINUSE');
  });

  it('close() makes it closed and later sends reject', async () => {
    const u = await m.openUdp({ port: 0 });
    u.close();
    await stateIs(u, 'closed');
    await assert.rejects(u.send(enc('x'), { port: 9 }), (e: SocketLabError) => e.code === 'ECLOSED');
    u.close();
  });
});

describe('sessions: Unix domain', () => {
  let m: SessionManager;
  let dir: string;
  beforeEach(() => {
    m = new SessionManager();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-unix-'));
  });
  afterEach(() => {
    m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an upper server and a client talk over a path; children are numbered', async () => {
    const p = path.join(dir, 's.sock');
    const srv = await m.startUnixServer({ path: p, mode: 'upper' });
    assert.equal(srv.kind, 'unix-server');
    assert.equal(srv.label, p);
    assert.equal(srv.state, 'listening');
    const c = await m.connectUnix({ path: p });
    assert.equal(c.kind, 'unix-client');
    const got: string[] = [];
    c.onDidReceiveMessage((msg) => got.push(dec(msg.data)));
    await c.send(enc('hi there'));
    await until(() => got.join('') === 'HI THERE', "got.join('') === 'HI THERE'", 10_000, 5);
    assert.equal(srv.children[0].kind, 'unix-accepted');
    assert.equal(srv.children[0].label, `${p} #1`);
    c.halfClose();
    await stateIs(c, 'closed'); // upper mode closes after the peer finished
  });

  it('reuses a stale socket file left by a crashed server, but not a live one', async () => {
    const p = path.join(dir, 'stale.sock');
    // a socket file with nobody behind it: bind, then close without unlinking (as a crash would)
    const py = await import('node:child_process');
    py.execFileSync('python3', ['-c', `import socket\ns=socket.socket(socket.AF_UNIX)\ns.bind(${JSON.stringify(p)})`]);
    assert.ok(fs.statSync(p).isSocket());
    const srv = await m.startUnixServer({ path: p });
    assert.equal(srv.state, 'listening');
    await assert.rejects(m.startUnixServer({ path: p }), (e: SocketLabError) => e.code === 'EADDRINUSE' && e.message.includes(p) && /delete the old socket file/.test(e.message));
  });
});

describe('sessions: manager', () => {
  it('fires onDidChange for added sessions and state changes; dispose is safe twice', async () => {
    const m = new SessionManager();
    const kinds: string[] = [];
    m.onDidChange((e) => kinds.push(e.kind));
    const srv = await m.startTcpServer({ port: 0 });
    assert.ok(srv instanceof ListenerSession);
    assert.ok(kinds.includes('added') && kinds.includes('state'));
    const c = await m.connectTcp({ port: srv.localPort! });
    assert.ok(c instanceof StreamSession);
    assert.equal(m.get(c.id), c);
    assert.equal(m.roots().length, 2);
    m.closeAll();
    await stateIs(srv, 'closed');
    m.dispose();
    m.dispose();
    assert.equal(m.all().length, 0);
  });
});
