// The conversation facts each packet's first dissection took from its context, kept packed so that any one packet
// can be dissected again alone, exactly as then: a row click costs one dissection whatever came before it.
import type { PacketRecord } from '../../shared/packet';
import { dissectAgain, replayFacts, type DissectedPacket, type DissectOptions, type Replay } from './dissect';
import { type TcpAnalysisReplay, type TcpConversationAnalysis, analysisWords, emptyAnalysis, packAnalysis, packTime, unpackAnalysis } from './tcpAnalysis';
import { type ReassemblyFact, type ReassemblyStep, reassemblyFacts, setReassemblyFacts } from './reassembly';

/** Packets a chunk holds; whole chunks are dropped as a bounded capture forgets its oldest packets. */
const CHUNK = 4096;
/** Handshakes whose RTT a log waits for at most (SYN-ACKs seen, final ACK not yet). */
const MAX_PENDING_IRTT = 256;

interface Chunk {
  /** Word offsets: packet k's facts are words[offsets[k]] … words[offsets[k + 1]] (empty when it took none). */
  readonly offsets: Uint32Array;
  words: Uint32Array;
  used: number;
  count: number;
}

/**
 * Per packet: a 4-byte offset, and when it took conversation facts a 4-byte header (TCP and UDP entry counts),
 * 16 bytes per TCP entry (stream, base seq, base ack, window scale) and 4 per UDP stream index. A TCP segment
 * costs 24 bytes, a UDP datagram 12, anything else 4.
 */
export class ReplayLog {
  /** `options`: the first pass's dissect options, which a packet dissected again keeps (relative or raw TCP numbers). */
  constructor(private readonly options: DissectOptions = {}) {}

  private chunks: Chunk[] = [];
  /** Capture-wide index of the first packet of chunks[0]. */
  private origin = 0;
  /** Capture-wide index of the oldest packet still held. */
  private first = 0;

  /** Capture-wide index one past the newest packet recorded. */
  get end(): number {
    const last = this.chunks[this.chunks.length - 1];
    return last ? this.origin + (this.chunks.length - 1) * CHUNK + last.count : this.origin;
  }

  /** iRTT words packed before their handshake completed (a SYN-ACK's), filled when it does; a few at most. */
  private pendingIrtt: { c: Chunk; slot: number; conv: TcpConversationAnalysis }[] = [];

  private fillIrtt(): void {
    const p = this.pendingIrtt;
    let w = 0;
    for (let i = 0; i < p.length; i++) {
      const e = p[i];
      if (e.conv.firstRttUs !== 0) packTime(e.c.words, e.slot, e.conv.firstRttUs);
      else if (p.length - i <= MAX_PENDING_IRTT) p[w++] = e; // handshakes that never complete are let go (0: none)
    }
    p.length = w;
  }

  /** Keeps the facts of packet `index`, just dissected in capture order; packets must come in order, without gaps. */
  record(index: number, pkt: DissectedPacket): void {
    if (index !== this.end) this.restart(index);
    if (this.pendingIrtt.length > 0) this.fillIrtt();
    const facts = replayFacts(pkt);
    let c = this.chunks[this.chunks.length - 1];
    if (!c || c.count === CHUNK) {
      if (c) c.words = c.words.slice(0, c.used); // a full chunk keeps no spare room
      c = { offsets: new Uint32Array(CHUNK + 1), words: new Uint32Array(CHUNK), used: 0, count: 0 };
      this.chunks.push(c);
    }
    const nTcp = facts?.tcp.length ?? 0;
    const nUdp = facts?.udp.length ?? 0;
    if (facts && nTcp + nUdp > 0) {
      let need = c.used + 1 + 4 * nTcp + nUdp;
      for (const t of facts.tcp) need += analysisWords((t as TcpAnalysisReplay).analysis);
      if (need > c.words.length) {
        const grown = new Uint32Array(Math.max(need, c.words.length * 2));
        grown.set(c.words.subarray(0, c.used));
        c.words = grown;
      }
      const w = c.words;
      let o = c.used;
      w[o++] = nTcp | (nUdp << 16); // a packet quotes at most two packets, so both counts are tiny
      for (const t of facts.tcp) {
        w[o++] = t.stream;
        w[o++] = t.seqBase;
        w[o++] = t.ackBase;
        // -2 (no scaling), -1 (unknown) or a multiplier; bit 31: TCP analysis words follow, bit 30: AccECN.
        const a = (t as TcpAnalysisReplay).analysis;
        w[o++] = ((t.scale + 2) | (a !== undefined ? 0x80000000 : 0) | (t.ace ? 0x40000000 : 0)) >>> 0;
        if (a !== undefined) o = packAnalysis(a, w, o, (slot, conv) => this.pendingIrtt.push({ c, slot, conv }));
      }
      for (const u of facts.udp) w[o++] = u;
      c.used = o;
    }
    c.count++;
    c.offsets[c.count] = c.used;
    if (facts) this.recordReassembly(index, facts);
  }

  /** Drops the facts of packets below capture-wide index `index` (whole chunks at a time). */
  forgetBelow(index: number): void {
    if (index >= this.end) {
      this.restart(index);
      return;
    }
    this.first = Math.max(this.first, index);
    this.forgetReassemblyBelow(this.first);
    const whole = Math.floor((this.first - this.origin) / CHUNK);
    if (whole > 0) {
      this.chunks.splice(0, whole);
      this.origin += whole * CHUNK;
    }
  }

  /** Packet `index` dissected again from its facts, or undefined when they are not held. */
  dissect(rec: PacketRecord, index: number, number?: number): DissectedPacket | undefined {
    if (this.pendingIrtt.length > 0) this.fillIrtt();
    const facts = this.facts(index);
    if (facts) this.attachReassembly(index, facts);
    return facts && dissectAgain(rec, facts, number, this.options);
  }

  private facts(index: number): Replay | undefined {
    if (index < this.first || index >= this.end) return undefined;
    const c = this.chunks[Math.floor((index - this.origin) / CHUNK)];
    const k = (index - this.origin) % CHUNK;
    const facts: Replay = { tcp: [], udp: [] };
    let o = c.offsets[k];
    if (o === c.offsets[k + 1]) return facts;
    const w = c.words;
    const head = w[o++];
    for (let n = head & 0xffff; n > 0; n--) {
      const s = w[o + 3];
      const t: TcpAnalysisReplay = { stream: w[o], seqBase: w[o + 1], ackBase: w[o + 2], scale: (s & 0x3fffffff) - 2 };
      if (s & 0x40000000) t.ace = true;
      o += 4;
      if (s & 0x80000000) o = unpackAnalysis(w, o, (t.analysis = emptyAnalysis()));
      facts.tcp.push(t);
    }
    for (let n = head >>> 16; n > 0; n--) facts.udp.push(w[o++]);
    return facts;
  }

  private restart(index: number): void {
    this.chunks = [];
    this.pendingIrtt = [];
    this.origin = this.first = index;
    this.heldCount = this.heldFrom = 0;
    this.reassembled.clear();
    this.reassembledBytes = 0;
  }

  // ---- Reassembly facts (reassembly.ts), kept beside the packed words ----
  // A packet whose bytes only wait in a reassembly costs 12 bytes here (index, its fact's key, the frame it was
  // reassembled in, filled in when that frame is recorded); others keep their facts, a finished PDU its bytes,
  // within REPLAY_REASSEMBLY_BYTES (the oldest are dropped first: those packets are then shown unreassembled).
  private heldIndex = new Uint32Array(0);
  private heldAt = new Uint32Array(0);
  private heldIn = new Uint32Array(0);
  private heldFrom = 0;
  private heldCount = 0;
  private readonly reassembled = new Map<number, ReassemblyFact[]>();
  private reassembledBytes = 0;

  private recordReassembly(index: number, replay: Readonly<Replay>): void {
    const list = reassemblyFacts(replay as Replay);
    if (list === undefined || list.length === 0) return;
    const only = list.length === 1 && list[0].steps.length === 1 ? list[0].steps[0] : undefined;
    if (only?.t === 'held') {
      if (this.heldCount === this.heldIndex.length) {
        const n = Math.max(1024, this.heldCount * 2);
        const grow = (a: Uint32Array) => {
          const b = new Uint32Array(n);
          b.set(a.subarray(0, this.heldCount));
          return b;
        };
        this.heldIndex = grow(this.heldIndex);
        this.heldAt = grow(this.heldAt);
        this.heldIn = grow(this.heldIn);
      }
      this.heldIndex[this.heldCount] = index;
      this.heldAt[this.heldCount] = list[0].at;
      this.heldIn[this.heldCount++] = only.in;
      return;
    }
    this.reassembled.set(index, [...list]);
    for (const f of list) {
      for (const s of f.steps) {
        this.reassembledBytes += stepBytes(s);
        if (s.t !== 'done') continue;
        // The parts recorded before (No. = index + 1) learn where they were reassembled.
        for (const frame of s.frames) {
          const k = this.heldSlot(frame - 1);
          if (k >= 0 && frame - 1 < index) this.heldIn[k] = index + 1;
        }
      }
    }
    for (const [k, old] of this.reassembled) {
      if (this.reassembledBytes <= REPLAY_REASSEMBLY_BYTES) break;
      this.reassembled.delete(k);
      for (const f of old) for (const s of f.steps) this.reassembledBytes -= stepBytes(s);
    }
  }

  /** Position of `index` among the held packets, or -1. */
  private heldSlot(index: number): number {
    let lo = this.heldFrom;
    let hi = this.heldCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.heldIndex[mid];
      if (v === index) return mid;
      if (v < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private attachReassembly(index: number, facts: Replay): void {
    const list = this.reassembled.get(index);
    if (list !== undefined) setReassemblyFacts(facts, list);
    else {
      const k = this.heldSlot(index);
      if (k >= 0) setReassemblyFacts(facts, [{ at: this.heldAt[k], steps: [{ t: 'held', in: this.heldIn[k] }] }]);
    }
  }

  private forgetReassemblyBelow(index: number): void {
    while (this.heldFrom < this.heldCount && this.heldIndex[this.heldFrom] < index) this.heldFrom++;
    if (this.heldFrom >= 4096 && this.heldFrom * 2 > this.heldCount) {
      for (const a of [this.heldIndex, this.heldAt, this.heldIn]) a.copyWithin(0, this.heldFrom, this.heldCount);
      this.heldCount -= this.heldFrom;
      this.heldFrom = 0;
    }
    for (const [k, list] of this.reassembled) {
      if (k >= index) break;
      this.reassembled.delete(k);
      for (const f of list) for (const s of f.steps) this.reassembledBytes -= stepBytes(s);
    }
  }
  // ---- end of reassembly ----
}

/** Bytes of finished PDUs and datagrams the log keeps for row clicks. */
export const REPLAY_REASSEMBLY_BYTES = 64 << 20;

/**
 * What a fact costs in REPLAY_REASSEMBLY_BYTES: a finished PDU its bytes, a TLS record's fact a small object (and the
 * message it completed), any other step (a WebSocket segment's cut) a smaller one: every fact kept counts.
 */
function stepBytes(s: ReassemblyStep): number {
  return s.t === 'done' ? s.data.length : s.t === 'tls' ? 64 + (s.app?.t === 'done' ? s.app.data.length : 0) : 32;
}
