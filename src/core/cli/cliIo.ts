// What every `socket-lab` verb shares: one I/O seam (so tests run them in-process), usage errors, argument parsing.
import * as net from 'node:net';
import { parseArgs } from 'node:util';
import { errorSentence } from '../errors';
import { checkPort, splitHostPort } from '../sessions/sessionManager';
import { checkUnixPath } from '../sessions/unixPath';

/** What the verb knows about its stdout: blocked (the reader is not reading) or closed (EPIPE: the reader left). */
export interface OutputState {
  readonly blocked: boolean;
  readonly closed: boolean;
  /** Why it closed, when the stream said (EPIPE: the reader left). */
  readonly error?: NodeJS.ErrnoException;
  onDidChange(listener: () => void): { dispose(): void };
}

/** What a verb reads and writes: the process (processIo) or, in tests, memory. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The real stdout's state; absent in tests that collect output in memory (never blocked). */
  output?: OutputState;
  /** Lines typed by the user (listen --mode manual answers with them). */
  stdin?: NodeJS.ReadableStream;
  /** Aborted on Ctrl+C: the verb finishes cleanly. */
  signal?: AbortSignal;
}

// one pair of signal listeners for the process, however often main() runs in it (tests call it in-process)
let current: AbortController | undefined;
let armed = false;
function onSignal(): void {
  armed = false;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  current?.abort();
}

/**
 * The real process: stdout (with its state), stderr and stdin. With `interrupt`, Ctrl+C (SIGINT/SIGTERM) is an abort
 * the verb finishes on cleanly, and a second Ctrl+C quits at once; without, Ctrl+C ends the process as usual.
 */
export function processIo(opts: { interrupt?: boolean } = {}): CliIo {
  const output = outputGate(process.stdout);
  const io: CliIo = {
    out: output.write,
    output,
    err: (t) => void process.stderr.write(t),
    get stdin() {
      return process.stdin; // only a verb that reads it opens it
    },
  };
  if (!opts.interrupt) return io;
  const ac = new AbortController();
  current = ac;
  if (!armed) {
    armed = true;
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  io.signal = ac.signal;
  return io;
}

/**
 * stdout with its state: `write` returning false means blocked until 'drain'; an EPIPE means the reader left (as
 * `| head -1` does), which is a normal end, never a stack trace. Writes after that are dropped. One per stream, so
 * verbs run again in one process (the tests) add no listeners to it.
 */
const gates = new WeakMap<NodeJS.WritableStream, OutputState & { write(text: string): void }>();
export function outputGate(stream: NodeJS.WritableStream): OutputState & { write(text: string): void } {
  const known = gates.get(stream);
  if (known) return known;
  let blocked = false;
  let closed = false;
  let error: NodeJS.ErrnoException | undefined;
  const listeners = new Set<() => void>();
  const changed = () => [...listeners].forEach((l) => l());
  stream.on('error', (e: NodeJS.ErrnoException) => {
    // EPIPE or any other write failure: the output is gone either way
    if (closed) return;
    closed = true;
    error = e;
    changed();
  });
  stream.on('drain', () => {
    if (!blocked) return;
    blocked = false;
    changed();
  });
  const gate = {
    get blocked() {
      return blocked;
    },
    get closed() {
      return closed;
    },
    get error() {
      return error;
    },
    onDidChange: (l: () => void) => {
      listeners.add(l);
      return { dispose: () => void listeners.delete(l) };
    },
    write: (text: string) => {
      if (closed) return;
      if (!stream.write(text) && !blocked) {
        blocked = true;
        changed();
      }
    },
  };
  gates.set(stream, gate);
  return gate;
}

export type Proto = 'tcp' | 'udp' | 'unix' | 'tls' | 'ws' | 'wss';

export interface CliTarget {
  proto: Proto;
  host?: string;
  port?: number;
  path?: string;
  /** ws/wss clients: the URL. */
  url?: string;
}

/** A usage mistake: exit code 2 and one line. */
export class UsageError extends Error {}

export function parseProto(s: string | undefined): Proto {
  if (s === 'tcp' || s === 'udp' || s === 'unix' || s === 'tls' || s === 'ws' || s === 'wss') return s;
  throw new UsageError(s === undefined ? 'missing protocol: tcp, udp, unix, tls, ws or wss' : `unknown protocol "${s}": use tcp, udp, unix, tls, ws or wss`);
}

/** ADDR is host:port, [v6]:port, :port / port (127.0.0.1), or a path for unix. */
export function parseAddr(proto: Proto, addr: string | undefined): CliTarget {
  if (!addr) throw new UsageError(proto === 'unix' ? 'missing socket path' : 'missing address (host:port, [v6]:port or port)');
  if (proto === 'unix') return { proto, path: checkUnixPath(addr) }; // too long is a usage error (exit 2), before any socket
  let hp: { host?: string; port: string };
  try {
    hp = splitHostPort(addr);
  } catch {
    throw new UsageError(`"${addr}": write IPv6 addresses in brackets, as [::1]:8000`);
  }
  const { host = '127.0.0.1', port } = hp;
  const notPort = () => new UsageError(`"${port}" is not a port — use a whole number from 0 to 65535`);
  if (!/^\d+$/.test(port)) throw notPort(); // digits only: checkPort also takes " 80 ", which the extension's boxes trim
  try {
    return { proto, host, port: checkPort(port) };
  } catch {
    throw notPort();
  }
}

export function showAddr(host: string | undefined, port: number | undefined): string {
  const h = host ?? '127.0.0.1';
  return `${net.isIPv6(h) ? `[${h}]` : h}:${port ?? 0}`;
}

/** Node timers hold at most 2^31-1 ms (about 24.8 days); beyond that they fire after 1 ms. */
export const maxSeconds = Math.floor((2 ** 31 - 1) / 1000);

export function parseSeconds(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} wants a number of seconds (0 or more), got "${s}"`);
  if (n > maxSeconds) throw new UsageError(`${flag} is at most ${maxSeconds} seconds (about 24 days), got "${s}" — leave ${flag} out to wait without a limit`);
  return n;
}

export function parseCount(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UsageError(`${flag} wants a whole number (0 or more), got "${s}"`);
  return Number(s);
}

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
}

/**
 * A verb's arguments, read the same way by every verb: node:util parseArgs (strict), plus getopt's rule that a value
 * option takes the next argument whatever it looks like (`--count -1`, `--filter "-x"`, `--write -`), so
 * `--opt value`, `--opt=value` and `-o value` are one thing. An unknown option, a value given to a boolean one or a
 * value option last with none after it is one sentence (UsageError: exit 2). `missing(flag)` overrides the last case:
 * the value to use, or undefined to read the option as not given.
 */
export function parseVerbArgs<O extends Record<string, OptionSpec>>(verb: string, argv: string[], options: O, missing?: (flag: string) => string | undefined) {
  const args = withValuesJoined(verb, argv, options, missing);
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const unknown = /^Unknown option '([^']*)'/.exec(e instanceof Error ? e.message : '');
    if (unknown) throw new UsageError(`unknown option "${unknown[1]}" (try socket-lab ${verb} --help)`);
    throw e; // describe() reports any other parseArgs complaint by its first line
  }
}

/** `--name value` and `-n value` become `--name=value`, so parseArgs never finds a value ambiguous. */
function withValuesJoined(verb: string, argv: string[], options: Record<string, OptionSpec>, missing?: (flag: string) => string | undefined): string[] {
  const byFlag = new Map<string, [string, OptionSpec]>();
  for (const [name, spec] of Object.entries(options)) {
    byFlag.set(`--${name}`, [name, spec]);
    if (spec.short) byFlag.set(`-${spec.short}`, [name, spec]);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return [...out, ...argv.slice(i)]; // the rest are arguments, whatever they look like
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const known = byFlag.get(eq > 0 ? a.slice(0, eq) : a);
    if (known?.[1].type === 'boolean' && eq > 0) throw new UsageError(`${a.slice(0, eq)} takes no value, got "${a}"`);
    if (known?.[1].type !== 'string' || eq > 0) {
      out.push(a);
      continue;
    }
    const value = i + 1 < argv.length ? argv[++i] : missingValue(verb, a, missing);
    if (value !== undefined) out.push(`--${known[0]}=${value}`);
  }
  return out;
}

function missingValue(verb: string, flag: string, missing?: (flag: string) => string | undefined): string | undefined {
  if (missing) return missing(flag);
  throw new UsageError(`${flag} needs a value (try socket-lab ${verb} --help)`);
}

/**
 * A verb's start, the same for all five: its usage on -h/--help (exit 0), a usage mistake as one sentence on stderr
 * (exit 2), or else the options `parse` read. `parse` may throw the mistake or return it as `{ error }`.
 */
export function readOptions<T extends object>(verb: string, usage: string, io: CliIo, parse: () => T | 'help' | { error: string }): T | number {
  let o: T | 'help' | { error: string };
  try {
    o = parse();
  } catch (e) {
    o = { error: describe(e).message };
  }
  if (o === 'help') {
    io.out(usage);
    return 0;
  }
  if ('error' in o && typeof o.error === 'string') {
    io.err(`socket-lab ${verb}: ${o.error}\n`);
    return 2;
  }
  return o as T;
}

/** One line for the user, never a stack trace; SocketLabError/CodecError carry their own sentence. */
export function describe(e: unknown): { code: string; message: string } {
  if (e instanceof UsageError) return { code: 'EUSAGE', message: e.message };
  // node:util parseArgs explains a bad option over several lines: the first one says it
  const pe = e as { code?: unknown; message?: unknown };
  if (typeof pe?.code === 'string' && pe.code.startsWith('ERR_PARSE_ARGS') && typeof pe.message === 'string') return { code: 'EUSAGE', message: pe.message.split('\n')[0] };
  return errorSentence(e, 'en');
}

/** The reader of the output went away (a closed pipe: `| head`): the verb stops quietly. */
export class OutputClosedError extends Error {
  readonly code = 'EPIPE';
}

/** Writes `s`, then waits while the output's reader is not reading; a closed output rejects with OutputClosedError. */
export async function write(io: CliIo, s: string): Promise<void> {
  const output = io.output;
  const closed = () => new OutputClosedError(output?.error && output.error.code !== 'EPIPE' ? output.error.message : 'the output pipe was closed');
  if (output?.closed) throw closed();
  io.out(s);
  if (!output?.blocked) return;
  await new Promise<void>((resolve, reject) => {
    const watch = output.onDidChange(() => {
      if (output.closed) reject(closed());
      else if (!output.blocked) resolve();
      else return;
      watch.dispose();
    });
  });
}
