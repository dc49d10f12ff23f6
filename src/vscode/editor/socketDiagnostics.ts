// Socket diagnostics for Python files, with quick fixes where the fix is mechanical.
import * as vscode from 'vscode';
import { analyzePython, type FixKind, type QuickFix, type RuleId, type SocketDiagnostic } from '../../core/analysis/pythonRules';
import type { Range } from '../../core/analysis/syntax';
import { mayUseSockets } from '../../core/analysis/socketCalls';
import { grammarLoader } from './grammar';

export const diagnosticSource = 'Socket Lab';

export function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter);
}

function message(d: SocketDiagnostic): string {
  const rule: RuleId = d.rule;
  switch (rule) {
    case 'send-str':
      return vscode.l10n.t('send() needs bytes in Python 3, not str: encode the text (b"…" or .encode()) or it raises TypeError.');
    case 'hmac-digest':
      return vscode.l10n.t('hmac.new() without digestmod raises TypeError since Python 3.8 (it used to default to MD5): name the hash, e.g. digestmod="sha256".');
    case 'struct-native-order':
      return vscode.l10n.t('This struct format uses the machine\'s own byte order and alignment; data on the wire should state its order: "!" (network, big-endian) or "<".');
    case 'remote-exec':
      return vscode.l10n.t('This server listens on every interface and runs received data as a command or code: anyone who can reach the port can run commands here. Bind 127.0.0.1 and never execute received text.');
    case 'recv-whole-message':
      return vscode.l10n.t('recv() returns whatever bytes have arrived: part of a message, or two at once. Loop until the message is complete (length prefix or delimiter) before parsing it.');
    case 'recv-no-eof-check':
      return vscode.l10n.t('recv() returns b"" when the peer closes; without "if not data: break" this loop spins forever on a closed connection.');
    case 'listen-no-reuseaddr':
      return vscode.l10n.t('Without SO_REUSEADDR, restarting this server right after it stops fails with "Address already in use" while old connections are in TIME_WAIT. Set it before bind().');
  }
}

function fixTitle(f: QuickFix): string {
  const kind: FixKind = f.kind;
  switch (kind) {
    case 'bytes-prefix':
      return vscode.l10n.t('Make it a bytes literal (b"…")');
    case 'encode':
      return vscode.l10n.t('Encode the text to bytes (.encode())');
    case 'add-digestmod':
      return vscode.l10n.t('Add digestmod="sha256"');
    case 'network-order':
      return vscode.l10n.t('Use network byte order ("!")');
    case 'add-eof-check':
      return vscode.l10n.t('Stop the loop when the peer closes (if not …: break)');
    case 'add-reuseaddr':
      return vscode.l10n.t('Set SO_REUSEADDR before bind()');
  }
}

const key = (rule: string, r: vscode.Range) => `${rule}@${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

export class SocketDiagnosticsProvider implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  private readonly collection = vscode.languages.createDiagnosticCollection('socketLab');
  private readonly fixes = new Map<string, Map<string, QuickFix[]>>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, 400)),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('socketLab.editor.diagnostics')) for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  private enabled(): boolean {
    return vscode.workspace.getConfiguration('socketLab.editor').get<boolean>('diagnostics', true);
  }

  private schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (doc.languageId !== 'python' || doc.uri.scheme === 'output') return;
    const k = doc.uri.toString();
    clearTimeout(this.pending.get(k));
    this.pending.set(k, setTimeout(() => {
      this.pending.delete(k);
      void this.analyze(doc);
    }, delayMs));
  }

  private clear(uri: vscode.Uri): void {
    this.collection.delete(uri);
    this.fixes.delete(uri.toString());
  }

  async analyze(doc: vscode.TextDocument): Promise<void> {
    if (!this.enabled() || doc.isClosed) {
      this.clear(doc.uri);
      return;
    }
    const version = doc.version;
    const text = doc.getText();
    if (!mayUseSockets(text)) {
      this.clear(doc.uri);
      return;
    }
    let found: SocketDiagnostic[];
    try {
      const tree = await grammarLoader(this.context).parse('python', text);
      try {
        found = analyzePython(tree, text);
      } finally {
        tree.delete();
      }
    } catch {
      return; // a grammar that fails to load must not break editing; CodeLens reports the reason once
    }
    if (doc.isClosed || doc.version !== version) return;
    const fixes = new Map<string, QuickFix[]>();
    const diags = found.map((f) => {
      const range = toRange(f.range);
      const d = new vscode.Diagnostic(range, message(f), f.severity === 'information' ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning);
      d.source = diagnosticSource;
      d.code = f.rule;
      if (f.fixes.length) fixes.set(key(f.rule, range), f.fixes);
      return d;
    });
    this.fixes.set(doc.uri.toString(), fixes);
    this.collection.set(doc.uri, diags);
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const byKey = this.fixes.get(doc.uri.toString());
    if (!byKey) return [];
    const out: vscode.CodeAction[] = [];
    for (const d of ctx.diagnostics) {
      if (d.source !== diagnosticSource) continue;
      for (const [i, f] of (byKey.get(key(String(d.code), d.range)) ?? []).entries()) {
        const action = new vscode.CodeAction(fixTitle(f), vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.isPreferred = i === 0;
        action.edit = new vscode.WorkspaceEdit();
        for (const e of f.edits) action.edit.replace(doc.uri, toRange(e.range), e.newText);
        out.push(action);
      }
    }
    return out;
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const s of this.subs.splice(0)) s.dispose();
    this.collection.dispose();
  }
}
