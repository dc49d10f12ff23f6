/** Cooked-mode line editing for a Pseudoterminal feeding a child's stdin: echo, backspace, Enter sends, Ctrl+C interrupts. */
export class LineEditor {
  private line = '';

  constructor(
    private readonly echo: (text: string) => void,
    private readonly onLine: (line: string) => void,
    private readonly onInterrupt: () => void,
  ) {}

  input(data: string): void {
    for (const ch of data) {
      if (ch === '\x03') {
        this.echo('^C\r\n');
        this.onInterrupt();
      } else if (ch === '\r') {
        this.echo('\r\n');
        this.onLine(this.line + '\n');
        this.line = '';
      } else if (ch === '\x7f') {
        if (this.line) {
          this.line = this.line.slice(0, -1);
          this.echo('\b \b');
        }
      } else if (ch >= ' ') {
        this.line += ch;
        this.echo(ch);
      }
    }
  }
}
