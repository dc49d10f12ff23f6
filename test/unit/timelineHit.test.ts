// The timeline's hit-testing: back-to-back calls a few microseconds apart fall on one pixel at the Fit zoom; each bar
// keeps a part of its own (the later one moved just past the earlier one's start), and a click there selects it, not
// the call drawn next to it (issue 19's outsider trial: the "3 sends merged" recv selected the b'' recv after it).
import * as assert from 'node:assert/strict';
import type { TimelineCall } from '../../src/shared/timelinePanelProtocol';
import { drawOrder, hitBar, layoutBars, MIN_BAR_W, NUDGE_MAX, Scale } from '../../webview/src/timeline/timelineLayout';

const call = (id: number, lane: string, t: number, ms: number): TimelineCall => ({ id, lane, call: 'recv', t, ms });
const rows = new Map([['1:3', 0], ['1:4', 1]]);

describe('timeline hit-testing', () => {
  it('two recvs 20 µs apart at the Fit zoom: each has its own pixels and a click on either selects that one', () => {
    const fit = new Scale({ from: -0.1, to: 3.3 }, 1000); // 3.4 ms a pixel
    const merged = call(7, '1:4', 1.2, 0.015);
    const closed = call(8, '1:4', 1.20002, 0.01);
    const bars = layoutBars([closed, merged], rows, fit);
    const a = bars.find((b) => b.id === 7)!;
    const b = bars.find((b) => b.id === 8)!;
    assert.equal(a.x, fit.x(1.2), 'the earlier call stays at its time');
    assert.ok(b.x >= a.x + a.w, `the later bar starts past the earlier one (${b.x} vs ${a.x}+${a.w})`);
    assert.equal(hitBar(bars, 1, a.x + a.w / 2), 7);
    assert.equal(hitBar(bars, 1, b.x + b.w / 2), 8);
    assert.equal(hitBar(bars, 0, a.x + 1), undefined, 'another lane: nothing there');
  });

  it('a short call lying on a long one: a click on it selects it, elsewhere the long one; it is drawn on top', () => {
    const sc = new Scale({ from: 0, to: 1 }, 1000);
    const bars = layoutBars([call(1, '1:3', 0.1, 500), call(2, '1:3', 0.3, 0.01)], rows, sc);
    assert.equal(hitBar(bars, 0, 302), 2);
    assert.equal(hitBar(bars, 0, 200), 1);
    assert.equal(hitBar(bars, 0, 598), 1);
    assert.equal(hitBar(bars, 0, 602), 1, 'a click just past a bar still hits it');
    assert.equal(hitBar(bars, 0, 700), undefined);
    assert.deepEqual([...bars].sort(drawOrder).map((b) => b.id), [1, 2]);
  });

  it('a burst of calls on one pixel is spread out by NUDGE_MAX at most: time stays readable', () => {
    const sc = new Scale({ from: 0, to: 10 }, 1000);
    const burst = Array.from({ length: 10 }, (_, i) => call(i, '1:3', 5 + i * 1e-6, 0));
    const xs = layoutBars(burst, rows, sc).map((b) => b.x);
    assert.ok(Math.max(...xs) - 500 <= NUDGE_MAX + 0.01, xs.join());
    assert.deepEqual(xs.slice(0, 5).map((x) => Math.round(x - 500)), [0, 1, 2, 3, 4].map((i) => i * (MIN_BAR_W + 1)));
    // a call far from the one before it is where its time says
    assert.equal(layoutBars([call(1, '1:3', 1, 0), call(2, '1:3', 2, 0)], rows, sc)[1].x, 200);
  });
});
