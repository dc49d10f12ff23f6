// WebSocket frame headers as they pass on the wire (RFC 6455 §5.2), read beside the `ws` library so the inspector can
// show each message's opcode, FIN, mask and payload length. Only headers are parsed; payloads are skipped.

export interface WsFrameFacts {
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  readonly opcode: number;
  readonly fin: boolean;
  readonly masked: boolean;
  /** Payload length as the header says (before unmasking; no extension in use). */
  readonly length: number;
}

/** A message's frames: the first few, and how many more there were. */
export interface WsMessageFacts {
  readonly frames: readonly WsFrameFacts[];
  readonly moreFrames: number;
}

export const FRAMES_KEPT_PER_MESSAGE = 8;
/** Parsed messages not yet claimed by the library's events: a bound that only guards against a bug. */
const QUEUE_MAX = 1024;

/** Feeds on a connection's received bytes; yields one WsMessageFacts per complete data message or control frame. */
export class WsFrameTap {
  private header = new Uint8Array(14);
  private have = 0;
  private skip = 0;
  private message: WsFrameFacts[] = [];
  private more = 0;
  /** Complete data messages, oldest first. */
  readonly messages: WsMessageFacts[] = [];
  /** Control frames (close, ping, pong), oldest first. */
  readonly controls: WsFrameFacts[] = [];

  push(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header[this.have++] = data[i++];
      const need = headerLength(this.header, this.have);
      if (need !== undefined && this.have === need) this.frameDone();
    }
  }

  private frameDone(): void {
    const h = this.header;
    const len7 = h[1] & 0x7f;
    let length = len7;
    if (len7 === 126) length = (h[2] << 8) | h[3];
    else if (len7 === 127) length = Number(new DataView(h.buffer, h.byteOffset + 2, 8).getBigUint64(0));
    const f: WsFrameFacts = { opcode: h[0] & 0x0f, fin: (h[0] & 0x80) !== 0, masked: (h[1] & 0x80) !== 0, length };
    this.have = 0;
    this.skip = length;
    if (f.opcode >= 8) {
      if (this.controls.length < QUEUE_MAX) this.controls.push(f);
      return;
    }
    if (this.message.length < FRAMES_KEPT_PER_MESSAGE) this.message.push(f);
    else this.more++;
    if (!f.fin) return;
    if (this.messages.length < QUEUE_MAX) this.messages.push({ frames: this.message, moreFrames: this.more });
    this.message = [];
    this.more = 0;
  }
}

/** The header's full length once its first bytes are known, else undefined. */
function headerLength(h: Uint8Array, have: number): number | undefined {
  if (have < 2) return undefined;
  const len7 = h[1] & 0x7f;
  const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  return 2 + ext + ((h[1] & 0x80) !== 0 ? 4 : 0);
}

export const WS_OPCODE_NAMES: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
