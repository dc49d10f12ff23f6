// Incremental pcap / pcapng reader: push any chunks of a stream (dumpcap/tcpdump stdout, a file), get whole packets.
import type { PacketRecord } from '../../shared/packet';
import type { CaptureFormat } from './pcapWriter';

/** A capture stream we cannot read; `code` names the problem, the message says what to do. */
export class CaptureFormatError extends Error {
  constructor(
    readonly code: 'EBADMAGIC' | 'EBADLENGTH' | 'EBADBLOCK' | 'ENOINTERFACE' | 'ETRUNCATED',
    message: string,
  ) {
    super(message);
    this.name = 'CaptureFormatError';
  }
}

/** pcap records above this are corrupt (tcpdump's and dumpcap's largest snap length is 262144). */
export const MAX_RECORD_BYTES = 262144;
/** pcapng blocks above this are corrupt (Wireshark's own limit is 16 MiB). */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (10^6 unless if_tsresol says otherwise). */
  unitsPerSecond: bigint;
  micro: boolean;
  offsetSeconds: number;
}

const SHB = 0x0a0d0d0a;

/** A pcapng Interface Statistics Block's counters; a counter the writer left out is undefined. */
export interface InterfaceStatistics {
  readonly interfaceId: number;
  /** isb_ifrecv: packets the interface (libpcap's ps_recv) received. */
  readonly ifRecv?: number;
  /** isb_ifdrop: packets dropped for lack of resources (dumpcap: libpcap's ps_drop, the kernel's drops). */
  readonly ifDrop?: number;
  /** isb_filteraccept: packets the filter accepted. */
  readonly filterAccept?: number;
  /** isb_osdrop: packets the operating system dropped. */
  readonly osDrop?: number;
  /** isb_usrdeliv: packets delivered to the user. */
  readonly usrDeliv?: number;
}

/** What a reader knows at a packet boundary: enough to resume reading a file there (see CaptureFileIndex). */
export interface PcapReaderState {
  readonly format: CaptureFormat;
  readonly linkType: number | undefined;
  readonly snaplen: number | undefined;
  readonly littleEndian: boolean;
  readonly nanos: boolean;
  /** The section's interfaces (shared: a section only appends to its list, a new section starts a new one). */
  readonly interfaces: readonly Interface[];
}

/** A growable byte queue: appends are amortised O(1), reads are views (valid until the next push). */
class ByteQueue {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const need = this.length + chunk.length;
      if (need <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length;
        while (size < need) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  view(len: number): Uint8Array {
    return this.buf.subarray(this.start, this.start + len);
  }

  consume(len: number): void {
    this.start += len;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

/** Reads u32/u16 in the byte order of the current file or section. */
function u32(b: Uint8Array, o: number, le: boolean): number {
  return le ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0 : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

const MiB = (n: number) => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 0)} MiB`;

export class PcapStreamReader {
  /** Known once the first 4 bytes arrived. */
  format: CaptureFormat | undefined;
  /** The pcap file's link type, or the first pcapng interface's. */
  linkType: number | undefined;
  snaplen: number | undefined;
  /** Packets returned so far. */
  packetCount = 0;
  private readonly q = new ByteQueue();
  private littleEndian = true;
  private nanos = false;
  private interfaces: Interface[] = [];
  private failed: CaptureFormatError | undefined;
  /** Stream offset of the first byte still queued. */
  private offset = 0;
  /** Bumped whenever the header, a section or an interface changes what state() returns. */
  stateVersion = 0;
  /** Called with each packet's stream offset (its record or block start) just before it is returned. */
  onPacketOffset: ((offset: number) => void) | undefined;
  /** Called for each pcapng Interface Statistics Block (dumpcap writes one per interface when it stops). */
  onInterfaceStatistics: ((s: InterfaceStatistics) => void) | undefined;

  /** A reader that continues a stream at a packet boundary whose state() was saved; offsets count from `offset`. */
  static resume(state: PcapReaderState, offset: number): PcapStreamReader {
    const r = new PcapStreamReader();
    r.format = state.format;
    r.linkType = state.linkType;
    r.snaplen = state.snaplen;
    r.littleEndian = state.littleEndian;
    r.nanos = state.nanos;
    r.interfaces = state.interfaces as Interface[];
    r.headerSeen = true;
    r.offset = offset;
    return r;
  }

  /** Stream offset just past the last whole record or block taken in. */
  get consumed(): number {
    return this.offset;
  }

  /** The state to resume from at the current packet boundary (only meaningful once the format is known). */
  state(): PcapReaderState {
    return { format: this.format as CaptureFormat, linkType: this.linkType, snaplen: this.snaplen, littleEndian: this.littleEndian, nanos: this.nanos, interfaces: this.interfaces };
  }

  /** Bytes received but not yet part of a whole packet or block. */
  get pendingBytes(): number {
    return this.q.length;
  }

  /**
   * Feeds the next bytes; returns every packet now complete. Throws CaptureFormatError on a corrupt stream (and on
   * every later push and at end); the packets before the damage in the same bytes are returned first.
   */
  push(chunk: Uint8Array): PacketRecord[] {
    if (this.failed) throw this.failed;
    this.q.push(chunk);
    const out: PacketRecord[] = [];
    try {
      this.drain(out);
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      this.failed = e;
      // The packets before the damage come out now; the error with the next push or end (tshark shows them too).
      if (out.length === 0) throw e;
    }
    this.packetCount += out.length;
    return out;
  }

  /** Call at end of stream: throws if a packet or block was cut off. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.format === undefined && this.q.length === 0) throw (this.failed = new CaptureFormatError('ETRUNCATED', 'The capture is empty: no pcap or pcapng header arrived.'));
    if (this.q.length > 0) {
      const unit = this.format === 'pcapng' ? 'block' : this.format === undefined ? 'file header' : 'record';
      const before = this.packetCount > 0 ? ` — the ${this.packetCount} packet${this.packetCount === 1 ? '' : 's'} before it are fine` : ' before any packet';
      throw (this.failed = new CaptureFormatError('ETRUNCATED', `The capture ends in the middle of a ${unit} (${this.q.length} bytes left over); the file was cut off${before}.`));
    }
  }

  private consume(len: number): void {
    this.q.consume(len);
    this.offset += len;
  }

  private fail(code: CaptureFormatError['code'], message: string): never {
    throw new CaptureFormatError(code, message);
  }

  private drain(out: PacketRecord[]): void {
    for (;;) {
      if (this.format === undefined) {
        if (this.q.length < 4) return;
        const m = this.q.view(4);
        const le = u32(m, 0, true);
        if (le === 0xa1b2c3d4 || le === 0xa1b23c4d || le === 0xd4c3b2a1 || le === 0x4d3cb2a1) this.format = 'pcap';
        else if (le === SHB) this.format = 'pcapng';
        else this.fail('EBADMAGIC', `This is not a pcap or pcapng capture (its first bytes are ${Array.from(m.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}); open a file written by Wireshark, dumpcap, tcpdump or Socket Lab.`);
      }
      const progressed = this.format === 'pcap' ? this.pcapStep(out) : this.pcapngStep(out);
      if (!progressed) return;
    }
  }

  private headerSeen = false;

  private pcapStep(out: PacketRecord[]): boolean {
    if (!this.headerSeen) {
      if (this.q.length < 24) return false;
      const h = this.q.view(24);
      const magic = u32(h, 0, true);
      this.littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
      this.nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
      this.snaplen = u32(h, 16, this.littleEndian);
      // The upper bits of the link type field carry FCS information; the type is the low 16 bits (28 in libpcap).
      this.linkType = u32(h, 20, this.littleEndian) & 0x0fffffff;
      this.headerSeen = true;
      this.consume(24);
      this.stateVersion++;
      return true;
    }
    if (this.q.length < 16) return false;
    const rh = this.q.view(16);
    const le = this.littleEndian;
    const caplen = u32(rh, 8, le);
    const limit = Math.max(MAX_RECORD_BYTES, Math.min(this.snaplen ?? 0, MAX_BLOCK_BYTES));
    if (caplen > limit) {
      this.fail('EBADLENGTH', `pcap record ${this.packetCount + out.length + 1} says it holds ${caplen} bytes, more than the ${MiB(limit)} limit: the file is corrupt from here on.`);
    }
    if (this.q.length < 16 + caplen) return false;
    const b = this.q.view(16 + caplen);
    const sec = u32(b, 0, le);
    const frac = u32(b, 4, le);
    const origLen = u32(b, 12, le);
    this.onPacketOffset?.(this.offset);
    const tsMicros = sec * 1e6 + (this.nanos ? Math.floor(frac / 1000) : frac);
    const linkType = this.linkType ?? 1;
    const data = b.slice(16, 16 + caplen);
    // two literal shapes, no spread: a record stays a small fixed-shape object (millions may be held)
    out.push(this.nanos ? { tsMicros, tsNanos: frac % 1000, origLen: Math.max(origLen, caplen), linkType, data } : { tsMicros, origLen: Math.max(origLen, caplen), linkType, data });
    this.consume(16 + caplen);
    return true;
  }

  private pcapngStep(out: PacketRecord[]): boolean {
    if (this.q.length < 12) return false;
    const h = this.q.view(12);
    let le = this.littleEndian;
    let type = u32(h, 0, le);
    if (u32(h, 0, true) === SHB) {
      // A new section sets its own byte order, from the byte-order magic.
      const bom = u32(h, 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else this.fail('EBADMAGIC', 'A pcapng section header has a bad byte-order magic: the file is corrupt.');
      this.littleEndian = le;
      type = SHB;
    }
    const total = u32(h, 4, le);
    if (total < 12 || total % 4 !== 0) this.fail('EBADBLOCK', `pcapng block of type ${type} has an impossible length ${total}: the file is corrupt from here on.`);
    if (total > MAX_BLOCK_BYTES) this.fail('EBADLENGTH', `pcapng block of type ${type} says it is ${total} bytes long, more than the ${MiB(MAX_BLOCK_BYTES)} limit: the file is corrupt from here on.`);
    if (this.q.length < total) return false;
    const b = this.q.view(total);
    if (u32(b, total - 4, le) !== total) this.fail('EBADBLOCK', `pcapng block of type ${type} has mismatched length fields: the file is corrupt from here on.`);
    const bodyEnd = total - 4;
    switch (type) {
      case SHB:
        if (total < 28) this.fail('EBADBLOCK', 'A pcapng section header block is too short: the file is corrupt.');
        this.interfaces = [];
        this.stateVersion++;
        break;
      case 1: {
        if (total < 20) this.fail('EBADBLOCK', 'A pcapng interface description block is too short: the file is corrupt.');
        const iface: Interface = { linkType: u16(b, 8, le), snaplen: u32(b, 12, le), unitsPerSecond: 1000000n, micro: true, offsetSeconds: 0 };
        this.readIdbOptions(b, 16, bodyEnd, le, iface);
        this.interfaces.push(iface);
        if (this.linkType === undefined) {
          this.linkType = iface.linkType;
          this.snaplen = iface.snaplen;
        }
        this.stateVersion++;
        break;
      }
      case 6:
      case 2: {
        if (total < 32) this.fail('EBADBLOCK', 'A pcapng packet block is too short: the file is corrupt.');
        const ifId = type === 6 ? u32(b, 8, le) : u16(b, 8, le);
        const iface = this.interfaces[ifId];
        if (iface === undefined) this.fail('ENOINTERFACE', `A pcapng packet refers to interface ${ifId}, which was never described: the file is corrupt.`);
        const caplen = u32(b, 20, le);
        const origLen = u32(b, 24, le);
        if (28 + caplen > bodyEnd) this.fail('EBADBLOCK', `A pcapng packet block says it holds ${caplen} bytes but the block is only ${total} bytes long: the file is corrupt.`);
        this.onPacketOffset?.(this.offset);
        const tsMicros = this.timestamp(iface, u32(b, 12, le), u32(b, 16, le));
        const data = b.slice(28, 28 + caplen);
        const tsNanos = this.nanosPast(iface, u32(b, 12, le), u32(b, 16, le));
        out.push(tsNanos === undefined ? { tsMicros, origLen: Math.max(origLen, caplen), linkType: iface.linkType, data } : { tsMicros, tsNanos, origLen: Math.max(origLen, caplen), linkType: iface.linkType, data });
        break;
      }
      case 3: {
        if (total < 16) this.fail('EBADBLOCK', 'A pcapng simple packet block is too short: the file is corrupt.');
        const iface = this.interfaces[0];
        if (iface === undefined) this.fail('ENOINTERFACE', 'A pcapng simple packet block comes before any interface description: the file is corrupt.');
        const origLen = u32(b, 8, le);
        let caplen = Math.min(origLen, bodyEnd - 12);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        this.onPacketOffset?.(this.offset);
        out.push({ tsMicros: 0, origLen, linkType: iface.linkType, data: b.slice(12, 12 + caplen) });
        break;
      }
      case 5:
        if (total >= 24 && this.onInterfaceStatistics) this.onInterfaceStatistics(readIsb(b, bodyEnd, le));
        break;
      default:
        // Name resolution, custom blocks…: not needed to show packets.
        break;
    }
    this.consume(total);
    return true;
  }

  private readIdbOptions(b: Uint8Array, start: number, stop: number, le: boolean, iface: Interface): void {
    let o = start;
    while (o + 4 <= stop) {
      const code = u16(b, o, le);
      const len = u16(b, o + 2, le);
      if (code === 0) break;
      // An option running past its block: tshark refuses the file; reading on would lose if_tsresol (times 1000× off).
      if (o + 4 + len > stop) this.fail('EBADBLOCK', `A pcapng interface description holds an option of ${len} bytes that runs past its block: the file is damaged or corrupt.`);
      if (code === 9 && len >= 1) {
        const r = b[o + 4];
        const exp = BigInt(r & 0x7f);
        iface.unitsPerSecond = r & 0x80 ? 1n << exp : 10n ** exp;
        iface.micro = iface.unitsPerSecond === 1000000n;
      } else if (code === 14 && len >= 8) {
        const hi = u32(b, o + 4 + (le ? 4 : 0), le);
        const lo = u32(b, o + 4 + (le ? 0 : 4), le);
        iface.offsetSeconds = hi * 4294967296 + lo;
      }
      o += 4 + ((len + 3) & ~3);
    }
  }

  /** The nanoseconds past the µs of a timestamp finer than µs (if_tsresol above 6); undefined for µs or coarser. */
  private nanosPast(iface: Interface, hi: number, lo: number): number | undefined {
    if (iface.micro || iface.unitsPerSecond <= 1000000n) return undefined;
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    return Number(((units * 1000000000n) / iface.unitsPerSecond) % 1000n);
  }

  private timestamp(iface: Interface, hi: number, lo: number): number {
    const base = iface.offsetSeconds * 1e6;
    if (iface.micro) return base + hi * 4294967296 + lo;
    if (iface.unitsPerSecond === 0n) return base;
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    return base + Number((units * 1000000n) / iface.unitsPerSecond);
  }
}

/** Options of an ISB (block body from offset 20): codes 4–8 are 64-bit counters. */
function readIsb(b: Uint8Array, stop: number, le: boolean): InterfaceStatistics {
  const out: { -readonly [K in keyof InterfaceStatistics]: InterfaceStatistics[K] } = { interfaceId: u32(b, 8, le) };
  const names = { 4: 'ifRecv', 5: 'ifDrop', 6: 'filterAccept', 7: 'osDrop', 8: 'usrDeliv' } as const;
  let o = 20;
  while (o + 4 <= stop) {
    const code = u16(b, o, le);
    const len = u16(b, o + 2, le);
    if (code === 0 || o + 4 + len > stop) break;
    if (code >= 4 && code <= 8 && len === 8) {
      const lo = u32(b, o + 4 + (le ? 0 : 4), le);
      const hi = u32(b, o + 4 + (le ? 4 : 0), le);
      // 2^64−1 means "not known" in dumpcap's writer; beyond 2^53 a count is not believable anyway.
      if (hi < 0x200000) out[names[code as 4 | 5 | 6 | 7 | 8]] = hi * 4294967296 + lo;
    }
    o += 4 + ((len + 3) & ~3);
  }
  return out;
}
