// The packet panel's one protocol (extension host ⇄ webview), on the panel kit (./panelKit).
// The webview pulls what it shows (row pages, one packet's dissection); events carry counts only.
import type { PanelClient, PanelProtocol } from './panelKit';
import { isFindResult, responseValidators as sessionAnswers, MAX_CHUNK_PAGE, type FindResult, type PanelResponses as SessionAnswers, type TranscriptInfo, isTranscriptInfo } from './sessionPanelProtocol';
import { LAYER_ROLES, type LayerRole } from './types';
import { isArrayOf, isNum, isObj, isOneOf, isStr, isUint, type Obj } from './validate';

/** Most rows one `rows` request may ask for; the list pages in far smaller steps. */
export const MAX_ROWS_PER_PAGE = 500;
/** Longest display filter accepted over the wire. */
export const MAX_FILTER_LENGTH = 1000;
/** Most segments a conversation diagram carries; longer connections are cut and marked. */
export const MAX_DIAGRAM_SEGMENTS = 2000;
/** Longest find query and copied text accepted over the wire. */
const MAX_FIND_QUERY = 10_000;
const MAX_COPY = 4 * 1024 * 1024;

/**
 * Colour hint for a row, computed in the host from the dissection. 'bad' is Wireshark's "Bad TCP" colouring rule
 * (tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack),
 * which comes before its "TCP RST" and "TCP SYN/FIN" rules.
 */
export type RowTone = '' | 'syn' | 'fin' | 'rst' | 'udp' | 'malformed' | 'bad';
const ROW_TONES: readonly string[] = ['', 'syn', 'fin', 'rst', 'udp', 'malformed', 'bad'];

/** Wireshark's TCP analysis flags a segment can carry (`tcp.analysis.<name>`), in its printing order. */
export const TCP_ANALYSIS_NAMES = [
  'reused_ports', 'retransmission', 'fast_retransmission', 'spurious_retransmission', 'out_of_order', 'lost_segment', 'ack_lost_segment',
  'window_update', 'window_full', 'keep_alive', 'keep_alive_ack', 'duplicate_ack', 'zero_window_probe', 'zero_window', 'zero_window_probe_ack',
] as const;
export type TcpAnalysisName = (typeof TCP_ANALYSIS_NAMES)[number];

/** Expert info severity (Wireshark's Chat, Note, Warning, Error) of a field tree line. */
export type ExpertSeverity = 'chat' | 'note' | 'warning' | 'error';
const SEVERITIES: readonly ExpertSeverity[] = ['chat', 'note', 'warning', 'error'];

/** One line of the packet list: Wireshark's summary columns, nothing more. */
export interface PacketRow {
  /** Index in the capture's retained packets (the id used to ask for details). */
  readonly index: number;
  /** Wireshark's "No.": 1-based number since the capture started. */
  readonly no: number;
  /** Seconds since the first packet of the capture. */
  readonly time: number;
  /** The capture is stamped in nanoseconds: Time shows 9 decimals, as Wireshark's (else 6). */
  readonly nanos?: true;
  readonly source: string;
  readonly destination: string;
  readonly protocol: string;
  /** Bytes on the wire. */
  readonly length: number;
  readonly info: string;
  readonly tone: RowTone;
}


export interface WireField {
  readonly id: string;
  readonly label: string;
  readonly display: string;
  readonly offset: number;
  readonly length: number;
  readonly children?: readonly WireField[];
  /** An expert info line ("Expert Info (Warning/Sequence): …"): how serious it is. */
  readonly severity?: ExpertSeverity;
  /** Index in PacketDetail.sources of the bytes `offset` is in; absent: the frame's bytes. */
  readonly source?: number;
}

export interface WireLayer {
  readonly name: string;
  readonly title: string;
  readonly role: LayerRole;
  readonly offset: number;
  readonly length: number;
  readonly fields: readonly WireField[];
  readonly truncated?: boolean;
  /** Index in PacketDetail.sources of the bytes this layer is in; absent: the frame's bytes. */
  readonly source?: number;
}

/** Bytes of a packet other than the frame's (decrypted TLS, as Wireshark's extra bytes tabs): a name and the bytes. */
export interface WireSource {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Everything the field tree and the hex pane need for one packet. */
export interface PacketDetail {
  readonly index: number;
  readonly no: number;
  readonly time: number;
  readonly tsMicros: number;
  readonly origLen: number;
  readonly linkType: number;
  /** The captured bytes. */
  readonly bytes: Uint8Array;
  readonly layers: readonly WireLayer[];
  readonly malformed?: string;
  /** Key of the TCP connection this packet belongs to (for the diagram), if any. */
  readonly conversation?: string;
  /** Key of its TCP connection or UDP conversation (to follow it). */
  readonly flow?: string;
  /** Bytes other than the frame's that fields and layers point into (their `source`). */
  readonly sources?: readonly WireSource[];
}

/** A TCP connection seen in the capture, A = the side that sent the first packet. */
export interface ConversationInfo {
  readonly key: string;
  readonly a: string;
  readonly b: string;
  readonly packets: number;
  readonly bytes: number;
}

export interface DiagramSegment {
  readonly index: number;
  readonly no: number;
  readonly time: number;
  /** true when A sent it. */
  readonly fromA: boolean;
  /** Set flags in Wireshark's order and spelling: SYN, FIN, RST, PSH, ACK, URG, ECE, CWR. */
  readonly flags: readonly string[];
  /** Relative sequence / acknowledgement numbers, as Wireshark shows them. */
  readonly seq: number;
  readonly ack: number;
  readonly len: number;
  readonly win: number;
  /** What Wireshark's TCP analysis found for this segment (absent: nothing). */
  readonly analysis?: readonly TcpAnalysisName[];
  /** tcp.analysis.duplicate_ack_num of a duplicate ACK. */
  readonly dupAckNum?: number;
}

/** A learner's summary of one TCP connection, from the analysis of all its segments taken in. A sent first. */
export interface ConnectionSummary {
  /** SYN to the handshake's final ACK (tcp.analysis.initial_rtt) in ms; absent when the handshake was not captured. */
  readonly handshakeRttMs?: number;
  readonly retransmissions: number;
  readonly duplicateAcks: number;
  readonly zeroWindows: number;
  /** Segments lost before the capture saw them, or out of order (lost_segment, out_of_order). */
  readonly lostOrOutOfOrder: number;
  /** Who sent the first FIN or RST, and which it was; absent: not seen to close. */
  readonly closedFirstBy?: 'a' | 'b';
  readonly closedWith?: 'fin' | 'rst';
  /** A RST was seen (at any point). */
  readonly reset: boolean;
}

export interface DiagramData {
  readonly key: string;
  readonly a: string;
  readonly b: string;
  readonly segments: readonly DiagramSegment[];
  /** The whole connection's summary (not only the drawn segments). */
  readonly summary?: ConnectionSummary;
  /** Segments left out before the drawn ones, and after them (beyond MAX_DIAGRAM_SEGMENTS). */
  readonly omittedBefore: number;
  readonly omitted: number;
}

/** Packets and bytes one way of a conversation. */
export interface FlowCount {
  readonly packets: number;
  readonly bytes: number;
}

/** A row of the Conversations table (Wireshark's Statistics → Conversations, TCP and UDP). A sent the first packet. */
export interface ConversationStat {
  readonly key: string;
  readonly proto: 'tcp' | 'udp';
  /** tcp.stream / udp.stream. */
  readonly stream: number;
  readonly a: string;
  readonly b: string;
  readonly aToB: FlowCount;
  readonly bToA: FlowCount;
  /** Seconds from the capture's first packet to the conversation's first. */
  readonly start: number;
  readonly duration: number;
  /** The display filter that shows just this conversation. */
  readonly filter: string;
}

export interface CaptureStatisticsData {
  readonly conversations: readonly ConversationStat[];
  /** Packets of conversations beyond the listed maximum. */
  readonly omitted: number;
}

/** Columns the Conversations table sorts by (the host sorts: the page holds only what it shows). */
export const CONVERSATION_SORTS = ['proto', 'a', 'b', 'packets', 'bytes', 'aToBPackets', 'aToBBytes', 'bToAPackets', 'bToABytes', 'start', 'duration'] as const;
export type ConversationSort = (typeof CONVERSATION_SORTS)[number];

/** Most rows one conversationPage request reads. */
export const MAX_CONVERSATION_PAGE = 200;

/** A page of the Conversations table: sorted, searched (address or port text) over every conversation. */
export interface ConversationQuery {
  readonly offset: number;
  readonly count: number;
  readonly sort: ConversationSort;
  readonly descending: boolean;
  /** Words each found in endpoint A or B ("10.0.0.1", ":443", "::1"); empty: all. */
  readonly search: string;
}

export interface ConversationPage {
  readonly rows: readonly ConversationStat[];
  readonly offset: number;
  /** Conversations the search matched, and all listed. */
  readonly matched: number;
  readonly total: number;
  /** Packets of conversations beyond the listed maximum. */
  readonly omitted: number;
}

/** Wireshark's I/O graph intervals (ms) the page offers besides auto. */
export const IO_INTERVALS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] as const;

/** One line of an I/O graph: the whole capture, or one direction of a conversation. */
export interface IoSeries {
  readonly label: 'all' | 'aToB' | 'bToA';
  readonly packets: readonly number[];
  readonly bytes: readonly number[];
  /** Packets with TCP analysis flags (tcp.analysis.flags) per interval. */
  readonly events?: readonly number[];
}

/** Packets and bytes per interval (Wireshark's I/O graph). */
export interface IoGraph {
  /** Seconds from the capture's first packet to the first bin. */
  readonly start: number;
  readonly intervalMs: number;
  readonly series: readonly IoSeries[];
  /** The fixed intervals (IO_INTERVALS_MS) this graph fits in at most MAX_IO_GRAPH_BINS bins. */
  readonly intervals?: readonly number[];
}

/** Most bins an I/O graph carries over the wire. */
export const MAX_IO_GRAPH_BINS = 1000;

/** A followed stream (Wireshark's Follow TCP/UDP Stream): A sent the first packet; its chunks are read by page. */
export interface FollowInfo {
  readonly key: string;
  readonly proto: 'tcp' | 'udp';
  readonly stream: number;
  readonly a: string;
  readonly b: string;
  /** Payload bytes A sent, and B sent, that the capture holds (gaps not counted). */
  readonly aBytes: number;
  readonly bBytes: number;
  readonly chunks: number;
  readonly gaps: number;
  /** Bytes the gaps stand for (missing from the capture), both ways. */
  readonly missingBytes: number;
  /** The stream was longer than the panel holds: only its first bytes are shown. */
  readonly truncated: boolean;
  readonly transcript: TranscriptInfo;
}

/** Most bytes one followRange request reads. */
export const MAX_FOLLOW_RANGE = 1024 * 1024;

export type PacketSourceState = 'running' | 'stopped' | 'file';
const CAPTURE_STATES: readonly string[] = ['running', 'stopped', 'file'];

export interface PanelStatus {
  /** Packets retained by the capture. */
  readonly total: number;
  /** Packets matching the current display filter (== total without one). */
  readonly matched: number;
  /** Bumped whenever the filter changes, so the webview drops stale row pages. */
  readonly generation: number;
  readonly state: PacketSourceState;
  readonly drops: number;
  /** A file damaged part-way: one sentence saying so (the packets before the damage are shown). */
  readonly damage?: string;
}

export interface PacketPanelInit extends PanelStatus {
  readonly title: string;
  readonly filter: string;
  readonly canExport: boolean;
  /** Text encodings the host renders (the Follow view's choice). */
  readonly encodings: readonly string[];
  /** Localized strings for the webview, keyed by English source text (panels/panelStrings.ts). */
  readonly strings: Readonly<Record<string, string>>;
  /** A packet to select first (capture-wide index; the timeline's frame link). */
  readonly showPacket?: number;
}

export interface RowsPage {
  readonly generation: number;
  /** Position of rows[0] in the filtered list. */
  readonly start: number;
  readonly matched: number;
  readonly rows: readonly PacketRow[];
}

export type FilterResult =
  | ({ readonly ok: true } & PanelStatus)
  | { readonly ok: false; readonly error: string };

export type ExportFormat = 'pcapng' | 'pcap';
export type ExportScope = 'all' | 'conversation';

/** Requests the webview sends; each has one response type in PacketPanelResponses. */
export type PacketPanelRequest =
  | { readonly type: 'ready' }
  | { readonly type: 'rows'; readonly start: number; readonly count: number }
  | { readonly type: 'filter'; readonly expr: string }
  | { readonly type: 'packet'; readonly index: number }
  /** Where a packet sits in the filtered list (-1 when the filter hides it). */
  | { readonly type: 'position'; readonly index: number }
  | { readonly type: 'conversations' }
  /** The Conversations table (TCP and UDP). */
  | { readonly type: 'statistics' }
  /** The I/O graph of the whole capture, or of one conversation (`key` from the table) each way. */
  | { readonly type: 'ioGraph'; readonly key?: string; readonly intervalMs?: number }
  | ({ readonly type: 'conversationPage' } & ConversationQuery)
  /** Follows a conversation (`key` from a packet's `flow` or the table); the pages below read what it found. */
  | { readonly type: 'follow'; readonly key: string }
  | { readonly type: 'followChunks'; readonly fromSeq: number; readonly limit: number; readonly render: 'text' | 'hex'; readonly encoding: string; readonly maxBytes: number }
  | { readonly type: 'followRange'; readonly offset: number; readonly length: number }
  | { readonly type: 'followFind'; readonly query: string; readonly mode: 'hex' | 'text'; readonly encoding: string; readonly from: number }
  /** One connection's segments; a long one is cut around packet `around` when given. */
  | { readonly type: 'diagram'; readonly key: string; readonly around?: number }
  | { readonly type: 'export'; readonly format: ExportFormat; readonly scope: ExportScope; readonly key?: string }
  /** The next match in one packet's bytes at or after `from` (text as UTF-8). */
  | { readonly type: 'find'; readonly index: number; readonly query: string; readonly mode: 'hex' | 'text'; readonly from: number }
  | { readonly type: 'copy'; readonly text: string };

export interface PacketPanelResponses {
  ready: PacketPanelInit;
  rows: RowsPage;
  filter: FilterResult;
  packet: PacketDetail;
  position: { readonly generation: number; readonly position: number };
  conversations: readonly ConversationInfo[];
  statistics: CaptureStatisticsData;
  ioGraph: IoGraph;
  conversationPage: ConversationPage;
  follow: FollowInfo;
  followChunks: SessionAnswers['chunks'];
  followRange: SessionAnswers['readRange'];
  followFind: FindResult;
  diagram: DiagramData;
  /** The saved file's path, or undefined when the user cancelled. */
  export: { readonly path?: string };
  find: FindResult;
  copy: { readonly ok: boolean };
}

/** Events the host sends: counts only, coalesced. */
export type PacketPanelEvent =
  | ({ readonly type: 'status' } & PanelStatus)
  /** The host applied a display filter (a lesson's evidence link): the filter bar shows it, the list starts again. */
  | ({ readonly type: 'filterChanged'; readonly filter: string } & PanelStatus)
  /** Follow this conversation (the packet list's context menu, handled by the host). */
  | { readonly type: 'follow'; readonly key: string }
  /** Select this packet (capture-wide index; the timeline's frame link). */
  | { readonly type: 'showPacket'; readonly index: number };

// ---- validators: every message crossing the boundary is checked before use ----


export function isPacketPanelRequest(v: unknown): v is PacketPanelRequest {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'conversations':
    case 'statistics':
      return true;
    case 'ioGraph':
      return (v.key === undefined || isStr(v.key, 300)) && (v.intervalMs === undefined || IO_INTERVALS_MS.some((ms) => ms === v.intervalMs));
    case 'conversationPage':
      return isUint(v.offset) && isUint(v.count, MAX_CONVERSATION_PAGE) && isOneOf(v.sort, CONVERSATION_SORTS) && typeof v.descending === 'boolean' && isStr(v.search, 200);
    case 'follow':
      return isStr(v.key, 300);
    case 'followChunks':
      return isUint(v.fromSeq) && isUint(v.limit, MAX_CHUNK_PAGE) && isOneOf(v.render, ['text', 'hex'] as const) && isStr(v.encoding, 40) && isUint(v.maxBytes, MAX_FOLLOW_RANGE);
    case 'followRange':
      return isUint(v.offset) && isUint(v.length, MAX_FOLLOW_RANGE);
    case 'followFind':
      return isStr(v.query, MAX_FIND_QUERY) && isOneOf(v.mode, ['hex', 'text'] as const) && isStr(v.encoding, 40) && isUint(v.from);
    case 'rows':
      return isUint(v.start) && isUint(v.count) && (v.count as number) <= MAX_ROWS_PER_PAGE;
    case 'filter':
      return isStr(v.expr, MAX_FILTER_LENGTH);
    case 'packet':
    case 'position':
      return isUint(v.index);
    case 'diagram':
      return isStr(v.key, 200) && (v.around === undefined || isUint(v.around));
    case 'export':
      return (
        (v.format === 'pcapng' || v.format === 'pcap') &&
        (v.scope === 'all' || (v.scope === 'conversation' && isStr(v.key, 200)))
      );
    case 'find':
      return isUint(v.index) && isStr(v.query, MAX_FIND_QUERY) && isOneOf(v.mode, ['hex', 'text'] as const) && isUint(v.from);
    case 'copy':
      return isStr(v.text, MAX_COPY);
    default:
      return false;
  }
}

function isStatus(v: Obj): boolean {
  return (
    isUint(v.total) && isUint(v.matched) && isUint(v.generation) && isUint(v.drops) &&
    CAPTURE_STATES.includes(v.state as string) && (v.damage === undefined || isStr(v.damage, 2000))
  );
}

export function isPacketPanelEvent(v: unknown): v is PacketPanelEvent {
  if (isObj(v) && v.type === 'follow') return isStr(v.key, 300);
  if (isObj(v) && v.type === 'showPacket') return isUint(v.index);
  return isObj(v) && isStatus(v) && (v.type === 'status' || (v.type === 'filterChanged' && isStr(v.filter, MAX_FILTER_LENGTH)));
}

export function isPacketPanelInit(v: unknown): v is PacketPanelInit {
  return (
    isObj(v) && isStatus(v) && isStr(v.title, 1000) && isStr(v.filter, MAX_FILTER_LENGTH) &&
    typeof v.canExport === 'boolean' && isArrayOf(v.encodings, (e) => isStr(e, 40), 200) && isObj(v.strings) && Object.values(v.strings).every((s) => isStr(s, 2000)) &&
    (v.showPacket === undefined || isUint(v.showPacket))
  );
}

export function isPacketRow(v: unknown): v is PacketRow {
  return (
    isObj(v) && isUint(v.index) && isUint(v.no) && isNum(v.time) && (v.nanos === undefined || v.nanos === true) && isStr(v.source, 200) &&
    isStr(v.destination, 200) && isStr(v.protocol, 50) && isUint(v.length) && isStr(v.info, 4000) &&
    ROW_TONES.includes(v.tone as string)
  );
}

export function isRowsPage(v: unknown): v is RowsPage {
  return (
    isObj(v) && isUint(v.generation) && isUint(v.start) && isUint(v.matched) && Array.isArray(v.rows) &&
    v.rows.length <= MAX_ROWS_PER_PAGE && v.rows.every(isPacketRow)
  );
}

export function isFilterResult(v: unknown): v is FilterResult {
  if (!isObj(v)) return false;
  return v.ok === true ? isStatus(v) : v.ok === false && isStr(v.error, 2000);
}

function isWireField(v: unknown, depth: number): v is WireField {
  return (
    depth < 16 && isObj(v) && isStr(v.id, 200) && isStr(v.label, 500) && isStr(v.display, 10_000) &&
    isUint(v.offset) && isUint(v.length) && (v.severity === undefined || isOneOf(v.severity, SEVERITIES)) &&
    (v.source === undefined || isUint(v.source)) &&
    (v.children === undefined || (Array.isArray(v.children) && v.children.every((c) => isWireField(c, depth + 1))))
  );
}

function isWireLayer(v: unknown): v is WireLayer {
  return (
    isObj(v) && isStr(v.name, 100) && isStr(v.title, 1000) && isOneOf(v.role, LAYER_ROLES) &&
    isUint(v.offset) && isUint(v.length) && Array.isArray(v.fields) && v.fields.every((f) => isWireField(f, 0)) &&
    (v.truncated === undefined || typeof v.truncated === 'boolean') && (v.source === undefined || isUint(v.source))
  );
}

export function isPacketDetail(v: unknown): v is PacketDetail {
  return (
    isObj(v) && isUint(v.index) && isUint(v.no) && isNum(v.time) && isNum(v.tsMicros) && isUint(v.origLen) &&
    isUint(v.linkType) && v.bytes instanceof Uint8Array &&
    Array.isArray(v.layers) && v.layers.every(isWireLayer) && (v.malformed === undefined || isStr(v.malformed, 2000)) &&
    (v.conversation === undefined || isStr(v.conversation, 200)) && (v.flow === undefined || isStr(v.flow, 300)) &&
    (v.sources === undefined || (Array.isArray(v.sources) && v.sources.length <= 4096 && v.sources.every((s) => isObj(s) && isStr(s.name, 200) && s.bytes instanceof Uint8Array)))
  );
}

export function isConversationList(v: unknown): v is ConversationInfo[] {
  return (
    Array.isArray(v) &&
    v.every((c) => isObj(c) && isStr(c.key, 200) && isStr(c.a, 200) && isStr(c.b, 200) && isUint(c.packets) && isUint(c.bytes))
  );
}

const isFlowCount = (v: unknown): v is FlowCount => isObj(v) && isUint(v.packets) && isUint(v.bytes);

function isConversationStat(v: unknown): v is ConversationStat {
  return (
    isObj(v) && isStr(v.key, 300) && isOneOf(v.proto, ['tcp', 'udp'] as const) && isUint(v.stream) && isStr(v.a, 200) &&
    isStr(v.b, 200) && isFlowCount(v.aToB) && isFlowCount(v.bToA) && isNum(v.start) && isNum(v.duration) && isStr(v.filter, 100)
  );
}

export function isCaptureStatistics(v: unknown): v is CaptureStatisticsData {
  return isObj(v) && isUint(v.omitted) && Array.isArray(v.conversations) && v.conversations.every(isConversationStat);
}

const isCounts = (v: unknown): v is number[] => isArrayOf(v, (x) => isUint(x), MAX_IO_GRAPH_BINS);

export function isIoGraph(v: unknown): v is IoGraph {
  return (
    isObj(v) && isNum(v.start) && isNum(v.intervalMs) && (v.intervalMs as number) > 0 && Array.isArray(v.series) && v.series.length <= 2 &&
    v.series.every((s) => isObj(s) && isOneOf(s.label, ['all', 'aToB', 'bToA'] as const) && isCounts(s.packets) && isCounts(s.bytes) && s.packets.length === s.bytes.length &&
      (s.events === undefined || (isCounts(s.events) && s.events.length === s.packets.length))) &&
    (v.intervals === undefined || isArrayOf(v.intervals, (ms) => IO_INTERVALS_MS.some((x) => x === ms), IO_INTERVALS_MS.length))
  );
}

export function isConversationPage(v: unknown): v is ConversationPage {
  return (
    isObj(v) && Array.isArray(v.rows) && v.rows.length <= MAX_CONVERSATION_PAGE && v.rows.every(isConversationStat) && isUint(v.offset) &&
    isUint(v.matched) && isUint(v.total) && isUint(v.omitted)
  );
}

function isDiagramSegment(v: unknown): v is DiagramSegment {
  return (
    isObj(v) && isUint(v.index) && isUint(v.no) && isNum(v.time) && typeof v.fromA === 'boolean' &&
    Array.isArray(v.flags) && v.flags.every((f) => isStr(f, 8)) && isUint(v.seq) && isUint(v.ack) &&
    isUint(v.len) && isUint(v.win) && (v.analysis === undefined || isArrayOf(v.analysis, (n) => isOneOf(n, TCP_ANALYSIS_NAMES), TCP_ANALYSIS_NAMES.length)) &&
    (v.dupAckNum === undefined || isUint(v.dupAckNum))
  );
}

const isSide = (v: unknown) => v === undefined || v === 'a' || v === 'b';

function isConnectionSummary(v: unknown): v is ConnectionSummary {
  return (
    isObj(v) && (v.handshakeRttMs === undefined || (isNum(v.handshakeRttMs) && (v.handshakeRttMs as number) >= 0)) && isUint(v.retransmissions) &&
    isUint(v.duplicateAcks) && isUint(v.zeroWindows) && isUint(v.lostOrOutOfOrder) && isSide(v.closedFirstBy) &&
    (v.closedWith === undefined || v.closedWith === 'fin' || v.closedWith === 'rst') && typeof v.reset === 'boolean'
  );
}

export function isDiagramData(v: unknown): v is DiagramData {
  return (
    isObj(v) && isStr(v.key, 200) && isStr(v.a, 200) && isStr(v.b, 200) && isUint(v.omitted) && isUint(v.omittedBefore) &&
    (v.summary === undefined || isConnectionSummary(v.summary)) &&
    Array.isArray(v.segments) && v.segments.length <= MAX_DIAGRAM_SEGMENTS && v.segments.every(isDiagramSegment)
  );
}

export function isFollowInfo(v: unknown): v is FollowInfo {
  return (
    isObj(v) && isStr(v.key, 300) && isOneOf(v.proto, ['tcp', 'udp'] as const) && isUint(v.stream) && isStr(v.a, 200) && isStr(v.b, 200) &&
    isUint(v.aBytes) && isUint(v.bBytes) && isUint(v.chunks) && isUint(v.gaps) && isUint(v.missingBytes) && typeof v.truncated === 'boolean' && isTranscriptInfo(v.transcript)
  );
}

export function isExportAnswer(v: unknown): v is { path?: string } {
  return isObj(v) && (v.path === undefined || isStr(v.path, 4096));
}

/** Validators for the responses the webview receives, keyed by the request type. */
export const responseValidators: { [K in keyof PacketPanelResponses]: (v: unknown) => v is PacketPanelResponses[K] } = {
  ready: isPacketPanelInit,
  rows: isRowsPage,
  filter: isFilterResult,
  packet: isPacketDetail,
  position: (v): v is PacketPanelResponses['position'] => isObj(v) && isUint(v.generation) && Number.isSafeInteger(v.position) && (v.position as number) >= -1,
  conversations: isConversationList,
  statistics: isCaptureStatistics,
  ioGraph: isIoGraph,
  conversationPage: isConversationPage,
  follow: isFollowInfo,
  followChunks: sessionAnswers.chunks,
  followRange: sessionAnswers.readRange,
  followFind: isFindResult,
  diagram: isDiagramData,
  export: isExportAnswer,
  find: isFindResult,
  copy: (v): v is { ok: boolean } => isObj(v) && typeof v.ok === 'boolean',
};

/** The packet panel's protocol for the panel kit (shared/panelKit.ts). */
export const PACKET_PANEL: PanelProtocol<PacketPanelRequest, PacketPanelResponses, PacketPanelEvent> = {
  name: 'packet panel',
  isRequest: isPacketPanelRequest,
  isEvent: isPacketPanelEvent,
  responseValidators,
};

/** The webview's end of the packet panel. */
export type PacketPanelClient = PanelClient<PacketPanelRequest, PacketPanelResponses, PacketPanelEvent>;
