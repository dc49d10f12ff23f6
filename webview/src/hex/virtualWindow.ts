// Arithmetic of the virtual hex grid: which rows are on screen and where the custom scrollbar thumb sits.
// A browser caps an element's scroll height (~33M px in Chromium), so the grid never uses native scrolling.

export interface Geometry {
  /** Absolute row number of the first row that holds data (start offset / bytesPerRow). */
  readonly firstRow: number;
  /** Number of rows holding data. */
  readonly rowCount: number;
  /** Rows that fit fully in the viewport (at least 1). */
  readonly pageRows: number;
}

export function rowOf(offset: number, bytesPerRow: number): number {
  return Math.floor(offset / bytesPerRow);
}

/** Rows spanned by the byte range [start, end), aligned to absolute multiples of bytesPerRow. */
export function geometry(start: number, end: number, bytesPerRow: number, viewportPx: number, rowPx: number): Geometry {
  const firstRow = rowOf(start, bytesPerRow);
  const lastRow = end > start ? rowOf(end - 1, bytesPerRow) : firstRow - 1;
  return { firstRow, rowCount: Math.max(0, lastRow - firstRow + 1), pageRows: Math.max(1, Math.floor(viewportPx / Math.max(1, rowPx))) };
}

/** Largest top row that still fills the viewport. */
export function maxTop(g: Geometry): number {
  return g.firstRow + Math.max(0, g.rowCount - g.pageRows);
}

export function clampTop(top: number, g: Geometry): number {
  return Math.min(Math.max(Math.round(top), g.firstRow), maxTop(g));
}

/** Top row that makes `row` visible while moving as little as possible. */
export function revealRow(row: number, top: number, g: Geometry): number {
  if (row < top) return clampTop(row, g);
  if (row >= top + g.pageRows) return clampTop(row - g.pageRows + 1, g);
  return clampTop(top, g);
}

/** Top row that puts `row` in the middle of the viewport (for "go to offset"). */
export function centerRow(row: number, g: Geometry): number {
  return clampTop(row - Math.floor(g.pageRows / 2), g);
}

export interface Thumb {
  readonly size: number;
  readonly pos: number;
  /** false when everything fits and no scrollbar is needed. */
  readonly visible: boolean;
}

/** Thumb size and position on a track of `trackPx`; the thumb never shrinks below `minPx`. */
export function thumb(top: number, g: Geometry, trackPx: number, minPx = 20): Thumb {
  if (g.rowCount <= g.pageRows || trackPx <= 0) return { size: trackPx, pos: 0, visible: false };
  const size = Math.min(trackPx, Math.max(minPx, (trackPx * g.pageRows) / g.rowCount));
  const span = maxTop(g) - g.firstRow;
  const pos = span > 0 ? ((top - g.firstRow) / span) * (trackPx - size) : 0;
  return { size, pos, visible: true };
}

/** Inverse of thumb(): the top row for a thumb dragged to `pos`. */
export function topFromThumb(pos: number, g: Geometry, trackPx: number, minPx = 20): number {
  const t = thumb(g.firstRow, g, trackPx, minPx);
  if (!t.visible) return g.firstRow;
  const free = trackPx - t.size;
  const frac = free > 0 ? Math.min(1, Math.max(0, pos / free)) : 0;
  return clampTop(g.firstRow + frac * (maxTop(g) - g.firstRow), g);
}

/** Converts a wheel delta into whole rows, carrying the remainder so trackpads scroll smoothly. */
export function wheelRows(deltaY: number, deltaMode: number, rowPx: number, pageRows: number, carry: number): { rows: number; carry: number } {
  const px = deltaMode === 1 ? deltaY * rowPx : deltaMode === 2 ? deltaY * pageRows * rowPx : deltaY;
  const total = carry + px / Math.max(1, rowPx);
  const rows = Math.trunc(total);
  return { rows, carry: total - rows };
}
