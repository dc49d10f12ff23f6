// TLS sink throughput: a Socket Lab TLS server in sink mode fed by a Socket Lab TLS client, against a plain node:tls
// server counting bytes fed by a plain node:tls client, same certificate, same run, loopback only. Goal: >= 0.8.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { SessionManager } from '../src/core/sessions/sessionManager';
import { makeSelfSigned } from '../src/core/tls/selfSigned';

const MiB = 1024 * 1024;
const BYTES = Number(process.env.TLS_BENCH_BYTES ?? 512 * MiB);
const ROUNDS = Number(process.env.TLS_BENCH_ROUNDS ?? 3);
const CHUNK = 64 * 1024;
const now = () => performance.now();
const mbps = (ms: number) => (BYTES / 1e6 / (ms / 1000)).toFixed(0);

async function plainSink(cert: { cert: string; key: string }, total: number): Promise<number> {
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const srv = tls.createServer({ cert: cert.cert, key: cert.key }, (s) =>
    s.on('data', (b: Buffer) => {
      got += b.length;
      if (got >= total) done();
    }),
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const c = tls.connect({ port, host: '127.0.0.1', ca: cert.cert, servername: 'localhost' });
  await new Promise<void>((r) => c.once('secureConnect', () => r()));
  const chunk = Buffer.alloc(CHUNK, 0x61);
  const t0 = now();
  let sent = 0;
  const go = () => {
    while (sent < total) {
      sent += CHUNK;
      if (!c.write(chunk)) return void c.once('drain', go);
    }
  };
  go();
  await finished;
  const ms = now() - t0;
  c.destroy();
  srv.close();
  return ms;
}

async function labSink(cert: { cert: string; key: string }, total: number): Promise<number> {
  const m = new SessionManager({ tlsCacheDir: fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tlsbench-')) });
  const srv = await m.startTlsServer({ port: 0, mode: 'sink', cert: cert.cert, key: cert.key });
  const c = await m.connectTls({ port: srv.localPort!, ca: cert.cert, servername: 'localhost' });
  const chunk = new Uint8Array(CHUNK).fill(0x61);
  async function* source() {
    for (let sent = 0; sent < total; sent += CHUNK) yield chunk;
  }
  const t0 = now();
  await c.sendStream(source(), total);
  await new Promise<void>((r) => {
    const check = () => (srv.stats.bytesIn >= total ? r() : setImmediate(check));
    check();
  });
  const ms = now() - t0;
  m.dispose();
  fs.rmSync(m.tlsCacheDir, { recursive: true, force: true });
  return ms;
}

async function main(): Promise<void> {
  console.log(`tls bench: sink ${BYTES / MiB} MiB, best of ${ROUNDS} (node ${process.version}, ${tls.DEFAULT_MAX_VERSION})`);
  const cert = await makeSelfSigned();
  await plainSink(cert, 32 * MiB); // warm-up
  await labSink(cert, 32 * MiB);
  let plain = Infinity;
  let lab = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    plain = Math.min(plain, await plainSink(cert, BYTES));
    lab = Math.min(lab, await labSink(cert, BYTES));
  }
  const ratio = plain / lab;
  console.log(`tls sink ${BYTES / MiB} MiB: socket lab ${mbps(lab)} MB/s, plain node:tls ${mbps(plain)} MB/s → ${ratio.toFixed(2)} of plain Node (goal ≥ 0.8)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
