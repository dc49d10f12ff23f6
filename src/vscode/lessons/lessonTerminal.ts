// One terminal per lesson program: its output, a line editor for its stdin, Ctrl+C or closing it stops that program.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LessonProcess } from '../../core/lessons/lessonProcess';
import { ProcessTerminal } from '../processTerminal';

/** Creates the terminal for a lesson program and shows it without taking focus; `where` says which folder runs. */
export function createLessonTerminal(proc: LessonProcess, name: string, where: string): vscode.Terminal {
  const { interpreter, file, args } = proc.options;
  const cmd = [interpreter.command, ...interpreter.args, '-u', path.basename(file), ...args].join(' ');
  const pty = new ProcessTerminal(
    { get running() { return proc.isRunning; }, write: (l) => proc.write(l), interrupt: () => void proc.stop(), closed: () => void proc.stop() },
    `\x1b[2m${where}\r\n$ ${cmd}\x1b[0m\r\n`,
  );
  const out = proc.onDidOutput((o) => pty.output(o.text));
  const exit = proc.onDidExit((e) => {
    const how = e.error
      ? vscode.l10n.t('could not start: {0}', e.error.message)
      : e.reason === 'timeout'
        ? vscode.l10n.t('stopped after the time limit')
        : e.reason
          ? vscode.l10n.t('stopped')
          : vscode.l10n.t('exited with code {0}', String(e.code ?? e.signal));
    pty.write(`\r\n\x1b[2m[${how}]\x1b[0m\r\n`);
  });
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('mortar-board'), isTransient: true });
  const closed = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    out.dispose();
    exit.dispose();
    closed.dispose();
  });
  terminal.show(true);
  return terminal;
}
