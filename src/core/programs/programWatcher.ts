// Watches the sockets of one running program (its process tree) and keeps a summary after it stops.
import { Disposable, Emitter } from '../../shared/disposable';
import type { OutputErrorCode } from '../analysis/outputErrors';
import { filterSockets, readSocketTableShared, type ReadOptions, type SocketTable } from '../ossockets/socketTable';
import { endpointKey, processAlive, processStartTime, readSsCounts, readTreeSockets, type SsCounts } from '../ossockets/programSockets';
import { formatEndpoint, type OsSocket } from '../ossockets/types';
import { isLoopback } from '../sessions/loopback';

export interface ProgramSummary {
  /** Distinct TCP connections seen (accepted or made), by their endpoint pair. */
  connections: number;
  /** True when connections may have come and gone unseen between two reads of the socket table. */
  connectionsLowerBound: boolean;
  /** Ports the program listened on. */
  listenPorts: number[];
  /** Bytes over the connections we saw, when the OS reports per-connection counters (Linux with `ss`). */
  bytesSent?: number;
  bytesReceived?: number;
  /** True when some bytes may have passed after the last read of a connection's counters, or on unseen connections. */
  bytesLowerBound: boolean;
  /** Socket errors recognised in the program's output. */
  errors: OutputErrorCode[];
  exitCode?: number | null;
  /** The signal that ended it (SIGKILL …), when one did. */
  exitSignal?: string;
}

export type ProgramState = 'running' | 'exited';

/** What the user can do with a run from the tree; set by whoever started it. */
export interface ProgramControls {
  stop?(): void;
  restart?(): void | Promise<unknown>;
  showTerminal?(): void;
  /** The file it runs, so a second run of the same file can be noticed. */
  file?: string;
}

export interface ProgramWatchOptions {
  label: string;
  /** Poll period; reading only the program's own tree costs well under a millisecond on Linux. */
  intervalMs?: number;
  /** A whole-table reader (other platforms, tests); Linux reads the program's tree directly when this is not given. */
  read?: (opts: ReadOptions) => Promise<SocketTable>;
  controls?: ProgramControls;
}

interface ConnRecord {
  sent?: number;
  received?: number;
  /** No more bytes can pass this way: the FIN was seen in a state read with its counters. */
  sentFinal: boolean;
  receivedFinal: boolean;
}

const connKey = (s: OsSocket) => `${s.protocol}|${formatEndpoint(s.localAddress, s.localPort)}|${formatEndpoint(s.remoteAddress, s.remotePort)}`;
const ssKey = (s: OsSocket) => `${endpointKey(s.localAddress, s.localPort)}|${endpointKey(s.remoteAddress, s.remotePort)}`;
const isConn = (s: OsSocket) => s.protocol === 'tcp' && s.state !== 'LISTEN' && s.remotePort !== 0;
/** ss state names after which the peer's FIN arrived / ours was sent. */
const peerFinStates = new Set(['CLOSE-WAIT', 'LAST-ACK', 'CLOSING', 'TIME-WAIT']);
const ourFinStates = new Set(['FIN-WAIT-2', 'LAST-ACK', 'CLOSING', 'TIME-WAIT']);
const linux = () => process.platform === 'linux';

export class ProgramWatch extends Disposable {
  private readonly _onDidChange = this.own(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;
  readonly label: string;
  readonly startedAt = Date.now();
  controls: ProgramControls | undefined;
  private _pid: number | undefined;
  private _displayPid: number | undefined;
  private startTimes = new Map<number, number | undefined>();
  private _state: ProgramState = 'running';
  private _sockets: OsSocket[] = [];
  private _tree = new Set<number>();
  private readonly seen = new Map<string, ConnRecord>();
  private readonly listenPorts = new Set<number>();
  private readonly errors = new Set<OutputErrorCode>();
  private exitCode: number | null | undefined;
  private exitSignal: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  private readonly read: ((opts: ReadOptions) => Promise<SocketTable>) | undefined;
  private readonly intervalMs: number;
  /** The previous read's TCP connections (any owner) and the namespace's open counter then. */
  private prevKeys: Set<string> | undefined;
  private prevOpens: number | undefined;
  private missedSome = false;
  private lastSs = 0;
  private lastCounts: Map<string, SsCounts> | undefined;
  private finalPass = false;

  constructor(opts: ProgramWatchOptions) {
    super();
    this.label = opts.label;
    this.read = opts.read ?? (linux() ? undefined : (o) => readSocketTableShared(o));
    this.intervalMs = opts.intervalMs ?? (this.read ? 1000 : 250);
    this.controls = opts.controls;
  }

  /** The root of the watched process tree. */
  get pid(): number | undefined {
    return this._pid;
  }

  /** The pid to show the user: the program itself when known (the tree root may be a supervisor). */
  get displayPid(): number | undefined {
    return this._displayPid ?? this._pid;
  }

  set displayPid(pid: number | undefined) {
    this._displayPid = pid;
    if (pid !== undefined && linux()) this.startTimes.set(pid, processStartTime(pid));
    this._onDidChange.fire();
  }
  get state(): ProgramState {
    return this._state;
  }
  /** The program tree's sockets as last read (empty once it exited). */
  get sockets(): readonly OsSocket[] {
    return this._sockets;
  }
  /** The processes of the program's tree at the last read. */
  get processIds(): ReadonlySet<number> {
    return this._tree;
  }

  /** Starts watching once the process id is known (a debug session learns it late). */
  attach(pid: number): void {
    if (this.isDisposed || this._state !== 'running' || this._pid !== undefined) return;
    this._pid = pid;
    this._tree = new Set([pid]);
    if (linux()) {
      this.startTimes.set(pid, processStartTime(pid));
      // the baseline: connections begun from now on and not seen are noticed by the namespace's open counter
      const first = readTreeSockets(pid);
      this.prevKeys = new Set(first.sockets.filter(isConn).map(connKey));
      this.prevOpens = first.tcpOpens;
    }
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.own({ dispose: () => clearInterval(this.timer) });
  }

  recordError(code: OutputErrorCode): void {
    if (this.errors.has(code)) return;
    this.errors.add(code);
    this._onDidChange.fire();
  }

  /** The process that ends the run: the program when known, else the tree's root. */
  private alive(): boolean {
    const pid = this._displayPid ?? this._pid;
    if (pid === undefined) return true;
    return processAlive(pid, this.startTimes.get(pid));
  }

  /** Reads the table now; also called by the timer. Ends the run when its process is gone, however it ended. */
  async poll(): Promise<void> {
    if (this._pid === undefined || this.polling || (this._state !== 'running' && !this.finalPass) || this.isDisposed) return;
    this.polling = true;
    try {
      if (this.read) {
        const table = await this.read({ bytes: true, unix: false });
        if (this.isDisposed) return;
        this.ingest(filterSockets(table, { pid: this._pid }), table.sockets, new Set(table.processes.keys()), undefined, undefined);
      } else {
        const t = readTreeSockets(this._pid);
        const mine = t.sockets.filter((s) => s.pid !== undefined);
        // byte counters cost a process; read them only while there are connections to count
        const tracked = t.sockets.some((s) => isConn(s) && (s.pid !== undefined || this.seen.has(connKey(s))));
        if (tracked && (Date.now() - this.lastSs >= this.intervalMs * 2 || this.finalPass)) {
          this.lastSs = Date.now();
          this.lastCounts = (await readSsCounts()) ?? this.lastCounts;
        }
        const counts = this.lastCounts;
        for (const s of mine) {
          const c = isConn(s) ? counts?.get(ssKey(s)) : undefined;
          if (c) {
            s.bytesSent = c.sent;
            s.bytesReceived = Math.max(0, c.received - (peerFinStates.has(c.state) ? 1 : 0));
          }
        }
        if (this.isDisposed) return;
        this.ingest(mine, t.sockets, t.tree, counts, t.tcpOpens);
      }
      if (this._state === 'running' && !this.alive()) this.markExited();
    } catch {
      // a read that failed (a process vanished mid-read) is simply retried by the next tick
    } finally {
      this.polling = false;
      this.finalPass = false;
    }
  }

  private ingest(mine: OsSocket[], all: OsSocket[], tree: Set<number>, counts: Map<string, SsCounts> | undefined, opens: number | undefined): void {
    const before = this.describeAll();
    for (const s of mine) if (s.protocol === 'tcp' && s.state === 'LISTEN') this.listenPorts.add(s.localPort);
    const mineKeys = new Set(mine.filter(isConn).map(connKey));
    const keys = new Set<string>();
    let explained = 0;
    for (const s of all) {
      if (!isConn(s)) continue;
      const key = connKey(s);
      keys.add(key);
      const isNew = this.prevKeys !== undefined && !this.prevKeys.has(key);
      // an accepted connection of ours may be seen only after the program let go of it (TIME_WAIT, LAST_ACK) …
      const acceptedOrphan = s.inode === 0 && isNew && this.listenPorts.has(s.localPort);
      // … or only by its client's end, still there (TIME_WAIT) when ours is gone
      const clientOfOurs = !mineKeys.has(key) && isNew && this.listenPorts.has(s.remotePort) && isLoopback(s.remoteAddress);
      if (isNew && (s.inode !== 0 || acceptedOrphan || clientOfOurs)) explained++;
      if (clientOfOurs) {
        const mirror = connKey({ ...s, localAddress: s.remoteAddress, localPort: s.remotePort, remoteAddress: s.localAddress, remotePort: s.localPort });
        if (!this.seen.has(mirror)) this.seen.set(mirror, { sentFinal: false, receivedFinal: false });
        continue;
      }
      if (!mineKeys.has(key) && !this.seen.has(key) && !acceptedOrphan) continue;
      const rec = this.seen.get(key) ?? { sentFinal: false, receivedFinal: false };
      this.seen.set(key, rec);
      // our end's counters; on one machine the peer's end counts the same bytes the other way round
      const c = counts?.get(ssKey(s));
      const p = counts?.get(`${endpointKey(s.remoteAddress, s.remotePort)}|${endpointKey(s.localAddress, s.localPort)}`);
      // tcpi_bytes_received counts the peer's FIN as one byte of sequence space
      const got = (x: SsCounts) => Math.max(0, x.received - (peerFinStates.has(x.state) ? 1 : 0));
      const sent = Math.max(c?.sent ?? s.bytesSent ?? -1, p ? got(p) : -1);
      const received = Math.max(c ? got(c) : (s.bytesReceived ?? -1), p?.sent ?? -1);
      if (sent >= 0 && sent >= (rec.sent ?? 0)) rec.sent = sent;
      if (received >= 0 && received >= (rec.received ?? 0)) rec.received = received;
      rec.sentFinal ||= (!!c && ourFinStates.has(c.state)) || (!!p && peerFinStates.has(p.state));
      rec.receivedFinal ||= (!!c && peerFinStates.has(c.state)) || (!!p && ourFinStates.has(p.state));
    }
    // more connections begun in the namespace than appeared in the table: some opened and closed between two reads
    if (opens === undefined || this.prevOpens === undefined || opens - this.prevOpens > explained) {
      if (this._state === 'running') this.missedSome = true;
    }
    this.prevKeys = keys;
    this.prevOpens = opens;
    this._tree = tree;
    if (this._state === 'running') this._sockets = mine;
    if (this.describeAll() !== before) this._onDidChange.fire();
  }

  private describeAll(): string {
    const sum = this.summary();
    return `${this._sockets.map(describe).join('\n')}|${sum.connections}|${sum.bytesSent}|${sum.bytesReceived}|${sum.listenPorts.join(',')}`;
  }

  /** The program ended: its sockets leave, the summary stays (one more read catches counters of closing sockets). */
  markExited(exitCode?: number | null, signal?: string | null): void {
    if (this._state === 'exited') {
      // the exit code may arrive after the process was seen gone
      if ((exitCode !== undefined && this.exitCode === undefined) || (signal && !this.exitSignal)) {
        this.exitCode ??= exitCode;
        this.exitSignal ??= signal ?? undefined;
        this._onDidChange.fire();
      }
      return;
    }
    this._state = 'exited';
    this.exitCode = exitCode;
    this.exitSignal = signal ?? undefined;
    clearInterval(this.timer);
    this._sockets = [];
    this._onDidChange.fire();
    if (this._pid !== undefined && !this.isDisposed && !this.read) {
      this.finalPass = true;
      this.polling = false;
      void this.poll();
    }
  }

  summary(): ProgramSummary {
    let sent: number | undefined;
    let received: number | undefined;
    let partial = false;
    for (const c of this.seen.values()) {
      if (c.sent !== undefined) sent = (sent ?? 0) + c.sent;
      if (c.received !== undefined) received = (received ?? 0) + c.received;
      if (!c.sentFinal || !c.receivedFinal) partial = true;
    }
    return {
      connections: this.seen.size,
      connectionsLowerBound: this.missedSome,
      listenPorts: [...this.listenPorts].sort((a, b) => a - b),
      bytesSent: sent,
      bytesReceived: received,
      bytesLowerBound: this.missedSome || partial,
      errors: [...this.errors],
      exitCode: this.exitCode,
      exitSignal: this.exitSignal,
    };
  }

  override dispose(): void {
    clearInterval(this.timer);
    super.dispose();
  }
}

function describe(s: OsSocket): string {
  return `${connKey(s)}|${s.state}|${s.txQueue}|${s.rxQueue}|${s.bytesSent ?? ''}|${s.bytesReceived ?? ''}`;
}

/** Every watched program, newest first; the Connections tree and the System Sockets view render this. */
export class ProgramWatchManager extends Disposable {
  private readonly _onDidChange = this.own(new Emitter<ProgramWatch | undefined>());
  /** The watch whose row changed, or undefined when runs were added or removed. */
  readonly onDidChange = this._onDidChange.event;
  private readonly watches: ProgramWatch[] = [];
  /** Finished programs kept for their summary. */
  private readonly keepFinished: number;

  constructor(keepFinished = 3) {
    super();
    this.keepFinished = keepFinished;
  }

  add(watch: ProgramWatch): ProgramWatch {
    this.watches.unshift(watch);
    watch.onDidChange(() => {
      if (!this.watches.includes(watch)) return;
      if (watch.state === 'exited' && this.trim()) this._onDidChange.fire(undefined);
      else this._onDidChange.fire(watch);
    });
    this.trim();
    this._onDidChange.fire(undefined);
    return watch;
  }

  all(): readonly ProgramWatch[] {
    return this.watches;
  }

  /** Running programs started for this file (Run File / Debug File). */
  runningFile(file: string): ProgramWatch[] {
    return this.watches.filter((w) => w.state === 'running' && w.controls?.file === file);
  }

  remove(watch: ProgramWatch): void {
    const i = this.watches.indexOf(watch);
    if (i < 0) return;
    this.watches.splice(i, 1);
    watch.dispose();
    this._onDidChange.fire(undefined);
  }

  /** Clear Closed: forgets every finished run; returns how many. */
  clearFinished(): number {
    const finished = this.watches.filter((w) => w.state === 'exited');
    for (const w of finished) {
      this.watches.splice(this.watches.indexOf(w), 1);
      w.dispose();
    }
    if (finished.length) this._onDidChange.fire(undefined);
    return finished.length;
  }

  private trim(): boolean {
    const finished = this.watches.filter((w) => w.state === 'exited');
    for (const w of finished.slice(this.keepFinished)) {
      this.watches.splice(this.watches.indexOf(w), 1);
      w.dispose();
    }
    return finished.length > this.keepFinished;
  }

  override dispose(): void {
    for (const w of this.watches.splice(0)) w.dispose();
    super.dispose();
  }
}
