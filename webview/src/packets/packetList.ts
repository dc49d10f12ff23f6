// The virtualised packet list: Wireshark's columns, only the rows on screen in the DOM, rows pulled
// from the host a page at a time (per filter generation), keyboard selection like a native list.
import { Emitter } from '../../../src/shared/disposable';
import type { PacketRow, RowsPage } from '../../../src/shared/packetPanelProtocol';
import { computeRowWindow, pagesFor, RowPageCache, scrollTopForRow, ROWS_PER_PAGE } from './rowWindow';
import { h } from '../dom';
import { t } from '../strings';

type Column = 'no' | 'time' | 'source' | 'destination' | 'protocol' | 'length' | 'info';
const COLS: readonly Column[] = ['no', 'time', 'source', 'destination', 'protocol', 'length', 'info'];
/** Column headings, in the UI language (read when the list is built, after the host's strings arrived). */
const heading = (c: Column): string =>
  ({ no: t('No.'), time: t('Time'), source: t('Source'), destination: t('Destination'), protocol: t('Protocol'), length: t('Length'), info: t('Info') })[c];
/** Widths in px of every column but Info, which takes the rest (at least INFO_MIN_PX); see fittedWidths. */
export const DEFAULT_WIDTHS: readonly number[] = [56, 72, 90, 90, 64, 54]; // No. fits 6 digits (100,000 packets)
/** What the columns must show whole by default: No. of 100,000 packets, a time to the µs (< 10,000 s), a full IPv4 address. */
const FIT_SAMPLES: readonly string[] = ['999999', '9999.999999', '255.255.255.255', '255.255.255.255'];
/** Columns whose text may still be cut (IPv6 addresses, a ns time past 10 s, long Info): the whole text is their tooltip. */
const TOOLTIP_COLS: ReadonlySet<Column> = new Set(['time', 'source', 'destination', 'info']);
const MIN_COL_PX = 32;
const INFO_MIN_PX = 200;

function cellText(r: PacketRow, c: Column): string {
  switch (c) {
    case 'no': return String(r.no);
    case 'time': return r.time.toFixed(r.nanos ? 9 : 6); // as Wireshark: 9 decimals on a capture stamped in ns
    case 'length': return String(r.length);
    default: return r[c];
  }
}

/** VS Code's context menu on a row (package.json webview/context): Follow Stream gets the packet. */
function rowContext(row: PacketRow): string {
  return JSON.stringify({ webviewSection: 'packetRow', packetIndex: row.index, preventDefaultContextMenuItems: true });
}

export class PacketList {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private readonly emptyEl: HTMLElement;
  private readonly cache = new RowPageCache(24, ROWS_PER_PAGE);
  private readonly inFlight = new Set<string>();
  private pool: HTMLElement[] = [];
  private total = 0;
  private rowPx = 22;
  /** Selected position in the filtered list and the capture-wide index it showed. */
  private selPos = -1;
  private selIndex = -1;
  private renderQueued = false;
  private emptyText = '';
  private readonly _onDidSelect = new Emitter<PacketRow>();
  readonly onDidSelect = this._onDidSelect.event;

  private readonly head: HTMLElement;
  private widths: number[];
  /** No saved widths: fit the defaults to the font once the list is laid out. */
  private fitPending: boolean;
  private readonly _onDidResizeColumns = new Emitter<readonly number[]>();
  /** A column border was dragged (or moved with the arrow keys): the widths of all but Info. */
  readonly onDidResizeColumns = this._onDidResizeColumns.event;

  constructor(
    parent: HTMLElement,
    private readonly fetch: (start: number, count: number) => Promise<RowsPage>,
    widths?: readonly number[],
  ) {
    this.fitPending = !widths;
    this.widths = DEFAULT_WIDTHS.map((d, i) => (widths && Number.isFinite(widths[i]) ? Math.max(MIN_COL_PX, widths[i]) : d));
    this.element = h('div', 'pk-list');
    this.element.setAttribute('role', 'grid');
    this.element.setAttribute('aria-label', t('Packet list'));
    this.element.setAttribute('aria-multiselectable', 'false');
    this.element.tabIndex = 0;
    // The header scrolls with the body (its scrollLeft follows the body's), so labels stay over their columns.
    const head = h('div', 'pk-head');
    this.head = head;
    const headCols = h('div', 'pk-cols');
    headCols.setAttribute('role', 'row');
    COLS.forEach((c, i) => {
      const head = h('span', `pk-c pk-c-${c}`);
      head.setAttribute('role', 'columnheader');
      head.textContent = heading(c);
      headCols.append(head);
      if (i < this.widths.length) head.append(this.resizeHandle(i, t('Resize column {0} (Left/Right arrow)', heading(c))));
    });
    head.append(headCols);
    this.scroller = h('div', 'pk-scroll');
    this.spacer = h('div', 'pk-spacer');
    this.rowsEl = h('div', 'pk-rows');
    this.rowsEl.setAttribute('role', 'rowgroup');
    this.emptyEl = h('div', 'pk-empty');
    this.spacer.append(this.rowsEl);
    this.scroller.append(this.spacer, this.emptyEl);
    this.element.append(head, this.scroller);
    parent.append(this.element);

    this.applyWidths();
    this.scroller.addEventListener('scroll', () => {
      if (head.scrollLeft !== this.scroller.scrollLeft) head.scrollLeft = this.scroller.scrollLeft;
      this.queueRender();
    });
    this.rowsEl.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.pk-row');
      if (row?.dataset.pos) this.selectPosition(Number(row.dataset.pos), false);
      this.element.focus();
    });
    // A right-click selects its row first (the menu acts on it, as in Wireshark).
    this.rowsEl.addEventListener('contextmenu', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.pk-row');
      if (row?.dataset.pos) this.selectPosition(Number(row.dataset.pos), false);
      this.element.focus();
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => {
      if (this.fitPending && this.scroller.clientWidth > 0) {
        this.fitPending = false;
        this.widths = this.fittedWidths();
        this.applyWidths();
      }
      // The body's vertical scrollbar narrows it: pad the header by as much so Info's right edge matches too.
      head.style.paddingRight = `${this.scroller.offsetWidth - this.scroller.clientWidth}px`;
      this.queueRender();
    }).observe(this.scroller);
  }

  /** The default widths, widened so FIT_SAMPLES show whole in the rows' font (the defaults when not laid out). */
  private fittedWidths(): number[] {
    const probe = h('div', 'pk-row');
    probe.style.cssText = 'position: absolute; visibility: hidden; height: auto; white-space: nowrap';
    const cells = FIT_SAMPLES.map((text) => {
      const cell = h('span', 'pk-c', text);
      cell.style.display = 'inline-block';
      probe.append(cell);
      return cell;
    });
    this.element.append(probe);
    const fitted = DEFAULT_WIDTHS.map((d, i) => (i < cells.length ? Math.max(d, Math.ceil(cells[i].getBoundingClientRect().width) + 4) : d));
    probe.remove();
    return fitted;
  }

  get columnWidths(): readonly number[] {
    return this.widths;
  }

  private applyWidths(): void {
    this.element.style.setProperty('--pk-cols', `${this.widths.map((w) => `${w}px`).join(' ')} minmax(${INFO_MIN_PX}px, 1fr)`);
    this.element.style.setProperty('--pk-cols-min', `${this.widths.reduce((a, b) => a + b, 0) + INFO_MIN_PX}px`);
  }

  private setWidth(i: number, px: number): void {
    this.fitPending = false;
    this.widths[i] = Math.round(Math.max(MIN_COL_PX, Math.min(1000, px)));
    this.applyWidths();
    this.head.scrollLeft = this.scroller.scrollLeft;
  }

  /** The border at the right of column `i`: drag it, or focus it and press ←/→. */
  private resizeHandle(i: number, label: string): HTMLElement {
    const grip = h('span', 'pk-resize');
    grip.setAttribute('role', 'separator');
    grip.setAttribute('aria-orientation', 'vertical');
    grip.setAttribute('aria-label', label);
    grip.tabIndex = 0;
    const announce = () => grip.setAttribute('aria-valuenow', String(this.widths[i]));
    announce();
    grip.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      grip.setPointerCapture(e.pointerId);
      const startX = e.clientX;
      const startW = this.widths[i];
      const move = (m: PointerEvent) => this.setWidth(i, startW + m.clientX - startX);
      const up = () => {
        grip.removeEventListener('pointermove', move);
        grip.removeEventListener('pointerup', up);
        grip.removeEventListener('pointercancel', up);
        announce();
        this._onDidResizeColumns.fire(this.widths);
      };
      grip.addEventListener('pointermove', move);
      grip.addEventListener('pointerup', up);
      grip.addEventListener('pointercancel', up);
    });
    grip.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 10 : e.key === 'ArrowLeft' ? -10 : 0;
      if (!step) return;
      e.preventDefault();
      e.stopPropagation();
      this.setWidth(i, this.widths[i] + (e.shiftKey ? step * 5 : step));
      announce();
      this._onDidResizeColumns.fire(this.widths);
    });
    return grip;
  }

  /** A new filter result (new generation): forget cached rows, keep the selection if it still matches. */
  reset(generation: number, total: number, keepPos = -1): void {
    this.cache.reset(generation);
    this.inFlight.clear();
    this.total = total;
    this.selPos = keepPos;
    if (keepPos < 0) this.forgetSelectedRow();
    this.scroller.scrollTop = keepPos >= 0 ? Math.max(0, keepPos * this.rowPx - this.scroller.clientHeight / 2) : 0;
    this.queueRender();
  }

  /** More packets matched (a running capture): the last partial page may have grown. */
  grow(generation: number, total: number): void {
    if (generation !== this.cache.generation) return this.refresh(generation, total);
    if (total === this.total) return;
    const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - this.rowPx;
    this.cache.invalidate(Math.floor(this.total / ROWS_PER_PAGE));
    this.total = total;
    this.queueRender();
    if (atBottom && this.selPos < 0) requestAnimationFrame(() => (this.scroller.scrollTop = this.scroller.scrollHeight));
  }

  /** The capture forgot its oldest packets (rows moved): re-pull, keep the view and the selected packet. */
  private refresh(generation: number, total: number): void {
    const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - this.rowPx;
    this.cache.reset(generation);
    this.inFlight.clear();
    this.total = total;
    this.selPos = -1; // found again when the selected packet's row is drawn
    this.queueRender();
    if (atBottom) requestAnimationFrame(() => (this.scroller.scrollTop = this.scroller.scrollHeight));
  }

  setEmptyText(text: string): void {
    this.emptyText = text;
    this.queueRender();
  }

  get selectedIndex(): number {
    return this.selIndex;
  }

  /** Selects the row at `pos` in the filtered list (and scrolls it into view). */
  selectPosition(pos: number, reveal = true): void {
    if (this.total === 0) return;
    const p = Math.max(0, Math.min(this.total - 1, pos));
    this.selPos = p;
    const row = this.cache.row(p);
    // A row still being pulled is selected by position; fill() announces it once it arrives.
    if (row) this.fireSelect(row);
    else this.forgetSelectedRow();
    if (reveal) {
      this.scroller.scrollTop = scrollTopForRow(p, this.scroller.scrollTop, this.scroller.clientHeight, this.rowPx, this.total);
    }
    this.render();
  }

  focus(): void {
    this.element.focus();
  }

  /** No row is known to be selected (yet): the list has no row's context menu. */
  private forgetSelectedRow(): void {
    this.selIndex = -1;
    delete this.element.dataset.vscodeContext;
  }

  private fireSelect(row: PacketRow): void {
    if (row.index === this.selIndex) return;
    this.selIndex = row.index;
    this.element.setAttribute('aria-activedescendant', `pk-row-${row.index}`);
    // Shift+F10 / the Menu key open the context menu of the focused element, the list: it carries the selected row's.
    this.element.dataset.vscodeContext = rowContext(row);
    this._onDidSelect.fire(row);
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowPx) - 1);
    const cur = this.selPos < 0 ? -1 : this.selPos;
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = cur + 1;
    else if (e.key === 'ArrowUp') next = Math.max(0, cur - 1);
    else if (e.key === 'PageDown') next = cur + page;
    else if (e.key === 'PageUp') next = Math.max(0, cur - page);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.total - 1;
    if (next === undefined) return;
    e.preventDefault();
    this.selectPosition(next);
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    const w = computeRowWindow(this.scroller.scrollTop, this.scroller.clientHeight || 400, this.rowPx, this.total, 6);
    this.spacer.style.height = `${w.spacerPx}px`;
    this.rowsEl.style.transform = `translateY(${w.offsetPx}px)`;
    this.element.setAttribute('aria-rowcount', String(this.total + 1));
    this.emptyEl.textContent = this.total === 0 ? this.emptyText : '';
    this.emptyEl.hidden = this.total !== 0;
    const n = w.end - w.first;
    while (this.pool.length < n) this.pool.push(this.makeRow());
    for (let i = 0; i < this.pool.length; i++) {
      const rowEl = this.pool[i];
      if (i >= n) {
        if (rowEl.parentElement) rowEl.remove();
        continue;
      }
      if (!rowEl.parentElement || rowEl.parentElement !== this.rowsEl) this.rowsEl.append(rowEl);
      this.fill(rowEl, w.first + i);
    }
    // Put the rows in DOM order (pool index = on-screen order).
    for (let i = 0; i < n; i++) if (this.rowsEl.children[i] !== this.pool[i]) this.rowsEl.insertBefore(this.pool[i], this.rowsEl.children[i] ?? null);
    for (const p of pagesFor(w.first, w.end, ROWS_PER_PAGE)) if (!this.cache.has(p)) void this.ensurePage(p);
  }

  private makeRow(): HTMLElement {
    const r = h('div', 'pk-row pk-cols');
    r.setAttribute('role', 'row');
    for (const c of COLS) {
      const cell = h('span', `pk-c pk-c-${c}`);
      cell.setAttribute('role', 'gridcell');
      r.append(cell);
    }
    return r;
  }

  private fill(rowEl: HTMLElement, pos: number): void {
    const row = this.cache.row(pos);
    rowEl.dataset.pos = String(pos);
    rowEl.setAttribute('aria-rowindex', String(pos + 2));
    // The selection follows the packet, not the position (rows move when a capture forgets old ones).
    const selected = row ? row.index === this.selIndex || (this.selIndex < 0 && pos === this.selPos) : pos === this.selPos;
    if (row && row.index === this.selIndex) this.selPos = pos;
    rowEl.setAttribute('aria-selected', String(selected));
    rowEl.classList.toggle('selected', selected);
    const cells = rowEl.children;
    if (!row) {
      rowEl.id = '';
      rowEl.dataset.tone = 'wait';
      delete rowEl.dataset.index;
      delete rowEl.dataset.vscodeContext;
      for (let c = 0; c < cells.length; c++) cells[c].textContent = c === 0 ? String(pos + 1) : '';
      return;
    }
    rowEl.id = `pk-row-${row.index}`;
    rowEl.dataset.tone = row.tone;
    rowEl.dataset.index = String(row.index);
    rowEl.dataset.vscodeContext = rowContext(row);
    COLS.forEach((c, k) => {
      const t = cellText(row, c);
      if (cells[k].textContent === t) return;
      cells[k].textContent = t;
      if (TOOLTIP_COLS.has(c)) (cells[k] as HTMLElement).title = t;
    });
    if (selected && row.index !== this.selIndex) this.fireSelect(row);
  }

  private async ensurePage(page: number): Promise<void> {
    const gen = this.cache.generation;
    const key = `${gen}:${page}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      const res = await this.fetch(page * ROWS_PER_PAGE, ROWS_PER_PAGE);
      if (this.cache.put(res.generation, page, res.rows)) {
        if (res.matched > this.total && res.generation === gen) this.total = res.matched;
        this.queueRender();
      }
    } catch (e) {
      console.warn('packet list: page failed', e);
    } finally {
      this.inFlight.delete(key);
    }
  }
}

