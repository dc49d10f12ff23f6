// Entry point of the decoders: one PacketRecord in, layers of Wireshark-named fields and the list columns out.
import type { PacketRecord } from '../../shared/packet';
import { formatMac } from './format';
import { PacketInfo, type Replay, addField, beginLayer, declareFields, declareProtocol, dissectData, linkTypeTable } from './registry';
// Each protocol module registers itself in the tables when loaded (order does not matter).
import './ethernet';
import './sll';
import './nullLoopback';
import './rawIp';
import './ipv4';
import './ipv6';
import './arp';
import './icmp';
import './icmpv6';
import './tcp';
import './udp';
import './dns';
import './http';
import './websocket';
import './tls';
import './teredo';
import { DissectContext, type DissectOptions } from './context';
import type { TcpAnalysis } from './tcpAnalysis';

import type { LayerRole } from '../../shared/types';
import { declareFastReaders } from './fastValues';
import { wiresharkEncap } from './wtapEncap';
import { optionProtocols } from './tcpOptions';
export { wiresharkEncap };
export { DissectContext, type DissectOptions, type Replay };


export interface Field {
  /** Wireshark display-filter name, e.g. `tcp.flags.syn`. */
  id: string;
  /** Human label, e.g. `Syn`; a tree line reads `${label}: ${display}`. */
  label: string;
  value: string | number | boolean;
  display: string;
  /** Byte range in the captured frame (always within the captured length), or in data source `source`. */
  offset: number;
  length: number;
  children?: Field[];
  /** Index in the packet's `sources` of the bytes `offset` is in (decrypted TLS …); absent: the frame's bytes. */
  source?: number;
}

/** Bytes a packet carried that are not the frame's own (Wireshark's extra byte tabs): a name and the bytes. */
export interface DataSource {
  name: string;
  bytes: Uint8Array;
}

export interface Layer {
  /** Protocol filter name: `frame`, `eth`, `sll`, `null`, `vlan`, `ip`, `ipv6`, `arp`, `icmp`, `icmpv6`, `tcp`, `udp`, `dns`, `http`, `data`. */
  name: string;
  /** Tree heading, e.g. `Transmission Control Protocol, Src Port: 51234, Dst Port: 8000, Seq: 0, Len: 0`. */
  title: string;
  role: LayerRole;
  offset: number;
  length: number;
  fields: Field[];
  /** The capture ended (or a length field pointed) before this layer did. */
  truncated?: boolean;
  /** Index in the packet's `sources` of the bytes this layer's range is in; absent: the frame's bytes. */
  source?: number;
}

export interface PacketSummary {
  source: string;
  destination: string;
  protocol: string;
  info: string;
}

/** The TCP facts the conversation diagram needs, with Wireshark's relative numbers. */
export interface TcpSegmentInfo {
  stream: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  /** Raw flag bits (FIN=0x01 … AE=0x100). */
  flags: number;
  /** AccECN was negotiated: AE, CWR and ECE are the ACE counter (`tcp.flags.ace`), not three flags. */
  ace?: boolean;
  /** `SYN, ACK` as in Wireshark's Info column; `<None>` when no flag is set. */
  flagsText: string;
  seq: number;
  ack: number;
  seqRaw: number;
  ackRaw: number;
  len: number;
  window: number;
  /** Wireshark's sequence analysis of this segment (tcpAnalysis.ts), when it found anything. */
  analysis?: TcpAnalysis;
}

/** The outer UDP datagram's conversation facts (not a datagram quoted inside an ICMP error). */
export interface UdpDatagramInfo {
  stream: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  /**
   * The UDP payload of a datagram reassembled from IP fragments (this frame holds its last fragment only, and the
   * layers' byte ranges point into the frame); undefined for a datagram in one frame.
   */
  reassembled?: Uint8Array;
}

export interface DissectedPacket {
  /** 1-based position in its capture, when the caller gave one. */
  number?: number;
  tsMicros: number;
  /** Nanoseconds past `tsMicros` (0–999) when the capture is stamped in nanoseconds; absent on a µs capture. */
  tsNanos?: number;
  /** Bytes on the wire. */
  length: number;
  capturedLength: number;
  linkType: number;
  /** The field tree; built on first read (the columns below are computed without it). */
  layers: Layer[];
  /** Bytes other than the frame's that fields point into (Field.source), built with the tree; absent when none. */
  readonly sources?: readonly DataSource[];
  /** Layer names in order (`['frame', 'eth', 'ip', 'udp', 'data']`), known without building the tree. */
  protocols: string[];
  summary: PacketSummary;
  /** Why the packet is not complete or not well-formed; the layers hold what could be read. */
  malformed?: string;
  tcp?: TcpSegmentInfo;
  udp?: UdpDatagramInfo;
  /** The captured bytes (same object as the record's data, not a copy). */
  data: Uint8Array;
}

const frameProto = declareProtocol('frame', 'Frame');
const hfFrame = declareFields({
  number: ['frame.number', 'Frame Number', 'uint'],
  time: ['frame.time_epoch', 'Epoch Time', 'time'],
  len: ['frame.len', 'Frame Length', 'uint'],
  capLen: ['frame.cap_len', 'Capture Length', 'uint'],
  encap: ['frame.encap_type', 'Encapsulation type', 'int'],
  protocols: ['frame.protocols', 'Protocols in frame', 'string'],
});
declareFastReaders({
  'frame.len': (p, _s, o) => ((o[0] = p.length), 1),
  'frame.cap_len': (p, _s, o) => ((o[0] = p.capturedLength), 1),
  'frame.encap_type': (p, _s, o) => ((o[0] = wiresharkEncap(p.linkType)), 1),
  'frame.time_epoch': (p, _s, o) => ((o[0] = p.tsMicros / 1e6 + (p.tsNanos ?? 0) / 1e9), 1),
  'frame.number': (p, _s, o) => (p.number === undefined ? 0 : ((o[0] = p.number), 1)),
});

const linkTypeNames: Record<number, string> = { 0: 'NULL/Loopback', 1: 'Ethernet', 101: 'Raw IP', 108: 'OpenBSD loopback', 113: 'Linux cooked-mode capture v1', 228: 'Raw IPv4', 229: 'Raw IPv6', 276: 'Linux cooked-mode capture v2' };

/** Seconds.µs, or seconds.ns on a capture stamped in nanoseconds (as Wireshark shows either). */
function epochText(tsMicros: number, tsNanos: number | undefined): string {
  const sec = Math.floor(tsMicros / 1e6);
  const us = Math.round(tsMicros - sec * 1e6);
  return tsNanos === undefined ? `${sec}.${String(us).padStart(6, '0')}` : `${sec}.${String(us * 1000 + tsNanos).padStart(9, '0')}`;
}

/** The field of each link header that holds an ethertype (present only when the ethertype table was used). */
const ethertypeFields: Record<string, string> = { eth: 'eth.type', sll: 'sll.etype', vlan: 'vlan.etype', ieee8021ad: 'ieee8021ah.etype' };

const ipv6Extensions = new Set(['ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts']);

/** Runs the link-type dissector and the frame bookkeeping; both passes share this. */
function run(pi: PacketInfo, rec: PacketRecord, number: number | undefined): void {
  const capLen = pi.capLen;
  const frame = beginLayer(pi, frameProto.id, '', 'frame', 0, capLen);
  if (pi.full) {
    frame.title = `Frame${number !== undefined ? ` ${number}` : ''}: ${rec.origLen} bytes on wire (${rec.origLen * 8} bits), ${capLen} bytes captured (${capLen * 8} bits)`;
    if (number !== undefined) addField(pi, frame, hfFrame.number, number, String(number), 0, 0);
    addField(pi, frame, hfFrame.time, rec.tsMicros / 1e6 + (rec.tsNanos ?? 0) / 1e9, epochText(rec.tsMicros, rec.tsNanos), 0, 0);
    addField(pi, frame, hfFrame.len, rec.origLen, `${rec.origLen} bytes`, 0, 0);
    addField(pi, frame, hfFrame.capLen, capLen, `${capLen} bytes`, 0, 0);
    addField(pi, frame, hfFrame.encap, wiresharkEncap(rec.linkType), `${linkTypeNames[rec.linkType] ?? `LINKTYPE ${rec.linkType}`} (${wiresharkEncap(rec.linkType)})`, 0, 0);
  }
  try {
    const d = linkTypeTable.get(rec.linkType);
    // Dissectors see the on-wire end (lengths stay true under a snap length); reads stay within the captured bytes.
    const used = d === undefined ? undefined : d(pi, 0, Math.max(capLen, rec.origLen));
    if (used === undefined) {
      dissectData(pi, 0, capLen);
      pi.protocol ||= `LINKTYPE ${rec.linkType}`;
      pi.info ||= `Link type ${rec.linkType} is not decoded`;
    }
  } catch (e) {
    // A decoder bug must cost one packet its detail, never the capture view.
    pi.malformed = `Decoder error: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (pi.src === '' && pi.linkAddrAt >= 0) {
    pi.src = formatMac(pi.data, pi.linkAddrAt + 6);
    pi.dst = formatMac(pi.data, pi.linkAddrAt);
  }
  let truncated = false;
  for (let i = 1; i < pi.layers.length && i < pi.quotedFrom; i++) if (pi.layers[i].truncated) truncated = true;
  if (pi.full) {
    // Wireshark's raw-IP link dissector is a protocol of its own (`raw`).
    let protocols = rec.linkType === 101 || rec.linkType === 12 || rec.linkType === 14 ? 'raw' : '';
    for (let i = 1; i < pi.layers.length; i++) {
      const layer = pi.layers[i];
      const name = layer.name;
      // WebSocket comes through HTTP's hand-off (`http:websocket`), listed once however many frames a packet has.
      if (name === 'websocket' && pi.layers.findIndex((l) => l.name === name) < i) continue;
      if (name === 'websocket') protocols += ':http';
      protocols += (protocols ? ':' : '') + name;
      // IPv6 extension headers are protocols of their own in Wireshark (`ipv6.hopopts`, `ipv6.fraghdr` …).
      if (name === 'ipv6') for (const f of layer.fields) if (ipv6Extensions.has(f.id)) protocols += ':' + f.id;
      // So is an MPTCP option (`tcp:mptcp`, once per option).
      if (name === 'tcp') for (const f of layer.fields) if (f.id === 'tcp.options') for (const c of f.children ?? []) if (optionProtocols.has(c.id)) protocols += ':' + c.id;
      // Wireshark lists the ethertype table as a pseudo-protocol after each link header that used it (one with a type,
      // not an 802.3 length or a Linux pseudo-protocol), also when no dissector claims the type (`eth:ethertype:data`).
      if (name in ethertypeFields && layer.fields.some((f) => f.id === ethertypeFields[name])) protocols += ':ethertype';
    }
    addField(pi, frame, hfFrame.protocols, protocols, protocols, 0, 0);
  }
  if (pi.malformed === undefined && (truncated || pi.r.truncated)) {
    const cut = pi.layers.find((l, i) => i > 0 && i < pi.quotedFrom && l.truncated);
    pi.malformed = `Truncated: the ${cut?.name ?? 'packet'} layer needs more bytes than the ${capLen} captured`;
  }
  // Even when every header fitted, a snap length below the wire length means the rest is missing.
  if (pi.malformed === undefined && capLen < rec.origLen) pi.malformed = `Truncated: only ${capLen} of ${rec.origLen} bytes were captured`;
}

/**
 * Decodes one packet. Never throws: a cut or inconsistent packet gives the layers that could be
 * read and `malformed`; pass the same `ctx` for every packet of a capture, in order, to get
 * relative TCP sequence numbers and stream indices.
 *
 * The columns, `malformed` and `tcp` are computed at once; `layers` (the field tree) is built the
 * first time it is read, from facts recorded now, so a packet list of 100k rows costs no field objects.
 */
export function dissect(rec: PacketRecord, ctx: DissectContext = new DissectContext(), number?: number): DissectedPacket {
  ctx.reassemblyFrame = number ?? ctx.reassemblyFrame + 1; // reassembly names the frames of a PDU by number
  // TCP analysis names frames by number and, as Wireshark on a revisit, leaves a frame it already analysed alone.
  ctx.analysisVisited = number !== undefined && number <= ctx.analysisFrame;
  ctx.analysisFrame = ctx.analysisVisited ? ctx.analysisFrame : (number ?? ctx.analysisFrame + 1);
  const pi = new PacketInfo(rec, ctx, false);
  run(pi, rec, number);
  return new LazyPacket(rec, ctx, number, pi);
}

/**
 * Decodes one packet alone exactly as the `dissect` call that recorded `facts` (see `replayFacts`) did in its
 * capture's order: the conversation answers (stream indexes, base sequence numbers, window scaling) come from
 * the facts, so no context and no earlier packet is needed.
 */
export function dissectAgain(rec: PacketRecord, facts: Replay, number?: number, options: DissectOptions = {}): DissectedPacket {
  // every conversation question is answered by `facts`; the context only carries the first pass's options (relative
  // or raw TCP numbers)
  const ctx = new DissectContext(options);
  if (number !== undefined) ctx.reassemblyFrame = number; // TLS finds the keys a record was decrypted with by frame
  const pi = new PacketInfo(rec, ctx, false, facts);
  run(pi, rec, number);
  return new LazyPacket(rec, ctx, number, pi);
}

/** What a packet's dissection took from its context (for `dissectAgain`), or undefined for a packet not built by `dissect`. */
export function replayFacts(pkt: DissectedPacket): Readonly<Replay> | undefined {
  return pkt instanceof LazyPacket ? pkt.facts() : undefined;
}

/**
 * A dissected packet whose field tree is built on first read of `layers`. A class with a prototype
 * getter, not an object literal with an accessor: V8 builds those ~50× slower, once per packet.
 */
class LazyPacket implements DissectedPacket {
  number?: number;
  readonly tsMicros: number;
  readonly tsNanos?: number;
  readonly length: number;
  readonly capturedLength: number;
  readonly linkType: number;
  readonly summary: PacketSummary;
  readonly protocols: string[];
  malformed?: string;
  tcp?: TcpSegmentInfo;
  udp?: UdpDatagramInfo;
  readonly data: Uint8Array;
  // `#` fields: invisible to JSON, spreads and structured clone, and cheap (no property-attribute changes).
  readonly #rec: PacketRecord;
  readonly #ctx: DissectContext;
  readonly #replay: PacketInfo['replay'];
  readonly #scan: Layer[];
  #tree: Layer[] | undefined;
  #sources: DataSource[] | undefined;

  constructor(rec: PacketRecord, ctx: DissectContext, num: number | undefined, pi: PacketInfo) {
    this.tsMicros = rec.tsMicros;
    if (rec.tsNanos !== undefined) this.tsNanos = rec.tsNanos;
    this.length = rec.origLen;
    this.capturedLength = pi.capLen;
    this.linkType = rec.linkType;
    this.data = rec.data;
    this.#rec = rec;
    this.#ctx = ctx;
    this.#replay = pi.replay;
    this.#scan = pi.layers;
    this.#tree = undefined;
    if (num !== undefined) this.number = num;
    const names: string[] = [];
    for (const l of pi.layers) names.push(l.name);
    this.protocols = names;
    const info = pi.info;
    this.summary = { source: pi.src, destination: pi.dst, protocol: pi.protocol, info };
    if (pi.malformed !== undefined) {
      this.malformed = pi.malformed;
      // "Packet size limited during capture" only when bytes are missing (caplen < origlen, or a header ran past them);
      // a complete frame whose length fields lie is malformed, and Wireshark leaves those notes out of Info.
      if (!pi.malformedQuiet || !info) this.summary.info = info ? `${info} [${pi.malformed.startsWith('Truncated') ? 'Packet size limited during capture' : 'Malformed Packet'}]` : `[${pi.malformed}]`;
    }
    if (pi.tcp !== undefined) this.tcp = pi.tcp;
    if (pi.udp !== undefined) this.udp = pi.udp;
  }

  /** The field tree: a second pass with the conversation facts the first pass recorded (the context is not touched). */
  get layers(): Layer[] {
    if (this.#tree === undefined) {
      const full = new PacketInfo(this.#rec, this.#ctx, true, this.#replay);
      run(full, this.#rec, this.number);
      this.#tree = full.layers;
      this.#sources = full.sources;
    }
    return this.#tree;
  }

  get sources(): readonly DataSource[] | undefined {
    return this.layers && this.#sources;
  }

  set layers(v: Layer[]) {
    replacedTrees.add(this);
    this.#tree = v;
  }

  /** @internal The conversation facts the columns pass took (see `replayFacts`). */
  facts(): Readonly<Replay> {
    return this.#replay;
  }

  /** @internal The columns pass's layers (see `eagerLayers`). */
  scanLayers(): readonly Layer[] {
    return this.#scan;
  }

  /** JSON carries the tree too (a prototype getter is not an own property). */
  toJSON(): Record<string, unknown> {
    const { number, tsMicros, length, capturedLength, linkType, protocols, summary, malformed, tcp } = this;
    return { number, tsMicros, length, capturedLength, linkType, protocols, layers: this.layers, summary, malformed, tcp, data: [...this.data] };
  }
}

/** Packets whose tree a caller replaced: their eager facts no longer describe `layers`. */
const replacedTrees = new WeakSet<DissectedPacket>();

/**
 * @internal The first pass's layers (names, byte ranges, truncation; no fields) when `layers` is (or will be)
 * the tree derived from the same bytes, so the display filter may answer from them without building it.
 */
export function eagerLayers(pkt: DissectedPacket): readonly Layer[] | undefined {
  return pkt instanceof LazyPacket && !replacedTrees.has(pkt) ? pkt.scanLayers() : undefined;
}

/** Walks every field (depth first) of a dissected packet. */
export function* allFields(pkt: DissectedPacket): Generator<Field> {
  for (const layer of pkt.layers) {
    const stack: Field[] = [...layer.fields].reverse();
    while (stack.length > 0) {
      const f = stack.pop() as Field;
      yield f;
      if (f.children) for (let i = f.children.length - 1; i >= 0; i--) stack.push(f.children[i]);
    }
  }
}

/** The first field with this id, or undefined. */
export function findField(pkt: DissectedPacket, id: string): Field | undefined {
  for (const f of allFields(pkt)) if (f.id === id) return f;
  return undefined;
}

// ---- Conversation keys (the packet models group TCP segments by these) ----

export interface Endpoint {
  address: string;
  port: number;
}

export interface ConversationKey {
  /** Stable text key: both endpoints, the lower one first (`127.0.0.1:8000 ↔ 127.0.0.1:51234`). */
  key: string;
  a: Endpoint;
  b: Endpoint;
}

export function endpointText(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function endpointLess(x: Endpoint, y: Endpoint): boolean {
  return x.address < y.address || (x.address === y.address && x.port < y.port);
}

/** The TCP conversation a packet belongs to (both endpoints, order-independent key), or undefined. */
export function conversationOf(pkt: DissectedPacket): ConversationKey | undefined {
  const t = pkt.tcp;
  if (t === undefined) return undefined;
  const s: Endpoint = { address: t.srcAddr, port: t.srcPort };
  const d: Endpoint = { address: t.dstAddr, port: t.dstPort };
  const [a, b] = endpointLess(s, d) ? [s, d] : [d, s];
  return { key: `${endpointText(a)} ↔ ${endpointText(b)}`, a, b };
}
