// Small pure helpers the views and commands share: reachable hosts, capture arguments, byte counts, one-line text.
import { isLoopback } from '../sessions/loopback';
import { formatEndpoint, type OsSocket } from './types';

/** An address a local client can connect to: the wildcard listeners are reachable on loopback. */
export function connectableHost(address: string): string {
  if (address === '' || address === '0.0.0.0' || address === '*') return '127.0.0.1';
  if (address === '::') return '::1';
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/** Arguments for `socketLab.capture.start` that capture one port (loopback traffic needs the loopback interface). */
export function captureArgs(
  port: number,
  protocol: 'tcp' | 'udp',
  address?: string,
  platform: NodeJS.Platform = process.platform,
): { filter: string; interface?: string } {
  const filter = `${protocol} port ${port}`;
  const loop = address === undefined || address === '' || address === '0.0.0.0' || address === '::' || isLoopback(address);
  if (loop && platform === 'linux') return { filter, interface: 'lo' };
  if (loop && platform === 'darwin') return { filter, interface: 'lo0' };
  return { filter };
}


/** `tcp 127.0.0.1:8000 -> 127.0.0.1:53122 ESTABLISHED pid 42 python3`, for the clipboard. */
export function describeSocket(s: OsSocket): string {
  const local = s.protocol === 'unix' ? (s.path ?? '') : formatEndpoint(s.localAddress, s.localPort);
  const remote = s.protocol !== 'unix' && s.remotePort ? ` -> ${formatEndpoint(s.remoteAddress, s.remotePort)}` : '';
  const owner = s.pid !== undefined ? ` pid ${s.pid} ${s.command ?? ''}`.trimEnd() : '';
  return `${s.protocol} ${local}${remote} ${s.state}${owner}`;
}
