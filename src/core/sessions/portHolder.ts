// Who holds a local TCP/UDP port, read from /proc on Linux (socket inode -> /proc/PID/fd), so
// EADDRINUSE can name the program. Best effort and bounded: undefined elsewhere or when unsure.
import { promises as fs } from 'node:fs';

export interface PortHolder {
  pid: number;
  command: string;
}

async function inodesFor(port: number, proto: 'tcp' | 'udp'): Promise<Set<string>> {
  const found = new Set<string>();
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const localPort = parseInt(f[1].split(':')[1] ?? '', 16);
      // TCP: only the listener (state 0A) holds the port for bind(); UDP: any socket on it
      if (localPort === port && (proto === 'udp' || f[3] === '0A') && f[9] !== '0') found.add(f[9]);
    }
  }
  return found;
}

export async function findPortHolder(port: number, proto: 'tcp' | 'udp' = 'tcp', maxPids = 5000): Promise<PortHolder | undefined> {
  if (process.platform !== 'linux') return undefined;
  const inodes = await inodesFor(port, proto);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = (await fs.readdir('/proc')).filter((d) => /^\d+$/.test(d)).slice(0, maxPids);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await fs.readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = await fs.readlink(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1])) {
        let command = '?';
        try {
          command = (await fs.readFile(`/proc/${pid}/comm`, 'utf8')).trim();
        } catch {
          // keep '?'
        }
        return { pid: Number(pid), command };
      }
    }
  }
  return undefined;
}

/** Kernel-counted drops of the UDP socket bound to `port` (last column of /proc/net/udp). */
export async function udpSocketDrops(port: number): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  let total: number | undefined;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      if (parseInt(f[1].split(':')[1] ?? '', 16) === port) total = (total ?? 0) + Number(f[f.length - 1]);
    }
  }
  return total;
}
