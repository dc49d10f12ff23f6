// Seeded fuzzing of every parser that takes user or network input (fixed seeds, bounded counts).
// Decoders and mutated capture streams are fuzzed in decodeFuzz.test.ts; this adds the rest.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodecError } from '../../src/core/codec/codecError';
import { parseEscapes } from '../../src/core/codec/escapes';
import { parseHex } from '../../src/core/codec/hex';
import { formatHex } from '../../src/shared/format';
import { parseFraming, FrameDecoder } from '../../src/core/codec/framing';
import { parseAddr, UsageError } from '../../src/core/cli/cliIo';
import { SocketLabError } from '../../src/core/errors';
import { isSafeRelativePath, validateLesson } from '../../src/core/lessons/lessonCatalog';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { CaptureFormatError, PcapStreamReader } from '../../src/core/pcap/pcapStreamReader';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { checkPort, isLoopback } from '../../src/core/sessions/sessionManager';
import { main } from '../../src/cli';
import { isPanelEvent, isPanelRequest, isSendSpec, responseValidators } from '../../src/shared/sessionPanelProtocol';
import { responseValidators as packetResponseValidators, isPacketPanelEvent, isPacketPanelRequest } from '../../src/shared/packetPanelProtocol';
import { LinkType, type PacketRecord } from '../../src/shared/packet';
import { filesUnder, repoRoot } from './helpers';
import { LONG, MiB, randomBytes, retainedBytes } from './hardening.util';
import { prng as rng } from './helpers';

/** SOCKET_LAB_LONG=1 tries ten times as many inputs. */
const X = LONG ? 10 : 1;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Strings a student (or an attacker) might type: ASCII, CJK, surrogates, control characters, markup. */
const nasty = ['', ' ', '\\', '\\x', '\\u', '\\U', '0x', '\\x4', 'ff', 'g', '年', '\u0000', '\ud800', '\udfff', '😀', '\r\n', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '__proto__', 'constructor', '%n%s', '${x}', '../', '\u202e', ':', '[', ']', '-1', '1e309', 'NaN'];
function randomText(r: () => number, max = 40): string {
  const n = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.3) s += pick(r, nasty);
    else if (k < 0.6) s += pick(r, [...'0123456789abcdefABCDEFxX\\ ,;:-\tuUnrt0']);
    else if (k < 0.9) s += String.fromCharCode(32 + Math.floor(r() * 95));
    else s += String.fromCharCode(Math.floor(r() * 0x10000));
  }
  return s;
}

/** JSON-like values of every type, including the ones validators must refuse. */
function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 14);
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 2000) - 1000;
    case 3: return pick(r, [Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, -0, 1.5, Number.MAX_VALUE, -1, 0, 1e21]);
    case 4: return randomText(r);
    case 5: return pick(r, nasty);
    case 6: return 'x'.repeat(pick(r, [255, 256, 257, 4097, 1024 * 1024 + 1]));
    case 7: return depth > 3 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 8: return depth > 3 ? {} : randomObject(r, depth + 1);
    case 9: return JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}');
    default: return Math.floor(r() * 100);
  }
}
function randomObject(r: () => number, depth = 0, keys: readonly string[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) o[r() < 0.7 && keys.length ? pick(r, keys) : pick(r, ['type', 'offset', 'length', 'spec', 'input', 'mode', 'x', '__proto__', 'constructor', 'prototype'])] = randomValue(r, depth);
  return o;
}

/** Fields the hosts read as numbers: in an accepted request each must be a safe, non-negative integer (unknown extra fields are never read). */
const numberFields: Record<string, string[]> = {
  readRange: ['offset', 'length'], chunks: ['fromSeq', 'limit', 'maxBytes'], decode: ['offset', 'length'], find: ['from'],
  startRepeat: ['intervalMs', 'count'], rows: ['start', 'count'], packet: ['index'], position: ['index'],
};
function numbersSane(v: unknown): string | undefined {
  const o = v as Record<string, unknown>;
  for (const k of numberFields[o.type as string] ?? []) {
    if (!(k in o)) continue;
    const x = o[k];
    if (typeof x === 'number' && !(Number.isSafeInteger(x) && x >= 0)) return `${k} = ${x}`;
  }
  return undefined;
}

function assertNoPollution(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
}

describe('hardening: bad input fuzz (seeded, bounded)', function () {
  this.timeout(LONG ? 900_000 : 60_000);

  it('hex: 20,000 random strings parse or fail with EBADHEX at a real position; formatHex output always round-trips', () => {
    const r = rng(101);
    let ok = 0, bad = 0;
    for (let i = 0; i < 20_000 * X; i++) {
      const s = randomText(r);
      try {
        const b = parseHex(s);
        assert.ok(b instanceof Uint8Array);
        assert.ok(b.length <= s.length, 'never more bytes than characters');
        ok++;
      } catch (e) {
        assert.ok(e instanceof CodecError, `${JSON.stringify(s)} threw ${String(e)}`);
        assert.equal(e.code, 'EBADHEX');
        assert.ok(e.position! >= 1 && e.position! <= Math.max(1, s.length), `position ${e.position} for ${JSON.stringify(s)}`);
        assert.ok(!e.message.includes('\n') && e.messageZh.length > 0);
        bad++;
      }
      const bytes = randomBytes(r, Math.floor(r() * 64));
      assert.deepEqual(parseHex(formatHex(bytes)), bytes);
      assert.deepEqual(parseHex(formatHex(bytes, '')), bytes);
    }
    assert.ok(ok > 100 && bad > 100, `both outcomes exercised (${ok} ok, ${bad} bad)`);
    // a megabyte of hex parses in bounded memory and time
    assert.equal(parseHex('ab'.repeat(MiB)).length, MiB);
  });

  it('escapes: 20,000 random strings in four encodings parse or fail with a coded error; printable ASCII without backslash is itself', () => {
    const r = rng(202);
    let bad = 0;
    for (let i = 0; i < 20_000 * X; i++) {
      const s = randomText(r);
      const enc = pick(r, ['utf-8', 'gbk', 'latin1', 'utf-16le']);
      try {
        assert.ok(parseEscapes(s, enc) instanceof Uint8Array);
      } catch (e) {
        assert.ok(e instanceof CodecError, `${JSON.stringify(s)} (${enc}) threw ${String(e)}`);
        assert.match(e.code, /^E[A-Z]+$/);
        if (e.position !== undefined) assert.ok(e.position >= 1 && e.position <= s.length);
        bad++;
      }
      const plain = Array.from({ length: 20 }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('').replace(/\\/g, '');
      assert.equal(Buffer.from(parseEscapes(plain)).toString('latin1'), plain);
    }
    assert.ok(bad > 100);
  });

  it('ports and addresses: checkPort, the CLI address parser and isLoopback on 20,000 random inputs', () => {
    const r = rng(303);
    for (let i = 0; i < 20_000 * X; i++) {
      const v = r() < 0.5 ? randomValue(r) : randomText(r, 12);
      try {
        const p = checkPort(v);
        if (!(Number.isInteger(p) && p >= 0 && p <= 65535)) assert.fail(`checkPort(${JSON.stringify(v)}) = ${p}`);
      } catch (e) {
        assert.ok(e instanceof SocketLabError && e.code === 'EBADPORT', String(e));
      }
      const addr = r() < 0.5 ? randomText(r, 20) : `${pick(r, ['127.0.0.1', '[::1]', '', 'localhost', '[', '::1', '0.0.0.0'])}:${pick(r, ['0', '80', '65535', '65536', '-1', '1e3', ' 80', '８０', '', String(2 ** 53)])}`;
      for (const proto of ['tcp', 'udp'] as const) {
        try {
          const t = parseAddr(proto, addr);
          assert.ok(Number.isInteger(t.port) && t.port! >= 0 && t.port! <= 65535, `${addr} → ${t.port}`);
          assert.ok(typeof t.host === 'string' && t.host.length > 0);
        } catch (e) {
          assert.ok(e instanceof UsageError && e.message.length > 0 && e.message.split('\n').length <= addr.split('\n').length, String(e));
        }
      }
      const h = randomText(r, 16);
      const loop = isLoopback(h);
      // only names that really are this machine count as loopback (anything else asks before binding)
      if (loop) assert.match(h.trim().toLowerCase().replace(/^\[|\]$/g, ''), /^(localhost|::1|127\.\d+\.\d+\.\d+|::ffff:127\.0\.0\.1)$/);
    }
    for (const h of ['127.0.0.1.evil.example', 'localhost.evil.example', '0.0.0.0', '::', '[::]', '10.0.0.1', '127.0.0.1 ', ' ::1']) {
      assert.equal(isLoopback(h), h.trim() === '127.0.0.1' || h.trim() === '::1', h);
    }
  });

  it('framing: 2,000 random streams through every decoder never throw anything but a CodecError and never buffer past the limit', () => {
    const r = rng(404);
    for (let i = 0; i < 2_000 * X; i++) {
      const f = parseFraming(pick(r, ['line', 'len2be', 'len2le', 'len4be', 'len4le']));
      const d = new FrameDecoder(f);
      try {
        for (let k = 0; k < 8; k++) for (const m of d.push(randomBytes(r, Math.floor(r() * 300)))) assert.ok(m instanceof Uint8Array);
        d.flush();
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }
    // a 4 GiB length prefix is refused at once, not buffered
    const d = new FrameDecoder(parseFraming('len4be'));
    assert.throws(() => d.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3)), CodecError);
  });

  it('lesson.json: 5,000 mutations of a real lesson are accepted only when safe, and never pollute prototypes', () => {
    const seed = JSON.parse(fs.readFileSync(path.join(repoRoot, 'lessons', '01-tcp-echo', 'lesson.json'), 'utf8')) as Record<string, unknown>;
    const keys = Object.keys(seed);
    const r = rng(505);
    let accepted = 0;
    for (let i = 0; i < 5_000 * X; i++) {
      const raw = structuredClone(seed) as Record<string, unknown>;
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const k = r();
        if (k < 0.3) raw[pick(r, keys)] = randomValue(r);
        else if (k < 0.4) delete raw[pick(r, keys)];
        else if (k < 0.6) (raw.files as unknown[]) = [{ path: pick(r, ['../../etc/passwd', '/etc/passwd', 'a/../../b', 'C:\\x', 'ok.py', 'sub/ok.py', '', '.', 'a\\b', randomText(r, 12)]), role: pick(r, ['server', 'client', 'helper', 'root']) }];
        else if (k < 0.7) raw.defaultPort = randomValue(r);
        else if (k < 0.8) Object.assign(raw, JSON.parse('{"__proto__": {"polluted": true}}'));
        else if (k < 0.9) raw.peer = randomObject(r, 0, ['plays', 'transport', 'mode', 'count']);
        // else: keep it valid, so acceptance is exercised too
      }
      let out: ReturnType<typeof validateLesson>;
      try {
        out = validateLesson(JSON.parse(JSON.stringify(raw)), '01-tcp-echo');
      } catch (e) {
        assert.fail(`validateLesson threw ${String(e)} on ${JSON.stringify(raw).slice(0, 300)}`);
      }
      assertNoPollution();
      assert.ok(Array.isArray(out.errors) && out.errors.every((m) => typeof m === 'string' && m.length > 0));
      if (out.lesson && out.errors.length === 0) {
        accepted++;
        for (const f of out.lesson.files) assert.ok(isSafeRelativePath(f.path), `accepted an unsafe path ${f.path}`);
        if (out.lesson.defaultPort !== undefined) assert.ok(Number.isInteger(out.lesson.defaultPort) && out.lesson.defaultPort >= 1024 && out.lesson.defaultPort <= 65535);
      }
    }
    assert.ok(accepted > 50, `valid lessons still pass (${accepted})`);
    for (const p of ['../x', '/abs', 'a/../b', 'C:\\x', 'C:/x', 'a\\b', '', '.', 'a//b']) assert.equal(isSafeRelativePath(p), false, p);
  });

  it('webview messages: 30,000 random and mutated messages; validators never throw, accept only sane values', () => {
    const r = rng(606);
    const spec = { input: 'hi', mode: 'text', encoding: 'utf-8', lineEnding: 'lf', framing: 'raw' };
    const valid: Record<string, unknown>[] = [
      { type: 'ready' }, { type: 'readRange', offset: 0, length: 10 }, { type: 'chunks', fromSeq: 0, limit: 10, render: 'text', encoding: 'utf-8', maxBytes: 100 },
      { type: 'decode', offset: 1, length: 2, encoding: 'gbk' }, { type: 'find', query: 'x', mode: 'text', encoding: 'utf-8', from: 0 },
      { type: 'send', spec }, { type: 'validateInput', spec }, { type: 'startRepeat', spec, intervalMs: 100, count: 3 }, { type: 'copy', text: 'x' },
    ];
    const validPacket: Record<string, unknown>[] = [
      { type: 'ready' }, { type: 'rows', start: 0, count: 10 }, { type: 'filter', expr: 'tcp' }, { type: 'packet', index: 3 }, { type: 'position', index: 0 },
      { type: 'diagram', key: 'k' }, { type: 'export', format: 'pcapng', scope: 'all' }, { type: 'find', index: 0, query: 'x', mode: 'text', from: 0 }, { type: 'copy', text: 'x' },
    ];
    for (const v of valid) assert.ok(isPanelRequest(v), JSON.stringify(v));
    for (const v of validPacket) assert.ok(isPacketPanelRequest(v), JSON.stringify(v));
    const badNumbers = [-1, 1.5, Number.NaN, Infinity, 2 ** 53, '1', null, true, {}, []];
    const badStrings = [1, null, false, {}, [], 'x'.repeat(17 * MiB)];
    let acceptedRandom = 0;
    for (let i = 0; i < 30_000 * X; i++) {
      const k = r();
      if (k < 0.5) {
        // a valid message with one field made wrong: always refused
        const base = structuredClone(pick(r, r() < 0.6 ? valid : validPacket));
        const fields = Object.keys(base).filter((f) => f !== 'type' && typeof base[f] !== 'object');
        if (fields.length === 0) continue;
        const f = pick(r, fields);
        base[f] = typeof base[f] === 'number' ? pick(r, badNumbers) : pick(r, badStrings);
        // (messages built only on failure: the values can be 17 MiB strings)
        if (isPanelRequest(base) || isPacketPanelRequest(base)) assert.fail(`accepted ${JSON.stringify(base).slice(0, 200)}`);
        continue;
      }
      const msg: unknown = k < 0.75 ? randomObject(r, 0, ['type', 'offset', 'length', 'fromSeq', 'limit', 'render', 'encoding', 'maxBytes', 'query', 'mode', 'from', 'spec', 'intervalMs', 'count', 'text', 'start', 'index', 'expr', 'key', 'format', 'scope'])
        : randomValue(r);
      if (r() < 0.5 && msg && typeof msg === 'object' && !Array.isArray(msg)) (msg as Record<string, unknown>).type = pick(r, [...valid, ...validPacket].map((v) => v.type));
      for (const check of [isPanelRequest, isPacketPanelRequest, isSendSpec, isPanelEvent, isPacketPanelEvent, ...Object.values(responseValidators), ...Object.values(packetResponseValidators)]) {
        let ok: boolean;
        try {
          ok = (check as (v: unknown) => boolean)(msg);
        } catch (e) {
          assert.fail(`${check.name} threw ${String(e)} on ${JSON.stringify(msg)?.slice(0, 200)}`);
        }
        if (ok && (check === isPanelRequest || check === isPacketPanelRequest)) {
          acceptedRandom++;
          const insane = numbersSane(msg);
          if (insane) assert.fail(`accepted ${insane} in ${JSON.stringify(msg).slice(0, 200)}`);
        }
      }
      assertNoPollution();
    }
    assert.ok(acceptedRandom > 0, 'random generation reaches accepted messages too');
  });

  it('pcap/pcapng: every truncation of valid files, and huge or bad declared lengths, end in packets or a CaptureFormatError with bounded memory', () => {
    const r = rng(707);
    const recs: PacketRecord[] = Array.from({ length: 6 }, (_, i) => ({ tsMicros: 1_700_000_000_000_000 + i, origLen: 60 + i, linkType: LinkType.ETHERNET, data: randomBytes(r, 60 + i) }));
    const mem0 = retainedBytes();
    for (const format of ['pcap', 'pcapng'] as const) {
      const file = writeCaptureFile(recs, format);
      assert.equal(readCaptureFile(file).packets.length, recs.length);
      for (let cut = 0; cut < file.length; cut++) {
        try {
          const got = readCaptureFile(file.subarray(0, cut));
          assert.ok(got.packets.length < recs.length, `${format} cut at ${cut} still gave every packet`);
        } catch (e) {
          assert.ok(e instanceof CaptureFormatError, `${format} cut at ${cut}: ${String(e)}`);
        }
      }
      // every 32-bit field in the first 64 bytes set to a hostile value
      for (let at = 0; at + 4 <= Math.min(64, file.length); at += 4) {
        for (const v of [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 11, 13, 0x01000001]) {
          const bad = new Uint8Array(file);
          new DataView(bad.buffer).setUint32(at, v, true);
          try {
            const reader = new PcapStreamReader();
            for (let o = 0; o < bad.length; o += 7) reader.push(bad.subarray(o, o + 7));
            reader.end();
          } catch (e) {
            assert.ok(e instanceof CaptureFormatError, `${format} field@${at}=${v.toString(16)}: ${String(e)}`);
          }
        }
      }
    }
    const grown = retainedBytes() - mem0;
    assert.ok(grown < 32 * MiB, `memory grew ${(grown / MiB).toFixed(1)} MiB`);
  });

  it('CLI: 400 random argument lists to main() never throw; failures exit non-zero with a one-line reason', async function () {
    this.timeout(LONG ? 900_000 : 120_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-fuzz-'));
    const r = rng(808);
    const flags = ['--mode', '--framing', '--count', '--timeout', '--encoding', '--print', '--json', '--text', '--hex', '--file', '--expect-bytes', '--filter', '--pid', '--port', '--state', '--help', '-h', '--bogus', '--', '-'];
    const values = ['echo', 'upper', 'sink', 'print', 'raw', 'line', 'len4be', 'x', '-1', '0', '1e309', 'NaN', '999999999999', 'utf-8', 'gbk', 'nope', '<script>', '../../etc/passwd', '', '年', '%s%n', '0.05'];
    // loopback literals only: a random host name would make the resolver ask the network
    const addrs = ['127.0.0.1:0', '[::1]:0', ':0', '0', '127.0.0.1:65536', '::1:80', '[::1', 'a:b:c', ':', '-5', path.join(tmp, 's.sock')];
    const out: string[] = [];
    const err: string[] = [];
    const realOut = process.stdout.write.bind(process.stdout);
    const realErr = process.stderr.write.bind(process.stderr);
    let failures = 0;
    try {
      for (let i = 0; i < 400 * X; i++) {
        // capture and sockets touch the real machine: only usage errors of theirs are fuzzed here
        const verb = pick(r, ['listen', 'send', 'decode', 'capture', 'sockets', 'frobnicate', '', '--version', 'LISTEN', '<script>']);
        const argv = [verb];
        if (verb === 'listen' || verb === 'send') argv.push(pick(r, ['tcp', 'udp', 'unix', 'sctp', '']), pick(r, addrs));
        const n = Math.floor(r() * 5);
        for (let k = 0; k < n; k++) argv.push(r() < 0.6 ? pick(r, flags) : pick(r, values));
        if (verb === 'listen' || verb === 'send') argv.push('--timeout', '0.05'); // bounded if it does run
        if (verb === 'decode') argv.push(path.join(tmp, 'missing.pcap'));
        if (verb === 'capture' || verb === 'sockets') argv.push('--no-such-flag');
        if (verb === 'send' && !argv.includes('--text') && !argv.includes('--hex')) argv.push('--text', 'x');
        out.length = 0;
        err.length = 0;
        process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
        process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
        let code: number;
        try {
          code = await Promise.race([main(argv), new Promise<number>((_, j) => setTimeout(() => j(new Error('hung')), 10_000))]);
        } catch (e) {
          process.stdout.write = realOut;
          process.stderr.write = realErr;
          assert.fail(`main(${JSON.stringify(argv)}) threw ${String(e)}`);
        } finally {
          process.stdout.write = realOut;
          process.stderr.write = realErr;
        }
        assert.ok(Number.isInteger(code) && code >= 0 && code <= 3, `exit ${code} for ${JSON.stringify(argv)}`);
        if (code !== 0) {
          failures++;
          // with --json a failure after parsing is reported as one JSON line on stdout instead
          const jsonLine = out.join('').trim().split('\n').pop() ?? '';
          const json = argv.includes('--json') && /^\{.*"(code|event)"/.test(jsonLine) ? (JSON.parse(jsonLine) as { message?: string }) : undefined;
          const text = err.join('').trim() || (json?.message ?? '');
          assert.ok(text.length > 0, `exit ${code} without a reason for ${JSON.stringify(argv)}`);
          assert.doesNotMatch(text, /\n\s+at |node:internal|TypeError|ERR_[A-Z_]+/, `stack or internal error for ${JSON.stringify(argv)}: ${text}`);
          assert.ok(text.split('\n').length <= 2, `more than a one-line reason (plus a hint) for ${JSON.stringify(argv)}: ${text}`);
        }
      }
    } finally {
      process.stdout.write = realOut;
      process.stderr.write = realErr;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    assert.ok(failures > 100, `failures exercised (${failures})`);
  });

  it('webview code never turns data into HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    const files = [...filesUnder('webview/src', ['.ts']), ...filesUnder('src/shared', ['.ts'])];
    assert.ok(files.length > 10, 'found the webview sources');
    const banned = /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment|\beval\s*\(|new Function\s*\(|\.srcdoc\s*=|setAttribute\(\s*['"]on/;
    const hits: string[] = [];
    for (const f of files) {
      fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (banned.test(line)) hits.push(`${path.relative(repoRoot, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(hits, []);
    // and the test can see a positive
    assert.ok(banned.test('el.innerHTML = text') && banned.test("x.insertAdjacentHTML('beforeend', s)"));
  });
});
