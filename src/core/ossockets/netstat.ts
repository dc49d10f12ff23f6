// Parses Windows `netstat -ano` and `tasklist /fo csv /nh` into the socket table.
import { normalizeStateName, parseHostPort } from './lsof';
import type { OsSocket } from './types';

function cleanAddress(addr: string): string {
  // Windows prints the zone of link-local IPv6 (fe80::1%12); the zone is not part of the address.
  return addr.replace(/%.*$/, '');
}

export function parseNetstatAno(text: string): OsSocket[] {
  const out: OsSocket[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'TCP' && f[0] !== 'UDP') continue;
    const protocol = f[0] === 'TCP' ? 'tcp' : 'udp';
    // UDP rows have no state column: Proto Local Foreign PID.
    const hasState = f.length >= 5;
    const pid = Number(f[f.length - 1]);
    const [la, lp] = parseHostPort(f[1]);
    const [ra, rp] = parseHostPort(f[2]);
    const family = la.includes(':') ? 6 : 4;
    const remoteAddress = ra === '*' ? (family === 6 ? '::' : '0.0.0.0') : cleanAddress(ra);
    out.push({
      protocol,
      family,
      localAddress: cleanAddress(la),
      localPort: lp,
      remoteAddress,
      remotePort: rp,
      state: hasState ? normalizeStateName(f[3], protocol) : protocol === 'udp' ? 'UNCONN' : 'UNKNOWN',
      txQueue: 0,
      rxQueue: 0,
      inode: 0,
      pid: Number.isInteger(pid) ? pid : undefined,
    });
  }
  return out;
}

/** `tasklist /fo csv /nh` → pid → image name. */
export function parseTasklistCsv(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split(/\r?\n/)) {
    const cells = [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1].replace(/""/g, '"'));
    if (cells.length >= 2 && /^\d+$/.test(cells[1])) out.set(Number(cells[1]), cells[0]);
  }
  return out;
}
