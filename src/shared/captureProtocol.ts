// The one protocol between the extension (CaptureManager) and the capture helper process.
// Wire format on stdin/stdout: frames of `u32 length (BE, of the payload) | u8 kind | payload`.
// kind 1 = JSON control message (an RpcEnvelope from rpc.ts), kind 2 = binary packet batch.
import type { RpcEnvelope } from './rpc';
import { isRpcEnvelope } from './rpc';
import type { PacketRecord } from './packet';
import { isObj, isUint } from './validate';

export const FrameKind = { Control: 1, Packets: 2 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const FRAME_HEADER_BYTES = 5;
/** No frame may be larger than this; a bigger length means a broken stream. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Limits both sides check before a capture starts. */
export const CaptureLimits = {
  maxFilterLength: 1024,
  minSnaplen: 64,
  maxSnaplen: 262_144,
  defaultSnaplen: 262_144,
  minBufferSize: 1024 * 1024,
  maxBufferSize: 512 * 1024 * 1024,
  /** With it at ~100k pps on lo: dumpcap lost 0 %, tcpdump ~1 %, cap ~5 % (bench/capture.bench.ts, docs/reliability.md). */
  defaultBufferSize: 64 * 1024 * 1024,
} as const;

export type CaptureEngine = 'cap' | 'dumpcap' | 'tcpdump';
export type CaptureEngineChoice = 'auto' | CaptureEngine;

export interface CaptureInterface {
  readonly name: string;
  readonly description?: string;
  readonly addresses: readonly string[];
  readonly loopback: boolean;
}

export interface EngineStatus {
  readonly engine: CaptureEngine;
  readonly available: boolean;
  /** Why it cannot be used, in one sentence with the fix. */
  readonly reason?: string;
}

/** Error codes a capture can fail with; each comes with one sentence that says the fix. */
export type CaptureErrorCode =
  | 'EPERM' // no permission to capture
  | 'ENOENGINE' // no engine can run here
  | 'EBADIF' // interface not in the enumerated list
  | 'EBADFILTER' // filter too long or rejected by libpcap
  | 'EBADARG' // snaplen / buffer size out of range
  | 'EBUSY' // capture id already running
  | 'ENOCAPTURE' // no such capture
  | 'EENGINE' // the engine failed for another reason
  | 'EHELPER'; // the helper process is missing or died

export interface CaptureError {
  readonly code: CaptureErrorCode;
  readonly message: string;
}

export interface StartRequest {
  readonly type: 'start';
  /** Chosen by the extension, so packet batches can be routed before the reply arrives. */
  readonly captureId: number;
  readonly interface: string;
  readonly filter: string;
  readonly snaplen: number;
  readonly bufferSize: number;
  readonly engine: CaptureEngineChoice;
}

/** Requests the extension sends to the helper. */
export type HelperRequest =
  | { readonly type: 'hello' }
  | { readonly type: 'listInterfaces' }
  | StartRequest
  | { readonly type: 'stop'; readonly captureId: number }
  | { readonly type: 'stats'; readonly captureId: number };

export interface CaptureStats {
  readonly captureId: number;
  /** Packets the engine handed to the helper. */
  readonly received: number;
  /** Packets sent to the extension. */
  readonly delivered: number;
  /** Packets the helper discarded because the extension could not keep up (stdout backpressure). */
  readonly dropped: number;
  /**
   * How the engine reports what the kernel dropped: `live` (tcpdump: while it runs and at the end), `atStop` (dumpcap:
   * in the statistics block it writes when it stops), `unknown` (cap: the addon has no pcap_stats). Absent from old helpers.
   */
  readonly dropReporting?: DropReporting;
  /** libpcap's ps_recv / isb_ifrecv: packets the kernel's filter passed (on lo the kernel may count each packet twice). */
  readonly kernelReceived?: number;
  /** libpcap's ps_drop / isb_ifdrop: packets the kernel dropped because the engine did not read them in time. */
  readonly kernelDrops?: number;
  /** libpcap's ps_ifdrop / isb_osdrop: packets the interface or driver dropped. */
  readonly interfaceDrops?: number;
  /** Packets the engine itself discarded (dumpcap's own count). */
  readonly engineDrops?: number;
}

export type DropReporting = 'live' | 'atStop' | 'unknown';
export const isDropReporting = (v: unknown): v is DropReporting => v === 'live' || v === 'atStop' || v === 'unknown';

/** Every drop the engine, the kernel and the helper reported, and whether that is the whole truth. */
export function totalDrops(s: Pick<CaptureStats, 'dropped' | 'kernelDrops' | 'interfaceDrops' | 'engineDrops'>): number {
  return s.dropped + (s.kernelDrops ?? 0) + (s.interfaceDrops ?? 0) + (s.engineDrops ?? 0);
}

export type HelloReply = { readonly version: string; readonly pid: number; readonly node: string; readonly engines: readonly EngineStatus[] };
export type ListInterfacesReply =
  | { readonly ok: true; readonly interfaces: readonly CaptureInterface[] }
  | { readonly ok: false; readonly error: CaptureError };
export type StartReply =
  | { readonly ok: true; readonly captureId: number; readonly engine: CaptureEngine; readonly linkType?: number }
  | { readonly ok: false; readonly error: CaptureError };
export type StopReply = { readonly ok: true; readonly stats: CaptureStats } | { readonly ok: false; readonly error: CaptureError };
export type StatsReply = StopReply;

/** Maps each request type to its reply type. */
export interface HelperReplies {
  hello: HelloReply;
  listInterfaces: ListInterfacesReply;
  start: StartReply;
  stop: StopReply;
  stats: StatsReply;
}

/** Events the helper sends without being asked. */
export type HelperEvent =
  | ({ readonly type: 'stats' } & CaptureStats)
  | { readonly type: 'stopped'; readonly captureId: number; readonly reason: string; readonly error?: CaptureError; readonly stats: CaptureStats };

const isId = (v: unknown): v is number => isUint(v, 0xffffffff);

export function isEngineChoice(v: unknown): v is CaptureEngineChoice {
  return v === 'auto' || v === 'cap' || v === 'dumpcap' || v === 'tcpdump';
}

/** The helper checks every request against this before acting on it. */
export function isHelperRequest(v: unknown): v is HelperRequest {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'hello':
    case 'listInterfaces':
      return true;
    case 'stop':
    case 'stats':
      return isId(v.captureId);
    case 'start':
      return (
        isId(v.captureId) &&
        typeof v.interface === 'string' &&
        typeof v.filter === 'string' &&
        Number.isSafeInteger(v.snaplen) &&
        Number.isSafeInteger(v.bufferSize) &&
        isEngineChoice(v.engine)
      );
    default:
      return false;
  }
}

/** Checks the values of a start request; returns the problem or undefined. */
export function checkStartRequest(r: StartRequest, interfaces: readonly CaptureInterface[] | undefined): CaptureError | undefined {
  if (interfaces && !interfaces.some((i) => i.name === r.interface)) {
    const names = interfaces.map((i) => i.name).join(', ');
    return { code: 'EBADIF', message: `There is no interface "${r.interface}"; choose one of: ${names}.` };
  }
  // Never starts with "-" (it would read as an option); backslashes and braces are Npcap's \Device\NPF_{…}.
  if (!/^[A-Za-z0-9_.:@\\{}][A-Za-z0-9_.:@\\{}-]{0,127}$/.test(r.interface)) {
    return { code: 'EBADIF', message: `"${r.interface}" is not a valid interface name.` };
  }
  if (r.filter.length > CaptureLimits.maxFilterLength) {
    return { code: 'EBADFILTER', message: `The capture filter is ${r.filter.length} characters long; the limit is ${CaptureLimits.maxFilterLength}.` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(r.filter)) {
    return { code: 'EBADFILTER', message: 'The capture filter contains control characters; type it on one line.' };
  }
  if (r.snaplen < CaptureLimits.minSnaplen || r.snaplen > CaptureLimits.maxSnaplen) {
    return { code: 'EBADARG', message: `The snap length must be between ${CaptureLimits.minSnaplen} and ${CaptureLimits.maxSnaplen} bytes.` };
  }
  if (r.bufferSize < CaptureLimits.minBufferSize || r.bufferSize > CaptureLimits.maxBufferSize) {
    return { code: 'EBADARG', message: `The capture buffer must be between 1 MiB and 512 MiB.` };
  }
  return undefined;
}

/** The extension checks every helper event against this. */
export function isHelperEvent(v: unknown): v is HelperEvent {
  if (!isObj(v)) return false;
  if (v.type === 'stats') return isCaptureStats(v);
  if (v.type === 'stopped') return isId(v.captureId) && typeof v.reason === 'string' && isCaptureStats(v.stats);
  return false;
}

const isOptCount = (v: unknown): boolean => v === undefined || isUint(v);

export function isCaptureStats(v: unknown): v is CaptureStats {
  return (
    isObj(v) &&
    isId(v.captureId) &&
    isUint(v.received) &&
    isUint(v.delivered) &&
    isUint(v.dropped) &&
    (v.dropReporting === undefined || isDropReporting(v.dropReporting)) &&
    isOptCount(v.kernelReceived) &&
    isOptCount(v.kernelDrops) &&
    isOptCount(v.interfaceDrops) &&
    isOptCount(v.engineDrops)
  );
}

// ---------------------------------------------------------------------------------------------
// Frames

export interface Frame {
  readonly kind: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(kind: FrameKind, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`frame of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out[4] = kind;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeControl(m: RpcEnvelope): Uint8Array {
  return encodeFrame(FrameKind.Control, encoder.encode(JSON.stringify(m)));
}

/** Parses a control payload; throws on bad UTF-8, bad JSON or a non-envelope. */
export function decodeControl(payload: Uint8Array): RpcEnvelope {
  const m: unknown = JSON.parse(decoder.decode(payload));
  if (!isRpcEnvelope(m)) throw new Error('control frame is not an RPC envelope');
  return m;
}

export class FrameError extends Error {}

/**
 * Streaming frame decoder: push chunks as they arrive, frames come out whole.
 * A length above `maxFrameBytes` or an unknown kind poisons the stream (the sender is broken).
 */
export class HelperFrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failed: FrameError | undefined;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Returns the frames completed by this chunk. Throws FrameError once the stream is broken. */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const header = this.peek(FRAME_HEADER_BYTES);
      const len = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
      const kind = header[4];
      if (len > this.maxFrameBytes) {
        this.failed = new FrameError(`frame length ${len} exceeds the limit of ${this.maxFrameBytes} bytes`);
        throw this.failed;
      }
      if (kind !== FrameKind.Control && kind !== FrameKind.Packets) {
        this.failed = new FrameError(`unknown frame kind ${kind}`);
        throw this.failed;
      }
      if (this.buffered < FRAME_HEADER_BYTES + len) break;
      this.take(FRAME_HEADER_BYTES);
      frames.push({ kind, payload: this.take(len) });
    }
    return frames;
  }

  /** The first n buffered bytes (n ≤ buffered), without consuming them. */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    return this.gather(n, false);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    return this.gather(n, true);
  }

  private gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    let i = 0;
    while (got < n) {
      const c = this.chunks[i];
      const use = Math.min(c.length, n - got);
      out.set(c.subarray(0, use), got);
      got += use;
      if (consume) {
        if (use === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(use);
      } else i++;
    }
    if (consume) this.buffered -= n;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Packet batches: u32 captureId | u32 count | count × (u32 tsSec | u32 tsUsec | u32 capLen | u32 origLen | u16 linkType | bytes)

export const BATCH_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 18;

export interface PacketBatch {
  readonly captureId: number;
  readonly records: PacketRecord[];
}

/** Bytes one record takes in a batch. */
export function recordSize(capLen: number): number {
  return RECORD_HEADER_BYTES + capLen;
}

/**
 * Writes packet records into a preallocated frame buffer, so the helper copies each packet once
 * out of libpcap's buffer and straight into the frame it will send.
 */
export class PacketBatchBuilder {
  private buf: Uint8Array;
  private view: DataView;
  private pos = FRAME_HEADER_BYTES + BATCH_HEADER_BYTES;
  private n = 0;

  constructor(
    readonly captureId: number,
    private readonly capacity = 256 * 1024,
  ) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  get count(): number {
    return this.n;
  }

  /** True if a record with `capLen` bytes still fits. An empty batch always takes one record. */
  fits(capLen: number): boolean {
    return this.n === 0 || this.pos + recordSize(capLen) <= this.capacity;
  }

  add(tsMicros: number, origLen: number, linkType: number, data: Uint8Array): void {
    const need = this.pos + recordSize(data.length);
    if (need > this.buf.length) this.grow(need);
    const v = this.view;
    const sec = Math.floor(tsMicros / 1e6);
    v.setUint32(this.pos, sec);
    v.setUint32(this.pos + 4, tsMicros - sec * 1e6);
    v.setUint32(this.pos + 8, data.length);
    v.setUint32(this.pos + 12, origLen);
    v.setUint16(this.pos + 16, linkType);
    this.buf.set(data, this.pos + RECORD_HEADER_BYTES);
    this.pos = need;
    this.n++;
  }

  /** The finished frame (header included); the builder starts over with a fresh buffer. */
  finish(): Uint8Array {
    const payloadLen = this.pos - FRAME_HEADER_BYTES;
    this.view.setUint32(0, payloadLen);
    this.buf[4] = FrameKind.Packets;
    this.view.setUint32(FRAME_HEADER_BYTES, this.captureId);
    this.view.setUint32(FRAME_HEADER_BYTES + 4, this.n);
    const out = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.capacity);
    this.view = new DataView(this.buf.buffer);
    this.pos = FRAME_HEADER_BYTES + BATCH_HEADER_BYTES;
    this.n = 0;
    return out;
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

export function encodePacketBatch(captureId: number, records: readonly PacketRecord[]): Uint8Array {
  const b = new PacketBatchBuilder(captureId, 1024);
  for (const r of records) b.add(r.tsMicros, r.origLen, r.linkType, r.data);
  return b.finish();
}

/** Decodes a batch payload; record data are views into `payload`. Throws on any inconsistency. */
export function decodePacketBatch(payload: Uint8Array): PacketBatch {
  if (payload.length < BATCH_HEADER_BYTES) throw new FrameError('packet batch shorter than its header');
  const v = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const captureId = v.getUint32(0);
  const count = v.getUint32(4);
  if (count > (payload.length - BATCH_HEADER_BYTES) / RECORD_HEADER_BYTES) throw new FrameError(`packet batch claims ${count} records, more than fit`);
  const records: PacketRecord[] = new Array(count);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (pos + RECORD_HEADER_BYTES > payload.length) throw new FrameError(`packet record ${i} header runs past the batch`);
    const sec = v.getUint32(pos);
    const usec = v.getUint32(pos + 4);
    const capLen = v.getUint32(pos + 8);
    const origLen = v.getUint32(pos + 12);
    const linkType = v.getUint16(pos + 16);
    if (usec >= 1e6) throw new FrameError(`packet record ${i} has ${usec} microseconds`);
    if (origLen < capLen) throw new FrameError(`packet record ${i} captured more than its original length`);
    const start = pos + RECORD_HEADER_BYTES;
    if (start + capLen > payload.length) throw new FrameError(`packet record ${i} data runs past the batch`);
    records[i] = { tsMicros: sec * 1e6 + usec, origLen, linkType, data: payload.subarray(start, start + capLen) };
    pos = start + capLen;
  }
  if (pos !== payload.length) throw new FrameError(`packet batch has ${payload.length - pos} stray bytes`);
  return { captureId, records };
}

/** One sentence that tells a student how to get capture permission on their platform. */
export function permissionFix(platform: string, engine?: CaptureEngine): string {
  switch (platform) {
    case 'linux':
      return `Run as root, or allow dumpcap to capture${engine === 'cap' ? ' (Socket Lab then captures through it)' : ''}: sudo setcap cap_net_raw,cap_net_admin=eip $(which dumpcap).`;
    case 'darwin':
      return 'Install Wireshark\'s ChmodBPF (it ships with Wireshark) so your user can read /dev/bpf*, then try again.';
    case 'win32':
      return 'Install Npcap (npcap.com) with "Support loopback traffic" ticked, then try again.';
    default:
      return 'Run the capture with administrator rights.';
  }
}
