// Wireshark-style display filters on field names: `tcp.flags.syn == 1 && ip.addr == 127.0.0.1`, `!arp`, `http contains "GET"`.
import { type DissectedPacket, type Field, eagerLayers } from './dissect'; // also loads every dissector, so the field registry below is complete
import { fastReaders, type FactValue } from './fastValues';
import { formatIpv6 } from './format';
import { type FieldDef, fieldAliases, fieldRegistry, fieldsOutsideTheirLayer, protocolNames } from './registry';

export type PacketPredicate = (pkt: DissectedPacket) => boolean;

/** A filter that does not parse; `position` is the 0-based character index of the problem. */
export class FilterSyntaxError extends Error {
  readonly code = 'EFILTER';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
    this.name = 'FilterSyntaxError';
  }
}

type TokKind = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'end';
interface Token {
  kind: TokKind;
  text: string;
  pos: number;
}

const wordChar = /[A-Za-z0-9_.:\-/]/;
const relOps: Record<string, RelOp> = { '==': '==', eq: '==', '!=': '!=', ne: '!=', '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=', '>=': '>=', ge: '>=', contains: 'contains', matches: 'matches' };
type RelOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'contains' | 'matches';

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ kind: two === '&&' ? 'and' : 'or', text: two, pos: i });
      i += 2;
    } else if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, pos: i });
      i += 2;
    } else if (c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
    } else if (c === '!') {
      out.push({ kind: 'not', text: c, pos: i });
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, pos: i });
      i++;
    } else if (c === '"') {
      let s = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === '\\' && j + 1 < src.length) {
          j++;
          const e = src[j];
          s += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '0' ? '\0' : e;
        } else s += src[j];
      }
      if (j >= src.length) throw new FilterSyntaxError('The string is missing its closing quote "', i);
      out.push({ kind: 'string', text: s, pos: i });
      i = j + 1;
    } else if (wordChar.test(c)) {
      let j = i;
      while (j < src.length && wordChar.test(src[j])) j++;
      const w = src.slice(i, j);
      const lw = w.toLowerCase();
      if (lw === 'and' || lw === 'or' || lw === 'not') out.push({ kind: lw, text: w, pos: i });
      else if (relOps[lw] !== undefined) out.push({ kind: 'op', text: lw, pos: i });
      else out.push({ kind: 'word', text: w, pos: i });
      i = j;
    } else {
      throw new FilterSyntaxError(`Unexpected character "${c}"`, i);
    }
  }
  out.push({ kind: 'end', text: '', pos: src.length });
  return out;
}

/** The fields a name stands for in one packet (aliases such as `ip.addr` expand to both sides). */
function fieldsOf(index: Map<string, Field[]>, name: string): Field[] {
  const targets = fieldAliases.get(name);
  if (targets === undefined) return index.get(name) ?? [];
  const out: Field[] = [];
  for (const t of targets) {
    const fs = index.get(t);
    if (fs) out.push(...fs);
  }
  return out;
}

type Value = FactValue;

/** Reads a field's values without the tree when the facts tell, else -1; resolved once when the filter compiles. */
type FastReader = (p: DissectedPacket, out: Value[]) => number;

function fastValuesOf(name: string): FastReader {
  if (!filterOptions.eagerFacts) return () => -1;
  const dot = name.indexOf('.');
  const owner = dot < 0 ? name : name.slice(0, dot);
  // Every field lives in a layer of the protocol its name starts with, so no such layer means no occurrence.
  const owned = protocolNames.has(owner) && !fieldsOutsideTheirLayer.has(name);
  const facts = fastReaders.get(name);
  return (p, o) => {
    const scan = eagerLayers(p);
    if (scan === undefined) return -1;
    if (owned && !p.protocols.includes(owner)) return 0;
    return facts === undefined ? -1 : facts(p, scan, o);
  };
}

/** Scratch for FastValues: one evaluation at a time (predicates are synchronous and do not nest). */
const scratch: Value[] = [];

type FieldTest = (f: Field, p: DissectedPacket) => boolean;
/** Some occurrence of a field (or of an alias's targets) in the tree passes `test`. */
type TreeSearch = (p: DissectedPacket, name: string, targets: readonly string[] | undefined, test: FieldTest) => boolean;

function someField(fields: readonly Field[], name: string, targets: readonly string[] | undefined, test: FieldTest, p: DissectedPacket): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if ((targets === undefined ? f.id === name : targets.includes(f.id)) && test(f, p)) return true;
    if (f.children !== undefined && someField(f.children, name, targets, test, p)) return true;
  }
  return false;
}

/** Walks the tree, stopping at the first passing occurrence: no index, no allocation (an index per packet cost more than it saved). */
const walkTree: TreeSearch = (p, name, targets, test) => {
  const layers = p.layers;
  for (let i = 0; i < layers.length; i++) if (someField(layers[i].fields, name, targets, test, p)) return true;
  return false;
};

/** The reference search (the filter's original one): every occurrence, from an index of the whole tree. */
const indexedTree: TreeSearch = (p, name, _targets, test) => fieldsOf(fieldIndex(p), name).some((f) => test(f, p));

/** Some occurrence of `name` passes: from the eager facts when they tell (and `valueTest` needs no bytes), else from the tree. */
function anyOccurrence(
  p: DissectedPacket,
  name: string,
  targets: readonly string[] | undefined,
  fast: FastReader,
  search: TreeSearch,
  valueTest: ((v: Value) => boolean) | undefined,
  fieldTest: FieldTest,
): boolean {
  const n = fast(p, scratch);
  if (n === 0) return false;
  if (n > 0 && valueTest !== undefined) {
    for (let i = 0; i < n; i++) if (valueTest(scratch[i])) return true;
    return false;
  }
  return search(p, name, targets, fieldTest);
}

/** @internal For tests: when false, filters compile to the original tree-only evaluation (the reference the fast path must agree with). */
export const filterOptions = { eagerFacts: true };

const indexCache = new WeakMap<DissectedPacket, Map<string, Field[]>>();

function fieldIndex(pkt: DissectedPacket): Map<string, Field[]> {
  let idx = indexCache.get(pkt);
  if (idx !== undefined) return idx;
  idx = new Map();
  const add = (f: Field) => {
    const list = idx!.get(f.id);
    if (list) list.push(f);
    else idx!.set(f.id, [f]);
    if (f.children) for (const c of f.children) add(c);
  };
  for (const layer of pkt.layers) for (const f of layer.fields) add(f);
  indexCache.set(pkt, idx);
  return idx;
}

/** Dotted quad → 32-bit number (four groups of 1–3 digits, each ≤ 255), without a regex: it runs per packet. */
function parseIpv4(s: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      part = part * 10 + (c - 48);
    } else if (c === 46 && digits > 0 && dots < 3) {
      if (part > 255) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0 || part > 255) return undefined;
  return n * 256 + part;
}

function parseIpv6(s: string): string | undefined {
  let text = s;
  let tail: number[] = [];
  const v4 = /:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (v4) {
    const n = parseIpv4(v4[1]);
    if (n === undefined) return undefined;
    tail = [n >>> 16, n & 0xffff];
    text = text.slice(0, v4.index + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const groups = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest] : head;
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined;
  if (tail.length) groups.splice(6, 2, ...tail);
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return formatIpv6(b, 0);
}

function parseMac(s: string): string | undefined {
  const hexOnly = s.replace(/[:\-.]/g, '').toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hexOnly)) return undefined;
  return hexOnly.match(/../g)!.join(':');
}

function parseNumber(s: string): number | undefined {
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return undefined;
}

function bytesOfLiteral(tok: Token): Uint8Array {
  if (tok.kind === 'word' && /^([0-9a-fA-F]{2})([:\-.]?[0-9a-fA-F]{2})*$/.test(tok.text) && /[:\-.]/.test(tok.text)) {
    return new Uint8Array(tok.text.split(/[:\-.]/).map((h) => parseInt(h, 16)));
  }
  return new TextEncoder().encode(tok.text);
}

function includes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly src: string,
  ) {}

  private get cur(): Token {
    return this.toks[this.i];
  }

  parse(): PacketPredicate {
    const p = this.or();
    if (this.cur.kind !== 'end') {
      throw new FilterSyntaxError(this.cur.kind === 'rparen' ? 'This ")" has no matching "("' : `Unexpected "${this.cur.text}": join conditions with && or ||`, this.cur.pos);
    }
    return p;
  }

  private or(): PacketPredicate {
    let left = this.and();
    while (this.cur.kind === 'or') {
      this.i++;
      const l = left;
      const r = this.and();
      left = (p) => l(p) || r(p);
    }
    return left;
  }

  private and(): PacketPredicate {
    let left = this.not();
    while (this.cur.kind === 'and') {
      this.i++;
      const l = left;
      const r = this.not();
      left = (p) => l(p) && r(p);
    }
    return left;
  }

  private not(): PacketPredicate {
    if (this.cur.kind === 'not') {
      this.i++;
      const inner = this.not();
      return (p) => !inner(p);
    }
    return this.primary();
  }

  private primary(): PacketPredicate {
    const t = this.cur;
    if (t.kind === 'lparen') {
      this.i++;
      const inner = this.or();
      if (this.cur.kind !== 'rparen') throw new FilterSyntaxError('Missing ")" to close the "("', this.cur.kind === 'end' ? this.src.length : this.cur.pos);
      this.i++;
      return inner;
    }
    if (t.kind !== 'word') {
      throw new FilterSyntaxError(t.kind === 'end' ? 'The filter ends too early: a field name is missing' : `Expected a field name such as tcp.port, found "${t.text}"`, t.pos);
    }
    const name = t.text;
    const def = fieldRegistry.get(name);
    if (def === undefined) throw new FilterSyntaxError(`"${name}" is not a field or protocol name (try tcp, udp, ip.addr, tcp.port, tcp.flags.syn)`, t.pos);
    this.i++;
    if (this.cur.kind !== 'op') {
      if (!filterOptions.eagerFacts) return (p) => fieldsOf(fieldIndex(p), name).length > 0 || p.layers.some((l) => l.name === name);
      if (protocolNames.has(name)) return (p) => p.protocols.includes(name); // no field tree needed
      const fast = fastValuesOf(name);
      const targets = fieldAliases.get(name);
      const present = () => true;
      return (p) => {
        const n = fast(p, scratch);
        return n >= 0 ? n > 0 : walkTree(p, name, targets, present);
      };
    }
    const opTok = this.cur;
    const op = relOps[opTok.text];
    this.i++;
    const v = this.cur;
    if (v.kind !== 'word' && v.kind !== 'string') throw new FilterSyntaxError(`A value is missing after "${opTok.text}"`, v.pos);
    this.i++;
    return this.comparison(def, op, opTok, v);
  }

  private comparison(def: FieldDef, op: RelOp, opTok: Token, v: Token): PacketPredicate {
    const name = def.id;
    const fast = fastValuesOf(name);
    const targets = fieldAliases.get(name);
    const search = filterOptions.eagerFacts ? walkTree : indexedTree;
    if (op === 'contains') {
      const needle = bytesOfLiteral(v);
      const text = v.text;
      if (protocolNames.has(name)) {
        // A protocol's bytes include what it carries (`tcp contains "GET"` finds the request), as in Wireshark.
        return (p) => fast(p, scratch) !== 0 && p.layers.some((l) => l.name === name && includes(p.data.subarray(l.offset), needle));
      }
      const fieldTest = (f: Field, p: DissectedPacket) =>
        typeof f.value === 'string' && def.kind === 'string' ? f.value.includes(text) : includes(p.data.subarray(f.offset, f.offset + f.length), needle);
      // Searching bytes needs each occurrence's place in the frame: the facts only answer "no occurrence".
      return (p) => anyOccurrence(p, name, targets, fast, search, undefined, fieldTest);
    }
    if (op === 'matches') {
      let re: RegExp;
      try {
        re = new RegExp(v.text, 'i');
      } catch {
        throw new FilterSyntaxError(`"${v.text}" is not a valid regular expression`, v.pos);
      }
      const valueTest = (x: Value) => re.test(String(x));
      // Facts hold IPv4 addresses as numbers, not as the text the expression is matched against.
      const factTest = def.kind === 'ipv4' ? undefined : valueTest;
      return (p) => anyOccurrence(p, name, targets, fast, search, factTest, (f) => valueTest(f.value));
    }
    const test = this.valueTest(def, op, opTok, v);
    const fieldTest = test.field ?? ((f: Field) => (test.value as (x: Value) => boolean)(f.value));
    // `!=` means "no occurrence equals" (Wireshark 3.6+), so `ip.addr != 1.2.3.4` drops either direction.
    if (op === '!=') return (p) => !anyOccurrence(p, name, targets, fast, search, test.value, fieldTest);
    return (p) => anyOccurrence(p, name, targets, fast, search, test.value, fieldTest);
  }

  /** Tests on a value as the facts give it, and on a tree field (both when they differ, `field` alone for bytes). */
  private valueTest(def: FieldDef, op: RelOp, opTok: Token, v: Token): { value?: (x: Value) => boolean; field?: (f: Field, p: DissectedPacket) => boolean } {
    const cmp = (a: number, b: number): boolean => {
      switch (op) {
        case '<':
          return a < b;
        case '>':
          return a > b;
        case '<=':
          return a <= b;
        case '>=':
          return a >= b;
        default:
          return a === b;
      }
    };
    const eqOnly = () => {
      if (op !== '==' && op !== '!=') throw new FilterSyntaxError(`"${opTok.text}" cannot compare ${def.id}; use == or !=`, opTok.pos);
    };
    switch (def.kind) {
      case 'uint':
      case 'int':
      case 'time': {
        const n = parseNumber(v.text);
        if (n === undefined) throw new FilterSyntaxError(`"${v.text}" is not a number, which ${def.id} needs`, v.pos);
        return { value: (x) => typeof x === 'number' && cmp(x, n) };
      }
      case 'bool': {
        const t = v.text.toLowerCase();
        const b = t === '1' || t === 'true' ? 1 : t === '0' || t === 'false' ? 0 : undefined;
        if (b === undefined) throw new FilterSyntaxError(`${def.id} is a flag: compare it with 1 or 0, not "${v.text}"`, v.pos);
        return { value: (x) => cmp(x === true || x === 1 ? 1 : 0, b) };
      }
      case 'ipv4': {
        const [addr, bitsText] = v.text.split('/');
        const n = parseIpv4(addr);
        const bits = bitsText === undefined ? 32 : Number(bitsText);
        if (n === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new FilterSyntaxError(`"${v.text}" is not an IPv4 address such as 127.0.0.1 or 10.0.0.0/8`, v.pos);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        if (bitsText !== undefined) eqOnly();
        const test = (x: number | undefined) => (x === undefined ? false : bitsText !== undefined ? (x & mask) >>> 0 === (n & mask) >>> 0 : cmp(x, n));
        // The tree holds addresses as text; the facts hold them as numbers (see the ip dissector's fast readers).
        return { value: (val) => test(typeof val === 'number' ? val : typeof val === 'string' ? parseIpv4(val) : undefined), field: (f) => test(typeof f.value === 'string' ? parseIpv4(f.value) : undefined) };
      }
      case 'ipv6': {
        eqOnly();
        const a = parseIpv6(v.text);
        if (a === undefined) throw new FilterSyntaxError(`"${v.text}" is not an IPv6 address such as ::1`, v.pos);
        return { value: (x) => x === a };
      }
      case 'ether': {
        eqOnly();
        const m = parseMac(v.text);
        if (m === undefined) throw new FilterSyntaxError(`"${v.text}" is not a MAC address such as 00:00:00:00:00:00`, v.pos);
        return { value: (x) => x === m };
      }
      case 'bytes': {
        eqOnly();
        const want = bytesOfLiteral(v);
        return { field: (f, p) => f.length === want.length && want.every((b, i) => b === p.data[f.offset + i]) };
      }
      case 'none':
        throw new FilterSyntaxError(`${def.id} has no value to compare; write just "${def.id}" to test that it is present`, opTok.pos);
      default: {
        const s = v.text;
        if (op === '==' || op === '!=') return { value: (x) => String(x) === s };
        return {
          value: (val) => {
            const x = String(val);
            return op === '<' ? x < s : op === '>' ? x > s : op === '<=' ? x <= s : x >= s;
          },
        };
      }
    }
  }
}

/**
 * Compiles a display filter; an empty one keeps every packet.
 * Throws FilterSyntaxError (code EFILTER) with the position of the problem.
 */
export function compileFilter(expr: string): PacketPredicate {
  if (expr.trim() === '') return () => true;
  return new Parser(tokenize(expr), expr).parse();
}
