// Fast readers: how a display filter reads a field's values from a dissected packet's eager facts (the columns
// pass's layers, `tcp`, frame numbers, the bytes) without building the field tree, which costs ~10× a dissection.
// Each dissector declares the readers of its own fields next to their declarations; the filter asks this table.
import type { DissectedPacket, Layer } from './dissect';

export type FactValue = string | number | boolean;
type TcpFacts = NonNullable<DissectedPacket['tcp']>;

/**
 * The values of every occurrence of a field, written into `out`; returns how many, or -1 when only the field tree
 * can tell. `scan` is the packet's eager layers. A reader must give exactly what the tree would.
 */
export type FastValues = (p: DissectedPacket, scan: readonly Layer[], out: FactValue[]) => number;

/** Field id → its fast reader; fields without one are read from the tree. */
export const fastReaders = new Map<string, FastValues>();

export function declareFastReaders(readers: Record<string, FastValues>): void {
  for (const [id, read] of Object.entries(readers)) fastReaders.set(id, read);
}

export const u8 = (d: Uint8Array, o: number) => d[o];
export const u16 = (d: Uint8Array, o: number) => (d[o] << 8) | d[o + 1];
export const u32 = (d: Uint8Array, o: number) => ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
export const always = () => true;

function count(names: readonly string[], name: string): number {
  let n = 0;
  for (let i = 0; i < names.length; i++) if (names[i] === name) n++;
  return n;
}

/**
 * A field read from the fixed header of each `proto` layer (tunnels and ICMP-quoted packets have several),
 * which its dissector always fills in when the header was captured and `ok` holds.
 */
export function headerFact(proto: string, ok: (d: Uint8Array, at: number, p: DissectedPacket) => boolean, ...reads: ((d: Uint8Array, at: number) => FactValue)[]): FastValues {
  return (p, scan, o) => {
    let n = 0;
    for (let li = 0; li < scan.length; li++) {
      const l = scan[li];
      if (l.name !== proto) continue;
      // Not cut: the fixed header beginLayer asked for was captured (a cut header may still carry some fields).
      if (l.truncated || !ok(p.data, l.offset, p)) return -1;
      for (let i = 0; i < reads.length; i++) o[n++] = reads[i](p.data, l.offset);
    }
    return n;
  };
}

/** The TCP dissector filled in `p.tcp` for the one TCP layer (an ICMP-quoted segment has no `tcp` facts). */
export const tcpOk = (_d: Uint8Array, _at: number, p: DissectedPacket) => p.tcp !== undefined && count(p.protocols, 'tcp') === 1;

/** From the TCP facts of the one TCP layer. */
export function tcpFact(read: (t: TcpFacts, o: FactValue[]) => number): FastValues {
  return (p, _s, o) => (p.tcp !== undefined && count(p.protocols, 'tcp') === 1 ? read(p.tcp, o) : -1);
}
