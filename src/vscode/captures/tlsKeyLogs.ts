// The secrets the packet panel decrypts TLS with (core/panels/packetListModel.ts panelTlsKeyLog): every Socket Lab TLS
// session's, the socketLab.tls.keyLogFile setting's file and SSLKEYLOGFILE when they exist, and the files the user
// loads with socketLab.capture.loadTlsKeyLog {path?}. Captures opened afterwards are decrypted.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { panelTlsKeyLog } from '../../core/panels/packetListModel';
import { readKeyLogFile } from '../../core/tls/tlsDecrypt';
import type { SessionManager } from '../../core/sessions/sessionManager';
import { registerCommand } from '../commands';

/** Adds a key log file's secrets; returns how many lines were taken, or a sentence saying why none. */
export function loadKeyLogFile(file: string): number | string {
  const r = readKeyLogFile(file, panelTlsKeyLog);
  if ('taken' in r) return r.taken;
  switch (r.why) {
    case 'not-a-file':
      return vscode.l10n.t('{0} is not a file.', file);
    case 'too-big':
      return vscode.l10n.t('{0} is too big for a TLS key log ({1} MB; at most 64 MB).', file, Math.round(r.size / 1048576));
    case 'unreadable':
      return vscode.l10n.t('Cannot read {0}: {1}', file, r.code);
    case 'no-lines':
      return vscode.l10n.t('{0} holds no TLS key log lines (lines such as "CLIENT_RANDOM …" or "CLIENT_TRAFFIC_SECRET_0 …", as SSLKEYLOGFILE writes them).', file);
  }
}

/** `socketLab.capture.loadTlsKeyLog {path?}`: loads a key log; returns the number of secrets taken. */
async function loadCommand(arg: unknown): Promise<number | undefined> {
  let file = arg && typeof arg === 'object' && typeof (arg as { path?: unknown }).path === 'string' ? (arg as { path: string }).path : undefined;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, title: vscode.l10n.t('Load a TLS key log (SSLKEYLOGFILE) to decrypt captures') });
    file = picked?.[0]?.fsPath;
  }
  if (!file) return undefined;
  const n = loadKeyLogFile(file);
  if (typeof n === 'string') {
    void vscode.window.showErrorMessage(n);
    return undefined;
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Loaded {0} TLS secrets from {1}. Captures opened from now on are decrypted; reopen an open capture to decrypt it.', n, file));
  return n;
}

export function registerTlsKeyLogs(context: vscode.ExtensionContext, manager: SessionManager): void {
  manager.keyLogTap = (line) => panelTlsKeyLog.addLine(line);
  context.subscriptions.push({ dispose: () => (manager.keyLogTap = undefined) });
  // what the setting's file and SSLKEYLOGFILE already hold (silently: they may not exist yet)
  const preload = () => {
    for (const f of [vscode.workspace.getConfiguration('socketLab').get<string>('tls.keyLogFile', '').trim(), process.env.SSLKEYLOGFILE ?? '']) if (f && fs.existsSync(f)) loadKeyLogFile(f);
  };
  preload();
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('socketLab.tls.keyLogFile') && preload()));
  registerCommand(context, 'socketLab.capture.loadTlsKeyLog', loadCommand);
}
