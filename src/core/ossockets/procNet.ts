// Parsers for Linux /proc/net/{tcp,tcp6,udp,udp6,unix}: pure functions over the file text.
import { formatIpv6 } from '../decode/format';
import type { OsSocket, SocketState, TcpState, UnixState } from './types';

export type Endianness = 'LE' | 'BE';

const tcpStates: Record<number, TcpState> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW_SYN_RECV',
};

/** The kernel's TCP state number (include/net/tcp_states.h) as a name. */
export function tcpStateName(code: number): SocketState {
  return tcpStates[code] ?? 'UNKNOWN';
}

/** Reads one 32-bit word of a /proc address: the kernel prints it in host byte order. */
function wordBytes(hex8: string, endianness: Endianness): number[] {
  const b = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return endianness === 'LE' ? b.reverse() : b;
}

/** Decodes `0100007F` → `127.0.0.1` and the 32-hex-digit IPv6 form → compressed text (`::1`). */
export function decodeHexAddress(hex: string, endianness: Endianness = 'LE'): string {
  if (hex.length === 8) return wordBytes(hex, endianness).join('.');
  if (hex.length !== 32) throw new Error(`not a /proc address: ${hex}`);
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), endianness));
  // RFC 5952 text, IPv4-mapped addresses in their dotted form (as `ss` and Wireshark show them)
  return formatIpv6(Uint8Array.from(bytes), 0);
}

function splitEndpoint(field: string, endianness: Endianness): [string, number] {
  const colon = field.lastIndexOf(':');
  return [decodeHexAddress(field.slice(0, colon), endianness), parseInt(field.slice(colon + 1), 16)];
}

/** Parses /proc/net/tcp, tcp6, udp or udp6. Lines that do not parse are skipped, never thrown on. */
export function parseProcNetInet(
  text: string,
  protocol: 'tcp' | 'udp',
  family: 4 | 6,
  endianness: Endianness = 'LE',
): OsSocket[] {
  const out: OsSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    if (f.length < 10 || !/^\d+:$/.test(f[0])) continue;
    try {
      const [localAddress, localPort] = splitEndpoint(f[1], endianness);
      const [remoteAddress, remotePort] = splitEndpoint(f[2], endianness);
      const code = parseInt(f[3], 16);
      const [tx, rx] = f[4].split(':').map((h) => parseInt(h, 16));
      let state: SocketState = tcpStateName(code);
      if (protocol === 'udp') state = code === 0x01 ? 'ESTABLISHED' : 'UNCONN';
      out.push({
        protocol,
        family,
        localAddress,
        localPort,
        remoteAddress,
        remotePort,
        state,
        txQueue: tx,
        rxQueue: rx,
        uid: Number(f[7]),
        inode: Number(f[9]),
      });
    } catch {
      // a torn line (the file changed while we read it) is dropped
    }
  }
  return out;
}

const unixTypes: Record<number, OsSocket['unixType']> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };
const unixStates: Record<number, UnixState> = { 1: 'UNCONNECTED', 2: 'CONNECTING', 3: 'CONNECTED', 4: 'DISCONNECTING' };
const SO_ACCEPTCON = 0x10000;

/** Parses /proc/net/unix. A stream socket with the __SO_ACCEPTCON flag is a listener. */
export function parseProcNetUnix(text: string): OsSocket[] {
  const out: OsSocket[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*[0-9a-fA-F]+:\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\d+)(?:\s(.*))?$/.exec(line);
    if (!m) continue;
    const flags = parseInt(m[3], 16);
    const st = parseInt(m[5], 16);
    const path = m[7]?.trim() ?? '';
    out.push({
      protocol: 'unix',
      family: 0,
      localAddress: path,
      localPort: 0,
      remoteAddress: '',
      remotePort: 0,
      state: flags & SO_ACCEPTCON ? 'LISTEN' : (unixStates[st] ?? 'UNKNOWN'),
      txQueue: 0,
      rxQueue: 0,
      inode: Number(m[6]),
      path: path || undefined,
      unixType: unixTypes[parseInt(m[4], 16)],
    });
  }
  return out;
}

/** `socket:[12345]` (the /proc/PID/fd link target of a socket) → 12345. */
export function socketInodeFromLink(target: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(target);
  return m ? Number(m[1]) : undefined;
}

/** /proc/PID/stat → parent pid; the command may contain spaces and parentheses, so split after the last ')'. */
export function parsePpidFromStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = stat.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}
