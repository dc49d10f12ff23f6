// DNS over UDP/TCP port 53 (and mDNS 5353): header, questions, resource records; names with compression.
import { formatIpv4, formatIpv6, hex } from './format';
import { PacketInfo, addBytesField, addChild, addField, beginLayer, declareFields, declareProtocol, tcpPortTable, udpPortTable } from './registry';
import type { Field, Layer } from './dissect';

const dns = declareProtocol('dns', 'Domain Name System');
// Multicast DNS is its own protocol in Wireshark (filter `mdns`), with the dns.* fields.
const mdns = declareProtocol('mdns', 'Multicast Domain Name System');
const hf = declareFields({
  length: ['dns.length', 'Length', 'uint'],
  id: ['dns.id', 'Transaction ID', 'uint'],
  flags: ['dns.flags', 'Flags', 'uint'],
  response: ['dns.flags.response', 'Response', 'bool'],
  opcode: ['dns.flags.opcode', 'Opcode', 'uint'],
  authoritative: ['dns.flags.authoritative', 'Authoritative', 'bool'],
  truncated: ['dns.flags.truncated', 'Truncated', 'bool'],
  recdesired: ['dns.flags.recdesired', 'Recursion desired', 'bool'],
  recavail: ['dns.flags.recavail', 'Recursion available', 'bool'],
  rcode: ['dns.flags.rcode', 'Reply code', 'uint'],
  queries: ['dns.count.queries', 'Questions', 'uint'],
  answers: ['dns.count.answers', 'Answer RRs', 'uint'],
  authRr: ['dns.count.auth_rr', 'Authority RRs', 'uint'],
  addRr: ['dns.count.add_rr', 'Additional RRs', 'uint'],
  qryName: ['dns.qry.name', 'Name', 'string'],
  qryType: ['dns.qry.type', 'Type', 'uint'],
  qryClass: ['dns.qry.class', 'Class', 'uint'],
  qryQu: ['dns.qry.qu', '"QU" question', 'bool'],
  cacheFlush: ['dns.resp.cache_flush', 'Cache flush', 'bool'],
  udpPayloadSize: ['dns.rr.udp_payload_size', 'UDP payload size', 'uint'],
  extRcode: ['dns.resp.ext_rcode', 'Higher bits in extended RCODE', 'uint'],
  ednsVersion: ['dns.resp.edns0_version', 'EDNS0 version', 'uint'],
  z: ['dns.resp.z', 'Z', 'uint'],
  zDo: ['dns.resp.z.do', 'DO bit', 'bool'],
  zReserved: ['dns.resp.z.reserved', 'Reserved', 'uint'],
  opt: ['dns.opt', 'Option', 'none'],
  optCode: ['dns.opt.code', 'Option Code', 'uint'],
  optLen: ['dns.opt.len', 'Option Length', 'uint'],
  optData: ['dns.opt.data', 'Option Data', 'bytes'],
  cookieClient: ['dns.opt.cookie.client', 'Client Cookie', 'bytes'],
  cookieServer: ['dns.opt.cookie.server', 'Server Cookie', 'bytes'],
  padding: ['dns.opt.padding', 'Padding', 'bytes'],
  respName: ['dns.resp.name', 'Name', 'string'],
  respType: ['dns.resp.type', 'Type', 'uint'],
  respClass: ['dns.resp.class', 'Class', 'uint'],
  respTtl: ['dns.resp.ttl', 'Time to live', 'uint'],
  respLen: ['dns.resp.len', 'Data length', 'uint'],
  a: ['dns.a', 'Address', 'ipv4'],
  aaaa: ['dns.aaaa', 'AAAA Address', 'ipv6'],
  cname: ['dns.cname', 'CNAME', 'string'],
  ns: ['dns.ns', 'Name Server', 'string'],
  ptr: ['dns.ptr.domain_name', 'Domain Name', 'string'],
  mxPref: ['dns.mx.preference', 'Preference', 'uint'],
  mx: ['dns.mx.mail_exchange', 'Mail Exchange', 'string'],
  txt: ['dns.txt', 'TXT', 'string'],
});

const typeNames: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 65: 'HTTPS', 255: 'ANY' };
const rcodes: Record<number, string> = { 0: 'No error', 1: 'Format error', 2: 'Server failure', 3: 'No such name', 4: 'Not implemented', 5: 'Refused' };
const optionNames: Record<number, string> = { 3: 'NSID', 8: 'CSUBNET - Client subnet', 10: 'COOKIE', 11: 'EDNS TCP keepalive', 12: 'PADDING', 15: 'Extended DNS Error' };
const typeText = (t: number) => typeNames[t] ?? `Unknown (${t})`;
const classText = (c: number) => (c === 1 ? 'IN (0x0001)' : hex(c, 4));

/** A name longer than this is malformed (RFC 1035 says 255 octets). */
const MAX_NAME = 255;
/** Pointer hops allowed: enough for any real message, few enough to stop a loop at once. */
const MAX_JUMPS = 64;

interface NameResult {
  name: string;
  /** Bytes the name occupies where it starts (a pointer ends it). */
  used: number;
  error?: string;
}

/** Reads a possibly compressed name at `at`; `base` is the start of the DNS message (pointers are relative to it). */
function readName(pi: PacketInfo, base: number, at: number, end: number): NameResult {
  const r = pi.r;
  let o = at;
  let used = -1;
  let jumps = 0;
  let name = '';
  for (;;) {
    if (o >= end || !r.has(o, 1)) return { name, used: used < 0 ? o - at : used, error: 'Truncated: a DNS name was cut off' };
    const len = r.u8At(o);
    if (len === 0) {
      if (used < 0) used = o + 1 - at;
      return { name: name || '<Root>', used };
    }
    if ((len & 0xc0) === 0xc0) {
      if (!r.has(o, 2) || o + 2 > end) return { name, used: used < 0 ? o - at : used, error: 'Truncated: a DNS name pointer was cut off' };
      const target = base + (((len & 0x3f) << 8) | r.u8At(o + 1));
      if (used < 0) used = o + 2 - at;
      if (++jumps > MAX_JUMPS || target >= o) return { name, used, error: 'Malformed: a DNS name pointer loops or points forward' };
      o = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return { name, used: used < 0 ? o + 1 - at : used, error: `Malformed: DNS label type ${hex(len & 0xc0, 2)} is not supported` };
    if (o + 1 + len > end || !r.has(o + 1, len)) return { name, used: used < 0 ? o - at : used, error: 'Truncated: a DNS label was cut off' };
    let label = '';
    for (let i = 0; i < len; i++) {
      const c = pi.data[o + 1 + i];
      label += c > 0x20 && c < 0x7f && c !== 0x2e ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
    }
    name += (name ? '.' : '') + label;
    if (name.length > MAX_NAME * 4) return { name, used: used < 0 ? o - at : used, error: 'Malformed: a DNS name is too long' };
    o += 1 + len;
  }
}

function dissectDnsMessage(pi: PacketInfo, layer: Layer, base: number, end: number, multicast = false): void {
  const r = pi.r;
  pi.protocol = multicast ? 'MDNS' : 'DNS';
  if (!r.has(base, 12) || end - base < 12) {
    layer.truncated = true;
    pi.markMalformed('Truncated: a DNS header needs 12 bytes');
    pi.info = 'DNS (truncated)';
    return;
  }
  const id = r.u16At(base);
  const flags = r.u16At(base + 2);
  const qr = (flags & 0x8000) !== 0;
  const opcode = (flags >> 11) & 0xf;
  const rcode = flags & 0xf;
  const counts = [r.u16At(base + 4), r.u16At(base + 6), r.u16At(base + 8), r.u16At(base + 10)];
  addField(pi, layer, hf.id, id, hex(id, 4), base, 2);
  const ff = addField(pi, layer, hf.flags, flags, `${hex(flags, 4)} ${qr ? 'Standard query response' : 'Standard query'}${qr ? `, ${rcodes[rcode] ?? `rcode ${rcode}`}` : ''}`, base + 2, 2);
  addChild(pi, layer, ff, hf.response, qr, qr ? 'Message is a response' : 'Message is a query', base + 2, 2);
  addChild(pi, layer, ff, hf.opcode, opcode, opcode === 0 ? 'Standard query (0)' : String(opcode), base + 2, 2);
  if (qr) addChild(pi, layer, ff, hf.authoritative, (flags & 0x0400) !== 0, (flags & 0x0400) !== 0 ? 'Yes' : 'No', base + 2, 2);
  addChild(pi, layer, ff, hf.truncated, (flags & 0x0200) !== 0, (flags & 0x0200) !== 0 ? 'Yes' : 'No', base + 2, 2);
  addChild(pi, layer, ff, hf.recdesired, (flags & 0x0100) !== 0, (flags & 0x0100) !== 0 ? 'Yes' : 'No', base + 2, 2);
  if (qr) {
    addChild(pi, layer, ff, hf.recavail, (flags & 0x0080) !== 0, (flags & 0x0080) !== 0 ? 'Yes' : 'No', base + 2, 2);
    addChild(pi, layer, ff, hf.rcode, rcode, `${rcodes[rcode] ?? 'Unknown'} (${rcode})`, base + 2, 2);
  }
  addField(pi, layer, hf.queries, counts[0], String(counts[0]), base + 4, 2);
  addField(pi, layer, hf.answers, counts[1], String(counts[1]), base + 6, 2);
  addField(pi, layer, hf.authRr, counts[2], String(counts[2]), base + 8, 2);
  addField(pi, layer, hf.addRr, counts[3], String(counts[3]), base + 10, 2);
  let o = base + 12;
  let info = `${qr ? 'Standard query response' : 'Standard query'} ${hex(id, 4)}${qr && rcode !== 0 ? ` ${rcodes[rcode] ?? `rcode ${rcode}`}` : ''}`;
  const fail = (why: string) => {
    pi.markMalformed(why);
    if (why.startsWith('Truncated')) layer.truncated = true;
  };
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(pi, base, o, end);
    if (n.error !== undefined || !r.has(o + n.used, 4) || o + n.used + 4 > end) {
      fail(n.error ?? 'Truncated: a DNS question was cut off');
      pi.info = info;
      return;
    }
    const qtype = r.u16At(o + n.used);
    const qclass = r.u16At(o + n.used + 2);
    const q = addField(pi, layer, hf.qryName, n.name, n.name, o, n.used);
    addChild(pi, layer, q, hf.qryType, qtype, `${typeText(qtype)} (${qtype})`, o + n.used, 2);
    // mDNS uses the class's top bit as "unicast response wanted" (RFC 6762): Wireshark splits it from the class.
    if (multicast) {
      addChild(pi, layer, q, hf.qryQu, (qclass & 0x8000) !== 0, (qclass & 0x8000) !== 0 ? 'True' : 'False', o + n.used + 2, 2);
      addChild(pi, layer, q, hf.qryClass, qclass & 0x7fff, classText(qclass & 0x7fff), o + n.used + 2, 2);
    } else addChild(pi, layer, q, hf.qryClass, qclass, classText(qclass), o + n.used + 2, 2);
    info += ` ${typeText(qtype)} ${n.name}`;
    o += n.used + 4;
  }
  const rrTotal = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < rrTotal; i++) {
    const n = readName(pi, base, o, end);
    const h = o + n.used;
    if (n.error !== undefined || !r.has(h, 10) || h + 10 > end) {
      fail(n.error ?? 'Truncated: a DNS resource record was cut off');
      pi.info = info;
      return;
    }
    const type = r.u16At(h);
    const cls = r.u16At(h + 2);
    const ttl = r.u32At(h + 4);
    const rdlen = r.u16At(h + 8);
    const rd = h + 10;
    if (rd + rdlen > end || !r.has(rd, rdlen)) {
      fail('Truncated: DNS record data was cut off');
      pi.info = info;
      return;
    }
    const rr = addField(pi, layer, hf.respName, n.name, `${n.name}: type ${typeText(type)}`, o, rd + rdlen - o);
    addChild(pi, layer, rr, hf.respType, type, `${typeText(type)} (${type})`, h, 2);
    if (type === 41) {
      // EDNS (RFC 6891): the class is the sender's UDP payload size, the TTL holds the extended RCODE, version and flags.
      addChild(pi, layer, rr, hf.udpPayloadSize, cls, String(cls), h + 2, 2);
      addChild(pi, layer, rr, hf.extRcode, ttl >>> 24, hex(ttl >>> 24, 2), h + 4, 1);
      addChild(pi, layer, rr, hf.ednsVersion, (ttl >>> 16) & 0xff, String((ttl >>> 16) & 0xff), h + 5, 1);
      const z = addChild(pi, layer, rr, hf.z, ttl & 0xffff, hex(ttl & 0xffff, 4), h + 6, 2);
      addChild(pi, layer, z, hf.zDo, (ttl & 0x8000) !== 0, (ttl & 0x8000) !== 0 ? 'Accepts DNSSEC security RRs' : 'Cannot handle DNSSEC security RRs', h + 6, 2);
      addChild(pi, layer, z, hf.zReserved, ttl & 0x7fff, hex(ttl & 0x7fff, 4), h + 6, 2);
      addChild(pi, layer, rr, hf.respLen, rdlen, String(rdlen), h + 8, 2);
      ednsOptions(pi, layer, rr, rd, rdlen);
      o = rd + rdlen;
      continue;
    }
    if (multicast) {
      addChild(pi, layer, rr, hf.respClass, cls & 0x7fff, classText(cls & 0x7fff), h + 2, 2);
      addChild(pi, layer, rr, hf.cacheFlush, (cls & 0x8000) !== 0, (cls & 0x8000) !== 0 ? 'True' : 'False', h + 2, 2);
    } else addChild(pi, layer, rr, hf.respClass, cls, classText(cls), h + 2, 2);
    addChild(pi, layer, rr, hf.respTtl, ttl, `${ttl} seconds`, h + 4, 4);
    addChild(pi, layer, rr, hf.respLen, rdlen, String(rdlen), h + 8, 2);
    const text = rdata(pi, layer, rr, base, type, rd, rdlen);
    // Wireshark's Info names a TXT answer's type only (its strings can be kilobytes).
    if (i < counts[1] && text !== undefined) info += type === 16 ? ' TXT' : ` ${typeText(type)} ${text}`;
    o = rd + rdlen;
  }
  pi.info = info;
}

/** The options of an OPT record: code, length and data, with the cookie and padding options spelt out. */
function ednsOptions(pi: PacketInfo, layer: Layer, rr: Field | undefined, rd: number, rdlen: number): void {
  const r = pi.r;
  let o = rd;
  while (o + 4 <= rd + rdlen) {
    const code = r.u16At(o);
    const len = r.u16At(o + 2);
    const n = Math.min(len, rd + rdlen - o - 4);
    const opt = addChild(pi, layer, rr, hf.opt, '', optionNames[code] ?? `Unknown (${code})`, o, 4 + n);
    addChild(pi, layer, opt, hf.optCode, code, `${optionNames[code] ?? 'Unknown'} (${code})`, o, 2);
    addChild(pi, layer, opt, hf.optLen, len, String(len), o + 2, 2);
    if (opt !== undefined) {
      // An empty option still has its (empty) data, and a client-only cookie an empty server cookie, as in Wireshark.
      const kids = (opt.children ??= []);
      addBytesField(pi, layer, hf.optData, o + 4, n, n > 0 ? `${n} bytes` : '<MISSING>', kids);
      if (code === 10 && n >= 8) {
        addBytesField(pi, layer, hf.cookieClient, o + 4, 8, '8 bytes', kids);
        addBytesField(pi, layer, hf.cookieServer, o + 12, n - 8, n > 8 ? `${n - 8} bytes` : '<MISSING>', kids);
      } else if (code === 12 && n > 0) addBytesField(pi, layer, hf.padding, o + 4, n, `${n} bytes`, kids);
    }
    o += 4 + len;
  }
}

function rdata(pi: PacketInfo, layer: Layer, rr: Field | undefined, base: number, type: number, rd: number, rdlen: number): string | undefined {
  const d = pi.data;
  if (type === 1 && rdlen === 4) {
    const a = formatIpv4(d, rd);
    addChild(pi, layer, rr, hf.a, a, a, rd, 4);
    return a;
  }
  if (type === 28 && rdlen === 16) {
    const a = formatIpv6(d, rd);
    addChild(pi, layer, rr, hf.aaaa, a, a, rd, 16);
    return a;
  }
  if (type === 5 || type === 2 || type === 12) {
    const n = readName(pi, base, rd, rd + rdlen);
    if (n.error !== undefined) {
      pi.markMalformed(n.error);
      return undefined;
    }
    addChild(pi, layer, rr, type === 5 ? hf.cname : type === 2 ? hf.ns : hf.ptr, n.name, n.name, rd, rdlen);
    return n.name;
  }
  if (type === 15 && rdlen >= 3) {
    const pref = pi.r.u16At(rd);
    const n = readName(pi, base, rd + 2, rd + rdlen);
    addChild(pi, layer, rr, hf.mxPref, pref, String(pref), rd, 2);
    if (n.error !== undefined) {
      pi.markMalformed(n.error);
      return undefined;
    }
    addChild(pi, layer, rr, hf.mx, n.name, n.name, rd + 2, rdlen - 2);
    return `${pref} ${n.name}`;
  }
  if (type === 16) {
    let o = rd;
    let all = '';
    while (o < rd + rdlen) {
      const l = d[o];
      const n = Math.min(l, rd + rdlen - o - 1);
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(d[o + 1 + i]);
      addChild(pi, layer, rr, hf.txt, s, s, o, n + 1);
      all += (all ? ' ' : '') + s;
      o += 1 + l;
    }
    return all;
  }
  return undefined;
}

function dissectDnsUdp(pi: PacketInfo, offset: number, end: number): number {
  const multicast = pi.srcPort === 5353 || pi.dstPort === 5353;
  const title = multicast ? 'Multicast Domain Name System' : 'Domain Name System';
  const layer = beginLayer(pi, multicast ? mdns.id : dns.id, title, 'message', offset, end - offset);
  dissectDnsMessage(pi, layer, offset, end, multicast);
  layer.title = `${title} (${pi.info.includes('response') ? 'response' : 'query'})`;
  return end - offset;
}

/** DNS over TCP: each message carries a 2-byte length prefix. Only the first message of a segment is shown. */
function dissectDnsTcp(pi: PacketInfo, offset: number, end: number): number | undefined {
  if (end - offset < 14) return undefined;
  const len = pi.r.u16At(offset);
  const layer = beginLayer(pi, dns.id, 'Domain Name System', 'message', offset, Math.min(end - offset, len + 2));
  addField(pi, layer, hf.length, len, String(len), offset, 2);
  dissectDnsMessage(pi, layer, offset + 2, Math.min(end, offset + 2 + len));
  layer.title = `Domain Name System (${pi.info.includes('response') ? 'response' : 'query'})`;
  return end - offset;
}

/** Length of the DNS-over-TCP message starting at `o` (its 2-byte length included), -1 while the length is cut (reassembly). */
export function dnsTcpMessageLength(d: Uint8Array, o: number, end: number): number {
  return end - o < 2 ? -1 : 2 + ((d[o] << 8) | d[o + 1]);
}

udpPortTable.register(53, dissectDnsUdp);
udpPortTable.register(5353, dissectDnsUdp);
tcpPortTable.register(53, dissectDnsTcp);
