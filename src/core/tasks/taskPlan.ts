// What a `socketLab` task in tasks.json asks for, checked: `{ "type": "socketLab", "server": "tcp", "port": 9000,
// "mode": "echo" }` or `{ "type": "socketLab", "connect": "tcp", "host": "…", "port": … }` (udp, tls, unix with "path" too;
// tls takes cert/key on a server, servername/insecure/ca on a client, read by the vscode layer).
import { formatAddress } from '../errors';
import { checkPort } from '../sessions/sessionManager';
import { serverModes, type ServerMode } from '../sessions/session';

export type TaskTransport = 'tcp' | 'udp' | 'unix' | 'tls';
export const taskTransports: readonly TaskTransport[] = ['tcp', 'udp', 'unix', 'tls'];

export type SocketLabTaskPlan =
  | { readonly role: 'server' | 'client'; readonly transport: 'tcp' | 'udp' | 'tls'; readonly host: string; readonly port: number; readonly mode: ServerMode }
  | { readonly role: 'server' | 'client'; readonly transport: 'unix'; readonly path: string; readonly mode: ServerMode };

/** What is wrong with a definition; the vscode layer turns it into a sentence with the fix. */
export type TaskProblem = 'role' | 'transport' | 'path' | 'port' | 'mode';

export class TaskDefinitionError extends Error {
  constructor(
    readonly problem: TaskProblem,
    readonly value: string,
  ) {
    super(`socketLab task: bad ${problem} "${value}"`);
  }
}

const shown = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v) ?? '');

/** Checks a task definition. Servers bind 127.0.0.1 unless told otherwise; the mode defaults to print, as `socket-lab listen`. */
export function planTask(def: Readonly<Record<string, unknown>>): SocketLabTaskPlan {
  if ((def.server === undefined) === (def.connect === undefined)) throw new TaskDefinitionError('role', '');
  const role = def.server !== undefined ? 'server' : 'client';
  const transport = role === 'server' ? def.server : def.connect;
  if (!taskTransports.includes(transport as TaskTransport)) throw new TaskDefinitionError('transport', shown(transport));
  const m = def.mode ?? 'print';
  if (m !== 'print' && !(serverModes as readonly unknown[]).includes(m)) throw new TaskDefinitionError('mode', shown(m));
  const mode: ServerMode = m === 'print' ? 'print-only' : (m as ServerMode);
  if (transport === 'unix') {
    if (typeof def.path !== 'string' || def.path.trim() === '') throw new TaskDefinitionError('path', shown(def.path));
    return { role, transport, path: def.path.trim(), mode };
  }
  let port: number;
  try {
    // a server may ask for port 0 (the OS picks one and the task prints it); a client needs a real port
    port = checkPort(def.port, role === 'server');
  } catch {
    throw new TaskDefinitionError('port', shown(def.port));
  }
  const host = typeof def.host === 'string' && def.host.trim() ? def.host.trim() : '127.0.0.1';
  return { role, transport: transport as 'tcp' | 'udp' | 'tls', host, port, mode };
}

/** "tcp server 127.0.0.1:9000, mode echo": the first line of the task's terminal. */
export function planSummary(plan: SocketLabTaskPlan): string {
  const where = plan.transport === 'unix' ? plan.path : formatAddress(plan.host, plan.port);
  return `${plan.transport} ${plan.role} ${where}, mode ${plan.mode === 'print-only' ? 'print' : plan.mode}`;
}
