// Ethernet/IPv4|IPv6/TCP|UDP frames built from a session's bytes and addresses, so a session that was never captured
// can be written as pcapng and opened in Wireshark. Checksums are computed, so no tool flags them.
import { isIPv4, isIPv6 } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface TcpSegment {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly seq: number;
  readonly ack: number;
  /** TCP flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  readonly flags: number;
  readonly payload?: Uint8Array;
}

/** Largest payload put in one frame (an IPv4 datagram is at most 65,535 bytes with its 40 header bytes). */
export const MAX_FRAME_PAYLOAD = 65_495;

/** "::ffff:127.0.0.1" as 127.0.0.1; anything else as given. */
export function plainHost(host: string): string {
  return host.startsWith('::ffff:') && isIPv4(host.slice(7)) ? host.slice(7) : host;
}

function ipv4Bytes(host: string): number[] {
  return host.split('.').map(Number);
}

function ipv6Bytes(host: string): number[] {
  let text = host.split('%')[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return words.flatMap((w) => {
    const n = parseInt(w, 16);
    return [n >> 8, n & 0xff];
  });
}

function sum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (bytes[i] << 8) | (i + 1 < end ? bytes[i + 1] : 0);
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** The IP family both ends share: 6 when either is IPv6 (an IPv4 end is then written as ::ffff:a.b.c.d). */
function familyOf(a: string, b: string): 4 | 6 {
  return isIPv6(a) || isIPv6(b) ? 6 : 4;
}

function addressBytes(host: string, family: 4 | 6): number[] {
  if (family === 4) return ipv4Bytes(host);
  return isIPv4(host) ? ipv6Bytes(`::ffff:${host}`) : ipv6Bytes(host);
}

/** One Ethernet frame carrying `transport` (a TCP or UDP header and payload, checksum field zero) from src to dst. */
function frame(src: Endpoint, dst: Endpoint, proto: 6 | 17, transport: Uint8Array, checksumAt: number): Uint8Array {
  const s = plainHost(src.host);
  const d = plainHost(dst.host);
  const family = familyOf(s, d);
  const sa = addressBytes(s, family);
  const da = addressBytes(d, family);
  const ipLen = family === 4 ? 20 : 40;
  const out = new Uint8Array(14 + ipLen + transport.length);
  out.set([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1], 0); // locally administered MACs: the session has none
  out.set(family === 4 ? [0x08, 0x00] : [0x86, 0xdd], 12);
  const ip = 14;
  if (family === 4) {
    const total = 20 + transport.length;
    out.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0x40, 0, 64, proto, 0, 0, ...sa, ...da], ip);
    const c = fold(sum16(out, ip, ip + 20));
    out[ip + 10] = c >> 8;
    out[ip + 11] = c & 0xff;
  } else {
    const plen = transport.length;
    out.set([0x60, 0, 0, 0, plen >> 8, plen & 0xff, proto, 64, ...sa, ...da], ip);
  }
  const t = ip + ipLen;
  out.set(transport, t);
  // pseudo-header: addresses, protocol, transport length
  let acc = sum16(Uint8Array.from([...sa, ...da]), 0, sa.length * 2);
  acc += proto + transport.length;
  const c = fold(sum16(out, t, out.length, acc)) || (proto === 17 ? 0xffff : 0);
  out[t + checksumAt] = c >> 8;
  out[t + checksumAt + 1] = c & 0xff;
  return out;
}

export function tcpFrame(seg: TcpSegment): Uint8Array {
  const payload = seg.payload ?? new Uint8Array(0);
  const t = new Uint8Array(20 + payload.length);
  const v = new DataView(t.buffer);
  v.setUint16(0, seg.src.port);
  v.setUint16(2, seg.dst.port);
  v.setUint32(4, seg.seq >>> 0);
  v.setUint32(8, seg.flags & 0x10 ? seg.ack >>> 0 : 0);
  t[12] = 5 << 4;
  t[13] = seg.flags;
  v.setUint16(14, 65535);
  t.set(payload, 20);
  return frame(seg.src, seg.dst, 6, t, 16);
}

export function udpFrame(src: Endpoint, dst: Endpoint, payload: Uint8Array): Uint8Array {
  const t = new Uint8Array(8 + payload.length);
  const v = new DataView(t.buffer);
  v.setUint16(0, src.port);
  v.setUint16(2, dst.port);
  v.setUint16(4, t.length);
  t.set(payload, 8);
  return frame(src, dst, 17, t, 6);
}

/** "127.0.0.1:5000", "[::1]:5000" → endpoint; undefined when it is not host:port. */
export function parseEndpoint(text: string | undefined): Endpoint | undefined {
  const m = text ? /^\[?([^\]]*?)\]?:(\d+)$/.exec(text) : null;
  return m && (isIPv4(plainHost(m[1])) || isIPv6(m[1].split('%')[0])) ? { host: m[1], port: Number(m[2]) } : undefined;
}
