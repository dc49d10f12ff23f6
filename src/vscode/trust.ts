import * as vscode from 'vscode';

/** Commands that run code, start processes or capture call this first; in Restricted Mode it refuses. */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    vscode.l10n.t('{0} needs a trusted workspace. Trust this folder (Manage Workspace Trust) and try again.', what),
  );
  return false;
}
