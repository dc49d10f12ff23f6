// ICMPv6: type/code names, echo id/seq, neighbour discovery targets.
import { formatIpv6, hex } from './format';
import { PacketInfo, addField, beginLayer, declareFields, declareProtocol, dissectData, dissectQuoted, ipProtoTable } from './registry';

const icmpv6 = declareProtocol('icmpv6', 'Internet Control Message Protocol v6');
const hf = declareFields({
  type: ['icmpv6.type', 'Type', 'uint'],
  code: ['icmpv6.code', 'Code', 'uint'],
  checksum: ['icmpv6.checksum', 'Checksum', 'uint'],
  echoId: ['icmpv6.echo.identifier', 'Identifier', 'uint'],
  echoSeq: ['icmpv6.echo.sequence_number', 'Sequence', 'uint'],
  nsTarget: ['icmpv6.nd.ns.target_address', 'Target Address', 'ipv6'],
  naTarget: ['icmpv6.nd.na.target_address', 'Target Address', 'ipv6'],
});

const types: Record<number, string> = { 1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem', 128: 'Echo (ping) request', 129: 'Echo (ping) reply', 130: 'Multicast Listener Query', 131: 'Multicast Listener Report', 133: 'Router Solicitation', 134: 'Router Advertisement', 135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement', 137: 'Redirect', 143: 'Multicast Listener Report Message v2' };

function dissectIcmpv6(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, icmpv6.id, 'Internet Control Message Protocol v6', 'message', offset, end - offset);
  pi.protocol = 'ICMPv6';
  if (!r.has(offset, 4)) {
    layer.truncated = true;
    pi.markMalformed('Truncated: an ICMPv6 header needs 4 bytes');
    return end - offset;
  }
  const type = r.u8At(offset);
  const code = r.u8At(offset + 1);
  const ck = r.u16At(offset + 2);
  const name = types[type] ?? 'Unknown ICMPv6 type';
  addField(pi, layer, hf.type, type, `${name} (${type})`, offset, 1);
  addField(pi, layer, hf.code, code, String(code), offset + 1, 1);
  addField(pi, layer, hf.checksum, ck, hex(ck, 4), offset + 2, 2);
  const unreach = type === 1 ? ['No route to destination', 'Administratively prohibited', 'Beyond scope of source address', 'Address unreachable', 'Port unreachable'][code] : undefined;
  pi.info = unreach ? `${name} (${unreach})` : name;
  let body = offset + 4;
  if ((type === 128 || type === 129) && r.has(offset + 4, 4)) {
    const id = r.u16At(offset + 4);
    const seq = r.u16At(offset + 6);
    addField(pi, layer, hf.echoId, id, hex(id, 4), offset + 4, 2);
    addField(pi, layer, hf.echoSeq, seq, String(seq), offset + 6, 2);
    pi.info = `${name} id=${hex(id, 4)}, seq=${seq}${pi.ttl >= 0 ? `, hop limit=${pi.ttl}` : ''}`;
    body = offset + 8;
  } else if ((type === 135 || type === 136) && r.has(offset + 8, 16)) {
    const target = formatIpv6(pi.data, offset + 8);
    addField(pi, layer, type === 135 ? hf.nsTarget : hf.naTarget, target, target, offset + 8, 16);
    pi.info = type === 135 ? `Neighbor Solicitation for ${target}` : `Neighbor Advertisement ${target}`;
    body = offset + 24;
  } else if (type === 135 || type === 136 || type === 128 || type === 129) {
    layer.truncated = true;
  }
  if (type >= 1 && type <= 4) dissectQuoted(pi, 0x86dd, offset + 8, end);
  // Only an echo's body (and an extended echo request's without extension objects) is data: the other types'
  // bodies are ICMPv6's own (neighbour discovery, multicast listeners, mobile prefixes …), as Wireshark decodes them.
  else if (body < end && (type === 128 || type === 129 || type === 160)) dissectData(pi, body, end);
  return end - offset;
}

ipProtoTable.register(58, dissectIcmpv6);
