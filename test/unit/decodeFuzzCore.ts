// Seeded fuzzing of the decoders and the capture reader, shared by the unit suite (small counts) and
// scripts/fuzzDecode.ts (≥ 100,000 frames per link type). A failure message carries the frame in hex to replay it.
import { type DissectedPacket, DissectContext, allFields, dissect } from '../../src/core/decode/dissect';
import { compileFilter } from '../../src/core/decode/displayFilter';
import { CaptureFormatError, PcapStreamReader } from '../../src/core/pcap/pcapStreamReader';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { LinkType, type PacketRecord } from '../../src/shared/packet';
import { prng } from './helpers';
import { TCP, arp, ascii, cat, dnsName, dnsQuery, eth, icmpEcho, ip4, ip6, ipv4, ipv6, nullHdr, sll, sll2, tcp, tcpOpt, u16, u32, udp, vlan } from './decodeFrames';


const dnsResponse = cat(
  u16(7), u16(0x8180), u16(1), u16(2), u16(0), u16(0),
  dnsName('www.example.com'), u16(1), u16(1),
  [0xc0, 12], u16(5), u16(1), u32(300), u16(2), [0xc0, 16],
  [0xc0, 16], u16(1), u16(1), u32(60), u16(4), ip4('93.184.216.34'),
);

/** Network-layer seeds (IPv4 / IPv6 packets) covering every dissector. */
function ipSeeds(): { type: number; bytes: Uint8Array }[] {
  const v4 = (b: Uint8Array, o = {}) => ({ type: 0x0800, bytes: ipv4(b, o) });
  const v6 = (b: Uint8Array, nxt: number) => ({ type: 0x86dd, bytes: ipv6(b, { nxt }) });
  return [
    v4(tcp(new Uint8Array(0), { flags: TCP.SYN, options: [...tcpOpt.mss(65495), ...tcpOpt.sackPerm(), ...tcpOpt.ts(1, 0), ...tcpOpt.nop(), ...tcpOpt.ws(7)] })),
    v4(tcp(ascii('GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n'), { flags: TCP.PSH | TCP.ACK })),
    v4(tcp(ascii('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhi'), { sport: 8000, dport: 51234 })),
    v4(tcp(new Uint8Array(0), { flags: TCP.ACK, options: [...tcpOpt.nop(), ...tcpOpt.nop(), ...tcpOpt.sack(5, 9, 20, 30)] })),
    v4(tcp(cat(u16(29), dnsQuery(3, 'example.com')), { dport: 53 })),
    v4(udp(dnsQuery(1, 'example.com'), { dport: 53 }), { proto: 17 }),
    v4(udp(dnsResponse, { sport: 53 }), { proto: 17 }),
    v4(icmpEcho(8, 1, 1), { proto: 1 }),
    v4(cat([3, 3], u16(0), u32(0), ipv4(udp(ascii('q'), { dport: 53 }), { proto: 17 })), { proto: 1 }),
    v4(udp(ascii('frag')), { proto: 17, mf: true }),
    v4(udp(ascii('opts')), { proto: 17, options: [1, 148, 4, 0, 0, 0, 0, 0] }),
    v6(tcp(new Uint8Array(0), { flags: TCP.SYN | TCP.ACK }), 6),
    v6(cat([43, 0, 5, 2, 0, 0, 1, 0], [44, 0, 1, 4, 0, 0, 0, 0], [17, 0, 0, 0, 0, 0, 0, 1], udp(ascii('x'))), 0),
    v6(icmpEcho(128, 2, 2), 58),
    v6(cat([135, 0], u16(0), u32(0), ip6('fe80::1')), 58),
    v6(cat([1, 4], u16(0), u32(0), ipv6(udp(ascii('q')), { nxt: 17 })), 58),
  ];
}

/** Whole frames for one link type (ARP and VLAN only exist on Ethernet). */
export function seedFrames(linkType: number): Uint8Array[] {
  const ips = ipSeeds();
  switch (linkType) {
    case LinkType.ETHERNET:
      return [
        ...ips.map((s) => eth(s.bytes, s.type)),
        eth(arp(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'), 0x0806),
        eth(vlan(ips[5].bytes, 7, 0x0800), 0x8100),
        eth(vlan(vlan(ips[0].bytes, 8, 0x0800), 7, 0x8100), 0x88a8),
      ];
    case LinkType.LINUX_SLL:
      return ips.map((s) => sll(s.bytes, s.type));
    case LinkType.LINUX_SLL2:
      return ips.map((s) => sll2(s.bytes, s.type));
    case LinkType.NULL:
      return ips.map((s) => nullHdr(s.bytes, s.type === 0x0800 ? 2 : 30));
    default:
      return ips.map((s) => s.bytes);
  }
}

export const fuzzLinkTypes = [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.RAW];

const interesting8 = [0, 1, 2, 3, 4, 5, 6, 8, 0x11, 0x20, 0x3f, 0x40, 0x45, 0x4f, 0x60, 0x7f, 0x80, 0xc0, 0xff];
const interesting16 = [0, 1, 7, 8, 12, 20, 40, 53, 0x0800, 0x0806, 0x86dd, 0x8100, 0x7fff, 0x8000, 0xffff];

/** One mutated copy of `base`: bit flips, interesting bytes/words, cuts and extensions. */
export function mutate(base: Uint8Array, rnd: () => number): Uint8Array {
  let b: Uint8Array = base.slice();
  const n = 1 + Math.floor(rnd() * 6);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(rnd() * Math.max(1, b.length));
    switch (Math.floor(rnd() * 7)) {
      case 0:
        if (b.length) b[pos] ^= 1 << Math.floor(rnd() * 8);
        break;
      case 1:
        if (b.length) b[pos] = Math.floor(rnd() * 256);
        break;
      case 2:
        if (b.length) b[pos] = interesting8[Math.floor(rnd() * interesting8.length)];
        break;
      case 3:
        if (b.length > 1) {
          const v = interesting16[Math.floor(rnd() * interesting16.length)];
          b[Math.min(pos, b.length - 2)] = v >> 8;
          b[Math.min(pos, b.length - 2) + 1] = v & 0xff;
        }
        break;
      case 4:
        b = b.slice(0, Math.floor(rnd() * (b.length + 1)));
        break;
      case 5: {
        const extra = new Uint8Array(Math.floor(rnd() * 40));
        for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(rnd() * 256);
        b = cat(b, extra);
        break;
      }
      default: {
        // Duplicate a slice over another spot: makes plausible-looking nested headers.
        const from = Math.floor(rnd() * Math.max(1, b.length));
        const len = Math.floor(rnd() * 16);
        b.copyWithin(pos, from, from + len);
      }
    }
  }
  return b;
}

function randomBytes(rnd: () => number, max: number): Uint8Array {
  const b = new Uint8Array(Math.floor(rnd() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

const filters = ['tcp.flags.syn == 1', 'udp.port == 53', 'ip.addr == 127.0.0.1', '!tcp && !udp', 'tcp contains "GET"', 'dns.qry.name contains "a" || http', 'frame.len > 60', 'ipv6.addr == ::1 or arp'].map(compileFilter);

/** Throws if a decoded packet breaks an invariant: ranges inside the capture, no decoder exception, serialisable. */
export function checkPacket(p: DissectedPacket, rec: PacketRecord): void {
  const where = () => `link type ${rec.linkType}, origLen ${rec.origLen}, frame ${hexOf(rec.data)}`;
  if (p.malformed?.startsWith('Decoder error')) throw new Error(`${p.malformed} — ${where()}`);
  const cap = rec.data.length;
  for (const l of p.layers) {
    if (!(Number.isInteger(l.offset) && Number.isInteger(l.length) && l.offset >= 0 && l.length >= 0 && l.offset + l.length <= cap)) throw new Error(`layer ${l.name} ${l.offset}+${l.length} past ${cap} — ${where()}`);
  }
  for (const f of allFields(p)) {
    if (!(Number.isInteger(f.offset) && Number.isInteger(f.length) && f.offset >= 0 && f.length >= 0 && f.offset + f.length <= cap)) throw new Error(`field ${f.id} ${f.offset}+${f.length} past ${cap} — ${where()}`);
    if (typeof f.display !== 'string' || !['string', 'number', 'boolean'].includes(typeof f.value)) throw new Error(`field ${f.id} has a bad value — ${where()}`);
  }
  for (const s of [p.summary.source, p.summary.destination, p.summary.protocol, p.summary.info]) if (typeof s !== 'string') throw new Error(`summary not a string — ${where()}`);
  // A cut layer (outside an ICMP-quoted packet) must show in the packet's mark.
  const quoted = p.layers.findIndex((l) => l.name === 'icmp' || l.name === 'icmpv6');
  if (!p.malformed && p.layers.some((l, i) => l.truncated && (quoted < 0 || i <= quoted))) throw new Error(`a truncated layer but no mark — ${where()}`);
  // The field tree (second pass) must agree with the columns pass on the conversation numbers.
  if (p.tcp) {
    const t = p.layers.find((l) => l.name === 'tcp');
    const seq = t?.fields.find((f) => f.id === 'tcp.seq')?.value;
    const stream = t?.fields.find((f) => f.id === 'tcp.stream')?.value;
    if (seq !== p.tcp.seq || stream !== p.tcp.stream) throw new Error(`tree seq/stream ${seq}/${stream} ≠ columns ${p.tcp.seq}/${p.tcp.stream} — ${where()}`);
  }
  JSON.stringify(p.layers);
  for (const f of filters) f(p);
}

export interface FuzzStats {
  frames: number;
  malformed: number;
  layers: Record<string, number>;
}

/** `perLinkType` frames for each link type: half random bytes, half mutated real frames. */
export function fuzzDissect(seed: number, perLinkType: number, linkTypes: readonly number[] = fuzzLinkTypes): FuzzStats {
  const stats: FuzzStats = { frames: 0, malformed: 0, layers: {} };
  for (const lt of linkTypes) {
    const rnd = prng(seed ^ (lt * 0x9e3779b1));
    const seeds = seedFrames(lt);
    const ctx = new DissectContext();
    for (let i = 0; i < perLinkType; i++) {
      const data = rnd() < 0.25 ? randomBytes(rnd, 128) : mutate(seeds[Math.floor(rnd() * seeds.length)], rnd);
      // Sometimes pretend a snap length cut the frame: the wire length exceeds what was captured.
      const origLen = rnd() < 0.2 ? data.length + Math.floor(rnd() * 3000) : data.length;
      const rec: PacketRecord = { tsMicros: i, origLen, linkType: lt, data };
      const p = dissect(rec, ctx, i + 1);
      checkPacket(p, rec);
      stats.frames++;
      if (p.malformed) stats.malformed++;
      const top = p.layers[p.layers.length - 1].name;
      stats.layers[top] = (stats.layers[top] ?? 0) + 1;
    }
  }
  return stats;
}

export interface ReaderFuzzStats {
  streams: number;
  rejected: number;
  packets: number;
}

/** Mutated pcap/pcapng streams pushed in random chunks: either packets or a CaptureFormatError, nothing else. */
export function fuzzCaptureReader(seed: number, count: number, extraBases: Uint8Array[] = []): ReaderFuzzStats {
  const rnd = prng(seed);
  const recs = (lt: number) => seedFrames(lt).slice(0, 6).map((d, i) => ({ tsMicros: 1_700_000_000_000_000 + i, origLen: d.length, linkType: lt, data: d }));
  const bases = [
    writeCaptureFile(recs(LinkType.ETHERNET), 'pcap'),
    writeCaptureFile(recs(LinkType.LINUX_SLL2), 'pcap'),
    writeCaptureFile([...recs(LinkType.ETHERNET), ...recs(LinkType.RAW)], 'pcapng', { interfaceName: 'lo', application: 'fuzz' }),
    ...extraBases,
  ];
  const stats: ReaderFuzzStats = { streams: 0, rejected: 0, packets: 0 };
  for (let i = 0; i < count; i++) {
    const base = bases[Math.floor(rnd() * bases.length)];
    let bytes = mutate(base, rnd);
    // Plant an absurd length somewhere in the first blocks now and then.
    if (rnd() < 0.2 && bytes.length > 40) {
      const at = 8 + Math.floor(rnd() * Math.min(64, bytes.length - 12));
      bytes.set([0xff, 0xff, 0xff, 0x7f], at);
    }
    if (rnd() < 0.1) bytes = bytes.subarray(0, Math.floor(rnd() * bytes.length));
    const reader = new PcapStreamReader();
    let total = 0;
    try {
      for (let o = 0; o < bytes.length; ) {
        const n = 1 + Math.floor(rnd() * 64);
        for (const r of reader.push(bytes.subarray(o, o + n))) {
          total += r.data.length;
          if (r.data.length > bytes.length) throw new Error(`record of ${r.data.length} bytes from a ${bytes.length}-byte stream: ${hexOf(bytes)}`);
          checkPacket(dissect(r), r);
          stats.packets++;
        }
        o += n;
      }
      reader.end();
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw new Error(`reader threw ${String(e)} on stream ${hexOf(bytes)}`, { cause: e });
      if (!e.message || !e.code) throw new Error('a CaptureFormatError without code or message', { cause: e });
      stats.rejected++;
    }
    if (total > bytes.length) throw new Error('records hold more bytes than the stream');
    stats.streams++;
  }
  return stats;
}
