// A session's traffic written live to a file: text, an xxd-style hex dump, JSON Lines, or pcapng with synthesized
// frames (the session's real addresses and ports) that Wireshark opens like a capture. One LogEncoder turns chunks
// and state changes into a format's bytes (also for exporting a transcript); a SessionLog follows sessions and
// writes with backpressure: a slow disk pauses reading the TCP connections it logs, and datagrams that arrive
// while too much is waiting are counted, never kept.
import * as fs from 'node:fs';
import { Emitter } from '../../shared/disposable';
import { HEX_BYTE } from '../../shared/format';
import { decodeText } from '../codec/encoding';
import { SocketLabError } from '../errors';
import { PcapngWriter } from '../pcap/pcapWriter';
import { type Endpoint, MAX_FRAME_PAYLOAD, parseEndpoint, tcpFrame, udpFrame } from '../pcap/synthFrames';
import type { Session, SessionEvent, SessionKind } from './session';
import type { SessionManager } from './sessionManager';
import { StreamSession } from './streamSession';
import type { TranscriptChunk } from './transcript';

export const logFormats = ['text', 'hex', 'jsonl', 'pcapng'] as const;
export type LogFormat = (typeof logFormats)[number];
export const timestampStyles = ['absolute', 'relative', 'delta'] as const;
export type TimestampStyle = (typeof timestampStyles)[number];

/** What a record needs of its session (a Session is one). */
export interface LoggedSession {
  readonly id: string;
  readonly kind: SessionKind;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly path?: string;
}

export interface LogEncoderOptions {
  timestamps?: TimestampStyle;
  /** How text is decoded for the text format (default utf-8). */
  encoding?: string;
}

const enc = new TextEncoder();
const ARROW = { in: '←', out: '→' } as const;

/** Bytes as one line of text: the encoding's characters, with \r \n \t \\ and other control characters escaped. */
function escapedText(data: Uint8Array, encoding: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what gets escaped
  return decodeText(data, encoding).replace(/[\u0000-\u001f\u007f\\]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    if (c === '\\') return '\\\\';
    return `\\x${HEX_BYTE[c.charCodeAt(0)]}`;
  });
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length);
const ASCII = Array.from({ length: 256 }, (_, b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));

/** One xxd row: offset, up to 16 bytes in pairs, their ASCII, then an optional note `xxd -r` ignores. */
function hexRow(offset: number, bytes: Uint8Array, note: string): string {
  const pairs = buf(bytes).toString('hex');
  let hex = '';
  for (let i = 0; i < pairs.length; i += 4) hex += `${pairs.slice(i, i + 4)} `;
  let ascii = '';
  for (const b of bytes) ascii += ASCII[b];
  const head = `${offset.toString(16).padStart(8, '0')}: ${hex.padEnd(40)} ${ascii}`;
  return note ? `${head.padEnd(67)}| ${note}\n` : `${head}\n`;
}

const HEX_DIGITS = enc.encode('0123456789abcdef');
const ROW_BYTES = 68; // "00000010: " + 8 groups "xxxx " + " " + 16 characters + "\n"

/** Full rows (16 bytes each, no note) of `data` at stream offset `offset` into `out` at `at`, byte by byte. */
function fullRows(out: Uint8Array, at: number, offset: number, data: Uint8Array): void {
  for (let r = 0; r < data.length; r += 16, at += ROW_BYTES) {
    const o = offset + r;
    for (let k = 0; k < 8; k++) out[at + k] = HEX_DIGITS[Math.floor(o / 16 ** (7 - k)) % 16];
    out[at + 8] = 0x3a; // ':'
    out.fill(0x20, at + 9, at + 51);
    for (let j = 0; j < 16; j++) {
      const b = data[r + j];
      const h = at + 10 + j * 2 + (j >> 1);
      out[h] = HEX_DIGITS[b >> 4];
      out[h + 1] = HEX_DIGITS[b & 15];
      out[at + 51 + j] = b >= 0x20 && b < 0x7f ? b : 0x2e;
    }
    out[at + 67] = 0x0a;
  }
}

/** Row by row as strings (offsets of more than 8 hex digits, as xxd prints them). */
function slowDump(offset: number, data: Uint8Array, note: string): string {
  let out = hexRow(offset, data.subarray(0, 16), note);
  for (let i = 16; i < data.length; i += 16) out += hexRow(offset + i, data.subarray(i, i + 16), '');
  return out;
}

/** A chunk as xxd rows: the first carries the note, the full rows between are written as bytes (a 100 MB transcript). */
function hexDump(offset: number, data: Uint8Array, note: string): Uint8Array {
  if (offset + data.length > 0xffffffff) return enc.encode(slowDump(offset, data, note)); // offsets past 8 digits
  const head = enc.encode(hexRow(offset, data.subarray(0, 16), note));
  if (data.length <= 16) return head;
  const fullEnd = 16 + Math.floor((data.length - 16) / 16) * 16;
  const tail = fullEnd < data.length ? enc.encode(hexRow(offset + fullEnd, data.subarray(fullEnd), '')) : new Uint8Array(0);
  const middle = ((fullEnd - 16) / 16) * ROW_BYTES;
  const out = new Uint8Array(head.length + middle + tail.length);
  out.set(head, 0);
  fullRows(out, head.length, offset + 16, data.subarray(16, fullEnd));
  out.set(tail, head.length + middle);
  return out;
}

/** What an event says in the text and hex formats. */
function eventText(e: SessionEvent): string {
  return e.code ? `${e.state} (${e.code})` : e.state;
}

function peerOf(s: LoggedSession, c?: TranscriptChunk): string {
  if (c?.peer) return c.peer;
  if (s.path) return s.path;
  if (s.remotePort === undefined) return '';
  const h = s.remoteAddress ?? '';
  return h.includes(':') ? `[${h}]:${s.remotePort}` : `${h}:${s.remotePort}`;
}

const base64 = (b: Uint8Array) => buf(b).toString('base64');
const hexOf = (b: Uint8Array) => buf(b).toString('hex');

/** Per TCP connection in a pcapng log: the next sequence number each way and whether each side sent its FIN. */
interface TcpFlow {
  local: Endpoint;
  remote: Endpoint;
  seq: { out: number; in: number };
  fin: { out: boolean; in: boolean };
  started: boolean;
}

const ISN = { out: 0x10000000, in: 0x20000000 };
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

/** Turns a session's chunks and events into one format's bytes, keeping what the format needs across records. */
export class LogEncoder {
  private first?: number;
  private last?: number;
  private offset = 0;
  private readonly flows = new Map<string, TcpFlow>();
  private readonly pcapng?: PcapngWriter;
  private readonly timestamps: TimestampStyle;
  private readonly encoding: string;

  constructor(
    readonly format: LogFormat,
    opts: LogEncoderOptions = {},
  ) {
    this.timestamps = opts.timestamps ?? 'absolute';
    this.encoding = opts.encoding ?? 'utf-8';
    if (format === 'pcapng') this.pcapng = new PcapngWriter({ linkType: 1, interfaceName: 'socket-lab', application: 'Socket Lab (synthesized from a session log)' });
  }

  /** Throws LOG_PCAPNG_UNIX when `s` cannot be written in this format. */
  check(s: LoggedSession): void {
    if (this.format === 'pcapng' && s.kind.startsWith('unix')) throw new SocketLabError('LOG_PCAPNG_UNIX', { path: s.path ?? '' });
  }

  /** What starts the file (pcapng's section and interface; nothing for the text formats). */
  header(): Uint8Array {
    return this.pcapng ? this.pcapng.header() : new Uint8Array(0);
  }

  /** A time as the chosen style writes it: ISO 8601 (UTC), seconds since the first record, or since the previous. */
  private stamp(time: number): string {
    this.first ??= time;
    const prev = this.last ?? time;
    this.last = time;
    if (this.timestamps === 'absolute') return new Date(time).toISOString();
    const s = (this.timestamps === 'relative' ? time - this.first : time - prev) / 1000;
    return `+${s.toFixed(3)}`;
  }

  /** `bytesBefore`: what the session had sent and received before the log began (pcapng sequence numbers). */
  chunk(s: LoggedSession, c: TranscriptChunk, data: Uint8Array, bytesBefore?: { in: number; out: number }): Uint8Array {
    if (this.pcapng) return this.chunkFrames(s, c, data, bytesBefore);
    const t = this.stamp(c.time);
    const peer = peerOf(s, c);
    if (this.format === 'jsonl') {
      const elapsed = this.timestamps === 'absolute' ? {} : { elapsed: Number(t.slice(1)) };
      return enc.encode(`${JSON.stringify({ time: new Date(c.time).toISOString(), ...elapsed, session: s.id, dir: c.dir, peer: peer || undefined, length: data.length, base64: base64(data), hex: hexOf(data) })}\n`);
    }
    if (this.format === 'text') return enc.encode(`${t}  ${s.id} ${ARROW[c.dir]} ${peer}  ${data.length} B  ${escapedText(data, this.encoding)}\n`);
    const out = hexDump(this.offset, data, `${t} ${s.id} ${c.dir} ${data.length} B ${peer}`);
    this.offset += data.length;
    return out;
  }

  event(s: LoggedSession, e: SessionEvent): Uint8Array {
    if (this.pcapng) return this.eventFrames(s, e);
    const t = this.stamp(e.time);
    if (this.format === 'jsonl') return enc.encode(`${JSON.stringify({ time: new Date(e.time).toISOString(), session: s.id, event: e.state, code: e.code, peer: peerOf(s) || undefined })}\n`);
    if (this.format === 'text') return enc.encode(`${t}  ${s.id} ── ${eventText(e)} ${peerOf(s)}\n`);
    return enc.encode(hexRow(this.offset, new Uint8Array(0), `${t} ${s.id} ${eventText(e)} ${peerOf(s)}`));
  }

  /** Records that could not be written (the disk was slower than the peers): counted where they would have been. */
  dropped(time: number, chunks: number, bytes: number): Uint8Array {
    if (this.pcapng) return new Uint8Array(0); // pcapng has no record for it; the log's counters keep it
    const t = this.stamp(time);
    if (this.format === 'jsonl') return enc.encode(`${JSON.stringify({ time: new Date(time).toISOString(), event: 'not-logged', chunks, bytes })}\n`);
    const what = `${chunks} chunk${chunks === 1 ? '' : 's'} (${bytes} B) not logged: the disk was slower than the traffic`;
    return enc.encode(this.format === 'text' ? `${t}  ${what}\n` : hexRow(this.offset, new Uint8Array(0), `${t} ${what}`));
  }

  private flowOf(s: LoggedSession): TcpFlow | undefined {
    let f = this.flows.get(s.id);
    if (f) return f;
    if (s.localPort === undefined || s.remotePort === undefined || !s.localAddress || !s.remoteAddress) return undefined;
    f = { local: { host: s.localAddress, port: s.localPort }, remote: { host: s.remoteAddress, port: s.remotePort }, seq: { ...ISN }, fin: { out: false, in: false }, started: false };
    this.flows.set(s.id, f);
    return f;
  }

  private frames(time: number, list: Uint8Array[]): Uint8Array {
    const w = this.pcapng as PcapngWriter;
    const parts = list.map((data) => w.packet({ tsMicros: time * 1000, linkType: 1, data, origLen: data.length }));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** A segment from `dir`'s side acknowledging everything the other side sent. */
  private segment(f: TcpFlow, dir: 'in' | 'out', flags: number, payload?: Uint8Array): Uint8Array {
    const other = dir === 'in' ? 'out' : 'in';
    const [src, dst] = dir === 'out' ? [f.local, f.remote] : [f.remote, f.local];
    const seg = tcpFrame({ src, dst, seq: f.seq[dir], ack: f.seq[other], flags, payload });
    f.seq[dir] = (f.seq[dir] + (payload?.length ?? 0) + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    return seg;
  }

  /** The handshake (when the log saw the connection from its start), or sequence numbers that count what it missed. */
  private start(s: LoggedSession, f: TcpFlow, bytesBefore?: { in: number; out: number }): Uint8Array[] {
    f.started = true;
    if (bytesBefore && (bytesBefore.in || bytesBefore.out)) {
      f.seq.out = (f.seq.out + 1 + bytesBefore.out) >>> 0;
      f.seq.in = (f.seq.in + 1 + bytesBefore.in) >>> 0;
      return [];
    }
    const client = s.kind.endsWith('-client') ? 'out' : 'in';
    const server = client === 'out' ? 'in' : 'out';
    const syn = this.segment(f, client, SYN);
    const synAck = this.segment(f, server, SYN | ACK);
    return [syn, synAck, this.segment(f, client, ACK)];
  }

  private chunkFrames(s: LoggedSession, c: TranscriptChunk, data: Uint8Array, bytesBefore?: { in: number; out: number }): Uint8Array {
    const list: Uint8Array[] = [];
    if (s.kind === 'udp') {
      const self = { host: s.localAddress ?? '0.0.0.0', port: s.localPort ?? 0 };
      const peer = parseEndpoint(c.peer) ?? { host: s.remoteAddress ?? '0.0.0.0', port: s.remotePort ?? 0 };
      list.push(c.dir === 'out' ? udpFrame(self, peer, data) : udpFrame(peer, self, data));
      return this.frames(c.time, list);
    }
    const f = this.flowOf(s);
    if (!f) return new Uint8Array(0);
    if (!f.started) list.push(...this.start(s, f, bytesBefore));
    for (let i = 0; i < data.length; i += MAX_FRAME_PAYLOAD) list.push(this.segment(f, c.dir, PSH | ACK, data.subarray(i, i + MAX_FRAME_PAYLOAD)));
    return this.frames(c.time, list);
  }

  private eventFrames(s: LoggedSession, e: SessionEvent): Uint8Array {
    if (s.kind === 'udp' || s.kind.endsWith('-server')) return new Uint8Array(0);
    const f = this.flowOf(s);
    if (!f) return new Uint8Array(0);
    const list: Uint8Array[] = [];
    if (!f.started && e.state === 'open') list.push(...this.start(s, f));
    const fin = (dir: 'in' | 'out') => {
      if (f.fin[dir]) return;
      f.fin[dir] = true;
      list.push(this.segment(f, dir, FIN | ACK), this.segment(f, dir === 'in' ? 'out' : 'in', ACK));
    };
    if (f.started && e.code === 'ECONNRESET') list.push(this.segment(f, 'in', RST | ACK));
    else if (f.started && e.state === 'half-closed-by-peer') fin('in');
    else if (f.started && e.state === 'half-closed-by-us') fin('out');
    else if (f.started && e.state === 'closed') {
      fin('out');
      fin('in');
    }
    return list.length ? this.frames(e.time, list) : new Uint8Array(0);
  }
}

/** How much may wait for the disk before datagrams are counted instead of written (TCP is paused long before). */
const MAX_WAITING = 4 * 1024 * 1024;

export interface SessionLogOptions extends LogEncoderOptions {
  format: LogFormat;
}

/** Open a log with `SessionLog.open`; `follow` the sessions to write; `stop` ends it. */
export class SessionLog {
  private readonly encoder: LogEncoder;
  private readonly subscriptions: { dispose(): void }[] = [];
  private readonly followed = new Map<string, { session: Session; events: number }>();
  private readonly _onDidStop = new Emitter<SocketLabError | undefined>();
  /** Fires once when the log ends: undefined when stopped, else why it stopped (disk full …). */
  readonly onDidStop = this._onDidStop.event;
  private stopped?: Promise<void>;
  private blocked = false;
  private pendingDrops = { chunks: 0, bytes: 0 };
  /** Bytes handed to the file, records written, and what could not be. */
  readonly stats = { bytes: 0, records: 0, droppedChunks: 0, droppedBytes: 0 };
  error?: SocketLabError;

  private constructor(
    readonly file: string,
    private readonly stream: fs.WriteStream,
    opts: SessionLogOptions,
  ) {
    this.encoder = new LogEncoder(opts.format, opts);
    stream.on('drain', () => this.setBlocked(false));
    stream.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
    this.write(this.encoder.header());
  }

  /** Creates `file` (never an existing one) and returns the log, or throws a SocketLabError with the fix. */
  static async open(file: string, opts: SessionLogOptions): Promise<SessionLog> {
    let fd: number;
    try {
      fd = await new Promise<number>((resolve, reject) => fs.open(file, 'wx', (e, n) => (e ? reject(e) : resolve(n))));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const key = code === 'EEXIST' ? 'LOG_EXISTS' : code === 'ENOENT' ? 'LOG_FOLDER' : code === 'EACCES' || code === 'EPERM' ? 'LOG_DENIED' : 'LOG_WRITE';
      throw new SocketLabError(key, { path: file, detail: code ?? String(e) });
    }
    return new SessionLog(file, fs.createWriteStream('', { fd, autoClose: true }), opts);
  }

  /**
   * Writes `root`'s traffic and that of every session accepted under it from now on (all of the manager's sessions,
   * present and future, without a root). Throws LOG_PCAPNG_UNIX for a Unix session in pcapng.
   */
  follow(manager: SessionManager, root?: Session): void {
    const within = (s: Session | undefined): boolean => !root || (s !== undefined && (s === root || (s.parentId !== undefined && within(manager.get(s.parentId)))));
    const list = root ? [root, ...manager.all().filter((s) => s !== root && within(s))] : manager.all();
    for (const s of list) this.encoder.check(s);
    for (const s of list) this.add(s);
    this.subscriptions.push(manager.onDidAdd((s) => {
      if (!this.stopped && within(s)) this.add(s);
    }));
  }

  private add(s: Session): void {
    if (this.followed.has(s.id)) return;
    try {
      this.encoder.check(s);
    } catch {
      return; // a Unix session met later by an all-sessions pcapng log: left out
    }
    const st = s.transcript.counters;
    const before = { in: st.bytesIn, out: st.bytesOut };
    const entry = { session: s, events: s.events.length };
    this.followed.set(s.id, entry);
    this.holdIfBlocked(s);
    this.subscriptions.push(s.transcript.onDidGrow((c) => {
      const data = s.transcript.chunkData(c.seq);
      if (!data) return this.drop(c.length);
      if (this.waitingTooLong()) return this.drop(c.length);
      this.flushDrops(c.time);
      this.write(this.encoder.chunk(s, c, data, before));
    }));
    this.subscriptions.push(s.onDidChange((kind) => {
      if (kind !== 'state') return;
      const events = s.events;
      for (; entry.events < events.length; entry.events++) this.write(this.encoder.event(s, events[entry.events]));
    }));
  }

  private waitingTooLong(): boolean {
    return this.stream.writableLength > MAX_WAITING;
  }

  private drop(bytes: number): void {
    this.pendingDrops.chunks++;
    this.pendingDrops.bytes += bytes;
    this.stats.droppedChunks++;
    this.stats.droppedBytes += bytes;
  }

  private flushDrops(time: number): void {
    if (!this.pendingDrops.chunks) return;
    this.write(this.encoder.dropped(time, this.pendingDrops.chunks, this.pendingDrops.bytes));
    this.pendingDrops = { chunks: 0, bytes: 0 };
  }

  private write(bytes: Uint8Array): void {
    if (this.stopped || this.error || bytes.length === 0) return;
    this.stats.bytes += bytes.length;
    this.stats.records++;
    if (!this.stream.write(bytes)) this.setBlocked(true);
  }

  /** Pauses (or resumes) reading the logged TCP and Unix connections while the disk is behind. */
  private setBlocked(on: boolean): void {
    if (this.blocked === on) return;
    this.blocked = on;
    for (const { session } of this.followed.values()) this.holdIfBlocked(session);
  }

  private holdIfBlocked(s: Session): void {
    if (s instanceof StreamSession) s.holdReading(this.blocked, 'log');
  }

  private fail(e: NodeJS.ErrnoException): void {
    if (this.error || this.stopped) return;
    this.error = e.code === 'ENOSPC' ? new SocketLabError('LOG_FULL', { path: this.file, bytes: this.stream.bytesWritten }) : new SocketLabError('LOG_WRITE', { path: this.file, detail: e.code ?? e.message });
    void this.stop();
  }

  /** Stops following, lets the sessions read again, and resolves once the file is closed. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      for (const d of this.subscriptions.splice(0)) d.dispose();
      this.blocked = false;
      for (const { session } of this.followed.values()) this.holdIfBlocked(session);
      const done = () => {
        this._onDidStop.fire(this.error);
        this._onDidStop.dispose();
        resolve();
      };
      if (this.stream.destroyed || this.error) {
        this.stream.destroy();
        done();
      } else this.stream.end(done);
    });
    return this.stopped;
  }
}
