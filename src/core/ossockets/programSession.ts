// Runs the user's program as a child in its own process group, so stopping it stops everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Disposable, Emitter } from '../../shared/disposable';
import { OutputErrorScanner, type OutputErrorMatch } from '../analysis/outputErrors';

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

export class ProgramSession extends Disposable {
  private readonly _onDidOutput = this.own(new Emitter<string>());
  /** Text the program wrote to stdout or stderr, in arrival order. */
  readonly onDidOutput = this._onDidOutput.event;
  private readonly _onDidRecognizeError = this.own(new Emitter<OutputErrorMatch>());
  readonly onDidRecognizeError = this._onDidRecognizeError.event;
  private readonly _onDidExit = this.own(new Emitter<{ code: number | null; signal: string | null; error?: string }>());
  readonly onDidExit = this._onDidExit.event;
  private readonly child: ChildProcess;
  private readonly scanner = new OutputErrorScanner();
  private exited = false;
  readonly label: string;

  constructor(readonly cmd: ProgramCommand, opts: ProgramSessionOptions = {}) {
    super();
    this.label = path.basename(cmd.args[cmd.args.length - 1] ?? cmd.command);
    this.child = spawn(cmd.command, cmd.args, {
      cwd: opts.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env },
      // its own process group (POSIX): a signal to -pid reaches every child it forks
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const onData = (d: Buffer) => {
      const text = d.toString('utf8');
      this._onDidOutput.fire(text);
      for (const m of this.scanner.push(text)) this._onDidRecognizeError.fire(m);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.child.stdin!.on('error', () => undefined); // writing after exit must not crash the host
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      this.finish(null, null, e.code === 'ENOENT' ? `${cmd.command} was not found; install it or set its path in the settings.` : e.message);
    });
    this.child.on('close', (code, signal) => this.finish(code, signal));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  write(text: string): void {
    if (!this.exited) this.child.stdin!.write(text);
  }

  /** Signals the whole process group; SIGINT is what Ctrl+C in a terminal sends. */
  signal(sig: NodeJS.Signals = 'SIGTERM'): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      if (process.platform === 'win32') this.child.kill(sig);
      else process.kill(-this.child.pid, sig);
    } catch {
      // already gone
    }
  }

  private finish(code: number | null, signal: string | null, error?: string): void {
    if (this.exited) return;
    this.exited = true;
    for (const m of this.scanner.flush()) this._onDidRecognizeError.fire(m);
    this._onDidExit.fire({ code, signal, error });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.signal('SIGTERM');
    // a program that ignores SIGTERM is killed shortly after, never left behind
    const pid = this.child.pid;
    if (!this.exited && pid !== undefined && process.platform !== 'win32') {
      setTimeout(() => {
        try {
          if (!this.exited) process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 2000).unref();
    }
    super.dispose();
  }
}
