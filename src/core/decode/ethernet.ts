// Ethernet II (and 802.3 length frames) plus 802.1Q / 802.1ad VLAN tags.
import { LinkType } from '../../shared/packet';
import { formatMac, hex } from './format';
import { PacketInfo, addField, beginLayer, callTableOrData, declareAlias, declareFields, declareProtocol, dissectData, ethertypeTable, ipProtoTable, linkTypeTable } from './registry';
import { always, declareFastReaders, headerFact, u16 } from './fastValues';

const eth = declareProtocol('eth', 'Ethernet II');
const hf = declareFields({
  dst: ['eth.dst', 'Destination', 'ether'],
  src: ['eth.src', 'Source', 'ether'],
  type: ['eth.type', 'Type', 'uint'],
  len: ['eth.len', 'Length', 'uint'],
});
declareAlias('eth.addr', 'Address', 'ether', ['eth.src', 'eth.dst']);
declareFastReaders({
  'eth.src': headerFact('eth', always, (d, at) => formatMac(d, at + 6)),
  'eth.dst': headerFact('eth', always, (d, at) => formatMac(d, at)),
  'eth.addr': headerFact('eth', always, (d, at) => formatMac(d, at + 6), (d, at) => formatMac(d, at)),
  // Up to 1500 the field is an 802.3 length (eth.len), not a type.
  'eth.type': headerFact('eth', (d, at) => u16(d, at + 12) > 1500, (d, at) => u16(d, at + 12)),
});

const vlan = declareProtocol('vlan', '802.1Q Virtual LAN');
const hfVlan = declareFields({
  priority: ['vlan.priority', 'Priority', 'uint'],
  dei: ['vlan.dei', 'DEI', 'bool'],
  id: ['vlan.id', 'ID', 'uint'],
  etype: ['vlan.etype', 'Type', 'uint'],
});

// 802.1ad (0x88a8): Wireshark's own protocol and field names for the service tag (its type field is 802.1ah's).
const ieee8021ad = declareProtocol('ieee8021ad', 'IEEE 802.1ad');
const hfAd = declareFields({
  priority: ['ieee8021ad.priority', 'Priority', 'uint'],
  dei: ['ieee8021ad.dei', 'DEI', 'uint'],
  id: ['ieee8021ad.id', 'ID', 'uint'],
  etype: ['ieee8021ah.etype', 'Type', 'uint'],
});

export const ethertypeNames: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x86dd: 'IPv6',
  0x8100: '802.1Q Virtual LAN',
  0x88a8: '802.1ad',
  0x88cc: 'LLDP',
  0x8863: 'PPPoE Discovery',
  0x8864: 'PPPoE Session',
};

export function ethertypeText(t: number): string {
  const name = ethertypeNames[t];
  return name === undefined ? hex(t, 4) : `${name} (${hex(t, 4)})`;
}

/** Hands the payload to whoever registered this ethertype; unknown ones show as data. */
export function dissectEthertype(pi: PacketInfo, type: number, offset: number, end: number): number {
  if (ethertypeTable.get(type) === undefined) {
    pi.protocol = ethertypeNames[type] ?? hex(type, 4);
    pi.info = `Ethernet type ${hex(type, 4)}`;
  }
  return callTableOrData(ethertypeTable, type, pi, offset, end);
}

function dissectEthernet(pi: PacketInfo, offset: number, end: number): number {
  const d = pi.data;
  const layer = beginLayer(pi, eth.id, 'Ethernet II', 'frame', offset, 14);
  if (!pi.r.has(offset, 14)) {
    if (pi.r.has(offset, 6)) addField(pi, layer, hf.dst, formatMac(d, offset), formatMac(d, offset), offset, 6);
    if (pi.r.has(offset + 6, 6)) addField(pi, layer, hf.src, formatMac(d, offset + 6), formatMac(d, offset + 6), offset + 6, 6);
    layer.truncated = true;
    pi.protocol = 'Ethernet';
    pi.markMalformed('Truncated: an Ethernet header needs 14 bytes');
    return end - offset;
  }
  const type = pi.r.u16At(offset + 12);
  // The columns show MAC addresses only when no network layer names the endpoints: format them late.
  pi.linkAddrAt = offset;
  const dst = pi.full || type <= 1500 ? formatMac(d, offset) : '';
  const src = pi.full || type <= 1500 ? formatMac(d, offset + 6) : '';
  if (pi.full) {
    layer.title = `Ethernet II, Src: ${src}, Dst: ${dst}`;
    addField(pi, layer, hf.dst, dst, dst, offset, 6);
    addField(pi, layer, hf.src, src, src, offset + 6, 6);
  }
  if (type <= 1500) {
    // IEEE 802.3: the field is a length and an LLC header follows; we show the payload as data.
    layer.title = `IEEE 802.3 Ethernet, Src: ${src}, Dst: ${dst}`;
    addField(pi, layer, hf.len, type, String(type), offset + 12, 2);
    pi.protocol = 'LLC';
    pi.info = `802.3 frame, length ${type}`;
    dissectData(pi, offset + 14, Math.min(end, offset + 14 + type));
    return end - offset;
  }
  if (pi.full) addField(pi, layer, hf.type, type, ethertypeText(type), offset + 12, 2);
  pi.protocol = 'Ethernet';
  dissectEthertype(pi, type, offset + 14, end);
  return end - offset;
}

function dissectVlan(pi: PacketInfo, offset: number, end: number): number {
  return dissectTag(pi, offset, end, false);
}

function dissectServiceTag(pi: PacketInfo, offset: number, end: number): number {
  return dissectTag(pi, offset, end, true);
}

/** An 802.1Q customer tag, or (`service`) an 802.1ad service tag under Wireshark's ieee8021ad names. */
function dissectTag(pi: PacketInfo, offset: number, end: number, service: boolean): number {
  const f = service ? hfAd : hfVlan;
  const layer = beginLayer(pi, service ? ieee8021ad.id : vlan.id, service ? 'IEEE 802.1ad' : '802.1Q Virtual LAN', 'frame', offset, 4);
  const tci = pi.r.u16At(offset);
  const type = pi.r.u16At(offset + 2);
  if (!pi.r.has(offset, 4)) {
    layer.truncated = true;
    pi.markMalformed('Truncated: an 802.1Q tag needs 4 bytes');
    return end - offset;
  }
  const id = tci & 0x0fff;
  const pri = tci >> 13;
  const dei = (tci >> 12) & 1;
  layer.title = service ? `IEEE 802.1ad, ID: ${id}` : `802.1Q Virtual LAN, PRI: ${pri}, DEI: ${dei}, ID: ${id}`;
  addField(pi, layer, f.priority, pri, String(pri), offset, 2);
  addField(pi, layer, f.dei, service ? dei : dei === 1, String(dei), offset, 2);
  addField(pi, layer, f.id, id, String(id), offset, 2);
  addField(pi, layer, f.etype, type, ethertypeText(type), offset + 2, 2);
  // Nested tags (QinQ) recurse through the table; each level consumes 4 bytes, so depth is bounded by the frame.
  dissectEthertype(pi, type, offset + 4, end);
  return end - offset;
}

linkTypeTable.register(LinkType.ETHERNET, dissectEthernet);
// Ethernet carried by IP (protocol 143, e.g. after an IPv6 segment routing header), as Wireshark registers it.
ipProtoTable.register(143, dissectEthernet);
ethertypeTable.register(0x8100, dissectVlan);
ethertypeTable.register(0x88a8, dissectServiceTag);
ethertypeTable.register(0x9100, dissectVlan);
