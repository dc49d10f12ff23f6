// What IP defragmentation (ipDefragment.ts) and TCP reassembly (tcpReassembly.ts) share: the switches (Wireshark's
// preferences), the facts a packet's first pass records so its field tree and a row click show the same, and the one
// way to dissect a reassembled buffer as if it were the packet's own bytes.
import type { Field, Layer } from './dissect';
import type { PacketInfo, Replay } from './registry';
import { ByteReader } from './reader';
import type { DirectionKeys } from '../tls/tlsDecrypt';

/**
 * Reassembly switches, Wireshark's preferences by another name; both default to on, as in Wireshark. Given to
 * `new DissectContext(options)`: a capture is dissected with one setting from its first packet on.
 */
export interface ReassemblyOptions {
  /** `ip.defragment` and `ipv6.defragment`: the fragment that completes a datagram carries it whole. */
  defragment?: boolean;
  /** `tcp.desegment_tcp_streams`: an HTTP message or a DNS-over-TCP message spread over segments is one PDU on its last segment. */
  desegmentTcp?: boolean;
}

/** What one reassembly step did with a range of a packet's bytes. */
export type ReassemblyStep =
  /** The bytes wait in a reassembly finished in frame `in` (0 while, or if ever, unknown). */
  | { t: 'held'; in: number }
  /** The bytes finish a reassembly: `data` is the whole PDU/datagram, `frames`/`lengths` its parts in order, this packet's `used` bytes sit at `ownAt` in it. */
  | { t: 'done'; data: Uint8Array; frames: number[]; lengths: number[]; ownAt: number; used: number }
  /** The bytes are a PDU of their own, dissected as they are. */
  | { t: 'plain'; len: number }
  /** A TLS record (tls.ts, keyed by `tlsFactKey`): of a TLS 1.3 conversation, and the keys that decrypted it. */
  | { t: 'tls'; tls13: boolean; encrypted: boolean; keys?: DirectionKeys; seq?: bigint; app?: { t: 'held' } | { t: 'done'; data: Uint8Array; frames: number[] } };

/** The reassembly facts of one dissector call: `at` says which (the payload's offset, in which buffer). */
export interface ReassemblyFact {
  at: number;
  steps: ReassemblyStep[];
}

// The facts live beside the packet's conversation facts (registry's Replay), keyed by that object.
const factsOf = new WeakMap<Replay, ReassemblyFact[]>();

/** @internal The reassembly facts a packet's dissection recorded (for the replay log). */
export function reassemblyFacts(replay: Replay): readonly ReassemblyFact[] | undefined {
  return factsOf.get(replay);
}

/** @internal Gives a replayed packet the reassembly facts its first pass recorded. */
export function setReassemblyFacts(replay: Replay, facts: ReassemblyFact[]): void {
  factsOf.set(replay, facts);
}

/** Nesting of reassembled buffers inside this packet (a TCP PDU inside a reassembled datagram): part of `at`. */
const level = new WeakMap<PacketInfo, number>();

/** True while a reassembled buffer (a defragmented datagram, a TCP PDU) is dissected, not the frame's own bytes. */
export function inReassembledBuffer(pi: PacketInfo): boolean {
  return (level.get(pi) ?? 0) > 0;
}

/** The key of a dissector call at `offset` in whatever buffer is being dissected now. */
export function factKey(pi: PacketInfo, offset: number): number {
  return (level.get(pi) ?? 0) * 0x1000000 + offset;
}

/** The key of TLS's fact about the record at `offset` (negative: never a reassembly call's key). */
export function tlsFactKey(pi: PacketInfo, offset: number): number {
  return -1 - factKey(pi, offset);
}

/** The recorded fact for this call when replaying (undefined: the first pass did not reassemble here). */
export function replayedFact(pi: PacketInfo, at: number): ReassemblyFact | undefined {
  const list = factsOf.get(pi.replay);
  if (list !== undefined) for (const f of list) if (f.at === at) return f;
  return undefined;
}

/** Records a first-pass fact. */
export function recordFact(pi: PacketInfo, fact: ReassemblyFact): void {
  let list = factsOf.get(pi.replay);
  if (list === undefined) factsOf.set(pi.replay, (list = []));
  list.push(fact);
}

type Mutable = { r: ByteReader; data: Uint8Array; capLen: number };

/** Runs `fn` with `buf` as the packet's bytes (offsets 0 … buf.length), one reassembly level deeper. */
function withBytes(pi: PacketInfo, buf: Uint8Array, fn: () => void): void {
  const m = pi as unknown as Mutable;
  const saved: Mutable = { r: m.r, data: m.data, capLen: m.capLen };
  m.data = buf;
  m.capLen = buf.length;
  m.r = new ByteReader(buf, 0, buf.length);
  const depth = level.get(pi) ?? 0;
  level.set(pi, depth + 1);
  try {
    fn();
  } finally {
    level.set(pi, depth);
    m.data = saved.data;
    m.capLen = saved.capLen;
    m.r = saved.r;
  }
}

/**
 * Runs `fn` with `buf` as the packet's bytes (offsets 0 … buf.length), then moves the byte ranges of the layers and
 * fields it added onto the frame: this packet's part (`used` bytes at `ownAt` in `buf`) lies at `frameAt` in the
 * frame; what came from other frames is shown as an empty range where this packet's part starts.
 */
export function dissectBuffer(pi: PacketInfo, buf: Uint8Array, ownAt: number, used: number, frameAt: number, fn: () => void): void {
  const from = pi.layers.length;
  withBytes(pi, buf, fn);
  const move = (x: { offset: number; length: number; source?: number }) => {
    if (x.source !== undefined) return; // in bytes of its own (a decrypted record), not this buffer's
    const lo = Math.max(x.offset, ownAt);
    const hi = Math.min(x.offset + x.length, ownAt + used);
    if (hi > lo) {
      x.offset = frameAt + lo - ownAt;
      x.length = hi - lo;
    } else {
      x.offset = frameAt + (x.offset >= ownAt + used && used > 0 ? used : 0);
      x.length = 0;
    }
  };
  const moveFields = (fs: Field[]) => {
    for (const f of fs) {
      move(f);
      if (f.children) moveFields(f.children);
    }
  };
  for (let i = from; i < pi.layers.length; i++) {
    const l: Layer = pi.layers[i];
    move(l);
    if (l.fields.length > 0) moveFields(l.fields);
  }
}

/**
 * Runs `fn` with `buf` as the packet's bytes, as a data source of its own (Wireshark's "Decrypted TLS" tab): the
 * layers and fields it adds keep their offsets in `buf` and point to it. Returns the source's index.
 */
export function dissectSource(pi: PacketInfo, name: string, buf: Uint8Array, fn: () => void): number {
  const index = (pi.sources ??= []).push({ name, bytes: buf }) - 1;
  const from = pi.layers.length;
  withBytes(pi, buf, fn);
  tagSource(pi.layers.slice(from), index);
  return index;
}

/** Marks layers and their fields (those not in another source already) as being in source `index`. */
export function tagSource(layers: readonly Layer[], index: number): void {
  const tag = (fs: Field[]) => {
    for (const f of fs) {
      f.source ??= index;
      if (f.children) tag(f.children);
    }
  };
  for (const l of layers) {
    l.source ??= index;
    tag(l.fields);
  }
}

/** `#14(1280), #15(1205)`: the parts as Wireshark lists them. */
export function partsText(frames: readonly number[], lengths: readonly number[]): string {
  return frames.map((f, i) => `#${f}(${lengths[i]})`).join(', ');
}

/** Wireshark's defaults: both on. */
export const reassemblyDefaults: Required<ReassemblyOptions> = { defragment: true, desegmentTcp: true };

/** Pending reassemblies a context holds; copied with the context (checkpoints of a file's first pass). */
export interface ReassemblyTable {
  clone(): ReassemblyTable;
}
