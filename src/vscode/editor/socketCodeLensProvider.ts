// CodeLens above socket calls: connect a client, play the server, capture the port, and what listens there now.
import * as vscode from 'vscode';
import { languageFromId } from '../../core/analysis/grammarLoader';
import { findSocketCalls, mayUseSockets, type SocketCallSite } from '../../core/analysis/socketCalls';
import { readListenersOn } from '../../core/ossockets/socketTable';
import type { OsSocket } from '../../core/ossockets/types';
import { captureArgs, connectableHost } from '../../core/ossockets/socketText';
import { grammarLoader } from './grammar';
import { toRange } from './socketDiagnostics';

export const codeLensLanguages = ['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact', 'c'];

/** Hosts a Socket Lab server may stand in for: this machine only. */
function localHost(host: string | undefined): string | undefined {
  if (host === undefined || host === '' || host === 'localhost' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '::1') return '::1';
  if (/^127\./.test(host)) return host;
  return undefined;
}

interface Cached {
  version: number;
  sites: SocketCallSite[];
}

export class SocketCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly _onDidChangeCodeLenses = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this._onDidChangeCodeLenses.event;
  private readonly cache = new Map<string, Cached>();
  private listeners = new Map<string, OsSocket>();
  private listenersKey = '';
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private grammarWarned = false;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.subs.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.updatePolling()),
      vscode.window.onDidChangeWindowState(() => this.updatePolling()),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('socketLab.editor.codeLens')) this._onDidChangeCodeLenses.fire();
      }),
    );
  }

  private ports(): Set<string> {
    const out = new Set<string>();
    for (const ed of vscode.window.visibleTextEditors) for (const s of this.cache.get(ed.document.uri.toString())?.sites ?? []) out.add(`${s.protocol}:${s.port}`);
    return out;
  }

  /** Live state is polled only while an editor showing socket calls is visible and the window has focus. */
  private updatePolling(): void {
    const want = vscode.window.state.focused && this.ports().size > 0;
    if (want && !this.timer) {
      void this.readListeners();
      this.timer = setInterval(() => void this.readListeners(), 3000);
    } else if (!want && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async readListeners(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const next = new Map<string, OsSocket>();
      for (const s of await readListenersOn(this.ports())) {
        const k = `${s.protocol}:${s.localPort}`;
        if (!next.has(k)) next.set(k, s);
      }
      const key = [...next].map(([k, s]) => `${k}/${s.pid}/${s.command}`).sort().join(',');
      this.listeners = next;
      if (key !== this.listenersKey) {
        this.listenersKey = key;
        this._onDidChangeCodeLenses.fire();
      }
    } catch {
      // live state is a bonus; the lenses stay without it
    } finally {
      this.reading = false;
    }
  }

  private async sites(doc: vscode.TextDocument): Promise<SocketCallSite[]> {
    const k = doc.uri.toString();
    const hit = this.cache.get(k);
    if (hit && hit.version === doc.version) return hit.sites;
    const lang = languageFromId(doc.languageId);
    if (!lang) return [];
    const text = doc.getText();
    if (!mayUseSockets(text)) {
      this.cache.set(k, { version: doc.version, sites: [] });
      return [];
    }
    const tree = await grammarLoader(this.context).parse(lang, text);
    let sites: SocketCallSite[];
    try {
      sites = findSocketCalls(tree, lang);
    } finally {
      tree.delete();
    }
    this.cache.set(k, { version: doc.version, sites });
    return sites;
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration('socketLab.editor').get<boolean>('codeLens', true)) return [];
    let sites: SocketCallSite[];
    try {
      sites = await this.sites(doc);
    } catch (e) {
      if (!this.grammarWarned) {
        this.grammarWarned = true;
        void vscode.window.showWarningMessage(vscode.l10n.t('Socket Lab could not load its {0} parser ({1}); CodeLens and diagnostics are off for this language. Reinstalling the extension restores the parser files.', doc.languageId, e instanceof Error ? e.message : String(e)));
      }
      return [];
    }
    this.updatePolling();
    const lenses: vscode.CodeLens[] = [];
    for (const s of sites) {
      const range = toRange(s.range);
      const live = this.listeners.get(`${s.protocol}:${s.port}`);
      if (live) {
        const who = live.pid !== undefined ? vscode.l10n.t('{0} (pid {1})', live.command ?? '?', live.pid) : vscode.l10n.t('another user\'s process');
        lenses.push(new vscode.CodeLens(range, {
          title: live.protocol === 'tcp' ? vscode.l10n.t('$(radio-tower) port {0}: LISTEN by {1}', s.port, who) : vscode.l10n.t('$(radio-tower) port {0}: bound by {1}', s.port, who),
          tooltip: vscode.l10n.t('Show it in System Sockets'),
          command: 'socketLab.systemSockets.focus',
        }));
      }
      if (s.role === 'server' && s.protocol === 'tcp') {
        lenses.push(new vscode.CodeLens(range, {
          title: vscode.l10n.t('Connect a Socket Lab client'),
          tooltip: vscode.l10n.t('Open a Socket Lab TCP client to {0}:{1} (run your server first)', connectableHost(s.host ?? ''), s.port),
          command: 'socketLab.tcp.connect',
          arguments: [{ host: connectableHost(s.host ?? ''), port: s.port }],
        }));
      }
      const serverHost = localHost(s.host);
      if (s.role === 'client' && serverHost) {
        lenses.push(new vscode.CodeLens(range, {
          title: vscode.l10n.t('Start a Socket Lab server here'),
          tooltip: vscode.l10n.t('Listen on {0}:{1} so your program has a peer to talk to', serverHost, s.port),
          command: s.protocol === 'tcp' ? 'socketLab.tcp.startServer' : 'socketLab.udp.open',
          arguments: [s.protocol === 'tcp' ? { host: serverHost, port: s.port, mode: 'echo' } : { host: serverHost, port: s.port }],
        }));
      }
      lenses.push(new vscode.CodeLens(range, {
        title: vscode.l10n.t('Capture port {0}', s.port),
        command: 'socketLab.capture.start',
        arguments: [captureArgs(s.port, s.protocol, s.host)],
      }));
    }
    return lenses;
  }

  /** Ports of the server (or client) calls in a document, for explaining errors of a running file. */
  async portsIn(doc: vscode.TextDocument, role: 'server' | 'client'): Promise<SocketCallSite[]> {
    try {
      return (await this.sites(doc)).filter((s) => s.role === role);
    } catch {
      return [];
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this._onDidChangeCodeLenses.dispose();
    for (const s of this.subs.splice(0)) s.dispose();
  }
}

