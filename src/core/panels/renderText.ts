// Bytes → display text for the conversation view, losslessly: whatever the encoding cannot decode
// is shown as \xNN escapes (never U+FFFD), and control characters are made visible (\r, \n, \x00).
// Decoding runs here in the extension host with iconv-lite (via the codec's encoding list), so the
// webview stays small and the pull model stays one request: "chunks, rendered in encoding E".
import * as iconv from 'iconv-lite';
import type { TextPart } from '../../shared/sessionPanelProtocol';
import { checkEncoding } from '../codec/encoding';
import { formatHex } from '../../shared/format';

/** Longest byte sequence one character takes in the encodings we offer. */
function maxCharBytes(enc: string): number {
  if (enc === 'utf-8' || enc === 'utf8' || enc === 'gb18030') return 4;
  if (enc.startsWith('utf-16') || enc === 'ucs2') return 4;
  if (enc === 'latin1' || enc === 'ascii' || enc === 'binary') return 1;
  return 2; // gbk, big5, shift_jis, euc-kr …
}

const ESC: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t', 0x00: '\\0', 0x1b: '\\e' };

function byteEscape(b: number): string {
  return ESC[b] ?? '\\x' + (b < 16 ? '0' : '') + b.toString(16);
}

class PartBuilder {
  readonly parts: TextPart[] = [];
  private text = '';
  private esc = '';
  plain(s: string): void {
    if (this.esc) this.flushEsc();
    this.text += s;
  }
  escape(s: string): void {
    if (this.text) this.flushText();
    this.esc += s;
  }
  private flushText(): void {
    this.parts.push({ t: this.text });
    this.text = '';
  }
  private flushEsc(): void {
    this.parts.push({ t: this.esc, e: true });
    this.esc = '';
  }
  done(): TextPart[] {
    if (this.text) this.flushText();
    if (this.esc) this.flushEsc();
    return this.parts;
  }
}

/** Adds decoded text, turning control characters into visible escapes (a line feed also breaks the line). */
function addText(out: PartBuilder, s: string): void {
  let run = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) {
      if (run) out.plain(run);
      run = '';
      if (c === 0x09) {
        out.plain('\t');
        continue;
      }
      out.escape(byteEscape(c));
      if (c === 0x0a) out.plain('\n');
    } else run += ch;
  }
  if (run) out.plain(run);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const isUnicode = (enc: string) => enc.startsWith('utf') || enc === 'ucs2' || enc === 'gb18030';

function roundTrips(bytes: Uint8Array, enc: string): string | undefined {
  const s = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), enc);
  // Single-byte tables map undefined bytes to U+FFFD and encode U+FFFD back to one of them, and
  // iconv's 'ascii' clears the high bit, so a U+FFFD there or a failed round trip means "undecodable".
  if (!isUnicode(enc) && s.includes('\ufffd')) return undefined;
  return sameBytes(iconv.encode(s, enc), bytes) ? s : undefined;
}

/** Length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function utf8SeqLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function renderUtf8(bytes: Uint8Array, out: PartBuilder): void {
  const dec = new TextDecoder('utf-8');
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SeqLength(bytes, i);
    if (n) {
      i += n;
      continue;
    }
    if (i > runStart) addText(out, dec.decode(bytes.subarray(runStart, i)));
    out.escape('\\x' + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16));
    runStart = ++i;
  }
  if (i > runStart) addText(out, dec.decode(bytes.subarray(runStart, i)));
}

/** Renders `bytes` as text in `encoding`; undecodable bytes become \xNN escape parts. */
export function renderText(bytes: Uint8Array, encoding: string): TextPart[] {
  const enc = checkEncoding(encoding);
  const out = new PartBuilder();
  const whole = roundTrips(bytes, enc);
  if (whole !== undefined) {
    addText(out, whole);
    return out.done();
  }
  if (enc === 'utf-8' || enc === 'utf8') {
    renderUtf8(bytes, out);
    return out.done();
  }
  // Slow path, only for chunks with bad bytes: take the shortest sequence that decodes to one
  // character and encodes back to the same bytes; otherwise escape one byte and move on.
  const max = maxCharBytes(enc);
  let i = 0;
  while (i < bytes.length) {
    let took = 0;
    for (let k = 1; k <= max && i + k <= bytes.length; k++) {
      const s = roundTrips(bytes.subarray(i, i + k), enc);
      if (s !== undefined && s.length > 0 && [...s].length === 1) {
        addText(out, s);
        took = k;
        break;
      }
    }
    if (took) i += took;
    else {
      out.escape('\\x' + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16));
      i++;
    }
  }
  return out.done();
}

/** Hex rendering of a chunk: "68 65 6c 6c 6f". */
export function renderHex(bytes: Uint8Array): TextPart[] {
  return bytes.length ? [{ t: formatHex(bytes) }] : [];
}
