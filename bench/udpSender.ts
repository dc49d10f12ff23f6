// A paced loopback UDP sender shared by the benchmarks. It runs in its own process so pacing does not
// compete with the event loop being measured.
import { spawn } from 'node:child_process';

const senderSource = `
const dgram = require('node:dgram');
const [port, count, pps, size] = process.argv.slice(1).map(Number);
const s = dgram.createSocket('udp4');
const buf = Buffer.alloc(size, 0x61);
let sent = 0, inflight = 0, failed = 0;
const t0 = process.hrtime.bigint();
function done() { const secs = Number(process.hrtime.bigint() - t0) / 1e9; process.stdout.write(JSON.stringify({ sent: sent - failed, failed, secs })); s.close(); }
function pump() {
  const due = pps > 0 ? Math.min(count, Math.floor(Number(process.hrtime.bigint() - t0) / 1e9 * pps)) : count;
  let burst = 0;
  while (sent < due && burst < 2000 && inflight < 4000) {
    sent++; burst++; inflight++;
    s.send(buf, port, '127.0.0.1', (err) => { inflight--; if (err) failed++; if (sent === count && inflight === 0) done(); });
  }
  if (sent < count) setImmediate(pump);
}
pump();
`;

/** Sends `count` datagrams of `size` bytes to 127.0.0.1:`port` at `pps` per second (0: as fast as it can). */
export function sendPacedUdp(port: number, count: number, pps: number, size: number): Promise<{ sent: number; failed: number; secs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', senderSource, String(port), String(count), String(pps), String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`UDP sender exited ${code}`))));
  });
}
