// .wire scripts: text -> blocks of steps, each with its line and column; mistakes as a list, in English and Chinese.
// The grammar is written down in docs/wire-format.md; this file is its one implementation.
import { CodecError } from '../codec/codecError';
import { checkEncoding, encodeText } from '../codec/encoding';
import { parseEscapes } from '../codec/escapes';
import { Framing, parseFraming } from '../codec/framing';
import { checkHexLiterals, parseTemplate, quoteWord, Template, TemplateProblem, usesCaptures, variableName, variablesIn, wireBuiltins, wireFunctions } from './wireTemplates';

export type WireProto = 'tcp' | 'udp' | 'unix' | 'tls' | 'ws' | 'wss';

/** A mistake in the script: where (1-based), and the sentence in both languages. */
export interface WireDiagnostic {
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly messageZh: string;
}

/** What a step sends or compares: text (with escapes and templates), hex (with templates), or a file's bytes. */
export type WirePayload =
  | { readonly kind: 'text'; readonly parts: Template }
  | { readonly kind: 'hex'; readonly parts: Template }
  | { readonly kind: 'file'; readonly path: Template };

export type WireExpectation =
  | { readonly kind: 'text'; readonly parts: Template }
  | { readonly kind: 'hex'; readonly parts: Template }
  | { readonly kind: 'regex'; readonly regex: RegExp }
  | { readonly kind: 'bytes'; readonly count: number }
  | { readonly kind: 'closed' }
  /** The peer ends the connection with an RST (ECONNRESET), not a FIN. */
  | { readonly kind: 'reset' };

export type WireMatcher =
  | { readonly kind: 'text'; readonly parts: Template }
  | { readonly kind: 'hex'; readonly parts: Template }
  | { readonly kind: 'regex'; readonly regex: RegExp }
  | { readonly kind: 'any' };

interface At {
  /** 1-based line and column of the step's first character. */
  readonly line: number;
  readonly column: number;
  /** The step as written, without its comment. */
  readonly source: string;
}

export type WireStep = At &
  (
    | { readonly kind: 'connect' | 'listen'; readonly proto: WireProto; readonly address: Template; /** connect tls … insecure */ readonly insecure?: boolean }
    | { readonly kind: 'send'; readonly payload: WirePayload }
    | { readonly kind: 'expect'; readonly expect: WireExpectation; readonly withinMs?: number }
    | { readonly kind: 'wait'; readonly ms: number }
    | { readonly kind: 'half-close' | 'close' }
    | { readonly kind: 'encoding'; readonly encoding: string }
    | { readonly kind: 'framing'; readonly framing: Framing }
    | { readonly kind: 'timeout'; readonly ms: number }
    | { readonly kind: 'on'; readonly matcher: WireMatcher; readonly reply?: WirePayload; readonly afterMs?: number; readonly close: boolean }
  );

export type WireStepKind = WireStep['kind'];

/**
 * client: connects and talks (connect …); server: listens and answers by rules (listen …); messages: only sends,
 * saved for sending from a session; empty: comments and variables only.
 */
export type WireBlockKind = 'client' | 'server' | 'messages' | 'empty';

export interface WireBlock {
  /** The text after ###, if any. */
  readonly name?: string;
  /** 1-based, counting every block (the lines before the first ### are block 1 when they hold steps). */
  readonly index: number;
  /** Line of its ### (1 for the lines before the first one). */
  readonly line: number;
  readonly kind: WireBlockKind;
  readonly steps: readonly WireStep[];
  /** Its connect or listen step. */
  readonly endpoint?: Extract<WireStep, { kind: 'connect' | 'listen' }>;
}

export interface WireVariable {
  readonly name: string;
  readonly value: Template;
  readonly line: number;
  readonly column: number;
}

export interface WireFile {
  readonly variables: ReadonlyMap<string, WireVariable>;
  readonly blocks: readonly WireBlock[];
  readonly diagnostics: readonly WireDiagnostic[];
}

export interface ParseOptions {
  /** Variables given from outside (--var): referring to them is no mistake. */
  readonly variables?: Iterable<string>;
}

/** How a block is named to a user: its name, else "block N". */
export function blockLabel(b: WireBlock): string {
  return b.name ?? `block ${b.index}`;
}

/** The longest wait a script may ask for: Node timers hold 2^31-1 ms (about 24 days). */
const maxSeconds = Math.floor((2 ** 31 - 1) / 1000);
const maxMs = maxSeconds * 1000;

/** A mistake found while reading a line; the line's parse stops there. */
class Fail extends Error {
  constructor(
    readonly column: number,
    message: string,
    readonly messageZh: string,
  ) {
    super(message);
  }
}

const stepWords = ['connect', 'listen', 'send', 'expect', 'wait', 'half-close', 'close', 'encoding', 'framing', 'timeout', 'on'] as const;
const hexStops = new Set(['within', 'after', 'reply', 'close']);

/** Reads one line left to right; `#` at the start of a word (outside strings and regexes) starts a comment. */
class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  get column(): number {
    return this.pos + 1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  /** True at the end of the line or at a comment. */
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length || this.text[this.pos] === '#';
  }

  peekChar(): string | undefined {
    this.skipSpace();
    return this.text[this.pos];
  }

  /** The next word (up to a space; a {{…}} inside is kept whole, spaces and all), or undefined at the end. */
  word(): { text: string; column: number } | undefined {
    if (this.atEnd()) return undefined;
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== ' ' && this.text[this.pos] !== '\t') {
      if (this.text.startsWith('{{', this.pos)) {
        const end = closingFrom(this.text, this.pos + 2);
        this.pos = end < 0 ? this.text.length : end + 2;
      } else this.pos++;
    }
    return { text: this.text.slice(start, this.pos), column: start + 1 };
  }

  peekWord(): string | undefined {
    const save = this.pos;
    const w = this.word();
    this.pos = save;
    return w?.text;
  }

  /** A double-quoted string's raw content (escapes still in) and the column where the content starts. */
  string(): { raw: string; column: number } {
    this.skipSpace();
    const open = this.pos;
    if (this.text[open] === "'") throw new Fail(open + 1, 'text goes in double quotes: "hello\\n"', '文本请放在双引号中："hello\\n"');
    this.pos++;
    for (let i = this.pos; i < this.text.length; i++) {
      if (this.text[i] === '\\') {
        i++;
        continue;
      }
      if (this.text.startsWith('{{', i)) {
        const end = closingFrom(this.text, i + 2);
        if (end >= 0) {
          i = end + 1;
          continue;
        }
      }
      if (this.text[i] === '"') {
        this.pos = i + 1;
        return { raw: this.text.slice(open + 1, i), column: open + 2 };
      }
    }
    throw new Fail(open + 1, 'this string has no closing quote (a string ends on its line; write \\n for a newline)', '字符串缺少右引号（字符串必须在同一行结束；换行请写 \\n）');
  }

  /** /source/flags, compiled; a slash inside [...] or after a backslash does not end it. */
  regex(): RegExp {
    this.skipSpace();
    const open = this.pos;
    let inClass = false;
    for (let i = open + 1; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) {
        const source = this.text.slice(open + 1, i);
        const flags = /^[a-z]*/.exec(this.text.slice(i + 1))![0];
        this.pos = i + 1 + flags.length;
        if (!source) throw new Fail(open + 1, 'an empty regex // matches anything — write any, or a pattern', '空的正则 // 会匹配任何内容——请写 any，或写一个模式');
        for (const [k, f] of [...flags].entries()) {
          if (!'imsu'.includes(f)) throw new Fail(i + 2 + k, `regex flag "${f}" is not allowed here — use i, m, s or u`, `这里不能使用正则标志“${f}”——请使用 i、m、s 或 u`);
        }
        try {
          return new RegExp(source, flags);
        } catch (e) {
          const why = (e as Error).message.replace(/^Invalid regular expression: /, '');
          throw new Fail(open + 1, `this regex does not compile: ${why}`, `这个正则表达式无法编译：${why}`);
        }
      }
    }
    throw new Fail(open + 1, 'this regex has no closing slash — write /pattern/ (\\/ for a slash inside)', '正则表达式缺少结尾的斜杠——请写成 /pattern/（其中的斜杠写成 \\/）');
  }
}

function closingFrom(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length - 1; i++) {
    if (text[i] === '{' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && text[i + 1] === '}') {
      if (--depth === 0) return i;
      i++;
    }
  }
  return -1;
}

/** Reads a .wire script. Never throws: every mistake is a diagnostic, and the rest is still read. */
export function parseWire(text: string, opts: ParseOptions = {}): WireFile {
  const diagnostics: WireDiagnostic[] = [];
  const variables = new Map<string, WireVariable>();
  const raw: { name?: string; line: number; steps: WireStep[] }[] = [{ line: 1, steps: [] }];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const uses: { name: string; line: number; column: number }[] = [];
  const report = (line: number, p: TemplateProblem) => diagnostics.push({ line, column: p.column, message: p.message, messageZh: p.messageZh });

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i];
    const sep = /^\s*###+(.*)$/.exec(line);
    if (sep) {
      const name = sep[1].trim();
      raw.push({ name: name || undefined, line: lineNo, steps: [] });
      continue;
    }
    const c = new Cursor(line, lineNo);
    if (c.atEnd()) continue;
    const problems: TemplateProblem[] = [];
    try {
      if (c.peekChar() === '@') {
        const v = parseVariable(c, problems);
        if (v) {
          const before = variables.get(v.name);
          if (before) throw new Fail(v.column, `@${v.name} is already defined on line ${before.line}`, `@${v.name} 已在第 ${before.line} 行定义`);
          variables.set(v.name, v);
          for (const u of variablesIn(v.value)) uses.push({ ...u, line: lineNo });
        }
      } else {
        const step = parseStep(c, problems);
        raw[raw.length - 1].steps.push(step);
        for (const u of templatesOf(step).flatMap(variablesIn)) uses.push({ ...u, line: lineNo });
      }
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      diagnostics.push({ line: lineNo, column: e.column, message: e.message, messageZh: e.messageZh });
    }
    for (const p of problems) report(lineNo, p);
  }

  const known = new Set<string>([...(opts.variables ?? []), ...wireBuiltins]);
  for (const u of uses) {
    if (!variables.has(u.name) && !known.has(u.name)) {
      diagnostics.push({ line: u.line, column: u.column, message: `unknown variable {{${u.name}}} — define it with @${u.name} = value, or pass --var ${u.name}=value`, messageZh: `未知的变量 {{${u.name}}}——请用 @${u.name} = 值 定义它，或传入 --var ${u.name}=值` });
    }
  }
  diagnostics.push(...variableCycles(variables));

  const blocks: WireBlock[] = [];
  const names = new Map<string, number>();
  raw.forEach((b, k) => {
    if (k === 0 && b.steps.length === 0) return; // the lines before the first ### hold only variables and comments
    if (b.name !== undefined) {
      const first = names.get(b.name);
      if (first !== undefined) diagnostics.push({ line: b.line, column: 1, message: `a block named "${b.name}" already starts on line ${first} — give each block its own name`, messageZh: `名为“${b.name}”的块已在第 ${first} 行开始——请给每个块不同的名字` });
      else names.set(b.name, b.line);
    }
    blocks.push(checkBlock(b, blocks.length + 1, diagnostics));
  });
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return { variables, blocks, diagnostics };
}

function parseVariable(c: Cursor, problems: TemplateProblem[]): WireVariable | undefined {
  const m = /^@\s*([^\s=]*)\s*(=?)\s*/.exec(c.text.slice(c.pos));
  const column = c.column;
  if (!m || !m[1]) throw new Fail(column, 'a variable is written @name = value', '变量的写法是 @name = value');
  const name = m[1];
  if (!variableName.test(name)) throw new Fail(column + 1, `"${name}" is not a variable name — use letters, digits, _ . and -, starting with a letter`, `“${name}”不是有效的变量名——请使用字母、数字、_ . 和 -，并以字母开头`);
  if ((wireFunctions as readonly string[]).includes(name)) throw new Fail(column + 1, `"${name}" is a built-in ({{${name}}}) — pick another name`, `“${name}”是内置函数（{{${name}}}）——请换一个名字`);
  if (!m[2]) throw new Fail(column + 1 + name.length, `a variable is written @${name} = value`, `变量的写法是 @${name} = value`);
  c.pos += m[0].length;
  let valueText: string;
  let valueColumn = c.column;
  if (c.text[c.pos] === '"') {
    // a quoted value keeps its spaces and # as they are; nothing in it is an escape
    const close = c.text.indexOf('"', c.pos + 1);
    if (close < 0) throw new Fail(c.column, 'this value has no closing quote', '这个值缺少右引号');
    valueText = c.text.slice(c.pos + 1, close);
    valueColumn = c.column + 1;
    c.pos = close + 1;
    if (!c.atEnd()) throw new Fail(c.column, 'nothing may follow a quoted value but a comment', '带引号的值后面只能跟注释');
  } else {
    const rest = c.text.slice(c.pos);
    const hash = /(^|\s)#/.exec(rest);
    valueText = (hash ? rest.slice(0, hash.index) : rest).trimEnd();
  }
  const t = parseTemplate(valueText, valueColumn, { escapes: false, captures: false });
  problems.push(...t.problems);
  return { name, value: t.parts, line: c.line, column };
}

/** A variable defined through itself (@a = {{b}}, @b = {{a}}) is a mistake at its definition. */
function variableCycles(vars: Map<string, WireVariable>): WireDiagnostic[] {
  const out: WireDiagnostic[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const v = vars.get(name);
    if (!v || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' → ');
      out.push({ line: v.line, column: v.column, message: `@${name} refers to itself (${cycle})`, messageZh: `@${name} 引用了自身（${cycle}）` });
      return;
    }
    state.set(name, 'visiting');
    for (const u of variablesIn(v.value)) visit(u.name, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of vars.keys()) visit(name, []);
  return out;
}

function templatesOf(s: WireStep): Template[] {
  const ofPayload = (p?: WirePayload): Template[] => (!p ? [] : p.kind === 'file' ? [p.path] : [p.parts]);
  switch (s.kind) {
    case 'connect':
    case 'listen':
      return [s.address];
    case 'send':
      return ofPayload(s.payload);
    case 'expect':
      return s.expect.kind === 'text' || s.expect.kind === 'hex' ? [s.expect.parts] : [];
    case 'on':
      return [...(s.matcher.kind === 'text' || s.matcher.kind === 'hex' ? [s.matcher.parts] : []), ...ofPayload(s.reply)];
    default:
      return [];
  }
}

/** Edit distance up to 2, for "did you mean". */
function near(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length] <= 2;
}

function parseStep(c: Cursor, problems: TemplateProblem[]): WireStep {
  const w = c.word()!;
  const at = { line: c.line, column: w.column, source: sourceOf(c.text) };
  const done = <T extends WireStep>(s: T): T => {
    if (!c.atEnd()) {
      const extra = c.word()!;
      throw new Fail(extra.column, `unexpected "${quoteWord(extra.text)}" at the end of ${w.text}`, `${w.text} 末尾多出了“${quoteWord(extra.text)}”`);
    }
    return s;
  };
  switch (w.text) {
    case 'connect':
    case 'listen': {
      const pw = c.word();
      if (!pw || !['tcp', 'udp', 'unix', 'tls', 'ws', 'wss'].includes(pw.text)) {
        throw new Fail(pw?.column ?? c.column, `${w.text} wants a protocol: ${w.text} tcp|udp|unix|tls|ws|wss ADDRESS`, `${w.text} 需要协议：${w.text} tcp|udp|unix|tls|ws|wss 地址`);
      }
      if (w.text === 'listen' && (pw.text === 'ws' || pw.text === 'wss')) {
        throw new Fail(pw.column, `listen ${pw.text} is not supported in .wire files yet — start the server with socket-lab listen ${pw.text} or Start WebSocket Server`, `.wire 文件暂不支持 listen ${pw.text}——请用 socket-lab listen ${pw.text} 或“启动 WebSocket 服务器”启动服务器`);
      }
      const proto = pw.text as WireProto;
      const aw = c.word();
      if (!aw) throw new Fail(c.column, proto === 'unix' ? `${w.text} unix wants a socket path` : proto === 'ws' || proto === 'wss' ? `connect ${proto} wants a URL: ${proto}://host:port/path` : `${w.text} ${proto} wants an address: host:port`, proto === 'unix' ? `${w.text} unix 需要套接字路径` : proto === 'ws' || proto === 'wss' ? `connect ${proto} 需要 URL：${proto}://host:port/path` : `${w.text} ${proto} 需要地址：host:port`);
      const t = parseTemplate(aw.text, aw.column, { escapes: false, captures: false });
      problems.push(...t.problems);
      if (t.parts.length === 1 && t.parts[0].kind === 'lit') checkAddress(proto, aw.text, aw.column, w.text === 'connect');
      // connect tls ADDRESS insecure: go on when the server's certificate is not trusted
      const insecure = (proto === 'tls' || proto === 'wss') && w.text === 'connect' && c.peekWord() === 'insecure' && c.word() !== undefined;
      return done({ ...at, kind: w.text, proto, address: t.parts, ...(insecure ? { insecure } : {}) });
    }
    case 'send':
      return done({ ...at, kind: 'send', payload: payload(c, w.text, problems, true) });
    case 'expect': {
      const expect = expectation(c, problems);
      let withinMs: number | undefined;
      if (c.peekWord() === 'within') {
        c.word();
        withinMs = duration(c, 'within');
      }
      return done({ ...at, kind: 'expect', expect, withinMs });
    }
    case 'wait':
      return done({ ...at, kind: 'wait', ms: duration(c, 'wait') });
    case 'timeout':
      return done({ ...at, kind: 'timeout', ms: duration(c, 'timeout') });
    case 'half-close':
    case 'close':
      return done({ ...at, kind: w.text });
    case 'encoding': {
      const e = c.word();
      if (!e) throw new Fail(c.column, 'encoding wants a name: utf-8, gbk, gb18030, big5, latin1 …', 'encoding 需要编码名：utf-8、gbk、gb18030、big5、latin1 …');
      try {
        return done({ ...at, kind: 'encoding', encoding: checkEncoding(e.text) });
      } catch (err) {
        throw codecFail(err, e.column, false);
      }
    }
    case 'framing': {
      const f = c.word();
      const names = 'raw, line, len2be, len4be, len2le, len4le';
      if (!f || !/^(raw|line|len[24](be|le))$/.test(f.text)) throw new Fail(f?.column ?? c.column, `framing wants one of ${names}`, `framing 需要以下之一：${names}`);
      return done({ ...at, kind: 'framing', framing: parseFraming(f.text) });
    }
    case 'on':
      return done(rule(c, at, problems));
    default: {
      const guess = stepWords.find((k) => near(w.text.toLowerCase(), k));
      const hint = guess ? ` — did you mean ${guess}?` : ` — a step is one of ${stepWords.join(', ')}`;
      const hintZh = guess ? `——你是想写 ${guess} 吗？` : `——步骤只能是 ${stepWords.join('、')} 之一`;
      throw new Fail(w.column, `unknown step "${quoteWord(w.text)}"${hint}`, `未知的步骤“${quoteWord(w.text)}”${hintZh}`);
    }
  }
}

function sourceOf(line: string): string {
  const c = new Cursor(line, 0);
  // the line up to its comment, found the way the parser finds it: skip words, strings and regexes
  let end = line.length;
  for (;;) {
    if (c.atEnd()) {
      end = c.pos;
      break;
    }
    const ch = c.peekChar();
    try {
      if (ch === '"') c.string();
      else if (ch === '/') c.regex();
      else c.word();
    } catch {
      break;
    }
  }
  return line.slice(0, end).trim();
}

function checkAddress(proto: WireProto, text: string, column: number, connecting: boolean): void {
  if (proto === 'unix') return;
  if (proto === 'ws' || proto === 'wss') {
    if (!new RegExp(`^${proto}://[^/\\s]+`).test(text)) throw new Fail(column, `"${text}" is not a ${proto} URL — write ${proto}://host:port/path`, `“${text}”不是 ${proto} URL——请写成 ${proto}://host:port/path`);
    return;
  }
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d+)$/.exec(text);
  if (!m) throw new Fail(column, `"${text}" is not an address — write host:port, [v6]:port or a port`, `“${text}”不是有效地址——请写成 host:port、[v6]:port 或端口`);
  const port = Number(m[3]);
  if (port > 65535 || (connecting && port === 0)) throw new Fail(column + text.length - m[3].length, connecting ? `port ${m[3]} cannot be connected to — use 1 to 65535` : `port ${m[3]} is not a port — use 0 to 65535`, connecting ? `无法连接端口 ${m[3]}——请使用 1 到 65535` : `${m[3]} 不是有效端口——请使用 0 到 65535`);
}

function codecFail(e: unknown, column: number, positional: boolean): Fail {
  if (!(e instanceof CodecError)) throw e;
  // the column says where: the codec's own "at position N" would count from the string's start instead
  const en = e.message.replace(/ at position \d+/, '').replace(/\.$/, '');
  const zh = e.messageZh.replace(/^(位于)?第 \d+ 个字符(处)?的?/, '').replace(/。$/, '');
  return new Fail(column + (positional ? Math.max(0, (e.position ?? 1) - 1) : 0), en, zh);
}

/** A string's parts; its literal text is checked for bad escapes now, so a mistake has its column. */
function textParts(c: Cursor, problems: TemplateProblem[]): Template {
  const s = c.string();
  const t = parseTemplate(s.raw, s.column, { escapes: true, captures: true });
  problems.push(...t.problems);
  for (const p of t.parts) {
    if (p.kind !== 'lit' || !p.escapes) continue;
    try {
      parseEscapes(p.text, 'utf-8');
    } catch (e) {
      throw codecFail(e, p.column, true);
    }
  }
  return t.parts;
}

/** hex 01 02 {{crc16modbus:01 02}}: the words up to within/after/reply/close or the end. */
function hexParts(c: Cursor, problems: TemplateProblem[]): Template {
  const words: { text: string; column: number }[] = [];
  while (!c.atEnd() && !hexStops.has(c.peekWord() ?? '')) words.push(c.word()!);
  if (words.length === 0) throw new Fail(c.column, 'hex wants bytes: hex 01 02 ff', 'hex 后面需要字节：hex 01 02 ff');
  const parts: Template[number][] = [];
  for (const [k, w] of words.entries()) {
    if (k > 0) parts.push({ kind: 'lit', text: ' ', column: w.column - 1, escapes: false });
    const t = parseTemplate(w.text, w.column, { escapes: false, captures: true });
    problems.push(...t.problems);
    if (t.problems.length === 0) problems.push(...checkHexLiterals(t.parts));
    parts.push(...t.parts);
  }
  return parts;
}

function payload(c: Cursor, verb: string, problems: TemplateProblem[], fileAllowed: boolean): WirePayload {
  const ch = c.peekChar();
  if (ch === '"' || ch === "'") return { kind: 'text', parts: textParts(c, problems) };
  const w = c.peekWord();
  if (w === 'hex') {
    c.word();
    return { kind: 'hex', parts: hexParts(c, problems) };
  }
  if (w === 'file' && fileAllowed) {
    c.word();
    if (c.atEnd()) throw new Fail(c.column, 'send file wants a path: send file "data.bin"', 'send file 需要路径：send file "data.bin"');
    if (c.peekChar() === '"') {
      const s = c.string();
      const t = parseTemplate(s.raw, s.column, { escapes: false, captures: false });
      problems.push(...t.problems);
      return { kind: 'file', path: t.parts };
    }
    const pw = c.word()!;
    const t = parseTemplate(pw.text, pw.column, { escapes: false, captures: false });
    problems.push(...t.problems);
    return { kind: 'file', path: t.parts };
  }
  const forms = fileAllowed ? '"text", hex 01 02 or file PATH' : '"text" or hex 01 02';
  const formsZh = fileAllowed ? '"文本"、hex 01 02 或 file 路径' : '"文本" 或 hex 01 02';
  throw new Fail(c.column, `${verb} wants ${forms}`, `${verb} 后面需要 ${formsZh}`);
}

function expectation(c: Cursor, problems: TemplateProblem[]): WireExpectation {
  const ch = c.peekChar();
  if (ch === '"' || ch === "'") return { kind: 'text', parts: textParts(c, problems) };
  if (ch === '/') return { kind: 'regex', regex: c.regex() };
  const w = c.peekWord();
  if (w === 'hex') {
    c.word();
    return { kind: 'hex', parts: hexParts(c, problems) };
  }
  if (w === 'closed') {
    c.word();
    return { kind: 'closed' };
  }
  if (w === 'reset') {
    c.word();
    return { kind: 'reset' };
  }
  if (w === 'bytes') {
    c.word();
    const n = c.word();
    if (!n || !/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > 64 * 1024 * 1024) throw new Fail(n?.column ?? c.column, 'expect bytes wants a count from 1 to 67108864: expect bytes 4', 'expect bytes 需要 1 到 67108864 之间的字节数：expect bytes 4');
    return { kind: 'bytes', count: Number(n.text) };
  }
  throw new Fail(c.column, 'expect wants "text", hex 01 02, /regex/, bytes N, closed or reset', 'expect 后面需要 "文本"、hex 01 02、/正则/、bytes N、closed 或 reset');
}

function duration(c: Cursor, verb: string): number {
  const w = c.word();
  const m = w && /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(w.text);
  if (!w || !m) {
    const bare = w && /^\d+(\.\d+)?$/.test(w.text);
    throw new Fail(w?.column ?? c.column, bare ? `${verb} ${w.text} needs a unit: ${w.text}ms or ${w.text}s` : `${verb} wants a duration such as 200ms, 2s or 1m`, bare ? `${verb} ${w.text} 需要单位：${w.text}ms 或 ${w.text}s` : `${verb} 需要一个时长，例如 200ms、2s 或 1m`);
  }
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (ms > maxMs) throw new Fail(w.column, `${verb} is at most ${maxSeconds}s (about 24 days)`, `${verb} 最长 ${maxSeconds}s（约 24 天）`);
  return Math.round(ms);
}

function rule(c: Cursor, at: At, problems: TemplateProblem[]): WireStep {
  let matcher: WireMatcher;
  const ch = c.peekChar();
  if (ch === '"' || ch === "'") matcher = { kind: 'text', parts: textParts(c, problems) };
  else if (ch === '/') matcher = { kind: 'regex', regex: c.regex() };
  else if (c.peekWord() === 'hex') {
    c.word();
    matcher = { kind: 'hex', parts: hexParts(c, problems) };
  } else if (c.peekWord() === 'any') {
    c.word();
    matcher = { kind: 'any' };
  } else throw new Fail(c.column, 'on wants "text", hex 01 02, /regex/ or any, then reply … or close', 'on 后面需要 "文本"、hex 01 02、/正则/ 或 any，然后是 reply … 或 close');
  let reply: WirePayload | undefined;
  let afterMs: number | undefined;
  let close = false;
  if (c.peekWord() === 'reply') {
    c.word();
    reply = payload(c, 'reply', problems, false);
    if (c.peekWord() === 'after') {
      c.word();
      afterMs = duration(c, 'after');
    }
  }
  if (c.peekWord() === 'close') {
    c.word();
    close = true;
  }
  if (!reply && !close) {
    const extra = c.word();
    throw new Fail(extra?.column ?? c.column, 'a rule wants an action: reply "…" [after 100ms] and/or close', '规则需要一个动作：reply "…" [after 100ms] 和/或 close');
  }
  if (matcher.kind !== 'regex' && reply && usesCaptures(reply.kind === 'file' ? reply.path : reply.parts)) {
    throw new Fail(at.column, '$1 in a reply takes a group from the rule\'s regex — this rule has none', 'reply 中的 $1 取自规则的正则分组——这条规则没有正则');
  }
  return { ...at, kind: 'on', matcher, reply, afterMs, close };
}

/** The block's kind, and the mistakes only the whole block shows (steps in the wrong kind of block, order). */
/** A step's literal text: what it sends, compares, matches or replies. */
function literalTexts(s: WireStep): Template[] {
  const out: Template[] = [];
  const add = (p: { kind: string; parts?: Template } | undefined) => {
    if (p?.kind === 'text' && p.parts) out.push(p.parts);
  };
  if (s.kind === 'send') add(s.payload as { kind: string; parts?: Template });
  else if (s.kind === 'expect') add(s.expect as { kind: string; parts?: Template });
  else if (s.kind === 'on') {
    add(s.matcher as { kind: string; parts?: Template });
    add(s.reply as { kind: string; parts?: Template } | undefined);
  }
  return out;
}

/**
 * Literal text the block's encoding cannot hold is a mistake of the script, found before anything connects or
 * listens (a server would otherwise skip that rule at every message); text from templates is checked as it runs.
 */
function checkEncodable(steps: readonly WireStep[], diagnostics: WireDiagnostic[]): void {
  let encoding = 'utf-8';
  for (const s of steps) {
    if (s.kind === 'encoding') encoding = s.encoding;
    for (const parts of literalTexts(s)) {
      for (const p of parts) {
        if (p.kind !== 'lit') continue;
        try {
          if (p.escapes) parseEscapes(p.text, encoding);
          else encodeText(p.text, encoding);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
          diagnostics.push({ line: s.line, column: p.column + (e.position ?? 1) - 1, message: e.message, messageZh: e.messageZh });
        }
      }
    }
  }
}

function checkBlock(b: { name?: string; line: number; steps: WireStep[] }, index: number, diagnostics: WireDiagnostic[]): WireBlock {
  const say = (s: At, message: string, messageZh: string) => diagnostics.push({ line: s.line, column: s.column, message, messageZh });
  const settings = new Set<WireStepKind>(['encoding', 'framing', 'timeout']);
  let endpoint: Extract<WireStep, { kind: 'connect' | 'listen' }> | undefined;
  for (const s of b.steps) {
    if (s.kind !== 'connect' && s.kind !== 'listen') continue;
    if (endpoint) say(s, `a block talks over one socket, and this one already did ${endpoint.kind} on line ${endpoint.line} — start a new ### block`, `一个块只使用一个套接字，本块已在第 ${endpoint.line} 行 ${endpoint.kind}——请开始一个新的 ### 块`);
    else endpoint = s;
  }
  checkEncodable(b.steps, diagnostics);
  const base = { name: b.name, index, line: b.line, steps: b.steps, endpoint };
  if (!endpoint) {
    const actions = b.steps.filter((s) => !settings.has(s.kind));
    if (actions.length === 0) return { ...base, kind: 'empty' };
    const notSend = actions.find((s) => s.kind !== 'send');
    if (!notSend) return { ...base, kind: 'messages' };
    say(notSend, `${notSend.kind} needs a connection: start the block with connect tcp|udp|unix|tls … (or listen … for a server)`, `${notSend.kind} 需要连接：请以 connect tcp|udp|unix|tls … 开始这个块（服务器用 listen …）`);
    return { ...base, kind: 'messages' };
  }
  let seenEndpoint = false;
  let captured = false;
  for (const s of b.steps) {
    if (s === endpoint) {
      seenEndpoint = true;
      continue;
    }
    if (endpoint.proto === 'udp' && s.kind === 'framing' && s.framing.kind !== 'raw') say(s, 'framing is for tcp and unix streams: on UDP each datagram is one message', '分帧只用于 tcp 和 unix 字节流：UDP 的每个数据报就是一条消息');
    if (settings.has(s.kind) || s.kind === 'connect' || s.kind === 'listen') continue;
    if (endpoint.kind === 'listen') {
      if (s.kind !== 'on') say(s, `a server block answers by rules — ${s.kind} belongs in a client block (one that starts with connect)`, `服务器块按规则应答——${s.kind} 应写在客户端块中（以 connect 开始的块）`);
      else if (!seenEndpoint) say(s, 'rules come after listen', '规则要写在 listen 之后');
      continue;
    }
    if (s.kind === 'on') {
      say(s, 'on … reply rules belong in a server block (one that starts with listen)', 'on … reply 规则应写在服务器块中（以 listen 开始的块）');
      continue;
    }
    if (!seenEndpoint) {
      say(s, `${s.kind} comes before connect on line ${endpoint.line} — connect first`, `${s.kind} 出现在第 ${endpoint.line} 行的 connect 之前——请先连接`);
      continue;
    }
    if (endpoint.proto === 'udp' && (s.kind === 'half-close' || (s.kind === 'expect' && (s.expect.kind === 'closed' || s.expect.kind === 'reset')))) {
      const what = s.kind === 'expect' ? s.expect.kind : 'closed';
      say(s, s.kind === 'half-close' ? 'UDP has no connection to half-close' : `UDP has no connection a peer could close — expect ${what} is for tcp and unix`, s.kind === 'half-close' ? 'UDP 没有连接，无法半关闭' : `UDP 没有可被对方关闭的连接——expect ${what} 只用于 tcp 和 unix`);
    }
    const templates = templatesOf(s);
    if (!captured && templates.some(usesCaptures)) say(s, '$1 takes a group from the last expect /regex/ — there is none before this step', '$1 取自上一个 expect /正则/ 的分组——这一步之前没有');
    if (s.kind === 'expect' && s.expect.kind === 'regex') captured = true;
  }
  return { ...base, kind: endpoint.kind === 'listen' ? 'server' : 'client' };
}
