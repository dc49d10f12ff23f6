// Turning selected bytes into text for the clipboard: hex, Python bytes literal, C array.
// "As text" needs the chosen encoding, so the host supplies that decoder.

export type CopyFormat = 'hex' | 'text' | 'python' | 'c';

import { HEX_BYTE, formatHex } from '../../../src/shared/format';

/** A Python bytes literal that evaluates to exactly these bytes. */
export function toPythonBytes(bytes: Uint8Array): string {
  let s = "b'";
  for (const b of bytes) {
    if (b === 0x5c) s += '\\\\';
    else if (b === 0x27) s += "\\'";
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + HEX_BYTE[b];
  }
  return s + "'";
}

/** A C array definition, 12 bytes per line. */
export function toCArray(bytes: Uint8Array, name = 'data'): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 12) {
    lines.push('    ' + Array.from(bytes.subarray(i, i + 12), (b) => '0x' + HEX_BYTE[b]).join(', ') + (i + 12 < bytes.length ? ',' : ''));
  }
  return `unsigned char ${name}[${bytes.length}] = {\n${lines.join('\n')}${lines.length ? '\n' : ''}};`;
}

export function formatCopy(bytes: Uint8Array, format: Exclude<CopyFormat, 'text'>): string {
  switch (format) {
    case 'hex':
      return formatHex(bytes);
    case 'python':
      return toPythonBytes(bytes);
    case 'c':
      return toCArray(bytes);
  }
}
