import * as assert from 'node:assert/strict';
import { GrammarLoader } from '../../src/core/analysis/grammarLoader';
import { analyzePython, type RuleId, type SocketDiagnostic, type TextEdit } from '../../src/core/analysis/pythonRules';
import { mayUseSockets } from '../../src/core/analysis/socketCalls';
import { wasmFromNodeModules } from './grammarPaths';


const loader = new GrammarLoader(wasmFromNodeModules);

async function diagnose(code: string): Promise<SocketDiagnostic[]> {
  const tree = await loader.parse('python', code);
  try {
    const found = analyzePython(tree, code);
    // the editor skips files the pre-filter rejects: every fixture with a finding must pass it
    if (found.length) assert.ok(mayUseSockets(code), `the pre-filter would hide ${found.map((f) => f.rule).join(', ')} in:\n${code}`);
    return found;
  } finally {
    tree.delete();
  }
}

const rules = async (code: string, rule: RuleId) => (await diagnose(code)).filter((d) => d.rule === rule);

/** Applies edits (non-overlapping) to text, last first. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (line: number, ch: number) => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + ch;
  const sorted = [...edits].sort((a, b) => offset(b.range.startLine, b.range.startCharacter) - offset(a.range.startLine, a.range.startCharacter));
  let out = text;
  for (const e of sorted) {
    out = out.slice(0, offset(e.range.startLine, e.range.startCharacter)) + e.newText + out.slice(offset(e.range.endLine, e.range.endCharacter));
  }
  return out;
}

const fixed = async (code: string, rule: RuleId, kind?: string) => {
  const [d] = await rules(code, rule);
  assert.ok(d, `expected a ${rule} diagnostic`);
  const fix = kind ? d.fixes.find((f) => f.kind === kind) : d.fixes[0];
  assert.ok(fix, `expected a ${kind ?? 'first'} fix`);
  return applyEdits(code, fix.edits);
};

after(() => loader.dispose());

describe('python diagnostics: send/sendall of a str', () => {
  it('flags str literals, f-strings, str concatenation and str variables sent on a socket', async () => {
    const code = [
      'import socket',
      's = socket.socket()',
      's.send("hi")',
      'conn, addr = s.accept()',
      "conn.sendall(f'hello {addr}')",
      'msg = "a" + str(1)',
      'conn.sendall(msg)',
      "s.sendto('x', ('127.0.0.1', 9))",
    ].join('\n');
    const d = await rules(code, 'send-str');
    assert.deepEqual(d.map((x) => x.range.startLine), [2, 4, 6, 7]);
    assert.equal(d[0].severity, 'warning');
  });

  it('does not flag bytes, encoded text, or send on non-socket objects', async () => {
    const code = [
      'import socket',
      's = socket.socket()',
      's.send(b"hi")',
      's.sendall("hi".encode())',
      "s.sendall(rb'raw')",
      'gen.send("value")',
      'ws.send("text frames are str")',
      'data = b"x"',
      's.send(data)',
    ].join('\n');
    assert.deepEqual(await rules(code, 'send-str'), []);
  });

  it('quick fixes: b-prefix for ASCII literals, .encode() otherwise', async () => {
    assert.equal(await fixed('s.send("hi")\n', 'send-str', 'bytes-prefix'), 's.send(b"hi")\n');
    assert.equal(await fixed('s.send("hi")\n', 'send-str', 'encode'), 's.send("hi".encode())\n');
    const nonAscii = await rules('sock.send("héllo")\n', 'send-str');
    assert.deepEqual(nonAscii[0].fixes.map((f) => f.kind), ['encode']);
    assert.equal(await fixed('sock.send("a" + x)\n', 'send-str', 'encode'), 'sock.send(("a" + x).encode())\n');
  });
});

describe('python diagnostics: hmac.new without digestmod', () => {
  it('flags hmac.new(key, msg) and hmac.new(key)', async () => {
    assert.equal((await rules('import hmac\nh = hmac.new(key, msg)\n', 'hmac-digest')).length, 1);
    assert.equal(await fixed('import hmac\nh = hmac.new(key, msg)\n', 'hmac-digest'), 'import hmac\nh = hmac.new(key, msg, digestmod="sha256")\n');
    assert.equal(await fixed('hmac.new(key)\n', 'hmac-digest'), 'hmac.new(key, digestmod="sha256")\n');
  });
  it('does not flag a named digest', async () => {
    assert.deepEqual(await rules('import hmac, hashlib\nhmac.new(k, m, hashlib.sha256)\nhmac.new(k, m, digestmod="sha1")\nhmac.new(k, digestmod=hashlib.md5)\n', 'hmac-digest'), []);
  });
});

describe('python diagnostics: struct with native byte order', () => {
  it('flags native order in a socket program and fixes it to network order', async () => {
    const code = "import socket, struct\nhdr = struct.pack('iH', n, t)\nFMT = '=I'\nstruct.unpack(FMT, data)\n";
    const d = await rules(code, 'struct-native-order');
    assert.equal(d.length, 2);
    assert.equal(applyEdits(code, d[0].fixes[0].edits), "import socket, struct\nhdr = struct.pack('!iH', n, t)\nFMT = '=I'\nstruct.unpack(FMT, data)\n");
    assert.equal(applyEdits(code, d[1].fixes[0].edits), "import socket, struct\nhdr = struct.pack('iH', n, t)\nFMT = '!I'\nstruct.unpack(FMT, data)\n");
  });
  it('does not flag explicit order, single bytes, or files that never touch the network', async () => {
    assert.deepEqual(await rules("import socket, struct\nstruct.pack('!I', n)\nstruct.pack('<h', n)\nstruct.pack('>Q', n)\nstruct.pack('B4s', b, s)\n", 'struct-native-order'), []);
    assert.deepEqual(await rules("import struct\nstruct.pack('i', n)\n", 'struct-native-order'), []);
  });
  it('does not flag the kernel structs of setsockopt/getsockopt, which are native by definition', async () => {
    const code = [
      'import socket, struct',
      's = socket.socket()',
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
      "pid, uid, gid = struct.unpack('3i', s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize('3i')))",
      "s.sendall(struct.pack('I', 5))",
    ].join('\n');
    assert.deepEqual((await rules(code, 'struct-native-order')).map((d) => d.range.startLine), [4]);
  });
});

describe('python diagnostics: received data executed by a server open to the network', () => {
  const server = (host: string, sink: string) =>
    [
      'import socket, subprocess, os',
      's = socket.socket()',
      `s.bind(("${host}", 9000))`,
      's.listen()',
      'conn, _ = s.accept()',
      'data = conn.recv(1024)',
      'cmd = data.decode().strip()',
      sink,
    ].join('\n');
  it('flags subprocess/os.system/eval on received data when bound to every interface', async () => {
    for (const [host, sink] of [
      ['0.0.0.0', 'out = subprocess.check_output(cmd, shell=True)'],
      ['', 'os.system(cmd)'],
      ['0.0.0.0', 'print(eval(conn.recv(100)))'],
    ]) {
      const d = await rules(server(host, sink), 'remote-exec');
      assert.equal(d.length, 1, `${host} ${sink}`);
      assert.equal(d[0].range.startLine, 7);
    }
  });
  it('does not flag a loopback server or a command that does not use received data', async () => {
    assert.deepEqual(await rules(server('127.0.0.1', 'os.system(cmd)'), 'remote-exec'), []);
    assert.deepEqual(await rules(server('0.0.0.0', 'os.system("uptime")'), 'remote-exec'), []);
  });
  it('follows socketserver handlers reading self.rfile', async () => {
    const code = [
      'import socketserver, subprocess',
      'class H(socketserver.StreamRequestHandler):',
      '    def handle(self):',
      '        line = self.rfile.readline()',
      '        subprocess.run(line, shell=True)',
      'socketserver.TCPServer(("", 9999), H).serve_forever()',
    ].join('\n');
    assert.equal((await rules(code, 'remote-exec')).length, 1);
  });
});

describe('python diagnostics: recv used as a whole message', () => {
  it('flags a single recv parsed as JSON or unpacked as a fixed header', async () => {
    const code = [
      'import socket, json, struct',
      'def get(sock):',
      '    data = sock.recv(4096)',
      '    return json.loads(data.decode())',
      'def header(sock):',
      "    return struct.unpack('!I', sock.recv(4))",
    ].join('\n');
    const d = await rules(code, 'recv-whole-message');
    assert.deepEqual(d.map((x) => x.range.startLine), [2, 5]);
  });
  it('does not flag a recv inside a loop, MSG_WAITALL, or a recv that is only printed', async () => {
    const code = [
      'import socket, json',
      'def get(sock):',
      "    buf = b''",
      "    while not buf.endswith(b'\\n'):",
      '        chunk = sock.recv(4096)',
      '        if not chunk:',
      '            break',
      '        buf += chunk',
      '    return json.loads(buf)',
      'def exact(sock):',
      '    return int(sock.recv(4, socket.MSG_WAITALL))',
      'def show(sock):',
      '    print(sock.recv(1024))',
    ].join('\n');
    assert.deepEqual(await rules(code, 'recv-whole-message'), []);
  });
});

describe('python diagnostics: recv appended to a framed buffer', () => {
  // lessons/09-multiplexing (exercise 1): one recv per readiness event, the data buffered and split on newlines
  const selectorsServer = [
    'import selectors, socket',
    'sel = selectors.DefaultSelector()',
    'def serve(conn, pending):',
    '    data = conn.recv(4096)',
    '    if not data:',
    '        conn.close()',
    '        return',
    '    pending += data',
    "    while b'\\n' in pending:",
    "        line, pending = pending.split(b'\\n', 1)",
    "        if line.strip() == b'quit':",
    '            return',
    '        conn.sendall(line.upper())',
    '    sel.modify(conn, selectors.EVENT_READ, data=pending)',
  ].join('\n');
  it('does not flag data appended to a buffer that is split on a delimiter', async () => {
    assert.deepEqual(await rules(selectorsServer, 'recv-whole-message'), []);
  });
  it('does not flag a buffer checked for length or searched with partition/find', async () => {
    for (const code of [
      ['import socket, struct', 'class P:', '    def on_data(self, sock):', '        self.buf += sock.recv(4096)', '        if len(self.buf) < 4:', '            return', "        (n,) = struct.unpack('!I', self.buf[:4])"].join('\n'),
      ['import socket, json', 'def on_data(sock, buf):', '    buf = buf + sock.recv(4096)', "    head, sep, rest = buf.partition(b'\\n')", '    if sep:', '        return json.loads(head)'].join('\n'),
      ['import socket', 'def on_data(sock, buf: bytearray):', '    buf.extend(sock.recv(4096))', "    i = buf.find(b'\\r\\n')", "    if buf[:i] == b'PING':", '        return i'].join('\n'),
    ]) {
      assert.deepEqual(await rules(code, 'recv-whole-message'), [], code);
    }
  });
  it('still flags a buffer that is parsed without looking for the end of a message', async () => {
    const code = [
      'import socket, json',
      'def on_data(sock, pending):',
      '    pending += sock.recv(4096)',
      '    return json.loads(pending)',
      'def naive(sock):',
      '    data = sock.recv(1024)',
      "    if data == b'quit':",
      '        return',
    ].join('\n');
    assert.deepEqual((await rules(code, 'recv-whole-message')).map((d) => d.range.startLine), [2, 5]);
  });
});

describe('python diagnostics: receive loop without an end-of-stream check', () => {
  it('flags a while loop that never checks for b"" and inserts the check', async () => {
    const code = 'while True:\n    data = conn.recv(1024)\n    print(data)\n';
    const d = await rules(code, 'recv-no-eof-check');
    assert.equal(d.length, 1);
    assert.equal(applyEdits(code, d[0].fixes[0].edits), 'while True:\n    data = conn.recv(1024)\n    if not data:\n        break\n    print(data)\n');
  });
  it('does not flag loops that check the result in any common form', async () => {
    for (const body of [
      'while True:\n    data = conn.recv(1024)\n    if not data:\n        break\n',
      'while True:\n    data = conn.recv(1024)\n    if data == b"":\n        return\n',
      'while True:\n    data = conn.recv(1024)\n    if len(data) == 0: raise EOFError\n',
      'while True:\n    data = conn.recv(1024)\n    if data:\n        print(data)\n    else:\n        break\n',
      'data = conn.recv(1)\nwhile data:\n    data = conn.recv(1024)\n',
      'while (data := conn.recv(1024)):\n    print(data)\n',
      'data = conn.recv(1024)\nprint(data)\n',
    ]) {
      assert.deepEqual(await rules(body, 'recv-no-eof-check'), [], body);
    }
  });
  it('keeps tabs when the file uses them', async () => {
    const code = 'while 1:\n\tdata = sock.recv(10)\n\thandle(data)\n';
    assert.equal(await fixed(code, 'recv-no-eof-check'), 'while 1:\n\tdata = sock.recv(10)\n\tif not data:\n\t\tbreak\n\thandle(data)\n');
  });
});

describe('python diagnostics: listening socket without SO_REUSEADDR', () => {
  it('reports information and inserts setsockopt before bind', async () => {
    const code = 'import socket\nsrv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nsrv.bind(("127.0.0.1", 8000))\nsrv.listen()\n';
    const [d] = await rules(code, 'listen-no-reuseaddr');
    assert.equal(d.severity, 'information');
    assert.equal(d.range.startLine, 3);
    assert.equal(
      applyEdits(code, d.fixes[0].edits),
      'import socket\nsrv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nsrv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\nsrv.bind(("127.0.0.1", 8000))\nsrv.listen()\n',
    );
  });
  it('does not flag when SO_REUSEADDR is set, and uses bare names after from-import', async () => {
    const ok = 'import socket\nwith socket.socket() as s:\n    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n    s.bind(("", 8000))\n    s.listen(5)\n';
    assert.deepEqual(await rules(ok, 'listen-no-reuseaddr'), []);
    const unix = 'import socket\nwith socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as srv:\n    srv.bind("/tmp/x.sock")\n    srv.listen(5)\n';
    assert.deepEqual(await rules(unix, 'listen-no-reuseaddr'), [], 'Unix sockets have no TIME_WAIT');
    const bare = 'from socket import *\nwith socket() as s:\n    s.bind(("", 8000))\n    s.listen(5)\n';
    assert.match(await fixed(bare, 'listen-no-reuseaddr'), /\n {4}s\.setsockopt\(SOL_SOCKET, SO_REUSEADDR, 1\)\n {4}s\.bind/);
  });
});
