// A UDP socket: bound (receives on host:port) or unbound (the OS picks a port on the first send).
// Sends to any host:port; receives from anyone. Each datagram is one message.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as os from 'node:os';
import { Framing } from '../codec/framing';
import { formatAddress, mapSocketError, SocketLabError } from '../errors';
import { promises as fs } from 'node:fs';
import { isLoopback } from './loopback';
import { RulesConversation, SendOptions, ServerMode, Session, SessionState, SessionStats, upperAscii } from './session';

export interface UdpSessionOptions {
  /** Bind address; with neither host nor port the socket stays unbound until it sends. */
  host?: string;
  port?: number;
  /** Default destination for send(). */
  remoteHost?: string;
  remotePort?: number;
  mode?: ServerMode;
  framing?: Framing;
  transcriptBytes?: number;
  /** SO_RCVBUF in bytes (the kernel may double it). */
  recvBufferSize?: number;
  /** SO_BROADCAST: may send to a broadcast address (without it the kernel answers EACCES). */
  broadcast?: boolean;
  /** SO_REUSEADDR: several receivers of one multicast group may bind the same port. */
  reuseAddr?: boolean;
  /** Groups to join once bound (IPv4 or IPv6; `source` for a source-specific join; `interface`: the local address to join on). */
  join?: MulticastJoin[];
  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS for what this socket sends to groups (default 1: the local network). */
  multicastTtl?: number;
  /** IP_MULTICAST_LOOP: whether this machine's own receivers get what it sends to a group (default on). */
  multicastLoopback?: boolean;
  /** The local address (IPv4) or interface (IPv6: `::%eth0`) that group sends leave from. */
  multicastInterface?: string;
}

export interface MulticastJoin {
  group: string;
  source?: string;
  interface?: string;
}

/** 224.0.0.0/4 or ff00::/8 (a scope such as %eth0 allowed). */
export function isMulticast(host: string): boolean {
  const h = host.split('%')[0];
  if (net.isIPv4(h)) return Number(h.split('.')[0]) >= 224 && Number(h.split('.')[0]) <= 239;
  return net.isIPv6(h) && /^ff/i.test(h);
}

/** 255.255.255.255, or an IPv4 address ending in .255 (a /24's broadcast: the usual case, a hint only). */
function looksBroadcast(host: string): boolean {
  return host === '255.255.255.255' || (net.isIPv4(host) && host.endsWith('.255'));
}

export class UdpSession extends Session {
  readonly kind = 'udp' as const;
  private socket?: dgram.Socket;
  private bound = false;
  private closed = false;
  private lastPeer?: { address: string; port: number; label: string };
  private bindingFirst?: Promise<void>;
  private _kernelDrops?: number;
  private readonly joined = new Map<string, MulticastJoin>();
  private _broadcast: boolean;

  constructor(id: string, private readonly opts: UdpSessionOptions) {
    super(id, opts);
    this.localAddress = opts.host;
    this.localPort = opts.port;
    this.remoteAddress = opts.remoteHost;
    this.remotePort = opts.remotePort;
    this._broadcast = opts.broadcast ?? false;
  }

  /** Groups joined (`group` or `source→group`). */
  get groups(): string[] {
    return [...this.joined.keys()];
  }

  get broadcast(): boolean {
    return this._broadcast;
  }

  get isBound(): boolean {
    return this.bound;
  }

  get label(): string {
    // both ends when both are known: two sockets sending to one server stay apart, and the destination stays in sight
    const to = this.remoteAddress && this.remotePort !== undefined ? `→ ${formatAddress(this.remoteAddress, this.remotePort)}` : undefined;
    if (this.bound) return to ? `${formatAddress(this.localAddress, this.localPort)} ${to}` : formatAddress(this.localAddress, this.localPort);
    return to ?? 'udp (unbound)';
  }

  get state(): SessionState {
    if (this.error) return 'failed';
    return this.closed ? 'closed' : 'open';
  }

  /** Binds when asked to (host or port given); otherwise resolves at once. */
  async open(): Promise<void> {
    const notGroup = this.opts.join?.find((j) => !isMulticast(j.group));
    const unbound = this.opts.join?.length && this.opts.host === undefined && this.opts.port === undefined;
    if (notGroup || unbound) {
      const e = notGroup ? new SocketLabError('EMCAST_ADDR', { addr: notGroup.group }) : new SocketLabError('EMCAST_UNBOUND', { addr: this.opts.join![0].group });
      this.fail(e);
      this.closed = true;
      this.markClosed();
      throw e;
    }
    if (this.opts.host === undefined && this.opts.port === undefined) return;
    const host = this.opts.host ?? '127.0.0.1';
    const sock = this.ensureSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        const mapped = mapSocketError(err, { host, port: this.opts.port });
        this.fail(mapped);
        this.closed = true;
        try {
          sock.close();
        } catch {
          // never started
        }
        this.markClosed();
        reject(mapped);
      };
      sock.once('error', onError);
      sock.bind({ address: host, port: this.opts.port ?? 0, exclusive: true }, () => {
        sock.off('error', onError);
        try {
          this.afterBind(sock);
          resolve();
        } catch (e) {
          reject(e); // a socket option refused: the session failed with its sentence
        }
      });
    });
  }

  private afterBind(sock: dgram.Socket): void {
    this.bound = true;
    const a = sock.address();
    this.localAddress = a.address;
    this.localPort = a.port;
    if (this.opts.recvBufferSize) {
      try {
        sock.setRecvBufferSize(this.opts.recvBufferSize);
      } catch {
        // the kernel caps it at net.core.rmem_max; the smaller buffer still works
      }
    }
    this.applyOptions(sock);
    this.changed('state');
  }

  /** Socket options given at open, applied once bound (a failure is the session's error, with its sentence). */
  private applyOptions(sock: dgram.Socket): void {
    const o = this.opts;
    try {
      if (this._broadcast) sock.setBroadcast(true);
      if (o.multicastTtl !== undefined) sock.setMulticastTTL(o.multicastTtl);
      if (o.multicastLoopback !== undefined) sock.setMulticastLoopback(o.multicastLoopback);
      if (o.multicastInterface) sock.setMulticastInterface(o.multicastInterface);
      for (const j of o.join ?? []) this.joinNow(sock, j);
    } catch (e) {
      const err = e instanceof SocketLabError ? e : this.multicastError(e, o.multicastInterface ?? '');
      this.fail(err);
      this.close();
      throw err;
    }
  }

  private multicastError(e: unknown, what: string): SocketLabError {
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    if (code === 'EADDRNOTAVAIL' || code === 'ENODEV') return new SocketLabError('EMCAST_IFACE', { addr: what });
    if (code === 'EINVAL') return new SocketLabError('EMCAST_INVALID', { addr: what });
    return mapSocketError(e, { host: what });
  }

  private joinNow(sock: dgram.Socket, j: MulticastJoin): void {
    if (!isMulticast(j.group)) throw new SocketLabError('EMCAST_ADDR', { addr: j.group });
    if (j.source !== undefined && !net.isIP(j.source)) throw new SocketLabError('EMCAST_SOURCE', { addr: j.source });
    // an IPv4 socket cannot join an IPv6 group (the kernel says ENOPROTOOPT); an IPv6 socket joins both
    if (net.isIPv6(j.group) && sock.address().family === 'IPv4') throw new SocketLabError('EMCAST_FAMILY', { addr: j.group });
    const key = j.source ? `${j.source}→${j.group}` : j.group;
    try {
      if (j.source) sock.addSourceSpecificMembership(j.source, j.group, j.interface);
      else sock.addMembership(j.group, j.interface);
    } catch (e) {
      throw this.multicastError(e, j.interface ?? j.group);
    }
    this.joined.set(key, j);
  }

  /** Joins a multicast group (source-specific with `source`) on a bound socket. */
  joinGroup(j: MulticastJoin): void {
    if (!this.socket || !this.bound) throw new SocketLabError('EMCAST_UNBOUND', { addr: j.group });
    this.joinNow(this.socket, j);
    this.changed('mode');
  }

  /** Leaves a group joined before (`source→group` or `group`, as `groups` lists them). */
  leaveGroup(key: string): void {
    const j = this.joined.get(key);
    if (!j || !this.socket) return;
    try {
      if (j.source) this.socket.dropSourceSpecificMembership(j.source, j.group, j.interface);
      else this.socket.dropMembership(j.group, j.interface);
    } catch {
      // the socket is closing, or the kernel dropped it already
    }
    this.joined.delete(key);
    this.changed('mode');
  }

  /** SO_BROADCAST on or off (takes effect at once when bound, else at bind). */
  setBroadcast(on: boolean): void {
    this._broadcast = on;
    if (this.socket && this.bound) this.socket.setBroadcast(on);
    this.changed('mode');
  }

  private ensureSocket(type: 'udp4' | 'udp6'): dgram.Socket {
    if (this.socket) return this.socket;
    const sock = dgram.createSocket({ type, reuseAddr: this.opts.reuseAddr ?? false });
    this.socket = sock;
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    sock.on('error', (err) => {
      // errors after bind (rare for UDP): the socket is unusable
      this.fail(mapSocketError(err, { host: this.localAddress, port: this.localPort }));
      this.closed = true;
      try {
        sock.close();
      } catch {
        // already closed
      }
    });
    sock.on('close', () => {
      this.closed = true;
      this.conv?.dispose();
      this.markClosed();
    });
    return sock;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // one string per peer, not per datagram
    const lp = this.lastPeer;
    if (!lp || lp.address !== rinfo.address || lp.port !== rinfo.port) this.lastPeer = { address: rinfo.address, port: rinfo.port, label: formatAddress(rinfo.address, rinfo.port) };
    const peer = this.lastPeer!.label;
    this.transcript.append('in', msg, peer);
    this.dataChanged();
    const mode = this._mode;
    if (this._rules) {
      const sock = this.socket!;
      // answers go back to whoever sent this datagram; UDP has no connection a rule could close
      this.conv ??= this._rules.conversation({ stream: false });
      this.conv.receive(msg, {
        send: (out) => {
          if (this.closed) return;
          this.transcript.append('out', out, peer);
          this.dataChanged();
          sock.send(out, rinfo.port, rinfo.address, () => undefined);
        },
        close: () => undefined,
      });
    } else if (mode === 'echo' || mode === 'upper') {
      const out = mode === 'echo' ? msg : upperAscii(msg);
      this.transcript.append('out', out, peer);
      this.socket!.send(out, rinfo.port, rinfo.address, () => undefined);
    }
    if (mode !== 'sink') this.deliver(msg, peer);
  }

  private conv?: RulesConversation;
  protected override dropRules(): void {
    this.conv?.dispose();
    this.conv = undefined;
    super.dropRules();
  }

  /** The last peer heard from (so a manual answer goes back to whoever spoke). */
  get lastPeerAddress(): string | undefined {
    return this.lastPeer && formatAddress(this.lastPeer.address, this.lastPeer.port);
  }

  private target(opts?: SendOptions): { host: string; port: number } | undefined {
    if (opts?.port !== undefined) return { host: opts.host ?? '127.0.0.1', port: opts.port };
    if (this.remotePort !== undefined) return { host: this.remoteAddress ?? '127.0.0.1', port: this.remotePort };
    if (this.lastPeer) return { host: this.lastPeer.address, port: this.lastPeer.port };
    return undefined;
  }

  send(bytes: Uint8Array, opts?: SendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new SocketLabError('ECLOSED', { addr: this.label }));
    const to = this.target(opts);
    if (!to) return Promise.reject(new SocketLabError('ENOTARGET'));
    let data: Uint8Array;
    try {
      data = this.frame(bytes, opts);
    } catch (e) {
      return Promise.reject(e);
    }
    const v6 = net.isIPv6(to.host.replace(/^\[|\]$/g, ''));
    const zoneError = v6 ? unknownZone(to.host, to.port) : undefined;
    if (zoneError) return Promise.reject(zoneError);
    const sock = this.ensureSocket(v6 ? 'udp6' : 'udp4');
    // an unbound socket would be bound to every interface by its first send: to loopback, bind loopback first; with
    // socket options to set (broadcast, multicast), bind as the first send would, so they are set before it
    const o = this.opts;
    const options = this._broadcast || o.multicastTtl !== undefined || o.multicastLoopback !== undefined || !!o.multicastInterface;
    if (!this.bound && !this.bindingFirst && (isLoopback(to.host) || options)) {
      const address = isLoopback(to.host) ? (v6 ? '::1' : '127.0.0.1') : v6 ? '::' : '0.0.0.0';
      this.bindingFirst = new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(mapSocketError(err, { host: address, port: 0 }));
        sock.once('error', onError);
        sock.bind({ address, port: 0, exclusive: true }, () => {
          sock.off('error', onError);
          try {
            this.afterBind(sock);
            resolve();
          } catch (e) {
            reject(e);
          }
        });
      });
    }
    if (this.bindingFirst && !this.bound) return this.bindingFirst.then(() => this.send(bytes, opts));
    return new Promise((resolve, reject) => {
      sock.send(data, to.port, to.host, (err) => {
        if (err) {
          // a failed send leaves the socket usable: report, do not fail the session
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EACCES' && !this._broadcast && looksBroadcast(to.host)) reject(new SocketLabError('EACCES_BROADCAST', { addr: formatAddress(to.host, to.port) }));
          else reject(mapSocketError(err, { host: to.host, port: to.port, size: data.length }));
          return;
        }
        if (!this.bound) {
          try {
            this.afterBind(sock);
          } catch {
            // not bound after all (socket closed meanwhile)
          }
        }
        this.transcript.append('out', data, formatAddress(to.host, to.port));
        this.dataChanged();
        resolve();
      });
    });
  }

  /** A datagram is all-or-nothing, so a stream (file) is sent as one datagram. */
  async sendStream(chunks: AsyncIterable<Uint8Array>, _totalBytes?: number, opts?: SendOptions): Promise<number> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of chunks) {
      n += c.length;
      if (n > 65507) throw new SocketLabError('EMSGSIZE', { size: n });
      parts.push(c);
    }
    const all = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    await this.send(all, opts);
    return n;
  }

  /** Reads the kernel's per-socket drop counter (Linux); kept off the data path. */
  async refreshKernelDrops(): Promise<number | undefined> {
    if (!this.bound || this.localPort === undefined) return undefined;
    this._kernelDrops = await udpSocketDrops(this.localPort);
    return this._kernelDrops;
  }

  override get stats(): SessionStats {
    return { ...super.stats, kernelDrops: this._kernelDrops };
  }

  halfClose(): void {
    // UDP has no connection to half-close; nothing to do
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) {
      try {
        this.socket.close();
      } catch {
        this.markClosed();
      }
    } else {
      this.markClosed();
    }
  }
}

/** Kernel-counted drops of the UDP socket bound to `port` (last column of /proc/net/udp). */
async function udpSocketDrops(port: number): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  let total: number | undefined;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      if (parseInt(f[1].split(':')[1] ?? '', 16) === port) total = (total ?? 0) + Number(f[f.length - 1]);
    }
  }
  return total;
}

/** An IPv6 address's scope (fe80::1%eth0) that names no interface here: libuv would drop it and send unscoped. */
function unknownZone(host: string, port: number): SocketLabError | undefined {
  const zone = host.replace(/^\[|\]$/g, '').split('%')[1];
  if (zone === undefined || /^\d+$/.test(zone)) return undefined;
  const names = Object.keys(os.networkInterfaces());
  if (names.includes(zone)) return undefined;
  return new SocketLabError('EZONE', { addr: formatAddress(host, port), zone, names: names.join(', ') });
}
