// The I/O graph: packets or bytes per interval as lines in SVG, drawn in the theme's chart colours; the whole
// capture as one line, a conversation as two (A → B, B → A); intervals holding packets with TCP analysis flags are
// marked along the top. The interval is auto or one of Wireshark's (1 ms … 10 s) that the capture fits in. The
// pointer or the arrow keys read one interval out.
import { IO_INTERVALS_MS, type IoGraph, type IoSeries } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { niceCeil, timeTicks } from './ioTicks';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 200;
const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const num = new Intl.NumberFormat();

/** "1 ms", "200 ms", "1 s", "10 s" (an auto interval may be 4.096 s). */
export function intervalText(ms: number): string {
  return ms < 1000 ? t('{0} ms', num.format(ms)) : t('{0} s', num.format(ms / 1000));
}

/** Packets with TCP analysis flags per interval, both series together. */
function eventsPerBin(g: IoGraph): number[] {
  const bins = g.series[0]?.packets.length ?? 0;
  return Array.from({ length: bins }, (_, i) => g.series.reduce((n, s) => n + (s.events?.[i] ?? 0), 0));
}

export class IoGraphView {
  readonly element = h('section', 'pk-io');
  private readonly title = h('h2', 'pk-h pk-io-title');
  private readonly unit = h('select', 'pk-select pk-io-unit');
  private readonly intervalPick = h('select', 'pk-select pk-io-interval');
  private readonly whole = h('button', 'pk-btn secondary pk-io-whole', t('Whole capture'));
  private readonly legend = h('div', 'pk-io-legend');
  private readonly plot = svg('svg', { class: 'pk-io-svg', height: HEIGHT, tabindex: 0, role: 'img' });
  private readonly readout = h('div', 'pk-io-readout');
  private graph: IoGraph | undefined;
  private cursor = -1;

  constructor(onWhole: () => void, onInterval: () => void) {
    this.intervalPick.append(Object.assign(h('option', '', t('Auto interval')), { value: '' }));
    for (const ms of IO_INTERVALS_MS) this.intervalPick.append(Object.assign(h('option', '', intervalText(ms)), { value: String(ms) }));
    this.intervalPick.setAttribute('aria-label', t('Interval'));
    this.intervalPick.addEventListener('change', onInterval);
    for (const [value, label] of [['packets', t('Packets per interval')], ['bytes', t('Bytes per interval')]]) {
      const o = h('option', '', label);
      o.value = value;
      this.unit.append(o);
    }
    this.unit.setAttribute('aria-label', t('What the graph counts'));
    this.unit.addEventListener('change', () => this.draw());
    this.whole.type = 'button';
    this.whole.addEventListener('click', onWhole);
    this.readout.setAttribute('aria-live', 'polite');
    const head = h('div', 'pk-io-head');
    head.append(this.title, this.unit, this.intervalPick, this.whole, this.legend);
    this.element.append(head, this.plot, this.readout);
    new ResizeObserver(() => this.draw()).observe(this.element);
    this.plot.addEventListener('pointermove', (e) => this.pointAt(e.offsetX));
    this.plot.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Shows a graph; `title` says what it is of; `conversation` whether its two lines are the two directions. */
  show(graph: IoGraph, title: string, conversation: boolean): void {
    this.graph = graph;
    this.cursor = -1;
    this.readout.textContent = '';
    this.title.textContent = title;
    this.whole.hidden = !conversation;
    this.element.dataset.series = String(graph.series.length);
    // intervals the capture is too long for (more than the bin budget) cannot be picked
    for (const o of this.intervalPick.options) o.disabled = o.value !== '' && graph.intervals !== undefined && !graph.intervals.includes(Number(o.value));
    this.draw();
  }

  /** The interval picked (undefined: auto). */
  get interval(): number | undefined {
    return this.intervalPick.value === '' ? undefined : Number(this.intervalPick.value);
  }

  private get counts(): 'packets' | 'bytes' {
    return this.unit.value === 'bytes' ? 'bytes' : 'packets';
  }

  private seriesLabel(s: IoSeries): string {
    return s.label === 'aToB' ? t('A → B') : s.label === 'bToA' ? t('B → A') : t('All packets');
  }

  private draw(): void {
    const g = this.graph;
    const width = this.plot.clientWidth || this.element.clientWidth;
    if (!g || width <= PAD.left + PAD.right) return;
    const bins = g.series[0]?.packets.length ?? 0;
    const top = niceCeil(Math.max(1, ...g.series.flatMap((s) => s[this.counts])));
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const binW = plotW / Math.max(1, bins);
    const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
    const parts: SVGElement[] = [];
    for (const v of [0, top / 2, top]) {
      parts.push(svg('line', { class: 'pk-io-grid', x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }));
      const label = svg('text', { class: 'pk-io-tick', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' });
      label.textContent = num.format(v);
      parts.push(label);
    }
    parts.push(...this.timeTicks(g, bins, binW));
    // Few intervals: a bar each (side by side for two series); many: a line through their middles.
    const bars = bins * g.series.length * 3 <= plotW;
    g.series.forEach((s, k) => {
      const values = s[this.counts];
      if (bars) {
        const w = Math.max(1, Math.min(40, (binW * 0.8) / g.series.length));
        const left = (binW - w * g.series.length) / 2; // the bars of one interval, centred in it
        values.forEach((v, i) => v > 0 && parts.push(svg('rect', { class: `pk-io-bar s${k}`, x: PAD.left + i * binW + left + k * w, y: y(v), width: w, height: y(0) - y(v) })));
      } else parts.push(svg('polyline', { class: `pk-io-line s${k}`, points: values.map((v, i) => `${(PAD.left + (i + 0.5) * binW).toFixed(1)},${y(v).toFixed(1)}`).join(' ') }));
    });
    parts.push(...this.eventMarks(g, binW));
    if (this.cursor >= 0) {
      const cx = PAD.left + (this.cursor + 0.5) * binW;
      parts.push(svg('line', { class: 'pk-io-cursor', x1: cx, x2: cx, y1: PAD.top, y2: PAD.top + plotH }));
    }
    this.plot.replaceChildren(...parts);
    const caption = t('Interval: {0}', intervalText(g.intervalMs));
    const events = eventsPerBin(g).reduce((x, y) => x + y, 0);
    this.plot.setAttribute('aria-label', `${this.title.textContent ?? ''}: ${caption}`);
    const keys = g.series.map((s, k) => h('span', `pk-io-key s${k}`, this.seriesLabel(s)));
    if (events) keys.push(h('span', 'pk-io-key pk-io-key-event', t('TCP analysis flags: {0} packets', num.format(events))));
    this.legend.replaceChildren(...keys, h('span', 'pk-io-caption', caption));
    this.element.dataset.interval = String(g.intervalMs);
    this.element.dataset.events = String(events);
  }

  /** A mark at the top of each interval holding packets with TCP analysis flags, taller for more. */
  private eventMarks(g: IoGraph, binW: number): SVGElement[] {
    const per = eventsPerBin(g);
    const most = Math.max(1, ...per);
    const out: SVGElement[] = [];
    per.forEach((n, i) => {
      if (n === 0) return;
      const w = Math.max(2, Math.min(8, binW * 0.8));
      const hgt = 4 + 8 * (n / most);
      out.push(svg('rect', { class: 'pk-io-event', x: PAD.left + (i + 0.5) * binW - w / 2, y: PAD.top, width: w, height: hgt, 'data-bin': i, 'data-count': n }));
    });
    return out;
  }

  /** The x-axis labels at interval edges (see timeTicks), in seconds since the capture's first packet. */
  private timeTicks(g: IoGraph, bins: number, binW: number): SVGElement[] {
    return timeTicks(g.start, g.intervalMs, bins).map(({ bin, label }) => {
      const x = PAD.left + bin * binW;
      const anchor = bin <= 0.5 ? 'start' : bin >= bins - 0.5 ? 'end' : 'middle';
      const text = svg('text', { class: 'pk-io-tick', x, y: HEIGHT - 6, 'text-anchor': anchor });
      text.textContent = label;
      return text;
    });
  }

  private pointAt(offsetX: number): void {
    const bins = this.graph?.series[0]?.packets.length ?? 0;
    const width = this.plot.clientWidth;
    if (!bins || width <= PAD.left + PAD.right) return;
    const f = (offsetX - PAD.left) / (width - PAD.left - PAD.right);
    this.moveCursor(Math.min(bins - 1, Math.max(0, Math.floor(f * bins))));
  }

  private onKey(e: KeyboardEvent): void {
    const bins = this.graph?.series[0]?.packets.length ?? 0;
    if (!bins) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10, Home: -bins, End: bins }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    this.moveCursor(Math.min(bins - 1, Math.max(0, (this.cursor < 0 ? 0 : this.cursor) + step)));
  }

  /** Puts the cursor on interval `i` and reads it out. */
  private moveCursor(i: number): void {
    const g = this.graph;
    if (!g) return;
    this.cursor = i;
    this.draw();
    const from = g.start + (i * g.intervalMs) / 1000;
    const to = from + g.intervalMs / 1000;
    const values = g.series.map((s) => `${this.seriesLabel(s)}: ${t('{0} packets, {1} bytes', num.format(s.packets[i]), num.format(s.bytes[i]))}`);
    const events = eventsPerBin(g)[i];
    if (events) values.push(t('TCP analysis flags: {0} packets', num.format(events)));
    this.readout.textContent = `${from.toFixed(3)}–${to.toFixed(3)} s · ${values.join(' · ')}`;
  }
}
