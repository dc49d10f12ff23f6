// TLS secrets in the NSS key log format (SSLKEYLOGFILE) that Wireshark reads to decrypt a capture.
// Each TLS session keeps its own few lines (a handshake writes about five), so one session's log can be saved later;
// a KeyLogFile receives every session's lines live (the socketLab.tls.keyLogFile setting, the CLI's --keylog).
import * as fs from 'node:fs';
import { SocketLabError } from '../errors';

/** At most this many lines kept per session (a TLS 1.3 handshake writes 5, each key update 2 more). */
export const KEYLOG_LINES_KEPT = 64;

/** Appends lines to one file (created readable by its owner only), synchronously: a handshake writes a few lines. */
export class KeyLogFile {
  private fd?: number;
  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, 'a', 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SocketLabError(code === 'ENOENT' ? 'LOG_FOLDER' : code === 'EACCES' ? 'LOG_DENIED' : 'LOG_WRITE', { path, detail: String(code ?? e) });
    }
  }

  write(line: Buffer | string): void {
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, typeof line === 'string' ? line : line.toString('latin1'));
    } catch {
      this.close(); // a full disk stops the key log; the sessions keep running
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Writes lines (each ending in a newline) to a file, appending: a key log gathers many sessions. */
export function appendKeyLog(file: string, lines: readonly string[]): void {
  const f = new KeyLogFile(file);
  try {
    for (const l of lines) f.write(l);
  } finally {
    f.close();
  }
}
