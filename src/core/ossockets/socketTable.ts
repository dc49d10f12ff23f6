// Reads the machine's socket table on any OS and filters it; the one entry point the CLI and views use.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseLsof } from './lsof';
import { parseNetstatAno, parseTasklistCsv } from './netstat';
import { parseProcNetInet, parseProcNetUnix, type Endianness } from './procNet';
import { descendantsOf, scanProc } from './procProcesses';
import { parseSsTcpInfo } from './ssInfo';
import { normalizeStateName } from './lsof';
import type { OsSocket, ProcessInfo, SocketState } from './types';

export interface ReadOptions {
  /** Default: process.platform. */
  platform?: NodeJS.Platform;
  /** Linux only: where /proc is (tests may point elsewhere). */
  procRoot?: string;
  /** Include Unix-domain sockets (Linux). Default true. */
  unix?: boolean;
  /** Linux: add byte counters from `ss -tin` when it is installed. Default false. */
  bytes?: boolean;
}

export interface SocketTable {
  sockets: OsSocket[];
  /** Known processes (Linux: all readable; elsewhere: those owning sockets, ppid 0 when unknown). */
  processes: Map<number, ProcessInfo>;
  /** Set when part of the table could not be read, e.g. lsof missing. One sentence with the fix. */
  warning?: string;
}

export interface SocketFilter {
  /** Keep sockets of this process and its descendants. */
  pid?: number;
  /** Keep sockets whose local or remote port is this. */
  port?: number;
  /** Keep sockets in this state (any spelling: listen, TIME-WAIT, FIN_WAIT_1 …). */
  state?: string;
  protocol?: 'tcp' | 'udp' | 'unix';
}

function run(cmd: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, windowsHide: true }, (err, stdout) => {
      // lsof exits 1 when nothing matched but still prints what it found
      if (err && !stdout) reject(err);
      else resolve(stdout);
    });
  });
}

async function readLinux(opts: ReadOptions): Promise<SocketTable> {
  const root = opts.procRoot ?? '/proc';
  const endianness: Endianness = os.endianness();
  const read = (f: string) => fs.readFile(path.join(root, 'net', f), 'utf8').catch(() => '');
  const [tcp, tcp6, udp, udp6, unix, scan] = await Promise.all([
    read('tcp'),
    read('tcp6'),
    read('udp'),
    read('udp6'),
    opts.unix === false ? Promise.resolve('') : read('unix'),
    scanProc(root),
  ]);
  const sockets = [
    ...parseProcNetInet(tcp, 'tcp', 4, endianness),
    ...parseProcNetInet(tcp6, 'tcp', 6, endianness),
    ...parseProcNetInet(udp, 'udp', 4, endianness),
    ...parseProcNetInet(udp6, 'udp', 6, endianness),
    ...parseProcNetUnix(unix),
  ];
  for (const s of sockets) {
    const pid = s.inode ? scan.inodeOwner.get(s.inode) : undefined;
    if (pid === undefined) continue;
    const p = scan.processes.get(pid);
    s.pid = pid;
    s.command = p?.command;
    s.cmdline = p?.cmdline;
  }
  if (opts.bytes) {
    try {
      const counts = parseSsTcpInfo(await run('ss', ['-tinHe'], 3000));
      for (const s of sockets) {
        const c = s.protocol === 'tcp' && s.inode ? counts.get(s.inode) : undefined;
        if (c) {
          s.bytesSent = c.sent;
          s.bytesReceived = c.received;
        }
      }
    } catch {
      // without iproute2 the table simply has no byte counters
    }
  }
  return { sockets, processes: scan.processes };
}

function processesFrom(sockets: OsSocket[]): Map<number, ProcessInfo> {
  const m = new Map<number, ProcessInfo>();
  for (const s of sockets) {
    if (s.pid !== undefined && !m.has(s.pid)) m.set(s.pid, { pid: s.pid, ppid: 0, command: s.command ?? '', cmdline: '' });
  }
  return m;
}

async function readMac(): Promise<SocketTable> {
  try {
    const sockets = parseLsof(await run('lsof', ['-nP', '-i']));
    let warning: string | undefined;
    // lsof -i only shows other users' sockets to root; say so instead of looking empty
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      warning = 'Only your own processes are listed; run with sudo to see every socket.';
    }
    const processes = processesFrom(sockets);
    try {
      // parent links let --pid include children
      for (const line of (await run('ps', ['-axo', 'pid=,ppid='])).split('\n')) {
        const [pid, ppid] = line.trim().split(/\s+/).map(Number);
        const p = processes.get(pid);
        if (p) p.ppid = ppid;
        else if (pid) processes.set(pid, { pid, ppid, command: '', cmdline: '' });
      }
    } catch {
      // without ps, --pid matches only the process itself
    }
    return { sockets, processes, warning };
  } catch {
    return { sockets: [], processes: new Map(), warning: 'Could not run lsof; install it (it ships with macOS) and try again.' };
  }
}

async function readWindows(): Promise<SocketTable> {
  try {
    const sockets = parseNetstatAno(await run('netstat', ['-ano']));
    let names = new Map<number, string>();
    try {
      names = parseTasklistCsv(await run('tasklist', ['/fo', 'csv', '/nh']));
    } catch {
      // without tasklist the table shows pids only
    }
    for (const s of sockets) if (s.pid !== undefined) s.command = names.get(s.pid);
    return { sockets, processes: processesFrom(sockets) };
  } catch {
    return { sockets: [], processes: new Map(), warning: 'Could not run netstat -ano; check that it is on PATH.' };
  }
}

/** Reads every TCP, UDP (and on Linux, Unix) socket on the machine with its owner where the OS allows. */
export async function readSocketTable(opts: ReadOptions = {}): Promise<SocketTable> {
  const platform = opts.platform ?? process.platform;
  if (platform === 'linux') return readLinux(opts);
  if (platform === 'darwin') return readMac();
  if (platform === 'win32') return readWindows();
  return { sockets: [], processes: new Map(), warning: `Reading the socket table is not supported on ${platform}.` };
}

/** Canonical state name for a user's spelling, or undefined when it is no state we know. */
export function parseStateFilter(text: string): SocketState | undefined {
  const upper = text.trim().toUpperCase().replace(/-/g, '_');
  if (upper === 'UNCONN' || upper === 'CONNECTED' || upper === 'UNCONNECTED') return upper as SocketState;
  if (upper === 'ESTAB') return 'ESTABLISHED';
  const s = normalizeStateName(upper);
  return s === 'UNKNOWN' ? undefined : s;
}

export function filterSockets(table: SocketTable, filter: SocketFilter): OsSocket[] {
  const pids = filter.pid !== undefined ? descendantsOf(filter.pid, table.processes.values()) : undefined;
  const state = filter.state !== undefined ? parseStateFilter(filter.state) : undefined;
  if (filter.state !== undefined && state === undefined) throw new Error(`unknown socket state "${filter.state}"`);
  return table.sockets.filter(
    (s) =>
      (pids === undefined || (s.pid !== undefined && pids.has(s.pid))) &&
      (filter.port === undefined || s.localPort === filter.port || s.remotePort === filter.port) &&
      (state === undefined || s.state === state) &&
      (filter.protocol === undefined || s.protocol === filter.protocol),
  );
}

/**
 * Who holds this port: TCP listeners (or bound UDP sockets) on it, with their process when the OS tells us.
 * Used to explain EADDRINUSE.
 */
export async function findListeners(port: number, protocol: 'tcp' | 'udp' = 'tcp', opts: ReadOptions = {}): Promise<OsSocket[]> {
  const table = await readSocketTable({ ...opts, unix: false });
  return table.sockets.filter(
    (s) => s.protocol === protocol && s.localPort === port && (protocol === 'udp' ? s.state === 'UNCONN' || s.state === 'ESTABLISHED' : s.state === 'LISTEN'),
  );
}

/** Owners of listening sockets found before, by inode (empty: not ours to see): an inode lives as long as its socket. */
const listenerOwners = new Map<number, { pid?: number; command?: string; cmdline?: string }>();

/**
 * Listeners (TCP LISTEN, bound UDP) on the given `protocol:port` keys, with their owners. On Linux it reads only
 * /proc/net and scans /proc/<pid>/fd only for a listener not seen before, so a view polling it every few seconds
 * costs four small reads while nothing new listens. Elsewhere it filters the whole table.
 */
export async function readListenersOn(wanted: ReadonlySet<string>, opts: ReadOptions = {}): Promise<OsSocket[]> {
  const isListener = (s: OsSocket) => wanted.has(`${s.protocol}:${s.localPort}`) && ((s.protocol === 'tcp' && s.state === 'LISTEN') || (s.protocol === 'udp' && s.state === 'UNCONN'));
  if ((opts.platform ?? process.platform) !== 'linux') return (await readSocketTableShared({ ...opts, unix: false })).sockets.filter(isListener);
  if (wanted.size === 0) return [];
  const root = opts.procRoot ?? '/proc';
  const endianness: Endianness = os.endianness();
  const read = (f: string) => fs.readFile(path.join(root, 'net', f), 'utf8').catch(() => '');
  const texts = await Promise.all(['tcp', 'tcp6', 'udp', 'udp6'].map(read));
  const found = [
    ...parseProcNetInet(texts[0], 'tcp', 4, endianness),
    ...parseProcNetInet(texts[1], 'tcp', 6, endianness),
    ...parseProcNetInet(texts[2], 'udp', 4, endianness),
    ...parseProcNetInet(texts[3], 'udp', 6, endianness),
  ].filter(isListener);
  const live = new Set(found.map((s) => s.inode));
  for (const inode of listenerOwners.keys()) if (!live.has(inode)) listenerOwners.delete(inode);
  if (found.some((s) => s.inode && !listenerOwners.has(s.inode))) {
    const scan = await scanProc(root);
    for (const s of found) {
      const pid = s.inode ? scan.inodeOwner.get(s.inode) : undefined;
      const p = pid === undefined ? undefined : scan.processes.get(pid);
      if (s.inode) listenerOwners.set(s.inode, pid === undefined ? {} : { pid, command: p?.command, cmdline: p?.cmdline });
    }
  }
  for (const s of found) Object.assign(s, s.inode ? listenerOwners.get(s.inode) : undefined);
  return found;
}

const recent = new Map<string, { at: number; table: Promise<SocketTable> }>();

/**
 * readSocketTable shared by every watcher in the process: callers within `maxAgeMs` of a read (or while one is
 * running) get the same table, so a view, several watched programs and CodeLens cost one scan, not one each.
 */
export function readSocketTableShared(opts: ReadOptions = {}, maxAgeMs = 400): Promise<SocketTable> {
  const key = `${opts.platform ?? ''}|${opts.procRoot ?? ''}|${opts.unix !== false}|${!!opts.bytes}`;
  const hit = recent.get(key);
  const now = Date.now();
  if (hit && now - hit.at < maxAgeMs) return hit.table;
  const table = readSocketTable(opts);
  recent.set(key, { at: now, table });
  // a failed read must not be served to the next caller
  table.catch(() => recent.delete(key));
  // the age counts from when the read finished, so a slow read is not immediately stale
  void table.then(() => recent.set(key, { at: Date.now(), table }), () => undefined);
  return table;
}
