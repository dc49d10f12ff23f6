// Composition root: builds every part and pushes each disposable into context.subscriptions.
// activate() stays cheap: no child process, no socket, no file scan here.
import * as vscode from 'vscode';
import { registerAboutCommand } from './vscode/commands';

export function activate(context: vscode.ExtensionContext): void {
  registerAboutCommand(context);
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
