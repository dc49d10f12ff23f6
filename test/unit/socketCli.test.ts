import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { CliIo } from '../../src/core/cli/cliIo';
import { runListen } from '../../src/core/cli/listenCommand';
import { runSend } from '../../src/core/cli/sendCommand';
import { captureIo, listeningAddress, repoRoot } from './helpers';

/** What a verb writes, with stdin to read from and the output's lines. */
function capture(stdin?: NodeJS.ReadableStream): CliIo & { stdout: string; stderr: string; lines: () => string[] } {
  const io = captureIo();
  return Object.assign(io, { stdin, lines: () => io.stdout.split('\n').filter(Boolean) });
}

describe('socket-lab listen / send (in process)', () => {
  it('listen tcp echo + send text: prints the answer, exit 0 both sides', async () => {
    const lio = capture();
    const listening = runListen(['tcp', '127.0.0.1:0', '--mode', 'echo', '--count', '1', '--timeout', '10'], lio);
    const addr = await listeningAddress(lio);
    assert.match(addr, /^127\.0\.0\.1:\d+$/);
    const sio = capture();
    assert.equal(await runSend(['tcp', addr, '--text', 'hello 年'], sio), 0);
    assert.equal(sio.stdout, 'hello 年');
    assert.equal(await listening, 0);
    assert.equal(lio.stdout, `listening on ${addr}\nhello 年`);
  });

  it('--json on both verbs, over ::1, with hex input and hex printing, upper mode', async () => {
    const lio = capture();
    const listening = runListen(['tcp', '[::1]:0', '--mode', 'upper', '--count', '1', '--json'], lio);
    const addr = await listeningAddress(lio);
    assert.match(addr, /^\[::1\]:\d+$/);
    const sio = capture();
    assert.equal(await runSend(['tcp', addr, '--hex', '61 62 0x63', '--expect-bytes', '3', '--print', 'hex', '--json'], sio), 0);
    const r = JSON.parse(sio.stdout);
    assert.equal(r.ok, true);
    assert.equal(r.sent, 3);
    assert.equal(r.received, 3);
    assert.equal(r.hex, '41 42 43');
    assert.equal(await listening, 0);
    const events = lio.lines().map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event).filter((e) => e !== 'closed'), ['listening', 'accepted', 'message', 'done']);
    assert.equal(events[2].text, 'abc');
    assert.equal(events[2].hex, '61 62 63');
  });

  it('udp: listen print with line framing counts lines; send gbk text', async () => {
    const lio = capture();
    const listening = runListen(['udp', '0', '--count', '2', '--framing', 'line', '--encoding', 'gbk'], lio);
    const addr = await listeningAddress(lio);
    assert.equal(await runSend(['udp', addr, '--text', '年', '--encoding', 'gbk', '--line-ending', 'lf'], capture()), 0);
    assert.equal(await runSend(['udp', addr, '--escapes', 'b\\r\\n'], capture()), 0);
    assert.equal(await listening, 0);
    assert.equal(lio.stdout, `listening on ${addr}\n年\nb\n`);
  });

  it('unix: listen echo with len4be framing, send a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cli-'));
    try {
      const sock = path.join(dir, 'e.sock');
      const file = path.join(dir, 'payload.bin');
      fs.writeFileSync(file, Buffer.from('file body'));
      const lio = capture();
      const listening = runListen(['unix', sock, '--mode', 'echo', '--framing', 'len4be', '--count', '1'], lio);
      assert.equal(await listeningAddress(lio), sock);
      const sio = capture();
      assert.equal(await runSend(['unix', sock, '--file', file, '--framing', 'len4be', '--expect-bytes', '13', '--print', 'hex'], sio), 0, sio.stderr);
      assert.equal(sio.stdout, '00 00 00 09 66 69 6c 65 20 62 6f 64 79\n');
      assert.equal(await listening, 0);
      assert.equal(lio.stdout, `listening on ${sock}\nfile body\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('manual listen answers with lines typed on stdin', async () => {
    const stdin = new PassThrough();
    const ac = new AbortController();
    const lio = Object.assign(capture(stdin), { signal: ac.signal });
    const listening = runListen(['tcp', '0', '--mode', 'manual'], lio);
    const addr = await listeningAddress(lio);
    const sio = capture();
    const sending = runSend(['tcp', addr, '--text', 'question', '--expect-bytes', '7'], sio);
    await new Promise<void>((r) => {
      const check = () => (lio.stdout.includes('question') ? r() : setTimeout(check, 5));
      check();
    });
    stdin.write('answer\n');
    assert.equal(await sending, 0);
    assert.equal(sio.stdout, 'answer\n');
    ac.abort();
    assert.equal(await listening, 0);
  });

  it('exit codes: 1 refused (with the sentence), 2 usage, 3 expected bytes missing; listen 3 on timeout short of --count', async () => {
    const refused = capture();
    assert.equal(await runSend(['tcp', '127.0.0.1:1', '--text', 'x'], refused), 1);
    assert.equal(refused.stderr, 'socket-lab send: Nothing listens on 127.0.0.1:1 — start the server first, or check the host and port.\n');

    const usage = capture();
    assert.equal(await runSend(['tcp', '127.0.0.1:1', '--text', 'x', '--hex', '00'], usage), 2);
    assert.match(usage.stderr, /exactly one of/);
    const badHex = capture();
    assert.equal(await runSend(['tcp', '1', '--hex', '4g'], badHex), 2);
    assert.match(badHex.stderr, /"g" at position 2 is not a hex digit/);
    const badPort = capture();
    assert.equal(await runSend(['tcp', 'localhost:99999', '--text', 'x'], badPort), 2);
    assert.match(badPort.stderr, /"99999" is not a port/);
    assert.equal(await runListen(['sctp', '1'], capture()), 2);

    const lio = capture();
    const listening = runListen(['tcp', '0', '--mode', 'sink', '--count', '5', '--timeout', '0.5'], lio);
    const addr = await listeningAddress(lio);
    const sio = capture();
    assert.equal(await runSend(['tcp', addr, '--text', 'x', '--expect-bytes', '1', '--timeout', '0.2'], sio), 3);
    assert.match(sio.stderr, /received 0 of 1 bytes within 0\.2 s/);
    assert.equal(await listening, 3);
    assert.match(lio.stderr, /received 1 of 5 messages/);
  });

  it('listen reports EADDRINUSE with the holder and exits 1', async () => {
    const first = capture();
    const a = runListen(['tcp', '0', '--timeout', '5', '--count', '1'], first);
    const addr = await listeningAddress(first);
    const second = capture();
    assert.equal(await runListen(['tcp', addr, '--json'], second), 1);
    const e = JSON.parse(second.stdout);
    assert.equal(e.event, 'error');
    assert.equal(e.code, 'EADDRINUSE');
    assert.match(e.message, new RegExp(`in use by .*\\(pid ${process.pid}\\)`));
    await runSend(['tcp', addr, '--text', 'x'], capture());
    await a;
  });
});

describe('socket-lab listen / send: usage errors say one sentence and exit 2 (issue 11)', () => {
  it('a --timeout beyond what a Node timer holds is refused (it used to fire after 1 ms)', async () => {
    const l = capture();
    const t0 = Date.now();
    assert.equal(await runListen(['tcp', '0', '--timeout', '99999999999', '--count', '1'], l), 2);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(l.stdout, '');
    assert.match(l.stderr, /^socket-lab listen: --timeout is at most 2147483 seconds \(about 24 days\), got "99999999999"/);
    const s = capture();
    assert.equal(await runSend(['tcp', '1', '--text', 'x', '--timeout', '1e10'], s), 2);
    assert.match(s.stderr, /--timeout is at most 2147483 seconds/);
    assert.equal(await runSend(['tcp', '1', '--text', 'x', '--timeout', ''], capture()), 2);
  });

  it('--count -1 says what is wrong with the number, not "argument is ambiguous"', async () => {
    const l = capture();
    assert.equal(await runListen(['tcp', '0', '--count', '-1'], l), 2);
    assert.equal(l.stderr, 'socket-lab listen: --count wants a whole number (0 or more), got "-1"\n');
    const t = capture();
    assert.equal(await runListen(['tcp', '0', '--timeout', '-5'], t), 2);
    assert.equal(t.stderr, 'socket-lab listen: --timeout wants a number of seconds (0 or more), got "-5"\n');
    const e = capture();
    assert.equal(await runSend(['tcp', '1', '--text', 'x', '--expect-bytes', '-3'], e), 2);
    assert.match(e.stderr, /--expect-bytes wants a whole number \(0 or more\), got "-3"/);
  });

  it('send to port 0 is a usage error (exit 2), not a socket error', async () => {
    const s = capture();
    assert.equal(await runSend(['tcp', '0', '--text', 'x'], s), 2);
    assert.match(s.stderr, /port 0 cannot be sent to/);
    assert.equal(await runSend(['udp', '127.0.0.1:0', '--text', 'x'], capture()), 2);
  });

  it('--file with a directory is refused before connecting: the listener sees no connection', async () => {
    const lio = capture();
    const listening = runListen(['tcp', '0', '--json', '--timeout', '0.5'], lio);
    const addr = await listeningAddress(lio);
    const s = capture();
    assert.equal(await runSend(['tcp', addr, '--file', os.tmpdir()], s), 2);
    assert.equal(s.stderr, `socket-lab send: ${os.tmpdir()} is a directory — --file sends the bytes of one file\n`);
    assert.equal(await listening, 0);
    assert.doesNotMatch(lio.stdout, /"accepted"/);
  });
});

describe('socket-lab CLI (built dist/cli.js, real process)', function () {
  this.timeout(60000);
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  before(() => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'esbuild.js')], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('listen prints "listening on HOST:PORT" and send gets the echo; exit codes are real', async () => {
    const child = spawn(process.execPath, [cli, 'listen', 'tcp', '0', '--mode', 'echo', '--count', '1', '--timeout', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const addr = await listeningAddress({ get stdout() { return out; } });
    const s = spawnSync(process.execPath, [cli, 'send', 'tcp', addr, '--text', 'ping', '--json'], { encoding: 'utf8' });
    assert.equal(s.status, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).text, 'ping');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0);
    assert.equal(out, `listening on ${addr}\nping`);
  });

  it('EACCES on a port below 1024 for an unprivileged user, with the fix', function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to drop to "nobody"
    fs.accessSync(cli, fs.constants.R_OK);
    const r = spawnSync(process.execPath, [cli, 'listen', 'tcp', '127.0.0.1:80'], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: '/' });
    if (r.error || /EACCES: permission denied, open|Cannot find module/.test(r.stderr)) this.skip(); // nobody cannot read the checkout
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'socket-lab listen: Permission denied for 127.0.0.1:80 — ports below 1024 need administrator rights; use a port of 1024 or above.\n');
  });
});
