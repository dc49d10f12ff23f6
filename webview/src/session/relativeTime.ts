// A chunk's time since the conversation's first one, pure (unit-tested): seconds to the ms, but a sub-second
// exchange (loopback, a capture's µs timestamps) in ms to the µs, and under a millisecond in µs.

/** "+1.250 s", "+12.345 ms", "+482 µs"; the first chunk "+0.000 s". */
export function relativeTimeText(deltaMs: number): string {
  const d = Math.max(0, deltaMs);
  if (d === 0 || d >= 1000) return `+${(d / 1000).toFixed(3)} s`;
  if (d >= 1) return `+${d.toFixed(3)} ms`;
  return `+${Math.round(d * 1000)} µs`;
}
