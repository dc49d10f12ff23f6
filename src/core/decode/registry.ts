// Dissector tables and field declarations, the Wireshark way: protocols register themselves as data.
import type { PacketRecord } from '../../shared/packet';
import type { LayerRole } from '../../shared/types';
import type { DataSource, Field, Layer, TcpSegmentInfo, UdpDatagramInfo } from './dissect';
import type { DissectContext } from './context';
import { hexBytes } from './format';
import { ByteReader } from './reader';

export type FieldKind = 'uint' | 'int' | 'bool' | 'string' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'time' | 'none';

/** One declared field (Wireshark's `hf_register_info`): the id, its label, and its type. */
export interface FieldDef {
  readonly id: string;
  readonly label: string;
  readonly kind: FieldKind;
}

/** Every declared field and protocol name, for the display filter's "is this a field?" check. */
export const fieldRegistry = new Map<string, FieldDef>();
/** Filter names that stand for several fields (`ip.addr` → `ip.src`, `ip.dst`). */
export const fieldAliases = new Map<string, readonly string[]>();
export const protocolNames = new Set<string>();
/** Fields Wireshark also puts in another protocol's layer (IPv6 carries a hidden `ip.version`): the filter cannot rule them out by layer. */
export const fieldsOutsideTheirLayer = new Set<string>(['ip.version']);

export function declareProtocol(name: string, title: string): FieldDef {
  protocolNames.add(name);
  const def: FieldDef = { id: name, label: title, kind: 'none' };
  fieldRegistry.set(name, def);
  return def;
}

export function declareFields<T extends Record<string, readonly [string, string, FieldKind]>>(defs: T): { [K in keyof T]: FieldDef } {
  const out = {} as { [K in keyof T]: FieldDef };
  for (const key of Object.keys(defs) as (keyof T)[]) {
    const [id, label, kind] = defs[key];
    const def: FieldDef = { id, label, kind };
    fieldRegistry.set(id, def);
    out[key] = def;
  }
  return out;
}

export function declareAlias(id: string, label: string, kind: FieldKind, targets: readonly string[]): void {
  fieldAliases.set(id, targets);
  fieldRegistry.set(id, { id, label, kind });
}

/** What a TCP/UDP dissector took from the conversation state, in call order (quoted packets included). */
export interface Replay {
  tcp: { stream: number; seqBase: number; ackBase: number; scale: number; ace?: boolean }[];
  udp: number[];
}

/** Per-packet state shared by the dissectors of one packet (Wireshark's `pinfo`). */
export class PacketInfo {
  readonly r: ByteReader;
  readonly data: Uint8Array;
  /** Captured length: no field or layer may reach past it. */
  readonly capLen: number;
  readonly layers: Layer[] = [];
  src = '';
  dst = '';
  protocol = '';
  info = '';
  malformed: string | undefined;
  /** Network-layer addresses and transport ports, for conversations. */
  netSrc = '';
  netDst = '';
  ttl = -1;
  srcPort = -1;
  dstPort = -1;
  tcp: TcpSegmentInfo | undefined;
  udp: UdpDatagramInfo | undefined;
  /** Offset of an Ethernet header whose addresses fill the columns if no network layer does. */
  linkAddrAt = -1;
  /** Set inside an ICMP error's quoted packet so it does not touch conversation state or the columns. */
  nested = 0;
  /** Inside the first fragment of a fragmented datagram: lengths past this packet are the other fragments', not lies. */
  fragmented = false;
  /** Index of the first layer of a quoted packet: layers from here on do not make the packet "truncated". */
  quotedFrom = Infinity;
  /** Conversation facts: recorded by a first pass, or given to replay them (then the context is not consulted). */
  readonly replay: Replay;
  /** True when `replay` was given: dissectors read their facts from it, in call order, instead of the context. */
  readonly replaying: boolean;
  /** Bytes other than the frame's that fields point into (decrypted TLS records): Field.source indexes them; made on first use. */
  sources: DataSource[] | undefined;
  /** Read positions in `replay` while replaying. */
  tcpAt = 0;
  udpAt = 0;

  constructor(
    readonly rec: PacketRecord,
    readonly ctx: DissectContext,
    /** False on the first pass (columns only: dissectors skip building fields); true when the tree is wanted. */
    readonly full: boolean = true,
    /** Conversation facts recorded by the first pass, replayed by the second so both agree. */
    replay?: Replay,
  ) {
    this.replay = replay ?? { tcp: [], udp: [] };
    this.replaying = replay !== undefined;
    this.data = rec.data;
    this.capLen = rec.data.length;
    this.r = new ByteReader(rec.data, 0, rec.data.length);
  }

  /** The first problem is an expert note Wireshark does not append to the Info column (a lying length, too deep). */
  malformedQuiet = false;
  /** Nested dissector-table calls so far (IP-in-IP, IPv6-in-IPv4, VLAN stacks); bounded by MAX_DISSECTION_DEPTH. */
  depth = 0;

  /** Records the first problem only; later ones are usually its consequence. `quiet`: leave the Info column alone. */
  markMalformed(why: string, quiet = false): void {
    if (this.malformed !== undefined) return;
    this.malformed = why;
    this.malformedQuiet = quiet;
  }
}

/** The columns-only pass never adds fields: its layers share one frozen empty list. */
const NO_FIELDS: Field[] = Object.freeze([]) as unknown as Field[];

/** Opens a layer; its byte range is cut to the captured bytes. */
export function beginLayer(pi: PacketInfo, name: string, title: string, role: LayerRole, offset: number, length: number): Layer {
  const start = Math.min(Math.max(0, offset), pi.capLen);
  const stop = Math.min(Math.max(start, offset + length), pi.capLen);
  const layer: Layer = { name, title, role, offset: start, length: stop - start, fields: pi.full ? [] : NO_FIELDS };
  if (offset + length > pi.capLen) layer.truncated = true;
  pi.layers.push(layer);
  return layer;
}

/** Adds a field unless its bytes were not captured (then the layer is marked truncated). */
export function addField(
  pi: PacketInfo,
  layer: Layer,
  def: FieldDef,
  value: string | number | boolean,
  display: string,
  offset: number,
  length: number,
  into: Field[] = layer.fields,
): Field | undefined {
  if (offset < 0 || length < 0 || offset + length > pi.capLen) {
    layer.truncated = true;
    return undefined;
  }
  if (!pi.full) return undefined;
  const f: Field = { id: def.id, label: def.label, value, display, offset, length };
  into.push(f);
  return f;
}

/** Adds a bytes field: the value is the bytes as hex (at most 4096 bytes, then `…`). */
export function addBytesField(pi: PacketInfo, layer: Layer, def: FieldDef, offset: number, length: number, display: string, into: Field[] = layer.fields): Field | undefined {
  if (offset < 0 || length < 0 || offset + length > pi.capLen) {
    layer.truncated = true;
    return undefined;
  }
  if (!pi.full) return undefined;
  const f: Field = { id: def.id, label: def.label, value: hexBytes(pi.data, offset, length), display, offset, length };
  into.push(f);
  return f;
}

/** Adds a child to `parent`, creating its children list on first use. */
export function addChild(
  pi: PacketInfo,
  layer: Layer,
  parent: Field | undefined,
  def: FieldDef,
  value: string | number | boolean,
  display: string,
  offset: number,
  length: number,
): Field | undefined {
  if (parent === undefined) return addField(pi, layer, def, value, display, offset, length);
  return addField(pi, layer, def, value, display, offset, length, (parent.children ??= []));
}

/** Decodes from `offset` up to `end`; returns the bytes it consumed, or `undefined` for "not mine". */
export type Dissector = (pi: PacketInfo, offset: number, end: number) => number | undefined;

export class DissectorTable {
  private readonly map = new Map<number, Dissector>();
  constructor(readonly name: string) {}
  register(key: number, d: Dissector): void {
    this.map.set(key, d);
  }
  get(key: number): Dissector | undefined {
    return this.map.get(key);
  }
}

export const linkTypeTable = new DissectorTable('wtap_encap');
export const ethertypeTable = new DissectorTable('ethertype');
export const ipProtoTable = new DissectorTable('ip.proto');
export const tcpPortTable = new DissectorTable('tcp.port');
export const udpPortTable = new DissectorTable('udp.port');
/** Tried on TCP/UDP payloads no port claimed (HTTP on any port). */
export const tcpHeuristics: Dissector[] = [];
export const udpHeuristics: Dissector[] = [];

const dataProto = declareProtocol('data', 'Data');
const hfData = declareFields({
  data: ['data.data', 'Data', 'bytes'],
  len: ['data.len', 'Length', 'uint'],
});

/** The fallback: bytes nobody claimed. */
export function dissectData(pi: PacketInfo, offset: number, end: number): number {
  const len = end - offset;
  if (len <= 0) return 0;
  // Nothing of it captured (a snap length cut before it): Wireshark adds no data layer.
  if (offset >= pi.capLen) return len;
  const layer = beginLayer(pi, dataProto.id, `Data (${len} bytes)`, 'message', offset, len);
  const avail = Math.max(0, Math.min(end, pi.capLen) - offset);
  addBytesField(pi, layer, hfData.data, offset, avail, `${len} bytes`);
  // Wireshark's data.len counts the bytes it has (the captured ones), not the length on the wire.
  addField(pi, layer, hfData.len, avail, avail === len ? String(len) : `${avail} (of ${len} on the wire)`, offset, 0);
  return len;
}

/** Nested dissector-table calls allowed in one packet; deeper encapsulations are shown as data with a note. */
export const MAX_DISSECTION_DEPTH = 16;

/** Runs the table's dissector for `key`, else the data dissector; past MAX_DISSECTION_DEPTH, data with a note. */
export function callTableOrData(table: DissectorTable, key: number, pi: PacketInfo, offset: number, end: number): number {
  if (offset >= end) return 0;
  const d = table.get(key);
  if (d !== undefined) {
    if (pi.depth >= MAX_DISSECTION_DEPTH) {
      // 1,000 nested IP-in-IP headers must cost bounded time and stack, never a crash.
      pi.markMalformed(`Note: more than ${MAX_DISSECTION_DEPTH} nested layers; the rest is shown as data`, true);
      return dissectData(pi, offset, end);
    }
    pi.depth++;
    try {
      const used = d(pi, offset, end);
      if (used !== undefined) return used;
    } finally {
      pi.depth--;
    }
  }
  return dissectData(pi, offset, end);
}

/** Ports first (lower one first, as Wireshark tries), then heuristics, then data. */
export function callPortsOrData(table: DissectorTable, heuristics: Dissector[], pi: PacketInfo, offset: number, end: number): number {
  if (offset >= end) return 0;
  // A payload none of which was captured names no protocol (Wireshark calls no dissector on it).
  if (offset >= pi.capLen) return end - offset;
  const low = Math.min(pi.srcPort, pi.dstPort);
  const high = Math.max(pi.srcPort, pi.dstPort);
  for (const port of low === high ? [low] : [low, high]) {
    const d = table.get(port);
    if (d === undefined) continue;
    const used = d(pi, offset, end);
    if (used !== undefined) return used;
  }
  for (const h of heuristics) {
    const used = h(pi, offset, end);
    if (used !== undefined) return used;
  }
  return dissectData(pi, offset, end);
}

/** Decodes the packet an ICMP error quotes, without letting it change the columns, conversations or marks. */
export function dissectQuoted(pi: PacketInfo, ethertype: number, offset: number, end: number): void {
  if (offset >= end || pi.nested >= 2) {
    dissectData(pi, offset, end);
    return;
  }
  const saved = { fragmented: pi.fragmented, protocol: pi.protocol, info: pi.info, src: pi.src, dst: pi.dst, netSrc: pi.netSrc, netDst: pi.netDst, srcPort: pi.srcPort, dstPort: pi.dstPort, malformed: pi.malformed, malformedQuiet: pi.malformedQuiet, truncated: pi.r.truncated };
  pi.quotedFrom = Math.min(pi.quotedFrom, pi.layers.length);
  pi.nested++;
  try {
    callTableOrData(ethertypeTable, ethertype, pi, offset, end);
  } finally {
    pi.nested--;
    Object.assign(pi, { fragmented: saved.fragmented, protocol: saved.protocol, info: saved.info, src: saved.src, dst: saved.dst, netSrc: saved.netSrc, netDst: saved.netDst, srcPort: saved.srcPort, dstPort: saved.dstPort, malformed: saved.malformed, malformedQuiet: saved.malformedQuiet });
    pi.r.truncated = saved.truncated;
  }
}
