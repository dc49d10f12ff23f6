// The run's call log stays within its budgets and aggregates per source line what the editor's hints show.
import * as assert from 'node:assert/strict';
import { CallLog } from '../../src/core/trace/callLog';
import type { CallRecord } from '../../src/core/trace/callTrace';

const rec = (i: number, more: Partial<CallRecord> = {}): CallRecord => ({ t: 1000 + i, call: 'send', file: 'prog.py', line: 1 + (i % 3), returned: 2, ...more });

describe('call log', () => {
  it('aggregates per line (count, last, bytes, longest block, errors) and keeps a line\'s latest few', () => {
    const log = new CallLog('/work/x', { perLine: 2 });
    log.add([rec(0), rec(3, { blocked_ms: 40 }), rec(6, { call: 'recv', returned: 0, blocked_ms: 7 }), rec(9, { error: 'TimeoutError: timed out', returned: undefined })]);
    const l1 = log.linesOf('/work/x/prog.py').get(1)!;
    assert.equal(l1.count, 4);
    assert.equal(l1.last.error, 'TimeoutError: timed out');
    assert.equal(l1.bytes, 4);
    assert.equal(l1.maxBlockedMs, 40);
    assert.equal(l1.errors, 1);
    assert.deepEqual(l1.recent.map((r) => r.t), [1006, 1009]);
    assert.equal(log.linesOf('/elsewhere/prog.py').size, 0);
  });

  it('a long run keeps at most maxRecords calls and maxLines lines, and counts the rest', () => {
    const log = new CallLog('/p', { maxRecords: 1000, maxLines: 10 });
    for (let i = 0; i < 50_000; i += 100) log.add(Array.from({ length: 100 }, (_, k) => rec(i + k, { line: (i + k) % 20 })));
    log.add([{ t: 1, call: 'dropped', count: 7 }]);
    assert.equal(log.records().length, 1000);
    assert.equal(log.evicted, 49_000);
    assert.equal(log.total, 50_000);
    assert.equal(log.linesOf('/p/prog.py').size, 10);
    assert.equal(log.untrackedLines, 25_000);
    assert.equal(log.droppedByProgram, 7);
    assert.equal(log.records()[0].t, 1000 + 49_000);
  });
});
