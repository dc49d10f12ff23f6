// Pure arithmetic for the virtualised packet list: which rows are on screen, which pages to pull,
// and a small LRU of row pages keyed by filter generation. No DOM here, so plain mocha tests it.
import type { PacketRow } from '../../../src/shared/packetPanelProtocol';

export const ROWS_PER_PAGE = 100;
/** Browsers cap element heights (~33M px in Chromium); beyond this the scroll position is scaled. */
export const MAX_SCROLL_PX = 8_000_000;

export interface RowWindow {
  /** First and one-past-last row index to render. */
  readonly first: number;
  readonly end: number;
  /** Content y (inside the scrolled spacer) at which row `first` is drawn. */
  readonly offsetPx: number;
  /** Height of the scroll spacer. */
  readonly spacerPx: number;
}

/** Rows visible at `scrollTop`, with `overscan` extra rows either side, for a list of `total` rows. */
export function computeRowWindow(scrollTop: number, viewportPx: number, rowPx: number, total: number, overscan = 4): RowWindow {
  if (total <= 0 || rowPx <= 0) return { first: 0, end: 0, offsetPx: 0, spacerPx: 0 };
  const fullPx = total * rowPx;
  const spacerPx = Math.min(fullPx, MAX_SCROLL_PX);
  const maxScroll = Math.max(0, spacerPx - viewportPx);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  // With a scaled spacer, the scroll fraction maps onto the whole list.
  const virtualTop = maxScroll > 0 && spacerPx < fullPx ? (top / maxScroll) * Math.max(0, fullPx - viewportPx) : top;
  const topRow = Math.floor(virtualTop / rowPx);
  const visible = Math.ceil(viewportPx / rowPx) + 1;
  const first = Math.max(0, topRow - overscan);
  const end = Math.min(total, topRow + visible + overscan);
  const offsetPx = first * rowPx - virtualTop + top;
  return { first, end, offsetPx, spacerPx };
}

/** The scrollTop that brings row `index` into view (top-aligned when it was above, bottom when below). */
export function scrollTopForRow(index: number, scrollTop: number, viewportPx: number, rowPx: number, total: number): number {
  const w = computeRowWindow(scrollTop, viewportPx, rowPx, total, 0);
  const rowTop = w.offsetPx + (index - w.first) * rowPx - Math.max(0, scrollTop);
  if (rowTop >= 0 && rowTop + rowPx <= viewportPx) return scrollTop;
  const fullPx = total * rowPx;
  const target = rowTop < 0 ? index * rowPx : (index + 1) * rowPx - viewportPx;
  if (fullPx <= MAX_SCROLL_PX) return Math.max(0, target);
  const maxScroll = Math.max(0, MAX_SCROLL_PX - viewportPx);
  return (Math.max(0, target) / Math.max(1, fullPx - viewportPx)) * maxScroll;
}

/** Page numbers covering rows [first, end). */
export function pagesFor(first: number, end: number, perPage = ROWS_PER_PAGE): number[] {
  const pages: number[] = [];
  if (end <= first) return pages;
  for (let p = Math.floor(first / perPage); p <= Math.floor((end - 1) / perPage); p++) pages.push(p);
  return pages;
}

/** A bounded LRU of row pages for one filter generation; a new generation empties it. */
export class RowPageCache {
  private readonly pages = new Map<number, readonly PacketRow[]>();
  private gen = 0;

  constructor(private readonly maxPages = 24, readonly perPage = ROWS_PER_PAGE) {}

  get generation(): number {
    return this.gen;
  }

  /** Starts over for a new filter result; pages of older generations are ignored from now on. */
  reset(generation: number): void {
    this.gen = generation;
    this.pages.clear();
  }

  /** Stores a page; returns false (and drops it) when it belongs to another generation. */
  put(generation: number, page: number, rows: readonly PacketRow[]): boolean {
    if (generation !== this.gen) return false;
    this.pages.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value as number);
    return true;
  }

  /** Drops a page that may have grown (the last one, while a capture runs). */
  invalidate(page: number): void {
    this.pages.delete(page);
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  row(index: number): PacketRow | undefined {
    const page = Math.floor(index / this.perPage);
    const rows = this.pages.get(page);
    if (!rows) return undefined;
    // Touch for LRU order.
    this.pages.delete(page);
    this.pages.set(page, rows);
    return rows[index - page * this.perPage];
  }

  get size(): number {
    return this.pages.size;
  }
}
