// Socket Lab sessions against plain Node (and socat) measured in the same run, every figure a ratio.
// Loopback only, bounded in bytes, packets, connections and time. Goal: >= 0.8 of plain Node on each.
import { sendPacedUdp } from './udpSender';
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { SessionManager } from '../src/core/sessions/sessionManager';

const GiB = 1024 * 1024 * 1024;
const SINK_BYTES = Number(process.env.SESSIONS_BENCH_SINK_BYTES ?? GiB);
const ECHO_BYTES = Number(process.env.SESSIONS_BENCH_ECHO_BYTES ?? 256 * 1024 * 1024);
const IDLE = Number(process.env.SESSIONS_BENCH_IDLE ?? 10_000);
const CHUNK = 64 * 1024;
const ROUNDS = Number(process.env.SESSIONS_BENCH_ROUNDS ?? 3);

const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const now = () => performance.now();
const results: string[] = [];
const say = (s: string) => {
  results.push(s);
  console.log(s);
};

/** Writes `total` bytes with backpressure, one reused chunk at a time. */
function pump(sock: net.Socket, total: number): void {
  const chunk = Buffer.alloc(CHUNK, 0x61);
  let sent = 0;
  const go = () => {
    while (sent < total) {
      sent += CHUNK;
      if (!sock.write(chunk)) return void sock.once('drain', go);
    }
    sock.end();
  };
  go();
}

async function plainSink(total: number): Promise<number> {
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const srv = net.createServer((s) => s.on('data', (b: Buffer) => {
    got += b.length;
    if (got >= total) done();
  }));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const t0 = now();
  const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1', () => pump(c, total));
  await finished;
  const ms = now() - t0;
  c.destroy();
  srv.close();
  return ms;
}

async function labSink(total: number): Promise<{ ms: number; peakRss: number; startRss: number }> {
  const m = new SessionManager();
  const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
  const c = await m.connectTcp({ port: srv.localPort! });
  gc();
  const startRss = rssMiB();
  let peakRss = startRss;
  const probe = setInterval(() => (peakRss = Math.max(peakRss, rssMiB())), 50);
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
  clearInterval(probe);
  m.dispose();
  return { ms, peakRss, startRss };
}

function socatSink(total: number): number | undefined {
  if (spawnSync('socat', ['-V']).status !== 0) return undefined;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('socat', ['-u', '-b', '131072', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, 'OPEN:/dev/null'], { stdio: 'ignore' });
  spawnSync('sleep', ['0.3']);
  const t0 = now();
  const r = spawnSync('socat', ['-u', '-b', '131072', `OPEN:/dev/zero,readbytes=${total}`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' });
  const ms = now() - t0;
  server.kill();
  return r.status === 0 ? ms : undefined;
}

/** A plain client sends `total` bytes to the echo server at `port` and reads them all back. */
function echoClient(port: number, total: number): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const t0 = now();
    const c = net.connect(port, '127.0.0.1', () => pump(c, total));
    c.on('data', (b: Buffer) => {
      got += b.length;
      if (got >= total) {
        c.destroy();
        resolve(now() - t0);
      }
    });
  });
}

async function plainEcho(total: number): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const ms = await echoClient((srv.address() as net.AddressInfo).port, total);
  srv.close();
  return ms;
}

async function labEcho(total: number): Promise<number> {
  const m = new SessionManager();
  const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
  const ms = await echoClient(srv.localPort!, total);
  m.dispose();
  return ms;
}

function rcvbufErrors(): number {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const [head, vals] = [lines[0].split(/\s+/), lines[1].split(/\s+/)];
  return Number(vals[head.indexOf('RcvbufErrors')]);
}

async function udpRun(lab: boolean, pps: number, size: number): Promise<{ received: number; sent: number; drops: number; rate: number; socketDrops?: number }> {
  const count = pps; // one second's worth
  let received = 0;
  let port: number;
  let close: () => void;
  let labDrops: (() => Promise<number | undefined>) | undefined;
  if (lab) {
    const m = new SessionManager();
    const u = await m.openUdp({ port: 0, mode: 'sink', recvBufferSize: 4 * 1024 * 1024 });
    port = u.localPort!;
    const count0 = () => u.transcript.counters.chunksIn;
    close = () => {
      received = count0();
      m.dispose();
    };
    labDrops = () => u.refreshKernelDrops();
  } else {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    s.on('message', () => received++);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    port = s.address().port;
    close = () => s.close();
  }
  const before = rcvbufErrors();
  const r = await sendPacedUdp(port, count, pps, size);
  await new Promise((res) => setTimeout(res, 200)); // let the last datagrams drain from the buffer
  const socketDrops = labDrops ? await labDrops() : undefined;
  close();
  return { received, sent: r.sent, drops: rcvbufErrors() - before, rate: r.sent / r.secs, socketDrops };
}

async function connectClose(lab: boolean, ms: number, inFlight: number): Promise<number> {
  const srv = net.createServer((s) => s.on('error', () => undefined).resume());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const m = new SessionManager();
  let n = 0;
  const end = now() + ms;
  const one = async (): Promise<void> => {
    if (lab) {
      const s = await m.connectTcp({ port });
      await new Promise<void>((r) => {
        const d = s.onDidChange(() => {
          if (!s.isAlive) {
            d.dispose();
            r();
          }
        });
        s.close();
      });
      if (++n % 1000 === 0) m.clearClosed();
    } else {
      await new Promise<void>((r) => {
        const c = net.connect(port, '127.0.0.1', () => c.destroy());
        c.on('close', () => r());
      });
      n++;
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (now() < end) await one();
  }));
  const secs = (now() - t0) / 1000;
  m.dispose();
  srv.close();
  return n / secs;
}

/** RSS per open idle client connection, against a plain server in a child process (so only our side counts). */
async function idleRss(lab: boolean, count: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', `const net=require('net');const socks=[];const s=net.createServer((c)=>{socks.push(c);c.on('error',()=>{})});s.maxConnections=${count + 10};s.listen(0,'127.0.0.1',()=>process.stdout.write(String(s.address().port)))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => child.stdout.once('data', (d: Buffer) => r(Number(d.toString()))));
  const m = new SessionManager();
  const plain: net.Socket[] = [];
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, () =>
      lab
        ? m.connectTcp({ port })
        : new Promise<void>((r, j) => {
            const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true }, () => r());
            c.on('error', j);
            c.on('data', () => undefined);
            plain.push(c);
          }),
    ));
  }
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const per = (process.memoryUsage().rss - before) / count;
  m.dispose();
  for (const c of plain) c.destroy();
  child.kill();
  await new Promise((r) => setTimeout(r, 300));
  return per;
}

async function main(): Promise<void> {
  console.log(`sessions bench: sink ${SINK_BYTES / GiB} GiB, echo ${ECHO_BYTES / 1024 / 1024} MiB, ${IDLE} idle sessions (node ${process.version})`);
  // warm-up so the JIT does not favour whichever runs second
  await plainSink(64 * 1024 * 1024);
  await labSink(64 * 1024 * 1024);

  // the machine is shared: alternate the runs and keep each side's best of ROUNDS
  let plainMs = Infinity;
  let socatMs: number | undefined;
  let lab = { ms: Infinity, peakRss: 0, startRss: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    plainMs = Math.min(plainMs, await plainSink(SINK_BYTES));
    const l = await labSink(SINK_BYTES);
    if (l.ms < lab.ms) lab = l;
    const so = socatSink(SINK_BYTES);
    if (so !== undefined) socatMs = Math.min(socatMs ?? Infinity, so);
  }
  say(`tcp sink ${SINK_BYTES / GiB} GiB: socket lab ${mbps(SINK_BYTES, lab.ms)} MB/s, plain net ${mbps(SINK_BYTES, plainMs)} MB/s → ${ratio(plainMs, lab.ms)} of plain Node` +
    (socatMs ? `; socat -b 131072 ${mbps(SINK_BYTES, socatMs)} MB/s → ${ratio(socatMs, lab.ms)} of socat` : '; socat not installed'));
  say(`  memory during the transfer: rss ${lab.startRss.toFixed(0)} MiB at start, peak ${lab.peakRss.toFixed(0)} MiB (+${(lab.peakRss - lab.startRss).toFixed(0)} MiB for ${SINK_BYTES / GiB} GiB)`);

  await plainEcho(32 * 1024 * 1024);
  await labEcho(32 * 1024 * 1024);
  let pe = Infinity;
  let le = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    pe = Math.min(pe, await plainEcho(ECHO_BYTES));
    le = Math.min(le, await labEcho(ECHO_BYTES));
  }
  say(`tcp echo ${ECHO_BYTES / 1024 / 1024} MiB round trip: socket lab ${mbps(ECHO_BYTES, le)} MB/s, socket.pipe(socket) ${mbps(ECHO_BYTES, pe)} MB/s → ${ratio(pe, le)}`);

  for (const [pps, size] of [[120_000, 64], [80_000, 1400], [170_000, 64]] as const) {
    const p = await udpRun(false, pps, size);
    const l = await udpRun(true, pps, size);
    say(`udp ${pps / 1000}k pps × ${size} B (sent at ${(p.rate / 1000).toFixed(0)}k / ${(l.rate / 1000).toFixed(0)}k pps): plain received ${p.received}/${p.sent} (RcvbufErrors +${p.drops}), socket lab ${l.received}/${l.sent} (RcvbufErrors +${l.drops}, socket drops shown ${l.socketDrops ?? 'n/a'}) → ${ratio(l.received / l.sent, p.received / p.sent)}`);
  }

  for (const inFlight of [1, 100]) {
    const p = await connectClose(false, 2000, inFlight);
    const l = await connectClose(true, 2000, inFlight);
    say(`connect+close, ${inFlight} in flight: socket lab ${l.toFixed(0)}/s, plain ${p.toFixed(0)}/s → ${ratio(l, p)}`);
  }

  // each in a fresh process, so heap left over from the transfers above does not blur the difference
  const idleIn = (kind: string) => Number(spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', __filename, '--idle', kind], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout.trim());
  const pr = idleIn('plain');
  const lr = idleIn('lab');
  say(`rss per idle client connection, ${IDLE} open: socket lab ${(lr / 1024).toFixed(1)} KB, plain ${(pr / 1024).toFixed(1)} KB → ${ratio(pr, lr)} (plain/lab)`);
}

const idleArg = process.argv.indexOf('--idle');
(idleArg > 0 ? idleRss(process.argv[idleArg + 1] === 'lab', IDLE).then((per) => console.log(per)) : main()).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
