// Follow TCP/UDP stream, Wireshark's way: the payload of both directions of one conversation, in the order the
// capture delivers it, TCP reassembled by sequence number (retransmissions and overlaps dropped, out-of-order segments
// held until they fit, a gap the receiver acknowledged marked with its length). One chunk per segment or datagram, as
// tshark's follow records are (packet-tcp.c follow_tcp_tap_listener, packet-udp.c follow_udp_tap_listener).
import { seqGt as gt, seqLt as lt } from '../decode/tcpSeq';

export type FollowProtocol = 'tcp' | 'udp';

export interface FollowEndpoint {
  readonly address: string;
  readonly port: number;
}

/** Payload bytes one node sent, from one frame. */
export interface FollowData {
  readonly kind: 'data';
  /** 0: the node that sent the stream's first followed packet (tshark's "Node 0"), 1: its peer. */
  readonly node: 0 | 1;
  /** 1-based frame number of the packet the bytes came from. */
  readonly frame: number;
  /** Where the bytes start in this node's byte stream (gaps counted by their real length). */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Bytes missing from the capture that the peer acknowledged: only their count is known, never their value. */
export interface FollowGap {
  readonly kind: 'gap';
  readonly node: 0 | 1;
  /** The frame whose acknowledgement showed the bytes were sent. */
  readonly frame: number;
  readonly offset: number;
  readonly length: number;
}

export type FollowChunk = FollowData | FollowGap;

/** One TCP segment of the followed stream, as the decoder saw it. */
export interface TcpSegment {
  readonly frame: number;
  readonly src: FollowEndpoint;
  readonly dst: FollowEndpoint;
  /** Relative sequence and acknowledgement numbers (Wireshark's tcp.seq, tcp.ack; ack 0 without the ACK flag). */
  readonly seq: number;
  readonly ack: number;
  readonly syn: boolean;
  /** tcp.len: the segment's payload length on the wire. */
  readonly len: number;
  /** The payload bytes captured (shorter than `len` under a snap length). */
  readonly payload: Uint8Array;
}

/** One UDP datagram of the followed stream. */
export interface UdpDatagram {
  readonly frame: number;
  readonly src: FollowEndpoint;
  readonly dst: FollowEndpoint;
  readonly payload: Uint8Array;
}

/** Out-of-order bytes held at most, both directions together; past it the oldest hole is declared a gap. */
export const DEFAULT_PENDING_BYTES = 64 * 1024 * 1024;


interface Fragment {
  seq: number;
  frame: number;
  data: Uint8Array;
}

/** What both followers share: the two nodes, the bytes per node, and the chunks handed to `emit`. */
abstract class Follower {
  /** Node 0 and node 1, once known (tshark prints ":0" for both until then). */
  nodes: [FollowEndpoint, FollowEndpoint] | undefined;
  /** Bytes delivered per node (gaps counted by their length). */
  readonly bytes: [number, number] = [0, 0];
  chunks = 0;
  gaps = 0;

  constructor(protected readonly emit: (chunk: FollowChunk) => void) {}

  protected nodeOf(src: FollowEndpoint, dst: FollowEndpoint): 0 | 1 {
    const n = (this.nodes ??= [src, dst]);
    return n[0].port === src.port && n[0].address === src.address ? 0 : 1;
  }

  protected data(node: 0 | 1, frame: number, bytes: Uint8Array): void {
    this.emit({ kind: 'data', node, frame, offset: this.bytes[node], bytes });
    this.bytes[node] += bytes.length;
    this.chunks++;
  }

  protected gap(node: 0 | 1, frame: number, length: number): void {
    this.emit({ kind: 'gap', node, frame, offset: this.bytes[node], length });
    this.bytes[node] += length;
    this.chunks++;
    this.gaps++;
  }
}

/** Every datagram with a payload is a chunk; empty ones are not followed at all (tshark does the same). */
export class UdpFollower extends Follower {
  push(d: UdpDatagram): void {
    if (d.payload.length === 0) return;
    this.data(this.nodeOf(d.src, d.dst), d.frame, d.payload);
  }
}

/**
 * TCP reassembly for display. Per node: the next sequence number expected; a segment at it is a chunk (its part
 * beyond what was already delivered, for a retransmission that carries more), an earlier one is dropped, a later one
 * waits in a list until the stream reaches it, or until the peer acknowledges past it: then the hole is a gap.
 * Segments left waiting at the end of the capture are not shown, as in tshark.
 */
export class TcpFollower extends Follower {
  private readonly next: [number, number] = [0, 0];
  /** Bytes delivered in order from segments (tshark's bytes_written: 0 means "not started" with next 0). */
  private readonly inOrder: [number, number] = [0, 0];
  private readonly pending: [Fragment[], Fragment[]] = [[], []];
  private pendingBytes = 0;
  /** Gaps declared because the out-of-order budget ran out, not because of an acknowledgement. */
  forcedGaps = 0;

  constructor(
    emit: (chunk: FollowChunk) => void,
    private readonly maxPendingBytes = DEFAULT_PENDING_BYTES,
  ) {
    super(emit);
  }

  push(s: TcpSegment): void {
    let seq = s.syn ? (s.seq + 1) >>> 0 : s.seq;
    let len = s.len;
    let data = s.payload;
    const me = this.nodeOf(s.src, s.dst);
    const peer = me === 0 ? 1 : 0;
    // This segment's ACK may show that the peer's held-back segments follow bytes the capture missed.
    if (this.pending[peer].length > 0) while (this.fit(peer, s.ack, s.frame, true));
    if (this.inOrder[me] === 0 && this.next[me] === 0) this.next[me] = seq;
    const expected = this.next[me];
    if (lt(seq, expected)) {
      const end = (seq + len) >>> 0;
      if (gt(end, expected)) {
        // A retransmission carrying more than was delivered: keep only the new part.
        const skip = (expected - seq) >>> 0;
        data = data.length <= skip ? data.subarray(0, 0) : data.subarray(skip);
        seq = expected;
        len = (end - expected) >>> 0;
      }
    }
    if (data.length === 0 || lt(seq, this.next[me])) return;
    if (seq === this.next[me]) {
      this.next[me] = (this.next[me] + len) >>> 0;
      this.inOrder[me] += data.length;
      this.data(me, s.frame, data);
      while (this.fit(me, 0, s.frame, false));
    } else {
      // Copied: a held fragment must not keep its whole frame alive.
      this.pending[me].push({ seq, frame: s.frame, data: data.slice() });
      this.pendingBytes += data.length;
      while (this.pendingBytes > this.maxPendingBytes) this.forceGap(s.frame);
    }
  }

  /** Segments held back (both nodes), for tests and the summary. */
  get pendingSegments(): number {
    return this.pending[0].length + this.pending[1].length;
  }

  /**
   * Applies one held fragment of `node` that now fits (or is stale), or, when `useAck` and the peer acknowledged
   * past the lowest held one, declares the hole before it a gap. Returns whether anything changed.
   */
  private fit(node: 0 | 1, acked: number, frame: number, useAck: boolean): boolean {
    const list = this.pending[node];
    if (list.length === 0) return false;
    let lowest = list[0].seq;
    for (let i = 0; i < list.length; i++) {
      const f = list[i];
      if (gt(lowest, f.seq)) lowest = f.seq;
      const expected = this.next[node];
      if (lt(f.seq, expected)) {
        const end = (f.seq + f.data.length) >>> 0;
        if (gt(end, expected)) {
          const skip = (expected - f.seq) >>> 0;
          if (f.data.length > skip) this.data(node, f.frame, f.data.subarray(skip));
          this.next[node] = (expected + f.data.length - skip) >>> 0;
        }
        this.drop(list, i);
        return true;
      }
      if (f.seq === expected) {
        if (f.data.length > 0) this.data(node, f.frame, f.data);
        this.next[node] = (expected + f.data.length) >>> 0;
        this.drop(list, i);
        return true;
      }
    }
    if (useAck && gt(acked, lowest)) {
      this.gap(node, frame, (lowest - this.next[node]) | 0);
      this.next[node] = lowest;
      return true;
    }
    return false;
  }

  private drop(list: Fragment[], i: number): void {
    this.pendingBytes -= list[i].data.length;
    list.splice(i, 1);
  }

  /** Over budget: the node holding more gives up waiting for its lowest hole (as if the peer had acknowledged it). */
  private forceGap(frame: number): void {
    const node: 0 | 1 = this.pending[0].length > 0 && (this.pending[1].length === 0 || bytesOf(this.pending[0]) >= bytesOf(this.pending[1])) ? 0 : 1;
    const list = this.pending[node];
    let lowest = list[0].seq;
    for (const f of list) if (gt(lowest, f.seq)) lowest = f.seq;
    this.forcedGaps++;
    this.fit(node, (lowest + 1) >>> 0, frame, true);
    while (this.fit(node, 0, frame, false));
  }
}

function bytesOf(list: readonly Fragment[]): number {
  let n = 0;
  for (const f of list) n += f.data.length;
  return n;
}
