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

  it('links a recv to the sends whose bytes it returned, and a send to the recvs that took it, by stream offsets', () => {
    const log = new CallLog('/p');
    const a = '127.0.0.1:5000';
    const b = '127.0.0.1:40000';
    const send = (t: number, n: number) => ({ t, call: 'sendall', local: b, peer: a, returned: n });
    const recv = (t: number, n: number) => ({ t, call: 'recv', local: a, peer: b, returned: n });
    const s1 = send(1, 5);
    const s2 = send(2, 6);
    const s3 = send(3, 100);
    const r1 = recv(4, 11);
    const r2 = recv(5, 40);
    const r3 = recv(6, 60);
    log.add([s1, s2, r1]);
    log.add([s3, r2, r3]); // the other end's records may come in a later batch
    assert.deepEqual(log.sendsIn(r1), [s1, s2]);
    assert.deepEqual(log.recvsOf(s3), [r2, r3]);
    assert.deepEqual(log.recvsOf(s1), [r1]);
    // the reverse direction and a failed call are not linked
    assert.deepEqual(log.sendsIn({ t: 7, call: 'recv', local: b, peer: a, returned: 3 }), []);
  });
});
