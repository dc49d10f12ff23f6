import * as assert from 'node:assert/strict';
import { PageCache } from '../../webview/src/hex/pageCache';

describe('session panel: page cache', () => {
  it('loads a page once however many ask at the same time', async () => {
    const loads: number[] = [];
    const cache = new PageCache<string>(async (i) => {
      loads.push(i);
      await new Promise((r) => setTimeout(r, 5));
      return `page${i}`;
    });
    const got = await Promise.all([cache.get(3), cache.get(3), cache.get(4)]);
    assert.deepEqual(got, ['page3', 'page3', 'page4']);
    assert.deepEqual(loads, [3, 4]);
    assert.equal(cache.peek(3), 'page3');
    await cache.get(3);
    assert.deepEqual(loads, [3, 4]);
  });

  it('evicts the least recently used page beyond its capacity', async () => {
    const cache = new PageCache<number>(async (i) => i * 10, 3);
    for (const i of [1, 2, 3]) await cache.get(i);
    cache.peek(1); // 1 becomes the most recent
    await cache.get(4);
    assert.equal(cache.size, 3);
    assert.equal(cache.has(2), false);
    assert.equal(cache.has(1), true);
    assert.equal(cache.has(4), true);
  });

  it('drops invalidated tail pages and ignores answers that arrive after clear()', async () => {
    let version = 0;
    let release: () => void = () => undefined;
    const cache = new PageCache<string>(async (i) => {
      const v = version;
      if (i === 9) await new Promise<void>((r) => (release = r));
      return `p${i}v${v}`;
    });
    await cache.get(1);
    await cache.get(2);
    cache.invalidateFrom(2);
    assert.equal(cache.has(1), true);
    assert.equal(cache.has(2), false);
    version = 1;
    assert.equal(await cache.get(2), 'p2v1');
    const late = cache.get(9);
    cache.clear();
    release();
    assert.equal(await late, 'p9v1');
    assert.equal(cache.has(9), false, 'a load from before clear() must not fill the new cache');
  });

  it('does not keep a failed load', async () => {
    let fail = true;
    const cache = new PageCache<string>(async () => {
      if (fail) throw new Error('boom');
      return 'ok';
    });
    await assert.rejects(cache.get(0), /boom/);
    fail = false;
    assert.equal(await cache.get(0), 'ok');
  });
});
