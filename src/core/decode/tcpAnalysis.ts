// Wireshark's TCP sequence analysis (packet-tcp.c, tcp_analyze_sequence_number): retransmissions, lost and
// out-of-order segments, duplicate ACKs, windows, keep-alives, RTTs and bytes in flight, computed once per segment
// in capture order from per-conversation state, on raw sequence numbers as Wireshark does. The result is a small
// record the replay log keeps, so a packet dissected again alone shows what the first pass found.
import type { TcpConversationState } from './context';
import type { Field, Layer } from './dissect';
import { type FactValue, declareFastReaders, tcpFact } from './fastValues';
import { type FieldDef, type PacketInfo, type Replay, addChild, addField, declareFields } from './registry';
import { ACK, FIN, PSH, RST, SYN, seqGt as gt, seqLe as le, seqLt as lt } from './tcpSeq';

/** Wireshark's TCP_A_* bits. */
export const TA_RETRANSMISSION = 0x0001;
export const TA_LOST_PACKET = 0x0002;
export const TA_ACK_LOST_PACKET = 0x0004;
export const TA_KEEP_ALIVE = 0x0008;
export const TA_DUPLICATE_ACK = 0x0010;
export const TA_ZERO_WINDOW = 0x0020;
export const TA_ZERO_WINDOW_PROBE = 0x0040;
export const TA_ZERO_WINDOW_PROBE_ACK = 0x0080;
export const TA_KEEP_ALIVE_ACK = 0x0100;
export const TA_OUT_OF_ORDER = 0x0200;
export const TA_FAST_RETRANSMISSION = 0x0400;
export const TA_WINDOW_UPDATE = 0x0800;
export const TA_WINDOW_FULL = 0x1000;
export const TA_REUSED_PORTS = 0x2000;
export const TA_SPURIOUS_RETRANSMISSION = 0x4000;

/**
 * What the analysis found for one segment (Wireshark's `struct tcp_acked`); times in microseconds (with a fraction on a
 * capture stamped in nanoseconds), 0 = none.
 */
export interface TcpAnalysis {
  flags: number;
  /** The frame whose segment this ACKs exactly (`tcp.analysis.acks_frame`), 0 none. */
  ackedFrame: number;
  ackRttUs: number;
  initialRttUs: number;
  bytesInFlight: number;
  pushBytesSent: number;
  dupAckNum: number;
  dupAckFrame: number;
  rtoUs: number;
  rtoFrame: number;
  /**
   * The conversation, while its handshake RTT is unknown: a tree read after the whole pass (Wireshark's second pass,
   * `tshark -2`) shows the iRTT found later, one read at once shows none (one pass). Never packed.
   */
  conv?: TcpConversationAnalysis;
}

/** The iRTT a tree shows: found by this segment's time, else found later in the pass (see `TcpAnalysis.conv`). */
export function initialRtt(a: TcpAnalysis): number {
  return a.initialRttUs || (a.conv?.firstRttUs ?? 0);
}

interface Unacked {
  seq: number;
  nextseq: number;
  frame: number;
  ts: number;
  dead?: boolean;
}

// ---- State: one conversation's scalars are a few slots of its context's pool (two numbers' worth of objects per
// conversation instead of a dozen), so a context's clone (a file model's checkpoint) copies one array ----

/** Slots of one direction (Wireshark's tcp_flow_t with its tcp_analyze_seq_flow_info_t). */
const NEXTSEQ = 0;
const NEXTSEQFRAME = 1;
const NEXTSEQTIME = 2;
const MAXSEQTOBEACKED = 3;
const LASTACK = 4;
const LASTACKTIME = 5;
const DUPACKNUM = 6;
const LASTNONDUPACK = 7;
/** The last raw (unscaled) window this side announced. */
const WINDOW = 8;
const LASTSEGMENTFLAGS = 9;
const VALID_BIF = 10;
const PUSH_BYTES_SENT = 11;
const PUSH_SET_LAST = 12;
/** 1 until this side's first non-SYN ACK: its window is not scaled yet (Wireshark's is_first_ack). */
const IS_FIRST_ACK = 13;
const FLOW_SLOTS = 14;
/** Per conversation: the most recent SYN's time (µs, -1 none), then both directions. */
const SYN_TIME = 0;
const CONV_SLOTS = 1 + 2 * FLOW_SLOTS;

/** The analysis state of every conversation of one context, one slot range each (`TcpConversationAnalysis.at`). */
export class AnalysisPool {
  f: Float64Array;
  private used = 0;
  private readonly free: number[] = [];

  constructor(capacity = 4) {
    this.f = new Float64Array(capacity * CONV_SLOTS);
  }

  /** A fresh conversation's first slot. */
  alloc(): number {
    let at = this.free.pop();
    if (at === undefined) {
      at = this.used;
      this.used += CONV_SLOTS;
      if (this.used > this.f.length) {
        const grown = new Float64Array(Math.max(this.used, this.f.length * 2));
        grown.set(this.f);
        this.f = grown;
      }
    }
    const f = this.f;
    f.fill(0, at, at + CONV_SLOTS);
    f[at + SYN_TIME] = -1;
    for (const d of [0, 1]) {
      f[at + 1 + d * FLOW_SLOTS + VALID_BIF] = 1;
      f[at + 1 + d * FLOW_SLOTS + IS_FIRST_ACK] = 1;
    }
    return at;
  }

  /** Conversations holding slots. */
  get held(): number {
    return this.used / CONV_SLOTS - this.free.length;
  }

  /** Gives a forgotten conversation's slots back. */
  release(at: number): void {
    this.free.push(at);
  }

  clone(): AnalysisPool {
    const c = new AnalysisPool(0);
    c.f = this.f.slice(0, this.used);
    c.used = this.used;
    c.free.push(...this.free);
    return c;
  }
}

interface Unacked {
  seq: number;
  nextseq: number;
  frame: number;
  ts: number;
  dead?: boolean;
}

/** What one direction keeps besides its scalars: unacked segments (oldest first) and its latest SACK edges. */
interface FlowLists {
  segments: Unacked[];
  /** SACK blocks (raw left, right pairs) of this side's latest segment. */
  sack: number[] | undefined;
}

/** Per-conversation analysis state (both directions, the handshake's RTT). */
export interface TcpConversationAnalysis {
  pool: AnalysisPool;
  /** First slot in `pool`. */
  at: number;
  /** Handshake RTT, SYN to the first ACK (µs), 0 unknown. */
  firstRttUs: number;
  /** Made when a direction first has an unacked segment or SACK edges. */
  lists: [FlowLists, FlowLists] | undefined;
}

const MAX_UNACKED = 10000;
const NO_SEGMENTS: readonly Unacked[] = [];

/** A conversation's analysis state in `pool` (a pool of its own when none is given: tests). */
export function newConversationAnalysis(pool = new AnalysisPool(1)): TcpConversationAnalysis {
  return { pool, at: pool.alloc(), firstRttUs: 0, lists: undefined };
}

/** The same state in `pool`, a clone of the pool `a` lives in (lists copied, as they change in place). */
export function cloneConversationAnalysis(a: TcpConversationAnalysis, pool: AnalysisPool): TcpConversationAnalysis {
  const l = (x: FlowLists): FlowLists => ({ segments: x.segments.map((u) => ({ ...u })), sack: x.sack });
  return { pool, at: a.at, firstRttUs: a.firstRttUs, lists: a.lists && [l(a.lists[0]), l(a.lists[1])] };
}

export interface TcpSegmentFacts {
  frame: number;
  tsUs: number;
  seq: number;
  ack: number;
  seglen: number;
  flags: number;
  /** The raw 16-bit window field. */
  window: number;
  /** Wireshark's win_scale of the receiving side: -1 unknown, -2 not used, else the shift. */
  peerWinScale: number;
  /** Raw SACK edges (left, right …) this segment carries. */
  sack: number[] | undefined;
  reusedPorts: boolean;
  /** A SYN (no ACK) whose sequence number is the one this side's first SYN had. */
  synAgain?: boolean;
}

function result(): TcpAnalysis {
  return { flags: 0, ackedFrame: 0, ackRttUs: 0, initialRttUs: 0, bytesInFlight: 0, pushBytesSent: 0, dupAckNum: 0, dupAckFrame: 0, rtoUs: 0, rtoFrame: 0 };
}

/**
 * One segment through Wireshark's rules, updating `conv`; returns the analysis, or undefined where Wireshark
 * creates no analysis record (then no `tcp.analysis` subtree is shown).
 */
export function analyzeSegment(conv: TcpConversationAnalysis, dir: 0 | 1, s: TcpSegmentFacts): TcpAnalysis | undefined {
  // F[fw + X] is this direction's X, F[rv + X] the other's.
  const F = conv.pool.f;
  const fw = conv.at + 1 + dir * FLOW_SLOTS;
  const rv = conv.at + 1 + (1 - dir) * FLOW_SLOTS;
  const { seq, ack, seglen, flags, window, frame, tsUs: now } = s;
  let ta: TcpAnalysis | undefined;
  const get = () => (ta ??= result());
  if (s.reusedPorts) get().flags |= TA_REUSED_PORTS;

  // A SYN again with the same initial sequence number: Wireshark restores the next expected sequence number (a RST
  // may have moved it, its issue 17616) and always shows an analysis, usually a retransmission.
  if (s.synAgain) {
    F[fw + NEXTSEQ] = F[fw + MAXSEQTOBEACKED];
    get();
  }

  if (flags & ACK) F[rv + VALID_BIF] = 1;
  const fwdNext = F[fw + NEXTSEQ];
  const plain = (flags & (SYN | FIN | RST)) === 0;

  fwd_checks: {
    if (seglen === 1 && seq === fwdNext && F[rv + WINDOW] === 0) {
      get().flags |= TA_ZERO_WINDOW_PROBE;
      break fwd_checks;
    }
    if (window === 0 && plain) get().flags |= TA_ZERO_WINDOW;
    if (fwdNext !== 0 && gt(seq, fwdNext) && (flags & RST) === 0) {
      get().flags |= TA_LOST_PACKET;
      F[fw + VALID_BIF] = 0;
    }
    if ((seglen === 0 || seglen === 1) && seq === ((fwdNext - 1) >>> 0) && plain) get().flags |= TA_KEEP_ALIVE;
    const sameAck = seq === fwdNext && ack === F[fw + LASTACK] && plain;
    if (seglen === 0 && window !== 0 && window !== F[fw + WINDOW] && sameAck) get().flags |= TA_WINDOW_UPDATE;
    if (seglen > 0 && s.peerWinScale !== -1 && plain) {
      const shift = F[rv + IS_FIRST_ACK] || s.peerWinScale === -2 ? 0 : s.peerWinScale;
      if (((seq + seglen) >>> 0) === ((F[rv + LASTACK] + F[rv + WINDOW] * 2 ** shift) >>> 0)) get().flags |= TA_WINDOW_FULL;
    }
    const repeats = seglen === 0 && window === F[fw + WINDOW] && sameAck;
    if (repeats && window !== 0 && F[rv + LASTSEGMENTFLAGS] & TA_KEEP_ALIVE) {
      get().flags |= TA_KEEP_ALIVE_ACK;
      break fwd_checks;
    }
    if (repeats && window === 0 && F[rv + LASTSEGMENTFLAGS] & TA_ZERO_WINDOW_PROBE) {
      get().flags |= TA_ZERO_WINDOW_PROBE_ACK;
      break fwd_checks;
    }
    if (repeats && window !== 0) {
      const n = (F[fw + DUPACKNUM] = F[fw + DUPACKNUM] === -1 ? 1 : F[fw + DUPACKNUM] + 1);
      const t = get();
      t.flags |= TA_DUPLICATE_ACK;
      t.dupAckNum = n;
      t.dupAckFrame = F[fw + LASTNONDUPACK];
    }
  }
  if (ack !== F[fw + LASTACK]) {
    F[fw + LASTNONDUPACK] = frame;
    F[fw + DUPACKNUM] = 0;
  }

  // ACKed unseen segment: this ACK covers more than the other side was seen to send in sequence.
  const revMax = F[rv + MAXSEQTOBEACKED];
  if (revMax !== 0 && gt(ack, revMax) && flags & ACK) {
    const t = get();
    // Wireshark's LT_SEQ: a hole the other side's later segments jumped over; say it once, then move past it.
    if (lt(revMax, F[rv + NEXTSEQ])) {
      F[rv + MAXSEQTOBEACKED] = F[rv + NEXTSEQ];
      t.flags |= TA_ACK_LOST_PACKET;
    } else {
      // Said once per hole while the other side only sends pure ACKs.
      if (F[rv + DUPACKNUM] === 0) t.flags |= TA_ACK_LOST_PACKET;
      F[rv + DUPACKNUM] = -1;
    }
  }

  if (seglen > 0 || flags & (SYN | FIN)) retransmissionChecks(conv, dir, s, get, ta);

  // Wireshark counts the SYN's or FIN's sequence number only for a segment it keeps in its unacked list.
  let nextseq = (seq + seglen) >>> 0;
  if ((seglen > 0 || flags & (SYN | FIN)) && (conv.lists?.[dir].segments.length ?? 0) < MAX_UNACKED) {
    if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
    listsOf(conv, dir).segments.push({ seq, nextseq, frame, ts: now });
  }
  const zwp = ta !== undefined && (ta.flags & TA_ZERO_WINDOW_PROBE) !== 0;
  if ((gt(nextseq, F[fw + NEXTSEQ]) || F[fw + NEXTSEQ] === 0) && !zwp) {
    F[fw + NEXTSEQ] = nextseq;
    F[fw + NEXTSEQFRAME] = frame;
    F[fw + NEXTSEQTIME] = now;
  }
  if ((seq === F[fw + MAXSEQTOBEACKED] || F[fw + MAXSEQTOBEACKED] === 0) && !zwp) F[fw + MAXSEQTOBEACKED] = F[fw + NEXTSEQ];

  F[fw + WINDOW] = window;
  F[fw + LASTACK] = ack;
  F[fw + LASTACKTIME] = now;
  F[fw + LASTSEGMENTFLAGS] = ta !== undefined ? ta.flags : 0;

  if (conv.lists !== undefined) forgetAcked(conv.lists[1 - dir].segments, ack, now, get);
  if (seglen !== 0 && F[fw + VALID_BIF]) bytesInFlight(conv, dir, s, get);
  if (conv.lists !== undefined || s.sack !== undefined) listsOf(conv, dir).sack = s.sack;

  // Handshake RTT, after the sequence checks as in Wireshark: the most recent SYN to the first ACK without SYN. Until
  // a side's first such ACK its window is not scaled (Wireshark's is_first_ack, set again by each SYN).
  if ((flags & (SYN | ACK)) === SYN) F[conv.at + SYN_TIME] = now;
  if (flags & SYN) F[fw + IS_FIRST_ACK] = 1;
  if ((flags & (SYN | ACK)) === ACK) {
    if (conv.firstRttUs === 0 && F[conv.at + SYN_TIME] >= 0) conv.firstRttUs = now - F[conv.at + SYN_TIME];
    F[fw + IS_FIRST_ACK] = 0;
  }
  const done = ta as TcpAnalysis | undefined;
  if (done !== undefined) {
    done.initialRttUs = conv.firstRttUs;
    if (conv.firstRttUs === 0) done.conv = conv;
  }
  return done;
}

function listsOf(conv: TcpConversationAnalysis, dir: 0 | 1): FlowLists {
  conv.lists ??= [
    { segments: [], sack: undefined },
    { segments: [], sack: undefined },
  ];
  return conv.lists[dir];
}

/** Retransmission, fast retransmission, spurious retransmission or out-of-order: a segment that does not advance. */
function retransmissionChecks(conv: TcpConversationAnalysis, dir: 0 | 1, s: TcpSegmentFacts, get: () => TcpAnalysis, ta: TcpAnalysis | undefined): void {
  const F = conv.pool.f;
  const fw = conv.at + 1 + dir * FLOW_SLOTS;
  const rv = conv.at + 1 + (1 - dir) * FLOW_SLOTS;
  const { seq, seglen, flags, tsUs: now } = s;
  const fwdNext = F[fw + NEXTSEQ];
  let notAdvanced = fwdNext !== 0 && lt(seq, fwdNext);
  if (ta !== undefined && ta.flags & TA_KEEP_ALIVE) return;
  // One byte less than expected and more than one byte long: the byte after a zero-window probe, new data.
  if (seglen > 1 && ((fwdNext - 1) >>> 0) === seq) notAdvanced = false;
  const revAck = F[rv + LASTACK];
  if (seglen > 0 && revAck !== 0 && le((seq + seglen) >>> 0, revAck)) {
    get().flags |= TA_SPURIOUS_RETRANSMISSION;
    return;
  }
  // Wireshark 4.0's default (tcp.fastrt_supersedes_ooo): fast retransmission is tested before out-of-order.
  const sinceAck = now - F[rv + LASTACKTIME];
  if (notAdvanced && F[rv + DUPACKNUM] >= 2 && revAck === seq && sinceAck >= 0 && sinceAck < 20000) {
    get().flags |= TA_FAST_RETRANSMISSION;
    return;
  }
  const sinceNext = now - F[fw + NEXTSEQTIME];
  const oooThreshold = conv.firstRttUs === 0 ? 3000 : conv.firstRttUs;
  if (notAdvanced && sinceNext >= 0 && sinceNext < oooThreshold && fwdNext !== ((seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0)) {
    get().flags |= TA_OUT_OF_ORDER;
    return;
  }
  if (notAdvanced) {
    const t = get();
    t.flags |= TA_RETRANSMISSION;
    // The RTO is measured from the oldest unacked segment, else from the highest one sent.
    const eldest = conv.lists?.[dir].segments[0];
    t.rtoUs = now - (eldest ? eldest.ts : F[fw + NEXTSEQTIME]);
    t.rtoFrame = eldest ? eldest.frame : F[fw + NEXTSEQFRAME];
  }
}

/** Forgets what this ACK covers; an exact match names the acked frame and its RTT (newest first, as Wireshark's list). */
function forgetAcked(segs: Unacked[], ack: number, now: number, get: () => TcpAnalysis): void {
  let removed = false;
  for (let i = segs.length - 1; i >= 0; i--) {
    const u = segs[i];
    if (ack === u.nextseq) {
      const t = get();
      t.ackedFrame = u.frame;
      t.ackRttUs = now - u.ts;
    } else if (gt(ack, u.seq) && le(ack, u.nextseq)) {
      u.seq = ack; // partly acked: what remains
      continue;
    } else if (gt(u.nextseq, ack)) continue;
    u.dead = true;
    removed = true;
  }
  if (removed) {
    let w = 0;
    for (let i = 0; i < segs.length; i++) if (!segs[i].dead) segs[w++] = segs[i];
    segs.length = w;
  }
}

/** Bytes in flight: the span of this side's unacked segments, less what the other side's latest SACKs cover. */
function bytesInFlight(conv: TcpConversationAnalysis, dir: 0 | 1, s: TcpSegmentFacts, get: () => TcpAnalysis): void {
  const mine = conv.lists?.[dir].segments ?? NO_SEGMENTS;
  if (mine.length === 0) return;
  const F = conv.pool.f;
  const fw = conv.at + 1 + dir * FLOW_SLOTS;
  const base = mine[mine.length - 1].seq;
  let first = 0;
  let last = (mine[mine.length - 1].nextseq - base) | 0;
  for (let i = 0; i < mine.length; i++) {
    const a = (mine[i].seq - base) | 0;
    const b = (mine[i].nextseq - base) | 0;
    if (b > last) last = b;
    if (a < first) first = a;
  }
  let inFlight = (last - first) >>> 0;
  const sack = conv.lists?.[1 - dir].sack;
  if (sack !== undefined) for (let i = 0; i + 1 < sack.length; i += 2) inFlight = (inFlight - ((sack[i + 1] - sack[i]) >>> 0)) >>> 0;
  if (inFlight > 0 && inFlight < 2000000000) get().bytesInFlight = s.flags & (SYN | FIN) ? inFlight - 1 : inFlight;
  const push = (s.flags & PSH) !== 0;
  if (push && !F[fw + PUSH_SET_LAST]) {
    F[fw + PUSH_BYTES_SENT] += s.seglen;
    F[fw + PUSH_SET_LAST] = 1;
  } else if (push) F[fw + PUSH_BYTES_SENT] = s.seglen;
  else if (F[fw + PUSH_SET_LAST]) {
    F[fw + PUSH_BYTES_SENT] = s.seglen;
    F[fw + PUSH_SET_LAST] = 0;
  } else F[fw + PUSH_BYTES_SENT] += s.seglen;
  get().pushBytesSent = F[fw + PUSH_BYTES_SENT];
}

// ---- Fields, Info and the filter's fast readers ----

const hf = declareFields({
  analysis: ['tcp.analysis', 'SEQ/ACK analysis', 'none'],
  flags: ['tcp.analysis.flags', 'TCP Analysis Flags', 'none'],
  acksFrame: ['tcp.analysis.acks_frame', 'This is an ACK to the segment in frame', 'uint'],
  ackRtt: ['tcp.analysis.ack_rtt', 'The RTT to ACK the segment was', 'time'],
  initialRtt: ['tcp.analysis.initial_rtt', 'iRTT', 'time'],
  bytesInFlight: ['tcp.analysis.bytes_in_flight', 'Bytes in flight', 'uint'],
  pushBytesSent: ['tcp.analysis.push_bytes_sent', 'Bytes sent since last PSH flag', 'uint'],
  rto: ['tcp.analysis.rto', 'The RTO for this segment was', 'time'],
  rtoFrame: ['tcp.analysis.rto_frame', 'RTO based on delta from frame', 'uint'],
  dupAck: ['tcp.analysis.duplicate_ack', 'Duplicate ACK', 'none'],
  dupAckNum: ['tcp.analysis.duplicate_ack_num', 'Duplicate ACK #', 'uint'],
  dupAckFrame: ['tcp.analysis.duplicate_ack_frame', 'Duplicate to the ACK in frame', 'uint'],
  retransmission: ['tcp.analysis.retransmission', 'This frame is a (suspected) retransmission', 'none'],
  fastRetransmission: ['tcp.analysis.fast_retransmission', 'This frame is a (suspected) fast retransmission', 'none'],
  spuriousRetransmission: ['tcp.analysis.spurious_retransmission', 'This frame is a (suspected) spurious retransmission', 'none'],
  outOfOrder: ['tcp.analysis.out_of_order', 'This frame is a (suspected) out-of-order segment', 'none'],
  reusedPorts: ['tcp.analysis.reused_ports', 'A new tcp session is started with the same ports as an earlier session in this trace', 'none'],
  lostSegment: ['tcp.analysis.lost_segment', 'Previous segment(s) not captured (common at capture start)', 'none'],
  ackLostSegment: ['tcp.analysis.ack_lost_segment', "ACKed segment that wasn't captured (common at capture start)", 'none'],
  windowUpdate: ['tcp.analysis.window_update', 'TCP window update', 'none'],
  windowFull: ['tcp.analysis.window_full', 'TCP window specified by the receiver is now completely full', 'none'],
  keepAlive: ['tcp.analysis.keep_alive', 'TCP keep-alive segment', 'none'],
  keepAliveAck: ['tcp.analysis.keep_alive_ack', 'ACK to a TCP keep-alive segment', 'none'],
  zeroWindowProbe: ['tcp.analysis.zero_window_probe', 'TCP Zero Window Probe', 'none'],
  zeroWindow: ['tcp.analysis.zero_window', 'TCP Zero Window segment', 'none'],
  zeroWindowProbeAck: ['tcp.analysis.zero_window_probe_ack', 'ACK to a TCP Zero Window Probe', 'none'],
});

/** A replay log entry of a TCP segment with its analysis (the entry type is registry.ts's `Replay['tcp']`). */
export type TcpAnalysisReplay = Replay['tcp'][number] & { analysis?: TcpAnalysis };

/**
 * The packet's time for the analysis, in µs with its nanoseconds as a fraction: counted from 2^40 µs (12.7 days) before
 * the context's first analysed packet, so that a difference keeps every nanosecond (an epoch time in µs as a double
 * keeps a quarter of a µs) while times stay as far from 0 as epoch times were (0 = never, -1 = none).
 */
function analysisTime(pi: PacketInfo): number {
  const rec = pi.rec;
  const base = (pi.ctx.analysisTimeBase ??= rec.tsMicros - 2 ** 40);
  return rec.tsMicros - base + (rec.tsNanos ?? 0) / 1000;
}

/** Runs the analysis for a segment of the first pass (tcp.ts); state lives on the conversation. */
export function analyzeTcpSegment(pi: PacketInfo, conv: TcpConversationState, dir: 0 | 1, seq: number, ack: number, seglen: number, flags: number, window: number, sack: number[] | undefined, synAgain: boolean): TcpAnalysis | undefined {
  const state = (conv.analysis ??= newConversationAnalysis((pi.ctx.analysisPool ??= new AnalysisPool())));
  const me = conv.dir[dir].wscale;
  const peer = conv.dir[1 - dir].wscale;
  // Wireshark's win_scale of the receiver: -2 once a SYN came without the option, unknown (-1) until its SYN is seen.
  const peerWinScale = me === -1 || peer === -1 ? -2 : peer >= 0 ? peer : -1;
  const reused = conv.reused === true;
  conv.reused = false;
  return analyzeSegment(state, dir, { frame: pi.ctx.analysisFrame, tsUs: analysisTime(pi), seq, ack, seglen, flags, window, peerWinScale, sack, reusedPorts: reused, synAgain });
}

/** Flag bit, its field, Info text, and expert severity, in Wireshark's printing order. */
const flagOrder: readonly [number, FieldDef, string, string][] = [
  [TA_REUSED_PORTS, hf.reusedPorts, '[TCP Port numbers reused] ', 'Note'],
  [TA_RETRANSMISSION, hf.retransmission, '[TCP Retransmission] ', 'Note'],
  [TA_FAST_RETRANSMISSION, hf.fastRetransmission, '[TCP Fast Retransmission] ', 'Note'],
  [TA_SPURIOUS_RETRANSMISSION, hf.spuriousRetransmission, '[TCP Spurious Retransmission] ', 'Note'],
  [TA_OUT_OF_ORDER, hf.outOfOrder, '[TCP Out-Of-Order] ', 'Warning'],
  [TA_LOST_PACKET, hf.lostSegment, '[TCP Previous segment not captured] ', 'Warning'],
  [TA_ACK_LOST_PACKET, hf.ackLostSegment, '[TCP ACKed unseen segment] ', 'Warning'],
  [TA_WINDOW_UPDATE, hf.windowUpdate, '[TCP Window Update] ', 'Chat'],
  [TA_WINDOW_FULL, hf.windowFull, '[TCP Window Full] ', 'Warning'],
  [TA_KEEP_ALIVE, hf.keepAlive, '[TCP Keep-Alive] ', 'Note'],
  [TA_KEEP_ALIVE_ACK, hf.keepAliveAck, '[TCP Keep-Alive ACK] ', 'Note'],
  [TA_DUPLICATE_ACK, hf.dupAck, '', 'Note'],
  [TA_ZERO_WINDOW_PROBE, hf.zeroWindowProbe, '[TCP ZeroWindowProbe] ', 'Note'],
  [TA_ZERO_WINDOW, hf.zeroWindow, '[TCP ZeroWindow] ', 'Warning'],
  [TA_ZERO_WINDOW_PROBE_ACK, hf.zeroWindowProbeAck, '[TCP ZeroWindowProbeAck] ', 'Note'],
];

/** Wireshark's Info prefix: each note is prepended in printing order, so the last printed comes first. */
export function analysisInfoPrefix(a: TcpAnalysis): string {
  let s = '';
  for (const [bit, , text] of flagOrder) {
    if (!(a.flags & bit)) continue;
    s = (bit === TA_DUPLICATE_ACK ? `[TCP Dup ACK ${a.dupAckFrame}#${a.dupAckNum}] ` : text) + s;
  }
  return s;
}

const seconds = (us: number) => us / 1e6;
const secondsText = (us: number) => `${(us / 1e6).toFixed(9)} seconds`;

/** The `[SEQ/ACK analysis]` subtree, in Wireshark's order (tcp_print_sequence_number_analysis). */
export function addAnalysisFields(pi: PacketInfo, layer: Layer, a: TcpAnalysis, offset: number): void {
  const head = addField(pi, layer, hf.analysis, '', '', offset, 0);
  const kid = (parent: Field | undefined, def: FieldDef, value: number | string, display: string) => addChild(pi, layer, parent, def, value, display, offset, 0);
  if (a.ackedFrame) {
    kid(head, hf.acksFrame, a.ackedFrame, String(a.ackedFrame));
    if (a.ackRttUs) kid(head, hf.ackRtt, seconds(a.ackRttUs), secondsText(a.ackRttUs));
  }
  const irtt = initialRtt(a);
  if (irtt) kid(head, hf.initialRtt, seconds(irtt), secondsText(irtt));
  // Wireshark 4.0 prints the PSH count only beside a bytes-in-flight figure.
  if (a.bytesInFlight) kid(head, hf.bytesInFlight, a.bytesInFlight, String(a.bytesInFlight));
  if (a.bytesInFlight && a.pushBytesSent) kid(head, hf.pushBytesSent, a.pushBytesSent, String(a.pushBytesSent));
  if (a.flags) {
    const flags = kid(head, hf.flags, '', '');
    for (const [bit, def, , severity] of flagOrder) {
      if (!(a.flags & bit) || bit === TA_DUPLICATE_ACK) continue;
      // The expert item: a fast or spurious retransmission is also a retransmission.
      kid(flags, def, '', `Expert Info (${severity}/Sequence): ${def.label}`);
      if (bit === TA_FAST_RETRANSMISSION || bit === TA_SPURIOUS_RETRANSMISSION) kid(flags, hf.retransmission, '', `Expert Info (Note/Sequence): ${hf.retransmission.label}`);
      if (bit === TA_RETRANSMISSION && a.rtoUs) {
        kid(flags, hf.rto, seconds(a.rtoUs), secondsText(a.rtoUs));
        kid(flags, hf.rtoFrame, a.rtoFrame, String(a.rtoFrame));
      }
    }
    if (a.flags & TA_DUPLICATE_ACK) kid(flags, hf.dupAck, '', 'This is a TCP duplicate ack');
  }
  if (a.dupAckNum) {
    kid(head, hf.dupAckNum, a.dupAckNum, String(a.dupAckNum));
    const f = kid(head, hf.dupAckFrame, a.dupAckFrame, String(a.dupAckFrame));
    kid(f, hf.dupAck, '', `Expert Info (Note/Sequence): Duplicate ACK (#${a.dupAckNum})`);
  }
}

const ana = (read: (a: TcpAnalysis, o: FactValue[]) => number) => tcpFact((t, o) => (t.analysis === undefined ? 0 : read(t.analysis, o)));
const flag = (bit: number) => ana((a) => (a.flags & bit ? 1 : 0));
declareFastReaders({
  'tcp.analysis': ana(() => 1),
  'tcp.analysis.flags': ana((a) => (a.flags ? 1 : 0)),
  'tcp.analysis.acks_frame': ana((a, o) => (a.ackedFrame ? ((o[0] = a.ackedFrame), 1) : 0)),
  'tcp.analysis.ack_rtt': ana((a, o) => (a.ackedFrame && a.ackRttUs ? ((o[0] = seconds(a.ackRttUs)), 1) : 0)),
  'tcp.analysis.initial_rtt': ana((a, o) => (initialRtt(a) ? ((o[0] = seconds(initialRtt(a))), 1) : 0)),
  'tcp.analysis.bytes_in_flight': ana((a, o) => (a.bytesInFlight ? ((o[0] = a.bytesInFlight), 1) : 0)),
  'tcp.analysis.push_bytes_sent': ana((a, o) => (a.bytesInFlight && a.pushBytesSent ? ((o[0] = a.pushBytesSent), 1) : 0)),
  'tcp.analysis.rto': ana((a, o) => (a.flags & TA_RETRANSMISSION && a.rtoUs ? ((o[0] = seconds(a.rtoUs)), 1) : 0)),
  'tcp.analysis.rto_frame': ana((a, o) => (a.flags & TA_RETRANSMISSION && a.rtoUs ? ((o[0] = a.rtoFrame), 1) : 0)),
  'tcp.analysis.duplicate_ack': ana((a) => (a.dupAckNum ? 1 : 0)),
  'tcp.analysis.duplicate_ack_num': ana((a, o) => (a.dupAckNum ? ((o[0] = a.dupAckNum), 1) : 0)),
  'tcp.analysis.duplicate_ack_frame': ana((a, o) => (a.dupAckNum ? ((o[0] = a.dupAckFrame), 1) : 0)),
  'tcp.analysis.retransmission': flag(TA_RETRANSMISSION | TA_FAST_RETRANSMISSION | TA_SPURIOUS_RETRANSMISSION),
  'tcp.analysis.fast_retransmission': flag(TA_FAST_RETRANSMISSION),
  'tcp.analysis.spurious_retransmission': flag(TA_SPURIOUS_RETRANSMISSION),
  'tcp.analysis.out_of_order': flag(TA_OUT_OF_ORDER),
  'tcp.analysis.reused_ports': flag(TA_REUSED_PORTS),
  'tcp.analysis.lost_segment': flag(TA_LOST_PACKET),
  'tcp.analysis.ack_lost_segment': flag(TA_ACK_LOST_PACKET),
  'tcp.analysis.window_update': flag(TA_WINDOW_UPDATE),
  'tcp.analysis.window_full': flag(TA_WINDOW_FULL),
  'tcp.analysis.keep_alive': flag(TA_KEEP_ALIVE),
  'tcp.analysis.keep_alive_ack': flag(TA_KEEP_ALIVE_ACK),
  'tcp.analysis.zero_window_probe': flag(TA_ZERO_WINDOW_PROBE),
  'tcp.analysis.zero_window': flag(TA_ZERO_WINDOW),
  'tcp.analysis.zero_window_probe_ack': flag(TA_ZERO_WINDOW_PROBE_ACK),
});

// ---- Packing for the replay log (replayLog.ts): a mask word (flags, then which values follow), then the values ----

const packed: readonly Exclude<keyof TcpAnalysis, 'conv' | 'flags'>[] = ['ackedFrame', 'ackRttUs', 'initialRttUs', 'bytesInFlight', 'pushBytesSent', 'dupAckNum', 'dupAckFrame', 'rtoUs', 'rtoFrame'];
/** The packed times: two words each, whole nanoseconds (high word first). */
const isTime = (k: string) => k === 'ackRttUs' || k === 'initialRttUs' || k === 'rtoUs';

/** Writes a time (µs, with a fraction) as whole nanoseconds in `w[o]` and `w[o + 1]`. */
export function packTime(w: Uint32Array, o: number, us: number): void {
  const ns = Math.max(0, Math.round(us * 1000));
  w[o] = Math.floor(ns / 2 ** 32);
  w[o + 1] = ns % 2 ** 32;
}

function unpackTime(w: Uint32Array, o: number): number {
  return (w[o] * 2 ** 32 + w[o + 1]) / 1000;
}

export function emptyAnalysis(): TcpAnalysis {
  return result();
}

/** The iRTT word is kept open for the ReplayLog to fill once the handshake's RTT is known (`TcpAnalysis.conv`). */
const irttPending = (a: TcpAnalysis) => a.initialRttUs === 0 && a.conv !== undefined;

/** Words `packAnalysis` writes for `a` (0 for none). */
export function analysisWords(a: TcpAnalysis | undefined): number {
  if (a === undefined) return 0;
  let n = 1;
  for (const k of packed) if (a[k] !== 0 || (k === 'initialRttUs' && irttPending(a))) n += isTime(k) ? 2 : 1;
  return n;
}

/** Packs `a` at `w[o]`; `pending` learns the word of an iRTT still unknown (left 0). Returns the next offset. */
export function packAnalysis(a: TcpAnalysis, w: Uint32Array, o: number, pending?: (slot: number, conv: TcpConversationAnalysis) => void): number {
  const at = o++;
  let mask = a.flags & 0xffff;
  for (let i = 0; i < packed.length; i++) {
    const k = packed[i];
    const v = a[k];
    if (v === 0) {
      if (k !== 'initialRttUs' || !irttPending(a)) continue;
      pending?.(o, a.conv!);
    }
    mask |= 1 << (16 + i);
    if (isTime(k)) {
      packTime(w, o, v);
      o += 2;
    } else w[o++] = Math.min(v, 0xffffffff);
  }
  w[at] = mask >>> 0;
  return o;
}

export function unpackAnalysis(w: Uint32Array, o: number, into: TcpAnalysis): number {
  const mask = w[o++];
  into.flags = mask & 0xffff;
  for (let i = 0; i < packed.length; i++) {
    if (!(mask & (1 << (16 + i)))) continue;
    const k = packed[i];
    if (isTime(k)) {
      into[k] = unpackTime(w, o);
      o += 2;
    } else into[k] = w[o++];
  }
  return o;
}

// ---- A learner's summary of one connection ----

export interface TcpConnectionSummary {
  /** Handshake RTT (SYN to the first ACK) in ms, undefined when the handshake was not captured. */
  handshakeRttMs: number | undefined;
  retransmissions: number;
  duplicateAcks: number;
  zeroWindows: number;
  /** Who sent the first FIN: 'A' (the side that sent the first segment seen), 'B', or undefined. */
  firstFin: 'A' | 'B' | undefined;
  /** How it ended: a RST, FINs, or not seen to end. */
  end: 'RST' | 'FIN' | 'open';
}

/** Summarises one TCP stream from its segments' facts (`DissectedPacket.tcp`), in capture order. */
export function summarizeTcpConnection(segments: readonly { srcAddr: string; srcPort: number; flags: number; analysis?: TcpAnalysis }[]): TcpConnectionSummary {
  const s: TcpConnectionSummary = { handshakeRttMs: undefined, retransmissions: 0, duplicateAcks: 0, zeroWindows: 0, firstFin: undefined, end: 'open' };
  const a = segments[0];
  for (const t of segments) {
    const an = t.analysis;
    if (an !== undefined) {
      if (an.initialRttUs && s.handshakeRttMs === undefined) s.handshakeRttMs = an.initialRttUs / 1000;
      if (an.flags & (TA_RETRANSMISSION | TA_FAST_RETRANSMISSION | TA_SPURIOUS_RETRANSMISSION)) s.retransmissions++;
      if (an.flags & TA_DUPLICATE_ACK) s.duplicateAcks++;
      if (an.flags & TA_ZERO_WINDOW) s.zeroWindows++;
    }
    if (t.flags & FIN && s.firstFin === undefined) s.firstFin = t.srcAddr === a.srcAddr && t.srcPort === a.srcPort ? 'A' : 'B';
    if (t.flags & RST) s.end = 'RST';
    else if (t.flags & FIN && s.end === 'open') s.end = 'FIN';
  }
  return s;
}
