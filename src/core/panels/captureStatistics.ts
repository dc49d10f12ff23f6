// Statistics of a capture, as Wireshark's Statistics menu gives them: the Conversations table (TCP and UDP: packets
// and bytes each way, relative start, duration — what `tshark -z conv,tcp` prints) and the I/O graph (packets and
// bytes per interval). Fed each packet once, in order, by the packet panel's models; bounded in memory.
import { MAX_IO_GRAPH_BINS, type ConversationStat, type IoGraph, type IoSeries } from '../../shared/packetPanelProtocol';
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

/**
 * Packets and bytes per interval for a few series (one, or the two directions of a conversation), from `startUs`.
 * The interval starts at 1 ms and doubles (merging bins) whenever the graph would pass MAX_IO_GRAPH_BINS: any length of
 * capture fits in a fixed budget, at the finest interval that lets it.
 */
export class IoBinner {
  private intervalUs = FINEST_US;
  private readonly packets: number[][];
  private readonly bytes: number[][];
  private startUs: number | undefined;
  /** The latest interval a packet fell in: one stamped earlier than a packet before it counts here (tshark's rule). */
  private lastBin = 0;

  constructor(private readonly labels: readonly IoSeries['label'][]) {
    this.packets = labels.map(() => []);
    this.bytes = labels.map(() => []);
  }

  add(series: number, tsUs: number, length: number): void {
    this.startUs ??= tsUs;
    let bin = Math.max(this.lastBin, Math.floor(Math.max(0, tsUs - this.startUs) / this.intervalUs));
    while (bin >= MAX_IO_GRAPH_BINS) {
      this.coarsen();
      bin = Math.max(this.lastBin, Math.floor(Math.max(0, tsUs - this.startUs) / this.intervalUs));
    }
    this.lastBin = bin;
    const p = this.packets[series];
    const b = this.bytes[series];
    while (p.length <= bin) {
      p.push(0);
      b.push(0);
    }
    p[bin]++;
    b[bin] += length;
  }

  private coarsen(): void {
    this.intervalUs *= 2;
    this.lastBin = Math.floor(this.lastBin / 2);
    for (const list of [...this.packets, ...this.bytes]) {
      const merged: number[] = [];
      for (let i = 0; i < list.length; i += 2) merged.push(list[i] + (list[i + 1] ?? 0));
      list.splice(0, list.length, ...merged);
    }
  }

  /** The graph; times relative to `originUs` (the capture's first packet). */
  result(originUs: number): IoGraph {
    const bins = Math.max(1, ...this.packets.map((p) => p.length));
    const pad = (list: number[]) => [...list, ...new Array<number>(bins - list.length).fill(0)];
    return {
      start: ((this.startUs ?? originUs) - originUs) / 1e6,
      intervalMs: this.intervalUs / 1000,
      series: this.labels.map((label, i) => ({ label, packets: pad(this.packets[i]), bytes: pad(this.bytes[i]) })),
    };
  }
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

  /** Conversations listed at most; beyond, they are counted in `omitted`. */
  constructor(private readonly maxConversations = 100_000) {}

  /** One packet, in capture order; `tsNs` the nanoseconds past `tsUs` of a capture stamped in ns. */
  add(index: number, tsUs: number, length: number, flow: Flow | undefined, tsNs = 0): void {
    if (this.originUs === undefined) {
      this.originUs = tsUs;
      this.originNs = tsNs;
    }
    this.all.add(0, tsUs, length);
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

  /** The whole capture's I/O graph. */
  graph(): IoGraph {
    return this.all.result(this.originUs ?? 0);
  }

  /**
   * One conversation's I/O graph, A→B and B→A, from its packets: `each` streams the packets of its range to the
   * callback (the models hold them differently). Undefined for an unknown key.
   */
  async conversationGraph(key: string, each: (first: number, last: number, take: (tsUs: number, length: number, flow: Flow | undefined) => void) => Promise<void>): Promise<IoGraph | undefined> {
    const c = this.convs.get(key);
    if (!c) return undefined;
    const bins = new IoBinner(['aToB', 'bToA']);
    await each(c.first, c.last, (tsUs, length, flow) => {
      if (flow?.key === key) bins.add(flow.src === c.a ? 0 : 1, tsUs, length);
    });
    return bins.result(this.originUs ?? 0);
  }
}
