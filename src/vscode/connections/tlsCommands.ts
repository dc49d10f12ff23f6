// TLS in VS Code: the arguments of socketLab.tls.startServer / socketLab.tls.connect (files read, the user's trusted
// CA added to the system's), where a server's self-signed certificate is kept (this workspace's storage), the
// socketLab.tls.keyLogFile setting and the per-session "Save TLS Key Log…" action.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as vscode from 'vscode';
import { SocketLabError } from '../../core/errors';
import { ListenerSession } from '../../core/sessions/listenerSession';
import { Session } from '../../core/sessions/session';
import type { SessionManager, TlsConnectOptions, TlsServerOptions } from '../../core/sessions/sessionManager';
import { appendKeyLog } from '../../core/tls/keyLog';
import { registerCommand } from '../commands';
import type { SessionCommands } from './sessionCommands';
import { registerTlsKeyLogs } from '../captures/tlsKeyLogs';

type Args = Record<string, unknown>;

export function readPem(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new SocketLabError('TLS_FILE', { path: file, detail: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
}

export const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

/** A server's `cert`/`key` (PEM file paths) and `alpn`. */
export function tlsServerArgs(args: Args): Pick<TlsServerOptions, 'cert' | 'key' | 'alpn'> {
  return {
    cert: typeof args.cert === 'string' ? readPem(args.cert) : undefined,
    key: typeof args.key === 'string' ? readPem(args.key) : undefined,
    alpn: strings(args.alpn),
  };
}

/**
 * A client's `servername`, `insecure`, `alpn` and what it trusts: the system's CAs, plus `ca` (a PEM file) or the
 * socketLab.tls.caFile setting, plus the certificate Socket Lab made for its own server on that port.
 */
export function tlsConnectArgs(manager: SessionManager, args: Args, port: number): Pick<TlsConnectOptions, 'servername' | 'insecure' | 'ca' | 'alpn'> {
  const extra: string[] = [];
  const caFile = typeof args.ca === 'string' ? args.ca : vscode.workspace.getConfiguration('socketLab').get<string>('tls.caFile', '');
  if (caFile) extra.push(readPem(caFile));
  for (const s of manager.all()) if (s instanceof ListenerSession && s.kind === 'tls-server' && s.isAlive && s.localPort === port && s.certPath) extra.push(readPem(s.certPath));
  return {
    servername: typeof args.servername === 'string' ? args.servername : undefined,
    insecure: args.insecure === true,
    alpn: strings(args.alpn),
    ca: extra.length ? [...tls.rootCertificates, ...extra] : undefined,
  };
}

function applyKeyLogSetting(manager: SessionManager): void {
  const file = vscode.workspace.getConfiguration('socketLab').get<string>('tls.keyLogFile', '').trim();
  try {
    manager.setKeyLogFile(file || undefined);
  } catch (e) {
    manager.setKeyLogFile(undefined);
    void vscode.window.showErrorMessage(vscode.l10n.t('The TLS key log is off: {0}', (e as Error).message));
  }
}

/** `socketLab.tls.saveKeyLog {sessionId?, path?}`: appends a TLS session's secrets (a server: its connections') to a file. */
async function saveKeyLog(commands: SessionCommands, arg: unknown): Promise<string | undefined> {
  const args: Args = arg instanceof Session ? { sessionId: arg.id } : arg && typeof arg === 'object' ? (arg as Args) : {};
  const s = await commands.pickSession(args, (x) => x.kind.startsWith('tls-'), vscode.l10n.t('Save the TLS key log of which session?'));
  if (!s) return undefined;
  if (s.keyLogLines.length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} has no TLS secrets yet: its handshake has not finished.', s.label));
    return undefined;
  }
  let file = typeof args.path === 'string' ? args.path : undefined;
  if (!file) {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd());
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(base, 'sslkeylog.txt'), title: vscode.l10n.t('Save TLS Key Log (anyone with this file can decrypt the session)') });
    file = uri?.fsPath;
  }
  if (!file) return undefined;
  try {
    appendKeyLog(path.resolve(file), s.keyLogLines);
  } catch (e) {
    void vscode.window.showErrorMessage((e as Error).message);
    return undefined;
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0} TLS secrets to {1}. Open a capture in Wireshark with tls.keylog_file set to it to decrypt the session.', s.keyLogLines.length, file));
  return file;
}

export function registerTls(context: vscode.ExtensionContext, manager: SessionManager, commands: SessionCommands): void {
  // one certificate per workspace, reused by every TLS server started without one
  manager.tlsCacheDir = path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'tls');
  applyKeyLogSetting(manager);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('socketLab.tls.keyLogFile')) applyKeyLogSetting(manager);
    }),
  );
  registerCommand(context, 'socketLab.tls.saveKeyLog', (a) => saveKeyLog(commands, a));
  registerTlsKeyLogs(context, manager);
}
