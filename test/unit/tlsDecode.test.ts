// The TLS dissector and decryption against tshark 4.0.17 on real captures: Python's ssl (OpenSSL) server and client
// on lo, captured by dumpcap, for TLS 1.3 and TLS 1.2 with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305. Field by
// field without the key log (records, hellos, certificates) and with it (the encrypted handshake, HTTP inside); the
// trees are read through the replay (a row click), so the facts a first pass records are tested too.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { DissectContext, type DissectedPacket, allFields, dissect } from '../../src/core/decode/dissect';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { TlsKeyLog, decryptRecord, tls13Keys, AEAD_SUITES } from '../../src/core/tls/tlsDecrypt';
import { compareWithTshark, type AgreementResult } from '../agreement';
import { eventually, freePort, repoRoot } from '../support';
import { runDecodeCommand } from '../../src/core/cli/decodeCommand';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { captureIo } from './helpers';
import { has } from './captureHelpers';

const PAIR = path.join(repoRoot, 'test', 'fixtures', 'tls', 'pair.py');

/**
 * Values compared and agreeing on TLS fields (`tls.*`), and the disagreements on any field, one line each — but one:
 * the certificates are not decoded as X.509 here, so tshark's frame.protocols of their packet adds x509sat, x509ce,
 * pkcs-1 … after ours.
 */
function tlsAgreement(r: AgreementResult): { compared: number; agreeing: number; wrong: string[] } {
  const t = r.byProtocol.get('tls') ?? { compared: 0, agreeing: 0 };
  const known = (d: AgreementResult['disagreements'][number]) =>
    d.field === 'frame.protocols' && d.theirs.length === 1 && d.theirs[0].startsWith(`${d.ours[0]}:`) && /^(x509\w+|pkcs-1)(:(x509\w+|pkcs-1))*$/.test(d.theirs[0].slice(d.ours[0].length + 1));
  return { compared: t.compared, agreeing: t.agreeing, wrong: r.disagreements.filter((d) => !known(d)).map((d) => `#${d.packet} ${d.field}: ours ${JSON.stringify(d.ours).slice(0, 80)}, tshark ${JSON.stringify(d.theirs).slice(0, 80)}`) };
}

describe('TLS decoding and decryption, against tshark', function () {
  this.timeout(180_000);
  let dir: string;
  before(function () {
    if (process.platform !== 'linux' || !has('dumpcap') || !has('tshark') || !has('openssl') || !has('python3') || process.getuid?.() !== 0) return this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tlsdecode-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  /** A capture of one exchange with `version` (and a TLS 1.2 `cipher`), and the client's key log. */
  async function exchange(name: string, version: string, cipher = ''): Promise<{ file: string; keys: string }> {
    const port = await freePort();
    const keys = path.join(dir, `${name}.keys`);
    const cap = await LoopbackCapture.start(path.join(dir, `${name}.pcapng`), `tcp port ${port}`);
    assert.ok(typeof cap !== 'string', String(cap));
    try {
      execFileSync('python3', [PAIR, String(port), version, cipher, keys, dir], { timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });
    } finally {
      await cap.stop();
    }
    return { file: cap.file, keys };
  }

  for (const [name, version, cipher, suite] of [
    ['tls13', '1.3', '', 'TLS_AES_256_GCM_SHA384'],
    ['tls12-aes128', '1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
    ['tls12-aes256', '1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
    ['tls12-chacha', '1.2', 'ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  ] as const) {
    it(`${name}: every TLS value agrees without and with the key log; decrypted, the request is HTTP`, async () => {
      const { file, keys } = await exchange(name, version, cipher);
      for (const reassemble of [false, true]) {
        const plain = tlsAgreement(compareWithTshark(file, { reassemble }));
        assert.ok(plain.compared > 100, `${plain.compared} TLS values compared`);
        assert.equal(plain.agreeing, plain.compared, plain.wrong.join('\n'));
        assert.deepEqual(plain.wrong, []);
        const dec = tlsAgreement(compareWithTshark(file, { reassemble, tlsKeyLog: keys }));
        assert.equal(dec.agreeing, dec.compared, dec.wrong.join('\n'));
        assert.deepEqual(dec.wrong, [], 'every field agrees, HTTP inside TLS too');
        assert.ok(dec.compared > plain.compared, 'the decrypted records add fields');
      }
      const log = new TlsKeyLog();
      assert.ok(log.addText(fs.readFileSync(keys, 'utf8')) > 0);
      const ctx = new DissectContext({ tlsKeyLog: log });
      const pkts = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets.map((r, i) => dissect(r, ctx, i + 1));
      const uris = pkts.flatMap((p) => [...allFields(p)].filter((f) => f.id === 'http.request.uri').map((f) => f.value));
      assert.deepEqual(uris, ['/secret']);
      assert.ok(pkts.some((p) => p.summary.info === 'GET /secret HTTP/1.1'), 'the Info column names the request');
      // the 40,000-byte response is one HTTP message, in the packet whose record completes it
      const response = pkts.filter((p) => p.summary.info.startsWith('HTTP/1.1 200 OK'));
      assert.equal(response.length, 1);
      assert.deepEqual([...allFields(response[0])].filter((f) => f.id === 'http.content_length').map((f) => f.value), [40000]);
      // its fields point into the decrypted bytes, a data source of the packet (Wireshark's extra bytes tab)
      const body = [...allFields(response[0])].find((f) => f.id === 'http.file_data')!;
      const source = response[0].sources?.[body.source ?? -1];
      assert.ok(source && /^(Reassembled|Decrypted) TLS \(\d+ bytes\)$/.test(source.name), source?.name);
      assert.equal(Buffer.from(source.bytes.subarray(body.offset, body.offset + body.length)).toString('latin1'), 'x'.repeat(40000));
      const uri = pkts.flatMap((p) => [...allFields(p)].filter((f) => f.id === 'http.request.uri').map((f) => ({ p, f })))[0];
      assert.equal(Buffer.from(uri.p.sources![uri.f.source!].bytes.subarray(uri.f.offset, uri.f.offset + uri.f.length)).toString(), '/secret');
      const hello = pkts.find((p) => p.summary.info.startsWith('Server Hello'));
      assert.ok(hello && [...allFields(hello)].some((f) => f.id === 'tls.handshake.ciphersuite' && f.display.includes(suite)), suite);
      // the tree's lines read as Wireshark's: the record titled by version and message, no label said twice
      const lines = (d: DissectedPacket) => [...allFields(d)].filter((f) => f.id.startsWith('tls')).map((f) => (f.display ? `${f.label}: ${f.display}` : f.label));
      assert.equal(lines(hello)[0], `TLSv1.${version === '1.3' ? 3 : 2} Record Layer: Handshake Protocol: Server Hello`);
      for (const p of pkts) for (const l of lines(p)) assert.doesNotMatch(l, /^([^:]+): \1:/, l);
      // without the key log the same capture shows encrypted application data and no HTTP
      const bare = new DissectContext();
      const encrypted = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets.map((r, i) => dissect(r, bare, i + 1));
      assert.ok(!encrypted.some((p) => p.protocols.includes('http')));
      assert.ok(encrypted.some((p) => [...allFields(p)].some((f) => f.id === 'tls.app_data')));
    });
  }

  it('Socket Lab\'s own TLS sessions: the secrets the manager taps decrypt a capture of them, with no key log file', async () => {
    const m = new SessionManager({ tlsCacheDir: path.join(dir, 'cache') });
    const log = new TlsKeyLog();
    m.keyLogTap = (line) => log.addLine(line); // what the extension does for the packet panel (vscode/captures/tlsKeyLogs.ts)
    let cap: LoopbackCapture | undefined;
    try {
      const server = await m.startTlsServer({ port: 0, mode: 'upper' });
      const started = await LoopbackCapture.start(path.join(dir, 'own.pcapng'), `tcp port ${server.localPort}`);
      assert.ok(typeof started !== 'string', String(started));
      cap = started;
      const client = await m.connectTls({ port: server.localPort!, insecure: true });
      client.send(Buffer.from('hello over tls'));
      await eventually(() => client.transcript.endOffset >= 28, 'the upper-cased answer');
      client.close();
      await new Promise((r) => setTimeout(r, 300));
      await cap.stop();
      assert.ok(log.size >= 1, 'the manager told the tap the sessions\' secrets');
      const ctx = new DissectContext({ tlsKeyLog: log });
      const pkts = readCaptureFile(new Uint8Array(fs.readFileSync(cap.file))).packets.map((r, i) => dissect(r, ctx, i + 1));
      const plain = pkts.flatMap((p) => [...allFields(p)].filter((f) => f.id === 'data.data').map((f) => Buffer.from(String(f.value), 'hex').toString()));
      assert.deepEqual(plain, ['hello over tls', 'HELLO OVER TLS']);
    } finally {
      await cap?.stop(); // a failed step must not leave dumpcap running
      m.dispose();
    }
  });

  it('text that only starts like an HTTP request line is shown decrypted as it is, as tshark shows it (it waited forever)', async () => {
    const m = new SessionManager({ tlsCacheDir: path.join(dir, 'cache') });
    const keys = path.join(dir, 'own-keys.log');
    m.keyLogTap = (line) => fs.appendFileSync(keys, line);
    let cap: LoopbackCapture | undefined;
    try {
      const server = await m.startTlsServer({ port: 0, mode: 'upper' });
      const started = await LoopbackCapture.start(path.join(dir, 'line.pcapng'), `tcp port ${server.localPort}`);
      assert.ok(typeof started !== 'string', String(started));
      cap = started;
      const client = await m.connectTls({ port: server.localPort!, insecure: true });
      client.send(Buffer.from('GET /secret HTTP/1.1'));
      await eventually(() => client.transcript.endOffset >= 40, 'the first answer');
      client.send(Buffer.from('second line'));
      await eventually(() => client.transcript.endOffset >= 62, 'the second answer');
      client.close();
      await new Promise((r) => setTimeout(r, 300));
      await cap.stop();
      const log = new TlsKeyLog();
      log.addText(fs.readFileSync(keys, 'utf8'));
      const ctx = new DissectContext({ tlsKeyLog: log });
      const pkts = readCaptureFile(new Uint8Array(fs.readFileSync(cap.file))).packets.map((r, i) => dissect(r, ctx, i + 1));
      const plain = pkts.flatMap((p) => [...allFields(p)].filter((f) => f.id === 'data.data').map((f) => Buffer.from(String(f.value), 'hex').toString()));
      assert.deepEqual(plain, ['GET /secret HTTP/1.1', 'GET /SECRET HTTP/1.1', 'second line', 'SECOND LINE']);
      assert.ok(!pkts.some((p) => p.summary.info.includes('reassembled PDU')));
      const r = compareWithTshark(cap.file, { reassemble: true, tlsKeyLog: keys });
      assert.deepEqual(tlsAgreement(r).wrong, []);
    } finally {
      await cap?.stop(); // a failed step must not leave dumpcap running
      m.dispose();
    }
  });

  it('socket-lab decode --tls-keylog F decrypts; a missing or foreign file is one sentence and exit 1', async () => {
    const { file, keys } = await exchange('cli', '1.3');
    const io = captureIo();
    assert.equal(await runDecodeCommand([file, '--tls-keylog', keys], io), 0, io.stderr);
    assert.match(io.stdout, /HTTP\s+\d+ GET \/secret HTTP\/1\.1/);
    assert.match(io.stdout, /HTTP\s+\d+ HTTP\/1\.1 200 OK/);
    const bare = captureIo();
    assert.equal(await runDecodeCommand([file], bare), 0);
    assert.doesNotMatch(bare.stdout, /GET \/secret/);
    // a 1 GiB file is refused before it is read (it was read whole, then failed with ERR_STRING_TOO_LONG)
    const huge = path.join(dir, 'huge.keys');
    fs.closeSync(fs.openSync(huge, 'w'));
    fs.truncateSync(huge, 1 << 30);
    for (const [bad, why] of [[path.join(dir, 'nope.log'), /cannot read the key log .*nope\.log: no such file — check the path/], [PAIR, /holds no TLS key log lines/], [huge, /huge\.keys is too big for a TLS key log \(1024 MB; at most 64 MB\)/], [dir, /is not a file/]] as const) {
      const e = captureIo();
      assert.equal(await runDecodeCommand([file, '--tls-keylog', bad], e), 1);
      assert.match(e.stderr, why);
      assert.equal(e.stderr.split('\n').filter(Boolean).length, 1, e.stderr);
    }
  });

  it('a record whose bytes were changed, or a key log of another session, leaves the record encrypted, without an error', async () => {
    const { file, keys } = await exchange('damaged', '1.3');
    const recs = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets;
    // another session's secrets: the same labels, other values
    const other = new TlsKeyLog();
    other.addText(fs.readFileSync(keys, 'utf8').replace(/ ([0-9a-f]+)$/gm, (_m, s: string) => ` ${s.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`));
    const ctx = new DissectContext({ tlsKeyLog: other });
    const pkts = recs.map((r, i) => dissect(r, ctx, i + 1));
    assert.ok(!pkts.some((p) => p.malformed?.startsWith('Decoder error')));
    assert.ok(!pkts.some((p) => p.protocols.includes('http')));
    // a flipped byte in a record's ciphertext: the AEAD tag fails
    const suite = AEAD_SUITES.get(0x1302)!;
    const k = tls13Keys(suite, Buffer.alloc(48, 7));
    const header = Uint8Array.from([23, 3, 3, 0, 40]);
    assert.equal(decryptRecord(k, 0n, header, new Uint8Array(40)), undefined);
  });
});
