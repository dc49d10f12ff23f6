// The UDP options of `listen udp` and `send udp`: broadcast (SO_BROADCAST) and multicast (joins, source-specific
// joins, the interface, TTL/hops, loopback), for the UdpSession options they become.
import { isLoopback } from '../sessions/loopback';
import { isMulticast, type UdpSessionOptions } from '../sessions/udpSession';
import { type CliTarget, UsageError } from './cliIo';

export const udpOptionSpecs = {
  broadcast: { type: 'boolean', default: false },
  join: { type: 'string' },
  source: { type: 'string' },
  interface: { type: 'string' },
  ttl: { type: 'string' },
  'no-loop': { type: 'boolean', default: false },
} as const;

export const listenUdpUsage = `  --join G1,G2         udp: join these multicast groups (224.0.0.0/4, ff00::/8); bind ADDR 0.0.0.0:PORT or [::]:PORT
  --source S           udp: a source-specific join: only what S sends to the groups
  --interface I        udp: the local address (IPv4) or ::%name (IPv6) to join on
  --broadcast          udp: SO_BROADCAST
`;
export const sendUdpUsage = `  --broadcast          udp: SO_BROADCAST, needed to send to a broadcast address (else the kernel refuses: EACCES)
  --interface I        udp: the local address (IPv4) or ::%name (IPv6) that multicast leaves from
  --ttl N              udp: multicast TTL / IPv6 hops (default 1: this network only)
  --no-loop            udp: this machine's own group members do not get the datagram (IP_MULTICAST_LOOP off)
`;

type UdpValues = { broadcast?: boolean; join?: string; source?: string; interface?: string; ttl?: string; 'no-loop'?: boolean };

/** The UdpSession options the flags ask for; a flag that does not apply is a usage error. */
export function parseUdpArgs(verb: 'listen' | 'send', target: CliTarget, v: UdpValues): Partial<UdpSessionOptions> {
  const given = (['join', 'source', 'interface', 'ttl'] as const).filter((k) => v[k] !== undefined).concat(v.broadcast ? ['broadcast' as never] : [], v['no-loop'] ? ['no-loop' as never] : []);
  if (target.proto !== 'udp') {
    if (given.length) throw new UsageError(`--${given[0]} applies to udp only`);
    return {};
  }
  const onlyFor = (flag: string, what: 'listen' | 'send') => {
    if (verb !== what) throw new UsageError(`--${flag} applies to ${what} udp`);
  };
  const out: Partial<UdpSessionOptions> = { broadcast: v.broadcast || undefined };
  if (v.join !== undefined) {
    onlyFor('join', 'listen');
    const groups = v.join.split(',').map((g) => g.trim()).filter(Boolean);
    const bad = groups.find((g) => !isMulticast(g));
    if (bad || !groups.length) throw new UsageError(`--join wants multicast groups (224.0.0.0/4, ff00::/8), got "${bad ?? v.join}"`);
    // a group's datagrams are addressed to the group: a socket bound to loopback never sees them
    if (target.host && isLoopback(target.host)) throw new UsageError(`a socket bound to ${target.host} does not receive a group's datagrams — listen on 0.0.0.0:${target.port} (or [::]:${target.port}) with --join`);
    out.join = groups.map((group) => ({ group, source: v.source, interface: v.interface }));
    out.reuseAddr = true;
  } else if (v.source !== undefined) throw new UsageError('--source needs --join');
  if (v.ttl !== undefined) {
    onlyFor('ttl', 'send');
    const ttl = /^\d+$/.test(v.ttl) ? Number(v.ttl) : NaN;
    if (!(ttl >= 0 && ttl <= 255)) throw new UsageError(`--ttl wants a whole number from 0 to 255, got "${v.ttl}"`);
    out.multicastTtl = ttl;
  }
  if (v['no-loop']) {
    onlyFor('no-loop', 'send');
    out.multicastLoopback = false;
  }
  if (v.interface !== undefined && verb === 'send') out.multicastInterface = v.interface;
  return out;
}
