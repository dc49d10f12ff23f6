// The packet panel's model of a capture FILE, never loaded whole: packets are re-read through a CaptureFileIndex;
// rows are dissected on demand from decoder-context checkpoints taken during one first pass (so relative TCP
// numbers and stream indexes are those of a front-to-back read); the display filter streams through the file
// into a bitmap (1 bit a packet); conversations keep per-stream facts, not packets.
import * as fs from 'node:fs/promises';
import type { PacketRecord } from '../../shared/packet';
import {
  MAX_DIAGRAM_SEGMENTS, type CaptureStatisticsData, type ConversationInfo, type IoGraph, type DiagramData, type DiagramSegment, type PacketDetail, type PacketRow, type RowsPage,
} from '../../shared/packetPanelProtocol';
import { Disposable, Emitter } from '../../shared/disposable';
import { DissectContext, type DissectedPacket } from '../decode/dissect';
import { compileFilter } from '../decode/displayFilter';
import { ReplayLog } from '../decode/replayLog';
import { CaptureFileIndex, IndexCancelledError, type IndexProgress } from '../pcap/captureFileIndex';
import { PcapngWriter, PcapWriter, type CaptureFormat, type PcapngOptions } from '../pcap/pcapWriter';
import { diagramSegment, dissectAt, FilterCancelledError, FilterError, type ModelStatus, PANEL_DISSECT_OPTIONS, packetDetailOf, packetRowOf, relativeTime, safeTest, tcpFacts } from './packetListModel';
import { ConnectionTally } from './tcpAnalysisView';
import { analysisFlagged, CaptureStatistics, flowOf } from './captureStatistics';
import type { ConversationPage, ConversationQuery } from '../../shared/packetPanelProtocol';
import { DiagramWindow } from './diagramWindow';
import { FollowModel } from './followModel';

/** A decoder-context checkpoint every this many packets at first (doubled when the snapshots outgrow their budget). */
const SNAPSHOT_EVERY = 65536;
/** Conversation entries all snapshots may hold together (a few hundred bytes each: about 10 MB at most). */
const SNAPSHOT_BUDGET = 32_768;
/** Conversations listed at most (per-stream facts; beyond this they are counted, not listed). */
const MAX_CONVERSATIONS = 100_000;
/** Rows kept for re-display (scrolling back and forth costs no re-read). */
const ROW_CACHE = 5_000;

/** One bit a packet, with per-chunk counts for position ⇄ index look-ups. */
class MatchBitmap {
  private static readonly WORDS = 65536;
  private readonly chunks: Uint32Array[] = [];
  private readonly counts: number[] = [];
  count = 0;

  set(i: number): void {
    const c = Math.floor(i / (MatchBitmap.WORDS * 32));
    while (this.chunks.length <= c) {
      this.chunks.push(new Uint32Array(MatchBitmap.WORDS));
      this.counts.push(0);
    }
    const bit = i - c * MatchBitmap.WORDS * 32;
    const w = bit >>> 5;
    const m = 1 << (bit & 31);
    if (this.chunks[c][w] & m) return;
    this.chunks[c][w] |= m;
    this.counts[c]++;
    this.count++;
  }

  has(i: number): boolean {
    const c = Math.floor(i / (MatchBitmap.WORDS * 32));
    if (c >= this.chunks.length) return false;
    const bit = i - c * MatchBitmap.WORDS * 32;
    return (this.chunks[c][bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  /** Capture index of the match at `pos`, or -1. */
  select(pos: number): number {
    if (pos < 0 || pos >= this.count) return -1;
    let c = 0;
    while (pos >= this.counts[c]) pos -= this.counts[c++];
    const words = this.chunks[c];
    for (let w = 0; w < words.length; w++) {
      let v = words[w];
      const n = popcount(v);
      if (pos >= n) {
        pos -= n;
        continue;
      }
      for (; ; pos--) {
        const low = v & -v;
        if (pos === 0) return c * MatchBitmap.WORDS * 32 + w * 32 + (31 - Math.clz32(low));
        v ^= low;
      }
    }
    return -1;
  }

  /** Number of matches below capture index `i`. */
  rank(i: number): number {
    const per = MatchBitmap.WORDS * 32;
    const c = Math.floor(i / per);
    let r = 0;
    for (let k = 0; k < Math.min(c, this.chunks.length); k++) r += this.counts[k];
    if (c >= this.chunks.length) return r;
    const bit = i - c * per;
    const words = this.chunks[c];
    for (let w = 0; w < bit >>> 5; w++) r += popcount(words[w]);
    const rest = bit & 31;
    if (rest) r += popcount(words[bit >>> 5] & ((1 << rest) - 1));
    return r;
  }
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

interface Conversation {
  readonly key: string;
  readonly a: string;
  readonly b: string;
  packets: number;
  bytes: number;
  readonly first: number;
  last: number;
  /** The learner's summary: a few counters, not the segments. */
  readonly tally: ConnectionTally;
}

export interface FileModelStatus extends ModelStatus {
  /** False while the first pass is still reading the file. */
  readonly complete: boolean;
  /** Why the first pass stopped before the end of the file (corrupt or cut off), if it did. */
  readonly error?: string;
}

export interface PassOptions {
  readonly signal?: AbortSignal;
  /** Fraction done (0…1) of a long pass. */
  readonly onProgress?: (fraction: number) => void;
}

export class FilePacketListModel extends Disposable {
  private readonly live = new DissectContext(PANEL_DISSECT_OPTIONS);
  private readonly snapshots: { index: number; ctx: DissectContext }[] = [{ index: 0, ctx: new DissectContext(PANEL_DISSECT_OPTIONS) }];
  private snapshotEvery = SNAPSHOT_EVERY;
  private firstTs: number | undefined;
  private firstNanos = 0;
  private readonly convs = new Map<string, Conversation>();
  private convsOmitted = 0;
  private readonly stats = new CaptureStatistics(MAX_CONVERSATIONS);
  private matches: MatchBitmap | undefined;
  private filterText = '';
  private gen = 0;
  private filterRun = 0;
  private readonly rowCache = new Map<number, PacketRow>();
  /** The context just before packet `index`, left by the last replay. */
  private cursor: { index: number; ctx: DissectContext } | undefined;
  private firstPass: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly firstPassStop = new AbortController();
  private onProgress: ((fraction: number) => void) | undefined;
  private readonly changed = this.own(new Emitter<FileModelStatus>());
  readonly onDidChange = this.changed.event;

  private constructor(private readonly index: CaptureFileIndex) {
    super();
    this.own({ dispose: () => (this.abort.abort(), void index.close()) });
  }

  /**
   * Opens a capture file: returns once its first `firstPackets` are readable; the rest of the first pass runs on
   * (see `whenComplete`). Throws the fs error when the file cannot be opened, CaptureFormatError-like errors via
   * `status.error` when it is corrupt after some packets, and rejects when the file has no readable packet at all.
   */
  static async open(file: string, firstPackets = 1000): Promise<FilePacketListModel> {
    const index = await CaptureFileIndex.open(file);
    const m = new FilePacketListModel(index);
    try {
      await index.indexMore(firstPackets, m.abort.signal, (rec, i) => m.take(rec, i));
    } catch (e) {
      m.dispose();
      throw e;
    }
    if (index.count === 0 && index.error) {
      m.dispose();
      throw index.error;
    }
    return m;
  }

  /**
   * Runs (or joins) the rest of the first pass, with progress. Aborting `opts.signal` (Cancel) stops the pass for
   * good: the model then shows, filters and exports the packets read so far (`status.complete` stays false).
   */
  whenComplete(opts: PassOptions = {}): Promise<void> {
    if (opts.signal) {
      if (opts.signal.aborted) this.firstPassStop.abort();
      else opts.signal.addEventListener('abort', () => this.firstPassStop.abort(), { once: true });
    }
    this.firstPass ??= (async () => {
      const signal = AbortSignal.any([this.abort.signal, this.firstPassStop.signal]);
      let last = 0;
      try {
        while (!(await this.index.indexMore(20000, signal, (rec, i) => this.take(rec, i)))) {
          this.changed.fire(this.status);
          const now = Date.now();
          if (now - last > 100) {
            last = now;
            this.onProgress?.(this.fraction(this.index.progress));
          }
          // Let the extension host breathe between slices.
          await new Promise<void>((r) => setImmediate(r));
        }
      } catch (e) {
        if (!(e instanceof IndexCancelledError)) throw e;
      }
      this.changed.fire(this.status);
    })();
    if (opts.onProgress) this.onProgress = opts.onProgress;
    return this.firstPass;
  }

  private fraction(p: IndexProgress): number {
    return p.fileSize ? Math.min(1, p.bytesRead / p.fileSize) : 1;
  }

  /** The first pass: every packet once, in order, for snapshots and conversations. */
  private take(rec: PacketRecord, i: number): void {
    if (this.firstTs === undefined) [this.firstTs, this.firstNanos] = [rec.tsMicros, rec.tsNanos ?? 0];
    if (i > 0 && i % this.snapshotEvery === 0) this.snapshot(i);
    const pkt = dissectAt(rec, i, this.live);
    const flow = flowOf(pkt);
    this.stats.add(i, rec.tsMicros, rec.origLen, flow, rec.tsNanos, analysisFlagged(pkt));
    const t = tcpFacts(pkt, flow);
    if (!t) return;
    let c = this.convs.get(t.key);
    if (c) {
      c.packets++;
      c.bytes += rec.origLen;
      c.last = i;
    } else if (this.convs.size < MAX_CONVERSATIONS) {
      this.convs.set(t.key, (c = { key: t.key, a: t.src, b: t.dst, packets: 1, bytes: rec.origLen, first: i, last: i, tally: new ConnectionTally() }));
    } else this.convsOmitted++;
    c?.tally.add(t.src === c.a, t.flags, pkt.tcp?.analysis);
  }

  /** Keeps the live context as it is before packet `i`; thins the snapshots when they outgrow their budget. */
  private snapshot(i: number): void {
    this.snapshots.push({ index: i, ctx: this.live.clone() });
    let held = 0;
    for (const s of this.snapshots) held += s.ctx.size;
    if (held > SNAPSHOT_BUDGET && this.snapshots.length > 2) {
      this.snapshotEvery *= 2;
      for (let k = this.snapshots.length - 1; k > 0; k--) if (this.snapshots[k].index % this.snapshotEvery !== 0) this.snapshots.splice(k, 1);
    }
  }

  get filter(): string {
    return this.filterText;
  }

  get status(): FileModelStatus {
    const total = this.index.count;
    return {
      total,
      matched: this.matches ? this.matches.count : total,
      generation: this.gen,
      complete: this.index.complete,
      ...(this.index.error ? { error: this.index.error.message } : {}),
    };
  }

  /** Dissects packets `from`…`to − 1` in order with the context they had in the first pass. */
  private async replay(from: number, to: number, each: (rec: PacketRecord, pkt: DissectedPacket, i: number) => boolean | void, signal?: AbortSignal): Promise<void> {
    let k = this.snapshots.length - 1;
    while (k > 0 && this.snapshots[k].index > from) k--;
    let start = this.snapshots[k].index;
    let ctx: DissectContext;
    // Scrolling on continues from where the last replay stopped (taken, so two replays never share a context).
    const cur = this.cursor;
    if (cur && cur.index <= from && cur.index >= start) {
      this.cursor = undefined;
      start = cur.index;
      ctx = cur.ctx;
    } else ctx = this.snapshots[k].ctx.clone();
    let next = start;
    await this.index.scan(start, to, (rec, i) => {
      const pkt = dissectAt(rec, i, ctx);
      next = i + 1;
      return i >= from ? each(rec, pkt, i) : undefined;
    }, signal);
    this.cursor = { index: next, ctx };
  }

  private remember(row: PacketRow): void {
    if (this.rowCache.size >= ROW_CACHE) this.rowCache.delete(this.rowCache.keys().next().value as number);
    this.rowCache.set(row.index, row);
  }

  /** `count` rows of the filtered list starting at position `start`. */
  async rows(start: number, count: number): Promise<RowsPage> {
    const { matched, generation } = this.status;
    const end = Math.min(matched, start + count);
    const wanted: number[] = [];
    for (let p = start; p < end; p++) wanted.push(this.matches ? this.matches.select(p) : p);
    const missing = wanted.filter((i) => !this.rowCache.has(i));
    if (missing.length) {
      const want = new Set(missing);
      await this.replay(missing[0], missing[missing.length - 1] + 1, (rec, pkt, i) => {
        if (want.has(i)) this.remember(packetRowOf(i, rec, pkt, this.firstTs ?? rec.tsMicros, undefined, this.firstNanos));
      });
    }
    const rows = wanted.map((i) => this.rowCache.get(i)).filter((r): r is PacketRow => r !== undefined);
    return { generation, start, matched, rows };
  }

  positionOf(index: number): number {
    if (index < 0 || index >= this.index.count) return -1;
    if (!this.matches) return index;
    return this.matches.has(index) ? this.matches.rank(index) : -1;
  }

  /**
   * Applies a display filter ('' clears it) by streaming through the file; rejects with FilterError for a bad
   * expression, FilterCancelledError when a newer call replaced it or `opts.signal` aborted it.
   */
  async setFilter(expr: string, opts: PassOptions = {}): Promise<FileModelStatus> {
    const run = ++this.filterRun;
    const text = expr.trim();
    let matches: MatchBitmap | undefined;
    if (text !== '') {
      let pred: (p: DissectedPacket) => boolean;
      try {
        pred = compileFilter(text);
      } catch (e) {
        throw new FilterError(e instanceof Error ? e.message : String(e));
      }
      await this.whenComplete();
      matches = new MatchBitmap();
      const ctx = new DissectContext(PANEL_DISSECT_OPTIONS);
      const total = this.index.count;
      let lastTick = Date.now();
      const m = matches;
      const cancelled = () => run !== this.filterRun || this.isDisposed || opts.signal?.aborted === true;
      for (let from = 0; from < total; from += 50000) {
        try {
          await this.index.scan(from, Math.min(total, from + 50000), (rec, i) => {
            if (safeTest(pred, dissectAt(rec, i, ctx))) m.set(i);
          }, opts.signal);
        } catch (e) {
          if (e instanceof IndexCancelledError) throw new FilterCancelledError('the filter was cancelled');
          throw e;
        }
        if (cancelled()) throw new FilterCancelledError('a newer filter replaced this one');
        if (Date.now() - lastTick > 100) {
          lastTick = Date.now();
          opts.onProgress?.(from / total);
        }
        await new Promise<void>((r) => setImmediate(r));
        if (cancelled()) throw new FilterCancelledError('a newer filter replaced this one');
      }
    }
    this.matches = matches;
    this.filterText = text;
    this.gen++;
    return this.status;
  }

  /** Full dissection and bytes of one packet, with the context of a front-to-back read. */
  async detail(index: number): Promise<PacketDetail | undefined> {
    if (index < 0 || index >= this.index.count) return undefined;
    let found: { rec: PacketRecord; pkt: DissectedPacket } | undefined;
    await this.replay(index, index + 1, (rec, pkt) => void (found = { rec, pkt }));
    if (!found) return undefined;
    const { rec, pkt } = found;
    return packetDetailOf(index, rec, await this.withLaterIrtt(index, rec, pkt), this.firstTs ?? rec.tsMicros);
  }

  /**
   * A segment dissected before its handshake completed (a SYN-ACK) shows the handshake RTT found later, as the
   * in-memory model's replay log and Wireshark's second pass show it: the replay runs on until the RTT is known.
   */
  private async withLaterIrtt(index: number, rec: PacketRecord, pkt: DissectedPacket): Promise<DissectedPacket> {
    const conv = pkt.tcp?.analysis?.conv;
    const c = conv && conv.firstRttUs === 0 ? this.convs.get(tcpFacts(pkt)?.key ?? '') : undefined;
    if (!conv || !c || c.last <= index) return pkt;
    const log = new ReplayLog(PANEL_DISSECT_OPTIONS);
    log.record(index, pkt);
    await this.replay(index + 1, c.last + 1, () => conv.firstRttUs === 0);
    return log.dissect(rec, index, index + 1) ?? pkt;
  }

  /** TCP conversations in order of first appearance (at most MAX_CONVERSATIONS; `conversationsOmitted` counts the rest). */
  conversations(): ConversationInfo[] {
    return [...this.convs.values()].map((c) => ({ key: c.key, a: c.a, b: c.b, packets: c.packets, bytes: c.bytes }));
  }

  /** The Conversations table (TCP and UDP), once the first pass has read the whole file. */
  async statistics(): Promise<CaptureStatisticsData> {
    await this.whenComplete();
    return { conversations: this.stats.conversations(), omitted: this.stats.omitted };
  }

  /** A page of the Conversations table (sorted, searched), once the first pass has read the whole file. */
  async conversationPage(q: ConversationQuery): Promise<ConversationPage> {
    await this.whenComplete();
    return this.stats.page(q);
  }

  /** The I/O graph of the whole file, or of one conversation each way (undefined: no such conversation); auto or fixed interval. */
  async ioGraph(key?: string, signal?: AbortSignal, intervalMs?: number): Promise<IoGraph | undefined> {
    await this.whenComplete();
    if (key === undefined) return this.stats.graph(intervalMs);
    return this.stats.conversationGraph(key, (first, last, take) =>
      this.replay(first, last + 1, (rec, pkt) => void take(rec.tsMicros, rec.origLen, flowOf(pkt), analysisFlagged(pkt)), signal),
    intervalMs);
  }

  /** Follows a TCP or UDP conversation through the file (its packets' range only; undefined: no such conversation). */
  async follow(key: string, signal?: AbortSignal): Promise<FollowModel | undefined> {
    await this.whenComplete();
    const c = this.stats.conversation(key);
    if (!c) return undefined;
    const m = new FollowModel(c.flow);
    try {
      await this.replay(c.first, c.last + 1, (rec, pkt) => void m.take(pkt, rec.data), signal);
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  get conversationsOmitted(): number {
    return this.convsOmitted;
  }

  /** Streams one conversation's packets (from its first to its last packet) in order. */
  private async eachOfConversation(key: string, each: (rec: PacketRecord, t: NonNullable<ReturnType<typeof tcpFacts>>, i: number) => boolean | void, signal?: AbortSignal): Promise<boolean> {
    const c = this.convs.get(key);
    if (!c) return false;
    await this.replay(c.first, c.last + 1, (rec, pkt, i) => {
      const t = tcpFacts(pkt);
      return t?.key === key ? each(rec, t, i) : undefined;
    }, signal);
    return true;
  }

  /** One connection's segments for the diagram (around packet `around` when given: a long one is cut) and its summary. */
  async diagram(key: string, around?: number): Promise<DiagramData | undefined> {
    const c = this.convs.get(key);
    if (!c) return undefined;
    const w = new DiagramWindow<DiagramSegment>(MAX_DIAGRAM_SEGMENTS, around);
    await this.eachOfConversation(key, (rec, t, i) => w.push(diagramSegment(i, relativeTime(rec, this.firstTs ?? 0, this.firstNanos), c.a, t)));
    return { key, a: c.a, b: c.b, ...w.result(c.packets), summary: c.tally.summary() };
  }

  /** Calls `each` with the records of one TCP conversation, or of the whole file, in order (for export). */
  async eachRecord(key: string | undefined, each: (rec: PacketRecord) => void, opts: PassOptions = {}): Promise<void> {
    if (key !== undefined) {
      await this.eachOfConversation(key, (rec) => void each(rec), opts.signal);
      return;
    }
    await this.whenComplete();
    await this.index.scan(0, this.index.count, (rec) => void each(rec), opts.signal);
  }

  /**
   * Writes one conversation (or the whole file) to `target` as pcap or pcapng, streaming: written to a temporary
   * file beside it and renamed on success, so a failed or cancelled export leaves an existing file untouched.
   */
  async exportTo(target: string, format: CaptureFormat, key: string | undefined, opts: PassOptions & Partial<PcapngOptions> = {}): Promise<void> {
    const tmp = `${target}.${process.pid}.${Date.now()}.part`;
    const fh = await fs.open(tmp, 'wx');
    let ok = false;
    try {
      let w: PcapWriter | PcapngWriter | undefined;
      let parts: Uint8Array[] = [];
      let held = 0;
      const flush = async () => {
        const batch = parts;
        parts = [];
        held = 0;
        for (const p of batch) await fh.write(p);
      };
      let pending: Promise<void> = Promise.resolve();
      await this.eachRecord(key, (rec) => {
        if (!w) {
          w = format === 'pcap' ? new PcapWriter({ ...opts, linkType: rec.linkType }) : new PcapngWriter({ ...opts, linkType: rec.linkType });
          parts.push(w.header());
        }
        const b = w.packet(rec);
        parts.push(b);
        held += b.length;
        if (held > 1 << 20) {
          const batch = parts;
          parts = [];
          held = 0;
          pending = pending.then(async () => {
            for (const p of batch) await fh.write(p);
          });
        }
      }, opts);
      await pending;
      if (!w) {
        w = format === 'pcap' ? new PcapWriter({ ...opts, linkType: this.index.linkType ?? 1 }) : new PcapngWriter({ ...opts, linkType: this.index.linkType ?? 1 });
        parts.push(w.header());
      }
      await flush();
      await fh.close();
      await fs.rename(tmp, target);
      ok = true;
    } finally {
      if (!ok) {
        await fh.close().catch(() => undefined);
        await fs.rm(tmp, { force: true });
      }
    }
  }
}
