// A lesson program run as `python -u file args` (argument array, never a shell) in its own process group.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { Disposable, Emitter } from '../../shared/disposable';
import type { PythonInterpreter } from './interpreter';

export interface LessonProcessOptions {
  interpreter: PythonInterpreter;
  /** Absolute path of the .py file. */
  file: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Kill the whole tree after this long (ms); 0 = never. */
  timeoutMs?: number;
  /** Keep at most this many characters of output in `output`. */
  maxOutput?: number;
}

export interface LessonOutput {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface LessonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it ended when we ended it: 'stopped' | 'timeout' | 'disposed'; undefined if it ended by itself. */
  reason?: 'stopped' | 'timeout' | 'disposed';
  error?: { code: string; message: string };
}

/** Every descendant of `pid` that the OS reports (Linux /proc), so children that left the group die too. */
export function descendantPids(pid: number): number[] {
  if (process.platform !== 'linux') return [];
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  if (process.platform === 'win32') {
    // taskkill /T ends the whole tree on Windows; spawned without a shell
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
 * Runs beside each lesson program: when the extension host dies without disposing (crash, kill -9), the pipe from
 * it closes and this kills the lesson's process group, so no lesson outlives VS Code.
 */
const WATCHDOG = `
const pgid = Number(process.argv[1]);
const kill = () => { try { process.kill(-pgid, 'SIGKILL'); } catch {} process.exit(0); };
process.stdin.on('data', () => {});
process.stdin.on('end', kill);
process.stdin.on('error', kill);
`;

export class LessonProcess extends Disposable {
  private readonly child: ChildProcess;
  private watchdog: ChildProcess | undefined;
  private readonly _onDidOutput = this.own(new Emitter<LessonOutput>());
  private readonly _onDidExit = this.own(new Emitter<LessonExit>());
  readonly onDidOutput = this._onDidOutput.event;
  readonly onDidExit = this._onDidExit.event;
  readonly exited: Promise<LessonExit>;
  private _output = '';
  private _exit: LessonExit | undefined;
  private stopReason: LessonExit['reason'];
  private timers: ReturnType<typeof setTimeout>[] = [];
  private readonly maxOutput: number;

  constructor(readonly options: LessonProcessOptions) {
    super();
    this.maxOutput = options.maxOutput ?? 1 << 20;
    const { interpreter, file, args, cwd } = options;
    this.child = spawn(interpreter.command, [...interpreter.args, '-u', file, ...args], {
      cwd,
      // no __pycache__ in the (possibly read-only) extension folder
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      detached: process.platform !== 'win32', // its own process group, so stop() reaches every child
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      shell: false,
    });
    if (process.platform !== 'win32' && this.child.pid !== undefined) {
      // its own group too, so whatever kills the extension host's group leaves it alive to clean up
      this.watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(this.child.pid)], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      });
      this.watchdog.on('error', () => undefined);
      this.watchdog.stdin!.on('error', () => undefined);
      this.watchdog.unref();
      (this.watchdog.stdin as unknown as { unref?: () => void }).unref?.(); // never keeps a CLI or test process alive
    }
    let resolveExit!: (e: LessonExit) => void;
    this.exited = new Promise((r) => (resolveExit = r));
    const finish = (e: LessonExit) => {
      if (this._exit) return;
      this._exit = e;
      for (const t of this.timers.splice(0)) clearTimeout(t);
      // the leader is gone; make sure nothing it started outlives it
      if (this.child.pid !== undefined && process.platform !== 'win32') signalTree(this.child.pid, 'SIGKILL');
      this.stopWatchdog();
      this._onDidExit.fire(e);
      resolveExit(e);
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      this.child[stream]!.setEncoding('utf8');
      this.child[stream]!.on('data', (text: string) => {
        this._output = (this._output + text).slice(-this.maxOutput);
        this._onDidOutput.fire({ stream, text });
      });
    }
    this.child.stdin!.on('error', () => undefined); // writing to a program that already ended is not an error here
    this.child.on('error', (err: NodeJS.ErrnoException) =>
      finish({ code: null, signal: null, reason: this.stopReason, error: { code: err.code ?? 'ESPAWN', message: err.message } }),
    );
    this.child.on('close', (code, signal) => finish({ code, signal, reason: this.stopReason }));
    if (options.timeoutMs) this.timers.push(setTimeout(() => void this.stop('timeout'), options.timeoutMs));
  }

  private stopWatchdog(): void {
    try {
      this.watchdog?.kill('SIGKILL');
    } catch {
      // already gone
    }
    this.watchdog = undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The guard process that kills the lesson if the extension host dies; undefined on Windows or once ended. */
  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  get output(): string {
    return this._output;
  }

  get exitInfo(): LessonExit | undefined {
    return this._exit;
  }

  get isRunning(): boolean {
    return this._exit === undefined;
  }

  /** Types a line into the program's stdin. */
  write(text: string): void {
    if (this.isRunning) this.child.stdin!.write(text);
  }

  /** Resolves when the output so far matches `pattern`; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => this._output.match(pattern);
      const first = check();
      if (first) return resolve(first);
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
      if (this._exit) done(() => reject(new Error('the program already ended')));
    });
  }

  /** Ctrl+C to the whole group first (Python runs its finally blocks), SIGKILL after `graceMs`. */
  stop(reason: LessonExit['reason'] = 'stopped', graceMs = 1500): Promise<LessonExit> {
    const pid = this.child.pid;
    if (this._exit || pid === undefined) return this.exited;
    this.stopReason ??= reason;
    signalTree(pid, 'SIGINT');
    const t = setTimeout(() => signalTree(pid, 'SIGKILL'), graceMs);
    this.timers.push(t);
    return this.exited;
  }

  /** Synchronous: kills the tree at once (VS Code may be closing and cannot wait). */
  override dispose(): void {
    if (this.isDisposed) return;
    if (!this._exit && this.child.pid !== undefined) {
      this.stopReason ??= 'disposed';
      signalTree(this.child.pid, 'SIGKILL');
    }
    for (const t of this.timers.splice(0)) clearTimeout(t);
    this.stopWatchdog();
    super.dispose();
  }
}
