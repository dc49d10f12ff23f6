// Follow TCP/UDP stream in the packet panel: the conversation's packets are fed through the core follower
// (core/follow, tshark's rules) into a transcript, so the session panel's conversation and hex pane can show it:
// A's bytes as one direction, B's as the other, each chunk knowing its frame, gaps as chunks of missing bytes.
import type { FindResult, PanelResponses } from '../../shared/sessionPanelProtocol';
import type { FollowInfo } from '../../shared/packetPanelProtocol';
import type { DissectedPacket } from '../decode/dissect';
import type { ErrorLanguage } from '../errors';
import { StreamFollow } from '../follow/captureFollow';
import type { FollowChunk } from '../follow/streamFollower';
import { endpointText } from '../decode/dissect';
import { Transcript } from '../sessions/transcript';
import type { Flow } from './captureStatistics';
import { findInTranscript, readTranscriptRange, transcriptChunks, transcriptInfoOf } from './transcriptView';

/** Payload bytes a followed stream keeps at most; the rest is counted, not shown. */
export const MAX_FOLLOW_BYTES = 32 * 1024 * 1024;

export class FollowModel {
  private readonly transcript: Transcript;
  private readonly follow: StreamFollow;
  /** Per transcript chunk (by seq): the frame number it came from, and for a gap the bytes missing. */
  private readonly frames: number[] = [];
  private readonly missing = new Map<number, number>();
  private truncated = false;
  /** Bytes present per node (A, B), and bytes the capture missed (gaps), counted apart. */
  private readonly present: [number, number] = [0, 0];
  private missingBytes = 0;
  /** Time of the packet being taken: a chunk is shown when its bytes were delivered in order (as recv() would see them). */
  private nowMs = 0;

  constructor(
    readonly flow: Flow,
    private readonly maxBytes = MAX_FOLLOW_BYTES,
  ) {
    // Room for everything kept: the transcript never drops a followed byte on its own.
    this.transcript = new Transcript(maxBytes + 1);
    this.follow = new StreamFollow({ protocol: flow.proto, stream: flow.stream }, (c) => this.add(c));
  }

  /** The next packet of the capture that may belong to the stream, in capture order. */
  take(pkt: DissectedPacket, data: Uint8Array): void {
    this.nowMs = pkt.tsMicros / 1000;
    this.follow.take(pkt, data);
  }

  private add(c: FollowChunk): void {
    if (c.kind === 'data') this.present[c.node] += c.bytes.length;
    else this.missingBytes += c.length;
    const bytes = c.kind === 'data' ? c.bytes : new Uint8Array(0);
    if (this.truncated || this.transcript.endOffset + bytes.length > this.maxBytes) {
      this.truncated = true;
      return;
    }
    // node 0 (A, the first sender) reads as "out", node 1 as "in": the two directions keep their colours
    const chunk = this.transcript.append(c.node === 0 ? 'out' : 'in', bytes, undefined, this.nowMs);
    this.frames[chunk.seq] = c.frame;
    if (c.kind === 'gap') this.missing.set(chunk.seq, c.length);
  }

  info(): FollowInfo {
    const s = this.follow.summary;
    const [a, b] = s.nodes ? s.nodes.map((n) => endpointText(n)) : [this.flow.src, this.flow.dst];
    return {
      key: this.flow.key,
      proto: this.flow.proto,
      stream: this.flow.stream,
      a,
      b,
      aBytes: this.present[0],
      bBytes: this.present[1],
      chunks: s.chunks,
      gaps: s.gaps,
      missingBytes: this.missingBytes,
      truncated: this.truncated,
      transcript: transcriptInfoOf(this.transcript),
    };
  }

  chunks(fromSeq: number, limit: number, render: 'text' | 'hex', encoding: string, maxBytes: number): PanelResponses['chunks'] {
    const chunks = transcriptChunks(this.transcript, fromSeq, limit, render, encoding, maxBytes).map((c) => {
      const gap = this.missing.get(c.seq);
      return { ...c, frame: this.frames[c.seq], ...(gap === undefined ? {} : { missing: gap }) };
    });
    return { transcript: transcriptInfoOf(this.transcript), chunks };
  }

  readRange(offset: number, length: number): PanelResponses['readRange'] {
    return readTranscriptRange(this.transcript, offset, length);
  }

  find(query: string, mode: 'hex' | 'text', encoding: string, from: number, lang: ErrorLanguage): FindResult {
    return findInTranscript(this.transcript, query, mode, encoding, from, lang);
  }

  dispose(): void {
    this.transcript.dispose();
  }
}
