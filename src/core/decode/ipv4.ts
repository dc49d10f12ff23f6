// IPv4: header fields, options, fragments (reassembled in ipDefragment.ts unless turned off), then the ip.proto table.
import { formatIpv4, hex } from './format';
import { PacketInfo, addChild, addField, beginLayer, callTableOrData, declareAlias, declareFields, declareProtocol, dissectData, ethertypeTable, ipProtoTable } from './registry';
import { declareFastReaders, headerFact, u16, u32, u8 } from './fastValues';
import { defragment } from './ipDefragment';

const ip = declareProtocol('ip', 'Internet Protocol Version 4');
const hf = declareFields({
  version: ['ip.version', 'Version', 'uint'],
  hdrLen: ['ip.hdr_len', 'Header Length', 'uint'],
  dsfield: ['ip.dsfield', 'Differentiated Services Field', 'uint'],
  dscp: ['ip.dsfield.dscp', 'Differentiated Services Codepoint', 'uint'],
  ecn: ['ip.dsfield.ecn', 'Explicit Congestion Notification', 'uint'],
  len: ['ip.len', 'Total Length', 'uint'],
  id: ['ip.id', 'Identification', 'uint'],
  flags: ['ip.flags', 'Flags', 'uint'],
  rb: ['ip.flags.rb', 'Reserved bit', 'bool'],
  df: ['ip.flags.df', "Don't fragment", 'bool'],
  mf: ['ip.flags.mf', 'More fragments', 'bool'],
  fragOffset: ['ip.frag_offset', 'Fragment Offset', 'uint'],
  ttl: ['ip.ttl', 'Time to Live', 'uint'],
  proto: ['ip.proto', 'Protocol', 'uint'],
  checksum: ['ip.checksum', 'Header Checksum', 'uint'],
  src: ['ip.src', 'Source Address', 'ipv4'],
  dst: ['ip.dst', 'Destination Address', 'ipv4'],
  options: ['ip.options', 'Options', 'bytes'],
  optType: ['ip.opt.type', 'Type', 'uint'],
  optLen: ['ip.opt.len', 'Length', 'uint'],
});
declareAlias('ip.addr', 'Source or Destination Address', 'ipv4', ['ip.src', 'ip.dst']);
const ipv4Ok = (d: Uint8Array, at: number) => d[at] >> 4 === 4 && (d[at] & 0x0f) >= 5;
// Addresses as numbers (what the comparison parses the tree's text into); `matches` asks the tree.
declareFastReaders({
  'ip.src': headerFact('ip', ipv4Ok, (d, at) => u32(d, at + 12)),
  'ip.dst': headerFact('ip', ipv4Ok, (d, at) => u32(d, at + 16)),
  'ip.addr': headerFact('ip', ipv4Ok, (d, at) => u32(d, at + 12), (d, at) => u32(d, at + 16)),
  'ip.ttl': headerFact('ip', ipv4Ok, (d, at) => u8(d, at + 8)),
  'ip.proto': headerFact('ip', ipv4Ok, (d, at) => u8(d, at + 9)),
  'ip.id': headerFact('ip', ipv4Ok, (d, at) => u16(d, at + 4)),
});

export const ipProtoNames: Record<number, string> = { 0: 'IPv6 Hop-by-Hop Option', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'IPv6 Routing', 44: 'IPv6 Fragment', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 59: 'IPv6 No Next Header', 60: 'IPv6 Destination Options', 132: 'SCTP' };

export function ipProtoText(p: number): string {
  return `${ipProtoNames[p] ?? 'Unknown'} (${p})`;
}

const optionNames: Record<number, string> = { 0: 'End of Options List (EOL)', 1: 'No-Operation (NOP)', 7: 'Record Route', 68: 'Time Stamp', 130: 'Security', 131: 'Loose Source Route', 137: 'Strict Source Route', 148: 'Router Alert' };

function dissectIpv4(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, ip.id, 'Internet Protocol Version 4', 'packet', offset, 20);
  const b0 = r.u8At(offset);
  const version = b0 >> 4;
  const ihl = (b0 & 0x0f) * 4;
  pi.protocol = 'IPv4';
  if (!r.has(offset, 20)) {
    if (r.has(offset, 1)) addField(pi, layer, hf.version, version, String(version), offset, 1);
    layer.truncated = true;
    pi.markMalformed('Truncated: an IPv4 header needs 20 bytes');
    return end - offset;
  }
  if (pi.full) {
    addField(pi, layer, hf.version, version, String(version), offset, 1);
    addField(pi, layer, hf.hdrLen, ihl, `${ihl} bytes (${ihl >> 2})`, offset, 1);
  }
  if (version !== 4 || ihl < 20) {
    pi.markMalformed(version !== 4 ? `Malformed: IPv4 version field is ${version}` : `Malformed: IPv4 header length ${ihl} is less than 20`);
    pi.info = 'Bogus IPv4 header';
    return end - offset;
  }
  const tos = r.u8At(offset + 1);
  let totalLen = r.u16At(offset + 2);
  const id = r.u16At(offset + 4);
  const fl = r.u16At(offset + 6);
  const ttl = r.u8At(offset + 8);
  const proto = r.u8At(offset + 9);
  const d = pi.data;
  const src = formatIpv4(d, offset + 12);
  const dst = formatIpv4(d, offset + 16);
  layer.length = Math.min(ihl, pi.capLen - offset);
  // A zero total length is what TCP segmentation offload leaves; the frame length is the truth then.
  if (totalLen === 0) totalLen = end - offset;
  const flags = fl >> 13;
  // ip.frag_offset is the raw 13-bit field (units of 8 bytes), as Wireshark's; the byte offset is fragOff * 8.
  const fragOff = fl & 0x1fff;
  const df = (flags & 2) !== 0;
  const mf = (flags & 1) !== 0;
  // The fixed header was checked above, so skipping these on the columns-only pass loses no truncation mark.
  if (pi.full) {
    const ck = r.u16At(offset + 10);
    layer.title = `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`;
    const ds = addField(pi, layer, hf.dsfield, tos, hex(tos, 2), offset + 1, 1);
    addChild(pi, layer, ds, hf.dscp, tos >> 2, String(tos >> 2), offset + 1, 1);
    addChild(pi, layer, ds, hf.ecn, tos & 3, String(tos & 3), offset + 1, 1);
    addField(pi, layer, hf.len, totalLen, String(totalLen), offset + 2, 2);
    addField(pi, layer, hf.id, id, `${hex(id, 4)} (${id})`, offset + 4, 2);
    const fields = addField(pi, layer, hf.flags, flags, `${hex(flags, 2)}${df ? ", Don't fragment" : ''}${mf ? ', More fragments' : ''}`, offset + 6, 1);
    addChild(pi, layer, fields, hf.rb, (flags & 4) !== 0, (flags & 4) !== 0 ? 'Set' : 'Not set', offset + 6, 1);
    addChild(pi, layer, fields, hf.df, df, df ? 'Set' : 'Not set', offset + 6, 1);
    addChild(pi, layer, fields, hf.mf, mf, mf ? 'Set' : 'Not set', offset + 6, 1);
    addField(pi, layer, hf.fragOffset, fragOff, `${fragOff * 8} bytes (${fragOff})`, offset + 6, 2);
    addField(pi, layer, hf.ttl, ttl, String(ttl), offset + 8, 1);
    addField(pi, layer, hf.proto, proto, ipProtoText(proto), offset + 9, 1);
    addField(pi, layer, hf.checksum, ck, hex(ck, 4), offset + 10, 2);
    addField(pi, layer, hf.src, src, src, offset + 12, 4);
    addField(pi, layer, hf.dst, dst, dst, offset + 16, 4);
  }
  if (ihl > 20) dissectOptions(pi, layer, offset + 20, offset + ihl);
  if (!r.has(offset, ihl)) {
    layer.truncated = true;
    pi.markMalformed('Truncated: the IPv4 options were cut off');
    return end - offset;
  }
  pi.netSrc = src;
  pi.netDst = dst;
  if (pi.nested === 0) {
    pi.src = src;
    pi.dst = dst;
    pi.ttl = ttl;
  }
  if (totalLen < ihl) {
    pi.markMalformed(`Malformed: IPv4 total length ${totalLen} is less than the header length ${ihl}`);
    pi.info = `Bogus IPv4 total length ${totalLen}`;
    return end - offset;
  }
  const payloadEnd = Math.min(end, offset + totalLen);
  // `end` is the on-wire end: a total length past it is a lie, not a snap length (Wireshark: "Bogus IP length").
  if (offset + totalLen > end) pi.markMalformed(`Malformed: IPv4 total length exceeds packet length (${end - offset} bytes)`, true);
  const fragInfo = () => `Fragmented IP protocol (proto=${ipProtoNames[proto] ?? proto} ${proto}, off=${fragOff * 8}, ID=${id.toString(16).padStart(4, '0')})`;
  // Defragmentation (Wireshark's ip.defragment): the fragment completing the datagram carries it, the others wait.
  if ((fragOff > 0 || mf) && defragment(pi, layer, { v6: false, key: `${src}|${dst}|${proto}|${id}`, off: fragOff * 8, more: mf, proto, info: fragInfo() }, offset + ihl, payloadEnd)) return end - offset;
  if (fragOff > 0) {
    // Without reassembly only the first fragment's transport header is meaningful; later ones are data.
    pi.protocol = 'IPv4';
    pi.info = fragInfo();
    dissectData(pi, offset + ihl, payloadEnd);
    return end - offset;
  }
  // A first fragment is decoded as far as it goes (Wireshark without reassembly); its transport knows it is cut.
  if (mf) pi.fragmented = true;
  if (ipProtoTable.get(proto) === undefined) {
    pi.info = `${ipProtoNames[proto] ?? 'Unknown IP protocol'} (${proto})`;
  }
  callTableOrData(ipProtoTable, proto, pi, offset + ihl, payloadEnd);
  return end - offset;
}

function dissectOptions(pi: PacketInfo, layer: ReturnType<typeof beginLayer>, start: number, stop: number): void {
  const r = pi.r;
  const opts = addField(pi, layer, hf.options, '', `${stop - start} bytes`, start, Math.min(stop, pi.capLen) - start);
  let o = start;
  while (o < stop && r.has(o, 1)) {
    const type = r.u8At(o);
    if (type === 0 || type === 1) {
      addChild(pi, layer, opts, hf.optType, type, optionNames[type], o, 1);
      o += 1;
      if (type === 0) break;
      continue;
    }
    const len = r.u8At(o + 1);
    if (len < 2 || o + len > stop) {
      pi.markMalformed(`Malformed: IPv4 option ${type} has bad length ${len}`);
      break;
    }
    const t = addChild(pi, layer, opts, hf.optType, type, optionNames[type] ?? `Unknown (${type})`, o, len);
    addChild(pi, layer, t, hf.optLen, len, String(len), o + 1, 1);
    o += len;
  }
}

ethertypeTable.register(0x0800, dissectIpv4);
// IP in IP (protocol 4): the inner header is an ordinary IPv4 packet.
ipProtoTable.register(4, dissectIpv4);
