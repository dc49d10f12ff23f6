// Editor features for socket code: CodeLens (Python, JS/TS, C) and diagnostics with quick fixes (Python).
import * as vscode from 'vscode';
import { codeLensLanguages, SocketCodeLensProvider } from './socketCodeLensProvider';
import { SocketDiagnosticsProvider } from './socketDiagnostics';

export function registerSocketEditor(context: vscode.ExtensionContext): SocketCodeLensProvider {
  const lens = new SocketCodeLensProvider(context);
  const diagnostics = new SocketDiagnosticsProvider(context);
  const selector = codeLensLanguages.map((language) => ({ language }));
  context.subscriptions.push(
    lens,
    diagnostics,
    vscode.languages.registerCodeLensProvider(selector, lens),
    vscode.languages.registerCodeActionsProvider({ language: 'python' }, diagnostics, SocketDiagnosticsProvider.metadata),
  );
  return lens;
}
