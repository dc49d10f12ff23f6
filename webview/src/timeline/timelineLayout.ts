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
