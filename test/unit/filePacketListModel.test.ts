// The file model (packets re-read on demand) shows exactly what the in-memory model shows, and its memory stays
// flat on large files of tiny records (run in a child process, max RSS measured by the kernel).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';
import { arraySource, FilterError, PacketListModel } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import type { PacketRecord } from '../../src/shared/packet';
import { repoRoot } from './helpers';
import { spawnSync } from 'node:child_process';
import { bundleForNode, runMeasured, writeTinyCapture } from './tinyCapture';

const long = process.env.SOCKET_LAB_LONG === '1';
const files = [
  ...fs.readdirSync(path.join(repoRoot, 'test', 'fixtures', 'packetPanel')).filter((f) => /\.pcapng?$/.test(f)).map((f) => path.join(repoRoot, 'test', 'fixtures', 'packetPanel', f)),
  ...fs.readdirSync(path.join(repoRoot, 'test', 'fixtures', 'decode')).map((f) => path.join(repoRoot, 'test', 'fixtures', 'decode', f)),
];

describe('packet panel: file model (capture never loaded whole)', function () {
  this.timeout(long ? 1800000 : 90000);
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'filemodel-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function same(file: string, filters: string[]): Promise<void> {
    const whole = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets;
    const mem = new PacketListModel(arraySource(whole), Infinity);
    const fm = await FilePacketListModel.open(file, 7);
    await fm.whenComplete();
    try {
      assert.equal(fm.status.total, whole.length);
      assert.deepEqual((await fm.rows(0, whole.length)).rows, mem.rows(0, whole.length).rows, file);
      for (let i = 0; i < whole.length; i += Math.max(1, Math.floor(whole.length / 40))) {
        assert.deepEqual(await fm.detail(i), mem.detail(i), `${file} detail ${i}`);
      }
      assert.deepEqual(fm.conversations(), mem.conversations());
      for (const c of mem.conversations()) {
        assert.deepEqual(await fm.diagram(c.key), mem.diagram(c.key));
        const last = mem.diagram(c.key)!.segments.at(-1)!.index;
        assert.deepEqual(await fm.diagram(c.key, last), mem.diagram(c.key, last), 'the diagram around a selected packet');
      }
      for (const f of filters) {
        await mem.setFilter(f);
        await fm.setFilter(f);
        assert.equal(fm.status.matched, mem.status.matched, f);
        assert.deepEqual((await fm.rows(0, 1e6)).rows, mem.rows(0, 1e6).rows, f);
        for (let i = 0; i < whole.length; i++) assert.equal(fm.positionOf(i), mem.positionOf(i), `${f} position ${i}`);
        const recs: PacketRecord[] = [];
        const key = mem.conversations()[0]?.key;
        if (key) {
          await fm.eachRecord(key, (r) => recs.push(r));
          assert.deepEqual(recs.map((r) => r.tsMicros), mem.records(key).map((r) => r.tsMicros));
        }
      }
      await assert.rejects(fm.setFilter('tcp.prot == 1'), FilterError);
    } finally {
      fm.dispose();
      mem.dispose();
    }
  }

  it('rows, details, conversations, diagrams and filters match the in-memory model on every fixture', async () => {
    for (const f of files) await same(f, ['tcp.flags.syn == 1', 'udp', 'tcp.len > 0', '']);
  });

  it('re-dissects from context checkpoints: a generated file past the first checkpoint gives the same rows', async () => {
    const f = path.join(dir, 'mid.pcap');
    writeTinyCapture(f, 5 * 1048576); // ~90k packets: past the first snapshot (65,536)
    const whole = readCaptureFile(new Uint8Array(fs.readFileSync(f))).packets;
    const mem = new PacketListModel(arraySource(whole), Infinity);
    const fm = await FilePacketListModel.open(f);
    await fm.whenComplete();
    for (const at of [0, 65530, whole.length - 50]) assert.deepEqual((await fm.rows(at, 50)).rows, mem.rows(at, 50).rows, `rows at ${at}`);
    // tshark is the oracle for what needs the whole file's context (the in-memory model replays one stream only).
    const d = await fm.detail(70000);
    const field = (id: string) => d?.layers.find((l) => l.name === 'tcp')?.fields.find((x) => x.id === id)?.display;
    const ts = spawnSync('tshark', ['-r', f, '-Y', 'frame.number == 70001', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.seq', '-e', 'tcp.ack'], { encoding: 'utf8' });
    assert.equal(ts.status, 0, ts.stderr);
    const [stream, seq, ack] = ts.stdout.trim().split('\t');
    assert.equal(field('tcp.stream'), stream);
    assert.match(field('tcp.seq') ?? '', new RegExp(`^${seq} `));
    assert.match(field('tcp.ack') ?? '', new RegExp(`^${ack} `));
    await fm.setFilter('tcp.flags.syn == 1');
    await mem.setFilter('tcp.flags.syn == 1');
    assert.equal(fm.status.matched, mem.status.matched);
    assert.deepEqual((await fm.rows(200, 30)).rows, mem.rows(200, 30).rows);
    fm.dispose();
    mem.dispose();
  });

  it('a filter pass can be cancelled and leaves the previous filter in place', async () => {
    const f = path.join(dir, 'cancel.pcap');
    writeTinyCapture(f, 4 * 1048576);
    const fm = await FilePacketListModel.open(f);
    await fm.whenComplete();
    const ac = new AbortController();
    const progress: number[] = [];
    await assert.rejects(fm.setFilter('udp', { signal: ac.signal, onProgress: (x) => (progress.push(x), ac.abort()) }), { code: 'ECANCELED' });
    assert.equal(fm.filter, '');
    assert.equal(fm.status.matched, fm.status.total);
    fm.dispose();
  });

  it('Cancel during the first pass keeps what was read: rows, filter and export work on it', async () => {
    const f = path.join(dir, 'stop.pcap');
    const n = writeTinyCapture(f, 8 * 1048576);
    const fm = await FilePacketListModel.open(f);
    const ac = new AbortController();
    const seen: number[] = [];
    await fm.whenComplete({ signal: ac.signal, onProgress: (x) => (seen.push(x), ac.abort()) });
    const { total, complete } = fm.status;
    assert.ok(seen.length >= 1 && !complete && total > 0 && total < n, `stopped at ${total} of ${n}`);
    assert.equal((await fm.rows(total - 5, 10)).rows.length, 5);
    const st = await fm.setFilter('tcp');
    assert.ok(st.matched > 0 && st.matched < total);
    assert.equal(fm.status.total, total, 'the filter does not restart the cancelled pass');
    fm.dispose();
  });

  it('refuses an empty file, a non-capture and a folder with a coded error (the panel turns it into one sentence)', async () => {
    const empty = path.join(dir, 'empty.pcap');
    fs.writeFileSync(empty, '');
    await assert.rejects(FilePacketListModel.open(empty), { code: 'ETRUNCATED' });
    const junk = path.join(dir, 'junk.pcap');
    fs.writeFileSync(junk, 'hello, not a capture');
    await assert.rejects(FilePacketListModel.open(junk), { code: 'EBADMAGIC' });
    await assert.rejects(FilePacketListModel.open(dir), { code: 'EISDIR' });
    await assert.rejects(FilePacketListModel.open(path.join(dir, 'missing.pcap')), { code: 'ENOENT' });
  });

  it('exports the whole file or one connection by streaming, and a cancelled export leaves the target as it was', async () => {
    const src = path.join(repoRoot, 'test', 'fixtures', 'packetPanel', 'loopbackTcp.pcapng');
    const fm = await FilePacketListModel.open(src);
    await fm.whenComplete();
    for (const format of ['pcap', 'pcapng'] as const) {
      const out = path.join(dir, `all.${format}`);
      await fm.exportTo(out, format, undefined);
      const ts = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.len', '-e', 'tcp.seq'], { encoding: 'utf8' });
      const ref = spawnSync('tshark', ['-r', src, '-T', 'fields', '-e', 'frame.len', '-e', 'tcp.seq'], { encoding: 'utf8' });
      assert.equal(ts.status, 0, ts.stderr);
      assert.equal(ts.stdout, ref.stdout, format);
    }
    const one = path.join(dir, 'one.pcapng');
    await fm.exportTo(one, 'pcapng', fm.conversations()[0].key);
    assert.equal(readCaptureFile(new Uint8Array(fs.readFileSync(one))).packets.length, fm.conversations()[0].packets);
    const keep = path.join(dir, 'keep.pcap');
    fs.writeFileSync(keep, 'mine');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(fm.exportTo(keep, 'pcap', undefined, { signal: ac.signal }), { code: 'ECANCELED' });
    assert.equal(fs.readFileSync(keep, 'utf8'), 'mine');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.part')), [], 'no temporary file left behind');
    fm.dispose();
  });

  for (const mib of long ? [16, 256, 1024] : [16]) {
    it(`opens ${mib} MiB of tiny records, first rows fast, full pass and a filter under 200 MB max RSS (child process)`, async () => {
      const f = path.join(dir, `big-${mib}.pcap`);
      const n = writeTinyCapture(f, mib * 1048576);
      let out = '';
      try {
        const child = bundleForNode(path.join(__dirname, 'filePacketListModelChild.ts'), dir);
        const r = await runMeasured([child, f], { stdout: 'pipe', cwd: repoRoot, onStdout: (c) => (out += c.toString()), timeoutMs: long ? 1700000 : 80000 });
        assert.equal(r.code, 0, r.stderr);
        const res = JSON.parse(out) as { total: number; firstRowsMs: number; fullMs: number; filterMs: number; matched: number };
        assert.equal(res.total, n);
        console.log(`      ${mib} MiB (${n} packets): first rows ${res.firstRowsMs} ms, full pass ${res.fullMs} ms, filter ${res.filterMs} ms, max RSS ${(r.maxRss / 1e6).toFixed(0)} MB`);
        assert.ok(r.maxRss < 200e6, `max RSS ${(r.maxRss / 1e6).toFixed(0)} MB`);
      } finally {
        fs.rmSync(f, { force: true });
      }
    });
  }
});
