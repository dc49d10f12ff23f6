// Any program's socket calls (C, Go, Rust …) through `strace -f -e trace=network,close -ttt -T -xx -s 64`, turned into
// the same records as the Python recorder's, without source lines (strace cannot know them: the view says so).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CallRecord } from './callTrace';

/** strace's arguments for `program`: its output goes to `out` (a FIFO Socket Lab reads), not to the program's stderr. */
export function straceArgs(program: readonly string[], out: string, preview = 64): string[] {
  return ['-f', '-e', 'trace=network,close', '-ttt', '-T', '-xx', '-s', String(preview), '-o', out, '--', ...program];
}

/** A FIFO in a private folder (0700) for strace's output; removed by dispose. */
export function straceChannel(): { fifo: string; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-strace-'));
  const fifo = path.join(dir, 'calls');
  const r = spawnSync('mkfifo', ['-m', '600', fifo]);
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`mkfifo failed: ${(r.stderr?.toString() || r.error?.message || '').trim()}`);
  }
  return { fifo, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const NAMES: Record<string, string> = { accept4: 'accept', recvfrom: 'recv', sendto: 'send' };
const SKIP = new Set(['getsockname', 'getpeername', 'getsockopt', 'socketpair']);

/** `"\x61\x62"` → "6162"; undefined when `s` is not such a string. */
function hexOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const m = /^"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?$/.exec(s.trim());
  return m ? m[1].replace(/\\x/g, '') : undefined;
}

/** The address in a sockaddr argument: `{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("…")}`. */
function sockaddr(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const port = /sin6?_port=htons\((\d+)\)/.exec(s)?.[1];
  const v4 = /inet_addr\("([^"]*)"\)/.exec(s)?.[1];
  const v6 = /inet_pton\(AF_INET6, "([^"]*)"/.exec(s)?.[1];
  const path = /sun_path="([^"]*)"/.exec(s)?.[1];
  const text = (h: string) => Buffer.from(h.replace(/\\x/g, ''), 'hex').toString('latin1');
  if (path !== undefined) return text(path);
  if (port === undefined) return undefined;
  if (v4 !== undefined) return `${text(v4)}:${port}`;
  if (v6 !== undefined) return `[${text(v6)}]:${port}`;
  return undefined;
}

/** Splits strace's argument list at top-level commas (braces, brackets and strings kept whole). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') {
        cur += c + s[++i];
        continue;
      }
      if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const LINE = /^(\d+) +(\d+\.\d+) (.*)$/;
const CALL = /^(\w+)\((.*)\) += (-?\d+|\?)(?: (E\w+) \(([^)]*)\))?.*?(?: <(\d+\.\d+)>)?$/;

/** Reads strace's lines (whole or split across chunks) into records; a call split by -f's unfinished/resumed is joined. */
export class StraceParser {
  private partial = '';
  private readonly unfinished = new Map<string, { t: number; text: string }>();
  /** Socket fds per process (from socket/accept): only their close is a socket call. */
  private readonly sockets = new Set<string>();

  feed(chunk: string): CallRecord[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const out: CallRecord[] = [];
    for (const l of lines) {
      const r = this.line(l);
      if (r) out.push(r);
    }
    return out;
  }

  private line(l: string): CallRecord | undefined {
    const m = LINE.exec(l);
    if (!m) return undefined;
    const [, pid, time, rest] = m;
    let t = Number(time);
    let body = rest;
    if (body.endsWith('<unfinished ...>')) {
      this.unfinished.set(pid, { t, text: body.slice(0, -'<unfinished ...>'.length).trimEnd() });
      return undefined;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body);
    if (resumed) {
      const start = this.unfinished.get(pid);
      this.unfinished.delete(pid);
      if (!start) return undefined;
      t = start.t;
      body = start.text + resumed[2];
    }
    const c = CALL.exec(body);
    if (!c) return undefined;
    const [, name, argText, ret, errno, errText, secs] = c;
    if (SKIP.has(name)) return undefined;
    const args = splitArgs(argText);
    const fd = Number(args[0]);
    const key = (n: number) => `${pid}:${n}`;
    const call = NAMES[name] ?? name;
    const rec: Record<string, unknown> = { t, call, file: null, line: null, pid: Number(pid), source: 'strace' };
    if (secs !== undefined) rec.blocked_ms = Math.round(Number(secs) * 1e6) / 1000;
    if (errno) rec.error = `${errno}: ${errText}`;
    const n = ret === '?' ? undefined : Number(ret);
    if (name === 'socket') {
      if (n !== undefined && n >= 0) {
        rec.fd = n;
        this.sockets.add(key(n));
      }
      rec.family = args[0];
      rec.type = args[1]?.split('|')[0];
      return rec as CallRecord;
    }
    if (Number.isInteger(fd)) rec.fd = fd;
    if (name === 'close') {
      if (!this.sockets.delete(key(fd))) return undefined;
      return rec as CallRecord;
    }
    if (name === 'accept' || name === 'accept4') {
      rec.peer = sockaddr(args[1]);
      if (n !== undefined && n >= 0) {
        rec.new_fd = n;
        this.sockets.add(key(n));
      }
    } else if (name === 'connect') rec.peer = sockaddr(args[1]);
    else if (name === 'bind') rec.local = sockaddr(args[1]);
    else if (name === 'listen') rec.backlog = Number(args[1]);
    else if (name === 'shutdown') rec.how = args[1];
    else if (name === 'setsockopt') {
      rec.level = args[1];
      rec.option = args[2];
    } else if (name === 'sendto' || name === 'send' || name === 'recvfrom' || name === 'recv') {
      rec.asked = Number(args[2]);
      if (name === 'sendto' && args[4] && args[4] !== 'NULL') {
        rec.call = 'sendto';
        rec.peer = sockaddr(args[4]);
      }
      if (name === 'recvfrom' && args[4] && args[4] !== 'NULL') {
        rec.call = 'recvfrom';
        rec.peer = sockaddr(args[4]);
      }
      const hex = hexOf(args[1]);
      if (hex !== undefined && n !== undefined && n >= 0) rec.bytes_hex = hex.slice(0, n * 2);
    } else if (name === 'sendmsg' || name === 'recvmsg') {
      const hex = /iov_base="((?:\\x[0-9a-f]{2})*)"/.exec(args[1] ?? '')?.[1];
      if (hex && n !== undefined && n >= 0) rec.bytes_hex = hex.replace(/\\x/g, '').slice(0, n * 2);
    }
    if (n !== undefined && n >= 0 && name !== 'connect' && name !== 'bind' && name !== 'listen' && name !== 'shutdown' && name !== 'setsockopt' && rec.new_fd === undefined) rec.returned = n;
    return rec as CallRecord;
  }
}
