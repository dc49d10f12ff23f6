// One running capture helper: the child process, its frame stream and the RPC over it.
import { spawn, type ChildProcess } from 'node:child_process';
import type { HelperEvent, HelperReplies, HelperRequest, PacketBatch } from '../../shared/captureProtocol';
import { decodeControl, decodePacketBatch, encodeControl, HelperFrameDecoder, FrameKind, isHelperEvent } from '../../shared/captureProtocol';
import { Disposable, Emitter } from '../../shared/disposable';
import { Rpc } from '../../shared/rpc';

export interface HelperLaunch {
  /** The Node executable that runs the helper. */
  readonly nodePath: string;
  /** Arguments before the script, e.g. ['--import', 'tsx'] when running the TypeScript source. */
  readonly nodeArgs?: readonly string[];
  readonly helperPath: string;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Own process group, so a terminal's Ctrl-C reaches only our process, which then stops the capture cleanly. */
  readonly detached?: boolean;
}

export interface HelperExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** "helper exited (code 1)" / "helper exited (signal SIGKILL)". */
  readonly reason: string;
}

export class HelperProcess extends Disposable {
  private readonly child: ChildProcess;
  private readonly rpc: Rpc<HelperRequest, HelperEvent>;
  private readonly decoder = new HelperFrameDecoder();
  private exitInfo: HelperExit | undefined;
  private spawnError: Error | undefined;
  private readonly _onDidReceivePackets = this.own(new Emitter<PacketBatch>());
  private readonly _onDidReceiveEvent = this.own(new Emitter<HelperEvent>());
  private readonly _onDidExit = this.own(new Emitter<HelperExit>());
  readonly onDidReceivePackets = this._onDidReceivePackets.event;
  readonly onDidReceiveEvent = this._onDidReceiveEvent.event;
  readonly onDidExit = this._onDidExit.event;
  readonly exited: Promise<HelperExit>;

  constructor(
    launch: HelperLaunch,
    private readonly log: (line: string) => void = () => {},
  ) {
    super();
    this.child = spawn(launch.nodePath, [...(launch.nodeArgs ?? []), launch.helperPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...launch.env },
      shell: false,
      windowsHide: true,
      cwd: launch.cwd,
      detached: launch.detached ?? false,
    });
    this.rpc = new Rpc<HelperRequest, HelperEvent>((m) => this.write(encodeControl(m)), {
      onEvent: (e) => this._onDidReceiveEvent.fire(e),
      validate: isHelperEvent,
      onInvalid: (_raw, reason) => this.log(`capture helper sent an invalid message: ${reason}`),
    }, 15_000);
    this.exited = new Promise<HelperExit>((resolve) => {
      this.child.on('exit', (code, signal) => {
        if (this.exitInfo) return;
        const why = signal ? `signal ${signal}` : `code ${code}`;
        this.exitInfo = { code, signal, reason: this.spawnError ? `helper could not start (${this.spawnError.message})` : `helper exited (${why})` };
        this.rpc.dispose();
        resolve(this.exitInfo);
        this._onDidExit.fire(this.exitInfo);
      });
    });
    this.child.on('error', (e) => {
      // ENOENT etc.: 'exit' may never come, so finish here.
      this.spawnError = e;
      if (this.exitInfo) return;
      this.log(`capture helper: ${e.message}`);
      if (this.child.pid === undefined) this.child.emit('exit', null, null);
    });
    this.child.stdin?.on('error', () => {}); // EPIPE when the helper died first; the exit handler reports it
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      for (const line of s.split('\n')) if (line.trim()) this.log(line);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  get startError(): Error | undefined {
    return this.spawnError;
  }

  request<T extends HelperRequest>(body: T, timeoutMs?: number): Promise<HelperReplies[T['type']]> {
    return this.rpc.request<HelperReplies[T['type']]>(body, timeoutMs);
  }

  private write(frame: Uint8Array): void {
    if (this.exitInfo || !this.child.stdin?.writable) return;
    this.child.stdin.write(frame);
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.log(`capture helper output is broken (${e instanceof Error ? e.message : String(e)}); stopping it`);
      this.child.kill('SIGKILL');
      return;
    }
    for (const f of frames) {
      try {
        if (f.kind === FrameKind.Packets) this._onDidReceivePackets.fire(decodePacketBatch(f.payload));
        else void this.rpc.receive(decodeControl(f.payload));
      } catch (e) {
        this.log(`capture helper sent a bad frame: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Closing stdin asks the helper to stop every capture and exit; it is killed if it lingers. */
  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.rpc.dispose();
    if (this.exitInfo) return;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    timer.unref();
    void this.exited.then(() => clearTimeout(timer));
  }
}
