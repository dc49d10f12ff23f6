// A connected byte stream: TCP or Unix client, or a connection a server accepted.
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { KEYLOG_LINES_KEPT } from '../tls/keyLog';
import { describeTls } from '../tls/tlsInfo';
import { ErrorContext, formatAddress, mapSocketError, SocketLabError } from '../errors';
import { Framing, lengthHeader } from '../codec/framing';
import { ReceivedMessage, RulesConversation, RulesOutput, SendOptions, ServerMode, Session, SessionKind, SessionState, isInetStream, upperAscii } from './session';

export interface StreamSessionOptions {
  mode?: ServerMode;
  framing?: Framing;
  transcriptBytes?: number;
  parentId?: string;
  /** Where the client connects (for its label and error sentences before it is connected). */
  target?: { host?: string; port?: number; path?: string };
  /** Accepted connections: forwards messages to the server's listeners. */
  forward?: { hasListeners(): boolean; fire(m: ReceivedMessage): void };
  /** Accepted unix connections have no peer address, so they are numbered. */
  ordinal?: number;
  /** TLS clients: go on with a server the client does not trust (its failure stays in the summary). */
  insecure?: boolean;
  /** TLS clients: the name asked for (SNI, none for an IP address); the certificate is checked against it, else the host. */
  servername?: string;
  /** TLS accepted connections: the secrets the server logged during the handshake. */
  keyLog?: string[];
}

/** Modes that answer on their own, so they also close their side once the peer has finished. */
const automatic = new Set<ServerMode>(['echo', 'upper', 'sink', 'print-only']);

export class StreamSession extends Session {
  private connected: boolean;
  private readonly forward?: StreamSessionOptions['forward'];
  private readonly ordinal?: number;
  private peer?: string;
  private echoPaused = false;
  private connectTimer?: NodeJS.Timeout;

  constructor(
    id: string,
    readonly kind: SessionKind,
    readonly socket: net.Socket,
    opts: StreamSessionOptions,
  ) {
    super(id, opts);
    this.connected = kind.endsWith('-accepted');
    this._keyLog = opts.keyLog ?? [];
    if (kind === 'tls-accepted') this.tls = describeTls(socket as tls.TLSSocket, 'server');
    if (kind === 'tls-client') socket.on('keylog', (line: Buffer) => this.recordKeyLog(line.toString('latin1')));
    this.forward = opts.forward;
    this.ordinal = opts.ordinal;
    this.path = opts.target?.path;
    this.remoteAddress = opts.target?.host;
    this.remotePort = opts.target?.port;
    if (this.connected) this.fillAddresses();
    if (!this.connected) socket.once(this.connectEvent, () => {
      if (kind === 'tls-client' && !this.checkServer(opts)) return;
      this.connected = true;
      this.clearConnectTimer();
      this.fillAddresses();
      this.changed('state');
    });
    socket.on('data', (buf: Buffer) => this.onData(buf));
    socket.on('end', () => {
      for (const m of this.decoder?.flush() ?? []) this.emitMessage({ data: m, peer: this.peer, sessionId: this.id });
      this.changed('state'); // the peer's FIN, also when an automatic mode closes its side right after
      if (this._rules) {
        // answering by rules: the rest is matched and delayed answers go out before our FIN
        const conv = this.conversation();
        void conv.end(this.rulesOut).then(() => {
          if (this.conv === conv && socket.writable) {
            this.finishWrites();
            this.changed('state');
          }
        });
      } else if (automatic.has(this._mode) && socket.writable) {
        this.finishWrites();
        this.changed('state');
      }
    });
    socket.on('error', (err) => this.fail(mapSocketError(err, this.ctx)));
    socket.on('close', () => {
      this.clearConnectTimer();
      this.conv?.dispose();
      this.markClosed();
    });
  }

  /** A TLS client is connected once the handshake is done. */
  private get connectEvent(): string {
    return this.kind === 'tls-client' ? 'secureConnect' : 'connect';
  }

  /** TLS clients after the handshake: the summary, and a server not trusted fails the session unless insecure. */
  private checkServer(opts: StreamSessionOptions): boolean {
    const socket = this.socket as tls.TLSSocket;
    const host = this.remoteAddress?.replace(/^\[|\]$/g, '');
    this.tls = describeTls(socket, 'client', { host: this.remoteAddress, port: this.remotePort, name: opts.servername ?? host, sni: opts.servername });
    const err = this.tls.verifyError;
    if (!err || opts.insecure) return true;
    this.clearConnectTimer();
    this.fail(new SocketLabError(err.code, err.params, err.messageKey));
    socket.destroy();
    return false;
  }

  private _keyLog: string[];
  override get keyLogLines(): readonly string[] {
    return this._keyLog;
  }
  /** One secret line (with its newline): kept (bounded) and passed to the live key log. */
  recordKeyLog(line: string): void {
    if (this._keyLog.length < KEYLOG_LINES_KEPT) this._keyLog.push(line);
    this.keyLogSink?.(line);
  }

  private conv?: RulesConversation;
  private conversation(): RulesConversation {
    return (this.conv ??= this._rules!.conversation({ stream: true, peer: this.peer }));
  }
  /** Rules' answers go out as they are (the rules frame them), recorded like any other sent bytes. */
  private readonly rulesOut: RulesOutput = {
    send: (bytes) => {
      if (!this.socket.writable) return;
      this.transcript.append('out', bytes, this.peer);
      this.dataChanged();
      this.socket.write(bytes);
    },
    close: () => this.close(),
  };

  protected override dropRules(): void {
    this.conv?.dispose();
    this.conv = undefined;
    super.dropRules();
  }

  /** Where this session points, for error sentences (the name the user typed until connected). */
  private get ctx(): ErrorContext {
    return { host: this.remoteAddress, port: this.remotePort, path: this.path };
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  private resumeAfterDrain(): void {
    if (!this.echoPaused) return;
    this.echoPaused = false;
    if (!this.held) this.socket.resume();
  }

  /** Who holds reading (the CLI's blocked stdout, a log behind its disk): reading resumes when none does. */
  private readonly holders = new Set<string>();
  private get held(): boolean {
    return this.holders.size > 0;
  }
  /**
   * Stops reading while `on`: the kernel's buffers fill and TCP pushes back on the peer, so nothing piles up here
   * (the CLI holds its connections while its stdout is blocked, a session log while its disk is behind).
   */
  holdReading(on: boolean, holder = 'output'): void {
    if (this.holders.has(holder) === on) return;
    const was = this.held;
    if (on) this.holders.add(holder);
    else this.holders.delete(holder);
    if (this.held === was) return;
    if (on) this.socket.pause();
    else if (!this.echoPaused) this.socket.resume();
  }

  /** Resolves once connected; rejects with the mapped error if the connection fails first. */
  whenConnected(): Promise<void> {
    const s = this.socket;
    const settled = (): SocketLabError | undefined => (this.error ? new SocketLabError(this.error.code, this.error.params, this.error.messageKey) : undefined);
    if (this.state !== 'connecting') {
      const err = settled() ?? (s.destroyed ? new SocketLabError('ECLOSED', { addr: this.label }) : undefined);
      return err ? Promise.reject(err) : Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      // listeners registered after the constructor's, so `connected` and `error` are already set when these run
      const onConnect = () => {
        s.off('close', onClose);
        const err = settled();
        if (err) reject(err);
        else resolve();
      };
      const onClose = () => {
        s.off(this.connectEvent, onConnect);
        reject(settled() ?? new SocketLabError('ECLOSED', { addr: this.label }));
      };
      s.once(this.connectEvent, onConnect);
      s.once('close', onClose);
    });
  }

  /** Closes the connection with EIDLE after `ms` without traffic either way (Node's socket timeout counts reads and writes). */
  setIdleTimeout(ms: number): void {
    if (!(ms > 0)) return;
    this.socket.setTimeout(ms);
    this.socket.once('timeout', () => {
      this.fail(new SocketLabError('EIDLE', { addr: this.label, seconds: Math.round(ms / 100) / 10 }));
      this.socket.destroy();
    });
  }

  /** Clients: fail with ETIMEDOUT if the connection is not up within `ms`. */
  armConnectTimeout(ms: number): void {
    if (this.connected || ms <= 0) return;
    this.connectTimer = setTimeout(() => {
      if (!this.connected) this.socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, ms);
  }

  private fillAddresses(): void {
    const s = this.socket;
    if (isInetStream(this.kind)) {
      this.localAddress = s.localAddress;
      this.localPort = s.localPort;
      this.remoteAddress = s.remoteAddress ?? this.remoteAddress;
      this.remotePort = s.remotePort ?? this.remotePort;
      if (this.kind === 'tcp-accepted' || this.kind === 'tls-accepted') this.peer = formatAddress(this.remoteAddress, this.remotePort);
    } else if (this.kind === 'unix-accepted') {
      this.peer = this.label;
    }
  }

  get label(): string {
    if (this.kind === 'unix-client') return this.path ?? '';
    if (this.kind === 'unix-accepted') return `${this.path ?? ''} #${this.ordinal ?? 0}`;
    return formatAddress(this.remoteAddress, this.remotePort);
  }

  get state(): SessionState {
    if (this.error) return 'failed';
    const s = this.socket;
    if (s.destroyed) return 'closed';
    if (!this.connected) return 'connecting';
    switch (s.readyState) {
      case 'readOnly':
        return 'half-closed-by-us';
      case 'writeOnly':
        return 'half-closed-by-peer';
      case 'closed':
        return 'closed';
      default:
        return 'open';
    }
  }

  override setMode(mode: ServerMode): void {
    super.setMode(mode);
    if (this.echoPaused && mode !== 'echo' && mode !== 'upper') {
      this.echoPaused = false;
      if (!this.held) this.socket.resume();
    }
  }

  private onData(buf: Buffer): void {
    this.transcript.append('in', buf, this.peer);
    this.dataChanged();
    const mode = this._mode;
    if (this._rules) this.conversation().receive(buf, this.rulesOut);
    else if (mode === 'echo' || mode === 'upper') {
      const out = mode === 'echo' ? buf : upperAscii(buf);
      this.transcript.append('out', out, this.peer);
      // like socket.pipe(socket): stop reading while the peer is not reading our answers
      if (!this.socket.write(out) && !this.echoPaused) {
        this.echoPaused = true;
        this.socket.pause();
        this.socket.once('drain', () => this.resumeAfterDrain());
      }
    }
    if (mode !== 'sink') this.deliver(buf, this.peer, (m) => this.emitMessage(m));
  }

  private emitMessage(m: ReceivedMessage): void {
    this.fireMessage(m);
    this.forward?.fire(m);
  }

  protected override hasForeignListeners(): boolean {
    return this.forward?.hasListeners() ?? false;
  }

  private notWritable(): SocketLabError {
    const closed = this.socket.destroyed || this.error !== undefined;
    const ctx = { ...this.ctx, host: this.ctx.host ?? this.remoteAddress, port: this.ctx.port ?? this.remotePort };
    if (closed) return new SocketLabError('ECLOSED', { addr: this.label });
    return mapSocketError({ code: 'EPIPE' }, ctx);
  }

  send(bytes: Uint8Array, opts?: SendOptions): Promise<void> {
    let data: Uint8Array;
    try {
      data = this.frame(bytes, opts);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!this.socket.writable) return Promise.reject(this.notWritable());
    return new Promise((resolve, reject) => {
      this.transcript.append('out', data, this.peer);
      this.dataChanged();
      this.socket.write(data, (err) => (err ? reject(mapSocketError(err, this.ctx)) : resolve()));
    });
  }

  async sendStream(chunks: AsyncIterable<Uint8Array>, totalBytes?: number, opts?: SendOptions): Promise<number> {
    const framing = opts?.framing ?? this.framing;
    if (framing.kind === 'length') {
      if (totalBytes === undefined) throw new SocketLabError('EUNKNOWN', { detail: 'length-prefixed framing needs the total size' });
      await this.writeChunk(lengthHeader(totalBytes, framing));
    }
    let sent = 0;
    let last = -1;
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      await this.writeChunk(chunk);
      sent += chunk.length;
      last = chunk[chunk.length - 1];
    }
    if (framing.kind === 'line' && last !== 0x0a) await this.writeChunk(Uint8Array.of(0x0a));
    await this.flushed();
    return sent;
  }

  /** Writes one chunk and, when the socket's buffer is full, waits for 'drain' (memory stays bounded). */
  private writeChunk(chunk: Uint8Array): Promise<void> {
    const s = this.socket;
    if (!s.writable) return Promise.reject(this.error ? mapSocketError({ code: this.error.code }, this.ctx) : this.notWritable());
    this.transcript.append('out', chunk, this.peer);
    this.dataChanged();
    if (s.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        if (s.destroyed && s.writableLength > 0) reject(this.error ? new SocketLabError(this.error.code, this.error.params, this.error.messageKey) : this.notWritable());
        else resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  /** Resolves once Node's own write queue is empty (the bytes are in the kernel). */
  private flushed(): Promise<void> {
    const s = this.socket;
    if (s.writableLength === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        if (s.writableLength > 0) reject(this.error ? new SocketLabError(this.error.code, this.error.params, this.error.messageKey) : this.notWritable());
        else resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  halfClose(): void {
    if (this.socket.writable) {
      this.socket.end();
      this.changed('state');
    }
  }

  /** Ends our side once queued writes are out (echo answers reach the peer before our FIN). */
  private finishWrites(): void {
    this.socket.end();
  }

  close(): void {
    const s = this.socket;
    if (s.destroyed) return;
    this.clearConnectTimer();
    if (s.writable && s.writableLength > 0 && this.connected) {
      // let queued bytes leave, but never wait on a peer that does not read
      s.end();
      const t = setTimeout(() => s.destroy(), 1000);
      t.unref();
      s.once('finish', () => s.destroy());
      s.once('close', () => clearTimeout(t));
    } else {
      s.destroy();
    }
  }
}
