// Cheap Linux reads for watching one program: its process tree, its sockets, whether it still lives, TCP open counters.
// A whole-table read scans every process's fds; a watched program only needs its own few, so it can poll often.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseProcNetInet, socketInodeFromLink } from './procNet';
import type { OsSocket } from './types';

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields after the command name in /proc/PID/stat: [state, ppid, …]; the name may hold spaces and parentheses. */
function statFields(procRoot: string, pid: number): string[] | undefined {
  const stat = readOr(path.join(procRoot, String(pid), 'stat'));
  const close = stat?.lastIndexOf(')') ?? -1;
  return stat && close > 0 ? stat.slice(close + 2).split(' ') : undefined;
}

/** The process's start time in clock ticks since boot (tells a reused pid from the original); undefined when gone. */
export function processStartTime(pid: number, procRoot = '/proc'): number | undefined {
  const f = statFields(procRoot, pid);
  const t = f ? Number(f[19]) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Whether the process still runs: on Linux from /proc/PID/stat (a zombie, state Z, has ended; a different start time
 * means the pid was reused), elsewhere by signal 0. Works for processes we did not spawn.
 */
export function processAlive(pid: number, startTime?: number, procRoot = '/proc', platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'linux') {
    const f = statFields(procRoot, pid);
    if (!f || f[0] === 'Z' || f[0] === 'X') return false;
    return startTime === undefined || Number(f[19]) === startTime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid and its descendants through /proc/PID/task/TID/children; undefined when the kernel lacks that file. */
export function processTree(root: number, procRoot = '/proc'): Set<number> | undefined {
  const out = new Set<number>([root]);
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    let tids: string[];
    try {
      tids = fs.readdirSync(path.join(procRoot, String(pid), 'task'));
    } catch {
      continue; // it just ended
    }
    for (const tid of tids) {
      const text = readOr(path.join(procRoot, String(pid), 'task', tid, 'children'));
      if (text === undefined) {
        if (pid === root && fs.existsSync(path.join(procRoot, String(pid)))) return undefined; // CONFIG_PROC_CHILDREN off
        continue;
      }
      for (const c of text.trim().split(/\s+/)) {
        const child = Number(c);
        if (c && !out.has(child)) {
          out.add(child);
          stack.push(child);
        }
      }
    }
  }
  return out;
}

function socketInodes(procRoot: string, pid: number, into: Map<number, number>): void {
  const dir = path.join(procRoot, String(pid), 'fd');
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const fd of fds) {
    try {
      const inode = socketInodeFromLink(fs.readlinkSync(path.join(dir, fd)));
      if (inode !== undefined && !into.has(inode)) into.set(inode, pid);
    } catch {
      // closed between readdir and readlink
    }
  }
}

/** TCP ActiveOpens + PassiveOpens of the network namespace: every connection begun, seen by us or not. */
export function parseTcpOpens(snmp: string): number | undefined {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) return undefined;
  const names = lines[0].trim().split(/\s+/);
  const values = lines[1].trim().split(/\s+/);
  const a = Number(values[names.indexOf('ActiveOpens')]);
  const p = Number(values[names.indexOf('PassiveOpens')]);
  return Number.isFinite(a) && Number.isFinite(p) ? a + p : undefined;
}

export interface TreeSockets {
  /** Every TCP/UDP socket of the namespace; those of the tree carry pid (and command). */
  sockets: OsSocket[];
  tree: Set<number>;
  tcpOpens?: number;
}

/** Reads the tree's sockets and the namespace's inet table (no fd scan of other processes). Linux only. */
export function readTreeSockets(root: number, procRoot = '/proc'): TreeSockets {
  const tree = processTree(root, procRoot) ?? new Set([root]);
  const owners = new Map<number, number>();
  for (const pid of tree) socketInodes(procRoot, pid, owners);
  const net = (f: string) => readOr(path.join(procRoot, String(root), 'net', f)) ?? readOr(path.join(procRoot, 'net', f)) ?? '';
  const e = os.endianness();
  const sockets = [
    ...parseProcNetInet(net('tcp'), 'tcp', 4, e),
    ...parseProcNetInet(net('tcp6'), 'tcp', 6, e),
    ...parseProcNetInet(net('udp'), 'udp', 4, e),
    ...parseProcNetInet(net('udp6'), 'udp', 6, e),
  ];
  const names = new Map<number, string>();
  for (const s of sockets) {
    const pid = s.inode ? owners.get(s.inode) : undefined;
    if (pid === undefined) continue;
    s.pid = pid;
    if (!names.has(pid)) names.set(pid, (readOr(path.join(procRoot, String(pid), 'comm')) ?? '').trim());
    s.command = names.get(pid);
  }
  return { sockets, tree, tcpOpens: parseTcpOpens(net('snmp')) };
}

/** `addr:port` as both /proc and ss can be brought to: no brackets, no %scope, IPv4-mapped IPv6 as IPv4. */
export function endpointKey(address: string, port: number | string): string {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return `${a}:${port}`;
}

export interface SsCounts {
  sent: number;
  received: number;
  state: string;
}

/** Parses `ss -tinHe`: byte counters by `local|peer` endpoint key (closed sockets have no inode, but keep their ends). */
export function parseSsByEndpoints(text: string): Map<string, SsCounts> {
  const out = new Map<string, SsCounts>();
  let key: string | undefined;
  let state = '';
  const split = (ep: string): [string, string] => {
    const i = ep.lastIndexOf(':');
    return [ep.slice(0, i), ep.slice(i + 1)];
  };
  for (const line of text.split('\n')) {
    if (!/^\s/.test(line)) {
      const f = line.trim().split(/\s+/);
      key = undefined;
      if (f.length < 5) continue;
      state = f[0];
      const [la, lp] = split(f[3]);
      const [ra, rp] = split(f[4]);
      key = `${endpointKey(la, lp)}|${endpointKey(ra, rp)}`;
      continue;
    }
    if (!key) continue;
    const sent = /\bbytes_sent:(\d+)/.exec(line);
    const received = /\bbytes_received:(\d+)/.exec(line);
    out.set(key, { sent: sent ? Number(sent[1]) : 0, received: received ? Number(received[1]) : 0, state });
  }
  return out;
}

/** Byte counters of every TCP socket, closed-but-not-freed ones included; undefined without iproute2. */
export function readSsCounts(): Promise<Map<string, SsCounts> | undefined> {
  return new Promise((resolve) => {
    execFile('ss', ['-tinHe'], { timeout: 3000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => resolve(err && !stdout ? undefined : parseSsByEndpoints(stdout)));
  });
}
