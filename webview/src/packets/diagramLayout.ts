// Pure layout of the TCP conversation diagram (two endpoint lanes, one arrow per segment),
// computed from the host's DiagramData; diagram.ts only turns it into SVG elements.
import type { DiagramData, DiagramSegment, TcpAnalysisName } from '../../../src/shared/packetPanelProtocol';

export type ArrowTone = 'syn' | 'fin' | 'rst' | 'data' | 'ack';

export interface ArrowLayout {
  readonly index: number;
  readonly no: number;
  readonly fromA: boolean;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  /** "[SYN, ACK]" */
  readonly flagsText: string;
  /** "Seq=0 Ack=1 Len=0" (drawn on the arrow) */
  readonly detail: string;
  /** "Seq=0 Ack=1 Len=0 Win=65483" (tooltip and screen readers) */
  readonly fullDetail: string;
  /** Seconds since the first packet of the capture, as the list shows it. */
  readonly timeLabel: string;
  readonly tone: ArrowTone;
  /** Where the label text sits (midpoint of the arrow, above it). */
  readonly labelX: number;
  readonly labelY: number;
  /** What the TCP analysis found (empty: nothing), and a duplicate ACK's number. */
  readonly analysis: readonly TcpAnalysisName[];
  readonly dupAckNum: number;
  /** Where its mark sits: under the arrow's start, by the sender's lane. */
  readonly markX: number;
  readonly markY: number;
  readonly markAnchor: 'start' | 'end';
  /** The height of its row (taller with a mark). */
  readonly rowHeight: number;
}

export interface DiagramLayout {
  readonly width: number;
  readonly height: number;
  readonly laneA: number;
  readonly laneB: number;
  readonly headerY: number;
  readonly a: string;
  readonly b: string;
  readonly arrows: readonly ArrowLayout[];
}

export interface LayoutOptions {
  readonly width: number;
  readonly rowPx: number;
  readonly headerPx: number;
  readonly timePx: number;
  readonly slopePx: number;
}

/** The extra height of a row with a mark: one line of 11 px text. */
const MARK_PX = 14;
const DEFAULTS: LayoutOptions = { width: 640, rowPx: 34, headerPx: 44, timePx: 76, slopePx: 12 };
const LANE_MARGIN = 72;

/** The tone tells the handshake (syn), teardown (fin/rst), payload (data) and bare ACKs apart. */
export function toneOf(s: DiagramSegment): ArrowTone {
  if (s.flags.includes('RST')) return 'rst';
  if (s.flags.includes('SYN')) return 'syn';
  if (s.flags.includes('FIN')) return 'fin';
  return s.len > 0 ? 'data' : 'ack';
}

/** Wireshark's wording: Seq, Ack only when the ACK flag is set, Len, and Win when asked for. */
export function segmentDetail(s: DiagramSegment, withWindow = false): string {
  const parts = [`Seq=${s.seq}`];
  if (s.flags.includes('ACK')) parts.push(`Ack=${s.ack}`);
  parts.push(`Len=${s.len}`);
  if (withWindow) parts.push(`Win=${s.win}`);
  return parts.join(' ');
}

export function layoutDiagram(data: DiagramData, options: Partial<LayoutOptions> = {}): DiagramLayout {
  const o = { ...DEFAULTS, ...options };
  const width = Math.max(o.width, o.timePx + 2 * LANE_MARGIN + 110);
  const laneA = o.timePx + LANE_MARGIN;
  const laneB = width - LANE_MARGIN;
  let top = o.headerPx;
  const arrows = data.segments.map((s): ArrowLayout => {
    // A row with a TCP analysis mark is taller: the mark gets a line of its own under the arrow, not across it.
    const rowHeight = o.rowPx + ((s.analysis?.length ?? 0) > 0 ? MARK_PX : 0);
    const y1 = top + o.rowPx / 2;
    top += rowHeight;
    const x1 = s.fromA ? laneA : laneB;
    const x2 = s.fromA ? laneB : laneA;
    return {
      index: s.index,
      no: s.no,
      fromA: s.fromA,
      x1,
      y1,
      x2,
      y2: y1 + o.slopePx,
      flagsText: `[${s.flags.join(', ')}]`,
      detail: segmentDetail(s),
      fullDetail: segmentDetail(s, true),
      timeLabel: s.time.toFixed(6),
      tone: toneOf(s),
      labelX: (laneA + laneB) / 2,
      labelY: y1 - 4,
      analysis: s.analysis ?? [],
      dupAckNum: s.dupAckNum ?? 0,
      markX: s.fromA ? x1 + 6 : x1 - 6,
      markY: y1 + o.slopePx + MARK_PX - 1,
      rowHeight,
      markAnchor: s.fromA ? 'start' : 'end',
    };
  });
  const height = top + o.slopePx + 8;
  return { width, height, laneA, laneB, headerY: o.headerPx - 14, a: data.a, b: data.b, arrows };
}
