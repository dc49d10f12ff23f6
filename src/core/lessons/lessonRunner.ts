// Runs a lesson's server and/or client: free port, readiness probe, one process group each; no vscode here.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Disposable, Emitter } from '../../shared/disposable';
import type { PythonInterpreter } from './interpreter';
import { mainFile, type Lesson } from './lessonCatalog';
import { LessonProcess } from './lessonProcess';
import { sharedSocketDir } from '../sessions/unixPath';

export const LOOPBACK = '127.0.0.1';
/** What a lesson server prints once it accepts work ("listening on …", "sniffing on …"). */
export const READY_LINE = /\b(?:listening|sniffing) on\b/;

export class LessonRunError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Resolves `preferred` when it is free on 127.0.0.1 (for tcp and udp), else a free port the OS picks. */
export async function findFreePort(preferred = 0, transport: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen({ host: LOOPBACK, port, exclusive: true }, () => {
        const got = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(got));
      });
    });
  const udpFree = async (port: number) => {
    const dgram = await import('node:dgram');
    return new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, LOOPBACK, () => s.close(() => resolve(true)));
    });
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tryPort(attempt === 0 ? preferred : 0);
    if (port !== undefined && (transport === 'tcp' || (await udpFree(port)))) return port;
  }
  throw new LessonRunError('ENOPORT', 'No free port on 127.0.0.1. Stop some running servers and try again.');
}

/**
 * Linux: whether a socket listens on `target` (a TCP port or a Unix path) per /proc/net, without
 * connecting (a probe connection would be one of the lesson's clients); undefined where unknown.
 */
export function listeningInProcTable(target: number | string): boolean | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    if (typeof target === 'string') {
      // Flags 00010000 = __SO_ACCEPTCON: a listening Unix socket; the path is the last column
      return fs.readFileSync('/proc/net/unix', 'utf8').split('\n').some((l) => {
        const cols = l.trim().split(/\s+/);
        return cols.length >= 8 && cols[3] === '00010000' && cols.slice(7).join(' ') === target;
      });
    }
    const hexPort = target.toString(16).toUpperCase().padStart(4, '0');
    return ['/proc/net/tcp', '/proc/net/tcp6'].some((f) => {
      let text: string;
      try {
        text = fs.readFileSync(f, 'utf8');
      } catch {
        return false;
      }
      // local_address is ADDR:PORT in hex, st 0A = LISTEN
      return text.split('\n').some((l) => {
        const cols = l.trim().split(/\s+/);
        return cols[3] === '0A' && cols[1]?.endsWith(`:${hexPort}`);
      });
    });
  } catch {
    return undefined;
  }
}

function connectProbe(target: number | string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const sock = typeof target === 'number' ? net.connect({ host: LOOPBACK, port: target }) : net.connect({ path: target });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * Resolves once something listens on `target` (a port on 127.0.0.1 or a Unix path): from the OS
 * socket table where there is one, else by a connect probe on 127.0.0.1; polls every 100 ms.
 */
export async function waitUntilListening(target: number | string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new LessonRunError('EEXITED', 'The server ended before it started listening; read its output for the reason.');
    const known = listeningInProcTable(target);
    if (known ?? (await connectProbe(target))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LessonRunError('ETIMEDOUT', `Nothing listened on ${typeof target === 'number' ? `${LOOPBACK}:${target}` : target} within ${Math.round(timeoutMs / 1000)} s; read the server's output for the reason.`);
}

export type LessonSide = 'server' | 'client';

export interface LessonRunOptions {
  interpreter: PythonInterpreter;
  /** Port (tcp/udp) to use; default: the lesson's defaultPort, or a free one if that is busy. */
  port?: number;
  /** Socket path for unix lessons; default: <private 0700 folder>/<defaultPath>. */
  unixPath?: string;
  /** Extra environment for both programs (e.g. SOCKET_LAB_DIR). */
  env?: Record<string, string>;
  /** Kill each program after this long; default 15 minutes. */
  timeoutMs?: number;
  readyTimeoutMs?: number;
  /** Extra arguments after the port/path, per side. */
  serverArgs?: string[];
  clientArgs?: string[];
  /** The learner's copy of the lesson (Copy Lesson to Folder): a side whose file is there runs from there. */
  dir?: string;
  /** Runs this file of the lesson as the client side with exactly these arguments (a lesson without a client/server pair). */
  program?: { path: string; args: string[] };
}

/** The address a lesson's programs meet at. */
export interface LessonAddress {
  port?: number;
  unixPath?: string;
}

export function describeAddress(a: LessonAddress): string {
  return a.unixPath ?? (a.port !== undefined ? `${LOOPBACK}:${a.port}` : '');
}

/** Picks the lesson's meeting point: a port (default if free) or a unix socket path. */
export async function chooseAddress(lesson: Lesson, options: Pick<LessonRunOptions, 'port' | 'unixPath'> = {}): Promise<LessonAddress> {
  if (lesson.transport === 'unix') return { unixPath: options.unixPath ?? sharedSocketDir().socketPath(lesson.defaultPath ?? `${lesson.id}.sock`) };
  if (lesson.transport === 'none') return {};
  if (options.port !== undefined) return { port: options.port };
  return { port: await findFreePort(lesson.defaultPort ?? 0, lesson.transport === 'udp' ? 'udp' : 'tcp') };
}

/**
 * The learner's copy of a lesson among the workspace `folders`: a folder named after the lesson (Copy Lesson's place)
 * or a folder that is itself named so, holding `file`. Check My Solution and Run Lesson find it the same way.
 */
export function findLessonCopy(lesson: Lesson, folders: readonly string[], file: string): string | undefined {
  if (!file) return undefined;
  for (const ws of folders) {
    for (const candidate of [ws, path.join(ws, lesson.id)]) {
      if ((candidate !== ws || path.basename(candidate) === lesson.id) && fs.existsSync(path.join(candidate, file))) return candidate;
    }
  }
  return undefined;
}

/** Where a side runs from: the learner's copy when it has the file, else the lesson as shipped. */
export function sideFolder(lesson: Lesson, file: string, dir: string | undefined): string {
  return dir && fs.existsSync(path.join(dir, file)) ? dir : lesson.dir;
}

/** Starts one side of a lesson at `address`; the caller owns (and disposes) the process. */
export function startLessonSide(lesson: Lesson, side: LessonSide, address: LessonAddress, options: LessonRunOptions): LessonProcess {
  const program = side === 'client' ? options.program : undefined;
  const file = program ? lesson.files.find((f) => f.path === program.path) : mainFile(lesson, side);
  if (!file) throw new LessonRunError('ENOSIDE', `Lesson ${lesson.id} has no ${side} program.`);
  const target = address.unixPath ?? (address.port !== undefined ? String(address.port) : undefined);
  const env: Record<string, string> = { ...options.env };
  if (address.port !== undefined) env.SOCKET_LAB_PORT = String(address.port);
  if (address.unixPath) env.SOCKET_LAB_UNIX_PATH = address.unixPath;
  const extra = (side === 'server' ? options.serverArgs : options.clientArgs) ?? [];
  const dir = sideFolder(lesson, file.path, options.dir);
  return new LessonProcess({
    interpreter: options.interpreter,
    file: path.join(dir, file.path),
    args: program ? program.args : target !== undefined ? [target, ...extra] : extra,
    cwd: dir,
    env,
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
  });
}

/**
 * How Run Lesson with Capture runs a lesson on lo: its server and client under `<transport> port N`, or, for a lesson
 * without that pair (names and addresses, ping), the program its first program exercise runs, with that exercise's
 * arguments and capture filter ({{port}} filled in). Undefined where nothing crosses lo (Unix sockets).
 */
export interface LessonCapturePlan {
  /** The capture filter (pcap-filter syntax) for `port`. */
  filter(port: number | undefined): string;
  /** Set when the lesson runs one program instead of its server and client. */
  program?: (port: number | undefined) => { path: string; args: string[] };
  /** Whether the programs meet at a port of their own (chosen like any run's). */
  needsPort: boolean;
}

export function lessonCapturePlan(lesson: Lesson): LessonCapturePlan | undefined {
  const fill = (s: string, port: number | undefined) => s.replace(/\{\{\s*port\s*\}\}/g, String(port ?? ''));
  const hasPair = lesson.files.some((f) => f.role === 'server') && lesson.files.some((f) => f.role === 'client');
  if (hasPair && (lesson.transport === 'tcp' || lesson.transport === 'udp')) {
    const t = lesson.transport;
    return { filter: (port) => `${t} port ${port}`, needsPort: true };
  }
  if (lesson.transport === 'unix') return undefined;
  const x = lesson.exercises.find((e) => e.run === 'program' && e.program && e.capture && lesson.files.some((f) => f.path === e.program));
  if (!x) return undefined;
  const usesPort = /\{\{\s*port\s*\}\}/.test([x.capture, ...(x.args ?? [])].join(' '));
  return {
    filter: (port) => fill(x.capture!, port),
    program: (port) => ({ path: x.program!, args: (x.args ?? []).map((a) => fill(a, port)) }),
    needsPort: usesPort,
  };
}

/** Resolves once the lesson's server accepts work: a connect probe, or its ready line. */
export async function waitForServer(lesson: Lesson, server: LessonProcess, address: LessonAddress, timeoutMs = 10_000): Promise<void> {
  if (lesson.ready === 'line' || lesson.transport === 'udp' || lesson.transport === 'none') {
    try {
      await server.waitForOutput(READY_LINE, timeoutMs);
    } catch {
      throw new LessonRunError(server.isRunning ? 'ETIMEDOUT' : 'EEXITED', server.isRunning
        ? `The server did not report "listening on" within ${Math.round(timeoutMs / 1000)} s.`
        : 'The server ended before it was ready; read its output for the reason.');
    }
    return;
  }
  await waitUntilListening(address.unixPath ?? address.port!, timeoutMs, () => server.isRunning);
}

export interface LessonRunState {
  lessonId: string;
  address: LessonAddress;
  server?: LessonProcess;
  client?: LessonProcess;
}

/** Owns every running lesson program; one run per lesson, killed on stop or dispose. */
export class LessonRunManager extends Disposable {
  private readonly runs = new Map<string, LessonRunState>();
  private readonly _onDidChange = this.own(new Emitter<string>());
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidEnd = this.own(new Emitter<string>());
  /** Fires once per run when every program it started has ended (by itself, stopped, or failed to start). */
  readonly onDidEnd = this._onDidEnd.event;
  private readonly starting = new Set<string>();
  private readonly ended = new WeakSet<LessonRunState>();

  /** The run's end, once: a run being replaced by a new start is not over. */
  private checkEnded(lessonId: string): void {
    const state = this.runs.get(lessonId);
    if (!state || this.starting.has(lessonId) || this.ended.has(state) || this.isRunning(lessonId)) return;
    if (!state.server && !state.client) return;
    this.ended.add(state);
    this._onDidEnd.fire(lessonId);
  }

  get(lessonId: string): LessonRunState | undefined {
    return this.runs.get(lessonId);
  }

  isRunning(lessonId: string): boolean {
    const r = this.runs.get(lessonId);
    return !!(r && (r.server?.isRunning || r.client?.isRunning));
  }

  /**
   * Starts `sides` of a lesson: the server first, the client once the server listens.
   * `onStart` sees each process as soon as it exists (the UI attaches a terminal to it).
   */
  async start(
    lesson: Lesson,
    sides: LessonSide[],
    options: LessonRunOptions,
    onStart?: (side: LessonSide, proc: LessonProcess, address: LessonAddress) => void,
  ): Promise<LessonRunState> {
    if (this.isDisposed) throw new LessonRunError('EDISPOSED', 'Socket Lab is shutting down.');
    this.starting.add(lesson.id);
    try {
      return await this.startRun(lesson, sides, options, onStart);
    } finally {
      this.starting.delete(lesson.id);
      this.checkEnded(lesson.id);
    }
  }

  private async startRun(
    lesson: Lesson,
    sides: LessonSide[],
    options: LessonRunOptions,
    onStart?: (side: LessonSide, proc: LessonProcess, address: LessonAddress) => void,
  ): Promise<LessonRunState> {
    const previous = this.runs.get(lesson.id);
    // re-running a side replaces it; a running server is kept for a client-only run
    for (const side of sides) if (previous?.[side]?.isRunning) await previous[side]!.stop();
    const keepServer = previous?.server?.isRunning ? previous.server : undefined;
    const address = keepServer ? previous!.address : await chooseAddress(lesson, options);
    const state: LessonRunState = { lessonId: lesson.id, address, server: keepServer };
    this.runs.set(lesson.id, state);
    const track = (proc: LessonProcess) => {
      proc.onDidExit(() => {
        this._onDidChange.fire(lesson.id);
        this.checkEnded(lesson.id);
      });
    };
    try {
      if (sides.includes('server')) {
        state.server = startLessonSide(lesson, 'server', address, options);
        track(state.server);
        onStart?.('server', state.server, address);
        this._onDidChange.fire(lesson.id);
        if (sides.includes('client')) await waitForServer(lesson, state.server, address, options.readyTimeoutMs);
      }
      if (sides.includes('client')) {
        state.client = startLessonSide(lesson, 'client', address, options);
        track(state.client);
        onStart?.('client', state.client, address);
        this._onDidChange.fire(lesson.id);
      }
    } catch (e) {
      await this.stop(lesson.id);
      throw e;
    }
    return state;
  }

  /** Stops both sides and waits until every process of the lesson has ended. */
  async stop(lessonId: string): Promise<void> {
    const r = this.runs.get(lessonId);
    if (!r) return;
    await Promise.all([r.client?.stop(), r.server?.stop()]);
    this._onDidChange.fire(lessonId);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.stop(id)));
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const r of this.runs.values()) {
      r.client?.dispose();
      r.server?.dispose();
    }
    this.runs.clear();
    super.dispose();
  }
}
