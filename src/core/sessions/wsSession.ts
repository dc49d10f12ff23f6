// WebSocket sessions (the `ws` library): a client or an accepted connection, where each message is one transcript
// chunk (text or binary: the frame facts say which), and ping, pong and close are events; and a server, on its own
// HTTP(S) server, owning the connections it accepted.
import { isUtf8 } from 'node:buffer';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { formatAddress, mapSocketError, SocketLabError } from '../errors';
import { ReceivedMessage, SendOptions, ServerMode, Session, SessionKind, SessionState, upperAscii } from './session';
import { ParentSession } from './parentSession';
import { WsFrameFacts, WsFrameTap, WsMessageFacts, FRAMES_KEPT_PER_MESSAGE } from './wsFrames';

export type { WsFrameFacts, WsMessageFacts } from './wsFrames';

/** A ping, pong or close, sent or received, placed in the conversation. */
export interface WsEvent {
  readonly time: number;
  readonly type: 'ping' | 'pong' | 'close';
  readonly dir: 'in' | 'out';
  /** The transcript's next chunk number then: the event comes after every chunk before it. */
  readonly seq: number;
  /** Close: the status code (1000 normal, 1001 going away…) and reason, when given. */
  readonly code?: number;
  readonly reason?: string;
  /** Ping and pong: the payload's length. */
  readonly length?: number;
}

/** Frame facts kept per session (newest), and events; both bounded. */
const FACTS_KEPT = 4096;
const EVENTS_KEPT = 256;

/** What the handshake settled, for the tree, the panel and the CLI. */
export interface WsInfo {
  readonly url?: string;
  readonly secure: boolean;
  /** The subprotocol both sides agreed on ('' when none). */
  protocol: string;
}

export interface WsConnectionOptions {
  mode?: ServerMode;
  transcriptBytes?: number;
  parentId?: string;
  /** Accepted connections: the TCP socket and the peer's address. */
  socket?: net.Socket;
  forward?: { hasListeners(): boolean; fire(m: ReceivedMessage): void };
  /** Clients: where they connect, for the label and error sentences. */
  target?: { host: string; port: number };
  info: WsInfo;
}

export type WsSendOptions = SendOptions;

/** How long a close we began waits for the peer's before the connection is cut. */
export const CLOSE_WAIT_S = 1;

/** The close code the library sent for a protocol error (its status-code symbol), else 1002. */
function protocolError(err: Error, addr: string): SocketLabError {
  const sym = Object.getOwnPropertySymbols(err).find((k) => k.description === 'status-code');
  const code = sym ? (err as unknown as Record<symbol, unknown>)[sym] : undefined;
  return new SocketLabError((err as NodeJS.ErrnoException).code ?? 'WS_PROTOCOL', { addr, detail: err.message, code: typeof code === 'number' ? code : 1002 }, 'WS_PROTOCOL');
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** A WebSocket client, or a connection a WebSocket server accepted. */
export class WsConnectionSession extends Session {
  private readonly tap = new WsFrameTap();
  /** Frame facts by chunk number, in a ring (slot seq % FACTS_KEPT; the seq is checked on reading). */
  private readonly facts: ({ seq: number; f: WsMessageFacts } | undefined)[] = [];
  private readonly _wsEvents: WsEvent[] = [];
  /** Events beyond the bound, counted. */
  droppedEvents = 0;
  private closeSentFirst = false;
  /** Set (to the seconds waited) when the peer did not answer our close and the connection was cut. */
  closeUnanswered?: number;
  private readonly forward?: WsConnectionOptions['forward'];
  private readonly peer?: string;

  constructor(
    id: string,
    readonly kind: Extract<SessionKind, 'ws-client' | 'ws-accepted'>,
    readonly socket: WebSocket,
    opts: WsConnectionOptions,
  ) {
    super(id, opts);
    this.wsInfo = opts.info;
    this.forward = opts.forward;
    this.remoteAddress = opts.target?.host;
    this.remotePort = opts.target?.port;
    if (opts.socket) this.attach(opts.socket);
    if (kind === 'ws-accepted') this.peer = formatAddress(this.remoteAddress, this.remotePort);
    socket.on('open', () => {
      const raw = (socket as unknown as { _socket?: net.Socket })._socket;
      if (raw) this.attach(raw);
      this.wsInfo.protocol = socket.protocol;
      this.clearConnectTimer();
      this.changed('state');
    });
    socket.on('message', (data, isBinary) => this.onMessage(toBytes(data), isBinary));
    socket.on('ping', (data) => this.event({ type: 'ping', dir: 'in', length: data.length }, true));
    socket.on('pong', (data) => this.event({ type: 'pong', dir: 'in', length: data.length }, true));
    socket.on('close', (code, reason) => {
      this.clearConnectTimer();
      if (code !== 1006) this.event({ type: 'close', dir: 'in', code: code === 1005 ? undefined : code, reason: reason.toString() || undefined }, true);
      this.markClosed();
    });
    socket.on('unexpected-response', (_req, res) => {
      this.fail(new SocketLabError('WS_HANDSHAKE', { addr: this.label, detail: `HTTP ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trim() }));
      socket.terminate();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // after the upgrade, a WS_ERR_ is a frame that broke the protocol (the library closes with 1002, 1007 or 1009)
      if (err.code?.startsWith('WS_ERR_') && socket.readyState !== WebSocket.CONNECTING) return this.fail(protocolError(err, this.label));
      const mapped = err.code && !err.code.startsWith('WS_ERR_') ? mapSocketError(err, { host: this.remoteAddress, port: this.remotePort }) : new SocketLabError('WS_HANDSHAKE', { addr: this.label, detail: err.message });
      this.fail(mapped);
    });
  }

  readonly wsInfo: WsInfo;
  /** Clients: what they were connected with (URL, subprotocols, headers, trust), for Reconnect. */
  connectOptions?: { readonly url: string; readonly protocols?: string[]; readonly headers?: Record<string, string>; readonly insecure?: boolean; readonly ca?: string | Buffer | (string | Buffer)[] };

  /** Reads frame headers before the library does, so each message finds its facts when its event comes. */
  private attach(raw: net.Socket): void {
    this.localAddress = raw.localAddress;
    this.localPort = raw.localPort;
    this.remoteAddress = raw.remoteAddress ?? this.remoteAddress;
    this.remotePort = raw.remotePort ?? this.remotePort;
    raw.prependListener('data', (buf: Buffer) => this.tap.push(buf));
  }

  private connectTimer?: NodeJS.Timeout;
  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }
  /** Clients: fail with ETIMEDOUT if the handshake is not done within `ms`. */
  armConnectTimeout(ms: number): void {
    if (ms <= 0 || this.socket.readyState !== WebSocket.CONNECTING) return;
    this.connectTimer = setTimeout(() => {
      this.fail(mapSocketError({ code: 'ETIMEDOUT' }, { host: this.remoteAddress, port: this.remotePort }));
      this.socket.terminate();
    }, ms);
  }

  /** Resolves once the handshake is done; rejects with the session's error otherwise. */
  whenConnected(): Promise<void> {
    const settled = () => (this.error ? new SocketLabError(this.error.code, this.error.params, this.error.messageKey) : new SocketLabError('ECLOSED', { addr: this.label }));
    if (this.state === 'open') return Promise.resolve();
    if (this.state !== 'connecting') return Promise.reject(settled());
    return new Promise((resolve, reject) => {
      const done = this.onDidChange(() => {
        if (this.state === 'connecting') return;
        done.dispose();
        if (this.state === 'open') resolve();
        else reject(settled());
      });
    });
  }

  /** Stops reading while `on` (the CLI's blocked stdout): TCP then pushes back on the peer. */
  holdReading(on: boolean): void {
    if (on) this.socket.pause();
    else this.socket.resume();
  }

  /** Pings, pongs and closes, in order (bounded). */
  get wsEvents(): readonly WsEvent[] {
    return this._wsEvents;
  }

  /** The frames of the message that is transcript chunk `seq`, while kept. */
  frameFacts(seq: number): WsMessageFacts | undefined {
    const e = this.facts[seq % FACTS_KEPT];
    return e?.seq === seq ? e.f : undefined;
  }

  private keepFacts(seq: number, f: WsMessageFacts): void {
    this.facts[seq % FACTS_KEPT] = { seq, f };
  }

  private event(e: Omit<WsEvent, 'time' | 'seq'>, received: boolean): void {
    if (received && e.type !== 'close') this.tap.controls.shift();
    if (this._wsEvents.length >= EVENTS_KEPT) {
      this.droppedEvents++;
      return;
    }
    this._wsEvents.push({ ...e, time: Date.now(), seq: this.transcript.nextSeq });
    this.changed('data');
  }

  get label(): string {
    if (this.kind === 'ws-client' && this.wsInfo.url) return this.wsInfo.url;
    return formatAddress(this.remoteAddress, this.remotePort);
  }

  get state(): SessionState {
    if (this.error) return 'failed';
    switch (this.socket.readyState) {
      case WebSocket.CONNECTING:
        return 'connecting';
      case WebSocket.OPEN:
        return 'open';
      case WebSocket.CLOSING:
        return this.closeSentFirst ? 'half-closed-by-us' : 'half-closed-by-peer';
      default:
        return 'closed';
    }
  }

  private onMessage(data: Uint8Array, isBinary: boolean): void {
    const f = this.tap.messages.shift() ?? { frames: [{ opcode: isBinary ? 2 : 1, fin: true, masked: this.kind === 'ws-accepted', length: data.length }], moreFrames: 0 };
    this.keepFacts(this.transcript.append('in', data, this.peer).seq, f);
    this.dataChanged();
    const mode = this._mode;
    if (mode === 'echo' || mode === 'upper') this.write(mode === 'upper' && !isBinary ? upperAscii(data) : data, isBinary);
    if (mode === 'sink' || !(this.hasMessageListeners || this.hasForeignListeners())) return;
    const m = { data, peer: this.peer, sessionId: this.id };
    this.fireMessage(m);
    this.forward?.fire(m);
  }

  protected override hasForeignListeners(): boolean {
    return this.forward?.hasListeners() ?? false;
  }

  /** One message out, recorded with the frame the library writes for it. */
  private write(data: Uint8Array, binary: boolean, cb?: (err?: Error) => void): void {
    const seq = this.transcript.append('out', data, this.peer).seq;
    this.keepFacts(seq, { frames: [{ opcode: binary ? 2 : 1, fin: true, masked: this.kind === 'ws-client', length: data.length }], moreFrames: 0 });
    this.dataChanged();
    this.socket.send(data, { binary }, cb);
  }

  private notOpen(): SocketLabError {
    return new SocketLabError('ECLOSED', { addr: this.label });
  }

  /** One message: text when `wsType` says so, or when the bytes are UTF-8 and it says nothing; binary otherwise. */
  send(bytes: Uint8Array, opts?: WsSendOptions): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(this.notOpen());
    const binary = opts?.wsType ? opts.wsType === 'binary' : !isUtf8(bytes);
    return new Promise((resolve, reject) => this.write(bytes, binary, (err) => (err ? reject(mapSocketError(err, { host: this.remoteAddress, port: this.remotePort })) : resolve())));
  }

  /** One binary message in as many frames as chunks (the last frame empty, with FIN), each written once the previous is out. */
  async sendStream(chunks: AsyncIterable<Uint8Array>): Promise<number> {
    let sent = 0;
    const frames: WsFrameFacts[] = [];
    let more = 0;
    const masked = this.kind === 'ws-client';
    const frame = (data: Uint8Array, fin: boolean): Promise<void> => {
      if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(this.notOpen());
      const f = { opcode: frames.length === 0 && more === 0 ? 2 : 0, fin, masked, length: data.length };
      if (frames.length < FRAMES_KEPT_PER_MESSAGE) frames.push(f);
      else more++;
      return new Promise((resolve, reject) => this.socket.send(data, { binary: true, fin }, (err) => (err ? reject(this.notOpen()) : resolve())));
    };
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      await frame(chunk, false);
      parts.push(chunk);
      sent += chunk.length;
    }
    await frame(new Uint8Array(0), true);
    this.keepFacts(this.transcript.append('out', Buffer.concat(parts), this.peer).seq, { frames, moreFrames: more });
    this.dataChanged();
    return sent;
  }

  /** A ping with an optional payload (at most 125 bytes); the peer's pong comes back as an event. */
  ping(data: Uint8Array = new Uint8Array(0)): void {
    if (this.socket.readyState !== WebSocket.OPEN) throw this.notOpen();
    this.socket.ping(data);
    this.event({ type: 'ping', dir: 'out', length: data.length }, false);
  }

  /** WebSocket has no half close: this starts the closing handshake (1000, normal). */
  halfClose(): void {
    this.closeWith(1000);
  }

  /** Starts the closing handshake with `code` and `reason`; the connection ends within CLOSE_WAIT_S even if the peer stays silent. */
  closeWith(code = 1000, reason = ''): void {
    const s = this.socket;
    if (s.readyState === WebSocket.CONNECTING) {
      s.terminate();
      return;
    }
    if (s.readyState !== WebSocket.OPEN) return;
    this.closeSentFirst = true;
    s.close(code, reason);
    this.event({ type: 'close', dir: 'out', code, reason: reason || undefined }, false);
    const t = setTimeout(() => {
      this.closeUnanswered = CLOSE_WAIT_S;
      s.terminate();
    }, CLOSE_WAIT_S * 1000);
    t.unref();
    s.once('close', () => clearTimeout(t));
    this.changed('state');
  }

  close(): void {
    this.clearConnectTimer();
    this.closeWith(1000);
  }
}

export interface WsServerOptions {
  host: string;
  port: number;
  mode?: ServerMode;
  transcriptBytes?: number;
  newId: () => string;
  /** wss: the certificate and key. */
  tls?: { cert: string; key: string };
  certPath?: string;
  /** The subprotocols this server speaks, in its order of preference. */
  subprotocols?: string[];
}

/** A WebSocket server: an HTTP(S) server that upgrades every request to a WebSocket connection. */
export class WsServerSession extends ParentSession<WsConnectionSession> {
  readonly kind = 'ws-server' as const;
  readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private listened = false;
  readonly certPath?: string;
  readonly secure: boolean;

  constructor(id: string, private readonly opts: WsServerOptions) {
    super(id, opts);
    this.localAddress = opts.host;
    this.localPort = opts.port;
    this.certPath = opts.certPath;
    this.secure = opts.tls !== undefined;
    const plain = (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      res.end('This is a Socket Lab WebSocket server: connect with a WebSocket client.\n');
    };
    this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, plain) : http.createServer(plain);
    const wanted = opts.subprotocols ?? [];
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (offered) => wanted.find((p) => offered.has(p)) ?? false,
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      if (this.closing) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket));
    });
    this.server.on('error', (err) => {
      if (!this.listened) return;
      this.fail(mapSocketError(err, { host: opts.host, port: opts.port }));
    });
    this.server.on('close', () => this.markClosed());
  }

  private accept(ws: WebSocket, socket: net.Socket): void {
    const child = new WsConnectionSession(this.opts.newId(), 'ws-accepted', ws, {
      mode: this._mode,
      transcriptBytes: this.opts.transcriptBytes,
      parentId: this.id,
      socket,
      info: { secure: this.secure, protocol: ws.protocol },
      forward: { hasListeners: () => this.hasMessageListeners, fire: (m: ReceivedMessage) => this.fireMessage(m) },
    });
    child.budgets = this.budgets;
    this.adopt(child);
  }

  get label(): string {
    return `${this.secure ? 'wss' : 'ws'}://${formatAddress(this.localAddress, this.localPort)}`;
  }

  get state(): SessionState {
    if (this.error) return 'failed';
    if (this.server.listening) return 'listening';
    return this.listened || this.closing ? 'closed' : 'connecting';
  }

  listen(): Promise<void> {
    const { host, port } = this.opts;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        const mapped = mapSocketError(err, { host, port });
        this.fail(mapped);
        reject(mapped);
      };
      this.server.once('error', onError);
      this.server.listen({ host, port, ipv6Only: false }, () => {
        this.server.off('error', onError);
        this.listened = true;
        const a = this.server.address();
        if (a && typeof a === 'object') {
          this.localAddress = a.address;
          this.localPort = a.port;
        }
        this.changed('state');
        resolve();
      });
    });
  }

  protected canSend(c: WsConnectionSession): boolean {
    return c.state === 'open';
  }

  override dispose(): void {
    if (this.disposed) return;
    super.dispose();
    this.wss.close();
  }
}
