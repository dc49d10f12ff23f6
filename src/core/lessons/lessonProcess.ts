// A lesson program run as `python -u file args` (argument array, never a shell) in its own process group.
import { Disposable, Emitter } from '../../shared/disposable';
import { ProcessGroup, type ProcessExit, type ProcessOutput } from '../programs/processGroup';
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

export type LessonOutput = ProcessOutput;

export interface LessonExit extends ProcessExit {
  /** Why it ended when we ended it: 'stopped' | 'timeout' | 'disposed'; undefined if it ended by itself. */
  reason?: 'stopped' | 'timeout' | 'disposed';
}

export class LessonProcess extends Disposable {
  private readonly group: ProcessGroup;
  private readonly _onDidExit = this.own(new Emitter<LessonExit>());
  readonly onDidOutput: ProcessGroup['onDidOutput'];
  readonly onDidExit = this._onDidExit.event;
  readonly exited: Promise<LessonExit>;
  private _exit: LessonExit | undefined;
  private stopReason: LessonExit['reason'];
  private timeout: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly options: LessonProcessOptions) {
    super();
    const { interpreter, file, args, cwd } = options;
    this.group = new ProcessGroup({
      command: interpreter.command,
      args: [...interpreter.args, '-u', file, ...args],
      cwd,
      // no __pycache__ in the (possibly read-only) extension folder
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      maxOutput: options.maxOutput,
    });
    this.onDidOutput = this.group.onDidOutput;
    let resolveExit!: (e: LessonExit) => void;
    this.exited = new Promise((r) => (resolveExit = r));
    const finish = (e: ProcessExit) => {
      if (this._exit) return;
      clearTimeout(this.timeout);
      this._exit = { ...e, reason: this.stopReason };
      this._onDidExit.fire(this._exit);
      resolveExit(this._exit);
    };
    this.group.onDidExit(finish);
    void this.group.exited.then(finish); // also after dispose, when the group's listeners are gone
    if (options.timeoutMs) this.timeout = setTimeout(() => void this.stop('timeout'), options.timeoutMs);
  }

  get pid(): number | undefined {
    return this.group.pid;
  }

  /** The guard process that kills the lesson if the extension host dies; undefined on Windows or once ended. */
  get watchdogPid(): number | undefined {
    return this.group.watchdogPid;
  }

  get output(): string {
    return this.group.output;
  }

  get exitInfo(): LessonExit | undefined {
    return this._exit;
  }

  get isRunning(): boolean {
    return this._exit === undefined;
  }

  /** Types a line into the program's stdin. */
  write(text: string): void {
    this.group.write(text);
  }

  /** Resolves when the output so far matches `pattern`; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return this.group.waitForOutput(pattern, timeoutMs);
  }

  /** Ctrl+C to the whole group first (Python runs its finally blocks), SIGKILL after `graceMs`. */
  stop(reason: LessonExit['reason'] = 'stopped', graceMs = 1500): Promise<LessonExit> {
    if (this._exit || !this.group.isRunning || this.group.pid === undefined) return this.exited;
    this.stopReason ??= reason;
    void this.group.stop('SIGINT', graceMs);
    return this.exited;
  }

  /** Synchronous: kills the tree at once (VS Code may be closing and cannot wait). */
  override dispose(): void {
    if (this.isDisposed) return;
    if (this.group.isRunning && this.group.pid !== undefined) this.stopReason ??= 'disposed';
    clearTimeout(this.timeout);
    this.group.dispose();
    super.dispose();
  }
}
