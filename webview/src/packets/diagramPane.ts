// The conversation diagram's pane: a fold toggle, a pick of the capture's TCP connections and the diagram itself.
// It asks the host for the connection list and for one connection's segments.
import type { ConversationInfo, DiagramData } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { ConnectionSummaryView } from './connectionSummary';
import { DiagramView } from './diagramView';

export interface DiagramPaneHost {
  conversations(): Promise<readonly ConversationInfo[]>;
  /** A connection's segments, around packet `around` when it is long. */
  diagram(key: string, around?: number): Promise<DiagramData>;
  /** The pane was folded away or opened again (kept in the page's state). */
  collapsedChanged(collapsed: boolean): void;
  /** Follow the connection shown. */
  follow(key: string): void;
}

export class DiagramPane {
  readonly element = h('section', 'pk-pane pk-diag-pane');
  readonly diagram: DiagramView;
  /** The shown connection's summary for learners, above its diagram. */
  readonly summary = new ConnectionSummaryView();
  private readonly select = h('select', 'pk-select');
  private readonly toggle = h('button', 'pk-diag-toggle');
  private readonly followButton = h('button', 'pk-btn secondary pk-diag-follow', t('Follow'));
  /** The connection shown ('' before the first), and which of its packets are drawn (a long one is cut). */
  private key = '';
  private drawn: { first: number; last: number; cut: boolean } | undefined;
  private highlighted: number | undefined;

  constructor(private collapsed: boolean, private readonly host: DiagramPaneHost) {
    const head = h('div', 'pk-diag-head');
    this.select.setAttribute('aria-label', t('TCP connection'));
    // The diagram can fold away to a strip with its toggle, giving the packet list the width.
    this.toggle.type = 'button';
    this.toggle.setAttribute('aria-controls', 'pk-diagram');
    this.followButton.type = 'button';
    this.followButton.title = t('Follow this connection\'s stream: its payload, both directions in order');
    this.followButton.disabled = true;
    this.followButton.addEventListener('click', () => {
      if (this.key) host.follow(this.key);
    });
    head.append(this.toggle, h('h2', 'pk-h', t('Conversation diagram')), this.select, this.followButton);
    this.element.append(head, this.summary.element);
    this.diagram = new DiagramView(this.element);
    this.diagram.element.id = 'pk-diagram';
    this.showFolding();
    this.toggle.addEventListener('click', () => {
      this.collapsed = !this.collapsed;
      this.showFolding();
      host.collapsedChanged(this.collapsed);
    });
    this.select.addEventListener('change', () => void this.show(this.select.value, undefined));
  }

  /** The connection the diagram shows. */
  get shown(): string {
    return this.key;
  }

  /** Whether packet `index` of the shown connection is drawn (a long connection's diagram is a window of it). */
  covers(index: number): boolean {
    const d = this.drawn;
    return !d || !d.cut || (index >= d.first && index <= d.last);
  }

  private showFolding(): void {
    const c = this.collapsed;
    this.element.classList.toggle('collapsed', c);
    this.toggle.setAttribute('aria-expanded', String(!c));
    this.toggle.textContent = c ? '«' : '»';
    this.toggle.title = c ? t('Show the conversation diagram') : t('Hide the conversation diagram');
    this.toggle.setAttribute('aria-label', this.toggle.title);
  }

  /** Reloads the connection list; keeps the shown connection while it is still there, else shows the first. */
  async refresh(): Promise<void> {
    const list = await this.host.conversations();
    this.select.textContent = '';
    for (const c of list) {
      const o = h('option', '', `${c.a} → ${c.b} (${c.packets})`);
      o.value = c.key;
      this.select.append(o);
    }
    this.select.disabled = list.length === 0;
    this.followButton.disabled = list.length === 0;
    if (list.length === 0) {
      this.summary.show(undefined, '', '');
      this.diagram.showMessage(t('No TCP connection in this capture.'));
    }
    else if (!list.some((c) => c.key === this.key)) await this.show(list[0].key);
    else this.select.value = this.key;
  }

  async show(key: string, around = this.highlighted): Promise<void> {
    this.key = key;
    this.select.value = key;
    try {
      const d = await this.host.diagram(key, around);
      const segs = d.segments;
      this.drawn = { first: segs[0]?.index ?? 0, last: segs[segs.length - 1]?.index ?? 0, cut: d.omitted + d.omittedBefore > 0 };
      this.summary.show(d.summary, d.a, d.b);
      this.diagram.show(d);
      if (this.highlighted !== undefined) this.diagram.highlight(this.highlighted);
    } catch (e) {
      this.summary.show(undefined, '', '');
      this.diagram.showMessage(t('Error: {0}', e instanceof Error ? e.message : String(e)));
    }
  }

  /** Marks the selected packet's arrow (and remembers it for the next redraw). */
  highlight(index: number): void {
    this.highlighted = index;
    this.diagram.highlight(index);
  }
}
