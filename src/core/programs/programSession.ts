// Runs the user's program as a child in its own process group, so stopping it stops everything it started.
import * as path from 'node:path';
import { Disposable, Emitter } from '../../shared/disposable';
import { OutputErrorScanner, type OutputErrorMatch } from '../analysis/outputErrors';
import { ProcessGroup } from './processGroup';

export type ProgramLanguage = 'python' | 'javascript' | 'typescript';

export interface ProgramCommand {
  command: string;
  args: string[];
}

export interface Interpreters {
  python?: string;
  node?: string;
  /** A tsx binary (e.g. the workspace's node_modules/.bin/tsx) for TypeScript; else Node's type stripping. */
  tsx?: string;
}

/** The argument array that runs a file; never a shell string, so paths with spaces or quotes stay intact. */
export function programCommand(file: string, language: ProgramLanguage, interp: Interpreters = {}): ProgramCommand {
  switch (language) {
    case 'python':
      // -u: unbuffered, so errors and prints show up while the program runs
      return { command: interp.python || (process.platform === 'win32' ? 'python' : 'python3'), args: ['-u', file] };
    case 'javascript':
      return { command: interp.node || 'node', args: [file] };
    case 'typescript':
      return interp.tsx ? { command: interp.tsx, args: [file] } : { command: interp.node || 'node', args: ['--experimental-strip-types', file] };
  }
}

export interface ProgramSessionOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ProgramExit {
  code: number | null;
  signal: string | null;
  /** One sentence when the program could not start at all. */
  error?: string;
}

/**
 * A user's program (Run File) in a process group of its own (`ProcessGroup`): a watchdog beside it kills the group if
 * the extension host dies in any way, so no student server is left holding its port after VS Code reloads.
 */
export class ProgramSession extends Disposable {
  private readonly _onDidOutput = this.own(new Emitter<string>());
  /** Text the program wrote to stdout or stderr, in arrival order. */
  readonly onDidOutput = this._onDidOutput.event;
  private readonly _onDidRecognizeError = this.own(new Emitter<OutputErrorMatch>());
  readonly onDidRecognizeError = this._onDidRecognizeError.event;
  private readonly _onDidExit = this.own(new Emitter<ProgramExit>());
  readonly onDidExit = this._onDidExit.event;
  private readonly _onDidStart = this.own(new Emitter<number>());
  /** The program's process id, once it runs. */
  readonly onDidStart = this._onDidStart.event;
  private readonly group: ProcessGroup;
  private readonly scanner = new OutputErrorScanner();
  private exited = false;
  readonly label: string;

  constructor(readonly cmd: ProgramCommand, opts: ProgramSessionOptions = {}) {
    super();
    this.label = path.basename(cmd.args[cmd.args.length - 1] ?? cmd.command);
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env };
    delete env.ELECTRON_RUN_AS_NODE; // the extension host's (Electron as Node) is not the user's program's business
    // like a terminal, leaves alone what the program left running when it ended by itself
    this.group = new ProcessGroup({ command: cmd.command, args: cmd.args, cwd: opts.cwd, env, maxOutput: 0, endTreeOnExit: false });
    this.group.onDidOutput(({ text }) => {
      this._onDidOutput.fire(text);
      for (const m of this.scanner.push(text)) this._onDidRecognizeError.fire(m);
    });
    this.group.onDidSpawn((pid) => this._onDidStart.fire(pid));
    this.group.onDidExit((e) => this.finish(e.code, e.signal, e.error && this.startError(e.error.code)));
  }

  private startError(code: string): string {
    return code === 'ENOENT' ? `${this.cmd.command} was not found; install it or set its path in the settings.` : code;
  }

  /** The program's own process id, known at once (POSIX: it leads its process group). Watch this tree. */
  get pid(): number | undefined {
    return this.group.pid;
  }

  /** The program's own process id (the same as `pid`). */
  get processId(): number | undefined {
    return this.group.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Resolves when the program has ended (at once if it already has). */
  whenExited(timeoutMs = 5000): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this._onDidExit.event(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(text: string): void {
    if (!this.exited) this.group.write(text);
  }

  /** Signals the whole process tree; SIGINT is what Ctrl+C in a terminal sends. */
  signal(sig: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.exited) this.group.signal(sig);
  }

  private finish(code: number | null, signal: string | null, error?: string): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.releaseTimer);
    for (const m of this.scanner.flush()) this._onDidRecognizeError.fire(m);
    this._onDidExit.fire({ code, signal, error });
    if (this.disposing) this.release();
  }

  private disposing = false;
  private releaseTimer: ReturnType<typeof setTimeout> | undefined;

  private release(): void {
    this.group.dispose();
    super.dispose();
  }

  /** Stops the program; onDidExit still fires once it has ended (closing its terminal ends the run in the tree). */
  override dispose(): void {
    if (this.isDisposed || this.disposing) return;
    if (this.exited) {
      this.release();
      return;
    }
    this.disposing = true;
    // a program that ignores SIGTERM is killed 2 s later, never left behind
    void this.group.stop('SIGTERM', 2000);
    // whatever happens, the listeners are released
    this.releaseTimer = setTimeout(() => this.finish(null, 'SIGKILL'), 4000);
    this.releaseTimer.unref();
  }
}
