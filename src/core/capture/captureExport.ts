// Turns a capture's packets into a pcap/pcapng file and picks out one connection's packets.
import type { PacketRecord } from '../../shared/packet';
import { dissect, DissectContext, findField } from '../decode/dissect';
import { productName, version } from '../about';
import { writeCaptureFile } from '../pcap/pcapWriter';

export type CaptureFileFormat = 'pcapng' | 'pcap';

/** One connection: its transport and its ports (a listener has one port, a connection two). */
export interface ConnectionFilter {
  readonly protocol: 'tcp' | 'udp';
  readonly ports: readonly number[];
}

/** True when the packet is `protocol` and every one of its two ports is in `ports` (or, with one port, either is). */
export function packetMatchesConnection(p: PacketRecord, f: ConnectionFilter): boolean {
  const pkt = dissect(p, new DissectContext());
  const src = findField(pkt, `${f.protocol}.srcport`)?.value;
  const dst = findField(pkt, `${f.protocol}.dstport`)?.value;
  if (typeof src !== 'number' || typeof dst !== 'number') return false;
  if (f.ports.length === 1) return src === f.ports[0] || dst === f.ports[0];
  return f.ports.includes(src) && f.ports.includes(dst);
}

export interface ExportOptions {
  /** Used for an empty capture, whose packets cannot tell it. */
  readonly linkType?: number;
  readonly interfaceName?: string;
  readonly snaplen?: number;
}

/** The whole file; pcap with packets of several link types throws CaptureWriteError (ELINKTYPE). */
export function encodeCaptureFile(packets: readonly PacketRecord[], format: CaptureFileFormat, opts: ExportOptions = {}): Uint8Array {
  return writeCaptureFile(packets, format, {
    linkType: packets[0]?.linkType ?? opts.linkType ?? 1,
    interfaceName: opts.interfaceName,
    snaplen: opts.snaplen,
    application: `${productName} ${version}`,
  });
}
