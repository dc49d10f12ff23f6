// Generated capture files of tiny records (for memory tests and the bench): Ethernet/IPv4 UDP and TCP frames
// across many conversations, written in large chunks so a 1 GiB file takes seconds.
import * as fs from 'node:fs';
import { PcapWriter } from '../../src/core/pcap/pcapWriter';

const FRAME = 14 + 20 + 8; // Ethernet + IPv4 + UDP, no payload; TCP frames are 54 bytes
const RECORD_HEADER = 16;

function frame(i: number): Uint8Array {
  const tcp = i % 3 === 0;
  const b = new Uint8Array(tcp ? 54 : FRAME);
  const v = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  v.setUint16(12, 0x0800);
  b[14] = 0x45;
  v.setUint16(16, b.length - 14);
  v.setUint16(18, i & 0xffff);
  b[22] = 64;
  b[23] = tcp ? 6 : 17;
  b.set([127, 0, 0, 1, 127, 0, (i >> 8) & 0xff, 1 + (i & 0x7f)], 26);
  // A few thousand conversations, revisited: the decoder's per-stream tables fill up as in a real busy capture.
  v.setUint16(34, 20000 + (i % 4099));
  v.setUint16(36, 8000);
  if (tcp) {
    v.setUint32(38, 1000 + i);
    v.setUint32(42, 2000);
    v.setUint16(46, (5 << 12) | (i % 300 === 0 ? 0x02 : 0x10));
    v.setUint16(48, 512);
  } else {
    v.setUint16(38, 8);
  }
  return b;
}

/** Writes a little-endian µs pcap of about `bytes` bytes of tiny records; returns the packet count. */
export function writeTinyCapture(file: string, bytes: number): number {
  // A period of distinct frames, repeated with fresh timestamps: generation stays I/O-bound.
  const period = 8192;
  const frames = Array.from({ length: period }, (_, i) => frame(i));
  const fd = fs.openSync(file, 'w');
  try {
    const head = new PcapWriter({ linkType: 1 }).header();
    fs.writeSync(fd, head);
    let written = head.length;
    let n = 0;
    const chunk = new Uint8Array(4 << 20);
    const cv = new DataView(chunk.buffer);
    while (written < bytes) {
      let o = 0;
      while (o + RECORD_HEADER + 64 <= chunk.length && written + o < bytes) {
        const f = frames[n % period];
        const us = n * 10;
        cv.setUint32(o, 1_700_000_000 + Math.floor(us / 1e6), true);
        cv.setUint32(o + 4, us % 1e6, true);
        cv.setUint32(o + 8, f.length, true);
        cv.setUint32(o + 12, f.length, true);
        chunk.set(f, o + RECORD_HEADER);
        o += RECORD_HEADER + f.length;
        n++;
      }
      fs.writeSync(fd, chunk, 0, o);
      written += o;
    }
    return n;
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs `node args…` (or `opts.command args…`) under /usr/bin/time: exit code, stderr, peak RSS in bytes (the kernel's maxrss), time to first output. */
export async function runMeasured(
  args: string[],
  opts: { command?: string; stdout?: 'ignore' | 'pipe'; onStdout?: (chunk: Buffer) => void; onSpawn?: (child: import('node:child_process').ChildProcess) => void; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stderr: string; maxRss: number; ms: number; firstOutputMs: number }> {
  const { spawn } = await import('node:child_process');
  const t0 = Date.now();
  const child = spawn('/usr/bin/time', ['-f', '\nMAXRSS_KB %M', opts.command ?? process.execPath, ...args], { cwd: opts.cwd, stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  let firstOutputMs = -1;
  child.stdout?.on('data', (c: Buffer) => {
    if (firstOutputMs < 0) firstOutputMs = Date.now() - t0;
    opts.onStdout?.(c);
  });
  opts.onSpawn?.(child);
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(killer);
  const m = /\nMAXRSS_KB (\d+)\s*$/.exec(stderr);
  if (!m) throw new Error(`no max RSS from /usr/bin/time: ${stderr.slice(-500)}`);
  return { code, stderr: stderr.slice(0, m.index), maxRss: Number(m[1]) * 1024, ms: Date.now() - t0, firstOutputMs };
}

/** Bundles a child script with esbuild as the extension ships (plain node, no tsx loader in the measured RSS). */
export function bundleForNode(entry: string, outDir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const outfile = `${outDir}/${entry.replace(/^.*\//, '').replace(/\.ts$/, '.js')}`;
  esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error' });
  return outfile;
}
