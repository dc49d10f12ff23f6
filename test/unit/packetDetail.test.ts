// A row click in the packet panel: the details are those of the capture's first pass (one front-to-back
// dissection), for every packet of a varied capture, and they cost one record read whatever the connection's length.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { arraySource, PacketListModel, tcpFacts, toWireField, type PacketSource } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import type { PacketRecord } from '../../src/shared/packet';
import { arp, ascii, cat, dnsQuery, eth, icmpEcho, ipv4, ipv6, record, TCP, tcp, tcpOpt, u16, u32, udp } from './decodeFrames';
import { repoRoot } from './helpers';

const fixtures = ['packetPanel/loopbackTcp.pcapng', 'decode/lo4.pcap', 'decode/lo6.pcap', 'decode/any-sll.pcap', 'decode/any-sll2.pcap'].flatMap(
  (f) => readCaptureFile(new Uint8Array(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', f)))).packets,
);

/** One TCP connection's segments: handshake (optional), data with retransmissions and reordering, SACKs, teardown. */
function connection(c: number, segments: number): Uint8Array[] {
  const sport = 40000 + c;
  const cIsn = (0x9000_0000 + c * 7919) >>> 0;
  const sIsn = 0x0100_0000 + c;
  const opts = c % 2 === 0 ? [...tcpOpt.mss(1460), ...tcpOpt.ws(2 + c), ...tcpOpt.sackPerm(), ...tcpOpt.nop()] : [];
  const c2s = (payload: Uint8Array, o: Parameters<typeof tcp>[1]) => eth(ipv4(tcp(payload, { sport, dport: 8000, ...o }), { src: '10.0.0.1', dst: '10.0.0.2' }));
  const s2c = (o: Parameters<typeof tcp>[1]) => eth(ipv4(tcp(new Uint8Array(0), { sport: 8000, dport: sport, ...o }), { src: '10.0.0.2', dst: '10.0.0.1' }));
  const out: Uint8Array[] = [];
  const midStream = c % 3 === 2; // the capture started after this connection's handshake
  if (!midStream) {
    out.push(c2s(new Uint8Array(0), { flags: TCP.SYN, seq: cIsn, options: opts }));
    out.push(s2c({ flags: TCP.SYN | TCP.ACK, seq: sIsn, ack: cIsn + 1, options: c % 2 === 0 ? [...tcpOpt.ws(3), tcpOpt.nop()[0]] : [] }));
    out.push(c2s(new Uint8Array(0), { flags: TCP.ACK, seq: cIsn + 1, ack: sIsn + 1 }));
  }
  for (let k = 0; k < segments; k++) {
    // Every 5th segment overtakes the one before it; every 7th is sent twice (a retransmission).
    const at = k % 5 === 4 ? k - 1 : k % 5 === 3 ? k + 1 : k;
    const seq = (cIsn + 1 + at * 10) >>> 0;
    out.push(c2s(ascii(`seg ${String(at).padStart(5, '0')}`.slice(0, 10)), { flags: TCP.ACK | TCP.PSH, seq, ack: sIsn + 1 }));
    if (k % 7 === 6) out.push(c2s(ascii(`seg ${String(at).padStart(5, '0')}`.slice(0, 10)), { flags: TCP.ACK | TCP.PSH, seq, ack: sIsn + 1 }));
    const sack = k % 5 === 3 ? tcpOpt.sack(seq + 10, seq + 20) : [];
    out.push(s2c({ flags: TCP.ACK, seq: sIsn + 1, ack: (cIsn + 1 + (k % 5 === 3 ? at - 1 : at + 1) * 10) >>> 0, options: sack, win: 500 + k }));
  }
  const end = (cIsn + 1 + segments * 10) >>> 0;
  out.push(c2s(new Uint8Array(0), { flags: TCP.FIN | TCP.ACK, seq: end, ack: sIsn + 1 }));
  out.push(s2c({ flags: TCP.FIN | TCP.ACK, seq: sIsn + 1, ack: end + 1 }));
  out.push(c2s(new Uint8Array(0), { flags: TCP.ACK, seq: end + 1, ack: sIsn + 2 }));
  return out;
}

/** TCP connections of different lengths interleaved, a port reuse (new stream), UDP, DNS, ICMP errors quoting UDP and TCP, ARP, IPv6, cut packets. */
function variedCapture(): PacketRecord[] {
  const conns = [0, 1, 2, 3, 4, 5].map((c) => connection(c, c === 0 ? 300 : 5 + c * 9));
  const frames: Uint8Array[] = [];
  for (let k = 0; conns.some((c) => k < c.length); k++) {
    for (const c of conns) if (k < c.length) frames.push(c[k]);
    if (k % 9 === 0) frames.push(eth(ipv4(udp(ascii(`u${k}`), { sport: 5000 + (k % 4), dport: 53 }), { proto: 17 })));
    if (k % 13 === 0) frames.push(eth(ipv4(udp(dnsQuery(k, 'example.com'), { sport: 6000 + k, dport: 53 }), { proto: 17 })));
    if (k % 17 === 0) frames.push(eth(ipv4(icmpEcho(8, 1, k), { proto: 1 })));
    if (k % 19 === 0) frames.push(eth(ipv4(cat([3, 3], u16(0), u32(0), ipv4(udp(ascii('q'), { sport: 5001, dport: 53 }), { proto: 17 })), { proto: 1 })));
    if (k % 23 === 0) frames.push(eth(ipv4(cat([3, 1], u16(0), u32(0), ipv4(tcp(new Uint8Array(0), { sport: 40001, dport: 8000, seq: 5 }))), { proto: 1 })));
    if (k % 29 === 0) frames.push(eth(arp(1, '66:77:88:99:aa:bb', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'), 0x0806));
    if (k % 31 === 0) frames.push(eth(ipv6(tcp(ascii('v6'), { flags: TCP.ACK, seq: 1000 + k, sport: 7000 }), { src: '::1', dst: '::2' }), 0x86dd));
  }
  // The first connection again on the same ports with a new ISN: Wireshark's next stream.
  frames.push(...connection(0, 4).slice(0, 3).map((f) => {
    const g = f.slice();
    g[14 + 20 + 4] ^= 0x55; // another ISN on the SYN (and on the segments after it)
    return g;
  }));
  const recs = frames.map((f, i) => record(f, undefined, 1_700_000_000_000_000 + i * 1000));
  // A segment cut by the snap length, and one whose header was cut.
  const cut = frames[40].slice(0, 60);
  recs.splice(41, 0, { ...recs[40], data: cut }, { ...recs[40], data: frames[40].slice(0, 40) });
  return [...fixtures, ...recs];
}

/** What the details of packet `i` are when the capture is dissected once, front to back. */
// Without TCP analysis: a tree the pass built before a handshake completed has no iRTT, which a row click (read after
// the pass, as Wireshark's second pass) shows (the analysis through a row click: packetListModelTcpAnalysis.test.ts).
const OPTIONS = { analyzeTcp: false };

function firstPass(packets: readonly PacketRecord[]): (i: number) => unknown {
  const ctx = new DissectContext(OPTIONS);
  const pkts = packets.map((p, i) => dissect(p, ctx, i + 1));
  return (i) => {
    const pkt = pkts[i];
    const conv = tcpFacts(pkt)?.key;
    return {
      layers: pkt.layers.map((l) => ({ name: l.name, title: l.title, role: l.role, offset: l.offset, length: l.length, fields: l.fields.map(toWireField), ...(l.truncated ? { truncated: true } : {}) })),
      malformed: pkt.malformed,
      conversation: conv,
    };
  };
}

const shown = (d: ReturnType<PacketListModel['detail']>) => d && { layers: d.layers, malformed: d.malformed, conversation: d.conversation };

describe('packet panel: a row click', () => {
  const packets = variedCapture();

  it('the varied capture has several TCP streams, UDP streams, quoted packets and cut packets', () => {
    const m = new PacketListModel(arraySource(packets), Infinity);
    assert.ok(packets.length > 900, `${packets.length} packets`);
    assert.ok(m.conversations().length >= 12, `${m.conversations().length} conversations`);
    const rows = m.rows(0, packets.length).rows;
    assert.ok(rows.some((r) => r.tone === 'malformed'));
    assert.ok(rows.some((r) => r.protocol === 'ICMP' && /unreachable/i.test(r.info)));
  });

  it('gives every packet the details of the first pass (relative numbers, stream indexes, window scaling)', () => {
    const m = new PacketListModel(arraySource(packets), Infinity, OPTIONS);
    const expected = firstPass(packets);
    for (let i = 0; i < packets.length; i++) assert.deepEqual(shown(m.detail(i)), expected(i), `packet ${i + 1}`);
  });

  it('keeps them when a bounded capture forgets its oldest packets, and while packets arrive', () => {
    let first = 0;
    let end = 0;
    const src: PacketSource = { get firstIndex() { return first; }, get endIndex() { return end; }, at: (i) => (i >= first && i < end ? packets[i] : undefined) };
    const m = new PacketListModel(src, Infinity, OPTIONS);
    const expected = firstPass(packets);
    for (const [f, e] of [[0, 100], [0, 5000], [150, 5000], [4200, 5000], [9000, 9001], [9000, packets.length]]) {
      first = Math.min(f, packets.length - 1);
      end = Math.min(e, packets.length);
      m.sync();
      for (let i = first; i < end; i += 7) assert.deepEqual(shown(m.detail(i)), expected(i), `packet ${i + 1} with ${first}…${end} retained`);
      assert.equal(m.detail(first - 1), undefined);
    }
  });

  it('reads one record whatever the length of its connection', () => {
    const long = Array.from({ length: 3000 }, (_, i) => ({ ...fixtures[i % 10], tsMicros: fixtures[0].tsMicros + i }));
    const inner = arraySource(long);
    let reads = 0;
    const m = new PacketListModel({ firstIndex: 0, endIndex: long.length, at: (i) => (reads++, inner.at(i)) }, Infinity);
    assert.equal(m.conversations().length, 1, 'one connection (the SYN repeats its ISN)');
    for (const i of [0, 9, 1500, 2999]) {
      reads = 0;
      assert.ok(m.detail(i));
      assert.equal(reads, 1, `records read for the details of packet ${i + 1}`);
    }
  });
});
