// Linux "cooked" captures (the `any` device): SLL (LINKTYPE 113) and SLL2 (LINKTYPE 276).
import { LinkType } from '../../shared/packet';
import { ethertypeText, dissectEthertype } from './ethernet';
import { formatIpv4, formatMac, hexBytes } from './format';
import { PacketInfo, addField, beginLayer, declareFields, declareProtocol, dissectData, linkTypeTable } from './registry';

const sll = declareProtocol('sll', 'Linux cooked capture');
const hf = declareFields({
  pkttype: ['sll.pkttype', 'Packet type', 'uint'],
  hatype: ['sll.hatype', 'Link-layer address type', 'uint'],
  halen: ['sll.halen', 'Link-layer address length', 'uint'],
  srcEth: ['sll.src.eth', 'Source', 'ether'],
  srcIpv4: ['sll.src.ipv4', 'Source', 'ipv4'],
  srcOther: ['sll.src.other', 'Source', 'bytes'],
  unused: ['sll.unused', 'Unused', 'bytes'],
  ltype: ['sll.ltype', 'Protocol', 'uint'],
  etype: ['sll.etype', 'Protocol', 'uint'],
  reserved: ['sll.reserved', 'Reserved', 'uint'],
  ifindex: ['sll.ifindex', 'Interface index', 'uint'],
});

const pktTypes = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us', 'Loopback (by us)', 'Fastroute'];
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const ARPHRD_IPGRE = 778;

function pktTypeText(t: number): string {
  return pktTypes[t] ?? `Unknown (${t})`;
}

/** Link-layer source address, typed by ARPHRD (Ethernet, loopback, GRE) as Wireshark does. */
function addSource(pi: PacketInfo, layer: ReturnType<typeof beginLayer>, hatype: number, halen: number, offset: number, room: number): void {
  const n = Math.min(halen, room);
  if (n === 6 && (hatype === ARPHRD_ETHER || hatype === ARPHRD_LOOPBACK)) {
    const mac = formatMac(pi.data, offset);
    addField(pi, layer, hf.srcEth, mac, mac, offset, 6);
    pi.src = mac;
  } else if (n === 4 && hatype === ARPHRD_IPGRE) {
    const ip = formatIpv4(pi.data, offset);
    addField(pi, layer, hf.srcIpv4, ip, ip, offset, 4);
  } else if (n > 0) {
    const h = hexBytes(pi.data, offset, n);
    addField(pi, layer, hf.srcOther, h, h, offset, n);
  }
  if (room > n) addField(pi, layer, hf.unused, hexBytes(pi.data, offset + n, room - n), '', offset + n, room - n);
}

/** Protocol values below 0x0600 are Linux pseudo-protocols (802.3 / LLC frames), not ethertypes. */
function dissectProtocol(pi: PacketInfo, layer: ReturnType<typeof beginLayer>, proto: number, at: number, offset: number, end: number): void {
  if (proto < 0x0600) {
    addField(pi, layer, hf.ltype, proto, proto === 1 ? 'Raw 802.3 (0x0001)' : proto === 4 ? '802.2 LLC (0x0004)' : `Linux protocol ${proto}`, at, 2);
    pi.protocol = 'SLL';
    pi.info = `Linux protocol ${proto}`;
    dissectData(pi, offset, end);
    return;
  }
  addField(pi, layer, hf.etype, proto, ethertypeText(proto), at, 2);
  pi.protocol = 'SLL';
  dissectEthertype(pi, proto, offset, end);
}

function dissectSll(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, sll.id, 'Linux cooked capture v1', 'frame', offset, 16);
  const pkttype = r.u16At(offset);
  const hatype = r.u16At(offset + 2);
  const halen = r.u16At(offset + 4);
  if (!r.has(offset, 16)) {
    if (r.has(offset, 2)) addField(pi, layer, hf.pkttype, pkttype, pktTypeText(pkttype), offset, 2);
    layer.truncated = true;
    pi.protocol = 'SLL';
    pi.markMalformed('Truncated: a Linux cooked header needs 16 bytes');
    return end - offset;
  }
  addField(pi, layer, hf.pkttype, pkttype, pktTypeText(pkttype), offset, 2);
  addField(pi, layer, hf.hatype, hatype, String(hatype), offset + 2, 2);
  addField(pi, layer, hf.halen, halen, String(halen), offset + 4, 2);
  addSource(pi, layer, hatype, halen, offset + 6, 8);
  dissectProtocol(pi, layer, r.u16At(offset + 14), offset + 14, offset + 16, end);
  return end - offset;
}

function dissectSll2(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, sll.id, 'Linux cooked capture v2', 'frame', offset, 20);
  if (!r.has(offset, 20)) {
    if (r.has(offset, 2)) addField(pi, layer, hf.etype, r.u16At(offset), ethertypeText(r.u16At(offset)), offset, 2);
    layer.truncated = true;
    pi.protocol = 'SLL';
    pi.markMalformed('Truncated: a Linux cooked v2 header needs 20 bytes');
    return end - offset;
  }
  const proto = r.u16At(offset);
  const ifindex = r.u32At(offset + 4);
  const hatype = r.u16At(offset + 8);
  const pkttype = r.u8At(offset + 10);
  const halen = r.u8At(offset + 11);
  addField(pi, layer, hf.reserved, r.u16At(offset + 2), String(r.u16At(offset + 2)), offset + 2, 2);
  addField(pi, layer, hf.ifindex, ifindex, String(ifindex), offset + 4, 4);
  addField(pi, layer, hf.hatype, hatype, String(hatype), offset + 8, 2);
  addField(pi, layer, hf.pkttype, pkttype, pktTypeText(pkttype), offset + 10, 1);
  addField(pi, layer, hf.halen, halen, String(halen), offset + 11, 1);
  addSource(pi, layer, hatype, halen, offset + 12, 8);
  dissectProtocol(pi, layer, proto, offset, offset + 20, end);
  // Protocol sits first in SLL2; keep the field list in wire order for the tree.
  layer.fields.sort((a, b) => a.offset - b.offset);
  return end - offset;
}

linkTypeTable.register(LinkType.LINUX_SLL, dissectSll);
linkTypeTable.register(LinkType.LINUX_SLL2, dissectSll2);
