// Message framing on a byte stream: raw chunks, newline-delimited lines, or a 2/4-byte length prefix
// (the classic `struct.pack('!I', n)` fix for "sticky packets").
import { FRAMING_NAMES, type FramingName } from '../../shared/types';
import { CodecError } from './codecError';

export type Framing =
  | { kind: 'raw' }
  | { kind: 'line' }
  | { kind: 'length'; size: 2 | 4; endian: 'be' | 'le' };


/** Largest message a length-prefixed decoder accepts, so a garbage prefix cannot allocate gigabytes. */
export const maxFrameBytes = 64 * 1024 * 1024;

export function parseFraming(name: string): Framing {
  const n = name.trim().toLowerCase();
  if (n === 'raw' || n === '') return { kind: 'raw' };
  if (n === 'line' || n === 'lines') return { kind: 'line' };
  const m = /^len(?:gth)?[-:]?(2|4)[-:]?(be|le)?$/.exec(n);
  if (m) return { kind: 'length', size: m[1] === '2' ? 2 : 4, endian: m[2] === 'le' ? 'le' : 'be' };
  throw new CodecError('EBADFRAMING', `Unknown framing "${name}" — use one of ${FRAMING_NAMES.join(', ')}.`, `未知的分帧方式“${name}”——请使用 ${FRAMING_NAMES.join('、')} 之一。`);
}

export function framingName(f: Framing): FramingName {
  if (f.kind === 'length') return `len${f.size}${f.endian}` as FramingName;
  return f.kind;
}

/** The length-prefix bytes for a message of `length` bytes. */
export function lengthHeader(length: number, f: { size: 2 | 4; endian: 'be' | 'le' }): Uint8Array {
  const max = f.size === 2 ? 0xffff : 0xffffffff;
  if (length > max) {
    throw new CodecError('EFRAMETOOBIG', `The message has ${length} bytes, more than a ${f.size}-byte length prefix can describe (${max}) — use a 4-byte prefix or split the message.`, `消息有 ${length} 字节，超过 ${f.size} 字节长度前缀能表示的上限（${max}）——请使用 4 字节前缀或拆分消息。`);
  }
  const h = new Uint8Array(f.size);
  const v = new DataView(h.buffer);
  if (f.size === 2) v.setUint16(0, length, f.endian === 'le');
  else v.setUint32(0, length, f.endian === 'le');
  return h;
}

/** Wraps one message for sending: a length prefix, or a trailing LF for line framing (unless it has one). */
export function encodeFrame(data: Uint8Array, f: Framing): Uint8Array {
  if (f.kind === 'raw') return data;
  if (f.kind === 'line') {
    if (data.length > 0 && data[data.length - 1] === 0x0a) return data;
    const out = new Uint8Array(data.length + 1);
    out.set(data);
    out[data.length] = 0x0a;
    return out;
  }
  const h = lengthHeader(data.length, f);
  const out = new Uint8Array(h.length + data.length);
  out.set(h);
  out.set(data, h.length);
  return out;
}

/** Bytes that all of a manager's decoders hold in partial messages, against one limit (default 128 MiB). */
export class FramingBudget {
  heldBytes = 0;
  constructor(public limitBytes = 128 * 1024 * 1024) {}
}

/** Splits a received byte stream into messages; keeps partial messages until their rest arrives. */
export class FrameDecoder {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    readonly framing: Framing,
    private readonly maxBytes = maxFrameBytes,
    private readonly budget?: FramingBudget,
  ) {}

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.framing.kind === 'raw') return chunk.length ? [chunk] : [];
    if (chunk.length === 0) return [];
    const before = this.pendingBytes;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    let out: Uint8Array[];
    try {
      out = this.framing.kind === 'line' ? this.lines(chunk) : this.lengths(this.framing);
    } finally {
      if (this.budget) this.budget.heldBytes += this.pendingBytes - before;
    }
    const b = this.budget;
    if (b && b.heldBytes > b.limitBytes && this.pendingBytes > 0) {
      const mine = this.pendingBytes;
      this.release();
      throw new CodecError('EFRAMEBUDGET', `Partial messages of all connections would exceed the ${b.limitBytes}-byte reassembly budget (this one holds ${mine} bytes) — this connection was closed; check the framing, or raise the budget.`, `所有连接未完成的消息将超过 ${b.limitBytes} 字节的重组预算（此连接持有 ${mine} 字节）——已关闭此连接；请检查分帧方式，或提高预算。`);
    }
    return out;
  }

  /** Whatever is left when the stream ends (an unterminated last line counts as a message). */
  flush(): Uint8Array[] {
    if (this.pendingBytes === 0) return [];
    const rest = this.framing.kind === 'line' ? [this.concat(this.pendingBytes, false)] : [];
    this.release();
    return rest;
  }

  /** Gives back what this decoder holds (the connection ended); safe to call again. */
  release(): void {
    if (this.budget) this.budget.heldBytes -= this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private lines(chunk: Uint8Array): Uint8Array[] {
    if (chunk.indexOf(0x0a) < 0) {
      this.guard(this.pendingBytes);
      return [];
    }
    const all = this.take(this.pendingBytes);
    const out: Uint8Array[] = [];
    let start = 0;
    for (let i = all.indexOf(0x0a); i >= 0; i = all.indexOf(0x0a, start)) {
      const end = i > start && all[i - 1] === 0x0d ? i - 1 : i;
      out.push(all.subarray(start, end));
      start = i + 1;
    }
    if (start < all.length) this.keep(all.subarray(start));
    return out;
  }

  private lengths(f: { size: 2 | 4; endian: 'be' | 'le' }): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.pendingBytes >= f.size) {
      const head = this.peek(f.size);
      const v = new DataView(head.buffer, head.byteOffset, f.size);
      const n = f.size === 2 ? v.getUint16(0, f.endian === 'le') : v.getUint32(0, f.endian === 'le');
      this.guard(n);
      if (this.pendingBytes < f.size + n) break;
      this.take(f.size);
      out.push(this.take(n));
    }
    return out;
  }

  private guard(n: number): void {
    if (n > this.maxBytes) {
      this.pending = [];
      this.pendingBytes = 0; // push() gives these bytes back to the budget
      throw new CodecError('EFRAMETOOBIG', `A received message claims ${n} bytes, more than the ${this.maxBytes}-byte limit — the framing probably does not match the sender's.`, `收到的消息声称有 ${n} 字节，超过 ${this.maxBytes} 字节的上限——分帧方式可能与发送方不一致。`);
    }
  }

  private keep(rest: Uint8Array): void {
    this.pending = [rest];
    this.pendingBytes = rest.length;
  }

  private peek(n: number): Uint8Array {
    if (this.pending[0].length >= n) return this.pending[0].subarray(0, n);
    return this.concat(n, false);
  }

  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    if (this.pending[0].length >= n) {
      const first = this.pending[0];
      const out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return out;
    }
    return this.concat(n, true);
  }

  private concat(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    let i = 0;
    while (got < n) {
      const c = this.pending[i];
      const k = Math.min(c.length, n - got);
      out.set(c.subarray(0, k), got);
      got += k;
      if (consume) {
        if (k === c.length) {
          this.pending.shift();
        } else {
          this.pending[0] = c.subarray(k);
        }
      } else i++;
    }
    if (consume) this.pendingBytes -= n;
    return out;
  }
}
