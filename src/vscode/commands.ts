import * as vscode from 'vscode';
import { productName } from '../core/about';

/** Registers a command and puts it into the extension's subscriptions. */
export function registerCommand(
  context: vscode.ExtensionContext,
  id: string,
  run: (...args: unknown[]) => unknown,
): void {
  context.subscriptions.push(vscode.commands.registerCommand(id, run));
}

const done = new Set<string>();
/** Ticks a walkthrough step once what it asks for has happened (its completion event is onContext:socketLab.done.<step>). */
export function markDone(step: 'startServer' | 'connect' | 'send' | 'capture' | 'openLesson'): void {
  if (done.has(step)) return;
  done.add(step);
  void vscode.commands.executeCommand('setContext', `socketLab.done.${step}`, true);
}

export function registerAboutCommand(context: vscode.ExtensionContext): void {
  const version = (context.extension.packageJSON as { version: string }).version;
  registerCommand(context, 'socketLab.about', () =>
    vscode.window.showInformationMessage(vscode.l10n.t('{0} {1}: sockets you can see.', productName, version)),
  );
}
