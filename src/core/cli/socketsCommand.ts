// `socket-lab sockets [--pid P] [--port N] [--state S] [--protocol tcp|udp|unix] [--json]`
import { filterSockets, parseStateFilter, readSocketTable, type SocketFilter } from '../ossockets/socketTable';
import { formatEndpoint, type OsSocket } from '../ossockets/types';
import type { CliIo } from './cliIo';

export const socketsUsage = `Usage: socket-lab sockets [--pid P] [--port N] [--state S] [--protocol tcp|udp|unix] [--json]

Lists the machine's TCP, UDP and Unix sockets with state, queues and owning process.
  --pid P       only process P and its children
  --port N      only sockets whose local or remote port is N
  --state S     LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT, FIN_WAIT1 … (any case)
  --protocol    tcp, udp or unix
  --json        one JSON array, for scripts
`;

export function parseSocketsArgs(argv: string[]): { filter: SocketFilter; json: boolean } | { error: string } | 'help' {
  const filter: SocketFilter = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '-h' || flag === '--help') return 'help';
    if (flag === '--json') json = true;
    else if (flag === '--pid' || flag === '--port') {
      const v = value();
      const n = Number(v);
      const max = flag === '--port' ? 65535 : 2 ** 31;
      if (v === undefined || !/^\d+$/.test(v) || n > max) return { error: `${flag} needs a number${flag === '--port' ? ' from 0 to 65535' : ''}, got "${v ?? ''}"` };
      if (flag === '--pid') filter.pid = n;
      else filter.port = n;
    } else if (flag === '--state') {
      const v = value();
      if (v === undefined || !parseStateFilter(v)) return { error: `--state: unknown state "${v ?? ''}" (try LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT)` };
      filter.state = v;
    } else if (flag === '--protocol') {
      const v = value();
      if (v !== 'tcp' && v !== 'udp' && v !== 'unix') return { error: `--protocol must be tcp, udp or unix, got "${v ?? ''}"` };
      filter.protocol = v;
    } else return { error: `unknown option "${a}" (try socket-lab sockets --help)` };
  }
  return { filter, json };
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
  const parsed = parseSocketsArgs(argv);
  if (parsed === 'help') {
    io.out(socketsUsage);
    return 0;
  }
  if ('error' in parsed) {
    io.err(`socket-lab sockets: ${parsed.error}\n`);
    return 2;
  }
  const table = await readSocketTable({ bytes: true });
  const rows = filterSockets(table, parsed.filter);
  if (table.warning) io.err(`socket-lab sockets: ${table.warning}\n`);
  io.out(parsed.json ? JSON.stringify(rows, null, 2) + '\n' : formatSocketTable(rows));
  return 0;
}
