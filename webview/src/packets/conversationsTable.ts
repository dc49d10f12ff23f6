// Statistics → Conversations, as in Wireshark: one row per TCP connection or UDP conversation, packets and bytes
// each way, relative start and duration. The host sorts and searches every conversation and sends one page at a
// time; the table is one grid with one Tab stop: the arrow keys, Home/End and PageUp/PageDown move the selection
// (across pages), choosing a row shows its I/O graph, Enter (or a double click) shows just its packets in the list.
import type { ConversationPage, ConversationQuery, ConversationSort, ConversationStat } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';

/** Rows a page shows. */
export const TABLE_PAGE = 100;
/** Rows PageUp/PageDown move. */
const PAGE_STEP = 10;

interface Column {
  readonly label: string;
  readonly sort: ConversationSort;
  readonly numeric: boolean;
  readonly text: (c: ConversationStat) => string;
}

const num = new Intl.NumberFormat();
/** The relative start as tshark's -z conv prints it: to the ns (%.9f). */
const start = (s: number) => s.toFixed(9);
const secs = (s: number) => s.toFixed(6);

function columns(): Column[] {
  const count = (label: string, sort: ConversationSort, value: (c: ConversationStat) => number): Column => ({ label, sort, numeric: true, text: (c) => num.format(value(c)) });
  return [
    { label: t('Protocol'), sort: 'proto', numeric: false, text: (c) => c.proto.toUpperCase() },
    { label: t('Address A'), sort: 'a', numeric: false, text: (c) => c.a },
    { label: t('Address B'), sort: 'b', numeric: false, text: (c) => c.b },
    count(t('Packets'), 'packets', (c) => c.aToB.packets + c.bToA.packets),
    count(t('Bytes'), 'bytes', (c) => c.aToB.bytes + c.bToA.bytes),
    count(t('Packets A → B'), 'aToBPackets', (c) => c.aToB.packets),
    count(t('Bytes A → B'), 'aToBBytes', (c) => c.aToB.bytes),
    count(t('Packets B → A'), 'bToAPackets', (c) => c.bToA.packets),
    count(t('Bytes B → A'), 'bToABytes', (c) => c.bToA.bytes),
    { label: t('Rel. start (s)'), sort: 'start', numeric: true, text: (c) => start(c.start) },
    { label: t('Duration (s)'), sort: 'duration', numeric: true, text: (c) => secs(c.duration) },
  ];
}

export interface ConversationsTableHost {
  /** A page of the sorted, searched conversations (the host holds them all). */
  page(q: ConversationQuery): Promise<ConversationPage>;
  /** A row was chosen (click, arrow keys, Space): its graph is wanted. */
  select(c: ConversationStat): void;
  /** Enter or a double click on a row: show only its packets. */
  filter(c: ConversationStat): void;
}

export class ConversationsTable {
  readonly element = h('div', 'pk-conv');
  private readonly search = h('input', 'pk-input pk-conv-search');
  private readonly wrap = h('div', 'pk-conv-table-wrap');
  private readonly table = h('table', 'pk-conv-table');
  private readonly body = h('tbody');
  private readonly pager = h('div', 'pk-conv-pager');
  private readonly range = h('span', 'pk-conv-range');
  private readonly prev = h('button', 'pk-btn secondary pk-conv-prev', t('Previous'));
  private readonly next = h('button', 'pk-btn secondary pk-conv-next', t('Next'));
  private readonly note = h('div', 'pk-note pk-conv-note');
  private readonly cols = columns();
  /** Sorted by total bytes, largest first, as tshark prints them. */
  private sortBy = 4;
  private descending = true;
  private data: ConversationPage | undefined;
  /** Position (in the matched list) of the row holding the Tab stop. */
  private active = 0;
  private selectedRow: ConversationStat | undefined;
  private seq = 0;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ConversationsTableHost) {
    this.search.type = 'search';
    this.search.placeholder = t('Search addresses and ports');
    this.search.setAttribute('aria-label', t('Search conversations by address or port'));
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => void this.load(0, false), 200);
    });
    this.table.setAttribute('role', 'grid');
    this.table.setAttribute('aria-label', t('Conversations'));
    this.table.addEventListener('keydown', (e) => this.onKey(e));
    this.wrap.append(this.table);
    for (const [b, step] of [[this.prev, -TABLE_PAGE], [this.next, TABLE_PAGE]] as const) {
      b.type = 'button';
      b.addEventListener('click', () => void this.load(Math.max(0, (this.data?.offset ?? 0) + step), false));
    }
    this.range.setAttribute('aria-live', 'polite');
    this.pager.append(this.search, h('span', 'pk-grow'), this.range, this.prev, this.next);
    this.element.append(this.pager, this.wrap, this.note);
  }

  /** The chosen conversation (its row as last loaded). */
  get selected(): ConversationStat | undefined {
    return this.selectedRow;
  }

  /** Loads the page shown again (a live capture grows), keeping the query and the selection. */
  async refresh(): Promise<void> {
    await this.load(this.data?.offset ?? 0, false);
  }

  private query(offset: number): ConversationQuery {
    return { offset, count: TABLE_PAGE, sort: this.cols[this.sortBy].sort, descending: this.descending, search: this.search.value.trim() };
  }

  /** Loads the page from `offset`; `focus`: the active row takes the focus (keyboard moves across pages). */
  private async load(offset: number, focus: boolean): Promise<void> {
    const seq = ++this.seq;
    const page = await this.host.page(this.query(offset));
    if (seq !== this.seq) return;
    this.data = page;
    const at = page.rows.findIndex((c) => c.key === this.selectedRow?.key);
    if (at >= 0) this.selectedRow = page.rows[at];
    if (this.active < page.offset || this.active >= page.offset + page.rows.length) this.active = at >= 0 ? page.offset + at : page.offset;
    this.render();
    this.showNotes(page);
    if (focus) this.rowAt(this.active)?.focus();
  }

  private showNotes(page: ConversationPage): void {
    const first = page.rows.length ? page.offset + 1 : 0;
    this.range.textContent = page.matched === page.total
      ? t('{0}–{1} of {2}', num.format(first), num.format(page.offset + page.rows.length), num.format(page.total))
      : t('{0}–{1} of {2} matching (of {3})', num.format(first), num.format(page.offset + page.rows.length), num.format(page.matched), num.format(page.total));
    this.prev.disabled = page.offset === 0;
    this.next.disabled = page.offset + page.rows.length >= page.matched;
    const notes = [];
    if (page.total === 0) notes.push(t('No TCP or UDP conversation in this capture.'));
    else if (page.matched === 0) notes.push(t('No conversation matches "{0}".', this.search.value.trim()));
    if (page.omitted) notes.push(t('{0} packets belong to conversations beyond the {1} listed.', num.format(page.omitted), num.format(page.total)));
    this.note.textContent = notes.join(' ');
  }

  private render(): void {
    const page = this.data;
    if (!page) return;
    const head = h('tr');
    head.setAttribute('aria-rowindex', '1');
    this.cols.forEach((c, i) => head.append(this.headerCell(c, i)));
    const thead = h('thead');
    thead.append(head);
    this.body.replaceChildren(...page.rows.map((c, k) => this.row(c, page.offset + k)));
    this.table.setAttribute('aria-rowcount', String(page.matched + 1));
    this.table.replaceChildren(thead, this.body);
  }

  private headerCell(c: Column, i: number): HTMLTableCellElement {
    const th = h('th', c.numeric ? 'num' : '');
    th.scope = 'col';
    th.setAttribute('role', 'columnheader');
    if (i === this.sortBy) th.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
    const b = h('button', 'pk-conv-sort', c.label + (i === this.sortBy ? (this.descending ? ' ▼' : ' ▲') : ''));
    b.type = 'button';
    b.title = t('Sort by this column');
    b.addEventListener('click', () => {
      this.descending = i === this.sortBy ? !this.descending : c.numeric;
      this.sortBy = i;
      this.active = 0;
      void this.load(0, false).then(() => (this.table.querySelectorAll('.pk-conv-sort')[i] as HTMLElement | undefined)?.focus());
    });
    th.append(b);
    return th;
  }

  private row(c: ConversationStat, pos: number): HTMLTableRowElement {
    const tr = h('tr', 'pk-conv-row');
    tr.setAttribute('role', 'row');
    tr.setAttribute('aria-rowindex', String(pos + 2));
    tr.tabIndex = pos === this.active ? 0 : -1;
    tr.dataset.key = c.key;
    tr.dataset.pos = String(pos);
    tr.setAttribute('aria-selected', String(c.key === this.selectedRow?.key));
    for (const col of this.cols) {
      const td = h('td', col.numeric ? 'num' : '', col.text(c));
      td.setAttribute('role', 'gridcell');
      tr.append(td);
    }
    tr.title = t('Enter or double-click: show only this conversation\'s packets ({0})', c.filter);
    tr.addEventListener('click', () => this.choose(pos, false));
    tr.addEventListener('dblclick', () => this.host.filter(c));
    return tr;
  }

  private rowAt(pos: number): HTMLTableRowElement | undefined {
    return this.body.querySelector<HTMLTableRowElement>(`.pk-conv-row[data-pos="${pos}"]`) ?? undefined;
  }

  /** Makes row `pos` the selection and the Tab stop, loading its page first when it is on another. */
  private async choose(pos: number, focus: boolean): Promise<void> {
    const page = this.data;
    if (!page || page.matched === 0) return;
    pos = Math.min(page.matched - 1, Math.max(0, pos));
    this.active = pos;
    if (pos < page.offset || pos >= page.offset + page.rows.length) await this.load(Math.floor(pos / TABLE_PAGE) * TABLE_PAGE, false);
    const c = this.data?.rows[pos - (this.data?.offset ?? 0)];
    if (!c) return;
    this.selectedRow = c;
    for (const r of this.body.querySelectorAll<HTMLElement>('.pk-conv-row')) {
      const mine = Number(r.dataset.pos) === pos;
      r.tabIndex = mine ? 0 : -1;
      r.setAttribute('aria-selected', String(mine));
    }
    const tr = this.rowAt(pos);
    if (focus) tr?.focus();
    tr?.scrollIntoView({ block: 'nearest' });
    this.host.select(c);
  }

  private onKey(e: KeyboardEvent): void {
    const row = (e.target as HTMLElement).closest('.pk-conv-row');
    if (!row || !this.data) return;
    const pos = Number((row as HTMLElement).dataset.pos);
    const last = this.data.matched - 1;
    const to = { ArrowDown: pos + 1, ArrowUp: pos - 1, PageDown: pos + PAGE_STEP, PageUp: pos - PAGE_STEP, Home: 0, End: last }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      void this.choose(to, true);
    } else if (e.key === ' ') {
      e.preventDefault();
      void this.choose(pos, true);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const c = this.data.rows[pos - this.data.offset];
      if (c) this.host.filter(c);
    }
  }
}
