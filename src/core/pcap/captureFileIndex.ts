// A capture file that is never loaded whole: one pass keeps a sparse index of packet offsets (a checkpoint every
// few packets or KiB, in typed arrays growing by chunks), and packets are re-read from the file on demand, as
// Wireshark keeps frame offsets and re-reads its file.
import * as fs from 'node:fs/promises';
import type { PacketRecord } from '../../shared/packet';
import { CaptureFormatError, PcapStreamReader, type PcapReaderState } from './pcapStreamReader';
import type { CaptureFormat } from './pcapWriter';

/** A checkpoint at least every this many packets… */
const CHECKPOINT_PACKETS = 64;
/** …and every this many bytes, so re-reading one packet never reads more than about this much before it. */
const CHECKPOINT_BYTES = 64 * 1024;
const CHUNK = 16384;
/**
 * One read's records are handed out (and dissected) before the next read: a small read keeps them short-lived. A
 * 256 KiB read of tiny records held about 4,000 of them across many young-generation collections, which moved about
 * 170 MB of them to the old generation over a 16 MiB file (a peak RSS of 120 to 205 MB by the collector's timing).
 */
const READ_BYTES = 32 * 1024;

/** A growable array of numbers kept in fixed-size Float64Array chunks (no copy on growth, 8 bytes an entry). */
class NumberColumn {
  private readonly chunks: Float64Array[] = [];
  length = 0;

  push(v: number): void {
    const c = this.length % CHUNK;
    if (c === 0) this.chunks.push(new Float64Array(CHUNK));
    this.chunks[this.chunks.length - 1][c] = v;
    this.length++;
  }

  at(i: number): number {
    return this.chunks[Math.floor(i / CHUNK)][i % CHUNK];
  }

  get bytes(): number {
    return this.chunks.length * CHUNK * 8;
  }
}

export interface IndexProgress {
  readonly packets: number;
  readonly bytesRead: number;
  readonly fileSize: number;
}

/** A pass that was stopped through its AbortSignal. */
export class IndexCancelledError extends Error {
  readonly code = 'ECANCELED';
}

export class CaptureFileIndex {
  /** Packets indexed so far. */
  count = 0;
  /** Set when indexing stopped at a corrupt or cut-off part; the packets before it are indexed and readable. */
  error: CaptureFormatError | undefined;
  private done = false;
  /** Checkpoint k: packet number cpPacket[k] starts at file offset cpOffset[k], read with states[cpState[k]]. */
  private readonly cpPacket = new NumberColumn();
  private readonly cpOffset = new NumberColumn();
  private readonly cpState = new NumberColumn();
  private readonly states: PcapReaderState[] = [];
  private readonly reader = new PcapStreamReader();
  private readerVersion = -1;
  private bytesRead = 0;
  /** File offset past the last whole record or block: re-reads stop there, before any corrupt part. */
  private goodEnd = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: fs.FileHandle,
    readonly fileSize: number,
  ) {
    this.reader.onPacketOffset = (offset) => this.noteOffset(offset);
  }

  /** Opens a capture file for indexing; throws the fs error (ENOENT, EACCES …) when it cannot be opened. */
  static async open(file: string): Promise<CaptureFileIndex> {
    const fh = await fs.open(file, 'r');
    try {
      const st = await fh.stat();
      return new CaptureFileIndex(file, fh, st.size);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get complete(): boolean {
    return this.done;
  }

  get format(): CaptureFormat | undefined {
    return this.reader.format;
  }

  get linkType(): number | undefined {
    return this.reader.linkType;
  }

  get progress(): IndexProgress {
    return { packets: this.count, bytesRead: this.bytesRead, fileSize: this.fileSize };
  }

  /** Bytes the index itself holds (checkpoints), for tests and the bench. */
  get indexBytes(): number {
    return this.cpPacket.bytes + this.cpOffset.bytes + this.cpState.bytes;
  }

  private noteOffset(offset: number): void {
    const k = this.cpPacket.length;
    const i = this.count++;
    if (k > 0 && this.readerVersion === this.reader.stateVersion && i - this.cpPacket.at(k - 1) < CHECKPOINT_PACKETS && offset - this.cpOffset.at(k - 1) < CHECKPOINT_BYTES) return;
    if (this.readerVersion !== this.reader.stateVersion) {
      this.states.push(this.reader.state());
      this.readerVersion = this.reader.stateVersion;
    }
    this.cpPacket.push(i);
    this.cpOffset.push(offset);
    this.cpState.push(this.states.length - 1);
  }

  /**
   * Reads on until at least `minPackets` more are indexed or the file ends; returns true once it is complete.
   * A corrupt or cut-off file completes with `error` set (not thrown): what came before stays readable.
   */
  async indexMore(minPackets = Infinity, signal?: AbortSignal, onPacket?: (rec: PacketRecord, index: number) => void): Promise<boolean> {
    const goal = this.count + minPackets;
    const buf = new Uint8Array(READ_BYTES);
    while (!this.done && this.count < goal) {
      if (signal?.aborted) throw new IndexCancelledError('indexing was cancelled');
      this.check();
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.bytesRead);
      if (bytesRead === 0) {
        this.finish(() => this.reader.end());
        break;
      }
      this.bytesRead += bytesRead;
      // The records are not kept: only their offsets (noteOffset) are; onPacket sees each once, in order.
      const first = this.count;
      this.finish(() => {
        const recs = this.reader.push(buf.subarray(0, bytesRead));
        if (onPacket) for (let k = 0; k < recs.length; k++) onPacket(recs[k], first + k);
      }, false);
      this.goodEnd = this.reader.consumed;
    }
    return this.done;
  }

  /** Indexes the whole file, reporting progress between reads; rejects with IndexCancelledError when aborted. */
  async indexAll(opts: { signal?: AbortSignal; onProgress?: (p: IndexProgress) => void } = {}): Promise<void> {
    while (!(await this.indexMore(50000, opts.signal))) opts.onProgress?.(this.progress);
    opts.onProgress?.(this.progress);
  }

  private finish(step: () => void, last = true): void {
    try {
      step();
      if (last) this.done = true;
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      this.error = e;
      this.done = true;
    }
  }

  private check(): void {
    if (this.closed) throw new Error(`${this.path} is closed`);
  }

  /** The checkpoint at or before packet `index`. */
  private checkpointOf(index: number): number {
    let lo = 0;
    let hi = this.cpPacket.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cpPacket.at(mid) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Calls `each` for packets `start`…`end − 1` (capture-wide, 0-based, clamped to what is indexed), in order,
   * reading the file from the nearest checkpoint. `each` returning false stops early.
   */
  async scan(start: number, end: number, each: (rec: PacketRecord, index: number) => boolean | void, signal?: AbortSignal): Promise<void> {
    this.check();
    end = Math.min(end, this.count);
    if (start >= end) return;
    const k = this.checkpointOf(start);
    let i = this.cpPacket.at(k);
    let pos = this.cpOffset.at(k);
    const reader = PcapStreamReader.resume(this.states[this.cpState.at(k)], pos);
    const buf = new Uint8Array(READ_BYTES);
    // A small first read: opening at a random row needs a few packets, not a whole buffer.
    let want = 16 * 1024;
    while (i < end) {
      if (signal?.aborted) throw new IndexCancelledError('the pass was cancelled');
      this.check();
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(want, buf.length, this.goodEnd - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      want *= 2;
      for (const rec of reader.push(buf.subarray(0, bytesRead))) {
        if (i >= start && i < end && each(rec, i) === false) return;
        if (++i >= end) return;
      }
    }
  }

  /** Packets `start`…`start + count − 1` (fewer at the end of what is indexed). */
  async read(start: number, count: number): Promise<PacketRecord[]> {
    const out: PacketRecord[] = [];
    await this.scan(start, start + count, (rec) => void out.push(rec));
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
