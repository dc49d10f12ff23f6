// The editor's help for .wire files: syntax errors as diagnostics (in the UI language), completion of directives,
// variables and template functions, hover on {{…}} with the value, folding by block. The grammar's colours come from
// syntaxes/wire.tmLanguage.json; running blocks is wireRuns.ts.
import * as vscode from 'vscode';
import { encodings } from '../../core/codec/encoding';
import { errorLanguageFor } from '../../core/errors';
import { parseWire, type WireFile } from '../../core/wire/wireParser';
import { wireBuiltins, wireFunctions, type WireBuiltin } from '../../core/wire/wireTemplates';
import { FRAMING_NAMES } from '../../shared/types';

export const WIRE_LANGUAGE = 'wire';
const selector: vscode.DocumentSelector = { language: WIRE_LANGUAGE };

/** Parses a document once per version (CodeLens, hover, diagnostics and runs all ask). */
const parsed = new WeakMap<vscode.TextDocument, { version: number; file: WireFile }>();
export function parseDocument(doc: vscode.TextDocument): WireFile {
  const hit = parsed.get(doc);
  if (hit?.version === doc.version) return hit.file;
  const file = parseWire(doc.getText());
  parsed.set(doc, { version: doc.version, file });
  return file;
}

/** Whether the UI shows Simplified Chinese (the script's mistakes and results carry both languages). */
export const zh = () => errorLanguageFor(vscode.env.language) === 'zh-cn';

const STEPS: readonly [string, string][] = [
  ['connect', 'connect tcp|udp|unix|tls ADDRESS: open the block\'s socket (tls: add insecure to accept an untrusted certificate)'],
  ['listen', 'listen tcp|udp|unix|tls ADDRESS: a server that answers by the block\'s rules'],
  ['send', 'send "text" | send hex 01 02 | send file PATH'],
  ['expect', 'expect "text" | hex … | /regex/ | bytes N | closed | reset  [within 500ms]'],
  ['on', 'on "text" | hex … | /regex/ | any  reply …  [after 100ms] [close]'],
  ['wait', 'wait 200ms'],
  ['half-close', 'half-close: send FIN, keep receiving'],
  ['close', 'close the socket'],
  ['encoding', 'encoding gbk: text in this block is in this encoding'],
  ['framing', 'framing line|len2be|len4be|len2le|len4le: send/expect whole messages'],
  ['timeout', 'timeout 2s: how long each expect waits (default 5 s)'],
];

function completions(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
  const before = doc.lineAt(pos.line).text.slice(0, pos.character);
  const item = (label: string, kind: vscode.CompletionItemKind, detail?: string) => Object.assign(new vscode.CompletionItem(label, kind), { detail });
  // inside {{ … : the file's variables and the template functions
  if (/\{\{\s*[\w.:-]*$/.test(before)) {
    const vars = [...parseDocument(doc).variables.keys()].map((v) => item(v, vscode.CompletionItemKind.Variable));
    return [
      ...vars,
      ...wireFunctions.map((f) => item(f, vscode.CompletionItemKind.Function, vscode.l10n.t('template function'))),
      ...wireBuiltins.map((b) => item(b, vscode.CompletionItemKind.Constant, builtinText(b))),
    ];
  }
  if (/^\s*(connect|listen)\s+\w*$/.test(before)) return ['tcp', 'udp', 'unix', 'tls', 'ws', 'wss'].map((p) => item(p, vscode.CompletionItemKind.EnumMember));
  if (/^\s*framing\s+\w*$/.test(before)) return FRAMING_NAMES.filter((f) => f !== 'raw').map((f) => item(f, vscode.CompletionItemKind.EnumMember));
  if (/^\s*encoding\s+[\w-]*$/.test(before)) return encodings.map((e) => item(e, vscode.CompletionItemKind.EnumMember));
  if (/^\s*[\w-]*$/.test(before)) return STEPS.map(([k, d]) => item(k, vscode.CompletionItemKind.Keyword, d));
  return [];
}

/** The {{…}} under the cursor: a variable shows its value as written, a function what it gives. */
function hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
  const range = doc.getWordRangeAtPosition(pos, /\{\{[^}]*\}\}/);
  if (!range) return undefined;
  const inner = doc.getText(range).slice(2, -2).trim();
  const name = inner.split(':')[0];
  const v = parseDocument(doc).variables.get(inner);
  if (v) {
    const line = doc.lineAt(v.line - 1).text;
    const value = line.slice(line.indexOf('=') + 1).replace(/\s#.*$/, '').trim();
    return new vscode.Hover(new vscode.MarkdownString().appendCodeblock(`@${inner} = ${value}`, WIRE_LANGUAGE), range);
  }
  if ((wireFunctions as readonly string[]).includes(name)) {
    const what: Record<string, string> = {
      counter: vscode.l10n.t('1, 2, 3 … one more each time it is used'),
      time: vscode.l10n.t('the Unix time now, in seconds'),
      random: vscode.l10n.t('N random bytes, as hex'),
      crc16modbus: vscode.l10n.t('the CRC-16/MODBUS of the given hex bytes, low byte first'),
      crc32: vscode.l10n.t('the CRC-32 of the given hex bytes, big endian'),
      sum8: vscode.l10n.t('the 8-bit sum of the given hex bytes'),
    };
    return new vscode.Hover(`{{${inner}}}: ${what[name]}`, range);
  }
  if ((wireBuiltins as readonly string[]).includes(inner)) return new vscode.Hover(`{{${inner}}}: ${builtinText(inner as WireBuiltin)}`, range);
  return new vscode.Hover(vscode.l10n.t('{0} is not defined in this file; give it as @{0} = … or with --var {0}=… on the command line.', inner), range);
}

/** What a built-in value gives (a file's own @name of the same name wins). */
function builtinText(b: WireBuiltin): string {
  switch (b) {
    case 'local_host':
      return vscode.l10n.t("this block's own address, after its connect or listen");
    case 'local_port':
      return vscode.l10n.t("this block's own port, after its connect or listen");
    case 'pid':
      return vscode.l10n.t("the process id of the program running the script (what a Unix socket's peer sees with SO_PEERCRED)");
    case 'uid':
      return vscode.l10n.t('the user id running the script');
    case 'gid':
      return vscode.l10n.t('the group id running the script');
  }
}

function folding(doc: vscode.TextDocument): vscode.FoldingRange[] {
  const blocks = parseDocument(doc).blocks.filter((b) => b.name !== undefined || b.line > 1);
  return blocks.map((b, i) => new vscode.FoldingRange(b.line - 1, (i + 1 < blocks.length ? blocks[i + 1].line - 1 : doc.lineCount) - 1)).filter((r) => r.end > r.start);
}

function diagnose(doc: vscode.TextDocument, out: vscode.DiagnosticCollection): void {
  if (doc.languageId !== WIRE_LANGUAGE) return;
  const file = parseDocument(doc);
  out.set(
    doc.uri,
    file.diagnostics.map((d) => {
      const line = Math.min(d.line - 1, doc.lineCount - 1);
      const start = new vscode.Position(line, Math.max(0, d.column - 1));
      const word = doc.getWordRangeAtPosition(start, /\S+/);
      const diag = new vscode.Diagnostic(word ?? new vscode.Range(start, start.translate(0, 1)), zh() ? d.messageZh : d.message, vscode.DiagnosticSeverity.Error);
      diag.source = 'wire';
      return diag;
    }),
  );
}

export function registerWireLanguage(context: vscode.ExtensionContext): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('wire');
  let timer: ReturnType<typeof setTimeout> | undefined;
  context.subscriptions.push(
    diagnostics,
    { dispose: () => clearTimeout(timer) },
    vscode.workspace.onDidOpenTextDocument((d) => diagnose(d, diagnostics)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      clearTimeout(timer);
      timer = setTimeout(() => diagnose(e.document, diagnostics), 250);
    }),
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.delete(d.uri)),
    vscode.languages.registerCompletionItemProvider(selector, { provideCompletionItems: completions }, ' ', '{'),
    vscode.languages.registerHoverProvider(selector, { provideHover: hover }),
    vscode.languages.registerFoldingRangeProvider(selector, { provideFoldingRanges: folding }),
  );
  for (const d of vscode.workspace.textDocuments) diagnose(d, diagnostics);
}
