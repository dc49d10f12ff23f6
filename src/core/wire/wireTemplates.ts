// Templates in .wire scripts: {{name}} variables, {{counter}}, {{time}}, {{random:N}}, checksums over hex, and $1
// (a group captured by the last regex). Parsed once with columns (for errors), evaluated per step.
import { randomBytes } from 'node:crypto';
import { CodecError } from '../codec/codecError';
import { encodeText } from '../codec/encoding';
import { concatBytes, parseEscapes } from '../codec/escapes';
import { parseHex } from '../codec/hex';

/** A piece of a template: literal source text, a variable, a function or a captured group. */
export type TemplatePart =
  /** `escapes`: the text still holds C/Python escapes (a string's literal text); else it is taken as it is. */
  | { readonly kind: 'lit'; readonly text: string; readonly column: number; readonly escapes: boolean }
  | { readonly kind: 'var'; readonly name: string; readonly column: number }
  | { readonly kind: 'fn'; readonly name: WireFunction; readonly arg?: Template; readonly count?: number; readonly column: number }
  | { readonly kind: 'capture'; readonly index: number; readonly column: number };
export type Template = readonly TemplatePart[];

export const wireFunctions = ['counter', 'time', 'random', 'crc16modbus', 'crc32', 'sum8'] as const;
export type WireFunction = (typeof wireFunctions)[number];

/**
 * Names with a value of their own, written like variables: the block's own socket address once it has connected or
 * listens ({{local_host}}, {{local_port}}), and the running process's pid and effective uid and gid (what a Unix
 * server reads with SO_PEERCRED). A file's @name or --var of the same name wins, so older scripts keep their meaning.
 */
export const wireBuiltins = ['local_host', 'local_port', 'pid', 'uid', 'gid'] as const;
export type WireBuiltin = (typeof wireBuiltins)[number];

/** A mistake in a template, at a 1-based column of its line. */
export interface TemplateProblem {
  readonly column: number;
  readonly message: string;
  readonly messageZh: string;
}

/** Largest {{random:N}}: a script is not the place for bulk data (send file is). */
export const maxRandomBytes = 4096;

export const variableName = /^[A-Za-z_][\w.-]*$/;

/**
 * Parses `src` (which starts at `column` of its line). In a string (`escapes`), `\$` and `\{` are a literal `$` and
 * `{`, every other escape stays for parseEscapes; `$0`-`$9` are captured groups where `captures` allows them.
 */
export function parseTemplate(src: string, column: number, opts: { escapes: boolean; captures: boolean }): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let lit = '';
  let litStart = 0;
  let litEscapes = opts.escapes;
  const flush = (next: number) => {
    if (lit) parts.push({ kind: 'lit', text: lit, column: column + litStart, escapes: litEscapes });
    lit = '';
    litStart = next;
    litEscapes = opts.escapes;
  };
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (opts.escapes && c === '\\' && (src[i + 1] === '$' || src[i + 1] === '{')) {
      flush(i);
      parts.push({ kind: 'lit', text: src[i + 1], column: column + i, escapes: false });
      i += 2;
      litStart = i;
      continue;
    }
    if (opts.escapes && c === '\\' && i + 1 < src.length) {
      lit += src.slice(i, i + 2); // keep the pair together, so "\\{{x}}" is a backslash then a template
      i += 2;
      continue;
    }
    if (c === '$' && opts.captures && /[0-9]/.test(src[i + 1] ?? '')) {
      flush(i);
      parts.push({ kind: 'capture', index: Number(src[i + 1]), column: column + i });
      i += 2;
      litStart = i;
      continue;
    }
    if (c === '{' && src[i + 1] === '{') {
      const end = closingBraces(src, i + 2);
      if (end < 0) {
        problems.push({ column: column + i, message: '"{{" is not closed — write {{name}}, or \\{{ in a string for two braces', messageZh: '“{{”没有闭合——请写成 {{name}}；在字符串中要表示两个花括号请写 \\{{' });
        lit += src.slice(i);
        break;
      }
      flush(i);
      const inner = src.slice(i + 2, end);
      const lead = inner.length - inner.trimStart().length;
      const part = parseExpression(inner.trim(), column + i + 2 + lead, problems);
      if (part) parts.push(part);
      i = end + 2;
      litStart = i;
      continue;
    }
    if (!lit) litStart = i;
    lit += c;
    i++;
  }
  flush(src.length);
  return { parts, problems };
}

/** The index of the `}}` that closes a `{{` opened before `from` (templates nest: {{crc32:{{frame}}}}), or -1. */
export function closingBraces(src: string, from: number): number {
  let depth = 1;
  for (let i = from; i < src.length - 1; i++) {
    if (src[i] === '{' && src[i + 1] === '{') {
      depth++;
      i++;
    } else if (src[i] === '}' && src[i + 1] === '}') {
      if (--depth === 0) return i;
      i++;
    }
  }
  return -1;
}

function parseExpression(expr: string, column: number, problems: TemplateProblem[]): TemplatePart | undefined {
  const cap = /^\$([0-9])$/.exec(expr);
  if (cap) return { kind: 'capture', index: Number(cap[1]), column };
  const colon = expr.indexOf(':');
  const name = (colon < 0 ? expr : expr.slice(0, colon)).trim();
  const arg = colon < 0 ? undefined : expr.slice(colon + 1);
  if (!name) {
    problems.push({ column, message: 'empty {{}} — write a variable name, as in {{host}}', messageZh: '空的 {{}}——请写变量名，例如 {{host}}' });
    return undefined;
  }
  const fn = (wireFunctions as readonly string[]).includes(name) ? (name as WireFunction) : undefined;
  if (!fn) {
    if (arg !== undefined) {
      problems.push({ column, message: `unknown function "${name}" — known ones are ${wireFunctions.join(', ')}`, messageZh: `未知的函数“${name}”——可用的有 ${wireFunctions.join('、')}` });
      return undefined;
    }
    if (!variableName.test(name)) {
      problems.push({ column, message: `"${name}" is not a variable name — use letters, digits, _ . and -, starting with a letter`, messageZh: `“${name}”不是有效的变量名——请使用字母、数字、_ . 和 -，并以字母开头` });
      return undefined;
    }
    return { kind: 'var', name, column };
  }
  const argColumn = column + colon + 1;
  if (fn === 'counter' || fn === 'time') {
    if (arg !== undefined) problems.push({ column: argColumn, message: `{{${fn}}} takes no argument`, messageZh: `{{${fn}}} 不带参数` });
    return { kind: 'fn', name: fn, column };
  }
  if (fn === 'random') {
    const n = arg?.trim() ?? '';
    if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > maxRandomBytes) {
      problems.push({ column: argColumn, message: `{{random:N}} wants a number of bytes from 1 to ${maxRandomBytes}, as in {{random:4}}`, messageZh: `{{random:N}} 需要 1 到 ${maxRandomBytes} 之间的字节数，例如 {{random:4}}` });
      return undefined;
    }
    return { kind: 'fn', name: fn, count: Number(n), column };
  }
  if (arg === undefined || !arg.trim()) {
    problems.push({ column, message: `{{${fn}:…}} wants the bytes as hex, as in {{${fn}:01 03 00 00 00 01}}`, messageZh: `{{${fn}:…}} 需要十六进制的字节，例如 {{${fn}:01 03 00 00 00 01}}` });
    return undefined;
  }
  const inner = parseTemplate(arg, argColumn, { escapes: false, captures: true });
  problems.push(...inner.problems);
  if (inner.problems.length === 0) problems.push(...checkHexLiterals(inner.parts));
  return { kind: 'fn', name: fn, arg: inner.parts, column };
}

/** Hex text that is all literal is checked now, so its mistake has a column; with templates in it, when it runs. */
export function checkHexLiterals(parts: Template): TemplateProblem[] {
  if (parts.length !== 1 || parts[0].kind !== 'lit') return [];
  const p = parts[0];
  try {
    parseHex(p.text);
    return [];
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    const en = e.message.replace(/ at position \d+/, '').replace(/\.$/, '');
    const zh = e.messageZh.replace(/^(位于)?第 \d+ 个字符(处)?的?/, '').replace(/。$/, '');
    return [{ column: p.column + Math.max(0, (e.position ?? 1) - 1), message: en, messageZh: zh }];
  }
}

/** Names of the variables a template uses (functions' arguments included). */
export function variablesIn(parts: Template): { name: string; column: number }[] {
  const out: { name: string; column: number }[] = [];
  for (const p of parts) {
    if (p.kind === 'var') out.push({ name: p.name, column: p.column });
    else if (p.kind === 'fn' && p.arg) out.push(...variablesIn(p.arg));
  }
  return out;
}

/** Whether a template uses $N. */
export function usesCaptures(parts: Template): boolean {
  return parts.some((p) => p.kind === 'capture' || (p.kind === 'fn' && p.arg !== undefined && usesCaptures(p.arg)));
}

/** What evaluating a template needs: variables, the counter, the last regex's groups. */
export interface TemplateScope {
  variable(name: string): string | undefined;
  /** The next value of {{counter}} (1, 2, 3 … per block, or per server). */
  counter(): number;
  captures?: readonly (string | undefined)[];
  /** Unix time in seconds, for {{time}} (tests fix it). */
  now?(): number;
  /** The block's own socket address, once it has one (TCP and UDP), for {{local_host}} and {{local_port}}. */
  local?: { readonly host: string; readonly port: number };
}

/** A template that cannot be evaluated: an unknown variable, a checksum over something that is not hex. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly messageZh: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A template's text: literal parts as written (escapes still in), the rest evaluated. */
export function evalTemplate(parts: Template, scope: TemplateScope): string {
  let s = '';
  for (const p of parts) s += evalPart(p, scope);
  return s;
}

export function evalPart(p: TemplatePart, scope: TemplateScope): string {
  switch (p.kind) {
    case 'lit':
      return p.text;
    case 'var': {
      const v = scope.variable(p.name) ?? builtinValue(p, scope);
      if (v === undefined) throw new TemplateError(`unknown variable {{${p.name}}} — define it with @${p.name} = value, or pass --var ${p.name}=value`, `未知的变量 {{${p.name}}}——请用 @${p.name} = 值 定义它，或传入 --var ${p.name}=值`, p.column);
      return v;
    }
    case 'capture': {
      const c = scope.captures;
      if (!c) throw new TemplateError(`$${p.index} has no regex before it to capture from`, `$${p.index} 之前没有可供捕获的正则表达式`, p.column);
      if (p.index >= c.length) throw new TemplateError(`$${p.index}: the last regex has ${c.length - 1} group${c.length === 2 ? '' : 's'}`, `$${p.index}：上一个正则表达式只有 ${c.length - 1} 个分组`, p.column);
      return c[p.index] ?? '';
    }
    case 'fn':
      return evalFunction(p, scope);
  }
}

/** A built-in name's value; undefined for any other name. */
function builtinValue(p: Extract<TemplatePart, { kind: 'var' }>, scope: TemplateScope): string | undefined {
  const name = p.name as WireBuiltin;
  if (!(wireBuiltins as readonly string[]).includes(name)) return undefined;
  if (name === 'local_host' || name === 'local_port') {
    if (!scope.local) throw new TemplateError(`{{${name}}} is this block's own address: use it after connect or listen, on tcp or udp (a unix socket has no port)`, `{{${name}}} 是本块自己的地址：请在 connect 或 listen 之后使用，且只用于 tcp 或 udp（unix 套接字没有端口）`, p.column);
    return name === 'local_port' ? String(scope.local.port) : scope.local.host;
  }
  if (name === 'pid') return String(process.pid);
  const id = name === 'uid' ? process.geteuid?.() : process.getegid?.();
  if (id === undefined) throw new TemplateError(`{{${name}}}: this system has no Unix ${name}`, `{{${name}}}：这个系统没有 Unix 的 ${name}`, p.column);
  return String(id);
}

function evalFunction(p: Extract<TemplatePart, { kind: 'fn' }>, scope: TemplateScope): string {
  switch (p.name) {
    case 'counter':
      return String(scope.counter());
    case 'time':
      return String(scope.now ? scope.now() : Math.floor(Date.now() / 1000));
    case 'random':
      return Buffer.from(randomBytes(p.count ?? 1)).toString('hex');
    default: {
      const text = evalTemplate(p.arg ?? [], scope);
      let bytes: Uint8Array;
      try {
        bytes = parseHex(text);
      } catch (e) {
        const c = e as CodecError;
        throw new TemplateError(`{{${p.name}:…}}: ${c.message.replace(/\.$/, '')}`, `{{${p.name}:…}}：${c.messageZh ?? c.message}`, p.column);
      }
      return Buffer.from(checksum(p.name, bytes)).toString('hex');
    }
  }
}

/** The checksum's bytes in the order they go on the wire. */
export function checksum(name: 'crc16modbus' | 'crc32' | 'sum8' | WireFunction, bytes: Uint8Array): Uint8Array {
  if (name === 'sum8') {
    let s = 0;
    for (const b of bytes) s = (s + b) & 0xff;
    return Uint8Array.of(s);
  }
  if (name === 'crc16modbus') {
    let crc = 0xffff;
    for (const b of bytes) {
      crc ^= b;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    }
    return Uint8Array.of(crc & 0xff, crc >>> 8); // Modbus sends the low byte first
  }
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  crc = (crc ^ 0xffffffff) >>> 0;
  return Uint8Array.of(crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff); // as zlib.crc32 prints it
}

/** A string's bytes: its literal text with escapes processed, templates' values as they are, all in `encoding`. */
export function textBytes(parts: Template, scope: TemplateScope, encoding: string): Uint8Array {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (p.kind === 'lit' && p.escapes) out.push(parseEscapes(p.text, encoding));
    else out.push(encodeText(evalPart(p, scope), encoding));
  }
  return concatBytes(out);
}

/** Hex text (literal and templates) as bytes. */
export function hexBytes(parts: Template, scope: TemplateScope): Uint8Array {
  return parseHex(evalTemplate(parts, scope));
}

/** Text with what is not printable escaped the way the script writes it (\n, \x00), for expected/got lines. */
export function escapeText(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what gets escaped
  return text.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** A word of the script as a message quotes it: escaped, and cut after 40 characters (a binary file is no script). */
export function quoteWord(word: string): string {
  const s = escapeText(word);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}
