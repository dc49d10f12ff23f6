// Statistics of a capture, as Wireshark's Statistics menu gives them: the Conversations table (TCP and UDP: packets
// and bytes each way, relative start, duration — what `tshark -z conv,tcp` prints) and the I/O graph (packets and
// bytes per interval). Fed each packet once, in order, by the packet panel's models; bounded in memory.
import {
  IO_INTERVALS_MS, MAX_CONVERSATION_PAGE, MAX_IO_GRAPH_BINS, type ConversationPage, type ConversationQuery, type ConversationSort, type ConversationStat, type IoGraph, type IoSeries,
} from '../../shared/packetPanelProtocol';
import { conversationOf, endpointText, type DissectedPacket } from '../decode/dissect';

/** A TCP or UDP flow a packet belongs to. `src` sent this packet. */
export interface Flow {
  readonly proto: 'tcp' | 'udp';
  /** Both endpoints (order-free) and the stream index: equal for both directions. */
  readonly key: string;
  readonly stream: number;
  readonly src: string;
  readonly dst: string;
}

/** The flow of a dissected packet (its TCP connection or UDP conversation), or undefined. */
export function flowOf(pkt: DissectedPacket): Flow | undefined {
  const t = pkt.tcp;
  const conv = conversationOf(pkt);
  if (t && conv) {
    const src = endpointText({ address: t.srcAddr, port: t.srcPort });
    const dst = endpointText({ address: t.dstAddr, port: t.dstPort });
    // A new SYN on reused ports is a new stream, so the stream index is part of the key.
    return { proto: 'tcp', key: `${conv.key}#${t.stream}`, stream: t.stream, src, dst };
  }
  const u = pkt.udp;
  if (!u) return undefined;
  const src = endpointText({ address: u.srcAddr, port: u.srcPort });
  const dst = endpointText({ address: u.dstAddr, port: u.dstPort });
  return { proto: 'udp', key: `udp ${src < dst ? `${src} ↔ ${dst}` : `${dst} ↔ ${src}`}#${u.stream}`, stream: u.stream, src, dst };
}

/** The finest interval: 1 ms. */
const FINEST_US = 1000;

/** A dissected packet carries TCP analysis flags (Wireshark's tcp.analysis.flags). */
export function analysisFlagged(pkt: DissectedPacket): boolean {
  return (pkt.tcp?.analysis?.flags ?? 0) !== 0;
}

/** The fixed intervals a span of `spanUs` fits in at most MAX_IO_GRAPH_BINS bins. */
export function intervalsFitting(spanUs: number): number[] {
  return IO_INTERVALS_MS.filter((ms) => Math.floor(spanUs / (ms * 1000)) < MAX_IO_GRAPH_BINS);
}

/**
 * Packets, bytes and TCP analysis events per interval for a few series (one, or the two directions of a
 * conversation), from `startUs`. Growing (the default): the interval starts at `firstMs` and is multiplied by `factor`
 * (merging bins) whenever the graph would pass MAX_IO_GRAPH_BINS, so any length of capture fits in a fixed budget at
 * the finest interval that lets it (auto: 1 ms doubling; 1, 2 or 5 ms times ten keeps Wireshark's intervals).
 * Fixed (`factor` 1): a packet past the budget marks the binner `overflowed` and is not counted.
 */
export class IoBinner {
  private intervalUs: number;
  private readonly packets: number[][];
  private readonly bytes: number[][];
  private readonly events: number[][];
  private startUs: number | undefined;
  private maxUs = 0;
  /** The latest interval a packet fell in: one stamped earlier than a packet before it counts here (tshark's rule). */
  private lastBin = 0;
  overflowed = false;

  constructor(
    private readonly labels: readonly IoSeries['label'][],
    firstMs = FINEST_US / 1000,
    private readonly factor = 2,
  ) {
    this.intervalUs = firstMs * 1000;
    this.packets = labels.map(() => []);
    this.bytes = labels.map(() => []);
    this.events = labels.map(() => []);
  }

  add(series: number, tsUs: number, length: number, flagged = false): void {
    if (this.overflowed) return;
    this.startUs ??= tsUs;
    this.maxUs = Math.max(this.maxUs, tsUs);
    let bin = this.binOf(tsUs);
    while (bin >= MAX_IO_GRAPH_BINS) {
      if (this.factor === 1) {
        this.overflowed = true;
        return;
      }
      this.coarsen();
      bin = this.binOf(tsUs);
    }
    this.lastBin = bin;
    const p = this.packets[series];
    const b = this.bytes[series];
    const e = this.events[series];
    while (p.length <= bin) {
      p.push(0);
      b.push(0);
      e.push(0);
    }
    p[bin]++;
    b[bin] += length;
    if (flagged) e[bin]++;
  }

  private binOf(tsUs: number): number {
    return Math.max(this.lastBin, Math.floor(Math.max(0, tsUs - (this.startUs ?? tsUs)) / this.intervalUs));
  }

  private coarsen(): void {
    this.intervalUs *= this.factor;
    this.lastBin = Math.floor(this.lastBin / this.factor);
    for (const list of [...this.packets, ...this.bytes, ...this.events]) list.splice(0, list.length, ...merge(list, this.factor));
  }

  get intervalMs(): number {
    return this.intervalUs / 1000;
  }

  /**
   * The graph; times relative to `originUs` (the capture's first packet); at `asMs`, a multiple of the interval, its
   * bins merged (a bin of a coarser interval holds exactly the finer bins it covers: they start at the same time).
   */
  result(originUs: number, asMs = this.intervalMs): IoGraph {
    const k = Math.round(asMs / this.intervalMs);
    const [packets, bytes, events] = [this.packets, this.bytes, this.events].map((lists) => lists.map((l) => merge(l, k)));
    const bins = Math.max(1, ...packets.map((p) => p.length));
    const pad = (list: number[]) => [...list, ...new Array<number>(bins - list.length).fill(0)];
    return {
      start: ((this.startUs ?? originUs) - originUs) / 1e6,
      intervalMs: this.intervalMs * k,
      series: this.labels.map((label, i) => ({ label, packets: pad(packets[i]), bytes: pad(bytes[i]), events: pad(events[i]) })),
      intervals: intervalsFitting(this.maxUs - (this.startUs ?? 0)),
    };
  }
}

/** Sums of each `k` consecutive values. */
function merge(list: readonly number[], k: number): number[] {
  if (k === 1) return [...list];
  const out: number[] = [];
  for (let i = 0; i < list.length; i += k) {
    let sum = 0;
    for (let j = i; j < Math.min(list.length, i + k); j++) sum += list[j];
    out.push(sum);
  }
  return out;
}

interface Conversation {
  readonly proto: 'tcp' | 'udp';
  readonly key: string;
  readonly stream: number;
  /** A: the sender of the first packet seen. */
  readonly a: string;
  readonly b: string;
  aPackets: number;
  aBytes: number;
  bPackets: number;
  bBytes: number;
  readonly firstUs: number;
  /** Nanoseconds past firstUs (a capture stamped in ns). */
  readonly firstNs: number;
  lastUs: number;
  /** Capture-wide indexes of its first and last packet (a model streams that range for its graph). */
  readonly first: number;
  last: number;
}

/** The Conversations table and the whole capture's I/O graph, kept as packets arrive. */
export class CaptureStatistics {
  private readonly convs = new Map<string, Conversation>();
  private omittedCount = 0;
  private originUs: number | undefined;
  private originNs = 0;
  private readonly all = new IoBinner(['all']);
  /** The whole capture at 1, 2 and 5 ms times the least power of ten that fits: every interval of Wireshark's, bounded. */
  private readonly decades = [1, 2, 5].map((ms) => new IoBinner(['all'], ms, 10));
  /** The last page's sorted and searched rows, kept while the query and the conversations stay the same. */
  private sorted: { key: string; rows: ConversationStat[] } | undefined;
  private generation = 0;

  /** Conversations listed at most; beyond, they are counted in `omitted`. */
  constructor(private readonly maxConversations = 100_000) {}

  /**
   * One packet, in capture order; `tsNs` the nanoseconds past `tsUs` of a capture stamped in ns, `flagged` whether
   * its dissection carries TCP analysis flags (analysisFlagged).
   */
  add(index: number, tsUs: number, length: number, flow: Flow | undefined, tsNs = 0, flagged = false): void {
    if (this.originUs === undefined) {
      this.originUs = tsUs;
      this.originNs = tsNs;
    }
    this.generation++;
    this.all.add(0, tsUs, length, flagged);
    for (const b of this.decades) b.add(0, tsUs, length, flagged);
    if (!flow) return;
    const c = this.convs.get(flow.key);
    if (c) {
      if (flow.src === c.a) {
        c.aPackets++;
        c.aBytes += length;
      } else {
        c.bPackets++;
        c.bBytes += length;
      }
      c.lastUs = Math.max(c.lastUs, tsUs);
      c.last = index;
    } else if (this.convs.size < this.maxConversations) {
      this.convs.set(flow.key, {
        proto: flow.proto, key: flow.key, stream: flow.stream, a: flow.src, b: flow.dst,
        aPackets: 1, aBytes: length, bPackets: 0, bBytes: 0, firstUs: tsUs, firstNs: tsNs, lastUs: tsUs, first: index, last: index,
      });
    } else this.omittedCount++;
  }

  /** Packets of conversations beyond the listed maximum. */
  get omitted(): number {
    return this.omittedCount;
  }

  /** Every conversation, in order of first appearance. */
  conversations(): ConversationStat[] {
    const origin = this.originUs ?? 0;
    return [...this.convs.values()].map((c) => ({
      key: c.key,
      proto: c.proto,
      stream: c.stream,
      a: c.a,
      b: c.b,
      aToB: { packets: c.aPackets, bytes: c.aBytes },
      bToA: { packets: c.bPackets, bytes: c.bBytes },
      // exact to the ns, as tshark's relative start (a ns capture is not rounded to µs twice)
      start: ((c.firstUs - origin) * 1000 + c.firstNs - this.originNs) / 1e9,
      duration: (c.lastUs - c.firstUs) / 1e6,
      filter: `${c.proto}.stream == ${c.stream}`,
    }));
  }

  /** A listed conversation as a flow from A to B, and where its packets lie (capture-wide indexes). */
  conversation(key: string): { flow: Flow; first: number; last: number } | undefined {
    const c = this.convs.get(key);
    return c && { flow: { proto: c.proto, key: c.key, stream: c.stream, src: c.a, dst: c.b }, first: c.first, last: c.last };
  }

  /**
   * A page of the table: every conversation whose endpoints hold each word of `search`, sorted by `sort` (ties in
   * order of first appearance), `count` rows from `offset`.
   */
  page(q: ConversationQuery): ConversationPage {
    const key = `${this.generation} ${q.sort} ${q.descending} ${q.search}`;
    if (this.sorted?.key !== key) this.sorted = { key, rows: sortConversations(searchConversations(this.conversations(), q.search), q.sort, q.descending) };
    const rows = this.sorted.rows;
    const offset = Math.min(q.offset, Math.max(0, rows.length - 1));
    return { rows: rows.slice(offset, offset + Math.min(q.count, MAX_CONVERSATION_PAGE)), offset, matched: rows.length, total: this.convs.size, omitted: this.omittedCount };
  }

  /** The whole capture's I/O graph, at auto or at a fixed interval (auto when the capture is too long for it). */
  graph(intervalMs?: number): IoGraph {
    const origin = this.originUs ?? 0;
    const auto = this.all.result(origin);
    if (intervalMs === undefined || !auto.intervals?.includes(intervalMs)) return auto;
    // the binner of the same 1-2-5 family, at this interval or a finer one (a power of ten apart)
    const b = this.decades.find((d) => d.intervalMs <= intervalMs && Number.isInteger(Math.log10(intervalMs / d.intervalMs)));
    return b ? { ...b.result(origin, intervalMs), intervals: auto.intervals } : auto;
  }

  /**
   * One conversation's I/O graph, A→B and B→A, from its packets: `each` streams the packets of its range to the
   * callback (the models hold them differently). Undefined for an unknown key.
   */
  async conversationGraph(key: string, each: (first: number, last: number, take: GraphTake) => Promise<void>, intervalMs?: number): Promise<IoGraph | undefined> {
    const c = this.convs.get(key);
    if (!c) return undefined;
    const fits = intervalMs !== undefined && intervalsFitting(c.lastUs - c.firstUs).includes(intervalMs);
    const bins = fits ? new IoBinner(['aToB', 'bToA'], intervalMs, 1) : new IoBinner(['aToB', 'bToA']);
    await each(c.first, c.last, (tsUs, length, flow, flagged) => {
      if (flow?.key === key) bins.add(flow.src === c.a ? 0 : 1, tsUs, length, flagged);
    });
    return bins.result(this.originUs ?? 0);
  }
}

/** A packet of a conversation's range, for its graph: time, length, flow and whether TCP analysis flagged it. */
export type GraphTake = (tsUs: number, length: number, flow: Flow | undefined, flagged?: boolean) => void;

/** Conversations whose endpoints (or protocol) hold each word of `search`, case-insensitively. */
function searchConversations(rows: ConversationStat[], search: string): ConversationStat[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((c) => {
    const text = `${c.proto} ${c.a} ${c.b}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

const SORT_VALUE: Record<ConversationSort, (c: ConversationStat) => number | string> = {
  proto: (c) => c.proto,
  a: (c) => c.a,
  b: (c) => c.b,
  packets: (c) => c.aToB.packets + c.bToA.packets,
  bytes: (c) => c.aToB.bytes + c.bToA.bytes,
  aToBPackets: (c) => c.aToB.packets,
  aToBBytes: (c) => c.aToB.bytes,
  bToAPackets: (c) => c.bToA.packets,
  bToABytes: (c) => c.bToA.bytes,
  start: (c) => c.start,
  duration: (c) => c.duration,
};

function sortConversations(rows: ConversationStat[], sort: ConversationSort, descending: boolean): ConversationStat[] {
  const value = SORT_VALUE[sort];
  const dir = descending ? -1 : 1;
  // Array.prototype.sort is stable: equal values keep their order of first appearance
  return rows.sort((x, y) => {
    const a = value(x);
    const b = value(y);
    return (a < b ? -1 : a > b ? 1 : 0) * dir;
  });
}
