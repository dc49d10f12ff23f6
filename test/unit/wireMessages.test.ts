// Saved messages: message blocks evaluate to their bytes, and "Save as message…" writes bytes back as a block that
// reads back to the very same bytes, as text where it is text and as hex where it is not.
import * as assert from 'node:assert/strict';
import { parseWire } from '../../src/core/wire/wireParser';
import { messageBlocks, messageBlockText, messagePayloads } from '../../src/core/wire/wireMessages';
import { encodeText } from '../../src/core/codec/encoding';
import { prng } from './helpers';

function roundTrip(bytes: Uint8Array, encoding: string, framing?: Parameters<typeof messageBlockText>[3]): { text: string; back: Uint8Array } {
  const text = messageBlockText('m', bytes, encoding, framing);
  const file = parseWire(text);
  assert.deepEqual(file.diagnostics, [], text);
  const [block] = messageBlocks(file);
  assert.ok(block, text);
  const p = messagePayloads(file, block);
  assert.equal(p.payloads.length, 1);
  return { text, back: p.payloads[0] };
}

describe('wire: saved messages', () => {
  it('lists blocks of only sends as messages and evaluates their templates with the file\'s variables', () => {
    const file = parseWire('@who = world\n\n### greet\nsend "hello {{who}}\\n"\nsend hex 01 {{sum8:01 02}}\n\n### client\nconnect tcp 127.0.0.1:1\nsend "x"\n');
    const blocks = messageBlocks(file);
    assert.deepEqual(blocks.map((b) => b.name), ['greet']);
    const p = messagePayloads(file, blocks[0]);
    assert.equal(p.name, 'greet');
    assert.deepEqual(p.payloads.map((b) => Buffer.from(b).toString('hex')), [Buffer.from('hello world\n').toString('hex'), '0103']);
  });

  it('writes text as a string (escaping what the format would read otherwise) and reads back the same bytes', () => {
    for (const s of ['hello\n', 'say "hi" \\ $1 {{x}} \t\r\n', '年份 2026', 'a#b # not a comment']) {
      const bytes = encodeText(s, 'utf-8');
      const { text, back } = roundTrip(bytes, 'utf-8');
      assert.match(text, /^### m\nsend "/, text);
      assert.deepEqual(Buffer.from(back), Buffer.from(bytes), text);
    }
  });

  it('keeps the encoding and the framing, and falls back to hex for bytes that are not text', () => {
    const gbk = encodeText('你好', 'gbk');
    const { text, back } = roundTrip(gbk, 'gbk', { kind: 'line' });
    assert.match(text, /encoding gbk\nframing line\nsend "你好"/);
    assert.deepEqual(Buffer.from(back), Buffer.from(gbk));
    const binary = new Uint8Array([0, 0xff, 0xfe, 0x80, 0x0a]);
    const hex = roundTrip(binary, 'utf-8');
    assert.match(hex.text, /send hex 00 ff fe 80 0a/);
    assert.deepEqual(Buffer.from(hex.back), Buffer.from(binary));
  });

  it('reads back any bytes exactly (1,000 seeded random payloads, utf-8 and gbk)', () => {
    const r = prng(15);
    for (let i = 0; i < 1000; i++) {
      const n = Math.floor(r() * 40);
      const bytes = new Uint8Array(n).map(() => (r() < 0.7 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 256)));
      const { back } = roundTrip(bytes, i % 2 ? 'gbk' : 'utf-8');
      assert.deepEqual(Buffer.from(back), Buffer.from(bytes));
    }
  });
});
