// TLS decryption in the decoder: a dumpcap capture of a node:tls client sending SOCKET_LAB_BENCH_TLS_MB (default 64)
// MiB to a node:tls server over loopback (TLS 1.3, AES-256-GCM, the client's key log), decoded in a streamed pass
// that decrypts every record and counts the packets with decrypted application data (`tls.record.content_type == 23`:
// a TLS 1.3 record's true type, there only when it was decrypted), against `tshark -o tls.keylog_file -Y` the same in
// the same run: time, max RSS, and that both count alike. Needs root, dumpcap and tshark.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { LoopbackCapture } from '../src/core/capture/loopbackCapture';
import { makeSelfSigned } from '../src/core/tls/selfSigned';
import { runMeasured } from '../test/unit/tinyCapture';
import { writeFilterPass } from './filterPass';

const MiB = 1024 * 1024;
const BYTES = Number(process.env.SOCKET_LAB_BENCH_TLS_MB ?? 64) * MiB;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-decrypt-bench-'));
const MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const FILTER = 'tls.record.content_type == 23';

/** Sends BYTES over TLS on lo while dumpcap captures the port; returns the capture and the key log. */
async function capture(): Promise<{ file: string; keys: string }> {
  const { cert, key } = await makeSelfSigned();
  const keys = path.join(dir, 'keys.log');
  const file = path.join(dir, 'tls.pcapng');
  let received = 0;
  const server = tls.createServer({ cert, key }, (sock) => sock.on('data', (d: Buffer) => (received += d.length)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const cap = await LoopbackCapture.start(file, `tcp port ${port}`);
  if (typeof cap === 'string') throw new Error(cap);
  const client = tls.connect({ host: '127.0.0.1', port, ca: cert, servername: 'localhost', ciphers: 'TLS_AES_256_GCM_SHA384' });
  client.on('keylog', (line) => fs.appendFileSync(keys, line));
  await new Promise<void>((r) => client.once('secureConnect', () => r()));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let sent = 0; sent < BYTES; sent += chunk.length) if (!client.write(chunk)) await new Promise((r) => client.once('drain', r));
  while (received < BYTES) await new Promise((r) => setTimeout(r, 20));
  client.end();
  await cap.stop();
  server.close();
  if (cap.dropped > 0) throw new Error(`dumpcap dropped ${cap.dropped} packets: run again on a quieter machine`);
  return { file, keys };
}

async function main(): Promise<void> {
  for (const tool of ['tshark', 'dumpcap']) if (spawnSync(tool, ['--version']).error) throw new Error(`${tool} is needed for this benchmark (apt-get install tshark)`);
  if (process.getuid?.() !== 0) throw new Error('capturing on lo needs root here');
  const pass = writeFilterPass(dir, `(() => { const tlsKeyLog = new TlsKeyLog(); tlsKeyLog.addText(fs.readFileSync(args[0], 'utf8')); return new DissectContext({ tlsKeyLog }); })()`, FILTER);
  const { file, keys } = await capture();
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs; ${MB(BYTES)} over TLS 1.3 AES-256-GCM, ${MB(fs.statSync(file).size)} capture (compare within one run)`);
  const opts = { stdout: 'pipe' as const, timeoutMs: 3_600_000 };
  let out = '';
  const ours = await runMeasured([pass, file, keys], { ...opts, onStdout: (b) => (out += b.toString()) });
  if (ours.code !== 0) throw new Error(`decryption pass failed: ${ours.stderr.slice(-400)}`);
  let lines = 0;
  const theirs = await runMeasured(['-r', file, '-n', '-o', `tls.keylog_file:${keys}`, '-Y', FILTER, '-T', 'fields', '-e', 'frame.number'], {
    ...opts,
    command: 'tshark',
    onStdout: (b) => {
      for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
    },
  });
  if (theirs.code !== 0) throw new Error(`tshark failed: ${theirs.stderr.slice(-400)}`);
  const count = Number(out.trim());
  console.log(
    `  decrypted packets: Socket Lab ${s(ours.ms)}, max RSS ${MB(ours.maxRss)} | tshark ${s(theirs.ms)}, max RSS ${MB(theirs.maxRss)} | ` +
      `time ×${(ours.ms / theirs.ms).toFixed(2)}, memory ×${(ours.maxRss / theirs.maxRss).toFixed(2)} | ${count} vs ${lines}: ${count === lines && count > 0 ? 'same' : 'DIFFERENT'}`,
  );
  if (count !== lines || count === 0) process.exitCode = 1;
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
