// `.wire` client blocks over WebSocket: `connect ws URL` against a Socket Lab WebSocket server and a Node `ws`
// server that sends first; each message is one message for expect; wss trusts Socket Lab's kept certificate.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { parseWire } from '../../src/core/wire/wireParser';
import { runClientBlock } from '../../src/core/wire/wireRunner';

describe('wire scripts over WebSocket', function () {
  this.timeout(20_000);
  let dir: string;
  let m: SessionManager;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-wswire-'));
    m = new SessionManager({ tlsCacheDir: path.join(dir, 'cache') });
  });
  afterEach(() => {
    m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses connect ws|wss URL [insecure]; a bad URL and listen ws are one sentence with their column', () => {
    const f = parseWire('### c\nconnect wss wss://localhost:8443/chat insecure\nsend "x"\n');
    assert.deepEqual(f.diagnostics, []);
    assert.equal(f.blocks[0].endpoint?.proto, 'wss');
    assert.equal(f.blocks[0].endpoint?.insecure, true);
    const bad = parseWire('### c\nconnect ws 127.0.0.1:80\n').diagnostics[0];
    assert.match(bad.message, /"127\.0\.0\.1:80" is not a ws URL — write ws:\/\/host:port\/path/);
    assert.match(parseWire('### s\nlisten ws 0\non any reply "y"\n').diagnostics[0].message, /listen ws is not supported in \.wire files yet/);
  });

  it('each message is one message: upper answers, a whole-message regex, and the close', async () => {
    const server = await m.startWsServer({ port: 0, mode: 'upper' });
    const file = parseWire(`### client\nconnect ws ws://127.0.0.1:${server.localPort}/x\nsend "hello"\nexpect "HELLO"\nsend "a"\nsend "b"\nexpect "A"\nexpect /^B$/\nclose\n`);
    const r = await runClientBlock(file, file.blocks[0], {});
    assert.deepEqual(r.steps.map((s) => s.status), ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass'], JSON.stringify(r.steps));
    // two messages never run together, as bytes on a TCP stream would ("AB")
    const merged = parseWire(`### client\nconnect ws ws://127.0.0.1:${server.localPort}/\nsend "a"\nsend "b"\nexpect "AB" within 300ms\n`);
    const r2 = await runClientBlock(merged, merged.blocks[0], {});
    assert.equal(r2.steps[3].status, 'fail');
    assert.match(r2.steps[3].message ?? '', /the message differs/);
  });

  it('a server that speaks first and closes: expect its message, then the close', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      ws.send('welcome');
      ws.close(1000, 'bye');
    });
    try {
      const port = (wss.address() as { port: number }).port;
      const file = parseWire(`### client\nconnect ws ws://127.0.0.1:${port}/\nexpect "welcome"\nexpect closed\n`);
      const r = await runClientBlock(file, file.blocks[0], {});
      assert.deepEqual(r.steps.map((s) => s.status), ['pass', 'pass', 'pass'], JSON.stringify(r.steps));
    } finally {
      wss.close();
    }
  });

  it('wss trusts the certificate Socket Lab keeps; elsewhere it fails in one sentence, and insecure goes on', async () => {
    const server = await m.startWsServer({ port: 0, mode: 'echo', tls: true });
    const block = (extra: string) => parseWire(`### c\nconnect wss wss://localhost:${server.localPort}/${extra}\nsend "sec"\nexpect "sec"\nclose\n`);
    const ok = await runClientBlock(block(''), block('').blocks[0], { tlsCacheDir: path.join(dir, 'cache') });
    assert.deepEqual(ok.steps.map((s) => s.status), ['pass', 'pass', 'pass', 'pass'], JSON.stringify(ok.steps));
    const no = await runClientBlock(block(''), block('').blocks[0], { tlsCacheDir: path.join(dir, 'nothing-here') });
    assert.equal(no.steps[0].status, 'fail');
    assert.match(no.steps[0].message ?? '', /certificate/i);
    const anyway = await runClientBlock(block(' insecure'), block(' insecure').blocks[0], { tlsCacheDir: path.join(dir, 'nothing-here') });
    assert.deepEqual(anyway.steps.map((s) => s.status), ['pass', 'pass', 'pass', 'pass'], JSON.stringify(anyway.steps));
  });
});
