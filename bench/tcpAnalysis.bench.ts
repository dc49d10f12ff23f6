// TCP sequence analysis over a generated 1,000,000-packet capture (SOCKET_LAB_BENCH_TCPA_PACKETS sets the count):
// a streamed pass that dissects every packet with `analyzeTcp` and counts `tcp.analysis.flags`, against
// `tshark -Y tcp.analysis.flags` on the same file in the same run: time, max RSS, and that both count alike. The same
// pass without the analysis is measured too, so the analysis's own cost shows. Reassembly off on both sides.
// The file: 64 connections taking turns, 200-byte segments one way, an ACK every two; every 499th segment is sent
// twice (a retransmission) and its ACK repeated (a duplicate ACK).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writePcapStream } from './pcapStream';
import { runMeasured } from '../test/unit/tinyCapture';
import { writeFilterPass } from './filterPass';

const target = Number(process.env.SOCKET_LAB_BENCH_TCPA_PACKETS ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpa-bench-'));
const MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const SEG = 200;
const CONNS = 64;

function frame(client: number, toServer: boolean, seq: number, ack: number, flags: number, len: number): Uint8Array {
  const b = new Uint8Array(54 + len);
  const v = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, toServer ? 2 : 1, 2, 0, 0, 0, 0, toServer ? 1 : 2], 0);
  v.setUint16(12, 0x0800);
  b[14] = 0x45;
  v.setUint16(16, 40 + len);
  b[22] = 64;
  b[23] = 6;
  const c = [10, 1, client >> 8, client & 0xff];
  const srv = [10, 0, 0, 1];
  b.set(toServer ? [...c, ...srv] : [...srv, ...c], 26);
  v.setUint16(34, toServer ? 40000 + client : 80);
  v.setUint16(36, toServer ? 80 : 40000 + client);
  v.setUint32(38, seq >>> 0);
  v.setUint32(42, ack >>> 0);
  v.setUint16(46, (5 << 12) | flags);
  v.setUint16(48, 65535);
  for (let i = 0; i < len; i++) b[54 + i] = (seq + i) & 0xff;
  return b;
}

/** Writes the capture; returns the packet count. */
function writeCapture(file: string): number {
  return writePcapStream(file, 7, (emit) => {
    let n = 0;
    const put = (f: Uint8Array) => {
      n++;
      emit(f);
    };
    const srvSeq = Array.from({ length: CONNS }, (_, c) => 0xfffe0000 + c * 7919); // some wrap early on
    const cliSeq = Array.from({ length: CONNS }, (_, c) => 1000 + c);
    for (let c = 0; c < CONNS; c++) {
      put(frame(c, true, cliSeq[c], 0, 0x02, 0));
      put(frame(c, false, srvSeq[c], cliSeq[c] + 1, 0x12, 0));
      cliSeq[c]++;
      srvSeq[c]++;
      put(frame(c, true, cliSeq[c], srvSeq[c], 0x10, 0));
    }
    for (let k = 0; n < target - 3 * CONNS; k++) {
      const c = k % CONNS;
      put(frame(c, false, srvSeq[c], cliSeq[c], 0x18, SEG));
      if (k % 499 === 0) put(frame(c, false, srvSeq[c], cliSeq[c], 0x18, SEG)); // retransmission
      srvSeq[c] = (srvSeq[c] + SEG) >>> 0;
      if ((k / CONNS) % 2 >= 1) {
        put(frame(c, true, cliSeq[c], srvSeq[c], 0x10, 0));
        if (k % 499 < CONNS) put(frame(c, true, cliSeq[c], srvSeq[c], 0x10, 0)); // duplicate ACK
      }
    }
    for (let c = 0; c < CONNS; c++) {
      put(frame(c, false, srvSeq[c], cliSeq[c], 0x11, 0));
      put(frame(c, true, cliSeq[c], srvSeq[c] + 1, 0x11, 0));
      put(frame(c, false, srvSeq[c] + 1, cliSeq[c] + 1, 0x10, 0));
    }
  });
}

async function main(): Promise<void> {
  if (spawnSync('tshark', ['--version']).error) throw new Error('tshark is needed for this benchmark (apt-get install tshark)');
  const pass = writeFilterPass(dir, `new DissectContext({ defragment: false, desegmentTcp: false, analyzeTcp: args[0] === 'on' })`, 'tcp.analysis.flags');
  const file = path.join(dir, 'connections.pcap');
  const n = writeCapture(file);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs; ${n} packets, ${MB(fs.statSync(file).size)} file, ${CONNS} TCP connections (compare within one run)`);
  const opts = { stdout: 'pipe' as const, timeoutMs: 3_600_000 };
  let out = '';
  const on = await runMeasured([pass, file, 'on'], { ...opts, onStdout: (b) => (out += b.toString()) });
  if (on.code !== 0) throw new Error(`analysis pass failed: ${on.stderr.slice(-400)}`);
  const ours = Number(out.trim());
  const off = await runMeasured([pass, file, 'off'], opts);
  let lines = 0;
  const theirs = await runMeasured(['-r', file, '-n', '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', 'tcp.analysis.flags', '-T', 'fields', '-e', 'frame.number'], {
    ...opts,
    command: 'tshark',
    onStdout: (b) => {
      for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
    },
  });
  if (theirs.code !== 0) throw new Error(`tshark failed: ${theirs.stderr.slice(-400)}`);
  console.log(
    `  tcp.analysis.flags over ${n} packets: Socket Lab ${s(on.ms)}, max RSS ${MB(on.maxRss)} (without the analysis ${s(off.ms)}, ${MB(off.maxRss)}) | ` +
      `tshark ${s(theirs.ms)}, max RSS ${MB(theirs.maxRss)} | time ×${(on.ms / theirs.ms).toFixed(2)}, memory ×${(on.maxRss / theirs.maxRss).toFixed(2)} | ` +
      `flagged ${ours} vs ${lines}: ${ours === lines ? 'same' : 'DIFFERENT'}`,
  );
  if (ours !== lines) process.exitCode = 1;
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
