import * as assert from 'node:assert/strict';
import { centerRow, clampTop, geometry, maxTop, revealRow, thumb, topFromThumb, wheelRows } from '../../webview/src/hex/virtualWindow';

describe('hex viewer: virtual window arithmetic', () => {
  it('counts rows aligned to absolute offsets, also when the start was dropped mid-row', () => {
    const g = geometry(0, 64 * 1024 * 1024, 16, 400, 20);
    assert.equal(g.firstRow, 0);
    assert.equal(g.rowCount, 4 * 1024 * 1024);
    assert.equal(g.pageRows, 20);
    const dropped = geometry(35, 100, 16, 400, 20);
    assert.equal(dropped.firstRow, 2); // offset 35 lives in row 2 (32..47)
    assert.equal(dropped.rowCount, 5); // rows 2..6 (96..99 is row 6)
    assert.equal(geometry(10, 10, 16, 400, 20).rowCount, 0);
  });

  it('clamps the top row so the last page stays full and never goes above the first row', () => {
    const g = geometry(0, 1000, 16, 200, 20); // 63 rows, 10 per page
    assert.equal(maxTop(g), 53);
    assert.equal(clampTop(1e9, g), 53);
    assert.equal(clampTop(-5, g), 0);
    const small = geometry(0, 32, 16, 200, 20);
    assert.equal(maxTop(small), 0);
  });

  it('reveals a row with the least movement, and centres for go-to', () => {
    const g = geometry(0, 16 * 1000, 16, 200, 20);
    assert.equal(revealRow(5, 0, g), 0);
    assert.equal(revealRow(10, 0, g), 1);
    assert.equal(revealRow(3, 50, g), 3);
    assert.equal(centerRow(500, g), 495);
    assert.equal(centerRow(2, g), 0);
  });

  it('keeps the thumb at least minPx tall for a 64 MiB stream and maps it back to rows', () => {
    const g = geometry(0, 64 * 1024 * 1024, 16, 600, 20);
    const top = thumb(0, g, 600);
    assert.equal(top.visible, true);
    assert.equal(top.size, 20);
    assert.equal(top.pos, 0);
    const bottom = thumb(maxTop(g), g, 600);
    assert.equal(bottom.pos, 580);
    assert.equal(topFromThumb(580, g, 600), maxTop(g));
    assert.equal(topFromThumb(0, g, 600), 0);
    const mid = topFromThumb(290, g, 600);
    assert.ok(Math.abs(mid - maxTop(g) / 2) <= 1, `mid ${mid}`);
    assert.equal(thumb(0, geometry(0, 16, 16, 600, 20), 600).visible, false);
  });

  it('turns wheel deltas into rows and carries the fraction', () => {
    let r = wheelRows(30, 0, 20, 10, 0);
    assert.deepEqual([r.rows, Math.round(r.carry * 100) / 100], [1, 0.5]);
    r = wheelRows(10, 0, 20, 10, r.carry);
    assert.equal(r.rows, 1);
    assert.equal(wheelRows(3, 1, 20, 10, 0).rows, 3); // lines
    assert.equal(wheelRows(-1, 2, 20, 10, 0).rows, -10); // pages
  });
});
