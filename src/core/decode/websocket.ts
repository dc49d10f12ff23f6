// WebSocket frames (RFC 6455) in a TCP stream that an HTTP 101 Switching Protocols response with `Upgrade: websocket`
// turned into one, with Wireshark's websocket.* fields. Which streams were upgraded, and where each frame starts, is
// tcpReassembly.ts's business (the 'ws' kind): it hands this dissector one whole frame at a time, and records it as a
// fact so a row click dissects the same frame again. A masked payload is unmasked; its text, close code and reason,
// ping and pong data are read from the unmasked bytes, and a binary payload goes to the data dissector unmasked.
import * as zlib from 'node:zlib';
import { hexBytes, latin1 } from './format';
import { type PacketInfo, addChild, addField, beginLayer, callPortsOrData, declareFields, declareProtocol, dissectData, tcpHeuristics, tcpPortTable } from './registry';
import { httpMessageLength } from './http';
import { dissectBuffer, dissectSource, factKey, recordFact, replayedFact } from './reassembly';
import type { Field, Layer } from './dissect';

const websocket = declareProtocol('websocket', 'WebSocket');
// Wireshark hands a text message to its line-based text dissector (listed after websocket in frame.protocols).
const textLines = declareProtocol('data-text-lines', 'Line-based text data');
const hf = declareFields({
  fin: ['websocket.fin', 'Fin', 'bool'],
  rsv: ['websocket.rsv', 'Reserved', 'uint'],
  pmc: ['websocket.pmc', 'Per-Message Compressed', 'bool'],
  opcode: ['websocket.opcode', 'Opcode', 'uint'],
  mask: ['websocket.mask', 'Mask', 'bool'],
  length: ['websocket.payload_length', 'Payload length', 'uint'],
  length16: ['websocket.payload_length_ext_16', 'Extended Payload length (16 bits)', 'uint'],
  length64: ['websocket.payload_length_ext_64', 'Extended Payload length (64 bits)', 'uint'],
  maskingKey: ['websocket.masking_key', 'Masking-Key', 'bytes'],
  maskedPayload: ['websocket.masked_payload', 'Masked payload', 'none'],
  payload: ['websocket.payload', 'Payload', 'none'],
  text: ['websocket.payload.text', 'Text', 'string'],
  close: ['websocket.payload.close', 'Close', 'none'],
  closeCode: ['websocket.payload.close.status_code', 'Status code', 'uint'],
  closeReason: ['websocket.payload.close.reason', 'Reason', 'string'],
  ping: ['websocket.payload.ping', 'Ping', 'bytes'],
  pong: ['websocket.payload.pong', 'Pong', 'bytes'],
  continuation: ['websocket.payload.continue', 'Continue', 'bytes'],
  unknown: ['websocket.payload.unknown', 'Unknown', 'bytes'],
  fragments: ['websocket.fragments', 'Reassembled websocket Fragments', 'none'],
  fragment: ['websocket.fragment', 'Websocket Fragment', 'uint'],
  fragmentCount: ['websocket.fragment.count', 'Fragment count', 'uint'],
  reassembledLength: ['websocket.reassembled.length', 'Reassembled websocket Payload length', 'uint'],
});

const opcodeNames: Record<number, string> = { 0: 'Continuation', 1: 'Text', 2: 'Binary', 8: 'Connection Close', 9: 'Ping', 10: 'Pong' };
const closeCodes: Record<number, string> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol error',
  1003: 'Unsupported Data',
  1005: 'No Status Rcvd',
  1006: 'Abnormal Closure',
  1007: 'Invalid frame payload data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Ext.',
  1011: 'Internal Server',
  1015: 'TLS handshake',
};
/** Wireshark unmasks at most this much of a payload (its MAX_UNMASKED_LEN); the rest stays masked. */
export const MAX_UNMASKED = 256 * 1024;
/** Characters of a text payload kept in its field; past it the text ends with `…` (the bytes fields' convention). */
const MAX_TEXT = 4096;

/** A message sent in fragments (a data frame without FIN, then continuations), put together as they come. */
export interface WsMessage {
  opcode: number;
  parts: Uint8Array[];
  frames: number[];
  /** Each fragment's fact key (messageFactKey). */
  keys: number[];
  bytes: number;
  /** Its first frame had RSV1 (permessage-deflate): the message is inflated once whole. */
  compressed: boolean;
}

/** Where the messages being put together live: TCP reassembly's table (cloned with the context), per direction. */
interface WsMessageHolder {
  wsMessages: Map<string, WsMessage>;
}

/** Without reassembly: the rest of a frame that ran past its segment, expected at `nextSeq` (raw) in this direction. */
export interface WsRest {
  nextSeq: number;
  left: number;
  /** The frame whose segment started it ("[Continuation to #N]"). */
  frame: number;
}

/**
 * permessage-deflate (RFC 7692) as a stream's 101 response agreed it. Each direction's window, the last 32 KiB it
 * inflated, is what its next message may refer back to (unless that side takes no context over); a window is replaced,
 * never changed in place, so a cloned context may share it.
 */
export interface WsDeflate {
  serverAddr: string;
  serverPort: number;
  serverNoTakeover: boolean;
  clientNoTakeover: boolean;
  /** [the server's, the client's] */
  windows: [Uint8Array, Uint8Array];
}

/** What TCP reassembly's table keeps for WebSocket streams (tcpReassembly.ts's PduTable, cloned with the context). */
export interface WsStreams extends WsMessageHolder {
  ws: Set<number>;
  upgrade(stream: number): void;
  wsRest: Map<string, WsRest>;
  wsDeflate: Map<number, WsDeflate>;
}

/** Streams with permessage-deflate whose windows are kept (32 KiB each way: 16 MiB in all); past it the oldest is forgotten. */
const MAX_DEFLATE_STREAMS = 256;
const NOTHING = new Uint8Array(0);
const SYNC_TAIL = Buffer.from([0, 0, 0xff, 0xff]);

/** Directions whose frame runs on past a segment, remembered at most (oldest forgotten first). */
const MAX_RESTS = 65536;

/** Messages waiting for their last fragment, and the bytes one may hold (at most MAX_UNMASKED each: 32 MiB in all). */
const MAX_PENDING_MESSAGES = 128;

/** The key of a finished message's fact, never a reassembly call's (non-negative) nor TLS's (-1 …). */
const messageFactKey = (pi: PacketInfo, offset: number) => -0x40000000 - factKey(pi, offset);

/** A frame's header: where its payload starts and how long it is. */
interface FrameHeader {
  payloadAt: number;
  payloadLen: number;
}

function readHeader(d: Uint8Array, o: number, end: number): FrameHeader | -1 {
  if (end - o < 2) return -1;
  const b1 = d[o + 1];
  let len = b1 & 0x7f;
  let at = o + 2;
  if (len === 126) {
    if (end - at < 2) return -1;
    len = (d[at] << 8) | d[at + 1];
    at += 2;
  } else if (len === 127) {
    if (end - at < 8) return -1;
    // Above 2^53 the length is no usable number: such a frame is never reassembled anyway.
    len = (d[at] * 2 ** 24 + ((d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3])) * 2 ** 32 + (((d[at + 4] << 24) | (d[at + 5] << 16) | (d[at + 6] << 8) | d[at + 7]) >>> 0);
    at += 8;
  }
  if (b1 & 0x80) at += 4;
  return { payloadAt: at, payloadLen: len };
}

/** The length of the frame starting at `o` (header and payload), for TCP reassembly; -1 when its header is cut. */
export function webSocketFrameLength(d: Uint8Array, o: number, end: number): number {
  const h = readHeader(d, o, end);
  if (h === -1 || h.payloadAt > end) return -1;
  return h.payloadAt - o + h.payloadLen;
}

/** Whether the HTTP message at `o` … `end` is a 101 Switching Protocols response upgrading to WebSocket. */
export function isWebSocketUpgrade(d: Uint8Array, o: number, end: number): boolean {
  if (end - o < 12 || latin1(d, o, 5) !== 'HTTP/' || latin1(d, o + 8, 4) !== ' 101') return false;
  return /\r?\nupgrade:[ \t]*websocket[ \t]*\r?\n/i.test(latin1(d, o, Math.min(end - o, 65536)));
}

/**
 * Notes an HTTP 101 response upgrading its stream to WebSocket (true when it is one), and the permessage-deflate
 * parameters it agreed.
 */
export function upgradeWebSocket(pi: PacketInfo, table: WsStreams, d: Uint8Array, o: number, end: number): boolean {
  if (pi.tcp === undefined || !isWebSocketUpgrade(d, o, end)) return false;
  const stream = pi.tcp.stream;
  table.upgrade(stream);
  table.wsDeflate.delete(stream);
  const ext = /\r?\nsec-websocket-extensions:([^\r\n]*)/i.exec(latin1(d, o, Math.min(end - o, 65536)));
  const pmd = ext && /(?:^|,)\s*permessage-deflate\b([^,]*)/i.exec(ext[1]);
  if (pmd) {
    if (table.wsDeflate.size >= MAX_DEFLATE_STREAMS) table.wsDeflate.delete(table.wsDeflate.keys().next().value as number);
    const p = pmd[1];
    table.wsDeflate.set(stream, { serverAddr: pi.netSrc, serverPort: pi.srcPort, serverNoTakeover: /server_no_context_takeover/i.test(p), clientNoTakeover: /client_no_context_takeover/i.test(p), windows: [NOTHING, NOTHING] });
  }
  return true;
}

/** Dissects the WebSocket frames in `offset` … `end` (tcpReassembly.ts gives one whole frame, or a frame's start). */
export function dissectWebSocket(pi: PacketInfo, offset: number, end: number): number {
  let o = offset;
  while (o < end && o < pi.capLen) o = dissectFrame(pi, o, end);
  return end - offset;
}

function dissectFrame(pi: PacketInfo, o: number, end: number): number {
  const d = pi.data;
  const stop = Math.min(end, pi.capLen);
  const h = readHeader(d, o, stop);
  const frameEnd = h === -1 ? end : Math.min(end, h.payloadAt + h.payloadLen);
  const layer = beginLayer(pi, websocket.id, 'WebSocket', 'message', o, frameEnd - o);
  pi.protocol = 'WebSocket';
  if (h === -1) {
    layer.truncated = true;
    pi.markMalformed('Truncated: a WebSocket frame header was cut off');
    pi.info = 'WebSocket';
    return end;
  }
  const b0 = d[o];
  const b1 = d[o + 1];
  const fin = (b0 & 0x80) !== 0;
  const opcode = b0 & 0x0f;
  const masked = (b1 & 0x80) !== 0;
  const name = opcodeNames[opcode] ?? 'Unknown Opcode';
  pi.info = `WebSocket ${name}${fin ? ' [FIN]' : '[FRAGMENT] '} ${masked ? '[MASKED]' : ''}`;
  addField(pi, layer, hf.fin, fin, fin ? 'True' : 'False', o, 1);
  const pAt = h.payloadAt;
  const pLen = Math.max(0, Math.min(h.payloadLen, stop - pAt));
  const whole = h.payloadAt + h.payloadLen <= end;
  const key = masked ? d.subarray(pAt - 4, pAt) : undefined;
  // The payload as sent, and unmasked (at most MAX_UNMASKED bytes of it).
  const plain = key === undefined ? d.subarray(pAt, pAt + pLen) : unmask(d, pAt, Math.min(pLen, MAX_UNMASKED), key);
  const deflate = compression(pi, o, fin && whole && (opcode === 1 || opcode === 2) && (b0 & 0x40) !== 0, plain);
  addField(pi, layer, hf.rsv, (b0 >> 4) & 7, `0x${(b0 >> 4) & 7}`, o, 1);
  if (deflate.pmd) addField(pi, layer, hf.pmc, (b0 & 0x40) !== 0, (b0 & 0x40) !== 0 ? 'True' : 'False', o, 1);
  addField(pi, layer, hf.opcode, opcode, `${name} (${opcode})`, o, 1);
  addField(pi, layer, hf.mask, masked, masked ? 'True' : 'False', o + 1, 1);
  addField(pi, layer, hf.length, b1 & 0x7f, String(b1 & 0x7f), o + 1, 1);
  let at = o + 2;
  if ((b1 & 0x7f) === 126) addField(pi, layer, hf.length16, h.payloadLen, String(h.payloadLen), at, 2);
  else if ((b1 & 0x7f) === 127) addField(pi, layer, hf.length64, h.payloadLen, String(h.payloadLen), at, 8);
  at += (b1 & 0x7f) === 126 ? 2 : (b1 & 0x7f) === 127 ? 8 : 0;
  if (masked) addField(pi, layer, hf.maskingKey, hexBytes(d, at, 4), hexBytes(d, at, 4), at, 4);
  if (!whole) {
    // The rest of the frame is in later segments, not reassembled (Wireshark's BoundError): header and masked bytes only.
    layer.truncated = true;
    pi.markMalformed('Note: Unreassembled fragment (change preferences to enable reassembly)', true);
    pi.info += '[BoundErrorUnreassembled Packet]';
    if (masked) addField(pi, layer, hf.maskedPayload, '', `${pLen} bytes`, pAt, pLen);
    return end;
  }
  // Without reassembly Wireshark leaves a whole text or binary frame's payload to no further dissector.
  const carryOn = pi.ctx.reassembly.desegmentTcp;
  // A compressed message is shown inflated (bytes from no frame: an empty range where its payload starts).
  const message = deflate.inflated ?? plain;
  if (masked) addField(pi, layer, hf.maskedPayload, '', `${pLen} bytes`, pAt, pLen);
  const pf = addField(pi, layer, hf.payload, '', `${pLen} bytes`, pAt, pLen);
  const fields = carryOn || !fin || opcode === 0 || opcode >= 8;
  if (key !== undefined && deflate.inflated === undefined && plain.length > 0 && fields) {
    // A masked payload's fields point into its unmasked bytes, a data source of their own (Wireshark's tab).
    unmasked(pi, layer, pf, opcode, fin, plain, carryOn);
    if (opcode < 8 && !(fin && opcode !== 0)) fragment(pi, layer, pf, o, opcode, fin, plain, pAt, pLen, (b0 & 0x40) !== 0);
    return pAt + h.payloadLen;
  }
  if (fields) payloadFields(pi, layer, pf, opcode, fin, message, pAt, pLen);
  // What carries the message on: Wireshark's line-based text for a whole text message, data for binary.
  if (fin && (opcode === 1 || opcode === 2) && !carryOn) {
    // (left as payload)
  } else if (fin && opcode === 1) beginLayer(pi, textLines.id, 'Line-based text data', 'message', pAt, pLen);
  else if (fin && opcode === 2 && message.length > 0) {
    if (key === undefined && deflate.inflated === undefined) dissectData(pi, pAt, pAt + pLen);
    else dissectBuffer(pi, message, 0, deflate.inflated === undefined ? message.length : 0, pAt, () => dissectData(pi, 0, message.length));
  } else if (opcode < 8 && !(fin && opcode !== 0)) fragment(pi, layer, pf, o, opcode, fin, plain, pAt, pLen, (b0 & 0x40) !== 0);
  return pAt + h.payloadLen;
}

/** The payload fields of a masked frame, and what carries a whole message on, in its "Unmasked Data" source. */
function unmasked(pi: PacketInfo, layer: Layer, pf: Field | undefined, opcode: number, fin: boolean, plain: Uint8Array, carryOn: boolean): void {
  const before = pf?.children?.length ?? 0;
  const index = dissectSource(pi, 'Unmasked Data', plain, () => {
    if (carryOn || !fin || opcode === 0 || opcode >= 8) payloadFields(pi, layer, pf, opcode, fin, plain, 0, plain.length);
    if (!carryOn || !fin) return;
    if (opcode === 1) beginLayer(pi, textLines.id, 'Line-based text data', 'message', 0, plain.length);
    else if (opcode === 2) dissectData(pi, 0, plain.length);
  });
  const tag = (fs: Field[]) => {
    for (const f of fs) {
      f.source ??= index;
      if (f.children) tag(f.children);
    }
  };
  tag(pf?.children?.slice(before) ?? []);
}

/** A finished message, recorded as the fact of the fragment that shows it. */
type MessageStep = { t: 'done'; data: Uint8Array; frames: number[]; lengths: number[]; ownAt: number; used: number; opcode: number; fragmentFrames: number[] };

/**
 * A fragment of a message. The first pass keeps the payloads until the last fragment; the message is then shown whole
 * (Wireshark's websocket.fragments, its text or data) at the first of its fragments in that packet, as Wireshark
 * does, and recorded as that fragment's fact, so the field tree and a row click show it there. A continuation that
 * does not show the message shows its own bytes (websocket.payload.continue).
 */
function fragment(pi: PacketInfo, layer: Layer, pf: Field | undefined, o: number, opcode: number, fin: boolean, plain: Uint8Array, pAt: number, pLen: number, rsv1: boolean): void {
  const at = messageFactKey(pi, o);
  let shown: MessageStep | undefined;
  if (pi.replaying) {
    const s = replayedFact(pi, at)?.steps[0] as MessageStep | undefined;
    if (s?.t === 'done' && s.fragmentFrames !== undefined) shown = s;
  } else {
    const done = collect(pi, at, opcode, fin, plain, rsv1);
    // The columns pass builds no fields: only the layer that carries the message on matters, added here.
    if (done !== undefined) carry(pi, done.step, pAt);
    if (done?.at === at) shown = done.step;
  }
  if (shown === undefined) {
    if (opcode === 0) addChild(pi, layer, pf, hf.continuation, hexBytes(plain, 0, plain.length), `${pLen} bytes`, pAt, pLen);
    return;
  }
  const msg = shown.data;
  let from = 0;
  const parts = shown.fragmentFrames.map((f, i) => `#${f}(${shown.lengths[i]})`).join(', ');
  if (shown.opcode === 1) addText(pi, layer, pf, msg, pAt, pLen);
  const top = addField(pi, layer, hf.fragments, '', `${shown.lengths.length} Reassembled websocket Fragments (${msg.length} bytes): ${parts}`, pAt, pLen);
  shown.fragmentFrames.forEach((f, i) => {
    const n = shown.lengths[i];
    addChild(pi, layer, top, hf.fragment, f, `Frame: ${f}, payload: ${from}-${from + n - 1} (${n} bytes)`, pAt, 0);
    from += n;
  });
  addChild(pi, layer, top, hf.fragmentCount, shown.lengths.length, String(shown.lengths.length), pAt, 0);
  addChild(pi, layer, top, hf.reassembledLength, msg.length, String(msg.length), pAt, 0);
  if (pi.replaying) carry(pi, shown, pAt);
}

/** The message's text layer or its data, as a whole text or binary frame's. */
function carry(pi: PacketInfo, m: MessageStep, pAt: number): void {
  if (m.opcode === 1) beginLayer(pi, textLines.id, 'Line-based text data', 'message', pAt, 0);
  else if (m.opcode === 2 && m.data.length > 0) dissectBuffer(pi, m.data, 0, 0, pAt, () => dissectData(pi, 0, m.data.length));
}

/** First pass: adds a fragment to its direction's message; the finished message, and the key of the fact showing it. */
function collect(pi: PacketInfo, at: number, opcode: number, fin: boolean, plain: Uint8Array, rsv1: boolean): { step: MessageStep; at: number } | undefined {
  const messages = (pi.ctx.tcpPdus as WsMessageHolder | undefined)?.wsMessages;
  if (messages === undefined || pi.tcp === undefined) return undefined;
  const dir = `${pi.tcp.stream}|${pi.netSrc}|${pi.srcPort}`;
  let m = messages.get(dir);
  if (opcode !== 0) {
    // A new message starts (one still waiting is given up).
    messages.delete(dir);
    if (messages.size >= MAX_PENDING_MESSAGES) messages.delete(messages.keys().next().value as string);
    messages.set(dir, (m = { opcode, parts: [], frames: [], keys: [], bytes: 0, compressed: rsv1 }));
  }
  if (m === undefined) return undefined;
  if (m.bytes + plain.length > MAX_UNMASKED) {
    messages.delete(dir);
    return undefined;
  }
  const frame = pi.ctx.reassemblyFrame;
  m.parts.push(plain.slice()); // not a view: it would keep the whole packet alive
  m.frames.push(frame);
  m.keys.push(at);
  m.bytes += plain.length;
  if (!fin) return undefined;
  messages.delete(dir);
  let data: Uint8Array = new Uint8Array(m.bytes);
  let k = 0;
  for (const part of m.parts) {
    data.set(part, k);
    k += part.length;
  }
  const conf = m.compressed ? (pi.ctx.tcpPdus as WsStreams | undefined)?.wsDeflate.get(pi.tcp.stream) : undefined;
  if (conf !== undefined) data = inflateMessage(pi, conf, data) ?? data;
  // The fragments' frames go in a field of their own: `frames` would tell the replay log they were held PDUs.
  const step: MessageStep = { t: 'done', data, frames: [], lengths: m.parts.map((x) => x.length), ownAt: 0, used: 0, opcode: m.opcode, fragmentFrames: m.frames };
  const showAt = m.keys[m.frames.indexOf(frame)];
  recordFact(pi, { at: showAt, steps: [step] });
  return { step, at: showAt };
}

function payloadFields(pi: PacketInfo, layer: Layer, pf: Field | undefined, opcode: number, fin: boolean, plain: Uint8Array, pAt: number, pLen: number): void {
  if (!pi.full) return;
  const bytes = (n = plain.length) => hexBytes(plain, 0, n);
  if (opcode === 1) {
    // Only a whole message is text (a fragment's first frame is just payload).
    if (fin) addText(pi, layer, pf, plain, pAt, pLen);
  } else if (opcode === 8) {
    const close = addChild(pi, layer, pf, hf.close, '', 'Close', pAt, pLen);
    if (plain.length >= 2) {
      const code = (plain[0] << 8) | plain[1];
      addChild(pi, layer, close, hf.closeCode, code, `${closeCodes[code] ?? 'Unknown'} (${code})`, pAt, 2);
      if (plain.length > 2) {
        const reason = utf8(plain.subarray(2));
        addChild(pi, layer, close, hf.closeReason, reason, reason, pAt + 2, pLen - 2);
      }
    }
  } else if (opcode === 9) addChild(pi, layer, pf, hf.ping, bytes(), `${pLen} bytes`, pAt, pLen);
  else if (opcode === 10) addChild(pi, layer, pf, hf.pong, bytes(), `${pLen} bytes`, pAt, pLen);
  else if (opcode !== 0 && opcode !== 2) addChild(pi, layer, pf, hf.unknown, bytes(), `${pLen} bytes`, pAt, pLen);
}

/** websocket.payload.text, shown as the text itself (its first 200 characters) as Wireshark's tree shows it. */
function addText(pi: PacketInfo, layer: Layer, pf: Field | undefined, bytes: Uint8Array, at: number, len: number): void {
  const text = utf8(bytes);
  addChild(pi, layer, pf, hf.text, text, text.length > 200 ? `${text.slice(0, 200)}…` : text, at, len);
}

function unmask(d: Uint8Array, at: number, n: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = d[at + i] ^ key[i & 3];
  return out;
}

const decoder = new TextDecoder('utf-8');

/** UTF-8 text (invalid sequences as U+FFFD); past MAX_TEXT characters it ends with `…`. */
function utf8(b: Uint8Array): string {
  const s = decoder.decode(b.subarray(0, MAX_TEXT * 4));
  return s.length > MAX_TEXT || b.length > MAX_TEXT * 4 ? s.slice(0, MAX_TEXT) + '…' : s;
}

type Step = { t: 'plain'; len: number; ws?: true; continues?: number };

/**
 * Without TCP reassembly (tcp.desegment_tcp_streams off): a WebSocket stream's segment is cut into frames alone. A
 * frame running past the segment shows its header; the segments carrying its rest are "[Continuation to #N]" TCP
 * payload, as Wireshark's. True when the payload was dissected here; the steps are a fact, so a row click agrees.
 */
export function webSocketUnreassembled(pi: PacketInfo, start: number, end: number, seqRaw: number, table: () => WsStreams): boolean {
  const at = factKey(pi, start);
  let steps: Step[] | undefined;
  if (pi.replaying) steps = replayedFact(pi, at)?.steps as Step[] | undefined;
  else {
    steps = cutAlone(pi, start, end, seqRaw, table);
    if (steps !== undefined) recordFact(pi, { at, steps });
  }
  if (steps === undefined) return false;
  let o = start;
  for (const s of steps) {
    if (s.continues !== undefined) {
      pi.protocol = 'TCP';
      pi.info = `[Continuation to #${s.continues}] ${pi.info}`;
    } else if (s.ws) dissectWebSocket(pi, o, o + s.len);
    else callPortsOrData(tcpPortTable, tcpHeuristics, pi, o, o + s.len);
    o += s.len;
  }
  return true;
}

/** First pass of webSocketUnreassembled: the steps of this segment, or undefined when it is no WebSocket stream's. */
function cutAlone(pi: PacketInfo, start: number, end: number, seqRaw: number, table: () => WsStreams): Step[] | undefined {
  const tcp = pi.tcp;
  const d = pi.data;
  if (tcp === undefined || end > pi.capLen) return undefined;
  const steps: Step[] = [];
  let o = start;
  if ((pi.ctx.tcpPdus as WsStreams | undefined)?.ws.has(tcp.stream) !== true) {
    // The upgrade: an HTTP 101 response; frames may follow it in the same segment.
    if (d[start] !== 0x48) return undefined;
    const n = httpMessageLength(d, start, end);
    if (n === undefined || n < 0 || start + n > end || !isWebSocketUpgrade(d, start, start + n)) return undefined;
    upgradeWebSocket(pi, table(), d, start, start + n);
    if (start + n === end) return undefined;
    steps.push({ t: 'plain', len: n });
    o += n;
  }
  const dir = `${tcp.stream}|${pi.netSrc}|${pi.srcPort}`;
  const rests = table().wsRest;
  const rest = rests.get(dir);
  if (rest !== undefined) {
    rests.delete(dir);
    if (rest.nextSeq === seqRaw) {
      const take = Math.min(rest.left, end - o);
      steps.push({ t: 'plain', len: take, ws: true, continues: rest.frame });
      o += take;
      if (rest.left > take) rests.set(dir, { ...rest, nextSeq: (seqRaw + (end - start)) >>> 0, left: rest.left - take });
    }
  }
  while (o < end) {
    const n = webSocketFrameLength(d, o, end);
    if (n >= 0 && o + n <= end) {
      steps.push({ t: 'plain', len: n, ws: true });
      o += n;
      continue;
    }
    steps.push({ t: 'plain', len: end - o, ws: true });
    if (n >= 0) {
      if (rests.size >= MAX_RESTS) rests.delete(rests.keys().next().value as string);
      rests.set(dir, { nextSeq: (seqRaw + (end - start)) >>> 0, left: o + n - end, frame: pi.ctx.reassemblyFrame });
    }
    break;
  }
  return steps;
}

/** A frame's permessage-deflate fact: the stream agreed it, and the message this frame inflated to (if it did). */
type DeflateStep = { t: 'done'; data: Uint8Array; frames: number[]; lengths: number[]; ownAt: number; used: number; pmd: true; inflated: boolean };

/** The key of a frame's permessage-deflate fact (apart from reassembly's, TLS's and messageFactKey's keys). */
const deflateFactKey = (pi: PacketInfo, offset: number) => -0x50000000 - factKey(pi, offset);

/**
 * Whether the frame at `o` is in a permessage-deflate stream (Wireshark then shows websocket.pmc), and when it is a
 * whole compressed message (`inflate`), that message inflated. The first pass inflates with its direction's window
 * and records both as the frame's fact; a replay reads them from it.
 */
function compression(pi: PacketInfo, o: number, inflate: boolean, plain: Uint8Array): { pmd: boolean; inflated?: Uint8Array } {
  const at = deflateFactKey(pi, o);
  if (pi.replaying) {
    const s = replayedFact(pi, at)?.steps[0] as DeflateStep | undefined;
    return s?.pmd === true ? { pmd: true, inflated: s.inflated ? s.data : undefined } : { pmd: false };
  }
  const conf = pi.tcp && (pi.ctx.tcpPdus as WsStreams | undefined)?.wsDeflate.get(pi.tcp.stream);
  if (conf === undefined) return { pmd: false };
  const inflated = inflate ? inflateMessage(pi, conf, plain) : undefined;
  const step: DeflateStep = { t: 'done', data: inflated ?? NOTHING, frames: [], lengths: [], ownAt: 0, used: 0, pmd: true, inflated: inflated !== undefined };
  recordFact(pi, { at, steps: [step] });
  return { pmd: true, inflated };
}

/** One compressed message inflated with its direction's window (at most MAX_UNMASKED bytes), or undefined when it cannot be. */
function inflateMessage(pi: PacketInfo, conf: WsDeflate, payload: Uint8Array): Uint8Array | undefined {
  const i = pi.netSrc === conf.serverAddr && pi.srcPort === conf.serverPort ? 0 : 1;
  const fresh = i === 0 ? conf.serverNoTakeover : conf.clientNoTakeover;
  const window = fresh ? NOTHING : conf.windows[i];
  let out: Uint8Array;
  try {
    out = zlib.inflateRawSync(Buffer.concat([payload, SYNC_TAIL]), { dictionary: window.length > 0 ? window : undefined, finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_UNMASKED });
  } catch {
    // What follows may refer to what was lost: this direction inflates nothing more right.
    conf.windows[i] = NOTHING;
    return undefined;
  }
  if (!fresh) {
    const joined = new Uint8Array(window.length + out.length);
    joined.set(window);
    joined.set(out, window.length);
    conf.windows[i] = joined.slice(Math.max(0, joined.length - 32768));
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
