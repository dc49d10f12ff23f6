// A TCP or Unix-domain server. It owns the sessions of the clients it accepted.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Emitter } from '../../shared/disposable';
import { formatAddress, mapSocketError, SocketLabError } from '../errors';
import { Framing } from '../codec/framing';
import { findListeners } from '../ossockets/socketTable';
import { ParentSession } from './parentSession';
import { ReceivedMessage, RulesResponder, ServerMode, SessionError, SessionKind, SessionState } from './session';
import { StreamSession } from './streamSession';
import { clientHandshakeError } from '../tls/tlsInfo';

export interface ListenerSessionOptions {
  host?: string;
  port?: number;
  path?: string;
  mode?: ServerMode;
  framing?: Framing;
  transcriptBytes?: number;
  backlog?: number;
  /** Accepted connections close with EIDLE after this long without traffic either way; 0 or undefined: never. */
  idleTimeoutMs?: number;
  /** Gives each accepted connection its id. */
  newId: () => string;
  /** TLS servers: the certificate, key and other node:tls server options. */
  tls?: tls.TlsOptions;
  /** TLS servers: where the certificate is kept when Socket Lab made it (for the hint on trusting it). */
  certPath?: string;
}

export class ListenerSession extends ParentSession<StreamSession> {
  readonly server: net.Server;
  private ordinal = 0;
  private listenedOnce = false;
  /** Connections refused because the process (EMFILE) or the system (ENFILE) had no descriptor left. */
  refusedConnections = 0;
  /** The sentence of the last refusal, for the tree and the CLI. */
  lastRefusal?: SessionError;
  private readonly _onDidRefuse = new Emitter<SocketLabError>();
  /** Fires for each connection refused at the descriptor limit. */
  readonly onDidRefuse = this._onDidRefuse.event;
  private readonly _onDidFailHandshake = new Emitter<SocketLabError>();
  /** TLS servers: fires for each failed handshake (the connection never becomes a session). */
  readonly onDidFailHandshake = this._onDidFailHandshake.event;

  constructor(
    id: string,
    readonly kind: Extract<SessionKind, 'tcp-server' | 'unix-server' | 'tls-server'>,
    private readonly opts: ListenerSessionOptions,
  ) {
    super(id, opts);
    this.path = opts.path;
    this.localAddress = opts.host;
    this.localPort = opts.port;
    this.certPath = opts.certPath;
    this.server = opts.tls
      ? this.tlsServer(opts.tls)
      : net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      // listen errors are handled (and mapped with the port holder) in listen()
      if (!this.listenedOnce) return;
      // accept() at the descriptor limit: that connection is lost, the server still listens
      if (err.code === 'EMFILE' || err.code === 'ENFILE') return this.refuse(err.code);
      this.fail(mapSocketError(err, { host: opts.host, port: opts.port, path: opts.path }));
      this.server.close();
    });
    this.server.on('close', () => this.markClosed());
    // near the descriptor limit accept() is capped (maxConnections): Node then closes the connection and says so
    this.server.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => this.refuse(this.lowOnDescriptors ?? 'EMFILE', d));
  }

  /** TLS servers: the certificate Socket Lab made and keeps, for clients to trust. */
  readonly certPath?: string;
  /** TLS servers: handshakes that failed (a client that does not trust the certificate, or does not speak TLS). */
  handshakeFailures = 0;
  /** The sentence of the last failed handshake. */
  lastHandshakeFailure?: SessionError;
  private readonly childBySocket = new WeakMap<net.Socket, StreamSession>();
  /** Secrets logged during handshakes, until the connection is accepted and takes them. */
  private readonly pendingKeyLog = new WeakMap<net.Socket, string[]>();

  private tlsServer(options: tls.TlsOptions): tls.Server {
    const server = tls.createServer({ ...options, allowHalfOpen: true, noDelay: true } as tls.TlsOptions, (s) => this.accept(s));
    server.on('keylog', (line: Buffer, socket: tls.TLSSocket) => {
      const text = line.toString('latin1');
      const child = this.childBySocket.get(socket);
      if (child) return child.recordKeyLog(text);
      const lines = this.pendingKeyLog.get(socket) ?? [];
      if (lines.length < 16) lines.push(text);
      this.pendingKeyLog.set(socket, lines);
      this.keyLogSink?.(text);
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      this.handshakeFailures++;
      const peer = formatAddress(socket.remoteAddress, socket.remotePort);
      const e = clientHandshakeError(err, peer, this.certPath, options.ALPNProtocols as string[] | undefined);
      this.lastHandshakeFailure = { code: e.code, message: e.message, params: e.params, messageKey: e.messageKey };
      this._onDidFailHandshake.fire(e);
      this.changed('children');
    });
    return server;
  }

  override get keyLogLines(): readonly string[] {
    return this._children.flatMap((c) => c.keyLogLines);
  }

  /** Set while fewer than two descriptors are free (the code that said so); lifted when a connection closes. */
  private lowOnDescriptors?: 'EMFILE' | 'ENFILE';
  private fdLimit?: number;

  /** A connection that was refused because no descriptor was left: counted, and said in one coded sentence. */
  private refuse(code: 'EMFILE' | 'ENFILE', peer?: { remoteAddress?: string; remotePort?: number }): void {
    this.refusedConnections++;
    const who = peer?.remoteAddress ? formatAddress(peer.remoteAddress, peer.remotePort) : this.label;
    const limit = code === 'EMFILE' ? this.fdLimit : undefined;
    const err = new SocketLabError(code, { peer: who, limit: limit ?? '', addr: this.label }, code === 'EMFILE' && limit === undefined ? 'EMFILE_NOLIMIT' : code);
    this.lastRefusal = { code: err.code, message: err.message, params: err.params, messageKey: err.messageKey };
    this._onDidRefuse.fire(err);
    this.changed('children');
  }

  /** After each accept: with fewer than two free descriptors, cap accepting so the next connection is refused in the open. */
  private checkDescriptors(): void {
    const low = descriptorsLow();
    if (low === this.lowOnDescriptors) return;
    this.lowOnDescriptors = low;
    this.server.maxConnections = low ? Math.max(1, this._children.filter((c) => !c.socket.destroyed).length) : Infinity;
  }

  get label(): string {
    return this.kind === 'unix-server' ? (this.path ?? '') : formatAddress(this.localAddress, this.localPort);
  }

  get state(): SessionState {
    if (this.error) return 'failed';
    if (this.server.listening) return 'listening';
    return this.listenedOnce || this.closing ? 'closed' : 'connecting';
  }

  /** Starts listening; rejects with a mapped error (EADDRINUSE names the holder when the OS tells). */
  listen(): Promise<void> {
    const { host, port, path, backlog } = this.opts;
    return new Promise<void>((resolve, reject) => {
      const onError = async (err: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        if (path && err.code === 'EADDRINUSE' && (await isStaleUnixSocket(path))) {
          // a socket file left behind by a crashed server: nobody answers on it, so reuse the path
          try {
            fs.unlinkSync(path);
            this.server.once('error', onError);
            this.server.once('listening', onListening);
            this.server.listen({ path, backlog });
            return;
          } catch {
            // fall through to the EADDRINUSE sentence
          }
        }
        let holder: string | undefined;
        if (!path && err.code === 'EADDRINUSE' && port) {
          const h = (await findListeners(port).catch(() => [])).find((s) => s.pid !== undefined);
          if (h) holder = `${h.command ?? '?'} (pid ${h.pid})`;
        }
        const mapped = mapSocketError(err, { host, port, path, holder });
        this.fail(mapped);
        reject(mapped);
      };
      const onListening = () => {
        this.server.off('error', onError);
        this.listenedOnce = true;
        this.fdLimit = openFilesLimit(); // now, while a descriptor is free to read it
        const a = this.server.address();
        if (a && typeof a === 'object') {
          this.localAddress = a.address;
          this.localPort = a.port;
        }
        this.changed('state');
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      if (path) this.server.listen({ path, backlog });
      else this.server.listen({ host, port, backlog, ipv6Only: false });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const kind = this.kind === 'tcp-server' ? 'tcp-accepted' : this.kind === 'tls-server' ? 'tls-accepted' : 'unix-accepted';
    const child = new StreamSession(this.opts.newId(), kind, socket, {
      keyLog: this.pendingKeyLog.get(socket),
      mode: this._mode,
      framing: this.framing,
      transcriptBytes: this.opts.transcriptBytes,
      parentId: this.id,
      target: { path: this.path },
      ordinal: ++this.ordinal,
      forward: { hasListeners: () => this.hasMessageListeners, fire: (m: ReceivedMessage) => this.fireMessage(m) },
    });
    child.budgets = this.budgets;
    child.keyLogSink = this.keyLogSink;
    if (this.kind === 'tls-server') this.childBySocket.set(socket, child);
    if (this._rules) child.setRules(this._rules);
    child.setIdleTimeout(this.opts.idleTimeoutMs ?? 0);
    // a closed connection gives its descriptor back: accept again
    if (process.platform !== 'win32') socket.once('close', () => {
        if (this.lowOnDescriptors) this.checkDescriptors();
      });
    this.adopt(child);
    if (process.platform !== 'win32') this.checkDescriptors();
  }

  /** Open connections switch too, each starting a fresh conversation. */
  override setRules(rules: RulesResponder | undefined): void {
    super.setRules(rules);
    for (const c of this._children) if (c.isAlive) c.setRules(rules);
  }

  protected canSend(c: StreamSession): boolean {
    return c.socket.writable;
  }

  override dispose(): void {
    if (this.disposed) return;
    super.dispose();
    this._onDidRefuse.dispose();
    this._onDidFailHandshake.dispose();
  }
}

/** EMFILE/ENFILE when fewer than two descriptors can be opened now, else undefined. */
function descriptorsLow(): 'EMFILE' | 'ENFILE' | undefined {
  const fds: number[] = [];
  try {
    for (let i = 0; i < 2; i++) fds.push(fs.openSync('/dev/null', 'r'));
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE' ? code : undefined;
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** The soft limit on open files (Linux: /proc/self/limits), or undefined where it cannot be read. */
function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** True when `path` is a socket file nobody accepts on (ECONNREFUSED). */
function isStaleUnixSocket(path: string): Promise<boolean> {
  try {
    if (!fs.statSync(path).isSocket()) return Promise.resolve(false);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const s = net.connect({ path });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** OpenSSL's reason ("tlsv1 alert unknown ca") out of a handshake error, else its code. */
export function tlsReason(err: { code?: string; reason?: string; message?: string }): string {
  return (err as { reason?: string }).reason ?? err.code ?? err.message ?? '?';
}
