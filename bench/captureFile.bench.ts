// Large capture files of tiny records: `socket-lab decode` (list and --json) and the packet panel's file model
// (first rows, full pass, a display filter) against `tshark -r` on the same file in the same run: time and max RSS.
// Size: SOCKET_LAB_BENCH_CAPTURE_MIB (default 64); SOCKET_LAB_LONG=1 makes it 1024. JSON runs on a 16 MiB file
// (tshark -T json takes minutes on more).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleForNode, runMeasured, writeTinyCapture } from '../test/unit/tinyCapture';

const mib = Number(process.env.SOCKET_LAB_BENCH_CAPTURE_MIB ?? (process.env.SOCKET_LAB_LONG === '1' ? 1024 : 64));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capfile-bench-'));
const MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  if (spawnSync('tshark', ['--version']).error) throw new Error('tshark is needed for this benchmark (apt-get install tshark)');
  const cli = bundleForNode(path.join(__dirname, '..', 'src', 'cli.ts'), dir);
  const child = bundleForNode(path.join(__dirname, '..', 'test', 'unit', 'filePacketListModelChild.ts'), dir);
  const big = path.join(dir, `tiny-${mib}.pcap`);
  const small = path.join(dir, 'tiny-16.pcap');
  const n = writeTinyCapture(big, mib * 1048576);
  const nSmall = writeTinyCapture(small, 16 * 1048576);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs; ${mib} MiB file of ${n} tiny records (compare within one run)`);
  const row = (name: string, ours: { ms: number; maxRss: number; firstOutputMs: number }, ref: { ms: number; maxRss: number; firstOutputMs: number }) =>
    console.log(
      `  ${name}: Socket Lab ${s(ours.ms)} (first row ${ours.firstOutputMs} ms), max RSS ${MB(ours.maxRss)} | tshark ${s(ref.ms)} (first row ${ref.firstOutputMs} ms), max RSS ${MB(ref.maxRss)} | time ×${(ours.ms / ref.ms).toFixed(2)}, memory ×${(ours.maxRss / ref.maxRss).toFixed(2)}`,
    );
  const opts = { stdout: 'pipe' as const, timeoutMs: 3_600_000 };
  const check = (r: { code: number | null; stderr: string }, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr.slice(-400)}`);
  };
  const list = await runMeasured([cli, 'decode', big], opts);
  check(list, 'decode');
  const tsList = await runMeasured(['-r', big], { ...opts, command: 'tshark' });
  check(tsList, 'tshark -r');
  row(`decode list, ${mib} MiB (piped)`, list, tsList);
  const json = await runMeasured([cli, 'decode', small, '--json'], opts);
  check(json, 'decode --json');
  const tsJson = await runMeasured(['-r', small, '-T', 'json'], { ...opts, command: 'tshark' });
  check(tsJson, 'tshark -T json');
  row(`decode --json, 16 MiB (${nSmall} packets)`, json, tsJson);
  let out = '';
  const panel = await runMeasured([child, big], { ...opts, onStdout: (c) => (out += c.toString()) });
  check(panel, 'file model');
  const f = JSON.parse(out) as { firstRowsMs: number; fullMs: number; filterMs: number; matched: number };
  const tsFilter = await runMeasured(['-r', big, '-Y', 'tcp'], { ...opts, command: 'tshark' });
  check(tsFilter, 'tshark -Y tcp');
  console.log(
    `  packet panel, ${mib} MiB: first rows ${f.firstRowsMs} ms, full pass ${s(f.fullMs)} (tshark -r ${s(tsList.ms)}, ×${(f.fullMs / tsList.ms).toFixed(2)}), ` +
      `filter "tcp" ${s(f.filterMs)} (tshark -Y tcp ${s(tsFilter.ms)}, ×${(f.filterMs / tsFilter.ms).toFixed(2)}), max RSS ${MB(panel.maxRss)} (tshark ${MB(tsFilter.maxRss)}, ×${(panel.maxRss / tsFilter.maxRss).toFixed(2)})`,
  );
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
