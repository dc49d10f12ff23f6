// The socket-call timeline's protocol (extension host ⇄ webview), on the panel kit (./panelKit). The page pulls one
// time window of calls at a time (never the whole log) and one call's details when it is selected.
import type { PanelClient, PanelProtocol } from './panelKit';
import { isFindResult, type FindResult } from './sessionPanelProtocol';
import { isArrayOf, isNum, isObj, isOneOf, isStr, isUint } from './validate';

/** Most calls one window answer carries (a window holding more says how many it left out). */
export const MAX_WINDOW_CALLS = 2000;
/** Most links one window answer carries. */
export const MAX_WINDOW_LINKS = 4000;
/** Most captured packets one window answer carries. */
export const MAX_WINDOW_PACKETS = 4000;
/** Most frames a call's detail names. */
export const MAX_DETAIL_FRAMES = 1000;
/** Most lanes listed (a run with more sockets names the rest in `lanesOmitted`). */
export const MAX_LANES = 500;
const MAX_FILTER_ITEMS = 500;

export const LANE_KINDS = ['tcp', 'udp', 'listener', 'unix', 'none'] as const;
export type LaneKind = (typeof LANE_KINDS)[number];

/** One socket of the run: a process's fd. */
export interface TimelineLane {
  /** `pid:fd` (`pid:-` for calls without a socket, such as select). */
  readonly key: string;
  readonly pid: number;
  readonly fd?: number;
  readonly kind: LaneKind;
  readonly local?: string;
  readonly peer?: string;
  readonly calls: number;
  /** A Socket Lab session at the other end of a traced connection (its label): its lane shows its chunks. */
  readonly socketLab?: string;
}

/** A Socket Lab session's transcript chunk on its lane (`sl:` + the session's id). */
export interface TimelineChunk {
  readonly lane: string;
  readonly sessionId: string;
  readonly seq: number;
  /** 'in': Socket Lab received it (a traced send's bytes); 'out': Socket Lab sent it. */
  readonly dir: 'in' | 'out';
  /** Seconds from the run's first call. */
  readonly t: number;
  readonly len: number;
}

/** A traced call's bytes in a Socket Lab chunk: a send's into an 'in' chunk, an 'out' chunk's into a recv. */
export interface TimelineChunkLink {
  readonly call: number;
  readonly lane: string;
  readonly seq: number;
}

/** One call as a bar: `t` seconds from the run's first call, `ms` how long it blocked. */
export interface TimelineCall {
  readonly id: number;
  readonly lane: string;
  readonly call: string;
  readonly t: number;
  readonly ms: number;
  readonly returned?: number;
  readonly error?: boolean;
  readonly line?: number;
}

/** A send's bytes returned by a recv (both by id). */
export interface TimelineLink {
  readonly from: number;
  readonly to: number;
}

export interface TimelineSummary {
  /** The run's file (its name), when known. */
  readonly title: string;
  /** Seconds from the first call to the end of the last one. */
  readonly duration: number;
  readonly lanes: readonly TimelineLane[];
  readonly lanesOmitted: number;
  /** Call names the run made (the call filter's choices). */
  readonly callNames: readonly string[];
  /** Calls kept, calls made, calls forgotten from the full ring, calls the program could not hand over. */
  readonly kept: number;
  readonly total: number;
  readonly evicted: number;
  readonly dropped: number;
}

export interface TimelineInit extends TimelineSummary {
  readonly strings: Readonly<Record<string, string>>;
  /** A call to show first (the command's file and line). */
  readonly focus?: number;
}

/** One captured packet of a traced connection, as a tick under the lanes. */
export interface TimelinePacket {
  /** The capture's No. (1-based). */
  readonly frame: number;
  /** Seconds from the run's first call. */
  readonly t: number;
  /** Payload bytes. */
  readonly len: number;
  /** TCP flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  readonly flags: number;
  readonly src: string;
  readonly dst: string;
}

/** The packets of the traced connections one capture holds in the window. */
export interface TimelinePackets {
  readonly captureId: string;
  /** What the capture is (its connection, filter or interface). */
  readonly label: string;
  readonly items: readonly TimelinePacket[];
  /** Packets in the window left out (over MAX_WINDOW_PACKETS). */
  readonly omitted: number;
}

export interface TimelineWindow {
  readonly calls: readonly TimelineCall[];
  readonly links: readonly TimelineLink[];
  /** Calls in the window left out (over MAX_WINDOW_CALLS). */
  readonly omitted: number;
  /** Captured packets of the traced connections, when a capture holds some. */
  readonly packets?: TimelinePackets;
  /** The chunks of the Socket Lab sessions at the other end, and which calls' bytes they hold. */
  readonly chunks?: readonly TimelineChunk[];
  readonly chunkLinks?: readonly TimelineChunkLink[];
}

export const SEGMENT_MISSING = ['notCaptured', 'noStart', 'forgotten'] as const;

/** A send's or recv's bytes on the wire and in Socket Lab: its byte range, its frames, a session's chunks. */
export interface TimelineWire {
  /** Byte offsets of the call's bytes in its direction of the connection. */
  readonly start: number;
  readonly end: number;
  /** The frames (1-based No.) that carried them in a capture, or why no capture can say. */
  readonly segments?: { readonly captureId: string; readonly frames: readonly number[] } | { readonly missing: (typeof SEGMENT_MISSING)[number] };
  /** The transcript chunks (#first–#last) of the Socket Lab session at the other end. */
  readonly chunks?: { readonly sessionId: string; readonly label: string; readonly first: number; readonly last: number };
}

/** One call in full (the details pane) with its first bytes. */
export interface TimelineCallDetail extends TimelineCall {
  readonly file?: string;
  readonly fd?: number;
  readonly pid?: number;
  readonly thread?: string;
  readonly local?: string;
  readonly peer?: string;
  readonly asked?: number;
  readonly errorText?: string;
  readonly bytes: Uint8Array;
  /** The sends whose bytes this recv returned, or the recvs that took this send's bytes. */
  readonly linked: readonly number[];
  /** Where each linked call was made (`client.py:8`; '' when unknown), in the order of `linked`. */
  readonly linkedAt?: readonly string[];
  readonly wire?: TimelineWire;
}

export interface TimelineQuery {
  /** Seconds from the run's first call. */
  readonly from: number;
  readonly to: number;
  /** Only these lanes / call names (all when absent). */
  readonly lanes?: readonly string[];
  readonly calls?: readonly string[];
}

export type TimelineRequest =
  | { readonly type: 'ready' }
  | ({ readonly type: 'window' } & TimelineQuery)
  | { readonly type: 'call'; readonly id: number }
  /** Opens the editor at the call's file and line. */
  | { readonly type: 'openSource'; readonly id: number }
  | { readonly type: 'find'; readonly id: number; readonly query: string; readonly mode: 'hex' | 'text'; readonly from: number }
  | { readonly type: 'copy'; readonly text: string }
  /** Opens the packet panel of a capture at frame `frame` (1-based No.). */
  | { readonly type: 'openFrame'; readonly captureId: string; readonly frame: number }
  /** Opens a session's panel with transcript chunks #`chunk`–#`last` selected. */
  | { readonly type: 'openChunks'; readonly sessionId: string; readonly chunk: number; readonly last: number };

export interface TimelineResponses {
  ready: TimelineInit;
  window: TimelineWindow;
  call: TimelineCallDetail | { readonly missing: true };
  openSource: { readonly ok: boolean };
  find: FindResult;
  copy: { readonly ok: boolean };
  openFrame: { readonly ok: boolean };
  openChunks: { readonly ok: boolean };
}

export type TimelineEvent =
  /** The run made more calls (coalesced), or another run is shown (`reset`). */
  | ({ readonly type: 'changed'; readonly reset: boolean } & TimelineSummary)
  /** Show this call (the command was run again for a line). */
  | { readonly type: 'focus'; readonly id: number };

// ---- validators ----

const isKeys = (v: unknown) => v === undefined || isArrayOf(v, (x) => isStr(x, 200), MAX_FILTER_ITEMS);

export function isTimelineRequest(v: unknown): v is TimelineRequest {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'window':
      return isNum(v.from) && isNum(v.to) && isKeys(v.lanes) && isKeys(v.calls);
    case 'call':
    case 'openSource':
      return isUint(v.id);
    case 'find':
      return isUint(v.id) && isStr(v.query, 10_000) && isOneOf(v.mode, ['hex', 'text'] as const) && isUint(v.from);
    case 'copy':
      return isStr(v.text, 4 * 1024 * 1024);
    case 'openFrame':
      return isStr(v.captureId, 200) && isUint(v.frame);
    case 'openChunks':
      return isStr(v.sessionId, 200) && isUint(v.chunk) && isUint(v.last);
    default:
      return false;
  }
}

const isOptStr = (v: unknown, max: number) => v === undefined || isStr(v, max);
const isOptUint = (v: unknown) => v === undefined || isUint(v);

function isLane(v: unknown): v is TimelineLane {
  return isObj(v) && isStr(v.key, 200) && isUint(v.pid) && isOptUint(v.fd) && isOneOf(v.kind, LANE_KINDS) && isOptStr(v.local, 300) && isOptStr(v.peer, 300) && isUint(v.calls) && isOptStr(v.socketLab, 1000);
}

function isCall(v: unknown): v is TimelineCall {
  return (
    isObj(v) && isUint(v.id) && isStr(v.lane, 200) && isStr(v.call, 40) && isNum(v.t) && isNum(v.ms) && isOptUint(v.returned) &&
    (v.error === undefined || typeof v.error === 'boolean') && isOptUint(v.line)
  );
}

function isSummary(v: unknown): v is TimelineSummary {
  return (
    isObj(v) && isStr(v.title, 1000) && isNum(v.duration) && isArrayOf(v.lanes, isLane, MAX_LANES) && isUint(v.lanesOmitted) &&
    isArrayOf(v.callNames, (x) => isStr(x, 40), 200) && isUint(v.kept) && isUint(v.total) && isUint(v.evicted) && isUint(v.dropped)
  );
}

function isInit(v: unknown): v is TimelineInit {
  const o = v as { strings?: unknown; focus?: unknown };
  return isSummary(v) && isObj(o.strings) && Object.values(o.strings).every((s) => isStr(s, 2000)) && isOptUint(o.focus);
}

function isPacket(v: unknown): v is TimelinePacket {
  return isObj(v) && isUint(v.frame) && isNum(v.t) && isUint(v.len) && isUint(v.flags) && isStr(v.src, 300) && isStr(v.dst, 300);
}

function isPackets(v: unknown): v is TimelinePackets {
  return isObj(v) && isStr(v.captureId, 200) && isStr(v.label, 1000) && isArrayOf(v.items, isPacket, MAX_WINDOW_PACKETS) && isUint(v.omitted);
}

function isWindow(v: unknown): v is TimelineWindow {
  return (
    isObj(v) && isArrayOf(v.calls, isCall, MAX_WINDOW_CALLS) && isArrayOf(v.links, (l) => isObj(l) && isUint(l.from) && isUint(l.to), MAX_WINDOW_LINKS) && isUint(v.omitted) &&
    (v.packets === undefined || isPackets(v.packets)) &&
    (v.chunks === undefined || isArrayOf(v.chunks, isChunk, MAX_WINDOW_CALLS)) &&
    (v.chunkLinks === undefined || isArrayOf(v.chunkLinks, (l) => isObj(l) && isUint(l.call) && isStr(l.lane, 300) && isUint(l.seq), MAX_WINDOW_LINKS))
  );
}

function isChunk(v: unknown): v is TimelineChunk {
  return isObj(v) && isStr(v.lane, 300) && isStr(v.sessionId, 200) && isUint(v.seq) && isOneOf(v.dir, ['in', 'out'] as const) && isNum(v.t) && isUint(v.len);
}

function isWire(v: unknown): v is TimelineWire {
  if (!isObj(v) || !isUint(v.start) || !isUint(v.end)) return false;
  const seg = v.segments;
  const segOk =
    seg === undefined || (isObj(seg) && (isOneOf(seg.missing, SEGMENT_MISSING) || (isStr(seg.captureId, 200) && isArrayOf(seg.frames, (x) => isUint(x), MAX_DETAIL_FRAMES))));
  const ch = v.chunks;
  return segOk && (ch === undefined || (isObj(ch) && isStr(ch.sessionId, 200) && isStr(ch.label, 1000) && isUint(ch.first) && isUint(ch.last)));
}

function isDetail(v: unknown): v is TimelineResponses['call'] {
  if (isObj(v) && v.missing === true) return true;
  return (
    isCall(v) && isObj(v) && isOptStr(v.file, 4096) && isOptUint(v.fd) && isOptUint(v.pid) && isOptStr(v.thread, 200) && isOptStr(v.local, 300) &&
    isOptStr(v.peer, 300) && isOptUint(v.asked) && isOptStr(v.errorText, 2000) && v.bytes instanceof Uint8Array && v.bytes.length <= 65536 &&
    isArrayOf(v.linked, (x) => isUint(x), 1000) && (v.linkedAt === undefined || isArrayOf(v.linkedAt, (x) => isStr(x, 4200), 1000)) &&
    (v.wire === undefined || isWire(v.wire))
  );
}

const isOk = (v: unknown): v is { ok: boolean } => isObj(v) && typeof v.ok === 'boolean';

export function isTimelineEvent(v: unknown): v is TimelineEvent {
  if (!isObj(v)) return false;
  if (v.type === 'focus') return isUint(v.id);
  return v.type === 'changed' && typeof v.reset === 'boolean' && isSummary(v);
}

export const TIMELINE_PANEL: PanelProtocol<TimelineRequest, TimelineResponses, TimelineEvent> = {
  name: 'timeline',
  isRequest: isTimelineRequest,
  isEvent: isTimelineEvent,
  responseValidators: { ready: isInit, window: isWindow, call: isDetail, openSource: isOk, find: isFindResult, copy: isOk, openFrame: isOk, openChunks: isOk },
};

export type TimelineClient = PanelClient<TimelineRequest, TimelineResponses, TimelineEvent>;
