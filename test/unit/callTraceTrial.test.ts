// Issue 19's outsider trial of the socket-call recorder: tracebacks unchanged under tracing, sendfile recorded as a
// send, connect_ex's errno and select's readiness in words, a program that never loaded the recorder said so, text
// lines stamped when the call returned with the pid, and strace's limits and a missing command (exit 127).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTrace } from '../../src/core/cli/traceCommand';
import { CallLog } from '../../src/core/trace/callLog';
import { type CallRecord, describeCall, errnoText, selectReady, TraceCollector } from '../../src/core/trace/callTrace';

const made: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-trialtest-'));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function capture() {
  const io = { out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t), stdout: '', stderr: '' };
  return io;
}

describe('socket-call recorder: outsider trial (issue 19)', function () {
  this.timeout(30_000);

  it('a socket exception prints the same traceback traced as untraced (uncaught in main and a thread, chained, print_exc, logging.exception)', async () => {
    const dir = tempDir();
    const prog = path.join(dir, 'prog.py');
    fs.writeFileSync(
      prog,
      [
        'import socket, threading',
        'def worker():',
        '    socket.socket().connect(("127.0.0.1", 1))',
        'th = threading.Thread(target=worker); th.start(); th.join()',
        'import traceback, logging',
        'try:',
        '    socket.create_connection(("127.0.0.1", 1))',
        'except OSError:',
        '    traceback.print_exc()',
        '    logging.exception("logged")',
        's = socket.socket()',
        'try:',
        '    s.connect(("127.0.0.1", 1))',
        'except OSError as e:',
        '    raise RuntimeError("wrapped") from e',
        '',
      ].join('\n'),
    );
    const plain = spawnSync('python3', [prog], { encoding: 'utf8', cwd: dir });
    const trace = await TraceCollector.start(process.env);
    const records: CallRecord[] = [];
    trace.onRecords((rs) => records.push(...rs));
    try {
      const traced = spawnSync('python3', [prog], { encoding: 'utf8', cwd: dir, env: trace.env });
      await trace.drained();
      assert.match(plain.stderr, /ConnectionRefusedError/);
      assert.equal(traced.stderr, plain.stderr);
      assert.equal(traced.status, plain.status);
    } finally {
      trace.dispose();
    }
  });

  it('Node.js: a refused connect with no error listener still crashes the program as untraced (the recorder adds no listener)', async () => {
    const dir = tempDir();
    const prog = path.join(dir, 'p.js');
    fs.writeFileSync(prog, "require('net').connect(1, '127.0.0.1');\n");
    const plain = spawnSync(process.execPath, [prog], { encoding: 'utf8', cwd: dir });
    const trace = await TraceCollector.start(process.env);
    const records: CallRecord[] = [];
    trace.onRecords((rs) => records.push(...rs));
    try {
      const traced = spawnSync(process.execPath, [prog], { encoding: 'utf8', cwd: dir, env: trace.env });
      await trace.drained();
      assert.equal(traced.status, plain.status);
      assert.match(plain.stderr, /Unhandled 'error' event[^]*ECONNREFUSED/);
      // node names the frame that emitted the error: the recorder's emit wrapper is the one line that differs
      assert.equal(traced.stderr.replace(/^ +at .*socket-lab-trace\.cjs:.*\n/m, ''), plain.stderr);
    } finally {
      trace.dispose();
    }
    const connect = records.find((r) => r.call === 'connect');
    assert.match(String(connect?.error), /^ECONNREFUSED: /);
    assert.equal(connect?.line, 1);
  });

  it('socket.sendfile() is recorded as a send (bytes, first bytes), and the recv that took its bytes links to it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'data.txt'), 'hello sendfile\n');
    const code = [
      'import socket',
      'srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()',
      'c = socket.create_connection(srv.getsockname()); conn, _ = srv.accept()',
      'with open("data.txt", "rb") as f:',
      '    c.sendfile(f)  # SENDFILE',
      'got = b""',
      'while len(got) < 15:',
      '    got += conn.recv(100)',
      'print(got)',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'prog.py'), code);
    const trace = await TraceCollector.start(process.env);
    const records: CallRecord[] = [];
    trace.onRecords((rs) => records.push(...rs));
    try {
      const r = spawnSync('python3', ['prog.py'], { encoding: 'utf8', cwd: dir, env: trace.env });
      assert.equal(r.status, 0, r.stderr);
      await trace.drained();
    } finally {
      trace.dispose();
    }
    const sent = records.find((x) => x.call === 'sendfile');
    assert.ok(sent, JSON.stringify(records.map((x) => x.call)));
    assert.equal(sent.line, 5);
    assert.equal(sent.returned, 15);
    assert.equal(Buffer.from(sent.bytes_hex ?? '', 'hex').toString(), 'hello sendfile\n');
    assert.ok(!records.some((x) => x.call === 'send'), 'the sends inside sendfile are not recorded again');
    const log = new CallLog(dir);
    log.add(records);
    const recv = records.find((x) => x.call === 'recv' && x.returned);
    assert.ok(recv);
    assert.deepEqual(log.sendsIn(recv), [sent]);
  });

  it("connect_ex's result is its errno with the name; select's is how many fds were ready of how many watched", () => {
    const inProgress = os.constants.errno.EINPROGRESS;
    assert.equal(errnoText(inProgress), `${inProgress} EINPROGRESS`);
    assert.equal(errnoText(0), '0');
    const cx: CallRecord = { t: 1, call: 'connect_ex', fd: 3, peer: '127.0.0.1:40153', returned: inProgress };
    assert.match(describeCall(cx, 1), new RegExp(`connect_ex\\(fd 3, 127\\.0\\.0\\.1:40153\\) → ${inProgress} EINPROGRESS$`));
    const sel: CallRecord = { t: 1, call: 'select', read_fds: [3, 4, 5], write_fds: [], ready_read: [4], ready_write: [] };
    assert.deepEqual(selectReady(sel), { ready: 1, watched: 3 });
    assert.match(describeCall(sel, 1), /select\(\) → 1 ready of 3$/);
    assert.deepEqual(selectReady({ t: 1, call: 'select', via: 'EpollSelector', ready_read: [4], ready_write: [4, 6] }), { ready: 2 });
    assert.equal(selectReady({ t: 1, call: 'select', error: 'InterruptedError' }), undefined);
    assert.equal(selectReady({ t: 1, call: 'recv', ready_read: [] }), undefined);
  });

  it('a text line is stamped when its call returned, with the pid, so lines and times run in the same order', () => {
    const send: CallRecord = { t: 100.2, call: 'send', pid: 41, fd: 4, asked: 2, returned: 2, blocked_ms: 0.1, file: 'a.py', line: 3 };
    const recv: CallRecord = { t: 100.0, call: 'recv', pid: 42, fd: 5, asked: 9, returned: 2, blocked_ms: 500, file: 'a.py', line: 9 };
    const lines = [send, recv].map((r) => describeCall(r, 100));
    assert.match(lines[0], /^\+0\.200s {2}pid 41 {2}a\.py:3 {2}send\(fd 4, 2\)/);
    assert.match(lines[1], /^\+0\.500s {2}pid 42 {2}a\.py:9 {2}recv\(fd 5, 9\)/);
  });

  it('socket-lab trace says when no process loaded the recorder (python3 -I), and keeps the program\'s exit code', async () => {
    const dir = tempDir();
    const prog = path.join(dir, 'p.py');
    fs.writeFileSync(prog, 'import socket, sys\nsocket.socket().close()\nsys.exit(3)\n');
    for (const flag of ['-I', '-S']) {
      const io = capture();
      assert.equal(await runTrace(['--', 'python3', flag, prog], io), 3);
      assert.equal(io.stderr, 'socket-lab trace: no process loaded the recorder, so no call was recorded (python3 -I, -E and -S skip the recorder: run without them to record)\n', flag);
    }
    const io = capture();
    assert.equal(await runTrace(['--', 'python3', prog], io), 3);
    assert.doesNotMatch(io.stderr, /no process loaded/);
  });

  it('socket-lab trace -- a command that does not exist exits 127 with one sentence; strace says once what it cannot see', async function () {
    if (spawnSync('strace', ['-V']).status !== 0) this.skip(); // the strace path only (without strace: exit 2, said)
    const io = capture();
    assert.equal(await runTrace(['--', 'socket-lab-no-such-command'], io), 127);
    assert.equal(io.stderr, 'socket-lab trace: socket-lab-no-such-command: command not found\n');
    const rel = capture();
    assert.equal(await runTrace(['--', './socket-lab-no-such-command'], rel), 127);
    const ok = capture();
    const out = path.join(tempDir(), 'calls.jsonl');
    assert.equal(await runTrace(['--out', out, '--', 'sh', '-c', 'exit 4'], ok), 4);
    assert.equal(ok.stderr.match(/only network system calls are recorded/g)?.length, 1, ok.stderr);
    assert.match(ok.stderr, /not read or write on a socket/);
  });
});
