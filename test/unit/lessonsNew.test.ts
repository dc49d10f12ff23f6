// Lessons 17-22 (issue 16): each lesson's programs run for real on loopback (or in a network namespace the test
// makes itself) and the test asserts the lesson's point, from the programs' output and, where it can, a capture of
// lo read with Socket Lab's own reader and decoder (fields by Wireshark name, its display filter); tshark, the oracle,
// cross-checks the same frames and does what only it can (decrypt TLS with a key log, its checksum verdict).
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLessonCatalog, type Lesson } from '../../src/core/lessons/lessonCatalog';
import type { PythonInterpreter } from '../../src/core/lessons/interpreter';
import { LessonProcess, type LessonExit } from '../../src/core/lessons/lessonProcess';
import { chooseAddress, findFreePort, startLessonSide, waitForServer, type LessonAddress } from '../../src/core/lessons/lessonRunner';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import type { Session } from '../../src/core/sessions/session';
import { repoRoot } from './helpers';
import { LoopbackCapture, fieldValue, filter, payloadOf } from './captureHelpers';
import type { DissectedPacket } from '../../src/core/decode/dissect';
import { eventually, until } from '../support';

const lessonsRoot = path.join(repoRoot, 'lessons');
const catalog = loadLessonCatalog(lessonsRoot);
const python: PythonInterpreter = { command: 'python3', args: [], source: 'test' };
const enc = new TextEncoder();
const NEW = ['17-multi-process', '18-poll-epoll', '19-tls', '20-icmp-ping', '21-udp-broadcast', '22-closing'];

function lesson(id: string): Lesson {
  const l = catalog.lessons.find((x) => x.id === id);
  assert.ok(l, `lesson ${id} is in the catalog (problems: ${JSON.stringify(catalog.problems)})`);
  return l;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const received = (s: Session) => Buffer.concat(s.transcript.chunks().filter((c) => c.dir === 'in').map((c) => s.transcript.chunkData(c.seq)!));

/** Whether this machine lets us make a user + network namespace of our own (`unshare -rn`). */
const canUnshare = process.platform === 'linux' && has('unshare') && spawnSync('unshare', ['-rn', 'true']).status === 0;

// ---- what Socket Lab's decoder says about a capture (the lessons' points are asserted from these) ----

const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;

/** One TCP segment as Socket Lab decoded it; `seq` is relative (the SYN is 0). */
interface Seg {
  stream: number;
  fromServer: boolean;
  clientPort: number;
  flags: number;
  seq: number;
  len: number;
  data: Buffer;
}

function segments(pkts: readonly DissectedPacket[], serverPort: number): Seg[] {
  return pkts.filter((p) => p.tcp).map((p) => {
    const t = p.tcp!;
    const fromServer = t.srcPort === serverPort;
    return { stream: t.stream, fromServer, clientPort: fromServer ? t.dstPort : t.srcPort, flags: t.flags, seq: t.seq, len: t.len, data: payloadOf(p, 'tcp') };
  });
}

/** The bytes one side of a TCP stream sent, in sequence order (retransmissions once; a gap fails: the capture lost a packet). */
function streamBytes(segs: readonly Seg[], stream: number, fromServer: boolean): Buffer {
  const parts = segs.filter((s) => s.stream === stream && s.fromServer === fromServer && s.len > 0).sort((a, b) => a.seq - b.seq);
  const out: Buffer[] = [];
  let next = 1;
  for (const s of parts) {
    if (s.seq + s.len <= next) continue;
    assert.equal(s.seq, next, `stream ${stream} ${fromServer ? 'server' : 'client'} side: bytes from ${next} are missing from the capture`);
    out.push(s.data);
    next += s.len;
  }
  return Buffer.concat(out);
}

/** A TLS record read from a side's TCP bytes (Socket Lab has no TLS dissector): content type, record version, body. */
interface TlsRecord {
  type: number;
  version: number;
  body: Buffer;
  /** For handshake records (type 22), the handshake message types in it. */
  handshakes: number[];
}

function tlsRecords(bytes: Buffer): TlsRecord[] {
  const out: TlsRecord[] = [];
  let off = 0;
  while (off + 5 <= bytes.length) {
    const len = bytes.readUInt16BE(off + 3);
    const body = bytes.subarray(off + 5, off + 5 + len);
    assert.equal(body.length, len, `a TLS record at byte ${off} is cut short`);
    const handshakes: number[] = [];
    if (bytes[off] === 22) for (let h = 0; h + 4 <= body.length; h += 4 + body.readUIntBE(h + 1, 3)) handshakes.push(body[h]);
    out.push({ type: bytes[off], version: bytes.readUInt16BE(off + 1), body, handshakes });
    off += 5 + len;
  }
  assert.equal(off, bytes.length, 'the TCP bytes are whole TLS records');
  return out;
}

/** A ServerHello's cipher suite and its supported_versions extension (the version TLS 1.3 really negotiates). */
function serverHello(body: Buffer): { cipher: number; supportedVersion?: number } {
  assert.equal(body[0], 2, 'a ServerHello');
  let o = 4 + 2 + 32; // handshake header, legacy_version, random
  o += 1 + body[o]; // legacy_session_id_echo
  const cipher = body.readUInt16BE(o);
  o += 2 + 1; // cipher_suite, legacy_compression_method
  const end = o + 2 + body.readUInt16BE(o);
  let supportedVersion: number | undefined;
  for (o += 2; o + 4 <= end; o += 4 + body.readUInt16BE(o + 2)) if (body.readUInt16BE(o) === 0x002b) supportedVersion = body.readUInt16BE(o + 4);
  return { cipher, supportedVersion };
}

/** RFC 1071's sum of `b` (odd length padded with a zero), folded: 0xffff when a message including its checksum is intact. */
function onesSum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

describe('lessons 17-22', function () {
  this.timeout(90_000);
  const procs: LessonProcess[] = [];
  const captures: LoopbackCapture[] = [];
  let sessions: SessionManager | undefined;
  const tmpDirs: string[] = [];

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('stopped', 300)));
    await Promise.all(captures.splice(0).map((c) => c.stop()));
    sessions?.dispose();
    sessions = undefined;
    for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-lesson-new-'));
    tmpDirs.push(d);
    return d;
  };

  /** Starts a capture, or says (once, in the output) why this part is skipped. */
  async function capture(filter: string): Promise<LoopbackCapture | undefined> {
    const c = await LoopbackCapture.start(tmp(), filter);
    if (typeof c === 'string') {
      console.warn(`      capture part skipped: ${c}`);
      return undefined;
    }
    captures.push(c);
    return c;
  }

  async function startServer(id: string, opts: { env?: Record<string, string>; args?: string[] } = {}): Promise<{ proc: LessonProcess; address: LessonAddress }> {
    const l = lesson(id);
    const address = await chooseAddress(l, { port: await findFreePort(0, l.transport === 'udp' ? 'udp' : 'tcp') });
    const proc = startLessonSide(l, 'server', address, { interpreter: python, env: opts.env, serverArgs: opts.args, timeoutMs: 80_000 });
    procs.push(proc);
    await waitForServer(l, proc, address);
    return { proc, address };
  }

  async function runClient(id: string, address: LessonAddress, args: string[] = [], env?: Record<string, string>): Promise<{ proc: LessonProcess; exit: LessonExit }> {
    const proc = startLessonSide(lesson(id), 'client', address, { interpreter: python, clientArgs: args, env, timeoutMs: 60_000 });
    procs.push(proc);
    return { proc, exit: await proc.exited };
  }

  /** Runs any .py of a lesson to its end (or starts it, with `wait: false`). */
  function startFile(id: string, file: string, args: string[], env?: Record<string, string>, interpreter = python): LessonProcess {
    const l = lesson(id);
    const proc = new LessonProcess({ interpreter, file: path.join(l.dir, file), args, cwd: l.dir, env, timeoutMs: 60_000 });
    procs.push(proc);
    return proc;
  }
  async function runFile(id: string, file: string, args: string[], env?: Record<string, string>, interpreter = python) {
    const proc = startFile(id, file, args, env, interpreter);
    return { proc, exit: await proc.exited };
  }

  it('the six new lessons are in the catalog, numbered 17 to 22, with both languages parallel', () => {
    assert.deepEqual(catalog.problems, []);
    assert.deepEqual(catalog.lessons.map((l) => l.order), Array.from({ length: 22 }, (_, i) => i + 1), 'lessons 1 to 22, in order');
    assert.deepEqual(catalog.lessons.slice(16).map((l) => l.id), NEW);
    for (const [i, id] of NEW.entries()) {
      const l = lesson(id);
      assert.equal(l.order, 17 + i);
      const en = fs.readFileSync(path.join(l.dir, 'README.md'), 'utf8');
      const zh = fs.readFileSync(path.join(l.dir, 'README.zh-cn.md'), 'utf8');
      const headings = (s: string) => (s.match(/^## /gm) ?? []).length;
      assert.equal(headings(en), headings(zh), `${id}: the two READMEs have the same sections`);
      assert.equal((en.match(/```/g) ?? []).length, (zh.match(/```/g) ?? []).length, `${id}: the same code blocks`);
      // the commands and names the English text quotes appear in the Chinese one as well
      const quoted = (s: string) => new Set([...s.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]).filter((q) => /^[\x20-\x7e]+$/.test(q)));
      const missing = [...quoted(en)].filter((q) => !zh.includes(q));
      assert.deepEqual(missing, [], `${id}: code quoted in README.md but not in README.zh-cn.md`);
      // no private key or certificate is shipped
      for (const f of fs.readdirSync(l.dir)) assert.doesNotMatch(f, /\.(pem|key|crt)$/, `${id}/${f}`);
    }
  });

  describe('17 multi-process servers', () => {
    it('each client is served by its own child process, and every child is reaped', async function () {
      if (process.platform === 'win32') this.skip();
      const { proc: server, address } = await startServer('17-multi-process');
      const cap = await capture(`tcp port ${address.port}`);
      const { proc, exit } = await runClient('17-multi-process', address, ['3']);
      assert.equal(exit.code, 0, proc.output);
      assert.match(proc.output, /3 connections served by 3 different processes/);
      const pids = [...proc.output.matchAll(/: pid (\d+): HELLO \d/g)].map((m) => Number(m[1]));
      assert.equal(new Set(pids).size, 3);
      assert.ok(!pids.includes(server.pid!), 'the parent answered none of them itself');
      await until(() => (server.output.match(/reaped child \d+ \(exit code 0\)/g) ?? []).length === 3, 'three children reaped', 10_000);
      for (const pid of pids) assert.match(server.output, new RegExp(`reaped child ${pid} `));
      if (cap) {
        // Socket Lab's decoder: three connections open at once, each answered (from the payloads) by a different pid
        const pkts = await cap.packets();
        const segs = segments(pkts, address.port!);
        const streams = [...new Set(segs.map((g) => g.stream))];
        assert.equal(streams.length, 3, 'three TCP connections');
        const lastSynAck = segs.map((g) => g.fromServer && g.flags === (SYN | ACK)).lastIndexOf(true);
        assert.ok(lastSynAck >= 0 && lastSynAck < segs.findIndex((g) => g.len > 0), 'all three are established before any byte of data: they are served at the same time');
        const replies = streams.map((n) => streamBytes(segs, n, true).toString());
        const wirePids = replies.map((r) => Number(/^pid (\d+): HELLO \d$/.exec(r)?.[1]));
        assert.deepEqual([...wirePids].sort(), [...pids].sort(), `the replies on the wire name the pids the client printed: ${JSON.stringify(replies)}`);
        for (const n of streams) assert.deepEqual(segs.filter((g) => g.stream === n && g.flags & FIN).map((g) => g.fromServer).sort(), [false, true], `connection ${n + 1}: a FIN each way (the reaped child had closed it)`);
        assert.deepEqual(await cap.tsharkDisagrees(pkts, ['tcp.stream', 'tcp.srcport', 'tcp.flags', 'tcp.len']), []);
      }
      // no zombie children left under the server
      const children = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
        try {
          const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === server.pid;
        } catch {
          return false;
        }
      });
      assert.deepEqual(children, [], 'no child (zombie or alive) is left under the server');
    });

    it('zombie_demo.py shows a child in state Z until waitpid() collects it', async function () {
      if (process.platform !== 'linux') this.skip();
      const { proc, exit } = await runFile('17-multi-process', 'zombie_demo.py', []);
      assert.equal(exit.code, 0, proc.output);
      assert.match(proc.output, /its state is now: Z \(zombie\)/);
      assert.match(proc.output, /still Z half a second later/);
      assert.match(proc.output, /-> exit code 7; state now: gone/);
    });

    it('ForkingTCPServer and multiprocessing (fork and spawn) also answer from several processes', async function () {
      if (process.platform === 'win32') this.skip();
      for (const [file, args] of [['forking_server.py', []], ['mp_server.py', []], ['mp_server.py', ['--spawn']]] as const) {
        const port = await findFreePort(0);
        const server = startFile('17-multi-process', file, [String(port), ...args]);
        await server.waitForOutput(/listening on/, 15_000);
        const { proc, exit } = await runClient('17-multi-process', { port }, ['3']);
        assert.equal(exit.code, 0, `${file} ${args.join(' ')}: ${proc.output}`);
        assert.match(proc.output, /3 connections served by 3 different processes/, `${file} ${args.join(' ')}`);
        if (file === 'mp_server.py') assert.match(server.output, new RegExp(`start method: ${args.length ? 'spawn' : 'fork|forkserver'}`));
        await server.stop('stopped', 300);
      }
    });

    it('against Socket Lab: three of its clients at once get three different pids', async function () {
      if (process.platform === 'win32') this.skip();
      const { address } = await startServer('17-multi-process');
      sessions = new SessionManager();
      const clients = await Promise.all([0, 1, 2].map(() => sessions!.connectTcp({ port: address.port! })));
      await Promise.all(clients.map((c) => c.send(enc.encode('hi'))));
      const replies = await eventually(() => {
        const r = clients.map((c) => received(c).toString());
        return r.every((x) => /^pid \d+: HI$/.test(x)) && r;
      }, 'three replies');
      assert.equal(new Set(replies).size, 3);
    });
  });
  describe('18 poll and epoll', () => {
    it('level-triggered reports while bytes remain, edge-triggered once per arrival (epoll and poll servers)', async function () {
      if (process.platform !== 'linux') this.skip();
      for (const args of [[], ['--poll']]) {
        const { proc: server, address } = await startServer('18-poll-epoll', { args });
        assert.match(server.output, new RegExp(`${args.length ? 'poll' : 'epoll'} server, pid ${server.pid}: listening on`));
        const cap = await capture(`tcp port ${address.port}`);
        const { proc, exit } = await runClient('18-poll-epoll', address);
        assert.equal(exit.code, 0, proc.output);
        assert.match(proc.output, /level-triggered: 3 events, read b'0123456789'/);
        assert.match(proc.output, /edge-triggered, one recv\(4\) per event: 1 event, read b'0123'; 6 bytes still unread and no event for them/);
        assert.match(proc.output, /after 1 more byte arrived \(our "!" echoed\): 1 new event/);
        assert.match(proc.output, /edge-triggered, read until BlockingIOError: 1 event, read b'0123456789'/);
        if (cap) {
          // Socket Lab's decoder: what arrived at the client, segment by segment, on each of the three connections
          const pkts = await cap.packets();
          const segs = segments(pkts, address.port!);
          const arrivals = [...new Set(segs.map((g) => g.stream))].map((n) => segs.filter((g) => g.stream === n && g.fromServer && g.len > 0).map((g) => g.data.toString()));
          assert.deepEqual(arrivals, [['0123456789'], ['0123456789', '!'], ['0123456789']], 'each echo arrives as one segment');
          // the lesson's point against the wire: level-triggered reports one arrival again and again, edge-triggered once per arrival
          const events = (re: RegExp) => Number(re.exec(proc.output)![1]);
          assert.ok(events(/level-triggered: (\d+) events/) > arrivals[0].length, 'level-triggered: more events than segments arrived');
          assert.equal(events(/one recv\(4\) per event: (\d+) event/) + events(/after 1 more byte arrived .*: (\d+) new event/), arrivals[1].length, 'edge-triggered: one event per segment that arrived');
          assert.equal(events(/read until BlockingIOError: (\d+) event/), arrivals[2].length, 'edge-triggered and drained: one event for the one segment');
          assert.deepEqual(await cap.tsharkDisagrees(pkts, ['tcp.stream', 'tcp.srcport', 'tcp.len']), []);
        }
        await until(() => (server.output.match(/a client closed/g) ?? []).length === 3, 'three closes');
        assert.match(server.output, /a client closed; 0 open\n$/);
        await server.stop('stopped', 300);
      }
    });

    it('compare.py: select refuses descriptors above 1024, selectors picks epoll', async function () {
      if (process.platform !== 'linux') this.skip();
      const { proc, exit } = await runFile('18-poll-epoll', 'compare.py', ['1000']);
      assert.equal(exit.code, 0, proc.output);
      assert.match(proc.output, /DefaultSelector here is EpollSelector/);
      assert.match(proc.output, /select: ValueError: filedescriptor out of range in select\(\)/);
      const us = (name: string) => Number(new RegExp(`${name}: +([\\d.]+) us per call`).exec(proc.output)![1]);
      assert.ok(us('epoll') < us('poll'), `epoll ${us('epoll')} us < poll ${us('poll')} us with 1000 idle sockets`);
    });

    it('against Socket Lab: five of its clients are answered by one process', async function () {
      if (process.platform !== 'linux') this.skip();
      const { proc: server, address } = await startServer('18-poll-epoll');
      sessions = new SessionManager();
      const clients = await Promise.all(Array.from({ length: 5 }, () => sessions!.connectTcp({ port: address.port! })));
      await Promise.all(clients.map((c, i) => c.send(enc.encode(`line ${i}`))));
      await until(() => clients.every((c, i) => received(c).toString() === `LINE ${i}`), 'five answers');
      assert.match(server.output, /5 open/);
    });
  });
  describe('19 TLS', () => {
    it('verification fails twice and then succeeds; the capture shows only the hellos, the key log opens it', async function () {
      if (!has('openssl')) {
        console.warn('      skipped: the openssl command line is not installed (the lesson says so and how to get it)');
        this.skip();
      }
      const { proc: server, address } = await startServer('19-tls');
      const certFile = /certificate: (.+)\n/.exec(server.output)![1];
      assert.ok(fs.existsSync(certFile));
      assert.ok(certFile.startsWith(os.tmpdir()), 'the key and certificate live in the temp directory, not in the lesson');
      const keyFile = path.join(path.dirname(certFile), 'key.pem');
      assert.equal(fs.statSync(keyFile).mode & 0o077, 0, 'the private key is readable by its owner only');

      const cap = await capture(`tcp port ${address.port}`);
      const keylog = path.join(tmp(), 'keys.log');
      const { proc, exit } = await runClient('19-tls', address, [], { SSLKEYLOGFILE: keylog });
      assert.equal(exit.code, 0, proc.output);
      assert.match(proc.output, /1 system CAs: refused - self-signed certificate/);
      assert.match(proc.output, /2 wrong name: refused - Hostname mismatch, certificate is not valid for 'example\.com'/);
      assert.match(proc.output, /3 verified: TLSv1\.[23], \S+, server is localhost\n3 verified: reply HELLO OVER TLS/);
      await until(() => /received b'hello over tls'/.test(server.output), 'the server got the plaintext');
      assert.match(server.output, /handshake failed: .*unknown ca/i);
      assert.match(server.output, /handshake failed: .*bad certificate/i);
      assert.match(fs.readFileSync(keylog, 'utf8'), /^CLIENT_(HANDSHAKE_TRAFFIC_SECRET|RANDOM) [0-9a-f]{64} /m);

      if (cap) {
        // Socket Lab's decoder (no TLS dissector): the TLS records in each connection's TCP bytes, each side in order
        const pkts = await cap.packets();
        const segs = segments(pkts, address.port!);
        const streams = [...new Set(segs.map((g) => g.stream))];
        assert.deepEqual(streams, [0, 1, 2], 'three TLS connections, one per attempt');
        const records = streams.map((n) => ({ client: tlsRecords(streamBytes(segs, n, false)), server: tlsRecords(streamBytes(segs, n, true)) }));
        for (const [n, r] of records.entries()) {
          assert.deepEqual([r.client[0]?.type, r.client[0]?.handshakes], [22, [1]], `connection ${n + 1}: the client's first record is a handshake record holding the ClientHello`);
          assert.deepEqual([r.server[0]?.type, r.server[0]?.handshakes], [22, [2]], `connection ${n + 1}: the server answers with a handshake record holding the ServerHello`);
          // TLS 1.3 encrypts everything after the ServerHello: no other handshake message (Certificate = 11) is in clear
          const clear = [...r.client, ...r.server].flatMap((x) => x.handshakes).sort();
          assert.deepEqual(clear, [1, 2], `connection ${n + 1}: only the hellos are readable, not the certificate`);
          assert.ok([...r.client, ...r.server].every((x) => [20, 21, 22, 23].includes(x.type)), `connection ${n + 1}: only TLS content types`);
          assert.ok([...r.client.slice(1), ...r.server].every((x) => x.version === 0x0303), `connection ${n + 1}: every record after the ClientHello's says 0x0303 (TLS 1.2), as TLS 1.3 writes it`);
        }
        // the third connection: TLS 1.3 negotiated in the ServerHello, the cipher the client printed, then application data
        const hello = serverHello(records[2].server[0].body);
        assert.equal(hello.supportedVersion, 0x0304, 'the ServerHello\'s supported_versions extension chooses TLS 1.3');
        const printedCipher = /3 verified: TLSv1\.3, (\S+),/.exec(proc.output)?.[1];
        const suites: Record<number, string> = { 0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256' };
        assert.equal(suites[hello.cipher], printedCipher, `the cipher suite on the wire (0x${hello.cipher.toString(16)}) is the one the client printed`);
        const types = (rs: TlsRecord[]) => rs.map((x) => x.type);
        const firstApp = (rs: TlsRecord[]) => types(rs).indexOf(23);
        for (const side of ['client', 'server'] as const) {
          const t = types(records[2][side]);
          assert.ok(firstApp(records[2][side]) > 0 && t.slice(0, firstApp(records[2][side])).includes(22), `${side}: handshake (22) records, then application data (23): ${t}`);
          assert.ok(t.filter((x) => x === 23).length >= 2, `${side}: application-data records carry the rest of the handshake and the message: ${t}`);
        }
        const allPayload = Buffer.concat(segs.map((g) => g.data));
        assert.ok(!allPayload.includes(Buffer.from('hello over tls')) && !allPayload.toString().toLowerCase().includes('hello over tls'), 'the message is in no TCP payload in clear');
        // tshark, the oracle: the same frames, and the same record types on each side of each connection
        assert.deepEqual(await cap.tsharkDisagrees(pkts, ['tcp.stream', 'tcp.srcport', 'tcp.len', 'tcp.flags']), []);
        // (tshark names a TLS 1.3 encrypted record's outer type tls.record.opaque_type; in a frame those follow the clear ones)
        const theirs = (await cap.fields(['tcp.stream', 'tcp.srcport', 'tls.record.content_type', 'tls.record.opaque_type'], 'tls')).map((x) => [x[0], x[1], [x[2], x[3]].filter(Boolean).join(',')]);
        for (const [n, r] of records.entries()) {
          for (const side of ['client', 'server'] as const) {
            const seen = theirs.filter((x) => x[0] === String(n) && (x[1] === String(address.port)) === (side === 'server')).flatMap((x) => x[2].split(',')).map(Number);
            assert.deepEqual(seen, types(r[side]), `connection ${n + 1}, ${side}: tshark reads the same records`);
          }
        }
        // only tshark can decrypt: with the key log it reads the message both ways, and the certificate
        const hex = (t: string) => Buffer.from(t).toString('hex');
        const opened = await cap.fields(['tls.handshake.type', 'data.data'], 'tls', ['-o', `tls.keylog_file:${keylog}`]);
        const data = opened.map((r) => r[1] ?? '').join(',');
        assert.ok(data.includes(hex('hello over tls')) && data.includes(hex('HELLO OVER TLS')), 'the key log decrypts the data both ways');
        assert.ok(opened.some((r) => (r[0] ?? '').split(',').includes('11')), 'and the certificate');
      }
      await server.stop('stopped', 2000);
      assert.equal(fs.existsSync(path.dirname(certFile)), false, 'the server deletes its key and certificate when stopped');
    });

    it('against Socket Lab: plain bytes are not a TLS record, and the server says so', async function () {
      if (!has('openssl')) this.skip();
      const { proc: server, address } = await startServer('19-tls');
      sessions = new SessionManager();
      const cli = await sessions.connectTcp({ port: address.port! });
      await cli.send(enc.encode('hello\n'));
      await until(() => /handshake failed: .*WRONG_VERSION_NUMBER/.test(server.output), 'the server rejects the bytes');
      await until(() => cli.state !== 'open', 'the connection ends');
    });
  });
  describe('20 ICMP and ping', () => {
    const dir = () => lesson('20-icmp-ping').dir;
    /** Runs Python code with ping.py importable (and no __pycache__ written into the lesson). */
    const py = (code: string) => execFileSync('python3', ['-B', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(dir())}); import ping\n${code}`], { encoding: 'utf8', timeout: 20_000 });

    it('the checksum is RFC 1071\'s, and an echo request sums to zero', () => {
      // RFC 1071 section 3's example: the words 0001 f203 f4f5 f6f7 sum (with carries folded) to ddf2, inverted 220d
      assert.equal(py("print(hex(ping.checksum(bytes.fromhex('0001f203f4f5f6f7'))))").trim(), '0x220d');
      assert.equal(py("print(hex(ping.checksum(bytes.fromhex('0001f203f4f5f6'))))").trim(), py("print(hex(ping.checksum(bytes.fromhex('0001f203f4f5f600'))))").trim(), 'an odd length is padded with a zero byte');
      const out = py([
        "p = ping.echo_request(0x1234, 7, b'abc')",
        "print(p.hex(' '), ping.checksum(p), ping.parse_icmp(p))",
      ].join('\n'));
      assert.match(out, /^08 00 [0-9a-f]{2} [0-9a-f]{2} 12 34 00 07 61 62 63 0 \(8, 0, 4660, 7, b'abc'\)/);
      // against an independent implementation of the same sum
      const req = Buffer.from(out.slice(0, 32).replace(/ /g, ''), 'hex');
      let sum = 0;
      for (let i = 0; i < req.length; i += 2) sum += (req[i] << 8) | (req[i + 1] ?? 0);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      assert.equal(sum, 0xffff, 'the message including its checksum sums to all ones (its complement is 0)');
    });

    it('without privileges: EPERM for the raw socket, one sentence and exit 2, never a traceback', async function () {
      if (process.platform !== 'linux') this.skip();
      let r: { status: number | null; stdout: string; stderr: string };
      if (isRoot) {
        // root drops to "nobody" without capabilities to see what a learner sees
        if (!has('setpriv') || !fs.existsSync('/usr/bin/python3')) {
          console.warn('      skipped: as root this needs setpriv and /usr/bin/python3 to drop privileges');
          this.skip();
        }
        const run = (args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '/usr/bin/python3', '-B', path.join(dir(), 'ping.py'), ...args], { encoding: 'utf8', timeout: 20_000, cwd: os.tmpdir() });
        r = run(['127.0.0.1', '1', '--raw']);
        const auto = run(['127.0.0.1', '1']);
        const range = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
        if (range[0] <= 65534 && 65534 <= range[1]) assert.match(auto.stdout, /with a dgram socket[\s\S]*1 sent, 1 answered/, 'nobody may use ping sockets here');
        else {
          assert.equal(auto.status, 2, auto.stdout + auto.stderr);
          assert.match(auto.stdout, /ping socket: \[Errno 13\] Permission denied - group 65534 is not in net\.ipv4\.ping_group_range \(\d+ \d+\)/);
        }
      } else {
        r = spawnSync('python3', ['-B', path.join(dir(), 'ping.py'), '127.0.0.1', '1', '--raw'], { encoding: 'utf8', timeout: 20_000 });
        if (r.status === 0) {
          console.warn('      skipped: this process has CAP_NET_RAW, so it cannot see the EPERM path');
          this.skip();
        }
      }
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /^raw socket: \[Errno 1\] Operation not permitted - needs root or CAP_NET_RAW\n/);
      assert.match(r.stdout, /what to do: run this one program with sudo; .*Do not setcap cap_net_raw on the system python/);
      assert.doesNotMatch(r.stdout + r.stderr, /Traceback/);
    });

    it('with a raw socket (root or CAP_NET_RAW): three requests, three replies, the same ids on the wire', async function () {
      if (process.platform !== 'linux') this.skip();
      const probe = spawnSync('python3', ['-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)']);
      if (probe.status !== 0) {
        console.warn('      skipped: raw sockets need root or CAP_NET_RAW, which this test run does not have (the EPERM path is tested above)');
        this.skip();
      }
      const cap = await capture('icmp and host 127.0.0.1');
      const { proc, exit } = await runFile('20-icmp-ping', 'ping.py', ['127.0.0.1', '3', '--raw']);
      assert.equal(exit.code, 0, proc.output);
      const ident = /with a raw socket, identifier (0x[0-9a-f]{4})/.exec(proc.output)![1];
      for (const seq of [1, 2, 3]) assert.match(proc.output, new RegExp(`reply from 127\\.0\\.0\\.1: type 0 \\(echo reply\\) identifier ${ident} seq=${seq} checksum ok`));
      assert.match(proc.output, /3 sent, 3 answered/);
      if (cap) {
        // Socket Lab's decoder: the program's identifier on three requests (type 8) and the kernel's three replies (type 0)
        const pkts = await cap.packets();
        const ours = filter(pkts, `icmp.ident == ${Number(ident)}`);
        const icmp = (p: DissectedPacket) => {
          const layer = p.layers.find((l) => l.name === 'icmp')!;
          const bytes = p.data.subarray(layer.offset, layer.offset + layer.length);
          return { type: Number(fieldValue(p, 'icmp.type')), code: Number(fieldValue(p, 'icmp.code')), seq: Number(fieldValue(p, 'icmp.seq')), checksum: Number(fieldValue(p, 'icmp.checksum')), sum: onesSum(bytes), data: Buffer.from(bytes.subarray(8)) };
        };
        const requests = filter(ours, 'icmp.type == 8').map(icmp);
        const replies = filter(ours, 'icmp.type == 0').map(icmp);
        assert.deepEqual(requests.map((r) => r.seq), [1, 2, 3], 'three echo requests, seq 1 to 3');
        assert.deepEqual(replies.map((r) => r.seq), [1, 2, 3], 'three echo replies with the same identifier and seq');
        assert.deepEqual(ours.map((p) => Number(fieldValue(p, 'icmp.type'))), [8, 0, 8, 0, 8, 0], 'each reply follows its request');
        const printed = [...proc.output.matchAll(/\| checksum ([0-9a-f]{4})/g)].map((m) => parseInt(m[1], 16));
        assert.deepEqual(requests.map((r) => r.checksum), printed, 'the checksums the program computed are the ones on the wire');
        // our decoder has no icmp.checksum.status: the RFC 1071 sum over each message, checksum included, is all ones
        for (const m of [...requests, ...replies]) assert.equal(m.sum, 0xffff, `seq ${m.seq} type ${m.type}: checksum 0x${m.checksum.toString(16)} is good`);
        for (const [i, r] of replies.entries()) {
          assert.equal(r.code, 0);
          assert.ok(r.data.equals(requests[i].data), `reply ${i + 1} echoes the request's data`);
        }
        // tshark, the oracle: the same frames and fields, and its own checksum verdict
        assert.deepEqual(await cap.tsharkDisagrees(pkts, ['ip.src', 'ip.dst', 'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmp.checksum']), []);
        const status = await cap.fields(['icmp.checksum.status'], `icmp.ident == ${Number(ident)}`);
        assert.deepEqual(status.map((r) => r[0]), ['1', '1', '1', '1', '1', '1'], 'tshark finds every checksum good too');
      }
    });

    it('with a ping socket in a network namespace of the test\'s own, where it may set ping_group_range', async function () {
      if (!canUnshare || !has('ip')) {
        console.warn('      skipped: cannot create a user and network namespace here (unshare -rn)');
        this.skip();
      }
      const script = 'ip link set lo up && echo "0 0" > /proc/sys/net/ipv4/ping_group_range && exec python3 -B ping.py 127.0.0.1 2 --dgram';
      const r = spawnSync('unshare', ['-rn', 'sh', '-c', script], { cwd: dir(), encoding: 'utf8', timeout: 20_000 });
      if (r.status !== 0 && /ping_group_range/.test(r.stderr) && !/PING/.test(r.stdout)) {
        console.warn(`      skipped: the namespace may not set ping_group_range: ${r.stderr.trim()}`);
        this.skip();
      }
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /with a dgram socket/);
      assert.match(r.stdout, /reply from 127\.0\.0\.1: type 0 \(echo reply\) identifier 0x[0-9a-f]{4} seq=2 checksum ok/);
      assert.match(r.stdout, /2 sent, 2 answered/);
    });
  });
  describe('21 UDP broadcast', () => {
    it('on loopback: EACCES without SO_BROADCAST and no packet; 127.255.255.255 reaches only the socket bound to it', async function () {
      if (process.platform !== 'linux') this.skip(); // other systems route loopback broadcasts differently
      const { proc: server, address } = await startServer('21-udp-broadcast');
      const cap = await capture(`udp port ${address.port}`);
      const { proc, exit } = await runClient('21-udp-broadcast', address);
      assert.equal(exit.code, 0, proc.output);
      assert.match(proc.output, /without SO_BROADCAST to 127\.255\.255\.255: \[Errno 13\] Permission denied \(EACCES\)/);
      assert.match(proc.output, /with SO_BROADCAST to 127\.255\.255\.255: sent/);
      assert.doesNotMatch(proc.output, /<broadcast>/, 'never sends a limited broadcast onto the real network');
      await until(() => /socket bound to 127\.0\.0\.1: 20 bytes/.test(server.output), 'the unicast datagram');
      assert.match(server.output, /socket bound to 127\.255\.255\.255: 24 bytes from 127\.0\.0\.1:\d+: b'hello to 127\.255\.255\.255'/);
      assert.equal((server.output.match(/b'hello to 127\.255\.255\.255'/g) ?? []).length, 1, 'the 127.0.0.1 socket did not get the broadcast');
      assert.doesNotMatch(server.output, /no SO_BROADCAST/);
      if (cap) {
        const pkts = await cap.packets();
        const rows = filter(pkts, 'udp').map((p) => `${fieldValue(p, 'ip.dst')} ${fieldValue(p, 'udp.length')}`);
        assert.deepEqual(rows, ['127.255.255.255 32', '127.0.0.1 28'], 'one broadcast, one unicast, nothing for the refused send');
        const [bcast] = filter(pkts, `ip.dst == 127.255.255.255 && udp.dstport == ${address.port}`);
        assert.equal(payloadOf(bcast, 'udp').toString(), 'hello to 127.255.255.255', 'the broadcast datagram carries what the server printed');
        assert.equal(fieldValue(bcast, 'ip.src'), '127.0.0.1');
        assert.deepEqual(await cap.tsharkDisagrees(pkts, ['ip.src', 'ip.dst', 'udp.dstport', 'udp.length']), []);
      }
    });

    it('against Socket Lab: its datagram to 127.0.0.1 reaches only the unicast socket', async function () {
      if (process.platform !== 'linux') this.skip();
      const { proc: server, address } = await startServer('21-udp-broadcast');
      const cap = await capture(`udp port ${address.port}`);
      sessions = new SessionManager();
      const udp = await sessions.openUdp({ remoteHost: '127.0.0.1', remotePort: address.port });
      await udp.send(enc.encode('from socket lab'));
      await until(() => /socket bound to 127\.0\.0\.1: 15 bytes from 127\.0\.0\.1:\d+: b'from socket lab'/.test(server.output), 'the datagram');
      assert.doesNotMatch(server.output, /socket bound to 127\.255\.255\.255/);
      if (cap) {
        const pkts = filter(await cap.packets(), `udp.dstport == ${address.port}`);
        assert.deepEqual(pkts.map((p) => `${fieldValue(p, 'ip.dst')} ${payloadOf(p, 'udp').toString()}`), ['127.0.0.1 from socket lab'], 'one unicast datagram on the wire, no broadcast');
      }
    });

    it('netns_pair.py: a real broadcast between two namespaces of its own, and \'<broadcast>\' needing a route', async function () {
      if (!canUnshare || !has('ip')) {
        console.warn('      skipped: cannot create a user and network namespace here (unshare -rn); the helper says so too');
        const { proc } = await runFile('21-udp-broadcast', 'netns_pair.py', ['0']);
        assert.match(proc.output, /network namespace|not found|Linux feature/);
        this.skip();
      }
      const port = String(await findFreePort(0, 'udp'));
      const { proc, exit } = await runFile('21-udp-broadcast', 'netns_pair.py', [port]);
      assert.equal(exit.code, 0, proc.output);
      const out = proc.output;
      assert.match(out, /\[host B\] listening on port \d+ at 10\.77\.0\.255, 255\.255\.255\.255, 10\.77\.0\.2/);
      assert.match(out, /\[host A, no default route\] with SO_BROADCAST to <broadcast> \(255\.255\.255\.255\): \[Errno 101\] Network is unreachable/);
      assert.match(out, /\[host A\] without SO_BROADCAST to 10\.77\.0\.255: \[Errno 13\] Permission denied \(EACCES\)/);
      assert.match(out, /\[host B\] socket bound to 10\.77\.0\.255: 20 bytes from 10\.77\.0\.1:\d+: b'hello to 10\.77\.0\.255'/);
      assert.match(out, /\[host B\] socket bound to 255\.255\.255\.255: 20 bytes from 10\.77\.0\.1:\d+: b'hello to <broadcast>'/);
      assert.match(out, /\[host B\] socket bound to 10\.77\.0\.2: 20 bytes from 10\.77\.0\.1:\d+: b'unicast to 10\.77\.0\.2'/);
      assert.equal((out.match(/\[host B\] socket bound/g) ?? []).length, 3, 'each datagram reached exactly one socket');
      assert.doesNotMatch(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }), /\bsl[ab]\b/, 'nothing was left on this machine\'s interfaces');
    });
  });
  describe('22 closing a connection', () => {
    it('TIME_WAIT on the side that closes first, RST from SO_LINGER 0, EPIPE, half-close; FIN vs RST on the wire', async function () {
      if (process.platform !== 'linux') this.skip(); // the client reads /proc/net/tcp
      const { proc: server, address } = await startServer('22-closing');
      const cap = await capture(`tcp port ${address.port}`);
      const { proc, exit } = await runClient('22-closing', address);
      assert.equal(exit.code, 0, proc.output);
      const out = proc.output;
      assert.match(out, /1 echo: b'HELLO\\n'\n1 client closed first: client side TIME_WAIT, server side gone/);
      assert.match(out, /2 server said b'bye\\n', then recv\(\) -> b''/);
      assert.match(out, /2 before our close: client side CLOSE_WAIT, server side FIN_WAIT2/);
      assert.match(out, /2 server closed first: client side gone, server side TIME_WAIT/);
      assert.match(out, /3 reset by the server: ConnectionResetError\(104, 'Connection reset by peer'\)/);
      assert.match(out, /3 after the RST: client side gone, server side gone/);
      assert.match(out, /4 second send after the RST: BrokenPipeError\(32, 'Broken pipe'\)/);
      assert.match(out, /5 after shutdown\(SHUT_WR\): client side FIN_WAIT2, server side CLOSE_WAIT/);
      assert.match(out, /5 reply after our shutdown: b'got 1000 bytes after your shutdown\\n'/);
      assert.match(out, /5 done: client side TIME_WAIT, server side gone/);
      assert.match(server.output, /client finished sending \(1000 bytes\); we can still answer/);
      if (cap) {
        // Socket Lab's decoder: each case is one TCP stream, in order; who sends the first FIN, where an RST comes from
        const pkts = await cap.packets();
        const segs = segments(pkts, address.port!);
        const stream = (n: number) => segs.filter((g) => g.stream === n).map((g) => ({ fromServer: g.fromServer, fin: (g.flags & FIN) !== 0, rst: (g.flags & RST) !== 0, len: g.len }));
        assert.deepEqual([...new Set(segs.map((g) => g.stream))], [0, 1, 2, 3, 4], 'five connections, one per case');
        const firstFin = (n: number) => stream(n).find((p) => p.fin);
        assert.equal(firstFin(0)?.fromServer, false, 'case 1: the client sends the first FIN');
        assert.equal(firstFin(1)?.fromServer, true, 'case 2: the server sends the first FIN');
        for (const n of [0, 1, 4]) {
          assert.deepEqual(stream(n).filter((p) => p.fin).map((p) => p.fromServer).sort(), [false, true], `case ${n + 1}: one FIN each way`);
          assert.ok(!stream(n).some((p) => p.rst), `case ${n + 1}: no RST`);
        }
        assert.ok(stream(2).some((p) => p.rst && p.fromServer) && !stream(2).some((p) => p.fin), 'case 3: an RST from the server and no FIN');
        assert.equal(filter(pkts, `tcp.stream == 2 && tcp.flags.reset == 1 && tcp.srcport == ${address.port}`).length, 1, 'case 3: the display filter finds the one RST');
        const s3 = stream(3);
        const serverFin = s3.findIndex((p) => p.fin && p.fromServer);
        const clientData = s3.findIndex((p, i) => i > serverFin && !p.fromServer && p.len > 0);
        assert.ok(serverFin >= 0 && clientData > serverFin && s3.slice(clientData).some((p) => p.rst && p.fromServer), 'case 4: FIN, data to the closed socket, RST');
        const s5 = stream(4);
        const clientFin = s5.findIndex((p) => p.fin && !p.fromServer);
        assert.ok(clientFin >= 0 && s5.findIndex((p) => p.fromServer && p.len > 0 && !p.fin) > clientFin, 'case 5: the server sends data after the client\'s FIN');
        assert.equal(streamBytes(segs, 4, false).toString(), 'half\n' + 'x'.repeat(1000), 'case 5: all the client sent went before its FIN');
        // tshark, the oracle, reads the same frames the same way
        assert.deepEqual(await cap.tsharkDisagrees(pkts, ['tcp.stream', 'tcp.srcport', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.len']), []);
      }
    });

    it('against Socket Lab: "close" leaves its client half-closed by the peer, "reset" ends it with an RST on the wire', async () => {
      const { address } = await startServer('22-closing');
      const cap = await capture(`tcp port ${address.port}`);
      sessions = new SessionManager();
      const a = await sessions.connectTcp({ port: address.port! });
      await a.send(enc.encode('close\n'));
      await until(() => a.state === 'half-closed-by-peer' || a.state === 'closed', 'the server\'s FIN');
      assert.equal(received(a).toString(), 'bye\n');
      const b = await sessions.connectTcp({ port: address.port! });
      const bPort = b.localPort;
      await b.send(enc.encode('reset\n'));
      await until(() => b.state !== 'open', 'the end of the connection');
      assert.equal(received(b).toString(), 'bye\n');
      if (cap) {
        const pkts = await cap.packets();
        const toB = filter(pkts, `tcp.srcport == ${address.port} && tcp.dstport == ${bPort}`);
        assert.ok(toB.length > 0 && filter(toB, 'tcp.flags.reset == 1').length > 0, `the server reset Socket Lab's second connection: ${toB.map((p) => p.summary.info).join(' | ')}`);
        assert.equal(filter(toB, 'tcp.flags.fin == 1').length, 0, 'with no FIN');
        const toA = filter(pkts, `tcp.srcport == ${address.port} && tcp.dstport != ${bPort}`);
        assert.ok(filter(toA, 'tcp.flags.fin == 1').length > 0 && filter(toA, 'tcp.flags.reset == 1').length === 0, 'the first connection ended with the server\'s FIN, not an RST');
        assert.deepEqual(await cap.tsharkDisagrees(pkts, ['tcp.srcport', 'tcp.dstport', 'tcp.flags.fin', 'tcp.flags.reset']), []);
      }
    });
  });
});
