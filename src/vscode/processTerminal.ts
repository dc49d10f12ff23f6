// The terminal of a program Socket Lab runs (a file run with Socket Lab, a lesson program): its output, a line editor
// for its stdin, Ctrl+C and closing the terminal passed to the program. VS Code drops what is written before the
// terminal opens, so that part is kept (bounded) until then.
import * as vscode from 'vscode';
import { LineEditor } from './lineEditor';

/** What the terminal needs of the program behind it. */
export interface TerminalProgram {
  readonly running: boolean;
  write(line: string): void;
  /** Ctrl+C. */
  interrupt(): void;
  /** The user closed the terminal. */
  closed(): void;
}

/** Most text kept for a terminal that has not opened yet. */
const MAX_PENDING = 1 << 20;

export class ProcessTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidClose = this.closeEmitter.event;
  private readonly editor: LineEditor;
  private pending: string[] | undefined = [];
  private pendingBytes = 0;

  constructor(private readonly program: TerminalProgram, header = '') {
    this.editor = new LineEditor(
      (t) => this.writeEmitter.fire(t),
      (l) => program.write(l),
      () => program.interrupt(),
    );
    if (header) this.write(header);
  }

  /** Program output (LF line ends are made CRLF for the terminal). */
  output(text: string): void {
    this.write(text.replace(/\r?\n/g, '\r\n'));
  }

  /** Raw terminal text. */
  write(text: string): void {
    if (!this.pending) {
      this.writeEmitter.fire(text);
      return;
    }
    if (this.pendingBytes < MAX_PENDING) {
      this.pending.push(text);
      this.pendingBytes += text.length;
    }
  }

  open(): void {
    const early = this.pending ?? [];
    this.pending = undefined;
    for (const t of early) this.writeEmitter.fire(t);
  }

  handleInput(data: string): void {
    if (this.program.running) this.editor.input(data);
  }

  close(): void {
    this.program.closed();
    this.dispose();
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
