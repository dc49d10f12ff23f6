// Follow stream of one large TCP connection: `socket-lab follow tcp FILE --stream 0 --print raw` against
// `tshark -q -z follow,tcp,raw,0` on the same file in the same run: time, max RSS, and that both print the same bytes.
// The file is generated (Ethernet/IPv4/TCP, 1460-byte segments one way, an ACK every two): 256 MiB by default,
// SOCKET_LAB_BENCH_FOLLOW_MIB sets it, SOCKET_LAB_LONG=1 makes it 1024.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writePcapStream } from './pcapStream';
import { bundleForNode, runMeasured } from '../test/unit/tinyCapture';

const mib = Number(process.env.SOCKET_LAB_BENCH_FOLLOW_MIB ?? (process.env.SOCKET_LAB_LONG === '1' ? 1024 : 256));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-bench-'));
const MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const MSS = 1460;

/** One Ethernet/IPv4/TCP frame from port `sport` to `dport`. */
function frame(sport: number, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(54 + payload.length);
  const v = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, sport === 80 ? 1 : 2, 2, 0, 0, 0, 0, sport === 80 ? 2 : 1], 0);
  v.setUint16(12, 0x0800);
  b[14] = 0x45;
  v.setUint16(16, 40 + payload.length);
  b[22] = 64;
  b[23] = 6;
  b.set(sport === 80 ? [10, 0, 0, 2, 10, 0, 0, 1] : [10, 0, 0, 1, 10, 0, 0, 2], 26);
  v.setUint16(34, sport);
  v.setUint16(36, dport);
  v.setUint32(38, seq >>> 0);
  v.setUint32(42, ack >>> 0);
  v.setUint16(46, (5 << 12) | flags);
  v.setUint16(48, 65535);
  b.set(payload, 54);
  return b;
}

/** Writes a pcap of one connection: handshake, a request, about `bytes` of download, FINs. Returns the packet count. */
function writeConnection(file: string, bytes: number): number {
  return writePcapStream(file, 5, (put) => {
    const empty = new Uint8Array(0);
    const c0 = 0xfff00000; // the client's sequence numbers wrap early on
    let s = 1_000_000;
    const payload = new Uint8Array(MSS);
    for (let i = 0; i < MSS; i++) payload[i] = (i * 31) & 0xff;
    const req = new TextEncoder().encode('GET /big HTTP/1.1\r\nHost: bench\r\n\r\n');
    put(frame(50000, 80, c0, 0, 0x02, empty));
    put(frame(80, 50000, s, c0 + 1, 0x12, empty));
    put(frame(50000, 80, c0 + 1, s + 1, 0x10, empty));
    put(frame(50000, 80, c0 + 1, s + 1, 0x18, req));
    const c = c0 + 1 + req.length;
    s++;
    let written = 24;
    for (let k = 0; written < bytes; k++) {
      payload[0] = k & 0xff; // every segment a little different
      put(frame(80, 50000, s, c, 0x10, payload));
      s += MSS;
      written += 16 + 54 + MSS;
      if (k % 2 === 1) {
        put(frame(50000, 80, c, s, 0x10, empty));
        written += 16 + 54;
      }
    }
    put(frame(80, 50000, s, c, 0x11, empty));
    put(frame(50000, 80, c, s + 1, 0x11, empty));
    put(frame(80, 50000, s + 1, c + 1, 0x10, empty));
  });
}

async function main(): Promise<void> {
  if (spawnSync('tshark', ['--version']).error) throw new Error('tshark is needed for this benchmark (apt-get install tshark)');
  const cli = bundleForNode(path.join(__dirname, '..', 'src', 'cli.ts'), dir);
  const file = path.join(dir, `connection-${mib}.pcap`);
  const n = writeConnection(file, mib * 1048576);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs; ${mib} MiB file, one TCP connection, ${n} packets (compare within one run)`);
  const opts = { stdout: 'pipe' as const, timeoutMs: 3_600_000 };
  const oursHash = createHash('sha256');
  const ours = await runMeasured([cli, 'follow', 'tcp', file, '--stream', '0', '--print', 'raw'], { ...opts, onStdout: (b) => oursHash.update(b) });
  if (ours.code !== 0) throw new Error(`socket-lab follow failed: ${ours.stderr.slice(-400)}`);
  const theirsHash = createHash('sha256');
  const theirs = await runMeasured(['-q', '-r', file, '-z', 'follow,tcp,raw,0'], { ...opts, command: 'tshark', onStdout: (b) => theirsHash.update(b) });
  if (theirs.code !== 0) throw new Error(`tshark failed: ${theirs.stderr.slice(-400)}`);
  const same = oursHash.digest('hex') === theirsHash.digest('hex');
  console.log(
    `  follow tcp raw, ${mib} MiB: Socket Lab ${s(ours.ms)}, max RSS ${MB(ours.maxRss)} | tshark ${s(theirs.ms)}, max RSS ${MB(theirs.maxRss)} | ` +
      `time ×${(ours.ms / theirs.ms).toFixed(2)}, memory ×${(ours.maxRss / theirs.maxRss).toFixed(2)} | output ${same ? 'identical' : 'DIFFERENT'}`,
  );
  if (!same) process.exitCode = 1;
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
