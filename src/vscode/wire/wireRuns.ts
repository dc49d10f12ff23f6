// Running .wire blocks from the editor: CodeLens Run / Serve / Stop / Run All over the blocks, ✓/✗ with the time
// after each step (a failure's hover shows expected vs got as text and hex), the whole transcript in the
// "Socket Lab Wire" output, servers in the Connections tree with their rule hits, and "Answer by Rules…" for a
// running server. Running connects and listens: Restricted Mode refuses it (requireTrust).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorLanguageFor, errorSentence } from '../../core/errors';
import { stepLines, summarize } from '../../core/cli/runCommand';
import type { Session } from '../../core/sessions/session';
import type { SessionManager } from '../../core/sessions/sessionManager';
import { blockLabel, parseWire, type WireBlock, type WireFile } from '../../core/wire/wireParser';
import { variableResolver, WireRules } from '../../core/wire/wireRules';
import { runClientBlock, serveBlock, type ServedBlock, type WireBlockResult, type WireStepResult } from '../../core/wire/wireRunner';
import { registerCommand } from '../commands';
import { sessionPickItem } from '../connections/connectionsTreeProvider';
import { requireTrust } from '../trust';
import { parseDocument, WIRE_LANGUAGE, zh } from './wireLanguage';

/** What the Run/Serve/Stop commands take (the CodeLens passes it; a keybinding may pass nothing: the cursor's block). */
interface BlockArgs {
  readonly uri?: string;
  /** The block's 1-based index in its file. */
  readonly block?: number;
}

const servedKey = (uri: vscode.Uri, b: WireBlock) => `${uri.toString()}#${b.name ?? b.index}`;

export class WireRuns implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel('Socket Lab Wire');
  private readonly passType = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('testing.iconPassed'), margin: '0 0 0 2em' },
    isWholeLine: true,
  });
  private readonly failType = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('testing.iconFailed'), margin: '0 0 0 2em' },
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
  });
  private readonly skipType = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('descriptionForeground'), margin: '0 0 0 2em' },
    isWholeLine: true,
  });
  private readonly hitType = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('descriptionForeground'), margin: '0 0 0 2em' },
    isWholeLine: true,
  });
  /** Step results of each document's last runs, by line, until the document changes. */
  private readonly results = new Map<string, Map<number, WireStepResult>>();
  private readonly served = new Map<string, ServedBlock>();
  private readonly running = new Map<string, AbortController>();
  private readonly _onDidChangeCodeLenses = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this._onDidChangeCodeLenses.event;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly sessions: SessionManager) {
    this.subs.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        // an edit makes the marks stale; a run still under way keeps writing its own
        const uri = e.document.uri.toString();
        if (e.contentChanges.length && ![...this.running.keys()].some((k) => k.startsWith(`${uri}#`)) && this.results.delete(uri)) this.decorate();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()),
    );
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const file = parseDocument(doc);
    const lenses: vscode.CodeLens[] = [];
    const uri = doc.uri.toString();
    const clients = file.blocks.filter((b) => b.kind === 'client');
    for (const b of file.blocks) {
      const at = new vscode.Range(b.line - 1, 0, b.line - 1, 0);
      const args: BlockArgs = { uri, block: b.index };
      if (b.kind === 'client') {
        const busy = this.running.has(servedKey(doc.uri, b));
        lenses.push(new vscode.CodeLens(at, busy ? { title: vscode.l10n.t('$(loading~spin) Running…'), command: '' } : { title: vscode.l10n.t('$(play) Run'), command: 'socketLab.wire.run', arguments: [args] }));
        if (b === clients[0] && clients.length > 1) lenses.push(new vscode.CodeLens(at, { title: vscode.l10n.t('$(run-all) Run All'), command: 'socketLab.wire.runAll', arguments: [{ uri }] }));
      } else if (b.kind === 'server') {
        const s = this.served.get(servedKey(doc.uri, b));
        if (!s) lenses.push(new vscode.CodeLens(at, { title: vscode.l10n.t('$(radio-tower) Serve'), command: 'socketLab.wire.serve', arguments: [args] }));
        else {
          const hits = s.rules.hits.reduce((a, n) => a + n, 0);
          lenses.push(new vscode.CodeLens(at, { title: vscode.l10n.t('$(debug-stop) Stop (serving on {0}, {1} rule hits)', s.address, hits), command: 'socketLab.wire.stop', arguments: [args] }));
        }
      }
    }
    return lenses;
  }

  /** The document and block the command means: its arguments, else the active editor's block under the cursor. */
  private async target(arg: unknown, kinds: WireBlock['kind'][]): Promise<{ doc: vscode.TextDocument; file: WireFile; block: WireBlock } | undefined> {
    const a = (arg && typeof arg === 'object' ? arg : {}) as BlockArgs;
    const doc = typeof a.uri === 'string' ? await vscode.workspace.openTextDocument(vscode.Uri.parse(a.uri)) : vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== WIRE_LANGUAGE) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Open a .wire file first.'));
      return undefined;
    }
    const file = parseDocument(doc);
    const line = vscode.window.activeTextEditor?.document === doc ? vscode.window.activeTextEditor.selection.active.line + 1 : 1;
    const block = typeof a.block === 'number' ? file.blocks.find((b) => b.index === a.block) : [...file.blocks].reverse().find((b) => b.line <= line);
    if (!block || !kinds.includes(block.kind)) {
      void vscode.window.showErrorMessage(kinds.includes('client') ? vscode.l10n.t('Put the cursor in a block that starts with connect.') : vscode.l10n.t('Put the cursor in a block that starts with listen.'));
      return undefined;
    }
    return { doc, file, block };
  }

  /** A file with mistakes does not run: the Problems view lists them. */
  private refuseBroken(file: WireFile): boolean {
    if (file.diagnostics.length === 0) return false;
    const d = file.diagnostics[0];
    void vscode.window.showErrorMessage(vscode.l10n.t('This .wire file has {0} mistakes; the first, on line {1}: {2}', file.diagnostics.length, d.line, zh() ? d.messageZh : d.message));
    return true;
  }

  async run(arg: unknown): Promise<WireBlockResult | undefined> {
    if (!requireTrust(vscode.l10n.t('Running a .wire block'))) return undefined;
    const t = await this.target(arg, ['client']);
    if (!t || this.refuseBroken(t.file)) return undefined;
    if (this.running.has(servedKey(t.doc.uri, t.block))) {
      void vscode.window.showInformationMessage(vscode.l10n.t('"{0}" is running already; its marks appear as its steps end.', blockLabel(t.block)));
      return undefined;
    }
    return (await this.withServers(t.doc, t.file, () => this.runBlocks(t.doc, t.file, [t.block])))[0];
  }

  /** Every client block in order; the file's server blocks serve meanwhile, so one file can test itself (as the CLI does). */
  async runAll(arg: unknown): Promise<readonly WireBlockResult[]> {
    if (!requireTrust(vscode.l10n.t('Running a .wire block'))) return [];
    const a = (arg && typeof arg === 'object' ? arg : {}) as BlockArgs;
    const doc = typeof a.uri === 'string' ? await vscode.workspace.openTextDocument(vscode.Uri.parse(a.uri)) : vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== WIRE_LANGUAGE) return [];
    const file = parseDocument(doc);
    if (this.refuseBroken(file)) return [];
    const clients = file.blocks.filter((b) => b.kind === 'client' && !this.running.has(servedKey(doc.uri, b)));
    return this.withServers(doc, file, () => this.runBlocks(doc, file, clients));
  }

  /** The file's server blocks not served yet serve while `run` runs, so one file can test itself (as the CLI does). */
  private async withServers<T>(doc: vscode.TextDocument, file: WireFile, run: () => Promise<T[]>): Promise<T[]> {
    const started: ServedBlock[] = [];
    try {
      for (const b of file.blocks.filter((x) => x.kind === 'server' && !this.served.has(servedKey(doc.uri, x)))) started.push(await this.startServer(doc, file, b));
      return await run();
    } catch (e) {
      void vscode.window.showErrorMessage(errorSentence(e, errorLanguageFor(vscode.env.language)).message);
      return [];
    } finally {
      for (const s of started) this.stopServed(doc.uri, s.block);
    }
  }

  private async runBlocks(doc: vscode.TextDocument, file: WireFile, blocks: readonly WireBlock[]): Promise<WireBlockResult[]> {
    const uri = doc.uri.toString();
    const rel = vscode.workspace.asRelativePath(doc.uri);
    const lines = this.results.get(uri) ?? new Map<number, WireStepResult>();
    this.results.set(uri, lines);
    const out: WireBlockResult[] = [];
    const started = Date.now();
    this.output.appendLine(`— ${rel}  ${new Date().toLocaleTimeString()}`);
    for (const block of blocks) {
      for (const s of block.steps) lines.delete(s.line);
      const key = servedKey(doc.uri, block);
      const ac = new AbortController();
      this.running.set(key, ac);
      this._onDidChangeCodeLenses.fire();
      this.decorate();
      this.output.appendLine(`### ${blockLabel(block)} (line ${block.line})`);
      try {
        const r = await runClientBlock(file, block, {
          baseDir: doc.uri.scheme === 'file' ? path.dirname(doc.uri.fsPath) : undefined,
          tlsCacheDir: this.sessions.tlsCacheDir,
          signal: ac.signal,
          onStep: (step) => {
            lines.set(step.line, step);
            this.output.appendLine(stepLines(rel, step));
            this.decorate();
          },
        });
        out.push(r);
      } finally {
        this.running.delete(key);
        this._onDidChangeCodeLenses.fire();
      }
    }
    const sum = summarize(out, Date.now() - started);
    this.output.appendLine(sum.line);
    if (sum.failed > 0) {
      void vscode.window.showWarningMessage(sum.line, vscode.l10n.t('Show Transcript')).then((pick) => pick && this.output.show(true));
    } else vscode.window.setStatusBarMessage(`$(pass) ${sum.line}`, 5000);
    return out;
  }

  private async startServer(doc: vscode.TextDocument, file: WireFile, block: WireBlock): Promise<ServedBlock> {
    const s = await serveBlock(this.sessions, file, block);
    const key = servedKey(doc.uri, block);
    this.served.set(key, s);
    s.rules.onDidHit(() => {
      this._onDidChangeCodeLenses.fire();
      this.decorate();
    });
    // a server stopped from the Connections tree is no longer served here
    s.session.onDidChange((k) => {
      if (this.served.get(key) !== s) return;
      if (k === 'state' && !s.session.isAlive) this.stopServed(doc.uri, block);
      // Answer by Rules… or Switch Behaviour gave the server other rules: it is no longer this block's
      else if (k === 'mode' && s.session.rules !== s.rules) this.forget(key, vscode.l10n.t('"{0}" no longer answers by this block: its behaviour was switched.', blockLabel(block)));
    });
    this.output.appendLine(vscode.l10n.t('serving "{0}" on {1} (line {2})', blockLabel(block), s.address, block.line));
    this._onDidChangeCodeLenses.fire();
    this.decorate();
    return s;
  }

  async serve(arg: unknown): Promise<ServedBlock | undefined> {
    if (!requireTrust(vscode.l10n.t('Serving a .wire block'))) return undefined;
    const t = await this.target(arg, ['server']);
    if (!t || this.refuseBroken(t.file)) return undefined;
    this.stopServed(t.doc.uri, t.block);
    try {
      return await this.startServer(t.doc, t.file, t.block);
    } catch (e) {
      void vscode.window.showErrorMessage(errorSentence(e, errorLanguageFor(vscode.env.language)).message);
      return undefined;
    }
  }

  async stop(arg: unknown): Promise<void> {
    const t = await this.target(arg, ['server']);
    if (t) this.stopServed(t.doc.uri, t.block);
  }

  /** Stops tracking a served block whose server now does something else (the server keeps running). */
  private forget(key: string, why: string): void {
    const s = this.served.get(key);
    if (!s) return;
    this.served.delete(key);
    s.rules.dispose();
    this.output.appendLine(why);
    this._onDidChangeCodeLenses.fire();
    this.decorate();
  }

  private stopServed(uri: vscode.Uri, block: WireBlock): void {
    const key = servedKey(uri, block);
    const s = this.served.get(key);
    if (!s) return;
    this.served.delete(key);
    const hits = s.rules.rules.map((r, i) => `line ${r.line} ×${s.rules.hits[i]}`).join(', ');
    this.output.appendLine(vscode.l10n.t('stopped "{0}": {1}', blockLabel(block), hits));
    s.dispose();
    this._onDidChangeCodeLenses.fire();
    this.decorate();
  }

  /** "Answer by Rules…": a running server answers by a server block of a workspace .wire file. */
  async answerByRules(session: Session | undefined): Promise<void> {
    if (!session) return;
    if (!requireTrust(vscode.l10n.t('Answering by rules'))) return;
    const files = await vscode.workspace.findFiles('**/*.wire', '**/node_modules/**', 200);
    const items: (vscode.QuickPickItem & { file: WireFile; block: WireBlock })[] = [];
    for (const uri of files) {
      const file = parseWire(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8'));
      for (const block of file.blocks.filter((b) => b.kind === 'server')) {
        const rules = block.steps.filter((s) => s.kind === 'on').length;
        items.push({ label: blockLabel(block), description: vscode.workspace.asRelativePath(uri), detail: vscode.l10n.t('{0} rules, line {1}', rules, block.line), file, block });
      }
    }
    if (items.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No .wire file in this workspace has a server block (a block that starts with listen and has on … reply rules).'));
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Answer {0} by the rules of…', session.label) });
    if (!pick) return;
    session.setRules(new WireRules(pick.block, variableResolver(pick.file)));
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} now answers by the rules of "{1}".', session.label, pick.label));
  }

  private decorate(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const lines = this.results.get(editor.document.uri.toString());
      const pass: vscode.DecorationOptions[] = [];
      const fail: vscode.DecorationOptions[] = [];
      const skip: vscode.DecorationOptions[] = [];
      for (const r of lines?.values() ?? []) {
        if (r.line > editor.document.lineCount) continue;
        const range = new vscode.Range(r.line - 1, 0, r.line - 1, 0);
        if (r.status === 'pass') pass.push({ range, renderOptions: { after: { contentText: `✓ ${r.ms} ms` } } });
        else if (r.status === 'fail') fail.push({ range, hoverMessage: failureHover(r), renderOptions: { after: { contentText: `✗ ${r.ms} ms  ${clip((zh() ? r.messageZh : r.message) ?? '', 80)}` } } });
        else skip.push({ range, renderOptions: { after: { contentText: vscode.l10n.t('– skipped') } } });
      }
      editor.setDecorations(this.passType, pass);
      editor.setDecorations(this.failType, fail);
      editor.setDecorations(this.skipType, skip);
      // while a block is served, each rule's line says how often it answered
      const uri = editor.document.uri.toString();
      const hits: vscode.DecorationOptions[] = [];
      for (const [key, s] of this.served) {
        if (!key.startsWith(`${uri}#`)) continue;
        s.rules.rules.forEach((r, i) => {
          if (r.line <= editor.document.lineCount) hits.push({ range: new vscode.Range(r.line - 1, 0, r.line - 1, 0), renderOptions: { after: { contentText: vscode.l10n.t('↩ answered {0}×', s.rules.hits[i]) } } });
        });
      }
      editor.setDecorations(this.hitType, hits);
    }
  }

  dispose(): void {
    for (const ac of this.running.values()) ac.abort();
    for (const s of this.served.values()) s.dispose();
    this.served.clear();
    for (const d of [this.output, this.passType, this.failType, this.skipType, this.hitType, this._onDidChangeCodeLenses, ...this.subs]) d.dispose();
  }
}

/** At most `n` characters on the line (the hover and the transcript have the rest). */
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Expected vs got, as text and hex. */
function failureHover(r: WireStepResult): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendText((zh() ? r.messageZh : r.message) ?? '');
  const rows: string[] = [];
  if (r.expected) rows.push(`${vscode.l10n.t('expected')}  ${r.expected.text}${r.expected.hex ? `   ${r.expected.hex}` : ''}`);
  if (r.got) rows.push(`${vscode.l10n.t('got')}       ${r.got.text}   ${r.got.hex}`);
  if (rows.length) md.appendCodeblock(rows.join('\n'), 'text');
  return md;
}

export function registerWireRuns(context: vscode.ExtensionContext, sessions: SessionManager): WireRuns {
  const runs = new WireRuns(sessions);
  context.subscriptions.push(runs, vscode.languages.registerCodeLensProvider({ language: WIRE_LANGUAGE }, runs));
  registerCommand(context, 'socketLab.wire.run', (arg) => runs.run(arg));
  registerCommand(context, 'socketLab.wire.runAll', (arg) => runs.runAll(arg));
  registerCommand(context, 'socketLab.wire.serve', (arg) => runs.serve(arg));
  registerCommand(context, 'socketLab.wire.stop', (arg) => runs.stop(arg));
  registerCommand(context, 'socketLab.session.answerByRules', async (arg) => {
    const id = arg && typeof arg === 'object' && 'id' in arg ? (arg as Session).id : (arg as { sessionId?: string } | undefined)?.sessionId;
    let session = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!session) {
      // from the palette: which running server?
      const servers = sessions.all().filter((s) => s.isAlive && (s.kind.endsWith('-server') || s.kind === 'udp'));
      if (servers.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No server is running. Start a TCP, UDP or Unix server first.'));
        return;
      }
      const pick = await vscode.window.showQuickPick(servers.map((s) => ({ ...sessionPickItem(s), session: s })), { title: vscode.l10n.t('Which server should answer by rules?') });
      session = pick?.session;
    }
    return runs.answerByRules(session);
  });
  return runs;
}
