// The wire runner on real sockets, 127.0.0.1 and Unix paths only: Python peers and Socket Lab peers, TCP/UDP/Unix,
// framing, GBK, timeouts, a peer that closes early, a rule that never matches, rules as a session behaviour.
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { parseWire, WireFile } from '../../src/core/wire/wireParser';
import { variableResolver, WireRules } from '../../src/core/wire/wireRules';
import { runClientBlock, serveBlock, WireBlockResult, WireStepResult } from '../../src/core/wire/wireRunner';
import { pythonEcho } from '../e2e/peers';
import { freePort, pythonPeer, until } from '../support';

function parsed(text: string, vars: Record<string, string | number> = {}): WireFile {
  const f = parseWire(text, { variables: Object.keys(vars) });
  assert.deepEqual(f.diagnostics, []);
  return f;
}
const varsOf = (vars: Record<string, string | number>) => new Map(Object.entries(vars).map(([k, v]) => [k, String(v)]));

/** Runs the file's first client block with `vars`; also collects the steps as the callback saw them. */
async function runFirst(text: string, vars: Record<string, string | number> = {}, opts: { signal?: AbortSignal; baseDir?: string; regexSettleMs?: number } = {}): Promise<WireBlockResult & { seen: WireStepResult[] }> {
  const f = parsed(text, vars);
  const seen: WireStepResult[] = [];
  const r = await runClientBlock(f, f.blocks.find((b) => b.kind === 'client')!, { variables: varsOf(vars), onStep: (s) => seen.push(s), ...opts });
  assert.deepEqual(seen, r.steps, 'the callback saw each step as it finished');
  return { ...r, seen };
}
const statuses = (r: WireBlockResult) => r.steps.map((s) => `${s.line}:${s.status}`);

/** A Python program on 127.0.0.1 that prints its port first. */
async function python(lines: string[]): Promise<{ port: number; proc: ChildProcess; out: string[] }> {
  const p = await pythonPeer(lines);
  return { port: p.port, proc: p.proc, out: p.lines };
}

describe('wire runner: against Python peers', function () {
  this.timeout(20_000);
  const procs: ChildProcess[] = [];
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill();
  });

  it('TCP: a student\'s upper-casing echo server passes send/expect, regex, bytes, half-close and expect closed', async () => {
    const peer = await pythonEcho('tcp');
    procs.push(peer.proc);
    const r = await runFirst(`### upper
connect tcp 127.0.0.1:{{port}}
send "hello\\n"
expect "HELLO\\n"
send "ping {{counter}}"
expect /^PING (\\d+)$/
send "$1234"
expect bytes 4
half-close
expect closed
close
`, { port: peer.port });
    assert.deepEqual(statuses(r), ['2:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:pass', '8:pass', '9:pass', '10:pass', '11:pass']);
    assert.equal(r.status, 'pass');
    assert.equal(r.steps[4].got?.text, '"PING 1"');
    assert.equal(r.steps[6].got?.text, '"1234"', '$1 is the group the regex captured');
    // the helper splits its output per chunk, so a line may come in two pieces under load: look at all of it
    await until(() => peer.lines.join('').includes('got hello'), 'the peer to print what it got');
  });

  it('raw stream: a regex matching up to the end of what arrived waits a moment for the rest ("PING 1" then "2")', async () => {
    // TCP may deliver "PING 12" as "PING 1" + "2": the match must not stop at the first piece
    const server = net.createServer((c) => {
      c.on('error', () => undefined);
      c.once('data', () => {
        c.write('PING 1');
        setTimeout(() => c.end('2'), 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nsend "go"\nexpect /^PING \\d+$/\nexpect closed\n', { port }, { regexSettleMs: 3000 });
      assert.deepEqual(statuses(r), ['1:pass', '2:pass', '3:pass', '4:pass']);
      assert.equal(r.steps[2].got?.text, '"PING 12"');
    } finally {
      server.close();
    }
  });

  it('UDP: each datagram is one message', async () => {
    const peer = await pythonEcho('udp');
    procs.push(peer.proc);
    const r = await runFirst('connect udp 127.0.0.1:{{port}}\nsend "ping"\nexpect "PING"\nsend hex 61 62\nexpect /^AB$/\n', { port: peer.port });
    assert.equal(r.status, 'pass', JSON.stringify(r.steps));
  });

  it('a peer that closes early fails the expect at once (not at the timeout), with what it sent; the rest is skipped', async () => {
    const peer = await python(['import socket', 's = socket.socket()', 's.bind(("127.0.0.1", 0))', 's.listen()', 'print(s.getsockname()[1], flush=True)', 'c, _ = s.accept()', 'c.sendall(b"hi\\n")', 'c.close()', 's.close()']);
    procs.push(peer.proc);
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nexpect "hi\\nmore"\nsend "x"\n', { port: peer.port });
    assert.deepEqual(statuses(r), ['1:pass', '2:fail', '3:skip']);
    const f = r.steps[1];
    assert.match(f.message!, /the peer closed the connection after 3 bytes/);
    assert.match(f.messageZh!, /对方在发送 3 字节后关闭了连接/);
    assert.deepEqual([f.expected?.text, f.expected?.hex, f.got?.text, f.got?.hex], ['"hi\\nmore"', '68 69 0a 6d 6f 72 65', '"hi\\n"', '68 69 0a']);
    assert.ok(f.ms < 4000, `failed after ${f.ms} ms, before the 5 s timeout`);
  });

  it('expect reset: a Python peer that closes with SO_LINGER 0 right after its last bytes resets (the RST that comes with them too); one that closes normally does not', async () => {
    for (const [linger, want] of [[true, 'pass'], [false, 'fail']] as const) {
      const peer = await python(['import socket, sys', 's = socket.socket()', 's.bind(("127.0.0.1", 0))', 's.listen()', 'print(s.getsockname()[1], flush=True)', 'for _ in range(2):', '    c, _ = s.accept()', '    c.recv(10)', '    c.sendall(b"bye\\n")', ...(linger ? ['    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, (1).to_bytes(4, sys.byteorder) + (0).to_bytes(4, sys.byteorder))'] : []), '    c.close()']);
      procs.push(peer.proc);
      const script = (end: string) => `connect tcp 127.0.0.1:{{port}}\nsend "x"\nexpect "bye\\n"\n${end} within 2s\n`;
      const reset = await runFirst(script('expect reset'), { port: peer.port });
      assert.equal(reset.status, want, JSON.stringify(reset.steps));
      if (want === 'fail') assert.deepEqual([reset.steps[3].expected?.text, reset.steps[3].got?.text], ['RST: the peer resets the connection', 'FIN: the peer closed the connection in order']);
      const closed = await runFirst(script('expect closed'), { port: peer.port });
      assert.equal(closed.status, 'pass', `expect closed takes either end: ${JSON.stringify(closed.steps)}`);
    }
  });

  it('a Python client gets answers from a served block\'s rules, and the hits are counted', async () => {
    const m = new SessionManager();
    try {
      const f = parsed('listen tcp 127.0.0.1:0\nframing line\non "PING" reply "PONG"\non /^GET (\\S+)$/ reply "you asked for $1"\non any reply "?"\n');
      const served = await serveBlock(m, f, f.blocks[0]);
      assert.equal(served.session.behaviour, 'rules');
      const client = await python(['import socket, sys', `c = socket.create_connection(("127.0.0.1", ${served.session.localPort}))`, 'print(0, flush=True)', 'f = c.makefile("rb")', 'for line in [b"PING\\n", b"GET /a\\n", b"nope\\n"]:', '    c.sendall(line)', '    print(f.readline().decode().strip(), flush=True)']);
      procs.push(client.proc);
      await until(() => client.out.length === 4, 'three answers');
      assert.deepEqual(client.out.slice(1), ['PONG', 'you asked for /a', '?']);
      assert.deepEqual(served.rules.hits, [1, 1, 1]);
      served.dispose();
    } finally {
      m.dispose();
    }
  });
});

describe('wire runner: against Socket Lab peers', function () {
  this.timeout(20_000);
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager()));
  afterEach(() => m.dispose());

  it('nothing listening: connect fails with ECONNREFUSED\'s sentence, the rest is skipped', async () => {
    const port = await freePort();
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nsend "x"\nexpect "y"\n', { port });
    assert.deepEqual(statuses(r), ['1:fail', '2:skip', '3:skip']);
    assert.match(r.steps[0].message!, /Nothing listens on 127\.0\.0\.1:\d+/);
    assert.match(r.steps[0].messageZh!, /没有程序在监听/);
  });

  it('a timeout: a sink never answers, the expect fails after its within, with nothing got', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nsend "x"\nexpect "y" within 200ms\nclose\n', { port: srv.localPort! });
    assert.deepEqual(statuses(r), ['1:pass', '2:pass', '3:fail', '4:skip']);
    assert.match(r.steps[2].message!, /nothing matching came within 200 ms/);
    assert.equal(r.steps[2].got, undefined);
    assert.ok(r.steps[2].ms >= 190 && r.steps[2].ms < 3000, `${r.steps[2].ms} ms`);
  });

  it('timeout sets the default for the expects after it', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\ntimeout 150ms\nexpect bytes 1\n', { port: srv.localPort! });
    assert.match(r.steps[1].message!, /within 150 ms/);
  });

  it('a mismatch fails as soon as the bytes differ, with expected and got as text and hex', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nsend "abc"\nexpect "abd"\n', { port: srv.localPort! });
    const f = r.steps[2];
    assert.equal(f.status, 'fail');
    assert.deepEqual([f.message, f.expected?.hex, f.got?.hex], ['the bytes differ', '61 62 64', '61 62 63']);
    assert.ok(f.ms < 2000);
  });

  it('expect closed fails when bytes come instead of the close', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nsend "left over"\nwait 100ms\nexpect closed within 300ms\n', { port: srv.localPort! });
    assert.match(r.steps[3].message!, /got 9 more bytes instead of the close/);
  });

  describe('expect reset and expect closed: a peer that resets, a peer that closes with a FIN', () => {
    /** A Node server that answers "bye\n" to whatever comes, then ends the connection: an RST or a FIN. */
    async function ender(how: 'reset' | 'fin'): Promise<{ port: number; close(): void }> {
      const server = net.createServer((c) => {
        c.on('error', () => undefined);
        c.once('data', () => {
          c.write('bye\n', () => {
            if (how === 'fin') c.end();
            // SO_LINGER 0 and close(): an RST, no FIN (called from the write's callback itself, Node 20 sends a FIN)
            else setTimeout(() => c.resetAndDestroy(), 20);
          });
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
    }
    const script = (end: string, framing = '') => `connect tcp 127.0.0.1:{{port}}\n${framing}send "hi\\n"\nexpect "bye\\n"\n${end} within 2s\n`;

    it('a reset passes expect reset; a FIN fails it, saying expected RST, got FIN', async () => {
      const rst = await ender('reset');
      const fin = await ender('fin');
      try {
        const ok = await runFirst(script('expect reset'), { port: rst.port });
        assert.equal(ok.status, 'pass', JSON.stringify(ok.steps));
        const bad = await runFirst(script('expect reset'), { port: fin.port });
        assert.deepEqual(statuses(bad), ['1:pass', '2:pass', '3:pass', '4:fail']);
        const f = bad.steps[3];
        assert.match(f.message!, /closed the connection in order \(a FIN\), not with a reset \(RST\)/);
        assert.match(f.messageZh!, /FIN.*而不是复位（RST）/);
        assert.match(f.expected!.text, /^RST/);
        assert.match(f.got!.text, /^FIN/);
        assert.ok(f.ms < 1500, `failed at the FIN (${f.ms} ms), not at the limit`);
      } finally {
        rst.close();
        fin.close();
      }
    });

    it('a FIN passes expect closed, and so does a reset (expect closed is any end, as documented); with framing line too', async () => {
      const rst = await ender('reset');
      const fin = await ender('fin');
      try {
        const ok = await runFirst(script('expect closed'), { port: fin.port });
        assert.equal(ok.status, 'pass', JSON.stringify(ok.steps));
        // expect closed means "the connection ended": a reset ends it too (as it always has); expect reset is the strict one
        const rstClosed = await runFirst(script('expect closed'), { port: rst.port });
        assert.equal(rstClosed.status, 'pass', JSON.stringify(rstClosed.steps));
        const framed = await runFirst(script('expect reset', 'framing line\n').replace('"hi\\n"', '"hi"').replace('"bye\\n"', '"bye"'), { port: rst.port });
        assert.equal(framed.status, 'pass', JSON.stringify(framed.steps));
        const framedFin = await runFirst(script('expect reset', 'framing line\n').replace('"hi\\n"', '"hi"').replace('"bye\\n"', '"bye"'), { port: fin.port });
        assert.match(framedFin.steps.at(-1)!.message!, /not with a reset/);
      } finally {
        rst.close();
        fin.close();
      }
    });

    it('expect reset fails when bytes come instead, and when the connection stays open', async () => {
      const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
      const bytes = await runFirst('connect tcp 127.0.0.1:{{port}}\nsend "left"\nwait 100ms\nexpect reset within 300ms\n', { port: srv.localPort! });
      assert.match(bytes.steps[3].message!, /got 4 more bytes instead of the reset/);
      const open = await runFirst('connect tcp 127.0.0.1:{{port}}\nexpect reset within 200ms\n', { port: srv.localPort! });
      assert.match(open.steps[1].message!, /the connection was not reset within 200 ms/);
      assert.match(open.steps[1].got!.text, /still open/);
    });
  });

  it('{{local_port}} and {{local_host}}: a client block knows its own address after connect; a server block its listening one', async () => {
    const server = net.createServer((c) => {
      c.on('error', () => undefined);
      c.end(`you are ${c.remoteAddress}:${c.remotePort}\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const ok = await runFirst('connect tcp 127.0.0.1:{{port}}\nexpect "you are {{local_host}}:{{local_port}}\\n"\nexpect closed\n', { port });
      assert.equal(ok.status, 'pass', JSON.stringify(ok.steps));
      const wrong = await runFirst('connect tcp 127.0.0.1:{{port}}\nexpect "you are {{local_host}}:{{port}}\\n"\n', { port });
      assert.equal(wrong.steps[1].status, 'fail', 'the server\'s port is not the client\'s');
      const early = await runFirst('connect tcp 127.0.0.1:{{local_port}}\n', { port });
      assert.match(early.steps[0].message!, /use it after connect or listen/);
    } finally {
      server.close();
    }
    const f = parsed('listen tcp 127.0.0.1:0\nframing line\non "where" reply "{{local_host}} {{local_port}}"\n');
    const served = await serveBlock(m, f, f.blocks[0]);
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nframing line\nsend "where"\nexpect "127.0.0.1 {{port}}"\n', { port: served.session.localPort! });
    assert.equal(r.status, 'pass', JSON.stringify(r.steps));
    served.dispose();
  });

  it('framing line and len2be: send and expect whole messages', async () => {
    const upper = await m.startTcpServer({ port: 0, mode: 'upper' });
    const echo = await m.startTcpServer({ port: 0, mode: 'echo' });
    const lines = await runFirst('connect tcp 127.0.0.1:{{port}}\nframing line\nsend "abc"\nsend "def\\r\\n"\nexpect "ABC"\nexpect /^DEF$/\nsend "x"\nexpect bytes 1\n', { port: upper.localPort! });
    assert.equal(lines.status, 'pass', JSON.stringify(lines.steps));
    const frames = await runFirst('connect tcp 127.0.0.1:{{port}}\nframing len2be\nsend hex 01 02\nexpect hex 01 02\nsend "hello"\nexpect bytes 5\nframing raw\nsend "raw"\nexpect "raw"\n', { port: echo.localPort! });
    assert.equal(frames.status, 'pass', JSON.stringify(frames.steps));
    const wrong = await runFirst('connect tcp 127.0.0.1:{{port}}\nframing len4le\nsend "abc"\nexpect "abd"\n', { port: echo.localPort! });
    assert.deepEqual([wrong.steps[2].message, wrong.steps[2].got?.text], ['the message differs', '"abc"']);
  });

  it('UDP against a Socket Lab upper socket', async () => {
    const u = await m.openUdp({ port: 0, mode: 'upper' });
    const r = await runFirst('connect udp 127.0.0.1:{{port}}\nsend "one"\nsend "two"\nexpect "ONE"\nexpect "TWO"\nexpect bytes 3 within 200ms\n', { port: u.localPort! });
    assert.deepEqual(statuses(r), ['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:fail']);
  });

  it('Unix: an echo server at a path, with length-prefixed frames and a file sent from the script\'s folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wire-'));
    try {
      const sock = path.join(dir, 's.sock');
      fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.from([1, 2, 3, 4, 5]));
      await m.startUnixServer({ path: sock, mode: 'echo' });
      const r = await runFirst('connect unix {{path}}\nframing len4be\nsend file data.bin\nexpect hex 01 02 03 04 05\nhalf-close\nexpect closed\n', { path: sock }, { baseDir: dir });
      assert.equal(r.status, 'pass', JSON.stringify(r.steps));
      assert.equal(r.steps[1].sent, 5);
      const missing = await runFirst('connect unix {{path}}\nsend file nope.bin\n', { path: sock }, { baseDir: dir });
      assert.match(missing.steps[1].message!, /no file at .*nope\.bin/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GBK: text goes out and is compared in the block\'s encoding; a character GBK lacks (from a variable) fails the step', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nencoding gbk\nsend "你好\\n"\nexpect hex c4 e3 ba c3 0a\nsend "年份：2024"\nexpect /^年份：(\\d+)$/\nsend "{{face}}"\n', { port: srv.localPort!, face: '😀' });
    assert.deepEqual(statuses(r), ['1:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:fail']);
    assert.equal(r.steps[4].got?.text, '"年份：2024"');
    assert.match(r.steps[5].message!, /cannot be written in gbk/);
  });

  it('a run stopped before a block begins (--timeout, Ctrl+C) skips every step of it: none failed', async () => {
    const ac = new AbortController();
    ac.abort({ message: 'the run took longer than --timeout 1 s', messageZh: '运行时间超过了 --timeout 1 秒' });
    const r = await runFirst('connect tcp 127.0.0.1:9\nsend "x"\nexpect "y"\n', {}, { signal: ac.signal });
    assert.deepEqual(statuses(r), ['1:skip', '2:skip', '3:skip']);
    assert.equal(r.status, 'fail', 'a block that did not run did not pass');
  });

  it('an abort stops the step under way with its reason and skips the rest', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
    const ac = new AbortController();
    setTimeout(() => ac.abort({ message: 'out of time', messageZh: '超时' }), 100);
    const r = await runFirst('connect tcp 127.0.0.1:{{port}}\nexpect "never"\nsend "x"\n', { port: srv.localPort! }, { signal: ac.signal });
    assert.deepEqual(statuses(r), ['1:pass', '2:fail', '3:skip']);
    assert.equal(r.steps[1].message, 'out of time');
    assert.ok(r.steps[1].ms < 3000);
  });
});

describe('wire rules: a server block as a session behaviour', function () {
  this.timeout(20_000);
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager()));
  afterEach(() => m.dispose());

  it('a rule that never matches: the client times out, the rule has no hit, the message is counted unmatched', async () => {
    const f = parsed('### srv\nlisten tcp 127.0.0.1:0\non "PING\\n" reply "PONG\\n"\n### c\nconnect tcp 127.0.0.1:{{port}}\nsend "HELLO\\n"\nexpect "PONG\\n" within 300ms\n', { port: 1 });
    const served = await serveBlock(m, f, f.blocks[0]);
    const r = await runClientBlock(f, f.blocks[1], { variables: varsOf({ port: served.session.localPort! }) });
    assert.equal(r.steps[2].status, 'fail');
    assert.deepEqual([served.rules.hits, served.rules.unmatched], [[0], 1]);
  });

  it('raw stream: a literal rule waits for the rest of its bytes; answers keep their order across delays; close closes', async () => {
    const f = parsed('listen tcp 127.0.0.1:0\non "PING\\n" reply "PONG\\n"\non "slow" reply "1" after 150ms\non "fast" reply "2"\non "QUIT" reply "bye" close\n');
    const served = await serveBlock(m, f, f.blocks[0]);
    const c = net.connect(served.session.localPort!, '127.0.0.1');
    let got = '';
    c.on('data', (d) => (got += d));
    let closed = false;
    c.on('end', () => (closed = true));
    await new Promise((r) => c.once('connect', r));
    c.write('PI');
    await new Promise((r) => setTimeout(r, 50));
    c.write('NG\nslowfast');
    await until(() => got === 'PONG\n12', `answers in order (got ${JSON.stringify(got)})`, 3000);
    c.write('QUIT');
    await until(() => closed, 'the rule to close the connection', 3000);
    assert.equal(got, 'PONG\n12bye');
    assert.deepEqual(served.rules.hits, [1, 1, 1, 1]);
    c.destroy();
  });

  it('"Answer by Rules…": a running echo server switches to a block\'s rules and back; its open connection follows', async () => {
    const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
    const c = net.connect(srv.localPort!, '127.0.0.1');
    let got = '';
    c.on('data', (d) => (got += d));
    await new Promise((r) => c.once('connect', r));
    c.write('a');
    await until(() => got === 'a', 'the echo');
    const f = parsed('listen tcp 127.0.0.1:0\non "PING" reply "PONG {{counter}}"\n');
    const rules = new WireRules(f.blocks[0], variableResolver(f));
    const hits: number[] = [];
    rules.onDidHit((h) => hits.push(h.hits));
    srv.setRules(rules);
    assert.equal(srv.behaviour, 'rules');
    assert.equal(srv.mode, 'echo', 'the mode stays, for when the rules go');
    await until(() => m.childrenOf(srv.id)[0]?.behaviour === 'rules', 'the connection to follow');
    c.write('PING');
    await until(() => got === 'aPONG 1', `the rule's answer (got ${JSON.stringify(got)})`);
    c.write('PING');
    await until(() => got === 'aPONG 1PONG 2', 'the second answer, counter 2');
    assert.deepEqual(hits, [1, 2]);
    srv.setMode('echo');
    assert.equal(srv.behaviour, 'echo');
    c.write('b');
    await until(() => got.endsWith('b'), 'the echo again');
    c.destroy();
  });

  it('UDP rules answer whoever sent the datagram, with a CRC computed by the script', async () => {
    const f = parsed('### u\nlisten udp 127.0.0.1:0\non hex 01 03 reply hex 01 03 {{crc16modbus:01 03}}\non any reply "?"\n### c\nconnect udp 127.0.0.1:{{port}}\nsend hex 01 03\nexpect hex 01 03 {{crc16modbus:01 03}}\nsend "x"\nexpect "?"\n', { port: 1 });
    const served = await serveBlock(m, f, f.blocks[0]);
    const r = await runClientBlock(f, f.blocks[1], { variables: varsOf({ port: served.session.localPort! }) });
    assert.equal(r.status, 'pass', JSON.stringify(r.steps));
    assert.deepEqual(served.rules.hits, [1, 1]);
  });
});
