// Parses `lsof -nP -i` (macOS, also Linux) into the socket table.
import type { OsSocket, SocketState } from './types';

/** lsof spells some states with an underscore before the digit (FIN_WAIT_1) and says CLOSED/IDLE. */
export function normalizeStateName(raw: string, protocol: 'tcp' | 'udp' = 'tcp'): SocketState {
  const s = raw.toUpperCase().replace(/-/g, '_').replace(/^FIN_WAIT_([12])$/, 'FIN_WAIT$1');
  switch (s) {
    case 'LISTENING':
    case 'LISTEN':
      return 'LISTEN';
    case 'SYN_RECEIVED':
      return 'SYN_RECV';
    case 'CLOSED':
    case 'IDLE':
      return protocol === 'udp' ? 'UNCONN' : 'CLOSE';
    case 'ESTABLISHED':
    case 'SYN_SENT':
    case 'SYN_RECV':
    case 'FIN_WAIT1':
    case 'FIN_WAIT2':
    case 'TIME_WAIT':
    case 'CLOSE':
    case 'CLOSE_WAIT':
    case 'LAST_ACK':
    case 'CLOSING':
    case 'UNCONN':
      return s;
    default:
      return 'UNKNOWN';
  }
}

/** `[::1]:8000`, `127.0.0.1:8000`, `*:5353`, `*:*` → address and port (0 for `*`). */
export function parseHostPort(text: string): [string, number] {
  const m = /^\[(.*)\]:(\*|\d+)$/.exec(text) ?? /^(.*):(\*|\d+)$/.exec(text);
  if (!m) return [text, 0];
  return [m[1], m[2] === '*' ? 0 : Number(m[2])];
}

function unspecified(addr: string, family: 4 | 6): string {
  if (addr !== '*') return addr;
  return family === 6 ? '::' : '0.0.0.0';
}

/** lsof escapes unprintable bytes in COMMAND as \xNN (a space is \x20). */
function unescapeLsof(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export function parseLsof(text: string): OsSocket[] {
  const out: OsSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const typeAt = f.findIndex((x, i) => i >= 3 && (x === 'IPv4' || x === 'IPv6'));
    if (typeAt < 0 || !/^\d+$/.test(f[1] ?? '')) continue;
    const protoAt = f.findIndex((x, i) => i > typeAt && (x === 'TCP' || x === 'UDP'));
    if (protoAt < 0 || protoAt + 1 >= f.length) continue;
    const protocol = f[protoAt] === 'TCP' ? 'tcp' : 'udp';
    const family = f[typeAt] === 'IPv6' ? 6 : 4;
    const name = f[protoAt + 1];
    const stateMatch = /^\((.+)\)$/.exec(f[protoAt + 2] ?? '');
    const [local, remote] = name.split('->');
    const [la, lp] = parseHostPort(local);
    const [ra, rp] = remote ? parseHostPort(remote) : ['*', 0];
    let state: SocketState;
    if (stateMatch) state = normalizeStateName(stateMatch[1], protocol);
    else state = protocol === 'udp' ? (remote ? 'ESTABLISHED' : 'UNCONN') : 'UNKNOWN';
    out.push({
      protocol,
      family,
      localAddress: unspecified(la, family),
      localPort: lp,
      remoteAddress: unspecified(ra, family),
      remotePort: rp,
      state,
      txQueue: 0,
      rxQueue: 0,
      inode: 0,
      pid: Number(f[1]),
      command: unescapeLsof(f[0]),
    });
  }
  return out;
}
