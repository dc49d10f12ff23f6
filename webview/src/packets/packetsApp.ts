// The packet panel's webview: filter bar, packet list, field tree, the hex pane and the TCP conversation diagram,
// wired together. Everything shown is pulled from the host on demand.
import './packets.css';
import { PACKET_PANEL, type PacketDetail, type PacketPanelClient, type PacketPanelEvent, type PacketPanelInit, type PanelStatus } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { HexPane, type HexPaneSource } from '../hex/hexPane';
import { SourceTabs } from './sourceTabs';
import type { BytesPerRow } from '../hex/hexView';
import { setStrings, t } from '../strings';
import { connectPanel, vscodeApi } from '../vscodeApi';
import { DiagramPane } from './diagramPane';
import { FieldTree } from './fieldTree';
import { nodeAtOffset, nodeById } from './fieldLookup';
import { FilterBar } from './filterBar';
import { PacketList } from './packetList';
import { FollowView } from './followView';
import { StatisticsView } from './statisticsView';

type Page = 'packets' | 'statistics' | 'follow';

interface SavedState {
  readonly selected?: number;
  readonly field?: string;
  /** Widths of the list's columns but Info, in px. */
  readonly columns?: readonly number[];
  readonly diagramCollapsed?: boolean;
  readonly bytesPerRow?: BytesPerRow | 'auto';
  /** The page shown: the packets (list, details, bytes) or the statistics (a followed stream is not restored). */
  readonly page?: Page;
}

/** The selected packet's bytes, as the hex pane reads them. */
class PacketBytes implements HexPaneSource {
  start = 0;
  end = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  set(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.end = bytes.length;
  }
  async read(offset: number, length: number) {
    return { offset, bytes: this.bytes.subarray(offset, offset + length) };
  }
  text(offset: number, length: number): string {
    return new TextDecoder().decode(this.bytes.subarray(offset, offset + length));
  }
}

const heading = (text: string) => h('h2', 'pk-h', text);
const errorText = (e: unknown) => t('Error: {0}', e instanceof Error ? e.message : String(e));

export async function startPacketsView(host: HTMLElement): Promise<void> {
  let onStatus: (e: PacketPanelEvent) => void = () => undefined;
  const client: PacketPanelClient = connectPanel(PACKET_PANEL, (e) => onStatus(e));
  const init = await client.call({ type: 'ready' });
  setStrings(init.strings);
  const api = vscodeApi();
  let saved = (api.getState() ?? {}) as SavedState;
  const persist = (change: Partial<SavedState>) => api.setState((saved = { ...saved, ...change }));
  document.title = init.title;
  const startPage = saved.page;
  const view = new PacketsView(host, client, init, saved, persist);
  let status: PanelStatus = init;
  onStatus = (e) => {
    if (e.type === 'follow') return void view.followStream(e.key);
    if (e.type === 'showPacket') return void view.showFrame(e.index + 1);
    status = e;
    if (e.type === 'filterChanged') view.filterChanged(e.filter, e);
    else view.statusChanged(status, false);
  };
  view.statusChanged(status, true);
  await view.diagram.refresh();
  if (startPage === 'statistics') view.showPage('statistics');
  view.root.dataset.ready = 'true';
  if (saved.selected !== undefined) await view.restore(saved.selected, saved.field);
  if (init.showPacket !== undefined) await view.showFrame(init.showPacket + 1);
}

/** The page: its panes and how a selection flows between them. */
class PacketsView {
  readonly root = h('div', 'pk-app');
  readonly diagram: DiagramPane;
  private readonly bar: FilterBar;
  private readonly stats: StatisticsView;
  private readonly follow: FollowView;
  private readonly tabs = new Map<Page, { tab: HTMLButtonElement; page: HTMLElement }>();
  private page: Page = 'packets';
  private readonly list: PacketList;
  private readonly tree: FieldTree;
  private readonly hexPane: HexPane;
  private readonly bytes = new PacketBytes();
  /** The frame or one of the packet's data sources (decrypted TLS), shown in the hex pane. */
  private readonly sources = new SourceTabs((source) => this.showSource(source));
  private readonly note = h('div', 'pk-note');
  /** A damaged file: what was read and why the rest was not. */
  private readonly damage = h('div', 'pk-note pk-damage');
  private current: PacketDetail | undefined;
  private detailSeq = 0;
  /** A field to reselect once the restored packet is shown (state survives hide/reopen). */
  private pendingField: string | undefined;
  private convTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    host: HTMLElement,
    private readonly client: PacketPanelClient,
    init: PacketPanelInit,
    saved: SavedState,
    private readonly persist: (change: Partial<SavedState>) => void,
  ) {
    this.bar = new FilterBar(init.filter, init.canExport, this.root, {
      filter: (expr) => client.call({ type: 'filter', expr }),
      filtered: (status) => void this.filtered(status),
      export: (format, connection) => void this.export(format, connection),
      follow: () => {
        if (this.current?.flow) void this.followStream(this.current.flow);
      },
    });
    this.note.setAttribute('role', 'status');
    const listPane = h('section', 'pk-pane pk-list-pane');
    this.list = new PacketList(listPane, (start, count) => client.call({ type: 'rows', start, count }), saved.columns);
    this.diagram = new DiagramPane(saved.diagramCollapsed === true, {
      conversations: () => client.call({ type: 'conversations' }),
      diagram: (key, around) => client.call(around === undefined ? { type: 'diagram', key } : { type: 'diagram', key, around }),
      collapsedChanged: (diagramCollapsed) => persist({ diagramCollapsed }),
      follow: (key) => void this.followStream(key),
    });
    const treePane = h('section', 'pk-pane pk-tree-pane');
    treePane.append(heading(t('Packet details')));
    this.tree = new FieldTree(treePane);
    this.tree.show([], t('Select a packet to see its layers and bytes.'));
    this.hexPane = this.buildHexPane(saved.bytesPerRow ?? 'auto');
    const hexSection = h('section', 'pk-pane pk-hex-pane');
    hexSection.append(heading(t('Packet bytes')), this.sources.element, this.hexPane.element);
    this.hexPane.attachControls();
    // List and diagram side by side on top, field tree and bytes below: each gets the width it needs.
    const upper = h('div', 'pk-upper');
    upper.append(listPane, this.diagram.element);
    const lower = h('div', 'pk-lower');
    lower.append(treePane, hexSection);
    const packetsPage = h('div', 'pk-page pk-packets-page');
    packetsPage.append(upper, lower);
    this.stats = new StatisticsView({
      page: (q) => client.call({ type: 'conversationPage', ...q }),
      ioGraph: (key, intervalMs) => client.call({ type: 'ioGraph', ...(key === undefined ? {} : { key }), ...(intervalMs === undefined ? {} : { intervalMs }) }),
      filter: (expr) => void this.filterTo(expr),
      follow: (key) => void this.followStream(key),
    });
    this.follow = new FollowView(client, init.encodings, (frame) => void this.showFrame(frame));
    this.damage.setAttribute('role', 'status');
    this.root.append(this.tabStrip(packetsPage), this.bar.element, this.note, this.damage, packetsPage, this.stats.element, this.follow.element);
    host.append(this.root);
    this.wire();
  }

  /** Packets | Statistics: a tab list (arrow keys move between the tabs), each tab showing its page. */
  private tabStrip(packetsPage: HTMLElement): HTMLElement {
    const strip = h('div', 'pk-tabs');
    strip.setAttribute('role', 'tablist');
    const pages = [['packets', t('Packets'), packetsPage], ['statistics', t('Statistics'), this.stats.element], ['follow', t('Follow'), this.follow.element]] as const;
    for (const [name, label, page] of pages) {
      const tab = h('button', 'pk-tab', label);
      tab.type = 'button';
      tab.id = `pk-tab-${name}`;
      tab.setAttribute('role', 'tab');
      page.id = `pk-page-${name}`;
      page.setAttribute('role', 'tabpanel');
      page.setAttribute('aria-labelledby', tab.id);
      tab.setAttribute('aria-controls', page.id);
      tab.addEventListener('click', () => this.showPage(name));
      tab.addEventListener('keydown', (e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        e.preventDefault();
        const names = pages.map(([n]) => n);
        const other = names[(names.indexOf(name) + (e.key === 'ArrowRight' ? 1 : names.length - 1)) % names.length];
        this.showPage(other);
        this.tabs.get(other)?.tab.focus();
      });
      this.tabs.set(name, { tab, page });
      strip.append(tab);
    }
    this.showPage('packets');
    return strip;
  }

  /** Shows one page; the statistics load when their page opens. */
  showPage(name: Page): void {
    this.page = name;
    for (const [n, { tab, page }] of this.tabs) {
      const on = n === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      page.hidden = !on;
    }
    this.root.dataset.page = name;
    this.persist({ page: name === 'follow' ? 'packets' : name });
    if (name === 'statistics') void this.stats.refresh();
  }

  /** Follows a TCP connection or UDP conversation on the Follow page. */
  async followStream(key: string): Promise<void> {
    this.showPage('follow');
    await this.follow.follow(key);
  }

  /** A followed chunk's frame link: the packet list shows that packet (even when the filter hides it). */
  async showFrame(frame: number): Promise<void> {
    this.showPage('packets');
    const pos = await this.positionOf(frame - 1);
    if (pos >= 0) this.list.selectPosition(pos);
    else await this.showPacket(frame - 1);
  }

  /** A conversation's Filter: the filter bar applies it and the packet list shows what it keeps. */
  private async filterTo(expr: string): Promise<void> {
    this.bar.setFilter(expr);
    const r = await this.client.call({ type: 'filter', expr });
    if (!r.ok) {
      this.note.textContent = r.error;
      return;
    }
    this.showPage('packets');
    await this.filtered(r);
  }

  private buildHexPane(bytesPerRow: BytesPerRow | 'auto'): HexPane {
    return new HexPane(
      {
        source: this.bytes,
        bytesPerRow,
        bytesPerRowChanged: (v) => this.persist({ bytesPerRow: v }),
        selectionChanged: () => undefined,
        find: (query, mode, from) => this.client.call({ type: 'find', index: this.current?.index ?? 0, query, mode, from }),
        decodeText: async (offset, length) => this.bytes.text(offset, length),
        copy: async (text) => void (await this.client.call({ type: 'copy', text })),
      },
      { label: t('Packet bytes'), followTail: false },
    );
  }

  /** list → details + bytes + diagram; field ⇄ bytes; diagram → list. */
  private wire(): void {
    const hex = this.hexPane.hex;
    this.list.onDidResizeColumns((columns) => this.persist({ columns }));
    this.list.onDidSelect((row) => void this.showPacket(row.index));
    this.tree.onDidSelect((node) => {
      if (node && node.source !== this.sources.current) this.showSource(node.source);
      if (!node || node.length === 0) hex.setHighlights([]);
      else {
        hex.setHighlights([{ offset: node.offset, length: node.length, cls: 'field' }]);
        hex.revealOffset(node.offset);
      }
      this.root.dataset.field = node?.id ?? '';
      this.persist({ field: node?.id });
    });
    // Click a byte → select the narrowest field that covers it.
    hex.onDidClickByte((offset) => {
      const node = nodeAtOffset(this.tree.allNodes, offset, this.sources.current);
      if (node) this.tree.selectNode(node);
    });
    this.diagram.diagram.onDidSelectPacket(async (index) => {
      const pos = await this.positionOf(index);
      if (pos >= 0) this.list.selectPosition(pos);
      else void this.showPacket(index);
    });
  }

  /** Shows the frame's bytes (undefined) or one of the packet's data sources in the hex pane. */
  private showSource(source: number | undefined): void {
    const d = this.current;
    const bytes = source === undefined ? d?.bytes : d?.sources?.[source]?.bytes;
    if (!bytes) return;
    this.sources.show(source);
    this.bytes.set(bytes);
    this.hexPane.hex.setSource(this.bytes);
    this.hexPane.hex.setHighlights([]);
  }

  /** Where a packet sits in the (filtered) list: the host knows, by binary search. */
  private async positionOf(index: number): Promise<number> {
    return (await this.client.call({ type: 'position', index })).position;
  }

  private async showPacket(index: number): Promise<void> {
    const seq = ++this.detailSeq;
    try {
      const d = await this.client.call({ type: 'packet', index });
      if (seq !== this.detailSeq) return;
      this.current = d;
      this.note.textContent = d.malformed ? t('Malformed or truncated: {0}', d.malformed) : '';
      this.sources.set(d.bytes.length, d.sources);
      this.bytes.set(d.bytes);
      this.hexPane.reset();
      this.hexPane.hex.setSource(this.bytes);
      this.hexPane.hex.setHighlights([]);
      this.tree.show(d.layers, t('Select a packet to see its layers and bytes.'));
      const again = this.pendingField && nodeById(this.tree.allNodes, this.pendingField);
      this.pendingField = undefined;
      if (again) this.tree.selectNode(again);
      this.bar.connectionSelected = d.conversation !== undefined;
      this.bar.flowSelected = d.flow !== undefined;
      this.diagram.highlight(d.index);
      // another connection, or a packet of a long one outside the drawn part: draw around it
      if (d.conversation && (d.conversation !== this.diagram.shown || !this.diagram.covers(d.index))) await this.diagram.show(d.conversation, d.index);
      this.root.dataset.selected = String(d.no);
      this.persist({ selected: d.index, field: this.tree.selectedNode?.id });
    } catch (e) {
      this.note.textContent = errorText(e);
    }
  }

  /** Shows the packet selected before the page was hidden, with its field. */
  async restore(index: number, field: string | undefined): Promise<void> {
    this.pendingField = field;
    const pos = await this.positionOf(index);
    if (pos >= 0) this.list.selectPosition(pos);
  }

  /** Counts changed (packets arrived, or the page starts): rows are pulled, the diagram refreshes at most once a second. */
  statusChanged(status: PanelStatus, first: boolean): void {
    this.showStatus(status);
    if (first) {
      this.list.reset(status.generation, status.matched);
      return;
    }
    this.list.grow(status.generation, status.matched);
    this.scheduleRefresh();
  }

  /** The diagram's connection list (or the statistics page) catches up within a second, however few events came. */
  private scheduleRefresh(): void {
    this.convTimer ??= setTimeout(() => {
      this.convTimer = undefined;
      if (this.page === 'statistics') void this.stats.refresh();
      else void this.diagram.refresh().then(() => (this.diagram.shown ? this.diagram.show(this.diagram.shown) : undefined));
    }, 1000);
  }

  private showStatus(status: PanelStatus): void {
    this.bar.showStatus(status);
    this.damage.textContent = status.damage ?? '';
    this.list.setEmptyText(status.total === 0 ? t('No packets yet.') : t('No packet matches this filter.'));
    this.root.dataset.total = String(status.total);
    this.root.dataset.matched = String(status.matched);
  }

  /** The host applied a filter (a lesson's evidence link): the bar shows it, the list starts again with it. */
  filterChanged(filter: string, status: PanelStatus): void {
    this.bar.setFilter(filter);
    void this.filtered(status);
  }

  private async filtered(status: PanelStatus): Promise<void> {
    this.showStatus(status);
    this.scheduleRefresh();
    const keep = this.current ? await this.positionOf(this.current.index) : -1;
    this.list.reset(status.generation, status.matched, keep);
  }

  private async export(format: 'pcapng' | 'pcap', connection: boolean): Promise<void> {
    const key = connection ? this.current?.conversation : undefined;
    if (connection && !key) return;
    try {
      const res = await this.client.call(key ? { type: 'export', format, scope: 'conversation', key } : { type: 'export', format, scope: 'all' });
      if (res.path) this.note.textContent = t('Saved {0}', res.path);
    } catch (e) {
      this.note.textContent = errorText(e);
    }
  }
}
