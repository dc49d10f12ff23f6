// Wireshark-style display filters on field names: `tcp.flags.syn == 1 && ip.addr == 127.0.0.1`, `!arp`, `http contains "GET"`.
import type { DissectedPacket, Field } from './dissect';
import './dissect'; // loads every dissector, so the field registry below is complete
import { formatIpv6 } from './format';
import { type FieldDef, fieldAliases, fieldRegistry, protocolNames } from './registry';

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

function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
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
      if (protocolNames.has(name)) return (p) => p.protocols.includes(name); // no field tree needed
      return (p) => fieldsOf(fieldIndex(p), name).length > 0;
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
    if (op === 'contains') {
      const needle = bytesOfLiteral(v);
      const text = v.text;
      if (protocolNames.has(name)) {
        // A protocol's bytes include what it carries (`tcp contains "GET"` finds the request), as in Wireshark.
        return (p) => p.layers.some((l) => l.name === name && includes(p.data.subarray(l.offset), needle));
      }
      return (p) =>
        fieldsOf(fieldIndex(p), name).some((f) => (typeof f.value === 'string' && def.kind === 'string' ? f.value.includes(text) : includes(p.data.subarray(f.offset, f.offset + f.length), needle)));
    }
    if (op === 'matches') {
      let re: RegExp;
      try {
        re = new RegExp(v.text, 'i');
      } catch {
        throw new FilterSyntaxError(`"${v.text}" is not a valid regular expression`, v.pos);
      }
      return (p) => fieldsOf(fieldIndex(p), name).some((f) => re.test(String(f.value)));
    }
    const test = this.valueTest(def, op, opTok, v);
    // `!=` means "no occurrence equals" (Wireshark 3.6+), so `ip.addr != 1.2.3.4` drops either direction.
    if (op === '!=') return (p) => !fieldsOf(fieldIndex(p), name).some((f) => test(f, p));
    return (p) => fieldsOf(fieldIndex(p), name).some((f) => test(f, p));
  }

  private valueTest(def: FieldDef, op: RelOp, opTok: Token, v: Token): (f: Field, p: DissectedPacket) => boolean {
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
        return (f) => typeof f.value === 'number' && cmp(f.value, n);
      }
      case 'bool': {
        const t = v.text.toLowerCase();
        const b = t === '1' || t === 'true' ? 1 : t === '0' || t === 'false' ? 0 : undefined;
        if (b === undefined) throw new FilterSyntaxError(`${def.id} is a flag: compare it with 1 or 0, not "${v.text}"`, v.pos);
        return (f) => cmp(f.value === true || f.value === 1 ? 1 : 0, b);
      }
      case 'ipv4': {
        const [addr, bitsText] = v.text.split('/');
        const n = parseIpv4(addr);
        const bits = bitsText === undefined ? 32 : Number(bitsText);
        if (n === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new FilterSyntaxError(`"${v.text}" is not an IPv4 address such as 127.0.0.1 or 10.0.0.0/8`, v.pos);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        if (bitsText !== undefined) eqOnly();
        return (f) => {
          const x = typeof f.value === 'string' ? parseIpv4(f.value) : undefined;
          if (x === undefined) return false;
          return bitsText !== undefined ? (x & mask) >>> 0 === (n & mask) >>> 0 : cmp(x, n);
        };
      }
      case 'ipv6': {
        eqOnly();
        const a = parseIpv6(v.text);
        if (a === undefined) throw new FilterSyntaxError(`"${v.text}" is not an IPv6 address such as ::1`, v.pos);
        return (f) => f.value === a;
      }
      case 'ether': {
        eqOnly();
        const m = parseMac(v.text);
        if (m === undefined) throw new FilterSyntaxError(`"${v.text}" is not a MAC address such as 00:00:00:00:00:00`, v.pos);
        return (f) => f.value === m;
      }
      case 'bytes': {
        eqOnly();
        const want = bytesOfLiteral(v);
        return (f, p) => f.length === want.length && want.every((b, i) => b === p.data[f.offset + i]);
      }
      case 'none':
        throw new FilterSyntaxError(`${def.id} has no value to compare; write just "${def.id}" to test that it is present`, opTok.pos);
      default: {
        const s = v.text;
        if (op === '==' || op === '!=') return (f) => String(f.value) === s;
        return (f) => {
          const x = String(f.value);
          return op === '<' ? x < s : op === '>' ? x > s : op === '<=' ? x <= s : x >= s;
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
