// BSD loopback (LINKTYPE_NULL, host byte order) and OpenBSD LINKTYPE_LOOP (network byte order).
import { LinkType } from '../../shared/packet';
import { PacketInfo, addField, beginLayer, callTableOrData, declareFields, declareProtocol, ethertypeTable, linkTypeTable } from './registry';

const nul = declareProtocol('null', 'Null/Loopback');
const hf = declareFields({
  family: ['null.family', 'Family', 'uint'],
});

/** Address families mapped onto ethertypes; IPv6 has a different AF_INET6 on each BSD (and Linux). */
const familyEthertype: Record<number, number> = { 2: 0x0800, 10: 0x86dd, 24: 0x86dd, 28: 0x86dd, 30: 0x86dd };
const familyNames: Record<number, string> = { 2: 'IP', 10: 'IPv6 (Linux)', 24: 'IPv6 (NetBSD/OpenBSD)', 28: 'IPv6 (FreeBSD)', 30: 'IPv6 (Darwin)' };

function makeNull(networkOrder: boolean) {
  return (pi: PacketInfo, offset: number, end: number): number => {
    const layer = beginLayer(pi, nul.id, 'Null/Loopback', 'frame', offset, 4);
    if (!pi.r.has(offset, 4)) {
      layer.truncated = true;
      pi.protocol = 'NULL';
      pi.markMalformed('Truncated: a loopback header needs 4 bytes');
      return end - offset;
    }
    let family = networkOrder ? pi.r.u32At(offset) : pi.r.u32leAt(offset);
    // The writer's byte order is unknown: a family in the high half means the other order.
    if (!networkOrder && (family & 0xffff0000) !== 0) family = pi.r.u32At(offset);
    addField(pi, layer, hf.family, family, `${familyNames[family] ?? 'Unknown'} (${family})`, offset, 4);
    pi.protocol = 'NULL';
    const type = familyEthertype[family];
    if (type === undefined) pi.info = `Unknown address family ${family}`;
    return 4 + callTableOrData(ethertypeTable, type ?? -1, pi, offset + 4, end);
  };
}

linkTypeTable.register(LinkType.NULL, makeNull(false));
linkTypeTable.register(108, makeNull(true));
