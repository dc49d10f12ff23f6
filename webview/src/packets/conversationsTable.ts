// Statistics → Conversations, as in Wireshark: one row per TCP connection or UDP conversation, packets and bytes
// each way, relative start and duration; sortable by any column; choosing a row shows its I/O graph, and a double
// click (or the page's "Apply as filter") shows just its packets in the list.
import type { CaptureStatisticsData, ConversationStat } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';

/** Rows drawn at most (the largest first by default); the rest are counted under the table. */
export const MAX_TABLE_ROWS = 1000;

interface Column {
  readonly label: string;
  readonly value: (c: ConversationStat) => number | string;
  readonly numeric: boolean;
  readonly text?: (c: ConversationStat) => string;
}

const num = new Intl.NumberFormat();
/** The relative start as tshark's -z conv prints it: to the ns (%.9f). */
const start = (s: number) => s.toFixed(9);
const secs = (s: number) => s.toFixed(6);

function columns(): Column[] {
  const count = (label: string, value: (c: ConversationStat) => number): Column => ({ label, value, numeric: true, text: (c) => num.format(value(c)) });
  return [
    { label: t('Protocol'), value: (c) => c.proto.toUpperCase(), numeric: false },
    { label: t('Address A'), value: (c) => c.a, numeric: false },
    { label: t('Address B'), value: (c) => c.b, numeric: false },
    count(t('Packets'), (c) => c.aToB.packets + c.bToA.packets),
    count(t('Bytes'), (c) => c.aToB.bytes + c.bToA.bytes),
    count(t('Packets A → B'), (c) => c.aToB.packets),
    count(t('Bytes A → B'), (c) => c.aToB.bytes),
    count(t('Packets B → A'), (c) => c.bToA.packets),
    count(t('Bytes B → A'), (c) => c.bToA.bytes),
    { label: t('Rel. start (s)'), value: (c) => c.start, numeric: true, text: (c) => start(c.start) },
    { label: t('Duration (s)'), value: (c) => c.duration, numeric: true, text: (c) => secs(c.duration) },
  ];
}

export interface ConversationsTableHost {
  /** A row was chosen (click, Enter or Space): its graph is wanted. */
  select(c: ConversationStat): void;
  /** A row was double-clicked: show only its packets. */
  filter(c: ConversationStat): void;
}

export class ConversationsTable {
  readonly element = h('div', 'pk-conv-table-wrap');
  private readonly table = h('table', 'pk-conv-table');
  private readonly note = h('div', 'pk-note');
  private readonly cols = columns();
  /** Sorted by total bytes, largest first, as tshark prints them. */
  private sortBy = 4;
  private descending = true;
  private data: readonly ConversationStat[] = [];
  private selectedKey: string | undefined;

  constructor(private readonly host: ConversationsTableHost) {
    this.table.setAttribute('aria-label', t('Conversations'));
    this.element.append(this.table, this.note);
  }

  get selected(): string | undefined {
    return this.selectedKey;
  }

  show(stats: CaptureStatisticsData): void {
    this.data = stats.conversations;
    this.render();
    const hidden = Math.max(0, this.data.length - MAX_TABLE_ROWS);
    const notes = [];
    if (this.data.length === 0) notes.push(t('No TCP or UDP conversation in this capture.'));
    if (hidden) notes.push(t('{0} more conversations are not shown; sort by another column to see them.', num.format(hidden)));
    if (stats.omitted) notes.push(t('{0} packets belong to conversations beyond the {1} listed.', num.format(stats.omitted), num.format(this.data.length)));
    this.note.textContent = notes.join(' ');
  }

  private sorted(): ConversationStat[] {
    const col = this.cols[this.sortBy];
    const dir = this.descending ? -1 : 1;
    return [...this.data].sort((x, y) => {
      const a = col.value(x);
      const b = col.value(y);
      return (a < b ? -1 : a > b ? 1 : 0) * dir;
    });
  }

  private render(): void {
    const head = h('tr');
    this.cols.forEach((c, i) => head.append(this.headerCell(c, i)));
    const body = h('tbody');
    for (const c of this.sorted().slice(0, MAX_TABLE_ROWS)) body.append(this.row(c));
    const thead = h('thead');
    thead.append(head);
    this.table.replaceChildren(thead, body);
  }

  private headerCell(c: Column, i: number): HTMLTableCellElement {
    const th = h('th', c.numeric ? 'num' : '');
    th.scope = 'col';
    if (i === this.sortBy) th.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
    const b = h('button', 'pk-conv-sort', c.label + (i === this.sortBy ? (this.descending ? ' ▼' : ' ▲') : ''));
    b.type = 'button';
    b.title = t('Sort by this column');
    b.addEventListener('click', () => {
      this.descending = i === this.sortBy ? !this.descending : c.numeric;
      this.sortBy = i;
      this.render();
      (this.table.querySelectorAll('.pk-conv-sort')[i] as HTMLElement | undefined)?.focus();
    });
    th.append(b);
    return th;
  }

  private row(c: ConversationStat): HTMLTableRowElement {
    const tr = h('tr', 'pk-conv-row');
    tr.tabIndex = 0;
    tr.dataset.key = c.key;
    tr.setAttribute('aria-selected', String(c.key === this.selectedKey));
    for (const col of this.cols) tr.append(h('td', col.numeric ? 'num' : '', col.text ? col.text(c) : String(col.value(c))));
    tr.title = t('Double-click to show only this conversation\'s packets ({0})', c.filter);
    const choose = () => {
      this.selectedKey = c.key;
      for (const r of this.table.querySelectorAll('.pk-conv-row')) r.setAttribute('aria-selected', String(r === tr));
      this.host.select(c);
    };
    tr.addEventListener('click', choose);
    tr.addEventListener('dblclick', () => this.host.filter(c));
    tr.addEventListener('keydown', (e) => {
      if (e.target !== tr) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        choose();
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        ((e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null)?.focus();
      }
    });
    return tr;
  }
}
