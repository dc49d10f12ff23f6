import * as assert from 'node:assert/strict';
import * as iconv from 'iconv-lite';
import { renderHex, renderText } from '../../src/core/panels/renderText';
import type { TextPart } from '../../src/shared/sessionPanelProtocol';

const ESC: Record<string, number> = { '\\r': 13, '\\n': 10, '\\t': 9, '\\0': 0, '\\e': 27 };

/** Turns rendered parts back into bytes: text through the encoding, escapes byte by byte. */
function unrender(parts: TextPart[], enc: string): number[] {
  const out: number[] = [];
  let skipLf = false;
  for (const p of parts) {
    if (p.e) {
      for (const m of p.t.matchAll(/\\x([0-9a-f]{2})|\\[rnt0e]/g)) out.push(m[1] ? parseInt(m[1], 16) : ESC[m[0]]);
      skipLf = p.t.endsWith('\\n');
    } else {
      // the line break after a \n escape is display only
      const t = skipLf && p.t.startsWith('\n') ? p.t.slice(1) : p.t;
      skipLf = false;
      out.push(...iconv.encode(t, enc));
    }
  }
  return out;
}

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
}

describe('session panel: rendering bytes as text', () => {
  it('shows undecodable UTF-8 bytes as \\x escapes, never U+FFFD', () => {
    const parts = renderText(Uint8Array.from([0x68, 0x69, 0xff, 0xe5, 0xb9, 0xb4, 0xe5, 0xb9]), 'utf-8');
    assert.deepEqual(parts, [{ t: 'hi' }, { t: '\\xff', e: true }, { t: '年' }, { t: '\\xe5\\xb9', e: true }]);
  });

  it('decodes gbk: c4 ea is 年, and a lone lead byte is escaped', () => {
    assert.deepEqual(renderText(Uint8Array.from([0xc4, 0xea]), 'gbk'), [{ t: '年' }]);
    assert.deepEqual(renderText(Uint8Array.from([0x41, 0xc4]), 'gbk'), [{ t: 'A' }, { t: '\\xc4', e: true }]);
  });

  it('makes control characters visible and keeps line breaks', () => {
    assert.deepEqual(renderText(new TextEncoder().encode('GET /\r\n\r\nx\0'), 'utf-8'), [{ t: 'GET /' }, { t: '\\r\\n', e: true }, { t: '\n' }, { t: '\\r\\n', e: true }, { t: '\nx' }, { t: '\\0', e: true }]);
  });

  it('treats bytes >= 0x80 as undecodable in ascii instead of stripping the high bit', () => {
    assert.deepEqual(renderText(Uint8Array.from([0x41, 0xc1]), 'ascii'), [{ t: 'A' }, { t: '\\xc1', e: true }]);
  });

  for (const enc of ['utf-8', 'gbk', 'gb18030', 'big5', 'latin1', 'ascii', 'utf-16le']) {
    it(`is lossless for random bytes in ${enc}: the parts give back every byte, and no U+FFFD appears`, () => {
      const next = rng(enc.length * 7919);
      for (let round = 0; round < 20; round++) {
        const bytes = Uint8Array.from({ length: 64 + round * 13 }, next);
        const parts = renderText(bytes, enc);
        assert.ok(!parts.some((p) => p.t.includes('\ufffd')), `${enc}: U+FFFD in ${JSON.stringify(parts)}`);
        assert.deepEqual(unrender(parts, enc), [...bytes], `${enc} round ${round}`);
      }
    });
  }

  it('renders hex as spaced pairs', () => {
    assert.deepEqual(renderHex(Uint8Array.from([0xe5, 0xb9, 0xb4])), [{ t: 'e5 b9 b4' }]);
    assert.deepEqual(renderHex(new Uint8Array(0)), []);
  });

  it('refuses an unknown encoding with a coded error', () => {
    assert.throws(() => renderText(Uint8Array.of(1), 'klingon'), /EBADENCODING|Unknown encoding/);
  });
});
