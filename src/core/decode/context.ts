// Per-capture decoding state: TCP/UDP stream indices and the base sequence numbers behind relative seq/ack.
import { type AnalysisPool, type TcpConversationAnalysis, cloneConversationAnalysis } from './tcpAnalysis';
import { type ReassemblyOptions, type ReassemblyTable, reassemblyDefaults } from './reassembly';
import type { TlsKeyLog } from '../tls/tlsDecrypt';

/** How a capture is dissected: the reassembly switches and Wireshark's `tcp.analyze_sequence_numbers`. */
export interface DissectOptions extends ReassemblyOptions {
  /**
   * TCP sequence analysis (tcpAnalysis.ts): retransmissions, duplicate ACKs, windows, RTTs … (`tcp.analysis.*`).
   * On unless turned off, as Wireshark's `tcp.analyze_sequence_numbers`.
   */
  analyzeTcp?: boolean;
  /**
   * Relative TCP sequence and acknowledgement numbers (Wireshark's `tcp.relative_sequence_numbers`, which works only
   * with the analysis): defaults to `analyzeTcp`; off, tcp.seq, tcp.ack, tcp.nxtseq and SACK edges are the raw numbers.
   */
  relativeSeq?: boolean;
  /**
   * TLS secrets (Wireshark's tls.keylog_file): records of the sessions it holds are decrypted and what they carried
   * is dissected (each record's keys are a fact of its packet, so a second look decrypts it again).
   */
  tlsKeyLog?: TlsKeyLog;
}

export interface TcpDirection {
  base: number;
  baseSet: boolean;
  /** Window-scale shift announced in this side's SYN; -1 none, -2 not seen. */
  wscale: number;
}

export interface TcpConversationState {
  stream: number;
  /** Endpoint A is the side that sent the first segment seen. */
  aAddr: string;
  aPort: number;
  dir: [TcpDirection, TcpDirection];
  /** AccECN negotiation seen (RFC 9768): 1 the SYN asked (AE, CWR, ECE), 3 the SYN-ACK agreed; then ACE is a counter. */
  accEcn?: number;
  /** Set once the table forgot this state (bounded size, or a new connection on the same ports). */
  dropped?: boolean;
  // ---- TCP sequence analysis (tcpAnalysis.ts) ----
  /** Wireshark's per-conversation analysis state, made on the conversation's first analysed segment. */
  analysis?: TcpConversationAnalysis;
  /** This conversation began with a SYN reusing the ports of an earlier one (`tcp.analysis.reused_ports`). */
  reused?: boolean;
}

const MAX_CONVERSATIONS = 65536;

/** Per-capture state: stream indices and the base sequence numbers behind relative seq/ack. */
export class DissectContext {
  private readonly tcp = new Map<string, TcpConversationState>();
  private readonly udp = new Map<string, number>();
  private nextTcpStream = 0;
  private nextUdpStream = 0;
  /** TCP sequence analysis is on (Wireshark's `tcp.analyze_sequence_numbers`). */
  readonly analyzeTcp: boolean;
  /** TCP numbers are relative to each side's initial sequence number (see `DissectOptions.relativeSeq`). */
  readonly relativeSeq: boolean;
  /** TLS secrets to decrypt with (see `DissectOptions.tlsKeyLog`). */
  readonly tlsKeyLog: TlsKeyLog | undefined;
  /** @internal TCP sequence analysis: number of the frame being dissected (set by `dissect`, else counted from 1). */
  analysisFrame = 0;
  /** @internal The frame being dissected was analysed before (a re-read): the analysis state is not touched. */
  analysisVisited = false;
  /** @internal Every conversation's analysis scalars (tcpAnalysis.ts), made on the first analysed segment. */
  analysisPool: AnalysisPool | undefined;
  /** @internal What TCP analysis times count from (tcpAnalysis.ts), set by the first analysed packet. */
  analysisTimeBase: number | undefined;

  // ---- Reassembly (reassembly.ts, ipDefragment.ts, tcpReassembly.ts) ----
  /** The reassembly switches this capture is dissected with (Wireshark's preferences: both on unless turned off). */
  readonly reassembly: Required<ReassemblyOptions>;
  /** @internal Fragments waiting for their datagram (ipDefragment.ts), made on first use. */
  ipFragments: ReassemblyTable | undefined;
  /** @internal TCP PDUs waiting for their last segment (tcpReassembly.ts), made on first use. */
  tcpPdus: ReassemblyTable | undefined;
  /** @internal TLS conversations' handshakes and record sequence numbers (tls.ts), made on first use. */
  tls: ReassemblyTable | undefined;
  /** @internal Number of the frame being dissected (set by `dissect`): the caller's, else counted from 1. */
  reassemblyFrame = 0;

  constructor(options: DissectOptions = {}) {
    this.reassembly = { defragment: options.defragment ?? reassemblyDefaults.defragment, desegmentTcp: options.desegmentTcp ?? reassemblyDefaults.desegmentTcp };
    this.analyzeTcp = options.analyzeTcp ?? true;
    this.relativeSeq = options.relativeSeq ?? this.analyzeTcp;
    this.tlsKeyLog = options.tlsKeyLog;
  }
  // ---- end of reassembly ----

  /** @internal Finds or creates the TCP conversation and says which direction this segment goes (0 = A→B). */
  tcpConversation(srcAddr: string, srcPort: number, dstAddr: string, dstPort: number): { conv: TcpConversationState; dir: 0 | 1 } {
    const last = this.lastTcp;
    if (last !== undefined && last.srcPort === srcPort && last.dstPort === dstPort && last.srcAddr === srcAddr && last.dstAddr === dstAddr && this.tcpLive(last.conv)) {
      return { conv: last.conv, dir: last.dir };
    }
    const found = this.lookupTcp(srcAddr, srcPort, dstAddr, dstPort);
    this.lastTcp = { srcAddr, srcPort, dstAddr, dstPort, conv: found.conv, dir: found.dir };
    return found;
  }

  private lastTcp: { srcAddr: string; srcPort: number; dstAddr: string; dstPort: number; conv: TcpConversationState; dir: 0 | 1 } | undefined;

  /** The cached state is still the one in the table (not forgotten or restarted since). */
  private tcpLive(conv: TcpConversationState): boolean {
    return !conv.dropped;
  }

  private lookupTcp(srcAddr: string, srcPort: number, dstAddr: string, dstPort: number): { conv: TcpConversationState; dir: 0 | 1 } {
    const fwd = `${srcAddr}|${srcPort}|${dstAddr}|${dstPort}`;
    let conv = this.tcp.get(fwd);
    if (conv !== undefined) return { conv, dir: conv.aAddr === srcAddr && conv.aPort === srcPort ? 0 : 1 };
    const rev = `${dstAddr}|${dstPort}|${srcAddr}|${srcPort}`;
    conv = this.tcp.get(rev);
    if (conv !== undefined) return { conv, dir: conv.aAddr === srcAddr && conv.aPort === srcPort ? 0 : 1 };
    conv = {
      stream: this.nextTcpStream++,
      aAddr: srcAddr,
      aPort: srcPort,
      dir: [
        { base: 0, baseSet: false, wscale: -2 },
        { base: 0, baseSet: false, wscale: -2 },
      ],
    };
    this.bound(this.tcp);
    // Both spellings point at one state so lookups need no canonical ordering.
    this.tcp.set(fwd, conv);
    this.tcp.set(rev, conv);
    return { conv, dir: 0 };
  }

  /** @internal Starts a fresh conversation state when a new SYN reuses the ports (a new connection). */
  restartTcpConversation(srcAddr: string, srcPort: number, dstAddr: string, dstPort: number): { conv: TcpConversationState; dir: 0 | 1 } {
    const old = this.tcp.get(`${srcAddr}|${srcPort}|${dstAddr}|${dstPort}`);
    if (old !== undefined) this.forget(old);
    this.tcp.delete(`${srcAddr}|${srcPort}|${dstAddr}|${dstPort}`);
    this.tcp.delete(`${dstAddr}|${dstPort}|${srcAddr}|${srcPort}`);
    const fresh = this.tcpConversation(srcAddr, srcPort, dstAddr, dstPort);
    if (old !== undefined) fresh.conv.reused = true;
    return fresh;
  }

  // The last lookup, remembered: a capture is mostly runs of packets of one conversation.
  private lastUdp = { srcAddr: '', srcPort: -1, dstAddr: '', dstPort: -1, stream: -1 };

  /** @internal UDP stream index for a pair of endpoints. */
  udpStream(srcAddr: string, srcPort: number, dstAddr: string, dstPort: number): number {
    const last = this.lastUdp;
    if (last.srcPort === srcPort && last.dstPort === dstPort && last.srcAddr === srcAddr && last.dstAddr === dstAddr) return last.stream;
    const a = `${srcAddr}|${srcPort}`;
    const b = `${dstAddr}|${dstPort}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let s = this.udp.get(key);
    if (s === undefined) {
      s = this.nextUdpStream++;
      this.bound(this.udp);
      this.udp.set(key, s);
    }
    this.lastUdp = { srcAddr, srcPort, dstAddr, dstPort, stream: s };
    return s;
  }

  /** Conversations held (TCP and UDP), to size snapshots. */
  get size(): number {
    return this.tcp.size / 2 + this.udp.size;
  }

  /** An independent copy (the packet panel keeps a few as checkpoints to re-dissect a file from the middle). */
  clone(): DissectContext {
    const c = new DissectContext({ ...this.reassembly, analyzeTcp: this.analyzeTcp, relativeSeq: this.relativeSeq, tlsKeyLog: this.tlsKeyLog });
    c.ipFragments = this.ipFragments?.clone();
    c.tcpPdus = this.tcpPdus?.clone();
    c.tls = this.tls?.clone();
    c.reassemblyFrame = this.reassemblyFrame;
    c.analysisPool = this.analysisPool?.clone();
    const copies = new Map<TcpConversationState, TcpConversationState>();
    const copy = (v: TcpConversationState) => {
      let n = copies.get(v);
      if (!n) {
        copies.set(v, (n = { ...v, dir: [{ ...v.dir[0] }, { ...v.dir[1] }] }));
        if (v.analysis !== undefined && c.analysisPool !== undefined) n.analysis = cloneConversationAnalysis(v.analysis, c.analysisPool);
      }
      return n;
    };
    for (const [k, v] of this.tcp) c.tcp.set(k, copy(v));
    for (const [k, v] of this.udp) c.udp.set(k, v);
    c.nextTcpStream = this.nextTcpStream;
    c.nextUdpStream = this.nextUdpStream;
    c.lastTcp = this.lastTcp && { ...this.lastTcp, conv: copy(this.lastTcp.conv) };
    c.lastUdp = { ...this.lastUdp };
    c.analysisFrame = this.analysisFrame;
    c.analysisTimeBase = this.analysisTimeBase;
    return c;
  }

  /** A TCP conversation the table no longer holds: its analysis slots are given back. */
  private forget(conv: TcpConversationState): void {
    conv.dropped = true;
    if (conv.analysis !== undefined) this.analysisPool?.release(conv.analysis.at);
  }

  /** Forgets the oldest conversations so a long capture cannot grow this without bound. */
  private bound<V>(m: Map<string, V>): void {
    if (m.size < MAX_CONVERSATIONS) return;
    let n = m.size >> 2;
    for (const k of m.keys()) {
      const v = m.get(k) as TcpConversationState | number;
      if (typeof v === 'object') {
        // Both spellings go, so no lookup finds a state whose analysis slots were given back.
        const [sa, sp, da, dp] = k.split('|');
        m.delete(`${da}|${dp}|${sa}|${sp}`);
        if (!v.dropped) this.forget(v);
        n--;
      }
      m.delete(k);
      if (--n <= 0) break;
    }
  }
}

