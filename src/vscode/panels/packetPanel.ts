// The packet panel: one webview per capture (or opened .pcap/.pcapng file) showing the packet list,
// display filter, field tree, hex bytes and TCP conversation diagram. The webview pulls; we page.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { webviewHtml } from './webviewHtml';
import type { Rpc, RpcEnvelope } from '../../shared/rpc';
import { createPanelHost } from '../../shared/panelKit';
import {
  PACKET_PANEL,
  type PacketSourceState, type ExportFormat, type PacketPanelEvent, type PacketPanelRequest, type PacketPanelResponses, type PanelStatus,
} from '../../shared/packetPanelProtocol';
import { panelEncodings } from '../../core/panels/sessionPanelModel';
import { findBytes } from '../../core/panels/transcriptView';
import { errorLanguageFor } from '../../core/errors';
import { panelStrings } from './panelStrings';
import { FilterCancelledError, FilterError, PacketListModel } from '../../core/panels/packetListModel';
import { FilePacketListModel } from '../../core/panels/filePacketListModel';
import type { FollowModel } from '../../core/panels/followModel';
import { IndexCancelledError } from '../../core/pcap/captureFileIndex';
import { encodeCaptureFile } from '../../core/capture/captureExport';
import { productName, version } from '../../core/about';
import type { Capture, CaptureManager } from '../../core/capture/captureManager';
import { registerCommand } from '../commands';

/** Where the panel reports messages it dropped (the extension's log channel, if there is one). */
export interface PanelLog {
  warn(message: string): void;
}

/** A filter or export pass longer than this shows a cancellable progress notification. */
const PROGRESS_AFTER_MS = 500;
/** Status events are coalesced to at most one per this many ms. */
const STATUS_COALESCE_MS = 150;

/** What one panel shows: a live capture or the packets of a file. */
type PanelSubject =
  | { readonly kind: 'capture'; readonly capture: Capture }
  | { readonly kind: 'file'; readonly path: string; readonly model: FilePacketListModel };

/**
 * Runs a long pass with a cancellable progress notification, shown only if it lasts over PROGRESS_AFTER_MS.
 * `pass` gets the signal (Cancel) and a progress callback (fraction 0…1).
 */
async function withPassProgress<T>(title: string, pass: (signal: AbortSignal, onProgress: (f: number) => void) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let report: ((f: number) => void) | undefined;
  let shown = 0;
  let closeUi: (() => void) | undefined;
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => ac.abort());
      report = (f) => {
        const pct = Math.floor(f * 100);
        if (pct > shown) progress.report({ increment: pct - shown, message: `${pct}%` });
        shown = Math.max(shown, pct);
      };
      return new Promise<void>((resolve) => (closeUi = resolve));
    });
  }, PROGRESS_AFTER_MS);
  try {
    return await pass(ac.signal, (f) => report?.(f));
  } finally {
    clearTimeout(timer);
    closeUi?.();
  }
}

class PacketPanel {
  private readonly disposables: { dispose(): unknown }[] = [];
  private readonly model: PacketListModel | FilePacketListModel;
  private readonly rpc: Rpc<PacketPanelEvent, PacketPanelRequest>;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** The stream the page's Follow view shows. */
  private followed: FollowModel | undefined;

  constructor(
    readonly key: string,
    private readonly panel: vscode.WebviewPanel,
    private readonly subject: PanelSubject,
    extensionUri: vscode.Uri,
    private readonly log: PanelLog,
    private readonly captures: CaptureManager | undefined,
    onDispose: () => void,
  ) {
    this.model = subject.kind === 'capture' ? new PacketListModel(subject.capture.packets) : subject.model;
    this.rpc = createPanelHost(
      PACKET_PANEL,
      (m: RpcEnvelope) => void panel.webview.postMessage(m),
      (req) => this.answer(req),
      (_raw, reason) => this.log.warn(`packet panel: dropped a message (${reason})`),
    );
    panel.webview.html = webviewHtml(panel.webview, vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), 'packets', vscode.env.language);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => void this.rpc.receive(m)),
      this.model.onDidChange(() => this.scheduleStatus()),
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
    if (subject.kind === 'file') {
      // The rest of the first pass (conversations, context checkpoints) runs on; the rows already show.
      void withPassProgress(vscode.l10n.t('Reading {0}', path.basename(subject.path)), (signal, onProgress) => subject.model.whenComplete({ signal, onProgress })).then(
        () => {
          const err = subject.model.status.error;
          if (err) void vscode.window.showWarningMessage(vscode.l10n.t('{0} is damaged: {1}', path.basename(subject.path), err));
        },
        (e: unknown) => {
          // Cancel stops the panel's reading: what was read stays shown.
          if (!(e instanceof IndexCancelledError) && !this.disposed) void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
        },
      );
    }
    if (subject.kind === 'capture') {
      this.disposables.push(subject.capture.onDidAddPackets(() => this.scheduleSync()), subject.capture.onDidChange(() => this.scheduleStatus()));
    }
  }

  /** Packets arrive in bursts; sync at most ten times a second, never once per packet. */
  private scheduleSync(): void {
    if (this.disposed) return;
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      if (!this.disposed && this.model instanceof PacketListModel) this.model.sync();
      this.scheduleStatus();
    }, 100);
  }

  get title(): string {
    if (this.subject.kind === 'file') return vscode.l10n.t('Packets: {0}', path.basename(this.subject.path));
    const c = this.subject.capture;
    // "Capture this connection" names the connection; a plain capture shows interface and filter.
    if (c.label) return vscode.l10n.t('Packets: {0}', c.label);
    return c.filter ? vscode.l10n.t('Packets: {0} ({1})', c.interface, c.filter) : vscode.l10n.t('Packets: {0}', c.interface);
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** A packet the page selects when it is (re)built: the last one asked for by a link. */
  private showPacketFirst: number | undefined;

  /** Reveals the panel with packet `index` selected (the page selects it now, or when it is built). */
  showPacket(index: number): void {
    this.showPacketFirst = index;
    this.panel.reveal();
    this.rpc.event({ type: 'showPacket', index });
  }

  private get state(): PacketSourceState {
    if (this.subject.kind === 'file') return 'file';
    return this.subject.capture.state === 'stopped' ? 'stopped' : 'running';
  }

  private status(): PanelStatus {
    const drops = this.subject.kind === 'capture' ? this.subject.capture.drops : 0;
    const { total, matched, generation } = this.model.status;
    const err = this.subject.kind === 'file' ? this.subject.model.status.error : undefined;
    // tshark, too, shows the packets before the damage and says why it stopped
    const damage = err && vscode.l10n.t('This file is damaged after packet {0}: the {0} packets before it are shown, as Wireshark shows them ({1})', total, err);
    return { total, matched, generation, state: this.state, drops, ...(damage ? { damage } : {}) };
  }

  private scheduleStatus(): void {
    if (this.statusTimer || this.disposed) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      if (!this.disposed) this.rpc.event({ type: 'status', ...this.status() });
    }, STATUS_COALESCE_MS);
  }

  private async answer(req: PacketPanelRequest): Promise<PacketPanelResponses[keyof PacketPanelResponses]> {
    switch (req.type) {
      case 'ready':
        return {
          ...this.status(),
          title: this.title,
          filter: this.model.filter,
          canExport: true,
          encodings: panelEncodings,
          strings: panelStrings(),
          ...(this.showPacketFirst !== undefined ? { showPacket: this.showPacketFirst } : {}),
        } satisfies PacketPanelResponses['ready'];
      case 'rows':
        return (await this.model.rows(req.start, req.count)) satisfies PacketPanelResponses['rows'];
      case 'filter':
        try {
          const m = this.model;
          if (m instanceof FilePacketListModel) await withPassProgress(vscode.l10n.t('Applying display filter'), (signal, onProgress) => m.setFilter(req.expr, { signal, onProgress }));
          else await m.setFilter(req.expr);
          return { ok: true, ...this.status() } satisfies PacketPanelResponses['filter'];
        } catch (e) {
          if (e instanceof FilterError) return { ok: false, error: vscode.l10n.t('This display filter cannot be used: {0}', e.message) } satisfies PacketPanelResponses['filter'];
          // Replaced by a newer filter: answer with what is shown now; the webview ignores it.
          if (e instanceof FilterCancelledError) return { ok: true, ...this.status() } satisfies PacketPanelResponses['filter'];
          throw e;
        }
      case 'packet':
        return (await this.packet(req.index)) satisfies PacketPanelResponses['packet'];
      case 'position':
        return { generation: this.model.status.generation, position: this.model.positionOf(req.index) } satisfies PacketPanelResponses['position'];
      case 'conversations':
        return this.model.conversations() satisfies PacketPanelResponses['conversations'];
      case 'statistics':
        return (await this.model.statistics()) satisfies PacketPanelResponses['statistics'];
      case 'conversationPage':
        return (await this.model.conversationPage(req)) satisfies PacketPanelResponses['conversationPage'];
      case 'ioGraph': {
        const g = this.model instanceof FilePacketListModel ? await this.model.ioGraph(req.key, undefined, req.intervalMs) : await this.model.ioGraph(req.key, req.intervalMs);
        if (!g) throw new Error(vscode.l10n.t('That conversation is no longer in the capture buffer.'));
        return g satisfies PacketPanelResponses['ioGraph'];
      }
      case 'follow': {
        this.followed?.dispose();
        this.followed = undefined;
        const m = this.model;
        const f = m instanceof FilePacketListModel ? await withPassProgress(vscode.l10n.t('Following the stream'), (signal) => m.follow(req.key, signal)).catch((e: unknown) => {
          throw e instanceof IndexCancelledError ? new Error(vscode.l10n.t('Following the stream was cancelled.')) : e;
        }) : await m.follow(req.key);
        if (!f) throw new Error(vscode.l10n.t('That conversation is no longer in the capture buffer.'));
        this.followed = f;
        return f.info() satisfies PacketPanelResponses['follow'];
      }
      case 'followChunks':
        return this.following().chunks(req.fromSeq, req.limit, req.render, req.encoding, req.maxBytes) satisfies PacketPanelResponses['followChunks'];
      case 'followRange':
        return this.following().readRange(req.offset, req.length) satisfies PacketPanelResponses['followRange'];
      case 'followFind':
        return this.following().find(req.query, req.mode, req.encoding, req.from, errorLanguageFor(vscode.env.language)) satisfies PacketPanelResponses['followFind'];
      case 'diagram': {
        const d = await this.model.diagram(req.key, req.around);
        if (!d) throw new Error(vscode.l10n.t('That TCP connection is no longer in the capture buffer.'));
        return d satisfies PacketPanelResponses['diagram'];
      }
      case 'export':
        return this.export(req.format, req.scope === 'conversation' ? req.key : undefined);
      case 'find': {
        const bytes = (await this.packet(req.index)).bytes;
        return findBytes(bytes.subarray(req.from), req.from, req.query, req.mode, 'utf-8', errorLanguageFor(vscode.env.language)) satisfies PacketPanelResponses['find'];
      }
      case 'copy':
        await vscode.env.clipboard.writeText(req.text);
        return { ok: true } satisfies PacketPanelResponses['copy'];
    }
  }

  /** Whether this panel is the one the user is in (a context menu of its rows was used). */
  get active(): boolean {
    return this.panel.active;
  }

  /** Follows the TCP connection or UDP conversation of packet `index` on the page's Follow view. */
  async followPacket(index: number): Promise<void> {
    const flow = (await this.packet(index)).flow;
    if (!flow) return void vscode.window.showInformationMessage(vscode.l10n.t('Packet {0} is neither TCP nor UDP: there is no stream to follow.', index + 1));
    if (!this.disposed) this.rpc.event({ type: 'follow', key: flow });
  }

  /** Applies a display filter from the extension (not typed in the page); the page's filter bar follows. */
  async applyFilter(expr: string): Promise<void> {
    try {
      const m = this.model;
      if (m instanceof FilePacketListModel) await withPassProgress(vscode.l10n.t('Applying display filter'), (signal, onProgress) => m.setFilter(expr, { signal, onProgress }));
      else await m.setFilter(expr);
    } catch (e) {
      if (e instanceof FilterError) void vscode.window.showErrorMessage(vscode.l10n.t('This display filter cannot be used: {0}', e.message));
      if (e instanceof FilterError || e instanceof FilterCancelledError) return;
      throw e;
    }
    if (!this.disposed) this.rpc.event({ type: 'filterChanged', filter: expr, ...this.status() });
  }

  /** The stream the page follows (asked for after `follow`). */
  private following(): FollowModel {
    if (!this.followed) throw new Error(vscode.l10n.t('No stream is followed; choose Follow Stream first.'));
    return this.followed;
  }

  private async packet(index: number): Promise<PacketPanelResponses['packet']> {
    const d = await this.model.detail(index);
    if (!d) throw new Error(vscode.l10n.t('Packet {0} is no longer in the capture buffer; the oldest packets were dropped to bound memory.', index + 1));
    return d;
  }

  private async export(format: ExportFormat, key: string | undefined): Promise<PacketPanelResponses['export']> {
    const base = this.subject.kind === 'file' ? path.basename(this.subject.path).replace(/\.(pcapng|pcap|cap)$/i, '') : `capture-${this.subject.capture.interface}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${base}${key ? '-connection' : ''}.${format}`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: format === 'pcapng' ? { pcapng: ['pcapng'] } : { pcap: ['pcap'] },
      title: key ? vscode.l10n.t('Export this connection') : vscode.l10n.t('Export capture'),
    });
    if (!target) return {};
    if (this.subject.kind === 'capture' && key === undefined && this.captures) {
      // The whole live capture: the capture manager owns its packets and writes them.
      await this.captures.save(this.subject.capture.id, target.fsPath, format);
    } else {
      // One connection (or a file's packets): the model knows which packets belong to it.
      const m = this.model;
      if (m instanceof FilePacketListModel) {
        // Streamed from the file to a temporary file beside the target, renamed when whole.
        try {
          await withPassProgress(vscode.l10n.t('Exporting'), (signal) => m.exportTo(target.fsPath, format, key, { signal, application: `${productName} ${version}` }));
        } catch (e) {
          if (e instanceof IndexCancelledError) return {};
          throw e;
        }
      } else await fs.writeFile(target.fsPath, encodeCaptureFile(m.records(key), format));
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}', target.fsPath));
    return { path: target.fsPath };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.statusTimer);
    clearTimeout(this.syncTimer);
    this.rpc.dispose();
    this.model.dispose();
    this.followed?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export class PacketPanelManager implements vscode.Disposable {
  private readonly panels = new Map<string, PacketPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: PanelLog,
    private readonly captures: CaptureManager | undefined,
  ) {}

  has(key: string): boolean {
    return this.panels.has(key);
  }

  /** Shows a live capture's packets. */
  /** Shows a capture's packets; `filter`: with this display filter applied (a lesson's evidence). */
  showCapture(capture: Capture, filter?: string, packetIndex?: number): void {
    const key = `capture:${capture.id}`;
    this.open(key, { kind: 'capture', capture });
    if (filter !== undefined) void this.panels.get(key)?.applyFilter(filter);
    if (packetIndex !== undefined) this.panels.get(key)?.showPacket(packetIndex);
  }

  /** Shows the panel for `key`, creating it for `subject` (whose file model it then owns) if there is none. */
  open(key: string, subject: PanelSubject | undefined): void {
    const existing = this.panels.get(key);
    if (existing) {
      if (subject?.kind === 'file') subject.model.dispose();
      return existing.reveal();
    }
    if (!subject) return;
    this.show(key, vscode.window.createWebviewPanel('socketLab.packets', 'Packets', vscode.ViewColumn.Active, this.webviewOptions()), subject);
  }

  /** Shows a file's packets in a webview VS Code made (the capture file editor); the panel then owns `model`. */
  attach(panel: vscode.WebviewPanel, file: string, model: FilePacketListModel): void {
    panel.webview.options = this.webviewOptions();
    this.show(`editor:${++this.editors}`, panel, { kind: 'file', path: file, model });
  }

  private editors = 0;

  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')] };
  }

  /** The packet panel the user is in, if any. */
  get activePanel(): PacketPanel | undefined {
    return [...this.panels.values()].find((p) => p.active);
  }

  private show(key: string, panel: vscode.WebviewPanel, subject: PanelSubject): void {
    const p = new PacketPanel(key, panel, subject, this.extensionUri, this.log, this.captures, () => this.panels.delete(key));
    panel.title = p.title;
    this.panels.set(key, p);
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}

/** Opens a capture file for the panel (never loaded whole); errors become one sentence with the fix. */
export async function openCaptureFile(file: string): Promise<FilePacketListModel> {
  try {
    return await FilePacketListModel.open(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(vscode.l10n.t('{0} does not exist; check the path.', file), { cause: e });
    if (code === 'EACCES') throw new Error(vscode.l10n.t('No permission to read {0}; check the file permissions.', file), { cause: e });
    if (code === 'EISDIR') throw new Error(vscode.l10n.t('{0} is a folder; pick a .pcap or .pcapng file.', file), { cause: e });
    throw new Error(vscode.l10n.t('{0} is not a readable pcap or pcapng file: {1}', path.basename(file), e instanceof Error ? e.message : String(e)), { cause: e });
  }
}

export function registerPacketPanel(
  context: vscode.ExtensionContext,
  captures: CaptureManager | undefined,
  log: PanelLog = { warn: (m) => console.warn(m) },
): PacketPanelManager {
  const manager = new PacketPanelManager(context.extensionUri, log, captures);
  context.subscriptions.push(manager);

  registerCommand(context, 'socketLab.capture.openPanel', async (arg?: unknown) => {
    if (!captures) return void vscode.window.showWarningMessage(vscode.l10n.t('Packet capture is not available in this window.'));
    let id = typeof arg === 'object' && arg !== null ? (arg as { captureId?: unknown }).captureId : undefined;
    const filter = typeof arg === 'object' && arg !== null && typeof (arg as { filter?: unknown }).filter === 'string' ? (arg as { filter: string }).filter : undefined;
    if (typeof id !== 'string') {
      const all = captures.all();
      if (all.length === 0) {
        return void vscode.window.showInformationMessage(vscode.l10n.t('No capture yet. Start one with "Socket Lab: Start Capture", or open a .pcapng file.'));
      }
      const pick = await vscode.window.showQuickPick(
        // newest first, each named by what it captures: its connection or filter, interface, state and packet count
        [...all].reverse().map((c) => ({
          label: c.label ?? (c.filter ? c.filter : vscode.l10n.t('everything on {0}', c.interface)),
          description: `${c.interface} · ${c.stateText}`,
          detail: vscode.l10n.t('{0} packets', c.packets.endIndex),
          id: c.id,
        })),
        { title: vscode.l10n.t('Show Captured Packets'), placeHolder: vscode.l10n.t('Pick a capture to show') },
      );
      if (!pick) return;
      id = pick.id;
    }
    const capture = captures.get(id as string);
    if (!capture) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Capture {0} does not exist (it may have been cleared).', String(id)));
      return false;
    }
    // the timeline's frame link: { captureId, packetIndex }
    const index = typeof arg === 'object' && arg !== null ? (arg as { packetIndex?: unknown }).packetIndex : undefined;
    manager.showCapture(capture, filter, Number.isSafeInteger(index) && (index as number) >= 0 ? (index as number) : undefined);
    return true;
  });

  // The packet list's context menu: { webviewSection: 'packetRow', packetIndex } from the row's data-vscode-context.
  registerCommand(context, 'socketLab.capture.followStream', async (arg?: unknown) => {
    const index = typeof arg === 'object' && arg !== null ? (arg as { packetIndex?: unknown }).packetIndex : undefined;
    const panel = manager.activePanel;
    if (!panel || typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
      return void vscode.window.showInformationMessage(vscode.l10n.t('Right-click a packet in the packet panel and choose Follow Stream.'));
    }
    try {
      await panel.followPacket(index);
    } catch (e) {
      void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
    }
  });

  // Reading a file runs nothing and captures nothing, so it works in Restricted Mode too.
  registerCommand(context, 'socketLab.capture.openFile', async (arg?: unknown) => {
    let file = typeof arg === 'object' && arg !== null ? (arg as { path?: unknown }).path : undefined;
    if (arg instanceof vscode.Uri) file = arg.fsPath;
    if (typeof file !== 'string' || file === '') {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { [vscode.l10n.t('Packet captures')]: ['pcapng', 'pcap', 'cap'] },
        title: vscode.l10n.t('Open a capture file'),
      });
      if (!picked?.[0]) return;
      file = picked[0].fsPath;
    }
    const abs = path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', file as string);
    try {
      const key = `file:${abs}`;
      if (manager.has(key)) return manager.open(key, undefined);
      const model = await openCaptureFile(abs);
      manager.open(key, { kind: 'file', path: abs, model });
    } catch (e) {
      void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
    }
  });

  return manager;
}
