// One OS socket as a tree item: label, state icon, queues, bytes, and a tooltip that explains the state.
import * as vscode from 'vscode';
import { formatBytes } from '../../shared/format';
import { formatEndpoint, type OsSocket } from '../../core/ossockets/types';

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

