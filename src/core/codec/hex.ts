// Hex payloads as students type them: "48 65 6c", "48656c", "0x48,0x65", "\x48", with a clear error.
import { CodecError } from './codecError';

const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);
const isSep = (c: string) => c === ' ' || c === ',' || c === '\t' || c === '\n' || c === '\r' || c === ';' || c === ':' || c === '-';

/** Parses hex text into bytes; throws a CodecError naming the first bad character and its 1-based position. */
export function parseHex(text: string): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isSep(c)) {
      i++;
      continue;
    }
    // a token: optional 0x or \x prefix, then hex digits up to the next separator
    const tokenStart = i;
    if ((c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) || (c === '\\' && (text[i + 1] === 'x' || text[i + 1] === 'X'))) i += 2;
    const prefixed = i > tokenStart;
    const digitsStart = i;
    while (i < text.length && !isSep(text[i])) {
      if (text[i] === '\\' && (text[i + 1] === 'x' || text[i + 1] === 'X') && i > digitsStart) break;
      if (!isHex(text[i])) throw badChar(text, i);
      i++;
    }
    const digits = text.slice(digitsStart, i);
    if (digits.length === 0) throw badChar(text, Math.min(i, text.length - 1), prefixed);
    if (digits.length % 2 === 1) {
      if (prefixed && digits.length === 1) {
        out.push(parseInt(digits, 16));
        continue;
      }
      throw new CodecError('EBADHEX', `Odd number of hex digits in "${digits}" at position ${digitsStart + 1} — every byte needs two digits (write 0${digits.slice(-1)} rather than ${digits.slice(-1)}).`, `位于第 ${digitsStart + 1} 个字符的“${digits}”中十六进制数字个数为奇数——每个字节需要两位数字（例如写 0${digits.slice(-1)} 而不是 ${digits.slice(-1)}）。`, digitsStart + 1);
    }
    for (let k = 0; k < digits.length; k += 2) out.push(parseInt(digits.slice(k, k + 2), 16));
  }
  return Uint8Array.from(out);
}

function badChar(text: string, i: number, afterPrefix = false): CodecError {
  if (afterPrefix) {
    return new CodecError('EBADHEX', `"0x" at position ${i} has no hex digits after it — write a byte such as 0x41.`, `第 ${i} 个字符处的“0x”后面没有十六进制数字——请写成 0x41 这样的字节。`, i);
  }
  const ch = text[i];
  const shown = ch === undefined ? '' : JSON.stringify(ch).slice(1, -1);
  return new CodecError('EBADHEX', `"${shown}" at position ${i + 1} is not a hex digit — use 0-9 and a-f, bytes separated by spaces or commas (48 65 6c, 48656c, 0x48,0x65).`, `第 ${i + 1} 个字符“${shown}”不是十六进制数字——请使用 0-9 和 a-f，字节之间用空格或逗号分隔（48 65 6c、48656c、0x48,0x65）。`, i + 1);
}
