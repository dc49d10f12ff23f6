// `socket-lab` in every integrated terminal: a launcher in the extension's global storage, prepended to PATH
// through the extension's environment variable collection (VS Code applies it to each new terminal, on every OS).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { launcherFileName, launcherScript } from '../core/cli/launcher';

export function registerTerminalLauncher(context: vscode.ExtensionContext, log: { warn(message: string): void }): void {
  const dir = vscode.Uri.joinPath(context.globalStorageUri, 'bin').fsPath;
  const env = context.environmentVariableCollection;
  env.description = vscode.l10n.t('Puts the socket-lab command on the PATH of integrated terminals.');
  env.prepend('PATH', dir + path.delimiter);
  // Written after activation, off its path; rewritten when VS Code or the extension moved (an update).
  void writeLauncher(dir, path.join(context.extensionPath, 'dist', 'cli.js')).catch((e: unknown) => {
    env.delete('PATH');
    log.warn(`socket-lab launcher: could not write it into ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  });
}

async function writeLauncher(dir: string, cli: string): Promise<void> {
  const file = path.join(dir, launcherFileName(process.platform));
  const text = launcherScript(process.platform, { runtime: process.execPath, cli });
  const old = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (old === text) return;
  await fs.mkdir(dir, { recursive: true });
  // beside it, then renamed: a terminal running socket-lab meanwhile never reads half a script
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o755 });
  await fs.rename(tmp, file);
}
