// TCP: header, all flags, options (MSS, WS, SACK, timestamps…), relative seq/ack per conversation, then ports.
import { DissectContext, type TcpConversationState, type TcpDirection } from './context';
import type { TcpSegmentInfo } from './dissect';
import { hex } from './format';
import { type FieldDef, PacketInfo, addBytesField, addChild, addField, beginLayer, callPortsOrData, declareAlias, dissectData, declareFields, declareProtocol, ipProtoTable, tcpHeuristics, tcpPortTable } from './registry';
import type { Field, Layer } from './dissect';
import { declareFastReaders, headerFact, tcpFact, tcpOk, u16 } from './fastValues';
import { reassembleTcp } from './tcpReassembly';
import { TA_KEEP_ALIVE, TA_OUT_OF_ORDER, TA_RETRANSMISSION } from './tcpAnalysis';
import { type TcpAnalysis, type TcpAnalysisReplay, addAnalysisFields, analysisInfoPrefix, analyzeTcpSegment } from './tcpAnalysis';
import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from './tcpSeq';
import { addOptionBody, optionHead } from './tcpOptions';

const tcp = declareProtocol('tcp', 'Transmission Control Protocol');
const hf = declareFields({
  srcport: ['tcp.srcport', 'Source Port', 'uint'],
  dstport: ['tcp.dstport', 'Destination Port', 'uint'],
  stream: ['tcp.stream', 'Stream index', 'uint'],
  len: ['tcp.len', 'TCP Segment Len', 'uint'],
  seq: ['tcp.seq', 'Sequence Number', 'uint'],
  seqRaw: ['tcp.seq_raw', 'Sequence Number (raw)', 'uint'],
  nxtseq: ['tcp.nxtseq', 'Next Sequence Number', 'uint'],
  ack: ['tcp.ack', 'Acknowledgment Number', 'uint'],
  ackRaw: ['tcp.ack_raw', 'Acknowledgment number (raw)', 'uint'],
  hdrLen: ['tcp.hdr_len', 'Header Length', 'uint'],
  flags: ['tcp.flags', 'Flags', 'uint'],
  res: ['tcp.flags.res', 'Reserved', 'bool'],
  ae: ['tcp.flags.ae', 'Accurate ECN', 'bool'],
  ace: ['tcp.flags.ace', 'ACE', 'uint'],
  cwr: ['tcp.flags.cwr', 'Congestion Window Reduced', 'bool'],
  ece: ['tcp.flags.ece', 'ECN-Echo', 'bool'],
  urg: ['tcp.flags.urg', 'Urgent', 'bool'],
  ackFlag: ['tcp.flags.ack', 'Acknowledgment', 'bool'],
  push: ['tcp.flags.push', 'Push', 'bool'],
  reset: ['tcp.flags.reset', 'Reset', 'bool'],
  syn: ['tcp.flags.syn', 'Syn', 'bool'],
  fin: ['tcp.flags.fin', 'Fin', 'bool'],
  str: ['tcp.flags.str', 'TCP Flags', 'string'],
  window: ['tcp.window_size_value', 'Window', 'uint'],
  windowCalc: ['tcp.window_size', 'Calculated window size', 'uint'],
  windowScale: ['tcp.window_size_scalefactor', 'Window size scaling factor', 'int'],
  checksum: ['tcp.checksum', 'Checksum', 'uint'],
  urgent: ['tcp.urgent_pointer', 'Urgent Pointer', 'uint'],
  options: ['tcp.options', 'Options', 'bytes'],
  optKind: ['tcp.option_kind', 'Kind', 'uint'],
  optLen: ['tcp.option_len', 'Length', 'uint'],
  optEol: ['tcp.options.eol', 'TCP Option - End of Option List (EOL)', 'none'],
  optNop: ['tcp.options.nop', 'TCP Option - No-Operation (NOP)', 'none'],
  optMss: ['tcp.options.mss', 'TCP Option - Maximum segment size', 'none'],
  mssVal: ['tcp.options.mss_val', 'MSS Value', 'uint'],
  optWscale: ['tcp.options.wscale', 'TCP Option - Window scale', 'none'],
  wsShift: ['tcp.options.wscale.shift', 'Shift count', 'uint'],
  wsMult: ['tcp.options.wscale.multiplier', 'Multiplier', 'uint'],
  optSackPerm: ['tcp.options.sack_perm', 'TCP Option - SACK permitted', 'none'],
  optSack: ['tcp.options.sack', 'TCP Option - SACK', 'none'],
  sackLe: ['tcp.options.sack_le', 'TCP SACK Left Edge', 'uint'],
  sackRe: ['tcp.options.sack_re', 'TCP SACK Right Edge', 'uint'],
  sackCount: ['tcp.options.sack.count', 'TCP SACK Count', 'uint'],
  optTs: ['tcp.options.timestamp', 'TCP Option - Timestamps', 'none'],
  tsval: ['tcp.options.timestamp.tsval', 'Timestamp value', 'uint'],
  tsecr: ['tcp.options.timestamp.tsecr', 'Timestamp echo reply', 'uint'],
  optUnknown: ['tcp.options.unknown', 'TCP Option - Unknown', 'none'],
  payload: ['tcp.payload', 'TCP payload', 'bytes'],
  resetCause: ['tcp.reset_cause', 'Reset cause', 'string'],
});
declareAlias('tcp.port', 'Source or Destination Port', 'uint', ['tcp.srcport', 'tcp.dstport']);
declareFastReaders({
  'tcp.srcport': tcpFact((t, o) => ((o[0] = t.srcPort), 1)),
  'tcp.dstport': tcpFact((t, o) => ((o[0] = t.dstPort), 1)),
  'tcp.port': tcpFact((t, o) => ((o[0] = t.srcPort), (o[1] = t.dstPort), 2)),
  'tcp.stream': tcpFact((t, o) => ((o[0] = t.stream), 1)),
  'tcp.len': tcpFact((t, o) => ((o[0] = t.len), 1)),
  'tcp.seq': tcpFact((t, o) => ((o[0] = t.seq), 1)),
  'tcp.seq_raw': tcpFact((t, o) => ((o[0] = t.seqRaw), 1)),
  'tcp.nxtseq': tcpFact((t, o) => ((o[0] = (t.seq + t.len + (t.flags & 0x02 ? 1 : 0) + (t.flags & 0x01 ? 1 : 0)) >>> 0), 1)),
  'tcp.ack': tcpFact((t, o) => ((o[0] = t.ack), 1)),
  'tcp.ack_raw': tcpFact((t, o) => ((o[0] = t.ackRaw), 1)),
  'tcp.flags': tcpFact((t, o) => ((o[0] = t.flags), 1)),
  'tcp.flags.res': tcpFact((t, o) => ((o[0] = (t.flags & 0xe00) !== 0), 1)),
  'tcp.window_size': tcpFact((t, o) => ((o[0] = t.window), 1)),
  'tcp.hdr_len': headerFact('tcp', tcpOk, (d, at) => (d[at + 12] >> 4) * 4),
  'tcp.window_size_value': headerFact('tcp', tcpOk, (d, at) => u16(d, at + 14)),
  'tcp.checksum': headerFact('tcp', tcpOk, (d, at) => u16(d, at + 16)),
  'tcp.urgent_pointer': headerFact('tcp', tcpOk, (d, at) => u16(d, at + 18)),
});
for (const [name, bit] of [['fin', 0x01], ['syn', 0x02], ['reset', 0x04], ['push', 0x08], ['ack', 0x10], ['urg', 0x20], ['ece', 0x40], ['cwr', 0x80], ['ae', 0x100]] as const) {
  // Under AccECN the tree has no AE/CWR/ECE flags (they are the ACE counter).
  const ecn = bit >= 0x40;
  declareFastReaders({ [`tcp.flags.${name}`]: tcpFact((t, o) => (ecn && t.ace ? 0 : ((o[0] = (t.flags & bit) !== 0), 1))) });
}
declareFastReaders({ 'tcp.flags.ace': tcpFact((t, o) => (t.ace ? ((o[0] = (t.flags >> 6) & 7), 1) : 0)) });


const flagNames: readonly [number, string][] = [
  [FIN, 'FIN'],
  [SYN, 'SYN'],
  [RST, 'RST'],
  [PSH, 'PSH'],
  [ACK, 'ACK'],
  [URG, 'URG'],
  [ECE, 'ECE'],
  [CWR, 'CWR'],
  [AE, 'AE'],
];

/** Wireshark's Info flags once AccECN is in use: the classic flags, then the ACE counter, then reserved bits. */
function aceFlagsText(flags: number): string {
  let s = '';
  for (const [bit, name] of flagNames) if (bit < ECE && flags & bit) s += (s ? ', ' : '') + name;
  s += `${s ? ', ' : ''}ACE=${(flags >> 6) & 7}`;
  if (flags & 0xe00) s += ', Reserved';
  return s;
}

/** Wireshark's `[SYN, ACK]` order: lowest bit first. */
export function tcpFlagsText(flags: number): string {
  const cached = flagsTextCache[flags & 0x1ff];
  if (cached !== undefined && flags <= 0x1ff) return cached;
  let s = '';
  for (const [bit, name] of flagNames) if (flags & bit) s += (s ? ', ' : '') + name;
  if (flags <= 0x1ff) flagsTextCache[flags] = s || '<None>';
  return s || '<None>';
}
/** Built once per flag combination: every segment needs this for its Info column. */
const flagsTextCache: (string | undefined)[] = new Array<string | undefined>(512);

const strLetters = 'RRRACEUAPRSF';
function flagsStr(flags: number, ace = false): string {
  let s = '';
  for (let i = 0; i < 12; i++) {
    // AccECN: the AE, CWR, ECE positions show the ACE counter as `-n-`.
    if (ace && i >= 3 && i <= 5) s += i === 4 ? String((flags >> 6) & 7) : '-';
    else s += flags & (1 << (11 - i)) ? strLetters[i] : '·';
  }
  return s;
}

const setText = (b: boolean) => (b ? 'Set' : 'Not set');
const flagBits: readonly [FieldDef, number][] = [
  [hf.ae, AE],
  [hf.cwr, CWR],
  [hf.ece, ECE],
  [hf.urg, URG],
  [hf.ackFlag, ACK],
  [hf.push, PSH],
  [hf.reset, RST],
  [hf.syn, SYN],
  [hf.fin, FIN],
];

interface OptionFacts {
  info: string;
  wscale: number;
  /** Raw SACK edges (left, right …), for the sequence analysis's bytes in flight. */
  sack?: number[];
}

function dissectOptions(pi: PacketInfo, layer: Layer, start: number, stop: number, peerBase: number): OptionFacts {
  const r = pi.r;
  const full = pi.full;
  const facts: OptionFacts = { info: '', wscale: -1 };
  const opts = full ? addBytesField(pi, layer, hf.options, start, Math.max(0, Math.min(stop, pi.capLen) - start), `${stop - start} bytes`) : undefined;
  let o = start;
  let afterEol = false;
  // One option's tree node with its kind and length children (only on the field-tree pass).
  const node = (def: FieldDef, display: string, kind: number, kindText: string, len: number): Field | undefined => {
    // Cut to the captured bytes so a snap length inside an option still nests its kind under it.
    const f = addChild(pi, layer, opts, def, '', display, o, Math.max(1, Math.min(len, pi.capLen - o)));
    if (o + len > pi.capLen) layer.truncated = true;
    addChild(pi, layer, f, hf.optKind, kind, `${kindText} (${kind})`, o, 1);
    if (len > 1) addChild(pi, layer, f, hf.optLen, len, String(len), o + 1, 1);
    return f;
  };
  while (o < stop) {
    if (!r.has(o, 1)) {
      layer.truncated = true;
      break;
    }
    const kind = r.u8At(o);
    // After an EOL Wireshark shows each zero byte as one more EOL and stops at the first other byte (padding).
    if (afterEol && kind !== 0) break;
    if (kind === 0 || kind === 1) {
      if (full) node(kind === 0 ? hf.optEol : hf.optNop, '', kind, kind === 0 ? 'End of Option List' : 'No-Operation', 1);
      o += 1;
      afterEol ||= kind === 0;
      continue;
    }
    const len = r.u8At(o + 1);
    if (!r.has(o, 2) || len < 2 || o + len > stop) {
      pi.markMalformed(r.has(o, 2) ? `Malformed: TCP option ${kind} has bad length ${len}` : 'Truncated: a TCP option was cut off');
      if (!r.has(o, 2)) layer.truncated = true;
      break;
    }
    if (kind === 2 && len === 4) {
      const mss = r.u16At(o + 2);
      if (full) addChild(pi, layer, node(hf.optMss, `${mss} bytes`, kind, 'Maximum Segment Size', len), hf.mssVal, mss, String(mss), o + 2, 2);
      facts.info += ` MSS=${mss}`;
    } else if (kind === 3 && len === 3) {
      const shift = r.u8At(o + 2);
      const mult = 1 << Math.min(shift, 14);
      if (full) {
        const f = node(hf.optWscale, `${shift} (multiply by ${mult})`, kind, 'Window Scale', len);
        addChild(pi, layer, f, hf.wsShift, shift, String(shift), o + 2, 1);
        addChild(pi, layer, f, hf.wsMult, mult, String(mult), o + 2, 1);
      }
      facts.wscale = Math.min(shift, 14);
      facts.info += ` WS=${mult}`;
    } else if (kind === 4 && len === 2) {
      if (full) node(hf.optSackPerm, '', kind, 'SACK Permitted', len);
      facts.info += ' SACK_PERM';
    } else if (kind === 5 && len >= 10 && (len - 2) % 8 === 0) {
      const n = (len - 2) / 8;
      const f = full ? node(hf.optSack, `${n} block${n === 1 ? '' : 's'}`, kind, 'SACK', len) : undefined;
      if (full) addChild(pi, layer, f, hf.sackCount, n, String(n), o, len);
      for (let i = 0; i < n; i++) {
        const le = (r.u32At(o + 2 + 8 * i) - peerBase) >>> 0;
        const re = (r.u32At(o + 6 + 8 * i) - peerBase) >>> 0;
        (facts.sack ??= []).push(r.u32At(o + 2 + 8 * i), r.u32At(o + 6 + 8 * i));
        if (full) {
          addChild(pi, layer, f, hf.sackLe, le, pi.ctx.relativeSeq ? `${le} (relative)` : String(le), o + 2 + 8 * i, 4);
          addChild(pi, layer, f, hf.sackRe, re, pi.ctx.relativeSeq ? `${re} (relative)` : String(re), o + 6 + 8 * i, 4);
        }
        facts.info += ` SLE=${le} SRE=${re}`;
      }
    } else if (kind === 8 && len === 10) {
      const tsval = r.u32At(o + 2);
      const tsecr = r.u32At(o + 6);
      if (full) {
        const f = node(hf.optTs, `TSval ${tsval}, TSecr ${tsecr}`, kind, 'Time Stamp Option', len);
        addChild(pi, layer, f, hf.tsval, tsval, String(tsval), o + 2, 4);
        addChild(pi, layer, f, hf.tsecr, tsecr, String(tsecr), o + 6, 4);
      }
      facts.info += ` TSval=${tsval} TSecr=${tsecr}`;
    } else if (full) {
      const [head, name] = optionHead(kind, hf.optUnknown);
      addOptionBody(pi, layer, node(head, `kind ${kind}, ${len} bytes`, kind, name, len), kind, o, len);
    }
    o += len;
  }
  return facts;
}

/** Wireshark's ASCII string: up to the first NUL, a byte past 0x7f as U+FFFD. */
function resetCauseText(r: PacketInfo['r'], start: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const b = r.u8At(start + i);
    if (b === 0) break;
    s += b < 0x80 ? String.fromCharCode(b) : '\ufffd';
  }
  return s;
}

function dissectTcp(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, tcp.id, 'Transmission Control Protocol', 'segment', offset, 20);
  pi.protocol = 'TCP';
  const sport = r.u16At(offset);
  const dport = r.u16At(offset + 2);
  if (!r.has(offset, 20)) {
    if (r.has(offset, 4)) {
      addField(pi, layer, hf.srcport, sport, String(sport), offset, 2);
      addField(pi, layer, hf.dstport, dport, String(dport), offset + 2, 2);
      pi.info = `${sport} → ${dport}`;
    }
    layer.truncated = true;
    pi.markMalformed('Truncated: a TCP header needs 20 bytes');
    return end - offset;
  }
  const seqRaw = r.u32At(offset + 4);
  const ackRaw = r.u32At(offset + 8);
  const w12 = r.u16At(offset + 12);
  const hdrLen = (w12 >> 12) * 4;
  const flags = w12 & 0x0fff;
  const win = r.u16At(offset + 14);
  const ck = r.u16At(offset + 16);
  const urgPtr = r.u16At(offset + 18);
  pi.srcPort = sport;
  pi.dstPort = dport;
  addField(pi, layer, hf.srcport, sport, String(sport), offset, 2);
  addField(pi, layer, hf.dstport, dport, String(dport), offset + 2, 2);
  if (hdrLen < 20) {
    addField(pi, layer, hf.hdrLen, hdrLen, `${hdrLen} bytes (${hdrLen >> 2})`, offset + 12, 1);
    pi.markMalformed(`Malformed: TCP header length ${hdrLen} is less than 20`);
    pi.info = `${sport} → ${dport} [Bogus TCP header length (${hdrLen}, must be at least 20)]`;
    return end - offset;
  }
  const segLen = Math.max(0, end - offset - hdrLen);
  // Conversation state: base sequence numbers per direction make seq/ack relative, as Wireshark shows them.
  // The field-tree pass replays what the first pass took from the context, so re-reading a packet never moves it.
  const replay = pi.replay;
  const recorded = pi.replaying ? replay.tcp[pi.tcpAt++] : undefined;
  let stream: number;
  let seqBase: number;
  let ackBase: number;
  let tcpState: { me: TcpDirection; peer: TcpDirection; conv: TcpConversationState; dir: 0 | 1 } | undefined;
  let ace: boolean;
  let synAgain = false;
  let analysis: TcpAnalysis | undefined = recorded !== undefined ? (recorded as TcpAnalysisReplay).analysis : undefined;
  if (recorded !== undefined) {
    ({ stream, seqBase, ackBase } = recorded);
    ace = recorded.ace === true;
  } else {
    // A quoted segment must not disturb the real conversation's numbers, but it is counted in the stream index as
    // Wireshark counts it (a conversation seen only inside ICMP errors still takes the next index).
    const nested = pi.nested !== 0;
    const ctx = nested ? new DissectContext() : pi.ctx;
    let { conv, dir } = ctx.tcpConversation(pi.netSrc, sport, pi.netDst, dport);
    if (nested) conv.stream = pi.ctx.tcpConversation(pi.netSrc, sport, pi.netDst, dport).conv.stream;
    if ((flags & (SYN | ACK)) === SYN && conv.dir[dir].baseSet) {
      if (conv.dir[dir].base !== seqRaw) ({ conv, dir } = ctx.restartTcpConversation(pi.netSrc, sport, pi.netDst, dport));
      else synAgain = true;
    }
    const me = conv.dir[dir];
    const peer = conv.dir[1 - dir];
    // A SYN-ACK with another initial sequence number than this side had: a new connection whose SYN was not seen.
    if ((flags & (SYN | ACK)) === (SYN | ACK) && me.baseSet && me.base !== seqRaw) {
      me.base = seqRaw;
      conv.reused = true;
    }
    if (!me.baseSet) {
      me.base = flags & SYN ? seqRaw : (seqRaw - 1) >>> 0;
      me.baseSet = true;
    }
    if (flags & ACK && !peer.baseSet) {
      peer.base = (ackRaw - 1) >>> 0;
      peer.baseSet = true;
    }
    stream = conv.stream;
    // Raw numbers without the analysis, as Wireshark (its relative numbers are computed by the analysis).
    const relative = pi.ctx.relativeSeq;
    seqBase = relative ? me.base : 0;
    ackBase = relative ? peer.base : 0;
    tcpState = { me, peer, conv, dir };
    if ((flags & (SYN | ACK)) === SYN) conv.accEcn = (flags & (AE | CWR | ECE)) === (AE | CWR | ECE) ? 1 : 0;
    else if ((flags & (SYN | ACK)) === (SYN | ACK) && conv.accEcn === 1 && flags & (AE | CWR)) conv.accEcn = 3;
    ace = conv.accEcn === 3 && (flags & SYN) === 0;
  }
  const seq = (seqRaw - seqBase) >>> 0;
  const ack = flags & ACK ? (ackRaw - ackBase) >>> 0 : 0;
  const nxtseq = (seq + segLen + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0;
  const rel = pi.ctx.relativeSeq ? ' (relative sequence number)' : '';

  const flagsText = ace ? aceFlagsText(flags) : tcpFlagsText(flags);
  // Fixed-header fields (checked present above) are only built when the field tree is wanted.
  if (pi.full) {
    addField(pi, layer, hf.stream, stream, String(stream), offset, 0);
    addField(pi, layer, hf.len, segLen, String(segLen), offset, 0);
    addField(pi, layer, hf.seq, seq, `${seq}${rel}`, offset + 4, 4);
    addField(pi, layer, hf.seqRaw, seqRaw, String(seqRaw), offset + 4, 4);
    addField(pi, layer, hf.nxtseq, nxtseq, `${nxtseq}${rel}`, offset, 0);
    addField(pi, layer, hf.ack, ack, rel ? `${ack} (relative ack number)` : String(ack), offset + 8, 4);
    addField(pi, layer, hf.ackRaw, ackRaw, String(ackRaw), offset + 8, 4);
    addField(pi, layer, hf.hdrLen, hdrLen, `${hdrLen} bytes (${hdrLen >> 2})`, offset + 12, 1);
    const ff = addField(pi, layer, hf.flags, flags, `${hex(flags, 3)} (${flagsText})`, offset + 12, 2);
    if (ff !== undefined) {
      const kids: Field[] = (ff.children = []);
      const res = (flags & 0xe00) !== 0;
      kids.push({ id: hf.res.id, label: hf.res.label, value: res, display: setText(res), offset: offset + 12, length: 1 });
      for (let i = 0; i < flagBits.length; i++) {
        const [def, b] = flagBits[i];
        if (ace && b >= ECE) {
          if (b === AE) kids.push({ id: hf.ace.id, label: hf.ace.label, value: (flags >> 6) & 7, display: String((flags >> 6) & 7), offset: offset + 12, length: 2 });
          continue;
        }
        const v = (flags & b) !== 0;
        kids.push({ id: def.id, label: def.label, value: v, display: v ? 'Set' : 'Not set', offset: b >= 0x100 ? offset + 12 : offset + 13, length: 1 });
      }
      const s = flagsStr(flags, ace);
      kids.push({ id: hf.str.id, label: hf.str.label, value: s, display: s, offset: offset + 12, length: 2 });
    }
  }
  // Window scaling counts only once both SYNs announced it, and never on the SYNs themselves.
  let options: OptionFacts = { info: '', wscale: -1 };
  if (hdrLen > 20) options = dissectOptions(pi, layer, offset + 20, offset + hdrLen, ackBase);
  let scale = -1;
  if (recorded !== undefined) scale = recorded.scale;
  else if (tcpState !== undefined) {
    const { me, peer } = tcpState;
    // A SYN whose options were not all captured leaves the scaling unknown (Wireshark's -1), not "none".
    if (flags & SYN) me.wscale = offset + hdrLen > pi.capLen && options.wscale === -1 ? -2 : options.wscale;
    else if (me.wscale >= 0 && peer.wscale >= 0) scale = 1 << me.wscale;
    else if (me.wscale === -1 || peer.wscale === -1) scale = -2;
    if (!pi.replaying) {
      const entry: TcpAnalysisReplay = ace ? { stream, seqBase, ackBase, scale, ace } : { stream, seqBase, ackBase, scale };
      // Sequence analysis (tcpAnalysis.ts): first pass only, outer segments only; the replay keeps its result.
      if (pi.nested === 0 && pi.ctx.analyzeTcp && !pi.ctx.analysisVisited) entry.analysis = analysis = analyzeTcpSegment(pi, tcpState.conv, tcpState.dir, seqRaw, ackRaw, segLen, flags, win, options.sack, synAgain);
      replay.tcp.push(entry);
    }
  }
  const winCalc = scale > 0 ? win * scale : win;
  if (pi.full) {
    // The options tree reads better after the fixed header, as in Wireshark: move it to the end.
    const optIdx = layer.fields.findIndex((f) => f.id === 'tcp.options');
    const optField = optIdx >= 0 ? layer.fields.splice(optIdx, 1)[0] : undefined;
    addField(pi, layer, hf.window, win, String(win), offset + 14, 2);
    addField(pi, layer, hf.windowCalc, winCalc, String(winCalc), offset + 14, 2);
    // Wireshark shows no scaling factor on the SYNs themselves.
    if (!(flags & SYN)) addField(pi, layer, hf.windowScale, scale, scale === -1 ? '-1 (unknown)' : scale === -2 ? '-2 (no window scaling used)' : String(scale), offset + 14, 0);
    addField(pi, layer, hf.checksum, ck, `${hex(ck, 4)} [unverified]`, offset + 16, 2);
    addField(pi, layer, hf.urgent, urgPtr, String(urgPtr), offset + 18, 2);
    if (optField !== undefined) layer.fields.push(optField);
  }

  // Wireshark prints the analysis after the options: a header cut by the snap length throws first, so none is shown.
  if (offset + hdrLen > pi.capLen) analysis = undefined;
  if (pi.full && analysis !== undefined) addAnalysisFields(pi, layer, analysis, offset);
  layer.length = Math.max(0, Math.min(offset + hdrLen, pi.capLen) - offset);
  if (offset + hdrLen > pi.capLen) layer.truncated = true;
  if (pi.full) layer.title = `Transmission Control Protocol, Src Port: ${sport}, Dst Port: ${dport}, Seq: ${seq}${flags & ACK ? `, Ack: ${ack}` : ''}, Len: ${segLen}`;
  pi.info = `${sport} → ${dport} [${flagsText}] Seq=${seq}${flags & ACK ? ` Ack=${ack}` : ''} Win=${winCalc} Len=${segLen}${flags & URG ? ` Urg=${urgPtr}` : ''}${options.info}`;
  const info: TcpSegmentInfo = {
    stream,
    srcAddr: pi.netSrc,
    srcPort: sport,
    dstAddr: pi.netDst,
    dstPort: dport,
    flags,
    flagsText,
    seq,
    ack,
    seqRaw,
    ackRaw,
    len: segLen,
    window: winCalc,
  };
  if (ace) info.ace = true;
  if (analysis !== undefined) info.analysis = analysis;
  if (pi.nested === 0) pi.tcp = info;
  if (offset + hdrLen > end) {
    pi.markMalformed(`Malformed: TCP header length ${hdrLen} is longer than the segment`);
    return end - offset;
  }
  if (segLen > 0 && flags & RST) {
    // RFC 1122 lets a RST carry text saying why; Wireshark shows it as the reset cause and calls no dissector.
    const start = offset + hdrLen;
    const avail = Math.max(0, Math.min(end, pi.capLen) - start);
    if (avail > 0) {
      const text = resetCauseText(r, start, avail);
      addField(pi, layer, hf.resetCause, text, text, start, avail);
    }
  } else if (segLen > 0) {
    const start = offset + hdrLen;
    const avail = Math.max(0, Math.min(end, pi.capLen) - start);
    addBytesField(pi, layer, hf.payload, start, avail, `${segLen} bytes`);
    // Reassembly (tcpReassembly.ts): HTTP and DNS get whole PDUs; false when it leaves this payload as it is.
    // Wireshark's tcp.no_subdissector_on_error (on): a retransmitted or out-of-order payload is given to no dissector.
    // A keep-alive's byte is garbage: Wireshark shows it as data, whatever the port.
    if (analysis !== undefined && analysis.flags & TA_KEEP_ALIVE) dissectData(pi, start, end);
    else if (analysis !== undefined && analysis.flags & (TA_RETRANSMISSION | TA_OUT_OF_ORDER)) {
      // left as tcp.payload
    } else if (!reassembleTcp(pi, layer, start, end, seqRaw)) callPortsOrData(tcpPortTable, tcpHeuristics, pi, start, end);
  }
  if (analysis !== undefined && analysis.flags !== 0 && pi.nested === 0) pi.info = analysisInfoPrefix(analysis) + pi.info;
  return end - offset;
}

ipProtoTable.register(6, dissectTcp);
