import * as assert from 'node:assert/strict';
import { LinkType } from '../../src/shared/packet';
import { type DissectedPacket, type Field, DissectContext, allFields, conversationOf, dissect, findField } from '../../src/core/decode/dissect';
import { arraySource, PacketListModel } from '../../src/core/panels/packetListModel';
import { TCP, arp, ascii, cat, dnsName, dnsQuery, eth, icmpEcho, ip4, ip6, ipv4, ipv6, nullHdr, record, sll, sll2, tcp, tcpOpt, u16, u32, udp, vlan } from './decodeFrames';

const value = (p: DissectedPacket, id: string) => findField(p, id)?.value;
const values = (p: DissectedPacket, id: string) => [...allFields(p)].filter((f) => f.id === id).map((f) => f.value);
const layerNames = (p: DissectedPacket) => p.layers.map((l) => l.name);

/** Every field and layer must lie inside the captured bytes. */
function assertRangesInside(p: DissectedPacket): void {
  for (const l of p.layers) assert.ok(l.offset >= 0 && l.length >= 0 && l.offset + l.length <= p.capturedLength, `layer ${l.name} ${l.offset}+${l.length} > ${p.capturedLength}`);
  for (const f of allFields(p)) assert.ok(f.offset >= 0 && f.length >= 0 && f.offset + f.length <= p.capturedLength, `field ${f.id} ${f.offset}+${f.length} > ${p.capturedLength}`);
}

describe('decode: link layers', () => {
  it('Ethernet II: addresses, type, byte ranges, frame role', () => {
    const frame = eth(ipv4(udp(ascii('hi'), { sport: 1111, dport: 2222 }), { proto: 17 }));
    const p = dissect(record(frame));
    assert.deepEqual(layerNames(p), ['frame', 'eth', 'ip', 'udp', 'data']);
    const e = p.layers[1];
    assert.equal(e.role, 'frame');
    assert.equal(e.title, 'Ethernet II, Src: 66:77:88:99:aa:bb, Dst: 00:11:22:33:44:55');
    const src = findField(p, 'eth.src') as Field;
    assert.deepEqual([src.value, src.offset, src.length], ['66:77:88:99:aa:bb', 6, 6]);
    assert.deepEqual([value(p, 'eth.dst'), value(p, 'eth.type')], ['00:11:22:33:44:55', 0x0800]);
    assert.equal(findField(p, 'eth.type')?.display, 'IPv4 (0x0800)');
    assert.equal(value(p, 'frame.len'), frame.length);
    assert.equal(value(p, 'frame.protocols'), 'eth:ethertype:ip:udp:data');
    assert.equal(p.malformed, undefined);
    assertRangesInside(p);
  });

  it('802.1Q tag: id, priority, inner type', () => {
    const frame = eth(vlan(ipv4(udp(ascii('x')), { proto: 17 }), 42, 0x0800, 5), 0x8100);
    const p = dissect(record(frame));
    assert.deepEqual(layerNames(p), ['frame', 'eth', 'vlan', 'ip', 'udp', 'data']);
    assert.deepEqual([value(p, 'vlan.id'), value(p, 'vlan.priority'), value(p, 'vlan.etype')], [42, 5, 0x0800]);
    assert.equal(findField(p, 'vlan.id')?.offset, 14);
    assert.equal(p.summary.protocol, 'UDP');
  });

  it('Linux cooked v1 and v2 carry the packet type, address and protocol', () => {
    const inner = ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN }));
    const v1 = dissect(record(sll(inner, 0x0800, 4, 1, '02:00:00:00:00:01'), LinkType.LINUX_SLL));
    assert.deepEqual(layerNames(v1), ['frame', 'sll', 'ip', 'tcp']);
    assert.deepEqual([value(v1, 'sll.pkttype'), value(v1, 'sll.hatype'), value(v1, 'sll.src.eth'), value(v1, 'sll.etype')], [4, 1, '02:00:00:00:00:01', 0x0800]);
    assert.equal(findField(v1, 'sll.pkttype')?.display, 'Sent by us');
    const v2 = dissect(record(sll2(inner, 0x0800, 7, 0), LinkType.LINUX_SLL2));
    assert.deepEqual(layerNames(v2), ['frame', 'sll', 'ip', 'tcp']);
    assert.deepEqual([value(v2, 'sll.ifindex'), value(v2, 'sll.etype'), value(v2, 'sll.pkttype')], [7, 0x0800, 0]);
    assert.equal(findField(v2, 'sll.etype')?.offset, 0);
    assert.equal(findField(v2, 'sll.ifindex')?.offset, 4);
    assert.equal(v2.summary.info, '51234 → 8000 [SYN] Seq=0 Win=65495 Len=0');
  });

  it('BSD loopback in either byte order, and raw IP by version nibble', () => {
    const inner4 = ipv4(udp(ascii('a'), { dport: 9 }), { proto: 17 });
    for (const le of [true, false]) {
      const p = dissect(record(nullHdr(inner4, 2, le), LinkType.NULL));
      assert.deepEqual(layerNames(p), ['frame', 'null', 'ip', 'udp', 'data']);
      assert.equal(value(p, 'null.family'), 2);
    }
    const v6 = dissect(record(nullHdr(ipv6(udp(ascii('a')), { nxt: 17 }), 30), LinkType.NULL));
    assert.deepEqual(layerNames(v6), ['frame', 'null', 'ipv6', 'udp', 'data']);
    assert.deepEqual(layerNames(dissect(record(inner4, LinkType.RAW))), ['frame', 'ip', 'udp', 'data']);
    assert.deepEqual(layerNames(dissect(record(ipv6(udp(ascii('a')), { nxt: 17 }), LinkType.RAW))), ['frame', 'ipv6', 'udp', 'data']);
  });

  it('an unknown link type shows its bytes as data and says so', () => {
    const p = dissect(record(new Uint8Array([1, 2, 3]), 147));
    assert.deepEqual(layerNames(p), ['frame', 'data']);
    assert.equal(p.summary.info, 'Link type 147 is not decoded');
  });
});

describe('decode: network layer', () => {
  it('IPv4 header fields with Wireshark names and the packet role', () => {
    const p = dissect(record(eth(ipv4(udp(ascii('zz')), { src: '10.0.0.1', dst: '10.0.0.2', ttl: 17, id: 0xbeef, proto: 17, tos: 0xb8 }))));
    const ip = p.layers[2];
    assert.equal(ip.role, 'packet');
    assert.equal(ip.title, 'Internet Protocol Version 4, Src: 10.0.0.1, Dst: 10.0.0.2');
    assert.deepEqual(
      ['ip.version', 'ip.hdr_len', 'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ip.len', 'ip.id', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset', 'ip.ttl', 'ip.proto', 'ip.src', 'ip.dst'].map((id) => value(p, id)),
      [4, 20, 46, 0, 20 + 8 + 2, 0xbeef, true, false, 0, 17, 17, '10.0.0.1', '10.0.0.2'],
    );
    assert.deepEqual([findField(p, 'ip.ttl')?.offset, findField(p, 'ip.src')?.offset], [14 + 8, 14 + 12]);
    assert.deepEqual([p.summary.source, p.summary.destination], ['10.0.0.1', '10.0.0.2']);
  });

  it('IPv4 options are listed and the header length respected', () => {
    const p = dissect(record(eth(ipv4(udp(ascii('o')), { proto: 17, options: [1, 148, 4, 0, 0, 0, 0, 0] }))));
    assert.equal(value(p, 'ip.hdr_len'), 28);
    assert.deepEqual(values(p, 'ip.opt.type'), [1, 148, 0]);
    assert.equal(p.layers[2].length, 28);
    assert.equal(findField(p, 'udp.srcport')?.offset, 14 + 28);
  });

  it('IPv4 fragments: the first is decoded as far as it goes, later ones are data (Wireshark unreassembled)', () => {
    const first = dissect(record(eth(ipv4(udp(ascii('frag')), { proto: 17, mf: true, df: false, id: 0x77 }))));
    assert.equal(value(first, 'ip.flags.mf'), true);
    assert.deepEqual(layerNames(first), ['frame', 'eth', 'ip', 'udp', 'data']);
    const later = dissect(record(eth(ipv4(ascii('rest'), { proto: 17, df: false, fragOffset: 1480, id: 0x77 }))));
    // The raw 13-bit field, in units of 8 bytes, as Wireshark's ip.frag_offset.
    assert.equal(value(later, 'ip.frag_offset'), 185);
    assert.deepEqual(layerNames(later), ['frame', 'eth', 'ip', 'data']);
    assert.match(later.summary.info, /off=1480/);
  });

  it('Ethernet padding after a short IP packet is not read as payload', () => {
    const frame = cat(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.ACK }))), new Uint8Array(6));
    const p = dissect(record(frame));
    assert.equal(value(p, 'tcp.len'), 0);
    assert.deepEqual(layerNames(p), ['frame', 'eth', 'ip', 'tcp']);
  });

  it('IPv6 with hop-by-hop, routing, destination options and fragment headers', () => {
    const hop = [43, 0, 5, 2, 0, 0, 1, 0];
    const routing = [60, 0, 0, 0, 0, 0, 0, 0];
    const dst = [44, 0, 1, 4, 0, 0, 0, 0];
    const frag = [17, 0, ...u16(0), ...u32(0xabcdef01)];
    const payload = cat(hop, routing, dst, frag, udp(ascii('six'), { dport: 7 }));
    const p = dissect(record(eth(ipv6(payload, { nxt: 0, src: '2001:db8::1', dst: 'fe80::2', hlim: 3 }), 0x86dd)));
    assert.deepEqual(layerNames(p), ['frame', 'eth', 'ipv6', 'udp', 'data']);
    assert.deepEqual(
      ['ipv6.version', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst', 'ipv6.hopopts.nxt', 'ipv6.routing.nxt', 'ipv6.dstopts.nxt', 'ipv6.fraghdr.nxt', 'ipv6.fraghdr.ident'].map((id) => value(p, id)),
      [6, 0, 3, '2001:db8::1', 'fe80::2', 43, 60, 44, 17, 0xabcdef01],
    );
    assert.equal(p.layers[2].length, 40 + 32);
    assert.equal(value(p, 'udp.dstport'), 7);
    assert.equal(p.summary.source, '2001:db8::1');
  });

  it('without defragmentation an IPv6 first fragment is decoded as far as it goes, a later one is data', () => {
    const frag = [17, 0, ...u16(1), ...u32(5)];
    // With defragmentation (the default, as Wireshark's) both wait for their datagram: test/unit/reassembly.test.ts.
    const p = dissect(record(eth(ipv6(cat(frag, udp(ascii('x'))), { nxt: 44 }), 0x86dd)), new DissectContext({ defragment: false }));
    assert.equal(value(p, 'ipv6.fraghdr.more'), true);
    assert.deepEqual(layerNames(p), ['frame', 'eth', 'ipv6', 'udp', 'data']);
    const later = dissect(record(eth(ipv6(cat([17, 0, ...u16(185 << 3), ...u32(5)], ascii('rest')), { nxt: 44 }), 0x86dd)));
    assert.equal(value(later, 'ipv6.fraghdr.offset'), 185);
    assert.deepEqual(layerNames(later), ['frame', 'eth', 'ipv6', 'data']);
  });

  it('ARP request and reply with the Info Wireshark shows', () => {
    const req = dissect(record(eth(arp(1, '02:00:00:00:00:01', '192.168.1.10', '00:00:00:00:00:00', '192.168.1.1'), 0x0806, 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01')));
    assert.equal(req.summary.protocol, 'ARP');
    assert.equal(req.summary.info, 'Who has 192.168.1.1? Tell 192.168.1.10');
    assert.deepEqual(['arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.hw.size'].map((id) => value(req, id)), [1, '02:00:00:00:00:01', '192.168.1.10', '192.168.1.1', 6]);
    assert.deepEqual([req.summary.source, req.summary.destination], ['02:00:00:00:00:01', 'ff:ff:ff:ff:ff:ff']);
    const rep = dissect(record(eth(arp(2, '02:00:00:00:00:02', '192.168.1.1', '02:00:00:00:00:01', '192.168.1.10'), 0x0806)));
    assert.equal(rep.summary.info, '192.168.1.1 is at 02:00:00:00:00:02');
  });

  it('ICMP echo request/reply and port unreachable', () => {
    const req = dissect(record(eth(ipv4(icmpEcho(8, 0x1234, 1), { proto: 1, ttl: 64 }))));
    assert.equal(req.summary.protocol, 'ICMP');
    assert.equal(req.summary.info, 'Echo (ping) request  id=0x1234, seq=1/256, ttl=64');
    assert.deepEqual(['icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmp.seq_le'].map((id) => value(req, id)), [8, 0, 0x1234, 1, 256]);
    assert.equal(req.layers[3].role, 'message');
    const unreach = dissect(record(eth(ipv4(cat([3, 3], u16(0), u32(0), ipv4(udp(ascii('q')), { proto: 17 })), { proto: 1 }))));
    assert.equal(unreach.summary.info, 'Destination unreachable (Port unreachable)');
  });

  it('ICMPv6 echo and neighbour solicitation', () => {
    const echo = dissect(record(eth(ipv6(icmpEcho(128, 7, 3), { nxt: 58, hlim: 64 }), 0x86dd)));
    assert.equal(echo.summary.info, 'Echo (ping) request id=0x0007, seq=3, hop limit=64');
    assert.deepEqual(['icmpv6.type', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number'].map((id) => value(echo, id)), [128, 7, 3]);
    const ns = dissect(record(eth(ipv6(cat([135, 0], u16(0), u32(0), ip6('fe80::1')), { nxt: 58 }), 0x86dd)));
    assert.equal(value(ns, 'icmpv6.nd.ns.target_address'), 'fe80::1');
    assert.equal(ns.summary.info, 'Neighbor Solicitation for fe80::1');
  });
});

describe('decode: TCP', () => {
  const syn = () => eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, seq: 1000, win: 65495, options: [...tcpOpt.mss(65495), ...tcpOpt.sackPerm(), ...tcpOpt.ts(111, 0), ...tcpOpt.nop(), ...tcpOpt.ws(7)] })));

  it('a SYN: flags, options, Info as Wireshark writes it, the segment role', () => {
    const p = dissect(record(syn()));
    assert.equal(p.summary.protocol, 'TCP');
    assert.equal(p.summary.info, '51234 → 8000 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=111 TSecr=0 WS=128');
    const t = p.layers[3];
    assert.equal(t.role, 'segment');
    assert.equal(t.length, 40);
    assert.deepEqual(
      ['tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.seq_raw', 'tcp.nxtseq', 'tcp.hdr_len', 'tcp.flags', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.window_size_value', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.wscale.multiplier', 'tcp.options.timestamp.tsval', 'tcp.len', 'tcp.flags.str'].map((id) => value(p, id)),
      [51234, 8000, 0, 1000, 1, 40, 0x002, true, false, false, 65495, 65495, 7, 128, 111, 0, '··········S·'],
    );
    const flags = findField(p, 'tcp.flags') as Field;
    assert.deepEqual([flags.offset, flags.length, flags.display], [14 + 20 + 12, 2, '0x002 (SYN)']);
    const mss = findField(p, 'tcp.options.mss_val') as Field;
    assert.deepEqual([mss.offset, mss.length], [14 + 20 + 22, 2]);
    assert.ok(findField(p, 'tcp.options.sack_perm'));
  });

  it('all flags decode to their own fields and Info names', () => {
    const all = TCP.FIN | TCP.SYN | TCP.RST | TCP.PSH | TCP.ACK | TCP.URG | TCP.ECE | TCP.CWR | TCP.AE;
    const p = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: all, urg: 9 })))));
    for (const id of ['fin', 'syn', 'reset', 'push', 'ack', 'urg', 'ece', 'cwr', 'ae']) assert.equal(value(p, `tcp.flags.${id}`), true, id);
    assert.match(p.summary.info, /\[FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE\]/);
    assert.match(p.summary.info, / Urg=9$/);
    const none = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: 0 })))));
    assert.match(none.summary.info, /\[<None>\]/);
  });

  it('a handshake, data and teardown get relative numbers per conversation, window scaling and a stream index', () => {
    const C = { sport: 51234, dport: 8000 };
    const S = { sport: 8000, dport: 51234 };
    const cIsn = 0xfffffff0; // wraps around 2^32 during the exchange
    const sIsn = 5000;
    const frames = [
      tcp(new Uint8Array(0), { ...C, flags: TCP.SYN, seq: cIsn, options: [...tcpOpt.mss(1460), ...tcpOpt.nop(), ...tcpOpt.ws(2)] }),
      tcp(new Uint8Array(0), { ...S, flags: TCP.SYN | TCP.ACK, seq: sIsn, ack: cIsn + 1, win: 1000, options: [...tcpOpt.mss(1460), ...tcpOpt.nop(), ...tcpOpt.ws(3)] }),
      tcp(new Uint8Array(0), { ...C, flags: TCP.ACK, seq: cIsn + 1, ack: sIsn + 1, win: 100 }),
      tcp(ascii('hello world!'), { ...C, flags: TCP.PSH | TCP.ACK, seq: cIsn + 1, ack: sIsn + 1, win: 100 }),
      tcp(new Uint8Array(0), { ...S, flags: TCP.ACK, seq: sIsn + 1, ack: (cIsn + 13) >>> 0, win: 50, options: [...tcpOpt.nop(), ...tcpOpt.nop(), ...tcpOpt.sack((cIsn + 20) >>> 0, (cIsn + 30) >>> 0)] }),
      tcp(new Uint8Array(0), { ...C, flags: TCP.FIN | TCP.ACK, seq: (cIsn + 13) >>> 0, ack: sIsn + 1, win: 100 }),
      tcp(new Uint8Array(0), { ...S, flags: TCP.FIN | TCP.ACK, seq: sIsn + 1, ack: (cIsn + 14) >>> 0, win: 50 }),
      tcp(new Uint8Array(0), { ...C, flags: TCP.ACK, seq: (cIsn + 14) >>> 0, ack: sIsn + 2, win: 100 }),
    ].map((t, i) => record(eth(ipv4(t)), LinkType.ETHERNET, 1_000_000 * (i + 1)));
    const ctx = new DissectContext();
    const pkts = frames.map((f, i) => dissect(f, ctx, i + 1));
    assert.deepEqual(
      pkts.map((p) => p.summary.info),
      [
        '51234 → 8000 [SYN] Seq=0 Win=65495 Len=0 MSS=1460 WS=4',
        '8000 → 51234 [SYN, ACK] Seq=0 Ack=1 Win=1000 Len=0 MSS=1460 WS=8',
        '51234 → 8000 [ACK] Seq=1 Ack=1 Win=400 Len=0',
        '51234 → 8000 [PSH, ACK] Seq=1 Ack=1 Win=400 Len=12',
        '8000 → 51234 [ACK] Seq=1 Ack=13 Win=400 Len=0 SLE=20 SRE=30',
        '51234 → 8000 [FIN, ACK] Seq=13 Ack=1 Win=400 Len=0',
        '8000 → 51234 [FIN, ACK] Seq=1 Ack=14 Win=400 Len=0',
        '51234 → 8000 [ACK] Seq=14 Ack=2 Win=400 Len=0',
      ],
    );
    assert.deepEqual(pkts.map((p) => value(p, 'tcp.stream')), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(value(pkts[3], 'tcp.seq_raw'), cIsn + 1);
    assert.equal(value(pkts[3], 'tcp.nxtseq'), 13);
    assert.equal(value(pkts[2], 'tcp.window_size_scalefactor'), 4);
    assert.equal(value(pkts[2], 'tcp.window_size'), 400);
    assert.equal(value(pkts[2], 'tcp.window_size_value'), 100);
    assert.deepEqual([pkts[3].tcp?.seq, pkts[3].tcp?.len, pkts[3].tcp?.flagsText], [1, 12, 'PSH, ACK']);
    // The same packet dissected again (the panel re-reads it) keeps its numbers.
    assert.equal(dissect(frames[4], ctx, 5).summary.info, pkts[4].summary.info);

    // The packet panel's conversation: both endpoints, each segment with direction, flags and relative numbers.
    const model = new PacketListModel(arraySource(frames));
    const convs = model.conversations();
    assert.equal(convs.length, 1);
    assert.equal(convs[0].key, '127.0.0.1:8000 ↔ 127.0.0.1:51234#0');
    assert.deepEqual([convs[0].a, convs[0].b], ['127.0.0.1:51234', '127.0.0.1:8000']);
    const diagram = model.diagram(convs[0].key);
    assert.deepEqual(
      diagram?.segments.map((s) => [s.fromA, s.flags.join(', '), s.seq, s.ack, s.len]),
      [
        [true, 'SYN', 0, 0, 0],
        [false, 'SYN, ACK', 0, 1, 0],
        [true, 'ACK', 1, 1, 0],
        [true, 'PSH, ACK', 1, 1, 12],
        [false, 'ACK', 1, 13, 0],
        [true, 'FIN, ACK', 13, 1, 0],
        [false, 'FIN, ACK', 1, 14, 0],
        [true, 'ACK', 14, 2, 0],
      ],
    );
    assert.deepEqual(diagram?.segments.map((s) => s.no), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(`${conversationOf(pkts[1])?.key}#${pkts[1].tcp?.stream}`, convs[0].key);
    assert.equal(conversationOf(dissect(record(eth(ipv4(udp(ascii('u')), { proto: 17 }))))), undefined);
  });

  it('a capture that starts mid-stream numbers from 1, and a new SYN on the same ports is a new stream', () => {
    const ctx = new DissectContext();
    const mid = dissect(record(eth(ipv4(tcp(ascii('abc'), { flags: TCP.ACK | TCP.PSH, seq: 777, ack: 999 })))), ctx);
    assert.match(mid.summary.info, /Seq=1 Ack=1 Win=65495 Len=3$/);
    const again = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, seq: 123456 })))), ctx);
    assert.equal(value(again, 'tcp.seq'), 0);
    assert.equal(value(again, 'tcp.stream'), 1);
    const other = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, seq: 5, sport: 40000 })))), ctx);
    assert.equal(value(other, 'tcp.stream'), 2);
  });

  it('TCP over IPv6 uses the IPv6 addresses for the conversation', () => {
    const p = dissect(record(eth(ipv6(tcp(new Uint8Array(0), { flags: TCP.SYN }), { src: '::1', dst: '::1' }), 0x86dd)));
    assert.deepEqual([p.tcp?.srcAddr, p.tcp?.dstAddr], ['::1', '::1']);
    assert.equal(conversationOf(p)?.key, '[::1]:8000 ↔ [::1]:51234');
  });

  it('bad data offset and bad option lengths are malformed, not fatal', () => {
    const bad = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { dataOffset: 3 })))));
    assert.match(bad.malformed ?? '', /TCP header length 12 is less than 20/);
    assert.match(bad.summary.info, /Bogus TCP header length/);
    const opt = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { options: [2, 9, 0, 0] })))));
    assert.match(opt.malformed ?? '', /option 2 has bad length 9/);
    assertRangesInside(opt);
  });

  it('a RST carrying bytes shows them as the reset cause, given to no dissector (tshark: eth:ethertype:ip:tcp)', () => {
    const flags = TCP.RST | TCP.ACK;
    const http = dissect(record(eth(ipv4(tcp(ascii('GET / HTTP/1.1\r\n\r\n'), { dport: 80, flags })))));
    assert.deepEqual(layerNames(http), ['frame', 'eth', 'ip', 'tcp']);
    assert.equal(value(http, 'frame.protocols'), 'eth:ethertype:ip:tcp');
    assert.equal(value(http, 'tcp.reset_cause'), 'GET / HTTP/1.1\r\n\r\n');
    assert.equal(findField(http, 'tcp.payload'), undefined);
    assert.equal(http.summary.protocol, 'TCP');
    assert.match(http.summary.info, /^51234 → 80 \[RST, ACK\] .* Len=18$/);
    // Wireshark's ASCII string: a byte past 0x7f is U+FFFD, the text ends at the first NUL (tcpdump's
    // tcp_rst_diag_payload.pcap: 33 aa 00 01 00 00 00 00).
    const bin = dissect(record(eth(ipv4(tcp(new Uint8Array([0x33, 0xaa, 0, 1, 0, 0, 0, 0]), { dport: 8080, flags })))));
    assert.deepEqual([value(bin, 'tcp.reset_cause'), findField(bin, 'tcp.reset_cause')?.length], ['3\ufffd', 8]);
    assertRangesInside(bin);
  });
});

describe('decode: UDP and applications', () => {
  it('UDP ports, length, Info and the datagram role', () => {
    const p = dissect(record(eth(ipv4(udp(ascii('hello'), { sport: 40000, dport: 9999 }), { proto: 17 }))));
    assert.equal(p.summary.info, '40000 → 9999 Len=5');
    assert.deepEqual(['udp.srcport', 'udp.dstport', 'udp.length', 'udp.stream', 'data.len'].map((id) => value(p, id)), [40000, 9999, 13, 0, 5]);
    assert.equal(p.layers[3].role, 'datagram');
    assert.equal(p.layers[4].role, 'message');
    assert.equal(value(p, 'data.data'), '68656c6c6f');
    assert.equal(JSON.parse(JSON.stringify(findField(p, 'data.data'))).value, '68656c6c6f');
  });

  it('UDP length shorter than 8 or longer than the packet is flagged', () => {
    assert.match(dissect(record(eth(ipv4(udp(ascii('x'), { length: 4 }), { proto: 17 })))).malformed ?? '', /UDP length 4 is less than 8/);
    assert.match(dissect(record(eth(ipv4(udp(ascii('x'), { length: 400 }), { proto: 17 })))).malformed ?? '', /UDP length 400/);
  });

  it('DNS query and a compressed response with A, AAAA and CNAME answers', () => {
    const q = dissect(record(eth(ipv4(udp(dnsQuery(0xbeef, 'www.example.com'), { dport: 53 }), { proto: 17 }))));
    assert.equal(q.summary.protocol, 'DNS');
    assert.equal(q.summary.info, 'Standard query 0xbeef A www.example.com');
    assert.deepEqual(['dns.id', 'dns.flags.response', 'dns.count.queries', 'dns.qry.name', 'dns.qry.type', 'dns.qry.class'].map((id) => value(q, id)), [0xbeef, false, 1, 'www.example.com', 1, 1]);
    const nameAt = 14 + 20 + 8 + 12;
    assert.deepEqual([findField(q, 'dns.qry.name')?.offset, findField(q, 'dns.qry.name')?.length], [nameAt, 17]);
    // Response: question + CNAME (pointer to offset 12) + A + AAAA, names compressed.
    const resp = cat(
      u16(0xbeef), u16(0x8180), u16(1), u16(3), u16(0), u16(0),
      dnsName('www.example.com'), u16(1), u16(1),
      [0xc0, 12], u16(5), u16(1), u32(300), u16(2), [0xc0, 16],
      [0xc0, 16], u16(1), u16(1), u32(60), u16(4), ip4('93.184.216.34'),
      [0xc0, 16], u16(28), u16(1), u32(60), u16(16), ip6('2606:2800:220:1::1'),
    );
    const r = dissect(record(eth(ipv4(udp(resp, { sport: 53, dport: 5555 }), { proto: 17 }))));
    assert.equal(r.summary.info, 'Standard query response 0xbeef A www.example.com CNAME example.com A 93.184.216.34 AAAA 2606:2800:220:1::1');
    assert.deepEqual(values(r, 'dns.resp.name'), ['www.example.com', 'example.com', 'example.com']);
    assert.deepEqual([value(r, 'dns.cname'), value(r, 'dns.a'), value(r, 'dns.aaaa'), value(r, 'dns.resp.ttl')], ['example.com', '93.184.216.34', '2606:2800:220:1::1', 300]);
    assert.equal(r.malformed, undefined);
    assertRangesInside(r);
  });

  it('DNS name-compression loops and forward pointers stop with a mark', () => {
    const loop = cat(u16(1), u16(0x0100), u16(1), u16(0), u16(0), u16(0), [0xc0, 12], u16(1), u16(1));
    const p = dissect(record(eth(ipv4(udp(loop, { dport: 53 }), { proto: 17 }))));
    assert.match(p.malformed ?? '', /pointer loops or points forward/);
    const selfRef = cat(u16(1), u16(0x0100), u16(1), u16(0), u16(0), u16(0), [3, 0x61, 0x62, 0x63, 0xc0, 12], u16(1), u16(1));
    assert.match(dissect(record(eth(ipv4(udp(selfRef, { dport: 53 }), { proto: 17 })))).malformed ?? '', /loops/);
  });

  it('DNS over TCP reads the 2-byte length prefix', () => {
    const msg = dnsQuery(7, 'a.b');
    const p = dissect(record(eth(ipv4(tcp(cat(u16(msg.length), msg), { dport: 53, flags: TCP.PSH | TCP.ACK })))));
    assert.equal(p.summary.info, 'Standard query 0x0007 A a.b');
    assert.equal(value(p, 'dns.length'), msg.length);
  });

  it('HTTP request and response lines and headers on any port', () => {
    const req = dissect(record(eth(ipv4(tcp(ascii('GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/8\r\n\r\n'), { flags: TCP.PSH | TCP.ACK })))));
    assert.equal(req.summary.protocol, 'HTTP');
    assert.equal(req.summary.info, 'GET /index.html HTTP/1.1');
    assert.deepEqual(['http.request.method', 'http.request.uri', 'http.request.version', 'http.host', 'http.user_agent'].map((id) => value(req, id)), ['GET', '/index.html', 'HTTP/1.1', '127.0.0.1:8000', 'curl/8']);
    const m = findField(req, 'http.request.method') as Field;
    assert.deepEqual([m.offset, m.length], [14 + 20 + 20, 3]);
    assert.equal(req.layers.at(-1)?.role, 'message');
    const res = dissect(record(eth(ipv4(tcp(ascii('HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\nnope'), { sport: 8000, dport: 51234 })))));
    assert.equal(res.summary.info, 'HTTP/1.1 404 Not Found  (text/html)');
    assert.deepEqual(['http.response.code', 'http.response.phrase', 'http.content_type', 'http.content_length_header'].map((id) => value(res, id)), [404, 'Not Found', 'text/html', '3']);
  });

  it('a payload that is not HTTP stays TCP with data', () => {
    const p = dissect(record(eth(ipv4(tcp(ascii('GETTING nothing'), { flags: TCP.PSH | TCP.ACK })))));
    assert.equal(p.summary.protocol, 'TCP');
    assert.equal(p.layers.at(-1)?.name, 'data');
  });
});

describe('decode: truncated and malformed packets', () => {
  const full = eth(ipv4(tcp(ascii('payload!'), { flags: TCP.PSH | TCP.ACK, options: [...tcpOpt.nop(), ...tcpOpt.nop(), ...tcpOpt.ts(1, 2)] })));

  it('every cut point yields the readable layers, a mark, and ranges inside the capture', () => {
    for (let cut = 0; cut < full.length; cut++) {
      const p = dissect(record(full.subarray(0, cut), LinkType.ETHERNET, 0, full.length));
      assertRangesInside(p);
      if (cut < full.length - 8) assert.ok(p.malformed, `cut at ${cut} should be marked`);
      if (cut >= 14) assert.ok(layerNames(p).includes('eth'));
      if (cut >= 34) assert.ok(layerNames(p).includes('tcp'), `cut ${cut}`);
    }
  });

  it('a snap-length cut is reported as truncated and keeps the full on-wire length', () => {
    const p = dissect(record(full.subarray(0, 40), LinkType.ETHERNET, 0, full.length));
    assert.match(p.malformed ?? '', /^Truncated/);
    assert.equal(p.length, full.length);
    assert.equal(p.capturedLength, 40);
    assert.ok(p.layers.some((l) => l.truncated));
    assert.match(p.summary.info, /Packet size limited during capture/);
  });

  it('a bad IPv4 header length is malformed', () => {
    const f = eth(ipv4(udp(ascii('x')), { proto: 17 }));
    f[14] = 0x43;
    const p = dissect(record(f));
    assert.match(p.malformed ?? '', /IPv4 header length 12 is less than 20/);
  });
});

describe('decode: the field tree is built on demand', () => {
  it('columns and protocols come without the tree; the tree agrees with them, serialises, and is built once', () => {
    const ctx = new DissectContext();
    const syn = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, seq: 99 })))), ctx, 1);
    const ack = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.ACK, seq: 100, sport: 8000, dport: 51234, ack: 100 })))), ctx, 2);
    assert.deepEqual(ack.protocols, ['frame', 'eth', 'ip', 'tcp']);
    // Reading the tree later, after other packets moved the context, still gives this packet's numbers.
    dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, seq: 5000 })))), ctx, 3);
    assert.equal(value(ack, 'tcp.ack'), 1);
    assert.equal(value(syn, 'tcp.seq'), 0);
    assert.equal(ack.layers, ack.layers, 'built once and kept');
    assert.deepEqual(ack.layers.map((l) => l.name), ack.protocols);
    const json = JSON.parse(JSON.stringify(ack));
    assert.equal(json.layers[3].name, 'tcp');
    assert.equal(json.summary.info, ack.summary.info);
    assert.equal(json.data.length, ack.capturedLength);
  });
});
