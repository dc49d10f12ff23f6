import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { LinkType, type PacketRecord } from '../../src/shared/packet';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { CaptureFormatError, MAX_BLOCK_BYTES, PcapStreamReader } from '../../src/core/pcap/pcapStreamReader';
import { CaptureWriteError, PcapWriter, PcapngWriter, writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { TCP, ascii, cat, eth, ipv4, record, sll2, tcp, udp } from './decodeFrames';
import { repoRoot } from './helpers';

const has = (bin: string) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).error === undefined;
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'decode');

function samplePackets(): PacketRecord[] {
  return [
    record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN }))), LinkType.ETHERNET, 1_700_000_000_000_001),
    record(eth(ipv4(udp(ascii('odd length!')), { proto: 17 })), LinkType.ETHERNET, 1_700_000_000_500_000),
    record(eth(ipv4(tcp(ascii('x'.repeat(300)), { flags: TCP.ACK }))).subarray(0, 100), LinkType.ETHERNET, 1_700_000_001_000_000, 14 + 20 + 20 + 300),
  ];
}

/** Pushes `bytes` in pieces of the given sizes (cycled) and collects the records. */
function pushInChunks(bytes: Uint8Array, sizes: number[]): { packets: PacketRecord[]; reader: PcapStreamReader } {
  const reader = new PcapStreamReader();
  const packets: PacketRecord[] = [];
  for (let o = 0, k = 0; o < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    packets.push(...reader.push(bytes.subarray(o, o + n)));
    o += n;
  }
  reader.end();
  return { packets, reader };
}

const same = (a: PacketRecord[], b: PacketRecord[]) =>
  assert.deepEqual(
    a.map((p) => [p.tsMicros, p.origLen, p.linkType, [...p.data]]),
    b.map((p) => [p.tsMicros, p.origLen, p.linkType, [...p.data]]),
  );

describe('pcap/pcapng writers and the stream reader', () => {
  it('pcap: header fields, records, and a round trip byte by byte', () => {
    const pkts = samplePackets();
    const w = new PcapWriter({ linkType: LinkType.ETHERNET, snaplen: 65535 });
    const h = w.header();
    const v = new DataView(h.buffer);
    assert.deepEqual([h.length, v.getUint32(0, true), v.getUint16(4, true), v.getUint16(6, true), v.getUint32(16, true), v.getUint32(20, true)], [24, 0xa1b2c3d4, 2, 4, 65535, 1]);
    const file = cat(h, ...pkts.map((p) => w.packet(p)));
    assert.equal(file.length, 24 + pkts.reduce((n, p) => n + 16 + p.data.length, 0));
    const one = pushInChunks(file, [1]);
    same(one.packets, pkts);
    assert.deepEqual([one.reader.format, one.reader.linkType, one.reader.snaplen], ['pcap', 1, 65535]);
    same(pushInChunks(file, [7, 3, 100, 1]).packets, pkts);
    assert.throws(() => w.packet(record(new Uint8Array(4), LinkType.RAW)), (e: unknown) => e instanceof CaptureWriteError && e.code === 'ELINKTYPE');
  });

  it('pcap: the snap length cuts long packets but keeps the wire length', () => {
    const w = new PcapWriter({ linkType: LinkType.ETHERNET, snaplen: 50 });
    const big = record(new Uint8Array(200).fill(7));
    const back = readCaptureFile(cat(w.header(), w.packet(big))).packets[0];
    assert.deepEqual([back.data.length, back.origLen], [50, 200]);
  });

  it('pcapng: SHB, IDB (link type, snaplen, if_tsresol), EPB padded to 32 bits, extra IDB for a second link type', () => {
    const pkts = [...samplePackets(), record(sll2(ipv4(udp(ascii('s')), { proto: 17 })), LinkType.LINUX_SLL2, 1_700_000_002_000_000)];
    const w = new PcapngWriter({ linkType: LinkType.ETHERNET, snaplen: 262144, interfaceName: 'lo', application: 'Socket Lab test' });
    const parts = [w.header(), ...pkts.map((p) => w.packet(p))];
    const file = cat(...parts);
    const v = new DataView(file.buffer);
    assert.equal(v.getUint32(0, true), 0x0a0d0d0a);
    assert.equal(v.getUint32(8, true), 0x1a2b3c4d);
    const shbLen = v.getUint32(4, true);
    assert.equal(v.getUint32(shbLen, true), 1); // IDB follows the SHB
    assert.equal(v.getUint16(shbLen + 8, true), LinkType.ETHERNET);
    assert.equal(v.getUint32(shbLen + 12, true), 262144);
    for (const p of parts) assert.equal(p.length % 4, 0);
    // The SLL2 packet's block carries an IDB first (interface 1).
    const last = parts.at(-1) as Uint8Array;
    const lv = new DataView(last.buffer, last.byteOffset);
    assert.equal(lv.getUint32(0, true), 1);
    assert.equal(lv.getUint16(8, true), LinkType.LINUX_SLL2);
    const back = pushInChunks(file, [1, 2, 3, 5, 8, 13]);
    same(back.packets, pkts);
    assert.equal(back.reader.format, 'pcapng');
    same(readCaptureFile(writeCaptureFile(pkts, 'pcapng')).packets, pkts);
  });

  it('reads big-endian pcap, nanosecond pcap, and pcapng with other byte order, resolutions, SPB and unknown blocks', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    // Big-endian, nanosecond magic.
    const be = new DataView(new ArrayBuffer(24 + 16 + 5));
    be.setUint32(0, 0xa1b23c4d);
    be.setUint16(4, 2);
    be.setUint16(6, 4);
    be.setUint32(16, 65535);
    be.setUint32(20, 101);
    be.setUint32(24, 10);
    be.setUint32(28, 123456789);
    be.setUint32(32, 5);
    be.setUint32(36, 9);
    const beBytes = new Uint8Array(be.buffer);
    beBytes.set(data, 40);
    const r1 = readCaptureFile(beBytes).packets[0];
    assert.deepEqual([r1.tsMicros, r1.origLen, r1.linkType, [...r1.data]], [10_123_456, 9, 101, [1, 2, 3, 4, 5]]);

    // Big-endian pcapng: SHB, NRB-like unknown block, IDB with if_tsresol=9 (ns), EPB, SPB; then a little-endian section with 2^-10 resolution.
    const blk = (le: boolean, type: number, body: number[]) => {
      const total = 12 + body.length;
      const b = new DataView(new ArrayBuffer(total));
      b.setUint32(0, type, le);
      b.setUint32(4, total, le);
      new Uint8Array(b.buffer).set(body, 8);
      b.setUint32(total - 4, total, le);
      return new Uint8Array(b.buffer);
    };
    const w32 = (le: boolean, n: number) => {
      const b = new DataView(new ArrayBuffer(4));
      b.setUint32(0, n, le);
      return [...new Uint8Array(b.buffer)];
    };
    const w16 = (le: boolean, n: number) => (le ? [n & 0xff, n >> 8] : [n >> 8, n & 0xff]);
    const shb = (le: boolean) => blk(le, 0x0a0d0d0a, [...w32(le, 0x1a2b3c4d), ...w16(le, 1), ...w16(le, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const idb = (le: boolean, link: number, resol: number) => blk(le, 1, [...w16(le, link), 0, 0, ...w32(le, 0), ...w16(le, 9), ...w16(le, 1), resol, 0, 0, 0, 0, 0, 0, 0]);
    const epb = (le: boolean, hi: number, lo: number) => blk(le, 6, [...w32(le, 0), ...w32(le, hi), ...w32(le, lo), ...w32(le, 5), ...w32(le, 5), ...data, 0, 0, 0]);
    const spb = (le: boolean) => blk(le, 3, [...w32(le, 5), ...data, 0, 0, 0]);
    const ns = 1_700_000_000_123_456_789n;
    const file = cat(
      shb(false),
      blk(false, 4, [0, 0, 0, 0]),
      idb(false, 1, 9),
      epb(false, Number(ns >> 32n), Number(ns & 0xffffffffn)),
      spb(false),
      shb(true),
      idb(true, 113, 0x80 | 10),
      epb(true, 0, 3 * 1024 + 512),
    );
    const pk = pushInChunks(file, [3]).packets;
    assert.deepEqual(
      pk.map((p) => [p.tsMicros, p.linkType, p.data.length]),
      [
        [1_700_000_000_123_456, 1, 5],
        [0, 1, 5],
        [3_500_000, 113, 5],
      ],
    );
  });

  it('rejects corrupt streams with a coded, readable error and without allocating for absurd lengths', () => {
    const expectError = (bytes: Uint8Array, code: string, re: RegExp) => {
      const r = new PcapStreamReader();
      assert.throws(
        () => {
          r.push(bytes);
          r.end();
        },
        (e: unknown) => e instanceof CaptureFormatError && e.code === code && re.test(e.message),
      );
      // The error sticks: a later push does not resume parsing garbage.
      assert.throws(() => r.push(new Uint8Array(4)), CaptureFormatError);
      return r;
    };
    expectError(ascii('GIF89a not a capture'), 'EBADMAGIC', /not a pcap or pcapng capture/);
    // the bytes in file order (it used to print them as a little-endian word: 0x03020100)
    expectError(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]), 'EBADMAGIC', /its first bytes are 00 01 02 03\)/);
    const w = new PcapWriter({ linkType: 1 });
    const rec = w.packet(record(new Uint8Array(10)));
    new DataView(rec.buffer).setUint32(8, 0xffffffff, true);
    const huge = expectError(cat(w.header(), rec), 'EBADLENGTH', /4294967295 bytes.*corrupt/);
    assert.ok(huge.pendingBytes < 1024, 'no buffer grown for the declared length');
    const ng = new PcapngWriter({ linkType: 1 });
    const head = ng.header();
    const epb = ng.packet(record(new Uint8Array(10)));
    const bad = (mutate: (v: DataView) => void) => {
      const copy = epb.slice();
      mutate(new DataView(copy.buffer));
      return cat(head, copy);
    };
    expectError(bad((v) => v.setUint32(4, MAX_BLOCK_BYTES + 4, true)), 'EBADLENGTH', /more than the 16 MiB limit/);
    expectError(bad((v) => v.setUint32(4, 14, true)), 'EBADBLOCK', /impossible length 14/);
    expectError(bad((v) => v.setUint32(v.byteLength - 4, 8, true)), 'EBADBLOCK', /mismatched length/);
    expectError(bad((v) => v.setUint32(8, 3, true)), 'ENOINTERFACE', /interface 3/);
    expectError(bad((v) => v.setUint32(20, 1000, true)), 'EBADBLOCK', /holds 1000 bytes/);
    // an interface option whose length runs past its block (tshark: "damaged or corrupt"); read on, the if_tsresol
    // after it was lost and every time was 1000× off
    const lying = head.slice();
    const at = lying.findIndex((_, i) => lying[i] === 9 && lying[i + 1] === 0 && lying[i + 2] === 1 && lying[i + 3] === 0);
    assert.ok(at > 0, 'the writer puts if_tsresol in its interface description');
    lying[at + 2] = 0xff;
    lying[at + 3] = 0xff;
    expectError(cat(lying, epb), 'EBADBLOCK', /option of 65535 bytes that runs past its block: the file is damaged or corrupt/);
    expectError(cat(w.header(), w.packet(record(new Uint8Array(10)))).subarray(0, 30), 'ETRUNCATED', /cut off/);
    expectError(new Uint8Array(0), 'ETRUNCATED', /empty/);
  });

  it('reads files written by tcpdump and dumpcap (pcap Ethernet, SLL, SLL2, pcapng) with the counts capinfos reports', function () {
    const files = fs.readdirSync(fixtures).filter((f) => /\.pcap(ng)?$/.test(f));
    assert.ok(files.length >= 5);
    for (const f of files) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, f)));
      const cap = readCaptureFile(bytes);
      assert.ok(cap.packets.length >= 10, f);
      const ctx = new DissectContext();
      const decoded = cap.packets.map((p) => dissect(p, ctx));
      assert.ok(decoded.some((d) => d.summary.info.includes('[SYN]')), `${f} has a SYN`);
      assert.ok(decoded.some((d) => d.summary.info.includes('[FIN, ACK]')), `${f} has a FIN`);
      if (has('capinfos')) {
        const out = spawnSync('capinfos', ['-M', '-c', path.join(fixtures, f)], { encoding: 'utf8' }).stdout;
        assert.equal(Number(/Number of packets:\s+(\d+)/.exec(out)?.[1]), cap.packets.length, f);
      }
    }
  });

  it('capinfos and tshark accept files our writers produce, with the same count and encapsulation', function () {
    if (!has('capinfos') || !has('tshark')) this.skip(); // Wireshark command-line tools are not installed here
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-test-'));
    try {
      const eth1 = samplePackets();
      const cases: [string, Uint8Array, string, number][] = [
        ['a.pcap', writeCaptureFile(eth1, 'pcap'), 'Ethernet', 3],
        ['b.pcapng', writeCaptureFile(eth1, 'pcapng', { interfaceName: 'lo', application: 'Socket Lab' }), 'Ethernet', 3],
        ['c.pcapng', writeCaptureFile([...eth1, record(sll2(ipv4(udp(ascii('s')), { proto: 17 })), LinkType.LINUX_SLL2)], 'pcapng'), 'Per packet', 4],
        ['d.pcap', writeCaptureFile([record(sll2(ipv4(udp(ascii('s')), { proto: 17 })), LinkType.LINUX_SLL2)], 'pcap'), 'Linux cooked-mode capture v2', 1],
      ];
      for (const [name, bytes, encap, count] of cases) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, bytes);
        const info = spawnSync('capinfos', ['-c', '-E', file], { encoding: 'utf8' });
        assert.equal(info.status, 0, info.stderr);
        assert.match(info.stdout, new RegExp(`File encapsulation:\\s+${encap}`), name);
        assert.equal(Number(/Number of packets:\s+(\d+)/.exec(info.stdout)?.[1]), count, name);
        const ts = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8' });
        assert.equal(ts.status, 0, ts.stderr);
        assert.equal(ts.stdout.trim().split('\n').length, count, name);
        assert.doesNotMatch(ts.stderr, /appears to be damaged|cut short/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams tcpdump -w - output from a live loopback capture into packets (the handshake shows up)', async function () {
    if (!has('tcpdump') || process.getuid?.() !== 0) this.skip(); // needs tcpdump and the right to capture on lo
    this.timeout(20000);
    const server = net.createServer((s) => s.end('bye'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const td = spawn('tcpdump', ['-i', 'lo', '-U', '-w', '-', '-c', '6', `tcp port ${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reader = new PcapStreamReader();
    const got: PacketRecord[] = [];
    td.stdout.on('data', (c: Buffer) => got.push(...reader.push(c)));
    const done = new Promise<void>((r) => td.on('close', () => r()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('tcpdump did not start')), 10000);
        td.stderr.on('data', (c: Buffer) => {
          if (c.toString().includes('listening on')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      await new Promise<void>((r) => {
        const c = net.connect(port, '127.0.0.1', () => c.end());
        c.on('close', () => r());
        c.resume();
      });
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    } finally {
      td.kill('SIGTERM');
      await done;
      server.close();
    }
    const ctx = new DissectContext();
    const infos = got.map((p) => dissect(p, ctx).summary.info);
    assert.ok(infos.length >= 3, infos.join('\n'));
    assert.match(infos[0], new RegExp(`→ ${port} \\[SYN\\] Seq=0 `));
    assert.match(infos[1], new RegExp(`^${port} → \\d+ \\[SYN, ACK\\] Seq=0 Ack=1 `));
    assert.match(infos[2], /\[ACK\] Seq=1 Ack=1 /);
  });
});
