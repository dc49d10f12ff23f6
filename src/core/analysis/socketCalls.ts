// Finds socket calls whose address is a literal or a simple constant, for CodeLens: bind, connect, listen, sendto …
import type { Node, Tree } from 'web-tree-sitter';
import type { SourceLanguage } from './grammarLoader';
import { descendants, named, NodeIndex, rangeOf, unescapeBody, type Range } from './syntax';

export interface SocketCallSite {
  /** What was called, as the user would say it: `bind`, `connect`, `listen`, `sendto`, `socket.create_connection` … */
  call: string;
  /** server: the program listens here (connect a client to it); client: the program connects here (play the server). */
  role: 'server' | 'client';
  protocol: 'tcp' | 'udp';
  /** The host as written ('' for Python's "all interfaces"); undefined when the call gives none. */
  host?: string;
  port: number;
  range: Range;
}

/**
 * A cheap text test before any parse: a file without one of these words has no socket call and no finding
 * (hmac is there for the hmac-digest rule). Tests check that every fixture with a finding passes it.
 */
const SOCKET_WORDS = /socket|bind|connect|listen|accept|send|recv|createServer|dgram|net\.|asyncio|hmac/;
export function mayUseSockets(text: string): boolean {
  return SOCKET_WORDS.test(text);
}

type Value = string | number | Value[] | undefined;

/** Names assigned exactly once to something we can evaluate: `PORT = 8000`, `const HOST = "127.0.0.1"`, `#define PORT 8080`. */
class Constants {
  private readonly defs = new Map<string, Node[]>();
  private readonly macros = new Map<string, string>();

  add(name: string, value: Node): void {
    const list = this.defs.get(name) ?? [];
    list.push(value);
    this.defs.set(name, list);
  }

  addMacro(name: string, value: string): void {
    this.macros.set(name, value.trim());
  }

  lookup(name: string): Node | undefined {
    const d = this.defs.get(name);
    return d && d.length === 1 ? d[0] : undefined;
  }

  macro(name: string): string | undefined {
    return this.macros.get(name);
  }
}

function stringValue(n: Node): string | undefined {
  switch (n.type) {
    case 'string': {
      // Python: string_start content… string_end (no interpolation); JS: quotes around string_fragment; C: string_literal
      if (named(n).some((c) => c.type === 'interpolation')) return undefined;
      const start = named(n).find((c) => c.type === 'string_start');
      if (start) {
        const quote = start.text.replace(/^[a-zA-Z]*/, '');
        const body = n.text.slice(start.text.length, n.text.length - quote.length);
        return /r/i.test(start.text) ? body : unescapeBody(body);
      }
      return unescapeBody(n.text.slice(1, -1));
    }
    case 'string_literal':
      return unescapeBody(n.text.slice(1, -1));
    case 'template_string':
      return named(n).some((c) => c.type === 'template_substitution') ? undefined : n.text.slice(1, -1);
    case 'concatenated_string':
      return undefined;
    default:
      return undefined;
  }
}

function evaluate(n: Node | null | undefined, consts: Constants, depth = 0): Value {
  if (!n || depth > 8) return undefined;
  switch (n.type) {
    case 'integer':
    case 'number':
    case 'number_literal': {
      const v = Number(n.text.replace(/_/g, '').replace(/[uUlL]+$/, ''));
      return Number.isFinite(v) ? v : undefined;
    }
    case 'string':
    case 'string_literal':
    case 'template_string':
      return stringValue(n);
    case 'identifier': {
      const def = consts.lookup(n.text);
      if (def) return evaluate(def, consts, depth + 1);
      const macro = consts.macro(n.text);
      if (macro !== undefined) {
        if (/^\d+$/.test(macro)) return Number(macro);
        if (/^".*"$/.test(macro)) return unescapeBody(macro.slice(1, -1));
      }
      return undefined;
    }
    case 'parenthesized_expression':
      return evaluate(named(n)[0], consts, depth + 1);
    case 'tuple':
    case 'list':
    case 'array':
      return named(n).map((c) => evaluate(c, consts, depth + 1));
    case 'call': {
      // Python int("8000") is still a constant
      const fn = n.childForFieldName('function');
      const args = named(n.childForFieldName('arguments'));
      if (fn?.text === 'int' && args.length === 1) {
        const v = evaluate(args[0], consts, depth + 1);
        return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : undefined;
      }
      // os.environ.get('PORT', '9001') / os.getenv('PORT', 9001): the default is the port the program uses as written
      if ((fn?.text === 'os.environ.get' || fn?.text === 'os.getenv') && args.length === 2) return evaluate(args[1], consts, depth + 1);
      return undefined;
    }
    case 'conditional_expression': {
      // `int(sys.argv[1]) if len(sys.argv) > 1 else 9001`: the value as written, else the fallback
      const [value, , fallback] = named(n);
      return evaluate(value, consts, depth + 1) ?? evaluate(fallback, consts, depth + 1);
    }
    default:
      return undefined;
  }
}

function portOf(v: Value): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined;
}

function site(call: string, role: 'server' | 'client', protocol: 'tcp' | 'udp', host: Value, port: Value, node: Node): SocketCallSite | undefined {
  const p = portOf(port);
  if (p === undefined || p === 0) return undefined;
  return { call, role, protocol, host: typeof host === 'string' ? host : undefined, port: p, range: rangeOf(node) };
}

// ---------------------------------------------------------------- Python

function pythonConstants(idx: NodeIndex): Constants {
  const c = new Constants();
  for (const a of idx.all('assignment')) {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'identifier' && right) c.add(left.text, right);
  }
  return c;
}

/** The expression that created a Python socket variable: `s = socket.socket(...)` or `with socket.socket(...) as s`. */
function pythonSocketOrigins(idx: NodeIndex): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const a of idx.all('assignment')) {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'identifier' && right?.type === 'call') out.set(left.text, right);
  }
  for (const item of idx.all('as_pattern')) {
    const value = named(item)[0];
    const alias = item.childForFieldName('alias');
    const target = alias ? (named(alias)[0] ?? alias) : undefined;
    if (value?.type === 'call' && target?.type === 'identifier') out.set(target.text, value);
  }
  return out;
}

function pythonProtocol(receiver: Node | null, origins: Map<string, Node>): 'tcp' | 'udp' {
  if (receiver?.type !== 'identifier') return 'tcp';
  const origin = origins.get(receiver.text);
  return origin && /SOCK_DGRAM/.test(origin.text) ? 'udp' : 'tcp';
}

function keyword(args: Node[], name: string): Node | undefined {
  for (const a of args) if (a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name) return a.childForFieldName('value') ?? undefined;
  return undefined;
}

function pythonSites(idx: NodeIndex): SocketCallSite[] {
  const consts = pythonConstants(idx);
  const origins = pythonSocketOrigins(idx);
  const out: (SocketCallSite | undefined)[] = [];
  for (const call of idx.all('call')) {
    const fn = call.childForFieldName('function');
    const args = named(call.childForFieldName('arguments'));
    if (!fn) continue;
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    const addr = (n: Node | undefined): [Value, Value] => {
      const v = evaluate(n, consts);
      return Array.isArray(v) && v.length >= 2 ? [v[0], v[1]] : [undefined, undefined];
    };
    const name = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.text;
    const receiver = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
    const dotted = fn.text.replace(/\s+/g, '');
    if (fn.type === 'attribute' && (name === 'bind' || name === 'connect' || name === 'connect_ex')) {
      const [h, p] = addr(positional[0]);
      const proto = pythonProtocol(receiver, origins);
      out.push(site(name, name === 'bind' ? 'server' : 'client', proto, h, p, call));
    } else if (fn.type === 'attribute' && name === 'sendto') {
      const [h, p] = addr(positional[positional.length - 1]);
      if (positional.length >= 2) out.push(site('sendto', 'client', 'udp', h, p, call));
    } else if (dotted === 'socket.create_connection' || dotted === 'create_connection') {
      const [h, p] = addr(positional[0] ?? keyword(args, 'address'));
      out.push(site('socket.create_connection', 'client', 'tcp', h, p, call));
    } else if (dotted === 'socket.create_server' || dotted === 'create_server') {
      const [h, p] = addr(positional[0] ?? keyword(args, 'address'));
      out.push(site('socket.create_server', 'server', 'tcp', h, p, call));
    } else if (name && /^(Threading|Forking)?(TCP|UDP)Server$|^(Threading)?HTTPServer$/.test(name)) {
      const [h, p] = addr(positional[0] ?? keyword(args, 'server_address'));
      out.push(site(dotted, 'server', /UDP/.test(name) ? 'udp' : 'tcp', h, p, call));
    } else if (dotted === 'asyncio.start_server' || dotted === 'asyncio.open_connection') {
      const offset = dotted === 'asyncio.start_server' ? 1 : 0;
      const h = evaluate(positional[offset] ?? keyword(args, 'host'), consts);
      const p = evaluate(positional[offset + 1] ?? keyword(args, 'port'), consts);
      out.push(site(dotted, offset ? 'server' : 'client', 'tcp', h, p, call));
    }
  }
  return out.filter((s): s is SocketCallSite => s !== undefined);
}

// ---------------------------------------------------------------- JavaScript / TypeScript

function jsConstants(root: Node): Constants {
  const c = new Constants();
  for (const d of descendants(root, 'variable_declarator')) {
    const name = d.childForFieldName('name');
    const value = d.childForFieldName('value');
    if (name?.type === 'identifier' && value) c.add(name.text, value);
  }
  return c;
}

/** `{ port: 8000, host: 'x' }` → values by key. */
function jsObject(n: Node | undefined, consts: Constants): Map<string, Value> | undefined {
  if (n?.type !== 'object') return undefined;
  const m = new Map<string, Value>();
  for (const p of named(n)) {
    if (p.type === 'pair') m.set(p.childForFieldName('key')?.text.replace(/['"]/g, '') ?? '', evaluate(p.childForFieldName('value'), consts));
    else if (p.type === 'shorthand_property_identifier') m.set(p.text, evaluate(p, consts));
  }
  return m;
}

function jsSites(root: Node): SocketCallSite[] {
  const consts = jsConstants(root);
  // `shorthand_property_identifier` evaluates through the constants table like an identifier
  const evalAny = (n: Node | undefined): Value =>
    n?.type === 'shorthand_property_identifier' ? evaluate(consts.lookup(n.text), consts) : evaluate(n, consts);
  const out: (SocketCallSite | undefined)[] = [];
  for (const call of descendants(root, 'call_expression')) {
    const fn = call.childForFieldName('function');
    const args = named(call.childForFieldName('arguments'));
    if (fn?.type !== 'member_expression') continue;
    const name = fn.childForFieldName('property')?.text;
    const object = fn.childForFieldName('object');
    const obj = jsObject(args[0], consts);
    const dgramReceiver = object ? /createSocket\s*\(|dgram|udp/i.test(object.text) : false;
    if (name === 'listen') {
      if (obj) out.push(site('listen', 'server', 'tcp', obj.get('host'), obj.get('port'), call));
      else out.push(site('listen', 'server', 'tcp', typeof evalAny(args[1]) === 'string' ? evalAny(args[1]) : undefined, evalAny(args[0]), call));
    } else if (name === 'connect' || name === 'createConnection') {
      const moduleCall = object?.type === 'identifier' && /^(net|tls)$/.test(object.text);
      const label = moduleCall ? `${object!.text}.${name}` : name;
      if (obj) out.push(site(label, 'client', 'tcp', obj.get('host'), obj.get('port'), call));
      else out.push(site(label, 'client', dgramReceiver ? 'udp' : 'tcp', evalAny(args[1]), evalAny(args[0]), call));
    } else if (name === 'bind') {
      // Function.prototype.bind takes a `this`, never a port, so a numeric first argument means dgram
      if (obj) out.push(site('dgram bind', 'server', 'udp', obj.get('address'), obj.get('port'), call));
      else out.push(site('dgram bind', 'server', 'udp', evalAny(args[1]), evalAny(args[0]), call));
    } else if (name === 'send' && (args.length === 3 || args.length === 4 || args.length >= 5)) {
      // dgram: send(msg, port, address[, cb]) or send(msg, offset, length, port, address[, cb])
      const [p, h] = args.length >= 5 && portOf(evalAny(args[3])) !== undefined ? [args[3], args[4]] : [args[1], args[2]];
      const host = evalAny(h);
      if (typeof host === 'string') out.push(site('send', 'client', 'udp', host, evalAny(p), call));
    }
  }
  return out.filter((s): s is SocketCallSite => s !== undefined);
}

// ---------------------------------------------------------------- C

function cConstants(root: Node): Constants {
  const c = new Constants();
  for (const d of descendants(root, 'preproc_def')) {
    const name = d.childForFieldName('name');
    const value = d.childForFieldName('value');
    if (name && value) c.addMacro(name.text, value.text);
  }
  for (const d of descendants(root, 'init_declarator')) {
    const name = d.childForFieldName('declarator');
    const value = d.childForFieldName('value');
    if (name?.type === 'identifier' && value) c.add(name.text, value);
  }
  return c;
}

/** The sockaddr variable behind `(struct sockaddr *)&addr`, `&addr`, or `addr` (a pointer). */
function cAddrVar(n: Node | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') return n.text;
  const ptr = n.type === 'pointer_expression' ? n : descendants(n, 'pointer_expression')[0];
  let id = ptr ? (ptr.childForFieldName('argument') ?? undefined) : descendants(n, 'identifier').at(-1);
  // &peer.sin_addr names the struct `peer`
  while (id?.type === 'field_expression') id = id.childForFieldName('argument') ?? undefined;
  return id?.type === 'identifier' ? id.text : undefined;
}

function cPort(n: Node | null | undefined, consts: Constants): Value {
  // htons(8080) / htons(PORT)
  if (n?.type === 'call_expression' && /^htons$/.test(n.childForFieldName('function')?.text ?? '')) {
    return evaluate(named(n.childForFieldName('arguments'))[0], consts);
  }
  return undefined;
}

function cHost(n: Node | null | undefined, consts: Constants): Value {
  if (!n) return undefined;
  if (/INADDR_ANY/.test(n.text)) return '0.0.0.0';
  if (/INADDR_LOOPBACK/.test(n.text)) return '127.0.0.1';
  if (n.type === 'call_expression' && /^inet_addr$/.test(n.childForFieldName('function')?.text ?? '')) {
    return evaluate(named(n.childForFieldName('arguments'))[0], consts);
  }
  return undefined;
}

function cSites(root: Node): SocketCallSite[] {
  const consts = cConstants(root);
  const ports = new Map<string, Value>();
  const hosts = new Map<string, Value>();
  const fds = new Map<string, string>();
  for (const a of descendants(root, 'assignment_expression')) {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'field_expression') {
      const field = left.childForFieldName('field')?.text;
      const base = left.text.split(/\.|->/)[0].trim();
      if (field === 'sin_port' || field === 'sin6_port') ports.set(base, cPort(right, consts));
      if (field === 's_addr' || field === 'sin_addr') hosts.set(base, cHost(right, consts));
    } else if (left?.type === 'identifier' && right?.type === 'call_expression' && right.childForFieldName('function')?.text === 'socket') {
      fds.set(left.text, right.text);
    }
  }
  for (const d of descendants(root, 'init_declarator')) {
    const name = d.childForFieldName('declarator');
    const value = d.childForFieldName('value');
    if (name?.type !== 'identifier' || !value) continue;
    if (value.type === 'call_expression' && value.childForFieldName('function')?.text === 'socket') fds.set(name.text, value.text);
    // struct sockaddr_in addr = { .sin_port = htons(8080), .sin_addr.s_addr = INADDR_ANY }
    for (const pair of descendants(value, 'initializer_pair')) {
      const designator = pair.childForFieldName('designator')?.text ?? named(pair)[0]?.text ?? '';
      const v = pair.childForFieldName('value') ?? named(pair).at(-1);
      if (/sin6?_port/.test(designator)) ports.set(name.text, cPort(v, consts));
      if (/s(in)?_addr/.test(designator) && cHost(v, consts) !== undefined) hosts.set(name.text, cHost(v, consts));
    }
  }
  for (const call of descendants(root, 'call_expression')) {
    const fn = call.childForFieldName('function')?.text;
    if (fn === 'inet_pton') {
      const args = named(call.childForFieldName('arguments'));
      const v = cAddrVar(args[2]);
      const h = evaluate(args[1], consts);
      if (v && typeof h === 'string') hosts.set(v, h);
    }
  }
  const out: (SocketCallSite | undefined)[] = [];
  for (const call of descendants(root, 'call_expression')) {
    const fn = call.childForFieldName('function')?.text;
    if (fn !== 'bind' && fn !== 'connect' && fn !== 'sendto') continue;
    const args = named(call.childForFieldName('arguments'));
    const addrArg = fn === 'sendto' ? args[4] : args[1];
    const v = cAddrVar(addrArg);
    if (!v) continue;
    const fd = args[0]?.type === 'identifier' ? fds.get(args[0].text) : undefined;
    const proto = fn === 'sendto' || (fd !== undefined && /SOCK_DGRAM/.test(fd)) ? 'udp' : 'tcp';
    out.push(site(fn, fn === 'bind' ? 'server' : 'client', proto, hosts.get(v), ports.get(v), call));
  }
  return out.filter((s): s is SocketCallSite => s !== undefined);
}

/** Every socket call with a resolvable port, in source order. */
export function findSocketCalls(tree: Tree, language: SourceLanguage, pythonIndex?: NodeIndex): SocketCallSite[] {
  const root = tree.rootNode;
  const sites =
    language === 'python'
      ? pythonSites(pythonIndex ?? new NodeIndex(root, ['assignment', 'as_pattern', 'call']))
      : language === 'c'
        ? cSites(root)
        : jsSites(root);
  return sites.sort((a, b) => a.range.startLine - b.range.startLine || a.range.startCharacter - b.range.startCharacter);
}
