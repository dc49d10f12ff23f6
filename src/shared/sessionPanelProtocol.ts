// The one typed protocol between the session panel's webview and the extension host.
// Events carry metadata only; the webview pulls the bytes and chunk pages it displays (pull model),
// so a flood on the socket never floods postMessage. Every incoming body is validated on both sides.
import type { PanelClient, PanelProtocol } from './panelKit';
import { isTlsSummary, type TlsSummary } from './tlsSummary';
import { FRAMING_NAMES, type Direction, type FramingName } from './types';
import { isArrayOf, isBool, isObj, isOneOf, isOptStr, isStr, isUint } from './validate';

// ---------- shared shapes ----------

export type InputMode = 'text' | 'hex' | 'escapes';
export type LineEnding = 'none' | 'lf' | 'crlf';
export type ChunkRender = 'text' | 'hex';

export const INPUT_MODES: readonly InputMode[] = ['text', 'hex', 'escapes'];
/** How the conversation and an export show times, in the words of the logs' setting (socketLab.logs.timestamps). */
export const TIME_MODES = ['absolute', 'relative', 'delta'] as const;
export type TimeMode = (typeof TIME_MODES)[number];
export const LINE_ENDINGS: readonly LineEnding[] = ['none', 'lf', 'crlf'];

export interface SessionInfo {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly state: string;
  readonly closed: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  /** Servers and UDP sockets: which peer each chunk came from matters. */
  readonly multiPeer: boolean;
  readonly canSend: boolean;
  /** What the session is in the user's words ("client from port 51234"); the header shows it instead of `kind`. */
  readonly role?: string;
  /** The session's one encoding, for sending and for showing (changeable from either dropdown or the palette). */
  readonly encoding: string;
  /** UDP sockets: where a send goes when the send bar names no destination. */
  readonly udp?: { readonly defaultTarget?: string; readonly lastPeer?: string };
  /** Connected, half-closed, closed, reset…: shown in the conversation between the chunks, with their time. */
  readonly events: readonly SessionEventInfo[];
  /** TLS sessions: what the handshake settled (the header shows it). */
  readonly tls?: TlsSummary;
}

export interface SessionEventInfo {
  readonly time: number;
  /** The state entered (a SessionState). */
  readonly state: string;
  /** Comes after every chunk numbered below this. */
  readonly seq: number;
  readonly code?: string;
  /** WebSocket ping, pong and close events (state ws-ping-in, ws-close-out…): the close's code and reason, a ping's size. */
  readonly detail?: string;
}

/** One WebSocket frame's header, as the inspector shows it. */
export interface WsFrameView {
  /** 0 continuation, 1 text, 2 binary. */
  readonly opcode: number;
  readonly fin: boolean;
  readonly masked: boolean;
  readonly length: number;
}

/** The frames of one WebSocket message (the first few, and how many more). */
export interface WsFramesView {
  readonly frames: readonly WsFrameView[];
  readonly moreFrames: number;
}

export interface TranscriptInfo {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly firstSeq: number;
  readonly nextSeq: number;
  readonly droppedBytes: number;
  readonly droppedChunks: number;
}

/** A chunk's stretch of stream bytes, used to colour bytes by direction and mark chunk boundaries. */
export interface ByteSpan {
  readonly offset: number;
  readonly length: number;
  readonly dir: Direction;
  readonly seq: number;
}

/** Rendered text of a chunk: plain runs and escape runs (undecodable bytes as `\xNN`, never U+FFFD). */
export interface TextPart {
  readonly t: string;
  /** true when the run is an escape for bytes the encoding could not decode. */
  readonly e?: boolean;
}

export interface ChunkView {
  readonly seq: number;
  readonly dir: Direction;
  readonly time: number;
  readonly offset: number;
  readonly length: number;
  readonly peer?: string;
  readonly parts: readonly TextPart[];
  /** Bytes not rendered because the chunk is longer than the page's per-chunk limit. */
  readonly omitted: number;
  /** A followed stream's chunk: the capture's frame number it came from (links back to the packet). */
  readonly frame?: number;
  /** A followed stream's gap: this many bytes the capture missed (the chunk itself holds none). */
  readonly missing?: number;
  /** WebSocket sessions: the frames that carried this message. */
  readonly ws?: WsFramesView;
  /** The time of the chunk before it, when the transcript still holds it (a delta time for the first chunk shown). */
  readonly prevTime?: number;
}

export interface SendSpec {
  readonly input: string;
  readonly mode: InputMode;
  readonly encoding: string;
  readonly lineEnding: LineEnding;
  readonly framing: FramingName;
  /** UDP only: host:port to send to; empty or absent: the default destination, else the last sender. */
  readonly to?: string;
}

export interface InputError {
  readonly code: string;
  readonly message: string;
  /** Index of the first bad character in the input, when known. */
  readonly index?: number;
}

export type SendResult = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly error: InputError };

export interface RepeatState {
  readonly running: boolean;
  readonly sent: number;
  readonly total: number;
}

export interface InitInfo {
  readonly session: SessionInfo;
  readonly transcript: TranscriptInfo;
  readonly encoding: string;
  readonly encodings: readonly string[];
  /** Localized strings for the webview, keyed by English source text (vscode.l10n.t in the host). */
  readonly strings: Readonly<Record<string, string>>;
  /** The panel was opened to be used (not by itself): the send box takes the keyboard. */
  readonly focusInput?: boolean;
  /** Bytes to select and show first (the timeline's chunks link): stream offsets [start, end). */
  readonly showBytes?: { readonly start: number; readonly end: number };
}

// ---------- webview → extension ----------

export type PanelRequest =
  | { readonly type: 'ready' }
  | { readonly type: 'readRange'; readonly offset: number; readonly length: number }
  | { readonly type: 'chunks'; readonly fromSeq: number; readonly limit: number; readonly render: ChunkRender; readonly encoding: string; readonly maxBytes: number }
  | { readonly type: 'decode'; readonly offset: number; readonly length: number; readonly encoding: string }
  | { readonly type: 'find'; readonly query: string; readonly mode: 'hex' | 'text'; readonly encoding: string; readonly from: number }
  | { readonly type: 'validateInput'; readonly spec: SendSpec }
  | { readonly type: 'send'; readonly spec: SendSpec }
  | { readonly type: 'sendFile' }
  | { readonly type: 'setEncoding'; readonly encoding: string }
  | { readonly type: 'startRepeat'; readonly spec: SendSpec; readonly intervalMs: number; readonly count: number }
  | { readonly type: 'stopRepeat' }
  | { readonly type: 'copy'; readonly text: string }
  /** A closed client connects again to the same place (socketLab.session.reconnect); its panel opens. */
  | { readonly type: 'reconnect' }
  /** The workspace's saved messages (message blocks of its .wire files). */
  | { readonly type: 'savedMessages' }
  /** Sends a saved message (to `to` on a UDP socket). */
  | { readonly type: 'sendSaved'; readonly id: string; readonly to?: string }
  /** Writes what the send box holds into a .wire file as a new message block (the host asks for its name and file). */
  | { readonly type: 'saveMessage'; readonly spec: SendSpec }
  /**
   * Writes the transcript to a file (the host asks the format and the file): every chunk, or, when `selection` (a
   * byte range of the conversation) covers some and the user chooses so, the chunks it covers; times as `timestamps`.
   */
  | { readonly type: 'exportTranscript'; readonly timestamps: TimeMode; readonly selection?: { readonly start: number; readonly end: number } };

/** A saved message: a .wire block of only sends. */
export interface SavedMessage {
  /** Names it for sendSaved (file and block). */
  readonly id: string;
  readonly name: string;
  /** The file, relative to the workspace, and the block's line. */
  readonly file: string;
  readonly line: number;
}

export type PanelRequestType = PanelRequest['type'];

export interface FindResult {
  readonly found?: { readonly offset: number; readonly length: number };
  readonly error?: InputError;
}

export interface PanelResponses {
  ready: InitInfo;
  readRange: { readonly offset: number; readonly bytes: Uint8Array; readonly spans: readonly ByteSpan[] };
  chunks: { readonly transcript: TranscriptInfo; readonly chunks: readonly ChunkView[] };
  decode: { readonly parts: readonly TextPart[] };
  find: FindResult;
  validateInput: SendResult;
  send: SendResult;
  sendFile: SendResult | { readonly ok: false; readonly cancelled: true };
  setEncoding: { readonly ok: true } | { readonly ok: false; readonly error: InputError };
  startRepeat: SendResult;
  stopRepeat: RepeatState;
  copy: { readonly ok: boolean };
  reconnect: { readonly ok: boolean };
  savedMessages: { readonly messages: readonly SavedMessage[] };
  sendSaved: SendResult;
  saveMessage: { readonly ok: boolean; readonly file?: string };
  exportTranscript: { readonly ok: boolean; readonly file?: string };
}

// ---------- extension → webview (events) ----------

export type PanelEvent =
  | { readonly type: 'transcriptGrew'; readonly transcript: TranscriptInfo }
  | { readonly type: 'stateChanged'; readonly session: SessionInfo }
  | { readonly type: 'sessionClosed'; readonly session: SessionInfo }
  | { readonly type: 'repeatState'; readonly repeat: RepeatState }
  /** The user brought the panel to the front to use it: the send box takes the keyboard. */
  | { readonly type: 'focusInput' }
  /** A .wire file changed: ask for savedMessages again. */
  | { readonly type: 'savedMessagesChanged' }
  /** Select and show these bytes (stream offsets [start, end); the timeline's chunks link). */
  | { readonly type: 'showBytes'; readonly start: number; readonly end: number };

// ---------- limits ----------

/** Largest range a single readRange may ask for; bigger asks are refused by the validator. */
export const MAX_READ = 1024 * 1024;
export const MAX_CHUNK_PAGE = 1000;
export const MAX_INPUT = 1024 * 1024;

// ---------- validators (primitives in ./validate) ----------


export function isSendSpec(v: unknown): v is SendSpec {
  return (
    isObj(v) &&
    isStr(v.input, MAX_INPUT) &&
    isOneOf(v.mode, INPUT_MODES) &&
    isStr(v.encoding, 40) &&
    (v.role === undefined || isStr(v.role, 200)) &&
    isOneOf(v.lineEnding, LINE_ENDINGS) &&
    isOneOf(v.framing, FRAMING_NAMES) &&
    (v.to === undefined || isStr(v.to, 300))
  );
}

/** Validates every request and event body the webview may send to the extension. */
export function isPanelRequest(v: unknown): v is PanelRequest {
  if (!isObj(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'ready':
    case 'sendFile':
    case 'stopRepeat':
    case 'reconnect':
    case 'savedMessages':
      return true;
    case 'sendSaved':
      return isStr(v.id, 4096) && isOptStr(v.to);
    case 'saveMessage':
      return isSendSpec(v.spec);
    case 'exportTranscript':
      return isOneOf(v.timestamps, TIME_MODES) && (v.selection === undefined || (isObj(v.selection) && isUint(v.selection.start) && isUint(v.selection.end) && (v.selection.start as number) <= (v.selection.end as number)));
    case 'setEncoding':
      return isStr(v.encoding, 40);
    case 'readRange':
      return isUint(v.offset) && isUint(v.length, MAX_READ);
    case 'chunks':
      return isUint(v.fromSeq) && isUint(v.limit, MAX_CHUNK_PAGE) && isOneOf(v.render, ['text', 'hex'] as const) && isStr(v.encoding, 40) && isUint(v.maxBytes, MAX_READ);
    case 'decode':
      return isUint(v.offset) && isUint(v.length, MAX_READ) && isStr(v.encoding, 40);
    case 'find':
      return isStr(v.query, 4096) && isOneOf(v.mode, ['hex', 'text'] as const) && isStr(v.encoding, 40) && isUint(v.from);
    case 'validateInput':
    case 'send':
      return isSendSpec(v.spec);
    case 'startRepeat':
      return isSendSpec(v.spec) && isUint(v.intervalMs, 3_600_000) && (v.intervalMs as number) >= 10 && isUint(v.count, 1_000_000) && (v.count as number) >= 1;
    case 'copy':
      return isStr(v.text, 16 * 1024 * 1024);
    default:
      return false;
  }
}

export function isFindResult(v: unknown): v is FindResult {
  return isObj(v) && (v.found === undefined || (isObj(v.found) && isUint(v.found.offset) && isUint(v.found.length))) && (v.error === undefined || isError(v.error));
}

function isError(v: unknown): v is InputError {
  return isObj(v) && isStr(v.code, 64) && isStr(v.message, 2000) && (v.index === undefined || isUint(v.index));
}

const isSessionEvent = (v: unknown): boolean => isObj(v) && typeof v.time === 'number' && isStr(v.state, 40) && isUint(v.seq) && (v.code === undefined || isStr(v.code, 64)) && (v.detail === undefined || isStr(v.detail, 300));
const isWsFrame = (v: unknown): boolean => isObj(v) && isUint(v.opcode) && isBool(v.fin) && isBool(v.masked) && isUint(v.length);
const isWsFrames = (v: unknown): boolean => isObj(v) && isArrayOf(v.frames, isWsFrame, 16) && isUint(v.moreFrames);

export function isSessionInfo(v: unknown): v is SessionInfo {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.kind, 40) &&
    isStr(v.label, 1024) &&
    isStr(v.state, 40) &&
    isBool(v.closed) &&
    isBool(v.multiPeer) &&
    isBool(v.canSend) &&
    isStr(v.encoding, 40) &&
    (v.error === undefined || isError(v.error)) &&
    (v.udp === undefined || (isObj(v.udp) && isOptStr(v.udp.defaultTarget) && isOptStr(v.udp.lastPeer))) &&
    isArrayOf(v.events, isSessionEvent, 64) &&
    (v.tls === undefined || isTlsSummary(v.tls))
  );
}

export function isTranscriptInfo(v: unknown): v is TranscriptInfo {
  return isObj(v) && isUint(v.startOffset) && isUint(v.endOffset) && isUint(v.firstSeq) && isUint(v.nextSeq) && isUint(v.droppedBytes) && isUint(v.droppedChunks) && (v.startOffset as number) <= (v.endOffset as number);
}

function isRepeatState(v: unknown): v is RepeatState {
  return isObj(v) && isBool(v.running) && isUint(v.sent) && isUint(v.total);
}

/** Validates every event body the extension may send to the webview. */
export function isPanelEvent(v: unknown): v is PanelEvent {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'transcriptGrew':
      return isTranscriptInfo(v.transcript);
    case 'stateChanged':
    case 'sessionClosed':
      return isSessionInfo(v.session);
    case 'repeatState':
      return isRepeatState(v.repeat);
    case 'focusInput':
    case 'savedMessagesChanged':
      return true;
    case 'showBytes':
      return isUint(v.start) && isUint(v.end);
    default:
      return false;
  }
}

const isSpan = (v: unknown): boolean => isObj(v) && isUint(v.offset) && isUint(v.length) && isOneOf(v.dir, ['in', 'out'] as const) && isUint(v.seq);
const isPart = (v: unknown): boolean => isObj(v) && typeof v.t === 'string' && (v.e === undefined || isBool(v.e));
export const isChunkView = (v: unknown): boolean =>
  isObj(v) && isUint(v.seq) && isOneOf(v.dir, ['in', 'out'] as const) && typeof v.time === 'number' && isUint(v.offset) && isUint(v.length) && isOptStr(v.peer) && isArrayOf(v.parts, isPart) && isUint(v.omitted) && (v.frame === undefined || isUint(v.frame)) && (v.missing === undefined || isUint(v.missing)) && (v.ws === undefined || isWsFrames(v.ws)) && (v.prevTime === undefined || typeof v.prevTime === 'number');
const isSendResult = (v: unknown): v is SendResult => isObj(v) && ((v.ok === true && isUint(v.bytes)) || (v.ok === false && isError(v.error)));

/** Validators for the answers the webview receives, keyed by the request type. */
export const responseValidators: { [K in PanelRequestType]: (v: unknown) => v is PanelResponses[K] } = {
  ready: (v): v is InitInfo =>
    isObj(v) && isSessionInfo(v.session) && isTranscriptInfo(v.transcript) && isStr(v.encoding, 40) && isArrayOf(v.encodings, (e) => isStr(e, 40), 200) && isObj(v.strings) && Object.values(v.strings).every((s) => typeof s === 'string') && (v.focusInput === undefined || isBool(v.focusInput)) &&
    (v.showBytes === undefined || (isObj(v.showBytes) && isUint(v.showBytes.start) && isUint(v.showBytes.end))),
  readRange: (v): v is PanelResponses['readRange'] => isObj(v) && isUint(v.offset) && v.bytes instanceof Uint8Array && isArrayOf(v.spans, isSpan),
  chunks: (v): v is PanelResponses['chunks'] => isObj(v) && isTranscriptInfo(v.transcript) && isArrayOf(v.chunks, isChunkView, MAX_CHUNK_PAGE),
  decode: (v): v is PanelResponses['decode'] => isObj(v) && isArrayOf(v.parts, isPart),
  find: isFindResult,
  validateInput: isSendResult,
  send: isSendResult,
  sendFile: (v): v is PanelResponses['sendFile'] => isSendResult(v) || (isObj(v) && v.ok === false && v.cancelled === true),
  setEncoding: (v): v is PanelResponses['setEncoding'] => isObj(v) && (v.ok === true || (v.ok === false && isError(v.error))),
  startRepeat: isSendResult,
  stopRepeat: isRepeatState,
  copy: (v): v is { ok: boolean } => isObj(v) && isBool(v.ok),
  reconnect: (v): v is { ok: boolean } => isObj(v) && isBool(v.ok),
  savedMessages: (v): v is PanelResponses['savedMessages'] =>
    isObj(v) && isArrayOf(v.messages, (m) => isObj(m) && isStr(m.id, 4096) && isStr(m.name, 500) && isStr(m.file, 4096) && isUint(m.line), 10_000),
  sendSaved: isSendResult,
  saveMessage: (v): v is PanelResponses['saveMessage'] => isObj(v) && isBool(v.ok) && isOptStr(v.file, 4096),
  exportTranscript: (v): v is PanelResponses['exportTranscript'] => isObj(v) && isBool(v.ok) && isOptStr(v.file, 4096),
};

// ---------- typed clients over Rpc ----------

/** The webview's end: asks typed requests, checks every answer, hears events. */

/** The session panel's protocol for the panel kit (shared/panelKit.ts). */
export const SESSION_PANEL: PanelProtocol<PanelRequest, PanelResponses, PanelEvent> = {
  name: 'session panel',
  isRequest: isPanelRequest,
  isEvent: isPanelEvent,
  responseValidators,
};

/** The webview's end of the session panel. */
export type SessionPanelClient = PanelClient<PanelRequest, PanelResponses, PanelEvent>;
