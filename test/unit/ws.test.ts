// WebSocket sessions on real sockets: Python peers that speak RFC 6455 by hand over a raw socket (handshake with
// Sec-WebSocket-Accept, masked client frames, fragments, ping, close with code and reason), and Node `ws` peers.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { SocketLabError } from '../../src/core/errors';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { WsFrameTap } from '../../src/core/sessions/wsFrames';
import { SessionPanelModel } from '../../src/core/panels/sessionPanelModel';
import { otherEnd } from '../../src/core/sessions/autoOpen';
import { isSessionInfo, responseValidators } from '../../src/shared/sessionPanelProtocol';

const PY_COMMON = `
import base64, hashlib, json, os, socket, struct, sys
GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
def accept_of(key): return base64.b64encode(hashlib.sha1(key + GUID).digest())
def frame(opcode, payload, fin=True, mask=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126: head = struct.pack('!BB', b0, (0x80 if mask else 0) | n)
    elif n < 65536: head = struct.pack('!BBH', b0, (0x80 if mask else 0) | 126, n)
    else: head = struct.pack('!BBQ', b0, (0x80 if mask else 0) | 127, n)
    if not mask: return head + payload
    k = os.urandom(4)
    return head + k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))
def read_exact(s, n):
    out = b''
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d: raise EOFError()
        out += d
    return out
def read_frame(s):
    b0, b1 = read_exact(s, 2)
    n = b1 & 0x7f
    if n == 126: n = struct.unpack('!H', read_exact(s, 2))[0]
    elif n == 127: n = struct.unpack('!Q', read_exact(s, 8))[0]
    k = read_exact(s, 4) if b1 & 0x80 else None
    p = read_exact(s, n)
    if k: p = bytes(c ^ k[i % 4] for i, c in enumerate(p))
    return {'fin': bool(b0 & 0x80), 'opcode': b0 & 0x0f, 'masked': bool(b1 & 0x80), 'payload': p}
def read_head(s):
    data = b''
    while b'\\r\\n\\r\\n' not in data:
        d = s.recv(1)
        if not d: raise EOFError()
        data += d
    lines = data.decode().split('\\r\\n')
    return lines[0], {l.split(':', 1)[0].strip().lower(): l.split(':', 1)[1].strip() for l in lines[1:] if ':' in l}
def show(f): return {'fin': f['fin'], 'opcode': f['opcode'], 'masked': f['masked'], 'text': f['payload'][2:].decode() if f['opcode'] == 8 else f['payload'].decode('latin1'), 'code': struct.unpack('!H', f['payload'][:2])[0] if f['opcode'] == 8 and len(f['payload']) >= 2 else None}
`;

/** A client: handshake, text, binary, a fragmented text, a ping, a close 4001 'bye'; prints what came back. */
const PY_CLIENT = PY_COMMON + `
port = int(sys.argv[1])
s = socket.create_connection(('127.0.0.1', port))
key = base64.b64encode(os.urandom(16))
s.sendall(b'GET /chat HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: ' + key + b'\\r\\nSec-WebSocket-Version: 13\\r\\nSec-WebSocket-Protocol: nope, chat\\r\\n\\r\\n')
status, headers = read_head(s)
out = {'status': status, 'accept_ok': headers.get('sec-websocket-accept') == accept_of(key).decode(), 'protocol': headers.get('sec-websocket-protocol'), 'frames': []}
s.sendall(frame(1, b'hello ws'))
out['frames'].append(show(read_frame(s)))
s.sendall(frame(2, bytes([0, 0x61, 0xff])))
out['frames'].append(show(read_frame(s)))
s.sendall(frame(1, b'frag', fin=False) + frame(0, b'mented'))
out['frames'].append(show(read_frame(s)))
s.sendall(frame(9, b'p1'))
out['frames'].append(show(read_frame(s)))
s.sendall(frame(8, struct.pack('!H', 4001) + b'bye'))
out['frames'].append(show(read_frame(s)))
print(json.dumps(out), flush=True)
`;

/** A server: checks the upgrade (custom header, subprotocol), sends a text, a binary, a ping, reads two messages, closes 4002 'done'. */
const PY_SERVER = PY_COMMON + `
ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(1)
print(ls.getsockname()[1], flush=True)
s, _ = ls.accept()
line, headers = read_head(s)
out = {'line': line, 'x_lab': headers.get('x-lab'), 'offered': headers.get('sec-websocket-protocol'), 'frames': []}
s.sendall(b'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept_of(headers['sec-websocket-key'].encode()) + b'\\r\\nSec-WebSocket-Protocol: v2\\r\\n\\r\\n')
s.sendall(frame(1, b'from py', mask=False) + frame(2, bytes(300), mask=False) + frame(9, b'hi', mask=False))
for _ in range(3): out['frames'].append(show(read_frame(s)))
s.sendall(frame(8, struct.pack('!H', 4002) + b'done', mask=False))
out['frames'].append(show(read_frame(s)))
print(json.dumps(out), flush=True)
`;

interface PyFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  text: string;
  code: number | null;
}

function runPy(code: string, args: string[], onFirstLine?: (line: string) => void): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let first = true;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (first && onFirstLine && out.includes('\n')) {
        first = false;
        onFirstLine(out.slice(0, out.indexOf('\n')));
        out = out.slice(out.indexOf('\n') + 1);
      }
    });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`python exited ${c}: ${out}`))));
  });
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('latin1');

describe('WebSocket sessions', function () {
  this.timeout(20_000);
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager({ tlsCacheDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ws-cert-')) })));
  afterEach(() => m.dispose());

  it('serves a hand-made Python client in upper mode: each message answered, frame facts, ping and close events', async () => {
    const server = await m.startWsServer({ port: 0, mode: 'upper', subprotocols: ['chat'] });
    assert.equal(server.localAddress, '127.0.0.1');
    const out = await runPy(PY_CLIENT, [String(server.localPort)]);
    assert.match(out.status as string, /^HTTP\/1\.1 101/);
    assert.equal(out.accept_ok, true);
    assert.equal(out.protocol, 'chat');
    const frames = out.frames as PyFrame[];
    assert.deepEqual(frames.map((f) => [f.opcode, f.masked, f.fin]), [[1, false, true], [2, false, true], [1, false, true], [10, false, true], [8, false, true]]);
    assert.equal(frames[0].text, 'HELLO WS');
    assert.equal(frames[1].text, '\x00a\xff'); // binary messages are echoed unchanged
    assert.equal(frames[2].text, 'FRAGMENTED');
    assert.equal(frames[3].text, 'p1');
    assert.equal(frames[4].code, 4001);

    const child = server.children[0];
    await until(() => child.state === 'closed', 'the connection to close');
    assert.equal(child.kind, 'ws-accepted');
    assert.equal(child.wsInfo.protocol, 'chat');
    const chunks = child.transcript.chunks();
    assert.deepEqual(chunks.map((c) => [c.dir, text(child.transcript.chunkData(c.seq))]), [
      ['in', 'hello ws'], ['out', 'HELLO WS'], ['in', '\x00a\xff'], ['out', '\x00a\xff'], ['in', 'fragmented'], ['out', 'FRAGMENTED'],
    ]);
    assert.deepEqual(child.frameFacts(0), { frames: [{ opcode: 1, fin: true, masked: true, length: 8 }], moreFrames: 0 });
    assert.deepEqual(child.frameFacts(1), { frames: [{ opcode: 1, fin: true, masked: false, length: 8 }], moreFrames: 0 });
    assert.deepEqual(child.frameFacts(2)?.frames, [{ opcode: 2, fin: true, masked: true, length: 3 }]);
    assert.deepEqual(child.frameFacts(4)?.frames, [{ opcode: 1, fin: false, masked: true, length: 4 }, { opcode: 0, fin: true, masked: true, length: 6 }]);
    assert.deepEqual(child.wsEvents.map((e) => [e.type, e.dir, e.seq, e.code, e.reason, e.length]), [
      ['ping', 'in', 6, undefined, undefined, 2], ['close', 'in', 6, 4001, 'bye', undefined],
    ]);
  });

  it('connects to a hand-made Python server with headers and subprotocols; sends masked frames; sees its close', async () => {
    let port = 0;
    const py = runPy(PY_SERVER, [], (l) => (port = Number(l)));
    await until(() => port > 0, 'the Python server');
    const c = await m.connectWs({ url: `ws://127.0.0.1:${port}/feed?x=1`, protocols: ['v1', 'v2'], headers: { 'X-Lab': 'yes' } });
    assert.equal(c.kind, 'ws-client');
    assert.equal(c.wsInfo.protocol, 'v2');
    await until(() => c.transcript.chunks().length >= 2 && c.wsEvents.length >= 1, 'two messages and a ping');
    await c.send(Buffer.from('to py'));
    await c.send(Uint8Array.of(1, 2, 3), { wsType: 'binary' } as never);
    const out = await py;
    assert.equal(out.line, 'GET /feed?x=1 HTTP/1.1');
    assert.equal(out.x_lab, 'yes');
    assert.equal(out.offered, 'v1,v2');
    const frames = out.frames as PyFrame[];
    // the pong for the ping, then the two messages: every client frame masked
    assert.deepEqual(frames.map((f) => [f.opcode, f.masked, f.text]), [[10, true, 'hi'], [1, true, 'to py'], [2, true, '\x01\x02\x03'], [8, true, 'done']]);
    assert.equal(frames[3].code, 4002);
    await until(() => c.state === 'closed', 'the close');
    assert.deepEqual(c.frameFacts(0), { frames: [{ opcode: 1, fin: true, masked: false, length: 7 }], moreFrames: 0 });
    assert.deepEqual(c.frameFacts(1), { frames: [{ opcode: 2, fin: true, masked: false, length: 300 }], moreFrames: 0 });
    assert.deepEqual(c.frameFacts(2)?.frames[0], { opcode: 1, fin: true, masked: true, length: 5 });
    assert.deepEqual(c.frameFacts(3)?.frames[0], { opcode: 2, fin: true, masked: true, length: 3 });
    assert.deepEqual(c.wsEvents.map((e) => [e.type, e.dir, e.code, e.reason]), [['ping', 'in', undefined, undefined], ['close', 'in', 4002, 'done']]);
  });

  it('echoes a Node ws client over wss with Socket Lab\'s self-signed certificate, and a sink server answers nothing', async () => {
    const server = await m.startWsServer({ port: 0, mode: 'echo', tls: true });
    assert.match(server.label, /^wss:\/\/127\.0\.0\.1:\d+$/);
    const ca = fs.readFileSync(server.certPath!, 'utf8');
    const c = await m.connectWs({ url: `wss://localhost:${server.localPort}/`, ca });
    const got: string[] = [];
    c.onDidReceiveMessage((msg) => got.push(text(msg.data)));
    await c.send(Buffer.from('one'));
    await c.send(Buffer.from('two'));
    await until(() => got.length === 2, 'two echoes');
    assert.deepEqual(got, ['one', 'two']); // boundaries kept
    c.closeWith(4100, 'enough');
    await until(() => c.state === 'closed' && server.children[0]?.state === 'closed', 'both ends to close');
    assert.deepEqual(server.children[0].wsEvents.map((e) => [e.type, e.code, e.reason]), [['close', 4100, 'enough']]);
    assert.deepEqual(c.wsEvents.map((e) => [e.type, e.dir, e.code]), [['close', 'out', 4100], ['close', 'in', 4100]]);
    // Reconnect connects again with what the client was connected with (the URL and the trust)
    const again = await m.connectWs({ ...c.connectOptions! });
    assert.equal(again.wsInfo.url, `wss://localhost:${server.localPort}/`);
    await until(() => server.children.length === 2 && server.children[1].state === 'open', 'the second connection');
    again.close();

    const sink = await m.startWsServer({ port: 0, mode: 'sink' });
    const peer = new WebSocket(`ws://127.0.0.1:${sink.localPort}`);
    const answers: string[] = [];
    peer.on('message', (d) => answers.push(String(d)));
    await new Promise((r) => peer.once('open', r));
    peer.send('ignored');
    await until(() => sink.children[0]?.transcript.chunks().length === 1, 'the sink to record');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(answers, []);
    peer.close();
  });

  it('a client of a Node ws server: ping answered by a pong event; a file sent as one fragmented binary message', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const received: Buffer[] = [];
    wss.on('connection', (ws) => ws.on('message', (d) => received.push(d as Buffer)));
    try {
      const c = await m.connectWs({ url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}` });
      c.ping(Buffer.from('abc'));
      await until(() => c.wsEvents.some((e) => e.type === 'pong'), 'the pong');
      assert.deepEqual(c.wsEvents.map((e) => [e.type, e.dir, e.length]), [['ping', 'out', 3], ['pong', 'in', 3]]);
      async function* parts() {
        for (const p of ['ab', 'cd', 'ef']) yield Buffer.from(p);
      }
      assert.equal(await c.sendStream(parts()), 6);
      await until(() => received.length === 1, 'the message');
      assert.equal(received[0].toString(), 'abcdef');
      assert.deepEqual(c.frameFacts(0)?.frames.map((f) => [f.opcode, f.fin, f.length]), [[2, false, 2], [0, false, 2], [0, false, 2], [0, true, 0]]);
    } finally {
      wss.close();
    }
  });

  it('says in one sentence what is wrong with a URL, a refused upgrade, and nothing listening', async () => {
    await assert.rejects(m.connectWs({ url: 'http://127.0.0.1:1/' }), (e: SocketLabError) => e.code === 'WS_BAD_URL' && /ws:\/\/host:port\/path/.test(e.message));
    const web = http.createServer((_q, r) => r.writeHead(404).end());
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      const port = (web.address() as { port: number }).port;
      await assert.rejects(m.connectWs({ url: `ws://127.0.0.1:${port}/nope` }), (e: SocketLabError) => e.code === 'WS_HANDSHAKE' && /HTTP 404/.test(e.message));
    } finally {
      web.close();
    }
    const free = await m.startWsServer({ port: 0 });
    const port = free.localPort!;
    free.close();
    await until(() => free.state === 'closed', 'the server to close');
    await assert.rejects(m.connectWs({ url: `ws://127.0.0.1:${port}` }), (e: SocketLabError) => e.code === 'ECONNREFUSED');
  });

  it('the session panel gets each message with its frames, and pings and closes among the events, as its validators accept', async () => {
    const server = await m.startWsServer({ port: 0, mode: 'upper' });
    const c = await m.connectWs({ url: `ws://127.0.0.1:${server.localPort}/` });
    await c.send(Buffer.from('hi'));
    await until(() => c.transcript.chunks().length === 2, 'the answer');
    // the two ends of one connection know each other (one panel opens by itself, not both)
    assert.equal(otherEnd(c, m.all()), server.children[0]);
    assert.equal(otherEnd(server.children[0], m.all()), c);
    server.children[0].ping(Buffer.from('xyz'));
    await until(() => c.wsEvents.length === 1, 'the ping');
    server.children[0].closeWith(4000, 'later');
    await until(() => c.state === 'closed' && server.children[0].state === 'closed', 'the close');
    // the end that closed first: its close frames, and no TCP half close among its events
    const first = new SessionPanelModel(server.children[0], 'en');
    assert.deepEqual(first.info().events.map((e) => [e.state, e.detail]), [['open', undefined], ['ws-ping-out', '3'], ['ws-pong-in', '3'], ['ws-close-out', '4000 later'], ['ws-close-in', '4000 later'], ['closed', undefined]]);
    first.dispose();
    const model = new SessionPanelModel(c, 'en');
    try {
      const page = model.chunks(0, 10, 'text', 'utf-8', 1000);
      assert.ok(responseValidators.chunks(page));
      assert.deepEqual(page.chunks.map((x) => [x.dir, x.ws?.frames.map((f) => [f.opcode, f.fin, f.masked, f.length])]), [['out', [[1, true, true, 2]]], ['in', [[1, true, false, 2]]]]);
      const info = model.info();
      assert.ok(isSessionInfo(info));
      assert.deepEqual(info.events.map((e) => [e.state, e.seq, e.detail]), [
        ['connecting', 0, undefined], ['open', 0, undefined], ['ws-ping-in', 2, '3'], ['ws-close-in', 2, '4000 later'], ['closed', 2, undefined],
      ]);
    } finally {
      model.dispose();
    }
  });

  it('reads frame headers split anywhere, with 16- and 64-bit lengths', () => {
    const tap = new WsFrameTap();
    const f1 = Buffer.concat([Buffer.from([0x01, 0x80 | 126, 0x01, 0x00, 9, 9, 9, 9]), Buffer.alloc(256)]); // text, masked, 256, not final
    const f2 = Buffer.concat([Buffer.from([0x80, 127, 0, 0, 0, 0, 0, 1, 0, 0]), Buffer.alloc(65536)]); // continuation, final, 65536
    const f3 = Buffer.from([0x89, 0x00]); // ping, empty
    const all = Buffer.concat([f1, f2, f3]);
    for (let i = 0; i < all.length; i += 7) tap.push(all.subarray(i, i + 7));
    assert.deepEqual(tap.messages, [{ frames: [{ opcode: 1, fin: false, masked: true, length: 256 }, { opcode: 0, fin: true, masked: false, length: 65536 }], moreFrames: 0 }]);
    assert.deepEqual(tap.controls, [{ opcode: 9, fin: true, masked: false, length: 0 }]);
  });
});

