// Faults on real loopback sockets: each ends in a clear state with a coded sentence, and leaves
// no socket, timer or descriptor behind. (Helper SIGKILL: capture.test.ts; lesson kill: lessons.test.ts.)
import * as assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as os from 'node:os';
import { errorMessages, SocketLabError } from '../../src/core/errors';
import { Session } from '../../src/core/sessions/session';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { backToMark, mark, MiB, randomBytes, sleep } from './hardening.util';
import { prng as rng } from './helpers';
import { until } from '../support';

/** A coded error whose sentence is the table's (no stack, no raw errno text). */
function assertCoded(e: unknown, codes: string[], mentions?: string): SocketLabError {
  assert.ok(e instanceof SocketLabError, `expected a SocketLabError, got ${String(e)}`);
  assert.ok(codes.includes(e.code), `code ${e.code}, expected one of ${codes.join(', ')}`);
  assert.ok(errorMessages[e.messageKey], `no sentence for ${e.messageKey}`);
  assert.doesNotMatch(e.message, /\n\s+at |node:internal/, 'no stack trace in the sentence');
  if (mentions) assert.ok(e.message.includes(mentions), `"${e.message}" should name ${mentions}`);
  return e;
}
function assertFailedWith(s: Session, codes: string[]): void {
  assert.equal(s.state, 'failed');
  assert.ok(s.error && codes.includes(s.error.code), `error ${s.error?.code}`);
  assert.ok(s.error!.message.length > 10 && !s.error!.message.includes('\n'));
}

/** A foreign peer server (a student's program) that does something rude to each connection. */
const peerSockets = new WeakMap<net.Server, Set<net.Socket>>();
function peerServer(onConn: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => {
    const open = new Set<net.Socket>();
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
      onConn(s);
    });
    peerSockets.set(srv, open);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}
const portOf = (srv: net.Server) => (srv.address() as net.AddressInfo).port;
/** Closes the peer server and whatever connections it still holds. */
const closeServer = (srv: net.Server) => new Promise<void>((r) => {
  for (const s of peerSockets.get(srv) ?? []) s.destroy();
  if (srv.listening) srv.close(() => r());
  else r();
});

async function* repeat(chunk: Uint8Array, times: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < times; i++) yield chunk;
}

describe('hardening: faults (loopback, real sockets)', function () {
  this.timeout(30_000);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  let m: SessionManager;
  let before0: ReturnType<typeof mark>;
  beforeEach(() => {
    unhandled.length = 0;
    before0 = mark();
    m = new SessionManager();
  });
  afterEach(async () => {
    m.dispose();
    m.dispose();
    await backToMark(before0);
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });

  it('the peer resets mid-transfer: the sending stream rejects with ECONNRESET/EPIPE and the session fails with that sentence', async () => {
    let got = 0;
    const peer = await peerServer((s) => s.on('data', (b) => {
      got += b.length;
      if (got > MiB) s.resetAndDestroy();
    }));
    try {
      const c = await m.connectTcp({ port: portOf(peer) });
      const err = await c.sendStream(repeat(randomBytes(rng(1), 64 * 1024), 1024)).then(() => undefined, (e: unknown) => e);
      assertCoded(err, ['ECONNRESET', 'EPIPE']);
      await until(() => c.state === 'failed', 'client failed', 5000, 1);
      assertFailedWith(c, ['ECONNRESET', 'EPIPE']);
      await assert.rejects(c.send(Uint8Array.of(1)), (e) => !!assertCoded(e, ['ECLOSED', 'ECONNRESET', 'EPIPE']));
    } finally {
      await closeServer(peer);
    }
  });

  it('a client resets mid-transfer into a Socket Lab echo server: only that connection fails, the server keeps serving', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const rude = net.connect({ port: srv.localPort!, host: '127.0.0.1' });
    rude.on('error', () => undefined);
    await new Promise((r) => rude.on('connect', r));
    rude.write(randomBytes(rng(2), 256 * 1024));
    await until(() => srv.children[0]?.transcript.counters.bytesIn > 0, 'data arriving', 5000, 1);
    rude.resetAndDestroy();
    const child = srv.children[0];
    await until(() => !child.isAlive, 'the child to end', 5000, 1);
    // a reset with echo answers still in flight fails the child; a reset after everything was read just closes it
    assert.ok(child.state === 'closed' || (child.state === 'failed' && child.error?.code === 'ECONNRESET'), `${child.state} ${child.error?.code}`);
    assert.equal(srv.state, 'listening');
    const c = await m.connectTcp({ port: srv.localPort! });
    await c.send(Uint8Array.of(9));
    await until(() => c.transcript.counters.bytesIn === 1, 'the next client to be echoed', 5000, 1);
  });

  it('the peer half-closes: the session says half-closed-by-peer, can still answer, then closes cleanly', async () => {
    const srv = await m.startTcpServer({ port: 0 });
    const chunks: Buffer[] = [];
    const peer = net.connect({ port: srv.localPort!, host: '127.0.0.1', allowHalfOpen: true });
    peer.on('data', (b) => chunks.push(b));
    const peerClosed = new Promise((r) => peer.on('close', r));
    await new Promise((r) => peer.on('connect', r));
    peer.end('last words');
    await until(() => srv.children[0]?.state === 'half-closed-by-peer', 'half-closed-by-peer', 5000, 1);
    const child = srv.children[0];
    assert.equal(child.transcript.counters.bytesIn, 10);
    await child.send(new TextEncoder().encode('answer after FIN'));
    child.close();
    await peerClosed;
    assert.equal(Buffer.concat(chunks).toString(), 'answer after FIN');
    await until(() => child.state === 'closed', 'closed', 5000, 1);
    assert.equal(child.error, undefined, 'a half-close is not an error');
  });

  it('the server is closed while clients are connected: every child closes, clients learn it, nothing stays open', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const clients = await Promise.all(Array.from({ length: 5 }, () => m.connectTcp({ port: srv.localPort! })));
    const raws = await Promise.all(Array.from({ length: 5 }, () => new Promise<net.Socket>((r) => {
      const s = net.connect({ port: srv.localPort!, host: '127.0.0.1' }, () => r(s));
      s.on('error', () => undefined);
      s.resume();
    })));
    await until(() => srv.children.length === 10, 'ten accepted', 5000, 1);
    // one client is mid-send when the server goes away
    const sending = clients[0].sendStream(repeat(new Uint8Array(64 * 1024), 256)).then(() => 'done', (e: unknown) => e);
    srv.close();
    await until(() => srv.state === 'closed' && srv.children.every((c) => !c.isAlive), 'server and children closed', 5000, 1);
    assert.equal(srv.error, undefined);
    // the clients see the server's FIN (half-closed-by-peer) or a reset (failed, ECONNRESET): both are clear states
    await until(() => clients.every((c) => ['half-closed-by-peer', 'failed', 'closed'].includes(c.state)), 'clients to notice', 5000, 1);
    for (const c of clients) if (c.state === 'failed') assert.ok(['ECONNRESET', 'EPIPE'].includes(c.error!.code), c.error!.code);
    const r = await sending;
    if (r !== 'done') assertCoded(r, ['ECONNRESET', 'EPIPE', 'ECLOSED']);
    await Promise.all(raws.map((s) => new Promise((res) => (s.destroyed ? res(undefined) : s.on('close', res)))));
    // a new connection to the closed port is refused with the sentence
    await assert.rejects(m.connectTcp({ port: srv.localPort! }), (e) => !!assertCoded(e, ['ECONNREFUSED'], `127.0.0.1:${srv.localPort}`));
    for (const c of clients) c.close();
    await until(() => m.openCount === 0, 'everything closed', 5000, 1);
    assert.equal(m.clearClosed(), 1 + 10 + 5 + 1);
    assert.equal(m.all().length, 0);
  });

  it('a client connects to a port that then closes: ECONNREFUSED, listed as failed with the address', async () => {
    const peer = await peerServer(() => undefined);
    const port = portOf(peer);
    await closeServer(peer);
    const err = await m.connectTcp({ port }).then(() => undefined, (e: unknown) => e);
    const e = assertCoded(err, ['ECONNREFUSED'], `127.0.0.1:${port}`);
    const s = m.get(e.sessionId!)!;
    assertFailedWith(s, ['ECONNREFUSED']);
    // and a server that accepts, then closes its listener and the connection at once
    const flaky = await peerServer((sock) => {
      sock.destroy();
      flaky.close();
    });
    const c = await m.connectTcp({ port: portOf(flaky) }).catch((x: unknown) => x);
    if (c instanceof SocketLabError) assertCoded(c, ['ECONNRESET', 'ECONNREFUSED']);
    else {
      await until(() => !(c as Session).isAlive || (c as Session).state === 'half-closed-by-peer', 'the client to see the close', 5000, 1);
      (c as Session).close();
    }
    await until(() => !flaky.listening, 'flaky server closed', 5000, 1);
  });

  it('EADDRNOTAVAIL: binding an address this machine does not have (a documentation address; bind only, nothing is sent)', async () => {
    const mine = new Set(Object.values(os.networkInterfaces()).flat().map((i) => i?.address));
    const foreign = ['198.51.100.77', '203.0.113.77', '192.0.2.77'].find((a) => !mine.has(a))!;
    const tcp = await m.startTcpServer({ host: foreign, port: 0 }).then(() => undefined, (e: unknown) => e);
    assertCoded(tcp, ['EADDRNOTAVAIL'], foreign);
    const udp = await m.openUdp({ host: foreign, port: 0 }).then(() => undefined, (e: unknown) => e);
    assertCoded(udp, ['EADDRNOTAVAIL'], foreign);
    assert.equal(m.all().filter((s) => s.state === 'failed').length, 2, 'both stay listed as failed');
    for (const s of m.all()) assertFailedWith(s, ['EADDRNOTAVAIL']);
    // the manager still works afterwards
    const ok = await m.startTcpServer({ port: 0 });
    assert.equal(ok.state, 'listening');
  });

  it('SessionManager.dispose() while transfers, connects, half-closes, resets and a UDP flood are all running', async () => {
    const echo = await m.startTcpServer({ port: 0, mode: 'echo' });
    const sink = await m.startTcpServer({ port: 0, mode: 'sink' });
    const resetter = await peerServer((s) => s.on('data', () => s.resetAndDestroy()));
    const udp = await m.openUdp({ port: 0, mode: 'echo', recvBufferSize: 8192 });
    const tx = dgram.createSocket('udp4');
    tx.on('message', () => undefined);
    const pending: Promise<unknown>[] = [];
    const settle = (p: Promise<unknown>) => pending.push(p.then(() => 'ok', (e: unknown) => e));
    try {
      const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => m.connectTcp({ port: (i % 2 ? echo : sink).localPort! })));
      for (const c of clients) settle(c.sendStream(repeat(new Uint8Array(64 * 1024), 64)));
      clients[3].halfClose();
      for (let i = 0; i < 10; i++) settle(m.connectTcp({ port: echo.localPort! }));
      settle(m.connectTcp({ port: portOf(resetter) }).then((c) => c.sendStream(repeat(new Uint8Array(1024), 1000))));
      settle(m.connectTcp({ host: '127.0.0.1', port: 1 }));
      const flood = setInterval(() => {
        for (let i = 0; i < 50; i++) tx.send(new Uint8Array(256), udp.localPort!, '127.0.0.1');
      }, 1);
      await sleep(30);
      m.dispose();
      clearInterval(flood);
      // nothing hangs: every pending operation settles, with a coded error when it did not finish
      const results = await Promise.race([Promise.all(pending), sleep(10_000).then(() => 'hung')]);
      assert.notEqual(results, 'hung', 'a pending operation never settled after dispose()');
      for (const r of results as unknown[]) if (r !== 'ok') assertCoded(r, ['ECLOSED', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED']);
      assert.ok((results as unknown[]).filter((r) => r !== 'ok').length >= 10, 'dispose() really interrupted the transfers (else this proves nothing)');
      assert.equal(m.all().length, 0);
      // a disposed manager refuses new work with a sentence instead of opening sockets nobody owns
      await assert.rejects(m.startTcpServer({ port: 0 }), (e) => !!assertCoded(e, ['ECLOSED']));
    } finally {
      tx.close();
      await closeServer(resetter);
    }
  });
});
