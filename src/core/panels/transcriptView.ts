// Reading a transcript for a panel, without vscode: pages of rendered chunks, byte ranges with their direction
// spans, finds, and the errors of a query as one sentence. The session panel reads its session's transcript through
// here, the packet panel's Follow view a followed stream's, and both panels' finds go through findBytes.
import { encodeText } from '../codec/encoding';
import { parseHex } from '../codec/hex';
import { CodecError } from '../codec/codecError';
import { errorSentence, type ErrorLanguage } from '../errors';
import type { Transcript } from '../sessions/transcript';
import type { ByteSpan, ChunkView, FindResult, InputError, PanelResponses, TranscriptInfo } from '../../shared/sessionPanelProtocol';
import { renderHex, renderText } from './renderText';

/** Bytes rendered as text per chunks page, so one request stays cheap even for undecodable data. */
export const RENDER_BUDGET = 64 * 1024;

export function transcriptInfoOf(t: Transcript): TranscriptInfo {
  const c = t.counters;
  return { startOffset: t.startOffset, endOffset: t.endOffset, firstSeq: t.firstSeq, nextSeq: t.nextSeq, droppedBytes: c.droppedBytes, droppedChunks: c.droppedChunks };
}

export function toInputError(e: unknown, lang: ErrorLanguage): InputError {
  const { code, message } = errorSentence(e, lang);
  return { code, message, index: e instanceof CodecError && e.position !== undefined ? e.position - 1 : undefined };
}

/**
 * The first match of a find query (hex bytes, or text in `encoding`) in `hay`, whose first byte is at offset
 * `base`; a query that cannot be read answers with its error. Both panels find through here.
 */
export function findBytes(hay: Uint8Array, base: number, query: string, mode: 'hex' | 'text', encoding: string, lang: ErrorLanguage): FindResult {
  let needle: Uint8Array;
  try {
    needle = mode === 'hex' ? parseHex(query) : encodeText(query, encoding);
  } catch (e) {
    return { error: toInputError(e, lang) };
  }
  if (!needle.length) return {};
  const i = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
  return i >= 0 ? { found: { offset: base + i, length: needle.length } } : {};
}

/** Bytes of a transcript from `offset` (clamped to what it holds), with the chunk spans that cover them. */
export function readTranscriptRange(t: Transcript, offset: number, length: number): PanelResponses['readRange'] {
  const from = Math.max(offset, t.startOffset);
  const bytes = t.read(from, offset + length - from);
  const spans: ByteSpan[] = [];
  const first = t.chunkAt(from);
  if (first && bytes.length) {
    const end = from + bytes.length;
    for (let seq = first.seq; ; seq += 64) {
      const page = t.chunks(seq, 64);
      for (const c of page) if (c.offset < end) spans.push({ offset: c.offset, length: c.length, dir: c.dir, seq: c.seq });
      if (page.length < 64 || page[page.length - 1].offset + page[page.length - 1].length >= end) break;
    }
  }
  return { offset: from, bytes, spans };
}

/** A page of a transcript's chunks rendered for the conversation (at most RENDER_BUDGET bytes rendered). */
export function transcriptChunks(t: Transcript, fromSeq: number, limit: number, render: 'text' | 'hex', encoding: string, maxBytes: number): ChunkView[] {
  const out: ChunkView[] = [];
  let budget = RENDER_BUDGET;
  for (const c of t.chunks(fromSeq, limit)) {
    if (out.length && budget <= 0) break;
    const data = t.chunkData(c.seq) ?? new Uint8Array(0);
    const shown = data.subarray(0, Math.min(maxBytes, data.length));
    budget -= shown.length;
    const parts = render === 'hex' ? renderHex(shown) : renderText(shown, encoding);
    out.push({ seq: c.seq, dir: c.dir, time: c.time, offset: c.offset, length: c.length, peer: c.peer, parts, omitted: data.length - shown.length });
  }
  return out;
}

/** The next match of `query` in a transcript's held bytes at or after `from`. */
export function findInTranscript(t: Transcript, query: string, mode: 'hex' | 'text', encoding: string, from: number, lang: ErrorLanguage): FindResult {
  const start = Math.max(from, t.startOffset);
  return findBytes(t.read(start, t.endOffset - start), start, query, mode, encoding, lang);
}

