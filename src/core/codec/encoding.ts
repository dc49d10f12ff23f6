// Text <-> bytes through iconv-lite, for the encodings students meet (Chinese legacy ones included).
import * as iconv from 'iconv-lite';
import { CodecError } from './codecError';

export const encodings = ['utf-8', 'gbk', 'gb18030', 'big5', 'latin1', 'ascii', 'utf-16le'] as const;
export type EncodingName = (typeof encodings)[number];

/** Accepts the listed names and anything else iconv-lite knows (utf8, cp936, …). */
export function checkEncoding(name: string): string {
  const n = name.trim().toLowerCase();
  if (!iconv.encodingExists(n)) {
    throw new CodecError('EBADENCODING', `Unknown encoding "${name}" — use one of ${encodings.join(', ')}.`, `未知的编码“${name}”——请使用 ${encodings.join('、')} 之一。`);
  }
  return n;
}

export function encodeText(text: string, encoding = 'utf-8'): Uint8Array {
  const enc = checkEncoding(encoding);
  const out = iconv.encode(text, enc);
  // iconv-lite replaces unencodable characters with '?': tell the user instead of sending garbage.
  if (enc !== 'utf-8' && enc !== 'utf8' && !enc.startsWith('utf') && !enc.startsWith('gb18030')) {
    const back = iconv.decode(out, enc);
    if (back !== text) {
      const chars = [...text];
      const backChars = [...back];
      const i = chars.findIndex((c, k) => c !== backChars[k]);
      const bad = chars[Math.max(0, i)];
      throw new CodecError('EUNENCODABLE', `"${bad}" (position ${i + 1}) cannot be written in ${encoding} — pick an encoding that has it, such as utf-8 or gb18030.`, `“${bad}”（第 ${i + 1} 个字符）无法用 ${encoding} 编码——请选择包含它的编码，例如 utf-8 或 gb18030。`, i + 1);
    }
  }
  return out;
}

export function decodeText(bytes: Uint8Array, encoding = 'utf-8'): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), checkEncoding(encoding));
}
