// Runs .wire blocks on real sockets: a client block step by step (each step's result goes to a callback, for the CLI
// and for the editor's decorations), a server block as a SessionManager server answering by its rules.
import { isUtf8 } from 'node:buffer';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { WebSocket } from 'ws';
import { formatHex } from '../../shared/format';
import { decodeText } from '../codec/encoding';
import { renderText } from '../panels/renderText';
import { encodeFrame, Framing, lengthHeader } from '../codec/framing';
import { mapSocketError, SocketLabError, formatAddress } from '../errors';
import type { ListenerSession } from '../sessions/listenerSession';
import { checkWsUrl, parseHostPort, SessionManager } from '../sessions/sessionManager';
import type { UdpSession } from '../sessions/udpSession';
import { checkUnixPath } from '../sessions/unixPath';
import { CERT_FILE, defaultCacheDir } from '../tls/selfSigned';
import { describeTls } from '../tls/tlsInfo';
import { blockLabel, WireBlock, WireFile, WireStep, WireStepKind } from './wireParser';
import { blockSettings, byteLengthOf, payloadBytes, variableResolver, WireRules } from './wireRules';
import { evalTemplate, TemplateScope } from './wireTemplates';

export type WireStepStatus = 'pass' | 'fail' | 'skip';

/** Bytes as a user reads them: escaped text in the block's encoding and hex (both cut after `shownBytes`). */
export interface WireBytes {
  readonly text: string;
  readonly hex: string;
  readonly bytes: number;
  /** The text in Chinese, when it is a description (a FIN, a connection still open) rather than bytes. */
  readonly textZh?: string;
}

export interface WireStepResult {
  /** The block's index, the step's position (line, column) and text as written. */
  readonly block: number;
  readonly line: number;
  readonly column: number;
  readonly kind: WireStepKind;
  readonly source: string;
  readonly status: WireStepStatus;
  /** How long the step took (0 for a skipped one). */
  readonly ms: number;
  /** Why it failed, in both languages. */
  readonly message?: string;
  readonly messageZh?: string;
  /**
   * How the connection failed it, when it did: the socket's error code (ECONNRESET, EPIPE, ECONNREFUSED …), or EOF
   * when the peer closed before what was expected came.
   */
  readonly code?: string;
  /**
   * What an expect wanted: bytes (text and hex; when no whole message came on a framed stream, the frame with its
   * length prefix or line end, so what is missing shows), or a description (/regex/, 4 bytes, the peer closes; `textZh` its Chinese).
   */
  readonly expected?: { readonly text: string; readonly textZh?: string; readonly hex?: string; readonly bytes?: number };
  /** What arrived instead (when no whole message came on a framed stream, the bytes as they came), or, for a pass, what was consumed. */
  readonly got?: WireBytes;
  /** Bytes a send step sent. */
  readonly sent?: number;
}

export interface WireBlockResult {
  readonly block: number;
  readonly name?: string;
  readonly label: string;
  readonly line: number;
  readonly status: 'pass' | 'fail';
  readonly ms: number;
  readonly steps: readonly WireStepResult[];
}

export interface WireRunOptions {
  /** --var values: they win over the file's @name = value. */
  readonly variables?: ReadonlyMap<string, string>;
  /** Where `send file` paths are relative to (the script's folder). */
  readonly baseDir?: string;
  /** An expect's limit when the block sets no timeout (default 5 s). */
  readonly defaultTimeoutMs?: number;
  /** How long a regex matching up to the end of a raw stream's bytes waits for more (default REGEX_SETTLE_MS). */
  readonly regexSettleMs?: number;
  /** Stops the run: the current step fails with the signal's reason, the rest are skipped. */
  readonly signal?: AbortSignal;
  /** `connect tls` trusts the system's CAs and the self-signed certificate Socket Lab keeps here (default: the CLI's cache folder). */
  readonly tlsCacheDir?: string;
  readonly onStepStart?: (step: WireStep, block: WireBlock) => void;
  readonly onStep?: (result: WireStepResult, block: WireBlock) => void;
}

/** How long a regex that matched up to the end of a raw stream's bytes waits for more that may extend the match. */
export const REGEX_SETTLE_MS = 30;

/** Bytes shown of what was expected or received: the rest is counted, not printed. */
export const shownBytes = 256;
const reported = new Set<WireStepKind>(['connect', 'send', 'expect', 'wait', 'half-close', 'close']);


export function viewBytes(b: Uint8Array, encoding: string): WireBytes {
  const cut = b.length > shownBytes ? b.subarray(0, shownBytes) : b;
  const more = b.length > shownBytes ? ` … (${b.length - shownBytes} more bytes)` : '';
  // as the session panel shows them: bytes the encoding cannot read as \xNN (never U+FFFD), controls escaped; the
  // line breaks renderText adds after an escaped \n are for its multi-line view, not for this one line
  const text = renderText(cut, encoding)
    .map((p) => (p.e ? p.t : p.t.replace(/\n/g, '').replace(/[\\"\t]/g, (c) => (c === '\t' ? '\\t' : `\\${c}`))))
    .join('');
  return { text: `"${text}"${more}`, hex: formatHex(cut) + more, bytes: b.length };
}

/** Why a step failed, with both languages. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly messageZh: string,
    readonly got?: Uint8Array,
    readonly code?: string,
  ) {
    super(message);
  }
}

function fromError(e: unknown, got?: Uint8Array): StepFailure {
  if (e instanceof StepFailure) return e;
  if (e instanceof SocketLabError) return new StepFailure(e.message, e.localized('zh-cn'), got, e.code);
  const err = e as { message?: string; messageZh?: string };
  return new StepFailure(err.message ?? String(e), err.messageZh ?? err.message ?? String(e), got);
}

/** What has arrived on the client's socket and not been consumed by an expect yet. */
class Inbox {
  /** Stream sockets: bytes in order. */
  buf: Buffer = Buffer.alloc(0);
  /** UDP: datagrams in order. */
  readonly datagrams: Buffer[] = [];
  /** The peer finished sending (FIN), or the socket closed. */
  ended = false;
  error?: SocketLabError;
  private wake?: () => void;

  push(b: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, b]) : b;
    this.changed();
  }
  pushDatagram(b: Buffer): void {
    if (this.datagrams.length < 10_000) this.datagrams.push(b); // a flood beyond this is not what a script expects
    this.changed();
  }
  end(error?: SocketLabError): void {
    this.ended = true;
    this.error ??= error;
    this.changed();
  }
  changed(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  /** Resolves on the next arrival, end, abort, or at `deadline`. */
  next(deadline: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, Math.max(0, deadline - performance.now()));
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}

/** The client's socket: TCP or unix (a stream) or a connected UDP socket. */
interface Link {
  readonly stream: boolean;
  readonly inbox: Inbox;
  write(bytes: Uint8Array): Promise<void>;
  sendFile(file: string, framing: Framing): Promise<number>;
  halfClose(): void;
  close(): void;
  /**
   * After the peer's end was read as a FIN: whether the connection was in fact reset. libuv reads an RST that comes
   * in the same wake-up as the last bytes as an end of stream (POLLHUP after a partial read), so a FIN and an RST look
   * alike to 'end'; a zero-byte write tells them apart without sending anything (it fails on a reset socket only).
   */
  probeReset(): Promise<SocketLabError | undefined>;
  /** Our own address (TCP, UDP), for {{local_host}} and {{local_port}}. */
  readonly local?: { readonly host: string; readonly port: number };
}

function abortReason(signal: AbortSignal): StepFailure {
  const r = signal.reason as { message?: string; messageZh?: string } | undefined;
  if (r && typeof r.message === 'string' && !(r instanceof DOMException)) return new StepFailure(r.message, r.messageZh ?? r.message);
  return new StepFailure('stopped', '已停止');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `connect ws|wss URL`: each WebSocket message is one message for expect (as a datagram is), each send one message
 * (text when it is UTF-8, else binary); wss trusts the system's CAs and Socket Lab's own certificate, unless insecure.
 */
async function connectWs(url: string, opts: { insecure?: boolean; cacheDir?: string }, timeoutMs: number, signal?: AbortSignal): Promise<Link> {
  const u = checkWsUrl(url);
  const inbox = new Inbox();
  const ctx = { host: u.hostname, port: Number(u.port) || (u.protocol === 'wss:' ? 443 : 80) };
  const own = path.join(opts.cacheDir ?? defaultCacheDir(), CERT_FILE);
  const ca = u.protocol === 'wss:' && fs.existsSync(own) ? [...tls.rootCertificates, fs.readFileSync(own, 'utf8')] : undefined;
  const ws = new WebSocket(u, { perMessageDeflate: false, ca, rejectUnauthorized: !opts.insecure, handshakeTimeout: timeoutMs });
  // before the handshake ends: a server's first message can come with its answer to the upgrade
  ws.on('message', (d: Buffer | ArrayBuffer | Buffer[]) => inbox.pushDatagram(Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d as Buffer)));
  ws.on('close', () => inbox.end());
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => fail(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    function fail(e: unknown) {
      signal?.removeEventListener('abort', onAbort);
      ws.terminate();
      reject(e);
    }
    ws.once('unexpected-response', (_q, res) => fail(new SocketLabError('WS_HANDSHAKE', { addr: formatAddress(ctx.host, ctx.port), detail: `HTTP ${res.statusCode ?? '?'}` })));
    ws.once('error', (e: NodeJS.ErrnoException) => fail(e.code && !e.code.startsWith('WS_ERR_') ? mapSocketError(e, ctx) : new SocketLabError('WS_HANDSHAKE', { addr: formatAddress(ctx.host, ctx.port), detail: e.message })));
    ws.once('open', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
  ws.on('error', (e) => inbox.end(mapSocketError(e, ctx)));
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (ws.readyState !== WebSocket.OPEN) return reject(new SocketLabError('ECLOSED', { addr: url }));
      ws.send(bytes, { binary: !isUtf8(bytes) }, (err) => (err ? reject(mapSocketError(err, ctx)) : resolve()));
    });
  const raw = (ws as unknown as { _socket?: net.Socket })._socket;
  return {
    stream: false,
    inbox,
    local: raw?.localAddress && raw.localPort ? { host: raw.localAddress, port: raw.localPort } : undefined,
    write,
    async sendFile(file) {
      const data = await fs.promises.readFile(file);
      await write(data);
      return data.length;
    },
    halfClose: () => ws.close(1000),
    probeReset: () => Promise.resolve(undefined),
    close: () => {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      setTimeout(() => ws.terminate(), 1000).unref();
    },
  };
}

/** A TLS client's socket: verified after the handshake (so the failure is Socket Lab's sentence), unless insecure. */
function connectTlsSocket(host: string, port: number, opts: { insecure?: boolean; cacheDir?: string }): tls.TLSSocket {
  const own = path.join(opts.cacheDir ?? defaultCacheDir(), CERT_FILE);
  const ca = fs.existsSync(own) ? [...tls.rootCertificates, fs.readFileSync(own, 'utf8')] : undefined;
  const servername = net.isIP(host) ? undefined : host;
  return tls.connect({ host, port, servername, ca, allowHalfOpen: true, noDelay: true, rejectUnauthorized: false } as tls.ConnectionOptions);
}

async function connectStream(target: { host?: string; port?: number; path?: string; tls?: { insecure?: boolean; cacheDir?: string } }, timeoutMs: number, signal?: AbortSignal): Promise<Link> {
  const inbox = new Inbox();
  const ctx = target.path !== undefined ? { path: target.path } : { host: target.host, port: target.port };
  const bare = target.host?.replace(/^\[|\]$/g, '') ?? '';
  const socket: net.Socket =
    target.path !== undefined
      ? net.connect({ path: target.path, allowHalfOpen: true })
      : target.tls
        ? connectTlsSocket(bare, target.port!, target.tls)
        : net.connect({ host: bare, port: target.port!, allowHalfOpen: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => fail(mapSocketError({ code: 'ETIMEDOUT' }, ctx)), timeoutMs);
    const onAbort = () => fail(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    function fail(e: unknown) {
      cleanup();
      socket.destroy();
      reject(e);
    }
    const onError = (e: Error) => fail(mapSocketError(e, ctx));
    socket.once('error', onError);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      const err = target.tls && !target.tls.insecure ? describeTls(socket as tls.TLSSocket, 'client', { ...ctx, name: bare }).verifyError : undefined;
      if (err) return fail(new SocketLabError(err.code, err.params, err.messageKey));
      cleanup();
      resolve();
    });
  });
  socket.on('data', (b: Buffer) => inbox.push(b));
  socket.on('end', () => inbox.end());
  socket.on('error', (e) => inbox.end(mapSocketError(e, ctx)));
  socket.on('close', () => inbox.end());
  const notWritable = () => (inbox.error ? inbox.error : new SocketLabError('EPIPE', { addr: target.path ?? formatAddress(target.host, target.port) }));
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (!socket.writable) return reject(notWritable());
      socket.write(bytes, (err) => (err ? reject(inbox.error ?? mapSocketError(err, ctx)) : resolve()));
    });
  return {
    stream: true,
    inbox,
    local: target.path === undefined && socket.localAddress !== undefined && socket.localPort !== undefined ? { host: socket.localAddress, port: socket.localPort } : undefined,
    write,
    async sendFile(file, framing) {
      const size = (await fs.promises.stat(file)).size;
      if (framing.kind === 'length') await write(lengthHeader(size, framing));
      let last = -1;
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 64 * 1024 })) {
        const c = chunk as Buffer;
        if (!c.length) continue;
        await write(c); // one chunk at a time: memory stays bounded whatever the file's size
        last = c[c.length - 1];
      }
      if (framing.kind === 'line' && last !== 0x0a) await write(Uint8Array.of(0x0a));
      return size;
    },
    halfClose: () => {
      if (socket.writable) socket.end();
    },
    probeReset: () =>
      new Promise((resolve) => {
        if (!socket.writable || socket.destroyed) return resolve(undefined);
        socket.write(Buffer.alloc(0), (err) => {
          const e = err ? mapSocketError(err, ctx) : undefined;
          if (e) inbox.end(e);
          resolve(e);
        });
      }),
    close: () => {
      if (socket.writableLength > 0 && socket.writable) {
        socket.end(() => socket.destroy());
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
    },
  };
}

async function connectUdp(host: string, port: number, signal?: AbortSignal): Promise<Link> {
  const inbox = new Inbox();
  const h = host.replace(/^\[|\]$/g, '');
  const ctx = { host: h, port };
  const sock = dgram.createSocket(net.isIPv6(h) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      sock.close();
      reject(mapSocketError(e, ctx));
    };
    if (signal?.aborted) return reject(abortReason(signal));
    sock.once('error', onError);
    sock.connect(port, h, () => {
      sock.off('error', onError);
      resolve();
    });
  });
  sock.on('message', (m) => inbox.pushDatagram(m));
  // a connected UDP socket hears ICMP "port unreachable" as ECONNREFUSED: nobody listens there
  sock.on('error', (e) => inbox.end(mapSocketError(e, ctx)));
  let closed = false;
  sock.on('close', () => {
    closed = true;
    inbox.end();
  });
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (closed) return reject(new SocketLabError('ECLOSED', { addr: formatAddress(h, port) }));
      sock.send(bytes, (err) => (err ? reject(mapSocketError(err, { ...ctx, size: bytes.length })) : resolve()));
    });
  const own = sock.address();
  return {
    stream: false,
    inbox,
    local: { host: own.address, port: own.port },
    write,
    async sendFile(file) {
      const size = (await fs.promises.stat(file)).size;
      if (size > 65507) throw new SocketLabError('EMSGSIZE', { size });
      await write(await fs.promises.readFile(file));
      return size;
    },
    halfClose: () => undefined,
    probeReset: () => Promise.resolve(undefined),
    close: () => {
      if (!closed) sock.close();
    },
  };
}

/** The next whole message of a framed stream in `buf` (a line without its LF/CRLF, a frame without its prefix), if complete. */
function nextFrame(buf: Buffer, framing: Framing): { message: Buffer; used: number } | undefined {
  if (framing.kind === 'line') {
    const lf = buf.indexOf(0x0a);
    if (lf < 0) return undefined;
    const end = lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf;
    return { message: buf.subarray(0, end), used: lf + 1 };
  }
  if (framing.kind === 'length') {
    if (buf.length < framing.size) return undefined;
    const n = framing.size === 2 ? (framing.endian === 'le' ? buf.readUInt16LE(0) : buf.readUInt16BE(0)) : framing.endian === 'le' ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
    if (buf.length < framing.size + n) return undefined;
    return { message: buf.subarray(framing.size, framing.size + n), used: framing.size + n };
  }
  return undefined;
}

type Expectation = Extract<WireStep, { kind: 'expect' }>['expect'];

/** Runs one client block; never throws (a failure is a step's result). */
export async function runClientBlock(file: WireFile, block: WireBlock, opts: WireRunOptions = {}): Promise<WireBlockResult> {
  const variable = variableResolver(file, opts.variables);
  const started = performance.now();
  const results: WireStepResult[] = [];
  let counter = 0;
  let captures: string[] | undefined;
  const scope = (): TemplateScope => ({ variable, counter: () => ++counter, captures, local: link?.local });
  let encoding = 'utf-8';
  let framing: Framing = { kind: 'raw' };
  let timeoutMs = opts.defaultTimeoutMs ?? 5000;
  let link: Link | undefined;
  let failed = false;
  const signal = opts.signal;

  const expect = async (e: Expectation, deadline: number): Promise<{ got?: Uint8Array; expected?: WireStepResult['expected'] }> => {
    const l = link!;
    const inbox = l.inbox;
    let want: Buffer | undefined;
    if (e.kind === 'text' || e.kind === 'hex') {
      const b = payloadBytes(e, scope(), encoding);
      want = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    }
    // described only when it fails: a passing step of a long script should cost no text
    const describeExpected = (asFrame = false): WireStepResult['expected'] => {
      if (want) {
        // when no whole message came, the frame as it must arrive: a missing length prefix or line end is then visible
        const framed = asFrame && streamFraming ? encodeFrame(want, framing) : want;
        const v = viewBytes(framed, encoding);
        return { text: v.text, hex: v.hex, bytes: framed.length };
      }
      if (e.kind === 'regex') return { text: String(e.regex) };
      if (e.kind === 'bytes') return { text: `${e.count} byte${e.count === 1 ? '' : 's'}`, textZh: `${e.count} 字节` };
      if (e.kind === 'reset') return { text: 'RST: the peer resets the connection', textZh: 'RST：对方复位连接' };
      return { text: 'the peer closes the connection', textZh: '对方关闭连接' };
    };
    const expected = undefined;
    const messages = !l.stream || framing.kind !== 'raw';
    const streamFraming = l.stream && framing.kind !== 'raw';
    const fail = (en: string, zh: string, got?: Uint8Array, gotText?: readonly [string, string], code?: string, asFrame = false): never => {
      throw Object.assign(new StepFailure(en, zh, got, code), { expected: describeExpected(asFrame), ...(gotText ? { gotText: gotText[0], gotTextZh: gotText[1] } : {}) });
    };
    /** Bytes that came on a framed stream but are no whole message: why, in the framing's terms (appended to the failure). */
    const framingNote = (): [string, string] => {
      if (!streamFraming || !inbox.buf.length) return ['', ''];
      if (framing.kind === 'line') return ['; the expected message was to end with a line break (framing line), and none came', '；期望的消息应以换行结尾（framing line），但没有收到换行'];
      if (framing.kind !== 'length') return ['', ''];
      const { size, endian } = framing;
      const name = `len${size}${endian}`;
      const width = `${size}-byte ${endian === 'be' ? 'big' : 'little'}-endian length (framing ${name})`;
      const widthZh = `${size} 字节${endian === 'be' ? '大端' : '小端'}长度（framing ${name}）`;
      if (inbox.buf.length < size) return [`; the expected message was to be framed by a ${width}, and only ${inbox.buf.length} byte${inbox.buf.length === 1 ? '' : 's'} came`, `；期望的消息应以 ${widthZh}作为前缀，但只收到 ${inbox.buf.length} 字节`];
      const n = size === 2 ? (endian === 'le' ? inbox.buf.readUInt16LE(0) : inbox.buf.readUInt16BE(0)) : endian === 'le' ? inbox.buf.readUInt32LE(0) : inbox.buf.readUInt32BE(0);
      const head = formatHex(inbox.buf.subarray(0, size));
      return [
        `; the expected message was to be framed by a ${width}: the first ${size} bytes that came, ${head}, read as a length announce ${n} bytes, and ${inbox.buf.length - size} came after them`,
        `；期望的消息应以 ${widthZh}作为前缀：最先到达的 ${size} 字节 ${head} 作为长度表示 ${n} 字节，而其后只到达了 ${inbox.buf.length - size} 字节`,
      ];
    };
    /**
     * The connection has ended and nothing is unread: `expect closed` takes any end (a FIN, or a reset, as it always
     * has); `expect reset` only a reset, and says so when the peer closed in order instead.
     */
    const ended = async (): Promise<{ expected: undefined }> => {
      if (e.kind === 'closed' || isReset(inbox.error)) return { expected };
      if (!inbox.error && isReset(await l.probeReset())) return { expected };
      if (inbox.error) return fail(inbox.error.message, inbox.error.localized('zh-cn'), undefined, undefined, inbox.error.code);
      return fail('the peer closed the connection in order (a FIN), not with a reset (RST)', '对方以正常方式（FIN）关闭了连接，而不是复位（RST）', undefined, ['FIN: the peer closed the connection in order', 'FIN：对方正常关闭了连接']);
    };
    const endWord = e.kind === 'reset' ? 'reset' : 'close';
    const endWordZh = e.kind === 'reset' ? '连接复位' : '连接关闭';
    /** When a regex matched up to the end of the bytes so far: it waits until then for the rest of the match. */
    let settleUntil: number | undefined;
    for (;;) {
      if (signal?.aborted) throw Object.assign(abortReason(signal), { expected: describeExpected(), got: l.stream ? inbox.buf : undefined });
      if (messages) {
        // one whole message: a datagram, a line, a frame
        let m: Buffer | undefined;
        if (!l.stream) m = inbox.datagrams.shift();
        else {
          const f = nextFrame(inbox.buf, framing);
          if (f) {
            m = f.message;
            inbox.buf = inbox.buf.subarray(f.used);
          }
        }
        if (e.kind === 'closed' || e.kind === 'reset') {
          if (m) fail(`got a message instead of the ${endWord}`, `收到了一条消息，而不是${endWordZh}`, m);
          if (inbox.ended && inbox.buf.length === 0) return await ended();
          if (inbox.ended) fail(`the peer closed with ${inbox.buf.length} bytes that are not a whole message`, `对方关闭时留下 ${inbox.buf.length} 字节，不是完整的消息`, inbox.buf);
        } else if (m) {
          if (want) {
            if (!m.equals(want)) fail('the message differs', '消息不一致', m);
          } else if (e.kind === 'regex') {
            const found = e.regex.exec(decodeText(m, encoding));
            if (!found) fail(`the message does not match ${e.regex}`, `消息不匹配 ${e.regex}`, m);
            captures = [...found!];
          } else if (e.kind === 'bytes' && m.length !== e.count) fail(`the message has ${m.length} bytes, not ${e.count}`, `消息有 ${m.length} 字节，而不是 ${e.count} 字节`, m);
          return { got: m, expected };
        } else if (inbox.ended) {
          const why = inbox.error ? inbox.error.message : 'the peer closed the connection before the message came';
          const whyZh = inbox.error ? inbox.error.localized('zh-cn') : '对方在消息到达之前关闭了连接';
          const [note, noteZh] = inbox.error ? ['', ''] : framingNote();
          fail(why + note, whyZh + noteZh, l.stream ? inbox.buf : undefined, undefined, inbox.error?.code ?? 'EOF', note !== '');
        }
      } else {
        const buf = inbox.buf;
        if (e.kind === 'closed' || e.kind === 'reset') {
          if (buf.length) fail(`got ${buf.length} more byte${buf.length === 1 ? '' : 's'} instead of the ${endWord}`, `收到了另外 ${buf.length} 字节，而不是${endWordZh}`, buf);
          if (inbox.ended) return await ended();
        } else if (want) {
          const n = Math.min(buf.length, want.length);
          if (!buf.subarray(0, n).equals(want.subarray(0, n))) fail('the bytes differ', '字节不一致', buf.subarray(0, Math.max(want.length, Math.min(buf.length, shownBytes))));
          if (buf.length >= want.length) {
            inbox.buf = buf.subarray(want.length);
            return { got: buf.subarray(0, want.length), expected };
          }
        } else if (e.kind === 'bytes') {
          if (buf.length >= e.count) {
            inbox.buf = buf.subarray(e.count);
            return { got: buf.subarray(0, e.count), expected };
          }
        } else if (e.kind === 'regex') {
          const text = decodeText(buf, encoding);
          const found = buf.length ? e.regex.exec(text) : null;
          // A match reaching the end of what arrived may be cut short by TCP ("PING 1" of "PING 12"): a raw stream
          // has no message ends, so more bytes arriving within REGEX_SETTLE_MS may still belong to it.
          if (found && found.index + found[0].length === text.length && !inbox.ended) {
            settleUntil ??= performance.now() + (opts.regexSettleMs ?? REGEX_SETTLE_MS);
            if (performance.now() < settleUntil) {
              await inbox.next(Math.min(deadline, settleUntil), signal);
              continue;
            }
          }
          if (found) {
            const used = Math.min(buf.length, byteLengthOf(text.slice(0, found.index + found[0].length), encoding));
            inbox.buf = buf.subarray(used);
            captures = [...found];
            return { got: buf.subarray(0, used), expected };
          }
        }
        if (inbox.ended) {
          const why = inbox.error ? inbox.error.message : buf.length ? `the peer closed the connection after ${buf.length} byte${buf.length === 1 ? '' : 's'}` : 'the peer closed the connection before sending anything';
          const whyZh = inbox.error ? inbox.error.localized('zh-cn') : buf.length ? `对方在发送 ${buf.length} 字节后关闭了连接` : '对方没有发送任何数据就关闭了连接';
          fail(why, whyZh, buf, undefined, inbox.error?.code ?? 'EOF');
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        const ms = Math.round(deadline - stepStart);
        if (e.kind === 'reset') fail(`the connection was not reset within ${ms} ms`, `${ms} 毫秒内连接没有被复位`, l.stream ? inbox.buf : undefined, ['the connection still open', '连接仍然打开']);
        const [note, noteZh] = e.kind === 'closed' ? ['', ''] : framingNote();
        fail(`nothing matching came within ${ms} ms${note}`, `${ms} 毫秒内没有收到匹配的数据${noteZh}`, l.stream ? inbox.buf : undefined, undefined, undefined, note !== '');
      }
      await inbox.next(deadline, signal);
    }
  };

  let stepStart = 0;
  const run = async (s: WireStep): Promise<Partial<WireStepResult>> => {
    if (signal?.aborted) throw abortReason(signal);
    switch (s.kind) {
      case 'connect': {
        const addr = evalTemplate(s.address, scope());
        if (s.proto === 'unix') link = await connectStream({ path: checkUnixPath(addr) }, timeoutMs, signal);
        else if (s.proto === 'ws' || s.proto === 'wss') link = await connectWs(addr, { insecure: s.insecure, cacheDir: opts.tlsCacheDir }, timeoutMs, signal);
        else {
          const hp = parseHostPort(addr, false);
          const host = hp.host ?? '127.0.0.1';
          const tlsOpts = s.proto === 'tls' ? { insecure: s.insecure, cacheDir: opts.tlsCacheDir } : undefined;
          link = s.proto === 'udp' ? await connectUdp(host, hp.port, signal) : await connectStream({ host, port: hp.port, tls: tlsOpts }, timeoutMs, signal);
        }
        return {};
      }
      case 'send': {
        if (!link) throw new StepFailure('not connected', '尚未连接');
        if (s.payload.kind === 'file') {
          const p = evalTemplate(s.payload.path, scope());
          const full = path.resolve(opts.baseDir ?? process.cwd(), p);
          let st: fs.Stats;
          try {
            st = await fs.promises.stat(full);
          } catch {
            throw new StepFailure(`no file at ${full}`, `${full} 处没有文件`);
          }
          if (!st.isFile()) throw new StepFailure(`${full} is not a file`, `${full} 不是文件`);
          return { sent: await link.sendFile(full, link.stream ? framing : { kind: 'raw' }) };
        }
        const bytes = payloadBytes(s.payload, scope(), encoding);
        const framed = link.stream ? encodeFrame(bytes, framing) : bytes;
        await link.write(framed);
        return { sent: framed.length };
      }
      case 'expect': {
        if (!link) throw new StepFailure('not connected', '尚未连接');
        const r = await expect(s.expect, stepStart + (s.withinMs ?? timeoutMs));
        // a pass shows what a regex or a byte count took (an exact match took what was expected)
        const shown = r.got && (s.expect.kind === 'regex' || s.expect.kind === 'bytes');
        return { got: shown ? viewBytes(r.got!, encoding) : undefined };
      }
      case 'wait':
        await sleep(s.ms, signal);
        return {};
      case 'half-close':
        link?.halfClose();
        return {};
      case 'close':
        link?.close();
        return {};
      case 'encoding':
        encoding = s.encoding;
        return {};
      case 'framing':
        framing = s.framing;
        return {};
      case 'timeout':
        timeoutMs = s.ms;
        return {};
      default:
        return {};
    }
  };

  // a run stopped before this block began (the CLI's --timeout, Ctrl+C) skips it whole: no step of it failed
  const stoppedBefore = signal?.aborted === true;
  for (const s of block.steps) {
    if (s.kind === 'on' || s.kind === 'listen') continue;
    const shown = reported.has(s.kind);
    if (stoppedBefore) {
      if (shown) report({ block: block.index, line: s.line, column: s.column, kind: s.kind, source: s.source, status: 'skip', ms: 0 });
      continue;
    }
    const base = { block: block.index, line: s.line, column: s.column, kind: s.kind, source: s.source };
    if (failed) {
      if (shown) report({ ...base, status: 'skip', ms: 0 });
      continue;
    }
    if (shown) opts.onStepStart?.(s, block);
    stepStart = performance.now();
    try {
      const extra = await run(s);
      if (shown) report({ ...base, ...extra, status: 'pass', ms: elapsed(stepStart) });
    } catch (e) {
      failed = true;
      const f = fromError(e);
      const extra = e as { expected?: WireStepResult['expected']; got?: Uint8Array; gotText?: string; gotTextZh?: string };
      const got = f.got ?? extra.got;
      // what came when it was no bytes (a FIN where a reset was expected) is described instead
      const gotView = got?.length ? viewBytes(got, encoding) : extra.gotText ? { text: extra.gotText, textZh: extra.gotTextZh, hex: '', bytes: 0 } : undefined;
      report({ ...base, status: 'fail', ms: elapsed(stepStart), message: f.message, messageZh: f.messageZh, ...(f.code ? { code: f.code } : {}), expected: extra.expected, got: gotView });
    }
  }
  link?.close();
  return { block: block.index, name: block.name, label: blockLabel(block), line: block.line, status: failed || stoppedBefore ? 'fail' : 'pass', ms: elapsed(started), steps: results };

  function report(r: WireStepResult): void {
    results.push(r);
    opts.onStep?.(r, block);
  }
}

/** Whether the connection ended by a reset: ECONNRESET on a read, or EPIPE (writing after the reset was seen). */
function isReset(error: SocketLabError | undefined): boolean {
  return error?.code === 'ECONNRESET' || error?.code === 'EPIPE';
}

const elapsed = (from: number) => Math.round((performance.now() - from) * 10) / 10;

/** A server block being served: its session (in the manager, so the Connections tree shows it) and its rules. */
export interface ServedBlock {
  readonly block: WireBlock;
  readonly session: ListenerSession | UdpSession;
  readonly rules: WireRules;
  /** Where it listens: host:port or the socket path. */
  readonly address: string;
  dispose(): void;
}

/** Starts a server block in `manager`, answering by its rules; rejects with the socket's error (EADDRINUSE …). */
export async function serveBlock(manager: SessionManager, file: WireFile, block: WireBlock, opts: { variables?: ReadonlyMap<string, string> } = {}): Promise<ServedBlock> {
  const ep = block.endpoint;
  if (!ep || ep.kind !== 'listen') throw new SocketLabError('ENOSERVER', { what: 'a block that starts with listen can serve' });
  const variable = variableResolver(file, opts.variables);
  const rules = new WireRules(block, variable);
  const { framing, encoding } = blockSettings(block);
  const addr = evalTemplate(ep.address, { variable, counter: () => 0 });
  let session: ListenerSession | UdpSession;
  try {
    if (ep.proto === 'unix') session = await manager.startUnixServer({ path: addr, framing });
    else {
      const hp = parseHostPort(addr);
      if (ep.proto === 'tls') session = await manager.startTlsServer({ host: hp.host, port: hp.port, framing });
      else session = ep.proto === 'tcp' ? await manager.startTcpServer({ host: hp.host, port: hp.port, framing }) : await manager.openUdp({ host: hp.host ?? '127.0.0.1', port: hp.port });
    }
  } catch (e) {
    rules.dispose();
    throw e;
  }
  session.setEncoding(encoding);
  if (ep.proto !== 'unix' && session.localAddress !== undefined && session.localPort !== undefined) rules.local = { host: session.localAddress, port: session.localPort };
  session.setRules(rules);
  const address = ep.proto === 'unix' ? addr : formatAddress(session.localAddress, session.localPort);
  return {
    block,
    session,
    rules,
    address,
    dispose: () => {
      session.close();
      rules.dispose();
    },
  };
}
