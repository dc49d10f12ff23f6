// C/Python string escapes (\r\n, \t, \x00, \u5e74, \U0001F600, \0, \101) turned into bytes:
// \xHH (two digits) and octal are raw bytes, everything else is text encoded in the chosen encoding.
import { CodecError } from './codecError';
import { encodeText } from './encoding';

const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b', '\\': '\\', "'": "'", '"': '"', '?': '?' };

/** The escapes a user may write, for the error that meets an unknown one. */
const KNOWN = '\\n \\r \\t \\0 \\\\ \\" \\\' \\a \\b \\e \\f \\v \\xHH \\uHHHH \\UHHHHHHHH \\ooo (octal)';

export function parseEscapes(input: string, encoding = 'utf-8'): Uint8Array {
  const parts: Uint8Array[] = [];
  let text = '';
  const flushText = () => {
    if (text) parts.push(encodeText(text, encoding));
    text = '';
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '\\') {
      text += c;
      continue;
    }
    const n = input[i + 1];
    if (n === undefined) throw bad(i, '\\', 'a lone backslash ends the text — write \\\\ for a backslash', '文本以单个反斜杠结尾——反斜杠本身请写成 \\\\');
    if (n in simple) {
      text += simple[n];
      i++;
    } else if (n === 'x') {
      // exactly two digits, as \\xHH says: "\\x4" is a typo more often than a byte
      const m = /^[0-9a-fA-F]{2}/.exec(input.slice(i + 2, i + 4));
      if (!m) throw bad(i, '\\x', '\\x needs exactly two hex digits, as in \\x04', '\\x 后面需要正好两位十六进制数字，例如 \\x04');
      flushText();
      parts.push(Uint8Array.of(parseInt(m[0], 16)));
      i += 1 + m[0].length;
    } else if (n === 'u' || n === 'U') {
      const len = n === 'u' ? 4 : 8;
      const digits = input.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) throw bad(i, `\\${n}`, `\\${n} needs exactly ${len} hex digits, as in ${n === 'u' ? '\\u5e74' : '\\U0001f600'}`, `\\${n} 后面需要正好 ${len} 位十六进制数字，例如 ${n === 'u' ? '\\u5e74' : '\\U0001f600'}`);
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) throw bad(i, `\\${n}${digits}`, `U+${digits} is beyond the last Unicode character (10FFFF)`, `U+${digits} 超出了 Unicode 的范围（最大 10FFFF）`);
      text += String.fromCodePoint(cp);
      i += 1 + len;
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(input.slice(i + 1, i + 4))!;
      const v = parseInt(m[0], 8);
      if (v > 255) throw bad(i, `\\${m[0]}`, `octal \\${m[0]} is more than one byte (max \\377)`, `八进制 \\${m[0]} 超过一个字节（最大 \\377）`);
      flushText();
      parts.push(Uint8Array.of(v));
      i += m[0].length;
    } else {
      throw bad(i, `\\${n}`, `unknown escape \\${n} — known ones are ${KNOWN}`, `未知的转义 \\${n}——可用的有 ${KNOWN}`);
    }
  }
  flushText();
  return concatBytes(parts);
}

function bad(i: number, what: string, en: string, zh: string): CodecError {
  return new CodecError('EBADESCAPE', `"${what}" at position ${i + 1}: ${en}.`, `第 ${i + 1} 个字符处的“${what}”：${zh}。`, i + 1);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
