// One program run as a process group: spawned from an argument array (never a shell), its output as text, stopping
// and killing reach everything it started, and nothing outlives the extension host. Lessons and Run File use it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { Disposable, Emitter } from '../../shared/disposable';
import { parsePpidFromStat } from '../ossockets/procNet';
import { descendantsOf } from '../ossockets/procProcesses';
import { processTree } from '../ossockets/programSockets';
import type { ProcessInfo } from '../ossockets/types';

export interface ProcessGroupOptions {
  command: string;
  args: string[];
  cwd?: string;
  /** The whole environment of the program (not merged with process.env here). */
  env?: NodeJS.ProcessEnv;
  /** Keep at most this many characters of output in `output`; 0 keeps none. Default 1 MiB. */
  maxOutput?: number;
  /**
   * When the program ends, kill what it left behind in its group and below (default true). False leaves them be,
   * as a terminal would.
   */
  endTreeOnExit?: boolean;
  /** How long after the program ended its output may still drain before the end is reported (default 300 ms). */
  drainMs?: number;
}

export interface ProcessOutput {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started (ENOENT: the command does not exist). */
  error?: { code: string; message: string };
}

/** Every descendant of `pid` that the OS reports (Linux /proc), so children that left the group die too. */
export function descendantPids(pid: number): number[] {
  if (process.platform !== 'linux') return [];
  const tree = processTree(pid) ?? descendantsOf(pid, parentLinks());
  tree.delete(pid);
  return [...tree];
}

/** Every process's parent, from /proc/PID/stat (the fallback when /proc/PID/task/TID/children is missing). */
function parentLinks(): ProcessInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcessInfo[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = parsePpidFromStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (ppid !== undefined) out.push({ pid: Number(name), ppid, command: '', cmdline: '' });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * Signals the process group led by `pid` and every descendant that left it (POSIX); on Windows, which has no process
 * groups, `taskkill /T /F` ends the whole tree whatever the signal.
 */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  if (process.platform === 'win32') {
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true, stdio: 'ignore' }).on('error', () => undefined);
    return;
  }
  const stragglers = descendantPids(pid);
  try {
    process.kill(-pid, signal); // negative pid: the whole process group we created with detached
  } catch {
    // the group is already gone
  }
  for (const p of stragglers) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Runs beside each program, in a group of its own: when the extension host dies without disposing (crash, kill -9),
 * the pipe from it closes and this kills the program's process group, so no program outlives VS Code.
 */
const WATCHDOG = `
const pgid = Number(process.argv[1]);
const kill = () => { try { process.kill(-pgid, 'SIGKILL'); } catch {} process.exit(0); };
process.stdin.on('data', () => {});
process.stdin.on('end', kill);
process.stdin.on('error', kill);
`;

export class ProcessGroup extends Disposable {
  private readonly child: ChildProcess;
  private watchdog: ChildProcess | undefined;
  private readonly _onDidOutput = this.own(new Emitter<ProcessOutput>());
  private readonly _onDidSpawn = this.own(new Emitter<number>());
  private readonly _onDidExit = this.own(new Emitter<ProcessExit>());
  /** Output as UTF-8 text; a character split across two reads arrives whole. */
  readonly onDidOutput = this._onDidOutput.event;
  /** The program started (its pid); not fired when it could not. */
  readonly onDidSpawn = this._onDidSpawn.event;
  /** Fires once; also after dispose() the `exited` promise settles. */
  readonly onDidExit = this._onDidExit.event;
  readonly exited: Promise<ProcessExit>;
  private _output = '';
  private _exit: ProcessExit | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly maxOutput: number;
  /** The signal and the SIGKILL's due time (performance.now()) of a stop under way; undefined while none was asked for. */
  private stopSignal: NodeJS.Signals | undefined;
  private killDue: number | undefined;

  constructor(readonly options: ProcessGroupOptions) {
    super();
    this.maxOutput = options.maxOutput ?? 1 << 20;
    const posix = process.platform !== 'win32';
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: posix, // its own process group, so a signal to -pid reaches the program and everything it forks
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      shell: false,
    });
    if (posix && this.child.pid !== undefined) this.startWatchdog(this.child.pid);
    let resolveExit!: (e: ProcessExit) => void;
    this.exited = new Promise((r) => (resolveExit = r));
    const finish = (e: ProcessExit) => {
      if (this._exit) return;
      this._exit = e;
      this.clearTimers();
      // the leader is gone; make sure nothing it started outlives it
      if (options.endTreeOnExit !== false && this.child.pid !== undefined && posix) signalTree(this.child.pid, 'SIGKILL');
      this.stopWatchdog();
      // a process that left the group (setsid) may still hold the pipes: let go of them, or this process (the CLI,
      // a test) would wait for it for ever
      for (const s of [this.child.stdout, this.child.stderr, this.child.stdin]) s?.destroy();
      this._onDidExit.fire(e);
      resolveExit(e);
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      // a decoder per stream: a multibyte character split across two chunks is held until it is whole
      this.child[stream]!.setEncoding('utf8');
      this.child[stream]!.on('data', (text: string) => {
        if (this.maxOutput > 0) this._output = (this._output + text).slice(-this.maxOutput);
        this._onDidOutput.fire({ stream, text });
      });
    }
    this.child.stdin!.on('error', () => undefined); // writing to a program that already ended is not an error here
    this.child.once('spawn', () => this.child.pid !== undefined && this._onDidSpawn.fire(this.child.pid));
    this.child.on('error', (err: NodeJS.ErrnoException) =>
      finish({ code: null, signal: null, error: { code: err.code ?? 'ESPAWN', message: err.message } }),
    );
    // 'close' follows 'exit' once the pipes are drained, unless a child the program left behind holds them open:
    // then the end is reported shortly after the program's own exit, not when that child lets go
    this.child.on('close', (code, signal) => finish({ code, signal }));
    this.child.on('exit', (code, signal) => {
      const t = setTimeout(() => finish({ code, signal }), options.drainMs ?? 300);
      this.timers.add(t);
    });
  }

  private startWatchdog(pgid: number): void {
    // its own group too, so whatever kills the extension host's group leaves it alive to clean up
    this.watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(pgid)], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, // the host may be Electron: plain Node for the watchdog
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    this.watchdog.on('error', () => undefined);
    this.watchdog.stdin!.on('error', () => undefined);
    this.watchdog.unref();
    (this.watchdog.stdin as unknown as { unref?: () => void }).unref?.(); // never keeps a CLI or test process alive
  }

  private stopWatchdog(): void {
    try {
      this.watchdog?.kill('SIGKILL');
    } catch {
      // already gone
    }
    this.watchdog = undefined;
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The program's own process id (the group's leader on POSIX), known at once; undefined if it could not start. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The guard process that kills the group if the extension host dies; undefined on Windows or once ended. */
  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  /** The last `maxOutput` characters of stdout and stderr, in arrival order. */
  get output(): string {
    return this._output;
  }

  get exitInfo(): ProcessExit | undefined {
    return this._exit;
  }

  get isRunning(): boolean {
    return this._exit === undefined;
  }

  /** Types into the program's stdin (ignored once it ended). */
  write(text: string): void {
    if (this.isRunning) this.child.stdin!.write(text);
  }

  /** Resolves when the output kept so far matches `pattern`; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => this._output.match(pattern);
      const first = check();
      if (first) return resolve(first);
      if (this._exit) return reject(new Error('the program already ended'));
      const subs: { dispose(): unknown }[] = [];
      const done = (fn: () => void) => {
        clearTimeout(timer);
        subs.forEach((s) => s.dispose());
        fn();
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms`))), timeoutMs);
      subs.push(this.onDidOutput(() => {
        const m = check();
        if (m) done(() => resolve(m));
      }));
      subs.push(this.onDidExit((e) => done(() => reject(new Error(`the program ended (exit code ${e.code ?? e.signal}) before printing ${pattern}`)))));
    });
  }

  /** Sends `signal` to the whole tree (Windows: ends it). */
  signal(signal: NodeJS.Signals): void {
    if (this._exit || this.child.pid === undefined) return;
    signalTree(this.child.pid, signal);
  }

  /**
   * `signal` to the whole tree now (SIGINT: what Ctrl+C sends, Python runs its finally blocks), SIGKILL after `graceMs`.
   * A stop while one is under way sends no second `signal` (a second SIGINT would interrupt those finally blocks); it
   * can only bring the SIGKILL forward.
   */
  stop(signal: NodeJS.Signals = 'SIGINT', graceMs = 1500): Promise<ProcessExit> {
    const pid = this.child.pid;
    if (this._exit || pid === undefined) return this.exited;
    if (signal !== this.stopSignal) signalTree(pid, signal);
    this.stopSignal = signal;
    const due = performance.now() + graceMs;
    if (this.killDue !== undefined && this.killDue <= due) return this.exited;
    this.killDue = due;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this._exit) signalTree(pid, 'SIGKILL');
    }, graceMs);
    this.timers.add(t);
    return this.exited;
  }

  /** Synchronous SIGKILL to the whole tree (VS Code may be closing and cannot wait). */
  kill(): void {
    this.signal('SIGKILL');
  }

  /** Kills the tree at once and drops the listeners; `exited` still settles when the program is gone. */
  override dispose(): void {
    if (this.isDisposed) return;
    this.kill();
    this.stopWatchdog();
    super.dispose();
  }
}
