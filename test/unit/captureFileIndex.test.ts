// CaptureFileIndex: one pass keeps sparse packet offsets; any packet range is re-read from the file and is
// byte-for-byte what a whole-file read gives; memory stays flat on large files of tiny records.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LinkType, type PacketRecord } from '../../src/shared/packet';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';
import { CaptureFileIndex, IndexCancelledError } from '../../src/core/pcap/captureFileIndex';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { ascii, eth, ipv4, record, sll2, udp } from './decodeFrames';
import { onPath, prng, repoRoot } from './helpers';
import { bundleForNode, runMeasured, writeTinyCapture } from './tinyCapture';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'decode');
const flat = (ps: PacketRecord[]) => ps.map((p) => [p.tsMicros, p.origLen, p.linkType, Buffer.from(p.data).toString('hex')]);
const long = process.env.SOCKET_LAB_LONG === '1';

describe('CaptureFileIndex (packets read on demand from the file)', function () {
  this.timeout(long ? 900000 : 60000);
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capidx-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function checkAgainstWholeRead(file: string): Promise<CaptureFileIndex> {
    const whole = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets;
    const idx = await CaptureFileIndex.open(file);
    await idx.indexAll();
    assert.equal(idx.error, undefined);
    assert.equal(idx.count, whole.length, file);
    assert.deepEqual(flat(await idx.read(0, idx.count)), flat(whole));
    const rnd = prng(7);
    for (let k = 0; k < 50; k++) {
      const start = Math.floor(rnd() * whole.length);
      const n = 1 + Math.floor(rnd() * 300);
      assert.deepEqual(flat(await idx.read(start, n)), flat(whole.slice(start, start + n)), `read(${start}, ${n})`);
    }
    return idx;
  }

  it('matches a whole-file read for every fixture, any range, pcap and pcapng', async () => {
    for (const f of fs.readdirSync(fixtures)) await (await checkAgainstWholeRead(path.join(fixtures, f))).close();
  });

  it('re-reads across checkpoints, pcapng sections and interfaces (link type changes mid-file)', async () => {
    const pkts: PacketRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const data = i % 700 < 350 ? eth(ipv4(udp(ascii(`p${i}`.repeat(1 + (i % 40)))), { proto: 17 })) : sll2(ipv4(udp(ascii(`q${i}`)), { proto: 17 }));
      pkts.push(record(data, i % 700 < 350 ? LinkType.ETHERNET : LinkType.LINUX_SLL2, 1_700_000_000_000_000 + i));
    }
    const ng = path.join(dir, 'mixed.pcapng');
    // Two sections back to back: the second one's interfaces replace the first's.
    fs.writeFileSync(ng, Buffer.concat([writeCaptureFile(pkts.slice(0, 1700), 'pcapng'), writeCaptureFile(pkts.slice(1700), 'pcapng')]));
    await (await checkAgainstWholeRead(ng)).close();
    const pc = path.join(dir, 'tiny.pcap');
    writeTinyCapture(pc, 2 * 1048576);
    const idx = await checkAgainstWholeRead(pc);
    assert.ok(idx.indexBytes < 1048576, `index of 2 MiB holds ${idx.indexBytes} bytes`);
    await idx.close();
  });

  it('a cut-off or corrupt file keeps the packets before the damage readable, with the reason', async () => {
    const whole = fs.readFileSync(path.join(fixtures, 'lo4.pcap'));
    const cut = path.join(dir, 'cut.pcap');
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const a = await CaptureFileIndex.open(cut);
    await a.indexAll();
    assert.equal(a.error?.code, 'ETRUNCATED');
    assert.equal(a.count, 13);
    assert.equal((await a.read(12, 5)).length, 1);
    await a.close();
    const bad = Buffer.from(whole);
    // Record 3's caplen (after the 24-byte header and two records) becomes absurd.
    const r1 = 24 + 16 + bad.readUInt32LE(24 + 8);
    const r2 = r1 + 16 + bad.readUInt32LE(r1 + 8);
    bad.writeUInt32LE(0x7fffffff, r2 + 8);
    const corrupt = path.join(dir, 'corrupt.pcap');
    fs.writeFileSync(corrupt, bad);
    const b = await CaptureFileIndex.open(corrupt);
    await b.indexAll();
    assert.equal(b.error?.code, 'EBADLENGTH');
    assert.equal(b.count, 2);
    assert.deepEqual(flat(await b.read(0, 10)), flat(readCaptureFile(new Uint8Array(whole)).packets.slice(0, 2)));
    await b.close();
  });

  it('a record with an absurd length in the middle of a real capture: every packet before it is read, as tshark reads them, and the model says why it stopped', async function () {
    if (process.platform !== 'linux' || !onPath('dumpcap') || !onPath('tshark') || !onPath('python3')) return this.skip();
    const port = 45000 + Math.floor(Math.random() * 2000);
    const cap = await LoopbackCapture.start(path.join(dir, 'upload.pcapng'), `tcp port ${port}`);
    if (typeof cap === 'string') return this.skip();
    // an upload in 4 KB writes: a file of many 256 KB reads
    const r = spawnSync('python3', ['-c', [
      'import socket, sys, threading',
      'srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen()',
      'def sink():',
      '    c, _ = srv.accept()',
      '    while c.recv(65536): pass',
      '    c.close()',
      't = threading.Thread(target=sink); t.start()',
      'c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)',
      'for i in range(400): c.sendall(b"u" * 4000)',
      'c.close(); t.join()',
    ].join('\n'), String(port)], { encoding: 'utf8', timeout: 30_000 });
    await cap.stop();
    assert.equal(r.status, 0, r.stderr);
    // the first packet block past 60% of the file says it is 2 GB long
    const bad = Buffer.from(fs.readFileSync(cap.file));
    let o = 0;
    while (o < bad.length && !(bad.readUInt32LE(o) === 6 && o > bad.length * 0.6)) o += bad.readUInt32LE(o + 4);
    assert.ok(o > 3 * 256 * 1024, `the damage is a few reads into the file (at ${o} of ${bad.length})`);
    bad.writeUInt32LE(0x7ffffff0, o + 4);
    const corrupt = path.join(dir, 'damaged.pcapng');
    fs.writeFileSync(corrupt, bad);
    const theirs = spawnSync('tshark', ['-n', '-r', corrupt], { encoding: 'utf8' }).stdout.trim().split('\n').length;
    const idx = await CaptureFileIndex.open(corrupt);
    let taken = 0;
    await idx.indexMore(Infinity, undefined, (_rec, i) => assert.equal(i, taken++));
    assert.equal(idx.count, theirs, 'indexed as many packets as tshark reads');
    assert.equal(taken, theirs, 'the first pass saw each of them (the read that met the damage too)');
    await idx.close();
    const m = await FilePacketListModel.open(corrupt);
    try {
      await m.whenComplete();
      assert.equal(m.status.total, theirs);
      assert.equal((await m.rows(0, theirs + 10)).rows.length, theirs);
      const st = await m.statistics();
      assert.equal(st.conversations.reduce((n, c) => n + c.aToB.packets + c.bToA.packets, 0), theirs, 'the statistics count every packet read');
      assert.match(m.status.error ?? '', /^[^\n]*corrupt[^\n]*\.$/, 'one sentence about the damage');
    } finally {
      m.dispose();
    }
  });

  it('a long pass reports progress and stops when aborted', async () => {
    const f = path.join(dir, 'abort.pcap');
    const n = writeTinyCapture(f, 8 * 1048576);
    const idx = await CaptureFileIndex.open(f);
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      idx.indexAll({ signal: ac.signal, onProgress: (p) => (seen.push(p.packets), p.packets > 60000 && ac.abort()) }),
      IndexCancelledError,
    );
    assert.ok(seen.length >= 2 && idx.count < n, `stopped at ${idx.count} of ${n}`);
    await idx.close();
  });

  for (const mib of long ? [256, 1024] : [256]) {
    it(`indexes ${mib} MiB of tiny records and reads pages anywhere under 200 MB max RSS (child process)`, async () => {
      const f = path.join(dir, `big-${mib}.pcap`);
      const n = writeTinyCapture(f, mib * 1048576);
      try {
        const r = await runMeasured([bundleForNode(path.join(__dirname, 'captureFileIndexChild.ts'), dir), f], { stdout: 'pipe', cwd: repoRoot, onStdout: (c) => (out += c.toString()), timeoutMs: long ? 800000 : 50000 });
        assert.equal(r.code, 0, r.stderr);
        const res = JSON.parse(out) as { count: number; firstRowsMs: number; fullMs: number; indexBytes: number };
        assert.equal(res.count, n);
        console.log(`      ${mib} MiB (${n} packets): first page ${res.firstRowsMs} ms, full index ${res.fullMs} ms, index ${(res.indexBytes / 1e6).toFixed(1)} MB, max RSS ${(r.maxRss / 1e6).toFixed(0)} MB`);
        assert.ok(r.maxRss < 200e6, `max RSS ${(r.maxRss / 1e6).toFixed(0)} MB`);
      } finally {
        fs.rmSync(f, { force: true });
      }
    });
  }
  let out = '';
  beforeEach(() => (out = ''));
});
