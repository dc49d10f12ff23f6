// `socket-lab run` and `socket-lab serve` through the CLI's I/O seam: every example passes, exit codes 0/1/2, the
// expected vs got lines with file:line:column, --json, --junit, --block, --var, --timeout.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliIo } from '../../src/core/cli/cliIo';
import { runRun } from '../../src/core/cli/runCommand';
import { runServe } from '../../src/core/cli/serveCommand';
import { filesUnder, repoRoot } from './helpers';
import { freePort, until } from '../support';

function capture(signal?: AbortSignal): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', signal, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wire-cli-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const script = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('socket-lab run: the examples', function () {
  this.timeout(30_000);
  const examples = filesUnder('examples/wire', ['.wire']).sort();

  it('finds the five examples', () => {
    assert.deepEqual(examples.map((f) => path.basename(f)), ['echo.wire', 'framing.wire', 'gbk.wire', 'rules-server.wire', 'udp.wire']);
  });

  for (const file of examples) {
    it(`${path.relative(repoRoot, file)} passes (exit 0), on free ports`, async () => {
      const io = capture();
      const ports = [await freePort(), await freePort()];
      const code = await runRun([file, '--var', `port=${ports[0]}`, '--var', `port2=${ports[1]}`], io);
      assert.equal(code, 0, io.stdout + io.stderr);
      assert.match(io.stdout, /blocks? passed: \d+ steps? passed, 0 failed, 0 skipped/);
      assert.doesNotMatch(io.stdout, /never matched/, 'every rule of an example is exercised');
      assert.equal(io.stderr, '');
    });
  }
});

describe('socket-lab run: exit codes and output', function () {
  this.timeout(20_000);
  const failing = `@port = 1
### srv
listen tcp 127.0.0.1:{{port}}
on "PING\\n" reply "PONG\\n"
on any reply "?\\n"

### good
connect tcp 127.0.0.1:{{port}}
send "PING\\n"
expect "PONG\\n"

### bad
connect tcp 127.0.0.1:{{port}}
send "hello\\n"
expect "HELLO\\n"
close
`;

  it('a failed expect: exit 1, the expected and got lines as text and hex, the step\'s file:line:column, the rest skipped', async () => {
    const file = script('fail.wire', failing);
    const io = capture();
    assert.equal(await runRun([file, '--var', `port=${await freePort()}`], io), 1);
    assert.match(io.stdout, /^serving "srv" on 127\.0\.0\.1:\d+ \(line 2\)\n### good \(line 7\)\n {2}✓ {3}8 {2}connect tcp 127\.0\.0\.1:\{\{port\}\} {2}\(\d+ ms\)\n/);
    assert.ok(io.stdout.includes(`  ✗  15  expect "HELLO\\n"  (`), io.stdout);
    assert.ok(io.stdout.includes('        the bytes differ\n        expected  "HELLO\\n"   48 45 4c 4c 4f 0a\n        got       "?\\n"   3f 0a\n'), io.stdout);
    assert.ok(io.stdout.includes(`        at ${file}:15:1\n  -  16  close  (skipped)\n`), io.stdout);
    assert.match(io.stdout, /rules of "srv": line 4 ×1, line 5 ×1\n1 of 2 blocks failed: 5 steps passed, 1 failed, 1 skipped \(\d+ ms\)\n$/);
  });

  it('--json: one object with each block\'s steps and the servers\' hits; --junit writes a report CI reads', async () => {
    const file = script('fail.wire', failing);
    const junit = path.join(dir, 'report.xml');
    const io = capture();
    assert.equal(await runRun([file, '--json', '--junit', junit, '--var', `port=${await freePort()}`], io), 1);
    const o = JSON.parse(io.stdout);
    assert.equal(o.ok, false);
    assert.deepEqual(o.blocks.map((b: { label: string; status: string }) => [b.label, b.status]), [['good', 'pass'], ['bad', 'fail']]);
    const bad = o.blocks[1].steps.find((s: { status: string }) => s.status === 'fail');
    assert.deepEqual([bad.line, bad.column, bad.expected.hex, bad.got.hex], [15, 1, '48 45 4c 4c 4f 0a', '3f 0a']);
    assert.deepEqual(o.servers[0].rules.map((r: { hits: number }) => r.hits), [1, 1]);
    assert.deepEqual([o.summary.passed, o.summary.failed, o.summary.skipped], [5, 1, 1]);
    const xml = fs.readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuites name="socket-lab run" tests="2" failures="1"/);
    assert.match(xml, /<testcase classname="fail\.wire" name="good" time="[\d.]+"\/>/);
    assert.match(xml, /<failure message="line 15: the bytes differ" type="expect">/);
  });

  it('--block runs only the named client block; an unknown one or a server block is a usage error (exit 2)', async () => {
    const file = script('fail.wire', failing);
    const port = `port=${await freePort()}`;
    const io = capture();
    assert.equal(await runRun([file, '--block', 'good', '--var', port], io), 0);
    assert.doesNotMatch(io.stdout, /### bad/);
    const unknown = capture();
    assert.equal(await runRun([file, '--block', 'nope'], unknown), 2);
    assert.equal(unknown.stderr, 'socket-lab run: no client block named "nope" — the file has "good", "bad"\n');
    const server = capture();
    assert.equal(await runRun([file, '--block', 'srv'], server), 2);
    assert.match(server.stderr, /block "srv" \(line 2\) is not a client block/);
  });

  it('a syntax error: exit 2, every mistake as file:line:column, nothing runs', async () => {
    const file = script('syntax.wire', 'connect tcp 127.0.0.1:1\nsned "x"\nexpect /a(/\n');
    const io = capture();
    assert.equal(await runRun([file], io), 2);
    assert.equal(io.stdout, '');
    assert.equal(io.stderr, `${file}:2:1: unknown step "sned" — did you mean send?\n${file}:3:8: this regex does not compile: /a(/: Unterminated group\n`);
    const json = capture();
    assert.equal(await runRun([file, '--json'], json), 2);
    assert.deepEqual(JSON.parse(json.stdout).errors.map((e: { line: number; column: number }) => [e.line, e.column]), [[2, 1], [3, 8]]);
  });

  it('usage errors exit 2 with one sentence: no file, a folder, a bad --var, a --junit folder that is not there, no client block', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing FILE\.wire/],
      [[path.join(dir, 'absent.wire')], /no file at/],
      [[dir], /is not a file/],
      [[script('ok.wire', 'connect tcp 1\n'), '--var', 'x'], /--var wants NAME=VALUE/],
      [[script('ok.wire', 'connect tcp 1\n'), '--junit', path.join(dir, 'no', 'such', 'r.xml')], /--junit .*: no folder/],
      [[script('srv.wire', 'listen tcp 0\non any close\n')], /has no client block/],
      [[script('ok.wire', 'connect tcp 1\n'), '--timeout', 'x'], /--timeout wants a number of seconds/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      assert.equal(await runRun(argv, io), 2, argv.join(' '));
      assert.match(io.stderr, message);
      assert.equal(io.stderr.split('\n').length, 2, 'one line');
    }
  });

  it('--timeout stops the whole run: the step under way fails with the reason, exit 1', async () => {
    const file = script('slow.wire', '### srv\nlisten tcp 127.0.0.1:{{port}}\non "x" reply "y" after 10s\n### c\nconnect tcp 127.0.0.1:{{port}}\nsend "x"\nexpect "y" within 20s\n');
    const io = capture();
    const t0 = Date.now();
    assert.equal(await runRun([file, '--timeout', '0.3', '--var', `port=${await freePort()}`], io), 1);
    assert.ok(Date.now() - t0 < 5000);
    assert.match(io.stdout, /the run took longer than --timeout 0\.3 s/);
  });

  it('a server block that cannot start (its port is taken): exit 1, naming the block', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const io = capture();
      assert.equal(await runRun([script('fail.wire', failing), '--var', `port=${port}`], io), 1);
      assert.match(io.stderr, /^socket-lab run: server block "srv" \(line 2\): 127\.0\.0\.1:\d+ is already in use/);
    } finally {
      taken.close();
    }
  });
});

describe('socket-lab serve', function () {
  this.timeout(20_000);

  it('serves the server blocks until --timeout, printing each hit and the counts; exit 0', async () => {
    const port = await freePort();
    const file = script('serve.wire', `### srv\nlisten tcp 127.0.0.1:${port}\non "PING\\n" reply "PONG\\n"\non "never" reply "x"\n### c\nconnect tcp 127.0.0.1:${port}\n`);
    const io = capture();
    const serving = runServe([file, '--timeout', '1'], io);
    await until(() => io.stdout.includes('serving'), 'serve to start');
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (d) => (got += d));
    c.write('PING\nzzz');
    await until(() => got === 'PONG\n', 'the answer');
    c.destroy();
    assert.equal(await serving, 0);
    assert.equal(io.stdout, `serving "srv" on 127.0.0.1:${port} (line 1)\nsrv: line 3 on "PING\\n" reply "PONG\\n" (hit 1)\nsrv: no rule matched "zzz"\nrules of "srv": line 3 ×1, line 4 ×0 (never matched); 1 unmatched\n`);
  });

  it('Ctrl+C (the abort signal) stops it cleanly; --json says serving, hit and done', async () => {
    const ac = new AbortController();
    const port = await freePort();
    const file = script('serve.wire', `listen udp 127.0.0.1:${port}\non any reply "?"\n`);
    const io = capture(ac.signal);
    const serving = runServe([file, '--json'], io);
    await until(() => io.stdout.includes('"serving"'), 'serve to start');
    const { createSocket } = await import('node:dgram');
    const u = createSocket('udp4');
    u.send('x', port, '127.0.0.1');
    await until(() => io.stdout.includes('"hit"'), 'a hit');
    u.close();
    ac.abort();
    assert.equal(await serving, 0);
    const events = io.stdout.trim().split('\n').map((l) => JSON.parse(l).event);
    assert.deepEqual(events, ['serving', 'hit', 'done']);
  });

  it('a file without server blocks, or a syntax error, is a usage error (exit 2)', async () => {
    const io = capture();
    assert.equal(await runServe([script('client.wire', 'connect tcp 1\n')], io), 2);
    assert.match(io.stderr, /has no server block/);
    const bad = capture();
    assert.equal(await runServe([script('bad.wire', 'listen tcp 0\non "x"\n')], bad), 2);
    assert.match(bad.stderr, /bad\.wire:2:7: a rule wants an action/);
  });
});
