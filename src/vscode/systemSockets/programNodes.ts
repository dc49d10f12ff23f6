// Tree nodes for programs run with Socket Lab watching: shared by the Connections tree (top group) and System Sockets.
import * as vscode from 'vscode';
import type { ProgramSummary, ProgramWatch, ProgramWatchManager } from '../../core/programs/programWatcher';
import { formatBytes } from '../../shared/format';
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

const rootNodes = new WeakMap<ProgramWatch, ProgramNode>();

/** One node object per run, so a tree can refresh that row alone (VS Code finds elements by identity). */
export function programNode(watch: ProgramWatch): ProgramNode {
  let n = rootNodes.get(watch);
  if (!n) rootNodes.set(watch, (n = { kind: 'program', watch }));
  return n;
}

/** A System Sockets filter applied to runs: only runs with a matching socket, and only those sockets. */
export type ProgramSocketFilter = (sockets: readonly OsSocket[]) => OsSocket[];

/** The watched programs, newest first: running ones with their sockets, stopped ones with a summary. */
export function programRoots(programs: ProgramWatchManager | undefined, filter?: ProgramSocketFilter): ProgramNode[] {
  if (!programs) return [];
  const all = programs.all();
  return (filter ? all.filter((w) => filter(w.sockets).length > 0) : all).map(programNode);
}

/** A socket's identity in the tree (VS Code refuses two rows with one id). */
const socketKey = (s: OsSocket) => `${s.protocol}:${formatEndpoint(s.localAddress, s.localPort)}:${formatEndpoint(s.remoteAddress, s.remotePort)}:${s.inode}`;

export function programChildren(node: ProgramNode, filter?: ProgramSocketFilter): ProgramNode[] {
  if (node.kind !== 'program') return [];
  const w = node.watch;
  const summary = (icon: string, text: string): ProgramNode => ({ kind: 'program-summary', watch: w, icon, text });
  if (w.state === 'running') {
    const sockets = filter ? filter(w.sockets) : w.sockets;
    if (sockets.length === 0) return [summary('info', vscode.l10n.t('No sockets yet'))];
    // one row per socket: a socket shared by a program and its child (fork) is read from both
    const seen = new Set<string>();
    return sockets.filter((x) => !seen.has(socketKey(x)) && !!seen.add(socketKey(x))).map((socket) => ({ kind: 'program-socket', watch: w, socket }));
  }
  return programSummaryLines(w.summary()).map(([icon, text]) => summary(icon, text));
}

/** "3 connections", "1 connection", "at least 2 connections": a count that may miss some says so. */
export function connectionsText(s: Pick<ProgramSummary, 'connections' | 'connectionsLowerBound'>): string {
  if (s.connections === 1) return s.connectionsLowerBound ? vscode.l10n.t('at least 1 connection') : vscode.l10n.t('1 connection');
  return s.connectionsLowerBound ? vscode.l10n.t('at least {0} connections', s.connections) : vscode.l10n.t('{0} connections', s.connections);
}

/** The summary as lines; a count that may miss what opened and closed between two reads says "at least". */
export function programSummaryLines(s: ProgramSummary): [string, string][] {
  const out: [string, string][] = [];
  out.push(['arrow-swap', connectionsText(s)]);
  if (s.bytesSent !== undefined || s.bytesReceived !== undefined) {
    const sent = formatBytes(s.bytesSent ?? 0);
    const received = formatBytes(s.bytesReceived ?? 0);
    out.push(['dashboard', s.bytesLowerBound ? vscode.l10n.t('sent at least {0}, received at least {1}', sent, received) : vscode.l10n.t('sent {0}, received {1}', sent, received)]);
  }
  if (s.listenPorts.length) out.push(['radio-tower', vscode.l10n.t('listened on port {0}', s.listenPorts.join(', '))]);
  if (s.errors.length) out.push(['error', vscode.l10n.t('errors: {0}', s.errors.join(', '))]);
  if (s.exitCode !== undefined && s.exitCode !== null) out.push(['debug-stop', vscode.l10n.t('exit code {0}', s.exitCode)]);
  else if (s.exitSignal) out.push(['debug-stop', vscode.l10n.t('ended by {0}', s.exitSignal)]);
  return out;
}

/** Why a count may be low, for tooltips. */
export function lowerBoundNote(s: ProgramSummary): string | undefined {
  return s.connectionsLowerBound || s.bytesLowerBound
    ? vscode.l10n.t('"At least": Socket Lab reads the socket table a few times a second, so a connection that opened and closed between two reads, or bytes sent after the last read of a connection, cannot be counted.')
    : undefined;
}

export function programParent(node: ProgramNode): ProgramNode | undefined {
  return node.kind === 'program' ? undefined : programNode(node.watch);
}

const programId = (w: ProgramWatch) => `program:${w.startedAt}:${w.label}`;

export function programTreeItem(node: ProgramNode): vscode.TreeItem {
  const w = node.watch;
  if (node.kind === 'program') {
    const running = w.state === 'running';
    const item = new vscode.TreeItem(w.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = programId(w);
    item.description = running ? vscode.l10n.t('running · pid {0}', w.displayPid ?? '…') : vscode.l10n.t('stopped');
    const note = running ? undefined : lowerBoundNote(w.summary());
    item.tooltip = running ? vscode.l10n.t('Run with Socket Lab watching: its sockets appear below while it runs.') : vscode.l10n.t('Stopped: a summary of what it did on the network.') + (note ? `\n\n${note}` : '');
    item.iconPath = new vscode.ThemeIcon(running ? 'play-circle' : 'circle-slash', new vscode.ThemeColor(running ? 'charts.green' : 'disabledForeground'));
    // what the run offers, for the menus: socketLabProgram.running.stop.restart.terminal
    const c = w.controls;
    item.contextValue = [running ? 'socketLabProgram.running' : 'socketLabProgram.stopped', c?.stop && running ? 'stop' : '', c?.restart ? 'restart' : '', c?.showTerminal ? 'terminal' : ''].filter(Boolean).join('.');
    item.accessibilityInformation = { label: `${w.label} ${item.description}` };
    return item;
  }
  if (node.kind === 'program-socket') {
    const item = socketItem(node.socket);
    const s = node.socket;
    item.id = `${programId(w)}:${socketKey(s)}`;
    return item;
  }
  const item = new vscode.TreeItem(node.text);
  item.id = `${programId(w)}:summary:${node.icon}`;
  item.iconPath = new vscode.ThemeIcon(node.icon);
  if (w.state === 'exited' && (node.icon === 'arrow-swap' || node.icon === 'dashboard')) item.tooltip = lowerBoundNote(w.summary());
  return item;
}
