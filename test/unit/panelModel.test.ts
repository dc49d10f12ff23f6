import * as assert from 'node:assert/strict';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import type { Session } from '../../src/core/sessions/session';
import { EVENT_INTERVAL_MS, SessionPanelModel, sessionInfo } from '../../src/core/panels/sessionPanelModel';
import type { PanelEvent, SendSpec } from '../../src/shared/sessionPanelProtocol';
import { until } from '../support';

const text = (input: string, extra: Partial<SendSpec> = {}): SendSpec => ({ input, mode: 'text', encoding: 'utf-8', lineEnding: 'none', framing: 'raw', ...extra });
const hex = (input: string): SendSpec => ({ ...text(input), mode: 'hex' });

describe('session panel: model over real TCP sockets', () => {
  let manager: SessionManager;
  let client: Session;
  let accepted: Session;
  let model: SessionPanelModel;
  let events: PanelEvent[];

  beforeEach(async () => {
    manager = new SessionManager();
    const children: Session[] = [];
    manager.onDidAdd((s) => {
      if (s.kind === 'tcp-accepted') children.push(s);
    });
    const server = await manager.startTcpServer({ host: '127.0.0.1', port: 0 });
    client = await manager.connectTcp({ host: '127.0.0.1', port: server.localPort! });
    await until(() => children.length === 1, 'children.length === 1', 3000, 5);
    accepted = children[0];
    model = new SessionPanelModel(client, 'en');
    events = [];
    model.onDidEvent((e) => events.push(e));
  });

  afterEach(() => {
    model.dispose();
    manager.dispose();
  });

  it('sends "hello" as text and e5 b9 b4 as hex; the peer receives exactly those bytes', async () => {
    assert.deepEqual(await model.send(text('hello')), { ok: true, bytes: 5 });
    assert.deepEqual(await model.send(hex('e5 b9 b4')), { ok: true, bytes: 3 });
    await until(() => accepted.transcript.endOffset === 8, 'accepted.transcript.endOffset === 8', 3000, 5);
    assert.equal(new TextDecoder().decode(accepted.transcript.read(0, 8)), 'hello年');
    const r = model.readRange(0, 4096);
    assert.equal(r.offset, 0);
    assert.deepEqual([...r.bytes], [...new TextEncoder().encode('hello年')]);
    assert.deepEqual(r.spans.map((s) => [s.offset, s.length, s.dir]), [
      [0, 5, 'out'],
      [5, 3, 'out'],
    ]);
    const page = model.chunks(0, 10, 'text', 'utf-8', 2048);
    assert.deepEqual(page.chunks.map((c) => c.parts.map((p) => p.t).join('')), ['hello', '年']);
    assert.deepEqual(model.chunks(1, 10, 'hex', 'utf-8', 2048).chunks[0].parts, [{ t: 'e5 b9 b4' }]);
  });

  it('shows received gbk bytes c4 ea as 年 when the panel switches to gbk', async () => {
    await accepted.send(Uint8Array.from([0xc4, 0xea]));
    await until(() => client.transcript.endOffset === 2, 'client.transcript.endOffset === 2', 3000, 5);
    const c = model.chunks(0, 10, 'text', 'gbk', 2048).chunks[0];
    assert.equal(c.dir, 'in');
    assert.deepEqual(c.parts, [{ t: '年' }]);
    assert.deepEqual(model.chunks(0, 10, 'text', 'utf-8', 2048).chunks[0].parts, [{ t: '\\xc4\\xea', e: true }]);
  });

  it('marks bad hex with its reason and position, and sends nothing', async () => {
    const v = model.validate(hex('48 6z'));
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.error.code === 'EBADHEX' && v.error.index === 4, JSON.stringify(v));
    const s = await model.send(hex('48 6z'));
    assert.equal(s.ok, false);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.transcript.endOffset, 0);
    assert.equal(accepted.transcript.endOffset, 0);
  });

  it('applies line ending and framing from the send bar', async () => {
    await model.send(text('hi', { lineEnding: 'crlf', framing: 'len2be' }));
    await until(() => accepted.transcript.endOffset === 6, 'accepted.transcript.endOffset === 6', 3000, 5);
    assert.deepEqual([...accepted.transcript.read(0, 6)], [0, 4, 0x68, 0x69, 0x0d, 0x0a]);
  });

  it('coalesces a flood of chunks into a few transcriptGrew events', async () => {
    for (let i = 0; i < 300; i++) await accepted.send(Uint8Array.of(i & 0xff));
    await until(() => client.transcript.endOffset === 300, 'client.transcript.endOffset === 300', 3000, 5);
    await new Promise((r) => setTimeout(r, EVENT_INTERVAL_MS * 3));
    const grew = events.filter((e) => e.type === 'transcriptGrew');
    assert.ok(grew.length >= 1 && grew.length < 30, `${grew.length} events for 300 bytes`);
    const last = grew[grew.length - 1];
    assert.equal(last.type === 'transcriptGrew' && last.transcript.endOffset, 300);
  });

  it('finds hex and text in the transcript, after a given offset', async () => {
    await model.send(text('abc年abc'));
    assert.deepEqual(model.find('abc', 'text', 'utf-8', 0).found, { offset: 0, length: 3 });
    assert.deepEqual(model.find('abc', 'text', 'utf-8', 1).found, { offset: 6, length: 3 });
    assert.deepEqual(model.find('e5b9b4', 'hex', 'utf-8', 0).found, { offset: 3, length: 3 });
    assert.equal(model.find('zz', 'text', 'utf-8', 0).found, undefined);
    assert.equal(model.find('0q', 'hex', 'utf-8', 0).error?.code, 'EBADHEX');
  });

  it('repeats a send K times every N ms and can be stopped', async () => {
    assert.equal(model.startRepeat(text('x'), 10, 3).ok, true);
    await until(() => events.some((e) => e.type === 'repeatState' && !e.repeat.running), "events.some((e) => e.type === 'repeatState' && !e.repeat.running)", 3000, 5);
    await until(() => accepted.transcript.endOffset === 3, 'accepted.transcript.endOffset === 3', 3000, 5);
    assert.equal(new TextDecoder().decode(accepted.transcript.read(0, 3)), 'xxx');
    model.startRepeat(text('y'), 20, 1000);
    await until(() => accepted.transcript.endOffset >= 4, 'accepted.transcript.endOffset >= 4', 3000, 5);
    const stopped = model.stopRepeat();
    assert.equal(stopped.running, false);
    const n = accepted.transcript.endOffset;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(accepted.transcript.endOffset, n, 'nothing is sent after stop');
  });

  it('reports state changes, and the close once', async () => {
    accepted.close();
    await until(() => events.some((e) => e.type === 'stateChanged' && e.session.state === 'half-closed-by-peer'), "events.some((e) => e.type === 'stateChanged' && e.session.state === 'half-closed-by-peer')", 3000, 5);
    client.close();
    await until(() => events.some((e) => e.type === 'sessionClosed'), "events.some((e) => e.type === 'sessionClosed')", 3000, 5);
    await new Promise((r) => setTimeout(r, 30));
    const closed = events.filter((e) => e.type === 'sessionClosed');
    assert.equal(closed.length, 1);
    assert.equal(closed[0].type === 'sessionClosed' && closed[0].session.closed, true);
    assert.equal(closed[0].type === 'sessionClosed' && closed[0].session.canSend, false);
  });
});

describe('session panel: a UDP socket sends where its destination box says (issue 13 item 1)', () => {
  let manager: SessionManager;
  let peer: import('node:dgram').Socket;
  let got: { data: string; port: number }[];

  beforeEach(async () => {
    const dgram = await import('node:dgram');
    manager = new SessionManager();
    got = [];
    // a UDP echo server, as a student's Python one would be
    peer = dgram.createSocket('udp4');
    peer.on('message', (m, r) => {
      got.push({ data: m.toString(), port: r.port });
      peer.send(m.toString().toUpperCase(), r.port, r.address);
    });
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
  });
  afterEach(() => {
    peer.close();
    manager.dispose();
  });

  it('an unbound socket with no destination refuses to guess; with one typed, the datagram arrives and the answer shows', async () => {
    const udp = await manager.openUdp({});
    const model = new SessionPanelModel(udp, 'en');
    try {
      const none = await model.send(text('hi'));
      assert.equal(none.ok, false);
      assert.equal(!none.ok && none.error.code, 'ENOTARGET');
      const port = peer.address().port;
      const sent = await model.send(text('hello', { to: `127.0.0.1:${port}` }));
      assert.deepEqual(sent, { ok: true, bytes: 5 });
      await until(() => udp.transcript.counters.bytesIn === 5, 'udp.transcript.counters.bytesIn === 5', 3000, 5);
      assert.equal(got[0].data, 'hello');
      const info = (await model.handle({ type: 'chunks', fromSeq: 0, limit: 10, render: 'text', encoding: 'utf-8', maxBytes: 1024 })) as { chunks: { dir: string }[] };
      assert.deepEqual(info.chunks.map((c) => c.dir), ['out', 'in']);
      // the answer makes its sender the one an empty box replies to
      assert.equal(sessionInfo(udp, 'en').udp?.lastPeer, `127.0.0.1:${port}`);
      assert.deepEqual(await model.send(text('again')), { ok: true, bytes: 5 });
      await until(() => got.length === 2, 'got.length === 2', 3000, 5);
    } finally {
      model.dispose();
    }
  });

  it('a default destination given when the socket opened is used; a bad destination is refused with its reason', async () => {
    const port = peer.address().port;
    const udp = await manager.openUdp({ remoteHost: '127.0.0.1', remotePort: port });
    const model = new SessionPanelModel(udp, 'en');
    try {
      assert.equal(sessionInfo(udp, 'en').udp?.defaultTarget, `127.0.0.1:${port}`);
      assert.deepEqual(await model.send(text('x')), { ok: true, bytes: 1 });
      await until(() => got.length === 1, 'got.length === 1', 3000, 5);
      for (const [to, code] of [['127.0.0.1:99999', 'EBADPORT'], ['::1:80', 'EBADADDR'], ['bad host:80', 'EBADADDR'], ['127.0.0.1:0', 'EBADPORT']]) {
        const r = await model.send(text('y', { to }));
        assert.equal(r.ok, false, to);
        assert.equal(!r.ok && r.error.code, code, to);
      }
      assert.equal(got.length, 1, 'nothing sent for a bad destination');
    } finally {
      model.dispose();
    }
  });
});

describe('session panel: one encoding per session (issue 13 item 10)', () => {
  let manager: SessionManager;
  afterEach(() => manager.dispose());

  it('the panel and the palette share the session encoding; accepted connections follow their server; bad names are refused', async () => {
    manager = new SessionManager();
    manager.defaultEncoding = 'latin1';
    const server = await manager.startTcpServer({ host: '127.0.0.1', port: 0, mode: 'echo' });
    const client = await manager.connectTcp({ host: '127.0.0.1', port: server.localPort! });
    await until(() => server.children.length === 1, 'server.children.length === 1', 3000, 5);
    const child = server.children[0];
    const model = new SessionPanelModel(client, 'en', (s) => manager.encodingOf(s));
    const events: PanelEvent[] = [];
    model.onDidEvent((e) => events.push(e));
    try {
      assert.equal(model.info().encoding, 'latin1', 'the default until one is chosen');
      assert.deepEqual(model.setEncoding('GBK'), { ok: true });
      assert.equal(client.encoding, 'gbk');
      assert.equal(manager.encodingOf(client), 'gbk');
      await until(() => events.some((e) => e.type === 'stateChanged' && e.session.encoding === 'gbk'), "events.some((e) => e.type === 'stateChanged' && e.session.encoding === 'gbk')", 3000, 5);
      const bad = model.setEncoding('klingon');
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.error.code, 'EBADENCODING');
      assert.equal(client.encoding, 'gbk', 'a bad name changes nothing');
      // an accepted connection without its own encoding uses its server's
      assert.equal(manager.encodingOf(child), 'latin1');
      server.setEncoding('utf-16le');
      assert.equal(manager.encodingOf(child), 'utf-16le');
    } finally {
      model.dispose();
    }
  });
});
