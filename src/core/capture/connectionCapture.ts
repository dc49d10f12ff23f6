// "Capture this connection": from a session's addresses and ports to an interface, a capture filter and a label.
import type { CaptureInterface } from '../../shared/captureProtocol';
import type { ConnectionFilter } from './captureExport';

/** The parts of a Session this needs (structural, so the sessions module can evolve). */
export interface SessionEndpoints {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly isAlive?: boolean;
}

export interface ConnectionCapturePlan {
  readonly interface: string;
  readonly filter: string;
  readonly label: string;
  readonly connection: ConnectionFilter;
}

export class ConnectionCaptureError extends Error {
  constructor(
    readonly code: 'EUNIX' | 'ENOPORT' | 'ENOLOOPBACK',
    message: string,
  ) {
    super(message);
  }
}

const isLoopbackOrLocal = (a?: string) =>
  a === undefined || a === '' || a === 'localhost' || a.startsWith('127.') || a === '::1' || a === '::ffff:127.0.0.1' || a === '0.0.0.0' || a === '::' || /^::ffff:127\./.test(a);

/** Picks the interface and builds a filter matching only this session's traffic. */
export function planConnectionCapture(s: SessionEndpoints, interfaces: readonly CaptureInterface[]): ConnectionCapturePlan {
  if (s.kind.startsWith('unix')) {
    throw new ConnectionCaptureError('EUNIX', 'Unix domain sockets never reach a network interface, so there is nothing to capture; watch the session transcript instead.');
  }
  const protocol = s.kind === 'udp' ? 'udp' : 'tcp';
  if (s.localPort === undefined || s.localPort === 0) {
    throw new ConnectionCaptureError('ENOPORT', 'This session has no local port yet; capture it once it is listening or connected.');
  }
  const ports = s.remotePort ? [s.localPort, s.remotePort] : [s.localPort];
  const filter = ports.length === 2 && ports[0] !== ports[1] ? `${protocol} and port ${ports[0]} and port ${ports[1]}` : `${protocol} port ${ports[0]}`;
  const loopback = interfaces.find((i) => i.loopback) ?? interfaces.find((i) => /^lo\d*$/.test(i.name));
  const local = isLoopbackOrLocal(s.localAddress) && isLoopbackOrLocal(s.remoteAddress);
  const any = interfaces.find((i) => i.name === 'any');
  const iface = local ? loopback : (any ?? loopback);
  if (!iface) throw new ConnectionCaptureError('ENOLOOPBACK', 'No loopback interface can be captured here; on Windows install Npcap with "Support loopback traffic".');
  return { interface: iface.name, filter, label: s.label, connection: { protocol, ports } };
}

/**
 * The filter Start Capture suggests: the ports the user's sessions use (so a learner's traffic is not buried under
 * the editor's own), else everything but the ports to leave out (VS Code's own server when it runs on this machine).
 */
export function suggestCaptureFilter(ports: readonly { protocol: 'tcp' | 'udp'; port: number }[], exclude: readonly number[] = []): string {
  const of = (protocol: 'tcp' | 'udp') => [...new Set(ports.filter((p) => p.protocol === protocol && p.port > 0).map((p) => p.port))].sort((a, b) => a - b);
  const part = (protocol: 'tcp' | 'udp', list: number[]) => (list.length === 1 ? `${protocol} port ${list[0]}` : `${protocol} and (${list.map((p) => `port ${p}`).join(' or ')})`);
  const parts = (['tcp', 'udp'] as const).filter((p) => of(p).length).map((p) => part(p, of(p)));
  if (parts.length) return parts.length === 1 ? parts[0] : parts.map((x) => `(${x})`).join(' or ');
  const skip = [...new Set(exclude)].sort((a, b) => a - b);
  return skip.length ? `not (${skip.map((p) => `port ${p}`).join(' or ')})` : '';
}
