// Exporting a transcript (all chunks or chosen ones) in the session logs' formats, each read back by another tool:
// xxd -r, JSON.parse, tshark; a file the user has is replaced only when asked and never lost on a failure.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import type { StreamSession } from '../../src/core/sessions/streamSession';
import { Transcript } from '../../src/core/sessions/transcript';
import { ExportCancelled, type ExportedSession, exportTranscript } from '../../src/core/sessions/transcriptExport';
import { SocketLabError } from '../../src/core/errors';
import { hasTshark } from '../agreement';
import { until } from '../support';

const enc = new TextEncoder();
const has = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).error === undefined;
const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

describe('transcript export: every format read back, all chunks or the chosen ones', function () {
  this.timeout(60_000);
  let dir: string;
  let m: SessionManager;
  const peers: net.Server[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-export-'));
    m = new SessionManager();
  });
  afterEach(() => {
    m.dispose();
    for (const p of peers.splice(0)) p.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A client session that sent three messages (one of 100 KB) to a plain Node echo peer, read the echoes and half-closed. */
  async function conversation(): Promise<{ s: StreamSession; sent: Uint8Array[] }> {
    const srv = net.createServer((c) => c.on('data', (d) => c.write(d)).on('end', () => c.end()).on('error', () => undefined));
    peers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const s = await m.connectTcp({ port: (srv.address() as net.AddressInfo).port });
    const big = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    const sent = [enc.encode('hello\n'), enc.encode('tab\there \\ \x01 ünï\n'), big];
    for (const b of sent) {
      await s.send(b);
      const want = s.transcript.counters.bytesOut;
      await until(() => s.transcript.counters.bytesIn >= want, 'the echo');
    }
    s.halfClose();
    await until(() => !s.isAlive, 'the close');
    return { s, sent };
  }

  /** The chunks of `s` whose bytes are `data`'s, each way in order: the seq numbers of the echo of message `i`. */
  const seqsOf = (s: StreamSession, dir: 'in' | 'out') => s.transcript.chunks().filter((c) => c.dir === dir).map((c) => c.seq);

  it('hex: xxd -r gives every byte of the transcript, and of the chosen chunks only theirs', async function () {
    if (!has('xxd')) this.skip();
    const { s, sent } = await conversation();
    const all = path.join(dir, 'all.hex');
    const r = await exportTranscript(s, all, { format: 'hex' });
    assert.equal(r.chunks, s.transcript.nextSeq);
    assert.equal(r.bytes, s.transcript.endOffset);
    assert.equal(r.fileBytes, fs.statSync(all).size);
    const back = spawnSync('xxd', ['-r', all]);
    assert.equal(back.status, 0, back.stderr?.toString());
    assert.ok(back.stdout.equals(concat(sent.flatMap((b) => [b, b]))), 'xxd -r gives the conversation');
    assert.match(fs.readFileSync(all, 'utf8'), /\| \S+Z s\d+ half-closed-by-us/);

    const outs = seqsOf(s, 'out');
    const picked = path.join(dir, 'picked.hex');
    await exportTranscript(s, picked, { format: 'hex', chunks: [outs[2], outs[0], outs[0]] });
    const back2 = spawnSync('xxd', ['-r', picked]);
    assert.ok(back2.stdout.equals(concat([sent[0], sent[2]])), 'the two chosen chunks, in transcript order, once each');
  });

  it('hex: the rows after a chunk\'s first (which carries its note) are the rows xxd itself prints', async function () {
    if (!has('xxd')) this.skip();
    const bytes = new Uint8Array(1000).map((_, i) => (i * 89 + 7) & 0xff);
    const t = new Transcript();
    t.append('out', bytes, undefined, 0);
    const file = path.join(dir, 'rows.hex');
    await exportTranscript({ id: 's1', kind: 'tcp-client', transcript: t, events: [] }, file, { format: 'hex' });
    const raw = path.join(dir, 'rows.bin');
    fs.writeFileSync(raw, bytes);
    const xxd = spawnSync('xxd', [raw], { encoding: 'utf8' }).stdout.split('\n');
    const ours = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(ours.length, xxd.length);
    assert.deepEqual(ours.slice(1), xxd.slice(1));
    assert.ok(ours[0].startsWith(`${xxd[0]}| `), ours[0]);
  });

  it('jsonl: a record per chunk and event, parsed; chosen chunks keep the events between them only', async () => {
    const { s, sent } = await conversation();
    const file = path.join(dir, 'all.jsonl');
    await exportTranscript(s, file, { format: 'jsonl' });
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const chunks = records.filter((r) => r.dir !== undefined);
    assert.ok(concat(chunks.filter((r) => r.dir === 'out').map((r) => Buffer.from(r.base64 as string, 'base64'))).equals(concat(sent)));
    assert.ok(concat(chunks.filter((r) => r.dir === 'in').map((r) => Buffer.from(r.hex as string, 'hex'))).equals(concat(sent)));
    assert.deepEqual(records.slice(0, 2).map((r) => r.event), ['connecting', 'open'], 'the connection comes first');
    assert.equal(records.at(-1)!.event, 'closed', 'and its close last');

    const outs = seqsOf(s, 'out');
    const chosen = path.join(dir, 'chosen.jsonl');
    await exportTranscript(s, chosen, { format: 'jsonl', chunks: [outs[0], outs[1]] });
    const recs = fs.readFileSync(chosen, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(recs.map((r) => r.event ?? r.dir), ['out', 'out']);
    assert.deepEqual(recs.map((r) => Buffer.from(r.base64 as string, 'base64').toString()), ['hello\n', 'tab\there \\ \x01 ünï\n']);
  });

  it('text: absolute, relative (to the first record) and delta (to the previous) timestamps, with direction and escapes', async () => {
    // a transcript with known times, so the seconds are exact
    const t = new Transcript();
    const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 600);
    t.append('out', enc.encode('GET /\r\n'), undefined, t0);
    t.append('in', enc.encode('200 OK'), undefined, t0 + 1500);
    t.append('in', enc.encode('bye'), undefined, t0 + 1750);
    const s: ExportedSession = { id: 's7', kind: 'tcp-client', localAddress: '127.0.0.1', localPort: 40000, remoteAddress: '127.0.0.1', remotePort: 8080, transcript: t, events: [] };
    const lines = async (timestamps: 'absolute' | 'relative' | 'delta', chunks?: number[]) => {
      const f = path.join(dir, `${timestamps}-${chunks?.join('') ?? 'all'}.txt`);
      await exportTranscript(s, f, { format: 'text', timestamps, chunks });
      return fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    };
    assert.deepEqual(await lines('absolute'), [
      '2026-01-02T03:04:05.600Z  s7 → 127.0.0.1:8080  7 B  GET /\\r\\n',
      '2026-01-02T03:04:07.100Z  s7 ← 127.0.0.1:8080  6 B  200 OK',
      '2026-01-02T03:04:07.350Z  s7 ← 127.0.0.1:8080  3 B  bye',
    ]);
    assert.deepEqual((await lines('relative')).map((l) => l.split('  ')[0]), ['+0.000', '+1.500', '+1.750']);
    assert.deepEqual((await lines('delta')).map((l) => l.split('  ')[0]), ['+0.000', '+1.500', '+0.250']);
    // chosen chunks count from the first of them
    assert.deepEqual((await lines('relative', [1, 2])).map((l) => l.split('  ')[0]), ['+0.000', '+0.250']);
  });

  it('pcapng: tshark follows the same bytes both ways; chosen chunks start mid-stream at the right sequence number', async function () {
    if (!hasTshark()) this.skip();
    const { s, sent } = await conversation();
    const file = path.join(dir, 'all.pcapng');
    await exportTranscript(s, file, { format: 'pcapng' });
    const follow = spawnSync('tshark', ['-r', file, '-q', '-z', 'follow,tcp,raw,0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(follow.status, 0, follow.stderr);
    const lines = follow.stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
    assert.ok(concat(lines.filter((l) => !l.startsWith('\t')).map((l) => Buffer.from(l, 'hex'))).equals(concat(sent)), 'client → server bytes');
    assert.ok(concat(lines.filter((l) => l.startsWith('\t')).map((l) => Buffer.from(l.trim(), 'hex'))).equals(concat(sent)), 'server → client bytes');
    const flags = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.flags.str'], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.match(flags[0], /S/, 'the handshake first');
    assert.ok(flags.some((f) => f.includes('F')), 'the FIN of the half-close');

    const outs = seqsOf(s, 'out');
    const late = path.join(dir, 'late.pcapng');
    await exportTranscript(s, late, { format: 'pcapng', chunks: [outs[1]] });
    const f = spawnSync('tshark', ['-r', late, '-o', 'tcp.relative_sequence_numbers:FALSE', '-T', 'fields', '-e', 'tcp.seq', '-e', 'tcp.flags.syn', '-e', 'data.data'], { encoding: 'utf8' });
    assert.equal(f.status, 0, f.stderr);
    const [seq, syn, data] = f.stdout.trim().split('\t');
    assert.equal(syn, '0', 'no handshake for a stream joined late');
    assert.equal(Buffer.from(data, 'hex').toString(), 'tab\there \\ \x01 ünï\n');
    // the client's ISN, its SYN, and the 6 bytes of "hello\n" sent before
    assert.equal(Number(seq), 0x10000000 + 1 + 6);
  });

  it('never replaces a file unless told; told, it replaces it only once the export is whole', async () => {
    const { s } = await conversation();
    const mine = path.join(dir, 'mine.txt');
    fs.writeFileSync(mine, 'the user\'s notes');
    await assert.rejects(exportTranscript(s, mine, { format: 'text' }), (e: unknown) => e instanceof SocketLabError && e.code === 'EXPORT_EXISTS' && /never overwrites/.test(e.message));
    assert.equal(fs.readFileSync(mine, 'utf8'), 'the user\'s notes');
    await assert.rejects(exportTranscript(s, path.join(dir, 'nope', 'x.txt'), { format: 'text' }), (e: unknown) => e instanceof SocketLabError && e.code === 'EXPORT_FOLDER');

    // cancelled half way: the old file is whole and nothing else is left in the folder
    const ac = new AbortController();
    await assert.rejects(exportTranscript(s, mine, { format: 'hex', overwrite: true, signal: ac.signal, onProgress: () => ac.abort() }), ExportCancelled);
    assert.equal(fs.readFileSync(mine, 'utf8'), 'the user\'s notes');
    assert.deepEqual(fs.readdirSync(dir), ['mine.txt']);

    const r = await exportTranscript(s, mine, { format: 'text', overwrite: true });
    assert.equal(fs.statSync(mine).size, r.fileBytes);
    assert.match(fs.readFileSync(mine, 'utf8'), /hello\\n/);
    assert.deepEqual(fs.readdirSync(dir), ['mine.txt']);
  });

  it('a full disk stops the export with one sentence; the file that was there is unchanged and no partial one is left', async function () {
    const small = path.join(dir, 'small');
    fs.mkdirSync(small);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]).status !== 0) this.skip();
    try {
      const { s } = await conversation();
      const mine = path.join(small, 'conv.hex');
      fs.writeFileSync(mine, 'an older export');
      await assert.rejects(exportTranscript(s, mine, { format: 'hex', overwrite: true }), (e: unknown) => e instanceof SocketLabError && e.code === 'EXPORT_FULL' && /^The disk is full: the export to .* stopped after \d+ bytes/.test(e.message) && !e.message.includes('\n'));
      assert.equal(fs.readFileSync(mine, 'utf8'), 'an older export');
      assert.deepEqual(fs.readdirSync(small), ['conv.hex']);
      await assert.rejects(exportTranscript(s, path.join(small, 'new.hex'), { format: 'hex' }), (e: unknown) => e instanceof SocketLabError && e.code === 'EXPORT_FULL');
      assert.deepEqual(fs.readdirSync(small), ['conv.hex'], 'the partial new file is removed');
    } finally {
      spawnSync('umount', [small]);
    }
  });

  it('streams: a 24 MB transcript is written in pieces with progress, never as one string, and reads back whole', async function () {
    if (!has('xxd')) this.skip();
    const t = new Transcript(64 * 1024 * 1024);
    const piece = new Uint8Array(64 * 1024).map((_, i) => (i * 13) & 0xff);
    for (let i = 0; i < 384; i++) t.append(i % 2 ? 'in' : 'out', piece, undefined, 1_000_000 + i);
    const s: ExportedSession = { id: 's1', kind: 'tcp-client', localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2, transcript: t, events: [] };
    const file = path.join(dir, 'big.jsonl');
    const progress: number[] = [];
    const r = await exportTranscript(s, file, { format: 'jsonl', onProgress: (done, total) => {
      assert.equal(total, 384 * piece.length);
      progress.push(done);
    } });
    assert.equal(r.bytes, 384 * piece.length);
    // the output (about 2.3 × the payload) went out in many writes, each of a few records
    assert.ok(progress.length >= 100, `${progress.length} progress reports`);
    assert.ok(progress.every((d, i) => i === 0 || d >= progress[i - 1]));
    assert.equal(progress.at(-1), r.bytes);
    let n = 0;
    for (const line of fs.readFileSync(file, 'utf8').trimEnd().split('\n')) {
      const rec = JSON.parse(line) as { base64: string };
      assert.ok(Buffer.from(rec.base64, 'base64').equals(Buffer.from(piece)));
      n++;
    }
    assert.equal(n, 384);
  });
});
