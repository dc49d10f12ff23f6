// What every session (server, client, accepted child, UDP socket) looks like to the rest of Socket Lab.
import { Emitter } from '../../shared/disposable';
import { encodeFrame, FrameDecoder, Framing, FramingBudget, maxFrameBytes } from '../codec/framing';
import { CodecError } from '../codec/codecError';
import { ErrorParams, SocketLabError } from '../errors';
import { checkEncoding } from '../codec/encoding';
import { Transcript, type TranscriptBudget, type TranscriptStats } from './transcript';
import type { TlsSummary } from '../../shared/tlsSummary';

/** One memory budget for all of a manager's sessions: transcripts, and framing's partial messages. */
export interface SessionBudgets {
  readonly transcript: TranscriptBudget;
  readonly framing: FramingBudget;
}

export type SessionKind =
  | 'tcp-server' | 'tcp-client' | 'tcp-accepted' | 'udp' | 'unix-server' | 'unix-client' | 'unix-accepted'
  | 'tls-server' | 'tls-client' | 'tls-accepted' | 'ws-server' | 'ws-client' | 'ws-accepted';

/** TCP and TLS sessions: a byte stream with IP addresses and ports (TLS runs on TCP). */
export const isInetStream = (kind: SessionKind): boolean => kind.startsWith('tcp-') || kind.startsWith('tls-');
export type SessionState = 'connecting' | 'listening' | 'open' | 'half-closed-by-peer' | 'half-closed-by-us' | 'closed' | 'failed';
export const serverModes = ['manual', 'echo', 'upper', 'sink', 'print-only'] as const;
export type ServerMode = (typeof serverModes)[number];
/** What a server does with what it receives: a mode, or answering by a .wire block's rules (setRules). */
export type ServerBehaviour = ServerMode | 'rules';

/** Where a rules conversation sends its answers (bytes exactly as given: the rules frame them) and how it closes. */
export interface RulesOutput {
  send(bytes: Uint8Array): void;
  close(): void;
}

/** One conversation answered by rules: a connection, or a UDP socket's datagrams. */
export interface RulesConversation {
  receive(data: Uint8Array, out: RulesOutput): void;
  /** The peer finished sending: what is left is matched, and this resolves once delayed answers went out. */
  end(out: RulesOutput): Promise<void>;
  dispose(): void;
}

/** The 'rules' behaviour (core/wire/wireRules.ts implements it): a conversation per connection, counting its hits. */
export interface RulesResponder {
  conversation(opts: { stream: boolean; peer?: string }): RulesConversation;
}

export interface SessionError {
  readonly code: string;
  /** English sentence with the fix. */
  readonly message: string;
  /** Placeholder values, so the vscode layer can render the zh-cn sentence. */
  readonly params?: ErrorParams;
  readonly messageKey?: string;
}

export interface SendOptions {
  /** UDP only: where to send (defaults to the socket's default target, else the last peer heard from). */
  host?: string;
  port?: number;
  /** Overrides the session's framing for this message. */
  framing?: Framing;
  /** WebSocket only: a text or a binary message (default: text when the bytes are UTF-8). */
  wsType?: 'text' | 'binary';
}

/** The transcript's counters, plus what only the live session knows. */
export interface SessionStats extends TranscriptStats {
  /** Bytes per second each way since the session started. */
  readonly rateIn: number;
  readonly rateOut: number;
  /** UDP: datagrams the kernel dropped because the receive buffer was full (when the OS reports it). */
  readonly kernelDrops?: number;
}

/** A received message after framing (a chunk for raw framing, a datagram for UDP). */
export interface ReceivedMessage {
  readonly data: Uint8Array;
  readonly peer?: string;
  /** Session that received it (a server's child for accepted connections). */
  readonly sessionId: string;
}

/** Shared, so idle sessions do not each carry their own copy. */
const RAW: Framing = Object.freeze({ kind: 'raw' });

export type SessionChangeKind = 'state' | 'data' | 'mode' | 'children';

/** A state the session entered (connected, half-closed, closed, reset…), when, and where in its conversation. */
export interface SessionEvent {
  readonly time: number;
  readonly state: SessionState;
  /** The transcript's next chunk number then: the event comes after every chunk before it. */
  readonly seq: number;
  /** The error that ended the session, if any (ECONNRESET for a reset). */
  readonly code?: string;
}

/** States are few and only move forward; the bound only guards against a bug. */
const MAX_EVENTS = 16;

export abstract class Session {
  abstract readonly kind: SessionKind;
  readonly startedAt = Date.now();
  closedAt?: number;
  error?: SessionError;
  protected _mode: ServerMode;
  framing: Framing;
  protected decoder?: FrameDecoder;
  protected disposed = false;

  private _onDidChange?: Emitter<SessionChangeKind>;
  /** The manager's single callback (cheaper than one subscription per session). */
  private observer?: (s: Session, kind: SessionChangeKind) => void;
  // created on first use: an idle session (10,000 of them in the bench) should cost little more than its socket
  private _messages?: Emitter<ReceivedMessage>;
  private messageListeners = 0;
  private _transcript?: Transcript;
  private readonly transcriptBytes?: number;

  constructor(
    readonly id: string,
    opts: { mode?: ServerMode; framing?: Framing; transcriptBytes?: number; parentId?: string },
  ) {
    this._mode = opts.mode ?? 'manual';
    this.framing = opts.framing ?? RAW;
    this.parentId = opts.parentId;
    this.transcriptBytes = opts.transcriptBytes;
  }

  /** Fires on state, mode and children changes, and for data at most once per event-loop turn. */
  onDidChange(listener: (kind: SessionChangeKind) => void): { dispose(): void } {
    return (this._onDidChange ??= new Emitter<SessionChangeKind>()).event(listener);
  }

  /** Shared by all of a manager's sessions (set by the SessionManager before any byte is recorded). */
  budgets?: SessionBudgets;

  /** Used by the SessionManager, once per session. */
  setObserver(observer: (s: Session, kind: SessionChangeKind) => void): void {
    this.observer = observer;
    this.recordState(this.startedAt); // the state it was added in (connecting, accepted, listening)
  }

  private _events?: SessionEvent[];
  /** The session's life as its conversation shows it: each state it entered, in order. */
  get events(): readonly SessionEvent[] {
    return this._events ?? [];
  }

  private recordState(time = Date.now()): void {
    const events = (this._events ??= []);
    const state = this.state;
    if (events.length >= MAX_EVENTS || events[events.length - 1]?.state === state) return;
    if (state === 'connecting' && !this.kind.endsWith('-client')) return; // a server still binding is not connecting
    events.push({ time, state, seq: this._transcript?.nextSeq ?? 0, code: state === 'failed' || state === 'closed' ? this.error?.code : undefined });
  }

  protected changed(kind: SessionChangeKind): void {
    if (kind === 'state' && !this.disposed) this.recordState();
    this.observer?.(this, kind);
    this._onDidChange?.fire(kind);
  }

  /** Every chunk sent or received, once, in a bounded ring. */
  get transcript(): Transcript {
    return (this._transcript ??= new Transcript(this.transcriptBytes, this.budgets?.transcript, () => this.isAlive));
  }

  /** Framed messages received; for servers, also every child's. Framing only runs while someone listens. */
  onDidReceiveMessage(listener: (m: ReceivedMessage) => void): { dispose(): void } {
    this.messageListeners++;
    const d = (this._messages ??= new Emitter<ReceivedMessage>()).event(listener);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        this.messageListeners--;
        d.dispose();
      },
    };
  }

  protected fireMessage(m: ReceivedMessage): void {
    this._messages?.fire(m);
  }

  readonly parentId?: string;
  abstract get state(): SessionState;
  abstract get label(): string;
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  /** Unix sessions: the socket path. */
  path?: string;
  /** TLS sessions: what the handshake settled (set once it is done). */
  tls?: TlsSummary;
  /** TLS sessions: their secrets in the SSLKEYLOGFILE format, a few lines (servers: their connections'). */
  get keyLogLines(): readonly string[] {
    return [];
  }
  /** Receives every TLS secret line as it is made (the manager's live key log file), if set. */
  keyLogSink?: (line: string) => void;

  get mode(): ServerMode {
    return this._mode;
  }

  private _encoding?: string;
  /** The text encoding chosen for this session, for sending and for showing; undefined: the manager's default. */
  get encoding(): string | undefined {
    return this._encoding;
  }
  setEncoding(encoding: string): void {
    const e = checkEncoding(encoding);
    if (e === this._encoding) return;
    this._encoding = e;
    this.changed('mode');
  }
  setMode(mode: ServerMode): void {
    const hadRules = this._rules !== undefined;
    this.dropRules();
    if (mode === this._mode && !hadRules) return;
    this._mode = mode;
    this.changed('mode');
  }

  protected _rules?: RulesResponder;
  /** The rules this session answers by (behaviour 'rules'), if any. */
  get rules(): RulesResponder | undefined {
    return this._rules;
  }
  /** A mode, or 'rules' while the session answers by rules. */
  get behaviour(): ServerBehaviour {
    return this._rules ? 'rules' : this._mode;
  }
  /** Answers by `rules` from now on (undefined: back to the mode); setMode also ends answering by rules. */
  setRules(rules: RulesResponder | undefined): void {
    if (rules === this._rules) return;
    this.dropRules();
    this._rules = rules;
    this.changed('mode');
  }
  /** Subclasses end their conversations here. */
  protected dropRules(): void {
    this._rules = undefined;
  }

  /** True for open-ish states (connecting, listening, open, half-closed). */
  get isAlive(): boolean {
    const s = this.state;
    return s !== 'closed' && s !== 'failed';
  }

  get stats(): SessionStats {
    const c = this._transcript?.counters ?? { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0, droppedBytes: 0, droppedChunks: 0 };
    const secs = Math.max(0.001, ((this.closedAt ?? Date.now()) - this.startedAt) / 1000);
    return { ...c, rateIn: c.bytesIn / secs, rateOut: c.bytesOut / secs };
  }

  abstract send(bytes: Uint8Array, opts?: SendOptions): Promise<void>;
  /** Streams chunks (e.g. a file) honouring backpressure; returns the bytes sent. */
  abstract sendStream(chunks: AsyncIterable<Uint8Array>, totalBytes?: number, opts?: SendOptions): Promise<number>;
  abstract halfClose(): void;
  abstract close(): void;

  dispose(): void {
    if (this.disposed) return;
    this.close();
    this.disposed = true;
    this._onDidChange?.dispose();
    this.observer = undefined;
    this._messages?.dispose();
    this._transcript?.dispose();
  }

  protected frame(bytes: Uint8Array, opts?: SendOptions): Uint8Array {
    return encodeFrame(bytes, opts?.framing ?? this.framing);
  }

  /** Runs received bytes through the framing decoder when anyone wants messages. */
  protected deliver(data: Uint8Array, peer: string | undefined, target: (m: ReceivedMessage) => void = (m) => this.fireMessage(m)): void {
    if (this.messageListeners === 0 && !this.hasForeignListeners()) return;
    if (this.framing.kind === 'raw') {
      target({ data, peer, sessionId: this.id });
      return;
    }
    this.decoder ??= new FrameDecoder(this.framing, maxFrameBytes, this.budgets?.framing);
    try {
      for (const m of this.decoder.push(data)) target({ data: m, peer, sessionId: this.id });
    } catch (e) {
      // a stream whose framing no longer makes sense cannot be resynchronised: fail and close
      if (e instanceof CodecError) {
        this.fail(new SocketLabError(e.code, { detail: e.message }, 'EUNKNOWN'));
        this.close();
      }
    }
  }

  /** Servers forward their children's messages, so a child delivers when its parent has listeners. */
  protected hasForeignListeners(): boolean {
    return false;
  }
  get hasMessageListeners(): boolean {
    return this.messageListeners > 0;
  }

  protected fail(err: SocketLabError): void {
    if (!this.error) this.error = { code: err.code, message: err.message, params: err.params, messageKey: err.messageKey };
    this.markClosed();
  }

  private dataPending = false;
  /** Data notifications are batched per event-loop turn, so a flood costs listeners one call, not one per chunk. */
  protected dataChanged(): void {
    if (this.dataPending) return;
    this.dataPending = true;
    setImmediate(() => {
      this.dataPending = false;
      this.changed('data');
    });
  }

  protected markClosed(): void {
    this.decoder?.release(); // a partial message that can no longer complete gives its bytes back
    this.closedAt ??= Date.now();
    this.changed('state');
  }
}

/** ASCII-only upper-casing on bytes, as Python's bytes.upper() does (multi-byte text stays intact). */
export function upperAscii(data: Uint8Array): Uint8Array {
  let i = 0;
  for (; i < data.length; i++) if (data[i] >= 0x61 && data[i] <= 0x7a) break;
  if (i === data.length) return data;
  const out = new Uint8Array(data);
  for (; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}
