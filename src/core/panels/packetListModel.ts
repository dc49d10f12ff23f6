// What the packet panel shows of one capture, without vscode: summary rows dissected once as packets
// arrive, the display filter's matches (paged), one packet's full dissection, TCP conversations.
import { TlsKeyLog } from '../tls/tlsDecrypt';
import type { PacketRecord } from '../../shared/packet';
import {
  MAX_DIAGRAM_SEGMENTS,
  type CaptureStatisticsData, type ConversationInfo, type DiagramData, type IoGraph, type DiagramSegment, type PacketDetail, type PacketRow, type RowsPage,
  type RowTone, type WireField, type WireLayer,
} from '../../shared/packetPanelProtocol';
import { Disposable, Emitter } from '../../shared/disposable';
import { DissectContext, dissect, type DissectOptions, type DissectedPacket, type Field } from '../decode/dissect';
import { compileFilter } from '../decode/displayFilter';
import { ReplayLog } from '../decode/replayLog';
import { analysisFlagged, CaptureStatistics, flowOf, type Flow } from './captureStatistics';
import type { ConversationPage, ConversationQuery } from '../../shared/packetPanelProtocol';
import { DiagramWindow } from './diagramWindow';
import { FollowModel } from './followModel';
import { analysisNames, ConnectionTally, expertSeverity, isBadTcp } from './tcpAnalysisView';

/** How the panel dissects: with Wireshark's TCP analysis (the Info notes, the field tree's expert info, "Bad TCP"). */
/**
 * The TLS secrets the packet panel decrypts with (Wireshark's tls.keylog_file), one for the whole extension: fed with
 * every Socket Lab TLS session's secrets and the key log files the user names (vscode/captures/tlsKeyLogs.ts).
 */
export const panelTlsKeyLog = new TlsKeyLog();
export const PANEL_DISSECT_OPTIONS: DissectOptions = { analyzeTcp: true, tlsKeyLog: panelTlsKeyLog };

/** A capture's retained packets; a bounded capture forgets its oldest ones and advances `firstIndex`. */
export interface PacketSource {
  /** Capture-wide index (0-based, = No. − 1) of the oldest retained packet. */
  readonly firstIndex: number;
  /** Capture-wide index one past the newest packet. */
  readonly endIndex: number;
  /** The packet with this capture-wide index, if still retained. */
  at(index: number): PacketRecord | undefined;
}

/** An array of packets (a file read from disk) as a PacketSource. */
export function arraySource(packets: readonly PacketRecord[]): PacketSource {
  return { firstIndex: 0, endIndex: packets.length, at: (i) => packets[i] };
}

/** The TCP facts the conversation list and diagram need, taken from one dissection. */
export interface TcpFacts {
  readonly src: string;
  /** Conversation key: both endpoints (order-free) and the stream index. */
  readonly key: string;
  readonly dst: string;
  readonly flags: readonly string[];
  readonly seq: number;
  readonly ack: number;
  readonly len: number;
  readonly win: number;
  /** What the TCP analysis flagged (absent: nothing, the common case). */
  readonly analysis?: { readonly flags: number; readonly dupAckNum: number };
}

interface Summary {
  readonly row: PacketRow;
  readonly tcp?: TcpFacts;
  /** Its TCP connection or UDP conversation. */
  readonly flow?: Flow;
}

/** TCP facts of a dissected packet (from the decoder's segment info), or undefined when it is not TCP. */
export function tcpFacts(pkt: DissectedPacket, flow = flowOf(pkt)): TcpFacts | undefined {
  const t = pkt.tcp;
  if (!t || flow?.proto !== 'tcp') return undefined;
  return {
    src: flow.src,
    dst: flow.dst,
    key: flow.key,
    flags: t.flagsText && t.flagsText !== '<None>' ? t.flagsText.split(', ') : [],
    seq: t.seq,
    ack: t.ack,
    len: t.len,
    win: t.window,
    ...(t.analysis?.flags ? { analysis: { flags: t.analysis.flags, dupAckNum: t.analysis.dupAckNum } } : {}),
  };
}

/** A diagram arrow's analysis marks. */
function segmentMarks(t: TcpFacts): Pick<DiagramSegment, 'analysis' | 'dupAckNum'> {
  const a = t.analysis;
  if (!a) return {};
  return a.dupAckNum ? { analysis: analysisNames(a.flags), dupAckNum: a.dupAckNum } : { analysis: analysisNames(a.flags) };
}

/** One TCP segment as the diagram draws it; `a` is the endpoint that sent first. */
export function diagramSegment(index: number, time: number, a: string, t: TcpFacts): DiagramSegment {
  return { index, no: index + 1, time, fromA: t.src === a, flags: t.flags, seq: t.seq, ack: t.ack, len: t.len, win: t.win, ...segmentMarks(t) };
}

export function toneOf(pkt: DissectedPacket, tcp: TcpFacts | undefined): RowTone {
  if (pkt.malformed) return 'malformed';
  if (tcp) {
    // Wireshark's default colouring rules, in their order: Bad TCP, TCP RST, TCP SYN/FIN.
    if (tcp.analysis && isBadTcp(tcp.analysis.flags)) return 'bad';
    if (tcp.flags.includes('RST')) return 'rst';
    if (tcp.flags.includes('SYN')) return 'syn';
    if (tcp.flags.includes('FIN')) return 'fin';
    return '';
  }
  return pkt.protocols.includes('udp') ? 'udp' : '';
}

export function toWireField(f: Field): WireField {
  const severity = expertSeverity(f.display);
  const w: WireField = { id: f.id, label: f.label, display: f.display, offset: f.offset, length: f.length, ...(severity ? { severity } : {}), ...(f.source !== undefined ? { source: f.source } : {}) };
  return f.children?.length ? { ...w, children: f.children.map(toWireField) } : w;
}

/** Seconds from the first packet (`firstTs` µs and `firstNanos` ns past it) to `rec`, to the ns on a ns capture. */
export function relativeTime(rec: PacketRecord, firstTs: number, firstNanos: number): number {
  return rec.tsNanos === undefined ? (rec.tsMicros - firstTs) / 1e6 : ((rec.tsMicros - firstTs) * 1000 + rec.tsNanos - firstNanos) / 1e9;
}

/**
 * The packet list's row for one dissected packet; `firstTs` is the capture's first timestamp (Time is relative), in µs
 * and `firstNanos` ns past it; on a capture stamped in nanoseconds the row keeps them (`nanos`).
 */
export function packetRowOf(index: number, rec: PacketRecord, pkt: DissectedPacket, firstTs: number, tcp = tcpFacts(pkt), firstNanos = 0): PacketRow {
  return {
    index,
    no: index + 1,
    time: relativeTime(rec, firstTs, firstNanos),
    ...(rec.tsNanos !== undefined ? { nanos: true as const } : {}),
    source: pkt.summary.source,
    destination: pkt.summary.destination,
    protocol: pkt.summary.protocol,
    length: rec.origLen,
    info: pkt.summary.info.length > 4000 ? pkt.summary.info.slice(0, 3999) + '…' : pkt.summary.info,
    tone: toneOf(pkt, tcp),
  };
}

/**
 * The one way the models dissect the record at capture-wide `index` (No. = index + 1) in capture order with
 * `ctx` (first pass, filter pass, replay from a checkpoint); `log` keeps the facts a row click needs later.
 */
export function dissectAt(rec: PacketRecord, index: number, ctx: DissectContext, log?: ReplayLog): DissectedPacket {
  const pkt = dissect(rec, ctx, index + 1);
  log?.record(index, pkt);
  return pkt;
}

/** A row click's answer: one packet's field tree, bytes and conversation; `firstTs` is the capture's first timestamp. */
export function packetDetailOf(index: number, rec: PacketRecord, pkt: DissectedPacket, firstTs: number): PacketDetail {
  const layers: WireLayer[] = pkt.layers.map((l) => ({
    name: l.name, title: l.title, role: l.role, offset: l.offset, length: l.length,
    fields: l.fields.map(toWireField), ...(l.truncated ? { truncated: true } : {}), ...(l.source !== undefined ? { source: l.source } : {}),
  }));
  const flow = flowOf(pkt);
  const conv = tcpFacts(pkt, flow)?.key;
  return {
    index, no: index + 1, time: (rec.tsMicros - firstTs) / 1e6, tsMicros: rec.tsMicros, origLen: rec.origLen, linkType: rec.linkType,
    bytes: new Uint8Array(rec.data), layers, ...(pkt.malformed ? { malformed: pkt.malformed } : {}),
    ...(conv !== undefined ? { conversation: conv } : {}),
    ...(flow !== undefined ? { flow: flow.key } : {}),
    ...(pkt.sources ? { sources: pkt.sources.map((x) => ({ name: x.name, bytes: new Uint8Array(x.bytes) })) } : {}),
  };
}

/** A display filter that failed to compile; the message is the decoder's one sentence. */
export class FilterError extends Error {
  readonly code = 'EFILTER';
}

/** A filter still being applied when a newer one was asked for. */
export class FilterCancelledError extends Error {
  readonly code = 'ECANCELED';
}

export function safeTest(pred: (p: DissectedPacket) => boolean, pkt: DissectedPacket): boolean {
  try {
    return pred(pkt);
  } catch {
    return false; // a filter that trips on one odd packet simply does not match it
  }
}

/** Removes the leading entries below `first` from an ascending list. */
function dropBelow(list: number[], first: number): void {
  let k = 0;
  while (k < list.length && list[k] < first) k++;
  if (k) list.splice(0, k);
}

export interface ModelStatus {
  readonly total: number;
  readonly matched: number;
  readonly generation: number;
}

export class PacketListModel extends Disposable {
  private readonly summaries: Summary[] = [];
  /** Capture-wide index of summaries[0]. */
  private base = 0;
  private firstTs: number | undefined;
  private firstNanos = 0;
  /** The live context: fed every packet once, in order, never reset. */
  private readonly ctx: DissectContext;
  /** What each retained packet's first-pass dissection took from `ctx`: a row click dissects that packet alone. */
  private readonly facts: ReplayLog;
  private filterText = '';
  private predicate: ((p: DissectedPacket) => boolean) | undefined;
  /** Capture-wide indexes matching the filter, ascending (undefined = no filter: all rows match). */
  private matches: number[] | undefined;
  private gen = 0;
  /** Bumped by each setFilter call, so a newer filter cancels one still running. */
  private filterRun = 0;
  /** Capture-wide indexes of each TCP or UDP conversation's packets, ascending. */
  private readonly convIndex = new Map<string, number[]>();
  /** Each TCP connection's summary (counters, as long as any of its packets is retained). */
  private readonly tallies = new Map<string, ConnectionTally>();
  /** Conversations table and I/O graph over every packet taken in (also those the capture has since forgotten). */
  private readonly stats = new CaptureStatistics();
  private readonly changed = this.own(new Emitter<ModelStatus>());
  readonly onDidChange = this.changed.event;

  private catchUp: ReturnType<typeof setImmediate> | undefined;

  /** `ingestSlice`: packets dissected per turn of the event loop, so opening a full capture never blocks. */
  constructor(
    private readonly source: PacketSource,
    private readonly ingestSlice = 5000,
    options: DissectOptions = PANEL_DISSECT_OPTIONS,
  ) {
    super();
    this.ctx = new DissectContext(options);
    this.facts = new ReplayLog(options);
    this.own({ dispose: () => clearImmediate(this.catchUp) });
    this.sync();
  }

  /** True while packets the source already holds are still being taken in. */
  get catchingUp(): boolean {
    return this.catchUp !== undefined;
  }

  get filter(): string {
    return this.filterText;
  }

  get status(): ModelStatus {
    const total = this.summaries.length;
    return { total, matched: this.matches ? this.matches.length : total, generation: this.gen };
  }

  /** Takes in packets that arrived (and forgets those the source dropped); call on each source change. */
  sync(): void {
    const first = this.source.firstIndex;
    let trimmed = false;
    if (first > this.base) {
      trimmed = true;
      // Every row moved up: the webview must drop its cached pages, as after a new filter.
      this.gen++;
      const drop = Math.min(first - this.base, this.summaries.length);
      this.summaries.splice(0, drop);
      this.base = first;
      this.facts.forgetBelow(first);
      if (this.matches) dropBelow(this.matches, first);
      for (const [key, list] of this.convIndex) {
        dropBelow(list, first);
        if (list.length === 0) {
          this.convIndex.delete(key);
          this.tallies.delete(key);
        }
      }
    }
    const before = this.summaries.length;
    const end = Math.min(this.source.endIndex, this.base + before + this.ingestSlice);
    for (let i = this.base + this.summaries.length; i < end; i++) {
      const rec = this.source.at(i);
      if (!rec) break;
      const pkt = dissectAt(rec, i, this.ctx, this.facts);
      const s = this.summarise(i, rec, pkt);
      this.summaries.push(s);
      this.stats.add(i, rec.tsMicros, rec.origLen, s.flow, rec.tsNanos, analysisFlagged(pkt));
      if (s.flow !== undefined) {
        const list = this.convIndex.get(s.flow.key);
        if (list) list.push(i);
        else this.convIndex.set(s.flow.key, [i]);
      }
      if (s.tcp) this.tally(s.tcp, pkt);
      if (this.matches && this.test(pkt)) this.matches.push(i);
    }
    if (this.summaries.length !== before || trimmed) this.changed.fire(this.status);
    // More than one slice waiting: continue on the next turn instead of blocking now.
    const behind = this.base + this.summaries.length < this.source.endIndex;
    if (behind && this.catchUp === undefined && !this.isDisposed) {
      this.catchUp = setImmediate(() => {
        this.catchUp = undefined;
        if (!this.isDisposed) this.sync();
      });
    }
  }

  /**
   * Applies a display filter ('' clears it). Rejects with FilterError for a bad expression, and with
   * FilterCancelledError when a newer call replaced it. Yields to the event loop every `sliceSize`
   * packets so a long capture never blocks the extension host; packets arriving meanwhile are included.
   */
  async setFilter(expr: string, sliceSize = 2000): Promise<ModelStatus> {
    const run = ++this.filterRun;
    const text = expr.trim();
    let pred: ((p: DissectedPacket) => boolean) | undefined;
    let matches: number[] | undefined;
    if (text !== '') {
      try {
        pred = compileFilter(text);
      } catch (e) {
        throw new FilterError(e instanceof Error ? e.message : String(e));
      }
      // Each retained packet as the first pass saw it (its facts, as a row click): a pass from the oldest retained
      // packet would not know what came before it (a duplicate ACK's first ACK, a retransmission's first sending).
      matches = [];
      let i = this.base;
      for (let n = 1; i < this.base + this.summaries.length; i++, n++) {
        const rec = this.source.at(i);
        const pkt = rec && this.facts.dissect(rec, i, i + 1);
        if (pkt && safeTest(pred, pkt)) matches.push(i);
        if (n % sliceSize === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (run !== this.filterRun || this.isDisposed) throw new FilterCancelledError('a newer filter replaced this one');
          if (i < this.base - 1) i = this.base - 1; // the capture forgot packets meanwhile
          dropBelow(matches, this.base);
        }
      }
    }
    this.predicate = pred;
    this.matches = matches;
    this.filterText = text;
    this.gen++;
    return this.status;
  }

  /** `count` rows of the filtered list starting at position `start`. */
  rows(start: number, count: number): RowsPage {
    const { matched, generation } = this.status;
    const end = Math.min(matched, start + count);
    const rows: PacketRow[] = [];
    for (let p = start; p < end; p++) {
      const index = this.matches ? this.matches[p] : this.base + p;
      const s = this.summaries[index - this.base];
      if (s) rows.push(s.row);
    }
    return { generation, start, matched, rows };
  }

  /** Position of a capture-wide index in the filtered list, or -1. */
  positionOf(index: number): number {
    if (!this.matches) return index >= this.base && index < this.base + this.summaries.length ? index - this.base : -1;
    let lo = 0;
    let hi = this.matches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.matches[mid] === index) return mid;
      if (this.matches[mid] < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Full dissection and bytes of one packet (the packet alone, from its first-pass facts); undefined when it is no longer retained. */
  detail(index: number): PacketDetail | undefined {
    const rec = this.source.at(index);
    const s = this.summaries[index - this.base];
    if (!rec || !s) return undefined;
    const pkt = this.facts.dissect(rec, index, index + 1);
    return pkt && packetDetailOf(index, rec, pkt, this.firstTs ?? rec.tsMicros);
  }

  /** The packet records of one TCP or UDP conversation, or of the whole capture. */
  records(key?: string): PacketRecord[] {
    const out: PacketRecord[] = [];
    const indexes = key === undefined ? undefined : (this.convIndex.get(key) ?? []);
    if (indexes) {
      for (const i of indexes) {
        const rec = this.source.at(i);
        if (rec) out.push(rec);
      }
      return out;
    }
    for (let i = this.base; i < this.base + this.summaries.length; i++) {
      const rec = this.source.at(i);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** The Conversations table (TCP and UDP), over every packet taken in. */
  statistics(): CaptureStatisticsData {
    return { conversations: this.stats.conversations(), omitted: this.stats.omitted };
  }

  /** A page of the Conversations table (sorted, searched), over every packet taken in. */
  conversationPage(q: ConversationQuery): ConversationPage {
    return this.stats.page(q);
  }

  /** The I/O graph of the whole capture, or of one retained conversation each way (undefined: no such conversation); auto or fixed interval. */
  ioGraph(key?: string, intervalMs?: number): Promise<IoGraph | undefined> {
    if (key === undefined) return Promise.resolve(this.stats.graph(intervalMs));
    return this.stats.conversationGraph(key, async (_first, _last, take) => {
      for (const i of this.convIndex.get(key) ?? []) {
        const s = this.summaries[i - this.base];
        const rec = this.source.at(i);
        const pkt = rec && this.facts.dissect(rec, i, i + 1);
        if (s && rec) take(rec.tsMicros, rec.origLen, s.flow, pkt !== undefined && analysisFlagged(pkt));
      }
    }, intervalMs);
  }

  /** Follows a TCP or UDP conversation through its retained packets (undefined: no such conversation). */
  async follow(key: string): Promise<FollowModel | undefined> {
    const c = this.stats.conversation(key);
    if (!c) return undefined;
    const m = new FollowModel(c.flow);
    for (const i of this.convIndex.get(key) ?? []) {
      const rec = this.source.at(i);
      const pkt = rec && this.facts.dissect(rec, i, i + 1);
      if (rec && pkt) m.take(pkt, rec.data);
    }
    return m;
  }

  /** TCP conversations in order of first appearance; A is the endpoint that sent first. */
  conversations(): ConversationInfo[] {
    const out: ConversationInfo[] = [];
    for (const [key, indexes] of this.convIndex) {
      const first = this.summaries[indexes[0] - this.base];
      if (!first?.tcp) continue;
      let bytes = 0;
      for (const i of indexes) bytes += this.summaries[i - this.base]?.row.length ?? 0;
      out.push({ key, a: first.tcp.src, b: first.tcp.dst, packets: indexes.length, bytes });
    }
    return out;
  }

  /** One connection's segments for the diagram (around packet `around` when given: a long one is cut) and its summary. */
  diagram(key: string, around?: number): DiagramData | undefined {
    const indexes = this.convIndex.get(key);
    const first = indexes && this.summaries[indexes[0] - this.base];
    if (!indexes || !first?.tcp) return undefined;
    const a = first.tcp.src;
    const w = new DiagramWindow<DiagramSegment>(MAX_DIAGRAM_SEGMENTS, around);
    for (const i of indexes) {
      const s = this.summaries[i - this.base];
      const t = s?.tcp;
      if (t && !w.push(diagramSegment(s.row.index, s.row.time, a, t))) break;
    }
    const summary = this.tallies.get(key)?.summary();
    return { key, a, b: first.tcp.dst, ...w.result(indexes.length), ...(summary ? { summary } : {}) };
  }

  /** Counts a segment into its connection's summary (A: the side that sent the connection's first packet). */
  private tally(t: TcpFacts, pkt: DissectedPacket): void {
    let c = this.tallies.get(t.key);
    if (!c) this.tallies.set(t.key, (c = new ConnectionTally()));
    const first = this.summaries[(this.convIndex.get(t.key)?.[0] ?? 0) - this.base]?.tcp;
    c.add(first === undefined || first.src === t.src, t.flags, pkt.tcp?.analysis);
  }

  private test(pkt: DissectedPacket): boolean {
    return this.predicate ? safeTest(this.predicate, pkt) : true;
  }

  private summarise(index: number, rec: PacketRecord, pkt: DissectedPacket): Summary {
    if (this.firstTs === undefined) [this.firstTs, this.firstNanos] = [rec.tsMicros, rec.tsNanos ?? 0];
    const flow = flowOf(pkt);
    const tcp = tcpFacts(pkt, flow);
    const row = packetRowOf(index, rec, pkt, this.firstTs, tcp, this.firstNanos);
    return tcp ? { row, tcp, flow } : flow ? { row, flow } : { row };
  }
}
