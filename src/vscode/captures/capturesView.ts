// The Captures view: one item per capture (interface, filter, engine, packets, drops, state); refreshes coalesced.
import * as vscode from 'vscode';
import type { Capture, CaptureManager } from '../../core/capture/captureManager';

/** Tree refreshes happen at most this often, however fast packets arrive. */
const REFRESH_MS = 300;

/** The element type: carries `captureId`, so menu commands receive `{captureId}` like a programmatic call. */
export interface CaptureNode {
  readonly captureId: string;
}

export function stateLabel(c: Capture): string {
  switch (c.state) {
    case 'starting':
      return vscode.l10n.t('starting');
    case 'running':
      return vscode.l10n.t('capturing');
    case 'stopping':
      return vscode.l10n.t('stopping');
    default:
      return c.stopReason && c.stopReason !== 'stopped' ? vscode.l10n.t('stopped: {0}', c.stopReason) : vscode.l10n.t('stopped');
  }
}

/** Every drop the engine reported, by where it happened; a count nobody reported is said to be unknown, never 0. */
function appendDrops(tip: vscode.MarkdownString, c: Capture): void {
  const status = c.dropStatus;
  const kernel =
    status === 'known'
      ? String(c.kernelDrops ?? 0)
      : status === 'pending'
        ? vscode.l10n.t('reported when the capture stops')
        : c.engine === 'cap'
          ? vscode.l10n.t('unknown ({0} cannot report it; the dumpcap and tcpdump engines can)', 'cap')
          : vscode.l10n.t('unknown');
  tip.appendText(`${vscode.l10n.t('Dropped by the kernel')}: ${kernel}\n`);
  if (c.interfaceDrops) tip.appendText(`${vscode.l10n.t('Dropped by the interface')}: ${c.interfaceDrops}\n`);
  if (c.engineDrops) tip.appendText(`${vscode.l10n.t('Dropped by {0}', c.engine ?? '…')}: ${c.engineDrops}\n`);
  tip.appendText(`${vscode.l10n.t('Dropped by Socket Lab (could not keep up)')}: ${c.helperDrops}\n`);
  if (status === 'known') tip.appendText(`${vscode.l10n.t('Dropped')}: ${c.drops}\n`);
}

export class CapturesProvider implements vscode.TreeDataProvider<CaptureNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<CaptureNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscription: { dispose(): unknown };

  constructor(private readonly manager: CaptureManager) {
    this.subscription = manager.onDidChange(() => this.scheduleRefresh());
  }

  private scheduleRefresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this._onDidChangeTreeData.fire(undefined);
    }, REFRESH_MS);
  }

  getChildren(element?: CaptureNode): CaptureNode[] {
    if (element) return [];
    return this.manager
      .all()
      .slice()
      .reverse()
      .map((c) => ({ captureId: c.id }));
  }

  getTreeItem(node: CaptureNode): vscode.TreeItem {
    const c = this.manager.get(node.captureId);
    if (!c) return new vscode.TreeItem(node.captureId);
    const item = new vscode.TreeItem(c.label ? `${c.interface} · ${c.label}` : c.interface, vscode.TreeItemCollapsibleState.None);
    item.id = c.id;
    const packets = c.packets.endIndex;
    const parts = [c.filter || vscode.l10n.t('all traffic'), c.engine ?? '…', vscode.l10n.t('{0} packets', packets)];
    if (c.dropStatus === 'unknown') parts.push(vscode.l10n.t('drops unknown'));
    else if (c.drops) parts.push(vscode.l10n.t('{0} dropped', c.drops));
    parts.push(stateLabel(c));
    item.description = parts.join(' · ');
    const tip = new vscode.MarkdownString();
    tip.appendText(`${vscode.l10n.t('Interface')}: ${c.interface}\n`);
    tip.appendText(`${vscode.l10n.t('Filter')}: ${c.filter || vscode.l10n.t('all traffic')}\n`);
    tip.appendText(`${vscode.l10n.t('Engine')}: ${c.engine ?? '…'}\n`);
    tip.appendText(`${vscode.l10n.t('Packets')}: ${packets}\n`);
    tip.appendText(`${vscode.l10n.t('Seen by the engine')}: ${c.received}\n`);
    appendDrops(tip, c);
    if (c.evicted) tip.appendText(`${vscode.l10n.t('Oldest packets forgotten to bound memory')}: ${c.evicted}\n`);
    tip.appendText(`${vscode.l10n.t('State')}: ${stateLabel(c)}`);
    if (c.error) tip.appendText(`\n${c.error.message}`);
    item.tooltip = tip;
    const running = c.state === 'running' || c.state === 'starting';
    item.contextValue = running ? 'capture.running' : 'capture.stopped';
    item.iconPath = running
      ? new vscode.ThemeIcon('record', new vscode.ThemeColor('charts.red'))
      : c.error
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
        : new vscode.ThemeIcon('circle-large-outline');
    item.command = { command: 'socketLab.capture.openPanel', title: vscode.l10n.t('Show Packets'), arguments: [{ captureId: c.id }] };
    return item;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.subscription.dispose();
    this._onDidChangeTreeData.dispose();
  }
}
