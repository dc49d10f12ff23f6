// Saved messages: a .wire block whose steps are only sends (and settings) is a named message a session panel sends
// with one click; "Save as message…" writes bytes back as such a block.
import { decodeText, encodeText } from '../codec/encoding';
import { framingName, type Framing } from '../codec/framing';
import { formatHex } from '../../shared/format';
import { blockLabel, type WireBlock, type WireFile } from './wireParser';
import { blockSettings, payloadBytes, variableResolver } from './wireRules';
import { escapeText } from './wireTemplates';

/** What a message block sends: each send's bytes, in order, with the block's framing. */
export interface MessagePayloads {
  readonly name: string;
  readonly payloads: readonly Uint8Array[];
  readonly framing: Framing;
}

/** The message blocks of a parsed file. */
export function messageBlocks(file: WireFile): WireBlock[] {
  return file.blocks.filter((b) => b.kind === 'messages');
}

/** Evaluates a message block's sends (templates, the file's variables); throws the template's error. */
export function messagePayloads(file: WireFile, block: WireBlock): MessagePayloads {
  const { encoding, framing } = blockSettings(block);
  let count = 0;
  const scope = { variable: variableResolver(file), counter: () => ++count };
  const payloads: Uint8Array[] = [];
  for (const s of block.steps) if (s.kind === 'send') payloads.push(payloadBytes(s.payload, scope, encoding));
  return { name: blockLabel(block), payloads, framing };
}

/** A string literal of the wire format holding `text` exactly: escapes for what is not printable, `$` and `{`. */
export function wireString(text: string): string {
  return `"${escapeText(text).replace(/[${]/g, (c) => `\\${c}`)}"`;
}

/**
 * A message block for `bytes`: text in `encoding` when they are text there (they decode and encode back the same,
 * without NULs), else hex. Ends with a newline; `name` must be one line.
 */
export function messageBlockText(name: string, bytes: Uint8Array, encoding: string, framing: Framing = { kind: 'raw' }): string {
  const lines = [`### ${name.replace(/[\r\n]+/g, ' ').trim()}`];
  let text: string | undefined;
  try {
    const decoded = decodeText(bytes, encoding);
    const again = encodeText(decoded, encoding);
    if (!decoded.includes('\0') && again.length === bytes.length && again.every((b, i) => b === bytes[i])) text = decoded;
  } catch {
    text = undefined;
  }
  if (text !== undefined && encoding !== 'utf-8') lines.push(`encoding ${encoding}`);
  if (framing.kind !== 'raw') lines.push(`framing ${framingName(framing)}`);
  lines.push(text !== undefined ? `send ${wireString(text)}` : `send hex ${formatHex(bytes)}`);
  return lines.join('\n') + '\n';
}
