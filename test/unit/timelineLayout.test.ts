// The timeline page's arithmetic: zoom keeps the time under the cursor, pan moves by a fraction, an instant call
// still gets a visible bar, ticks fall on a 1-2-5 step with labels in the step's unit.
import * as assert from 'node:assert/strict';
import { durationText, fitSpan, keepVisible, MIN_BAR_W, pan, Scale, ticks, timeLabel, zoom } from '../../webview/src/timeline/timelineLayout';

describe('timeline layout', () => {
  it('zoom keeps the time it zooms around at the same place; pan moves by a fraction of the width', () => {
    const s = { from: 0, to: 10 };
    const z = zoom(s, 0.5, 2);
    assert.deepEqual(z, { from: 1, to: 6 });
    assert.equal(new Scale(s, 1000).x(2), new Scale(z, 1000).x(2));
    assert.deepEqual(pan(s, -0.2), { from: -2, to: 8 });
    assert.ok(zoom(s, 1e-12).to - zoom(s, 1e-12).from > 0.99e-5, 'zoom stops at 10 µs');
    const fit = fitSpan(0.3);
    assert.ok(fit.from < 0 && fit.to > 0.3);
  });

  it('an instant call still has a visible bar; a blocked one is as long as it blocked', () => {
    const sc = new Scale({ from: 0, to: 1 }, 1000);
    assert.deepEqual(sc.bar({ id: 0, lane: '1:3', call: 'send', t: 0.5, ms: 0.001 }), { x: 500, w: MIN_BAR_W });
    assert.deepEqual(sc.bar({ id: 1, lane: '1:3', call: 'recv', t: 0.1, ms: 300 }), { x: 100, w: 300 });
  });

  it('keeps a time in view: unchanged when inside, centred when outside', () => {
    const s = { from: 0, to: 10 };
    assert.equal(keepVisible(s, 5), s);
    assert.deepEqual(keepVisible(s, 30), { from: 25, to: 35 });
  });

  it('ticks on a 1-2-5 step, labelled in s, ms or µs', () => {
    const tk = ticks(new Scale({ from: 0, to: 1 }, 1000), 100);
    assert.deepEqual(tk.slice(0, 3).map((x) => x.label), ['+0.0 s', '+0.1 s', '+0.2 s']);
    assert.equal(tk[1].x, 100);
    const fine = ticks(new Scale({ from: 0.0012, to: 0.0013 }, 1000), 200);
    assert.deepEqual(fine.slice(0, 2).map((x) => x.label), ['+1200 µs', '+1220 µs']);
    assert.equal(timeLabel(0.025, 0.005), '+25 ms');
    assert.equal(durationText(0.072), '0.072 ms');
    assert.equal(durationText(12_345), '12.3 s');
  });
});
