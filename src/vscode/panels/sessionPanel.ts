// One webview panel per session: conversation, hex viewer and send bar. Opened from the Connections
// tree, by `socketLab.session.openPanel {sessionId?}`, and (setting) when a session first receives data.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { shouldAutoOpen, type AutoOpenSetting } from '../../core/sessions/autoOpen';
import type { SessionManager } from '../../core/sessions/sessionManager';
import type { Session } from '../../core/sessions/session';
import { errorLanguageFor } from '../../core/errors';
import { createPanelHost } from '../../shared/panelKit';
import { SESSION_PANEL, type InitInfo, type PanelEvent, type PanelRequest, type SendResult, type SendSpec, type TimeMode } from '../../shared/sessionPanelProtocol';
import type { Rpc, RpcEnvelope } from '../../shared/rpc';
import { registerCommand } from '../commands';
import { roleText, sessionPickItem } from '../connections/connectionsTreeProvider';
import { panelEncodings, payloadOf, SessionPanelModel, transcriptInfo } from '../../core/panels/sessionPanelModel';
import { toInputError } from '../../core/panels/transcriptView';
import { parseFraming } from '../../core/codec/framing';
import { SavedMessages } from '../wire/savedMessages';
import { panelStrings } from './panelStrings';
import { webviewHtml } from './webviewHtml';

export const sessionPanelViewType = 'socketLab.session';
/** Panels opened automatically stop here, so a server with many clients does not bury the editor. */
const MAX_AUTO_PANELS = 4;

let log: vscode.LogOutputChannel | undefined;
function logger(): vscode.LogOutputChannel {
  log ??= vscode.window.createOutputChannel('Socket Lab Panels', { log: true });
  return log;
}

class SessionPanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private readonly model: SessionPanelModel;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** Opened to be used (not by itself): the first `ready` puts the keyboard in the send box. */
  private focusInput: boolean;
  private readonly rpc: Rpc<PanelEvent, PanelRequest>;

  constructor(
    extensionUri: vscode.Uri,
    readonly session: Session,
    column: vscode.ViewColumn,
    preserveFocus: boolean,
    encodingOf: (s: Session) => string,
    private readonly saved: SavedMessages,
    private readonly onDispose: () => void,
  ) {
    const lang = errorLanguageFor(vscode.env.language);
    this.focusInput = !preserveFocus;
    this.model = new SessionPanelModel(session, lang, encodingOf, roleText);
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(sessionPanelViewType, panelTitle(session), { viewColumn: column, preserveFocus }, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [root],
    });
    this.panel.webview.html = webviewHtml(this.panel.webview, root, 'session', vscode.env.language);
    const rpc = (this.rpc = createPanelHost(
      SESSION_PANEL,
      (m: RpcEnvelope) => void this.panel.webview.postMessage(m),
      (req) => this.handle(req),
      (raw, reason) => logger().warn(`dropped a message from the session panel (${reason}): ${JSON.stringify(raw)?.slice(0, 200)}`),
    ));
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m) => void rpc.receive(m)),
      this.model.onDidEvent((e) => rpc.event(e)) as vscode.Disposable,
      this.panel.onDidDispose(() => this.dispose()),
      // a UDP socket binds on its first send, a client learns its local port on connect: the tab follows
      session.onDidChange((k) => {
        if (k === 'state' && this.panel.title !== panelTitle(session)) this.panel.title = panelTitle(session);
      }),
      saved.onDidChange(() => rpc.event({ type: 'savedMessagesChanged' })),
      { dispose: () => rpc.dispose() },
      this.model,
    );
  }

  private async handle(req: PanelRequest): Promise<unknown> {
    switch (req.type) {
      case 'ready':
        return this.init();
      case 'copy':
        await vscode.env.clipboard.writeText(req.text);
        return { ok: true };
      case 'sendFile':
        return this.sendFile();
      case 'reconnect':
        // the new connection's panel comes to the front (this one keeps the old transcript)
        return { ok: (await vscode.commands.executeCommand<string | undefined>('socketLab.session.reconnect', { sessionId: this.session.id })) !== undefined };
      case 'savedMessages':
        return { messages: await this.saved.list() };
      case 'sendSaved':
        return this.sendSaved(req.id, req.to);
      case 'saveMessage':
        return this.saveMessage(req.spec);
      case 'exportTranscript':
        return this.exportTranscript(req.timestamps, req.selection);
      default:
        return this.model.handle(req);
    }
  }

  /** A saved message's sends, in order, in its block's framing (its encoding made the bytes). */
  private async sendSaved(id: string, to: string | undefined): Promise<SendResult> {
    const lang = errorLanguageFor(vscode.env.language);
    try {
      const m = await this.saved.payloads(id);
      let bytes = 0;
      for (const p of m.payloads) {
        const r = await this.model.sendBytes(p, m.framingName, to);
        if (!r.ok) return r;
        bytes += r.bytes;
      }
      return { ok: true, bytes };
    } catch (e) {
      return { ok: false, error: toInputError(e, lang) };
    }
  }

  private async saveMessage(spec: SendSpec): Promise<{ ok: boolean; file?: string }> {
    try {
      const file = await this.saved.save(payloadOf(spec), spec.encoding, parseFraming(spec.framing));
      return file === undefined ? { ok: false } : { ok: true, file };
    } catch (e) {
      void vscode.window.showErrorMessage(toInputError(e, errorLanguageFor(vscode.env.language)).message);
      return { ok: false };
    }
  }

  /**
   * Export…: all chunks, or those the selection covers when the user picks them, through
   * socketLab.session.exportTranscript (which asks the format and the file), with the panel's time style.
   */
  private async exportTranscript(timestamps: TimeMode, selection?: { start: number; end: number }): Promise<{ ok: boolean; file?: string }> {
    const chosen = selection ? this.model.chunksIn(selection.start, selection.end) : [];
    const held = this.session.transcript.nextSeq - this.session.transcript.firstSeq;
    let chunks: number[] | undefined;
    if (chosen.length && chosen.length < held) {
      const all = { label: vscode.l10n.t('All chunks'), description: vscode.l10n.t('{0} chunks', held), chunks: undefined };
      const range = chosen.length === 1 ? `#${chosen[0]}` : `#${chosen[0]}–#${chosen[chosen.length - 1]}`;
      const sel = { label: vscode.l10n.t('The selected chunks'), description: vscode.l10n.t('{0} ({1} chunks)', range, chosen.length), chunks: chosen };
      // a selection of several chunks was made to be exported; a single one is usually just the chunk last clicked
      const pick = await vscode.window.showQuickPick(chosen.length > 1 ? [sel, all] : [all, sel], { title: vscode.l10n.t('Export which chunks?') });
      if (!pick) return { ok: false };
      chunks = pick.chunks;
    }
    const file = await vscode.commands.executeCommand<string | undefined>('socketLab.session.exportTranscript', { sessionId: this.session.id, chunks, timestamps });
    return file ? { ok: true, file } : { ok: false };
  }

  /** Bytes the page selects when it is (re)built: the last asked for by a link. */
  private showBytesFirst: { start: number; end: number } | undefined;

  /** Reveals the panel with transcript chunks #first–#last (those of #first's direction) selected. */
  showChunks(first: number, last: number): boolean {
    const chunks = this.session.transcript.chunks(first, Math.max(1, last - first + 1)).filter((c, _, all) => c.dir === all[0].dir);
    if (!chunks.length) return false;
    const end = chunks[chunks.length - 1];
    this.showBytesFirst = { start: chunks[0].offset, end: end.offset + end.length };
    this.panel.reveal(undefined, true);
    this.rpc.event({ type: 'showBytes', ...this.showBytesFirst });
    return true;
  }

  private init(): InitInfo {
    const info = this.model.info();
    const focusInput = this.focusInput;
    this.focusInput = false;
    const showBytes = this.showBytesFirst;
    this.showBytesFirst = undefined;
    return {
      ...(showBytes ? { showBytes } : {}),
      session: info,
      transcript: transcriptInfo(this.session),
      encoding: panelEncodings.includes(info.encoding) ? info.encoding : 'utf-8',
      encodings: panelEncodings,
      strings: panelStrings(),
      focusInput,
    };
  }

  private async sendFile(): Promise<SendResult | { ok: false; cancelled: true }> {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Send') });
    if (!picked?.[0]) return { ok: false, cancelled: true };
    const file = picked[0].fsPath;
    try {
      const size = fs.statSync(file).size;
      const stream = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
      const chunks = (async function* () {
        for await (const c of stream) yield new Uint8Array((c as Buffer).buffer, (c as Buffer).byteOffset, (c as Buffer).byteLength);
      })();
      const bytes = await this.session.sendStream(chunks, size);
      return { ok: true, bytes };
    } catch (e) {
      return { ok: false, error: toInputError(e, errorLanguageFor(vscode.env.language)) };
    }
  }

  reveal(preserveFocus: boolean): void {
    this.panel.reveal(undefined, preserveFocus);
    if (preserveFocus) return;
    // a hidden panel's webview is rebuilt and asks `ready` again; a visible one hears the event
    this.focusInput = true;
    this.rpc.event({ type: 'focusInput' });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

export class SessionPanelManager implements vscode.Disposable {
  private readonly panels = new Map<string, SessionPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  /** Panels opened by themselves and still open; servers that already had one (once per server). */
  private readonly autoOpened = new Set<string>();
  private readonly serversOpened = new Set<string>();

  /** The workspace's saved messages, shared by every panel. */
  private readonly saved = new SavedMessages();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly manager: SessionManager,
  ) {
    this.disposables.push(this.saved);
    // one watcher per session until its first data or its end, so a server left running holds none for old connections
    const watching = new Set<{ dispose(): void }>();
    const watch = (s: Session) => {
      const stopper = {
        dispose: () => {
          grow.dispose();
          state.dispose();
          watching.delete(stopper);
        },
      };
      const grow = s.transcript.onDidGrow((c) => {
        if (c.dir !== 'in') return;
        stopper.dispose();
        this.autoOpen(s);
      });
      const state = s.onDidChange((k) => {
        if (k === 'state' && !s.isAlive) stopper.dispose();
      });
      watching.add(stopper);
    };
    for (const s of manager.all()) watch(s);
    this.disposables.push(manager.onDidAdd(watch) as vscode.Disposable, { dispose: () => [...watching].forEach((w) => w.dispose()) });
  }

  private autoOpen(s: Session): void {
    const open = shouldAutoOpen(s, {
      setting: autoOpenSetting(),
      openPanels: new Set(this.panels.keys()),
      serversOpened: this.serversOpened,
      autoOpenedNow: this.autoOpened.size,
      cap: MAX_AUTO_PANELS,
      get: (id) => this.manager.get(id),
      all: () => this.manager.all(),
    });
    if (!open) return;
    if (s.parentId !== undefined) this.serversOpened.add(s.parentId);
    this.autoOpened.add(s.id);
    // "background": the text editor the user was looking at in that group comes back to the front
    const group = vscode.window.tabGroups.activeTabGroup;
    const front = group.activeTab?.input;
    const background = autoOpenSetting() === 'background';
    this.open(s.id, true, background);
    if (background && front instanceof vscode.TabInputText) void vscode.window.showTextDocument(front.uri, { viewColumn: group.viewColumn, preserveFocus: true, preview: false });
  }

  /**
   * Opens (or reveals) the panel of `sessionId`; returns false when no such session exists. `behind`: in the active
   * group, where the editor shown there is brought back in front of it (autoOpen "background").
   */
  open(sessionId: string, preserveFocus = false, behind = false): boolean {
    const existing = this.panels.get(sessionId);
    if (existing) {
      existing.reveal(preserveFocus);
      return true;
    }
    const session = this.manager.get(sessionId);
    if (!session) return false;
    // beside a text editor; over another panel in its group (a new group beside a webview left that webview blank in
    // code-server, seen in the capture e2e test), without taking the focus when it opens by itself
    const column = vscode.window.activeTextEditor && !behind ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = new SessionPanel(this.extensionUri, session, column, preserveFocus, (s) => this.manager.encodingOf(s), this.saved, () => {
      this.panels.delete(sessionId);
      this.autoOpened.delete(sessionId);
    });
    this.panels.set(sessionId, panel);
    return true;
  }

  /** Opens the panel of `sessionId` with chunks #first–#last selected; false when the session or its chunks are gone. */
  showChunks(sessionId: string, first: number, last: number): boolean {
    if (!this.open(sessionId, true)) return false;
    return this.panels.get(sessionId)?.showChunks(first, last) ?? false;
  }

  get openSessionIds(): string[] {
    return [...this.panels.keys()];
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** socketLab.panel.autoOpen, with the older socketLab.panel.openOnData: false still meaning off. */
function autoOpenSetting(): AutoOpenSetting {
  const cfg = vscode.workspace.getConfiguration('socketLab.panel');
  const v = cfg.get<string>('autoOpen', 'on');
  if (cfg.inspect<boolean>('openOnData')?.globalValue === false || cfg.inspect<boolean>('openOnData')?.workspaceValue === false) return 'off';
  return v === 'background' || v === 'off' ? v : 'on';
}

/** The tab's title: the session's label, and for a client the local port (two clients of one server differ). */
function panelTitle(s: Session): string {
  return (s.kind === 'tcp-client' || s.kind === 'tls-client' || s.kind === 'ws-client') && s.localPort !== undefined ? vscode.l10n.t('Session {0} from port {1}', s.label, s.localPort) : vscode.l10n.t('Session {0}', s.label);
}

function sessionIdFrom(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as { sessionId?: unknown; id?: unknown; session?: { id?: unknown } };
    if (typeof o.sessionId === 'string') return o.sessionId;
    // tree items may pass their element (a session or a node holding one)
    if (typeof o.session?.id === 'string') return o.session.id;
    if (typeof o.id === 'string') return o.id;
  }
  return undefined;
}

/** Registers `socketLab.session.openPanel {sessionId?}` and the automatic opening on first data. */
export function registerSessionPanel(context: vscode.ExtensionContext, manager: SessionManager): SessionPanelManager {
  const panels = new SessionPanelManager(context.extensionUri, manager);
  context.subscriptions.push(panels, {
    dispose: () => {
      log?.dispose();
      log = undefined;
    },
  });
  registerCommand(context, 'socketLab.session.openPanel', async (arg?: unknown) => {
    let id = sessionIdFrom(arg);
    if (id === undefined) {
      const sessions = manager.all();
      if (!sessions.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t('There is no session yet. Start a server or connect a client first.'));
        return false;
      }
      const pick = await vscode.window.showQuickPick(
        // live ones first, each in plain words with both ends
        [...sessions.filter((s) => s.isAlive), ...sessions.filter((s) => !s.isAlive)].map((s) => ({ ...sessionPickItem(s), id: s.id })),
        { placeHolder: vscode.l10n.t('Which session should the panel show?'), matchOnDescription: true },
      );
      if (!pick) return false;
      id = pick.id;
    }
    // the timeline's chunks link: { sessionId, chunk, lastChunk }
    const chunk = typeof arg === 'object' && arg !== null ? (arg as { chunk?: unknown; lastChunk?: unknown }) : {};
    if (Number.isSafeInteger(chunk.chunk) && panels.showChunks(id, chunk.chunk as number, Number.isSafeInteger(chunk.lastChunk) ? (chunk.lastChunk as number) : (chunk.chunk as number))) return true;
    if (!panels.open(id)) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Session {0} does not exist (it may have been cleared). Pick one from the Connections view.', id));
      return false;
    }
    return true;
  });
  return panels;
}
