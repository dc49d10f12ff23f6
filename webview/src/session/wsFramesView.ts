// WebSocket sessions: the frames of the message chosen in the conversation (opcode, FIN, mask, payload length), shown
// in the hex pane beside the data inspector.
import type { WsFramesView } from '../../../src/shared/sessionPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';

const OPCODES: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

export class WsFramesBox {
  readonly element = h('div', 'inspector-box ws-frames');
  private readonly body = h('div', 'ws-frames-body');

  constructor() {
    this.element.append(h('div', 'inspector-title', t('WebSocket frames')), this.body);
    this.show(undefined);
  }

  /** The chosen message's frames, or a hint when none is chosen. */
  show(ws: WsFramesView | undefined): void {
    this.body.textContent = '';
    if (!ws) {
      this.body.append(h('div', 'inspector-hint', t('Click a message to see its frames here.')));
      return;
    }
    const table = h('table', 'ws-frames-table');
    const head = h('tr');
    for (const c of [t('Frame'), t('Opcode'), t('FIN'), t('Mask'), t('Payload length')]) head.append(h('th', undefined, c));
    table.append(head);
    ws.frames.forEach((f, i) => {
      const row = h('tr');
      const cells = [String(i + 1), `${f.opcode} (${OPCODES[f.opcode] ?? '?'})`, f.fin ? '1' : '0', f.masked ? t('1 (masked)') : '0', String(f.length)];
      for (const c of cells) row.append(h('td', undefined, c));
      table.append(row);
    });
    this.body.append(table);
    if (ws.moreFrames) this.body.append(h('div', 'inspector-hint', t('… and {0} more frames', ws.moreFrames)));
  }
}
