// After (and while) a program runs with the call recorder, each line that made socket calls shows its last result
// at the end of the line ("recv → 17 B 'applebanana…'", "accept blocked 12.3 s", "recv → b'' (peer closed)"), and
// hovering the line lists its calls. The latest run of each file wins.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CallLog, LineCalls } from '../../core/trace/callLog';
import { bytesPreview, type CallRecord, errnoText, selectReady } from '../../core/trace/callTrace';

/** How long a call must block before its hint says so. */
const BLOCKED_MS = 50;

function blockedText(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** One call's result in a few words. */
export function resultText(r: CallRecord): string {
  if (r.error) return `${r.call} ✗ ${r.error.split(':')[0]}`;
  if (r.call.startsWith('recv') && r.returned === 0) return vscode.l10n.t("{0} → b'' (peer closed)", r.call);
  if (r.call === 'connect_ex' && typeof r.returned === 'number') return `connect_ex → ${errnoText(r.returned)}`;
  const sel = selectReady(r);
  if (sel) return sel.watched === undefined ? vscode.l10n.t('select → {0} ready', sel.ready) : vscode.l10n.t('select → {0} ready of {1}', sel.ready, sel.watched);
  if (r.returned !== undefined) return `${r.call} → ${r.returned} B ${bytesPreview(r.bytes_hex, 24)}`.trimEnd();
  if (r.call === 'accept' && r.peer) return `accept → ${r.peer}`;
  if ((r.call === 'connect' || r.call === 'connect_ex') && r.peer) return `${r.call} → ${r.peer}`;
  if (r.call === 'bind' && r.local) return `bind ${r.local}`;
  return r.call;
}

/** The hint at the end of a line: the last call's result, the sends it merged or the recvs it was split into, how long it blocked, how often the line called. */
export function lineHint(l: LineCalls, log: CallLog): string {
  const parts = [resultText(l.last)];
  const merged = log.sendsIn(l.last).length;
  const split = log.recvsOf(l.last).length;
  if (merged > 1) parts.push(vscode.l10n.t('{0} sends merged', merged));
  if (split > 1) parts.push(vscode.l10n.t('split over {0} recvs', split));
  if ((l.last.blocked_ms ?? 0) >= BLOCKED_MS) parts.push(vscode.l10n.t('blocked {0}', blockedText(l.last.blocked_ms ?? 0)));
  if (l.count > 1) parts.push(vscode.l10n.t('{0} calls', l.count));
  return parts.join(' · ');
}

export class CallHints implements vscode.Disposable {
  private readonly logs = new Map<string, CallLog>();
  /** The latest run shown (the timeline's default). */
  private latest: CallLog | undefined;
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic', margin: '0 0 0 2em' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Read-only views of folders on disk (the lessons'), by URI scheme: their documents show the hints of those files. */
  private readonly folders = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.subscriptions.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.languages.registerHoverProvider(['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact'].map((language) => ({ language })), { provideHover: (d, p) => this.hover(d, p) }),
    );
  }

  /** Shows `log` for the files it has calls in (replacing an earlier run's), and follows it as it grows; `file`: the file run. */
  show(log: CallLog, file?: string): void {
    const update = () => {
      for (const f of log.files) this.logs.set(f, log);
      this.schedule();
    };
    this.latest = log;
    if (file) this.logs.set(path.resolve(file), log); // its latest run, even one that makes no socket call
    log.onDidChange(update);
    update();
  }

  /** Documents of `scheme` (`scheme:/a/b.py`) show the hints of the files under `root` (`root/a/b.py`). */
  mapScheme(scheme: string, root: string): void {
    this.folders.set(scheme, root);
  }

  /** The document that shows `file` (a lesson's file opens in its read-only lesson tab, as the Lessons view opens it). */
  uriOf(file: string): vscode.Uri {
    for (const [scheme, root] of this.folders) {
      const rel = path.relative(root, file);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return vscode.Uri.from({ scheme, path: `/${rel.split(path.sep).join('/')}` });
    }
    return vscode.Uri.file(file);
  }

  /** The file on disk a document shows. */
  private fileOf(uri: vscode.Uri): string {
    const root = this.folders.get(uri.scheme);
    return root ? path.join(root, uri.path) : path.resolve(uri.fsPath);
  }

  /** The latest run of `file` (an absolute path), else the latest run of any file. */
  runOf(file: string | undefined): { log: CallLog; file: string } | undefined {
    const log = file ? this.logs.get(path.resolve(file)) : undefined;
    if (log) return { log, file: path.resolve(file!) };
    return this.latest?.files.length ? { log: this.latest, file: this.latest.files[0] } : undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, 200);
  }

  private render(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const file = this.fileOf(editor.document.uri);
      const log = this.logs.get(file);
      if (!log) {
        editor.setDecorations(this.type, []);
        continue;
      }
      const options: vscode.DecorationOptions[] = [];
      for (const [line, calls] of log.linesOf(file)) {
        if (line < 1 || line > editor.document.lineCount) continue;
        const end = editor.document.lineAt(line - 1).range.end;
        options.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: lineHint(calls, log) } } });
      }
      editor.setDecorations(this.type, options);
    }
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const file = this.fileOf(doc.uri);
    const log = this.logs.get(file);
    const calls = log?.linesOf(file).get(pos.line + 1);
    if (!log || !calls) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${vscode.l10n.t('Socket calls from this line')}**: ${calls.count}`);
    if (calls.bytes) md.appendMarkdown(` · ${vscode.l10n.t('{0} bytes', calls.bytes)}`);
    if (calls.maxBlockedMs >= BLOCKED_MS) md.appendMarkdown(` · ${vscode.l10n.t('blocked up to {0}', blockedText(calls.maxBlockedMs))}`);
    md.appendMarkdown('\n\n');
    const start = log.first ?? calls.recent[0].t;
    const rows = calls.recent.map((r) => `| +${(r.t - start).toFixed(3)} s | ${r.fd ?? ''} | ${resultText(r).replace(/\|/g, '\\|')} | ${r.blocked_ms !== undefined ? blockedText(r.blocked_ms) : ''} |`);
    md.appendMarkdown(`| ${vscode.l10n.t('when')} | fd | ${vscode.l10n.t('call')} | ${vscode.l10n.t('blocked')} |\n| --: | --: | :-- | --: |\n${rows.join('\n')}`);
    if (calls.count > calls.recent.length) md.appendMarkdown(`\n\n${vscode.l10n.t('The latest {0} of {1} calls.', calls.recent.length, calls.count)}`);
    const args = encodeURIComponent(JSON.stringify([{ file, line: pos.line + 1 }]));
    md.appendMarkdown(`\n\n[${vscode.l10n.t('Open in timeline')}](command:socketLab.timeline.show?${args})`);
    md.isTrusted = { enabledCommands: ['socketLab.timeline.show'] };
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.type.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
