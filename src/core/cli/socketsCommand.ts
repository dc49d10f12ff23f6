// `socket-lab sockets [--pid P] [--port N] [--state S] [--protocol tcp|udp|unix] [--json]`
import { filterSockets, parseStateFilter, readSocketTable, type SocketFilter } from '../ossockets/socketTable';
import { formatEndpoint, type OsSocket } from '../ossockets/types';
import { type CliIo, describe, parseVerbArgs, readOptions, UsageError } from './cliIo';

export const socketsUsage = `Usage: socket-lab sockets [--pid P] [--port N] [--state S] [--protocol tcp|udp|unix] [--json]

Lists the machine's TCP, UDP and Unix sockets with state, queues and owning process.
  --pid P       only process P and its children
  --port N      only sockets whose local or remote port is N
  --state S     LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT, FIN_WAIT1 … (any case)
  --protocol    tcp, udp or unix
  --json        one JSON array, for scripts
`;

const socketsOptions = {
  pid: { type: 'string' },
  port: { type: 'string' },
  state: { type: 'string' },
  protocol: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseSocketsArgs(argv: string[]): { filter: SocketFilter; json: boolean } | { error: string } | 'help' {
  let parsed;
  try {
    // sockets has always read `--json=…` and `--help=…` as the bare flag: scripts may rely on it
    const args = argv.map((a) => (/^--(json|help)=/.test(a) ? a.slice(0, a.indexOf('=')) : a));
    // a value option last reads as an empty value, which its check below refuses with its own sentence
    parsed = parseVerbArgs('sockets', args, socketsOptions, () => '');
    if (parsed.positionals.length) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  } catch (e) {
    return { error: describe(e).message };
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const filter: SocketFilter = {};
  for (const flag of ['pid', 'port'] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    const max = flag === 'port' ? 65535 : 2 ** 31;
    if (!/^\d+$/.test(v) || Number(v) > max) return { error: `--${flag} needs a number${flag === 'port' ? ' from 0 to 65535' : ''}, got "${v}"` };
    filter[flag] = Number(v);
  }
  const { state, protocol } = values;
  if (state !== undefined && !parseStateFilter(state)) return { error: `--state: unknown state "${state}" (try LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT)` };
  if (state !== undefined) filter.state = state;
  if (protocol !== undefined && protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'unix') return { error: `--protocol must be tcp, udp or unix, got "${protocol}"` };
  if (protocol !== undefined) filter.protocol = protocol;
  return { filter, json: !!values.json };
}

function endpoint(s: OsSocket, side: 'local' | 'remote'): string {
  if (s.protocol === 'unix') return side === 'local' ? (s.path ?? '(unnamed)') : '';
  return side === 'local' ? formatEndpoint(s.localAddress, s.localPort) : formatEndpoint(s.remoteAddress, s.remotePort);
}

export function formatSocketTable(rows: OsSocket[]): string {
  const head = ['PROTO', 'STATE', 'LOCAL', 'REMOTE', 'SEND-Q', 'RECV-Q', 'PID', 'COMMAND'];
  const cells = rows.map((s) => [
    s.protocol + (s.family === 6 ? '6' : ''),
    s.state,
    endpoint(s, 'local'),
    endpoint(s, 'remote'),
    String(s.txQueue),
    String(s.rxQueue),
    s.pid === undefined ? '-' : String(s.pid),
    s.command ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [head, ...cells].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export async function runSocketsCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = readOptions('sockets', socketsUsage, io, () => parseSocketsArgs(argv));
  if (typeof parsed === 'number') return parsed;
  const table = await readSocketTable({ bytes: true });
  const rows = filterSockets(table, parsed.filter);
  if (table.warning) io.err(`socket-lab sockets: ${table.warning}\n`);
  io.out(parsed.json ? JSON.stringify(rows, null, 2) + '\n' : formatSocketTable(rows));
  return 0;
}
