// The hex pane: a virtualised HexView with its toolbar (bytes per row, go to offset, find, copy formats), a status
// line and the data inspector. What it cannot do alone (find in the host's bytes, decode text, reach the clipboard)
// it asks its host for, so any panel can use it.
import type { FindResult } from '../../../src/shared/sessionPanelProtocol';
import { button, h, singleSelect, textField } from '../dom';
import { t } from '../strings';
import { formatCopy, type CopyFormat } from './copyFormats';
import { parseOffset } from './hexFormat';
import { INSPECT_BYTES, inspect } from './inspector';
import { InspectorView } from './inspectorView';
import { HexView, type BytesPerRow, type HexDataSource } from './hexView';

/** A source whose held range [start, end) the pane reports in its messages. */
export interface HexPaneSource extends HexDataSource {
  start: number;
  end: number;
}

export interface HexPaneHost {
  readonly source: HexPaneSource;
  /** 'auto': as many as fit the pane's width. */
  readonly bytesPerRow: BytesPerRow | 'auto';
  bytesPerRowChanged(v: BytesPerRow | 'auto'): void;
  selectionChanged(sel: { start: number; end: number }): void;
  find(query: string, mode: 'hex' | 'text', from: number): Promise<FindResult>;
  /** The bytes as text in the current encoding (Copy as text). */
  decodeText(offset: number, length: number): Promise<string>;
  copy(text: string): Promise<void>;
}

export class HexPane {
  readonly element: HTMLElement;
  readonly hex: HexView;
  private readonly bar = h('div', 'toolbar hex-bar');
  private readonly message = h('div', 'hex-message');
  private readonly inspectorBox = h('div', 'inspector-box');
  private readonly inspectorHint = h('div', 'inspector-hint', t('Click a byte to decode it here.'));
  private readonly inspector: InspectorView;
  private inspectSeq = 0;

  /** `label` names the bytes for screen readers; `followTail` keeps the view at the end while bytes arrive. */
  constructor(private readonly host: HexPaneHost, opts: { readonly label: string; readonly followTail: boolean }) {
    this.element = h('section', 'pane hex-pane');
    this.element.setAttribute('aria-label', t('Hex viewer'));
    this.message.setAttribute('role', 'status');
    const body = h('div', 'hex-body');
    this.hex = new HexView(body, {
      bytesPerRow: host.bytesPerRow === 'auto' ? 16 : host.bytesPerRow,
      fit: host.bytesPerRow === 'auto',
      followTail: opts.followTail,
      ariaLabel: opts.label,
    });
    // the hex rows are what the user waits for: pull their first page before building anything else
    this.hex.setSource(host.source);
    this.inspectorBox.append(h('div', 'inspector-title', t('Data inspector')));
    this.inspector = new InspectorView(this.inspectorBox, { type: t('Type'), le: t('Little endian'), be: t('Big endian') });
    this.inspectorBox.append(this.inspectorHint);
    this.element.append(this.message, body);
    this.buildBar();
    this.hex.element.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'c') {
        e.preventDefault();
        void this.copy('hex');
      }
    });
    this.hex.onDidChangeSelection((sel) => this.selected(sel));
  }

  /** A different set of bytes (another packet): what the status line and the inspector said no longer holds. */
  reset(): void {
    this.inspectSeq++;
    this.message.textContent = '';
    this.inspector.show([]);
    this.inspectorHint.hidden = false;
  }

  /** Adds the toolbar and the inspector (web components that cost a first render: after the first rows). */
  attachControls(): void {
    this.element.insertBefore(this.bar, this.message);
    this.element.append(this.inspectorBox);
  }

  private buildBar(): void {
    const bpr = singleSelect(
      [{ value: 'auto', label: t('Fit to width') }, ...[8, 16, 32].map((n) => ({ value: String(n), label: t('{0} bytes per row', n) }))],
      String(this.host.bytesPerRow),
      t('Bytes per row'),
    );
    bpr.classList.add('hex-bpr');
    bpr.addEventListener('change', () => {
      const v = bpr.value === 'auto' ? 'auto' : (Number(bpr.value) as BytesPerRow);
      this.hex.setFit(v === 'auto');
      if (v !== 'auto') this.hex.setBytesPerRow(v);
      this.host.bytesPerRowChanged(v);
    });
    const goTo = textField({ class: 'hex-goto', placeholder: t('Go to offset'), title: t('Go to offset (0x1f or 31)'), 'aria-label': t('Go to offset') });
    goTo.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') goTo.invalid = !this.goTo(goTo.value);
    });
    const findMode = singleSelect(
      [
        { value: 'hex', label: t('Hex') },
        { value: 'text', label: t('Text') },
      ],
      'text',
      t('Find as'),
    );
    findMode.classList.add('hex-find-mode');
    const find = textField({ class: 'hex-find', placeholder: t('Find'), 'aria-label': t('Find') });
    const findNext = button(t('Find next'), { secondary: '', class: 'hex-find-next' });
    const doFind = async () => {
      if (find.value) find.invalid = !(await this.find(find.value, findMode.value as 'hex' | 'text'));
      else this.message.textContent = t('Type what to find.');
    };
    find.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') void doFind();
    });
    findNext.addEventListener('click', () => void doFind());
    const copyFormat = singleSelect(
      [
        { value: 'hex', label: t('Copy as hex') },
        { value: 'text', label: t('Copy as text') },
        { value: 'python', label: t("Copy as Python b'…'") },
        { value: 'c', label: t('Copy as C array') },
      ],
      'hex',
      t('Copy format'),
    );
    copyFormat.classList.add('hex-copy-format');
    const copyBtn = button(t('Copy'), { secondary: '', class: 'hex-copy' });
    copyBtn.addEventListener('click', () => void this.copy(copyFormat.value as CopyFormat));
    this.bar.append(bpr, goTo, findMode, find, findNext, copyFormat, copyBtn);
  }

  /** Selects the byte at a typed offset; false (and why, in the status line) when it is not held. */
  private goTo(typed: string): boolean {
    const { start, end } = this.host.source;
    const o = parseOffset(typed);
    if (o === undefined) {
      this.message.textContent = t('Not an offset: type a number such as 0x1f or 31.');
      return false;
    }
    if (o < start || o >= end) {
      this.message.textContent = t('Offset out of range: the held bytes are {0}–{1}.', start, Math.max(start, end - 1));
      return false;
    }
    this.message.textContent = '';
    this.hex.select(o, o + 1);
    this.hex.focus();
    return true;
  }

  /** Finds the next match after the selection, wrapping to the start; false when the query itself is bad. */
  private async find(query: string, mode: 'hex' | 'text'): Promise<boolean> {
    const start = this.host.source.start;
    const from = this.hex.selection ? this.hex.selection.start + 1 : start;
    let r = await this.host.find(query, mode, from);
    const wrapped = !r.error && !r.found && from > start;
    if (wrapped) r = await this.host.find(query, mode, start);
    if (r.error) this.message.textContent = r.error.message;
    else if (r.found) {
      this.hex.select(r.found.offset, r.found.offset + r.found.length);
      // after the selection's own status
      this.message.textContent = wrapped ? t('Found at offset {0}, from the start again.', r.found.offset) : t('Found at offset {0}.', r.found.offset);
    } else this.message.textContent = t('Not found.');
    return !r.error;
  }

  private async copy(format: CopyFormat): Promise<void> {
    const sel = this.hex.selection;
    if (!sel) {
      this.message.textContent = t('Select bytes first.');
      return;
    }
    const end = Math.max(sel.end, sel.start + 1);
    const text = format === 'text' ? await this.host.decodeText(sel.start, end - sel.start) : formatCopy(await this.hex.read(sel.start, end - sel.start), format);
    await this.host.copy(text);
    this.message.textContent = t('Copied {0} bytes.', end - sel.start);
  }

  /** The status line and the inspector follow the selection (or the cursor). */
  private selected(sel: { start: number; end: number; cursor: number }): void {
    this.host.selectionChanged({ start: sel.start, end: sel.end });
    const my = ++this.inspectSeq;
    const len = sel.end - sel.start;
    this.message.textContent = len > 0 ? t('Offset {0} (0x{1}), {2} bytes selected', sel.start, sel.start.toString(16), len) : t('Offset {0} (0x{1})', sel.cursor, sel.cursor.toString(16));
    const at = len > 0 ? sel.start : sel.cursor;
    void this.hex.read(at, Math.max(INSPECT_BYTES, Math.min(len, 4096))).then((bytes) => {
      if (my !== this.inspectSeq) return;
      this.inspectorHint.hidden = true;
      this.inspector.show(
        inspect(bytes, {
          selectionLength: len,
          available: this.host.source.end - at,
          strings: { invalid: (e) => t('not valid {0}', e), announced: (n, have) => (have >= n ? t('{0} bytes announced, all present', n) : t('{0} bytes announced, {1} present', n, have)) },
        }),
      );
    });
  }
}
