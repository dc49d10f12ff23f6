// Owns every socket Socket Lab opened: servers (with the connections they accepted), clients, UDP sockets.
// No vscode here: the extension, the CLI, lessons and tests all drive the same manager.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Emitter } from '../../shared/disposable';
import { Framing, FramingBudget } from '../codec/framing';
import { mapSocketError, SocketLabError } from '../errors';
import { KeyLogFile } from '../tls/keyLog';
import { defaultCacheDir, serverCertificate } from '../tls/selfSigned';
import { ListenerSession, tlsReason } from './listenerSession';
import { ServerMode, serverModes, Session, SessionBudgets, SessionChangeKind } from './session';
import { StreamSession } from './streamSession';
import { TranscriptBudget } from './transcript';
import { UdpSession, type UdpSessionOptions } from './udpSession';
import { checkUnixPath } from './unixPath';
import { WsConnectionSession, WsServerSession } from './wsSession';
import { WebSocket } from 'ws';

export type { Session, SessionKind, SessionState, ServerMode, SessionError, SendOptions, SessionStats } from './session';

export interface TcpServerOptions {
  /** Defaults to 127.0.0.1: a command given only a port never opens the machine to the network. */
  host?: string;
  port: number;
  mode?: ServerMode;
  framing?: Framing;
  backlog?: number;
  /** Accepted connections close with EIDLE after this long without traffic (default: the manager's `idleTimeoutMs`). */
  idleTimeoutMs?: number;
}
export interface TcpConnectOptions {
  host?: string;
  port: number;
  mode?: ServerMode;
  framing?: Framing;
  /** ETIMEDOUT after this many ms without a connection (default 10 s). */
  timeoutMs?: number;
}
export interface TlsServerOptions extends TcpServerOptions {
  /** PEM certificate (chain) and private key; without them a self-signed certificate for localhost is made and kept. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** ALPN protocols offered, in order of preference. */
  alpn?: string[];
}
export interface TlsConnectOptions extends TcpConnectOptions {
  /** The name asked for (SNI) and checked against the certificate (default: the host, when it is a name). */
  servername?: string;
  /** Go on with a server whose certificate is not trusted (the summary still says why). */
  insecure?: boolean;
  /** PEM certificates to trust (instead of the system's CAs), e.g. a Socket Lab server's own. */
  ca?: string | Buffer | (string | Buffer)[];
  alpn?: string[];
}
export interface WsServerOptions {
  /** Defaults to 127.0.0.1, as for TCP. */
  host?: string;
  port: number;
  mode?: ServerMode;
  /** wss: a certificate and key (PEM), or `tls: true` for Socket Lab's self-signed one. */
  tls?: boolean;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The subprotocols the server speaks, in its order of preference (it picks the first a client offers). */
  subprotocols?: string[];
}
export interface WsConnectOptions {
  /** ws://host:port/path or wss://host:port/path. */
  url: string;
  /** Subprotocols offered (Sec-WebSocket-Protocol). */
  protocols?: string[];
  /** Extra request headers for the upgrade request. */
  headers?: Record<string, string>;
  /** wss: go on with a server whose certificate is not trusted. */
  insecure?: boolean;
  /** wss: PEM certificates to trust instead of the system's CAs. */
  ca?: string | Buffer | (string | Buffer)[];
  mode?: ServerMode;
  timeoutMs?: number;
}
/** The manager binds 127.0.0.1 when only a port is given; neither host nor port means unbound. */
export type UdpOpenOptions = Omit<UdpSessionOptions, 'transcriptBytes'>;
export interface UnixServerOptions {
  path: string;
  mode?: ServerMode;
  framing?: Framing;
  /** As for TCP servers. */
  idleTimeoutMs?: number;
}
export interface UnixConnectOptions {
  path: string;
  mode?: ServerMode;
  framing?: Framing;
  timeoutMs?: number;
}

export interface SessionManagerChange {
  /** undefined when several sessions changed at once (clearClosed, closeAll). */
  readonly session?: Session;
  readonly kind: SessionChangeKind | 'added' | 'removed';
}

export interface SessionManagerOptions {
  /** Ring size of each session's transcript. */
  transcriptBytes?: number;
  /** All transcripts together hold at most this many bytes (default 64 MiB); finished sessions give theirs up first. */
  transcriptBudgetBytes?: number;
  /** Partial framed messages of all connections together (default 128 MiB); a connection beyond it is closed. */
  framingBudgetBytes?: number;
  /** Closed connections each server keeps for reading (default 100); older ones are forgotten and counted. */
  closedChildrenKept?: number;
  /** Connections accepted by servers started later close after this long without traffic either way (default 0: never). */
  idleTimeoutMs?: number;
  /** Where a TLS server without a certificate keeps the self-signed one it makes (default: the CLI's cache folder). */
  tlsCacheDir?: string;
}

/** A value for an error sentence; objects without a prototype (no toString) cannot make String() throw. */
function shown(v: unknown): string {
  try {
    return String(v).slice(0, 100);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

export function checkPort(port: unknown, allowZero = true): number {
  const n = typeof port === 'string' && /^\s*\d+\s*$/.test(port) ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 65535) {
    throw new SocketLabError('EBADPORT', { value: shown(port) }, n === 0 ? 'EBADPORT_ZERO' : 'EBADPORT');
  }
  return n;
}

export interface HostPort {
  /** undefined when only a port was given (the caller picks its default, 127.0.0.1). */
  host?: string;
  port: number;
}

/**
 * The one host:port splitter (the extension's boxes and the CLI's ADDR): "8000", ":8000", "127.0.0.1:8000",
 * "[::1]:8000", "localhost:8000" into the host (undefined when none was given) and the port's text as typed.
 * An IPv6 address needs brackets: EBADADDR otherwise.
 */
export function splitHostPort(text: string): { host?: string; port: string } {
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (v6) return { host: v6[1], port: v6[2] };
  if (!text.includes(':')) return { port: text };
  const i = text.lastIndexOf(':');
  if (text.indexOf(':') !== i) throw new SocketLabError('EBADADDR', { value: text });
  return { host: text.slice(0, i) || undefined, port: text.slice(i + 1) };
}

/** splitHostPort on the trimmed text, with a checked port; EBADADDR or EBADPORT otherwise. */
export function parseHostPort(text: string, allowZero = true): HostPort {
  const t = text.trim();
  const { host, port } = splitHostPort(t);
  // a host name has no spaces
  if (host !== undefined && /\s/.test(host)) throw new SocketLabError('EBADADDR', { value: t });
  return { host, port: checkPort(port, allowZero) };
}

function checkMode(mode: unknown): ServerMode {
  if (mode === undefined) return 'manual';
  if (mode === 'print') return 'print-only';
  if (typeof mode === 'string' && (serverModes as readonly string[]).includes(mode)) return mode as ServerMode;
  throw new SocketLabError('EUNKNOWN', { detail: `unknown mode "${String(mode)}"; use ${serverModes.join(', ')}` });
}

export { isLoopback } from './loopback';

/** Sessions that own the connections they accepted. */
export type ServerSession = ListenerSession | WsServerSession;
export const isServer = (s: Session): s is ServerSession => s instanceof ListenerSession || s instanceof WsServerSession;

/** A ws:// or wss:// URL, else WS_BAD_URL. */
export function checkWsUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(String(text).trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || !url.hostname) throw new SocketLabError('WS_BAD_URL', { value: shown(text) });
  return url;
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private nextId = 1;
  private disposed = false;
  private readonly _onDidChange = new Emitter<SessionManagerChange>();
  /** Fires often (once per chunk for data): listeners should coalesce, e.g. a timer that refreshes a view. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidAdd = new Emitter<Session>();
  readonly onDidAdd = this._onDidAdd.event;
  transcriptBytes: number;
  /** The encoding a session uses until one is chosen for it (the extension sets it from socketLab.encoding). */
  defaultEncoding = 'utf-8';
  readonly budgets: SessionBudgets;
  closedChildrenKept: number;
  /** For servers started from now on; 0 turns the idle timeout off. */
  idleTimeoutMs: number;
  private readonly trimQueue = new Set<ServerSession | 'roots'>();
  /** Closed clients and servers forgotten to bound memory (beyond `closedChildrenKept` of them). */
  forgottenRoots = 0;
  /** Where TLS servers without a certificate keep the one made for them. */
  tlsCacheDir: string;
  private keyLog?: KeyLogFile;
  /** Every TLS session's secrets go to this file from now on (SSLKEYLOGFILE format); undefined: none. */
  get keyLogFile(): string | undefined {
    return this.keyLog?.path;
  }
  /** Starts (or stops, with undefined) writing every TLS session's secrets to `file`; throws LOG_* if it cannot be opened. */
  setKeyLogFile(file: string | undefined): void {
    if (file === this.keyLog?.path) return;
    const next = file ? new KeyLogFile(file) : undefined;
    this.keyLog?.close();
    this.keyLog = next;
  }
  /** Also told every TLS secret line (the packet panel decrypts Socket Lab's own sessions with them). */
  keyLogTap: ((line: string) => void) | undefined;
  private readonly writeKeyLog = (line: string): void => {
    this.keyLog?.write(line);
    this.keyLogTap?.(line);
  };

  constructor(opts: SessionManagerOptions = {}) {
    this.transcriptBytes = opts.transcriptBytes ?? 4 * 1024 * 1024;
    this.budgets = {
      transcript: new TranscriptBudget(opts.transcriptBudgetBytes ?? 64 * 1024 * 1024),
      framing: new FramingBudget(opts.framingBudgetBytes),
    };
    this.closedChildrenKept = opts.closedChildrenKept ?? 100;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 0;
    this.tlsCacheDir = opts.tlsCacheDir ?? defaultCacheDir();
  }

  private newId = (): string => `s${this.nextId++}`;

  /** A session's encoding: its own, else its server's (an accepted connection), else the default. */
  encodingOf(s: Session): string {
    return s.encoding ?? (s.parentId !== undefined ? this.sessions.get(s.parentId)?.encoding : undefined) ?? this.defaultEncoding;
  }
  private readonly observe = (session: Session, kind: SessionChangeKind): void => {
    if (kind === 'state' && !session.isAlive) {
      const parent = session.parentId === undefined ? 'roots' : this.sessions.get(session.parentId);
      if (parent === 'roots' || parent instanceof ListenerSession || parent instanceof WsServerSession) this.scheduleTrim(parent);
    }
    this._onDidChange.fire({ session, kind });
  };

  /** Forgets a server's (or the roots') oldest closed sessions beyond `closedChildrenKept`, once the event settles. */
  private scheduleTrim(server: ServerSession | 'roots'): void {
    if (this.trimQueue.size === 0) queueMicrotask(() => this.trimClosedChildren());
    this.trimQueue.add(server);
  }

  private trimClosedChildren(): void {
    const servers = [...this.trimQueue];
    this.trimQueue.clear();
    let forgot = 0;
    for (const server of servers) {
      if (this.disposed) return;
      const gone = server === 'roots' ? this.forgetClosedRoots() : server.forgetClosedBeyond(this.closedChildrenKept);
      for (const s of gone) {
        this.sessions.delete(s.id);
        s.dispose();
        forgot++;
      }
    }
    if (forgot) this._onDidChange.fire({ kind: 'removed' });
  }

  private add<T extends Session>(s: T): T {
    if (this.disposed) {
      s.dispose();
      throw new SocketLabError('ECLOSED', { addr: s.label });
    }
    this.sessions.set(s.id, s);
    s.budgets ??= this.budgets;
    if (s.kind.startsWith('tls-')) s.keyLogSink = this.writeKeyLog;
    s.setObserver(this.observe);
    if (s instanceof ListenerSession) s.onDidAccept((child) => this.add(child));
    if (s instanceof WsServerSession) s.onDidAccept((child) => this.add(child));
    this._onDidAdd.fire(s);
    this._onDidChange.fire({ session: s, kind: 'added' });
    return s;
  }

  /** Failures stay listed (state failed, with the error), and the promise rejects with the same error. */
  private async started<T extends Session>(s: T, start: () => Promise<void>): Promise<T> {
    try {
      await start();
      return s;
    } catch (e) {
      const err = e instanceof SocketLabError ? e : mapSocketError(e);
      err.sessionId = s.id;
      throw err;
    }
  }

  async startTcpServer(opts: TcpServerOptions): Promise<ListenerSession> {
    const port = checkPort(opts.port);
    const s = this.add(new ListenerSession(this.newId(), 'tcp-server', {
      host: opts.host?.trim() || '127.0.0.1', port, mode: checkMode(opts.mode), framing: opts.framing,
      backlog: opts.backlog, transcriptBytes: this.transcriptBytes, newId: this.newId, idleTimeoutMs: opts.idleTimeoutMs ?? this.idleTimeoutMs,
    }));
    return this.started(s, () => s.listen());
  }

  async connectTcp(opts: TcpConnectOptions): Promise<StreamSession> {
    const port = checkPort(opts.port, false);
    const host = opts.host?.trim() || '127.0.0.1';
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port, allowHalfOpen: true, noDelay: true });
    const s = this.add(new StreamSession(this.newId(), 'tcp-client', socket, {
      mode: checkMode(opts.mode), framing: opts.framing, transcriptBytes: this.transcriptBytes, target: { host, port },
    }));
    s.armConnectTimeout(opts.timeoutMs ?? 10_000);
    return this.started(s, () => s.whenConnected());
  }

  /** A TLS server: as a TCP server, its connections are TLS (a self-signed certificate when none is given). */
  async startTlsServer(opts: TlsServerOptions): Promise<ListenerSession> {
    const port = checkPort(opts.port);
    let cert = opts.cert;
    let key = opts.key;
    let certPath: string | undefined;
    if ((cert === undefined) !== (key === undefined)) throw new SocketLabError('TLS_CERT_PAIR');
    if (cert === undefined) {
      const made = await serverCertificate(this.tlsCacheDir);
      ({ cert, key, certPath } = made);
    }
    try {
      tls.createSecureContext({ cert, key });
    } catch (e) {
      throw new SocketLabError('TLS_BAD_CERT', { detail: tlsReason(e as Error) });
    }
    const s = this.add(new ListenerSession(this.newId(), 'tls-server', {
      host: opts.host?.trim() || '127.0.0.1', port, mode: checkMode(opts.mode), framing: opts.framing,
      backlog: opts.backlog, transcriptBytes: this.transcriptBytes, newId: this.newId, idleTimeoutMs: opts.idleTimeoutMs ?? this.idleTimeoutMs,
      tls: { cert, key, ALPNProtocols: opts.alpn }, certPath,
    }));
    return this.started(s, () => s.listen());
  }

  /** A TLS client: connected once the handshake is done and the server is trusted (or `insecure`). */
  async connectTls(opts: TlsConnectOptions): Promise<StreamSession> {
    const port = checkPort(opts.port, false);
    const host = opts.host?.trim() || '127.0.0.1';
    const bare = host.replace(/^\[|\]$/g, '');
    // SNI carries names only; an IP address is still checked against the certificate's IP SANs
    const servername = opts.servername?.trim() || (net.isIP(bare) ? undefined : bare);
    const socket = tls.connect({
      host: bare, port, allowHalfOpen: true, noDelay: true, servername, ca: opts.ca, ALPNProtocols: opts.alpn,
      rejectUnauthorized: false, // checked by the session after the handshake, so the summary shows what was presented
    } as tls.ConnectionOptions);
    const s = this.add(new StreamSession(this.newId(), 'tls-client', socket, {
      mode: checkMode(opts.mode), framing: opts.framing, transcriptBytes: this.transcriptBytes, target: { host, port },
      servername, insecure: opts.insecure,
    }));
    s.armConnectTimeout(opts.timeoutMs ?? 10_000);
    return this.started(s, () => s.whenConnected());
  }

  async openUdp(opts: UdpOpenOptions = {}): Promise<UdpSession> {
    const port = opts.port === undefined ? undefined : checkPort(opts.port);
    const remotePort = opts.remotePort === undefined ? undefined : checkPort(opts.remotePort, false);
    const host = opts.host?.trim() || (port !== undefined ? '127.0.0.1' : undefined);
    const s = this.add(new UdpSession(this.newId(), {
      ...opts, host, port, remotePort, mode: checkMode(opts.mode), transcriptBytes: this.transcriptBytes,
    }));
    return this.started(s, () => s.open());
  }

  async startUnixServer(opts: UnixServerOptions): Promise<ListenerSession> {
    checkUnixPath(opts.path);
    const s = this.add(new ListenerSession(this.newId(), 'unix-server', {
      path: opts.path, mode: checkMode(opts.mode), framing: opts.framing, transcriptBytes: this.transcriptBytes, newId: this.newId,
      idleTimeoutMs: opts.idleTimeoutMs ?? this.idleTimeoutMs,
    }));
    return this.started(s, () => s.listen());
  }

  async connectUnix(opts: UnixConnectOptions): Promise<StreamSession> {
    checkUnixPath(opts.path);
    const socket = net.connect({ path: opts.path, allowHalfOpen: true });
    const s = this.add(new StreamSession(this.newId(), 'unix-client', socket, {
      mode: checkMode(opts.mode), framing: opts.framing, transcriptBytes: this.transcriptBytes, target: { path: opts.path },
    }));
    s.armConnectTimeout(opts.timeoutMs ?? 10_000);
    return this.started(s, () => s.whenConnected());
  }

  /** A WebSocket server (wss with a certificate, or Socket Lab's self-signed one): each message one chunk. */
  async startWsServer(opts: WsServerOptions): Promise<WsServerSession> {
    const port = checkPort(opts.port);
    let tlsPair: { cert: string; key: string } | undefined;
    let certPath: string | undefined;
    if (opts.tls || opts.cert !== undefined || opts.key !== undefined) {
      if ((opts.cert === undefined) !== (opts.key === undefined)) throw new SocketLabError('TLS_CERT_PAIR');
      if (opts.cert === undefined) {
        const made = await serverCertificate(this.tlsCacheDir);
        tlsPair = { cert: made.cert, key: made.key };
        certPath = made.certPath;
      } else tlsPair = { cert: opts.cert.toString(), key: opts.key!.toString() };
      try {
        tls.createSecureContext(tlsPair);
      } catch (e) {
        throw new SocketLabError('TLS_BAD_CERT', { detail: tlsReason(e as Error) });
      }
    }
    const s = this.add(new WsServerSession(this.newId(), {
      host: opts.host?.trim() || '127.0.0.1', port, mode: checkMode(opts.mode), transcriptBytes: this.transcriptBytes, newId: this.newId,
      tls: tlsPair, certPath, subprotocols: opts.subprotocols,
    }));
    return this.started(s, () => s.listen());
  }

  /** A WebSocket client (ws:// or wss://), connected once the upgrade is done. */
  async connectWs(opts: WsConnectOptions): Promise<WsConnectionSession> {
    const url = checkWsUrl(opts.url);
    const host = url.hostname;
    const port = Number(url.port) || (url.protocol === 'wss:' ? 443 : 80);
    const secure = url.protocol === 'wss:';
    const ws = new WebSocket(url, opts.protocols ?? [], {
      headers: opts.headers, perMessageDeflate: false, ca: opts.ca, rejectUnauthorized: !opts.insecure,
    });
    const s = this.add(new WsConnectionSession(this.newId(), 'ws-client', ws, {
      mode: checkMode(opts.mode), transcriptBytes: this.transcriptBytes, target: { host, port }, info: { url: url.href, secure, protocol: '' },
    }));
    s.connectOptions = { url: opts.url, protocols: opts.protocols, headers: opts.headers, insecure: opts.insecure, ca: opts.ca };
    s.armConnectTimeout(opts.timeoutMs ?? 10_000);
    return this.started(s, () => s.whenConnected());
  }

  /** The oldest closed roots beyond `closedChildrenKept`, with their children. */
  private forgetClosedRoots(): Session[] {
    const closed = this.roots().filter((s) => !s.isAlive);
    const gone = closed.slice(0, Math.max(0, closed.length - this.closedChildrenKept));
    this.forgottenRoots += gone.length;
    return gone.flatMap((s) => (isServer(s) ? [s, ...s.children] : [s]));
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Every session, oldest first (children included; group them by parentId). */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Sessions without a parent: servers, clients, UDP sockets. */
  roots(): Session[] {
    return this.all().filter((s) => s.parentId === undefined);
  }

  childrenOf(id: string): Session[] {
    const s = this.sessions.get(id);
    return s && isServer(s) ? [...s.children] : [];
  }

  get openCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.isAlive) n++;
    return n;
  }

  /** Forgets closed and failed sessions (a closed server takes its children along). */
  clearClosed(): number {
    const gone = new Set<string>();
    for (const s of this.sessions.values()) {
      const parent = s.parentId ? this.sessions.get(s.parentId) : undefined;
      if (!s.isAlive || (parent && !parent.isAlive)) gone.add(s.id);
    }
    for (const id of gone) {
      const s = this.sessions.get(id)!;
      this.sessions.delete(id);
      s.dispose();
    }
    for (const s of this.sessions.values()) if (isServer(s)) s.removeChildren(gone);
    if (gone.size) this._onDidChange.fire({ kind: 'removed' });
    return gone.size;
  }

  closeAll(): void {
    for (const s of this.roots()) s.close();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.keyLog?.close();
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
    this._onDidChange.dispose();
    this._onDidAdd.dispose();
  }
}
