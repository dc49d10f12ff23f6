// What the packet panel shows of Wireshark's TCP analysis (core/decode/tcpAnalysis.ts): the flag names a diagram
// arrow is marked with, the "Bad TCP" colouring rule, expert info severities of tree lines, and a per-connection
// summary for learners kept as a few counters (never the segments).
import type { ConnectionSummary, ExpertSeverity, TcpAnalysisName } from '../../shared/packetPanelProtocol';
import {
  type TcpAnalysis,
  TA_ACK_LOST_PACKET, TA_DUPLICATE_ACK, TA_FAST_RETRANSMISSION, TA_KEEP_ALIVE, TA_KEEP_ALIVE_ACK, TA_LOST_PACKET, TA_OUT_OF_ORDER,
  TA_RETRANSMISSION, TA_REUSED_PORTS, TA_SPURIOUS_RETRANSMISSION, TA_WINDOW_FULL, TA_WINDOW_UPDATE, TA_ZERO_WINDOW, TA_ZERO_WINDOW_PROBE,
  TA_ZERO_WINDOW_PROBE_ACK,
} from '../decode/tcpAnalysis';

/** Each flag bit's name, in Wireshark's printing order (as TCP_ANALYSIS_NAMES). */
const NAMES: readonly [number, TcpAnalysisName][] = [
  [TA_REUSED_PORTS, 'reused_ports'], [TA_RETRANSMISSION, 'retransmission'], [TA_FAST_RETRANSMISSION, 'fast_retransmission'],
  [TA_SPURIOUS_RETRANSMISSION, 'spurious_retransmission'], [TA_OUT_OF_ORDER, 'out_of_order'], [TA_LOST_PACKET, 'lost_segment'],
  [TA_ACK_LOST_PACKET, 'ack_lost_segment'], [TA_WINDOW_UPDATE, 'window_update'], [TA_WINDOW_FULL, 'window_full'], [TA_KEEP_ALIVE, 'keep_alive'],
  [TA_KEEP_ALIVE_ACK, 'keep_alive_ack'], [TA_DUPLICATE_ACK, 'duplicate_ack'], [TA_ZERO_WINDOW_PROBE, 'zero_window_probe'],
  [TA_ZERO_WINDOW, 'zero_window'], [TA_ZERO_WINDOW_PROBE_ACK, 'zero_window_probe_ack'],
];

/** The names of the flags set in `flags` (Wireshark's TCP_A_* bits). */
export function analysisNames(flags: number): TcpAnalysisName[] {
  const out: TcpAnalysisName[] = [];
  for (const [bit, name] of NAMES) if (flags & bit) out.push(name);
  return out;
}

/** Wireshark's "Bad TCP" rule: tcp.analysis.flags && !window_update && !keep_alive && !keep_alive_ack. */
export function isBadTcp(flags: number): boolean {
  return flags !== 0 && (flags & (TA_WINDOW_UPDATE | TA_KEEP_ALIVE | TA_KEEP_ALIVE_ACK)) === 0;
}

const EXPERT = /^Expert Info \((Chat|Note|Warning|Error)\//;

/** The severity of a tree line the decoder wrote as Wireshark's "Expert Info (Warning/Sequence): …". */
export function expertSeverity(display: string): ExpertSeverity | undefined {
  const m = EXPERT.exec(display);
  return m ? (m[1].toLowerCase() as ExpertSeverity) : undefined;
}

const RETRANSMISSIONS = TA_RETRANSMISSION | TA_FAST_RETRANSMISSION | TA_SPURIOUS_RETRANSMISSION;

/** One connection's summary, counted segment by segment in capture order (a few numbers, whatever its length). */
export class ConnectionTally {
  private rttUs = 0;
  private retransmissions = 0;
  private duplicateAcks = 0;
  private zeroWindows = 0;
  private lostOrOutOfOrder = 0;
  private closedFirstBy: 'a' | 'b' | undefined;
  private closedWith: 'fin' | 'rst' | undefined;
  private reset = false;

  /** One segment: sent by A or B, its TCP flags ("FIN", "RST" …) and its analysis. */
  add(fromA: boolean, flags: readonly string[], a: TcpAnalysis | undefined): void {
    if (a !== undefined) {
      if (this.rttUs === 0) this.rttUs = a.initialRttUs;
      if (a.flags & RETRANSMISSIONS) this.retransmissions++;
      if (a.flags & TA_DUPLICATE_ACK) this.duplicateAcks++;
      if (a.flags & TA_ZERO_WINDOW) this.zeroWindows++;
      if (a.flags & (TA_LOST_PACKET | TA_OUT_OF_ORDER)) this.lostOrOutOfOrder++;
    }
    const rst = flags.includes('RST');
    if (rst) this.reset = true;
    if (this.closedWith === undefined && (rst || flags.includes('FIN'))) {
      this.closedWith = rst ? 'rst' : 'fin';
      this.closedFirstBy = fromA ? 'a' : 'b';
    }
  }

  summary(): ConnectionSummary {
    const { retransmissions, duplicateAcks, zeroWindows, lostOrOutOfOrder, reset } = this;
    return {
      ...(this.rttUs ? { handshakeRttMs: this.rttUs / 1000 } : {}),
      retransmissions, duplicateAcks, zeroWindows, lostOrOutOfOrder,
      ...(this.closedWith ? { closedFirstBy: this.closedFirstBy, closedWith: this.closedWith } : {}),
      reset,
    };
  }
}
