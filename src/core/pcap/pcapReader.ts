// Whole capture files in memory (the Open / decode path); streams go through PcapStreamReader.
import type { PacketRecord } from '../../shared/packet';
import { PcapStreamReader } from './pcapStreamReader';
import type { CaptureFormat } from './pcapWriter';

export interface CaptureFile {
  format: CaptureFormat;
  /** The pcap link type or the first pcapng interface's. */
  linkType: number;
  packets: PacketRecord[];
}

/** Reads a whole capture held in memory. Throws CaptureFormatError when it is not a readable capture. */
export function readCaptureFile(bytes: Uint8Array): CaptureFile {
  const r = new PcapStreamReader();
  const packets = r.push(bytes);
  r.end();
  return { format: r.format as CaptureFormat, linkType: r.linkType ?? 1, packets };
}
