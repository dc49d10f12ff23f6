// Recognises socket errors in a program's output (Python, Node, C perror, Windows) — a pure line matcher.

export type OutputErrorCode = 'ECONNREFUSED' | 'EADDRINUSE' | 'EPIPE' | 'ECONNRESET';

export interface OutputErrorMatch {
  code: OutputErrorCode;
  /** The line that matched, without terminal colour codes. */
  line: string;
  /** Host and port when the message names them (Node does; Python's exceptions do not). */
  host?: string;
  port?: number;
}

const patterns: [OutputErrorCode, RegExp][] = [
  ['EADDRINUSE', /\bEADDRINUSE\b|Address already in use|\[Errno (?:98|48)\]|WinError 10048|WSAEADDRINUSE|Only one usage of each socket address/i],
  ['ECONNREFUSED', /\bConnectionRefusedError\b|\bECONNREFUSED\b|Connection refused|\[Errno (?:111|61)\]|WinError 10061|WSAECONNREFUSED|actively refused/i],
  ['ECONNRESET', /\bConnectionResetError\b|\bECONNRESET\b|Connection reset by peer|\[Errno (?:104|54)\]|WinError 10054|WSAECONNRESET|forcibly closed by the remote host/i],
  ['EPIPE', /\bBrokenPipeError\b|\bEPIPE\b|Broken pipe|\[Errno 32\]/i],
];

// ESC [ … final-byte: colour and cursor codes a terminal program may print
// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

export function stripAnsi(s: string): string {
  return s.replace(ansi, '');
}

/** One line of output → the socket error it reports, if any. */
export function matchOutputError(rawLine: string): OutputErrorMatch | undefined {
  const line = stripAnsi(rawLine).trim();
  if (!line) return undefined;
  for (const [code, re] of patterns) {
    if (!re.test(line)) continue;
    const m: OutputErrorMatch = { code, line };
    // Node: "connect ECONNREFUSED 127.0.0.1:8000", "listen EADDRINUSE: address already in use :::8000"
    const addr = /(?:E[A-Z]+:?(?: address already in use)?|refused|in use)\s+\[?([0-9a-fA-F.:]*?)\]?:(\d{1,5})\b/.exec(line);
    if (addr) {
      m.host = addr[1] === '' || addr[1] === '::' ? addr[1] : addr[1].replace(/^::ffff:/, '');
      m.port = Number(addr[2]);
    }
    return m;
  }
  return undefined;
}

/** Splits streamed output into lines and reports each error code once per run. */
export class OutputErrorScanner {
  private partial = '';
  private readonly seen = new Set<OutputErrorCode>();

  push(chunk: string): OutputErrorMatch[] {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n|\r/);
    // a long line without a newline yet is kept, but bounded so a runaway program cannot grow it forever
    this.partial = (lines.pop() ?? '').slice(-4096);
    return this.scan(lines);
  }

  /** Call when the program ends: the last line may have no newline. */
  flush(): OutputErrorMatch[] {
    const rest = this.partial;
    this.partial = '';
    return this.scan([rest]);
  }

  private scan(lines: string[]): OutputErrorMatch[] {
    const out: OutputErrorMatch[] = [];
    for (const l of lines) {
      const m = matchOutputError(l);
      if (!m || this.seen.has(m.code)) continue;
      this.seen.add(m.code);
      out.push(m);
    }
    return out;
  }

  /** Every code seen so far in this run. */
  get codes(): OutputErrorCode[] {
    return [...this.seen];
  }
}
