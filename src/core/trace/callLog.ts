// What a program run recorded, kept within a budget: the latest calls (a ring) and, per source line, how many calls it
// made, its last one and its latest few, which the editor's hints and hovers read.
import * as path from 'node:path';
import { Emitter } from '../../shared/disposable';
import type { CallRecord } from './callTrace';

export interface LineCalls {
  /** Calls made from this line. */
  count: number;
  last: CallRecord;
  /** The latest few, oldest first (a hover lists them). */
  recent: CallRecord[];
  /** Bytes this line's calls returned or sent. */
  bytes: number;
  /** The longest this line blocked, ms. */
  maxBlockedMs: number;
  errors: number;
}

export interface CallLogOptions {
  /** Calls kept in the ring (default 100,000). */
  maxRecords?: number;
  /** Source lines tracked (default 10,000); calls from more lines are counted in `untrackedLines`. */
  maxLines?: number;
  /** Calls a line keeps for its hover (default 20). */
  perLine?: number;
}

export class CallLog {
  private readonly ring: CallRecord[] = [];
  private head = 0;
  private readonly lines = new Map<string, Map<number, LineCalls>>();
  private lineCount = 0;
  private readonly maxRecords: number;
  private readonly maxLines: number;
  private readonly perLine: number;
  /** Calls forgotten from the ring, calls the program could not hand over, calls from lines past the budget. */
  evicted = 0;
  droppedByProgram = 0;
  untrackedLines = 0;
  total = 0;
  first?: number;
  private readonly _onDidChange = new Emitter<void>();
  /** Fires after each batch of records. */
  readonly onDidChange = this._onDidChange.event;

  /** `cwd`: the program's folder, which relative file names in records start from. */
  constructor(
    readonly cwd: string,
    opts: CallLogOptions = {},
  ) {
    this.maxRecords = opts.maxRecords ?? 100_000;
    this.maxLines = opts.maxLines ?? 10_000;
    this.perLine = opts.perLine ?? 20;
  }

  add(records: readonly CallRecord[]): void {
    for (const r of records) this.addOne(r);
    if (records.length) this._onDidChange.fire();
  }

  private addOne(r: CallRecord): void {
    if (r.call === 'dropped') {
      this.droppedByProgram += r.count ?? 0;
      return;
    }
    this.total++;
    this.first = Math.min(this.first ?? r.t, r.t);
    if (this.ring.length - this.head >= this.maxRecords) {
      this.head++;
      this.evicted++;
      if (this.head > 4096 && this.head * 2 > this.ring.length) {
        this.ring.splice(0, this.head);
        this.head = 0;
      }
    }
    this.ring.push(r);
    if (!r.file || typeof r.line !== 'number') return;
    const file = path.resolve(this.cwd, r.file);
    let byLine = this.lines.get(file);
    let entry = byLine?.get(r.line);
    if (!entry) {
      if (this.lineCount >= this.maxLines) {
        this.untrackedLines++;
        return;
      }
      if (!byLine) this.lines.set(file, (byLine = new Map()));
      entry = { count: 0, last: r, recent: [], bytes: 0, maxBlockedMs: 0, errors: 0 };
      byLine.set(r.line, entry);
      this.lineCount++;
    }
    entry.count++;
    entry.last = r;
    entry.recent.push(r);
    if (entry.recent.length > this.perLine) entry.recent.shift();
    entry.bytes += r.returned !== undefined && r.call !== 'connect_ex' ? r.returned : 0;
    entry.maxBlockedMs = Math.max(entry.maxBlockedMs, r.blocked_ms ?? 0);
    if (r.error) entry.errors++;
  }

  /** Per line of `file` (an absolute path): what its calls did. */
  linesOf(file: string): ReadonlyMap<number, LineCalls> {
    return this.lines.get(path.resolve(file)) ?? new Map();
  }

  /** Files with recorded calls. */
  get files(): string[] {
    return [...this.lines.keys()];
  }

  /** The calls kept, oldest first. */
  records(): CallRecord[] {
    return this.ring.slice(this.head);
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}
