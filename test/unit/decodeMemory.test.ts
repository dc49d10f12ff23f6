// `socket-lab decode` streams: max RSS stays flat whatever the file size, for the list and --json, with stdout
// backpressure honoured and a closed pipe (`| head -1`) ending quietly. Runs the CLI bundled as it ships.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './helpers';
import { bundleForNode, runMeasured, writeTinyCapture } from './tinyCapture';

const MB = 1e6;
/** The budget for decode, whatever the file size. */
const RSS_BUDGET = 200 * MB;
const long = process.env.SOCKET_LAB_LONG === '1';

describe('socket-lab decode memory (generated captures of tiny records)', function () {
  this.timeout(long ? 1800000 : 120000);
  let cli = '';
  let dir = '';

  before(function () {
    this.timeout(120000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-mem-'));
    cli = bundleForNode(path.join(repoRoot, 'src', 'cli.ts'), dir);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Decodes through a pipe whose reader stalls for `stallMs` first: output must wait, not pile up in memory. */
  async function decodeThroughPipe(file: string, extra: string[], stallMs: number) {
    let lines = 0;
    let paused = false;
    const r = await runMeasured([cli, 'decode', file, ...extra], {
      stdout: 'pipe',
      timeoutMs: long ? 1500000 : 100000,
      onStdout: (c) => {
        for (let i = 0; i < c.length; i++) if (c[i] === 10) lines++;
      },
      onSpawn: (child) => {
        if (stallMs > 0 && child.stdout) {
          paused = true;
          child.stdout.pause();
          setTimeout(() => child.stdout?.resume(), stallMs);
        }
      },
    });
    return { ...r, lines, paused };
  }

  for (const mib of long ? [16, 256, 1024] : [16]) {
    it(`decodes ${mib} MiB of tiny records (list, stalled reader) under ${RSS_BUDGET / MB} MB max RSS`, async () => {
      const file = path.join(dir, `tiny-${mib}.pcap`);
      const packets = writeTinyCapture(file, mib * 1048576);
      try {
        const r = await decodeThroughPipe(file, [], 1500);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.lines, packets, 'one row per packet');
        console.log(`      list ${mib} MiB (${packets} packets): max RSS ${(r.maxRss / MB).toFixed(0)} MB, ${r.ms} ms`);
        assert.ok(r.maxRss < RSS_BUDGET, `max RSS ${(r.maxRss / MB).toFixed(0)} MB`);
        const j = await decodeThroughPipe(file, ['--json'], 0);
        assert.equal(j.code, 0, j.stderr);
        assert.equal(j.lines, packets, 'one JSON line per packet');
        console.log(`      --json ${mib} MiB: max RSS ${(j.maxRss / MB).toFixed(0)} MB, ${j.ms} ms`);
        assert.ok(j.maxRss < RSS_BUDGET, `--json max RSS ${(j.maxRss / MB).toFixed(0)} MB`);
      } finally {
        fs.rmSync(file, { force: true });
      }
    });
  }

  it('`decode f | head -1` prints one row and exits 0 with nothing on stderr', () => {
    const file = path.join(dir, 'head.pcap');
    writeTinyCapture(file, 4 * 1048576);
    const r = spawnSync('bash', ['-c', 'node "$0" decode "$1" | head -1; echo "decode exit ${PIPESTATUS[0]}" >&2', cli, file], { encoding: 'utf8', timeout: 60000 });
    assert.match(r.stdout, /^\s+1\s+0\.000000\s+127\.0\.0\.1 → 127\.0\.0\.1\s+TCP\s+54 20000 → 8000 \[SYN\]/);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
    assert.equal(r.stderr, 'decode exit 0\n');
    const j = spawnSync('bash', ['-c', 'node "$0" decode "$1" --json | head -c 100 >/dev/null; echo "decode exit ${PIPESTATUS[0]}" >&2', cli, file], { encoding: 'utf8', timeout: 60000 });
    assert.equal(j.stderr, 'decode exit 0\n');
  });
});
