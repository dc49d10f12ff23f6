// The System Sockets view: every socket on the machine grouped by process, plus the programs Socket Lab runs.
import * as vscode from 'vscode';
import type { ProgramWatch, ProgramWatchManager } from '../../core/ossockets/programWatcher';
import { readSocketTable, type SocketTable } from '../../core/ossockets/socketTable';
import { formatEndpoint, type OsSocket } from '../../core/ossockets/types';
import { registerCommand } from '../commands';

type Node =
  | { kind: 'program'; watch: ProgramWatch }
  | { kind: 'summary'; text: string; icon: string; tooltip?: string }
  | { kind: 'process'; key: string; pid?: number; command: string; cmdline?: string; sockets: OsSocket[]; noOwner?: 'timewait' | 'hidden' }
  | { kind: 'socket'; socket: OsSocket }
  | { kind: 'message'; text: string };

/** An address a local client can connect to: the wildcard listeners are reachable on loopback. */
export function connectableHost(address: string): string {
  if (address === '' || address === '0.0.0.0' || address === '*') return '127.0.0.1';
  if (address === '::') return '::1';
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost' || /^::ffff:127\./.test(address);
}

/** Arguments for `socketLab.capture.start` that capture one port (loopback traffic needs the loopback interface). */
export function captureArgs(port: number, protocol: 'tcp' | 'udp', address?: string): { filter: string; interface?: string } {
  const filter = `${protocol} port ${port}`;
  const loop = address === undefined || address === '' || address === '0.0.0.0' || address === '::' || isLoopback(address);
  if (loop && process.platform === 'linux') return { filter, interface: 'lo' };
  if (loop && process.platform === 'darwin') return { filter, interface: 'lo0' };
  return { filter };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const stateIcon: Record<string, [string, string?]> = {
  LISTEN: ['radio-tower', 'charts.green'],
  ESTABLISHED: ['arrow-swap', 'charts.blue'],
  TIME_WAIT: ['watch', 'charts.yellow'],
  CLOSE_WAIT: ['warning', 'charts.orange'],
  SYN_SENT: ['loading'],
  UNCONN: ['broadcast'],
  CONNECTED: ['link'],
};

function explain(state: string): string | undefined {
  switch (state) {
    case 'TIME_WAIT':
      return vscode.l10n.t('TIME_WAIT: this side closed first, so the OS keeps the port for a minute or two to catch late packets. A server restarted now gets "Address already in use" unless it sets SO_REUSEADDR before bind(), which allows binding while old connections wait.');
    case 'CLOSE_WAIT':
      return vscode.l10n.t('CLOSE_WAIT: the peer has closed its side, and this program has not closed the socket yet. Call close() when recv() returns empty; many CLOSE_WAIT sockets mean a missing close().');
    case 'LISTEN':
      return vscode.l10n.t('LISTEN: waiting for connections; each accept() takes one from the queue (Recv-Q shows connections waiting to be accepted).');
    case 'FIN_WAIT2':
      return vscode.l10n.t('FIN_WAIT2: this side closed and the peer acknowledged; waiting for the peer to close its side too.');
    case 'SYN_SENT':
      return vscode.l10n.t('SYN_SENT: connecting; no answer from the peer yet.');
    default:
      return undefined;
  }
}

export class SystemSocketsProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private table: SocketTable | undefined;
  private error: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly programs: ProgramWatchManager) {
    this.subs.push({ dispose: programs.onDidChange(() => this._onDidChangeTreeData.fire(undefined)).dispose });
  }

  /** Polls only while the view is visible: reading every process's fds costs CPU nobody looks at otherwise. */
  setVisible(visible: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!visible) return;
    void this.refresh();
    const ms = Math.max(500, vscode.workspace.getConfiguration('socketLab.systemSockets').get<number>('refreshInterval', 2000));
    this.timer = setInterval(() => void this.refresh(), ms);
  }

  async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      this.table = await readSocketTable({ bytes: true, unix: vscode.workspace.getConfiguration('socketLab.systemSockets').get<boolean>('showUnixSockets', false) });
      this.error = this.table.warning;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.reading = false;
    }
    this._onDidChangeTreeData.fire(undefined);
  }

  /** The last table read (for tests and the CodeLens live state). */
  get snapshot(): SocketTable | undefined {
    return this.table;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.roots();
    if (node.kind === 'program') return this.programChildren(node.watch);
    if (node.kind === 'process') return node.sockets.map((socket) => ({ kind: 'socket', socket }));
    return [];
  }

  private roots(): Node[] {
    const out: Node[] = this.programs.all().map((watch) => ({ kind: 'program', watch }));
    if (this.error) out.push({ kind: 'message', text: this.error });
    if (!this.table) return out;
    const groups = new Map<string, Extract<Node, { kind: 'process' }>>();
    for (const s of this.table.sockets) {
      const key = s.pid !== undefined ? `pid:${s.pid}` : s.inode === 0 ? 'timewait' : 'hidden';
      let g = groups.get(key);
      if (!g) {
        g = s.pid !== undefined
          ? { kind: 'process', key, pid: s.pid, command: s.command ?? '?', cmdline: s.cmdline, sockets: [] }
          : { kind: 'process', key, command: '', sockets: [], noOwner: key as 'timewait' | 'hidden' };
        groups.set(key, g);
      }
      g.sockets.push(s);
    }
    const order = (s: OsSocket) => (s.state === 'LISTEN' ? 0 : s.state === 'ESTABLISHED' ? 1 : 2);
    for (const g of groups.values()) g.sockets.sort((a, b) => order(a) - order(b) || a.localPort - b.localPort);
    const list = [...groups.values()].sort((a, b) => (a.noOwner ? 1 : 0) - (b.noOwner ? 1 : 0) || a.command.localeCompare(b.command) || (a.pid ?? 0) - (b.pid ?? 0));
    return [...out, ...list];
  }

  private programChildren(w: ProgramWatch): Node[] {
    if (w.state === 'running') {
      if (w.sockets.length === 0) return [{ kind: 'summary', icon: 'info', text: vscode.l10n.t('No sockets yet') }];
      return w.sockets.map((socket) => ({ kind: 'socket', socket }));
    }
    const s = w.summary();
    const out: Node[] = [{ kind: 'summary', icon: 'arrow-swap', text: vscode.l10n.t('{0} connections', s.connections) }];
    if (s.bytesSent !== undefined || s.bytesReceived !== undefined) {
      out.push({ kind: 'summary', icon: 'dashboard', text: vscode.l10n.t('sent {0}, received {1}', formatBytes(s.bytesSent ?? 0), formatBytes(s.bytesReceived ?? 0)) });
    }
    if (s.listenPorts.length) out.push({ kind: 'summary', icon: 'radio-tower', text: vscode.l10n.t('listened on port {0}', s.listenPorts.join(', ')) });
    if (s.errors.length) out.push({ kind: 'summary', icon: 'error', text: vscode.l10n.t('errors: {0}', s.errors.join(', ')) });
    if (s.exitCode !== undefined && s.exitCode !== null) out.push({ kind: 'summary', icon: 'debug-stop', text: vscode.l10n.t('exit code {0}', s.exitCode) });
    return out;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'program': {
        const w = node.watch;
        const running = w.state === 'running';
        const item = new vscode.TreeItem(w.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `program:${w.startedAt}:${w.label}`;
        item.description = running ? vscode.l10n.t('running · pid {0}', w.pid ?? '…') : vscode.l10n.t('stopped');
        item.iconPath = new vscode.ThemeIcon(running ? 'play-circle' : 'circle-slash', new vscode.ThemeColor(running ? 'charts.green' : 'disabledForeground'));
        item.contextValue = running ? 'socketLabProgram.running' : 'socketLabProgram.stopped';
        return item;
      }
      case 'summary': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
      case 'process': {
        const label = node.noOwner === 'timewait' ? vscode.l10n.t('No owning process (closing)') : node.noOwner === 'hidden' ? vscode.l10n.t('Owner not visible') : node.command;
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `process:${node.key}`;
        item.description = node.pid !== undefined ? vscode.l10n.t('pid {0} · {1} sockets', node.pid, node.sockets.length) : vscode.l10n.t('{0} sockets', node.sockets.length);
        item.tooltip = node.noOwner === 'timewait'
          ? vscode.l10n.t('Sockets in TIME_WAIT belong to no process any more: the program closed them and the OS keeps the port reserved briefly.')
          : node.noOwner === 'hidden'
            ? vscode.l10n.t('These sockets belong to another user\'s processes; the OS does not say which.')
            : node.cmdline || node.command;
        item.iconPath = new vscode.ThemeIcon(node.pid !== undefined ? 'terminal' : 'question');
        return item;
      }
      case 'socket':
        return socketItem(node.socket);
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this._onDidChangeTreeData.dispose();
    for (const s of this.subs.splice(0)) s.dispose();
  }
}

function socketLabel(s: OsSocket): string {
  if (s.protocol === 'unix') return `unix ${s.path ?? vscode.l10n.t('(unnamed)')}`;
  return `${s.protocol}${s.family === 6 ? '6' : ''} ${formatEndpoint(s.localAddress, s.localPort)}`;
}

export function socketItem(s: OsSocket): vscode.TreeItem {
  const item = new vscode.TreeItem(socketLabel(s));
  const parts: string[] = [s.state];
  if (s.protocol !== 'unix' && s.remotePort !== 0) parts.push(`→ ${formatEndpoint(s.remoteAddress, s.remotePort)}`);
  if (s.bytesSent !== undefined || s.bytesReceived !== undefined) parts.push(`↑${formatBytes(s.bytesSent ?? 0)} ↓${formatBytes(s.bytesReceived ?? 0)}`);
  if (s.rxQueue || s.txQueue) parts.push(vscode.l10n.t('queues {0}/{1}', s.rxQueue, s.txQueue));
  item.description = parts.join(' ');
  const [icon, color] = stateIcon[s.state] ?? ['circle-outline'];
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.contextValue = `systemSocket.${s.protocol}.${s.state}`;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${socketLabel(s)}** — ${s.state}\n\n`);
  if (s.protocol !== 'unix') md.appendMarkdown(vscode.l10n.t('Remote: {0}', formatEndpoint(s.remoteAddress, s.remotePort)) + '  \n');
  md.appendMarkdown(vscode.l10n.t('Recv-Q {0} · Send-Q {1}', s.rxQueue, s.txQueue) + '  \n');
  if (s.pid !== undefined) md.appendMarkdown(vscode.l10n.t('Process: {0} (pid {1})', s.command ?? '?', s.pid) + '  \n');
  const why = explain(s.state);
  if (why) md.appendMarkdown(`\n${why}`);
  item.tooltip = md;
  return item;
}

export function describeSocket(s: OsSocket): string {
  const local = s.protocol === 'unix' ? (s.path ?? '') : formatEndpoint(s.localAddress, s.localPort);
  const remote = s.protocol !== 'unix' && s.remotePort ? ` -> ${formatEndpoint(s.remoteAddress, s.remotePort)}` : '';
  const owner = s.pid !== undefined ? ` pid ${s.pid} ${s.command ?? ''}`.trimEnd() : '';
  return `${s.protocol} ${local}${remote} ${s.state}${owner}`;
}

function socketFrom(arg: unknown): OsSocket | undefined {
  const a = arg as { kind?: string; socket?: OsSocket } | undefined;
  return a?.kind === 'socket' ? a.socket : undefined;
}

/** Registers the view and its commands; returns the provider so others can read its snapshot. */
export function registerSystemSocketsView(context: vscode.ExtensionContext, programs: ProgramWatchManager): SystemSocketsProvider {
  const provider = new SystemSocketsProvider(programs);
  const view = vscode.window.createTreeView('socketLab.systemSockets', { treeDataProvider: provider, showCollapseAll: true });
  context.subscriptions.push(provider, view, view.onDidChangeVisibility((e) => provider.setVisible(e.visible)));
  if (view.visible) provider.setVisible(true);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('socketLab.systemSockets')) provider.setVisible(view.visible);
    }),
  );

  registerCommand(context, 'socketLab.systemSockets.refresh', () => provider.refresh());
  registerCommand(context, 'socketLab.systemSockets.connect', async (arg?: unknown) => {
    const s = socketFrom(arg);
    if (!s || s.protocol !== 'tcp' || s.state !== 'LISTEN') {
      void vscode.window.showWarningMessage(vscode.l10n.t('Pick a listening TCP socket to connect to.'));
      return;
    }
    return vscode.commands.executeCommand('socketLab.tcp.connect', { host: connectableHost(s.localAddress), port: s.localPort });
  });
  registerCommand(context, 'socketLab.systemSockets.capture', async (arg?: unknown) => {
    const s = socketFrom(arg);
    if (!s || s.protocol === 'unix') {
      void vscode.window.showWarningMessage(vscode.l10n.t('Unix domain sockets never reach a network interface, so there is nothing to capture.'));
      return;
    }
    return vscode.commands.executeCommand('socketLab.capture.start', captureArgs(s.localPort, s.protocol, s.localAddress));
  });
  registerCommand(context, 'socketLab.systemSockets.copy', async (arg?: unknown) => {
    const s = socketFrom(arg);
    if (!s) return;
    await vscode.env.clipboard.writeText(describeSocket(s));
  });
  return provider;
}

