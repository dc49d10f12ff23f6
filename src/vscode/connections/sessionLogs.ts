// Start Log / Stop Log: a session's traffic (or every session's) written live to a file by core/sessions/sessionLog.ts.
// Arguments: { sessionId?, all?, file?, format?, timestamps? }; what is missing is asked or taken from the settings.
// Export Transcript: what a session's transcript holds (or chosen chunks) written once, in the same formats
// (core/sessions/transcriptExport.ts). Arguments: { sessionId?, path?, format?, chunks?, timestamps? }.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Emitter } from '../../shared/disposable';
import { errorLanguageFor, errorSentence } from '../../core/errors';
import { Session } from '../../core/sessions/session';
import type { SessionManager } from '../../core/sessions/sessionManager';
import { LogEncoder, type LogFormat, logFormats, SessionLog, type TimestampStyle, timestampStyles } from '../../core/sessions/sessionLog';
import { ExportCancelled, exportExtensions, exportTranscript } from '../../core/sessions/transcriptExport';
import { registerCommand } from '../commands';

type Args = Record<string, unknown>;
const ALL = '*';
const EXT: Record<LogFormat, string> = { text: 'log', hex: 'hex', jsonl: 'jsonl', pcapng: 'pcapng' };
const FORMAT_NAMES: Record<LogFormat, () => string> = { text: () => vscode.l10n.t('Text'), hex: () => vscode.l10n.t('Hex dump'), jsonl: () => vscode.l10n.t('JSON Lines'), pcapng: () => 'pcapng' };

function argsOf(arg: unknown): Args {
  if (arg instanceof Session) return { sessionId: arg.id };
  return arg && typeof arg === 'object' ? (arg as Args) : {};
}

const message = (e: unknown) => errorSentence(e, errorLanguageFor(vscode.env.language)).message;

/** The logs running, by session id ('*' for the all-sessions log). */
export class SessionLogs implements vscode.Disposable {
  private readonly running = new Map<string, SessionLog>();
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange = this._onDidChange.event;

  constructor(
    context: vscode.ExtensionContext,
    private readonly manager: SessionManager,
    /** The session commands' picker: the argument's session, else the only candidate, else a quick pick. */
    private readonly pick: (args: Args, ok: (s: Session) => boolean, title: string) => Promise<Session | undefined>,
  ) {
    registerCommand(context, 'socketLab.session.startLog', (a) => this.start(argsOf(a)));
    registerCommand(context, 'socketLab.session.stopLog', (a) => this.stop(argsOf(a)));
    registerCommand(context, 'socketLab.session.exportTranscript', (a) => this.exportTranscript(argsOf(a)));
    // Stop Log shows in the tree's menus while any log runs
    this.onDidChange(() => void vscode.commands.executeCommand('setContext', 'socketLab.logging', this.running.size > 0));
    context.subscriptions.push(this);
  }

  /** The file a session is logged to (its own log or the all-sessions one). */
  fileOf(s: Session): string | undefined {
    for (let x: Session | undefined = s; x; x = x.parentId ? this.manager.get(x.parentId) : undefined) {
      const log = this.running.get(x.id);
      if (log) return log.file;
    }
    return this.running.get(ALL)?.file;
  }

  async start(args: Args): Promise<string | undefined> {
    const all = args.all === true;
    const session = all ? undefined : await this.pick(args, (s) => s.isAlive && !this.running.has(s.id), vscode.l10n.t('Log which session?'));
    if (!all && !session) return undefined;
    const key = session?.id ?? ALL;
    if (this.running.has(key)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This is already being logged to {0}.', this.running.get(key)!.file));
      return undefined;
    }
    const config = vscode.workspace.getConfiguration('socketLab.logs');
    const format = await this.format(args, config.get<string>('format', 'text'), session);
    if (!format) return undefined;
    const timestamps = (timestampStyles as readonly string[]).includes(String(args.timestamps ?? config.get('timestamps'))) ? (String(args.timestamps ?? config.get('timestamps')) as TimestampStyle) : 'absolute';
    try {
      const file = typeof args.file === 'string' ? args.file : await this.fileFor(session, format, config.get<string>('folder', ''));
      if (!file) return undefined;
      if (session) new LogEncoder(format).check(session); // before the file is made
      const log = await SessionLog.open(file, { format, timestamps, encoding: session?.encoding ?? this.manager.defaultEncoding });
      log.follow(this.manager, session);
      this.running.set(key, log);
      log.onDidStop((e) => {
        if (this.running.get(key) === log) this.running.delete(key);
        this._onDidChange.fire();
        if (e) void vscode.window.showErrorMessage(message(e));
      });
      this._onDidChange.fire();
      const open = vscode.l10n.t('Open Log');
      const stop = vscode.l10n.t('Stop Log');
      void vscode.window.showInformationMessage(vscode.l10n.t('Logging {0} to {1}.', session?.label ?? vscode.l10n.t('all sessions'), file), open, stop).then((c) => {
        if (c === open) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
        if (c === stop) void this.stop(session ? { sessionId: session.id } : { all: true });
      });
      return file;
    } catch (e) {
      void vscode.window.showErrorMessage(message(e));
      return undefined;
    }
  }

  async stop(args: Args): Promise<void> {
    let key = args.all === true ? ALL : typeof args.sessionId === 'string' ? args.sessionId : undefined;
    if (key === undefined) {
      const keys = [...this.running.keys()];
      if (keys.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No session is being logged.'));
        return;
      }
      if (keys.length === 1) key = keys[0];
      else {
        const items = keys.map((k) => ({ label: k === ALL ? vscode.l10n.t('All sessions') : (this.manager.get(k)?.label ?? k), description: this.running.get(k)!.file, k }));
        key = (await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Stop which log?') }))?.k;
        if (key === undefined) return;
      }
    }
    const log = this.running.get(key);
    if (!log) {
      void vscode.window.showInformationMessage(vscode.l10n.t('That session is not being logged.'));
      return;
    }
    this.running.delete(key);
    await log.stop();
    this._onDidChange.fire();
  }

  private async format(args: Args, fallback: string, session: Session | undefined, title = vscode.l10n.t('Log format')): Promise<LogFormat | undefined> {
    if (typeof args.format === 'string') {
      if ((logFormats as readonly string[]).includes(args.format)) return args.format as LogFormat;
      void vscode.window.showErrorMessage(vscode.l10n.t('Unknown log format "{0}": use text, hex, jsonl or pcapng.', args.format));
      return undefined;
    }
    const unix = session?.kind.startsWith('unix') ?? false;
    const items: (vscode.QuickPickItem & { f: LogFormat })[] = [
      { f: 'text', label: FORMAT_NAMES.text(), description: vscode.l10n.t('a line per chunk: time, direction, size, the text with escapes') },
      { f: 'hex', label: FORMAT_NAMES.hex(), description: vscode.l10n.t('xxd-style rows; xxd -r turns it back into the bytes') },
      { f: 'jsonl', label: FORMAT_NAMES.jsonl(), description: vscode.l10n.t('a record per chunk and event, bytes as base64 and hex') },
      ...(unix ? [] : [{ f: 'pcapng' as const, label: 'pcapng', description: vscode.l10n.t('frames made from the real addresses and ports: Wireshark opens it') }]),
    ];
    const first = items.find((i) => i.f === fallback);
    const ordered = first ? [first, ...items.filter((i) => i !== first)] : items;
    return (await vscode.window.showQuickPick(ordered, { title }))?.f;
  }

  /**
   * Writes the transcript of the argument's session (or the one picked) to `path` (never over an existing file) or to
   * the file the save dialog names (VS Code asks before replacing one), with progress and Cancel. Returns the file.
   */
  async exportTranscript(args: Args): Promise<string | undefined> {
    const session = await this.pick(args, () => true, vscode.l10n.t('Export which session?'));
    if (!session) return undefined;
    const chunks = args.chunks;
    if (chunks !== undefined && !(Array.isArray(chunks) && chunks.every((n) => Number.isSafeInteger(n) && n >= 0))) {
      void vscode.window.showErrorMessage(vscode.l10n.t('"chunks" must be a list of chunk numbers (the #N each chunk shows).'));
      return undefined;
    }
    const config = vscode.workspace.getConfiguration('socketLab.logs');
    const format = await this.format(args, config.get<string>('format', 'text'), session, vscode.l10n.t('Export format'));
    if (!format) return undefined;
    const given = String(args.timestamps ?? config.get('timestamps'));
    const timestamps = (timestampStyles as readonly string[]).includes(given) ? (given as TimestampStyle) : 'absolute';
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    // a path given is taken as it is (relative: to the workspace) and never replaces a file; the dialog's may
    const file = typeof args.path === 'string' ? path.resolve(root ?? '', args.path) : await this.exportFile(session, format);
    if (!file) return undefined;
    const title = vscode.l10n.t('Exporting the transcript of {0}', session.label);
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        let shown = 0;
        const onProgress = (done: number, total: number) => {
          const pct = total ? Math.floor((done / total) * 100) : 100;
          if (pct > shown) progress.report({ increment: pct - shown, message: `${pct}%` });
          shown = Math.max(shown, pct);
        };
        return exportTranscript(session, file, { format, timestamps, encoding: this.manager.encodingOf(session), chunks: chunks as number[] | undefined, overwrite: typeof args.path !== 'string', onProgress, signal: ac.signal });
      });
      const open = vscode.l10n.t('Open');
      const missing = r.missing ? ` ${vscode.l10n.t('{0} chosen chunks were no longer held by the transcript.', r.missing)}` : '';
      void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} chunks ({1} bytes) to {2}.', r.chunks, r.bytes, file) + missing, open).then((c) => {
        if (c === open) void vscode.commands.executeCommand(format === 'pcapng' ? 'revealFileInOS' : 'vscode.open', vscode.Uri.file(file));
      });
      return file;
    } catch (e) {
      if (!(e instanceof ExportCancelled)) void vscode.window.showErrorMessage(message(e));
      return undefined;
    }
  }

  /** The save dialog, in the workspace with the session's name; VS Code itself asks before replacing a file. */
  private async exportFile(session: Session, format: LogFormat): Promise<string | undefined> {
    const name = `${session.label.replace(/[^\w.-]+/g, '_')}.${EXT[format]}`;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const uri = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Export the transcript to'), defaultUri: root ? vscode.Uri.file(path.join(root, name)) : undefined, filters: { [FORMAT_NAMES[format]()]: [...exportExtensions[format]], [vscode.l10n.t('All files')]: ['*'] } });
    return uri?.fsPath;
  }

  /** `socketLab.logs.folder` (relative to the workspace) with a new name in it, else the save dialog. */
  private async fileFor(session: Session | undefined, format: LogFormat, folderSetting: string): Promise<string | undefined> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${(session?.label ?? 'all-sessions').replace(/[^\w.-]+/g, '_')}-${stamp}.${EXT[format]}`;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (folderSetting.trim()) {
      const folder = path.isAbsolute(folderSetting) ? folderSetting : root ? path.join(root, folderSetting) : undefined;
      if (folder) {
        fs.mkdirSync(folder, { recursive: true });
        return path.join(folder, name);
      }
    }
    const uri = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Log to file'), defaultUri: root ? vscode.Uri.file(path.join(root, name)) : undefined });
    return uri?.fsPath;
  }

  dispose(): void {
    for (const log of this.running.values()) void log.stop();
    this.running.clear();
    this._onDidChange.dispose();
  }
}
