// A capture's retained packets: a ring that forgets its oldest packets once full, with stable capture-wide indexes.
import type { PacketRecord } from '../../shared/packet';

export class PacketRing {
  private readonly slots: PacketRecord[] = [];
  private _endIndex = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('ring capacity must be a positive integer');
  }

  /** Capture-wide index (0-based, = No. − 1) of the oldest retained packet. */
  get firstIndex(): number {
    return Math.max(0, this._endIndex - this.capacity);
  }

  /** Capture-wide index one past the newest packet (= packets ever added). */
  get endIndex(): number {
    return this._endIndex;
  }

  /** Packets retained now. */
  get length(): number {
    return this._endIndex - this.firstIndex;
  }

  /** Packets forgotten to bound memory. */
  get evicted(): number {
    return this.firstIndex;
  }

  at(index: number): PacketRecord | undefined {
    if (!Number.isInteger(index) || index < this.firstIndex || index >= this._endIndex) return undefined;
    return this.slots[index % this.capacity];
  }

  push(p: PacketRecord): void {
    const slot = this._endIndex % this.capacity;
    if (slot === this.slots.length) this.slots.push(p);
    else this.slots[slot] = p;
    this._endIndex++;
  }

  /** The retained packets, oldest first. */
  toArray(): PacketRecord[] {
    const out: PacketRecord[] = [];
    for (let i = this.firstIndex; i < this._endIndex; i++) out.push(this.slots[i % this.capacity]);
    return out;
  }
}
