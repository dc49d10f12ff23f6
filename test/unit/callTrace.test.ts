// The socket-call recorder in real Python programs on real loopback sockets: every wrapped call with its line,
// errors, timeouts, non-blocking mode, select, threads, a forked child, the chained sitecustomize, the bounded pipe,
// and `socket-lab trace`.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CallRecord, describeCall, TraceCollector } from '../../src/core/trace/callTrace';
import { runTrace } from '../../src/core/cli/traceCommand';

const made: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-tracetest-'));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs `code` as prog.py in a fresh folder with the recorder. `readAfterDone`: the collector's connection is not read
 * until the program printed "done" (the kernel's buffers fill, as with a reader that falls behind); then it is, and the
 * program's stdin is answered so it can exit.
 */
async function traced(code: string, opts: { env?: NodeJS.ProcessEnv; readAfterDone?: boolean; timeoutMs?: number } = {}): Promise<{ records: CallRecord[]; stdout: string; stderr: string; code: number | null; ms: number }> {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'prog.py'), code);
  const trace = await TraceCollector.start({ ...process.env, ...opts.env });
  const records: CallRecord[] = [];
  trace.onRecords((rs) => records.push(...rs));
  const started = Date.now();
  try {
    const child = spawn('python3', ['prog.py'], { cwd: dir, env: trace.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (opts.readAfterDone) trace.pauseReading(true);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.readAfterDone && stdout.includes('done') && !child.stdin.writableEnded) {
        trace.pauseReading(false);
        child.stdin.end('\n');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const ms = Date.now() - started;
    clearTimeout(timer);
    await trace.drained();
    assert.equal(trace.malformed, 0);
    return { records, stdout, stderr, code, ms };
  } finally {
    trace.dispose();
  }
}

/** The line number of the line holding `marker` in `code`. */
const lineOf = (code: string, marker: string) => code.split('\n').findIndex((l) => l.includes(marker)) + 1;
const calls = (rs: CallRecord[], call: string) => rs.filter((r) => r.call === call);

describe('socket-call recorder (Python)', function () {
  this.timeout(60_000);

  it('records every wrapped call of a TCP exchange with the user\'s file:line, fds, addresses and bytes', async () => {
    const code = [
      'import socket, threading',
      'srv = socket.socket()  # SOCKET',
      'srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # SETSOCKOPT',
      "srv.bind(('127.0.0.1', 0))  # BIND",
      'srv.listen(5)  # LISTEN',
      'port = srv.getsockname()[1]',
      'def serve():',
      '    conn, peer = srv.accept()  # ACCEPT',
      '    data = b""',
      '    while len(data) < 17:',
      '        data += conn.recv(1024)  # RECV',
      '    conn.sendall(data.upper())  # SENDALL',
      '    conn.shutdown(socket.SHUT_WR)  # SHUTDOWN',
      '    conn.close()  # SCLOSE',
      't = threading.Thread(target=serve, name="server")',
      't.start()',
      "c = socket.create_connection(('127.0.0.1', port))  # CONNECT",
      'c.settimeout(5)  # SETTIMEOUT',
      "c.send(b'apple')  # SEND1",
      "c.send(b'banana')  # SEND2",
      "c.sendall(b'cherry')  # SEND3",
      'buf = bytearray(64)',
      'n = c.recv_into(buf)  # RECVINTO',
      'rest = c.recv(10)  # EOF',
      'c.close()  # CLOSE',
      't.join()',
      "print('ok', bytes(buf[:n]), rest)",
    ].join('\n');
    const r = await traced(code);
    assert.equal(r.code, 0, r.stderr);
    const at = (marker: string) => r.records.filter((x) => x.line === lineOf(code, marker));
    for (const m of ['SOCKET', 'SETSOCKOPT', 'BIND', 'LISTEN', 'ACCEPT', 'RECV', 'SENDALL', 'SHUTDOWN', 'SCLOSE', 'CONNECT', 'SETTIMEOUT', 'SEND1', 'SEND2', 'SEND3', 'RECVINTO', 'EOF', 'CLOSE']) assert.ok(at(m).length > 0, `nothing recorded at # ${m}`);
    assert.ok(r.records.every((x) => x.file === 'prog.py'), 'library frames (create_connection, threading) are skipped');
    const [send1] = at('SEND1');
    assert.equal(send1.call, 'send');
    assert.equal(send1.asked, 5);
    assert.equal(send1.returned, 5);
    assert.equal(send1.bytes_hex, Buffer.from('apple').toString('hex'));
    assert.match(String(send1.peer), /^127\.0\.0\.1:\d+$/);
    const [accept] = at('ACCEPT');
    assert.equal(accept.thread, 'server');
    assert.equal(typeof accept.new_fd, 'number');
    const recvs = at('RECV');
    assert.ok(recvs.every((x) => x.fd === accept.new_fd && x.call === 'recv' && x.asked === 1024));
    assert.equal(Buffer.concat(recvs.map((x) => Buffer.from(x.bytes_hex!, 'hex'))).toString(), 'applebananacherry');
    const [into] = at('RECVINTO');
    assert.equal(into.call, 'recv_into');
    assert.equal(into.asked, 64);
    assert.equal(Buffer.from(into.bytes_hex!, 'hex').toString(), 'APPLEBANANACHERRY'.slice(0, into.returned));
    const eof = at('EOF').at(-1)!;
    if (into.returned === 17) assert.equal(eof.returned, 0, 'recv after the peer closed returns b""');
    assert.equal(at('SHUTDOWN')[0].how, 'SHUT_WR');
    assert.equal(at('SETSOCKOPT')[0].value, 1);
    assert.equal(at('SETTIMEOUT')[0].value, 5);
    assert.equal(at('BIND')[0].local, '127.0.0.1:0');
    assert.match(describeCall(at('EOF').at(-1)!, r.records[0].t), /prog\.py:\d+ {2}recv\(fd \d+, 10\) → /);
  });

  it('errors, timeouts, non-blocking mode, UDP, select and selectors, a forked child', async () => {
    const code = [
      'import os, selectors, select, socket, time',
      'probe = socket.socket(); probe.bind(("127.0.0.1", 0)); dead = probe.getsockname()[1]; probe.close()',
      'c = socket.socket()',
      'try:',
      '    c.connect(("127.0.0.1", dead))  # REFUSED',
      'except ConnectionRefusedError:',
      '    pass',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))',
      'u.settimeout(0.3)',
      'try:',
      '    u.recvfrom(100)  # TIMEOUT',
      'except TimeoutError:',
      '    pass',
      'u.setblocking(False)  # NONBLOCK',
      'try:',
      '    u.recv(100)  # WOULDBLOCK',
      'except BlockingIOError:',
      '    pass',
      'v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'v.sendto(b"dgram", u.getsockname())  # SENDTO',
      'select.select([u], [], [], 2)  # SELECT',
      'data, src = u.recvfrom(100)  # RECVFROM',
      'sel = selectors.DefaultSelector(); sel.register(u, selectors.EVENT_READ)',
      'sel.select(0.05)  # SELECTOR',
      'pid = os.fork()',
      'if pid == 0:',
      '    v.sendto(b"child", u.getsockname())  # CHILD',
      '    os._exit(0)',
      'os.waitpid(pid, 0)',
    ].join('\n');
    const r = await traced(code);
    assert.equal(r.code, 0, r.stderr);
    const at = (marker: string) => r.records.filter((x) => x.line === lineOf(code, marker));
    assert.match(String(at('REFUSED')[0].error), /^ConnectionRefusedError: /);
    const timeout = at('TIMEOUT')[0];
    assert.match(String(timeout.error), /^TimeoutError: /);
    assert.ok(timeout.blocked_ms! >= 290, `blocked ${timeout.blocked_ms} ms`);
    assert.equal(at('NONBLOCK')[0].value, false);
    assert.match(String(at('WOULDBLOCK')[0].error), /^BlockingIOError: /);
    assert.equal(at('SENDTO')[0].returned, 5);
    const sel = at('SELECT')[0];
    assert.equal(sel.call, 'select');
    assert.deepEqual(sel.ready_read, [at('RECVFROM')[0].fd]);
    assert.equal(String(at('RECVFROM')[0].peer).split(':').at(-1), String(at('SENDTO')[0].local).split(':').at(-1), 'recvfrom names the sender\'s port');
    assert.equal(at('SELECTOR')[0].call, 'select');
    const child = at('CHILD');
    assert.equal(child.length, 1, 'the child records its own call, once');
    assert.notEqual(child[0].pid, at('SENDTO')[0].pid);
  });

  it('a sitecustomize already on PYTHONPATH still runs, after the recorder', async () => {
    const theirs = tempDir();
    fs.writeFileSync(path.join(theirs, 'sitecustomize.py'), 'import builtins\nbuiltins.THEIRS = "loaded"\n');
    const r = await traced('import socket\nsocket.socket().close()\nprint(THEIRS)\n', { env: { PYTHONPATH: theirs } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'loaded');
    assert.deepEqual(r.records.map((x) => x.call), ['socket', 'close']);
  });

  it('never blocks the program: while nobody reads, 100,000 sends run on, and every record is delivered or counted', async () => {
    const n = 100_000;
    const code = [
      'import socket, sys',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sink.bind(("127.0.0.1", 0)); addr = sink.getsockname()',
      `for i in range(${n}):`,
      '    u.sendto(b"x", addr)',
      'print("done", flush=True)',
      'sys.stdin.readline()',
    ].join('\n');
    // the pipe is not read until the loop has ended (the program says "done"); then it is, and the program exits
    const r = await traced(code, { readAfterDone: true, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `the program was killed after ${r.ms} ms: it blocked on the pipe`);
    const delivered = r.records.filter((x) => x.call !== 'dropped').length;
    const dropped = calls(r.records, 'dropped').reduce((s, x) => s + (x.count ?? 0), 0);
    assert.ok(dropped > 0, 'a pipe nobody reads cannot hold 100,000 records');
    assert.equal(delivered + dropped, n + 3, `${delivered} delivered + ${dropped} dropped`); // + socket, socket, bind
  });

  it('socket-lab trace: records as JSON Lines to --out, the program\'s exit code passed through; usage mistakes exit 2', async () => {
    const dir = tempDir();
    const prog = path.join(dir, 'p.py');
    fs.writeFileSync(prog, 'import socket, sys\ns = socket.socket()\ns.close()\nsys.exit(7)\n');
    const io = { out: (t: string) => void (stdout += t), err: (t: string) => void (stderr += t) };
    let stdout = '';
    let stderr = '';
    const out = path.join(dir, 'calls.jsonl');
    assert.equal(await runTrace(['--out', out, '--', 'python3', prog], io), 7);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallRecord);
    assert.deepEqual(lines.map((l) => `${l.call}:${l.line}`), ['socket:2', 'close:3']);
    assert.equal(stdout, '');
    assert.equal(await runTrace(['--out', out, '--', 'python3', prog], io), 2, 'an existing --out file is refused');
    assert.match(stderr, /already exists/);
    for (const bad of [[], ['--out'], ['--bogus', '--', 'python3', prog]]) assert.equal(await runTrace(bad, io), 2, bad.join(' '));
    assert.equal(await runTrace(['--', 'python3.99'], io), 127);
    // as a process, human lines on stderr
    const cli = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'cli.ts'), 'trace', '--', 'python3', prog], { encoding: 'utf8' });
    assert.equal(cli.status, 7);
    assert.match(cli.stderr, /p\.py:2 {2}socket\(fd \d+\)\n.*p\.py:3 {2}close\(fd \d+\)/s);
  });

  it('a program that is not Python is traced through strace: the same records, without source lines', async function () {
    if (spawnSync('strace', ['-V']).status !== 0) this.skip(); // strace is in scripts/setup-system.sh; elsewhere skipped
    const dir = tempDir();
    const out = path.join(dir, 'calls.jsonl');
    const prog = "const s = require('dgram').createSocket('udp4'); s.send('hi\\n', 9, '127.0.0.1', () => { s.close(); process.exit(5); });";
    let stderr = '';
    const io = { out: () => undefined, err: (t: string) => void (stderr += t) };
    // through sh, so the program is not one the Node.js recorder takes (strace follows sh into node)
    assert.equal(await runTrace(['--out', out, '--', 'sh', '-c', 'exec "$0" -e "$1"', process.execPath, prog], io), 5, stderr);
    const recs = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallRecord);
    const send = recs.find((r) => (r.call === 'sendto' || r.call === 'sendmsg') && r.bytes_hex === '68690a');
    assert.ok(send, JSON.stringify(recs.map((r) => r.call)));
    assert.equal(send.returned, 3);
    assert.ok(recs.every((r) => r.file === null && r.source === 'strace'));
    const sock = recs.find((r) => r.call === 'socket' && r.type === 'SOCK_DGRAM');
    assert.ok(sock && recs.some((r) => r.call === 'close' && r.fd === sock.fd), 'the socket and its close');
  });

  it('Node.js: net and dgram calls and events, each at the user\'s line (a recv at the line of its data listener)', async () => {
    const code = [
      "const net = require('net');",
      "const dgram = require('dgram');",
      'const srv = net.createServer((c) => {',
      "  c.on('data', (d) => c.write(d.toString().toUpperCase())); // DATA",
      "  c.on('end', () => c.end()); // END",
      '});',
      "srv.listen(0, '127.0.0.1', () => { // LISTEN",
      "  const c = net.connect(srv.address().port, '127.0.0.1', () => { // CONNECT",
      "    c.write('apple'); // WRITE",
      "    c.end('banana'); // ENDDATA",
      '  });',
      "  c.on('data', (d) => console.log('got', String(d)));",
      "  c.on('close', () => {",
      '    srv.close();',
      "    const u = dgram.createSocket('udp4');",
      "    u.bind(0, '127.0.0.1', () => { // BIND",
      "      u.on('message', (m) => u.close()); // MESSAGE",
      "      u.send('ping', u.address().port, '127.0.0.1'); // SENDTO",
      '    });',
      '  });',
      '});',
    ].join('\n');
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'prog.js'), code);
    const trace = await TraceCollector.start(process.env);
    const records: CallRecord[] = [];
    trace.onRecords((rs) => records.push(...rs));
    try {
      const child = spawn(process.execPath, ['prog.js'], { cwd: dir, env: trace.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      assert.equal(await new Promise((r) => child.on('exit', r)), 0);
      await trace.drained();
      assert.equal(out.replace(/got |\n/g, ''), 'APPLEBANANA');
    } finally {
      trace.dispose();
    }
    const at = (marker: string) => records.filter((x) => x.line === lineOf(code, marker)).map((x) => `${x.call}${x.bytes_hex ? ` ${Buffer.from(x.bytes_hex, 'hex')}` : ''}${x.returned === 0 ? ' 0' : ''}`);
    assert.deepEqual(at('LISTEN'), ['bind', 'listen', 'accept']);
    assert.deepEqual(at('CONNECT'), ['connect', 'recv 0']);
    assert.deepEqual(at('WRITE'), ['send apple']);
    assert.deepEqual(at('ENDDATA'), ['send banana', 'shutdown']);
    // the bytes may come in one read or two: each recv is answered by its send
    const data = at('DATA');
    assert.equal(data.filter((x) => x.startsWith('recv')).map((x) => x.slice(5)).join(''), 'applebanana');
    assert.equal(data.filter((x) => x.startsWith('send')).map((x) => x.slice(5)).join(''), 'APPLEBANANA');
    assert.deepEqual(data.map((x) => x.split(' ')[0]), data.flatMap((_, i) => (i % 2 ? [] : ['recv', 'send'])));
    assert.deepEqual(at('END'), ['recv 0', 'shutdown']);
    assert.deepEqual(at('BIND'), ['bind']);
    assert.deepEqual(at('SENDTO'), ['sendto ping']);
    assert.deepEqual(at('MESSAGE'), ['recvfrom ping']);
    assert.ok(records.every((x) => x.file === null || x.file === 'prog.js'), 'console.log on a pipe is not a socket call');
  });
});
