// The data inspector: decodes the bytes at the cursor (or the selection) as the types a socket
// programmer meets: integers both ways round, floats, an IPv4 address, strings, and length prefixes.
import { formatHex } from '../../../src/shared/format';

export interface InspectorRow {
  /** Stable id ('int16', 'ipv4', 'len4be' …) so tests and the UI can find a row. */
  readonly id: string;
  readonly label: string;
  /** Little-endian value, or the only value for endian-free rows; '' when there are too few bytes. */
  readonly le: string;
  /** Big-endian value ('' for endian-free rows). */
  readonly be: string;
}

/** Bytes the inspector needs after the cursor: 8 for int64, plus a peek at a length-prefixed body. */
export const INSPECT_BYTES = 4 + 64;
const BODY_PREVIEW = 16;

/** Shortest decimal that reads back as the same float32. */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(parseFloat(s)) === v) return String(parseFloat(s));
  }
  return String(v);
}

function decodeStrict(label: string, bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export interface InspectorStrings {
  invalid(encoding: string): string;
  announced(length: number, available: number): string;
}

const defaultStrings: InspectorStrings = {
  invalid: (e) => `not valid ${e}`,
  announced: (n, have) => (have >= n ? `${n} bytes announced, all present` : `${n} bytes announced, ${have} present`),
};

export interface InspectOptions {
  /** How many of `bytes` are selected: strings decode exactly the selection (else up to 16 bytes). */
  readonly selectionLength?: number;
  /** Bytes that exist in the stream from the cursor on (may exceed bytes.length). */
  readonly available?: number;
  readonly strings?: InspectorStrings;
}

/** Decodes `bytes`, which start at the cursor. */
export function inspect(bytes: Uint8Array, opts: InspectOptions = {}): InspectorRow[] {
  const selectionLength = opts.selectionLength ?? 0;
  const available = Math.max(opts.available ?? bytes.length, bytes.length);
  const strings = opts.strings ?? defaultStrings;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const rows: InspectorRow[] = [];
  const both = (id: string, label: string, size: number, get: (le: boolean) => string) =>
    rows.push({ id, label, le: n >= size ? get(true) : '', be: size > 1 && n >= size ? get(false) : '' });

  both('int8', 'int8', 1, () => String(v.getInt8(0)));
  both('uint8', 'uint8', 1, () => String(v.getUint8(0)));
  both('int16', 'int16', 2, (le) => String(v.getInt16(0, le)));
  both('uint16', 'uint16', 2, (le) => String(v.getUint16(0, le)));
  both('int32', 'int32', 4, (le) => String(v.getInt32(0, le)));
  both('uint32', 'uint32', 4, (le) => String(v.getUint32(0, le)));
  both('int64', 'int64', 8, (le) => String(v.getBigInt64(0, le)));
  both('uint64', 'uint64', 8, (le) => String(v.getBigUint64(0, le)));
  both('float32', 'float32', 4, (le) => formatFloat32(v.getFloat32(0, le)));
  both('float64', 'float64', 8, (le) => String(v.getFloat64(0, le)));
  rows.push({ id: 'ipv4', label: 'IPv4', le: n >= 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : '', be: '' });

  const strBytes = bytes.subarray(0, selectionLength > 0 ? Math.min(selectionLength, n) : Math.min(16, n));
  for (const [id, label, enc] of [
    ['utf8', 'UTF-8', 'utf-8'],
    ['gbk', 'GBK', 'gbk'],
  ] as const) {
    const s = strBytes.length ? decodeStrict(enc, strBytes) : '';
    rows.push({ id, label, le: s === undefined ? strings.invalid(label) : JSON.stringify(s), be: '' });
  }

  for (const [size, le] of [
    [2, false],
    [2, true],
    [4, false],
    [4, true],
  ] as const) {
    const id = `len${size}${le ? 'le' : 'be'}`;
    const label = `len${size * 8} ${le ? 'LE' : 'BE'} + body`;
    if (n < size) {
      rows.push({ id, label, le: '', be: '' });
      continue;
    }
    const len = size === 2 ? v.getUint16(0, le) : v.getUint32(0, le);
    const body = bytes.subarray(size, size + Math.min(len, BODY_PREVIEW));
    const have = Math.max(0, Math.min(len, available - size));
    const preview = formatHex(body) + (len > BODY_PREVIEW && body.length === BODY_PREVIEW ? ' …' : '');
    rows.push({ id, label, le: `${strings.announced(len, have)}${preview ? ': ' + preview : ''}`, be: '' });
  }
  return rows;
}
