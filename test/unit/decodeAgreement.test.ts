// Socket Lab's decoder against tshark, field by field, on captures real programs make (tcpdump, dumpcap, curl, the
// kernel) in a private network namespace; and one test per fixed disagreement.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LinkType, type PacketRecord } from '../../src/shared/packet';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { DissectContext, type DissectedPacket, type Field, allFields, dissect } from '../../src/core/decode/dissect';
import { hexBytes } from '../../src/core/decode/format';
import { fieldRegistry } from '../../src/core/decode/registry';
import { type AgreementResult, compareWithTshark, formatTable, hasTshark, total } from '../agreement';
import { arp, ascii, cat, eth, icmpEcho, ip6, ipv4, ipv6, mac, record, tcp, TCP, u16, u32, udp } from './decodeFrames';
import { repoRoot } from './helpers';

const values = (p: DissectedPacket, id: string) => [...allFields(p)].filter((f) => f.id === id).map((f) => f.value);
const value = (p: DissectedPacket, id: string) => values(p, id)[0];

/**
 * Our values of `fields` for a hand-built frame, each checked against tshark's (when tshark is installed) so a test's
 * expectation is tshark's own answer, not a guess: returns ours, spelled as the agreement harness compares them.
 */
function asTshark(rec: PacketRecord, fields: string[]): Record<string, string[]> {
  const p = dissect(rec, new DissectContext(), 1);
  const ours: Record<string, string[]> = {};
  // A valueless field (a subtree head) is its bytes, as tshark prints them.
  const spell = (f: Field) => (fieldRegistry.get(f.id)?.kind === 'none' ? hexBytes(p.data, f.offset, f.length) : typeof f.value === 'boolean' ? (f.value ? '1' : '0') : String(f.value));
  for (const id of fields) ours[id] = [...allFields(p)].filter((f) => f.id === id).map(spell);
  if (hasTshark()) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-one-')), 'one.pcap');
    fs.writeFileSync(file, writeCaptureFile([rec], 'pcap'));
    const out = spawnSync('tshark', ['-r', file, '-n', '-T', 'json', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    const layers = (JSON.parse(out.stdout) as { _source: { layers: Record<string, string[]> } }[])[0]._source.layers;
    const theirs: Record<string, string[]> = {};
    for (const f of fields) theirs[f] = (layers[f] ?? []).map((v) => (/^0x[0-9a-f]+$/i.test(v) ? String(parseInt(v, 16)) : v === '<MISSING>' ? '' : v));
    assert.deepEqual(ours, theirs, 'Socket Lab and tshark disagree');
  }
  return ours;
}

describe('decode: disagreements with Wireshark, fixed', () => {
  it('ARP: a hardware address of 4 bytes is bytes, never an IPv4 address (arp-oobr.pcap)', () => {
    const four = cat(u16(1), u16(0x0800), [4, 4], u16(1), [0, 31, 41, 218], [10, 0, 0, 1], [1, 104, 0, 0], [10, 0, 0, 2]);
    assert.deepEqual(asTshark(record(eth(four, 0x0806)), ['arp.src.hw', 'arp.dst.hw', 'arp.src.proto_ipv4']), { 'arp.src.hw': ['001f29da'], 'arp.dst.hw': ['01680000'], 'arp.src.proto_ipv4': ['10.0.0.1'] });
  });

  it('an 802.1ad service tag (0x88a8) is Wireshark\'s ieee8021ad layer, not 802.1Q\'s vlan (arp-too-long-tha.pcap)', () => {
    const qinq = record(eth(cat(u16(0x3030), u16(0x0806), arp(1, '00:11:22:33:44:55', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2')), 0x88a8));
    const got = asTshark(qinq, ['frame.protocols', 'ieee8021ad.priority', 'ieee8021ad.dei', 'ieee8021ad.id', 'ieee8021ah.etype', 'vlan.id']);
    assert.deepEqual(got, { 'frame.protocols': ['eth:ethertype:ieee8021ad:ethertype:arp'], 'ieee8021ad.priority': ['1'], 'ieee8021ad.dei': ['1'], 'ieee8021ad.id': ['48'], 'ieee8021ah.etype': ['2054'], 'vlan.id': [] });
  });

  it('Ethernet carried as IP protocol 143 (after an IPv6 segment routing header) is decoded (ipv6-srh-ipproto-ether.pcap)', () => {
    const inner = eth(ipv6(icmpEcho(128, 1, 1), { nxt: 58, src: 'a::2', dst: 'e::2' }), 0x86dd);
    const srh = cat([143, 2, 4, 0, 0, 0, 0, 0], ip6('e::2'));
    const p = record(eth(ipv6(cat(srh, inner), { nxt: 43 }), 0x86dd));
    assert.deepEqual(asTshark(p, ['frame.protocols', 'ipv6.src']), { 'frame.protocols': ['eth:ethertype:ipv6:ipv6.routing:eth:ethertype:ipv6:icmpv6:data'], 'ipv6.src': ['::1', 'a::2'] });
  });

  it('ICMP echo: ping\'s timeval (within a day of the frame) is icmp.data_time and the data follows it (icmp-length-zero.pcapng)', () => {
    const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const ping = record(eth(ipv4(cat([8, 0], u16(0), u16(0x3283), u16(1), le(1_700_000_000 - 50), le(5), ascii('0123456789abcdef')), { proto: 1 })));
    assert.deepEqual(asTshark(ping, ['icmp.data_time', 'data.len']), { 'icmp.data_time': ['Nov 14, 2023 22:12:30.000005000 UTC'], 'data.len': ['16'] });
    const old = record(eth(ipv4(cat([8, 0], u16(0), u16(1), u16(1), le(1_600_000_000), le(5), ascii('0123456789abcdef')), { proto: 1 })));
    assert.deepEqual(asTshark(old, ['icmp.data_time', 'data.len']), { 'icmp.data_time': [], 'data.len': ['24'] });
  });

  it('ICMP and ICMPv6 bodies other than an echo\'s are not data (extended echo, mobile prefix)', () => {
    const extEcho = record(eth(ipv4(cat([42, 0], u16(0), u16(1), [1, 0], u16(0x2000), u16(8), [3, 2], u32(1)), { proto: 1 })));
    assert.deepEqual(asTshark(extEcho, ['frame.protocols', 'data.len']), { 'frame.protocols': ['eth:ethertype:ip:icmp'], 'data.len': [] });
    const mobilePrefix = record(eth(ipv6(cat([147, 0], u16(0), u16(7), [0x80, 0], ascii('abcdefgh')), { nxt: 58 }), 0x86dd));
    assert.deepEqual(asTshark(mobilePrefix, ['frame.protocols', 'data.len']), { 'frame.protocols': ['eth:ethertype:ipv6:icmpv6'], 'data.len': [] });
  });

  it('EDNS: an empty option has empty data and a client-only cookie an empty server cookie (edns-opts.pcap)', () => {
    const opt = cat([0], u16(41), u16(4096), u32(0), u16(16), u16(10), u16(8), [1, 2, 3, 4, 5, 6, 7, 8], u16(9), u16(0));
    const q = cat(u16(7), u16(0x0100), u16(1), u16(0), u16(0), u16(1), [1, 97, 0], u16(1), u16(1), opt);
    const got = asTshark(record(eth(ipv4(udp(q, { dport: 53 }), { proto: 17 }))), ['dns.opt.code', 'dns.opt.data', 'dns.opt.cookie.server']);
    // tshark prints an empty bytes field as <MISSING>; ours is the empty string.
    assert.deepEqual(got, { 'dns.opt.code': ['10', '9'], 'dns.opt.data': ['0102030405060708', ''], 'dns.opt.cookie.server': [''] });
  });

  it('an ICMP message shorter than 6 bytes shows no ICMP field (icmp-icmp_print-oobr-1.pcap)', () => {
    const short = record(eth(ipv4(cat([49, 128, 0xbc, 0x0b, 0]), { proto: 1 })));
    assert.deepEqual(asTshark(short, ['frame.protocols', 'icmp.type', 'icmp.checksum']), { 'frame.protocols': ['eth:ethertype:ip:icmp'], 'icmp.type': [], 'icmp.checksum': [] });
  });

  it('frame.encap_type is Wireshark\'s encapsulation number, not the pcap link type', () => {
    const ip = ipv4(udp(ascii('x')), { proto: 17 });
    const cases: [number, Uint8Array, number][] = [
      [LinkType.LINUX_SLL2, cat(u16(0x0800), u16(0), u32(1), u16(772), [0, 6], new Uint8Array(8), ip), 210],
      [LinkType.LINUX_SLL, cat(u16(0), u16(772), u16(6), new Uint8Array(8), u16(0x0800), ip), 25],
      [LinkType.NULL, cat([2, 0, 0, 0], ip), 15], // BSD loopback: no program here writes it, so the bytes are built
      [LinkType.RAW, ip, 7],
      [LinkType.ETHERNET, eth(ip), 1],
    ];
    for (const [lt, bytes, want] of cases) assert.equal(value(dissect(record(bytes, lt)), 'frame.encap_type'), want, `link type ${lt}`);
  });

  it('mDNS: the unicast-response bit is dns.qry.qu, the class is 1 (was 32769); records split cache_flush', () => {
    const name = [7, ...ascii('printer'), 5, ...ascii('local'), 0];
    const q = cat(u16(0), u16(0), u16(1), u16(0), u16(0), u16(0), name, u16(1), u16(0x8001));
    const p = dissect(record(eth(ipv4(udp(q, { sport: 5353, dport: 5353 }), { proto: 17 }))));
    assert.equal(value(p, 'dns.qry.class'), 1);
    assert.equal(value(p, 'dns.qry.qu'), true);
    assert.ok(p.protocols.includes('mdns'));
    const r = cat(u16(0), u16(0x8400), u16(0), u16(1), u16(0), u16(0), name, u16(1), u16(0x8001), u32(120), u16(4), [10, 0, 0, 9]);
    const a = dissect(record(eth(ipv4(udp(r, { sport: 5353, dport: 5353 }), { proto: 17 }))));
    assert.deepEqual([value(a, 'dns.resp.class'), value(a, 'dns.resp.cache_flush')], [1, true]);
  });

  it('DNS OPT records carry Wireshark\'s EDNS fields, not a class and a TTL', () => {
    const opt = cat([0], u16(41), u16(1232), u32(0x8000), u16(12), u16(10), u16(8), [1, 2, 3, 4, 5, 6, 7, 8]);
    const q = cat(u16(7), u16(0x0100), u16(1), u16(0), u16(0), u16(1), [1, 97, 0], u16(1), u16(1), opt);
    const p = dissect(record(eth(ipv4(udp(q, { dport: 53 }), { proto: 17 }))));
    assert.deepEqual(values(p, 'dns.resp.class'), []);
    assert.deepEqual(values(p, 'dns.resp.ttl'), []);
    assert.deepEqual(['dns.rr.udp_payload_size', 'dns.resp.ext_rcode', 'dns.resp.edns0_version', 'dns.resp.z.do', 'dns.opt.code', 'dns.opt.len', 'dns.opt.cookie.client'].map((id) => value(p, id)), [1232, 0, 0, true, 10, 8, '0102030405060708']);
  });

  it('data.len counts the captured bytes (was the on-wire length)', () => {
    const full = eth(ipv4(udp(new Uint8Array(100), { dport: 9999 }), { proto: 17 }));
    const p = dissect(record(full.subarray(0, 14 + 20 + 8 + 10), LinkType.ETHERNET, 0, full.length));
    assert.equal(value(p, 'data.len'), 10);
  });

  it('a SYN whose options were cut by the snap length leaves the scale factor unknown (-1, was -2)', () => {
    const ctx = new DissectContext();
    const syn = eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, seq: 100, options: [2, 4, 5, 180, 1, 3, 3, 7] })));
    dissect(record(syn.subarray(0, 14 + 20 + 22), LinkType.ETHERNET, 0, syn.length), ctx);
    dissect(record(eth(ipv4(tcp(new Uint8Array(0), { sport: 8000, dport: 51234, flags: TCP.SYN | TCP.ACK, seq: 500, ack: 101, options: [1, 3, 3, 7] })))), ctx);
    const ack = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.ACK, seq: 101, ack: 501 })))), ctx);
    assert.equal(value(ack, 'tcp.window_size_scalefactor'), -1);
  });

  it('a TCP segment quoted in an ICMP error takes a stream index, as in tshark (later streams do not drift)', () => {
    // Hand-built: the kernel answers TCP with a RST, so no program here makes an ICMP error quoting TCP.
    const quoted = ipv4(tcp(new Uint8Array(0), { sport: 40000, dport: 80, flags: TCP.SYN }), { src: '10.0.0.1', dst: '10.0.0.2' });
    const icmp = cat([3, 3, 0, 0], u32(0), quoted);
    const ctx = new DissectContext();
    const err = dissect(record(eth(ipv4(icmp, { proto: 1, src: '10.0.0.2', dst: '10.0.0.1' }))), ctx);
    assert.equal(value(err, 'tcp.stream'), 0);
    const next = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN })))), ctx);
    assert.equal(value(next, 'tcp.stream'), 1);
  });

  it('ip.frag_offset and ipv6.fraghdr.offset are the raw fields; a first fragment is decoded (UDP/DNS)', () => {
    const later = dissect(record(eth(ipv4(ascii('rest'), { proto: 17, df: false, fragOffset: 1480 }))));
    assert.equal(value(later, 'ip.frag_offset'), 185);
    const first = dissect(record(eth(ipv4(udp(ascii('start of a big datagram'), { dport: 53, length: 3000 }), { proto: 17, mf: true, df: false }))));
    assert.deepEqual(first.protocols.slice(0, 4), ['frame', 'eth', 'ip', 'udp']);
    assert.equal(value(first, 'udp.length'), 3000);
  });

  it('a jumbogram keeps ipv6.plen 0 and takes its length from the Jumbo Payload option', () => {
    // Hand-built: a jumbogram needs a link with an MTU above 65,575 bytes, which no interface here has.
    const body = udp(ascii('jumbo'), { dport: 7 });
    const hop = [17, 0, 0xc2, 4, ...u32(8 + body.length)];
    const p = dissect(record(eth(ipv6(cat(hop, body), { nxt: 0, plen: 0 }), 0x86dd)));
    assert.equal(value(p, 'ipv6.plen'), 0);
    assert.equal(value(p, 'udp.dstport'), 7);
  });

  it('HTTP: the start line is not an http.request.line; header lines keep their CRLF; a text body is data-text-lines', () => {
    const p = dissect(record(eth(ipv4(tcp(ascii('POST /u HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\n\r\nhello'), { dport: 8080, flags: TCP.PSH | TCP.ACK })))));
    assert.deepEqual(values(p, 'http.request.line'), ['Host: a\r\n', 'Content-Type: text/plain\r\n']);
    assert.equal(value(p, 'http.request.method'), 'POST');
    assert.ok(p.protocols.includes('data-text-lines'));
    const more = dissect(record(eth(ipv4(tcp(ascii('more of the body'), { sport: 8080, dport: 51234, flags: TCP.ACK })))));
    assert.equal(more.summary.info, 'Continuation');
  });

  it('Teredo (UDP 3544) carries IPv6', () => {
    // The payload is built here (no Teredo client is installed); the agreement captures also send it for real.
    const inner = ipv6(new Uint8Array(0), { nxt: 59, src: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dst: 'fe80::1' });
    const p = dissect(record(eth(ipv4(udp(cat(u16(0), u16(0x1234 ^ 0xffff), [63, 255, 253, 210], inner), { dport: 3544 }), { proto: 17 }))));
    assert.deepEqual(p.protocols.slice(2, 6), ['ip', 'udp', 'teredo', 'ipv6']);
    assert.deepEqual([value(p, 'teredo.orig.port'), value(p, 'teredo.orig.addr')], [0x1234, '192.0.2.45']);
  });

  it('AccECN: once negotiated, AE/CWR/ECE are the ACE counter in tcp.flags.str and Info', () => {
    const ctx = new DissectContext();
    dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN | 0x1c0, seq: 100 })))), ctx);
    dissect(record(eth(ipv4(tcp(new Uint8Array(0), { sport: 8000, dport: 51234, flags: TCP.SYN | TCP.ACK | 0x100, seq: 500, ack: 101 })))), ctx);
    const p = dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.ACK | 0x100, seq: 101, ack: 501 })))), ctx);
    assert.equal(value(p, 'tcp.flags.str'), '···-4-·A····');
    assert.equal(value(p, 'tcp.flags.ace'), 4);
    assert.match(p.summary.info, /\[ACK, ACE=4\]/);
  });
});

describe('decode: disagreements found on tcpdump\'s test captures, fixed (each checked against tshark when installed)', () => {
  it('ARP: a MAC only for hardware type Ethernet or IEEE 802 with 6-byte addresses, else raw bytes (arp-oobr.pcap)', () => {
    const odd = cat(u16(37), u16(0), [6, 4], u16(1), mac('00:1f:29:da:2d:79'), [152, 168, 1, 104], new Uint8Array(6), [10, 0, 0, 1]);
    const got = asTshark(record(eth(odd, 0x0806)), ['arp.src.hw', 'arp.src.hw_mac', 'arp.dst.hw', 'arp.src.proto', 'arp.src.proto_ipv4']);
    assert.deepEqual(got, { 'arp.src.hw': ['001f29da2d79'], 'arp.src.hw_mac': [], 'arp.dst.hw': ['000000000000'], 'arp.src.proto': ['98a80168'], 'arp.src.proto_ipv4': [] });
    const normal = asTshark(record(eth(arp(1, '00:1f:29:da:2d:79', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'), 0x0806)), ['arp.src.hw_mac', 'arp.src.hw']);
    assert.deepEqual(normal, { 'arp.src.hw_mac': ['00:1f:29:da:2d:79'], 'arp.src.hw': [] });
  });

  it('frame.encap_type is Wireshark\'s number for every link type tshark reads (ARCNET, C-HDLC, PPP, Frame Relay …)', () => {
    // Link types Socket Lab does not decode: the frame is data, but its encapsulation is still tshark's number.
    for (const [lt, want] of [[129, 9], [104, 28], [9, 4], [107, 26], [8, 3], [50, 4]]) {
      assert.deepEqual(asTshark(record(new Uint8Array(40), lt), ['frame.encap_type']), { 'frame.encap_type': [String(want)] }, `link type ${lt}`);
    }
  });

  it('TCP options tshark knows by kind get its subtree (MPTCP is tcp:mptcp, AccECN\'s experiment, TCP-AO), not Unknown', () => {
    const opts = [30, 4, 0x10, 1, 30, 4, 0x10, 1, 254, 4, 0xac, 0xc0, 29, 4, 1, 2, 99, 4, 1, 2];
    const got = asTshark(record(eth(ipv4(tcp(new Uint8Array(0), { options: opts })))), ['frame.protocols', 'tcp.option_kind', 'tcp.options.mptcp.subtype', 'tcp.options.experimental', 'tcp.options.ao', 'tcp.options.unknown']);
    assert.deepEqual(got, { 'frame.protocols': ['eth:ethertype:ip:tcp:mptcp:mptcp'], 'tcp.option_kind': ['30', '30', '254', '29', '99'], 'tcp.options.mptcp.subtype': ['1', '1'], 'tcp.options.experimental': ['fe04acc0'], 'tcp.options.ao': ['1d040102'], 'tcp.options.unknown': ['63040102'] });
  });

  it('TCP options after an EOL: each zero byte is one more EOL, the first other byte ends them (accecn_handshake.pcap)', () => {
    const zeros = asTshark(record(eth(ipv4(tcp(new Uint8Array(0), { options: [1, 1, 0, 0, 0, 0, 0, 0] })))), ['tcp.option_kind']);
    assert.deepEqual(zeros, { 'tcp.option_kind': ['1', '1', '0', '0', '0', '0', '0', '0'] });
    const padded = asTshark(record(eth(ipv4(tcp(new Uint8Array(0), { options: [0, 0, 0, 1] })))), ['tcp.option_kind']);
    assert.deepEqual(padded, { 'tcp.option_kind': ['0', '0', '0'] });
  });

  it('a UDP length below 8 ends the UDP tree after the length: no checksum, no stream index (bigtcp-ipv4-vxlan-ipv4.pcap)', () => {
    const ctx = new DissectContext();
    const bogus = record(eth(ipv4(udp(ascii('tunnelled'), { sport: 29804, dport: 4789, length: 0 }), { proto: 17 })));
    assert.deepEqual(asTshark(bogus, ['udp.dstport', 'udp.length', 'udp.checksum', 'udp.stream']), { 'udp.dstport': ['4789'], 'udp.length': ['0'], 'udp.checksum': [], 'udp.stream': [] });
    dissect(bogus, ctx);
    assert.equal(value(dissect(record(eth(ipv4(udp(ascii('next'), { dport: 53 }), { proto: 17 }))), ctx), 'udp.stream'), 0, 'the bogus datagram took no stream index');
  });

  it('an IPv6 payload length of 0 without a Jumbo Payload option is an empty payload, as tshark by default (bigtcp-ipv6.pcap)', () => {
    const seg = record(eth(ipv6(tcp(ascii('big TCP'), { flags: TCP.ACK }), { plen: 0 }), 0x86dd));
    // TCP is still listed (its dissector fails on the empty payload), without a field.
    assert.deepEqual(asTshark(seg, ['frame.protocols', 'ipv6.plen', 'tcp.srcport', 'data.len']), { 'frame.protocols': ['eth:ethertype:ipv6:tcp'], 'ipv6.plen': ['0'], 'tcp.srcport': [], 'data.len': [] });
    const hop = record(eth(ipv6(cat([17, 0, 1, 4, 0, 0, 0, 0], udp(ascii('x'))), { nxt: 0, plen: 0 }), 0x86dd));
    assert.deepEqual(asTshark(hop, ['ipv6.hopopts.nxt', 'udp.srcport']), { 'ipv6.hopopts.nxt': [], 'udp.srcport': [] });
  });

  it('an Ethernet type no dissector claims is eth:ethertype:data (DECnet, loopback …); an 802.3 length is not', () => {
    const unknown = record(eth(ascii('xyz'), 0x88b5));
    assert.deepEqual(asTshark(unknown, ['frame.protocols', 'data.len']), { 'frame.protocols': ['eth:ethertype:data'], 'data.len': ['3'] });
    const len8023 = record(eth(cat([0xe0, 0xe0, 0x03], ascii('xyz')), 6));
    assert.equal(value(dissect(len8023), 'frame.protocols'), 'eth:data'); // tshark: eth:llc:ipx (LLC is not decoded here)
  });
});

describe('the agreement report counts the payload of protocols Socket Lab does not decode on its own line', () => {
  it('DECnet\'s payload is counted apart and named; the figure on protocols both decode leaves it out, the other stays whole', function () {
    if (!hasTshark()) this.skip(); // no tshark here: nothing to compare against
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-undecoded-'));
    try {
      const file = path.join(dir, 'mixed.pcap');
      const decnet = record(eth(cat(u16(0x0d02), new Uint8Array(30)), 0x6003));
      const dns = record(eth(ipv4(udp(cat(u16(7), u16(0x0100), u16(1), u16(0), u16(0), u16(0), [1, 97, 0], u16(1), u16(1)), { dport: 53 }), { proto: 17 })));
      fs.writeFileSync(file, writeCaptureFile([decnet, dns], 'pcap'));
      const r = compareWithTshark(file);
      assert.deepEqual([...r.undecodedProtocols], [['dec_dna', 1]]);
      const t = total([r]);
      const data = t.byProtocol.get('data');
      // Ours: the 32 bytes as data; tshark: DECnet routing. Both data values and the protocol list are that payload.
      assert.deepEqual([data?.compared, data?.undecoded, data?.agreeing], [2, 2, 0]);
      assert.equal(t.byField.get('frame.protocols')?.undecoded, 1);
      const undecoded = [...t.byProtocol.values()].reduce((n, c) => n + c.undecoded, 0);
      assert.equal(undecoded, 3);
      assert.equal(t.compared - undecoded, t.agreeing, 'every value on protocols both decode agrees');
      const table = formatTable(t);
      assert.match(table, /on protocols both decode/);
      assert.match(table, /payload of protocols Socket Lab does not decode: 3 values, 0 agreeing \(0\.00%\); in the packets \(count\) of: dec_dna \(1\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decode agrees with tshark field by field on captures made by real programs', function () {
  this.timeout(120_000);
  let dir = '';
  let made: { files: string[]; skipped: Record<string, string> } | undefined;
  let why = '';

  before(function () {
    if (!hasTshark()) this.skip(); // no tshark here: nothing to compare against
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-agreement-'));
    const script = path.join(repoRoot, 'test', 'fixtures', 'agreement', 'makeCaptures.py');
    // A namespace of our own: as root a plain network namespace (tcpdump may keep its root identity there), else a
    // user namespace too.
    for (const args of [['-n'], ['-rn']]) {
      const r = spawnSync('unshare', [...args, 'python3', script, dir], { encoding: 'utf8', timeout: 60_000 });
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      if (r.status === 0 && line.startsWith('{')) {
        made = JSON.parse(line) as typeof made;
        if ((made?.files.length ?? 0) > 0) return;
      }
      why = `unshare ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`;
    }
    this.skip(); // this machine cannot make a private network namespace with captures (see `why`)
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Both ways Wireshark can be set: reassembly off (each packet alone) and on (its defaults: IP defragmentation, TCP
  // reassembly of HTTP and DNS; test/unit/reassembly.test.ts has the details).
  for (const reassemble of [false, true]) {
    it(`≥ 99.8% of the values agree over every field Socket Lab names, with no crash (reassembly ${reassemble ? 'on' : 'off'})`, () => {
      assert.ok(made, why);
      for (const [part, reason] of Object.entries(made.skipped)) console.log(`      skipped ${part}: ${reason}`);
      const results: AgreementResult[] = made.files.map((f) => compareWithTshark(path.join(dir, f), { reassemble }));
      for (const r of results) assert.equal(r.skipped, undefined, `${r.file}: ${r.skipped}`);
      const t = total(results);
      console.log(`      ${made.files.join(', ')}\n${formatTable(t).replace(/^/gm, '    ')}`);
      const worst = results.flatMap((r) => r.disagreements.slice(0, 3).map((d) => `${path.basename(r.file)} #${d.packet} ${d.field}: ${JSON.stringify(d.ours)} vs ${JSON.stringify(d.theirs)}`));
      assert.equal(t.crashes, 0);
      assert.ok(t.compared > 20_000, `only ${t.compared} values compared`);
      assert.ok(t.agreeing / t.compared >= 0.998, `${((100 * t.agreeing) / t.compared).toFixed(2)}% agree; e.g.\n${worst.slice(0, 15).join('\n')}`);
      // The layers each packet has: reassembly moves an HTTP body or a datagram's UDP/DNS to the completing packet.
      // Without it tshark still follows a DNS-over-TCP message's length into the next segments, which we do not.
      const protocols = t.byField.get('frame.protocols') ?? { compared: 0, agreeing: 0 };
      console.log(`      frame.protocols: ${protocols.agreeing}/${protocols.compared}`);
      if (reassemble) assert.ok(protocols.agreeing / protocols.compared >= 0.99, `frame.protocols: ${protocols.agreeing}/${protocols.compared} agree`);
    });
  }
});
