import * as assert from 'node:assert/strict';
import { Transcript } from '../../src/core/sessions/transcript';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Transcript', () => {
  it('keeps chunks in order with offsets across both directions', () => {
    const t = new Transcript(1024);
    t.append('out', bytes('hello'));
    t.append('in', bytes('HELLO'), '127.0.0.1:9');
    assert.equal(t.endOffset, 10);
    assert.deepEqual(t.chunks().map((c) => [c.seq, c.dir, c.offset, c.length, c.peer]), [
      [0, 'out', 0, 5, undefined],
      [1, 'in', 5, 5, '127.0.0.1:9'],
    ]);
    assert.equal(text(t.read(3, 4)), 'loHE');
    assert.equal(t.chunkAt(7)?.seq, 1);
    assert.deepEqual(t.counters, { bytesIn: 5, bytesOut: 5, chunksIn: 1, chunksOut: 1, droppedBytes: 0, droppedChunks: 0 });
  });

  it('drops the oldest chunks beyond capacity and counts the drop', () => {
    const t = new Transcript(10);
    for (let i = 0; i < 5; i++) t.append('in', bytes(`abc${i}`));
    assert.equal(t.endOffset, 20);
    assert.equal(t.startOffset, 12);
    assert.equal(t.firstSeq, 3);
    assert.equal(t.counters.droppedChunks, 3);
    assert.equal(t.counters.droppedBytes, 12);
    assert.equal(text(t.read(0, 100)), 'abc3abc4');
    assert.equal(t.chunkAt(5), undefined);
    assert.equal(t.chunkData(1), undefined);
    assert.equal(text(t.chunkData(4)!), 'abc4');
  });

  it('holds memory flat while many chunks pass through', () => {
    const t = new Transcript(64 * 1024);
    const block = new Uint8Array(1000);
    for (let i = 0; i < 20_000; i++) t.append(i % 2 ? 'in' : 'out', block);
    assert.ok(t.chunks().length <= 66, `held ${t.chunks().length} chunks`);
    assert.equal(t.endOffset, 20_000_000);
    assert.equal(t.chunks(19_990).length, 10);
    assert.equal(t.read(t.endOffset - 1500, 1500).length, 1500);
  });

  it('fires metadata-only growth events', () => {
    const t = new Transcript();
    const seen: unknown[] = [];
    t.onDidGrow((c) => seen.push(c));
    t.append('out', bytes('x'));
    assert.equal(seen.length, 1);
    assert.ok(!('data' in (seen[0] as object)));
  });
});
