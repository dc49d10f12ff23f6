// One place that turns "what the user typed" (text / hex / escapes, an encoding, a line ending) into bytes.
import { CodecError } from './codecError';
import { encodeText } from './encoding';
import { concatBytes, parseEscapes } from './escapes';
import { parseHex } from './hex';

export const lineEndings = ['none', 'lf', 'crlf'] as const;
export type LineEnding = (typeof lineEndings)[number];

export function parseLineEnding(s: string): LineEnding {
  const n = s.trim().toLowerCase();
  if (n === 'none' || n === '') return 'none';
  if (n === 'lf' || n === '\\n') return 'lf';
  if (n === 'crlf' || n === '\\r\\n') return 'crlf';
  throw new CodecError('EBADLINEENDING', `Unknown line ending "${s}" — use none, lf or crlf.`, `未知的换行方式“${s}”——请使用 none、lf 或 crlf。`);
}

export function appendLineEnding(bytes: Uint8Array, ending: LineEnding): Uint8Array {
  if (ending === 'none') return bytes;
  return concatBytes([bytes, ending === 'lf' ? Uint8Array.of(0x0a) : Uint8Array.of(0x0d, 0x0a)]);
}

export interface PayloadSpec {
  /** Plain text, encoded as it is. */
  text?: string;
  /** Text with C/Python escapes (\r\n, \x00, \u5e74). */
  escaped?: string;
  hex?: string;
  encoding?: string;
  lineEnding?: LineEnding;
}

export function buildPayload(spec: PayloadSpec): Uint8Array {
  const given = [spec.text, spec.escaped, spec.hex].filter((x) => x !== undefined).length;
  if (given !== 1) throw new CodecError('EBADPAYLOAD', 'Give exactly one of text, escaped text or hex.', '请只提供文本、转义文本或十六进制中的一种。');
  const enc = spec.encoding ?? 'utf-8';
  const body = spec.hex !== undefined ? parseHex(spec.hex) : spec.escaped !== undefined ? parseEscapes(spec.escaped, enc) : encodeText(spec.text!, enc);
  return appendLineEnding(body, spec.lineEnding ?? 'none');
}
