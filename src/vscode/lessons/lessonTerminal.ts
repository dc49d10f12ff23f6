// One terminal per lesson program: its output, a line editor for its stdin, Ctrl+C or closing it stops that program.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LineEditor } from '../lineEditor';
import type { LessonProcess } from '../../core/lessons/lessonProcess';

export class LessonTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidClose = this.closeEmitter.event;
  private pending: string[] = [];
  private opened = false;
  private readonly editor = new LineEditor(
    (t) => this.writeEmitter.fire(t),
    (l) => this.proc.write(l),
    () => void this.proc.stop(),
  );
  private readonly subs: { dispose(): unknown }[] = [];

  constructor(private readonly proc: LessonProcess, private readonly header: string) {
    this.subs.push(proc.onDidOutput((o) => this.emit(o.text.replace(/\r?\n/g, '\r\n'))));
    this.subs.push(proc.onDidExit((e) => {
      const how = e.error
        ? vscode.l10n.t('could not start: {0}', e.error.message)
        : e.reason === 'timeout'
          ? vscode.l10n.t('stopped after the time limit')
          : e.reason
            ? vscode.l10n.t('stopped')
            : vscode.l10n.t('exited with code {0}', String(e.code ?? e.signal));
      this.emit(`\r\n\x1b[2m[${how}]\x1b[0m\r\n`);
    }));
  }

  /** Creates the terminal for a lesson program and shows it without taking focus. */
  static create(proc: LessonProcess, name: string): vscode.Terminal {
    const { interpreter, file, args } = proc.options;
    const cmd = [interpreter.command, ...interpreter.args, '-u', path.basename(file), ...args].join(' ');
    const pty = new LessonTerminal(proc, `\x1b[2m$ ${cmd}\x1b[0m\r\n`);
    const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('mortar-board'), isTransient: true });
    terminal.show(true);
    return terminal;
  }

  private emit(text: string): void {
    if (this.opened) this.writeEmitter.fire(text);
    else this.pending.push(text);
  }

  open(): void {
    this.opened = true;
    this.writeEmitter.fire(this.header);
    for (const t of this.pending.splice(0)) this.writeEmitter.fire(t);
  }

  handleInput(data: string): void {
    if (this.proc.isRunning) this.editor.input(data);
  }


  /** The user closed the terminal: that program stops with it. */
  close(): void {
    void this.proc.stop();
    this.dispose();
  }

  dispose(): void {
    this.subs.splice(0).forEach((s) => s.dispose());
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
