// ICMP (IPv4): type/code with names, echo id/seq; the quoted header of errors is left as data.
import { hex } from './format';
import { PacketInfo, addField, beginLayer, declareFields, declareProtocol, dissectData, dissectQuoted, ipProtoTable } from './registry';

const icmp = declareProtocol('icmp', 'Internet Control Message Protocol');
const hf = declareFields({
  type: ['icmp.type', 'Type', 'uint'],
  code: ['icmp.code', 'Code', 'uint'],
  checksum: ['icmp.checksum', 'Checksum', 'uint'],
  ident: ['icmp.ident', 'Identifier (BE)', 'uint'],
  identLe: ['icmp.ident_le', 'Identifier (LE)', 'uint'],
  seq: ['icmp.seq', 'Sequence Number (BE)', 'uint'],
  seqLe: ['icmp.seq_le', 'Sequence Number (LE)', 'uint'],
  dataTime: ['icmp.data_time', 'Timestamp from icmp data', 'string'],
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An absolute time as Wireshark prints one in UTC: `Nov 14, 2023 22:11:40.000005000 UTC`. */
function utcText(secs: number, usecs: number): string {
  const t = new Date(secs * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')}, ${t.getUTCFullYear()} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${String(usecs * 1000).padStart(9, '0')} UTC`;
}

/**
 * The timeval ping puts first in an echo's data, as Wireshark 4.0 guesses it: seconds (big-endian, else
 * little-endian) within a day of the frame's time and microseconds below a million; the data starts after it.
 */
function echoTimestamp(pi: PacketInfo, at: number, end: number): { secs: number; usecs: number } | undefined {
  if (at + 8 > end || !pi.r.has(at, 8)) return undefined;
  const frameSecs = Math.floor(pi.rec.tsMicros / 1e6);
  const d = pi.data;
  for (const le of [false, true]) {
    const v = new DataView(d.buffer, d.byteOffset + at, 8);
    const secs = v.getUint32(0, le);
    const usecs = v.getUint32(4, le);
    if (Math.abs(secs - frameSecs) < 86400 && usecs < 1_000_000) return { secs, usecs };
  }
  return undefined;
}

const types: Record<number, string> = { 0: 'Echo (ping) reply', 3: 'Destination unreachable', 4: 'Source quench (flow control)', 5: 'Redirect', 8: 'Echo (ping) request', 9: 'Router advertisement', 10: 'Router solicitation', 11: 'Time-to-live exceeded', 12: 'Parameter problem', 13: 'Timestamp request', 14: 'Timestamp reply' };
const unreachable: Record<number, string> = { 0: 'Network unreachable', 1: 'Host unreachable', 2: 'Protocol unreachable', 3: 'Port unreachable', 4: 'Fragmentation needed', 9: 'Network administratively prohibited', 10: 'Host administratively prohibited', 13: 'Communication administratively filtered' };

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8);
}

function dissectIcmp(pi: PacketInfo, offset: number, end: number): number {
  const r = pi.r;
  const layer = beginLayer(pi, icmp.id, 'Internet Control Message Protocol', 'message', offset, end - offset);
  pi.protocol = 'ICMP';
  // Wireshark reads byte 5 (RFC 4884's length) before it adds any field: a shorter message shows none.
  if (!r.has(offset, 6) || end - offset < 6) {
    layer.truncated = true;
    pi.markMalformed(r.has(offset, 6) ? 'Malformed: an ICMP message needs 6 bytes' : 'Truncated: an ICMP header needs 6 bytes');
    return end - offset;
  }
  const type = r.u8At(offset);
  const code = r.u8At(offset + 1);
  const ck = r.u16At(offset + 2);
  const typeName = types[type] ?? 'Unknown ICMP type';
  const codeName = type === 3 ? (unreachable[code] ?? `code ${code}`) : type === 11 ? (code === 0 ? 'Time to live exceeded in transit' : 'Fragment reassembly time exceeded') : '';
  addField(pi, layer, hf.type, type, `${type} (${typeName})`, offset, 1);
  addField(pi, layer, hf.code, code, codeName ? `${code} (${codeName})` : String(code), offset + 1, 1);
  addField(pi, layer, hf.checksum, ck, hex(ck, 4), offset + 2, 2);
  pi.info = codeName ? `${typeName} (${codeName})` : typeName;
  // Echo, timestamp, information and address mask messages carry an identifier and a sequence number.
  if (type === 0 || type === 8 || (type >= 13 && type <= 18)) {
    const id = r.u16At(offset + 4);
    const seq = r.u16At(offset + 6);
    if (r.has(offset + 4, 4)) {
      addField(pi, layer, hf.ident, id, `${id} (${hex(id, 4)})`, offset + 4, 2);
      addField(pi, layer, hf.identLe, swap16(id), `${swap16(id)} (${hex(swap16(id), 4)})`, offset + 4, 2);
      addField(pi, layer, hf.seq, seq, `${seq} (${hex(seq, 4)})`, offset + 6, 2);
      addField(pi, layer, hf.seqLe, swap16(seq), `${swap16(seq)} (${hex(swap16(seq), 4)})`, offset + 6, 2);
      pi.info = `${typeName.padEnd(20)} id=${hex(id, 4)}, seq=${seq}/${swap16(seq)}${pi.ttl >= 0 ? `, ttl=${pi.ttl}` : ''}`;
    } else layer.truncated = true;
    // Only an echo's body is data (after ping's timestamp, when there is one); the other types' bodies are ICMP's own.
    if (type === 0 || type === 8) {
      const ts = pi.nested === 0 ? echoTimestamp(pi, offset + 8, end) : undefined;
      if (ts !== undefined) addField(pi, layer, hf.dataTime, utcText(ts.secs, ts.usecs), utcText(ts.secs, ts.usecs), offset + 8, 8);
      const body = offset + 8 + (ts === undefined ? 0 : 8);
      if (body < end) dissectData(pi, body, end);
    }
  } else if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
    // Errors quote the offending packet after an unused/pointer/gateway word: decode it as Wireshark does.
    dissectQuoted(pi, 0x0800, offset + 8, end);
  }
  // Other types (router discovery, extended echo …): Wireshark decodes their bodies as ICMP; no data layer.
  return end - offset;
}

ipProtoTable.register(1, dissectIcmp);
