// The virtualised hex viewer: offset | hex | text, 8/16/32 bytes per row, a custom scrollbar
// (browser scroll heights are capped), only the rows on screen formatted, bytes pulled in pages.
import './hex.css';
import { Emitter } from '../../../src/shared/disposable';
import { PageCache } from './pageCache';
import { HEX_BYTE } from '../../../src/shared/format';
import { TEXT_CHAR, formatOffset, offsetWidth } from './hexFormat';
import { centerRow, clampTop, geometry, maxTop, revealRow, rowOf, thumb, topFromThumb, wheelRows, type Geometry } from './virtualWindow';
import { h } from '../dom';

/** A stretch of bytes drawn with a CSS class (direction, protocol field …). */
export interface HexSpan {
  readonly offset: number;
  readonly length: number;
  readonly cls: string;
}

export interface HexPage {
  /** Stream offset of bytes[0]. */
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Colour spans inside the page; a span's first byte is drawn as a boundary. */
  readonly spans?: readonly HexSpan[];
}

/** Where the viewer pulls its bytes from; offsets are absolute (the stream's or the packet's). */
export interface HexDataSource {
  /** First addressable offset (older bytes may have been dropped). */
  readonly start: number;
  /** One past the last addressable offset. */
  readonly end: number;
  read(offset: number, length: number): Promise<HexPage>;
}

export interface HexSelection {
  /** Inclusive start and exclusive end; start === end means only a cursor. */
  readonly start: number;
  readonly end: number;
  readonly cursor: number;
}

export type BytesPerRow = 4 | 8 | 16 | 32;
/** What fit() tries, widest first. */
const FIT_CHOICES: readonly BytesPerRow[] = [32, 16, 8, 4];

export interface HexViewOptions {
  readonly bytesPerRow?: BytesPerRow;
  /** Choose bytes per row from the width: the most of 32/16/8/4 whose row fits (setFit() changes it later). */
  readonly fit?: boolean;
  /** Page size for pulls; a multiple of 32 so a row never straddles pages. */
  readonly pageSize?: number;
  readonly maxPages?: number;
  readonly ariaLabel?: string;
  /** Keep the last row in view while data grows, until the user scrolls up. */
  readonly followTail?: boolean;
}

interface CachedPage {
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Per byte: index into classNames (low 7 bits) and bit 7 set on a span's first byte. */
  readonly attr: Uint8Array;
}

/** The selection and cursor a render paints (-1: none). */
interface Paint {
  readonly selA: number;
  readonly selB: number;
  readonly cursor: number;
}

interface RowEls {
  readonly row: HTMLElement;
  readonly off: HTMLElement;
  readonly hex: HTMLElement[];
  readonly txt: HTMLElement[];
  /** Absolute row drawn in this element, and the content version it was drawn at (-1: redraw). */
  shownRow: number;
  version: number;
}

const EMPTY = new Uint8Array(0);

export class HexView {
  readonly element: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private readonly track: HTMLElement;
  private readonly thumbEl: HTMLElement;
  private rows: RowEls[] = [];
  private source: HexDataSource = { start: 0, end: 0, read: async (offset) => ({ offset, bytes: EMPTY }) };
  private cache: PageCache<CachedPage>;
  private readonly pageSize: number;
  private readonly classNames: string[] = [''];
  private readonly classIndex = new Map<string, number>([['', 0]]);
  private bpr: BytesPerRow;
  private top = 0;
  private rowPx = 20;
  /** Viewport and track heights, measured by the ResizeObserver (reading them in render() would force layout). */
  private viewportPx = 0;
  private widthPx = 0;
  private fit: boolean;
  /** A hidden 32-byte row measured to know how wide a row of n bytes is (fonts and theme CSS decide). */
  private probe: { row: HTMLElement; off: HTMLElement; hexCol: HTMLElement; hex: HTMLElement[]; txt: HTMLElement[] } | undefined;
  private trackPx = 0;
  private wheelCarry = 0;
  private follow: boolean;
  private anchor = -1;
  private active = -1;
  private dragging = false;
  private highlights: readonly HexSpan[] = [];
  private renderQueued = false;
  /** Bumped whenever what a row shows may change (data, selection, highlights); scrolling does not bump it. */
  private version = 0;
  private disposed = false;
  private readonly resize: ResizeObserver;

  private readonly _onDidChangeSelection = new Emitter<HexSelection>();
  /** Fires when the cursor or the selection changes (by mouse, keyboard or select()). */
  readonly onDidChangeSelection = this._onDidChangeSelection.event;
  private readonly _onDidClickByte = new Emitter<number>();
  /** Fires with the offset of a byte the user clicked. */
  readonly onDidClickByte = this._onDidClickByte.event;

  constructor(
    parent: HTMLElement,
    private readonly opts: HexViewOptions = {},
  ) {
    this.bpr = opts.bytesPerRow ?? 16;
    this.pageSize = opts.pageSize ?? 4096;
    this.follow = opts.followTail ?? false;
    this.fit = opts.fit ?? false;
    this.cache = this.newCache();

    this.element = h('div', 'hex-view');
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'grid');
    this.element.setAttribute('aria-label', opts.ariaLabel ?? 'hex');
    this.rowsEl = h('div', 'hex-rows');
    this.track = h('div', 'hex-track');
    this.thumbEl = h('div', 'hex-thumb');
    this.track.append(this.thumbEl);
    this.element.append(this.rowsEl, this.track);
    parent.append(this.element);

    this.rowsEl.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.rowsEl.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.rowsEl.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.rowsEl.addEventListener('pointerup', () => (this.dragging = false));
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.track.addEventListener('pointerdown', (e) => this.onTrackDown(e));
    this.resize = new ResizeObserver((entries) => {
      for (const e of entries) {
        if (e.target !== this.rowsEl) continue;
        this.viewportPx = e.contentRect.height;
        this.widthPx = e.contentRect.width;
      }
      this.trackPx = this.viewportPx;
      this.layout();
    });
    this.resize.observe(this.rowsEl);
    // until the first measurement, assume the viewer fills the window: rows can be pulled right away
    this.viewportPx = this.trackPx = globalThis.innerHeight || 400;
    this.buildRows(Math.ceil(this.viewportPx / this.rowPx) + 1);
  }

  // ---------- public API ----------

  /** Shows another data source; forgets cached pages and the selection. */
  setSource(source: HexDataSource, keepView = false): void {
    this.source = source;
    this.version++;
    this.cache.clear();
    this.cache = this.newCache();
    if (!keepView) {
      this.anchor = this.active = -1;
      this.top = this.follow ? maxTop(this.geo()) : rowOf(source.start, this.bpr);
    }
    this.render();
  }

  /** The source's range changed (data appended or dropped): drops the stale tail page and redraws. */
  rangeChanged(previousEnd: number): void {
    this.cache.invalidateFrom(Math.floor(previousEnd / this.pageSize));
    this.version++;
    if (this.follow) this.top = maxTop(this.geo());
    this.queueRender();
  }

  get bytesPerRow(): BytesPerRow {
    return this.bpr;
  }

  /** Turns choosing bytes per row from the width on (and applies it now) or off. */
  setFit(on: boolean): void {
    this.fit = on;
    if (on) this.layout();
  }

  /** Shows `n` bytes per row (fitting stays as set: call setFit(false) for a fixed choice). */
  setBytesPerRow(n: BytesPerRow): void {
    if (n === this.bpr) return;
    const keep = this.active >= 0 ? this.active : this.top * this.bpr;
    this.bpr = n;
    this.buildRows();
    this.top = centerRow(rowOf(keep, n), this.geo());
    this.queueRender();
  }

  /** Colours byte ranges with a class (e.g. a protocol field), on top of the source's spans. */
  setHighlights(spans: readonly HexSpan[]): void {
    this.highlights = spans;
    this.version++;
    this.queueRender();
  }

  get selection(): HexSelection | undefined {
    if (this.active < 0) return undefined;
    const a = Math.min(this.anchor, this.active);
    const b = Math.max(this.anchor, this.active);
    return this.anchor === this.active ? { start: a, end: a, cursor: this.active } : { start: a, end: b + 1, cursor: this.active };
  }

  /** Selects [start, end) (a cursor when end <= start + 1 and `cursorOnly`), and scrolls it into view. */
  select(start: number, end: number, reveal = true): void {
    const lo = Math.max(this.source.start, Math.min(start, this.source.end - 1));
    const hi = Math.max(lo, Math.min(end - 1, this.source.end - 1));
    this.anchor = lo;
    this.active = end > start + 1 ? hi : lo;
    if (reveal) this.revealOffset(lo, true);
    this.selectionChanged();
  }

  /** Scrolls so `offset` is visible (centred when `center`). */
  revealOffset(offset: number, center = false): void {
    const g = this.geo();
    const row = rowOf(offset, this.bpr);
    this.top = center ? centerRow(row, g) : revealRow(row, this.top, g);
    this.follow = false;
    this.queueRender();
  }

  /** Reads bytes through the page cache (the data inspector and copy use this). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const from = Math.max(offset, this.source.start);
    const to = Math.min(offset + length, this.source.end);
    if (to <= from) return EMPTY;
    const out = new Uint8Array(to - from);
    let got = 0;
    for (let p = Math.floor(from / this.pageSize); p * this.pageSize < to; p++) {
      const page = await this.cache.get(p);
      const a = Math.max(from, page.offset);
      const b = Math.min(to, page.offset + page.bytes.length);
      if (b > a) {
        out.set(page.bytes.subarray(a - page.offset, b - page.offset), a - from);
        got = Math.max(got, b - from);
      }
    }
    return out.subarray(0, got);
  }

  /** Top row on screen (absolute); exposed for state saving and benchmarks. */
  get topRow(): number {
    return this.top;
  }

  scrollToRow(row: number): void {
    this.top = clampTop(row, this.geo());
    this.follow = this.top >= maxTop(this.geo());
    this.render();
  }

  focus(): void {
    this.element.focus();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.resize.disconnect();
    this._onDidChangeSelection.dispose();
    this._onDidClickByte.dispose();
    this.cache.clear();
    this.element.remove();
  }

  // ---------- data ----------

  private newCache(): PageCache<CachedPage> {
    return new PageCache<CachedPage>(async (index) => {
      const off = index * this.pageSize;
      const from = Math.max(off, this.source.start);
      const to = Math.min(off + this.pageSize, this.source.end);
      if (to <= from) return { offset: from, bytes: EMPTY, attr: EMPTY };
      const page = await this.source.read(from, to - from);
      return this.indexPage(page);
    }, this.opts.maxPages ?? 64);
  }

  private indexPage(page: HexPage): CachedPage {
    const attr = new Uint8Array(page.bytes.length);
    for (const s of page.spans ?? []) {
      const ci = this.classOf(s.cls);
      const a = Math.max(0, s.offset - page.offset);
      const b = Math.min(attr.length, s.offset + s.length - page.offset);
      if (b > a) attr.fill(ci, a, b);
      if (s.offset >= page.offset && s.offset < page.offset + attr.length) attr[s.offset - page.offset] |= 0x80;
    }
    return { offset: page.offset, bytes: page.bytes, attr };
  }

  private classOf(cls: string): number {
    let i = this.classIndex.get(cls);
    if (i === undefined) {
      i = this.classNames.length < 127 ? this.classNames.length : 0;
      if (i) {
        this.classNames.push(cls);
        this.classIndex.set(cls, i);
      }
    }
    return i;
  }

  // ---------- layout and rendering ----------

  private geo(): Geometry {
    return geometry(this.source.start, this.source.end, this.bpr, this.viewportPx || this.rowPx * 20, this.rowPx);
  }

  private layout(): void {
    if (this.disposed) return;
    const probe = this.rows[0]?.row;
    if (probe && probe.offsetHeight > 0) this.rowPx = probe.offsetHeight;
    if (this.fit && this.widthPx > 0) this.setBytesPerRow(this.fittingBytesPerRow());
    // rows are only ever added: a shrinking viewport hides the spare ones instead of rebuilding
    if (this.visibleRowCount() > this.rows.length || this.rows[0]?.hex.length !== this.bpr) this.buildRows(this.visibleRowCount());
    if (this.follow) this.top = maxTop(this.geo()); // a resized viewport keeps showing the tail
    this.render();
  }

  /** The most bytes per row whose offset, hex and text columns fit the width without clipping. */
  private fittingBytesPerRow(): BytesPerRow {
    if (!this.probe) {
      const row = h('div', 'hex-row hex-probe');
      row.setAttribute('aria-hidden', 'true');
      const off = h('span', 'hex-off');
      const hexCol = h('span', 'hex-hex');
      const txtCol = h('span', 'hex-txt');
      const hex: HTMLElement[] = [];
      const txt: HTMLElement[] = [];
      for (let c = 0; c < 32; c++) {
        const [b, t] = cellPair(c);
        b.textContent = '00';
        t.textContent = '.';
        hex.push(b);
        txt.push(t);
        hexCol.append(b);
        txtCol.append(t);
      }
      row.append(off, hexCol, txtCol);
      this.element.append(row);
      this.probe = { row, off, hexCol, hex, txt };
    }
    const p = this.probe;
    setText(p.off, formatOffset(0, offsetWidth(this.source.end)));
    const pad = parseFloat(getComputedStyle(p.hexCol).paddingRight) || 0;
    const charPx = p.txt[0].getBoundingClientRect().width;
    const rowLeft = p.row.getBoundingClientRect().left;
    for (const n of FIT_CHOICES) {
      // where the hex column ends for n bytes: the next cell's left edge (after any group gap), or the last cell's right
      const hexEnd = n < p.hex.length ? p.hex[n].getBoundingClientRect().left : p.hex[n - 1].getBoundingClientRect().right;
      const need = hexEnd - rowLeft + pad + n * charPx + 2;
      if (need <= this.widthPx) return n;
    }
    return FIT_CHOICES[FIT_CHOICES.length - 1];
  }

  private visibleRowCount(): number {
    return Math.max(1, Math.ceil((this.viewportPx || this.rowPx * 20) / this.rowPx) + 1);
  }

  private buildRows(count = Math.max(this.rows.length, this.visibleRowCount())): void {
    this.rowsEl.textContent = '';
    this.rows = [];
    for (let r = 0; r < count; r++) {
      const row = h('div', 'hex-row');
      row.setAttribute('role', 'row');
      row.dataset.r = String(r);
      row.hidden = true;
      const off = h('span', 'hex-off');
      const hexCol = h('span', 'hex-hex');
      const txtCol = h('span', 'hex-txt');
      const hex: HTMLElement[] = [];
      const txt: HTMLElement[] = [];
      for (let c = 0; c < this.bpr; c++) {
        const [b, t] = cellPair(c);
        hex.push(b);
        txt.push(t);
        hexCol.append(b);
        txtCol.append(t);
      }
      row.append(off, hexCol, txtCol);
      this.rowsEl.append(row);
      this.rows.push({ row, off, hex, txt, shownRow: -1, version: -1 });
    }
  }

  private queueRender(): void {
    if (this.renderQueued || this.disposed) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  /** Formats only the rows on screen, straight from cached pages through lookup tables. */
  render(): void {
    if (this.disposed) return;
    const g = this.geo();
    this.top = clampTop(this.top, g);
    const bpr = this.bpr;
    const width = offsetWidth(this.source.end);
    const sel = this.selection;
    const paint: Paint = { selA: sel ? sel.start : -1, selB: sel ? Math.max(sel.end, sel.start + 1) : -1, cursor: sel ? sel.cursor : -1 };
    let missing = 0;
    let shown = 0;
    // The row elements form a ring: absolute row R lives in element R mod N and is moved with a
    // transform, so a scroll step redraws only the rows that scrolled in (no re-layout of the rest).
    const n = this.rows.length;
    const first = this.top;
    const last = Math.min(this.top + this.visibleRowCount(), g.firstRow + g.rowCount);
    const used = new Uint8Array(n);
    for (let row = first; row < last; row++) {
      const slot = row % n;
      const els = this.rows[slot];
      used[slot] = 1;
      shown++;
      if (els.row.hidden) els.row.hidden = false;
      els.row.style.transform = `translateY(${(row - first) * this.rowPx}px)`;
      if (els.shownRow === row && els.version === this.version) continue;
      els.shownRow = row;
      els.version = this.version;
      els.row.dataset.row = String(row);
      const base = row * bpr;
      setText(els.off, formatOffset(base, width));
      const pi = Math.floor(base / this.pageSize);
      const page = this.cache.peek(pi);
      if (!page) {
        missing++;
        els.version = -1;
        void this.cache.get(pi).then(
          () => {
            this.version++;
            this.queueRender();
          },
          () => undefined,
        );
      }
      this.paintCells(els, base, page, paint);
    }
    for (let slot = 0; slot < n; slot++) {
      if (used[slot] || this.rows[slot].row.hidden) continue;
      this.rows[slot].row.hidden = true;
      this.rows[slot].shownRow = -1;
    }
    this.paintThumb(g);
    this.element.dataset.top = String(this.top);
    if (missing === 0) this.element.dispatchEvent(new CustomEvent('hexrendered', { bubbles: true, detail: { rows: shown, top: this.top } }));
  }

  /** One row's byte and text cells: held bytes with their classes, bytes outside the source blank, pending ones dotted. */
  private paintCells(els: RowEls, base: number, page: CachedPage | undefined, p: Paint): void {
    const { start, end } = this.source;
    const hl = this.highlights;
    for (let c = 0; c < this.bpr; c++) {
      const o = base + c;
      const h = els.hex[c];
      const t = els.txt[c];
      if (o < start || o >= end) {
        setText(h, '  ');
        setText(t, ' ');
        setClass(h, 'hb none');
        setClass(t, 'hc none');
        continue;
      }
      const i = page ? o - page.offset : -1;
      if (!page || i < 0 || i >= page.bytes.length) {
        setText(h, '··');
        setText(t, ' ');
        setClass(h, 'hb wait');
        setClass(t, 'hc wait');
        continue;
      }
      const b = page.bytes[i];
      const a = page.attr[i];
      let cls = this.classNames[a & 0x7f];
      if (a & 0x80) cls += ' bnd';
      if (o >= p.selA && o < p.selB) cls += ' sel';
      if (o === p.cursor) cls += ' cur';
      for (let k = 0; k < hl.length; k++) if (o >= hl[k].offset && o < hl[k].offset + hl[k].length) cls += ' ' + hl[k].cls;
      setText(h, HEX_BYTE[b]);
      setText(t, TEXT_CHAR[b]);
      setClass(h, 'hb ' + cls);
      setClass(t, 'hc ' + cls);
    }
  }

  private paintThumb(g: Geometry): void {
    const tb = thumb(this.top, g, this.trackPx);
    this.track.hidden = !tb.visible;
    this.thumbEl.style.height = `${tb.size}px`;
    this.thumbEl.style.transform = `translateY(${tb.pos}px)`;
  }

  // ---------- input ----------

  private scrollBy(rows: number): void {
    if (!rows) return;
    const g = this.geo();
    this.top = clampTop(this.top + rows, g);
    this.follow = this.top >= maxTop(g);
    this.render();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const g = this.geo();
    const w = wheelRows(e.deltaY, e.deltaMode, this.rowPx, g.pageRows, this.wheelCarry);
    this.wheelCarry = w.carry;
    this.scrollBy(w.rows);
  }

  private offsetAt(target: EventTarget | null): number | undefined {
    const cell = (target as HTMLElement | null)?.closest?.('[data-c]') as HTMLElement | null;
    const row = cell?.parentElement?.parentElement as HTMLElement | null;
    if (!cell || !row?.dataset.row) return undefined;
    const o = Number(row.dataset.row) * this.bpr + Number(cell.dataset.c);
    return o >= this.source.start && o < this.source.end ? o : undefined;
  }

  private onPointerDown(e: PointerEvent): void {
    const o = this.offsetAt(e.target);
    if (o === undefined) return;
    this.element.focus();
    if (e.shiftKey && this.anchor >= 0) this.active = o;
    else this.anchor = this.active = o;
    this.dragging = true;
    this.element.classList.toggle('text-side', (e.target as HTMLElement).classList.contains('hc'));
    this.selectionChanged();
    this._onDidClickByte.fire(o);
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.dragging || !(e.buttons & 1)) return;
    const o = this.offsetAt(e.target);
    if (o === undefined || o === this.active) return;
    this.active = o;
    this.selectionChanged();
  }

  private onTrackDown(e: PointerEvent): void {
    if (e.target === this.thumbEl) {
      const g = this.geo();
      const startY = e.clientY;
      const startPos = thumb(this.top, g, this.trackPx).pos;
      this.thumbEl.setPointerCapture(e.pointerId);
      const move = (m: PointerEvent) => {
        this.top = topFromThumb(startPos + m.clientY - startY, this.geo(), this.trackPx);
        this.follow = this.top >= maxTop(this.geo());
        this.render();
      };
      const up = () => {
        this.thumbEl.removeEventListener('pointermove', move);
        this.thumbEl.removeEventListener('pointerup', up);
      };
      this.thumbEl.addEventListener('pointermove', move);
      this.thumbEl.addEventListener('pointerup', up);
    } else {
      const g = this.geo();
      const below = e.clientY - this.track.getBoundingClientRect().top > thumb(this.top, g, this.trackPx).pos;
      this.scrollBy(below ? g.pageRows : -g.pageRows);
    }
    e.preventDefault();
  }

  private onKey(e: KeyboardEvent): void {
    const g = this.geo();
    const { start, end } = this.source;
    if (end <= start) return;
    const cur = this.active >= 0 ? this.active : this.top * this.bpr;
    let next: number | undefined;
    switch (e.key) {
      case 'ArrowLeft':
        next = cur - 1;
        break;
      case 'ArrowRight':
        next = cur + 1;
        break;
      case 'ArrowUp':
        next = cur - this.bpr;
        break;
      case 'ArrowDown':
        next = cur + this.bpr;
        break;
      case 'PageUp':
        next = cur - g.pageRows * this.bpr;
        break;
      case 'PageDown':
        next = cur + g.pageRows * this.bpr;
        break;
      case 'Home':
        next = e.ctrlKey || e.metaKey ? start : cur - (cur % this.bpr);
        break;
      case 'End':
        next = e.ctrlKey || e.metaKey ? end - 1 : cur - (cur % this.bpr) + this.bpr - 1;
        break;
      case 'a':
        if (e.ctrlKey || e.metaKey) {
          e.preventDefault();
          this.anchor = start;
          this.active = end - 1;
          this.selectionChanged();
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    next = Math.min(Math.max(next, start), end - 1);
    if (!e.shiftKey || this.anchor < 0) this.anchor = next;
    this.active = next;
    this.top = revealRow(rowOf(next, this.bpr), this.top, g);
    this.follow = false;
    this.selectionChanged();
  }

  private selectionChanged(): void {
    this.version++;
    this.render();
    const s = this.selection;
    if (s) this._onDidChangeSelection.fire(s);
  }
}


/** Column `c`'s hex cell and text cell. */
function cellPair(c: number): [HTMLElement, HTMLElement] {
  const b = h('span', 'hb');
  const t = h('span', 'hc');
  b.dataset.c = t.dataset.c = String(c);
  return [b, t];
}

// Writing the same value again still costs layout work in some engines; skip unchanged cells.
function setText(e: HTMLElement, s: string): void {
  if (e.textContent !== s) e.textContent = s;
}

function setClass(e: HTMLElement, s: string): void {
  if (e.className !== s) e.className = s;
}
