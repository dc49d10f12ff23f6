// Capture file writers: classic pcap and pcapng (SHB, IDB per link type, EPB), as Uint8Array pieces to stream out.
import type { PacketRecord } from '../../shared/packet';
import { concatBytes } from '../codec/escapes';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface WriterOptions {
  /** Link type of the packets (an IDB is added on the fly in pcapng for any other link type seen). */
  linkType: number;
  /** Largest captured length a reader should expect; 262144 is what tcpdump and dumpcap use. */
  snaplen?: number;
}

export const DEFAULT_SNAPLEN = 262144;

/** Classic libpcap format, little-endian, microsecond timestamps (magic a1b2c3d4). */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;

  constructor(opts: WriterOptions) {
    this.linkType = opts.linkType;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  }

  /** The 24-byte file header; write it once, first. */
  header(): Uint8Array {
    const b = new Uint8Array(24);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linkType, true);
    return b;
  }

  /** One record: 16-byte header plus the captured bytes (cut to the snap length). */
  packet(rec: PacketRecord): Uint8Array {
    if (rec.linkType !== this.linkType) {
      throw new CaptureWriteError('ELINKTYPE', `A pcap file holds one link type (${this.linkType}); this packet has ${rec.linkType} — save as pcapng instead.`);
    }
    const cap = Math.min(rec.data.length, this.snaplen);
    const b = new Uint8Array(16 + cap);
    const v = new DataView(b.buffer);
    const sec = Math.floor(rec.tsMicros / 1e6);
    v.setUint32(0, sec >>> 0, true);
    v.setUint32(4, Math.round(rec.tsMicros - sec * 1e6) >>> 0, true);
    v.setUint32(8, cap, true);
    v.setUint32(12, Math.max(rec.origLen, cap), true);
    b.set(rec.data.subarray(0, cap), 16);
    return b;
  }
}

export class CaptureWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureWriteError';
  }
}

const pad4 = (n: number) => (n + 3) & ~3;
const encoder = new TextEncoder();

/** Appends one option (code, length, value padded to 32 bits). */
function optionBytes(code: number, value: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + pad4(value.length));
  const v = new DataView(b.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  b.set(value, 4);
  return b;
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  b.set(body, 8);
  v.setUint32(total - 4, total, true);
  return b;
}


export interface PcapngOptions extends WriterOptions {
  /** Interface name recorded in the IDB (if_name), e.g. `lo`. */
  interfaceName?: string;
  /** shb_userappl, e.g. `Socket Lab 0.1.0`. */
  application?: string;
}

/** pcapng, little-endian: SHB, then one IDB per link type (µs resolution, the default), then EPBs. */
export class PcapngWriter {
  readonly linkType: number;
  readonly snaplen: number;
  private readonly interfaces = new Map<number, number>();
  private readonly pendingIdbs: Uint8Array[] = [];

  constructor(private readonly opts: PcapngOptions) {
    this.linkType = opts.linkType;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  }

  /** SHB and the first IDB; write once, first. */
  header(): Uint8Array {
    const opts: Uint8Array[] = [];
    if (this.opts.application) opts.push(optionBytes(4, encoder.encode(this.opts.application)));
    if (opts.length > 0) opts.push(new Uint8Array(4)); // opt_endofopt
    const body = new Uint8Array(16 + opts.reduce((n, o) => n + o.length, 0));
    const v = new DataView(body.buffer);
    v.setUint32(0, 0x1a2b3c4d, true);
    v.setUint16(4, 1, true);
    v.setUint16(6, 0, true);
    // Section length unknown (-1): we stream.
    v.setUint32(8, 0xffffffff, true);
    v.setUint32(12, 0xffffffff, true);
    let o = 16;
    for (const p of opts) {
      body.set(p, o);
      o += p.length;
    }
    this.interfaceFor(this.linkType);
    return concatBytes([block(0x0a0d0d0a, body), ...this.pendingIdbs.splice(0)]);
  }

  private interfaceFor(linkType: number): number {
    let id = this.interfaces.get(linkType);
    if (id !== undefined) return id;
    id = this.interfaces.size;
    this.interfaces.set(linkType, id);
    const opts: Uint8Array[] = [];
    if (this.opts.interfaceName && linkType === this.linkType) opts.push(optionBytes(2, encoder.encode(this.opts.interfaceName)));
    opts.push(optionBytes(9, new Uint8Array([6]))); // if_tsresol = 10^-6
    opts.push(new Uint8Array(4));
    const body = new Uint8Array(8 + opts.reduce((n, o) => n + o.length, 0));
    const v = new DataView(body.buffer);
    v.setUint16(0, linkType, true);
    v.setUint16(2, 0, true);
    v.setUint32(4, this.snaplen, true);
    let o = 8;
    for (const p of opts) {
      body.set(p, o);
      o += p.length;
    }
    this.pendingIdbs.push(block(1, body));
    return id;
  }

  /** One EPB (preceded by an IDB the first time a new link type appears). */
  packet(rec: PacketRecord): Uint8Array {
    const iface = this.interfaceFor(rec.linkType);
    const cap = Math.min(rec.data.length, this.snaplen);
    const body = new Uint8Array(20 + pad4(cap));
    const v = new DataView(body.buffer);
    const ts = Math.round(rec.tsMicros);
    v.setUint32(0, iface, true);
    v.setUint32(4, Math.floor(ts / 4294967296), true);
    v.setUint32(8, ts >>> 0, true);
    v.setUint32(12, cap, true);
    v.setUint32(16, Math.max(rec.origLen, cap), true);
    body.set(rec.data.subarray(0, cap), 20);
    const epb = block(6, body);
    return this.pendingIdbs.length > 0 ? concatBytes([...this.pendingIdbs.splice(0), epb]) : epb;
  }
}

/** A whole file in one buffer; the link type of the first packet (or `linkType`) names the first interface. */
export function writeCaptureFile(records: readonly PacketRecord[], format: CaptureFormat, opts: Partial<PcapngOptions> = {}): Uint8Array {
  const linkType = opts.linkType ?? records[0]?.linkType ?? 1;
  const w = format === 'pcap' ? new PcapWriter({ ...opts, linkType }) : new PcapngWriter({ ...opts, linkType });
  const parts = [w.header()];
  for (const r of records) parts.push(w.packet(r));
  return concatBytes(parts);
}
