import * as assert from 'node:assert/strict';
import { PacketRing } from '../../src/core/capture/packetRing';
import type { PacketRecord } from '../../src/shared/packet';

const pkt = (i: number): PacketRecord => ({ tsMicros: i, origLen: 1, linkType: 1, data: new Uint8Array([i & 0xff]) });

describe('PacketRing', () => {
  it('keeps capture-wide indexes stable and forgets the oldest once full', () => {
    const r = new PacketRing(3);
    assert.equal(r.at(0), undefined);
    for (let i = 0; i < 5; i++) r.push(pkt(i));
    assert.equal(r.firstIndex, 2);
    assert.equal(r.endIndex, 5);
    assert.equal(r.length, 3);
    assert.equal(r.evicted, 2);
    assert.equal(r.at(1), undefined);
    assert.deepEqual([2, 3, 4].map((i) => r.at(i)?.tsMicros), [2, 3, 4]);
    assert.equal(r.at(5), undefined);
    assert.equal(r.at(2.5), undefined);
    assert.deepEqual(r.toArray().map((p) => p.tsMicros), [2, 3, 4]);
  });

  it('before it fills, everything is retained in order', () => {
    const r = new PacketRing(10);
    for (let i = 0; i < 4; i++) r.push(pkt(i));
    assert.equal(r.firstIndex, 0);
    assert.deepEqual(r.toArray().map((p) => p.tsMicros), [0, 1, 2, 3]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new PacketRing(0), RangeError);
    assert.throws(() => new PacketRing(1.5), RangeError);
  });
});
