// Watches the sockets of one running program (its process tree) and keeps a summary after it stops.
import { Disposable, Emitter } from '../../shared/disposable';
import type { OutputErrorCode } from '../analysis/outputErrors';
import { filterSockets, readSocketTableShared, type ReadOptions, type SocketTable } from './socketTable';
import { formatEndpoint, type OsSocket } from './types';

export interface ProgramSummary {
  /** Distinct TCP connections seen (accepted or made), by their endpoint pair. */
  connections: number;
  /** Ports the program listened on. */
  listenPorts: number[];
  /** Bytes over the connections we saw, when the OS reports per-connection counters (Linux with `ss`). */
  bytesSent?: number;
  bytesReceived?: number;
  /** Socket errors recognised in the program's output. */
  errors: OutputErrorCode[];
  exitCode?: number | null;
}

export type ProgramState = 'running' | 'exited';

export interface ProgramWatchOptions {
  label: string;
  /** Poll period; the caller keeps it modest, reading /proc costs a few milliseconds. */
  intervalMs?: number;
  read?: (opts: ReadOptions) => Promise<SocketTable>;
}

const connKey = (s: OsSocket) => `${s.protocol}|${formatEndpoint(s.localAddress, s.localPort)}|${formatEndpoint(s.remoteAddress, s.remotePort)}`;

export class ProgramWatch extends Disposable {
  private readonly _onDidChange = this.own(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;
  readonly label: string;
  readonly startedAt = Date.now();
  private _pid: number | undefined;
  private _displayPid: number | undefined;
  private _state: ProgramState = 'running';
  private _sockets: OsSocket[] = [];
  private readonly seen = new Map<string, { sent?: number; received?: number }>();
  private readonly listenPorts = new Set<number>();
  private readonly errors = new Set<OutputErrorCode>();
  private exitCode: number | null | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  private readonly read: (opts: ReadOptions) => Promise<SocketTable>;
  private readonly intervalMs: number;

  constructor(opts: ProgramWatchOptions) {
    super();
    this.label = opts.label;
    this.read = opts.read ?? ((o) => readSocketTableShared(o));
    this.intervalMs = opts.intervalMs ?? 1000;
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
    this._onDidChange.fire();
  }
  get state(): ProgramState {
    return this._state;
  }
  /** The program tree's sockets as last read (empty once it exited). */
  get sockets(): readonly OsSocket[] {
    return this._sockets;
  }

  /** Starts watching once the process id is known (a debug session learns it late). */
  attach(pid: number): void {
    if (this.isDisposed || this._state !== 'running' || this._pid !== undefined) return;
    this._pid = pid;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.own({ dispose: () => clearInterval(this.timer) });
  }

  recordError(code: OutputErrorCode): void {
    if (this.errors.has(code)) return;
    this.errors.add(code);
    this._onDidChange.fire();
  }

  /** Reads the table now; also called by the timer. */
  async poll(): Promise<void> {
    if (this._pid === undefined || this.polling || this._state !== 'running' || this.isDisposed) return;
    this.polling = true;
    try {
      const table = await this.read({ bytes: true, unix: false });
      if (this._state !== 'running' || this.isDisposed) return;
      this.ingest(filterSockets(table, { pid: this._pid }));
    } finally {
      this.polling = false;
    }
  }

  private ingest(sockets: OsSocket[]): void {
    for (const s of sockets) {
      if (s.protocol === 'tcp' && s.state === 'LISTEN') this.listenPorts.add(s.localPort);
      if (s.protocol === 'tcp' && s.state !== 'LISTEN' && s.remotePort !== 0) {
        const prev = this.seen.get(connKey(s)) ?? {};
        this.seen.set(connKey(s), { sent: s.bytesSent ?? prev.sent, received: s.bytesReceived ?? prev.received });
      }
    }
    const before = this._sockets.map(describe).join('\n');
    this._sockets = sockets;
    if (sockets.map(describe).join('\n') !== before) this._onDidChange.fire();
  }

  /** The program ended: its sockets leave, the summary stays. */
  markExited(exitCode?: number | null): void {
    if (this._state === 'exited') return;
    this._state = 'exited';
    this.exitCode = exitCode;
    clearInterval(this.timer);
    this._sockets = [];
    this._onDidChange.fire();
  }

  summary(): ProgramSummary {
    let sent: number | undefined;
    let received: number | undefined;
    for (const c of this.seen.values()) {
      if (c.sent !== undefined) sent = (sent ?? 0) + c.sent;
      if (c.received !== undefined) received = (received ?? 0) + c.received;
    }
    return {
      connections: this.seen.size,
      listenPorts: [...this.listenPorts].sort((a, b) => a - b),
      bytesSent: sent,
      bytesReceived: received,
      errors: [...this.errors],
      exitCode: this.exitCode,
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
  private readonly _onDidChange = this.own(new Emitter<void>());
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
      if (watch.state === 'exited') this.trim();
      this._onDidChange.fire();
    });
    this.trim();
    this._onDidChange.fire();
    return watch;
  }

  all(): readonly ProgramWatch[] {
    return this.watches;
  }

  remove(watch: ProgramWatch): void {
    const i = this.watches.indexOf(watch);
    if (i < 0) return;
    this.watches.splice(i, 1);
    watch.dispose();
    this._onDidChange.fire();
  }

  private trim(): void {
    const finished = this.watches.filter((w) => w.state === 'exited');
    for (const w of finished.slice(this.keepFinished)) {
      this.watches.splice(this.watches.indexOf(w), 1);
      w.dispose();
    }
  }

  override dispose(): void {
    for (const w of this.watches.splice(0)) w.dispose();
    super.dispose();
  }
}
