// The packet panel's webview: filter bar, packet list, field tree, hex bytes and the
// TCP conversation diagram, wired together. Everything shown is pulled from the host on demand.
import './packets.css';
import { HexView } from '../hex/hexView';
import { hexToBytes, type ConversationInfo, type PacketDetail, type PacketPanelEvent, type PanelInit, type PanelStatus } from '../../../src/shared/packetPanelProtocol';
import type { LayerRole } from '../../../src/shared/types';
import { PacketPanelClient, type WebviewApi } from './client';
import { DiagramView } from './diagramView';
import { FieldTree } from './fieldTree';
import { nodeAtOffset, nodeById } from './fieldLookup';
import { h } from '../dom';
import { format } from '../strings';
import { PacketList } from './packetList';

export interface PacketsWebviewApi extends WebviewApi {
  getState?(): unknown;
  setState?(state: unknown): void;
}

interface SavedState {
  readonly selected?: number;
  readonly field?: string;
  /** Widths of the list's columns but Info, in px. */
  readonly columns?: readonly number[];
  readonly diagramCollapsed?: boolean;
}


function button(text: string, cls = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `pk-btn ${cls}`.trim();
  b.textContent = text;
  return b;
}

export async function startPacketsView(host: HTMLElement, api: PacketsWebviewApi): Promise<void> {
  let onStatus: (e: PacketPanelEvent) => void = () => undefined;
  const client = new PacketPanelClient(api, (e) => onStatus(e));
  const init: PanelInit = await client.request({ type: 'init' });
  const S = init.strings as Record<string, string>;
  const saved = (api.getState?.() ?? {}) as SavedState;
  document.title = init.title;

  const root = h('div', 'pk-app');
  host.append(root);

  // ---- filter bar ----
  const bar = h('div', 'pk-bar');
  bar.setAttribute('role', 'toolbar');
  const filterWrap = h('div', 'pk-filter');
  const filterInput = document.createElement('input');
  filterInput.type = 'text';
  filterInput.className = 'pk-filter-input';
  filterInput.spellcheck = false;
  filterInput.placeholder = S.filterPlaceholder;
  filterInput.setAttribute('aria-label', S.filterLabel);
  filterInput.value = init.filter;
  const filterError = h('div', 'pk-filter-error');
  filterError.id = 'pk-filter-error';
  filterError.setAttribute('role', 'alert');
  filterInput.setAttribute('aria-describedby', filterError.id);
  filterWrap.append(filterInput, filterError);
  const applyBtn = button(S.filterApply, 'primary');
  const clearBtn = button(S.filterClear, 'secondary');
  const statusEl = h('span', 'pk-status');
  statusEl.setAttribute('aria-live', 'polite');
  const spacer = h('span', 'pk-grow');
  const exportNg = button(S.exportPcapng, 'secondary');
  const exportPcap = button(S.exportPcap, 'secondary');
  const exportConn = button(S.exportConnection, 'secondary');
  exportConn.disabled = true;
  for (const b of [exportNg, exportPcap, exportConn]) b.hidden = !init.canExport;
  bar.append(filterWrap, applyBtn, clearBtn, statusEl, spacer, exportNg, exportPcap, exportConn);
  const note = h('div', 'pk-note');
  note.setAttribute('role', 'status');

  // ---- list / details / hex / diagram ----
  const listPane = h('section', 'pk-pane pk-list-pane');
  const lower = h('div', 'pk-lower');
  const treePane = h('section', 'pk-pane pk-tree-pane');
  const hexPane = h('section', 'pk-pane pk-hex-pane');
  const diagPane = h('section', 'pk-pane pk-diag-pane');
  const heading = (text: string) => {
    const title = h('h2', 'pk-h');
    title.textContent = text;
    return title;
  };
  treePane.append(heading(S.fieldsTitle));
  hexPane.append(heading(S.bytesTitle));
  const diagHead = h('div', 'pk-diag-head');
  const diagTitle = heading(S.diagramTitle);
  const convSelect = document.createElement('select');
  convSelect.className = 'pk-select';
  convSelect.setAttribute('aria-label', S.diagramPick);
  // The diagram can fold away to a strip with its toggle, giving the packet list the width.
  const diagToggle = document.createElement('button');
  diagToggle.type = 'button';
  diagToggle.className = 'pk-diag-toggle';
  diagToggle.setAttribute('aria-controls', 'pk-diagram');
  diagHead.append(diagToggle, diagTitle, convSelect);
  diagPane.append(diagHead);
  // List and diagram side by side on top, field tree and bytes below: each gets the width it needs.
  const upper = h('div', 'pk-upper');
  upper.append(listPane, diagPane);
  lower.append(treePane, hexPane);
  root.append(bar, note, upper, lower);

  const list = new PacketList(
    listPane,
    { no: S.colNo, time: S.colTime, source: S.colSource, destination: S.colDestination, protocol: S.colProtocol, length: S.colLength, info: S.colInfo },
    S.listLabel,
    (start, count) => client.request({ type: 'rows', start, count }),
    S.resizeColumn,
    saved.columns,
  );
  const roleLabels: Record<LayerRole, string> = { frame: S.roleFrame, packet: S.rolePacket, segment: S.roleSegment, datagram: S.roleDatagram, message: S.roleMessage };
  const tree = new FieldTree(treePane, S.treeLabel, roleLabels, S.truncated);
  tree.show([], S.noSelection);
  const hexHost = h('div', 'pk-hex-host');
  hexPane.append(hexHost);
  const hex = new HexView(hexHost, { bytesPerRow: 16, fit: true, ariaLabel: S.bytesTitle, pageSize: 4096 });
  const diagram = new DiagramView(diagPane, S.diagramTitle);
  diagram.element.id = 'pk-diagram';
  let diagramCollapsed = saved.diagramCollapsed === true;
  const showDiagramPane = () => {
    diagPane.classList.toggle('collapsed', diagramCollapsed);
    diagToggle.setAttribute('aria-expanded', String(!diagramCollapsed));
    diagToggle.textContent = diagramCollapsed ? '«' : '»';
    diagToggle.title = diagramCollapsed ? S.diagramShow : S.diagramHide;
    diagToggle.setAttribute('aria-label', diagToggle.title);
  };
  showDiagramPane();

  let status: PanelStatus = init;
  let current: PacketDetail | undefined;
  let bytes: Uint8Array = new Uint8Array(0);
  let conversations: ConversationInfo[] = [];
  let diagramKey = '';

  const showStatus = () => {
    const parts = [status.matched === status.total ? format(S.packetsCount, status.total) : format(S.packetsFiltered, status.matched, status.total)];
    parts.push(status.state === 'running' ? S.stateRunning : status.state === 'stopped' ? S.stateStopped : S.stateFile);
    if (status.drops > 0) parts.push(format(S.drops, status.drops));
    statusEl.textContent = parts.join(' · ');
    list.setEmptyText(status.total === 0 ? S.emptyCapture : S.noMatch);
    root.dataset.total = String(status.total);
    root.dataset.matched = String(status.matched);
  };
  const persist = () =>
    api.setState?.({ selected: current?.index, field: tree.selectedNode?.id, columns: list.columnWidths, diagramCollapsed } satisfies SavedState);
  list.onDidResizeColumns(persist);
  diagToggle.addEventListener('click', () => {
    diagramCollapsed = !diagramCollapsed;
    showDiagramPane();
    persist();
  });

  // ---- selection: list → details + hex + diagram ----
  let detailSeq = 0;
  /** A field to reselect once the restored packet is shown (state survives hide/reopen). */
  let pendingField: string | undefined;
  const showPacket = async (index: number) => {
    const seq = ++detailSeq;
    try {
      const d = await client.request({ type: 'packet', index });
      if (seq !== detailSeq) return;
      current = d;
      bytes = hexToBytes(d.bytesHex);
      note.textContent = d.malformed ? format(S.malformed, d.malformed) : '';
      hex.setSource({ start: 0, end: bytes.length, read: async (offset, length) => ({ offset, bytes: bytes.subarray(offset, offset + length) }) });
      hex.setHighlights([]);
      tree.show(d.layers, S.noSelection);
      const again = pendingField && nodeById(tree.allNodes, pendingField);
      pendingField = undefined;
      if (again) tree.selectNode(again);
      exportConn.disabled = !d.conversation;
      if (d.conversation && d.conversation !== diagramKey) await showDiagram(d.conversation);
      diagram.highlight(d.index);
      root.dataset.selected = String(d.no);
      persist();
    } catch (e) {
      note.textContent = format(S.error, e instanceof Error ? e.message : String(e));
    }
  };
  list.onDidSelect((row) => void showPacket(row.index));

  tree.onDidSelect((node) => {
    if (!node || node.length === 0) hex.setHighlights([]);
    else {
      hex.setHighlights([{ offset: node.offset, length: node.length, cls: 'field' }]);
      hex.revealOffset(node.offset);
    }
    root.dataset.field = node?.id ?? '';
    persist();
  });
  // Click a byte → select the narrowest field that covers it.
  hex.onDidClickByte((offset) => {
    const node = nodeAtOffset(tree.allNodes, offset);
    if (node) tree.selectNode(node);
  });

  // ---- diagram ----
  const refreshConversations = async () => {
    conversations = [...(await client.request({ type: 'conversations' }))];
    convSelect.textContent = '';
    for (const c of conversations) {
      const o = document.createElement('option');
      o.value = c.key;
      o.textContent = `${c.a} → ${c.b} (${c.packets})`;
      convSelect.append(o);
    }
    convSelect.disabled = conversations.length === 0;
    if (conversations.length === 0) diagram.showMessage(S.diagramNone);
    else if (!conversations.some((c) => c.key === diagramKey)) await showDiagram(conversations[0].key);
    else convSelect.value = diagramKey;
  };
  const showDiagram = async (key: string) => {
    diagramKey = key;
    convSelect.value = key;
    try {
      const d = await client.request({ type: 'diagram', key });
      diagram.show(d, S.diagramOmitted);
      if (current) diagram.highlight(current.index);
    } catch (e) {
      diagram.showMessage(format(S.error, e instanceof Error ? e.message : String(e)));
    }
  };
  convSelect.addEventListener('change', () => void showDiagram(convSelect.value));
  diagram.onDidSelectPacket(async (index) => {
    const pos = await positionOf(index);
    if (pos >= 0) list.selectPosition(pos);
    else void showPacket(index);
  });
  // Where a packet sits in the (filtered) list: the host knows, by binary search.
  const positionOf = async (index: number): Promise<number> => (await client.request({ type: 'position', index })).position;

  // ---- filter ----
  let filterSeq = 0;
  const applyFilter = async (expr: string) => {
    const seq = ++filterSeq;
    const res = await client.request({ type: 'filter', expr });
    if (seq !== filterSeq) return; // a newer filter was typed meanwhile
    if (!res.ok) {
      filterError.textContent = res.error;
      filterInput.setAttribute('aria-invalid', 'true');
      root.dataset.filterError = 'true';
      return;
    }
    filterError.textContent = '';
    filterInput.removeAttribute('aria-invalid');
    root.dataset.filterError = 'false';
    status = res;
    showStatus();
    const keep = current ? await positionOf(current.index) : -1;
    list.reset(res.generation, res.matched, keep);
  };
  filterInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void applyFilter(filterInput.value);
    } else if (e.key === 'Escape' && filterInput.value) {
      filterInput.value = '';
      void applyFilter('');
    }
  });
  applyBtn.addEventListener('click', () => void applyFilter(filterInput.value));
  clearBtn.addEventListener('click', () => {
    filterInput.value = '';
    void applyFilter('');
    filterInput.focus();
  });

  // ---- export ----
  const doExport = async (fileFormat: 'pcapng' | 'pcap', key?: string) => {
    try {
      const res = await client.request(key ? { type: 'export', format: fileFormat, scope: 'conversation', key } : { type: 'export', format: fileFormat, scope: 'all' });
      if (res.path) note.textContent = format(S.exportDone, res.path);
    } catch (e) {
      note.textContent = format(S.error, e instanceof Error ? e.message : String(e));
    }
  };
  exportNg.addEventListener('click', () => void doExport('pcapng'));
  exportPcap.addEventListener('click', () => void doExport('pcap'));
  exportConn.addEventListener('click', () => {
    if (current?.conversation) void doExport('pcapng', current.conversation);
  });

  // ---- live updates (counts only; rows are pulled) ----
  let convTimer: ReturnType<typeof setTimeout> | undefined;
  onStatus = (e) => {
    status = e;
    showStatus();
    list.grow(e.generation, e.matched);
    // Conversation list and diagram refresh at most once a second while packets arrive.
    convTimer ??= setTimeout(() => {
      convTimer = undefined;
      void refreshConversations().then(() => (diagramKey ? showDiagram(diagramKey) : undefined));
    }, 1000);
  };

  showStatus();
  list.reset(init.generation, init.matched);
  await refreshConversations();
  root.dataset.ready = 'true';
  if (saved.selected !== undefined) {
    pendingField = saved.field;
    const pos = await positionOf(saved.selected);
    if (pos >= 0) list.selectPosition(pos);
  }
}
