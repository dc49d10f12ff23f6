// Lookup tables for formatting bytes: building strings per byte with toString(16).padStart is the
// slow path (seconds for 16 MiB); tables make a visible row cost a few array reads.

import { HEX_BYTE } from '../../../src/shared/format';
/** Printable ASCII as itself, everything else as '.', one cell per byte so the columns stay aligned. */
export const TEXT_CHAR: readonly string[] = Array.from({ length: 256 }, (_, i) => (i >= 0x20 && i < 0x7f ? String.fromCharCode(i) : '.'));

/** Offset as lower-case hex, at least `width` digits. */
export function formatOffset(offset: number, width = 8): string {
  let s = '';
  let n = offset;
  do {
    s = HEX_BYTE[n % 256] + s;
    n = Math.floor(n / 256);
  } while (n > 0);
  while (s.length > width && s[0] === '0') s = s.slice(1);
  while (s.length < width) s = '0' + s;
  return s;
}

/** Digits the offset column needs so every offset up to `end` fits (8 minimum, like xxd). */
export function offsetWidth(end: number): number {
  let w = 8;
  while (end >= 16 ** w) w += 2;
  return w;
}

/** Parses a "go to" offset: decimal, 0x-prefixed hex, or hex with an h suffix. */
export function parseOffset(input: string): number | undefined {
  const s = input.trim().toLowerCase();
  let n: number;
  if (/^0x[0-9a-f]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^[0-9a-f]+h$/.test(s)) n = parseInt(s.slice(0, -1), 16);
  else if (/^\d+$/.test(s)) n = parseInt(s, 10);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}
