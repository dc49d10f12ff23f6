// The packet panel's Statistics page: the Conversations table above the I/O graph. A row shows its conversation's
// graph (A → B and B → A); "Whole capture" goes back to all packets; "Apply as filter" (or Enter, or a double click)
// shows the chosen conversation's packets in the list.
import type { ConversationPage, ConversationQuery, ConversationStat, IoGraph } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { ConversationsTable } from './conversationsTable';
import { IoGraphView } from './ioGraphView';

export interface StatisticsHost {
  page(q: ConversationQuery): Promise<ConversationPage>;
  /** A graph at auto (`intervalMs` undefined) or a fixed interval. */
  ioGraph(key: string | undefined, intervalMs: number | undefined): Promise<IoGraph>;
  /** Applies a display filter and shows the packet list. */
  filter(expr: string): void;
  /** Follows a conversation (its key) on the Follow page. */
  follow(key: string): void;
}

export class StatisticsView {
  readonly element = h('div', 'pk-stats');
  private readonly table: ConversationsTable;
  private readonly graph: IoGraphView;
  private readonly note = h('div', 'pk-note');
  private readonly applyButton = h('button', 'pk-btn secondary pk-conv-filter', t('Apply as filter'));
  private readonly followButton = h('button', 'pk-btn secondary pk-conv-follow', t('Follow stream'));
  private seq = 0;
  /** The conversation the graph shows (undefined: the whole capture). */
  private shown: ConversationStat | undefined;

  constructor(private readonly host: StatisticsHost) {
    this.table = new ConversationsTable({ page: (q) => host.page(q), select: (c) => void this.showGraph(c), filter: (c) => host.filter(c.filter) });
    this.graph = new IoGraphView(() => void this.showGraph(undefined), () => void this.showGraph(this.shown));
    this.note.setAttribute('role', 'status');
    const about = h('span', 'pk-stats-about', t('Every packet of the capture counts here; the display filter does not apply.'));
    this.applyButton.type = 'button';
    this.applyButton.disabled = true;
    this.applyButton.addEventListener('click', () => {
      const c = this.chosen;
      if (c) host.filter(c.filter);
    });
    this.followButton.type = 'button';
    this.followButton.disabled = true;
    this.followButton.addEventListener('click', () => {
      const c = this.chosen;
      if (c) host.follow(c.key);
    });
    const bar = h('div', 'pk-stats-bar');
    bar.append(about, h('span', 'pk-grow'), this.followButton, this.applyButton);
    this.element.append(h('h2', 'pk-h', t('Conversations')), bar, this.table.element, this.graph.element, this.note);
  }

  private get chosen(): ConversationStat | undefined {
    return this.table.selected;
  }

  /** Loads the table and the graph again (a live capture grows), keeping the chosen conversation. */
  async refresh(): Promise<void> {
    try {
      await this.table.refresh();
      await this.showGraph(this.table.selected);
      this.element.dataset.ready = 'true';
    } catch (e) {
      this.note.textContent = t('Error: {0}', e instanceof Error ? e.message : String(e));
    }
  }

  private async showGraph(c: ConversationStat | undefined): Promise<void> {
    const seq = ++this.seq;
    this.shown = c;
    try {
      const g = await this.host.ioGraph(c?.key, this.graph.interval);
      if (seq !== this.seq) return;
      this.note.textContent = '';
      const title = c ? t('I/O graph: {0} {1} ↔ {2}', c.proto.toUpperCase(), c.a, c.b) : t('I/O graph: whole capture');
      this.graph.show(g, title, c !== undefined);
      this.applyButton.disabled = c === undefined;
      this.followButton.disabled = c === undefined;
      this.applyButton.title = c ? t('Show only this conversation\'s packets ({0})', c.filter) : '';
    } catch (e) {
      if (seq === this.seq) this.note.textContent = t('Error: {0}', e instanceof Error ? e.message : String(e));
    }
  }
}
