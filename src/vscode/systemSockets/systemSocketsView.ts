// The System Sockets view: every socket on the machine grouped by process, plus the programs Socket Lab runs.
import * as vscode from 'vscode';
import type { ProgramWatchManager } from '../../core/programs/programWatcher';
import { filterSockets, readSocketTableShared, type SocketFilter, type SocketTable } from '../../core/ossockets/socketTable';
import { parseFilterText } from '../../core/ossockets/filterText';
import { captureArgs, connectableHost, describeSocket } from '../../core/ossockets/socketText';
import type { OsSocket } from '../../core/ossockets/types';
import { isProgramNode, programChildren, programNode, programRoots, programTreeItem, type ProgramNode, type ProgramSocketFilter } from './programNodes';
import { socketItem } from './socketItem';
import { registerCommand } from '../commands';

type ProcessNode = { kind: 'process'; key: string; pid?: number; command: string; cmdline?: string; sockets: OsSocket[]; noOwner?: 'timewait' | 'hidden' };
type Node =
  | ProgramNode
  | ProcessNode
  | { kind: 'socket'; socket: OsSocket }
  | { kind: 'message'; text: string };

/** Everything a process row and its socket rows show: equal text means nothing to refresh. */
function rowsText(g: ProcessNode): string {
  return `${g.command}|${g.cmdline ?? ''}|${g.sockets.map((s) => `${s.protocol}${s.family}|${s.localAddress}:${s.localPort}|${s.remoteAddress}:${s.remotePort}|${s.path ?? ''}|${s.state}|${s.rxQueue}|${s.txQueue}|${s.bytesSent ?? ''}|${s.bytesReceived ?? ''}|${s.command ?? ''}`).join(';')}`;
}

export class SystemSocketsProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<Node | Node[] | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private table: SocketTable | undefined;
  /** What the filter box says ('' = everything), and the parsed filter. */
  filterText = '';
  private filter: SocketFilter = {};
  private error: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private readonly subs: vscode.Disposable[] = [];
  /** The process rows shown, kept as the same objects so one row can be refreshed alone. */
  private groups: ProcessNode[] = [];
  private shownText = new Map<string, string>();
  private shownError: string | undefined;
  /** How many refreshes were sent to VS Code (a test checks that an unchanged table sends none). */
  refreshCount = 0;

  constructor(private readonly programs: ProgramWatchManager) {
    this.subs.push({
      dispose: programs.onDidChange((w) => {
        // a filtered view may gain or lose the run's row; otherwise only that run's rows change
        this.fire(w && !this.filterText ? [programNode(w)] : undefined);
      }).dispose,
    });
  }

  private fire(e: Node | Node[] | undefined): void {
    this.refreshCount++;
    this._onDidChangeTreeData.fire(e);
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
      this.table = await readSocketTableShared({ bytes: true, unix: vscode.workspace.getConfiguration('socketLab.systemSockets').get<boolean>('showUnixSockets', false) });
      this.error = this.table.warning;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.reading = false;
    }
    this.update(false);
  }

  /**
   * Rebuilds the process rows and tells VS Code only what changed: nothing when the table shows the same (a refreshed
   * row loses its open tooltip and its click), one row when one process's sockets changed, the tree when rows came or went.
   */
  private update(force: boolean): void {
    const next = this.buildGroups();
    const keys = (gs: ProcessNode[]) => gs.map((g) => g.key).join('|');
    if (force || this.error !== this.shownError || keys(next) !== keys(this.groups)) {
      this.groups = next;
      this.shownError = this.error;
      this.shownText = new Map(next.map((g) => [g.key, rowsText(g)]));
      this.fire(undefined);
      return;
    }
    const changed: Node[] = [];
    next.forEach((g, i) => {
      const text = rowsText(g);
      if (this.shownText.get(g.key) === text) return;
      this.shownText.set(g.key, text);
      Object.assign(this.groups[i], g);
      changed.push(this.groups[i]);
    });
    if (changed.length) this.fire(changed);
  }

  setFilter(text: string, filter: SocketFilter): void {
    this.filterText = text;
    this.filter = filter;
    this.update(true);
  }

  /** The filter applied to a run's sockets (undefined: no filter, every run shows). */
  private programFilter(): ProgramSocketFilter | undefined {
    if (!this.filterText) return undefined;
    return (sockets) => filterSockets({ sockets: [...sockets], processes: this.table?.processes ?? new Map() }, this.filter);
  }

  /** The last table read (for tests and the CodeLens live state). */
  get snapshot(): SocketTable | undefined {
    return this.table;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.roots();
    if (isProgramNode(node)) return programChildren(node, this.programFilter());
    if (node.kind === 'process') return node.sockets.map((socket) => ({ kind: 'socket', socket }));
    return [];
  }

  private roots(): Node[] {
    // the filter hides Socket Lab's own runs too, unless one of their sockets matches
    const out: Node[] = programRoots(this.programs, this.programFilter());
    if (this.error) out.push({ kind: 'message', text: this.error });
    return [...out, ...this.groups];
  }

  private buildGroups(): ProcessNode[] {
    if (!this.table) return [];
    const groups = new Map<string, ProcessNode>();
    for (const s of filterSockets(this.table, this.filter)) {
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
    return [...groups.values()].sort((a, b) => (a.noOwner ? 1 : 0) - (b.noOwner ? 1 : 0) || a.command.localeCompare(b.command) || (a.pid ?? 0) - (b.pid ?? 0));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (isProgramNode(node)) return programTreeItem(node);
    switch (node.kind) {
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

/** The socket behind a clicked tree item, from this view or from a program group in Connections. */
function socketFrom(arg: unknown): OsSocket | undefined {
  const a = arg as { kind?: string; socket?: OsSocket } | undefined;
  return a?.kind === 'socket' || a?.kind === 'program-socket' ? a.socket : undefined;
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
  registerCommand(context, 'socketLab.systemSockets.filter', async (arg?: unknown) => {
    const given = typeof arg === 'string' ? arg : (arg as { filter?: unknown } | undefined)?.filter;
    const text =
      typeof given === 'string'
        ? given
        : await vscode.window.showInputBox({
            title: vscode.l10n.t('Filter System Sockets'),
            prompt: vscode.l10n.t('For example: port 8000 · state listen · pid 1234 · tcp. Empty shows everything.'),
            value: provider.filterText,
            validateInput: (v) => {
              const r = parseFilterText(v);
              return 'error' in r ? vscode.l10n.t('Not a filter: {0}', r.error) : undefined;
            },
          });
    if (text === undefined) return;
    const parsed = parseFilterText(text);
    if ('error' in parsed) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Not a filter: {0}', parsed.error));
      return;
    }
    provider.setFilter(text.trim(), parsed);
    // a message above the rows, not the header's description, so the view keeps its plain title
    view.message = text.trim() ? vscode.l10n.t('Filtered: {0}', text.trim()) : undefined;
  });
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

