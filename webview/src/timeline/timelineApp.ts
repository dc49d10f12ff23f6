// The socket-call timeline's page: filters (socket, call), zoom buttons and the run's counts on top, the plot, and the
// selected call's details beside its bytes in the same hex pane as the other panels. Everything is pulled from the host.
import './timeline.css';
import {
  TIMELINE_PANEL,
  type TimelineCallDetail, type TimelineClient, type TimelineEvent, type TimelineSummary,
} from '../../../src/shared/timelinePanelProtocol';
import { button, h, singleSelect, type SelectLike } from '../dom';
import { HexPane, type HexPaneSource } from '../hex/hexPane';
import { setStrings, t } from '../strings';
import { connectPanel } from '../vscodeApi';
import { CallDetails } from './callDetails';
import { laneLabel, severalProcesses, TimelinePlot } from './timelinePlot';

/** The selected call's first bytes, as the hex pane reads them. */
class CallBytes implements HexPaneSource {
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

const ALL = '*';

export async function startTimelineView(host: HTMLElement): Promise<void> {
  let onEvent: (e: TimelineEvent) => void = () => undefined;
  const client: TimelineClient = connectPanel(TIMELINE_PANEL, (e) => onEvent(e));
  const init = await client.call({ type: 'ready' });
  setStrings(init.strings);
  document.title = t('Timeline: {0}', init.title);
  const view = new TimelineView(host, client);
  view.update(init, true);
  onEvent = (e) => {
    if (e.type === 'focus') void view.focus(e.id);
    else view.update(e, e.reset);
  };
  if (init.focus !== undefined) await view.focus(init.focus);
  view.root.dataset.ready = 'true';
}

class TimelineView {
  readonly root = h('div', 'tl-app');
  private readonly bar = h('div', 'toolbar tl-bar-top');
  private readonly counts = h('div', 'tl-counts');
  private readonly plot: TimelinePlot;
  private readonly details: CallDetails;
  private readonly hexPane: HexPane;
  private readonly bytes = new CallBytes();
  private readonly bytesTitle = h('h2', 'tl-h', t('Bytes'));
  private summary: TimelineSummary | undefined;
  private socketFilter: SelectLike | undefined;
  private callFilter: SelectLike | undefined;
  private filterKey = '';
  private current: TimelineCallDetail | undefined;
  private detailSeq = 0;

  constructor(host: HTMLElement, private readonly client: TimelineClient) {
    this.counts.setAttribute('role', 'status');
    this.plot = new TimelinePlot({
      window: (span) => client.call({ type: 'window', from: span.from, to: span.to, ...this.filters() }),
      selected: (id) => void this.showCall(id),
      open: (id) => void client.call({ type: 'openSource', id }),
      openFrame: (captureId, frame) => void client.call({ type: 'openFrame', captureId, frame }),
      openChunk: (sessionId, seq) => void client.call({ type: 'openChunks', sessionId, chunk: seq, last: seq }),
    });
    this.details = new CallDetails({
      openSource: (id) => void client.call({ type: 'openSource', id }),
      select: (id) => void this.focus(id),
      openFrame: (captureId, frame) => void client.call({ type: 'openFrame', captureId, frame }),
      openChunks: (sessionId, chunk, last) => void client.call({ type: 'openChunks', sessionId, chunk, last }),
    });
    this.hexPane = new HexPane(
      {
        source: this.bytes,
        bytesPerRow: 'auto',
        bytesPerRowChanged: () => undefined,
        selectionChanged: () => undefined,
        find: (query, mode, from) => client.call({ type: 'find', id: this.current?.id ?? 0, query, mode, from }),
        decodeText: async (offset, length) => this.bytes.text(offset, length),
        copy: async (text) => void (await client.call({ type: 'copy', text })),
      },
      { label: t('Bytes of the selected call'), followTail: false },
    );
    const detailsPane = h('section', 'pane tl-details-pane');
    detailsPane.append(h('h2', 'tl-h', t('Call')), this.details.element);
    const hexSection = h('section', 'pane tl-hex-pane');
    hexSection.append(this.bytesTitle, this.hexPane.element);
    this.hexPane.attachControls();
    const lower = h('div', 'tl-lower');
    lower.append(detailsPane, hexSection);
    this.root.append(this.bar, this.counts, this.plot.element, lower);
    host.append(this.root);
  }

  private filters(): { lanes?: string[]; calls?: string[] } {
    const lane = this.socketFilter?.value;
    const call = this.callFilter?.value;
    return { ...(lane && lane !== ALL ? { lanes: [lane] } : {}), ...(call && call !== ALL ? { calls: [call] } : {}) };
  }

  /** The run's lanes and counts changed (or another run is shown: `reset`). */
  update(s: TimelineSummary, reset: boolean): void {
    this.summary = s;
    document.title = t('Timeline: {0}', s.title);
    if (reset) {
      this.plot.clearSelection();
      void this.showCall(undefined);
    }
    const key = JSON.stringify([s.lanes.map((l) => laneLabel(l, true)), s.callNames]);
    if (key !== this.filterKey || reset) this.buildBar(s, reset);
    this.filterKey = key;
    this.showCounts(s);
    this.applyLanes(reset);
  }

  private applyLanes(fit: boolean): void {
    const s = this.summary;
    if (!s) return;
    const lane = this.socketFilter?.value;
    this.plot.setLanes(lane && lane !== ALL ? s.lanes.filter((l) => l.key === lane) : s.lanes, s.duration, fit);
  }

  private buildBar(s: TimelineSummary, reset: boolean): void {
    const withPid = severalProcesses(s.lanes);
    const keep = (sel: SelectLike | undefined, values: string[]) => (!reset && sel && values.includes(sel.value) ? sel.value : ALL);
    const lane = keep(this.socketFilter, s.lanes.map((l) => l.key));
    const call = keep(this.callFilter, s.callNames as string[]);
    this.socketFilter = singleSelect([{ value: ALL, label: t('All sockets') }, ...s.lanes.map((l) => ({ value: l.key, label: laneLabel(l, withPid) }))], lane, t('Socket'));
    this.socketFilter.classList.add('tl-socket-filter');
    this.callFilter = singleSelect([{ value: ALL, label: t('All calls') }, ...s.callNames.map((n) => ({ value: n, label: n }))], call, t('Call'));
    this.callFilter.classList.add('tl-call-filter');
    this.socketFilter.addEventListener('change', () => this.applyLanes(false));
    this.callFilter.addEventListener('change', () => this.applyLanes(false));
    const zoomIn = button(t('Zoom in'), { secondary: '', class: 'tl-zoom-in', title: t('Zoom in (+)') });
    const zoomOut = button(t('Zoom out'), { secondary: '', class: 'tl-zoom-out', title: t('Zoom out (−)') });
    const fit = button(t('Fit'), { secondary: '', class: 'tl-fit', title: t('Show the whole run (0)') });
    zoomIn.addEventListener('click', () => this.plot.zoomBy(0.5));
    zoomOut.addEventListener('click', () => this.plot.zoomBy(2));
    fit.addEventListener('click', () => this.plot.fit());
    this.bar.replaceChildren(this.socketFilter, this.callFilter, zoomIn, zoomOut, fit);
  }

  private showCounts(s: TimelineSummary): void {
    const parts = [t('{0} calls on {1} sockets', s.kept, s.lanes.length + s.lanesOmitted)];
    if (s.evicted) parts.push(t('{0} older calls forgotten (the run made {1})', s.evicted, s.total));
    if (s.dropped) parts.push(t('{0} calls not recorded: the program made them faster than they could be handed over', s.dropped));
    if (s.lanesOmitted) parts.push(t('{0} sockets not listed', s.lanesOmitted));
    this.counts.textContent = parts.join(' · ');
    this.counts.classList.toggle('tl-warn', s.evicted > 0 || s.dropped > 0);
  }

  /** Shows call `id` (the command's line, a linked call): scrolls the plot to it and selects it. */
  async focus(id: number): Promise<void> {
    const d = await this.showCall(id);
    if (d) this.plot.reveal(id, d.t);
  }

  private async showCall(id: number | undefined): Promise<TimelineCallDetail | undefined> {
    const seq = ++this.detailSeq;
    const r = id === undefined ? undefined : await this.client.call({ type: 'call', id });
    if (seq !== this.detailSeq) return undefined;
    const d = r && !('missing' in r) ? r : undefined;
    this.current = d;
    this.details.show(d);
    this.bytes.set(d?.bytes ?? new Uint8Array(0));
    this.hexPane.reset();
    this.hexPane.hex.setSource(this.bytes);
    const more = d?.returned !== undefined && d.returned > d.bytes.length;
    this.bytesTitle.textContent = more ? t('Bytes (the first {0} of {1} recorded)', d.bytes.length, d.returned!) : t('Bytes');
    this.root.dataset.selected = d ? String(d.id) : '';
    const seg = d?.wire?.segments;
    this.plot.markFrames(seg && 'frames' in seg ? seg.frames : []);
    return d;
  }
}
