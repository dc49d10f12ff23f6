// The socket-call timeline's records: how a Python program is started with the recorder (pythonShim.ts) on a
// private PYTHONPATH entry, and how the JSON lines it sends are collected, checked and bounded.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Emitter } from '../../shared/disposable';
import { NODE_SHIM } from './nodeShim';
import { PYTHON_SHIM } from './pythonShim';

/** One socket call of the traced program (the fields a call has; see pythonShim.ts). */
export interface CallRecord {
  /** Start, seconds since the epoch. */
  readonly t: number;
  readonly call: string;
  /** The user's file and line (relative to the program's folder when inside it); null when none was found. */
  readonly file?: string | null;
  readonly line?: number | null;
  readonly pid?: number;
  readonly thread?: string;
  readonly fd?: number;
  readonly local?: string;
  readonly peer?: string;
  /** Bytes asked for (recv size, send length). */
  readonly asked?: number | null;
  /** Bytes the call returned or sent (connect_ex: the errno). */
  readonly returned?: number;
  /** The first bytes (64 by default), as hex. */
  readonly bytes_hex?: string;
  readonly blocked_ms?: number;
  /** The exception the call raised ("TimeoutError: timed out"). */
  readonly error?: string;
  /** accept: the new connection's fd. */
  readonly new_fd?: number;
  /** dropped: how many records the program could not hand over (the reader was behind). */
  readonly count?: number;
  readonly [more: string]: unknown;
}

/**
 * What a traced Python or Node.js program needs and where its records arrive: a private folder (0700) holding the
 * recorders (first on PYTHONPATH; --require in NODE_OPTIONS), and a Unix socket in it that every process of the program connects to (one connection per
 * process, so a forked child's lines never mix with its parent's).
 */
export class TraceCollector {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private readonly _onRecords = new Emitter<CallRecord[]>();
  /** Records as they arrive (per connection, in order). */
  readonly onRecords = this._onRecords.event;
  /** Lines that were not records (never kept). */
  malformed = 0;
  /** Processes that loaded the recorder (each connects once; none when python3 -I or -S skipped sitecustomize). */
  connections = 0;

  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    socketPath: string,
  ) {
    this.server = net.createServer((c) => {
      this.open.add(c);
      this.connections++;
      if (this.paused) c.pause();
      const reader = new RecordReader();
      c.setEncoding('utf8');
      c.on('data', (chunk: string) => {
        const records = reader.feed(chunk);
        this.malformed += reader.takeMalformed();
        if (records.length) this._onRecords.fire(records);
      });
      c.on('close', () => this.open.delete(c)).on('error', () => undefined);
    });
    this.server.listen(socketPath);
  }

  /** Makes the folder, the recorder and the socket; `base` is the program's environment. */
  static async start(base: NodeJS.ProcessEnv): Promise<TraceCollector> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-trace-'));
    fs.writeFileSync(path.join(dir, 'sitecustomize.py'), PYTHON_SHIM, { mode: 0o600 });
    const nodeShim = path.join(dir, 'socket-lab-trace.cjs');
    fs.writeFileSync(nodeShim, NODE_SHIM, { mode: 0o600 });
    const socketPath = path.join(dir, 'calls.sock');
    const existing = base.PYTHONPATH;
    const require = `--require "${nodeShim}"`;
    const env = {
      ...base,
      PYTHONPATH: existing ? `${dir}${path.delimiter}${existing}` : dir,
      NODE_OPTIONS: base.NODE_OPTIONS ? `${base.NODE_OPTIONS} ${require}` : require,
      SOCKET_LAB_TRACE_SOCKET: socketPath,
    };
    const c = new TraceCollector(dir, env, socketPath);
    await new Promise<void>((resolve, reject) => c.server.once('listening', resolve).once('error', reject));
    return c;
  }

  /** Stops (or resumes) reading every connection, as a reader that falls behind would (tests, and a busy view). */
  pauseReading(on: boolean): void {
    this.paused = on;
    for (const c of this.open) {
      if (on) c.pause();
      else c.resume();
    }
  }

  private paused = false;

  /** Resolves once every process's connection has ended (they end when the processes do), or after `ms`. */
  async drained(ms = 2000): Promise<void> {
    // a connection still in the listen backlog is taken first (it counts): a timer, then an immediate, has a poll between
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
    const until = Date.now() + ms;
    while (this.open.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.open) c.destroy();
    this.server.close();
    this._onRecords.dispose();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `python3`, `python`, `python3.12`, `/usr/bin/python3`, `py`: programs the Python recorder can trace. */
export function isPythonCommand(command: string): boolean {
  return /^(python[\d.]*|py)(\.exe)?$/i.test(path.basename(command));
}

/** `node`, `nodejs`, `tsx`, a path to one: programs the Node.js recorder (--require) can trace. */
export function isNodeCommand(command: string): boolean {
  return /^(node|nodejs|tsx)(\.exe|\.cmd)?$/i.test(path.basename(command));
}

const MAX_LINE = 1024 * 1024;

/** Splits the pipe's bytes into checked records; a line too long or not a record is counted, never kept. */
export class RecordReader {
  private partial = '';
  private skipping = false;
  malformed = 0;

  /** The malformed count since the last call. */
  takeMalformed(): number {
    const n = this.malformed;
    this.malformed = 0;
    return n;
  }

  feed(chunk: string): CallRecord[] {
    const out: CallRecord[] = [];
    let text = this.partial + chunk;
    this.partial = '';
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const r = parseRecord(line);
      if (r) out.push(r);
      else if (line.trim()) this.malformed++;
    }
    if (text.length > MAX_LINE) {
      this.malformed++;
      this.skipping = true;
    } else this.partial = text;
    return out;
  }
}

export function parseRecord(line: string): CallRecord | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const r = v as Record<string, unknown>;
    if (typeof r.call !== 'string' || typeof r.t !== 'number' || !Number.isFinite(r.t)) return undefined;
    return r as CallRecord;
  } catch {
    return undefined;
  }
}

/** Bytes shown in a line: printable ASCII as is, the rest escaped, cut at `max` bytes. */
export function bytesPreview(hex: string | undefined, max = 32): string {
  if (!hex) return '';
  const b = Buffer.from(hex.slice(0, max * 2), 'hex');
  let s = '';
  for (const x of b) {
    if (x === 0x0a) s += '\\n';
    else if (x === 0x0d) s += '\\r';
    else if (x === 0x27 || x === 0x5c) s += `\\${String.fromCharCode(x)}`;
    else if (x >= 0x20 && x < 0x7f) s += String.fromCharCode(x);
    else s += `\\x${x.toString(16).padStart(2, '0')}`;
  }
  return `'${s}'${hex.length > max * 2 ? '…' : ''}`;
}

/** An errno as a number and its name on this machine (where the traced program ran): `115 EINPROGRESS`; 0 is `0`. */
export function errnoText(n: number): string {
  const name = n === 0 ? undefined : Object.entries(os.constants.errno).find(([, v]) => v === n)?.[0];
  return name ? `${n} ${name}` : String(n);
}

/** What a select (or a selector's select) returned: how many fds were ready, of how many watched (unknown for a selector). */
export function selectReady(r: CallRecord): { ready: number; watched?: number } | undefined {
  const fds = (k: string) => (Array.isArray(r[k]) ? (r[k] as unknown[]) : undefined);
  const readyRead = fds('ready_read');
  if (r.call !== 'select' || !readyRead) return undefined;
  const ready = new Set([...readyRead, ...(fds('ready_write') ?? [])]).size;
  const read = fds('read_fds');
  return read ? { ready, watched: new Set([...read, ...(fds('write_fds') ?? [])]).size } : { ready };
}

/** A call's result after its name and arguments: ` → 17 B 'apple…'`, ` → 115 EINPROGRESS`, ` → 1 ready of 3`, ` ✗ TimeoutError: timed out`. */
function resultOf(r: CallRecord): string {
  if (r.error) return ` ✗ ${r.error}`;
  if (r.call.startsWith('recv') && r.returned === 0) return " → b'' (peer closed)";
  if (r.call === 'connect_ex' && typeof r.returned === 'number') return ` → ${errnoText(r.returned)}`;
  if (r.returned !== undefined) return ` → ${r.returned} B${r.bytes_hex ? ` ${bytesPreview(r.bytes_hex)}` : ''}`;
  if (r.call === 'accept' && r.peer) return ` → fd ${r.new_fd} from ${r.peer}`;
  const sel = selectReady(r);
  if (sel) return ` → ${sel.ready} ready${sel.watched !== undefined ? ` of ${sel.watched}` : ''}`;
  return '';
}

/**
 * One call as a line for people, stamped with the time it returned (lines come in that order, so a recv that blocked
 * prints after the send that fed it, with a later time): `+0.512s  pid 4242  client.py:12  recv(fd 3, 1024) → 17 B 'apple…' · blocked 500.0 ms`.
 */
export function describeCall(r: CallRecord, start: number): string {
  const at = `+${(r.t + (r.blocked_ms ?? 0) / 1000 - start).toFixed(3)}s${r.pid !== undefined ? `  pid ${r.pid}` : ''}`;
  const where = r.file ? `${r.file}:${r.line}` : '(no source line)';
  if (r.call === 'dropped') return `${at}  ${r.count} records dropped: the program made calls faster than they could be handed over`;
  const args: string[] = [];
  if (r.fd !== undefined) args.push(`fd ${r.fd}`);
  if (typeof r.asked === 'number') args.push(String(r.asked));
  if ((r.call === 'connect' || r.call === 'connect_ex' || r.call === 'sendto') && r.peer) args.push(r.peer);
  if (r.call === 'bind' && r.local) args.push(r.local);
  const blocked = r.blocked_ms !== undefined && r.blocked_ms >= 1 ? ` · blocked ${r.blocked_ms >= 1000 ? `${(r.blocked_ms / 1000).toFixed(1)} s` : `${r.blocked_ms.toFixed(1)} ms`}` : '';
  return `${at}  ${where}  ${r.call}(${args.join(', ')})${resultOf(r)}${blocked}`;
}
