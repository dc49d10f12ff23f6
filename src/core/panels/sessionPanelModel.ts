// Answers the session panel's requests from a core Session, without vscode, so it is testable on
// real sockets. The vscode host (sessionPanel.ts) adds clipboard, file picker and the webview itself.
import type { Session } from '../sessions/session';
import { buildPayload } from '../codec/payload';
import { encodings } from '../codec/encoding';
import { parseFraming } from '../codec/framing';
import { formatAddress, localizeError, type ErrorLanguage } from '../errors';
import { parseHostPort } from '../sessions/sessionManager';
import { UdpSession } from '../sessions/udpSession';
import { WsConnectionSession } from '../sessions/wsSession';
import { Disposable, Emitter } from '../../shared/disposable';
import type { FindResult, PanelEvent, PanelRequest, PanelResponses, RepeatState, SendResult, SendSpec, SessionEventInfo, SessionInfo, TranscriptInfo } from '../../shared/sessionPanelProtocol';
import { renderText } from './renderText';
import { findInTranscript, readTranscriptRange, toInputError, transcriptChunks, transcriptInfoOf } from './transcriptView';

/** Events are coalesced to at most one per this many ms: a flood cannot flood postMessage. */
export const EVENT_INTERVAL_MS = 50;

export const panelEncodings: readonly string[] = encodings;

export function sessionInfo(s: Session, lang: ErrorLanguage, encoding = s.encoding ?? 'utf-8'): SessionInfo {
  const state = s.state;
  const closed = state === 'closed' || state === 'failed';
  return {
    id: s.id,
    kind: s.kind,
    label: s.label,
    state,
    closed,
    error: s.error ? { code: s.error.code, message: localizeError(s.error, lang) } : undefined,
    multiPeer: s.kind.endsWith('-server') || s.kind === 'udp',
    canSend: !closed && state !== 'connecting' && state !== 'half-closed-by-us',
    encoding,
    udp: s instanceof UdpSession ? { defaultTarget: s.remotePort !== undefined ? formatAddress(s.remoteAddress ?? '127.0.0.1', s.remotePort) : undefined, lastPeer: s.lastPeerAddress } : undefined,
    events: withWsEvents(s, s.events.map((e) => ({ time: e.time, state: e.state, seq: e.seq, code: e.code }))),
    tls: s.tls && { ...s.tls, verifyError: s.tls.verifyError && { code: s.tls.verifyError.code, message: localizeError(s.tls.verifyError, lang) } },
  };
}

/**
 * WebSocket sessions: their pings, pongs and closes among the state events, in conversation order; the first 64 in all
 * (the panel places events by their index, so the list only ever grows at its end).
 */
function withWsEvents(s: Session, events: SessionEventInfo[]): SessionEventInfo[] {
  if (!(s instanceof WsConnectionSession)) return events;
  // a WebSocket's closing handshake is its close frames (below), not a TCP half close
  events = events.filter((e) => !e.state.startsWith('half-closed'));
  const ws = s.wsEvents.map((e): SessionEventInfo => {
    const detail = e.type === 'close' ? [e.code, e.reason].filter((x) => x !== undefined).join(' ') : String(e.length ?? 0);
    return { time: e.time, state: `ws-${e.type}-${e.dir}`, seq: e.seq, detail: detail.slice(0, 300) };
  });
  // by place in the conversation, then time; within one millisecond connected, then pings and closes, then closed
  const rank = (e: SessionEventInfo) => (e.state.startsWith('ws-') ? 1 : e.state === 'closed' || e.state === 'failed' ? 2 : 0);
  return [...events, ...ws].sort((a, b) => a.seq - b.seq || a.time - b.time || rank(a) - rank(b)).slice(0, 64);
}

export function transcriptInfo(s: Session): TranscriptInfo {
  return transcriptInfoOf(s.transcript);
}

/** The bytes a send spec stands for (before framing); throws a CodecError on bad input. */
export function payloadOf(spec: SendSpec): Uint8Array {
  const base = { encoding: spec.encoding, lineEnding: spec.lineEnding };
  if (spec.mode === 'hex') return buildPayload({ ...base, hex: spec.input });
  if (spec.mode === 'escapes') return buildPayload({ ...base, escaped: spec.input });
  return buildPayload({ ...base, text: spec.input });
}

export class SessionPanelModel extends Disposable {
  private readonly _onDidEvent = this.own(new Emitter<PanelEvent>());
  /** Coalesced events for the webview. */
  readonly onDidEvent = this._onDidEvent.event;
  private growTimer: ReturnType<typeof setTimeout> | undefined;
  private repeatTimer: ReturnType<typeof setInterval> | undefined;
  private repeat: RepeatState = { running: false, sent: 0, total: 0 };
  private closedSent = false;
  private lastPeer: string | undefined;

  constructor(
    readonly session: Session,
    private readonly lang: ErrorLanguage,
    /** The session's encoding as the manager resolves it (its own, its server's, the default). */
    readonly encodingOf: (s: Session) => string = (s) => s.encoding ?? 'utf-8',
    /** What the session is, in the user's words ("client from port 51234"), for the panel's header. */
    private readonly roleOf?: (s: Session) => string,
  ) {
    super();
    this.own(session.transcript.onDidGrow(() => this.scheduleGrow()));
    this.own(
      session.onDidChange((kind) => {
        if (kind === 'state' || kind === 'mode') this.stateChanged();
      }),
    );
    this.own({ dispose: () => this.stopRepeat() });
    this.own({ dispose: () => clearTimeout(this.growTimer) });
  }

  private scheduleGrow(): void {
    if (this.growTimer !== undefined || this.isDisposed) return;
    this.growTimer = setTimeout(() => {
      this.growTimer = undefined;
      // a UDP socket heard from someone new: the send bar's "reply to" changes
      const peer = this.session instanceof UdpSession ? this.session.lastPeerAddress : undefined;
      if (peer !== this.lastPeer) {
        this.lastPeer = peer;
        this.stateChanged();
      }
      this._onDidEvent.fire({ type: 'transcriptGrew', transcript: transcriptInfo(this.session) });
    }, EVENT_INTERVAL_MS);
  }

  private stateChanged(): void {
    if (this.isDisposed) return;
    const info = this.info();
    if (info.closed) {
      this.stopRepeat();
      if (this.closedSent) return;
      this.closedSent = true;
      this._onDidEvent.fire({ type: 'sessionClosed', session: info });
    } else this._onDidEvent.fire({ type: 'stateChanged', session: info });
  }

  readRange(offset: number, length: number): PanelResponses['readRange'] {
    return readTranscriptRange(this.session.transcript, offset, length);
  }

  chunks(fromSeq: number, limit: number, render: 'text' | 'hex', encoding: string, maxBytes: number): PanelResponses['chunks'] {
    const t = this.session.transcript;
    const chunks = transcriptChunks(t, fromSeq, limit, render, encoding, maxBytes);
    const s = this.session;
    // each chunk says when the one before it came (the delta times); WebSocket messages the frames they came in
    const before = chunks.length && chunks[0].seq > t.firstSeq ? t.chunks(chunks[0].seq - 1, 1)[0]?.time : undefined;
    const ws = s instanceof WsConnectionSession ? s : undefined;
    const views = chunks.map((c, i) => ({ ...c, prevTime: i ? chunks[i - 1].time : before, ws: ws?.frameFacts(c.seq) }));
    return { transcript: transcriptInfo(s), chunks: views };
  }

  /** The chunks (seq) holding any byte of the conversation's range [start, end), in order; none for an empty range. */
  chunksIn(start: number, end: number): number[] {
    const t = this.session.transcript;
    const first = end > start ? t.chunkAt(Math.max(start, t.startOffset)) : undefined;
    const out: number[] = [];
    for (let from = first?.seq ?? t.nextSeq; from < t.nextSeq; ) {
      const page = t.chunks(from, 1000);
      for (const c of page) {
        if (c.offset >= end) return out;
        if (c.length > 0 || c.offset >= start) out.push(c.seq);
      }
      if (!page.length) break;
      from = page[page.length - 1].seq + 1;
    }
    return out;
  }

  find(query: string, mode: 'hex' | 'text', encoding: string, from: number): FindResult {
    return findInTranscript(this.session.transcript, query, mode, encoding, from, this.lang);
  }

  validate(spec: SendSpec): SendResult {
    try {
      const bytes = payloadOf(spec);
      parseFraming(spec.framing);
      return { ok: true, bytes: bytes.length };
    } catch (e) {
      return { ok: false, error: toInputError(e, this.lang) };
    }
  }

  async send(spec: SendSpec): Promise<SendResult> {
    let bytes: Uint8Array;
    try {
      bytes = payloadOf(spec);
    } catch (e) {
      return { ok: false, error: toInputError(e, this.lang) };
    }
    return this.sendBytes(bytes, spec.framing, spec.to);
  }

  async sendBytes(bytes: Uint8Array, framing: string, to?: string): Promise<SendResult> {
    try {
      const dest = to?.trim() ? parseHostPort(to, false) : undefined;
      await this.session.send(bytes, { framing: parseFraming(framing), host: dest ? (dest.host ?? '127.0.0.1') : undefined, port: dest?.port });
      return { ok: true, bytes: bytes.length };
    } catch (e) {
      return { ok: false, error: toInputError(e, this.lang) };
    }
  }

  startRepeat(spec: SendSpec, intervalMs: number, count: number): SendResult {
    const check = this.validate(spec);
    if (!check.ok) return check;
    this.stopRepeat();
    const bytes = payloadOf(spec);
    this.repeat = { running: true, sent: 0, total: count };
    this._onDidEvent.fire({ type: 'repeatState', repeat: this.repeat });
    const tick = async () => {
      if (!this.repeat.running) return;
      const r = await this.sendBytes(bytes, spec.framing, spec.to);
      if (!this.repeat.running) return;
      const sent = this.repeat.sent + (r.ok ? 1 : 0);
      const done = !r.ok || sent >= count;
      this.repeat = { running: !done, sent, total: count };
      if (done) this.clearRepeatTimer();
      this._onDidEvent.fire({ type: 'repeatState', repeat: this.repeat });
    };
    void tick();
    if (count > 1) this.repeatTimer = setInterval(() => void tick(), intervalMs);
    return { ok: true, bytes: bytes.length };
  }

  private clearRepeatTimer(): void {
    if (this.repeatTimer !== undefined) clearInterval(this.repeatTimer);
    this.repeatTimer = undefined;
  }

  stopRepeat(): RepeatState {
    this.clearRepeatTimer();
    if (this.repeat.running) {
      this.repeat = { ...this.repeat, running: false };
      if (!this.isDisposed) this._onDidEvent.fire({ type: 'repeatState', repeat: this.repeat });
    }
    return this.repeat;
  }

  /** Everything the panel can answer without vscode; the host handles ready, sendFile, copy and reconnect. */
  async handle(req: Exclude<PanelRequest, { type: 'ready' | 'sendFile' | 'copy' | 'reconnect' | 'exportTranscript' }>): Promise<unknown> {
    switch (req.type) {
      case 'readRange':
        return this.readRange(req.offset, req.length);
      case 'chunks':
        return this.chunks(req.fromSeq, req.limit, req.render, req.encoding, req.maxBytes);
      case 'decode':
        return { parts: renderText(this.session.transcript.read(req.offset, req.length), req.encoding) };
      case 'find':
        return this.find(req.query, req.mode, req.encoding, req.from);
      case 'validateInput':
        return this.validate(req.spec);
      case 'send':
        return this.send(req.spec);
      case 'startRepeat':
        return this.startRepeat(req.spec, req.intervalMs, req.count);
      case 'stopRepeat':
        return this.stopRepeat();
      case 'setEncoding':
        return this.setEncoding(req.encoding);
    }
  }

  /** The panel's view of the session (state, encoding, UDP destinations). */
  info(): SessionInfo {
    const info = sessionInfo(this.session, this.lang, this.encodingOf(this.session));
    return this.roleOf ? { ...info, role: this.roleOf(this.session) } : info;
  }

  /** One encoding per session: chosen here, it is the one the send bar, the conversation and the palette use. */
  setEncoding(encoding: string): PanelResponses['setEncoding'] {
    try {
      this.session.setEncoding(encoding);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: toInputError(e, this.lang) };
    }
  }
}
