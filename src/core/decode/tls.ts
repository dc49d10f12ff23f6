// TLS records and handshake messages with Wireshark's field names (tls.record.*, tls.handshake.*, tls.alert_message,
// tls.app_data), found on port 443 or by a record header on any port; given a key log (DissectOptions.tlsKeyLog),
// records are decrypted (core/tls/tlsDecrypt.ts) and what they carried is dissected under them: the encrypted
// handshake of TLS 1.3 and the application data (HTTP, else data), as Wireshark does with tls.keylog_file.
import { type CipherSuite, type DirectionKeys, AEAD_SUITES, decryptRecord, tls12Keys, tls13Keys } from '../tls/tlsDecrypt';
import { hexBytes } from './format';
import { httpMessageLength, looksLikeHttp } from './http';
import type { Field, Layer } from './dissect';
import { type PacketInfo, addChild, beginLayer, callPortsOrData, dissectData, declareFields, declareProtocol, tcpHeuristics, tcpPortTable } from './registry';
import { dissectSource, recordFact, replayedFact, tlsFactKey } from './reassembly';

const tls = declareProtocol('tls', 'Transport Layer Security');
const hf = declareFields({
  record: ['tls.record', 'Record Layer', 'none'],
  contentType: ['tls.record.content_type', 'Content Type', 'uint'],
  opaqueType: ['tls.record.opaque_type', 'Opaque Type', 'uint'],
  version: ['tls.record.version', 'Version', 'uint'],
  length: ['tls.record.length', 'Length', 'uint'],
  handshake: ['tls.handshake', 'Handshake Protocol', 'none'],
  hsType: ['tls.handshake.type', 'Handshake Type', 'uint'],
  hsLength: ['tls.handshake.length', 'Length', 'uint'],
  hsVersion: ['tls.handshake.version', 'Version', 'uint'],
  random: ['tls.handshake.random', 'Random', 'bytes'],
  sessionIdLength: ['tls.handshake.session_id_length', 'Session ID Length', 'uint'],
  sessionId: ['tls.handshake.session_id', 'Session ID', 'bytes'],
  suitesLength: ['tls.handshake.cipher_suites_length', 'Cipher Suites Length', 'uint'],
  suites: ['tls.handshake.ciphersuites', 'Cipher Suites', 'none'],
  suite: ['tls.handshake.ciphersuite', 'Cipher Suite', 'uint'],
  compLength: ['tls.handshake.comp_methods_length', 'Compression Methods Length', 'uint'],
  comps: ['tls.handshake.comp_methods', 'Compression Methods', 'none'],
  comp: ['tls.handshake.comp_method', 'Compression Method', 'uint'],
  extLength: ['tls.handshake.extensions_length', 'Extensions Length', 'uint'],
  extension: ['tls.handshake.extension', 'Extension', 'none'],
  extType: ['tls.handshake.extension.type', 'Type', 'uint'],
  extLen: ['tls.handshake.extension.len', 'Length', 'uint'],
  sniListLen: ['tls.handshake.extensions_server_name_list_len', 'Server Name list length', 'uint'],
  sniType: ['tls.handshake.extensions_server_name_type', 'Server Name Type', 'uint'],
  sniLen: ['tls.handshake.extensions_server_name_len', 'Server Name length', 'uint'],
  sni: ['tls.handshake.extensions_server_name', 'Server Name', 'string'],
  alpnLen: ['tls.handshake.extensions_alpn_len', 'ALPN Extension Length', 'uint'],
  alpnStrLen: ['tls.handshake.extensions_alpn_str_len', 'ALPN string length', 'uint'],
  alpnStr: ['tls.handshake.extensions_alpn_str', 'ALPN Next Protocol', 'string'],
  versionsLen: ['tls.handshake.extensions.supported_versions_len', 'Supported Versions length', 'uint'],
  supportedVersion: ['tls.handshake.extensions.supported_version', 'Supported Version', 'uint'],
  certsLength: ['tls.handshake.certificates_length', 'Certificates Length', 'uint'],
  certLength: ['tls.handshake.certificate_length', 'Certificate Length', 'uint'],
  cert: ['tls.handshake.certificate', 'Certificate', 'bytes'],
  ccs: ['tls.change_cipher_spec', 'Change Cipher Spec Message', 'none'],
  alert: ['tls.alert_message', 'Alert Message', 'none'],
  alertLevel: ['tls.alert_message.level', 'Level', 'uint'],
  alertDesc: ['tls.alert_message.desc', 'Description', 'uint'],
  appData: ['tls.app_data', 'Encrypted Application Data', 'bytes'],
  segments: ['tls.segments', 'Reassembled TLS segments', 'none'],
  segment: ['tls.segment', 'TLS segment', 'uint'],
  segmentCount: ['tls.segment.count', 'Segment count', 'uint'],
  reassembledLength: ['tls.reassembled.length', 'Reassembled PDU length', 'uint'],
});

const CONTENT = new Map([[20, 'Change Cipher Spec'], [21, 'Alert'], [22, 'Handshake'], [23, 'Application Data'], [24, 'Heartbeat']]);
const HANDSHAKE = new Map([
  [0, 'Hello Request'], [1, 'Client Hello'], [2, 'Server Hello'], [4, 'New Session Ticket'], [5, 'End of Early Data'],
  [8, 'Encrypted Extensions'], [11, 'Certificate'], [12, 'Server Key Exchange'], [13, 'Certificate Request'],
  [14, 'Server Hello Done'], [15, 'Certificate Verify'], [16, 'Client Key Exchange'], [20, 'Finished'], [24, 'Key Update'],
]);
const VERSIONS = new Map([[0x0300, 'SSL 3.0'], [0x0301, 'TLS 1.0'], [0x0302, 'TLS 1.1'], [0x0303, 'TLS 1.2'], [0x0304, 'TLS 1.3']]);
const SHORT = new Map([[0x0300, 'SSLv3'], [0x0301, 'TLSv1'], [0x0302, 'TLSv1.1'], [0x0303, 'TLSv1.2'], [0x0304, 'TLSv1.3']]);
const COMPRESSION = new Map([[0, 'null'], [1, 'DEFLATE']]);
const ALERT_LEVEL = new Map([[1, 'Warning'], [2, 'Fatal']]);
const ALERT = new Map([
  [0, 'Close Notify'], [10, 'Unexpected Message'], [20, 'Bad Record MAC'], [22, 'Record Overflow'], [40, 'Handshake Failure'],
  [42, 'Bad Certificate'], [43, 'Unsupported Certificate'], [44, 'Certificate Revoked'], [45, 'Certificate Expired'],
  [46, 'Certificate Unknown'], [47, 'Illegal Parameter'], [48, 'Unknown CA'], [49, 'Access Denied'], [50, 'Decode Error'],
  [51, 'Decrypt Error'], [70, 'Protocol Version'], [71, 'Insufficient Security'], [80, 'Internal Error'],
  [86, 'Inappropriate Fallback'], [90, 'User Canceled'], [109, 'Missing Extension'], [110, 'Unsupported Extension'],
  [112, 'Unrecognized Name'], [116, 'Certificate Required'], [120, 'No Application Protocol'],
]);
const EXTENSIONS = new Map([
  [0, 'server_name'], [5, 'status_request'], [10, 'supported_groups'], [11, 'ec_point_formats'], [13, 'signature_algorithms'],
  [16, 'application_layer_protocol_negotiation'], [21, 'padding'], [22, 'encrypt_then_mac'], [23, 'extended_master_secret'],
  [35, 'session_ticket'], [41, 'pre_shared_key'], [42, 'early_data'], [43, 'supported_versions'], [45, 'psk_key_exchange_modes'],
  [49, 'post_handshake_auth'], [51, 'key_share'], [65281, 'renegotiation_info'],
]);

/** A record fragment may be 2^14 bytes plus 2048 of expansion (RFC 8446 §5.2); longer is not a record. */
const MAX_RECORD = 16384 + 2048;

const hex4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;
const u16 = (d: Uint8Array, o: number) => (d[o] << 8) | d[o + 1];
const u24 = (d: Uint8Array, o: number) => (d[o] << 16) | (d[o + 1] << 8) | d[o + 2];

/** True when `o` starts a TLS record header: a known content type, version 3.x (x ≤ 4), a possible length. */
function recordHeaderAt(d: Uint8Array, o: number, end: number): boolean {
  return end - o >= 5 && d[o] >= 20 && d[o] <= 24 && d[o + 1] === 3 && d[o + 2] <= 4 && u16(d, o + 3) <= MAX_RECORD;
}

/**
 * The length of the TLS records starting at `o` as one PDU for reassembly: all the whole records there, else the
 * first record's length (its rest is in later segments); -1 when not even a header is there; undefined when no record
 * starts at `o`.
 */
export function tlsRecordsLength(d: Uint8Array, o: number, end: number): number | undefined {
  if (end - o < 5) return d[o] >= 20 && d[o] <= 24 && (end - o < 2 || d[o + 1] === 3) ? -1 : undefined;
  if (!recordHeaderAt(d, o, end)) return undefined;
  let p = o;
  while (recordHeaderAt(d, p, end) && p + 5 + u16(d, p + 3) <= end) p += 5 + u16(d, p + 3);
  return p > o ? p - o : 5 + u16(d, o + 3);
}

/** A payload that starts a TLS record (the heuristic: Wireshark's, which claims a conversation by its hello). */
export function looksLikeTls(d: Uint8Array, o: number, end: number): boolean {
  return recordHeaderAt(d, o, end);
}

/** One side of a TLS conversation on the first pass. */
interface Side {
  keys?: DirectionKeys;
  seq: bigint;
  /** TLS 1.3: 0 nothing yet, 1 handshake keys, 2 application keys. */
  phase: number;
  /** Application data of a message still coming in later records (one frame number per record), `need` bytes long. */
  app?: { parts: Buffer[]; used: number; need: number; frames: number[] };
}

/** A TLS conversation's handshake, as far as decryption needs it. */
interface TlsConversation {
  client: string;
  clientRandom?: Buffer;
  serverRandom?: Buffer;
  suite?: CipherSuite;
  version: number;
  sides: [Side, Side];
  /** TLS 1.2: each side encrypts after its Change Cipher Spec. */
  ccs: [boolean, boolean];
}

/** Conversations followed at once; the oldest is forgotten first (its later records are then not decrypted). */
const MAX_CONVERSATIONS = 4096;

/** A context's TLS conversations by TCP stream (copied with the context's checkpoints). */
class TlsTable {
  readonly map = new Map<number, TlsConversation>();
  /** Bytes of application data waiting in all conversations' sides (bounded by MAX_APP_PENDING). */
  pendingBytes = 0;
  clone(): TlsTable {
    const t = new TlsTable();
    t.pendingBytes = this.pendingBytes;
    const side = (x: Side): Side => ({ ...x, app: x.app && { ...x.app, parts: [...x.app.parts], frames: [...x.app.frames] } });
    for (const [k, c] of this.map) t.map.set(k, { ...c, sides: [side(c.sides[0]), side(c.sides[1])], ccs: [...c.ccs] as [boolean, boolean] });
    return t;
  }
}

/** The TLS conversation of this packet's TCP stream on the first pass (made on first use); none when replaying. */
function conversationOf(pi: PacketInfo): TlsConversation | undefined {
  const stream = pi.tcp?.stream;
  if (stream === undefined || pi.replaying) return undefined;
  const m = ((pi.ctx.tls as TlsTable | undefined) ??= new TlsTable()).map;
  let c = m.get(stream);
  if (!c) {
    if (m.size >= MAX_CONVERSATIONS) m.delete(m.keys().next().value as number);
    c = { client: '', version: 0, sides: [{ seq: 0n, phase: 0 }, { seq: 0n, phase: 0 }], ccs: [false, false] };
    m.set(stream, c);
  }
  return c;
}

/** What a dissection of one TLS payload needs: where its bytes are, and how to map offsets onto the frame. */
interface Cursor {
  pi: PacketInfo;
  layer: Layer;
  /** The bytes being read (the frame's, or a decrypted record's: a data source of the packet). */
  d: Uint8Array;
  /** The conversation is TLS 1.3 (a certificate entry has extensions, the content type is hidden). */
  tls13: boolean;
  /** This packet's application data waits for more (Info says so). */
  held?: boolean;
  /** Decrypted application data of consecutive records, dissected as one (an HTTP message over several records). */
  app?: { parts: Buffer[]; at: number; fact: RecordFact };
}

/** Dissects the application data gathered so far (HTTP, else data), as one buffer. */
function flushApp(c: Cursor, conv: TlsConversation | undefined, dir: number): void {
  const app = c.app;
  c.app = undefined;
  if (!app) return;
  const { pi } = c;
  let step = app.fact.app;
  if (!pi.replaying) {
    step = reassembleApp(pi, conv, dir, app.parts);
    if (step) app.fact.app = step;
  }
  if (step?.t === 'held') {
    c.held = true;
    return;
  }
  let buf = app.parts.length === 1 ? app.parts[0] : Buffer.concat(app.parts);
  if (step?.t === 'done') {
    const { frames, data } = step;
    const fo = app.at;
    const top = head(c, undefined, hf.segments, `[${frames.length} Reassembled TLS segments (${data.length} bytes): ${frames.map((f) => `#${f}`).join(', ')}]`, fo, 0);
    for (const f of frames) addChild(pi, c.layer, top, hf.segment, f, String(f), fo, 0);
    addChild(pi, c.layer, top, hf.segmentCount, frames.length, String(frames.length), fo, 0);
    addChild(pi, c.layer, top, hf.reassembledLength, data.length, String(data.length), fo, 0);
    buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  }
  const name = step?.t === 'done' ? `Reassembled TLS (${buf.length} bytes)` : `Decrypted TLS (${buf.length} bytes)`;
  // HTTP over TLS is found by its first line, a whole one (Wireshark's heuristic); anything else is data
  const http = !looksLikeHttp(buf, 0, buf.length) || buf.indexOf(0x0a) >= 0;
  if (buf.length > 0) dissectSource(pi, name, buf, () => (http ? callPortsOrData(tcpPortTable, innerHeuristics, pi, 0, buf.length) : dissectData(pi, 0, buf.length)));
}

/** Fields added under `parent` since it had `before` children, with their descendants, are in data source `index`. */
function tagChildren(parent: Field | undefined, before: number, index: number): void {
  const tag = (fs: Field[]) => {
    for (const f of fs) {
      f.source = index;
      if (f.children) tag(f.children);
    }
  };
  if (parent?.children) tag(parent.children.slice(before));
}

/** What a packet's decrypted application data does: waits for more records, or completes a message of several. */
type AppStep = { t: 'held' } | { t: 'done'; data: Uint8Array; frames: number[] };

/** Longest message put together from several records, and all that may wait at once in a capture. */
const MAX_APP_PDU = 8 << 20;
const MAX_APP_PENDING = 32 << 20;

/**
 * The first pass of Wireshark's tls.desegment_ssl_application_data for HTTP: a message whose headers or body go on
 * in later records waits (the packet is "[TLS segment of a reassembled PDU]") and is dissected whole in the packet
 * that completes it. Undefined: the data is dissected as it is.
 */
function reassembleApp(pi: PacketInfo, conv: TlsConversation | undefined, dir: number, parts: Buffer[]): AppStep | undefined {
  // Wireshark does this with TCP reassembly off too (its own preference, on): records are whole PDUs already.
  if (!conv) return undefined;
  const table = pi.ctx.tls as TlsTable;
  const side = conv.sides[dir];
  const frame = pi.ctx.reassemblyFrame;
  const waiting = side.app;
  const add = parts.reduce((n, p) => n + p.length, 0);
  if (waiting) {
    waiting.parts.push(...parts);
    for (let i = 0; i < parts.length; i++) waiting.frames.push(frame);
    waiting.used += add;
    // the message's length was known when it began to wait: its bytes are put together once, when all are here
    if (waiting.used < waiting.need && waiting.used <= MAX_APP_PDU && table.pendingBytes + add <= MAX_APP_PENDING) {
      table.pendingBytes += add;
      return { t: 'held' };
    }
    side.app = undefined;
    table.pendingBytes = Math.max(0, table.pendingBytes - (waiting.used - add));
    return { t: 'done', data: Buffer.concat(waiting.parts), frames: waiting.frames };
  }
  const first = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  const need = httpMessageLength(first, 0, first.length);
  // Only a message whose headers are all here and whose body is not waits: text that merely starts like a request
  // line (a learner's "GET /secret HTTP/1.1" with no line end) is shown as it is, as tshark shows it.
  if (need === undefined || need < 0 || need <= first.length || table.pendingBytes + add > MAX_APP_PENDING) return undefined;
  side.app = { parts: [first], used: add, need, frames: parts.map(() => frame) };
  table.pendingBytes += add;
  return { t: 'held' };
}

function field(c: Cursor, parent: Field | undefined, def: (typeof hf)[keyof typeof hf], value: string | number, display: string, o: number, len: number): Field | undefined {
  return addChild(c.pi, c.layer, parent, def, value, display, o, len);
}

/** A subtree's head, a line of its own ("Extension: server_name (len=14)"), as Wireshark titles it. */
function head(c: Cursor, parent: Field | undefined, def: (typeof hf)[keyof typeof hf], title: string, o: number, len: number): Field | undefined {
  const f = addChild(c.pi, c.layer, parent, def, '', '', o, len);
  if (f) f.label = title;
  return f;
}

function bytesField(c: Cursor, parent: Field | undefined, def: (typeof hf)[keyof typeof hf], o: number, len: number): Field | undefined {
  return field(c, parent, def, hexBytes(c.d, o, len), hexBytes(c.d, o, Math.min(len, 32)) + (len > 32 ? '…' : ''), o, len);
}

function uintField(c: Cursor, parent: Field | undefined, def: (typeof hf)[keyof typeof hf], o: number, len: number, names?: ReadonlyMap<number, string>, hex = false): number {
  const v = len === 1 ? c.d[o] : len === 2 ? u16(c.d, o) : u24(c.d, o);
  const text = hex ? hex4(v) : String(v);
  field(c, parent, def, v, names?.has(v) ? `${names.get(v)} (${text})` : text, o, len);
  return v;
}

function suiteName(v: number): string {
  return AEAD_SUITES.get(v)?.name ?? (v === 0x00ff ? 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV' : `Unknown (${hex4(v)})`);
}

/** The extensions of a hello (`o` … `end`); returns the negotiated version a ServerHello names (0 if none). */
function extensions(c: Cursor, parent: Field | undefined, o: number, end: number, server: boolean): number {
  const d = c.d;
  let chosen = 0;
  if (o + 2 > end) return 0;
  const total = uintField(c, parent, hf.extLength, o, 2);
  o += 2;
  const stop = Math.min(end, o + total);
  while (o + 4 <= stop) {
    const type = u16(d, o);
    const len = u16(d, o + 2);
    const name = EXTENSIONS.get(type) ?? 'Unknown type';
    const ext = head(c, parent, hf.extension, `Extension: ${name} (len=${len})`, o, 4 + len);
    uintField(c, ext, hf.extType, o, 2, new Map([[type, name]]));
    uintField(c, ext, hf.extLen, o + 2, 2);
    const b = o + 4;
    const e = Math.min(stop, b + len);
    if (type === 0 && e - b >= 2) {
      uintField(c, ext, hf.sniListLen, b, 2);
      for (let p = b + 2; p + 3 <= e; ) {
        const n = u16(d, p + 1);
        uintField(c, ext, hf.sniType, p, 1);
        uintField(c, ext, hf.sniLen, p + 1, 2);
        const name = Buffer.from(d.subarray(p + 3, Math.min(e, p + 3 + n))).toString('latin1');
        field(c, ext, hf.sni, name, name, p + 3, n);
        p += 3 + n;
      }
    } else if (type === 16 && e - b >= 2) {
      uintField(c, ext, hf.alpnLen, b, 2);
      for (let p = b + 2; p + 1 <= e; ) {
        const n = d[p];
        uintField(c, ext, hf.alpnStrLen, p, 1);
        const s = Buffer.from(d.subarray(p + 1, Math.min(e, p + 1 + n))).toString('latin1');
        field(c, ext, hf.alpnStr, s, s, p + 1, n);
        p += 1 + n;
      }
    } else if (type === 43) {
      if (server && e - b >= 2) chosen = uintField(c, ext, hf.supportedVersion, b, 2, VERSIONS, true);
      else if (!server && e - b >= 1) {
        uintField(c, ext, hf.versionsLen, b, 1);
        for (let p = b + 1; p + 2 <= Math.min(e, b + 1 + d[b]); p += 2) uintField(c, ext, hf.supportedVersion, p, 2, VERSIONS, true);
      }
    }
    o += 4 + len;
  }
  return chosen;
}

/** A Client or Server Hello's body (`o` … `end`). */
function hello(c: Cursor, hs: Field | undefined, o: number, end: number, server: boolean, conv: TlsConversation | undefined): void {
  const d = c.d;
  if (o + 35 > end) return;
  uintField(c, hs, hf.hsVersion, o, 2, VERSIONS, true);
  bytesField(c, hs, hf.random, o + 2, 32);
  const random = Buffer.from(d.subarray(o + 2, o + 34));
  let p = o + 34;
  const sidLen = uintField(c, hs, hf.sessionIdLength, p, 1);
  if (sidLen > 0) bytesField(c, hs, hf.sessionId, p + 1, sidLen);
  p += 1 + sidLen;
  let suite = -1;
  if (server) {
    if (p + 3 > end) return;
    suite = uintField(c, hs, hf.suite, p, 2, new Map([[u16(d, p), suiteName(u16(d, p))]]), true);
    uintField(c, hs, hf.comp, p + 2, 1, COMPRESSION);
    p += 3;
  } else {
    if (p + 2 > end) return;
    const n = uintField(c, hs, hf.suitesLength, p, 2);
    const list = head(c, hs, hf.suites, `Cipher Suites (${n >> 1} suites)`, p + 2, n);
    for (let q = p + 2; q + 2 <= Math.min(end, p + 2 + n); q += 2) uintField(c, list, hf.suite, q, 2, new Map([[u16(d, q), suiteName(u16(d, q))]]), true);
    p += 2 + n;
    if (p + 1 > end) return;
    const m = uintField(c, hs, hf.compLength, p, 1);
    const comps = head(c, hs, hf.comps, `Compression Methods (${m} method${m === 1 ? '' : 's'})`, p + 1, m);
    for (let q = p + 1; q < Math.min(end, p + 1 + m); q++) uintField(c, comps, hf.comp, q, 1, COMPRESSION);
    p += 1 + m;
  }
  const chosen = extensions(c, hs, p, end, server);
  if (server && chosen === 0x0304) c.tls13 = true; // the records after it in this packet are TLS 1.3's
  if (!conv) return;
  if (server) {
    conv.serverRandom = random;
    conv.suite = AEAD_SUITES.get(suite);
    conv.version = chosen || u16(d, o);
  } else {
    conv.clientRandom = random;
    conv.client = `${c.pi.netSrc}|${c.pi.srcPort}`;
  }
}

/** Handshake messages in `o` … `end` (one record's, or a decrypted one's); names them in `names`. */
function handshakes(c: Cursor, rec: Field | undefined, o: number, end: number, names: string[], conv: TlsConversation | undefined, dir: number): void {
  const d = c.d;
  while (o + 4 <= end) {
    const type = d[o];
    const len = u24(d, o + 1);
    const name = HANDSHAKE.get(type) ?? `Unknown (${type})`;
    names.push(name);
    const hs = head(c, rec, hf.handshake, `Handshake Protocol: ${name}`, o, Math.min(end - o, 4 + len));
    uintField(c, hs, hf.hsType, o, 1, HANDSHAKE);
    uintField(c, hs, hf.hsLength, o + 1, 3);
    const b = o + 4;
    const e = Math.min(end, b + len);
    if (type === 1 || type === 2) hello(c, hs, b, e, type === 2, conv);
    else if (type === 11 && e > b) certificates(c, hs, b, e);
    else if (type === 8) extensions(c, hs, b, e, true);
    else if (type === 4 && c.tls13 && e - b >= 9) {
      // lifetime, age add, nonce, ticket, then extensions
      const p = b + 9 + d[b + 8];
      if (p + 2 <= e) extensions(c, hs, p + 2 + u16(d, p), e, true);
    }
    else if (type === 20 && conv && conv.version === 0x0304) finished(conv, dir);
    o = b + len;
  }
}

function certificates(c: Cursor, hs: Field | undefined, o: number, end: number): void {
  const d = c.d;
  let p = o;
  if (c.tls13) p += 1 + d[p]; // the certificate request context
  if (p + 3 > end) return;
  const total = uintField(c, hs, hf.certsLength, p, 3);
  const stop = Math.min(end, p + 3 + total);
  p += 3;
  while (p + 3 <= stop) {
    const n = u24(d, p);
    uintField(c, hs, hf.certLength, p, 3);
    bytesField(c, hs, hf.cert, p + 3, Math.min(n, stop - p - 3));
    p += 3 + n;
    if (c.tls13 && p + 2 <= stop) {
      extensions(c, hs, p, stop, true); // the entry's
      p += 2 + u16(d, p);
    }
  }
}

/** TLS 1.3: a side's Finished ends its handshake keys; its next record uses its application traffic secret. */
function finished(conv: TlsConversation, dir: number): void {
  const side = conv.sides[dir];
  side.phase = 2;
  side.keys = undefined;
  side.seq = 0n;
}

/** The keys side `dir` encrypts its next record with, made from the key log when first needed. */
function keysFor(pi: PacketInfo, conv: TlsConversation, dir: number): DirectionKeys | undefined {
  const log = pi.ctx.tlsKeyLog;
  const side = conv.sides[dir];
  if (side.keys || !log || !conv.clientRandom || !conv.suite) return side.keys;
  const cr = conv.clientRandom.toString('hex');
  if (conv.version === 0x0304) {
    const label = `${dir === 0 ? 'CLIENT' : 'SERVER'}_${side.phase === 2 ? 'TRAFFIC_SECRET_0' : 'HANDSHAKE_TRAFFIC_SECRET'}`;
    const secret = log.secret(cr, label);
    if (secret) side.keys = tls13Keys(conv.suite, secret);
  } else {
    const master = log.secret(cr, 'CLIENT_RANDOM');
    if (master && conv.serverRandom) side.keys = tls12Keys(conv.suite, master, conv.clientRandom, conv.serverRandom)[dir];
  }
  return side.keys;
}

/** What the first pass learnt of the record at `o`, recorded for the second look (a row click, the field tree). */
interface RecordFact {
  tls13: boolean;
  /** Sent after its side's keys changed (its bytes are ciphertext, whatever its type says). */
  encrypted: boolean;
  /** On the first application data record of a packet: its data waits for more records, or completes a message. */
  app?: AppStep;
  keys?: DirectionKeys;
  seq?: bigint;
}

/** The first pass: is the record at `o` of TLS 1.3, and can it be decrypted (then its side's sequence moves on). */
function learn(pi: PacketInfo, d: Uint8Array, o: number, end: number, conv: TlsConversation | undefined, dir: number, encrypted: boolean): RecordFact {
  const tls13 = conv?.version === 0x0304;
  if (!conv || !encrypted || !pi.ctx.tlsKeyLog) return { tls13, encrypted };
  const side = conv.sides[dir];
  if (tls13 && side.phase === 0) side.phase = 1;
  const keys = keysFor(pi, conv, dir);
  if (!keys || !decryptRecord(keys, side.seq, d.subarray(o, o + 5), d.subarray(o + 5, end))) return { tls13, encrypted };
  return { tls13, encrypted, keys, seq: side.seq++ };
}

/** The record's fact: learnt on the first pass (and recorded when it says anything), read back on a replay. */
function recordFactAt(pi: PacketInfo, d: Uint8Array, o: number, end: number, conv: TlsConversation | undefined, dir: number, encrypted: boolean): RecordFact {
  const at = tlsFactKey(pi, o);
  if (pi.replaying) {
    const s = replayedFact(pi, at)?.steps[0];
    return s?.t === 'tls' ? s : { tls13: false, encrypted: false };
  }
  const f: RecordFact = learn(pi, d, o, end, conv, dir, encrypted);
  // the fact itself is kept (not a copy): the packet's application data step is set on it later
  if (f.tls13 || f.encrypted) recordFact(pi, { at, steps: [Object.assign(f, { t: 'tls' as const })] });
  return f;
}

/** One record at `o` (5 + length ≤ end - o, or a truncated last one); returns its end. */
function record(c: Cursor, o: number, end: number, infos: string[], conv: TlsConversation | undefined, dir: number): number {
  const { pi, d } = c;
  const type = d[o];
  const version = u16(d, o + 1);
  const len = u16(d, o + 3);
  const stop = Math.min(end, o + 5 + len);
  // After a side's Change Cipher Spec (TLS 1.2) or the Server Hello (TLS 1.3), its records are encrypted.
  const fact = recordFactAt(pi, d, o, stop, conv, dir, type === 23 || (type !== 20 && conv !== undefined && (conv.version === 0x0304 ? conv.sides[dir].phase > 0 : conv.ccs[dir])));
  const encrypted = fact.encrypted;
  const plain = fact.keys && fact.seq !== undefined ? decryptRecord(fact.keys, fact.seq, d.subarray(o, o + 5), d.subarray(o + 5, stop)) : undefined;
  const shown = plain?.type ?? type;
  const contentName = CONTENT.get(shown) ?? `Unknown (${shown})`;
  const rec = head(c, undefined, hf.record, '', o, stop - o);
  // TLS 1.3 hides the content type: the header's is opaque, the true one is inside the encryption.
  const opaque = type === 23 && fact.tls13;
  uintField(c, rec, opaque ? hf.opaqueType : hf.contentType, o, 1, CONTENT);
  uintField(c, rec, hf.version, o + 1, 2, VERSIONS, true);
  uintField(c, rec, hf.length, o + 3, 2);
  if (opaque && plain) field(c, rec, hf.contentType, plain.type, `${CONTENT.get(plain.type) ?? plain.type} (${plain.type})`, o, 0);
  const names: string[] = [];
  if (plain?.type !== 23) flushApp(c, conv, dir);
  if (plain) {
    const inner: Cursor = { pi, layer: c.layer, d: plain.plain, tls13: fact.tls13 };
    if (plain.type === 22 || plain.type === 21) {
      // the handshake messages or the alert, read from the decrypted bytes (a data source of the packet)
      const before = rec?.children?.length ?? 0;
      const index = dissectSource(pi, `Decrypted TLS (${plain.plain.length} bytes)`, plain.plain, () =>
        plain.type === 22 ? handshakes(inner, rec, 0, plain.plain.length, names, conv, dir) : alert(inner, rec, 0, plain.plain.length, names),
      );
      tagChildren(rec, before, index);
    } else if (plain.type === 23) {
      infos.push('Application Data');
      if (c.app) c.app.parts.push(plain.plain);
      else c.app = { parts: [plain.plain], at: o + 5, fact };
      return o + 5 + len;
    }
  } else if (type === 22 && !encrypted) handshakes(c, rec, o + 5, stop, names, conv, dir);
  else if (type === 20) {
    head(c, rec, hf.ccs, 'Change Cipher Spec Message', o + 5, stop - o - 5);
    names.push('Change Cipher Spec');
    if (conv && conv.version !== 0x0304) conv.ccs[dir] = true;
  } else if (type === 21 && !encrypted) alert(c, rec, o + 5, stop, names);
  if (type === 23 && !plain) {
    bytesField(c, rec, hf.appData, o + 5, stop - o - 5);
    names.push('Application Data');
  } else if (encrypted && !plain) {
    names.push(type === 22 ? 'Encrypted Handshake Message' : type === 21 ? 'Encrypted Alert' : contentName);
    // TLS 1.2's encrypted Finished: a handshake item over the ciphertext, as Wireshark shows it
    if (type === 22) head(c, rec, hf.handshake, 'Handshake Protocol: Encrypted Handshake Message', o + 5, stop - o - 5);
  }
  // titled as Wireshark titles it once the record is read: the version the hello chose, the message(s) it holds
  if (rec) rec.label = `${SHORT.get(fact.tls13 || c.tls13 ? 0x0304 : version) ?? 'TLS'} Record Layer: ${contentName} Protocol${shown === 22 && names.length ? `: ${names.length === 1 ? names[0] : 'Multiple Handshake Messages'}` : ''}`;
  infos.push(...names);
  return o + 5 + len;
}

function alert(c: Cursor, rec: Field | undefined, o: number, end: number, names: string[]): void {
  if (end - o < 2) return;
  const a = head(c, rec, hf.alert, 'Alert Message', o, 2);
  const level = uintField(c, a, hf.alertLevel, o, 1, ALERT_LEVEL);
  const desc = uintField(c, a, hf.alertDesc, o + 1, 1, ALERT);
  names.push(`Alert (Level: ${ALERT_LEVEL.get(level) ?? level}, Description: ${ALERT.get(desc) ?? desc})`);
}

/** Dissects the TLS records at `offset` … `end`; undefined when no record starts there. */
function dissectTls(pi: PacketInfo, offset: number, end: number): number | undefined {
  const d = pi.data;
  const stop = Math.min(end, pi.capLen);
  if (!recordHeaderAt(d, offset, stop)) return undefined;
  const layer = beginLayer(pi, tls.id, 'Transport Layer Security', 'message', offset, end - offset);
  const conv = conversationOf(pi);
  // The sender of a Client Hello is the client from then on.
  if (conv && d[offset] === 22 && d[offset + 5] === 1 && conv.client === '') conv.client = `${pi.netSrc}|${pi.srcPort}`;
  const dir = conv ? (conv.client === `${pi.netSrc}|${pi.srcPort}` ? 0 : 1) : 0;
  const c: Cursor = { pi, layer, d, tls13: false };
  const infos: string[] = [];
  let o = offset;
  while (o < stop && recordHeaderAt(d, o, stop)) o = record(c, o, stop, infos, conv, dir);
  flushApp(c, conv, dir);
  // What the decrypted data carried names the packet (HTTP's request line), else the records do.
  const first = pi.layers.indexOf(layer);
  if (!pi.layers.some((l, i) => i > first && l.name !== 'data')) {
    pi.protocol = SHORT.get(conv?.version === 0x0304 ? 0x0304 : u16(d, offset + 1)) ?? 'TLS';
    pi.info = c.held && infos.every((x) => x === 'Application Data') ? '[TLS segment of a reassembled PDU]' : infos.join(', ');
  }
  return end - offset;
}

/** The dissectors decrypted application data may go to: everything but TLS itself. */
const innerHeuristics = [...tcpHeuristics];
tcpPortTable.register(443, dissectTls);
tcpHeuristics.push(dissectTls);
