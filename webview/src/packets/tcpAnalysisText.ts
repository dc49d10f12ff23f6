// Wireshark's TCP analysis flags in a learner's words: a short label for a diagram arrow's mark and a sentence for
// its tooltip, in the UI language; and which flags make Wireshark's "Bad TCP" colour.
import type { TcpAnalysisName } from '../../../src/shared/packetPanelProtocol';
import { t } from '../strings';

/** Flags that are not trouble: Wireshark's "Bad TCP" rule leaves out a segment with any of them. */
const BENIGN: readonly TcpAnalysisName[] = ['window_update', 'keep_alive', 'keep_alive_ack'];

/** Wireshark's "Bad TCP" rule (as the packet list's row colour), on a segment's flag names. */
export function isBadMark(names: readonly TcpAnalysisName[]): boolean {
  return names.length > 0 && !names.some((n) => BENIGN.includes(n));
}

/** The short label drawn beside the arrow. */
export function analysisLabel(name: TcpAnalysisName, dupAckNum = 0): string {
  switch (name) {
    case 'retransmission': return t('Retransmission');
    case 'fast_retransmission': return t('Fast retransmission');
    case 'spurious_retransmission': return t('Spurious retransmission');
    case 'out_of_order': return t('Out of order');
    case 'lost_segment': return t('Previous segment not captured');
    case 'ack_lost_segment': return t('ACKed unseen segment');
    case 'duplicate_ack': return t('Dup ACK #{0}', dupAckNum);
    case 'zero_window': return t('Zero window');
    case 'zero_window_probe': return t('Zero window probe');
    case 'zero_window_probe_ack': return t('Zero window probe ACK');
    case 'window_full': return t('Window full');
    case 'window_update': return t('Window update');
    case 'keep_alive': return t('Keep-alive');
    case 'keep_alive_ack': return t('Keep-alive ACK');
    case 'reused_ports': return t('Ports reused');
  }
}

/** What it means, for the tooltip. */
export function analysisExplanation(name: TcpAnalysisName): string {
  switch (name) {
    case 'retransmission': return t('The sender sent these bytes again: no ACK for them came in time.');
    case 'fast_retransmission': return t('The sender resent at once after duplicate ACKs, without waiting for its timer.');
    case 'spurious_retransmission': return t('These bytes were sent again although the receiver had already acknowledged them.');
    case 'out_of_order': return t('This segment came after one with a higher sequence number.');
    case 'lost_segment': return t('A gap in the sequence numbers: bytes before this segment were not seen by the capture.');
    case 'ack_lost_segment': return t('This ACK covers bytes the capture never saw.');
    case 'duplicate_ack': return t('The receiver acknowledged the same byte again: it is missing the bytes after it.');
    case 'zero_window': return t('The receiver\'s buffer is full: the sender must stop until the window opens.');
    case 'zero_window_probe': return t('One byte sent into a zero window, to ask whether it has opened.');
    case 'zero_window_probe_ack': return t('The answer to a zero window probe.');
    case 'window_full': return t('This segment fills the receiver\'s window: the sender must wait for an ACK.');
    case 'window_update': return t('The receiver only announces a larger window (it read from its buffer).');
    case 'keep_alive': return t('An idle connection checks that the peer is still there.');
    case 'keep_alive_ack': return t('The answer to a keep-alive.');
    case 'reused_ports': return t('A new connection uses the same ports as an earlier one in this capture.');
  }
}
