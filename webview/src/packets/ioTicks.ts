// The I/O graph's axes, pure (unit-tested): a round top for the y axis, ticks at round times for the x axis.
import { t } from '../strings';

/** 1, 2 or 5 × a power of ten, at least `v` (a round top for the y axis). */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

/**
 * Ticks for the x axis: at most about `most` + 1 of them, every 1, 2 or 5 × 10^n intervals, at round multiples of
 * that step in capture time (a conversation's graph starts anywhere), each labelled with its exact time. `bin` is
 * where the tick falls in intervals from the graph's start (fractional when the graph does not start on a step).
 */
export function timeTicks(startS: number, intervalMs: number, bins: number, most = 5): { bin: number; label: string }[] {
  if (bins <= 0 || !(intervalMs > 0)) return [];
  const stepMs = intervalMs * niceCeil(Math.max(1, bins / most));
  const startMs = startS * 1000;
  const endMs = startMs + bins * intervalMs;
  const eps = 1e-6 * intervalMs;
  const out: { bin: number; label: string }[] = [];
  for (let k = Math.ceil((startMs - eps) / stepMs); k * stepMs <= endMs + eps; k++) {
    const ms = k * stepMs;
    out.push({ bin: Math.max(0, Math.min(bins, (ms - startMs) / intervalMs)), label: t('{0} s', String(Number((ms / 1000).toFixed(6)))) });
  }
  return out;
}
