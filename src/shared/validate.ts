// The checks every message crossing a process or webview boundary goes through (the session panel, the packet
// panel, the capture helper): hand-written, because no schema library belongs in a webview bundle.

export type Obj = Record<string, unknown>;

/** A plain object: not null, not an array. */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A whole number from 0 to `max`. */
export const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;
/** A string of at most `max` UTF-16 units. */
export const isStr = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length <= max;
export const isOptStr = (v: unknown, max = 256): boolean => v === undefined || isStr(v, max);
/** A finite number (times, which may be fractional). */
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
export const isOneOf = <T extends string>(v: unknown, all: readonly T[]): v is T => typeof v === 'string' && (all as readonly string[]).includes(v);
/** An array of at most `max` elements, each passing `each`. */
export const isArrayOf = (v: unknown, each: (x: unknown) => boolean, max = 100_000): boolean => Array.isArray(v) && v.length <= max && v.every(each);
