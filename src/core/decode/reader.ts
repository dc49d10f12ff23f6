// Bounds-checked reads over one captured packet: past the end a read yields 0 and records truncation, never throws.

export class ByteReader {
  /** Set once any read asked for bytes beyond `end`. */
  truncated = false;
  /** Cursor for the sequential read methods. */
  pos: number;

  constructor(
    readonly data: Uint8Array,
    pos = 0,
    /** Exclusive end of the readable bytes (the captured length). */
    readonly end: number = data.length,
  ) {
    this.pos = pos;
    if (end > data.length) this.end = data.length;
  }

  /** True when `len` bytes starting at `off` were captured. */
  has(off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= this.end;
  }

  /** Bytes captured from `off` to the end (0 past the end). */
  remainingFrom(off: number): number {
    return off >= this.end ? 0 : this.end - off;
  }

  get remaining(): number {
    return this.remainingFrom(this.pos);
  }

  u8At(off: number): number {
    if (off < 0 || off >= this.end) return this.miss();
    return this.data[off];
  }

  u16At(off: number): number {
    if (off < 0 || off + 2 > this.end) return this.miss();
    const d = this.data;
    return (d[off] << 8) | d[off + 1];
  }

  u16leAt(off: number): number {
    if (off < 0 || off + 2 > this.end) return this.miss();
    const d = this.data;
    return d[off] | (d[off + 1] << 8);
  }

  u32At(off: number): number {
    if (off < 0 || off + 4 > this.end) return this.miss();
    const d = this.data;
    return ((d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]) >>> 0;
  }

  u32leAt(off: number): number {
    if (off < 0 || off + 4 > this.end) return this.miss();
    const d = this.data;
    return (d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24)) >>> 0;
  }

  /** A view of up to `len` bytes at `off`, cut at the end (records truncation when cut). */
  sliceAt(off: number, len: number): Uint8Array {
    const start = Math.max(0, Math.min(off, this.end));
    const stop = Math.max(start, Math.min(off + Math.max(0, len), this.end));
    if (stop - start < len) this.truncated = true;
    return this.data.subarray(start, stop);
  }

  u8(): number {
    const v = this.u8At(this.pos);
    this.pos += 1;
    return v;
  }

  u16(): number {
    const v = this.u16At(this.pos);
    this.pos += 2;
    return v;
  }

  u16le(): number {
    const v = this.u16leAt(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.u32At(this.pos);
    this.pos += 4;
    return v;
  }

  u32le(): number {
    const v = this.u32leAt(this.pos);
    this.pos += 4;
    return v;
  }

  slice(len: number): Uint8Array {
    const v = this.sliceAt(this.pos, len);
    this.pos += len;
    return v;
  }

  skip(len: number): void {
    this.pos += len;
  }

  private miss(): number {
    this.truncated = true;
    return 0;
  }
}
