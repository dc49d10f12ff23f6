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

type Step = 'startServer' | 'connect' | 'send' | 'capture' | 'openLesson';
const marked = new Set<Step>();
let walkthroughStepPrefix = '';
/**
 * Ticks a walkthrough step once what it asks for has happened, not when its command starts. The workbench's own
 * welcome.markStepComplete does it (a completion event cannot: VS Code drops a context change that came before the
 * walkthrough was first shown); the context key socketLab.done.<step> is set as well, for the step's completionEvents.
 */
export function markDone(step: Step): void {
  if (marked.has(step)) return;
  marked.add(step);
  void vscode.commands.executeCommand('setContext', `socketLab.done.${step}`, true);
  if (walkthroughStepPrefix) void Promise.resolve(vscode.commands.executeCommand('welcome.markStepComplete', walkthroughStepPrefix + step)).catch(() => undefined);
}

export function registerAboutCommand(context: vscode.ExtensionContext): void {
  walkthroughStepPrefix = `${context.extension.id}#socketLab.firstSteps#`;
  const version = (context.extension.packageJSON as { version: string }).version;
  registerCommand(context, 'socketLab.about', () =>
    vscode.window.showInformationMessage(vscode.l10n.t('{0} {1}: sockets you can see.', productName, version)),
  );
}
