// Child process of captureFileIndex.test.ts: index a file, read pages at its start, middle and end, print figures.
import * as assert from 'node:assert/strict';
import { CaptureFileIndex } from '../../src/core/pcap/captureFileIndex';

async function main(file: string): Promise<void> {
  const t0 = Date.now();
  const idx = await CaptureFileIndex.open(file);
  await idx.indexMore(100);
  const first = await idx.read(0, 100);
  assert.equal(first.length, 100);
  const firstRowsMs = Date.now() - t0;
  await idx.indexAll();
  const fullMs = Date.now() - t0;
  for (const at of [0, idx.count >> 1, idx.count - 100]) assert.equal((await idx.read(at, 100)).length, 100);
  let n = 0;
  await idx.scan(0, idx.count, () => void n++);
  assert.equal(n, idx.count);
  process.stdout.write(JSON.stringify({ count: idx.count, firstRowsMs, fullMs, indexBytes: idx.indexBytes }));
  await idx.close();
}
void main(process.argv[2]);
