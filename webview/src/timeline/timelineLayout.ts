// The timeline's arithmetic, apart from the DOM: the view's time span (zoom, pan, fit), where a call's bar goes,
// where an arrow starts and ends, and the time axis's ticks.
import type { TimelineCall } from '../../../src/shared/timelinePanelProtocol';

export const LANE_H = 36;
export const AXIS_H = 22;
/** The captured packets' band under the lanes. */
export const BAND_H = 28;
/** An instant call still shows as a bar this wide. */
export const MIN_BAR_W = 4;
/** The narrowest span zoom reaches (10 µs). */
const MIN_SPAN = 1e-5;

export interface Span {
  readonly from: number;
  readonly to: number;
}

/** The whole run with a little room on both sides. */
export function fitSpan(duration: number): Span {
  const d = Math.max(duration, 0.001);
  return { from: -d * 0.03, to: d * 1.08 };
}

/** Zoomed by `factor` (< 1 zooms in) around time `at`. */
export function zoom(s: Span, factor: number, at = (s.from + s.to) / 2): Span {
  const span = Math.max((s.to - s.from) * factor, MIN_SPAN);
  const k = (at - s.from) / (s.to - s.from);
  return { from: at - span * k, to: at - span * k + span };
}

/** Moved by `fraction` of its width (negative: earlier). */
export function pan(s: Span, fraction: number): Span {
  const d = (s.to - s.from) * fraction;
  return { from: s.from + d, to: s.to + d };
}

/** The same width, centred on `t` when `t` is not well inside it. */
export function keepVisible(s: Span, t: number): Span {
  const w = s.to - s.from;
  if (t >= s.from + w * 0.02 && t <= s.to - w * 0.05) return s;
  return { from: t - w / 2, to: t + w / 2 };
}

export class Scale {
  constructor(
    readonly span: Span,
    readonly width: number,
  ) {}

  x(t: number): number {
    return ((t - this.span.from) / (this.span.to - this.span.from)) * this.width;
  }

  t(x: number): number {
    return this.span.from + (x / this.width) * (this.span.to - this.span.from);
  }

  /** A call's bar: from its start, as long as it blocked, at least MIN_BAR_W. */
  bar(c: TimelineCall): { x: number; w: number } {
    const x = this.x(c.t);
    return { x, w: Math.max(this.x(c.t + c.ms / 1000) - x, MIN_BAR_W) };
  }
}

/** A call's bar as drawn, on lane row `row`. */
export interface DrawnBar {
  readonly id: number;
  readonly row: number;
  readonly x: number;
  readonly w: number;
}

/** The most a bar is moved right so that it is not hidden under the bar before it. */
export const NUDGE_MAX = 4 * (MIN_BAR_W + 1);

/**
 * Where each call's bar goes (`calls` on lane rows `rowOf`). Calls microseconds apart fall on one pixel at a coarse
 * zoom: a bar that would start within the first MIN_BAR_W px of the bar before it in its lane is moved just past that
 * one's start (by NUDGE_MAX px at most), so each keeps a part of its own to see and click.
 */
export function layoutBars(calls: readonly TimelineCall[], rowOf: ReadonlyMap<string, number>, scale: Scale): DrawnBar[] {
  const out: DrawnBar[] = [];
  const prev = new Map<number, number>();
  for (const c of [...calls].sort((a, b) => a.t - b.t || a.id - b.id)) {
    const row = rowOf.get(c.lane);
    if (row === undefined) continue;
    const { x: real, w: realW } = scale.bar(c);
    const last = prev.get(row);
    const past = last === undefined ? real : last + MIN_BAR_W + 1;
    const x = real < past && past - real <= NUDGE_MAX ? past : real;
    out.push({ id: c.id, row, x, w: Math.max(real + realW - x, MIN_BAR_W) });
    prev.set(row, x);
  }
  return out;
}

/** How far beside a bar a click still hits it (px). */
const HIT_SLOP = 3;

/**
 * The call a click at `x` on lane row `row` means: of the bars under it, the shortest (it is drawn on top), then the
 * one whose start is nearest; else the bar nearest within HIT_SLOP px.
 */
export function hitBar(bars: readonly DrawnBar[], row: number, x: number): number | undefined {
  const gap = (b: DrawnBar) => (x < b.x ? b.x - x : x > b.x + b.w ? x - b.x - b.w : 0);
  const near = bars.filter((b) => b.row === row && gap(b) <= HIT_SLOP);
  near.sort((a, b) => gap(a) - gap(b) || a.w - b.w || Math.abs(x - a.x) - Math.abs(x - b.x));
  return near[0]?.id;
}

/** The order to draw bars in: longer ones first, so a shorter one lying on a longer one stays on top. */
export const drawOrder = (a: DrawnBar, b: DrawnBar) => b.w - a.w;

/** The y of a lane's middle. */
export const laneMid = (i: number) => AXIS_H + i * LANE_H + LANE_H / 2;

/** Ticks at a 1-2-5 step about every `every` px, each with its label in s or ms. */
export function ticks(s: Scale, every = 110): { x: number; label: string }[] {
  const raw = ((s.span.to - s.span.from) * every) / Math.max(s.width, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw * (1 - 1e-9)) ?? 10 * p;
  const out: { x: number; label: string }[] = [];
  for (let v = Math.ceil(s.span.from / step) * step; v <= s.span.to && out.length < 200; v += step) out.push({ x: s.x(v), label: timeLabel(v, step) });
  return out;
}

/** `+1.25 s`, `+12.5 ms`, `+40 µs`: as many decimals as the step needs. */
export function timeLabel(v: number, step: number): string {
  const unit = step >= 0.1 ? { k: 1, u: 's' } : step >= 1e-4 ? { k: 1e3, u: 'ms' } : { k: 1e6, u: 'µs' };
  const decimals = Math.max(0, -Math.floor(Math.log10(step * unit.k) + 1e-9));
  const n = Math.abs(v) < step / 1e6 ? 0 : v * unit.k;
  return `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(decimals)} ${unit.u}`;
}

/** A duration in words: `0.02 ms`, `12.3 ms`, `1.5 s`. */
export function durationText(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  return `${ms >= 10 ? ms.toFixed(1) : ms.toFixed(ms >= 1 ? 2 : 3)} ms`;
}
