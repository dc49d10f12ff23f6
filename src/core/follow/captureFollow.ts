// Follow one stream of a capture file: the file is read once in blocks (never whole), every packet is decoded in order
// so stream indexes are exactly Wireshark's tcp.stream / udp.stream, and the followed stream's chunks come out in
// batches as they are found. Memory: one read block, the decoder's conversation table and the out-of-order budget.
import * as fs from 'node:fs/promises';
import type { PacketRecord } from '../../shared/packet';
import { type DissectedPacket, DissectContext, dissect, eagerLayers, replayFacts } from '../decode/dissect';
import { formatIpv4, formatIpv6 } from '../decode/format';
import { CaptureFormatError, PcapStreamReader } from '../pcap/pcapStreamReader';
import { DEFAULT_PENDING_BYTES, type FollowChunk, type FollowEndpoint, type FollowProtocol, TcpFollower, UdpFollower } from './streamFollower';

const READ_BYTES = 1024 * 1024;

export interface FollowOptions {
  readonly protocol: FollowProtocol;
  readonly stream: number;
  /** Out-of-order TCP bytes held at most (default 64 MiB). */
  readonly maxPendingBytes?: number;
  readonly signal?: AbortSignal;
}

/** What a pass found; filled in as it goes, complete once the batches end. */
export interface FollowSummary {
  readonly protocol: FollowProtocol;
  readonly stream: number;
  /** Streams of this protocol in the file (so far, while the pass runs). */
  streams: number;
  /** Packets of the followed stream seen (UDP: those with a payload). */
  packets: number;
  /** Packets in the file. */
  framesRead: number;
  /** Node 0 and node 1 (undefined when no followed packet named them: a missing stream, a UDP one without payload). */
  nodes: readonly [FollowEndpoint, FollowEndpoint] | undefined;
  bytes: readonly [number, number];
  chunks: number;
  gaps: number;
  /** Gaps declared because the out-of-order budget ran out (0 unless a capture holds more than it). */
  forcedGaps: number;
  /** TCP segments still waiting for bytes the capture never delivered nor acknowledged (not shown, as in tshark). */
  unplaced: number;
  /** The file stopped being readable here (cut off, corrupt): what came before was followed. */
  error: CaptureFormatError | undefined;
}

/**
 * One stream followed packet by packet: `take` each decoded packet of the capture, in order (the decoder numbering
 * streams as Wireshark does); the chunks of the followed stream go to `emit`; `summary` says what was found so far.
 */
export class StreamFollow {
  readonly summary: FollowSummary;
  private readonly tcp: TcpFollower | undefined;
  private readonly udp: UdpFollower | undefined;

  constructor(opts: Pick<FollowOptions, 'protocol' | 'stream' | 'maxPendingBytes'>, emit: (c: FollowChunk) => void) {
    const tcp = (this.tcp = opts.protocol === 'tcp' ? new TcpFollower(emit, opts.maxPendingBytes ?? DEFAULT_PENDING_BYTES) : undefined);
    this.udp = opts.protocol === 'udp' ? new UdpFollower(emit) : undefined;
    const follower = (tcp ?? this.udp) as TcpFollower | UdpFollower;
    this.summary = {
      protocol: opts.protocol,
      stream: opts.stream,
      streams: 0,
      packets: 0,
      framesRead: 0,
      get nodes() {
        return follower.nodes;
      },
      bytes: follower.bytes,
      get chunks() {
        return follower.chunks;
      },
      get gaps() {
        return follower.gaps;
      },
      get forcedGaps() {
        return tcp?.forcedGaps ?? 0;
      },
      get unplaced() {
        return tcp?.pendingSegments ?? 0;
      },
      error: undefined,
    };
  }

  /** The next packet of the capture (`pkt.number` set), with its record's bytes (the payload is read from them). */
  take(pkt: DissectedPacket, data: Uint8Array): void {
    if (this.tcp) followTcp(pkt, data, this.summary.stream, this.tcp, this.summary);
    else followUdp(pkt, data, this.summary.stream, this.udp as UdpFollower, this.summary);
  }
}

/**
 * Follows `opts.stream` of `opts.protocol` through the capture `file`: yields the chunks in batches (one per read
 * block that produced any) and returns the summary. Throws the fs error when the file cannot be opened and a
 * CaptureFormatError when it is not a capture at all; a file cut off later ends the pass with `summary.error`.
 */
export async function* followCapture(file: string, opts: FollowOptions, summaryOut?: (s: FollowSummary) => void): AsyncGenerator<FollowChunk[], FollowSummary> {
  const fh = await fs.open(file, 'r');
  let batch: FollowChunk[] = [];
  const follow = new StreamFollow(opts, (c) => void batch.push(c));
  const summary = follow.summary;
  summaryOut?.(summary);
  const reader = new PcapStreamReader();
  // Stream numbers (and relative TCP numbers) are all the follower asks of the decoder: no TCP sequence analysis (on by
  // default) is spent.
  const ctx = new DissectContext({ analyzeTcp: false, relativeSeq: true });
  const buf = new Uint8Array(READ_BYTES);
  let pos = 0;
  const take = (rec: PacketRecord) => {
    // The decoder sees the headers only: stream numbers depend on them, and payload dissectors cost most of a pass.
    const cut = headersEnd(rec);
    const pkt = dissect(cut === undefined ? rec : { tsMicros: rec.tsMicros, origLen: rec.origLen, linkType: rec.linkType, data: rec.data.subarray(0, cut) }, ctx, ++summary.framesRead);
    follow.take(pkt, rec.data);
  };
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new Error('the follow was cancelled');
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      try {
        if (bytesRead === 0) {
          reader.end();
          break;
        }
        pos += bytesRead;
        const recs = reader.push(buf.subarray(0, bytesRead));
        for (let i = 0; i < recs.length; i++) take(recs[i]);
      } catch (e) {
        // Not a capture at all: the caller says so. Cut off or corrupt later: what came before stands.
        if (!(e instanceof CaptureFormatError)) throw e;
        if (summary.framesRead === 0 && e.code !== 'ETRUNCATED') throw e;
        if (summary.framesRead === 0 && reader.format === undefined) throw e;
        summary.error = e;
        break;
      }
      if (batch.length > 0) {
        const out = batch;
        batch = [];
        yield out;
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    await fh.close();
  }
  return summary;
}

function followTcp(pkt: DissectedPacket, d: Uint8Array, stream: number, tcp: TcpFollower, summary: FollowSummary): void {
  const t = pkt.tcp;
  if (t === undefined) return;
  if (t.stream >= summary.streams) summary.streams = t.stream + 1;
  if (t.stream !== stream) return;
  const layers = eagerLayers(pkt) ?? pkt.layers;
  const layer = layers.find((l) => l.name === 'tcp');
  if (layer === undefined) return;
  const hdrLen = (d[layer.offset + 12] >> 4) * 4;
  // Wireshark follows only segments whose header fits the IP payload (th_have_seglen).
  if (pkt.malformed?.startsWith('Malformed: TCP header length')) return;
  const start = layer.offset + hdrLen;
  const end = Math.min(start + t.len, d.length);
  summary.packets++;
  tcp.push({
    frame: pkt.number as number,
    src: { address: t.srcAddr, port: t.srcPort },
    dst: { address: t.dstAddr, port: t.dstPort },
    seq: t.seq,
    ack: t.ack,
    syn: (t.flags & 0x02) !== 0,
    len: t.len,
    payload: end > start ? d.subarray(start, end) : d.subarray(0, 0),
  });
}

function followUdp(pkt: DissectedPacket, d: Uint8Array, stream: number, udp: UdpFollower, summary: FollowSummary): void {
  if (!pkt.protocols.includes('udp')) return;
  const facts = replayFacts(pkt);
  if (facts === undefined) return;
  for (const s of facts.udp) if (s >= summary.streams) summary.streams = s + 1;
  // A datagram quoted in an ICMP error counts for the stream numbers but is not followed (tshark neither).
  if (pkt.protocols.includes('icmp') || pkt.protocols.includes('icmpv6')) return;
  if (facts.udp[0] !== stream) return;
  const u = pkt.udp;
  if (u?.reassembled !== undefined) {
    // A datagram defragmented on its last fragment: its own payload and direction, not that fragment's bytes.
    if (u.reassembled.length === 0) return;
    summary.packets++;
    udp.push({ frame: pkt.number as number, src: { address: u.srcAddr, port: u.srcPort }, dst: { address: u.dstAddr, port: u.dstPort }, payload: u.reassembled });
    return;
  }
  const layers = eagerLayers(pkt) ?? pkt.layers;
  const at = layers.findIndex((l) => l.name === 'udp');
  let ip: (typeof layers)[number] | undefined;
  for (let i = at - 1; i >= 0 && ip === undefined; i--) if (layers[i].name === 'ip' || layers[i].name === 'ipv6') ip = layers[i];
  if (at < 0 || ip === undefined || layers[at].offset + 8 > d.length) return;
  const o = layers[at].offset;
  const v4 = ip.name === 'ip';
  const ipLen = v4 ? (d[ip.offset + 2] << 8) | d[ip.offset + 3] : (d[ip.offset + 4] << 8) | d[ip.offset + 5];
  // An IP length of 0 (TSO, jumbograms) means "to the end of the frame", as Wireshark reads it.
  const ipEnd = ipLen === 0 ? pkt.length : ip.offset + ipLen + (v4 ? 0 : 40);
  const ulen = (d[o + 4] << 8) | d[o + 5];
  if (ulen < 8) return;
  const end = Math.min(o + ulen <= ipEnd ? o + ulen : ipEnd, d.length);
  const payload = end > o + 8 ? d.subarray(o + 8, end) : d.subarray(0, 0);
  if (payload.length === 0) return;
  summary.packets++;
  const src = v4 ? formatIpv4(d, ip.offset + 12) : formatIpv6(d, ip.offset + 8);
  const dst = v4 ? formatIpv4(d, ip.offset + 16) : formatIpv6(d, ip.offset + 24);
  udp.push({ frame: pkt.number as number, src: { address: src, port: (d[o] << 8) | d[o + 1] }, dst: { address: dst, port: (d[o + 2] << 8) | d[o + 3] }, payload });
}

/**
 * Where the TCP or UDP header of an untunnelled Ethernet/IPv4/IPv6 frame ends (its payload starts), or undefined
 * for anything else, which the decoder then reads whole.
 */
export function headersEnd(rec: PacketRecord): number | undefined {
  const d = rec.data;
  if (rec.linkType !== 1 || d.length < 14) return undefined;
  const type = (d[12] << 8) | d[13];
  let proto: number;
  let l4: number;
  if (type === 0x0800 && d.length >= 34) {
    const ihl = (d[14] & 15) * 4;
    // a fragment's payload is not a TCP/UDP header
    if (d[14] >> 4 !== 4 || ihl < 20 || (((d[20] << 8) | d[21]) & 0x3fff) !== 0) return undefined;
    proto = d[23];
    l4 = 14 + ihl;
  } else if (type === 0x86dd && d.length >= 54) {
    proto = d[20];
    l4 = 54;
  } else return undefined;
  if (proto === 6 && d.length >= l4 + 20) {
    const end = l4 + (d[l4 + 12] >> 4) * 4;
    return end >= l4 + 20 && end <= d.length ? end : undefined;
  }
  if (proto === 17 && d.length >= l4 + 8) return l4 + 8;
  return undefined;
}
