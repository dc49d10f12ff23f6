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

/**
 * A tiny supervisor between the extension host and the program (POSIX). It leads the program's process group and
 * holds a pipe to the host: if the host dies in any way (even SIGKILL), the pipe ends and the supervisor kills the
 * whole group, so no student server is left holding its port after VS Code reloads.
 */
/** Appears in the supervisor's command line, so process scans can tell it from the program it runs. */
export const supervisorMarker = 'socket-lab-supervisor';

const supervisorSource = `// ${supervisorMarker}
const { spawn } = require('child_process');
const net = require('net');
const [cmd, ...args] = JSON.parse(process.argv[1]);
const ctl = new net.Socket({ fd: 3, readable: true, writable: true });
const say = (o) => { try { ctl.write(JSON.stringify(o) + '\\n'); } catch {} };
const killGroup = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} process.exit(1); };
ctl.on('end', killGroup);
ctl.on('error', killGroup);
ctl.resume();
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.on(s, () => {}); // the group signal reaches the program; wait for it
delete process.env.ELECTRON_RUN_AS_NODE;
const child = spawn(cmd, args, { stdio: 'inherit' });
child.on('spawn', () => say({ pid: child.pid }));
child.on('error', (e) => { say({ error: e.code || e.message }); ctl.end(); process.exit(127); });
child.on('exit', (code, signal) => { say({ code, signal }); ctl.end(() => process.exit(code ?? 1)); setTimeout(() => process.exit(code ?? 1), 1000).unref(); });
`;

export interface ProgramExit {
  code: number | null;
  signal: string | null;
  /** One sentence when the program could not start at all. */
  error?: string;
}

export class ProgramSession extends Disposable {
  private readonly _onDidOutput = this.own(new Emitter<string>());
  /** Text the program wrote to stdout or stderr, in arrival order. */
  readonly onDidOutput = this._onDidOutput.event;
  private readonly _onDidRecognizeError = this.own(new Emitter<OutputErrorMatch>());
  readonly onDidRecognizeError = this._onDidRecognizeError.event;
  private readonly _onDidExit = this.own(new Emitter<ProgramExit>());
  readonly onDidExit = this._onDidExit.event;
  private readonly _onDidStart = this.own(new Emitter<number>());
  /** The program's own process id, once it runs (POSIX: reported by the supervisor). */
  readonly onDidStart = this._onDidStart.event;
  private readonly child: ChildProcess;
  private readonly scanner = new OutputErrorScanner();
  private exited = false;
  private programPid: number | undefined;
  private reported: Partial<ProgramExit> = {};
  readonly label: string;

  constructor(readonly cmd: ProgramCommand, opts: ProgramSessionOptions = {}) {
    super();
    this.label = path.basename(cmd.args[cmd.args.length - 1] ?? cmd.command);
    const env = { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env };
    const posix = process.platform !== 'win32';
    this.child = posix
      ? spawn(process.execPath, ['-e', supervisorSource, JSON.stringify([cmd.command, ...cmd.args])], {
          cwd: opts.cwd,
          // the extension host may be Electron: make it behave as plain Node for the supervisor
          env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
          // its own process group: a signal to -pid reaches the program and everything it forks
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        })
      : spawn(cmd.command, cmd.args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const onData = (d: Buffer) => {
      const text = d.toString('utf8');
      this._onDidOutput.fire(text);
      for (const m of this.scanner.push(text)) this._onDidRecognizeError.fire(m);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.child.stdin!.on('error', () => undefined); // writing after exit must not crash the host
    const ctl = this.child.stdio[3] as import('node:stream').Duplex | undefined;
    if (ctl) {
      let buf = '';
      ctl.on('error', () => undefined);
      ctl.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          try {
            const m = JSON.parse(line) as { pid?: number; error?: string; code?: number | null; signal?: string | null };
            if (typeof m.pid === 'number') {
              this.programPid = m.pid;
              this._onDidStart.fire(m.pid);
            }
            if (m.error) this.reported.error = this.startError(m.error);
            if ('code' in m) {
              this.reported = { ...this.reported, code: m.code ?? null, signal: m.signal ?? null };
              // the program ended: a child it left behind may hold stdout open for ever, so do not wait for 'close'
              this.finishSoon();
            }
          } catch {
            // not ours
          }
        }
      });
    }
    if (!posix) this.child.once('spawn', () => this.child.pid !== undefined && this._onDidStart.fire(this.child.pid));
    this.child.on('error', (e: NodeJS.ErrnoException) => this.finish(null, null, this.startError(e.code ?? e.message)));
    this.child.on('close', (code, signal) => this.finishReported(code, signal));
    // the supervisor (or, on Windows, the program) ended: its output may still be draining, 'close' follows unless a
    // grandchild holds the pipes
    this.child.on('exit', (code, signal) => this.finishSoon(code, signal));
  }

  private finishReported(code: number | null, signal: string | null): void {
    const r = this.reported;
    if (r.error) this.finish(null, null, r.error);
    else if ('code' in r) this.finish(r.code ?? null, r.signal ?? null);
    else this.finish(code, signal);
  }

  private finishTimer: ReturnType<typeof setTimeout> | undefined;
  /** Ends the run shortly after the program's end was reported, leaving time for its last output. */
  private finishSoon(code: number | null = null, signal: string | null = null): void {
    if (this.exited || this.finishTimer) return;
    this.finishTimer = setTimeout(() => this.finishReported(code, signal), 300);
  }

  private startError(code: string): string {
    return code === 'ENOENT' ? `${this.cmd.command} was not found; install it or set its path in the settings.` : code;
  }

  /** The id of the process group leader (POSIX: the supervisor; the program is its child). Watch this tree. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The program's own process id, once it started. */
  get processId(): number | undefined {
    return process.platform === 'win32' ? this.child.pid : this.programPid;
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
    if (!this.exited) this.child.stdin!.write(text);
  }

  /** Signals the whole process group; SIGINT is what Ctrl+C in a terminal sends. */
  signal(sig: NodeJS.Signals = 'SIGTERM'): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      if (process.platform === 'win32') {
        // no process groups: end the whole tree
        spawn('taskkill', ['/pid', String(this.child.pid), '/T', '/F'], { windowsHide: true }).on('error', () => undefined);
      } else process.kill(-this.child.pid, sig);
    } catch {
      // already gone
    }
  }

  private finish(code: number | null, signal: string | null, error?: string): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.finishTimer);
    for (const m of this.scanner.flush()) this._onDidRecognizeError.fire(m);
    this._onDidExit.fire({ code, signal, error });
    if (this.disposing) super.dispose();
  }

  private disposing = false;

  /** Stops the program; onDidExit still fires once it has ended (closing its terminal ends the run in the tree). */
  override dispose(): void {
    if (this.isDisposed || this.disposing) return;
    if (this.exited) {
      super.dispose();
      return;
    }
    this.disposing = true;
    this.signal('SIGTERM');
    // a program that ignores SIGTERM is killed shortly after, never left behind
    const pid = this.child.pid;
    setTimeout(() => {
      try {
        if (!this.exited && pid !== undefined && process.platform !== 'win32') process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 2000).unref();
    // whatever happens, the listeners are released
    setTimeout(() => this.finish(null, 'SIGKILL'), 4000).unref();
  }
}
