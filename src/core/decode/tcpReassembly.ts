// TCP reassembly (Wireshark's tcp.desegment_tcp_streams) for HTTP and DNS over TCP: a message whose bytes span
// segments is dissected once, on the segment that completes it; the segments before show "[TCP segment of a
// reassembled PDU]" and where it was reassembled. Per direction of a stream at most one PDU waits.
// A stream an HTTP 101 response upgraded to WebSocket (websocket.ts) is cut into frames the same way (the 'ws' kind);
// its steps say so (`ws`), since a row click must hand them to the WebSocket dissector without the stream's history.
import { hexBytes } from './format';
import { type PacketInfo, addChild, addField, callPortsOrData, declareFields, tcpHeuristics, tcpPortTable } from './registry';
import type { Layer } from './dissect';
import { type ReassemblyStep, type ReassemblyTable, dissectBuffer, factKey, partsText, recordFact, replayedFact } from './reassembly';
import { httpMessageLength, isHttpPort, looksLikeHttp } from './http';
import { dnsTcpMessageLength } from './dns';
import { type WsDeflate, type WsMessage, type WsRest, dissectWebSocket, upgradeWebSocket, webSocketFrameLength, webSocketUnreassembled } from './websocket';
import { looksLikeTls, tlsRecordsLength } from './tls';
import { seqLt } from './tcpSeq';

const hf = declareFields({
  segments: ['tcp.segments', 'Reassembled TCP Segments', 'none'],
  segment: ['tcp.segment', 'TCP Segment', 'uint'],
  count: ['tcp.segment.count', 'Segment count', 'uint'],
  length: ['tcp.reassembled.length', 'Reassembled TCP length', 'uint'],
  data: ['tcp.reassembled.data', 'Reassembled TCP Data', 'bytes'],
  reassembledIn: ['tcp.reassembled_in', 'Reassembled PDU in frame', 'uint'],
});

/** Longest PDU reassembled; a longer one is shown segment by segment, as without reassembly. */
export const MAX_PDU_BYTES = 8 << 20;
/** Bytes all waiting PDUs may hold together, and how many may wait; the oldest is given up first. */
export const MAX_PENDING_PDU_BYTES = 32 << 20;
export const MAX_PENDING_PDUS = 4096;

type Kind = 'http' | 'dns' | 'tls' | 'ws';
/** A step of a WebSocket stream's payload carries `ws` (kept with the fact, so a replay needs no stream state). */
type TcpStep = ReassemblyStep & { ws?: true };
/** Upgraded streams remembered; past it the oldest is forgotten (its later frames are shown as TCP data). */
const MAX_WS_STREAMS = 65536;

interface Pending {
  kind: Kind;
  buf: Uint8Array;
  used: number;
  /** The PDU's length once known, else -1 (headers or chunks still coming). */
  need: number;
  /** Raw sequence number the next segment of this direction must start at. */
  nextSeq: number;
  frames: number[];
  lengths: number[];
  held: { t: 'held'; in: number }[];
}

class PduTable implements ReassemblyTable {
  readonly map = new Map<string, Pending>();
  bytes = 0;
  /** TCP streams upgraded to WebSocket (an HTTP 101 with `Upgrade: websocket` seen), oldest first. */
  readonly ws = new Set<number>();
  /** WebSocket messages sent in fragments, per direction, until their last fragment (websocket.ts). */
  readonly wsMessages = new Map<string, WsMessage>();
  /** Without reassembly: per direction, the bytes of a WebSocket frame still to come in later segments (websocket.ts). */
  readonly wsRest = new Map<string, WsRest>();
  /** WebSocket streams with permessage-deflate, and each direction's window (websocket.ts). */
  readonly wsDeflate = new Map<number, WsDeflate>();

  clone(): PduTable {
    const c = new PduTable();
    for (const [k, p] of this.map) c.map.set(k, { ...p, buf: p.buf.slice(), frames: [...p.frames], lengths: [...p.lengths], held: [...p.held] });
    c.bytes = this.bytes;
    for (const s of this.ws) c.ws.add(s);
    for (const [k, m] of this.wsMessages) c.wsMessages.set(k, { ...m, parts: [...m.parts], frames: [...m.frames], keys: [...m.keys] });
    for (const [k, r] of this.wsRest) c.wsRest.set(k, { ...r });
    for (const [k, z] of this.wsDeflate) c.wsDeflate.set(k, { ...z, windows: [z.windows[0], z.windows[1]] });
    return c;
  }

  upgrade(stream: number): void {
    if (this.ws.size >= MAX_WS_STREAMS) this.ws.delete(this.ws.values().next().value as number);
    this.ws.add(stream);
  }

  drop(key: string, p: Pending): void {
    this.map.delete(key);
    this.bytes -= p.buf.length;
  }
}

/** The PDU length this payload starts (-1: more bytes needed to tell; undefined: not a PDU start we reassemble). */
function pduLength(kind: Kind, d: Uint8Array, o: number, end: number): number | undefined {
  if (kind === 'ws') return webSocketFrameLength(d, o, end);
  return kind === 'dns' ? dnsTcpMessageLength(d, o, end) : kind === 'tls' ? tlsRecordsLength(d, o, end) : httpMessageLength(d, o, end);
}

/** Which reassembling protocol the payload goes to, as callPortsOrData would choose (lower port first, then heuristics). */
function kindAt(pi: PacketInfo, d: Uint8Array, o: number, end: number): Kind | undefined {
  if ((pi.ctx.tcpPdus as PduTable | undefined)?.ws.has(pi.tcp?.stream ?? -1)) return 'ws';
  const low = Math.min(pi.srcPort, pi.dstPort);
  const high = Math.max(pi.srcPort, pi.dstPort);
  if (low === 53 || (high === 53 && !isHttpPort(low))) return 'dns';
  // An HTTP port's dissector claims any payload, the heuristic only a message start; only a start is reassembled.
  return looksLikeHttp(d, o, end) ? 'http' : looksLikeTls(d, o, end) ? 'tls' : undefined;
}

/**
 * Hands a segment's payload (`start` … `end`) to HTTP or DNS a whole PDU at a time when the context reassembles:
 * true when it did (the payload is dissected), false to dissect it as without reassembly.
 */
export function reassembleTcp(pi: PacketInfo, layer: Layer, start: number, end: number, seqRaw: number): boolean {
  if (pi.nested !== 0) return false;
  // Without reassembly a WebSocket stream is still cut into frames, each segment alone (as Wireshark's).
  if (!pi.ctx.reassembly.desegmentTcp) return webSocketUnreassembled(pi, start, end, seqRaw, () => (pi.ctx.tcpPdus ??= new PduTable()) as PduTable);
  let steps: TcpStep[] | undefined;
  if (pi.replaying) steps = replayedFact(pi, factKey(pi, start))?.steps;
  else {
    steps = plan(pi, start, end, seqRaw);
    if (steps !== undefined) recordFact(pi, { at: factKey(pi, start), steps });
  }
  if (steps === undefined) return false;
  let o = start;
  for (const s of steps) {
    if (s.t === 'plain') {
      if (s.ws) dissectWebSocket(pi, o, o + s.len);
      else callPortsOrData(tcpPortTable, tcpHeuristics, pi, o, o + s.len);
      o += s.len;
    } else if (s.t === 'held') {
      if (o === start) {
        pi.protocol = 'TCP';
        pi.info += ' [TCP segment of a reassembled PDU]';
      }
      if (s.in > 0) addField(pi, layer, hf.reassembledIn, s.in, String(s.in), start, 0);
      o = end;
    } else if (s.t === 'done') {
      const { data, frames, lengths, ownAt, used } = s;
      if (pi.full) {
        const top = addField(pi, layer, hf.segments, '', `${frames.length} Reassembled TCP Segments (${data.length} bytes): ${partsText(frames, lengths)}`, o, used);
        for (const f of frames) addChild(pi, layer, top, hf.segment, f, String(f), o, 0);
        addChild(pi, layer, top, hf.count, frames.length, String(frames.length), o, 0);
        addChild(pi, layer, top, hf.length, data.length, String(data.length), o, 0);
        addChild(pi, layer, top, hf.data, hexBytes(data, 0, data.length), `${data.length} bytes`, o, 0);
      }
      dissectBuffer(pi, data, ownAt, used, o, () => (s.ws ? dissectWebSocket(pi, 0, data.length) : callPortsOrData(tcpPortTable, tcpHeuristics, pi, 0, data.length)));
      o += used;
    }
  }
  return true;
}

/** First pass: what to do with each part of the payload, or undefined when nothing is reassembled (dissect as is). */
function plan(pi: PacketInfo, start: number, end: number, seqRaw: number): TcpStep[] | undefined {
  // Only captured bytes can be reassembled.
  if (end > pi.capLen) return undefined;
  const d = pi.data;
  const ctx = pi.ctx;
  let table = ctx.tcpPdus as PduTable | undefined;
  // The common case costs a look at one byte: nothing waits, no DNS port, and no HTTP start ("CONNECT" … "TRACE", "HTTP/").
  if (table === undefined || (table.map.size === 0 && table.ws.size === 0)) {
    const c = d[start];
    if ((c < 0x43 || c > 0x54) && (c < 20 || c > 24) && pi.srcPort !== 53 && pi.dstPort !== 53) return undefined;
    if (kindAt(pi, d, start, end) === undefined) return undefined;
  }
  table ??= ctx.tcpPdus = new PduTable();
  const key = `${pi.tcp?.stream ?? -1}|${pi.netSrc}|${pi.srcPort}`;
  const frame = ctx.reassemblyFrame;
  const segEnd = (seqRaw + (end - start)) >>> 0;
  const steps: TcpStep[] = [];
  let o = start;
  let p = table.map.get(key);
  if (p !== undefined && p.nextSeq !== seqRaw) {
    // Earlier bytes again (a retransmission) are dissected as they are.
    if (seqLt(seqRaw, p.nextSeq)) return undefined;
    // After a gap (a lost segment), a segment inside the waiting PDU's length is one more segment of it, as Wireshark
    // shows it (it puts the bytes at their offset); the PDU then never completes here and waits until given up.
    if (p.need >= 0 && seqLt(seqRaw, (p.nextSeq - p.used + p.need) >>> 0)) {
      const held = { t: 'held' as const, in: 0 };
      p.held.push(held);
      return [held];
    }
    // Past it: the PDU is given up.
    table.drop(key, p);
    p = undefined;
  }
  if (p !== undefined) {
    let take = p.need >= 0 ? Math.min(end - o, p.need - p.used) : end - o;
    if (p.used + take > MAX_PDU_BYTES) {
      table.drop(key, p);
      return undefined;
    }
    append(table, p, d, o, take);
    if (p.need < 0) {
      const n = pduLength(p.kind, p.buf, 0, p.used);
      // Headers that end without a length: the PDU is what came so far (as without reassembly).
      p.need = n === undefined ? p.used : n;
      if (p.need >= 0 && p.used > p.need) {
        take -= p.used - p.need;
        p.used = p.need;
      }
    }
    if (p.need > MAX_PDU_BYTES) {
      table.drop(key, p);
      return undefined;
    }
    p.frames.push(frame);
    p.lengths.push(take);
    if (p.need >= 0 && p.used >= p.need) {
      table.drop(key, p);
      for (const h of p.held) h.in = frame;
      const data = p.buf.slice(0, p.need);
      steps.push({ t: 'done', data, frames: p.frames, lengths: p.lengths, ownAt: p.need - take, used: take, ...(p.kind === 'ws' ? { ws: true as const } : {}) });
      noteUpgrade(pi, table, p.kind, data, 0, data.length);
      o += take;
    } else {
      const held = { t: 'held' as const, in: 0 };
      p.held.push(held);
      p.nextSeq = segEnd;
      steps.push(held);
      return steps;
    }
  }
  while (o < end) {
    const kind = kindAt(pi, d, o, end);
    const n = kind === undefined ? undefined : pduLength(kind, d, o, end);
    if (kind === undefined || n === undefined || n > MAX_PDU_BYTES) {
      steps.push({ t: 'plain', len: end - o, ...(kind === 'ws' ? { ws: true as const } : {}) });
      break;
    }
    if (n >= 0 && o + n <= end) {
      steps.push({ t: 'plain', len: n, ...(kind === 'ws' ? { ws: true as const } : {}) });
      noteUpgrade(pi, table, kind, d, o, o + n);
      o += n;
      continue;
    }
    const held = { t: 'held' as const, in: 0 };
    const q: Pending = { kind, buf: new Uint8Array(Math.min(MAX_PDU_BYTES, Math.max(n, 2 * (end - o), 256))), used: 0, need: n, nextSeq: segEnd, frames: [frame], lengths: [end - o], held: [held] };
    table.map.set(key, q);
    table.bytes += q.buf.length;
    append(table, q, d, o, end - o);
    steps.push(held);
    while (table.map.size > MAX_PENDING_PDUS || table.bytes > MAX_PENDING_PDU_BYTES) {
      const [k, old] = table.map.entries().next().value as [string, Pending];
      table.drop(k, old);
    }
    break;
  }
  // Whole PDUs only: the same as without reassembly (but WebSocket frames need their fact to be found again).
  return steps.some((s) => s.t !== 'plain' || s.ws) ? steps : undefined;
}

/** An HTTP 101 response upgrading to WebSocket makes the rest of its stream WebSocket frames (Wireshark's HTTP hand-off). */
function noteUpgrade(pi: PacketInfo, table: PduTable, kind: Kind, d: Uint8Array, o: number, end: number): void {
  if (kind === 'http') upgradeWebSocket(pi, table, d, o, end);
}

function append(table: PduTable, p: Pending, d: Uint8Array, o: number, n: number): void {
  if (p.used + n > p.buf.length) {
    const grown = new Uint8Array(Math.min(Math.max(MAX_PDU_BYTES, p.used + n), Math.max(p.used + n, p.buf.length * 2)));
    grown.set(p.buf.subarray(0, p.used));
    table.bytes += grown.length - p.buf.length;
    p.buf = grown;
  }
  p.buf.set(d.subarray(o, o + n), p.used);
  p.used += n;
}
