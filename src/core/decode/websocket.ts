// WebSocket frames (RFC 6455) in a TCP stream that an HTTP 101 Switching Protocols response with `Upgrade: websocket`
// turned into one, with Wireshark's websocket.* fields. Which streams were upgraded, and where each frame starts, is
// tcpReassembly.ts's business (the 'ws' kind): it hands this dissector one whole frame at a time, and records it as a
// fact so a row click dissects the same frame again. A masked payload is unmasked; its text, close code and reason,
// ping and pong data are read from the unmasked bytes, and a binary payload goes to the data dissector unmasked.
import { hexBytes, latin1 } from './format';
import { type PacketInfo, addChild, addField, beginLayer, declareFields, declareProtocol, dissectData } from './registry';
import { dissectBuffer } from './reassembly';

const websocket = declareProtocol('websocket', 'WebSocket');
// Wireshark hands a text message to its line-based text dissector (listed after websocket in frame.protocols).
const textLines = declareProtocol('data-text-lines', 'Line-based text data');
const hf = declareFields({
  fin: ['websocket.fin', 'Fin', 'bool'],
  rsv: ['websocket.rsv', 'Reserved', 'uint'],
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
  pi.info = `WebSocket ${name}${fin ? ' [FIN] ' : ' [FRAG] '}${masked ? '[MASKED]' : ''}`;
  addField(pi, layer, hf.fin, fin, fin ? 'True' : 'False', o, 1);
  addField(pi, layer, hf.rsv, (b0 >> 4) & 7, `0x${(b0 >> 4) & 7}`, o, 1);
  addField(pi, layer, hf.opcode, opcode, `${name} (${opcode})`, o, 1);
  addField(pi, layer, hf.mask, masked, masked ? 'True' : 'False', o + 1, 1);
  addField(pi, layer, hf.length, b1 & 0x7f, String(b1 & 0x7f), o + 1, 1);
  let at = o + 2;
  if ((b1 & 0x7f) === 126) addField(pi, layer, hf.length16, h.payloadLen, String(h.payloadLen), at, 2);
  else if ((b1 & 0x7f) === 127) addField(pi, layer, hf.length64, h.payloadLen, String(h.payloadLen), at, 8);
  at += (b1 & 0x7f) === 126 ? 2 : (b1 & 0x7f) === 127 ? 8 : 0;
  const key = masked ? d.subarray(at, at + 4) : undefined;
  if (masked) addField(pi, layer, hf.maskingKey, hexBytes(d, at, 4), hexBytes(d, at, 4), at, 4);
  const pAt = h.payloadAt;
  const pLen = Math.max(0, Math.min(h.payloadLen, stop - pAt));
  if (h.payloadAt + h.payloadLen > end) {
    layer.truncated = true;
    pi.markMalformed('Truncated: a WebSocket payload runs past the bytes captured');
  }
  // The payload as sent, and unmasked (at most MAX_UNMASKED bytes of it).
  const plain = key === undefined ? d.subarray(pAt, pAt + pLen) : unmask(d, pAt, Math.min(pLen, MAX_UNMASKED), key);
  if (masked) addField(pi, layer, hf.maskedPayload, '', `${pLen} bytes`, pAt, pLen);
  const pf = addField(pi, layer, hf.payload, '', `${pLen} bytes`, pAt, pLen);
  payloadFields(pi, layer, pf, opcode, fin, plain, pAt, pLen);
  // What carries the message on: Wireshark's line-based text for a whole text message, data for binary.
  if (fin && opcode === 1) beginLayer(pi, textLines.id, 'Line-based text data', 'message', pAt, pLen);
  else if (fin && opcode === 2 && pLen > 0) {
    if (key === undefined) dissectData(pi, pAt, pAt + pLen);
    else dissectBuffer(pi, plain, 0, plain.length, pAt, () => dissectData(pi, 0, plain.length));
  }
  return pAt + h.payloadLen;
}

function payloadFields(pi: PacketInfo, layer: ReturnType<typeof beginLayer>, pf: ReturnType<typeof addField>, opcode: number, fin: boolean, plain: Uint8Array, pAt: number, pLen: number): void {
  if (!pi.full) return;
  const bytes = (n = plain.length) => hexBytes(plain, 0, n);
  if (opcode === 1) {
    // Only a whole message is text (a fragment's first frame is just payload).
    if (fin) addChild(pi, layer, pf, hf.text, utf8(plain), `${pLen} bytes`, pAt, pLen);
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
  else if (opcode === 0) addChild(pi, layer, pf, hf.continuation, bytes(), `${pLen} bytes`, pAt, pLen);
  else if (opcode !== 2) addChild(pi, layer, pf, hf.unknown, bytes(), `${pLen} bytes`, pAt, pLen);
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
