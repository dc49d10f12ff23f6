// Address and number formatting shared by the dissectors (table-driven: this runs for every field).

import { HEX_BYTE as HEX2 } from '../../shared/format';

/** `aa:bb:cc:dd:ee:ff`; missing bytes (cut capture) are not read. */
export function formatMac(d: Uint8Array, off: number): string {
  return `${HEX2[d[off]]}:${HEX2[d[off + 1]]}:${HEX2[d[off + 2]]}:${HEX2[d[off + 3]]}:${HEX2[d[off + 4]]}:${HEX2[d[off + 5]]}`;
}

export function formatIpv4(d: Uint8Array, off: number): string {
  return `${d[off]}.${d[off + 1]}.${d[off + 2]}.${d[off + 3]}`;
}

/** RFC 5952 text form: lowercase, leading zeros dropped, longest run of ≥2 zero groups as `::`. */
export function formatIpv6(d: Uint8Array, off: number): string {
  const g: number[] = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (d[off + 2 * i] << 8) | d[off + 2 * i + 1];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses read best with a dotted tail, as Wireshark shows them.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) return `::ffff:${formatIpv4(d, off + 12)}`;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += g[i].toString(16);
  }
  return out;
}

/** `0x0002`-style hex with a fixed number of digits. */
export function hex(n: number, digits: number): string {
  const s = n.toString(16);
  return '0x' + (s.length >= digits ? s : '0'.repeat(digits - s.length) + s);
}

/** Bytes as contiguous lowercase hex, at most `max` bytes (then `…`). */
export function hexBytes(d: Uint8Array, off: number, len: number, max = 4096): string {
  const n = Math.min(len, max);
  let s = '';
  for (let i = 0; i < n; i++) s += HEX2[d[off + i]];
  return n < len ? s + '…' : s;
}

/** Latin-1 text of a byte range (HTTP header bytes are octets, not UTF-8, until proven otherwise). */
export function latin1(d: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(d[off + i]);
  return s;
}
