// Wireshark's TCP sequence analysis against tshark on captures the real kernel makes in three network namespaces
// (test/fixtures/tcpAnalysis/makeCaptures.py: a raw-socket relay drops, duplicates and reorders segments; a slow
// reader with a small receive buffer; a one-second keep-alive; a RST and a reused port), on a copy with records
// deleted (lost segments), through the replay log (a row click) and the display filter.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DissectContext, type DissectedPacket, allFields, dissect, findField } from '../../src/core/decode/dissect';
import { compileFilter } from '../../src/core/decode/displayFilter';
import { ReplayLog } from '../../src/core/decode/replayLog';
import { TA_ACK_LOST_PACKET, TA_LOST_PACKET, type TcpSegmentFacts, analyzeSegment, newConversationAnalysis, summarizeTcpConnection } from '../../src/core/decode/tcpAnalysis';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { TSHARK_OPTIONS, compareWithTshark, hasTshark } from '../agreement';
import { TCP, ascii, eth, ipv4, record, tcp } from './decodeFrames';
import { repoRoot } from './helpers';

const FLAGS = ['retransmission', 'fast_retransmission', 'spurious_retransmission', 'out_of_order', 'lost_segment', 'ack_lost_segment', 'duplicate_ack', 'zero_window', 'zero_window_probe', 'zero_window_probe_ack', 'window_full', 'window_update', 'keep_alive', 'keep_alive_ack', 'reused_ports'];

function tsharkCount(file: string, filter: string): number {
  const r = spawnSync('tshark', ['-r', file, ...TSHARK_OPTIONS, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

function ours(file: string): DissectedPacket[] {
  const cap = readCaptureFile(new Uint8Array(fs.readFileSync(file)));
  const ctx = new DissectContext({ analyzeTcp: true });
  return cap.packets.map((rec, i) => dissect(rec, ctx, i + 1));
}

describe('TCP sequence analysis agrees with tshark on captures the kernel makes', function () {
  this.timeout(180_000);
  let dir = '';
  let files: string[] = [];
  let why = '';

  before(function () {
    if (!hasTshark()) this.skip(); // nothing to compare against
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-tcpa-'));
    const script = path.join(repoRoot, 'test', 'fixtures', 'tcpAnalysis', 'makeCaptures.py');
    // Three namespaces and AF_PACKET need root (this machine runs as root); elsewhere the part is skipped with the reason.
    const r = spawnSync('unshare', ['-n', 'python3', script, dir], { encoding: 'utf8', timeout: 90_000 });
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.status === 0 && line.startsWith('{')) files = (JSON.parse(line) as { files: string[] }).files.map((f) => path.join(dir, f));
    if (files.length === 0) {
      why = `unshare -n: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`;
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    // A copy of the sender's capture with some data records deleted: previous segment not captured, ACKed unseen.
    const cap = readCaptureFile(new Uint8Array(fs.readFileSync(files[0])));
    const kept = cap.packets.filter((_, i) => i % 37 !== 20);
    const cut = path.join(dir, 'sender-cut.pcap');
    fs.writeFileSync(cut, writeCaptureFile(kept, 'pcap'));
    files.push(cut);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every tcp.analysis field tshark emits, value by value (≥ 99.5%), and the flags counted alike', () => {
    let compared = 0;
    let agreeing = 0;
    const worst: string[] = [];
    const counts: { ours: string; theirs: string }[] = [];
    for (const f of files) {
      const r = compareWithTshark(f, { maxDisagreements: 100_000 });
      assert.equal(r.skipped, undefined, r.skipped);
      for (const d of r.disagreements) if (d.field.startsWith('tcp.analysis') && worst.length < 10) worst.push(`${path.basename(f)} #${d.packet} ${d.field}: ${JSON.stringify(d.ours)} vs ${JSON.stringify(d.theirs)}`);
      const bad = r.disagreements.filter((d) => d.field.startsWith('tcp.analysis')).length;
      const pkts = ours(f);
      let n = 0;
      for (const p of pkts) for (const fl of allFields(p)) if (fl.id.startsWith('tcp.analysis')) n++;
      compared += n;
      agreeing += n - bad;
      const row = FLAGS.map((fl) => {
        const [o, t] = [pkts.filter(compileFilter(`tcp.analysis.${fl}`)).length, tsharkCount(f, `tcp.analysis.${fl}`)];
        counts.push({ ours: `${path.basename(f)} ${fl}=${o}`, theirs: `${path.basename(f)} ${fl}=${t}` });
        return `${fl}=${o}/${t}`;
      });
      console.log(`      ${path.basename(f)} (ours/tshark): ${row.join(' ')}`);
    }
    console.log(`      tcp.analysis values: ${agreeing}/${compared} agree`);
    assert.ok(agreeing / compared >= 0.995, worst.join('\n'));
    assert.deepEqual(counts.map((c) => c.ours), counts.map((c) => c.theirs), 'flag counts differ (see the rows above)');
  });

  it('the kernel gave the flags the captures are made for', () => {
    const pkts = files.flatMap(ours);
    for (const fl of ['retransmission', 'duplicate_ack', 'zero_window', 'window_full', 'window_update', 'keep_alive', 'keep_alive_ack', 'reused_ports', 'lost_segment', 'ack_lost_segment', 'out_of_order']) {
      assert.ok(pkts.some(compileFilter(`tcp.analysis.${fl}`)), `no tcp.analysis.${fl}`);
    }
    assert.ok(pkts.some((p) => /^\[TCP Dup ACK \d+#\d+\] /.test(p.summary.info)));
    assert.ok(pkts.some((p) => p.summary.info.startsWith('[TCP ZeroWindow] ')));
  });

  it('the filter counts as tshark does (flags, ack_rtt > 0.0001), also where records are missing', () => {
    for (const f of files) {
      const pkts = ours(f);
      for (const expr of ['tcp.analysis.flags', 'tcp.analysis.ack_lost_segment', 'tcp.analysis.ack_rtt > 0.0001', 'tcp.analysis.retransmission', 'tcp.analysis.bytes_in_flight > 10000']) {
        assert.equal(pkts.filter(compileFilter(expr)).length, tsharkCount(f, expr), `${path.basename(f)}: ${expr}`);
      }
    }
  });

  it('a row click (the replay log) shows what the first pass found', () => {
    const cap = readCaptureFile(new Uint8Array(fs.readFileSync(files[1])));
    const ctx = new DissectContext({ analyzeTcp: true });
    const log = new ReplayLog();
    const first = cap.packets.map((rec, i) => {
      const p = dissect(rec, ctx, i + 1);
      log.record(i, p);
      return p;
    });
    const text = (p: DissectedPacket) => JSON.stringify([...allFields(p)].filter((f) => f.id.startsWith('tcp.analysis')).map((f) => [f.id, f.value]));
    let flagged = 0;
    for (let i = cap.packets.length - 1; i >= 0; i--) {
      const again = log.dissect(cap.packets[i], i, i + 1)!;
      assert.equal(again.summary.info, first[i].summary.info, `#${i + 1}`);
      assert.equal(text(again), text(first[i]), `#${i + 1}`);
      if (again.tcp?.analysis?.flags) flagged++;
    }
    assert.ok(flagged > 10);
  });

  it('a learner summary per connection: handshake RTT, retransmissions, zero windows, who closed, RST or FIN', () => {
    const pkts = ours(files[0]);
    const streams = new Map<number, NonNullable<DissectedPacket['tcp']>[]>();
    for (const p of pkts) if (p.tcp) streams.set(p.tcp.stream, [...(streams.get(p.tcp.stream) ?? []), p.tcp]);
    const sums = [...streams.values()].map(summarizeTcpConnection);
    assert.ok(sums.every((s) => s.handshakeRttMs !== undefined && s.handshakeRttMs > 0));
    assert.ok(sums.some((s) => s.retransmissions > 0));
    assert.ok(sums.some((s) => s.zeroWindows > 0));
    assert.ok(sums.some((s) => s.end === 'RST'));
    assert.ok(sums.some((s) => s.end === 'FIN' && s.firstFin === 'A'));
  });
});

describe('TCP analysis: ACKed unseen segment (Wireshark 4.0 rule)', () => {
  // A sends 100-byte segments from seq 1; B only ACKs. Lists of [sender, seq, ack, len]; flags ACK(|PSH).
  function run(segments: [0 | 1, number, number, number][]): number[] {
    const conv = newConversationAnalysis();
    return segments.map(([dir, seq, ack, len], i) => {
      const s: TcpSegmentFacts = { frame: i + 1, tsUs: 1000 * (i + 1), seq, ack, seglen: len, flags: 0x10, window: 500, peerWinScale: -2, sack: undefined, reusedPorts: false };
      return analyzeSegment(conv, dir, s)?.flags ?? 0;
    });
  }

  it('each later hole the other side ACKs is said again, once', () => {
    const flags = run([
      [0, 1, 1, 100],
      // 101..200 not captured
      [0, 201, 1, 100],
      [1, 1, 301, 0], // ACKs the first hole
      [0, 301, 1, 100],
      // 401..500 not captured
      [0, 501, 1, 100],
      [1, 1, 601, 0], // ACKs the second hole: the old rule (hole test reversed) said nothing here
      [1, 1, 601, 0],
    ]);
    assert.deepEqual(flags.map((f) => f & (TA_LOST_PACKET | TA_ACK_LOST_PACKET)), [0, TA_LOST_PACKET, TA_ACK_LOST_PACKET, 0, TA_LOST_PACKET, TA_ACK_LOST_PACKET, 0]);
  });

  it('an ACK past all the other side sent is said once while that side only sends pure ACKs', () => {
    const flags = run([
      [0, 1, 1, 100],
      [1, 1, 301, 0], // 101..300 never seen at all
      [1, 1, 401, 0],
      [0, 101, 1, 0], // A repeats its ACK (a duplicate ACK): B's next one is not said again
      [1, 1, 501, 0],
    ]);
    assert.deepEqual(flags.map((f) => f & TA_ACK_LOST_PACKET), [0, TA_ACK_LOST_PACKET, 0, 0, 0]);
  });
});

/** Dissects crafted segments [from the client?, seq, ack, flags, payload] between 10.0.0.1:40000 and 10.0.0.2:`port`. */
function crafted(segs: [boolean, number, number, number, string][], port: number, desegmentTcp = true): DissectedPacket[] {
  const ctx = new DissectContext({ analyzeTcp: true, desegmentTcp });
  return segs.map(([client, seq, ack, flags, data], i) => {
    const [src, dst, sport, dport] = client ? ['10.0.0.1', '10.0.0.2', 40000, port] : ['10.0.0.2', '10.0.0.1', port, 40000];
    return dissect(record(eth(ipv4(tcp(ascii(data), { sport, dport, seq, ack, flags, win: 500 }), { src, dst })), undefined, 1_000_000 + 1000 * i), ctx, i + 1);
  });
}

describe('TCP analysis on crafted segments (expectations from tshark 4.0.17 on the same segments)', () => {
  it("a keep-alive's byte is data, not the port's protocol, with or without reassembly", () => {
    const req = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    const segs: [boolean, number, number, number, string][] = [
      [true, 1000, 0, TCP.SYN, ''],
      [false, 5000, 1001, TCP.SYN | TCP.ACK, ''],
      [true, 1001, 5001, TCP.ACK, ''],
      [true, 1001, 5001, TCP.PSH | TCP.ACK, req],
      [false, 5001, 1001 + req.length, TCP.ACK, ''],
      [true, 1000 + req.length, 5001, TCP.ACK, '\0'],
      [false, 5001, 1001 + req.length, TCP.ACK, ''],
    ];
    for (const desegment of [false, true]) {
      const [ka, ack] = crafted(segs, 80, desegment).slice(5);
      assert.equal(findField(ka, 'frame.protocols')?.value, 'eth:ethertype:ip:tcp:data');
      assert.equal(ka.summary.info, '[TCP Keep-Alive] 40000 → 80 [ACK] Seq=27 Ack=1 Win=500 Len=1');
      assert.equal(ack.summary.info, '[TCP Keep-Alive ACK] 80 → 40000 [ACK] Seq=1 Ack=28 Win=500 Len=0');
    }
  });


  it('a repeated SYN is a retransmission; a SYN-ACK with a new sequence number reuses the ports', () => {
    // [from the client?, seq, ack, flags, payload]; the client is 10.0.0.1:40000.
    const segs: [boolean, number, number, number, string][] = [
      [true, 1000, 0, TCP.SYN, ''],
      [true, 1000, 0, TCP.SYN, ''],
      [false, 5000, 1001, TCP.SYN | TCP.ACK, ''],
      [true, 1001, 5001, TCP.ACK, ''],
      [true, 1001, 5001, TCP.PSH | TCP.ACK, '0123456789'],
      [false, 9000, 1001, TCP.SYN | TCP.ACK, ''],
      [true, 1011, 9001, TCP.ACK, ''],
    ];
    assert.deepEqual(crafted(segs, 81).map((p) => p.summary.info), [
      '40000 → 81 [SYN] Seq=0 Win=500 Len=0',
      '[TCP Retransmission] 40000 → 81 [SYN] Seq=0 Win=500 Len=0',
      '81 → 40000 [SYN, ACK] Seq=0 Ack=1 Win=500 Len=0',
      '40000 → 81 [ACK] Seq=1 Ack=1 Win=500 Len=0',
      '40000 → 81 [PSH, ACK] Seq=1 Ack=1 Win=500 Len=10',
      '[TCP Previous segment not captured] [TCP Port numbers reused] 81 → 40000 [SYN, ACK] Seq=0 Ack=1 Win=500 Len=0',
      '[TCP ACKed unseen segment] 40000 → 81 [ACK] Seq=11 Ack=1 Win=500 Len=0',
    ]);
  });
});

describe('TCP analysis state in a bounded context', () => {
  it('conversations the context forgets give their slots back; the ones kept and the new ones analyse as before', function () {
    this.timeout(60_000);
    const ctx = new DissectContext({ analyzeTcp: true });
    // Two segments from `port` (the second repeats the first's ACK: a duplicate ACK once both are seen).
    const seg = (port: number, i: number, dst = '10.0.0.2') => record(eth(ipv4(tcp(new Uint8Array(0), { sport: port, dport: 80, seq: 1000, ack: 5000, flags: TCP.ACK, win: 500 }), { src: '10.0.0.1', dst })), undefined, 1_000_000 + i);
    let n = 0;
    const first = dissect(seg(1, n), ctx, ++n);
    assert.equal(first.tcp?.analysis, undefined);
    // 40,000 more conversations: past the table's bound (32,768), the oldest quarter is forgotten.
    for (let c = 0; c < 40_000; c++) dissect(seg(1000 + (c % 60000), n, `10.1.${c >> 8}.${c & 0xff}`), ctx, ++n);
    // Every conversation the table still holds has slots, and no other (no UDP here: size counts TCP ones).
    assert.ok(ctx.size < 40_001);
    assert.equal(ctx.analysisPool?.held, ctx.size);
    // The first conversation was forgotten: its segment again starts afresh (no duplicate ACK), then repeats do.
    const again = dissect(seg(1, n), ctx, ++n);
    assert.equal(again.tcp?.analysis?.flags ?? 0, 0);
    assert.match(dissect(seg(1, n), ctx, ++n).summary.info, /^\[TCP Dup ACK \d+#1\] /);
    // The newest conversation was kept: its repeat is a duplicate ACK of it.
    const c = 39_999;
    assert.match(dissect(seg(1000 + c, n, `10.1.${c >> 8}.${c & 0xff}`), ctx, n + 1).summary.info, /^\[TCP Dup ACK 40001#1\] /);
  });
});
