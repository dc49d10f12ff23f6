// IPv6: fixed header, the extension-header chain (hop-by-hop, routing, fragment, destination options, AH).
import { formatIpv6, hex } from './format';
import { ipProtoNames, ipProtoText } from './ipv4';
import { PacketInfo, addChild, addField, beginLayer, callTableOrData, declareAlias, declareFields, declareProtocol, dissectData, ethertypeTable, ipProtoTable } from './registry';
import { declareFastReaders, headerFact } from './fastValues';
import { type FragmentHeader, defragment } from './ipDefragment';

const ipv6 = declareProtocol('ipv6', 'Internet Protocol Version 6');
const hf = declareFields({
  version: ['ipv6.version', 'Version', 'uint'],
  tclass: ['ipv6.tclass', 'Traffic Class', 'uint'],
  flow: ['ipv6.flow', 'Flow Label', 'uint'],
  plen: ['ipv6.plen', 'Payload Length', 'uint'],
  nxt: ['ipv6.nxt', 'Next Header', 'uint'],
  hlim: ['ipv6.hlim', 'Hop Limit', 'uint'],
  src: ['ipv6.src', 'Source Address', 'ipv6'],
  dst: ['ipv6.dst', 'Destination Address', 'ipv6'],
  hopopts: ['ipv6.hopopts', 'IPv6 Hop-by-Hop Option', 'none'],
  hopoptsNxt: ['ipv6.hopopts.nxt', 'Next Header', 'uint'],
  hopoptsLen: ['ipv6.hopopts.len', 'Length', 'uint'],
  routing: ['ipv6.routing', 'Routing Header for IPv6', 'none'],
  routingNxt: ['ipv6.routing.nxt', 'Next Header', 'uint'],
  routingLen: ['ipv6.routing.len', 'Length', 'uint'],
  routingType: ['ipv6.routing.type', 'Type', 'uint'],
  routingSegleft: ['ipv6.routing.segleft', 'Segments Left', 'uint'],
  fraghdr: ['ipv6.fraghdr', 'Fragment Header for IPv6', 'none'],
  fragNxt: ['ipv6.fraghdr.nxt', 'Next header', 'uint'],
  fragOffset: ['ipv6.fraghdr.offset', 'Offset', 'uint'],
  fragMore: ['ipv6.fraghdr.more', 'More Fragments', 'bool'],
  fragIdent: ['ipv6.fraghdr.ident', 'Identification', 'uint'],
  dstopts: ['ipv6.dstopts', 'Destination Options for IPv6', 'none'],
  dstoptsNxt: ['ipv6.dstopts.nxt', 'Next Header', 'uint'],
  dstoptsLen: ['ipv6.dstopts.len', 'Length', 'uint'],
  ah: ['ah', 'Authentication Header', 'none'],
});
declareAlias('ipv6.addr', 'Source or Destination Address', 'ipv6', ['ipv6.src', 'ipv6.dst']);
// Wireshark's IPv6 tree also carries the version under the generic IP name (hidden), so `ip.version == 6` matches.
const ipVersion = { id: 'ip.version', label: 'Version', kind: 'uint' } as const;
const ipv6Ok = (d: Uint8Array, at: number) => d[at] >> 4 === 6;
declareFastReaders({
  'ipv6.src': headerFact('ipv6', ipv6Ok, (d, at) => formatIpv6(d, at + 8)),
  'ipv6.dst': headerFact('ipv6', ipv6Ok, (d, at) => formatIpv6(d, at + 24)),
  'ipv6.addr': headerFact('ipv6', ipv6Ok, (d, at) => formatIpv6(d, at + 8), (d, at) => formatIpv6(d, at + 24)),
  'ipv6.hlim': headerFact('ipv6', ipv6Ok, (d, at) => d[at + 7]),
});

/** A bound on the chain so a crafted packet cannot loop us for long (each header is ≥ 8 bytes anyway). */
const MAX_EXT_HEADERS = 32;

function dissectIpv6(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, ipv6.id, 'Internet Protocol Version 6', 'packet', offset, 40);
  pi.protocol = 'IPv6';
  const version = r.u8At(offset) >> 4;
  if (!r.has(offset, 40)) {
    if (r.has(offset, 1)) {
      addField(pi, layer, hf.version, version, String(version), offset, 1);
      addField(pi, layer, ipVersion, version, String(version), offset, 1);
    }
    layer.truncated = true;
    pi.markMalformed('Truncated: an IPv6 header needs 40 bytes');
    return end - offset;
  }
  const w0 = r.u32At(offset);
  const tclass = (w0 >>> 20) & 0xff;
  const flow = w0 & 0xfffff;
  let plen = r.u16At(offset + 4);
  let nxt = r.u8At(offset + 6);
  const hlim = r.u8At(offset + 7);
  const src = formatIpv6(pi.data, offset + 8);
  const dst = formatIpv6(pi.data, offset + 24);
  layer.title = `Internet Protocol Version 6, Src: ${src}, Dst: ${dst}`;
  addField(pi, layer, hf.version, version, String(version), offset, 1);
  addField(pi, layer, ipVersion, version, String(version), offset, 1);
  if (version !== 6) {
    pi.markMalformed(`Malformed: IPv6 version field is ${version}`);
    return end - offset;
  }
  addField(pi, layer, hf.tclass, tclass, hex(tclass, 2), offset, 2);
  addField(pi, layer, hf.flow, flow, hex(flow, 5), offset + 1, 3);
  // The field as sent; a zero (a jumbogram, RFC 2675, or segmentation offload) takes the length from the Jumbo
  // Payload option when there is one, else from the frame.
  addField(pi, layer, hf.plen, plen, plen === 0 ? '0 (see the Jumbo Payload option)' : String(plen), offset + 4, 2);
  // Without one the payload is empty, as Wireshark reads it by default (its ipv6.tso_support preference is off): the
  // bytes after the header are the link layer's trailer.
  if (plen === 0) plen = jumboLength(pi, offset + 40, nxt) ?? 0;
  addField(pi, layer, hf.nxt, nxt, ipProtoText(nxt), offset + 6, 1);
  addField(pi, layer, hf.hlim, hlim, String(hlim), offset + 7, 1);
  addField(pi, layer, hf.src, src, src, offset + 8, 16);
  addField(pi, layer, hf.dst, dst, dst, offset + 24, 16);
  pi.netSrc = src;
  pi.netDst = dst;
  if (pi.nested === 0) {
    pi.src = src;
    pi.dst = dst;
    pi.ttl = hlim;
  }
  const payloadEnd = Math.min(end, offset + 40 + plen);
  if (offset + 40 + plen > end) pi.markMalformed(`Malformed: IPv6 payload length exceeds framing length (${end - offset - 40} bytes)`, true);
  let o = offset + 40;
  let fragmented = false;
  let fragOffset = 0;
  // The fragment header, for defragmentation (ipDefragment.ts), and where the fragmentable part starts.
  let frag: FragmentHeader | undefined;
  let fragAt = 0;
  for (let n = 0; n < MAX_EXT_HEADERS; n++) {
    if (nxt !== 0 && nxt !== 43 && nxt !== 44 && nxt !== 60 && nxt !== 51) break;
    if (o >= payloadEnd) {
      pi.markMalformed('Malformed: the IPv6 payload ends before its extension header');
      return end - offset;
    }
    if (!r.has(o, 8)) {
      layer.truncated = true;
      pi.markMalformed('Truncated: an IPv6 extension header was cut off');
      return end - offset;
    }
    const next = r.u8At(o);
    const lenByte = r.u8At(o + 1);
    const hlen = nxt === 44 ? 8 : nxt === 51 ? (lenByte + 2) * 4 : (lenByte + 1) * 8;
    if (nxt === 0 || nxt === 60) {
      const hop = nxt === 0;
      const h = addField(pi, layer, hop ? hf.hopopts : hf.dstopts, '', '', o, Math.min(hlen, pi.capLen - o));
      addChild(pi, layer, h, hop ? hf.hopoptsNxt : hf.dstoptsNxt, next, ipProtoText(next), o, 1);
      addChild(pi, layer, h, hop ? hf.hopoptsLen : hf.dstoptsLen, lenByte, `${lenByte} (${hlen} bytes)`, o + 1, 1);
    } else if (nxt === 43) {
      const h = addField(pi, layer, hf.routing, '', '', o, Math.min(hlen, pi.capLen - o));
      addChild(pi, layer, h, hf.routingNxt, next, ipProtoText(next), o, 1);
      addChild(pi, layer, h, hf.routingLen, lenByte, `${lenByte} (${hlen} bytes)`, o + 1, 1);
      addChild(pi, layer, h, hf.routingType, r.u8At(o + 2), String(r.u8At(o + 2)), o + 2, 1);
      addChild(pi, layer, h, hf.routingSegleft, r.u8At(o + 3), String(r.u8At(o + 3)), o + 3, 1);
    } else if (nxt === 44) {
      const w = r.u16At(o + 2);
      // The raw 13-bit field (units of 8 bytes), as Wireshark's ipv6.fraghdr.offset.
      fragOffset = w >> 3;
      const more = (w & 1) === 1;
      // Only later fragments stop here: a first fragment is decoded as far as it goes, as Wireshark does unreassembled.
      fragmented = fragmented || fragOffset > 0;
      if (more && fragOffset === 0) pi.fragmented = true;
      const ident = r.u32At(o + 4);
      frag = { v6: true, key: `${src}|${dst}|${ident}`, off: fragOffset * 8, more, proto: next, info: `IPv6 fragment (off=${fragOffset * 8} more=${more ? 'y' : 'n'} ident=${hex(ident, 8)} nxt=${next})` };
      fragAt = o + 8;
      const h = addField(pi, layer, hf.fraghdr, '', `offset ${fragOffset * 8}${more ? ', more' : ''}`, o, 8);
      addChild(pi, layer, h, hf.fragNxt, next, ipProtoText(next), o, 1);
      addChild(pi, layer, h, hf.fragOffset, fragOffset, `${fragOffset} (${fragOffset * 8} bytes)`, o + 2, 2);
      addChild(pi, layer, h, hf.fragMore, more, more ? 'Yes' : 'No', o + 3, 1);
      addChild(pi, layer, h, hf.fragIdent, ident, hex(ident, 8), o + 4, 4);
    } else {
      addField(pi, layer, hf.ah, '', `${hlen} bytes`, o, Math.min(hlen, pi.capLen - o));
    }
    if (o + hlen > payloadEnd) {
      pi.markMalformed('Malformed: an IPv6 extension header runs past the payload');
      layer.length = Math.min(payloadEnd, pi.capLen) - layer.offset;
      return end - offset;
    }
    o += hlen;
    nxt = next;
  }
  layer.length = Math.min(o, pi.capLen) - layer.offset;
  if (frag !== undefined && (frag.off > 0 || frag.more) && defragment(pi, layer, frag, fragAt, payloadEnd)) return end - offset;
  if (fragmented) {
    pi.info = `IPv6 fragment (off=${fragOffset * 8} nxt=${nxt})`;
    dissectData(pi, o, payloadEnd);
    return end - offset;
  }
  if (nxt === 59) {
    pi.info = 'IPv6 no next header';
    // Bytes after "no next header" are still shown, as data (Wireshark).
    if (o < payloadEnd) dissectData(pi, o, payloadEnd);
    return end - offset;
  }
  if (ipProtoTable.get(nxt) === undefined) pi.info = `${ipProtoNames[nxt] ?? 'Unknown IP protocol'} (${nxt})`;
  if (o >= payloadEnd && emptyPayloadLayers[nxt] !== undefined) {
    // An empty payload (a zero payload length): Wireshark still hands it to the next protocol, which fails at once, so
    // that protocol is listed without a field ("Malformed Packet").
    const [name, title] = emptyPayloadLayers[nxt];
    beginLayer(pi, name, title, 'message', o, 0).truncated = true;
    pi.markMalformed(`Malformed: the IPv6 payload is empty, no ${title} header`);
    return end - offset;
  }
  callTableOrData(ipProtoTable, nxt, pi, o, payloadEnd);
  return end - offset;
}

/** Next headers whose protocol Wireshark lists even on an empty payload (tshark shows tcpdump's BIG TCP captures so). */
const emptyPayloadLayers: Record<number, [string, string]> = { 6: ['tcp', 'Transmission Control Protocol'], 17: ['udp', 'User Datagram Protocol'], 58: ['icmpv6', 'Internet Control Message Protocol v6'] };

/** The Jumbo Payload option's length (RFC 2675) in a hop-by-hop header at `o`, if the packet has one. */
function jumboLength(pi: PacketInfo, o: number, nxt: number): number | undefined {
  const r = pi.r;
  if (nxt !== 0 || !r.has(o, 2)) return undefined;
  const stop = o + (r.u8At(o + 1) + 1) * 8;
  let p = o + 2;
  while (p < stop && r.has(p, 1)) {
    const type = r.u8At(p);
    if (type === 0) {
      p++;
      continue;
    }
    const len = r.u8At(p + 1);
    if (type === 0xc2 && len === 4 && r.has(p + 2, 4)) return r.u32At(p + 2);
    p += 2 + len;
  }
  return undefined;
}

ethertypeTable.register(0x86dd, dissectIpv6);
ipProtoTable.register(41, dissectIpv6);
