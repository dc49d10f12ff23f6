// The send bar: text / hex / escapes input with encoding, line ending and framing, history on
// Up/Down, send a file, and NetAssist-style repeat. Bad input is marked in place; nothing is sent.
import { type InputMode, type LineEnding, type SessionPanelClient, type RepeatState, type SendResult, type SendSpec } from '../../../src/shared/sessionPanelProtocol';
import { FRAMING_NAMES, type FramingName } from '../../../src/shared/types';
import { button, h, singleSelect, textField, type SelectLike, type TextFieldLike } from '../dom';
import { t } from '../strings';
import { SavedRow } from './savedRow';

export interface SendBarState {
  mode: InputMode;
  encoding: string;
  lineEnding: LineEnding;
  framing: FramingName;
  history: string[];
  intervalMs: number;
  count: number;
  /** What was typed but not sent, so it survives the panel being hidden and shown again. */
  draft?: string;
  /** UDP: destinations sent to, newest last (Up/Down in the destination box recalls them). */
  destinations?: string[];
}

/** What a UDP socket knows about where a send goes (SessionInfo.udp). */
export interface UdpTargets {
  readonly defaultTarget?: string;
  readonly lastPeer?: string;
}

const HISTORY = 50;

/** The send bar's format choices: input format, encoding, line ending, framing. */
function formatSelects(state: SendBarState, encodings: readonly string[]): Record<'mode' | 'enc' | 'eol' | 'framing', SelectLike> {
  const mode = singleSelect(
    [
      { value: 'text', label: t('Text') },
      { value: 'hex', label: t('Hex') },
      { value: 'escapes', label: t('Escapes (\\r \\x00 \\u5e74)') },
    ],
    state.mode,
    t('Input format'),
  );
  mode.classList.add('send-mode');
  const enc = singleSelect(encodings.map((e) => ({ value: e, label: e })), state.encoding, t('Send encoding'));
  enc.classList.add('send-encoding');
  const eol = singleSelect(
    [
      { value: 'none', label: t('No line ending') },
      { value: 'lf', label: 'LF \\n' },
      { value: 'crlf', label: 'CRLF \\r\\n' },
    ],
    state.lineEnding,
    t('Line ending'),
  );
  eol.classList.add('send-eol');
  const framingLabels: Record<FramingName, string> = {
    raw: t('Raw'),
    line: t('Line-delimited'),
    len2be: t('2-byte length, big endian'),
    len2le: t('2-byte length, little endian'),
    len4be: t('4-byte length, big endian'),
    len4le: t('4-byte length, little endian'),
  };
  const framing = singleSelect(FRAMING_NAMES.map((f) => ({ value: f, label: framingLabels[f] })), state.framing, t('Framing'));
  framing.classList.add('send-framing');
  return { mode, enc, eol, framing };
}

export class SendBar {
  readonly element: HTMLElement;
  private readonly input: TextFieldLike;
  private readonly enc: SelectLike;
  /** UDP only: host:port; empty sends to the default destination, else back to the last sender (as the session does). */
  private readonly dest: TextFieldLike;
  private udp = false;
  private destPos = -1;
  private readonly error: HTMLElement;
  private readonly status: HTMLElement;
  private readonly repeatBtn: HTMLElement;
  private readonly stopBtn: HTMLElement;
  private readonly interval: TextFieldLike;
  private readonly count: TextFieldLike;
  private readonly sendBtn: HTMLElement;
  private readonly fileBtn: HTMLElement;
  /** The workspace's saved messages and "Save as message…". */
  readonly saved: SavedRow;
  private historyPos = -1;
  private draft = '';
  private validateTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    parent: HTMLElement,
    private readonly client: SessionPanelClient,
    private readonly state: SendBarState,
    encodings: readonly string[],
    private readonly save: () => void,
  ) {
    this.element = h('div', 'send-bar');
    this.element.setAttribute('role', 'form');
    this.element.setAttribute('aria-label', t('Send'));

    const { mode, enc, eol, framing } = formatSelects(state, encodings);
    const bind = (s: SelectLike, key: 'mode' | 'encoding' | 'lineEnding' | 'framing') =>
      s.addEventListener('change', () => {
        (this.state as unknown as Record<string, string>)[key] = s.value;
        this.save();
        this.scheduleValidate();
      });
    bind(mode, 'mode');
    bind(enc, 'encoding');
    // the session has one encoding: choosing it here chooses it for the conversation too
    enc.addEventListener('change', () => void this.client.call({ type: 'setEncoding', encoding: enc.value }));
    this.enc = enc;
    bind(eol, 'lineEnding');
    bind(framing, 'framing');

    this.input = textField({ class: 'send-input', placeholder: t('Type what to send; Enter sends, Up/Down recalls history'), 'aria-label': t('Data to send') });
    this.input.addEventListener('input', () => {
      this.historyPos = -1;
      this.scheduleValidate();
    });
    if (state.draft) {
      this.input.value = state.draft;
      this.scheduleValidate();
    }
    this.input.addEventListener('keydown', (e) => this.onKey(e as KeyboardEvent));
    this.dest = textField({ class: 'send-dest', placeholder: t('host:port to send to'), 'aria-label': t('Destination (host:port)'), title: t('Destination (host:port); Up/Down recalls recent ones') });
    this.dest.hidden = true;
    this.dest.addEventListener('keydown', (e) => this.onDestKey(e as KeyboardEvent));
    this.sendBtn = button(t('Send'), { class: 'send-button', title: t('Send (Enter)') });
    this.sendBtn.addEventListener('click', () => void this.send());
    this.fileBtn = button(t('Send file…'), { secondary: '', class: 'send-file' });
    this.fileBtn.addEventListener('click', () => void this.sendFile());

    this.interval = textField({ class: 'repeat-interval', type: 'number', min: '10', value: String(state.intervalMs), 'aria-label': t('Repeat every (ms)'), title: t('Repeat every (ms)') });
    this.count = textField({ class: 'repeat-count', type: 'number', min: '1', value: String(state.count), 'aria-label': t('Times'), title: t('Times') });
    this.repeatBtn = button(t('Repeat'), { secondary: '', class: 'repeat-start' });
    this.repeatBtn.addEventListener('click', () => void this.startRepeat());
    this.stopBtn = button(t('Stop'), { secondary: '', class: 'repeat-stop' });
    this.stopBtn.hidden = true;
    this.stopBtn.addEventListener('click', () => void this.client.call({ type: 'stopRepeat' }).then((r) => this.repeatState(r)));

    this.error = h('div', 'send-error');
    this.error.setAttribute('role', 'alert');
    this.error.setAttribute('aria-live', 'assertive');
    this.status = h('div', 'send-status');
    this.status.setAttribute('aria-live', 'polite');

    const row1 = h('div', 'send-row');
    row1.append(mode, enc, eol, framing);
    const row2 = h('div', 'send-row');
    row2.append(this.dest, this.input, this.sendBtn, this.fileBtn);
    this.saved = new SavedRow(client, () => this.spec(), (ok, text) => {
      this.error.textContent = ok ? '' : text;
      if (ok) this.status.textContent = text;
    });
    const row3 = h('div', 'send-row');
    const repeat = h('span', 'send-repeat');
    repeat.append(h('span', 'send-label', t('Repeat every')), this.interval, h('span', 'send-label', t('ms,')), this.count, h('span', 'send-label', t('times')), this.repeatBtn, this.stopBtn);
    row3.append(repeat, this.saved.saveButton, this.status);
    this.element.append(row1, row2, this.saved.element, this.error, row3);
    parent.append(this.element);
  }

  /** Disables sending once the session can no longer send (closed, or a listening server). */
  setEnabled(enabled: boolean, reason?: string): void {
    for (const b of [this.sendBtn, this.fileBtn, this.repeatBtn]) b.toggleAttribute('disabled', !enabled);
    this.saved.setEnabled(enabled);
    this.input.toggleAttribute('disabled', !enabled);
    if (!enabled && reason) this.status.textContent = reason;
  }

  /** The session's encoding, chosen elsewhere (the conversation's dropdown, the palette). */
  setEncoding(encoding: string): void {
    if (this.state.encoding === encoding) return;
    this.state.encoding = encoding;
    this.enc.value = encoding;
    this.scheduleValidate();
  }

  /** Shows the destination box for a UDP socket, saying where an empty box sends (the default destination, else the last sender). */
  /**
   * Puts the keyboard where the user types next (a UDP socket that knows nowhere to send asks where first), but only
   * while this page has the keyboard: never taking it from a menu or palette the user opened meanwhile.
   */
  focus(): void {
    const nowhere = this.udp && !this.dest.value.trim() && !this.targets?.defaultTarget && !this.targets?.lastPeer;
    const field = nowhere ? this.dest : this.input;
    // a text field just attached renders its inner <input> a moment later; focusing before that does nothing
    const rendered = (field as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete ?? Promise.resolve();
    void rendered.then(() => document.hasFocus() && field.focus());
  }

  private targets?: UdpTargets;
  setUdpTargets(targets: UdpTargets | undefined): void {
    this.targets = targets;
    this.udp = targets !== undefined;
    this.dest.hidden = !this.udp;
    if (!targets) return;
    this.dest.setAttribute('placeholder', targets.defaultTarget ? t('to {0}', targets.defaultTarget) : targets.lastPeer ? t('reply to {0}', targets.lastPeer) : t('host:port to send to'));
  }

  private spec(): SendSpec {
    const spec: SendSpec = { input: this.input.value, mode: this.state.mode, encoding: this.state.encoding, lineEnding: this.state.lineEnding, framing: this.state.framing };
    const to = this.udp ? this.dest.value.trim() : '';
    return to ? { ...spec, to } : spec;
  }

  private scheduleValidate(): void {
    clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => void this.validate(), 150);
  }

  private async validate(): Promise<void> {
    const spec = this.spec();
    if (this.state.draft !== spec.input) {
      this.state.draft = spec.input;
      this.save();
    }
    if (!spec.input) return this.showResult(undefined);
    try {
      const r = await this.client.call({ type: 'validateInput', spec });
      if (this.input.value === spec.input) this.showResult(r.ok ? undefined : r);
    } catch (e) {
      console.warn('socket-lab: input check failed', e); // the panel may be closing
    }
  }

  private showResult(r: SendResult | undefined): void {
    if (r && !r.ok) {
      this.input.invalid = true;
      this.input.setAttribute('aria-invalid', 'true');
      // the codec's sentences already name the position; the index only places the caret
      this.error.textContent = r.error.message;
      const inner = this.input.shadowRoot?.querySelector('input');
      if (r.error.index !== undefined && inner && document.activeElement === this.input) inner.setSelectionRange(r.error.index, r.error.index + 1);
    } else {
      this.input.invalid = false;
      this.input.removeAttribute('aria-invalid');
      this.error.textContent = '';
    }
  }

  async send(): Promise<void> {
    const spec = this.spec();
    if (!spec.input && spec.lineEnding === 'none') return;
    clearTimeout(this.validateTimer);
    const r = await this.client.call({ type: 'send', spec });
    this.showResult(r);
    if (r.ok) {
      this.status.textContent = spec.to ? t('Sent {0} bytes to {1}.', r.bytes, spec.to) : t('Sent {0} bytes.', r.bytes);
      this.remember(spec.input);
      if (spec.to) this.rememberDestination(spec.to);
    }
  }

  private rememberDestination(to: string): void {
    const list = (this.state.destinations ??= []).filter((d) => d !== to);
    list.push(to);
    this.state.destinations = list.slice(-8);
    this.destPos = -1;
    this.save();
  }

  private onDestKey(e: KeyboardEvent): void {
    const list = this.state.destinations ?? [];
    if (e.key === 'Enter') {
      e.preventDefault();
      this.input.focus();
    } else if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && list.length) {
      e.preventDefault();
      if (this.destPos < 0) this.destPos = list.length;
      this.destPos = e.key === 'ArrowUp' ? Math.max(0, this.destPos - 1) : this.destPos + 1;
      if (this.destPos >= list.length) {
        this.destPos = -1;
        this.dest.value = '';
      } else this.dest.value = list[this.destPos];
    }
  }

  private async sendFile(): Promise<void> {
    const r = await this.client.call({ type: 'sendFile' });
    if ('cancelled' in r) return;
    this.showResult(r);
    if (r.ok) this.status.textContent = t('Sent {0} bytes.', r.bytes);
  }

  private async startRepeat(): Promise<void> {
    const intervalMs = Math.round(Number(this.interval.value));
    const count = Math.round(Number(this.count.value));
    if (!(intervalMs >= 10) || !(count >= 1)) {
      this.error.textContent = t('Repeat needs an interval of at least 10 ms and a count of at least 1.');
      return;
    }
    this.state.intervalMs = intervalMs;
    this.state.count = count;
    this.save();
    const r = await this.client.call({ type: 'startRepeat', spec: this.spec(), intervalMs, count });
    this.showResult(r);
    if (r.ok) this.remember(this.input.value);
  }

  repeatState(r: RepeatState): void {
    this.repeatBtn.hidden = r.running;
    this.stopBtn.hidden = !r.running;
    this.status.textContent = r.running ? t('Repeating: {0} of {1} sent', r.sent, r.total) : r.total ? t('Repeat finished: {0} of {1} sent', r.sent, r.total) : '';
  }

  private remember(input: string): void {
    if (!input) return;
    const hist = this.state.history;
    const i = hist.indexOf(input);
    if (i >= 0) hist.splice(i, 1);
    hist.push(input);
    if (hist.length > HISTORY) hist.splice(0, hist.length - HISTORY);
    this.historyPos = -1;
    this.save();
  }

  private onKey(e: KeyboardEvent): void {
    const hist = this.state.history;
    if (e.key === 'Enter') {
      e.preventDefault();
      void this.send();
    } else if (e.key === 'ArrowUp' && hist.length) {
      e.preventDefault();
      if (this.historyPos < 0) {
        this.draft = this.input.value;
        this.historyPos = hist.length;
      }
      this.historyPos = Math.max(0, this.historyPos - 1);
      this.input.value = hist[this.historyPos];
      this.scheduleValidate();
    } else if (e.key === 'ArrowDown' && this.historyPos >= 0) {
      e.preventDefault();
      this.historyPos++;
      if (this.historyPos >= hist.length) {
        this.historyPos = -1;
        this.input.value = this.draft;
      } else this.input.value = hist[this.historyPos];
      this.scheduleValidate();
    }
  }
}
