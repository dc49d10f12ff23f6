// ARP over Ethernet/IPv4 (the only pairing seen in practice), other hardware types as raw bytes.
import { ethertypeText } from './ethernet';
import { formatIpv4, formatMac, hexBytes } from './format';
import { PacketInfo, addField, beginLayer, declareFields, declareProtocol, ethertypeTable } from './registry';

const arp = declareProtocol('arp', 'Address Resolution Protocol');
const hf = declareFields({
  hwType: ['arp.hw.type', 'Hardware type', 'uint'],
  protoType: ['arp.proto.type', 'Protocol type', 'uint'],
  hwSize: ['arp.hw.size', 'Hardware size', 'uint'],
  protoSize: ['arp.proto.size', 'Protocol size', 'uint'],
  opcode: ['arp.opcode', 'Opcode', 'uint'],
  srcMac: ['arp.src.hw_mac', 'Sender MAC address', 'ether'],
  srcIp: ['arp.src.proto_ipv4', 'Sender IP address', 'ipv4'],
  dstMac: ['arp.dst.hw_mac', 'Target MAC address', 'ether'],
  dstIp: ['arp.dst.proto_ipv4', 'Target IP address', 'ipv4'],
  srcHw: ['arp.src.hw', 'Sender hardware address', 'bytes'],
  srcProto: ['arp.src.proto', 'Sender protocol address', 'bytes'],
  dstHw: ['arp.dst.hw', 'Target hardware address', 'bytes'],
  dstProto: ['arp.dst.proto', 'Target protocol address', 'bytes'],
});

const opcodes: Record<number, string> = { 1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply' };

function dissectArp(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, arp.id, 'Address Resolution Protocol', 'packet', offset, 8);
  pi.protocol = 'ARP';
  if (!r.has(offset, 8)) {
    layer.truncated = true;
    pi.markMalformed('Truncated: an ARP header needs 8 bytes');
    return end - offset;
  }
  const hwType = r.u16At(offset);
  const protoType = r.u16At(offset + 2);
  const hs = r.u8At(offset + 4);
  const ps = r.u8At(offset + 5);
  const op = r.u16At(offset + 6);
  const total = 8 + 2 * hs + 2 * ps;
  layer.length = Math.min(total, pi.capLen - offset);
  layer.title = `Address Resolution Protocol (${opcodes[op] ?? `opcode ${op}`})`;
  addField(pi, layer, hf.hwType, hwType, hwType === 1 ? 'Ethernet (1)' : String(hwType), offset, 2);
  addField(pi, layer, hf.protoType, protoType, ethertypeText(protoType), offset + 2, 2);
  addField(pi, layer, hf.hwSize, hs, String(hs), offset + 4, 1);
  addField(pi, layer, hf.protoSize, ps, String(ps), offset + 5, 1);
  addField(pi, layer, hf.opcode, op, `${opcodes[op] ?? 'unknown'} (${op})`, offset + 6, 2);
  const sha = offset + 8;
  const spa = sha + hs;
  const tha = spa + ps;
  const tpa = tha + hs;
  if (!r.has(offset, total)) {
    layer.truncated = true;
    pi.markMalformed('Truncated: the ARP addresses were cut off');
    pi.info = `ARP ${opcodes[op] ?? op}`;
    return end - offset;
  }
  const d = pi.data;
  // Wireshark's ARP_HW_IS_ETHER: a MAC only for hardware type Ethernet (1) or IEEE 802 (6) with 6-byte addresses;
  // other types keep raw bytes (arp.src.hw). An address of length 0 is not shown at all.
  const ether = (hwType === 1 || hwType === 6) && hs === 6;
  const ipv4 = ps === 4 && protoType === 0x0800;
  const hwAddr = (o: number) => (ether ? formatMac(d, o) : hexBytes(d, o, hs));
  const protoAddr = (o: number) => (ipv4 ? formatIpv4(d, o) : hexBytes(d, o, ps));
  const sMac = hwAddr(sha);
  const sIp = protoAddr(spa);
  const tMac = hwAddr(tha);
  const tIp = protoAddr(tpa);
  if (hs > 0) addField(pi, layer, ether ? hf.srcMac : hf.srcHw, sMac, sMac, sha, hs);
  if (ps > 0) addField(pi, layer, ipv4 ? hf.srcIp : hf.srcProto, sIp, sIp, spa, ps);
  if (hs > 0) addField(pi, layer, ether ? hf.dstMac : hf.dstHw, tMac, tMac, tha, hs);
  if (ps > 0) addField(pi, layer, ipv4 ? hf.dstIp : hf.dstProto, tIp, tIp, tpa, ps);
  if (op === 1) pi.info = sIp === tIp ? `ARP Announcement for ${sIp}` : `Who has ${tIp}? Tell ${sIp}`;
  else if (op === 2) pi.info = `${sIp} is at ${sMac}`;
  else pi.info = `ARP ${opcodes[op] ?? `opcode ${op}`}`;
  return end - offset;
}

ethertypeTable.register(0x0806, dissectArp);
