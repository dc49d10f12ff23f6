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

/** One direction of a connection, as the calls on both ends saw it: stream offsets of each send and each recv. */
interface Flow {
  sends: { start: number; end: number; rec: CallRecord }[];
  recvs: { start: number; end: number; rec: CallRecord }[];
  sent: number;
  received: number;
}

/** A call's bytes in one direction of a connection (see CallLog.streamRange). */
export interface StreamRange {
  readonly from: string;
  readonly to: string;
  readonly start: number;
  readonly end: number;
}

/** The calls whose bytes go out on a stream (their recvs are linked to them). */
export const SENDS: ReadonlySet<string> = new Set(['send', 'sendall', 'sendfile']);
const RECVS = new Set(['recv', 'recv_into']);
/** Calls kept per direction for linking, and directions kept. */
const FLOW_CALLS = 10_000;
const MAX_FLOWS = 1_000;

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
  private readonly flows = new Map<string, Flow>();
  /** Each kept call's number in the run (0 for its first call): the timeline's ids. */
  private readonly seqs = new WeakMap<CallRecord, number>();
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
    this.seqs.set(r, this.total - 1);
    this.link(r);
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

  /** Puts a connected stream send or recv at its place in its direction's byte stream (sender local → sender peer). */
  private link(r: CallRecord): void {
    const send = SENDS.has(r.call);
    if ((!send && !RECVS.has(r.call)) || !r.local || !r.peer || !r.returned || r.error) return;
    const key = send ? `${r.local}>${r.peer}` : `${r.peer}>${r.local}`;
    let f = this.flows.get(key);
    if (!f) {
      if (this.flows.size >= MAX_FLOWS) return;
      this.flows.set(key, (f = { sends: [], recvs: [], sent: 0, received: 0 }));
    }
    const list = send ? f.sends : f.recvs;
    const start = send ? f.sent : f.received;
    list.push({ start, end: start + r.returned, rec: r });
    if (list.length > FLOW_CALLS) list.shift();
    if (send) f.sent += r.returned;
    else f.received += r.returned;
  }

  private overlapping(key: string, of: 'sends' | 'recvs', self: CallRecord, own: 'sends' | 'recvs'): CallRecord[] {
    const f = this.flows.get(key);
    const me = f?.[own].find((x) => x.rec === self);
    if (!f || !me) return [];
    return f[of].filter((x) => x.start < me.end && x.end > me.start).map((x) => x.rec);
  }

  /**
   * Where a connected stream send's or recv's bytes sit in their direction's stream: `from` the sender's address,
   * `to` the receiver's, `start`–`end` byte offsets counted from the first byte either end's traced calls moved.
   */
  streamRange(r: CallRecord): StreamRange | undefined {
    const send = SENDS.has(r.call);
    if ((!send && !RECVS.has(r.call)) || !r.local || !r.peer) return undefined;
    const [from, to] = send ? [r.local, r.peer] : [r.peer, r.local];
    const me = this.flows.get(`${from}>${to}`)?.[send ? 'sends' : 'recvs'].find((x) => x.rec === r);
    return me ? { from, to, start: me.start, end: me.end } : undefined;
  }

  /** The sends (traced here, on the other end) whose bytes a recv returned: two or more is "sends merged". */
  sendsIn(recv: CallRecord): CallRecord[] {
    return recv.local && recv.peer ? this.overlapping(`${recv.peer}>${recv.local}`, 'sends', recv, 'recvs') : [];
  }

  /** The recvs (traced here) that took a send's bytes: two or more is "split". */
  recvsOf(send: CallRecord): CallRecord[] {
    return send.local && send.peer ? this.overlapping(`${send.local}>${send.peer}`, 'recvs', send, 'sends') : [];
  }

  /** Per line of `file` (an absolute path): what its calls did. */
  linesOf(file: string): ReadonlyMap<number, LineCalls> {
    return this.lines.get(path.resolve(file)) ?? new Map();
  }

  /** Files with recorded calls. */
  get files(): string[] {
    return [...this.lines.keys()];
  }

  /** A call's number in the run (stays while the call is kept). */
  seqOf(r: CallRecord): number | undefined {
    return this.seqs.get(r);
  }

  /** The call numbered `seq`, while it is kept. */
  at(seq: number): CallRecord | undefined {
    const i = seq - this.evicted;
    return i >= 0 && i < this.ring.length - this.head ? this.ring[this.head + i] : undefined;
  }

  /** The calls kept, oldest first. */
  records(): CallRecord[] {
    return this.ring.slice(this.head);
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}
