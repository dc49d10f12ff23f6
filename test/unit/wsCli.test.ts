// `socket-lab listen ws|wss` / `send ws|wss` in process, and the bundled CLI once against a Node `ws` server.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import { runListen } from '../../src/core/cli/listenCommand';
import { runSend } from '../../src/core/cli/sendCommand';
import { captureIo, listeningAddress } from './helpers';

const capture = captureIo;

describe('socket-lab listen ws / send ws', function () {
  this.timeout(30_000);
  let dir: string;
  const saved = process.env.XDG_CACHE_HOME;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-wscli-'));
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('upper answers each text message upper-cased and echoes binary ones; subprotocol; the close is said', async () => {
    const lio = capture();
    const listening = runListen(['ws', '0', '--mode', 'upper', '--protocol', 'chat,other', '--count', '3', '--timeout', '20'], lio);
    const url = await listeningAddress(lio);
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const a = capture();
    assert.equal(await runSend(['ws', `${url}room`, '--text', 'hello ws', '--protocol', 'nope', '--protocol', 'chat'], a), 0, a.stderr);
    assert.equal(a.stdout, 'HELLO WS\n');
    assert.match(a.stderr, /subprotocol chat/);
    const b = capture();
    assert.equal(await runSend(['ws', url.replace('ws://', ''), '--hex', '00 61 ff', '--print', 'hex', '--json'], b), 0, b.stderr);
    const r = JSON.parse(b.stdout) as { ok: boolean; messages: number; hex: string; close: string };
    assert.equal(r.ok, true);
    assert.equal(r.messages, 1);
    assert.match(r.hex, /^00 61 ff 0a$/); // the message, and the newline that ends it on the terminal
    assert.equal(r.close, 'closed by us: 1000');
    assert.equal(await runSend(['ws', url, '--text', 'last'], capture()), 0);
    assert.equal(await listening, 0);
    assert.equal(lio.stdout.split('\n').slice(1).join('\n'), 'hello ws\n\u0000a\ufffd\nlast\n');
    assert.match(lio.stderr, /closed by the peer: 1000/);
  });

  it('wss: send trusts the listener\'s self-signed certificate with --ca, and fails in one sentence without it', async () => {
    const lio = capture();
    const listening = runListen(['wss', '0', '--mode', 'echo', '--count', '1', '--timeout', '20'], lio);
    const url = await listeningAddress(lio);
    assert.match(url, /^wss:\/\//);
    const cert = /clients trust it with --ca (\S+)/.exec(lio.stderr)?.[1];
    assert.ok(cert && fs.existsSync(cert), lio.stderr);
    const bad = capture();
    assert.equal(await runSend(['wss', url, '--text', 'x'], bad), 1);
    assert.match(bad.stderr, /^socket-lab send: .*certificate.*\n$/i);
    const good = capture();
    assert.equal(await runSend(['wss', url.replace('127.0.0.1', 'localhost'), '--text', 'secret', '--ca', cert], good), 0, good.stderr);
    assert.equal(good.stdout, 'secret\n');
    assert.equal(await listening, 0);
  });

  it('usage mistakes are one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['send', 'ws', 'http://127.0.0.1:1/', '--text', 'x'], /is a http URL|not a WebSocket URL/],
      [['send', 'ws', 'wss://127.0.0.1:1/', '--text', 'x'], /is a wss URL — use send wss/],
      [['send', 'ws', '127.0.0.1:1', '--text', 'x', '--framing', 'line'], /--framing does not apply to ws/],
      [['send', 'ws', '127.0.0.1:1', '--text', 'x', '--header', 'nocolon'], /--header wants 'Name: value'/],
      [['send', 'ws', '127.0.0.1:1', '--text', 'x', '--ca', 'f'], /--ca does not apply to send ws/],
      [['send', 'tcp', '127.0.0.1:1', '--text', 'x', '--protocol', 'p'], /--protocol applies to ws and wss only/],
      [['listen', 'ws', '0', '--header', 'A: b'], /--header applies to send/],
    ];
    for (const [[verb, ...argv], re] of cases) {
      const io = capture();
      const code = verb === 'send' ? await runSend(argv, io) : await runListen(argv, io);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, re);
      assert.equal(io.stderr.trim().split('\n').length, 1, io.stderr);
    }
  });

  it('the bundled CLI sends headers to a Node ws server and prints its answer', async function () {
    const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
    if (!fs.existsSync(cli)) this.skip(); // built by npm run build
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    let header: string | undefined;
    wss.on('connection', (ws, req) => {
      header = req.headers['x-token'] as string;
      ws.on('message', (d) => ws.send(`got ${String(d)}`));
    });
    try {
      const port = (wss.address() as { port: number }).port;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [cli, 'send', 'ws', `ws://127.0.0.1:${port}/`, '--text', 'hi', '--header', 'X-Token: abc'], (e, so, se) => (e ? reject(new Error(se)) : resolve(so))),
      );
      assert.equal(out, 'got hi\n');
      assert.equal(header, 'abc');
    } finally {
      wss.close();
    }
  });
});
