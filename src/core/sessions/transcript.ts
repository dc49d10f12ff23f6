// Every chunk a session sends or receives, stored once, in a bounded ring.
// Offsets count every byte ever appended (both directions, in time order), so a view can address
// "the conversation" as one stream; bytes older than the capacity are dropped and counted.
import { Emitter } from '../../shared/disposable';
import type { Direction } from '../../shared/types';

export interface TranscriptChunk {
  /** 0-based number of this chunk among all chunks ever appended. */
  readonly seq: number;
  readonly dir: Direction;
  /** ms since the epoch. */
  readonly time: number;
  /** Stream offset of the chunk's first byte. */
  readonly offset: number;
  readonly length: number;
  /** Remote address for servers' children and UDP ("127.0.0.1:5000"). */
  readonly peer?: string;
}

interface Stored extends TranscriptChunk {
  readonly data: Uint8Array;
}

export interface TranscriptStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly chunksIn: number;
  readonly chunksOut: number;
  readonly droppedBytes: number;
  readonly droppedChunks: number;
}

/**
 * One byte budget shared by every transcript of a SessionManager: each ring is bounded on its own, and all of them
 * together stay under `limitBytes`. Over the limit, the oldest bytes of finished sessions go first (oldest session
 * first), then the oldest bytes of open ones (each keeps its newest chunk). Every byte dropped is counted.
 */
export class TranscriptBudget {
  private readonly members = new Map<Transcript, () => boolean>();
  heldBytes = 0;

  constructor(public limitBytes = 64 * 1024 * 1024) {}

  /** `alive` tells whether the transcript's session is still open. */
  track(t: Transcript, alive: () => boolean): void {
    this.members.set(t, alive);
  }

  /** False when `t` was not (or no longer) tracked. */
  untrack(t: Transcript): boolean {
    return this.members.delete(t);
  }

  /** Drops oldest bytes until the total is within the limit again. */
  reclaim(): void {
    if (this.heldBytes <= this.limitBytes) return;
    for (const [t, alive] of this.members) {
      if (!alive()) t.dropDownTo(0, () => this.heldBytes > this.limitBytes);
      if (this.heldBytes <= this.limitBytes) return;
    }
    for (const t of this.members.keys()) {
      t.dropDownTo(1, () => this.heldBytes > this.limitBytes);
      if (this.heldBytes <= this.limitBytes) return;
    }
  }
}

export class Transcript {
  private readonly ring: Stored[] = [];
  private head = 0; // index in ring of the oldest held chunk
  private heldBytes = 0;
  private _endOffset = 0;
  private _nextSeq = 0;
  private stats = { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0, droppedBytes: 0, droppedChunks: 0 };
  private readonly _onDidGrow = new Emitter<TranscriptChunk>();
  /** Fires once per appended chunk, with metadata only. */
  readonly onDidGrow = this._onDidGrow.event;

  /** With a budget, `alive` tells it whether this transcript's session is still open. */
  constructor(
    readonly capacityBytes = 4 * 1024 * 1024,
    private readonly budget?: TranscriptBudget,
    alive: () => boolean = () => true,
  ) {
    budget?.track(this, alive);
  }

  /** Stores `data` as it is (no copy): callers hand over ownership of the bytes. */
  append(dir: Direction, data: Uint8Array, peer?: string, time = Date.now()): TranscriptChunk {
    const chunk: Stored = { seq: this._nextSeq++, dir, time, offset: this._endOffset, length: data.length, peer, data };
    this._endOffset += data.length;
    if (dir === 'in') {
      this.stats.bytesIn += data.length;
      this.stats.chunksIn++;
    } else {
      this.stats.bytesOut += data.length;
      this.stats.chunksOut++;
    }
    this.ring.push(chunk);
    this.heldBytes += data.length;
    if (this.budget) this.budget.heldBytes += data.length;
    while (this.heldBytes > this.capacityBytes && this.held > 1) this.dropOldest();
    this.budget?.reclaim();
    this.compact();
    const meta = strip(chunk);
    this._onDidGrow.fire(meta);
    return meta;
  }

  /** Drops oldest chunks while `more()` says so and more than `keep` chunks are held (the budget's lever). */
  dropDownTo(keep: number, more: () => boolean): void {
    while (this.held > keep && more()) this.dropOldest();
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.ring.length) {
      this.ring.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Bytes of the chunks still held. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  private dropOldest(): void {
    const c = this.ring[this.head];
    this.ring[this.head] = undefined as unknown as Stored;
    this.head++;
    this.heldBytes -= c.length;
    if (this.budget) this.budget.heldBytes -= c.length;
    this.stats.droppedBytes += c.length;
    this.stats.droppedChunks++;
  }

  private get held(): number {
    return this.ring.length - this.head;
  }

  get counters(): TranscriptStats {
    return { ...this.stats };
  }
  /** Oldest stream offset still held. */
  get startOffset(): number {
    return this.held ? this.ring[this.head].offset : this._endOffset;
  }
  /** Total bytes ever appended. */
  get endOffset(): number {
    return this._endOffset;
  }
  /** Seq of the oldest held chunk. */
  get firstSeq(): number {
    return this.held ? this.ring[this.head].seq : this._nextSeq;
  }
  get nextSeq(): number {
    return this._nextSeq;
  }

  /** Metadata of held chunks with seq in [fromSeq, fromSeq + limit). */
  chunks(fromSeq = this.firstSeq, limit = Number.MAX_SAFE_INTEGER): TranscriptChunk[] {
    const start = Math.max(fromSeq, this.firstSeq) - this.firstSeq + this.head;
    const end = Math.min(this.ring.length, start + Math.max(0, limit));
    const out: TranscriptChunk[] = [];
    for (let i = start; i < end; i++) out.push(strip(this.ring[i]));
    return out;
  }

  /** The bytes of one held chunk, or undefined once dropped. */
  chunkData(seq: number): Uint8Array | undefined {
    const i = seq - this.firstSeq + this.head;
    return i >= this.head && i < this.ring.length ? this.ring[i].data : undefined;
  }

  /** Index in `ring` of the held chunk containing stream offset `offset`. */
  private indexAt(offset: number): number {
    let lo = this.head;
    let hi = this.ring.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ring[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The chunk holding the byte at `offset`, if still held. */
  chunkAt(offset: number): TranscriptChunk | undefined {
    if (offset < this.startOffset || offset >= this._endOffset) return undefined;
    return strip(this.ring[this.indexAt(offset)]);
  }

  /** Copies up to `length` bytes from stream offset `offset`, clamped to what is held. */
  read(offset: number, length: number): Uint8Array {
    const from = Math.max(offset, this.startOffset);
    const to = Math.min(offset + length, this._endOffset);
    if (to <= from) return new Uint8Array(0);
    const out = new Uint8Array(to - from);
    for (let i = this.indexAt(from); i < this.ring.length && this.ring[i].offset < to; i++) {
      const c = this.ring[i];
      const a = Math.max(from, c.offset);
      const b = Math.min(to, c.offset + c.length);
      out.set(c.data.subarray(a - c.offset, b - c.offset), a - from);
    }
    return out;
  }

  dispose(): void {
    this._onDidGrow.dispose();
    if (this.budget?.untrack(this)) this.budget.heldBytes -= this.heldBytes;
  }
}

function strip(c: Stored): TranscriptChunk {
  return { seq: c.seq, dir: c.dir, time: c.time, offset: c.offset, length: c.length, peer: c.peer };
}
