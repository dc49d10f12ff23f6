// TLS sessions on real sockets, against Python's ssl module as the other end (verified and unverified).
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatErrorMessage, SocketLabError } from '../../src/core/errors';
import { ListenerSession } from '../../src/core/sessions/listenerSession';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { appendKeyLog } from '../../src/core/tls/keyLog';
import { makeSelfSigned } from '../../src/core/tls/selfSigned';
import { certificateInfo, summaryLines } from '../../src/core/tls/tlsInfo';

const PY_CLIENT = `
import socket, ssl, sys
port, cafile, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == 'verify':
    ctx = ssl.create_default_context(cafile=cafile or None)
else:
    ctx = ssl._create_unverified_context()
ctx.set_alpn_protocols(['http/1.1'])
try:
    with socket.create_connection(('127.0.0.1', port)) as raw, ctx.wrap_socket(raw, server_hostname='localhost') as s:
        s.sendall(b'hello tls')
        s.shutdown(socket.SHUT_WR) if False else None
        data = b''
        while len(data) < 9:
            d = s.recv(100)
            if not d: break
            data += d
        print('OK', s.version(), data.decode())
except ssl.SSLError as e:
    print('SSLERR', e.reason)
`;

const PY_SERVER = `
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ctx.set_alpn_protocols(['h2', 'http/1.1'])
ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(5)
print(ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    try:
        s = ctx.wrap_socket(c, server_side=True)
        data = s.recv(100)
        s.sendall(data.upper())
        s.close()
    except (ssl.SSLError, OSError):
        c.close()
`;

function pyClient(port: number, cafile: string, mode: 'verify' | 'noverify'): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', PY_CLIENT, String(port), cafile, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(out.trim()));
  });
}

const servers: ChildProcess[] = [];
function pyServer(cert: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', PY_SERVER, cert, key], { stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(p);
    p.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    p.on('error', reject);
  });
}

async function rejected(p: Promise<unknown>): Promise<SocketLabError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SocketLabError, String(e));
    return e;
  }
  assert.fail('expected a failure');
}

/** Waits until `cond` holds (a peer's answer arriving), at most 5 s. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}

describe('TLS sessions', function () {
  this.timeout(20_000);
  let dir: string;
  let m: SessionManager;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tls-'));
    m = new SessionManager({ tlsCacheDir: path.join(dir, 'cache') });
  });
  afterEach(() => {
    m.dispose();
    for (const p of servers.splice(0)) p.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('a server without a certificate makes a self-signed one for localhost, keeps it, and Python trusts it as its CA', async () => {
    const server = await m.startTlsServer({ port: 0, mode: 'upper' });
    assert.equal(server.kind, 'tls-server');
    const certPath = server.certPath!;
    assert.equal(certPath, path.join(dir, 'cache', 'tls-localhost.crt'));
    assert.equal(fs.statSync(path.join(dir, 'cache', 'tls-localhost.key')).mode & 0o077, 0, 'the key is readable by its owner only');
    const text = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);

    assert.equal(await pyClient(server.localPort!, certPath, 'verify'), 'OK TLSv1.3 HELLO TLS');
    await until(() => server.children.length === 1 && server.children[0].tls !== undefined);
    const child = server.children[0];
    assert.equal(child.kind, 'tls-accepted');
    const s = child.tls!;
    assert.equal(s.protocol, 'TLSv1.3');
    assert.equal(s.sni, 'localhost');
    assert.deepEqual(s.local?.sans, ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']);
    const fp = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
    assert.equal(`sha256 Fingerprint=${s.local?.sha256}`, fp.trim());
    assert.equal(new TextDecoder().decode(child.transcript.read(0, 9)), 'hello tls', 'the transcript holds the plaintext');

    // the second server reuses the kept certificate
    const again = await m.startTlsServer({ port: 0 });
    assert.equal(fs.readFileSync(again.certPath!, 'utf8'), fs.readFileSync(certPath, 'utf8'));
  });

  it('an unverifying Python client talks to it; a verifying one without the CA breaks off, and the server says how to fix it', async () => {
    const server = await m.startTlsServer({ port: 0, mode: 'echo' });
    assert.equal(await pyClient(server.localPort!, '', 'noverify'), 'OK TLSv1.3 hello tls');
    assert.equal(await pyClient(server.localPort!, '', 'verify'), 'SSLERR CERTIFICATE_VERIFY_FAILED');
    await until(() => server.handshakeFailures === 1);
    assert.equal(server.lastHandshakeFailure?.messageKey, 'TLS_CLIENT_REFUSED');
    assert.match(server.lastHandshakeFailure!.message, /alert unknown ca.*give it .*tls-localhost\.crt as its CA/);
  });

  it('a client verifies a Python server against --ca, shows the chain and ALPN, and sends', async () => {
    const { cert, key } = await makeSelfSigned();
    const port = await pyServer(write('c.pem', cert), write('k.pem', key));
    const c = await m.connectTls({ port, ca: cert, alpn: ['http/1.1'], servername: 'localhost' });
    assert.equal(c.kind, 'tls-client');
    assert.equal(c.tls?.verified, true);
    assert.equal(c.tls?.alpn, 'http/1.1');
    assert.equal(c.tls?.sni, 'localhost');
    assert.equal(c.tls?.peerChain[0].subject, 'CN=Socket Lab localhost, O=Socket Lab');
    await c.send(new TextEncoder().encode('abc'));
    await until(() => c.stats.bytesIn === 3);
    assert.equal(new TextDecoder().decode(c.transcript.read(3, 3)), 'ABC');
    assert.ok(summaryLines(c.tls!).includes('Certificate: verified'));
  });

  it('each verification failure is one sentence with its fix, in English and Chinese; --insecure goes on', async () => {
    const self = await makeSelfSigned();
    const selfPort = await pyServer(write('s.pem', self.cert), write('sk.pem', self.key));
    let e = await rejected(m.connectTls({ port: selfPort }));
    assert.equal(e.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(e.messageKey, 'TLS_SELF_SIGNED');
    assert.match(e.message, /self-signed certificate \(CN=Socket Lab localhost, O=Socket Lab\).*--ca FILE/);
    const failed = m.get(e.sessionId!)!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.tls?.peerChain.length, 1, 'the failed session still shows what was presented');

    const insecure = await m.connectTls({ port: selfPort, insecure: true });
    assert.equal(insecure.state, 'open');
    assert.equal(insecure.tls?.verified, false);
    assert.equal(insecure.tls?.verifyError?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');

    const old = await makeSelfSigned({ notBefore: new Date(Date.now() - 3 * 86_400_000), days: 1 });
    const oldPort = await pyServer(write('o.pem', old.cert), write('ok.pem', old.key));
    e = await rejected(m.connectTls({ port: oldPort, ca: old.cert }));
    assert.equal(e.messageKey, 'TLS_EXPIRED');
    assert.match(e.message, new RegExp(`expired on ${new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10)}`));

    const other = await makeSelfSigned({ names: ['other.example'] });
    const otherPort = await pyServer(write('n.pem', other.cert), write('nk.pem', other.key));
    e = await rejected(m.connectTls({ port: otherPort, ca: other.cert }));
    assert.equal(e.messageKey, 'TLS_NAME_MISMATCH');
    assert.match(e.message, /is for other\.example, not for 127\.0\.0\.1/);

    // a leaf issued by a CA the client was not given
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=Test Root CA'], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'leaf.key'), '-out', path.join(dir, 'leaf.csr'), '-subj', '/CN=localhost'], { stdio: 'ignore' });
    write('san.ext', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    execFileSync('openssl', ['x509', '-req', '-in', path.join(dir, 'leaf.csr'), '-CA', path.join(dir, 'ca.pem'), '-CAkey', path.join(dir, 'ca.key'), '-CAcreateserial', '-out', path.join(dir, 'leaf.pem'), '-days', '2', '-extfile', path.join(dir, 'san.ext')], { stdio: 'ignore' });
    const caPort = await pyServer(path.join(dir, 'leaf.pem'), path.join(dir, 'leaf.key'));
    e = await rejected(m.connectTls({ port: caPort, ca: self.cert }));
    assert.equal(e.messageKey, 'TLS_UNKNOWN_CA');
    assert.match(e.message, /issued by CN=Test Root CA, an authority this client does not trust/);
    const trusted = await m.connectTls({ port: caPort, ca: fs.readFileSync(path.join(dir, 'ca.pem')) });
    assert.equal(trusted.tls?.verified, true);

    for (const key of ['TLS_SELF_SIGNED', 'TLS_EXPIRED', 'TLS_NAME_MISMATCH', 'TLS_UNKNOWN_CA']) {
      const zh = formatErrorMessage(key, { addr: '127.0.0.1:1', subject: 'CN=x', issuer: 'CN=y', validTo: '2020-01-01', validFrom: '2020-01-01', sans: 'a', name: 'b' }, 'zh-cn');
      assert.match(zh, /[\u4e00-\u9fff]/);
      assert.doesNotMatch(zh, /\{\w+\}/);
    }
  });

  it('a TLS client to a plain TCP server fails the handshake in one sentence', async () => {
    const plain = await m.startTcpServer({ port: 0, mode: 'echo' });
    const e = await rejected(m.connectTls({ port: plain.localPort! }));
    assert.equal(e.messageKey, 'TLS_HANDSHAKE');
    assert.match(e.message, /speaks TLS on that port/);
  });

  it('both ends keep their secrets in the SSLKEYLOGFILE format, and the manager writes them live to a file', async () => {
    const file = path.join(dir, 'keys.log');
    m.setKeyLogFile(file);
    const server = await m.startTlsServer({ port: 0, mode: 'echo' });
    const c = await m.connectTls({ port: server.localPort!, ca: fs.readFileSync(server.certPath!) });
    await c.send(new TextEncoder().encode('x'));
    await until(() => c.stats.bytesIn === 1);
    const labels = (lines: readonly string[]) => lines.map((l) => l.split(' ')[0]).sort();
    const tls13 = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'];
    assert.deepEqual(labels(c.keyLogLines), tls13);
    assert.ok(server instanceof ListenerSession);
    assert.deepEqual(labels(server.keyLogLines), tls13);
    // the same client random on both ends
    assert.equal(c.keyLogLines[0].split(' ')[1], server.keyLogLines.find((l) => l.startsWith(c.keyLogLines[0].split(' ')[0]))!.split(' ')[1]);
    const written = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(written.length, 10);
    assert.ok(written.every((l) => /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/.test(l)));
    assert.equal(fs.statSync(file).mode & 0o077, 0);
  });
});

describe('TLS key log files', () => {
  it('appends (never truncates), creates the file readable by its owner only, and says why it cannot open one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-keylog-'));
    try {
      const f = path.join(dir, 'keys.log');
      appendKeyLog(f, ['CLIENT_RANDOM aa bb\n']);
      appendKeyLog(f, ['CLIENT_RANDOM cc dd\n']);
      assert.equal(fs.readFileSync(f, 'utf8'), 'CLIENT_RANDOM aa bb\nCLIENT_RANDOM cc dd\n');
      assert.equal(fs.statSync(f).mode & 0o077, 0);
      assert.throws(() => appendKeyLog(path.join(dir, 'no', 'such', 'keys.log'), ['x\n']), (e: SocketLabError) => e.messageKey === 'LOG_FOLDER');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS certificates', () => {
  it('a server whose certificate cannot be kept says so in one sentence', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tlscache-'));
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    const m = new SessionManager({ tlsCacheDir: path.join(blocker, 'cache') }); // a folder under a file: ENOTDIR
    try {
      const e = await rejected(m.startTlsServer({ port: 0 }));
      assert.equal(e.messageKey, 'TLS_CACHE');
      assert.match(e.message, /could not be kept in .*cache \(ENOTDIR\) — make that folder writable/);
    } finally {
      m.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a certificate with many names shows the first 50 and counts the rest', async () => {
    const names = Array.from({ length: 120 }, (_, i) => `host${i}.example`);
    const info = certificateInfo(new X509Certificate((await makeSelfSigned({ names })).cert));
    assert.equal(info.sans.length, 51);
    assert.equal(info.sans[50], '(+70 more)');
  });
});
