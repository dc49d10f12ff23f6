// The workspace's saved messages for the session panel: message blocks (only sends) of its .wire files, listed as
// buttons there; "Save as message…" appends a new block to a .wire file the user picks (never overwriting one).
import * as vscode from 'vscode';
import { framingName, type Framing } from '../../core/codec/framing';
import { messageBlocks, messageBlockText, messagePayloads, type MessagePayloads } from '../../core/wire/wireMessages';
import { parseWire } from '../../core/wire/wireParser';
import type { SavedMessage } from '../../shared/sessionPanelProtocol';

/** Files looked at, and the largest read: a workspace full of generated .wire files cannot stall the panel. */
const MAX_FILES = 200;
const MAX_FILE_BYTES = 1024 * 1024;

/** An open editor's text (unsaved edits count), else the file's. */
async function readWire(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  try {
    if ((await vscode.workspace.fs.stat(uri)).size > MAX_FILE_BYTES) return undefined;
    return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
  } catch {
    return undefined;
  }
}

export class SavedMessages implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** A .wire file was created, changed or deleted. */
  readonly onDidChange = this._onDidChange.event;
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*.wire');

  constructor() {
    const fire = () => this._onDidChange.fire();
    this.watcher.onDidCreate(fire);
    this.watcher.onDidChange(fire);
    this.watcher.onDidDelete(fire);
  }

  async list(): Promise<SavedMessage[]> {
    const out: SavedMessage[] = [];
    for (const uri of await vscode.workspace.findFiles('**/*.wire', '**/node_modules/**', MAX_FILES)) {
      const text = await readWire(uri);
      if (text === undefined) continue;
      for (const b of messageBlocks(parseWire(text))) {
        out.push({ id: `${uri.toString()}#${b.index}`, name: b.name ?? `block ${b.index}`, file: vscode.workspace.asRelativePath(uri), line: b.line });
      }
    }
    return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  }

  /** A message's bytes as its file says now; throws a sentence when the message is gone. */
  async payloads(id: string): Promise<MessagePayloads & { framingName: string }> {
    const hash = id.lastIndexOf('#');
    const uri = vscode.Uri.parse(id.slice(0, hash));
    const text = await readWire(uri);
    const file = text === undefined ? undefined : parseWire(text);
    const block = file?.blocks.find((b) => b.index === Number(id.slice(hash + 1)) && b.kind === 'messages');
    if (!file || !block) throw new Error(vscode.l10n.t('That saved message is no longer in {0}; its file changed.', vscode.workspace.asRelativePath(uri)));
    const p = messagePayloads(file, block);
    return { ...p, framingName: framingName(p.framing) };
  }

  /** Asks for a name and a .wire file, and appends the bytes as a message block; the file's path, or undefined. */
  async save(bytes: Uint8Array, encoding: string, framing: Framing): Promise<string | undefined> {
    const uri = await this.pickFile();
    if (!uri) return undefined;
    // block names are unique in a file (a second one is a mistake of the script)
    const existing = await readWire(uri);
    const taken = new Set(existing === undefined ? [] : parseWire(existing).blocks.flatMap((b) => (b.name === undefined ? [] : [b.name])));
    const name = await vscode.window.showInputBox({
      title: vscode.l10n.t('Save as message'),
      prompt: vscode.l10n.t('A name for the message: it becomes a button in every session panel.'),
      validateInput: (v) =>
        v.trim() === ''
          ? vscode.l10n.t('Give the message a name.')
          : /[\r\n]/.test(v)
            ? vscode.l10n.t('The name must fit on one line.')
            : taken.has(v.trim())
              ? vscode.l10n.t('{0} already has a block named "{1}"; pick another name.', vscode.workspace.asRelativePath(uri), v.trim())
              : undefined,
    });
    if (!name) return undefined;
    const block = messageBlockText(name, bytes, encoding, framing);
    let exists = true;
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      exists = false;
    }
    if (!exists) await vscode.workspace.fs.writeFile(uri, Buffer.from(block, 'utf8'));
    else {
      // appended through the document, so an open editor with unsaved edits keeps them
      const doc = await vscode.workspace.openTextDocument(uri);
      const end = doc.lineAt(doc.lineCount - 1).range.end;
      const sep = doc.getText().length === 0 ? '' : doc.getText().endsWith('\n') ? '\n' : '\n\n';
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, end, sep + block);
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error(vscode.l10n.t('{0} could not be changed.', vscode.workspace.asRelativePath(uri)));
      if (!doc.isDirty || vscode.window.visibleTextEditors.every((e) => e.document !== doc)) await doc.save();
    }
    this._onDidChange.fire();
    return vscode.workspace.asRelativePath(uri);
  }

  private async pickFile(): Promise<vscode.Uri | undefined> {
    const files = await vscode.workspace.findFiles('**/*.wire', '**/node_modules/**', MAX_FILES);
    const newFile: vscode.QuickPickItem & { uri?: vscode.Uri } = { label: vscode.l10n.t('$(new-file) New .wire file…') };
    const items = [...files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), newFile];
    const pick = files.length === 0 ? newFile : await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Save the message into which .wire file?') });
    if (!pick) return undefined;
    if (pick.uri) return pick.uri;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, 'messages.wire') : undefined, filters: { 'Wire script': ['wire'] }, title: vscode.l10n.t('Save as message') });
  }

  dispose(): void {
    this.watcher.dispose();
    this._onDidChange.dispose();
  }
}
