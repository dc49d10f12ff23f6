// A followed stream printed as `tshark -q -z follow,PROTO,MODE,N` prints it (ui/cli/tap-follow.c), byte for byte,
// so a script can read either tool's output: a header naming the nodes, one block per chunk (node 1's marked by a
// tab), a closing rule. A gap prints as tshark's stand-in chunk "[N bytes missing in capture file]" with its NUL.
import type { FollowChunk, FollowEndpoint, FollowProtocol } from './streamFollower';

export type FollowPrintMode = 'raw' | 'text' | 'hex';

const RULE = '===================================================================\n';

/** tshark's name for our mode (`text` is its `ascii`). */
const tsharkMode: Record<FollowPrintMode, string> = { raw: 'raw', text: 'ascii', hex: 'hex' };

function endpointText(e: FollowEndpoint | undefined): string {
  if (e === undefined) return ':0'; // tshark, before any followed packet named the nodes
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The header: a blank line, the rule, mode, filter and both nodes. */
export function followHeader(protocol: FollowProtocol, mode: FollowPrintMode, stream: number, nodes: readonly [FollowEndpoint, FollowEndpoint] | undefined): string {
  return `\n${RULE}Follow: ${protocol},${tsharkMode[mode]}\nFilter: ${protocol}.stream eq ${stream}\nNode 0: ${endpointText(nodes?.[0])}\nNode 1: ${endpointText(nodes?.[1])}\n`;
}

export function followFooter(): string {
  return RULE;
}

/** The bytes tshark shows for a chunk: a gap becomes its text stand-in (with the C string's NUL). */
export function shownBytes(c: FollowChunk): Uint8Array {
  if (c.kind === 'data') return c.bytes;
  return Buffer.from(`[${c.length} bytes missing in capture file]\0`, 'latin1');
}

/** Renders chunks in one of tshark's modes; keeps the per-node offsets the hex dump counts from. */
export class FollowPrinter {
  private readonly pos: [number, number] = [0, 0];

  constructor(readonly mode: FollowPrintMode) {}

  chunk(c: FollowChunk): string {
    const bytes = shownBytes(c);
    const tab = c.node === 1 ? '\t' : '';
    let out: string;
    if (this.mode === 'raw') out = `${tab}${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}\n`;
    else if (this.mode === 'text') out = `${tab}${bytes.length}\n${printable(bytes)}\n`;
    else out = hexDump(tab, this.pos[c.node], bytes);
    this.pos[c.node] += bytes.length;
    return out;
  }
}

/** tshark's ascii mode: printable ASCII and CR/LF as they are, every other byte a dot. */
function printable(b: Uint8Array): string {
  const out = Buffer.allocUnsafe(b.length);
  for (let i = 0; i < b.length; i++) {
    const v = b[i];
    out[i] = (v >= 0x20 && v < 0x7f) || v === 0x0a || v === 0x0d ? v : 0x2e;
  }
  return out.toString('latin1');
}

const HEX = '0123456789abcdef';

/** tshark's hex mode: 16 bytes a line, offset in upper-case hex, an extra space after the 8th byte in both columns. */
function hexDump(prefix: string, offset: number, b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 16) {
    const n = Math.min(16, b.length - i);
    let hex = '';
    let text = '';
    for (let k = 0; k < n; k++) {
      const v = b[i + k];
      hex += `${HEX[v >> 4]}${HEX[v & 15]} `;
      text += v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.';
      if (k === 7) {
        hex += ' ';
        if (n > 8) text += ' ';
      }
    }
    // tshark drops a row's last text character when it is a space: the byte 0x20 ending a row of other than 8 bytes
    // (a row of 8 ends in the middle space it added, so its own 0x20 stays).
    if (n !== 8 && b[i + n - 1] === 0x20) text = text.slice(0, -1);
    // The hex column is 49 characters wide (16 × 3 + the middle space), the text starts at column 60.
    out += `${prefix}${(offset + i).toString(16).toUpperCase().padStart(8, '0')}  ${hex.padEnd(49)} ${text}\n`;
  }
  return out;
}
