// The packet's byte sources under "Packet bytes", as Wireshark's tabs below its bytes pane: the frame, then each
// data source the decoder made (Decrypted TLS, Reassembled TLS). Shown only when a packet has more than the frame.
import type { WireSource } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';

export class SourceTabs {
  readonly element = h('div', 'pk-sources');
  private shown: number | undefined;
  private buttons: HTMLButtonElement[] = [];

  constructor(private readonly picked: (source: number | undefined) => void) {
    this.element.setAttribute('role', 'tablist');
    this.element.setAttribute('aria-label', t('Bytes shown'));
    this.element.hidden = true;
  }

  /** The source shown now (undefined: the frame). */
  get current(): number | undefined {
    return this.shown;
  }

  /** A new packet: its frame (of `frameLength` bytes) and its sources; the frame is shown. */
  set(frameLength: number, sources: readonly WireSource[] | undefined): void {
    this.element.replaceChildren();
    this.buttons = [];
    this.shown = undefined;
    this.element.hidden = !sources?.length;
    if (!sources?.length) return;
    const names = [t('Frame ({0} bytes)', frameLength), ...sources.map((s) => s.name)];
    names.forEach((name, i) => {
      const b = h('button', 'pk-source', name) as HTMLButtonElement;
      b.type = 'button';
      b.setAttribute('role', 'tab');
      b.addEventListener('click', () => this.show(i === 0 ? undefined : i - 1, true));
      b.addEventListener('keydown', (e) => {
        const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : -1;
        if (next < 0 || next >= this.buttons.length) return;
        e.preventDefault();
        this.buttons[next].focus();
        this.show(next === 0 ? undefined : next - 1, true);
      });
      this.buttons.push(b);
      this.element.append(b);
    });
    this.mark();
  }

  /** Shows source `source` (undefined: the frame); `tell`: the user chose it, so the page switches the bytes. */
  show(source: number | undefined, tell = false): void {
    if (source === this.shown) return;
    this.shown = source;
    this.mark();
    if (tell) this.picked(source);
  }

  private mark(): void {
    this.buttons.forEach((b, i) => {
      const on = (i === 0 ? undefined : i - 1) === this.shown;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('on', on);
    });
  }
}
