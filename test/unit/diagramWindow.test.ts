import * as assert from 'node:assert/strict';
import { DiagramWindow } from '../../src/core/panels/diagramWindow';

/** Feeds segments 0…total-1 (index = position × 3, as packets of other connections sit between) until it is full. */
function windowOf(total: number, max: number, around?: number) {
  const w = new DiagramWindow<{ index: number }>(max, around);
  for (let i = 0; i < total; i++) if (!w.push({ index: i * 3 })) break;
  const r = w.result(total);
  return { first: r.segments[0]?.index / 3, last: r.segments[r.segments.length - 1]?.index / 3, n: r.segments.length, before: r.omittedBefore, after: r.omitted };
}

describe('packet panel: which segments the conversation diagram draws', () => {
  it('without a selection, the first ones, counting the rest', () => {
    assert.deepEqual(windowOf(10, 4), { first: 0, last: 3, n: 4, before: 0, after: 6 });
    assert.deepEqual(windowOf(3, 4), { first: 0, last: 2, n: 3, before: 0, after: 0 });
  });

  it('centres on the selected packet of a long connection, so its end (the teardown) can be drawn', () => {
    assert.deepEqual(windowOf(20_000, 2000, 19_999 * 3), { first: 18_000, last: 19_999, n: 2000, before: 18_000, after: 0 });
    assert.deepEqual(windowOf(20_000, 2000, 10_000 * 3), { first: 9000, last: 10_999, n: 2000, before: 9000, after: 9000 });
    assert.deepEqual(windowOf(20_000, 2000, 5 * 3), { first: 0, last: 1999, n: 2000, before: 0, after: 18_000 });
  });

  it('a selected packet not in the connection gives its last segments, never more than the window', () => {
    const r = windowOf(5000, 100, 1);
    assert.equal(r.n, 100);
    assert.equal(r.before + r.n + r.after, 5000);
  });
});
