// IPv4 and IPv6 defragmentation (Wireshark's ip.defragment, ipv6.defragment): fragments wait in the context; the one
// that completes a datagram carries it whole to UDP/DNS, the others show "Fragmented IP protocol … [Reassembled in #N]".
import { hexBytes } from './format';
import { type PacketInfo, addChild, addField, callTableOrData, declareFields, dissectData, ipProtoTable } from './registry';
import type { Layer } from './dissect';
import { type ReassemblyStep, type ReassemblyTable, dissectBuffer, factKey, partsText, recordFact, replayedFact } from './reassembly';

const hf4 = declareFields({
  fragments: ['ip.fragments', 'IPv4 Fragments', 'bytes'],
  fragment: ['ip.fragment', 'IPv4 Fragment', 'uint'],
  count: ['ip.fragment.count', 'Fragment count', 'uint'],
  reassembledIn: ['ip.reassembled_in', 'Reassembled IPv4 in frame', 'uint'],
  length: ['ip.reassembled.length', 'Reassembled IPv4 length', 'uint'],
  data: ['ip.reassembled.data', 'Reassembled IPv4 data', 'bytes'],
});
const hf6 = declareFields({
  fragments: ['ipv6.fragments', 'IPv6 Fragments', 'none'],
  fragment: ['ipv6.fragment', 'IPv6 Fragment', 'uint'],
  count: ['ipv6.fragment.count', 'Fragment count', 'uint'],
  reassembledIn: ['ipv6.reassembled.in', 'Reassembled IPv6 in frame', 'uint'],
  length: ['ipv6.reassembled.length', 'Reassembled IPv6 length', 'uint'],
  data: ['ipv6.reassembled.data', 'Reassembled IPv6 data', 'bytes'],
});

/** Datagrams waiting for fragments, at most; the oldest is dropped first. */
export const MAX_PENDING_DATAGRAMS = 1024;
/** Fragment bytes held for all of them, at most. */
export const MAX_PENDING_FRAGMENT_BYTES = 4 << 20;
/** A datagram whose first fragment is older than this (capture time) is given up, as a host's reassembly timer does. */
export const FRAGMENT_TIMEOUT_MICROS = 60_000_000;
/** No datagram is longer (the 16-bit lengths); a fragment reaching past it is not reassembled. */
const MAX_DATAGRAM = 65535;

interface Fragment {
  off: number;
  bytes: Uint8Array;
  frame: number;
  /** The held step the fragment's packet recorded: told where the datagram was reassembled. */
  step: { t: 'held'; in: number };
}

interface Datagram {
  /** Sorted by offset; equal offsets in arrival order (the first one's bytes win, as in Wireshark). */
  frags: Fragment[];
  /** Length, once the last fragment (no "more") told it; -1 before. */
  total: number;
  bytes: number;
  firstTs: number;
}

class FragmentTable implements ReassemblyTable {
  readonly map = new Map<string, Datagram>();
  bytes = 0;

  clone(): FragmentTable {
    const c = new FragmentTable();
    for (const [k, d] of this.map) c.map.set(k, { ...d, frags: [...d.frags] });
    c.bytes = this.bytes;
    return c;
  }

  drop(key: string, d: Datagram): void {
    this.map.delete(key);
    this.bytes -= d.bytes;
  }
}

export interface FragmentHeader {
  v6: boolean;
  /** Addresses, protocol and identification: which datagram the fragment belongs to. */
  key: string;
  /** Byte offset of this fragment in its datagram. */
  off: number;
  more: boolean;
  /** The datagram's protocol (IPv6: the fragment header's next header). */
  proto: number;
  /** Info of a fragment that does not complete its datagram, without the "[Reassembled in #N]". */
  info: string;
}

/**
 * Defragments when the context says so: true when the fragment was held or completed its datagram (the payload is
 * dissected then), false to dissect it as without reassembly (turned off, quoted in an ICMP error, not captured
 * whole, or given up).
 */
export function defragment(pi: PacketInfo, layer: Layer, h: FragmentHeader, start: number, stop: number): boolean {
  if (pi.nested !== 0 || !pi.ctx.reassembly.defragment) return false;
  const at = factKey(pi, start);
  let step: ReassemblyStep | undefined;
  if (pi.replaying) step = replayedFact(pi, at)?.steps[0];
  else {
    step = addFragment(pi, h, start, stop);
    if (step !== undefined) recordFact(pi, { at, steps: [step] });
  }
  if (step === undefined || step.t === 'plain' || step.t === 'tls') return false;
  const hf = h.v6 ? hf6 : hf4;
  if (step.t === 'held') {
    pi.protocol = h.v6 ? 'IPv6' : 'IPv4';
    pi.info = h.info + (step.in > 0 ? ` [Reassembled in #${step.in}]` : '');
    if (step.in > 0) addField(pi, layer, hf.reassembledIn, step.in, String(step.in), start, 0);
    dissectData(pi, start, stop);
    return true;
  }
  const { data, frames, lengths, ownAt, used } = step;
  if (pi.full) {
    const name = h.v6 ? 'IPv6' : 'IPv4';
    const head = `${frames.length} ${name} Fragments (${data.length} bytes): ${partsText(frames, lengths)}`;
    const top = addField(pi, layer, hf.fragments, h.v6 ? '' : hexBytes(data, 0, data.length), head, start, used);
    let o = 0;
    for (let i = 0; i < frames.length; i++) {
      const n = lengths[i];
      addChild(pi, layer, top, hf.fragment, frames[i], `Frame: ${frames[i]}, payload: ${o}-${o + n - 1} (${n} bytes)`, start, 0);
      o += n;
    }
    addChild(pi, layer, top, hf.count, frames.length, String(frames.length), start, 0);
    addChild(pi, layer, top, hf.length, data.length, String(data.length), start, 0);
    addChild(pi, layer, top, hf.data, hexBytes(data, 0, data.length), `${data.length} bytes`, start, 0);
  }
  pi.fragmented = false;
  dissectBuffer(pi, data, ownAt, used, start, () => callTableOrData(ipProtoTable, h.proto, pi, 0, data.length));
  return true;
}

/** First pass: files the fragment; the step its packet takes, or undefined to leave it unreassembled. */
function addFragment(pi: PacketInfo, h: FragmentHeader, start: number, stop: number): ReassemblyStep | undefined {
  const len = stop - start;
  // Only captured bytes can be reassembled; an empty or oversized fragment is left as it is: IPv4 then decodes a first
  // fragment as far as it goes, IPv6 shows any fragment as one (Wireshark's dissectors differ so).
  if (len <= 0 || stop > pi.capLen || h.off + len > MAX_DATAGRAM || (h.more && len % 8 !== 0)) return h.v6 ? { t: 'held', in: 0 } : undefined;
  const ctx = pi.ctx;
  const table = (ctx.ipFragments ??= new FragmentTable()) as FragmentTable;
  const now = pi.rec.tsMicros;
  for (const [k, d] of table.map) {
    if (now - d.firstTs <= FRAGMENT_TIMEOUT_MICROS) break;
    table.drop(k, d);
  }
  let d = table.map.get(h.key);
  if (d === undefined) table.map.set(h.key, (d = { frags: [], total: -1, bytes: 0, firstTs: now }));
  // A second last fragment that disagrees is ignored for the length (Wireshark flags "multiple tails").
  if (!h.more && d.total < 0) d.total = h.off + len;
  const step = { t: 'held' as const, in: 0 };
  const frag: Fragment = { off: h.off, bytes: pi.data.slice(start, stop), frame: ctx.reassemblyFrame, step };
  let i = d.frags.length;
  while (i > 0 && d.frags[i - 1].off > h.off) i--;
  d.frags.splice(i, 0, frag);
  d.bytes += len;
  table.bytes += len;
  if (d.total >= 0) {
    let pos = 0;
    for (const f of d.frags) {
      if (f.off > pos) break;
      pos = Math.max(pos, f.off + f.bytes.length);
    }
    if (pos >= d.total) {
      table.drop(h.key, d);
      // Lower offsets first, each adding only what lies past the bytes already placed: the first copy of an overlap wins.
      const data = new Uint8Array(d.total);
      let at = 0;
      for (const f of d.frags) {
        const end = Math.min(d.total, f.off + f.bytes.length);
        if (end > at) {
          data.set(f.bytes.subarray(at - f.off, end - f.off), at);
          at = end;
        }
      }
      for (const f of d.frags) if (f !== frag) f.step.in = ctx.reassemblyFrame;
      return { t: 'done', data, frames: d.frags.map((f) => f.frame), lengths: d.frags.map((f) => f.bytes.length), ownAt: h.off, used: Math.max(0, Math.min(len, d.total - h.off)) };
    }
  }
  while (table.map.size > MAX_PENDING_DATAGRAMS || table.bytes > MAX_PENDING_FRAGMENT_BYTES) {
    const [k, old] = table.map.entries().next().value as [string, Datagram];
    table.drop(k, old);
  }
  return step;
}
