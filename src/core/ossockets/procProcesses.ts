// Maps socket inodes to processes through /proc/*/fd; every read tolerates a process vanishing or EACCES.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parsePpidFromStat, socketInodeFromLink } from './procNet';
import type { ProcessInfo } from './types';

export interface ProcScan {
  processes: Map<number, ProcessInfo>;
  /** socket inode → owning pid (the first one found; a forked socket can be shared). */
  inodeOwner: Map<number, number>;
}

async function readOr(file: string, fallback: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return fallback;
  }
}

async function socketInodes(procRoot: string, pid: number): Promise<number[]> {
  const dir = path.join(procRoot, String(pid), 'fd');
  let fds: string[];
  try {
    fds = await fs.readdir(dir);
  } catch {
    return []; // EACCES (another user's process) or ENOENT (it just exited)
  }
  const links = await Promise.all(fds.map((fd) => fs.readlink(path.join(dir, fd)).catch(() => '')));
  const out: number[] = [];
  for (const l of links) {
    const inode = socketInodeFromLink(l);
    if (inode !== undefined) out.push(inode);
  }
  return out;
}

/** Reads one process's identity; undefined when it is gone. */
export async function readProcess(procRoot: string, pid: number): Promise<ProcessInfo | undefined> {
  const base = path.join(procRoot, String(pid));
  const stat = await readOr(path.join(base, 'stat'), '');
  if (!stat) return undefined;
  const comm = (await readOr(path.join(base, 'comm'), '')).trim();
  const cmdline = (await readOr(path.join(base, 'cmdline'), '')).split('\0').filter(Boolean).join(' ');
  return { pid, ppid: parsePpidFromStat(stat) ?? 0, command: comm, cmdline };
}

/** Scans every process we may read: identity, parent and socket inodes. */
export async function scanProc(procRoot = '/proc', opts: { sockets?: boolean } = {}): Promise<ProcScan> {
  const processes = new Map<number, ProcessInfo>();
  const inodeOwner = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = await fs.readdir(procRoot);
  } catch {
    return { processes, inodeOwner };
  }
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  // Bounded concurrency: thousands of parallel readdirs would only thrash the extension host.
  const batch = 64;
  for (let i = 0; i < pids.length; i += batch) {
    await Promise.all(
      pids.slice(i, i + batch).map(async (pid) => {
        const info = await readProcess(procRoot, pid);
        if (!info) return;
        processes.set(pid, info);
        if (opts.sockets === false) return;
        for (const inode of await socketInodes(procRoot, pid)) if (!inodeOwner.has(inode)) inodeOwner.set(inode, pid);
      }),
    );
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
