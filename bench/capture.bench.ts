// Packets per second the capture helper delivers to the extension with zero loss, on a bounded, paced UDP flood
// on lo, against `tcpdump -w /dev/null` on the same flood in the same run. Loss = sent − delivered, counted on
// `udp dst port X` (tcpdump's own "dropped by kernel" line misleads on lo, where the kernel shows packets twice).
import { sendPacedUdp } from './udpSender';
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { CaptureManager } from '../src/core/capture/captureManager';
import { helperLaunch } from '../src/core/capture/helperLocation';
import type { CaptureEngine } from '../src/shared/captureProtocol';

const PAYLOAD = 64; // bytes of UDP payload per datagram
const SECONDS = 1; // each paced run lasts about this long, so counts stay bounded
const RATES = (process.env.CAPTURE_BENCH_RATES ?? '50000,100000,200000').split(',').map(Number);
const UNPACED_COUNT = 200_000;
const BUFFER_MIB = Number(process.env.CAPTURE_BENCH_BUFFER_MIB ?? 64);

if (process.getuid?.() !== 0) {
  console.log('capture bench skipped: capturing on lo needs root');
  process.exit(0);
}

function flood(port: number, count: number, pps: number): Promise<{ sent: number; secs: number }> {
  return sendPacedUdp(port, count, pps, PAYLOAD);
}

/** A port nothing listens on (the kernel answers with rate-limited ICMP, which the filter ignores). */
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tcpdumpRun(count: number, pps: number): Promise<{ sent: number; got: number; secs: number }> {
  const port = await freePort();
  const child = spawn('tcpdump', ['-i', 'lo', '-n', '-B', String(BUFFER_MIB * 1024), '-w', '/dev/null', 'udp', 'dst', 'port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  for (let i = 0; i < 200 && !err.includes('listening on'); i++) await settle(25);
  await settle(200);
  const f = await flood(port, count, pps);
  await settle(500);
  child.kill('SIGINT');
  await exited;
  const m = /(\d+) packets? captured/.exec(err);
  return { sent: f.sent, got: m ? Number(m[1]) : -1, secs: f.secs };
}

async function helperRun(manager: CaptureManager, engine: CaptureEngine, count: number, pps: number) {
  const port = await freePort();
  const c = await manager.start({ interface: 'lo', filter: `udp dst port ${port}`, engine, snaplen: 65535, bufferSize: BUFFER_MIB * 1024 * 1024 });
  await settle(200);
  const f = await flood(port, count, pps);
  // Wait until delivery stops growing (bounded), then stop; stop returns after every packet reached us.
  let last = -1;
  for (let i = 0; i < 40 && c.packets.endIndex !== last; i++) {
    last = c.packets.endIndex;
    await settle(100);
  }
  await c.stop();
  const got = c.packets.endIndex;
  await manager.remove(c.id);
  const reported = c.dropStatus === 'known' ? String(c.drops) : c.dropStatus;
  return { sent: f.sent, got, helperDrops: c.helperDrops, reported, unaccounted: c.dropStatus === 'known' ? Math.max(0, f.sent - got - c.drops) : undefined, secs: f.secs };
}

function line(name: string, r: { sent: number; got: number; secs: number }, base?: { sent: number; got: number }) {
  const lost = r.sent - r.got;
  const rate = Math.round(r.sent / r.secs);
  const vsBase = base ? `  ratio delivered/tcpdump = ${(r.got / Math.max(1, base.got)).toFixed(3)}` : '';
  console.log(`  ${name.padEnd(22)} sent ${String(r.sent).padStart(7)} at ${String(rate).padStart(7)} pps  delivered ${String(r.got).padStart(7)}  lost ${String(lost).padStart(6)} (${((100 * lost) / r.sent).toFixed(2)}%)${vsBase}`);
}

async function main() {
  const hasDumpcap = spawnSync('sh', ['-c', 'command -v dumpcap']).status === 0;
  const manager = new CaptureManager({ launch: () => helperLaunch(process.execPath), maxPacketsPerCapture: 2_000_000 });
  const all: CaptureEngine[] = ['cap', ...(hasDumpcap ? (['dumpcap'] as const) : []), 'tcpdump'];
  const wanted = process.env.CAPTURE_BENCH_ENGINES?.split(',');
  const engines = wanted ? all.filter((e) => wanted.includes(e)) : all;
  console.log(`UDP flood on lo, ${PAYLOAD}-byte payloads, filter "udp dst port X"; helper buffer ${BUFFER_MIB} MiB`);
  try {
    for (const pps of process.env.CAPTURE_BENCH_NO_UNPACED ? RATES : [...RATES, 0]) {
      const count = pps > 0 ? pps * SECONDS : UNPACED_COUNT;
      console.log(pps > 0 ? `paced ${pps} pps × ${SECONDS} s` : `unpaced, ${count} datagrams`);
      const base = await tcpdumpRun(count, pps);
      line('tcpdump -w /dev/null', base);
      for (const e of engines) {
        const r = await helperRun(manager, e, count, pps);
        line(`helper (${e})`, r, base);
        console.log(`    the engine reported dropped: ${r.reported}${r.unaccounted !== undefined ? `; lost and not reported: ${r.unaccounted}` : ''}`);
        if (r.helperDrops) console.log(`    of which the helper dropped ${r.helperDrops} under stdout backpressure`);
      }
    }
  } finally {
    manager.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
