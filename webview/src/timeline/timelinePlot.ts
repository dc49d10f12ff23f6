// The timeline's plot: a time axis, one lane per socket, each call a bar as long as it blocked, arrows from each send
// to the recv(s) that returned its bytes, errors marked. Zoom and pan with the wheel, a drag or the keyboard; the
// calls of the span shown are pulled from the host (one bounded window at a time).
import type { TimelineCall, TimelineChunk, TimelineLane, TimelinePacket, TimelineWindow } from '../../../src/shared/timelinePanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { AXIS_H, BAND_H, drawOrder, type DrawnBar, durationText, fitSpan, hitBar, keepVisible, LANE_H, laneMid, layoutBars, MIN_BAR_W, pan, Scale, type Span, ticks, zoom } from './timelineLayout';

const SVG = 'http://www.w3.org/2000/svg';
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A call's colour family. */
function family(call: string): string {
  if (call.startsWith('send')) return 'send';
  if (call.startsWith('recv')) return 'recv';
  if (call === 'accept' || call.startsWith('connect') || call === 'select') return 'wait';
  return 'other';
}

export function laneKindText(lane: TimelineLane): string {
  switch (lane.kind) {
    case 'tcp':
      return 'TCP';
    case 'udp':
      return 'UDP';
    case 'unix':
      return 'Unix';
    case 'listener':
      return t('listening');
    default:
      return t('no socket');
  }
}

/** `fd 4 · TCP` (with the pid when the run has several processes) and `127.0.0.1:5000 ⇄ 127.0.0.1:41234`. */
export function laneLabelParts(lane: TimelineLane, withPid: boolean): { head: string; ends: string } {
  if (lane.socketLab !== undefined) return { head: t('Socket Lab session'), ends: `${lane.local ?? '?'} ⇄ ${lane.peer ?? '?'}` };
  const parts = [lane.fd !== undefined ? `fd ${lane.fd}` : t('no fd'), laneKindText(lane)];
  if (withPid) parts.unshift(`pid ${lane.pid}`);
  return { head: parts.join(' · '), ends: lane.peer ? `${lane.local ?? '?'} ⇄ ${lane.peer}` : (lane.local ?? '') };
}

/** Whether the run's lanes belong to more than one process (a Socket Lab session's lane is none of them). */
export function severalProcesses(lanes: readonly TimelineLane[]): boolean {
  return new Set(lanes.filter((l) => l.socketLab === undefined).map((l) => l.pid)).size > 1;
}

/** A lane on one line (the socket filter's choices). */
export function laneLabel(lane: TimelineLane, withPid: boolean): string {
  const { head, ends } = laneLabelParts(lane, withPid);
  return ends ? `${head} · ${ends}` : head;
}

export interface PlotHost {
  window(span: Span): Promise<TimelineWindow>;
  selected(id: number): void;
  /** Enter on the selected call. */
  open(id: number): void;
  /** A packet's tick: the packet panel at that frame. */
  openFrame(captureId: string, frame: number): void;
  /** A Socket Lab chunk's bar: the session panel at that chunk. */
  openChunk(sessionId: string, seq: number): void;
}

/** A call in words: `recv → 17 B · blocked 0.020 ms · line 35` (its bar's tooltip, and what a screen reader hears). */
function callText(c: TimelineCall): string {
  const result = c.error ? ' ✗' : c.returned !== undefined ? ` → ${c.returned} B` : '';
  return `${c.call}${result} · ${t('blocked {0}', durationText(c.ms))}${c.line !== undefined ? ` · ${t('line {0}', c.line)}` : ''}`;
}

/** The plot's tallest minimum height (px): lanes beyond it scroll, the panes below give way first. */
const MIN_PLOT_H = 250;

/** `SYN, ACK`: a packet's TCP flags in words. */
function flagsText(flags: number): string {
  const names: [number, string][] = [[0x02, 'SYN'], [0x01, 'FIN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK']];
  return names.filter(([bit]) => flags & bit).map(([, n]) => n).join(', ');
}

export class TimelinePlot {
  readonly element = h('section', 'tl-plot');
  private readonly labels = h('div', 'tl-labels');
  private readonly box = h('div', 'tl-svgbox');
  private readonly note = h('div', 'tl-window-note');
  /** The selected call, read out by screen readers. */
  private readonly live = h('div', 'tl-live');
  /** The bars as last drawn, for hit-testing a click. */
  private drawn: DrawnBar[] = [];
  private span: Span = fitSpan(0);
  private duration = 0;
  private lanes: TimelineLane[] = [];
  private data: TimelineWindow = { calls: [], links: [], omitted: 0 };
  private selectedId: number | undefined;
  /** The selected call's frames, marked in the packet band. */
  private linkedFrames = new Set<number>();
  private seq = 0;
  private fetchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: PlotHost) {
    this.box.tabIndex = 0;
    this.box.setAttribute('role', 'application');
    this.box.setAttribute('aria-label', t('Socket calls on a time axis. Left and Right select the previous or next call, Up and Down the call on the socket above or below, Shift+Left and Shift+Right pan, + and − zoom, 0 fits, Enter opens its line.'));
    this.note.setAttribute('role', 'status');
    this.live.setAttribute('aria-live', 'polite');
    const body = h('div', 'tl-plot-body');
    body.append(this.labels, this.box);
    this.element.append(body, this.note, this.live);
    new ResizeObserver(() => this.draw()).observe(this.box);
    this.wire();
  }

  get selection(): number | undefined {
    return this.selectedId;
  }

  /** New lanes (a filter, more sockets); `fit` also shows the whole run. */
  setLanes(lanes: readonly TimelineLane[], duration: number, fit: boolean): void {
    this.lanes = [...lanes];
    this.duration = duration;
    if (fit) this.span = fitSpan(duration);
    this.fetch(0);
  }

  fit(): void {
    this.setSpan(fitSpan(this.duration));
  }

  zoomBy(factor: number): void {
    this.setSpan(zoom(this.span, factor, this.selectedCall() ? this.selectedCall()!.t : undefined));
  }

  /** Shows and selects call `id` starting at `at` s. */
  reveal(id: number, at: number): void {
    this.selectedId = id;
    this.setSpan(keepVisible(this.span, at));
  }

  clearSelection(): void {
    this.selectedId = undefined;
    this.linkedFrames.clear();
    this.draw();
  }

  /** Marks the frames that carried the selected call's bytes. */
  markFrames(frames: readonly number[]): void {
    this.linkedFrames = new Set(frames);
    this.draw();
  }

  private setSpan(s: Span): void {
    this.span = s;
    this.draw();
    this.fetch();
  }

  private selectedCall(): TimelineCall | undefined {
    return this.data.calls.find((c) => c.id === this.selectedId);
  }

  /** Pulls the span's calls (after `ms`, so a drag or a wheel spin asks once). */
  private fetch(ms = 60): void {
    clearTimeout(this.fetchTimer);
    this.fetchTimer = setTimeout(() => {
      const my = ++this.seq;
      void this.host.window(this.span).then((w) => {
        if (my !== this.seq) return;
        this.data = w;
        this.note.textContent = w.omitted ? t('{0} calls in this span are not drawn: zoom in to see them.', w.omitted) : '';
        this.draw();
      });
    }, ms);
  }

  select(id: number): void {
    this.selectedId = id;
    this.draw();
    this.host.selected(id);
    const c = this.selectedCall();
    const lane = c && this.lanes.find((l) => l.key === c.lane);
    this.live.textContent = c ? `${callText(c)}${lane ? ` · ${laneLabel(lane, severalProcesses(this.lanes))}` : ''}` : '';
  }

  /** Selects `c` and keeps it in view. */
  private selectShown(c: TimelineCall): void {
    this.select(c.id);
    const s = keepVisible(this.span, c.t);
    if (s !== this.span) this.setSpan(s);
  }

  /** The previous or next call in time (on any socket). */
  private step(dir: 1 | -1): void {
    const calls = [...this.data.calls].sort((a, b) => a.t - b.t || a.id - b.id);
    if (!calls.length) return;
    const i = calls.findIndex((c) => c.id === this.selectedId);
    this.selectShown(i < 0 ? (dir > 0 ? calls[0] : calls[calls.length - 1]) : calls[Math.min(calls.length - 1, Math.max(0, i + dir))]);
  }

  /** The call nearest in time on the nearest socket above (-1) or below (1) that has calls in view. */
  private laneStep(dir: 1 | -1): void {
    const cur = this.selectedCall();
    if (!cur) return this.step(1);
    const row = this.lanes.findIndex((l) => l.key === cur.lane);
    for (let r = row + dir; r >= 0 && r < this.lanes.length; r += dir) {
      const there = this.data.calls.filter((c) => c.lane === this.lanes[r].key);
      if (!there.length) continue;
      return this.selectShown(there.reduce((a, b) => (Math.abs(b.t - cur.t) < Math.abs(a.t - cur.t) ? b : a)));
    }
  }

  private wire(): void {
    this.box.addEventListener('keydown', (e) => {
      const keys: Record<string, () => void> = {
        ArrowLeft: () => (e.shiftKey ? this.setSpan(pan(this.span, -0.2)) : this.step(-1)),
        ArrowRight: () => (e.shiftKey ? this.setSpan(pan(this.span, 0.2)) : this.step(1)),
        ArrowUp: () => this.laneStep(-1),
        ArrowDown: () => this.laneStep(1),
        '+': () => this.zoomBy(0.5),
        '=': () => this.zoomBy(0.5),
        '-': () => this.zoomBy(2),
        '0': () => this.fit(),
        Home: () => this.fit(),
        '[': () => this.step(-1),
        ']': () => this.step(1),
        Enter: () => this.selectedId !== undefined && this.host.open(this.selectedId),
      };
      const run = keys[e.key];
      if (!run) return;
      e.preventDefault();
      run();
    });
    this.box.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const scale = new Scale(this.span, this.box.clientWidth);
        if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) this.setSpan(pan(this.span, (e.deltaX || e.deltaY) / Math.max(this.box.clientWidth, 1)));
        else this.setSpan(zoom(this.span, 1.002 ** e.deltaY, scale.t(e.offsetX)));
      },
      { passive: false },
    );
    this.wireDrag();
  }

  /** A drag on the plot pans it; a click on a bar selects its call. */
  private wireDrag(): void {
    let drag: { x: number; span: Span; moved: boolean } | undefined;
    this.box.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, span: this.span, moved: false };
      this.box.setPointerCapture(e.pointerId);
    });
    this.box.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      if (Math.abs(dx) < 3 && !drag.moved) return;
      drag.moved = true;
      this.setSpan(pan(drag.span, -dx / Math.max(this.box.clientWidth, 1)));
    });
    this.box.addEventListener('pointerup', (e) => {
      const wasDrag = drag?.moved;
      drag = undefined;
      if (wasDrag) return;
      const hit = document.elementFromPoint(e.clientX, e.clientY);
      const tick = hit?.closest('[data-frame]') as SVGElement | null;
      const packets = this.data.packets;
      if (tick && packets) return this.host.openFrame(packets.captureId, Number(tick.dataset.frame));
      const chunk = hit?.closest('[data-chunk]') as SVGElement | null;
      if (chunk) return this.host.openChunk(chunk.dataset.session ?? '', Number(chunk.dataset.chunk));
      const id = this.callAt(e.clientX, e.clientY);
      if (id !== undefined) this.select(id);
    });
  }

  /** The call a click at client point (`cx`, `cy`) means, if it is on a lane's bars. */
  private callAt(cx: number, cy: number): number | undefined {
    const r = this.box.getBoundingClientRect();
    const y = cy - r.top;
    const row = Math.floor((y - AXIS_H) / LANE_H);
    if (row < 0 || row >= this.lanes.length || Math.abs(y - laneMid(row)) > 10) return undefined;
    return hitBar(this.drawn, row, cx - r.left);
  }

  draw(): void {
    const width = this.box.clientWidth;
    const band = this.data.packets ? BAND_H : 0;
    const height = AXIS_H + this.lanes.length * LANE_H + band + 4;
    const scale = new Scale(this.span, Math.max(width, 1));
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'tl-svg' });
    const defs = svg('defs', {});
    const marker = svg('marker', { id: 'tl-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'tl-arrow-head' }));
    defs.append(marker);
    root.append(defs);
    this.drawAxis(root, scale, height);
    const rowOf = new Map(this.lanes.map((l, i) => [l.key, i]));
    this.lanes.forEach((_, i) => root.append(svg('line', { x1: 0, x2: width, y1: AXIS_H + (i + 1) * LANE_H, y2: AXIS_H + (i + 1) * LANE_H, class: 'tl-lane-line' })));
    const ends = new Map<number, { x: number; y: number }>();
    const bars = svg('g', {});
    const byId = new Map(this.data.calls.map((c) => [c.id, c]));
    this.drawn = layoutBars(this.data.calls, rowOf, scale);
    // where bars overlap, a shorter one goes over a longer one (as a click picks it) and the selected call over all
    const rank = (b: DrawnBar) => (b.id === this.selectedId ? 1 : 0);
    for (const b of [...this.drawn].sort((p, q) => rank(p) - rank(q) || drawOrder(p, q))) ends.set(b.id, this.drawBar(bars, byId.get(b.id)!, b));
    const chunkEnds = this.drawChunks(bars, rowOf, scale);
    const links = svg('g', { class: 'tl-links' });
    for (const l of this.data.chunkLinks ?? []) {
      const call = ends.get(l.call);
      const c = chunkEnds.get(`${l.lane}#${l.seq}`);
      if (!call || !c) continue;
      // a send's bytes go into the chunk Socket Lab received; the chunk Socket Lab sent into a recv
      const [a, b] = c.dir === 'in' ? [call, c] : [c, call];
      links.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'tl-link tl-link-sl', 'marker-end': 'url(#tl-arrow)', 'data-call': l.call, 'data-chunk': l.seq }));
    }
    /** Per recv: how many arrows end there, and whether they come from above. */
    const into = new Map<number, { n: number; above: boolean }>();
    const drawnLinks = this.data.links.filter((l) => ends.has(l.from) && ends.has(l.to));
    for (const l of drawnLinks) into.set(l.to, { n: (into.get(l.to)?.n ?? 0) + 1, above: ends.get(l.from)!.y <= ends.get(l.to)!.y });
    // the arrows into one recv fan out over its bar's height, so each stays a line of its own
    const nth = new Map<number, number>();
    for (const l of drawnLinks) {
      const a = ends.get(l.from)!;
      const b = ends.get(l.to)!;
      const n = into.get(l.to)!.n;
      const k = nth.get(l.to) ?? 0;
      nth.set(l.to, k + 1);
      const dy = n > 1 ? (k - (n - 1) / 2) * Math.min(5, 10 / (n - 1)) : 0;
      links.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y + dy, class: 'tl-link', 'marker-end': 'url(#tl-arrow)', 'data-from': l.from, 'data-to': l.to }));
    }
    // arrows that start microseconds apart draw as one: the recv says how many sends it merged
    for (const [id, { n, above }] of into) {
      const b = ends.get(id)!;
      if (n < 2) continue;
      const badge = svg('text', { x: b.x - 4, y: above ? b.y + 18 : b.y - 10, class: 'tl-merged', 'text-anchor': 'end', 'data-for': id });
      badge.textContent = t('{0} sends merged', n);
      links.append(badge);
    }
    root.append(bars, links);
    if (this.data.packets) root.append(this.drawPackets(this.data.packets.items, scale, AXIS_H + this.lanes.length * LANE_H));
    this.box.replaceChildren(root);
    this.element.style.minHeight = `${Math.min(height + 2, MIN_PLOT_H)}px`;
    this.drawLabels();
  }

  private drawAxis(root: SVGSVGElement, scale: Scale, height: number): void {
    const axis = svg('g', { class: 'tl-axis' });
    for (const tick of ticks(scale)) {
      axis.append(svg('line', { x1: tick.x, x2: tick.x, y1: AXIS_H - 4, y2: height, class: 'tl-grid' }));
      if (tick.x > scale.width - 50) continue; // a label cut by the edge says nothing
      const label = svg('text', { x: tick.x + 3, y: AXIS_H - 8 });
      label.textContent = tick.label;
      axis.append(label);
    }
    root.append(axis);
  }

  /** One call's bar; returns where its arrows attach (its end, in its lane's middle). */
  private drawBar(parent: SVGGElement, c: TimelineCall, { x, w, row }: DrawnBar): { x: number; y: number } {
    const y = laneMid(row);
    const g = svg('g', { 'data-id': c.id, 'data-call': c.call, 'data-lane': c.lane, 'data-line': c.line ?? '', class: `tl-call tl-${family(c.call)}${c.error ? ' error' : ''}${c.id === this.selectedId ? ' selected' : ''}` });
    const tip = svg('title', {});
    tip.textContent = callText(c);
    g.append(tip, svg('rect', { x, y: y - 7, width: w, height: 14, rx: 2, class: 'tl-bar' }));
    if (w > 40) {
      const label = svg('text', { x: x + 3, y: y + 4, class: 'tl-bar-label' });
      label.textContent = c.call;
      g.append(label);
    }
    if (c.error) {
      const mark = svg('text', { x: x + w + 2, y: y + 4, class: 'tl-error-mark' });
      mark.textContent = '✗';
      g.append(mark);
    }
    parent.append(g);
    return { x: x + w, y };
  }

  /** The Socket Lab sessions' chunks as bars on their lanes; returns where arrows attach to each. */
  private drawChunks(parent: SVGGElement, rowOf: Map<string, number>, scale: Scale): Map<string, { x: number; y: number; dir: TimelineChunk['dir'] }> {
    const out = new Map<string, { x: number; y: number; dir: TimelineChunk['dir'] }>();
    for (const c of this.data.chunks ?? []) {
      const row = rowOf.get(c.lane);
      if (row === undefined) continue;
      const x = scale.x(c.t);
      const w = MIN_BAR_W + 2;
      const y = laneMid(row);
      const g = svg('g', { class: `tl-chunk tl-chunk-${c.dir}`, 'data-chunk': c.seq, 'data-session': c.sessionId, 'data-dir': c.dir });
      const tip = svg('title', {});
      tip.textContent = `#${c.seq} · ${c.dir === 'in' ? t('Socket Lab received {0} B', c.len) : t('Socket Lab sent {0} B', c.len)}`;
      g.append(tip, svg('rect', { x, y: y - 7, width: w, height: 14, rx: 2, class: 'tl-bar' }));
      parent.append(g);
      out.set(`${c.lane}#${c.seq}`, { x: c.dir === 'in' ? x : x + w, y, dir: c.dir });
    }
    return out;
  }

  /** The packets band under the lanes: a tick per captured packet, taller for data, marked when the selected call's. */
  private drawPackets(items: readonly TimelinePacket[], scale: Scale, top: number): SVGGElement {
    const g = svg('g', { class: 'tl-packets' });
    g.append(svg('rect', { x: 0, y: top, width: scale.width, height: BAND_H, class: 'tl-band' }));
    const base = top + BAND_H - 4;
    for (const p of items) {
      const x = scale.x(p.t);
      if (x < -4 || x > scale.width + 4) continue;
      const linked = this.linkedFrames.has(p.frame);
      const tall = p.len > 0 || linked ? BAND_H - 8 : (BAND_H - 8) / 2;
      const cls = `tl-pkt${p.len > 0 ? ' data' : ''}${p.flags & 0x07 ? ' ctl' : ''}${linked ? ' linked' : ''}`;
      const tick = svg('g', { class: cls, 'data-frame': p.frame });
      const tip = svg('title', {});
      tip.textContent = `${t('frame {0}', p.frame)} · ${p.src} → ${p.dst} · ${p.len} B${p.flags ? ` · ${flagsText(p.flags)}` : ''}`;
      tick.append(tip, svg('rect', { x: x - 3, y: top, width: 7, height: BAND_H, class: 'tl-pkt-hit' }), svg('rect', { x: x - (linked ? 2 : 1), y: base - tall, width: linked ? 4 : 2, height: tall, class: 'tl-pkt-tick' }));
      g.append(tick);
    }
    return g;
  }

  private drawLabels(): void {
    const withPid = severalProcesses(this.lanes);
    this.labels.replaceChildren(
      h('div', 'tl-axis-label', t('Socket')),
      ...this.lanes.map((l) => {
        const { head, ends } = laneLabelParts(l, withPid);
        const d = h('div', `tl-lane-label tl-kind-${l.kind}${l.socketLab !== undefined ? ' tl-socketlab' : ''}`);
        d.append(h('div', 'tl-lane-head', head), h('div', 'tl-lane-ends', ends));
        d.title = laneLabel(l, withPid);
        d.dataset.lane = l.key;
        return d;
      }),
    );
    const packets = this.data.packets;
    if (!packets) return;
    const band = h('div', 'tl-lane-label tl-band-label');
    band.append(h('div', 'tl-lane-head', t('Packets')), h('div', 'tl-lane-ends', packets.omitted ? t('{0} · {1} not drawn', packets.label, packets.omitted) : packets.label));
    band.title = t('Packets of these connections in capture {0}; click one to see it in the packet panel', packets.label);
    this.labels.append(band);
  }
}
