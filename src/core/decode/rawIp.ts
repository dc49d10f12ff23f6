// Raw IP link types: the first nibble says IPv4 or IPv6 (LINKTYPE_RAW), or the link type does (228/229).
import { LinkType } from '../../shared/packet';
import { PacketInfo, callTableOrData, ethertypeTable, linkTypeTable } from './registry';

function dissectRaw(pi: PacketInfo, offset: number, end: number): number {
  const version = pi.r.u8At(offset) >> 4;
  const type = version === 4 ? 0x0800 : version === 6 ? 0x86dd : -1;
  if (type === -1) {
    pi.protocol = 'Raw';
    pi.info = `Not an IP packet (version ${version})`;
  }
  return callTableOrData(ethertypeTable, type, pi, offset, end);
}

linkTypeTable.register(LinkType.RAW, dissectRaw);
linkTypeTable.register(228, (pi, o, e) => callTableOrData(ethertypeTable, 0x0800, pi, o, e));
linkTypeTable.register(229, (pi, o, e) => callTableOrData(ethertypeTable, 0x86dd, pi, o, e));
