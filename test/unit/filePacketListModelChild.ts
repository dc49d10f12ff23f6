// Child process of filePacketListModel.test.ts: open a big file, time first rows, the first pass and a filter.
import * as assert from 'node:assert/strict';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';

async function main(file: string): Promise<void> {
  const t0 = Date.now();
  const m = await FilePacketListModel.open(file);
  assert.equal((await m.rows(0, 100)).rows.length, 100);
  const firstRowsMs = Date.now() - t0;
  await m.whenComplete();
  const fullMs = Date.now() - t0;
  const total = m.status.total;
  for (const at of [total >> 1, total - 100]) assert.equal((await m.rows(at, 100)).rows.length, 100);
  const t1 = Date.now();
  const st = await m.setFilter('tcp');
  const filterMs = Date.now() - t1;
  assert.equal((await m.rows(st.matched - 50, 50)).rows.length, 50);
  assert.ok((await m.detail(total - 1)) !== undefined);
  process.stdout.write(JSON.stringify({ total, firstRowsMs, fullMs, filterMs, matched: st.matched }));
  m.dispose();
}
void main(process.argv[2]);
