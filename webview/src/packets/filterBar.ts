// The packet panel's top bar: the display filter (Enter applies, Escape clears), its error, the status line
// (counts, capture state, drops) and the export buttons.
import type { ExportFormat, FilterResult, PanelStatus } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { filterErrorText, statusText } from './statusText';

function button(text: string, cls: 'primary' | 'secondary'): HTMLButtonElement {
  const b = h('button', `pk-btn ${cls}`, text);
  b.type = 'button';
  return b;
}

export interface FilterBarHost {
  /** Asks the host to apply a filter. */
  filter(expr: string): Promise<FilterResult>;
  /** The newest filter was applied (a stale answer, overtaken by a newer filter, is not passed on). */
  filtered(status: PanelStatus): void;
  /** Exports all packets, or the selected packet's connection. */
  export(format: ExportFormat, connection: boolean): void;
  /** Follows the selected packet's TCP connection or UDP conversation. */
  follow(): void;
}

export class FilterBar {
  readonly element = h('div', 'pk-bar');
  private readonly input = h('input', 'pk-filter-input');
  private readonly error = h('div', 'pk-filter-error');
  private readonly statusEl = h('span', 'pk-status');
  private readonly exportConn = button(t('Export this connection'), 'secondary');
  private readonly followButton = button(t('Follow stream'), 'secondary');
  private seq = 0;

  /** `root` carries data-filter-error for tests and styles. */
  constructor(filter: string, canExport: boolean, private readonly root: HTMLElement, private readonly host: FilterBarHost) {
    this.element.setAttribute('role', 'toolbar');
    const wrap = h('div', 'pk-filter');
    const input = this.input;
    input.type = 'text';
    input.spellcheck = false;
    input.placeholder = t('Display filter, e.g. tcp.flags.syn == 1');
    input.setAttribute('aria-label', t('Display filter'));
    input.value = filter;
    this.error.id = 'pk-filter-error';
    this.error.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', this.error.id);
    wrap.append(input, this.error);
    const apply = button(t('Apply'), 'primary');
    const clear = button(t('Clear'), 'secondary');
    this.statusEl.setAttribute('aria-live', 'polite');
    const exportNg = button(t('Export pcapng'), 'secondary');
    const exportPcap = button(t('Export pcap'), 'secondary');
    this.exportConn.disabled = true;
    for (const b of [exportNg, exportPcap, this.exportConn]) b.hidden = !canExport;
    this.followButton.disabled = true;
    this.followButton.title = t('The payload of the selected packet\'s TCP connection or UDP conversation, both directions in order');
    this.followButton.classList.add('pk-follow-button');
    this.followButton.addEventListener('click', () => host.follow());
    this.element.append(wrap, apply, clear, this.statusEl, h('span', 'pk-grow'), this.followButton, exportNg, exportPcap, this.exportConn);

    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void this.apply(input.value);
      } else if (e.key === 'Escape' && input.value) {
        input.value = '';
        void this.apply('');
      }
    });
    apply.addEventListener('click', () => void this.apply(input.value));
    clear.addEventListener('click', () => {
      input.value = '';
      void this.apply('');
      input.focus();
    });
    exportNg.addEventListener('click', () => host.export('pcapng', false));
    exportPcap.addEventListener('click', () => host.export('pcap', false));
    this.exportConn.addEventListener('click', () => host.export('pcapng', true));
  }

  /** A filter the host applied: shown as if typed, and any newer typing wins. */
  setFilter(expr: string): void {
    this.seq++;
    this.input.value = expr;
    this.error.textContent = '';
    this.input.removeAttribute('aria-invalid');
    this.root.dataset.filterError = 'false';
  }

  /** Export this connection is offered only while the selected packet belongs to one. */
  set connectionSelected(yes: boolean) {
    this.exportConn.disabled = !yes;
  }

  /** Follow stream is offered only while the selected packet is TCP or UDP. */
  set flowSelected(yes: boolean) {
    this.followButton.disabled = !yes;
  }

  showStatus(status: PanelStatus): void {
    this.statusEl.textContent = statusText(status);
  }

  private async apply(expr: string): Promise<void> {
    const seq = ++this.seq;
    const res = await this.host.filter(expr);
    if (seq !== this.seq) return; // a newer filter was typed meanwhile
    this.error.textContent = res.ok ? '' : filterErrorText(res.error);
    if (res.ok) this.input.removeAttribute('aria-invalid');
    else this.input.setAttribute('aria-invalid', 'true');
    this.root.dataset.filterError = String(!res.ok);
    if (res.ok) this.host.filtered(res);
  }
}
