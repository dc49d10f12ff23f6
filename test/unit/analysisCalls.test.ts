import * as assert from 'node:assert/strict';
import { GrammarLoader, languageFromId, type SourceLanguage } from '../../src/core/analysis/grammarLoader';
import { matchOutputError, OutputErrorScanner, stripAnsi } from '../../src/core/analysis/outputErrors';
import { findSocketCalls, mayUseSockets } from '../../src/core/analysis/socketCalls';
import { wasmFromNodeModules } from './grammarPaths';

const loader = new GrammarLoader(wasmFromNodeModules);
after(() => loader.dispose());

async function sites(lang: SourceLanguage, code: string) {
  const tree = await loader.parse(lang, code);
  try {
    const found = findSocketCalls(tree, lang);
    // the editor skips files the pre-filter rejects: every fixture with a socket call must pass it
    if (found.length) assert.ok(mayUseSockets(code), `the pre-filter would hide the calls of:\n${code}`);
    return found.map((s) => [s.call, s.role, s.protocol, s.host, s.port, s.range.startLine] as const);
  } finally {
    tree.delete();
  }
}

describe('CodeLens address extraction: Python', () => {
  it('finds bind/connect/sendto with literal and constant addresses', async () => {
    const code = [
      'import socket, socketserver, asyncio',
      'HOST = "127.0.0.1"',
      'PORT = 8000',
      'ADDR = (HOST, PORT)',
      's = socket.socket(socket.AF_INET, socket.SOCK_STREAM)',
      's.bind((HOST, PORT))',
      'c = socket.socket()',
      'c.connect(ADDR)',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      "u.bind(('', 9999))",
      "u.sendto(b'x', ('localhost', 9998))",
      "socket.create_connection(('example.test', 80), timeout=3)",
      'srv = socketserver.ThreadingTCPServer(("0.0.0.0", 7000), Handler)',
      'userv = socketserver.UDPServer(ADDR, Handler)',
      'asyncio.start_server(handle, "127.0.0.1", 8888)',
      'asyncio.open_connection(host="::1", port=int("8889"))',
      'socket.create_server(("", 6000))',
    ].join('\n');
    assert.deepEqual(await sites('python', code), [
      ['bind', 'server', 'tcp', '127.0.0.1', 8000, 5],
      ['connect', 'client', 'tcp', '127.0.0.1', 8000, 7],
      ['bind', 'server', 'udp', '', 9999, 9],
      ['sendto', 'client', 'udp', 'localhost', 9998, 10],
      ['socket.create_connection', 'client', 'tcp', 'example.test', 80, 11],
      ['socketserver.ThreadingTCPServer', 'server', 'tcp', '0.0.0.0', 7000, 12],
      ['socketserver.UDPServer', 'server', 'udp', '127.0.0.1', 8000, 13],
      ['asyncio.start_server', 'server', 'tcp', '127.0.0.1', 8888, 14],
      ['asyncio.open_connection', 'client', 'tcp', '::1', 8889, 15],
      ['socket.create_server', 'server', 'tcp', '', 6000, 16],
    ]);
  });

  it('reads the port a program uses as written when argv/env may override it', async () => {
    const code = [
      'import os, socket, sys',
      "HOST = '127.0.0.1'",
      "PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9001'))",
      'ALT = os.getenv("ALT_PORT", 9002)',
      's = socket.socket()',
      's.bind((HOST, PORT))',
      's.connect((HOST, ALT))',
    ].join('\n');
    assert.deepEqual(await sites('python', code), [
      ['bind', 'server', 'tcp', '127.0.0.1', 9001, 5],
      ['connect', 'client', 'tcp', '127.0.0.1', 9002, 6],
    ]);
  });

  it('skips addresses that are not simple constants', async () => {
    const code = [
      'import socket, sys',
      'PORT = 1',
      'PORT = 2',
      's = socket.socket()',
      's.bind(("", PORT))',
      's.connect((sys.argv[1], int(sys.argv[2])))',
      's.connect(("h", 0))',
      's.bind(("", 70000))',
    ].join('\n');
    assert.deepEqual(await sites('python', code), []);
  });
});

describe('CodeLens address extraction: JavaScript / TypeScript', () => {
  const code = [
    "const net = require('net');",
    "const dgram = require('dgram');",
    'const PORT = 8000;',
    "const HOST = '127.0.0.1';",
    'net.createServer((c) => c.pipe(c)).listen(PORT, HOST);',
    'server.listen({ port: 9000, host: "::1" });',
    "const c = net.connect(PORT, 'localhost');",
    'net.createConnection({ port: PORT });',
    "const u = dgram.createSocket('udp4');",
    'u.bind(41234);',
    "u.send(Buffer.from('x'), 41235, '127.0.0.1');",
    'handler.bind(this);',
    'app.listen(process.env.PORT);',
  ].join('\n');
  const expected = [
    ['listen', 'server', 'tcp', '127.0.0.1', 8000, 4],
    ['listen', 'server', 'tcp', '::1', 9000, 5],
    ['net.connect', 'client', 'tcp', 'localhost', 8000, 6],
    ['net.createConnection', 'client', 'tcp', undefined, 8000, 7],
    ['dgram bind', 'server', 'udp', undefined, 41234, 9],
    ['send', 'client', 'udp', '127.0.0.1', 41235, 10],
  ];
  it('finds listen/connect/bind/send in JavaScript', async () => {
    assert.deepEqual(await sites('javascript', code), expected);
  });
  it('finds the same calls in TypeScript', async () => {
    const ts = code.replace('const PORT = 8000;', 'const PORT: number = 8000;');
    assert.deepEqual(await sites('typescript', ts), expected);
  });
  it('maps VS Code language ids', () => {
    assert.equal(languageFromId('typescriptreact'), 'tsx');
    assert.equal(languageFromId('javascript'), 'javascript');
    assert.equal(languageFromId('rust'), undefined);
  });
});

describe('CodeLens address extraction: C', () => {
  it('follows sin_port/sin_addr assignments, #define and inet_pton', async () => {
    const code = [
      '#include <sys/socket.h>',
      '#define PORT 8080',
      'int main(void) {',
      '  int fd = socket(AF_INET, SOCK_STREAM, 0);',
      '  struct sockaddr_in addr;',
      '  addr.sin_family = AF_INET;',
      '  addr.sin_port = htons(PORT);',
      '  addr.sin_addr.s_addr = htonl(INADDR_ANY);',
      '  bind(fd, (struct sockaddr *)&addr, sizeof(addr));',
      '  listen(fd, 16);',
      '  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9090) };',
      '  inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);',
      '  int c = socket(AF_INET, SOCK_STREAM, 0);',
      '  connect(c, (struct sockaddr *)&peer, sizeof peer);',
      '  int u = socket(AF_INET, SOCK_DGRAM, 0);',
      '  struct sockaddr_in dst;',
      '  dst.sin_port = htons(5353);',
      '  dst.sin_addr.s_addr = inet_addr("127.0.0.1");',
      '  sendto(u, "x", 1, 0, (struct sockaddr *)&dst, sizeof dst);',
      '  struct sockaddr_in unknown;',
      '  unknown.sin_port = htons(atoi(argv[1]));',
      '  connect(c, (struct sockaddr *)&unknown, sizeof unknown);',
      '}',
    ].join('\n');
    assert.deepEqual(await sites('c', code), [
      ['bind', 'server', 'tcp', '0.0.0.0', 8080, 8],
      ['connect', 'client', 'tcp', '127.0.0.1', 9090, 13],
      ['sendto', 'client', 'udp', '127.0.0.1', 5353, 18],
    ]);
  });
});

describe('pre-filter before parsing', () => {
  it('skips a long file that names no socket word, and keeps one that does', () => {
    const plain = Array.from({ length: 2000 }, (_, i) => `def f${i}(x):\n    return [y * ${i} for y in range(x)]`).join('\n');
    assert.equal(mayUseSockets(plain), false);
    assert.equal(mayUseSockets(`${plain}\nimport socket`), true);
    assert.equal(mayUseSockets("const s = require('net').createServer()"), true);
  });
});

describe('program output error matcher', () => {
  it('recognises Python, Node, C and Windows messages', () => {
    const cases: [string, string, number?][] = [
      ['ConnectionRefusedError: [Errno 111] Connection refused', 'ECONNREFUSED'],
      ['OSError: [Errno 98] Address already in use', 'EADDRINUSE'],
      ['OSError: [Errno 48] Address already in use', 'EADDRINUSE'],
      ['BrokenPipeError: [Errno 32] Broken pipe', 'EPIPE'],
      ['ConnectionResetError: [Errno 104] Connection reset by peer', 'ECONNRESET'],
      ['OSError: [WinError 10048] Only one usage of each socket address (protocol/network address/port) is normally permitted', 'EADDRINUSE'],
      ['ConnectionResetError: [WinError 10054] An existing connection was forcibly closed by the remote host', 'ECONNRESET'],
      ['ConnectionRefusedError: [WinError 10061] No connection could be made because the target machine actively refused it', 'ECONNREFUSED'],
      ['Error: connect ECONNREFUSED 127.0.0.1:8000', 'ECONNREFUSED', 8000],
      ['Error: listen EADDRINUSE: address already in use :::3000', 'EADDRINUSE', 3000],
      ['bind: Address already in use', 'EADDRINUSE'],
      ['Error: write EPIPE', 'EPIPE'],
    ];
    for (const [line, code, port] of cases) {
      const m = matchOutputError(line);
      assert.equal(m?.code, code, line);
      assert.equal(m?.port, port, line);
    }
    assert.equal(matchOutputError('Error: connect ECONNREFUSED 127.0.0.1:8000')?.host, '127.0.0.1');
    assert.equal(matchOutputError('Error: listen EADDRINUSE: address already in use :::3000')?.host, '::');
  });

  it('ignores ordinary output', () => {
    for (const line of ['listening on 127.0.0.1:8000', 'received 5 bytes', 'connection from 127.0.0.1', '', 'Traceback (most recent call last):']) {
      assert.equal(matchOutputError(line), undefined, line);
    }
  });

  it('splits streamed chunks into lines, strips colours and reports each code once', () => {
    const s = new OutputErrorScanner();
    assert.deepEqual(s.push('Traceback (most recent call last):\r\n  File "x.py", line 3\r\nConnectionRef'), []);
    const m = s.push('usedError: [Errno 111] Connection refused\r\n');
    assert.deepEqual(m.map((x) => x.code), ['ECONNREFUSED']);
    assert.equal(m[0].line, 'ConnectionRefusedError: [Errno 111] Connection refused');
    assert.deepEqual(s.push('ConnectionRefusedError: again\n'), []);
    assert.deepEqual(s.push('\x1b[31mBrokenPipeError: [Errno 32] Broken pipe\x1b[0m'), []);
    assert.deepEqual(s.flush().map((x) => x.code), ['EPIPE']);
    assert.deepEqual(s.codes.sort(), ['ECONNREFUSED', 'EPIPE']);
    assert.equal(stripAnsi('\x1b[1;32mok\x1b[0m'), 'ok');
  });
});
