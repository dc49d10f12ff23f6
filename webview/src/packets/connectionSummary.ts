// A learner's summary of the TCP connection the diagram shows: handshake RTT, retransmissions, duplicate ACKs, zero
// windows, lost or reordered segments, and how it ended (who closed first, FIN or RST), from the host's counters.
import type { ConnectionSummary } from '../../../src/shared/packetPanelProtocol';
import { h } from '../dom';
import { t } from '../strings';

/** How the connection ended, naming the side by its address. */
function endText(s: ConnectionSummary, a: string, b: string): string {
  if (!s.closedFirstBy) return t('not seen to close');
  const who = s.closedFirstBy === 'a' ? a : b;
  if (s.closedWith === 'rst') return t('reset (RST) by {0}', who);
  return s.reset ? t('{0} closed first (FIN), then a reset (RST)', who) : t('{0} closed first (FIN)', who);
}

export class ConnectionSummaryView {
  readonly element = h('dl', 'pk-summary');

  constructor() {
    this.element.setAttribute('aria-label', t('Connection summary'));
    this.element.hidden = true;
  }

  show(s: ConnectionSummary | undefined, a: string, b: string): void {
    this.element.textContent = '';
    this.element.hidden = s === undefined;
    if (!s) return;
    const rtt = s.handshakeRttMs === undefined ? t('not captured') : t('{0} ms', s.handshakeRttMs < 10 ? s.handshakeRttMs.toFixed(3) : s.handshakeRttMs.toFixed(1));
    this.item('rtt', t('Handshake RTT'), rtt, false);
    this.item('retransmissions', t('Retransmissions'), String(s.retransmissions), s.retransmissions > 0);
    this.item('dupacks', t('Duplicate ACKs'), String(s.duplicateAcks), s.duplicateAcks > 0);
    this.item('zerowindows', t('Zero windows'), String(s.zeroWindows), s.zeroWindows > 0);
    this.item('lost', t('Lost or out of order'), String(s.lostOrOutOfOrder), s.lostOrOutOfOrder > 0);
    this.item('end', t('End'), endText(s, a, b), s.reset);
  }

  private item(key: string, term: string, value: string, trouble: boolean): void {
    const box = h('div', 'pk-sum-item');
    box.dataset.key = key;
    const dd = h('dd', trouble ? 'pk-sum-value pk-sum-trouble' : 'pk-sum-value', value);
    box.append(h('dt', 'pk-sum-term', term), dd);
    this.element.append(box);
  }
}
