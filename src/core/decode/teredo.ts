// Teredo (RFC 4380): IPv6 over UDP port 3544, with optional authentication and origin-indication headers.
import { formatIpv4 } from './format';
import { PacketInfo, addBytesField, addChild, addField, beginLayer, callTableOrData, declareFields, declareProtocol, ethertypeTable, udpPortTable } from './registry';

const teredo = declareProtocol('teredo', 'Teredo IPv6 over UDP tunneling');
const hf = declareFields({
  auth: ['teredo.auth', 'Teredo Authentication header', 'none'],
  idlen: ['teredo.auth.idlen', 'Client identifier length', 'uint'],
  aulen: ['teredo.auth.aulen', 'Authentication value length', 'uint'],
  id: ['teredo.auth.id', 'Client identifier', 'bytes'],
  value: ['teredo.auth.value', 'Authentication value', 'bytes'],
  nonce: ['teredo.auth.nonce', 'Nonce value', 'bytes'],
  conf: ['teredo.auth.conf', 'Confirmation byte', 'bytes'],
  orig: ['teredo.orig', 'Teredo Origin Indication header', 'none'],
  origPort: ['teredo.orig.port', 'Origin UDP port', 'uint'],
  origAddr: ['teredo.orig.addr', 'Origin IPv4 address', 'ipv4'],
});

function dissectTeredo(pi: PacketInfo, offset: number, end: number): number | undefined {
  const r = pi.r;
  let o = offset;
  // Not Teredo unless, after its optional headers, an IPv6 header starts (Wireshark checks the same).
  if (!r.has(o, 2)) return undefined;
  const layer = beginLayer(pi, teredo.id, 'Teredo IPv6 over UDP tunneling', 'packet', offset, 0);
  if (r.u16At(o) === 1 && r.has(o, 4)) {
    const idlen = r.u8At(o + 2);
    const aulen = r.u8At(o + 3);
    const len = 4 + idlen + aulen + 9;
    const a = addField(pi, layer, hf.auth, '', `${len} bytes`, o, Math.min(len, pi.capLen - o));
    addChild(pi, layer, a, hf.idlen, idlen, String(idlen), o + 2, 1);
    addChild(pi, layer, a, hf.aulen, aulen, String(aulen), o + 3, 1);
    const kids = a === undefined ? undefined : (a.children ??= []);
    let p = o + 4;
    if (idlen > 0) addBytesField(pi, layer, hf.id, p, idlen, `${idlen} bytes`, kids);
    p += idlen;
    if (aulen > 0) addBytesField(pi, layer, hf.value, p, aulen, `${aulen} bytes`, kids);
    p += aulen;
    addBytesField(pi, layer, hf.nonce, p, 8, '8 bytes', kids);
    addBytesField(pi, layer, hf.conf, p + 8, 1, '1 byte', kids);
    o += len;
  }
  if (r.has(o, 8) && r.u16At(o) === 0) {
    // The origin's port and address are sent obfuscated (every bit inverted).
    const port = r.u16At(o + 2) ^ 0xffff;
    const addr = new Uint8Array(4);
    for (let i = 0; i < 4; i++) addr[i] = r.u8At(o + 4 + i) ^ 0xff;
    const text = formatIpv4(addr, 0);
    const g = addField(pi, layer, hf.orig, '', `${text}:${port}`, o, 8);
    addChild(pi, layer, g, hf.origPort, port, String(port), o + 2, 2);
    addChild(pi, layer, g, hf.origAddr, text, text, o + 4, 4);
    o += 8;
  }
  layer.length = Math.max(0, Math.min(o, pi.capLen) - offset);
  if (o >= end) return end - offset;
  callTableOrData(ethertypeTable, 0x86dd, pi, o, end);
  return end - offset;
}

udpPortTable.register(3544, (pi, offset, end) => {
  // Only claim it when an IPv6 header could follow, so other traffic on the port stays data.
  const r = pi.r;
  let o = offset;
  if (r.u16At(o) === 1 && r.has(o, 4)) o += 13 + r.u8At(o + 2) + r.u8At(o + 3);
  if (r.has(o, 8) && r.u16At(o) === 0) o += 8;
  if (!r.has(o, 1) || r.u8At(o) >> 4 !== 6) return undefined;
  return dissectTeredo(pi, offset, end);
});
