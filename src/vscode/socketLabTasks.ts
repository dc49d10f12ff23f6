// The `socketLab` task type: a Socket Lab server or client started from tasks.json (e.g. as a preLaunchTask),
// shown in Connections like any other session. The task ends when the session closes; stopping the task closes it.
import * as vscode from 'vscode';
import { formatAddress } from '../core/errors';
import { isLoopback, type Session, type SessionManager } from '../core/sessions/sessionManager';
import { planSummary, planTask, TaskDefinitionError, type SocketLabTaskPlan } from '../core/tasks/taskPlan';
import { userMessage } from './connections/sessionCommands';
import { tlsConnectArgs, tlsServerArgs } from './connections/tlsCommands';

export const socketLabTaskType = 'socketLab';

/** Asks before binding an address other machines can reach (the Start TCP Server command's question). */
export type ConfirmBind = (host: string) => Promise<boolean>;

function problemSentence(e: TaskDefinitionError): string {
  switch (e.problem) {
    case 'role':
      return vscode.l10n.t('A socketLab task needs either "server" or "connect" (one of tcp, udp, unix, tls), not both.');
    case 'transport':
      return vscode.l10n.t('"{0}" is not a transport: use tcp, udp, unix or tls.', e.value);
    case 'path':
      return vscode.l10n.t('A unix socketLab task needs "path", the socket file (e.g. /tmp/socket-lab.sock).');
    case 'port':
      return vscode.l10n.t('"{0}" is not a port: use a whole number from 1 to 65535 (0 lets a server pick a free one).', e.value);
    case 'mode':
      return vscode.l10n.t('"{0}" is not a mode: use print, echo, upper, sink or manual.', e.value);
  }
}

const dim = (t: string) => `\x1b[2m${t}\x1b[0m`;

/** The task's terminal: prints what happens to its session, and closes the session when the task is stopped. */
class SocketLabTaskTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidClose = this.closeEmitter.event;
  private readonly subs: vscode.Disposable[] = [];
  private session: Session | undefined;
  private ended = false;

  constructor(
    private readonly definition: Readonly<Record<string, unknown>>,
    private readonly manager: SessionManager,
    private readonly confirmBind: ConfirmBind,
  ) {}

  private line(text: string): void {
    if (!this.ended) this.writeEmitter.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  /** Ends the task; a line starting with ✗ (a failure) or ● (ready) also ends the background matcher's wait. */
  private end(code: number, text: string): void {
    if (this.ended) return;
    this.line(text);
    this.ended = true;
    for (const s of this.subs.splice(0)) s.dispose();
    this.closeEmitter.fire(code);
  }

  open(): void {
    void this.start();
  }

  private async start(): Promise<void> {
    // tasks do not run in Restricted Mode; this is the second lock on the same door
    if (!vscode.workspace.isTrusted) {
      return this.end(1, `✗ ${vscode.l10n.t('{0} needs a trusted workspace. Trust this folder (Manage Workspace Trust) and try again.', vscode.l10n.t('A socketLab task'))}`);
    }
    let plan: SocketLabTaskPlan;
    try {
      plan = planTask(this.definition);
    } catch (e) {
      return this.end(2, `✗ ${e instanceof TaskDefinitionError ? problemSentence(e) : userMessage(e)}`);
    }
    this.line(dim(`$ socketLab ${planSummary(plan)}`));
    if (plan.role === 'server' && plan.transport !== 'unix' && !isLoopback(plan.host) && !(await this.confirmBind(plan.host))) {
      return this.end(1, `✗ ${vscode.l10n.t('Not started: listening on {0} was not confirmed.', plan.host)}`);
    }
    if (this.ended) return; // the task was stopped while the question was open
    try {
      this.session = await this.startSession(plan);
    } catch (e) {
      return this.end(1, `✗ ${userMessage(e)}`);
    }
    const s = this.session;
    if (this.ended) return s.close();
    // the server's connections still open: each is announced once when it comes and once when it goes
    const open = new Set<string>();
    this.subs.push(
      this.manager.onDidChange(({ session, kind }) => {
        if (!session) return;
        if (session === s && kind === 'state' && !s.isAlive) return this.finished(s);
        if (session.parentId !== s.id) return;
        if (kind === 'added') {
          open.add(session.id);
          this.line(vscode.l10n.t('connection from {0}', session.label));
        } else if (kind === 'state' && !session.isAlive && open.delete(session.id)) {
          this.line(dim(vscode.l10n.t('{0} closed ({1} bytes in, {2} out)', session.label, session.stats.bytesIn, session.stats.bytesOut)));
        }
      }),
    );
    const where = s.kind === 'unix-server' || s.kind === 'unix-client' ? (s.path ?? s.label) : formatAddress(s.localAddress, s.localPort);
    this.line(
      plan.role === 'server'
        ? `● ${vscode.l10n.t('Listening on {0} ({1}). Stop this task, or close the session in Connections, to end it.', where, s.mode)}`
        : `● ${vscode.l10n.t('Connected to {0} ({1}). Stop this task, or close the session in Connections, to end it.', s.label, s.mode)}`,
    );
    if (!s.isAlive) this.finished(s);
  }

  private startSession(plan: SocketLabTaskPlan): Promise<Session> {
    const { mode } = plan;
    if (plan.transport === 'unix') return plan.role === 'server' ? this.manager.startUnixServer({ path: plan.path, mode }) : this.manager.connectUnix({ path: plan.path, mode });
    const { host, port } = plan;
    if (plan.transport === 'udp') return plan.role === 'server' ? this.manager.openUdp({ host, port, mode }) : this.manager.openUdp({ remoteHost: host, remotePort: port, mode });
    if (plan.transport === 'tls') {
      return plan.role === 'server' ? this.manager.startTlsServer({ host, port, mode, ...tlsServerArgs(this.definition) }) : this.manager.connectTls({ host, port, mode, ...tlsConnectArgs(this.manager, this.definition, port) });
    }
    return plan.role === 'server' ? this.manager.startTcpServer({ host, port, mode }) : this.manager.connectTcp({ host, port, mode });
  }

  private finished(s: Session): void {
    const { bytesIn, bytesOut } = s.stats;
    const why = s.error ? userMessage(s.error) : vscode.l10n.t('the session was closed');
    this.end(s.error ? 1 : 0, dim(vscode.l10n.t('Ended: {0} ({1} bytes in, {2} out).', why, bytesIn, bytesOut)));
  }

  /** The task was stopped or its terminal closed: the session closes with it. */
  close(): void {
    this.ended = true;
    for (const s of this.subs.splice(0)) s.dispose();
    this.session?.close();
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}

export function registerSocketLabTasks(context: vscode.ExtensionContext, manager: SessionManager, confirmBind: ConfirmBind): void {
  const execution = (def: vscode.TaskDefinition) =>
    new vscode.CustomExecution(async (resolved) => new SocketLabTaskTerminal(resolved ?? def, manager, confirmBind));
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(socketLabTaskType, {
      // nothing to detect: socketLab tasks are the ones written in tasks.json
      provideTasks: () => [],
      resolveTask(task) {
        const def = task.definition;
        const t = new vscode.Task(def, task.scope ?? vscode.TaskScope.Workspace, task.name, socketLabTaskType, execution(def), ['$socketLab']);
        // a server never exits on its own: as a preLaunchTask it counts as ready once its ● line is printed
        t.isBackground = true;
        return t;
      },
    }),
  );
}
