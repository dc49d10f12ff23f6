// What the packet panel shows of one capture, without vscode: summary rows dissected once as packets
// arrive, the display filter's matches (paged), one packet's full dissection, TCP conversations.
import type { PacketRecord } from '../../shared/packet';
import {
  bytesToHex, MAX_DIAGRAM_SEGMENTS,
  type ConversationInfo, type DiagramData, type DiagramSegment, type PacketDetail, type PacketRow, type RowsPage,
  type RowTone, type WireField, type WireLayer,
} from '../../shared/packetPanelProtocol';
import { Disposable, Emitter } from '../../shared/disposable';
import { conversationOf, DissectContext, dissect, endpointText, type DissectedPacket, type Field } from '../decode/dissect';
import { compileFilter } from '../decode/displayFilter';

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
}

interface Summary {
  readonly row: PacketRow;
  readonly tcp?: TcpFacts;
  /** Conversation key when the packet is TCP. */
  readonly conv?: string;
}

/** TCP facts of a dissected packet (from the decoder's segment info), or undefined when it is not TCP. */
export function tcpFacts(pkt: DissectedPacket): TcpFacts | undefined {
  const t = pkt.tcp;
  const conv = conversationOf(pkt);
  if (!t || !conv) return undefined;
  return {
    src: endpointText({ address: t.srcAddr, port: t.srcPort }),
    dst: endpointText({ address: t.dstAddr, port: t.dstPort }),
    // A new SYN on reused ports is a new stream, so the stream index is part of the key.
    key: `${conv.key}#${t.stream}`,
    flags: t.flagsText && t.flagsText !== '<None>' ? t.flagsText.split(', ') : [],
    seq: t.seq,
    ack: t.ack,
    len: t.len,
    win: t.window,
  };
}

function toneOf(pkt: DissectedPacket, tcp: TcpFacts | undefined): RowTone {
  if (pkt.malformed) return 'malformed';
  if (tcp) {
    if (tcp.flags.includes('RST')) return 'rst';
    if (tcp.flags.includes('SYN')) return 'syn';
    if (tcp.flags.includes('FIN')) return 'fin';
    return '';
  }
  return pkt.layers.some((l) => l.name === 'udp') ? 'udp' : '';
}

function toWireField(f: Field): WireField {
  const w: WireField = { id: f.id, label: f.label, display: f.display, offset: f.offset, length: f.length };
  return f.children?.length ? { ...w, children: f.children.map(toWireField) } : w;
}

/** A display filter that failed to compile; the message is the decoder's one sentence. */
export class FilterError extends Error {
  readonly code = 'EFILTER';
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
  /** The live context: fed every packet once, in order, never reset. */
  private readonly ctx = new DissectContext();
  private filterText = '';
  private predicate: ((p: DissectedPacket) => boolean) | undefined;
  /** Capture-wide indexes matching the filter, ascending (undefined = no filter: all rows match). */
  private matches: number[] | undefined;
  private gen = 0;
  private readonly changed = this.own(new Emitter<ModelStatus>());
  readonly onDidChange = this.changed.event;

  constructor(private readonly source: PacketSource) {
    super();
    this.sync();
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
      const drop = Math.min(first - this.base, this.summaries.length);
      this.summaries.splice(0, drop);
      this.base = first;
      if (this.matches) {
        let k = 0;
        while (k < this.matches.length && this.matches[k] < first) k++;
        if (k) this.matches.splice(0, k);
      }
    }
    const before = this.summaries.length;
    for (let i = this.base + this.summaries.length; i < this.source.endIndex; i++) {
      const rec = this.source.at(i);
      if (!rec) break;
      const pkt = dissect(rec, this.ctx, i + 1);
      this.summaries.push(this.summarise(i, rec, pkt));
      if (this.matches && this.test(pkt)) this.matches.push(i);
    }
    if (this.summaries.length !== before || trimmed) this.changed.fire(this.status);
  }

  /** Applies a display filter ('' clears it); throws FilterError with the reason for a bad expression. */
  setFilter(expr: string): ModelStatus {
    const text = expr.trim();
    if (text === '') {
      this.predicate = undefined;
      this.matches = undefined;
    } else {
      let pred: (p: DissectedPacket) => boolean;
      try {
        pred = compileFilter(text);
      } catch (e) {
        throw new FilterError(e instanceof Error ? e.message : String(e));
      }
      this.predicate = pred;
      // Replay the retained packets in order with a scratch context: the live one has moved on.
      const scratch = new DissectContext();
      const matches: number[] = [];
      for (let k = 0; k < this.summaries.length; k++) {
        const rec = this.source.at(this.base + k);
        if (rec && this.test(dissect(rec, scratch, this.base + k + 1))) matches.push(this.base + k);
      }
      this.matches = matches;
    }
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

  /** Full dissection and bytes of one packet; undefined when it is no longer retained. */
  detail(index: number): PacketDetail | undefined {
    const rec = this.source.at(index);
    const s = this.summaries[index - this.base];
    if (!rec || !s) return undefined;
    const pkt = this.redissect(index, s);
    const layers: WireLayer[] = pkt.layers.map((l) => ({
      name: l.name, title: l.title, role: l.role, offset: l.offset, length: l.length,
      fields: l.fields.map(toWireField), ...(l.truncated ? { truncated: true } : {}),
    }));
    return {
      index, no: s.row.no, time: s.row.time, tsMicros: rec.tsMicros, origLen: rec.origLen, linkType: rec.linkType,
      bytesHex: bytesToHex(rec.data), layers, ...(pkt.malformed ? { malformed: pkt.malformed } : {}),
      ...(s.conv !== undefined ? { conversation: s.conv } : {}),
    };
  }

  /**
   * Dissects one packet again with the relative numbers of the first pass: a TCP segment is replayed
   * from the start of its own conversation in a scratch context (cheap: one connection, not the capture).
   */
  private redissect(index: number, s: Summary): DissectedPacket {
    const scratch = new DissectContext();
    if (s.conv !== undefined) {
      for (let k = 0; k < index - this.base; k++) {
        if (this.summaries[k].conv !== s.conv) continue;
        const earlier = this.source.at(this.base + k);
        if (earlier) dissect(earlier, scratch, this.base + k + 1);
      }
    }
    return dissect(this.source.at(index) as PacketRecord, scratch, index + 1);
  }

  /** The packet records (capture-wide indexes) of one TCP conversation, or of the whole capture. */
  records(key?: string): PacketRecord[] {
    const out: PacketRecord[] = [];
    this.summaries.forEach((s, k) => {
      if (key !== undefined && s.conv !== key) return;
      const rec = this.source.at(this.base + k);
      if (rec) out.push(rec);
    });
    return out;
  }

  /** TCP conversations in order of first appearance; A is the endpoint that sent first. */
  conversations(): ConversationInfo[] {
    const byKey = new Map<string, { a: string; b: string; packets: number; bytes: number }>();
    for (const s of this.summaries) {
      if (!s.tcp || !s.conv) continue;
      const c = byKey.get(s.conv);
      if (c) {
        c.packets++;
        c.bytes += s.row.length;
      } else byKey.set(s.conv, { a: s.tcp.src, b: s.tcp.dst, packets: 1, bytes: s.row.length });
    }
    return [...byKey].map(([key, c]) => ({ key, ...c }));
  }

  /** The segments of one TCP conversation for the diagram, at most MAX_DIAGRAM_SEGMENTS of them. */
  diagram(key: string): DiagramData | undefined {
    let a: string | undefined;
    let b = '';
    const segments: DiagramSegment[] = [];
    let omitted = 0;
    for (const s of this.summaries) {
      if (s.conv !== key || !s.tcp) continue;
      if (a === undefined) {
        a = s.tcp.src;
        b = s.tcp.dst;
      }
      if (segments.length >= MAX_DIAGRAM_SEGMENTS) {
        omitted++;
        continue;
      }
      const t = s.tcp;
      segments.push({ index: s.row.index, no: s.row.no, time: s.row.time, fromA: t.src === a, flags: t.flags, seq: t.seq, ack: t.ack, len: t.len, win: t.win });
    }
    return a === undefined ? undefined : { key, a, b, segments, omitted };
  }


  private test(pkt: DissectedPacket): boolean {
    try {
      return this.predicate ? this.predicate(pkt) : true;
    } catch {
      return false; // a filter that trips on one odd packet simply does not match it
    }
  }

  private summarise(index: number, rec: PacketRecord, pkt: DissectedPacket): Summary {
    this.firstTs ??= rec.tsMicros;
    const tcp = tcpFacts(pkt);
    const row: PacketRow = {
      index,
      no: index + 1,
      time: (rec.tsMicros - this.firstTs) / 1e6,
      source: pkt.summary.source,
      destination: pkt.summary.destination,
      protocol: pkt.summary.protocol,
      length: rec.origLen,
      info: pkt.summary.info.length > 4000 ? pkt.summary.info.slice(0, 3999) + '…' : pkt.summary.info,
      tone: toneOf(pkt, tcp),
    };
    return tcp ? { row, tcp, conv: tcp.key } : { row };
  }
}
