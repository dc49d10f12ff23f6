// Wires the Connections view, its badge, the status-bar item and the session commands to one SessionManager.
import * as vscode from 'vscode';
import { markDone } from '../commands';
import { checkEncoding } from '../../core/codec/encoding';
import type { SessionManager } from '../../core/sessions/sessionManager';
import type { SessionPanelManager } from '../panels/sessionPanel';
import type { ProgramWatchManager } from '../../core/programs/programWatcher';
import { ConnectionsTreeProvider } from './connectionsTreeProvider';
import { SessionCommands } from './sessionCommands';
import { SessionLogs } from './sessionLogs';
import { registerUdpGroupCommands } from './udpGroups';
import type { Session } from '../../core/sessions/session';
import { registerTls } from './tlsCommands';
import { registerWs } from './wsCommands';

export const transcriptSetting = 'transcript.maxBytes';

/** Ring size per session from `socketLab.transcript.maxBytes` (bounded to something sane). */
export function transcriptBytesFromSettings(): number {
  const v = vscode.workspace.getConfiguration('socketLab').get<number>(transcriptSetting, 4 * 1024 * 1024);
  return Math.min(Math.max(Number.isFinite(v) ? v : 4 * 1024 * 1024, 4096), 1024 * 1024 * 1024);
}

/** The budget for all transcripts together and the closed connections kept per server (settings, bounded). */
export function retentionFromSettings(): { transcriptBudgetBytes: number; closedChildrenKept: number } {
  const c = vscode.workspace.getConfiguration('socketLab');
  const total = c.get<number>('transcript.totalMaxBytes', 64 * 1024 * 1024);
  const kept = c.get<number>('transcript.closedConnectionsKept', 100);
  return {
    transcriptBudgetBytes: Math.min(Math.max(Number.isFinite(total) ? total : 64 * 1024 * 1024, 1024 * 1024), 4 * 1024 ** 3),
    closedChildrenKept: Math.min(Math.max(Number.isInteger(kept) ? kept : 100, 0), 100_000),
  };
}

/** Idle timeout for connections accepted by servers started later, from `socketLab.sessions.idleTimeoutSeconds` (0: off). */
export function idleTimeoutMsFromSettings(): number {
  const v = vscode.workspace.getConfiguration('socketLab').get<number>('sessions.idleTimeoutSeconds', 0);
  return Math.min(Math.max(Number.isFinite(v) ? v : 0, 0), 2_147_483) * 1000;
}

/** Returns the session commands (their questions, such as confirmBind, are reused by socketLab tasks). */
export function registerConnections(context: vscode.ExtensionContext, manager: SessionManager, panels: SessionPanelManager, programs?: ProgramWatchManager): SessionCommands {
  const provider = new ConnectionsTreeProvider(manager, programs);
  const view = vscode.window.createTreeView('socketLab.connections', { treeDataProvider: provider, showCollapseAll: true });
  context.subscriptions.push(provider, view);

  const status = vscode.window.createStatusBarItem('socketLab.connections.status', vscode.StatusBarAlignment.Left, 50);
  status.name = vscode.l10n.t('Socket Lab connections');
  status.command = 'socketLab.connections.focus';
  context.subscriptions.push(status);

  // badge and status bar follow the tree's coalesced refreshes, never each chunk
  let lastOpen = -1;
  const update = () => {
    const open = manager.openCount;
    if (open === lastOpen) return;
    lastOpen = open;
    view.badge = open ? { value: open, tooltip: vscode.l10n.t('{0} open connections', open) } : undefined;
    status.text = `$(plug) ${open}`;
    status.tooltip = vscode.l10n.t('{0} open connections — show the Connections view', open);
    if (manager.all().length) status.show();
    else status.hide();
  };
  context.subscriptions.push(provider.onDidChangeTreeData(update));
  update();

  // the walkthrough's steps tick when what they ask for happened, not when their command started
  const walkthrough = manager.onDidChange((e) => {
    const s = e.session;
    if (!s) return;
    if (s.kind === 'tcp-server' && s.state === 'listening') markDone('startServer');
    if (s.kind === 'tcp-client' && s.state === 'open') markDone('connect');
    if (e.kind === 'data' && s.stats.bytesOut > 0) markDone('send');
  });
  context.subscriptions.push({ dispose: () => walkthrough.dispose() });
  manager.idleTimeoutMs = idleTimeoutMsFromSettings();
  const defaultEncoding = () => {
    try {
      return checkEncoding(vscode.workspace.getConfiguration('socketLab').get<string>('encoding', 'utf-8'));
    } catch {
      return 'utf-8'; // an unknown name in the settings: the sessions keep a working default
    }
  };
  manager.defaultEncoding = defaultEncoding();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('socketLab.sessions.idleTimeoutSeconds')) manager.idleTimeoutMs = idleTimeoutMsFromSettings();
      if (e.affectsConfiguration('socketLab.encoding')) manager.defaultEncoding = defaultEncoding();
      if (e.affectsConfiguration(`socketLab.${transcriptSetting}`)) manager.transcriptBytes = transcriptBytesFromSettings();
      if (e.affectsConfiguration('socketLab.transcript')) {
        const r = retentionFromSettings();
        manager.budgets.transcript.limitBytes = r.transcriptBudgetBytes;
        manager.closedChildrenKept = r.closedChildrenKept;
      }
    }),
  );

  // the "… N more" row under a server with many connections
  context.subscriptions.push(vscode.commands.registerCommand('socketLab.connections.showMore', (args?: { serverId?: unknown; state?: unknown; shown?: unknown }) => provider.showMore(args)));

  const commands = new SessionCommands(context, manager, panels);
  commands.clearFinishedRuns = () => programs?.clearFinished() ?? 0;
  commands.register();
  registerTls(context, manager, commands);
  registerWs(context, manager, commands);
  const pick = (args: Record<string, unknown>, ok: (s: Session) => boolean, title: string) => commands.pickSession(args, ok, title);
  const logs = new SessionLogs(context, manager, pick);
  registerUdpGroupCommands(context, pick);
  provider.logFileOf = (s) => logs.fileOf(s);
  context.subscriptions.push({ dispose: logs.onDidChange(() => provider.refreshAll()).dispose });
  return commands;
}
