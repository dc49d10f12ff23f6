// Check My Solution as a learner meets it: cancelling stops the program at once, failures say what the program did
// (ended with which code or signal, still running without listening, printed nothing), a zh-cn report is Chinese,
// a framing mistake shows the bytes that really came, a program-judged exercise counts only its own packets, and
// the CLI exits 2 (cannot judge) or 130 (cancelled) where it did not judge. Real programs, real sockets.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runLessonCommand } from '../../src/core/cli/lessonCommand';
import { compileFilter } from '../../src/core/decode/displayFilter';
import { loadLessonCatalog, type Lesson, type LessonExercise } from '../../src/core/lessons/lessonCatalog';
import { checkExercise, checkReport, expectFilter } from '../../src/core/lessons/lessonCheck';
import { parseWire } from '../../src/core/wire/wireParser';
import { ProcessGroup } from '../../src/core/programs/processGroup';
import { runClientBlock } from '../../src/core/wire/wireRunner';
import { repoRoot, until } from '../support';

const interpreter = { command: 'python3', args: [], source: 'default' };
const catalog = loadLessonCatalog(path.join(repoRoot, 'lessons'));
const echo = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;

/** Folders the tests make, removed when the file's tests end. */
const made: string[] = [];
function tmp(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socket-lab-checkrun-${tag}-`));
  made.push(dir);
  return dir;
}
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Lesson 1 with its own checker `wire` (exercise "t"), and a learner's folder whose server.py is `server`. */
function fakeCheck(wire: string, server: string, more: Partial<LessonExercise> = {}): { lesson: Lesson; x: LessonExercise; dir: string } {
  const lessonDir = tmp('lesson');
  fs.mkdirSync(path.join(lessonDir, 'checks'));
  fs.writeFileSync(path.join(lessonDir, 'checks', 't.wire'), wire);
  const x: LessonExercise = { ...echo.exercises[0], id: 't', run: 'server', check: 'checks/t.wire', ...more };
  const lesson: Lesson = { ...echo, dir: lessonDir, exercises: [x] };
  const dir = tmp('copy');
  fs.writeFileSync(path.join(dir, 'server.py'), server);
  return { lesson, x, dir };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The zh-cn evidence without its step lines (✓ ✗ - and the step as written in .wire): what must be Chinese. */
function zhProse(report: string): string[] {
  return report
    .split('\n')
    .filter((l) => !/^\s*[✓✗-] /.test(l) && !l.startsWith('### '))
    .map((l) => l.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\bframing [a-z0-9]+/g, '').replace(/\/(?:[^/\\]|\\.)+\/[a-z]*/g, '//'))
    .filter((l) => /[A-Za-z]{2,}[ ,:]+[A-Za-z]{2,}/.test(l));
}

const listener = (port: string) => `import socket, sys\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', int(${port})))\ns.listen()\n`;

describe('lessons: Check My Solution, as a learner runs it', function () {
  this.timeout(30_000);

  it('a cancelled check stops a server that never listens at once, and says it was cancelled', async () => {
    const pidFile = path.join(tmp('pid'), 'pid');
    const { lesson, x, dir } = fakeCheck('### t\n# zh-cn: 测\nconnect tcp 127.0.0.1:{{port}}\n', `import os, time\nopen(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n`);
    const ac = new AbortController();
    const started = Date.now();
    const check = checkExercise(lesson, x, { interpreter, dir, signal: ac.signal });
    await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '', 'the server to start');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    ac.abort();
    const r = await check;
    assert.ok(Date.now() - started < 4000, `the check ended ${Date.now() - started} ms after it began`);
    assert.equal(r.cancelled, true);
    assert.equal(r.pass, false);
    assert.match(checkReport(r, 'en'), /cancelled/);
    assert.match(checkReport(r, 'zh-cn'), /已取消/);
    await until(() => !alive(pid), `python (pid ${pid}) to end`, 2000);
  });

  it('a check cancelled before it starts does not wait for its program', async () => {
    const { lesson, x, dir } = fakeCheck('### t\n# zh-cn: 测\nconnect tcp 127.0.0.1:{{port}}\n', 'import time\ntime.sleep(60)\n');
    const started = Date.now();
    const r = await checkExercise(lesson, x, { interpreter, dir, signal: AbortSignal.abort() });
    assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    assert.equal(r.cancelled, true);
  });

  it('socket-lab lesson check: Ctrl+C stops the program, says "cancelled" and exits 130', async () => {
    const pidFile = path.join(tmp('pid'), 'pid');
    const dir = tmp('cli');
    fs.writeFileSync(path.join(dir, 'server.py'), `import os, time\nopen(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n`);
    const ac = new AbortController();
    const io = { stdout: '', stderr: '', signal: ac.signal, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
    const started = Date.now();
    const run = runLessonCommand(['check', '01-tcp-echo', '0', '--dir', dir, '--python', 'python3'], io);
    await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '', 'the server to start');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    ac.abort();
    const code = await run;
    assert.equal(code, 130, io.stdout + io.stderr);
    assert.ok(Date.now() - started < 4000, `${Date.now() - started} ms`);
    assert.equal(io.stdout, '');
    assert.match(io.stderr, /^socket-lab lesson: cancelled: exercise 0 of 01-tcp-echo was not judged\.\n$/);
    assert.equal(alive(pid), false, 'the program ended before the CLI returned');
  });

  it('socket-lab lesson check, a real process: SIGINT (Ctrl+C) ends it at once with 130, "cancelled" on stderr and its program gone', async () => {
    const dir = tmp('sigint');
    const pidFile = path.join(dir, 'pid');
    fs.writeFileSync(path.join(dir, 'server.py'), `import os, time\nopen(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n`);
    const cli = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'lesson', 'check', '01-tcp-echo', '0', '--dir', dir, '--python', 'python3', '--lang', 'en'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (out += d));
    const ended = new Promise<number | null>((r) => cli.on('exit', (code) => r(code)));
    try {
      await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '', 'the server to start', 15_000);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      const started = Date.now();
      cli.kill('SIGINT');
      assert.equal(await ended, 130, out);
      assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
      assert.equal(out, 'socket-lab lesson: cancelled: exercise 0 of 01-tcp-echo was not judged.\n');
      assert.equal(alive(pid), false, 'nothing left running');
    } finally {
      cli.kill('SIGKILL');
    }
  });

  it('socket-lab lesson check on a folder without the program exits 2 with the sentence to copy the lesson or pick the folder', async () => {
    const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
    const empty = tmp('empty');
    const code = await runLessonCommand(['check', '01-tcp-echo', '1', '--dir', empty, '--python', 'python3'], io);
    assert.equal(code, 2, io.stdout + io.stderr);
    assert.match(io.stderr, /^socket-lab lesson: client\.py is not in .*: copy the lesson there first .*--dir/);
    const json = { stdout: '', stderr: '', out: (t: string) => void (json.stdout += t), err: (t: string) => void (json.stderr += t) };
    assert.equal(await runLessonCommand(['check', '01-tcp-echo', '1', '--dir', empty, '--python', 'python3', '--json'], json), 2);
    assert.equal(JSON.parse(json.stdout).judged, false);
  });

  it('a Python that cannot be started is not judged (exit 2, one sentence naming it), not blamed on the learner', async () => {
    const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
    const code = await runLessonCommand(['check', '01-tcp-echo', '0', '--dir', echo.dir, '--python', '/nonexistent/python3'], io);
    assert.equal(code, 2, io.stdout + io.stderr);
    assert.match(io.stderr, /^socket-lab lesson: exercise 0 of 01-tcp-echo cannot be judged here: \/nonexistent\/python3 could not be started \(ENOENT\): install Python 3/);
    assert.doesNotMatch(io.stdout, /not passed/);
  });

  it('two checks of one lesson that both found its port free: the one whose server finds it taken runs again on a free port', async () => {
    // a server that fails as Python does when another check got the port first, once, then serves as lesson 1's
    const flag = path.join(tmp('flag'), 'tried');
    const server = `import os, sys\nif not os.path.exists(${JSON.stringify(flag)}):\n    open(${JSON.stringify(flag)}, 'w').close()\n    sys.exit('OSError: [Errno 98] Address already in use')\n` + fs.readFileSync(path.join(echo.dir, 'server.py'), 'utf8');
    const { lesson, x, dir } = fakeCheck(fs.readFileSync(path.join(echo.dir, 'checks', '0.wire'), 'utf8'), server);
    const r = await checkExercise(lesson, x, { interpreter, dir });
    assert.equal(r.pass, true, checkReport(r, 'en', true));
    fs.rmSync(flag);
    const once = await checkExercise(lesson, x, { interpreter, dir, retryPortTaken: false });
    assert.equal(once.pass, false, 'without the retry the taken port fails the check');
    assert.match(checkReport(once, 'en', true), /ended with exit code 1 before it listened/);
  });

  it('a server that exits at once: the evidence gives its exit code and says it printed nothing (both languages)', async () => {
    const { lesson, x, dir } = fakeCheck('### t\n# zh-cn: 测\nconnect tcp 127.0.0.1:{{port}}\n', 'import sys\nsys.exit(3)\n');
    const r = await checkExercise(lesson, x, { interpreter, dir });
    assert.equal(r.pass, false);
    const en = checkReport(r, 'en', true);
    assert.match(en, /Your server ended with exit code 3 before it listened on 127\.0\.0\.1:\d+; it printed nothing\./, en);
    const zh = checkReport(r, 'zh-cn', true);
    assert.match(zh, /你的服务器在 127\.0\.0\.1:\d+ 上开始监听之前就结束了，退出码为 3；它没有任何输出。/, zh);
    assert.deepEqual(zhProse(zh), []);
  });

  it('a server still running without listening: the evidence says so after N s, with its output when it printed some', async () => {
    const { lesson, x, dir } = fakeCheck('### t\n# zh-cn: 测\nconnect tcp 127.0.0.1:{{port}}\n', "import time\nprint('thinking', flush=True)\ntime.sleep(60)\n");
    const r = await checkExercise(lesson, x, { interpreter, dir, listenTimeoutMs: 1000 });
    const en = checkReport(r, 'en', true);
    assert.match(en, /Your server is still running but did not listen on 127\.0\.0\.1:\d+ within 1 s; its output is below\.\nOutput of your program:\nthinking/, en);
    assert.match(checkReport(r, 'zh-cn'), /你的服务器仍在运行，但 1 秒内没有在 127\.0\.0\.1:\d+ 上监听；输出见下方。/);
  });

  it('a server killed by SIGKILL mid-check: the evidence says your program was killed, not that a peer reset the connection', async () => {
    const server = `${listener('sys.argv[1]')}import os, signal\nc, _ = s.accept()\nc.recv(100)\nos.kill(os.getpid(), signal.SIGKILL)\n`;
    const { lesson, x, dir } = fakeCheck('### t\n# zh-cn: 测\nconnect tcp 127.0.0.1:{{port}}\nsend "hello"\nexpect "HELLO"\n', server);
    const r = await checkExercise(lesson, x, { interpreter, dir });
    assert.equal(r.pass, false);
    const en = checkReport(r, 'en');
    assert.match(en, /Your server ended during the check: it was killed by SIGKILL/, en);
    assert.doesNotMatch(en, /The peer .* reset the connection|check the other program/);
    const zh = checkReport(r, 'zh-cn');
    assert.match(zh, /检查过程中你的服务器结束了：它被 SIGKILL 杀死/, zh);
    assert.doesNotMatch(zh, /对端 .*重置了连接/);
    assert.deepEqual(zhProse(zh), []);
  });

  it('a zh-cn report has no English in its evidence: expect closed, expect reset, expect bytes, a FIN and a still-open connection', async () => {
    const server = `${listener('sys.argv[1]')}import time\nwhile True:\n    c, _ = s.accept()\n    d = c.recv(100)\n    if d == b'fin':\n        c.close()\n    elif d == b'two':\n        c.sendall(b'ab')\n        c.close()\n    else:\n        time.sleep(1.5)\n        c.close()\n`;
    const wire = [
      '### a', '# zh-cn: 甲', 'connect tcp 127.0.0.1:{{port}}', 'send "open"', 'expect closed within 300ms',
      '### b', '# zh-cn: 乙', 'connect tcp 127.0.0.1:{{port}}', 'send "fin"', 'expect reset within 2s',
      '### c', '# zh-cn: 丙', 'connect tcp 127.0.0.1:{{port}}', 'send "two"', 'expect bytes 4',
      '### d', '# zh-cn: 丁', 'connect tcp 127.0.0.1:{{port}}', 'send "open"', 'expect reset within 300ms', '',
    ].join('\n');
    const { lesson, x, dir } = fakeCheck(wire, server, { concurrent: true });
    const r = await checkExercise(lesson, x, { interpreter, dir });
    const zh = checkReport(r, 'zh-cn');
    assert.equal(r.evidence.filter((e) => e.en.startsWith('✗')).length, 4, checkReport(r, 'en'));
    assert.deepEqual(zhProse(zh), [], zh);
    assert.match(zh, /期望 对方关闭连接/);
    assert.match(zh, /实际 FIN：对方正常关闭了连接/);
    assert.match(zh, /期望 4 字节/);
    assert.match(checkReport(r, 'en'), /expected the peer closes the connection/);
  });

  it('a framing mistake shows the bytes that came, and that the message was to be framed by a 4-byte big-endian length', async () => {
    const server = `${listener('sys.argv[1]')}c, _ = s.accept()\nc.recv(100)\nc.sendall(b'error: not a size')\nc.recv(100)\n`;
    const { lesson, x, dir } = fakeCheck('### t\n# zh-cn: 测\nconnect tcp 127.0.0.1:{{port}}\nframing len4be\ntimeout 1s\nsend "abc"\nexpect "error: not a size"\n', server);
    const r = await checkExercise(lesson, x, { interpreter, dir });
    const en = checkReport(r, 'en');
    assert.match(en, /framed by a 4-byte big-endian length \(framing len4be\)/, en);
    assert.match(en, /expected .*00 00 00 11 65 72 72 6f/, en);
    assert.match(en, /got +"error: not a size" +65 72 72 6f/, en);
    const expected = en.split('\n').find((l) => /^\s+expected/.test(l))!.replace(/^\s+expected\s+/, '');
    const got = en.split('\n').find((l) => /^\s+got/.test(l))!.replace(/^\s+got\s+/, '');
    assert.notEqual(expected, got);
    const zh = checkReport(r, 'zh-cn');
    assert.match(zh, /期望的消息应以 4 字节大端长度（framing len4be）作为前缀/, zh);
    assert.deepEqual(zhProse(zh), [], zh);
  });

  it('wire runner: a framed expect that fails shows the expected frame with its prefix and the raw bytes that came', async () => {
    const server = net.createServer((c) => c.once('data', () => c.write('hello')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const file = parseWire(`connect tcp 127.0.0.1:${port}\nframing len2le\nsend "x"\nexpect "hello" within 300ms\n`);
      const r = await runClientBlock(file, file.blocks[0]);
      const step = r.steps.find((s) => s.status === 'fail')!;
      assert.equal(step.expected?.hex, '05 00 68 65 6c 6c 6f');
      assert.equal(step.got?.hex, '68 65 6c 6c 6f');
      assert.match(step.message!, /framed by a 2-byte little-endian length \(framing len2le\)/);
      assert.match(step.messageZh!, /2 字节小端长度/);
    } finally {
      server.close();
    }
  });

  it('lesson 20: expect filters name the program by {{pid16}}, which expectFilter fills in before compiling', () => {
    assert.equal(expectFilter('icmp.ident == {{pid16}} && icmp.type == 8', { pid: 0x12345 }), 'icmp.ident == 9029 && icmp.type == 8');
    assert.equal(expectFilter('icmp.ident == {{ pid }}', { pid: 77 }), 'icmp.ident == 77');
    assert.equal(expectFilter('udp.port == {{port}}', { pid: 1, port: '9000' }), 'udp.port == 9000');
    const ping = catalog.lessons.find((l) => l.id === '20-icmp-ping')!;
    for (const x of ping.exercises) {
      for (const e of x.expect ?? []) {
        assert.match(e.filter, /icmp\.ident == \{\{pid16\}\}/, `${x.id}: ${e.filter} counts only the program's own packets`);
        assert.doesNotThrow(() => compileFilter(expectFilter(e.filter, { pid: 4242 })));
      }
    }
  });

  it('lesson 20: two checks at once each count only their own program\'s packets, and both pass', async function () {
    const ping = catalog.lessons.find((l) => l.id === '20-icmp-ping')!;
    const copy = () => {
      const d = tmp('ping');
      fs.copyFileSync(path.join(ping.dir, 'ping.py'), path.join(d, 'ping.py'));
      return d;
    };
    const [a, b] = await Promise.all([0, 1].map(() => checkExercise(ping, ping.exercises[0], { interpreter, dir: copy() })));
    if (a.unavailable) {
      console.warn(`      skipped: ${a.unavailable}`);
      this.skip();
    }
    assert.equal(a.pass, true, checkReport(a, 'en') + '\n' + a.output);
    assert.equal(b.pass, true, checkReport(b, 'en') + '\n' + b.output);
  });
});

describe('process group: stopping twice', function () {
  this.timeout(15_000);

  it('a second stop sends no second SIGINT (it would interrupt the program\'s finally blocks) and can bring the SIGKILL forward', async () => {
    const script = "import signal, sys, time\ndef on_int(*_):\n    print('int', flush=True)\nsignal.signal(signal.SIGINT, on_int)\nprint('ready', flush=True)\ntime.sleep(0.8)\ntime.sleep(0.8)\nprint('done', flush=True)\n";
    const g = new ProcessGroup({ command: 'python3', args: ['-u', '-c', script], env: process.env });
    try {
      await g.waitForOutput(/ready/, 5000);
      void g.stop('SIGINT', 10_000);
      await new Promise((r) => setTimeout(r, 100));
      void g.stop('SIGINT', 10_000);
      const e = await g.exited;
      assert.equal(e.code, 0, g.output);
      assert.equal(g.output.match(/int/g)?.length, 1, g.output);
      const h = new ProcessGroup({ command: 'python3', args: ['-u', '-c', script], env: process.env });
      await h.waitForOutput(/ready/, 5000);
      const started = Date.now();
      void h.stop('SIGINT', 10_000);
      const killed = await h.stop('SIGINT', 200);
      assert.equal(killed.signal, 'SIGKILL');
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
      h.dispose();
    } finally {
      g.dispose();
    }
  });
});
