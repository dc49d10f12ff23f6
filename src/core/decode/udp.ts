// UDP: ports, length, checksum, stream index, then the udp.port table and heuristics.
import { hex } from './format';
import { PacketInfo, addBytesField, addField, beginLayer, callPortsOrData, declareAlias, declareFields, declareProtocol, ipProtoTable, udpHeuristics, udpPortTable } from './registry';
import { always, declareFastReaders, headerFact, u16 } from './fastValues';
import { inReassembledBuffer } from './reassembly';

const udp = declareProtocol('udp', 'User Datagram Protocol');
const hf = declareFields({
  srcport: ['udp.srcport', 'Source Port', 'uint'],
  dstport: ['udp.dstport', 'Destination Port', 'uint'],
  length: ['udp.length', 'Length', 'uint'],
  checksum: ['udp.checksum', 'Checksum', 'uint'],
  stream: ['udp.stream', 'Stream index', 'uint'],
  payload: ['udp.payload', 'Payload', 'bytes'],
});
declareAlias('udp.port', 'Source or Destination Port', 'uint', ['udp.srcport', 'udp.dstport']);
declareFastReaders({
  'udp.srcport': headerFact('udp', always, (d, at) => u16(d, at)),
  'udp.dstport': headerFact('udp', always, (d, at) => u16(d, at + 2)),
  'udp.port': headerFact('udp', always, (d, at) => u16(d, at), (d, at) => u16(d, at + 2)),
  'udp.length': headerFact('udp', always, (d, at) => u16(d, at + 4)),
  // A length below 8 (bogus, or an IPv6 jumbogram's 0) is for the tree to judge.
  'udp.checksum': headerFact('udp', (d, at) => u16(d, at + 4) >= 8, (d, at) => u16(d, at + 6)),
});

function dissectUdp(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, udp.id, 'User Datagram Protocol', 'datagram', offset, 8);
  pi.protocol = 'UDP';
  const sport = r.u16At(offset);
  const dport = r.u16At(offset + 2);
  if (!r.has(offset, 8)) {
    if (r.has(offset, 4)) {
      addField(pi, layer, hf.srcport, sport, String(sport), offset, 2);
      addField(pi, layer, hf.dstport, dport, String(dport), offset + 2, 2);
      pi.info = `${sport} → ${dport}`;
    }
    layer.truncated = true;
    pi.markMalformed('Truncated: a UDP header needs 8 bytes');
    return end - offset;
  }
  let len = r.u16At(offset + 4);
  const ck = r.u16At(offset + 6);
  pi.srcPort = sport;
  pi.dstPort = dport;
  if (pi.full) {
    layer.title = `User Datagram Protocol, Src Port: ${sport}, Dst Port: ${dport}`;
    addField(pi, layer, hf.srcport, sport, String(sport), offset, 2);
    addField(pi, layer, hf.dstport, dport, String(dport), offset + 2, 2);
    addField(pi, layer, hf.length, len, len < 8 && !(len === 0 && pi.netSrc.includes(':')) ? `${len} (bogus, must be >= 8)` : String(len), offset + 4, 2);
  }
  // Over IPv6 a zero length is a jumbogram's (RFC 2675): the datagram runs to the end of the IPv6 payload.
  if (len === 0 && pi.netSrc.includes(':')) len = end - offset;
  if (len < 8) {
    // Wireshark stops at a bogus length: no checksum, no stream index (later datagrams' indexes do not shift).
    pi.markMalformed(`Malformed: UDP length ${len} is less than 8`);
    pi.info = `${sport} → ${dport} [Bad length ${len}]`;
    return end - offset;
  }
  if (pi.full) addField(pi, layer, hf.checksum, ck, `${hex(ck, 4)} [unverified]`, offset + 6, 2);
  // A quoted datagram (inside an ICMP error) belongs to the same stream as the original, as in Wireshark.
  const replay = pi.replay;
  let stream = pi.replaying ? replay.udp[pi.udpAt++] : undefined;
  if (stream === undefined) {
    stream = pi.ctx.udpStream(pi.netSrc, sport, pi.netDst, dport);
    if (!pi.replaying) replay.udp.push(stream);
  }
  if (pi.full) addField(pi, layer, hf.stream, stream, String(stream), offset, 0);
  let payloadEnd = end;
  // The IP layer's end is on-wire: a UDP length past it lies (Wireshark: "Bad length value … > IP payload length").
  const lies = offset + len > end && !pi.fragmented;
  if (lies) pi.markMalformed(`Malformed: UDP length ${len} > IP payload length (${end - offset} bytes)`, true);
  else payloadEnd = Math.min(end, offset + len);
  if (pi.nested === 0) {
    pi.udp = { stream, srcAddr: pi.netSrc, srcPort: sport, dstAddr: pi.netDst, dstPort: dport };
    // A defragmented datagram: its payload is in the reassembled buffer, not at the layer's offset in the frame.
    if (inReassembledBuffer(pi)) pi.udp.reassembled = pi.data.subarray(offset + 8, Math.max(offset + 8, Math.min(payloadEnd, pi.capLen)));
  }
  const dataLen = payloadEnd - offset - 8;
  pi.info = lies ? `${sport} → ${dport} [BAD UDP LENGTH ${len} > IP PAYLOAD LENGTH] Len=${len - 8}` : `${sport} → ${dport} Len=${pi.fragmented ? len - 8 : dataLen}`;
  if (dataLen > 0) {
    const start = offset + 8;
    const avail = Math.max(0, Math.min(payloadEnd, pi.capLen) - start);
    addBytesField(pi, layer, hf.payload, start, avail, `${dataLen} bytes`);
    callPortsOrData(udpPortTable, udpHeuristics, pi, start, payloadEnd);
  }
  return end - offset;
}

ipProtoTable.register(17, dissectUdp);
