// Which segments a conversation diagram draws: at most MAX_DIAGRAM_SEGMENTS, around the selected packet (so the end
// of a long connection can be seen), else its first ones. Fed one segment at a time in order; holds at most 2 × max.

export class DiagramWindow<T extends { readonly index: number }> {
  private before: T[] = [];
  private readonly after: T[] = [];
  private dropped = 0;
  private found = false;

  constructor(
    private readonly max: number,
    /** The packet to centre on; undefined: the first segments. */
    private readonly around?: number,
  ) {}

  /** Takes the next segment; false once the window is full (the caller may stop feeding). */
  push(s: T): boolean {
    if (this.around === undefined) {
      this.before.push(s);
      return this.before.length < this.max;
    }
    if (this.found || s.index === this.around) {
      this.found = true;
      this.after.push(s);
      // full once the part before it can fill the rest, giving it at least half the window when it has that many
      return this.after.length + Math.min(this.before.length, Math.floor(this.max / 2)) < this.max;
    }
    this.before.push(s);
    // keep the last `max` before it; trimmed in steps so each segment is moved at most once
    if (this.before.length >= 2 * this.max) {
      this.dropped += this.before.length - this.max;
      this.before = this.before.slice(-this.max);
    }
    return true;
  }

  /** The segments drawn, and how many of the conversation's `total` are left out before and after them. */
  result(total: number): { segments: T[]; omittedBefore: number; omitted: number } {
    const keep = Math.min(this.before.length, this.max - this.after.length);
    const segments = [...this.before.slice(this.before.length - keep), ...this.after];
    const omittedBefore = this.dropped + this.before.length - keep;
    return { segments, omittedBefore, omitted: Math.max(0, total - omittedBefore - segments.length) };
  }
}
