// The socket-call timeline's records: how a Python program is started with the recorder (pythonShim.ts) on a
// private PYTHONPATH entry and an inherited pipe, and how the JSON lines it writes are read back, checked and bounded.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

/** An environment that loads the recorder into Python: a private folder (0700) first on PYTHONPATH. */
export interface TraceEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** The folder holding the recorder; removed by dispose. */
  readonly dir: string;
  dispose(): void;
}

/** `fd`: the pipe the program inherits for its records (3 when spawned with stdio [.., .., .., 'pipe']). */
export function pythonTraceEnvironment(base: NodeJS.ProcessEnv, fd = 3): TraceEnvironment {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-trace-'));
  fs.writeFileSync(path.join(dir, 'sitecustomize.py'), PYTHON_SHIM, { mode: 0o600 });
  const existing = base.PYTHONPATH;
  const env = { ...base, PYTHONPATH: existing ? `${dir}${path.delimiter}${existing}` : dir, SOCKET_LAB_TRACE_FD: String(fd) };
  return { env, dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `python3`, `python`, `python3.12`, `/usr/bin/python3`, `py`: programs the Python recorder can trace. */
export function isPythonCommand(command: string): boolean {
  return /^(python[\d.]*|py)(\.exe)?$/i.test(path.basename(command));
}

const MAX_LINE = 1024 * 1024;

/** Splits the pipe's bytes into checked records; a line too long or not a record is counted, never kept. */
export class RecordReader {
  private partial = '';
  private skipping = false;
  malformed = 0;

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

/** One call as a line for people: `client.py:12  recv(fd 3, 1024) → 17 B 'apple…' · blocked 0.4 ms`. */
export function describeCall(r: CallRecord, start: number): string {
  const at = `+${(r.t - start).toFixed(3)}s`;
  const where = r.file ? `${r.file}:${r.line}` : '(no source line)';
  if (r.call === 'dropped') return `${at}  ${r.count} records dropped: the program made calls faster than they could be handed over`;
  const args: string[] = [];
  if (r.fd !== undefined) args.push(`fd ${r.fd}`);
  if (typeof r.asked === 'number') args.push(String(r.asked));
  if ((r.call === 'connect' || r.call === 'connect_ex' || r.call === 'sendto') && r.peer) args.push(r.peer);
  if (r.call === 'bind' && r.local) args.push(r.local);
  let result = '';
  if (r.error) result = ` ✗ ${r.error}`;
  else if (r.call.startsWith('recv') && r.returned === 0) result = " → b'' (peer closed)";
  else if (r.returned !== undefined) result = ` → ${r.returned}${r.call === 'connect_ex' ? '' : ' B'}${r.bytes_hex ? ` ${bytesPreview(r.bytes_hex)}` : ''}`;
  else if (r.call === 'accept' && r.peer) result = ` → fd ${r.new_fd} from ${r.peer}`;
  const blocked = r.blocked_ms !== undefined && r.blocked_ms >= 1 ? ` · blocked ${r.blocked_ms >= 1000 ? `${(r.blocked_ms / 1000).toFixed(1)} s` : `${r.blocked_ms.toFixed(1)} ms`}` : '';
  return `${at}  ${where}  ${r.call}(${args.join(', ')})${result}${blocked}`;
}
