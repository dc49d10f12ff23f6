// The send bar's saved messages: a button per message block of the workspace's .wire files (one click sends it to
// this session), and "Save as message…", which writes what the send box holds into a .wire file.
import type { SavedMessage, SendSpec, SessionPanelClient } from '../../../src/shared/sessionPanelProtocol';
import { button, h } from '../dom';
import { t } from '../strings';

/** Buttons shown at most: a workspace with hundreds of messages keeps a usable bar (the rest are counted). */
const MAX_BUTTONS = 24;

export class SavedRow {
  readonly element = h('div', 'send-row send-saved');
  readonly saveButton: HTMLElement;
  private readonly buttons = h('span', 'saved-buttons');
  private enabled = true;

  constructor(
    private readonly client: SessionPanelClient,
    /** What the send box holds, with the UDP destination. */
    private readonly spec: () => SendSpec,
    /** Tells the user what happened (the send bar's status line or error). */
    private readonly report: (ok: boolean, text: string) => void,
  ) {
    this.element.append(h('span', 'send-label', t('Saved:')), this.buttons);
    this.element.hidden = true;
    this.saveButton = button(t('Save as message…'), { secondary: '', class: 'save-message', title: t('Save what the box holds as a named message in a .wire file') });
    this.saveButton.addEventListener('click', () => void this.save());
  }

  /** Asks the host for the workspace's messages again (at start, and when a .wire file changed). */
  async refresh(): Promise<void> {
    const { messages } = await this.client.call({ type: 'savedMessages' });
    this.buttons.textContent = '';
    for (const m of messages.slice(0, MAX_BUTTONS)) this.buttons.append(this.messageButton(m));
    if (messages.length > MAX_BUTTONS) this.buttons.append(h('span', 'send-label', t('+{0} more in .wire files', messages.length - MAX_BUTTONS)));
    this.element.hidden = messages.length === 0;
    this.setEnabled(this.enabled);
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    for (const b of this.buttons.querySelectorAll('vscode-button')) b.toggleAttribute('disabled', !enabled);
  }

  private messageButton(m: SavedMessage): HTMLElement {
    const b = button(m.name, { secondary: '', class: 'saved-message', title: t('Send "{0}" ({1}, line {2})', m.name, m.file, m.line) });
    b.dataset.id = m.id;
    b.addEventListener('click', () => void this.send(m));
    return b;
  }

  private async send(m: SavedMessage): Promise<void> {
    const to = this.spec().to;
    const r = await this.client.call(to ? { type: 'sendSaved', id: m.id, to } : { type: 'sendSaved', id: m.id });
    if (r.ok) this.report(true, to ? t('Sent "{0}": {1} bytes to {2}.', m.name, r.bytes, to) : t('Sent "{0}": {1} bytes.', m.name, r.bytes));
    else this.report(false, r.error.message);
  }

  private async save(): Promise<void> {
    const r = await this.client.call({ type: 'saveMessage', spec: this.spec() });
    if (r.ok && r.file) this.report(true, t('Saved as a message in {0}.', r.file));
  }
}
