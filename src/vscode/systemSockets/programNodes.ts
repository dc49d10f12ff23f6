// Tree nodes for programs run with Socket Lab watching: shared by the Connections tree (top group) and System Sockets.
import * as vscode from 'vscode';
import type { ProgramWatch, ProgramWatchManager } from '../../core/ossockets/programWatcher';
import { formatBytes } from '../../core/ossockets/socketText';
import { formatEndpoint, type OsSocket } from '../../core/ossockets/types';
import { socketItem } from './socketItem';

export type ProgramNode =
  | { kind: 'program'; watch: ProgramWatch }
  | { kind: 'program-socket'; watch: ProgramWatch; socket: OsSocket }
  | { kind: 'program-summary'; watch: ProgramWatch; text: string; icon: string };

export function isProgramNode(x: unknown): x is ProgramNode {
  const k = (x as { kind?: unknown } | null)?.kind;
  return (k === 'program' || k === 'program-socket' || k === 'program-summary') && 'watch' in (x as object);
}

/** The watched programs, newest first: running ones with their sockets, stopped ones with a summary. */
export function programRoots(programs: ProgramWatchManager | undefined): ProgramNode[] {
  return programs ? programs.all().map((watch) => ({ kind: 'program', watch })) : [];
}

export function programChildren(node: ProgramNode): ProgramNode[] {
  if (node.kind !== 'program') return [];
  const w = node.watch;
  const summary = (icon: string, text: string): ProgramNode => ({ kind: 'program-summary', watch: w, icon, text });
  if (w.state === 'running') {
    if (w.sockets.length === 0) return [summary('info', vscode.l10n.t('No sockets yet'))];
    return w.sockets.map((socket) => ({ kind: 'program-socket', watch: w, socket }));
  }
  const s = w.summary();
  const out = [summary('arrow-swap', vscode.l10n.t('{0} connections', s.connections))];
  if (s.bytesSent !== undefined || s.bytesReceived !== undefined) {
    out.push(summary('dashboard', vscode.l10n.t('sent {0}, received {1}', formatBytes(s.bytesSent ?? 0), formatBytes(s.bytesReceived ?? 0))));
  }
  if (s.listenPorts.length) out.push(summary('radio-tower', vscode.l10n.t('listened on port {0}', s.listenPorts.join(', '))));
  if (s.errors.length) out.push(summary('error', vscode.l10n.t('errors: {0}', s.errors.join(', '))));
  if (s.exitCode !== undefined && s.exitCode !== null) out.push(summary('debug-stop', vscode.l10n.t('exit code {0}', s.exitCode)));
  return out;
}

export function programParent(node: ProgramNode): ProgramNode | undefined {
  return node.kind === 'program' ? undefined : { kind: 'program', watch: node.watch };
}

const programId = (w: ProgramWatch) => `program:${w.startedAt}:${w.label}`;

export function programTreeItem(node: ProgramNode): vscode.TreeItem {
  const w = node.watch;
  if (node.kind === 'program') {
    const running = w.state === 'running';
    const item = new vscode.TreeItem(w.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = programId(w);
    item.description = running ? vscode.l10n.t('running · pid {0}', w.displayPid ?? '…') : vscode.l10n.t('stopped');
    item.tooltip = running ? vscode.l10n.t('Run with Socket Lab watching: its sockets appear below while it runs.') : vscode.l10n.t('Stopped: a summary of what it did on the network.');
    item.iconPath = new vscode.ThemeIcon(running ? 'play-circle' : 'circle-slash', new vscode.ThemeColor(running ? 'charts.green' : 'disabledForeground'));
    item.contextValue = running ? 'socketLabProgram.running' : 'socketLabProgram.stopped';
    return item;
  }
  if (node.kind === 'program-socket') {
    const item = socketItem(node.socket);
    const s = node.socket;
    item.id = `${programId(w)}:${s.protocol}:${formatEndpoint(s.localAddress, s.localPort)}:${formatEndpoint(s.remoteAddress, s.remotePort)}:${s.inode}`;
    return item;
  }
  const item = new vscode.TreeItem(node.text);
  item.id = `${programId(w)}:summary:${node.icon}`;
  item.iconPath = new vscode.ThemeIcon(node.icon);
  return item;
}
