// The socket-call timeline: one webview showing a run's calls (the latest run of a file, from the editor's call
// hints), lane per socket, send → recv arrows, a selected call's details and bytes. The page pulls time windows from
// the model (core/panels/timelineModel.ts); growth of the run is one coalesced event.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createPanelHost } from '../../shared/panelKit';
import type { Rpc, RpcEnvelope } from '../../shared/rpc';
import { TIMELINE_PANEL, type TimelineEvent, type TimelineRequest, type TimelineResponses } from '../../shared/timelinePanelProtocol';
import { TimelineModel, type WireSources } from '../../core/panels/timelineModel';
import { findBytes } from '../../core/panels/transcriptView';
import { errorLanguageFor } from '../../core/errors';
import type { CallLog } from '../../core/trace/callLog';
import type { Capture, CaptureManager } from '../../core/capture/captureManager';
import type { SessionManager } from '../../core/sessions/sessionManager';
import type { CallHints } from '../editor/callHints';
import { registerCommand } from '../commands';
import { panelStrings } from './panelStrings';
import { webviewHtml } from './webviewHtml';

/** Growth events are coalesced to at most one per this many ms. */
const CHANGE_COALESCE_MS = 250;

class TimelinePanel {
  private model: TimelineModel;
  private readonly rpc: Rpc<TimelineEvent, TimelineRequest>;
  private readonly disposables: vscode.Disposable[] = [];
  private logSub: vscode.Disposable | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    root: vscode.Uri,
    log: CallLog,
    title: string,
    private focus: number | undefined,
    private readonly wire: WireSources | undefined,
    /** The document to open for a call's file (a lesson's read-only tab for a lesson's file). */
    private readonly uriOf: (file: string) => vscode.Uri,
    onDispose: () => void,
  ) {
    this.model = this.follow(log, title);
    this.rpc = createPanelHost(
      TIMELINE_PANEL,
      (m: RpcEnvelope) => void panel.webview.postMessage(m),
      (req) => this.answer(req),
      (_raw, reason) => console.warn(`socket-lab timeline: dropped a message (${reason})`),
    );
    panel.webview.html = webviewHtml(panel.webview, root, 'timeline', vscode.env.language);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => void this.rpc.receive(m)),
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
  }

  get log(): CallLog {
    return this.model.log;
  }

  private follow(log: CallLog, title: string): TimelineModel {
    this.logSub?.dispose();
    this.logSub = log.onDidChange(() => this.schedule());
    this.panel.title = vscode.l10n.t('Timeline: {0}', title);
    return new TimelineModel(log, title, this.wire);
  }

  /** Shows another run (the latest of a file), or the same one again, at `focus`. */
  show(log: CallLog, title: string, focus: number | undefined): void {
    if (log !== this.model.log) {
      // the page starts over on the new run before it is told which call to show
      this.model = this.follow(log, title);
      clearTimeout(this.timer);
      this.timer = undefined;
      this.rpc.event({ type: 'changed', reset: true, ...this.model.summary() });
    }
    this.panel.reveal(undefined, false);
    this.focus = focus; // a page that reloads on reveal asks with `ready`
    if (focus !== undefined) this.rpc.event({ type: 'focus', id: focus });
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.rpc.event({ type: 'changed', reset: false, ...this.model.summary() });
    }, CHANGE_COALESCE_MS);
  }

  private async answer(req: TimelineRequest): Promise<TimelineResponses[TimelineRequest['type']]> {
    switch (req.type) {
      case 'ready': {
        const focus = this.focus;
        this.focus = undefined;
        return { ...this.model.summary(), strings: panelStrings(), ...(focus !== undefined ? { focus } : {}) } satisfies TimelineResponses['ready'];
      }
      case 'window':
        return this.model.window(req) satisfies TimelineResponses['window'];
      case 'call':
        return this.model.detail(req.id) ?? { missing: true };
      case 'openSource': {
        const src = this.model.sourceOf(req.id);
        if (!src) return { ok: false };
        const pos = new vscode.Position(src.line - 1, 0);
        await vscode.window.showTextDocument(this.uriOf(src.file), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
        return { ok: true };
      }
      case 'find': {
        const bytes = this.model.detail(req.id)?.bytes ?? new Uint8Array(0);
        return findBytes(bytes.subarray(req.from), req.from, req.query, req.mode, 'utf-8', errorLanguageFor(vscode.env.language));
      }
      case 'copy':
        await vscode.env.clipboard.writeText(req.text);
        return { ok: true };
      case 'openFrame':
        return { ok: (await vscode.commands.executeCommand('socketLab.capture.openPanel', { captureId: req.captureId, packetIndex: req.frame - 1 })) === true };
      case 'openChunks':
        return { ok: (await vscode.commands.executeCommand('socketLab.session.openPanel', { sessionId: req.sessionId, chunk: req.chunk, lastChunk: req.last })) === true };
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.logSub?.dispose();
    this.rpc.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** `socketLab.timeline.show`'s argument: a file (its latest run) and a line (its latest call is shown). */
function parseArg(arg: unknown): { file?: string; line?: number } {
  if (typeof arg !== 'object' || arg === null) return {};
  const a = arg as { file?: unknown; line?: unknown };
  return {
    ...(typeof a.file === 'string' && a.file ? { file: a.file } : {}),
    ...(Number.isSafeInteger(a.line) && (a.line as number) > 0 ? { line: a.line as number } : {}),
  };
}

/** A capture's name in the timeline: its connection, else its interface and filter. */
function captureLabel(c: Capture): string {
  return c.label ?? (c.filter ? `${c.interface} (${c.filter})` : c.interface);
}

/** What the timeline links calls to: Socket Lab's captures and sessions. */
export function wireSources(captures: CaptureManager | undefined, sessions: SessionManager): WireSources {
  return {
    captures: () => (captures?.all() ?? []).map((c) => ({ id: c.id, label: captureLabel(c), packets: c.packets })),
    sessions: () => sessions.all(),
  };
}

export function registerTimelinePanel(context: vscode.ExtensionContext, hints: CallHints, wire?: WireSources): void {
  const root = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
  let current: TimelinePanel | undefined;
  context.subscriptions.push({ dispose: () => current?.panel.dispose() });
  registerCommand(context, 'socketLab.timeline.show', (arg?: unknown) => {
    const { file = vscode.window.activeTextEditor?.document.uri.fsPath, line } = parseArg(arg);
    const found = hints.runOf(file);
    if (!found) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No recorded run to show: run a Python or Node.js file with Socket Lab: Run File, Debug File or Run Lesson first.'));
      return;
    }
    if (found.log.total === 0) {
      // its latest run made no socket call: say so rather than show another run
      void vscode.window.showInformationMessage(vscode.l10n.t('The last run of {0} made no socket call: there is nothing to show on the timeline.', path.basename(found.file)));
      return;
    }
    const title = path.basename(found.file);
    const focus = file && line !== undefined ? new TimelineModel(found.log, title).latestAt(file, line) : undefined;
    if (current) {
      current.show(found.log, title, focus);
      return;
    }
    const panel = vscode.window.createWebviewPanel('socketLab.timeline', vscode.l10n.t('Timeline: {0}', title), { viewColumn: vscode.ViewColumn.Beside }, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [root],
    });
    current = new TimelinePanel(panel, root, found.log, title, focus, wire, (f) => hints.uriOf(f), () => (current = undefined));
  });
}
