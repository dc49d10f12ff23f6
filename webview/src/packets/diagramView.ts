// Draws the TCP conversation diagram as SVG built with DOM APIs (text via textContent only):
// two endpoint lanes, one arrow per segment; arrows are focusable and select their packet.
import { Emitter } from '../../../src/shared/disposable';
import type { DiagramData } from '../../../src/shared/packetPanelProtocol';
import { type ArrowLayout, layoutDiagram } from './diagramLayout';
import { analysisExplanation, analysisLabel, isBadMark } from './tcpAnalysisText';
import { h } from '../dom';
import { t } from '../strings';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class DiagramView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly note: HTMLElement;
  private selectedIndex = -1;
  private last: DiagramData | undefined;
  private lastWidth = 0;
  private readonly _onDidSelectPacket = new Emitter<number>();
  /** A segment's arrow was clicked or activated; carries the packet's capture-wide index. */
  readonly onDidSelectPacket = this._onDidSelectPacket.event;

  constructor(parent: HTMLElement) {
    this.element = h('div', 'pk-diagram');
    this.canvas = h('div', 'pk-diagram-canvas');
    this.note = h('div', 'pk-diagram-note');
    this.element.append(this.canvas, this.note);
    parent.append(this.element);
    // Lay the lanes out again when the pane is resized, so the arrows span the space there is.
    new ResizeObserver(() => {
      const w = this.element.clientWidth;
      if (this.last && Math.abs(w - this.lastWidth) > 8) {
        this.lastWidth = w;
        this.show(this.last);
      }
    }).observe(this.element);
    this.canvas.addEventListener('click', (e) => {
      const g = (e.target as Element).closest<SVGGElement>('g.pk-seg');
      if (g?.dataset.index) this._onDidSelectPacket.fire(Number(g.dataset.index));
    });
    this.canvas.addEventListener('keydown', (e) => {
      const g = (e.target as Element).closest<SVGGElement>('g.pk-seg');
      if (!g) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        if (g.dataset.index) this._onDidSelectPacket.fire(Number(g.dataset.index));
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const sib = e.key === 'ArrowDown' ? g.nextElementSibling : g.previousElementSibling;
        if (sib instanceof SVGGElement && sib.classList.contains('pk-seg')) sib.focus();
      }
    });
  }

  showMessage(text: string): void {
    this.last = undefined;
    this.canvas.textContent = '';
    this.note.textContent = text;
  }

  show(data: DiagramData): void {
    this.last = data;
    this.lastWidth = this.element.clientWidth;
    const width = Math.max(330, Math.min(900, this.element.clientWidth - 4 || 640));
    const l = layoutDiagram(data, { width });
    this.canvas.textContent = '';
    const root = svg('svg', { width: l.width, height: l.height, viewBox: `0 0 ${l.width} ${l.height}`, role: 'group', 'aria-label': `${t('Conversation diagram')}: ${l.a} ⇄ ${l.b}` });
    root.classList.add('pk-svg');
    const defs = svg('defs', {});
    for (const tone of ['syn', 'fin', 'rst', 'data', 'ack']) {
      const m = svg('marker', { id: `pk-arrow-${tone}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' });
      const p = svg('path', { d: 'M0,0 L10,5 L0,10 z' });
      p.classList.add('pk-arrowhead', `pk-tone-${tone}`);
      m.append(p);
      defs.append(m);
    }
    root.append(defs);
    // Lanes close together (a narrow pane): push the two titles outwards so they do not run into each other.
    const crowded = l.laneB - l.laneA < 200;
    for (const [x, name] of [[l.laneA, l.a], [l.laneB, l.b]] as const) {
      const outer = x === l.laneA ? { x: x + 16, anchor: 'end' } : { x: l.width - 2, anchor: 'end' };
      const t = svg('text', crowded ? { x: outer.x, y: l.headerY, 'text-anchor': outer.anchor } : { x, y: l.headerY, 'text-anchor': 'middle' });
      t.classList.add('pk-lane-title');
      t.textContent = name;
      const line = svg('line', { x1: x, y1: l.headerY + 8, x2: x, y2: l.height - 4 });
      line.classList.add('pk-lane');
      root.append(t, line);
    }
    for (const a of l.arrows) {
      const notes = a.analysis.map((n) => `${analysisLabel(n, a.dupAckNum)}: ${analysisExplanation(n)}`);
      const g = svg('g', { tabindex: 0, role: 'button', 'aria-label': [`${a.no}: ${a.flagsText} ${a.fullDetail}`, ...notes].join('. ') });
      const tip = svg('title', {});
      tip.textContent = [`${a.no}  ${a.flagsText} ${a.fullDetail}`, ...notes].join('\n');
      g.append(tip);
      g.classList.add('pk-seg', `pk-tone-${a.tone}`);
      g.dataset.index = String(a.index);
      g.dataset.flags = a.flagsText;
      if (a.index === this.selectedIndex) g.classList.add('selected');
      const time = svg('text', { x: 4, y: a.y1 + 4 });
      time.classList.add('pk-time');
      time.textContent = a.timeLabel;
      const hit = svg('rect', { x: 0, y: a.y1 - 18, width: l.width, height: a.rowHeight });
      hit.classList.add('pk-hit');
      const line = svg('line', { x1: a.x1, y1: a.y1, x2: a.x2, y2: a.y2, 'marker-end': `url(#pk-arrow-${a.tone})` });
      line.classList.add('pk-arrow');
      const flags = svg('text', { x: a.labelX, y: a.labelY, 'text-anchor': 'middle' });
      flags.classList.add('pk-flags');
      const f1 = svg('tspan', {});
      f1.classList.add('pk-flagtext');
      f1.textContent = `${a.flagsText} `;
      const f2 = svg('tspan', {});
      f2.textContent = a.detail;
      flags.append(f1, f2);
      g.append(hit, time, line, flags);
      if (a.analysis.length > 0) g.append(this.mark(a));
      root.append(g);
    }
    this.canvas.append(root);
    const cut = [data.omittedBefore > 0 ? t('{0} earlier segments not drawn.', data.omittedBefore) : '', data.omitted > 0 ? t('{0} more segments not drawn.', data.omitted) : ''];
    this.note.textContent = cut.filter(Boolean).join(' ');
  }

  /** The TCP analysis mark under an arrow's start: its short labels, coloured as trouble or as a plain note. */
  private mark(a: ArrowLayout): SVGTextElement {
    const bad = isBadMark(a.analysis);
    const m = svg('text', { x: a.markX, y: a.markY, 'text-anchor': a.markAnchor });
    m.classList.add('pk-mark', bad ? 'pk-mark-bad' : 'pk-mark-note');
    m.textContent = `${bad ? '⚠ ' : ''}${a.analysis.map((n) => analysisLabel(n, a.dupAckNum)).join(', ')}`;
    return m;
  }

  /** Marks the arrow of the selected packet (if it is in this connection). */
  highlight(index: number): void {
    this.selectedIndex = index;
    for (const g of this.canvas.querySelectorAll<SVGGElement>('g.pk-seg')) g.classList.toggle('selected', g.dataset.index === String(index));
  }
}
