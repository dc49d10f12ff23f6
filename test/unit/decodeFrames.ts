// A tiny frame builder for the decoder tests: every header field explicit, checksums left as given (0 by default).
import { LinkType, type PacketRecord } from '../../src/shared/packet';

export type Bytes = Uint8Array;

export function cat(...parts: (Bytes | number[])[]): Bytes {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export const ascii = (s: string): Bytes => new TextEncoder().encode(s);
export const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
export const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const mac = (s: string) => s.split(':').map((h) => parseInt(h, 16));
export const ip4 = (s: string) => s.split('.').map(Number);
export function ip6(s: string): number[] {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = s.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.flatMap((g) => u16(parseInt(g, 16)));
}

export function record(data: Bytes, linkType: number = LinkType.ETHERNET, tsMicros = 1_700_000_000_123_456, origLen = data.length): PacketRecord {
  return { tsMicros, origLen, linkType, data };
}

export function eth(payload: Bytes, type = 0x0800, dst = '00:11:22:33:44:55', src = '66:77:88:99:aa:bb'): Bytes {
  return cat(mac(dst), mac(src), u16(type), payload);
}

export function vlan(payload: Bytes, id: number, type = 0x0800, pri = 0): Bytes {
  return cat(u16((pri << 13) | id), u16(type), payload);
}

export interface Ipv4Opts {
  src?: string;
  dst?: string;
  proto?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  fragOffset?: number;
  tos?: number;
  options?: number[];
  totalLength?: number;
}

export function ipv4(payload: Bytes, o: Ipv4Opts = {}): Bytes {
  const opts = o.options ?? [];
  const ihl = 20 + opts.length;
  const flags = (o.df ?? true ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) / 8);
  return cat(
    [0x40 | (ihl / 4), o.tos ?? 0],
    u16(o.totalLength ?? ihl + payload.length),
    u16(o.id ?? 0x1234),
    u16(flags),
    [o.ttl ?? 64, o.proto ?? 6],
    u16(0),
    ip4(o.src ?? '127.0.0.1'),
    ip4(o.dst ?? '127.0.0.1'),
    opts,
    payload,
  );
}

export function ipv6(payload: Bytes, o: { src?: string; dst?: string; nxt?: number; hlim?: number; plen?: number } = {}): Bytes {
  return cat(u32(0x60000000), u16(o.plen ?? payload.length), [o.nxt ?? 6, o.hlim ?? 64], ip6(o.src ?? '::1'), ip6(o.dst ?? '::1'), payload);
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, AE: 0x100 };

export interface TcpOpts {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  win?: number;
  options?: number[];
  urg?: number;
  dataOffset?: number;
}

export function tcp(payload: Bytes, o: TcpOpts = {}): Bytes {
  const opts = o.options ?? [];
  const hl = o.dataOffset ?? (20 + opts.length) / 4;
  const flags = o.flags ?? TCP.ACK;
  return cat(u16(o.sport ?? 51234), u16(o.dport ?? 8000), u32(o.seq ?? 0), u32(o.ack ?? 0), u16((hl << 12) | flags), u16(o.win ?? 65495), u16(0), u16(o.urg ?? 0), opts, payload);
}

export const tcpOpt = {
  mss: (v: number) => [2, 4, ...u16(v)],
  ws: (shift: number) => [3, 3, shift],
  sackPerm: () => [4, 2],
  ts: (val: number, ecr: number) => [8, 10, ...u32(val), ...u32(ecr)],
  sack: (...edges: number[]) => [5, 2 + edges.length * 4, ...edges.flatMap(u32)],
  nop: () => [1],
  eol: () => [0],
};

export function udp(payload: Bytes, o: { sport?: number; dport?: number; length?: number } = {}): Bytes {
  return cat(u16(o.sport ?? 51234), u16(o.dport ?? 8000), u16(o.length ?? 8 + payload.length), u16(0), payload);
}

export function icmpEcho(type: number, id: number, seq: number, data: Bytes = ascii('ping')): Bytes {
  return cat([type, 0], u16(0), u16(id), u16(seq), data);
}

export function arp(op: number, sha: string, spa: string, tha: string, tpa: string): Bytes {
  return cat(u16(1), u16(0x0800), [6, 4], u16(op), mac(sha), ip4(spa), mac(tha), ip4(tpa));
}

/** DNS name as labels (no compression). */
export function dnsName(name: string): number[] {
  return [...name.split('.').flatMap((l) => [l.length, ...ascii(l)]), 0];
}

export function dnsQuery(id: number, name: string, qtype = 1): Bytes {
  return cat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), dnsName(name), u16(qtype), u16(1));
}

export function sll(payload: Bytes, proto = 0x0800, pkttype = 0, hatype = 772, addr = '00:00:00:00:00:00'): Bytes {
  return cat(u16(pkttype), u16(hatype), u16(6), mac(addr), [0, 0], u16(proto), payload);
}

export function sll2(payload: Bytes, proto = 0x0800, ifindex = 1, pkttype = 0, hatype = 772, addr = '00:00:00:00:00:00'): Bytes {
  return cat(u16(proto), u16(0), u32(ifindex), u16(hatype), [pkttype, 6], mac(addr), [0, 0], payload);
}

export function nullHdr(payload: Bytes, family: number, littleEndian = true): Bytes {
  const f = littleEndian ? [family & 0xff, (family >> 8) & 0xff, 0, 0] : u32(family);
  return cat(f, payload);
}
