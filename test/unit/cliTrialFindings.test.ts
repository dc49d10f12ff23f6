// Issue 18's outsider trial of the CLI: each sentence names what happened (not TLS, no shared ALPN, a frame that broke
// the WebSocket protocol after the upgrade, a close never answered, an IPv6 group on an IPv4 socket, a bad source, an
// unknown interface in a scope id). Real sockets on loopback; the verbs run in process.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runListen } from '../../src/core/cli/listenCommand';
import { runSend } from '../../src/core/cli/sendCommand';
import { captureIo, listeningAddress } from './helpers';

/** Resolves once `io`'s `stream` matches `re` (the verbs write as things happen). */
function waitFor(io: { stdout: string; stderr: string }, stream: 'stdout' | 'stderr', re: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const check = () => (re.test(io[stream]) ? resolve(io[stream]) : setTimeout(check, 5));
    check();
  });
}

/** A raw TCP client that writes `bytes` once connected and reads until the server closes. */
function rawClient(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(bytes));
    c.on('data', () => undefined);
    c.on('error', () => resolve());
    c.on('close', () => resolve());
  });
}

/** A WebSocket upgrade by hand over a raw socket, so the frames after it can break the protocol on purpose. */
function wsUpgrade(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const c = net.connect(port, '127.0.0.1', () => c.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    let head = '';
    const onData = (b: Buffer) => {
      head += b.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      c.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(c);
      else reject(new Error(head));
    };
    c.on('data', onData);
    c.on('error', reject);
  });
}

describe('CLI sentences from the outsider trial (issue 18)', function () {
  this.timeout(30_000);
  let dir: string;
  const saved = process.env.XDG_CACHE_HOME;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-trial-'));
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listen tls: a client that sends plain HTTP or random bytes is told apart from one that distrusts the certificate', async () => {
    const ac = new AbortController();
    const lio = Object.assign(captureIo(), { signal: ac.signal });
    const listening = runListen(['tls', '127.0.0.1:0', '--json'], lio);
    const port = Number((await listeningAddress(lio)).split(':').pop());
    await rawClient(port, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await waitFor(lio, 'stdout', /"event":"error"/);
    await rawClient(port, Buffer.from('hello, these are not TLS bytes at all 0123456789'));
    await waitFor(lio, 'stdout', /"event":"error"[^]*"event":"error"/);
    ac.abort();
    assert.equal(await listening, 0);
    const errors = lio.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'error');
    assert.equal(errors.length, 2);
    assert.match(errors[0].message, /^A client from 127\.0\.0\.1:\d+ sent something that is not TLS \(http request\), such as plain HTTP/);
    assert.match(errors[1].message, /sent something that is not TLS \((wrong version number|packet length too long|unknown protocol)\)/);
    for (const e of errors) assert.doesNotMatch(e.message, /certificate|tls-localhost\.crt/);
  });

  it('ALPN: the server names what it offers, the client what it asked for', async () => {
    const ac = new AbortController();
    const lio = Object.assign(captureIo(), { signal: ac.signal });
    const listening = runListen(['tls', '127.0.0.1:0', '--alpn', 'h2,http/1.1'], lio);
    const addr = await listeningAddress(lio);
    const cio = captureIo();
    assert.equal(await runSend(['tls', addr, '--alpn', 'spdy', '--insecure', '--text', 'x'], cio), 1);
    assert.match(cio.stderr, /^socket-lab send: 127\.0\.0\.1:\d+ shares no application protocol \(ALPN\) with this client, which asked for spdy — ask for a protocol the server offers \(--alpn\), or leave --alpn out\.\n$/);
    await waitFor(lio, 'stderr', /shares no application protocol/);
    assert.match(lio.stderr, /A client from 127\.0\.0\.1:\d+ shares no application protocol \(ALPN\) with this server, which offers h2, http\/1\.1 — /);
    assert.doesNotMatch(lio.stderr, /speaks TLS|tls-localhost\.crt as its CA/);
    ac.abort();
    assert.equal(await listening, 0);
  });

  it('send tls --insecure says why the server is not trusted without suggesting --insecure', async () => {
    const lio = captureIo();
    const listening = runListen(['tls', '127.0.0.1:0', '--mode', 'echo', '--count', '1', '--timeout', '20'], lio);
    const addr = await listeningAddress(lio);
    const insecure = captureIo();
    assert.equal(await runSend(['tls', addr, '--insecure', '--text', 'ok'], insecure), 0);
    assert.equal(insecure.stdout, 'ok');
    assert.match(insecure.stderr, /socket-lab send: --insecure: the certificate of 127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\), so this connection is encrypted but nobody checked who is at the other end — to check it, trust the certificate with --ca FILE\.\n/);
    assert.equal(insecure.stderr.match(/--insecure/g)?.length, 1, insecure.stderr);
    assert.equal(await listening, 0);
  });

  for (const [what, frame, code] of [
    ['an unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
    ['a frame 2^62 bytes long', Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0]), crypto.randomBytes(4)]), 1009],
  ] as const) {
    it(`listen ws: ${what} after the upgrade is a protocol error closed with ${code}, not a refused upgrade`, async () => {
      const ac = new AbortController();
      const lio = Object.assign(captureIo(), { signal: ac.signal });
      const listening = runListen(['ws', '127.0.0.1:0'], lio);
      const port = Number(/:(\d+)\/?$/.exec(await listeningAddress(lio))![1]);
      const c = await wsUpgrade(port);
      const closed = new Promise<Buffer>((resolve) => {
        const got: Buffer[] = [];
        c.on('data', (b) => got.push(b));
        c.on('close', () => resolve(Buffer.concat(got)));
        c.on('error', () => undefined);
      });
      c.write(frame);
      const back = await closed;
      await waitFor(lio, 'stderr', /closed: /);
      ac.abort();
      assert.equal(await listening, 0);
      assert.equal(back.readUInt16BE(2), code, 'the close frame the server sent');
      assert.match(lio.stderr, new RegExp(`127\\.0\\.0\\.1:\\d+ closed: 127\\.0\\.0\\.1:\\d+ sent a frame that breaks the WebSocket protocol \\([^)]+\\); the connection was closed with code ${code} — `));
      assert.doesNotMatch(lio.stderr, /did not accept the WebSocket upgrade/);
    });
  }

  it('send ws: a peer that never answers the close is said on stderr', async () => {
    // a server that completes the upgrade, answers the first message, then ignores everything (the close too)
    const server = net.createServer((s) => {
      let upgraded = false;
      s.on('data', (b) => {
        if (upgraded) {
          if ((b[0] & 0x0f) === 1) s.write(Buffer.from([0x81, 0x02, 0x6f, 0x6b]));
          return;
        }
        const key = /Sec-WebSocket-Key: (\S+)/i.exec(b.toString('latin1'))![1];
        const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        upgraded = true;
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const io = captureIo();
      assert.equal(await runSend(['ws', `127.0.0.1:${port}/`, '--text', 'hi'], io), 0);
      assert.equal(io.stdout, 'ok\n');
      assert.match(io.stderr, /^socket-lab send: ws:\/\/127\.0\.0\.1:\d+\/ did not answer the close within 1 s, so the connection was cut — /m);
      const answered = captureIo();
      const lio = captureIo();
      const listening = runListen(['ws', '127.0.0.1:0', '--count', '1', '--timeout', '20'], lio);
      assert.equal(await runSend(['ws', `${await listeningAddress(lio)}/`, '--text', 'x'], answered), 0);
      assert.doesNotMatch(answered.stderr, /did not answer the close/);
      assert.equal(await listening, 0);
    } finally {
      server.close();
    }
  });

  it('listen udp: an IPv6 group on an IPv4 socket says to bind [::]', async () => {
    const v6group = captureIo();
    assert.equal(await runListen(['udp', '0.0.0.0:0', '--join', 'ff02::1'], v6group), 1);
    assert.match(v6group.stderr, /^socket-lab listen: ff02::1 is an IPv6 group, which an IPv4 socket cannot join — bind the socket to \[::\]:PORT instead of 0\.0\.0\.0:PORT\.\n$/);
  });

  it('listen udp: a --source that is not an IP address says so', async () => {
    const source = captureIo();
    assert.equal(await runListen(['udp', '0.0.0.0:0', '--join', '239.1.2.3', '--source', '1.2.3'], source), 1);
    assert.match(source.stderr, /^socket-lab listen: 1\.2\.3 is not an IP address — /);
  });

  it('send udp: a scope id naming no interface is an error, exit 1', async () => {
    const zone = captureIo();
    assert.equal(await runSend(['udp', '[fe80::1%nosuch]:5000', '--text', 'hi'], zone), 1);
    assert.match(zone.stderr, /^socket-lab send: \[fe80::1%nosuch\]:5000 names the interface "nosuch", which this machine does not have — write one of [^]*\blo\b[^]* after the %\.\n$/);
  });
});
