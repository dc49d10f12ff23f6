import * as assert from 'node:assert/strict';
import { CodecError } from '../../src/core/codec/codecError';
import { decodeText, encodeText, encodings } from '../../src/core/codec/encoding';
import { parseEscapes } from '../../src/core/codec/escapes';
import { encodeFrame, FrameDecoder, parseFraming, framingName } from '../../src/core/codec/framing';
import { parseHex } from '../../src/core/codec/hex';
import { formatHex } from '../../src/shared/format';
import { appendLineEnding, buildPayload } from '../../src/core/codec/payload';

const hex = (b: Uint8Array) => formatHex(b);
const bytes = (...n: number[]) => Uint8Array.from(n);

describe('codec: text encodings (iconv-lite)', () => {
  it('encodes 年 differently in each CJK encoding and round-trips', () => {
    assert.equal(hex(encodeText('年', 'utf-8')), 'e5 b9 b4');
    assert.equal(hex(encodeText('年', 'gbk')), 'c4 ea');
    assert.equal(hex(encodeText('年', 'gb18030')), 'c4 ea');
    assert.equal(hex(encodeText('年', 'big5')), 'a6 7e');
    assert.equal(hex(encodeText('年', 'utf-16le')), '74 5e');
    assert.equal(hex(encodeText('é', 'latin1')), 'e9');
    assert.equal(hex(encodeText('Hi', 'ascii')), '48 69');
    for (const e of encodings) assert.equal(decodeText(encodeText('Hello', e), e), 'Hello', e);
    assert.equal(decodeText(bytes(0xc4, 0xea), 'gbk'), '年');
  });

  it('refuses a character the encoding cannot hold, naming it', () => {
    assert.throws(() => encodeText('a年', 'latin1'), (e: CodecError) => e.code === 'EUNENCODABLE' && e.message.includes('"年" (position 2)') && e.localized('zh-cn').includes('年'));
  });

  it('refuses an unknown encoding', () => {
    assert.throws(() => encodeText('x', 'klingon'), (e: CodecError) => e.code === 'EBADENCODING' && e.message.includes('klingon'));
  });
});

describe('codec: hex', () => {
  it('accepts spaced, packed and 0x forms', () => {
    assert.equal(hex(parseHex('48 65 6c')), '48 65 6c');
    assert.equal(hex(parseHex('48656c')), '48 65 6c');
    assert.equal(hex(parseHex('0x48,0x65')), '48 65');
    assert.equal(hex(parseHex('0x48, 0X65,0x6C')), '48 65 6c');
    assert.equal(hex(parseHex('\\x48\\x65')), '48 65');
    assert.equal(hex(parseHex('0x0')), '00');
    assert.equal(parseHex('  ').length, 0);
  });

  it('names the first bad character and its position', () => {
    assert.throws(() => parseHex('48 6g 6c'), (e: CodecError) => e.code === 'EBADHEX' && e.position === 5 && e.message.startsWith('"g" at position 5'));
    assert.throws(() => parseHex('zz'), (e: CodecError) => e.position === 1 && e.message.includes('"z"'));
    assert.throws(() => parseHex('0x48,0xq1'), (e: CodecError) => e.position === 8);
    assert.throws(() => parseHex('486'), (e: CodecError) => e.code === 'EBADHEX' && /Odd number/.test(e.message));
    assert.match(new CodecError('x', 'a', 'b').localized('zh-cn'), /b/);
    assert.throws(() => parseHex('4 8'), (e: CodecError) => e.localized('zh-cn').includes('奇数'));
  });
});

describe('codec: escapes', () => {
  it('turns C/Python escapes into bytes', () => {
    assert.equal(hex(parseEscapes('a\\r\\n')), '61 0d 0a');
    assert.equal(hex(parseEscapes('\\x00\\xff')), '00 ff');
    assert.equal(hex(parseEscapes('\\u5e74')), 'e5 b9 b4');
    assert.equal(hex(parseEscapes('\\u5e74', 'gbk')), 'c4 ea');
    assert.equal(hex(parseEscapes('\\t\\\\\\0\\101')), '09 5c 00 41');
    assert.equal(hex(parseEscapes('\\U0001F600')), 'f0 9f 98 80');
  });

  it('rejects a bad escape with its position', () => {
    assert.throws(() => parseEscapes('ab\\q'), (e: CodecError) => e.code === 'EBADESCAPE' && e.position === 3);
    assert.throws(() => parseEscapes('\\xZZ'), (e: CodecError) => e.position === 1);
    // \xHH means two digits: "\x4" followed by anything is refused, not read as 0x04
    assert.throws(() => parseEscapes('\\x4'), (e: CodecError) => e.code === 'EBADESCAPE' && /exactly two/.test(e.message));
    assert.throws(() => parseEscapes('a\\x4g'), (e: CodecError) => e.position === 2);
    assert.throws(() => parseEscapes('\\u12'), (e: CodecError) => /exactly 4/.test(e.message));
    assert.throws(() => parseEscapes('end\\'), (e: CodecError) => e.position === 4);
  });
});

describe('codec: line endings and payloads', () => {
  it('appends none / LF / CRLF', () => {
    assert.equal(hex(appendLineEnding(bytes(0x41), 'none')), '41');
    assert.equal(hex(appendLineEnding(bytes(0x41), 'lf')), '41 0a');
    assert.equal(hex(appendLineEnding(bytes(0x41), 'crlf')), '41 0d 0a');
  });
  it('builds a payload from exactly one source', () => {
    assert.equal(hex(buildPayload({ text: '年', encoding: 'gbk', lineEnding: 'crlf' })), 'c4 ea 0d 0a');
    assert.equal(hex(buildPayload({ hex: '01 02' })), '01 02');
    assert.equal(hex(buildPayload({ escaped: 'a\\x00' })), '61 00');
    assert.throws(() => buildPayload({ text: 'a', hex: '00' }), (e: CodecError) => e.code === 'EBADPAYLOAD');
  });
});

describe('codec: framing', () => {
  it('parses framing names both ways', () => {
    for (const n of ['raw', 'line', 'len2be', 'len2le', 'len4be', 'len4le'] as const) assert.equal(framingName(parseFraming(n)), n);
    assert.throws(() => parseFraming('len3'), (e: CodecError) => e.code === 'EBADFRAMING');
  });

  it('length-prefixes like struct.pack("!I", n) and "<H"', () => {
    assert.equal(hex(encodeFrame(bytes(1, 2, 3), { kind: 'length', size: 4, endian: 'be' })), '00 00 00 03 01 02 03');
    assert.equal(hex(encodeFrame(bytes(1, 2, 3), { kind: 'length', size: 2, endian: 'le' })), '03 00 01 02 03');
    assert.throws(() => encodeFrame(new Uint8Array(70000), { kind: 'length', size: 2, endian: 'be' }), (e: CodecError) => e.code === 'EFRAMETOOBIG');
    assert.equal(hex(encodeFrame(bytes(0x41), { kind: 'line' })), '41 0a');
    assert.equal(hex(encodeFrame(bytes(0x41, 0x0a), { kind: 'line' })), '41 0a');
  });

  it('reassembles "sticky" and split length-prefixed messages', () => {
    const f = parseFraming('len4be');
    const wire = new Uint8Array([...encodeFrame(bytes(1, 2, 3), f), ...encodeFrame(bytes(), f), ...encodeFrame(bytes(9, 8), f)]);
    // feed one byte at a time: messages appear only when complete
    const d = new FrameDecoder(f);
    const got: string[] = [];
    for (const b of wire) for (const m of d.push(bytes(b))) got.push(hex(m));
    assert.deepEqual(got, ['01 02 03', '', '09 08']);
    // all at once (the sticky case)
    const d2 = new FrameDecoder(parseFraming('len4be'));
    assert.deepEqual(d2.push(wire).map(hex), ['01 02 03', '', '09 08']);
    const le = new FrameDecoder(parseFraming('len2le'));
    assert.deepEqual(le.push(bytes(2, 0, 0x61, 0x62, 1)).map(hex), ['61 62']);
    assert.equal(le.buffered, 1);
  });

  it('splits lines across chunks, dropping CR LF, keeping an unterminated tail for flush', () => {
    const d = new FrameDecoder({ kind: 'line' });
    assert.deepEqual(d.push(new TextEncoder().encode('he')).length, 0);
    const a = d.push(new TextEncoder().encode('llo\r\nwor'));
    assert.deepEqual(a.map((x) => new TextDecoder().decode(x)), ['hello']);
    assert.deepEqual(d.push(new TextEncoder().encode('ld\n\nx')).map((x) => new TextDecoder().decode(x)), ['world', '']);
    assert.deepEqual(d.flush().map((x) => new TextDecoder().decode(x)), ['x']);
  });

  it('refuses an absurd length prefix instead of buffering gigabytes', () => {
    const d = new FrameDecoder(parseFraming('len4be'), 1024);
    assert.throws(() => d.push(bytes(0xff, 0xff, 0xff, 0xff)), (e: CodecError) => e.code === 'EFRAMETOOBIG');
  });
});
