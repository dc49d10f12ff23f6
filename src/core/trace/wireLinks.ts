// Links a traced program's stream sends and recvs (their byte ranges, CallLog.streamRange) to what else Socket Lab saw
// of those bytes: the TCP segments of a capture, by 4-tuple and sequence range, and the transcript chunks of a Socket
// Lab session at the other end. Bounded: a capture is read once, only the traced connections' segments are kept, and
// at most so many per direction.
import type { PacketRecord } from '../../shared/packet';
import { formatAddress } from '../errors';
import { formatIpv4, formatIpv6 } from '../decode/format';
import { isInetStream, type SessionKind } from '../sessions/session';
import type { Transcript } from '../sessions/transcript';
import type { StreamRange } from './callLog';

/** A capture's packets by capture-wide index (0-based, = No. − 1), as a PacketRing holds them. */
export interface PacketSource {
  readonly firstIndex: number;
  readonly endIndex: number;
  at(index: number): PacketRecord | undefined;
}

/** What the linking reads of a TCP packet: `src`/`dst` as the recorder writes addresses (`127.0.0.1:5000`, `[::1]:5000`). */
export interface TcpHeader {
  readonly src: string;
  readonly dst: string;
  readonly seq: number;
  /** Payload bytes. */
  readonly len: number;
  /** The flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  readonly flags: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;

const u16 = (d: Uint8Array, o: number) => (d[o] << 8) | d[o + 1];
const u32 = (d: Uint8Array, o: number) => ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;

/** The ethertype and where the IP header starts, for the link types captures of loopback and Ethernet have. */
function network(p: PacketRecord): { type: number; off: number } | undefined {
  const d = p.data;
  switch (p.linkType) {
    case 1: {
      let type = u16(d, 12);
      let off = 14;
      while ((type === 0x8100 || type === 0x88a8) && off + 4 <= d.length) {
        type = u16(d, off + 2);
        off += 4;
      }
      return { type, off };
    }
    case 113:
      return { type: u16(d, 14), off: 16 };
    case 276:
      return { type: u16(d, 0), off: 20 };
    case 0: {
      let family = (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;
      if (family & 0xffff0000) family = u32(d, 0);
      return { type: family === 2 ? 0x0800 : [10, 24, 28, 30].includes(family) ? 0x86dd : -1, off: 4 };
    }
    case 101:
    case 12:
      return { type: d[0] >> 4 === 4 ? 0x0800 : d[0] >> 4 === 6 ? 0x86dd : -1, off: 0 };
    default:
      return undefined;
  }
}

/**
 * A TCP segment's addresses, sequence number, payload length and flags; undefined for anything else (or a fragment),
 * and, given `ports`, for a segment with neither port among them (before any address is formatted).
 */
export function tcpHeaderOf(p: PacketRecord, ports?: ReadonlySet<number>): TcpHeader | undefined {
  const d = p.data;
  const net = network(p);
  if (!net) return undefined;
  let { off } = net;
  const ip = off;
  let l4: number;
  let end: number;
  const v4 = net.type === 0x0800;
  if (v4 && off + 20 <= d.length) {
    if (d[off + 9] !== 6 || (u16(d, off + 6) & 0x3fff) !== 0) return undefined;
    l4 = off + (d[off] & 15) * 4;
    end = off + u16(d, off + 2);
  } else if (net.type === 0x86dd && off + 40 <= d.length) {
    if (d[off + 6] !== 6) return undefined;
    l4 = off + 40;
    end = l4 + u16(d, off + 4);
  } else return undefined;
  if (l4 + 20 > d.length) return undefined;
  off = l4;
  const len = end - l4 - (d[l4 + 12] >> 4) * 4;
  const [sport, dport] = [u16(d, off), u16(d, off + 2)];
  if (len < 0 || (ports && !ports.has(sport) && !ports.has(dport))) return undefined;
  const src = v4 ? formatIpv4(d, ip + 12) : formatIpv6(d, ip + 8);
  const dst = v4 ? formatIpv4(d, ip + 16) : formatIpv6(d, ip + 24);
  return { src: formatAddress(src, sport), dst: formatAddress(dst, dport), seq: u32(d, off + 4), len, flags: d[off + 13] | ((d[off + 12] & 1) << 8) };
}

/** One kept segment: its capture-wide index, raw sequence number, payload length, flags and time (s since the epoch). */
export interface KeptSegment {
  readonly index: number;
  readonly seq: number;
  readonly len: number;
  readonly flags: number;
  readonly t: number;
}

interface Half {
  /** The SYN's sequence number: the stream's byte 0 is isn + 1. */
  isn?: number;
  segs: KeptSegment[];
  /** Segments forgotten to stay within the budget. */
  trimmed: number;
}

/** How a byte range maps to a capture: the frames (1-based No.) that carried it, or why none can be named. */
export type SegmentLink =
  | { readonly frames: readonly number[] }
  | { readonly missing: 'notCaptured' | 'noStart' | 'forgotten' };

export interface SegmentIndexOptions {
  /** Segments kept per direction of a connection (default 20,000; the oldest go first). */
  readonly perDirection?: number;
  /** Connections watched (default 2,000). */
  readonly maxWatched?: number;
}

/** Most frames one link names. */
export const MAX_LINK_FRAMES = 1000;

/**
 * One capture's segments of the connections a run traced. Read lazily: each question first reads the packets that
 * arrived since the last; a connection watched later makes it read the retained packets again (its SYN may be older).
 */
export class SegmentIndex {
  private next: number;
  private readonly halves = new Map<string, Half>();
  private readonly watched = new Set<string>();
  /** The watched connections' ports: a packet on none of them is passed over before its addresses are read. */
  private readonly ports = new Set<number>();
  private readonly perDirection: number;
  private readonly maxWatched: number;

  constructor(
    readonly source: PacketSource,
    opts: SegmentIndexOptions = {},
  ) {
    this.next = source.firstIndex;
    this.perDirection = opts.perDirection ?? 20_000;
    this.maxWatched = opts.maxWatched ?? 2000;
  }

  /** Watches the connections between each pair's two ends (`[local, peer]` as the recorder wrote them). */
  watch(pairs: Iterable<readonly [string, string]>): void {
    let added = false;
    for (const [a, b] of pairs) {
      if (this.watched.size >= this.maxWatched) break;
      for (const key of [`${a}>${b}`, `${b}>${a}`]) {
        if (this.watched.has(key)) continue;
        this.watched.add(key);
        added = true;
      }
      for (const end of [a, b]) {
        const port = Number(end.slice(end.lastIndexOf(':') + 1));
        if (Number.isInteger(port)) this.ports.add(port);
      }
    }
    if (added) {
      this.halves.clear();
      this.next = this.source.firstIndex;
    }
  }

  private catchUp(): void {
    const end = this.source.endIndex;
    for (let i = Math.max(this.next, this.source.firstIndex); i < end; i++) {
      const p = this.source.at(i);
      const tcp = p && tcpHeaderOf(p, this.ports);
      if (!p || !tcp) continue;
      const key = `${tcp.src}>${tcp.dst}`;
      if (!this.watched.has(key)) continue;
      let half = this.halves.get(key);
      if (!half || tcp.flags & TCP_SYN) this.halves.set(key, (half = { segs: [], trimmed: 0, ...(tcp.flags & TCP_SYN ? { isn: tcp.seq } : {}) }));
      half.segs.push({ index: i, seq: tcp.seq, len: tcp.len, flags: tcp.flags, t: p.tsMicros / 1e6 + (p.tsNanos ?? 0) / 1e9 });
      if (half.segs.length > this.perDirection) {
        const cut = Math.ceil(this.perDirection / 4);
        half.segs.splice(0, cut);
        half.trimmed += cut;
      }
    }
    this.next = end;
  }

  /** The segments that carried bytes `start`–`end` of the stream `from` → `to`, by sequence number. */
  segmentsFor(range: StreamRange): SegmentLink {
    this.catchUp();
    const half = this.halves.get(`${range.from}>${range.to}`);
    if (!half) return { missing: 'notCaptured' };
    if (half.isn === undefined) return { missing: 'noStart' };
    const frames: number[] = [];
    for (const s of half.segs) {
      if (!s.len) continue;
      const rel = (s.seq - half.isn - 1) >>> 0;
      if (rel < range.end && rel + s.len > range.start && frames.length < MAX_LINK_FRAMES) frames.push(s.index + 1);
    }
    if (!frames.length) return { missing: half.trimmed ? 'forgotten' : 'notCaptured' };
    return { frames };
  }

  /** Whether any packet of a watched connection was captured. */
  get seen(): boolean {
    this.catchUp();
    return this.halves.size > 0;
  }

  /** The watched connections' packets captured between `from` and `to` (s since the epoch), oldest first, at most `max`. */
  packets(from: number, to: number, max: number): { packets: (KeptSegment & { src: string; dst: string })[]; omitted: number } {
    this.catchUp();
    const all: (KeptSegment & { src: string; dst: string })[] = [];
    let omitted = 0;
    for (const [key, half] of this.halves) {
      const [src, dst] = key.split('>');
      // kept in capture order, which is time order: the first at or after `from` by binary search
      let lo = 0;
      let hi = half.segs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (half.segs[mid].t < from) lo = mid + 1;
        else hi = mid;
      }
      let taken = 0;
      for (let i = lo; i < half.segs.length && half.segs[i].t <= to; i++) {
        if (taken++ < max) all.push({ ...half.segs[i], src, dst });
        else omitted++;
      }
    }
    all.sort((a, b) => a.index - b.index);
    return { packets: all.slice(0, max), omitted: omitted + Math.max(0, all.length - max) };
  }
}

/** What the transcript linking reads of a session. */
export interface SessionEnd {
  readonly id: string;
  readonly kind: SessionKind;
  readonly label: string;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly transcript: Transcript;
}

/** A session's end as the recorder writes addresses (an IPv4-mapped IPv6 address as its IPv4 one). */
function endText(address: string | undefined, port: number | undefined): string | undefined {
  if (!address || port === undefined) return undefined;
  return formatAddress(address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''), port);
}

/** Transcript chunks `first`–`last` (their #seq) of a session held the bytes. */
export interface ChunkLink {
  readonly sessionId: string;
  readonly label: string;
  readonly first: number;
  readonly last: number;
}

/** The Socket Lab TCP session whose two ends are `from` and `to`, and its direction that carries bytes `from` → `to`. */
export function sessionBetween(from: string, to: string, sessions: Iterable<SessionEnd>): { session: SessionEnd; dir: 'in' | 'out' } | undefined {
  for (const s of sessions) {
    if (!isInetStream(s.kind) || s.kind.endsWith('-server') || s.kind.startsWith('tls-')) continue;
    const local = endText(s.localAddress, s.localPort);
    const remote = endText(s.remoteAddress, s.remotePort);
    if (local === to && remote === from) return { session: s, dir: 'in' };
    if (local === from && remote === to) return { session: s, dir: 'out' };
  }
  return undefined;
}

/** One direction of a transcript: each held chunk's seq and its bytes' offsets within that direction. */
export interface DirectionChunks {
  readonly seqs: readonly number[];
  /** starts[i] is chunk seqs[i]'s first byte in its direction; ends[i] one past its last. */
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

/** A transcript's chunks of one direction with their offsets in it; undefined once the transcript forgot its start. */
export function directionChunks(tr: Transcript, dir: 'in' | 'out'): DirectionChunks | undefined {
  if (tr.firstSeq > 0) return undefined;
  const out = { seqs: [] as number[], starts: [] as number[], ends: [] as number[] };
  let at = 0;
  for (const c of tr.chunks()) {
    if (c.dir !== dir) continue;
    out.seqs.push(c.seq);
    out.starts.push(at);
    at += c.length;
    out.ends.push(at);
  }
  return out;
}

/** The seqs of the chunks holding bytes [start, end) of their direction (by binary search). */
export function chunksIn(d: DirectionChunks, start: number, end: number): number[] {
  let lo = 0;
  let hi = d.ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (d.ends[mid] <= start) lo = mid + 1;
    else hi = mid;
  }
  const seqs: number[] = [];
  for (let i = lo; i < d.seqs.length && d.starts[i] < end; i++) seqs.push(d.seqs[i]);
  return seqs;
}

/**
 * The Socket Lab session at the other end of the stream `from` → `to` (a TCP session whose two ends are the call's
 * two ends), and the chunks of its transcript that hold bytes `start`–`end` of that direction. Undefined when no
 * session matches or its transcript no longer holds the start of that direction (a budget forgot chunks).
 */
export function chunksFor(range: StreamRange, sessions: Iterable<SessionEnd>): ChunkLink | undefined {
  const found = sessionBetween(range.from, range.to, sessions);
  const d = found && directionChunks(found.session.transcript, found.dir);
  const seqs = d ? chunksIn(d, range.start, range.end) : [];
  if (!found || !seqs.length) return undefined;
  return { sessionId: found.session.id, label: found.session.label, first: seqs[0], last: seqs[seqs.length - 1] };
}
