// Diagnostics for the classic socket mistakes in Python, on a tree-sitter syntax tree (no regular expressions over code).
import type { Node, Tree } from 'web-tree-sitter';
import { findSocketCalls } from './socketCalls';
import { named, NodeIndex, rangeOf, type Range } from './syntax';

export type RuleId =
  | 'send-str'
  | 'hmac-digest'
  | 'struct-native-order'
  | 'remote-exec'
  | 'recv-whole-message'
  | 'recv-no-eof-check'
  | 'listen-no-reuseaddr';

export type FixKind = 'bytes-prefix' | 'encode' | 'add-digestmod' | 'network-order' | 'add-eof-check' | 'add-reuseaddr';

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface QuickFix {
  kind: FixKind;
  title: string;
  edits: TextEdit[];
}

export interface SocketDiagnostic {
  rule: RuleId;
  severity: 'warning' | 'information';
  /** English sentence for the CLI and tests; the editor shows a translated text chosen by `rule`. */
  message: string;
  range: Range;
  fixes: QuickFix[];
}

const point = (line: number, character: number): Range => ({ startLine: line, startCharacter: character, endLine: line, endCharacter: character });

interface CallInfo {
  fn: Node | null;
  name: string | undefined;
  receiver: Node | null;
  dotted: string;
  args: Node[];
  positional: Node[];
}

/** Per-analysis memo of call shapes: every rule looks at every call, and each field read crosses into wasm. */
let callMemo: Map<number, CallInfo> | undefined;

function call(n: Node): CallInfo {
  const hit = callMemo?.get(n.id);
  if (hit) return hit;
  const info = readCall(n);
  callMemo?.set(n.id, info);
  return info;
}

function readCall(n: Node): CallInfo {
  const fn = n.childForFieldName('function');
  const args = named(n.childForFieldName('arguments'));
  return {
    fn,
    name: fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text,
    receiver: fn?.type === 'attribute' ? fn.childForFieldName('object') : null,
    dotted: fn?.text.replace(/\s+/g, '') ?? '',
    args,
    positional: args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment'),
  };
}

const pythonTypes = [
  'call', 'assignment', 'augmented_assignment', 'import_statement', 'import_from_statement', 'as_pattern', 'comparison_operator',
  'if_statement', 'break_statement', 'return_statement', 'raise_statement', 'identifier', 'while_statement', 'for_statement',
  'function_definition', 'lambda', 'module', 'tuple', 'keyword_argument',
];

function leadingIndent(lines: string[], line: number): string {
  return /^[ \t]*/.exec(lines[line] ?? '')![0];
}

class PythonFile {
  readonly root: Node;
  readonly index: NodeIndex;
  readonly lines: string[];
  readonly calls: Node[];
  readonly assignments: Node[];
  /** Variables known to hold a socket: from socket(), create_connection(), accept(), `with … as s`. */
  readonly sockets = new Set<string>();
  readonly udpSockets = new Set<string>();
  readonly unixSockets = new Set<string>();
  readonly importsSocket: boolean;
  readonly moduleSocketImported: boolean;

  constructor(tree: Tree, text: string) {
    this.root = tree.rootNode;
    this.lines = text.split('\n');
    this.index = new NodeIndex(this.root, pythonTypes);
    this.calls = this.index.all('call');
    this.assignments = this.index.all(['assignment', 'augmented_assignment']);
    const imports = this.index.all(['import_statement', 'import_from_statement']).map((n) => n.text);
    this.importsSocket = imports.some((t) => /\b(socket|socketserver|asyncio|ssl)\b/.test(t));
    this.moduleSocketImported = imports.some((t) => /^import\s+(?:[\w.]+\s*,\s*)*socket\b/.test(t));
    const creators = /^(socket\.)?(socket|create_connection|create_server|fromfd|socketpair)$|\.wrap_socket$|\.accept$/;
    const mark = (name: string, origin: Node) => {
      this.sockets.add(name);
      if (/SOCK_DGRAM/.test(origin.text)) this.udpSockets.add(name);
      if (/AF_UNIX/.test(origin.text)) this.unixSockets.add(name);
    };
    for (const a of this.assignments) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (right?.type !== 'call') continue;
      const c = call(right);
      if (!creators.test(c.dotted) && c.name !== 'accept') continue;
      if (left?.type === 'identifier') mark(left.text, right);
      else if (left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') && c.name === 'accept') {
        const first = named(left)[0];
        if (first?.type === 'identifier') mark(first.text, right);
      }
    }
    for (const item of this.index.all('as_pattern')) {
      const value = named(item)[0];
      const alias = item.childForFieldName('alias');
      const target = alias ? (named(alias)[0] ?? alias) : undefined;
      if (value?.type === 'call' && target?.type === 'identifier' && creators.test(call(value).dotted)) mark(target.text, value);
    }
  }

  private readonly idCache = new Map<number, Set<string>>();
  private readonly callCache = new Map<number, Node[]>();

  /** identifiersIn / calls under a node, memoised: walking the wasm tree is the expensive part. */
  ids(n: Node): Set<string> {
    let v = this.idCache.get(n.id);
    if (!v) this.idCache.set(n.id, (v = new Set(this.index.under(n, 'identifier').map((x) => x.text))));
    return v;
  }

  callsIn(n: Node): Node[] {
    let v = this.callCache.get(n.id);
    if (!v) this.callCache.set(n.id, (v = this.index.under(n, 'call')));
    return v;
  }

  /** The innermost function (or the module) a node belongs to. */
  scopeOf(n: Node): Node {
    return this.index.enclosing(n, ['function_definition', 'lambda']) ?? this.root;
  }

  /** The innermost loop around a node, stopping at its function. */
  loopOf(n: Node): Node | undefined {
    const loop = this.index.enclosing(n, ['while_statement', 'for_statement']);
    const fn = this.index.enclosing(n, ['function_definition', 'lambda']);
    if (!loop || (fn && fn.startIndex > loop.startIndex)) return undefined;
    return loop;
  }

  isSocket(receiver: Node | null): boolean {
    if (!receiver) return false;
    const t = receiver.text;
    if (receiver.type === 'identifier' && this.sockets.has(t)) return true;
    if (t === 'self.request' || t === 'self.sock' || t === 'self.socket' || t === 'self.conn') return true;
    // conventional names, for sockets passed in as parameters
    return receiver.type === 'identifier' && /^(s|c|sock|conn|client|cli|srv|server|connection|peer|sk)$|sock/i.test(t);
  }

  isUdp(receiver: Node | null): boolean {
    return receiver?.type === 'identifier' && this.udpSockets.has(receiver.text);
  }

  private defs: Map<string, Node[]> | undefined;

  /** The single expression a name is assigned, if it is assigned exactly once. */
  definition(name: string): Node | undefined {
    if (!this.defs) {
      this.defs = new Map();
      for (const a of this.assignments) {
        const left = a.type === 'assignment' ? a.childForFieldName('left') : null;
        if (left?.type !== 'identifier') continue;
        const list = this.defs.get(left.text) ?? [];
        list.push(a);
        this.defs.set(left.text, list);
      }
    }
    const defs = this.defs.get(name);
    return defs?.length === 1 ? (defs[0].childForFieldName('right') ?? undefined) : undefined;
  }

  private pairs: { node: Node; right: Node; names: string[] }[] | undefined;

  /** Assignments with their value and the plain names they bind, read from the tree once. */
  private assignPairs(): { node: Node; right: Node; names: string[] }[] {
    if (!this.pairs) {
      this.pairs = [];
      for (const a of this.assignments) {
        const right = a.childForFieldName('right');
        const left = a.childForFieldName('left');
        if (!right || !left) continue;
        // attribute targets (self.x = …) would taint `self` and everything behind it, so only plain names count
        const names = left.type === 'identifier' ? [left.text] : named(left).filter((x) => x.type === 'identifier').map((x) => x.text);
        this.pairs.push({ node: a, right, names });
      }
    }
    return this.pairs;
  }

  /** Names whose value comes (through assignments) from any of the seed nodes or names, within `scope`. */
  taint(scope: Node, isSource: (n: Node) => boolean, seed: Set<string> = new Set()): Set<string> {
    const tainted = new Set(seed);
    const assigns = this.assignPairs().filter((a) => this.index.contains(scope, a.node));
    const reaches = (n: Node): boolean => {
      if (isSource(n)) return true;
      for (const c of this.callsIn(n)) if (isSource(c)) return true;
      for (const id of this.ids(n)) if (tainted.has(id)) return true;
      return false;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const a of assigns) {
        if (!reaches(a.right)) continue;
        for (const id of a.names) {
          if (!tainted.has(id)) {
            tainted.add(id);
            changed = true;
          }
        }
      }
    }
    return tainted;
  }

  flows(n: Node, tainted: Set<string>, isSource: (n: Node) => boolean): boolean {
    if (isSource(n) || this.callsIn(n).some(isSource)) return true;
    for (const id of this.ids(n)) if (tainted.has(id)) return true;
    return false;
  }
}

// ---- send/sendall of a str

function stringPrefix(n: Node): string | undefined {
  if (n.type !== 'string') return undefined;
  const start = named(n).find((c) => c.type === 'string_start');
  return start ? start.text.replace(/['"]+$/, '').toLowerCase() : undefined;
}

function isStrExpr(n: Node, f: PythonFile, depth = 0): boolean {
  if (depth > 5) return false;
  switch (n.type) {
    case 'string': {
      const p = stringPrefix(n);
      return p !== undefined && !p.includes('b');
    }
    case 'concatenated_string':
      return named(n).some((c) => isStrExpr(c, f, depth + 1));
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.text;
      const left = n.childForFieldName('left');
      return (op === '+' || op === '%' || op === '*') && !!left && isStrExpr(left, f, depth + 1);
    }
    case 'parenthesized_expression':
      return named(n).some((c) => isStrExpr(c, f, depth + 1));
    case 'call': {
      const c = call(n);
      if (c.dotted === 'str' || c.dotted === 'input' || c.dotted === 'repr') return true;
      return (c.name === 'format' || c.name === 'join' || c.name === 'upper' || c.name === 'lower' || c.name === 'strip') && !!c.receiver && isStrExpr(c.receiver, f, depth + 1);
    }
    case 'identifier': {
      const def = f.definition(n.text);
      return !!def && isStrExpr(def, f, depth + 1);
    }
    default:
      return false;
  }
}

function sendStr(f: PythonFile): SocketDiagnostic[] {
  const out: SocketDiagnostic[] = [];
  for (const n of f.calls) {
    const c = call(n);
    if ((c.name !== 'send' && c.name !== 'sendall' && c.name !== 'sendto') || !f.isSocket(c.receiver)) continue;
    const arg = c.positional[0];
    if (!arg || !isStrExpr(arg, f)) continue;
    const fixes: QuickFix[] = [];
    // b"…" only for ASCII literals; anything else needs an explicit encoding
    if (arg.type === 'string' && /^[\t\n\r -~]*$/.test(arg.text) && !stringPrefix(arg)!.includes('f')) {
      fixes.push({ kind: 'bytes-prefix', title: 'Make it a bytes literal (b"…")', edits: [{ range: point(arg.startPosition.row, arg.startPosition.column), newText: 'b' }] });
    }
    const wrapped = arg.type === 'binary_operator' ? `(${arg.text}).encode()` : `${arg.text}.encode()`;
    fixes.push({ kind: 'encode', title: 'Encode the text to bytes (.encode())', edits: [{ range: rangeOf(arg), newText: wrapped }] });
    out.push({
      rule: 'send-str',
      severity: 'warning',
      message: `${c.name}() needs bytes in Python 3, not str: encode the text (b"…" or .encode()) or it raises TypeError.`,
      range: rangeOf(arg),
      fixes,
    });
  }
  return out;
}

// ---- hmac.new without digestmod

function hmacDigest(f: PythonFile): SocketDiagnostic[] {
  const out: SocketDiagnostic[] = [];
  for (const n of f.calls) {
    const c = call(n);
    if (c.dotted !== 'hmac.new' && c.dotted !== 'hmac.HMAC') continue;
    if (c.positional.length >= 3 || c.args.some((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'digestmod')) continue;
    const argList = n.childForFieldName('arguments')!;
    const close = argList.endPosition;
    const sep = c.args.length ? ', ' : '';
    out.push({
      rule: 'hmac-digest',
      severity: 'warning',
      message: 'hmac.new() without digestmod raises TypeError since Python 3.8 (it used to default to MD5): name the hash, e.g. digestmod="sha256".',
      range: rangeOf(n),
      fixes: [{ kind: 'add-digestmod', title: 'Add digestmod="sha256"', edits: [{ range: point(close.row, close.column - 1), newText: `${sep}digestmod="sha256"` }] }],
    });
  }
  return out;
}

// ---- struct with native byte order

const structFns = new Set(['struct.pack', 'struct.unpack', 'struct.pack_into', 'struct.unpack_from', 'struct.iter_unpack', 'struct.Struct']);

function structOrder(f: PythonFile): SocketDiagnostic[] {
  if (!f.importsSocket) return []; // only data on the wire has a byte order problem
  const out: SocketDiagnostic[] = [];
  for (const n of f.calls) {
    const c = call(n);
    if (!structFns.has(c.dotted)) continue;
    // setsockopt/getsockopt/ioctl/fcntl exchange this kernel's own structs: native order is right there
    const osCall = (x: Node) => /^(setsockopt|getsockopt|ioctl|fcntl)$/.test(call(x).name ?? '');
    if (f.callsIn(n).some((x) => x.id !== n.id && osCall(x)) || f.index.enclosingAll(n, 'call').some(osCall)) continue;
    let fmt: Node | undefined = c.positional[0];
    if (fmt?.type === 'identifier') fmt = f.definition(fmt.text);
    if (fmt?.type !== 'string' || stringPrefix(fmt)?.includes('f')) continue;
    const start = named(fmt).find((x) => x.type === 'string_start')!;
    const body = fmt.text.slice(start.text.length, -1);
    const order = body.trimStart()[0];
    if (order === '<' || order === '>' || order === '!') continue;
    if (!/[hHiIlLqQnNefdP]/.test(body)) continue; // single bytes have no order
    const at = { row: fmt.startPosition.row, column: fmt.startPosition.column + start.text.length };
    const edit: TextEdit =
      order === '@' || order === '='
        ? { range: { startLine: at.row, startCharacter: at.column + body.indexOf(order), endLine: at.row, endCharacter: at.column + body.indexOf(order) + 1 }, newText: '!' }
        : { range: point(at.row, at.column), newText: '!' };
    out.push({
      rule: 'struct-native-order',
      severity: 'warning',
      message: `struct format "${body}" uses this machine's byte order and alignment; data on the wire should say its order: "!" (network, big-endian) or "<".`,
      range: rangeOf(c.positional[0]),
      fixes: [{ kind: 'network-order', title: 'Use network byte order ("!")', edits: [edit] }],
    });
  }
  return out;
}

// ---- received data run as code on a server open to the network

const sinks = new Set([
  'os.system', 'os.popen', 'eval', 'exec',
  'subprocess.run', 'subprocess.call', 'subprocess.Popen', 'subprocess.check_output', 'subprocess.check_call', 'subprocess.getoutput', 'subprocess.getstatusoutput',
]);

function isReceive(n: Node): boolean {
  if (n.type !== 'call') return false;
  const c = call(n);
  if (c.name === 'recv' || c.name === 'recvfrom' || c.name === 'recvmsg' || c.name === 'recv_into') return !!c.receiver;
  return (c.name === 'readline' || c.name === 'read' || c.name === 'readexactly' || c.name === 'readuntil' || c.name === 'readlines') && !!c.receiver && /rfile|reader|request/.test(c.receiver.text);
}

function remoteExec(tree: Tree, f: PythonFile): SocketDiagnostic[] {
  // cheapest question first: no sink, no finding (finding the server's address costs more)
  const sinkCalls = f.calls.filter((n) => sinks.has(call(n).dotted));
  if (sinkCalls.length === 0) return [];
  const open = findSocketCalls(tree, 'python', f.index).some((s) => s.role === 'server' && (s.host === '' || s.host === '0.0.0.0' || s.host === '::'));
  if (!open) return [];
  const tainted = f.taint(f.root, isReceive);
  const out: SocketDiagnostic[] = [];
  for (const n of sinkCalls) {
    const c = call(n);
    if (!c.args.some((a) => f.flows(a, tainted, isReceive))) continue;
    out.push({
      rule: 'remote-exec',
      severity: 'warning',
      message: `This server listens on every network interface and passes received data to ${c.dotted}(): anyone who can reach the port can run commands on this machine. Bind 127.0.0.1 and never execute received text.`,
      range: rangeOf(n),
      fixes: [],
    });
  }
  return out;
}

// ---- recv used as a whole message

const parsers = new Set(['json.loads', 'pickle.loads', 'marshal.loads', 'struct.unpack', 'struct.unpack_from', 'int', 'float', 'ast.literal_eval', 'yaml.safe_load', 'yaml.load']);

/** Ways to look for the end of a message in a buffer: a delimiter search or split. */
const delimiterMethods = new Set(['split', 'partition', 'rpartition', 'find', 'rfind', 'index', 'rindex', 'splitlines', 'endswith', 'count']);

/**
 * Whether the received data is appended to a buffer (`buf += data`, `buf = buf + data`, `buf.extend(data)`) that is
 * then split on a delimiter or checked for length: an event-driven server's one recv per readiness is right there.
 */
function framedBuffer(f: PythonFile, scope: Node, tainted: Set<string>, isThis: (n: Node) => boolean): boolean {
  const key = (n: Node | null | undefined) => n?.text.replace(/\s+/g, '') ?? '';
  const buffers = new Set<string>();
  for (const a of f.index.under(scope, ['augmented_assignment', 'assignment'])) {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (!left || !right || (left.type !== 'identifier' && left.type !== 'attribute')) continue;
    if (a.type === 'augmented_assignment') {
      if (a.childForFieldName('operator')?.text === '+=' && f.flows(right, tainted, isThis)) buffers.add(key(left));
    } else if (right.type === 'binary_operator' && right.childForFieldName('operator')?.text === '+' && key(right.childForFieldName('left')) === key(left)) {
      const added = right.childForFieldName('right');
      if (added && f.flows(added, tainted, isThis)) buffers.add(key(left));
    }
  }
  const calls = f.index.under(scope, 'call');
  for (const c of calls) {
    const info = call(c);
    if (info.name === 'extend' && info.receiver && info.positional.some((a) => f.flows(a, tainted, isThis))) buffers.add(key(info.receiver));
  }
  if (buffers.size === 0) return false;
  const isBuffer = (n: Node | null | undefined) => !!n && buffers.has(key(n));
  // a buffer kept in an attribute (self.buf) may be split in another method: look in the whole file then
  const where = [...buffers].some((b) => b.includes('.')) ? f.root : scope;
  for (const c of where === scope ? calls : f.index.under(where, 'call')) {
    const info = call(c);
    if (info.name && delimiterMethods.has(info.name) && isBuffer(info.receiver)) return true;
    if (info.dotted === 'len' && info.positional.some(isBuffer) && f.index.enclosing(c, 'comparison_operator')) return true;
  }
  // `while b'\n' in buf`
  return f.index.under(where, 'comparison_operator').some((cmp) => {
    const operands = named(cmp);
    return operands.length === 2 && cmp.children.some((x) => x?.type === 'in' || x?.type === 'not in') && isBuffer(operands[1]);
  });
}

function recvWholeMessage(f: PythonFile): SocketDiagnostic[] {
  const out: SocketDiagnostic[] = [];
  for (const n of f.calls) {
    const c = call(n);
    if (c.name !== 'recv' || !f.isSocket(c.receiver) || f.isUdp(c.receiver)) continue;
    if (f.loopOf(n) || /MSG_WAITALL/.test(n.text)) continue;
    const scope = f.scopeOf(n);
    // the cheap question first: does this function parse or compare anything at all?
    const parseCalls = f.index.under(scope, 'call').filter((p) => parsers.has(call(p).dotted));
    const compares = f.index.under(scope, 'comparison_operator').filter((cmp) => /==/.test(cmp.text));
    if (parseCalls.length === 0 && compares.length === 0) continue;
    const isThis = (x: Node) => x.startIndex === n.startIndex && x.endIndex === n.endIndex;
    const tainted = f.taint(scope, isThis);
    const used = parseCalls.some((p) => call(p).args.some((a) => f.flows(a, tainted, isThis))) || compares.some((cmp) => f.flows(cmp, tainted, isThis));
    if (!used || framedBuffer(f, scope, tainted, isThis)) continue;
    out.push({
      rule: 'recv-whole-message',
      severity: 'warning',
      message: 'recv() returns whatever bytes have arrived — part of a message, or two at once. Loop until the message is complete (a length prefix or a delimiter) before parsing it.',
      range: rangeOf(n),
      fixes: [],
    });
  }
  return out;
}

// ---- receive loop without an end-of-stream check

function exits(f: PythonFile, n: Node | null): boolean {
  if (!n) return false;
  return f.index.under(n, ['break_statement', 'return_statement', 'raise_statement']).length > 0;
}

function recvNoEofCheck(f: PythonFile): SocketDiagnostic[] {
  const out: SocketDiagnostic[] = [];
  for (const a of f.assignments) {
    const right = a.childForFieldName('right');
    const left = a.childForFieldName('left');
    if (a.type !== 'assignment' || right?.type !== 'call' || left?.type !== 'identifier') continue;
    const c = call(right);
    if (c.name !== 'recv' || !f.isSocket(c.receiver) || f.isUdp(c.receiver)) continue;
    const loop = f.loopOf(a);
    if (loop?.type !== 'while_statement') continue;
    const name = left.text;
    const mentions = (n: Node | null) => !!n && f.ids(n).has(name);
    if (mentions(loop.childForFieldName('condition'))) continue;
    const checked = f.index.under(loop, 'if_statement').some((s) => {
      if (!mentions(s.childForFieldName('condition'))) return false;
      return exits(f, s.childForFieldName('consequence')) || named(s).some((x) => x.type === 'else_clause' && exits(f, x));
    });
    if (checked) continue;
    const stmt = a.parent?.type === 'expression_statement' ? a.parent : a;
    const line = stmt.endPosition.row + 1;
    const indent = leadingIndent(f.lines, stmt.startPosition.row);
    const unit = indent.includes('\t') ? '\t' : '    ';
    out.push({
      rule: 'recv-no-eof-check',
      severity: 'warning',
      message: `recv() returns b"" when the peer closes; without "if not ${name}: break" this loop spins forever on a closed connection.`,
      range: rangeOf(a),
      fixes: [{ kind: 'add-eof-check', title: `Add "if not ${name}: break"`, edits: [{ range: point(line, 0), newText: `${indent}if not ${name}:\n${indent}${unit}break\n` }] }],
    });
  }
  return out;
}

// ---- listening socket without SO_REUSEADDR

function listenReuse(f: PythonFile): SocketDiagnostic[] {
  const out: SocketDiagnostic[] = [];
  const setsockopts = f.calls.filter((n) => call(n).name === 'setsockopt' && /SO_REUSE(ADDR|PORT)/.test(n.text));
  for (const n of f.calls) {
    const c = call(n);
    if (c.name !== 'listen' || c.receiver?.type !== 'identifier' || !f.sockets.has(c.receiver.text)) continue;
    const recv = c.receiver.text;
    if (f.unixSockets.has(recv)) continue; // a Unix socket has no TIME_WAIT: SO_REUSEADDR means nothing there
    if (setsockopts.some((s) => call(s).receiver?.text === recv)) continue;
    const bind = f.calls.find((b) => call(b).name === 'bind' && call(b).receiver?.text === recv && b.startIndex < n.startIndex);
    const anchor = bind ?? n;
    const stmtLine = anchor.startPosition.row;
    const indent = leadingIndent(f.lines, stmtLine);
    const mod = f.moduleSocketImported ? 'socket.' : '';
    out.push({
      rule: 'listen-no-reuseaddr',
      severity: 'information',
      message: `Without SO_REUSEADDR, restarting this server right after it stops fails with "Address already in use" while old connections sit in TIME_WAIT. Set it before bind().`,
      range: rangeOf(n),
      fixes: [{
        kind: 'add-reuseaddr',
        title: 'Set SO_REUSEADDR before bind()',
        edits: [{ range: point(stmtLine, 0), newText: `${indent}${recv}.setsockopt(${mod}SOL_SOCKET, ${mod}SO_REUSEADDR, 1)\n` }],
      }],
    });
  }
  return out;
}

/** Runs every rule on a parsed Python file. */
export function analyzePython(tree: Tree, text: string): SocketDiagnostic[] {
  callMemo = new Map();
  try {
    return runRules(tree, text);
  } finally {
    callMemo = undefined;
  }
}

function runRules(tree: Tree, text: string): SocketDiagnostic[] {
  const f = new PythonFile(tree, text);
  return [
    ...sendStr(f),
    ...hmacDigest(f),
    ...structOrder(f),
    ...remoteExec(tree, f),
    ...recvWholeMessage(f),
    ...recvNoEofCheck(f),
    ...listenReuse(f),
  ].sort((a, b) => a.range.startLine - b.range.startLine || a.range.startCharacter - b.range.startCharacter);
}
