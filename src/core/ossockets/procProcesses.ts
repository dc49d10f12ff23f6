// Maps socket inodes to processes through /proc/*/fd; every read tolerates a process vanishing or EACCES.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePpidFromStat, socketInodeFromLink } from './procNet';
import type { ProcessInfo } from './types';

export interface ProcScan {
  processes: Map<number, ProcessInfo>;
  /** socket inode → owning pid (the first one found; a forked socket can be shared). */
  inodeOwner: Map<number, number>;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function socketInodes(procRoot: string, pid: number): number[] {
  const dir = path.join(procRoot, String(pid), 'fd');
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return []; // EACCES (another user's process) or ENOENT (it just exited)
  }
  const out: number[] = [];
  for (const fd of fds) {
    let link: string;
    try {
      link = fs.readlinkSync(path.join(dir, fd));
    } catch {
      continue; // the fd closed between readdir and readlink
    }
    const inode = socketInodeFromLink(link);
    if (inode !== undefined) out.push(inode);
  }
  return out;
}

function readProcessSync(procRoot: string, pid: number): ProcessInfo | undefined {
  const base = path.join(procRoot, String(pid));
  const stat = readOr(path.join(base, 'stat'), '');
  if (!stat) return undefined;
  const comm = readOr(path.join(base, 'comm'), '').trim();
  const cmdline = readOr(path.join(base, 'cmdline'), '').split('\0').filter(Boolean).join(' ');
  return { pid, ppid: parsePpidFromStat(stat) ?? 0, command: comm, cmdline };
}

/** Reads one process's identity; undefined when it is gone. */
export async function readProcess(procRoot: string, pid: number): Promise<ProcessInfo | undefined> {
  return readProcessSync(procRoot, pid);
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Scans every process we may read: identity, parent and socket inodes.
 * /proc reads never block on disk, so synchronous calls are far cheaper than thousands of promises;
 * we yield to the event loop every few processes so the extension host stays responsive.
 */
export async function scanProc(procRoot = '/proc', opts: { sockets?: boolean } = {}): Promise<ProcScan> {
  const processes = new Map<number, ProcessInfo>();
  const inodeOwner = new Map<number, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    return { processes, inodeOwner };
  }
  let n = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    if (++n % 16 === 0) await yieldToLoop();
    const pid = Number(e);
    const info = readProcessSync(procRoot, pid);
    if (!info) continue;
    processes.set(pid, info);
    if (opts.sockets === false) continue;
    for (const inode of socketInodes(procRoot, pid)) if (!inodeOwner.has(inode)) inodeOwner.set(inode, pid);
  }
  return { processes, inodeOwner };
}

/** The pid itself and every descendant, from the parent links of a process table. */
export function descendantsOf(root: number, processes: Iterable<ProcessInfo>): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const out = new Set<number>([root]);
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        stack.push(c);
      }
    }
  }
  return out;
}

/**
 * Processes whose command line runs `file` (an absolute path), also when it was started as `node ./file.js`
 * from its folder (arguments are resolved against the process's working directory). Linux only; [] elsewhere.
 */
export async function findProcessesRunningFile(file: string, opts: { procRoot?: string; exclude?: (cmdline: string) => boolean } = {}): Promise<ProcessInfo[]> {
  const root = opts.procRoot ?? '/proc';
  const base = path.basename(file);
  const scan = await scanProc(root, { sockets: false });
  const hits: ProcessInfo[] = [];
  for (const p of scan.processes.values()) {
    if (p.pid === process.pid || !p.cmdline.includes(base) || opts.exclude?.(p.cmdline)) continue;
    const args = readOr(path.join(root, String(p.pid), 'cmdline'), '').split('\0').filter(Boolean);
    let cwd: string | undefined;
    try {
      cwd = fs.readlinkSync(path.join(root, String(p.pid), 'cwd'));
    } catch {
      cwd = undefined; // another user's process: only absolute paths can match
    }
    if (args.slice(1).some((a) => a === file || (cwd !== undefined && !path.isAbsolute(a) && path.resolve(cwd, a) === file))) hits.push(p);
  }
  // the outermost match first, so watching it covers the processes it starts
  const pids = new Set(hits.map((h) => h.pid));
  return hits.sort((a, b) => Number(pids.has(a.ppid)) - Number(pids.has(b.ppid)) || a.pid - b.pid);
}
